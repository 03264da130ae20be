//! Real databases for the store's tests: a SQLite file in a scratch directory, and a fresh
//! PostgreSQL database per test on the local server (`WARD_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`) or, when none answers, on a throwaway cluster
//! this process starts with Debian's `initdb`/`pg_ctl` on a free loopback port.
#![allow(dead_code)] // reason: each test binary uses a different subset of these helpers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use ward_model::report::AnalyzeReport;
use ward_store::Store;

static N: AtomicU32 = AtomicU32::new(0);

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch() -> PathBuf {
    let d = std::env::temp_dir().join(format!("ward-store-test-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch");
    d
}

/// A new, empty SQLite store.
pub async fn sqlite() -> Store {
    let path = scratch().join("ward.db");
    Store::open(&format!("sqlite:{}", path.display())).await.expect("sqlite store")
}

fn reachable(url: &str) -> bool {
    Command::new("psql").arg(url).args(["-qAtc", "SELECT 1"]).output().is_ok_and(|o| o.status.success())
}

/// A server to create test databases on: the local one, or a throwaway cluster.
fn server() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let url = std::env::var("WARD_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        if reachable(&url) {
            return url;
        }
        throwaway_cluster()
    })
}

/// initdb + pg_ctl in a scratch directory, owned by the `postgres` user when running as root
/// (PostgreSQL refuses to run as root), on a free port of 127.0.0.1, trust authentication.
fn throwaway_cluster() -> String {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .expect("no local PostgreSQL answers and Debian's postgresql package is not installed (scripts/test.sh installs it)")
        .flatten()
        .map(|e| e.path().join("bin"))
        .find(|p| p.join("initdb").exists())
        .expect("initdb");
    let dir = scratch().join("pg");
    std::fs::create_dir_all(&dir).expect("pg dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let run = |args: &[&str]| {
        let mut c = if root {
            let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.parent().expect("parent")).status();
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]);
            c
        } else {
            Command::new(args[0])
        };
        if root {
            c.arg(args[0]);
        }
        let s = c.args(&args[1..]).status().expect("runs");
        assert!(s.success(), "{args:?} failed");
    };
    let initdb = bin.join("initdb").display().to_string();
    let pg_ctl = bin.join("pg_ctl").display().to_string();
    let data = dir.join("data").display().to_string();
    run(&[&initdb, "-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"]);
    let opts = format!("-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off", dir.display());
    run(&[&pg_ctl, "-D", &data, "-o", &opts, "-l", &dir.join("log").display().to_string(), "-w", "start"]);
    // Stop it when this test process is gone (a test binary has no exit hook).
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runas}{pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        runas = if root { "runuser -u postgres -- " } else { "" },
        dir = dir.display()
    );
    let _ = Command::new("setsid").args(["-f", "sh", "-c", &stop]).status();
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    assert!(reachable(&url), "throwaway cluster does not answer");
    eprintln!("store tests: started a throwaway PostgreSQL on port {port}");
    url
}

/// The URL of a new, empty PostgreSQL database (also used by the `ward` binary's server tests).
pub fn postgres_url() -> String {
    let server = server();
    let name = format!("ward_test_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
    let s = Command::new("psql").arg(server).args(["-qAtc", &format!("CREATE DATABASE {name}")]).status().expect("psql");
    assert!(s.success(), "create database");
    let (base, _) = server.rsplit_once('/').expect("url with a database");
    format!("{base}/{name}")
}

/// A new, empty PostgreSQL store (a database of its own, migrated).
pub async fn postgres() -> Store {
    Store::open(&postgres_url()).await.expect("postgres store")
}

/// `ward analyze`'s report on a capture of this repository, made by the same library calls.
pub fn report(capture: &str) -> AnalyzeReport {
    let path = root().join(capture);
    let f = std::fs::File::open(&path).expect("capture");
    let mut engine = ward_sensor::Engine::new(ward_sensor::EngineConfig::default());
    let file = ward_sensor::analyze::read_capture(capture, 0, f, &mut engine, &mut |_| {});
    ward_sensor::analyze::build_report(vec![file], engine)
}
