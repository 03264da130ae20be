//! The ledger in SQL: the same checks on SQLite and PostgreSQL (the local server at
//! `WARD_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`, or, when none
//! answers, a throwaway cluster started with Debian's `initdb`/`pg_ctl`, as ward-store's tests do).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use ward_ledger::sql::SqlStore;
use ward_ledger::tree::{verify_consistency, verify_inclusion};
use ward_ledger::verify::{VerifyOptions, verify};
use ward_ledger::{Actor, ActorKind, Entry, Ledger, Outcome, Signer, SigningKey, Storage, note};

static N: AtomicU32 = AtomicU32::new(0);

fn scratch() -> PathBuf {
    let d = std::env::temp_dir().join(format!("ward-ledger-sql-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch");
    d
}

fn reachable(url: &str) -> bool {
    Command::new("psql").arg(url).args(["-qAtc", "SELECT 1"]).output().is_ok_and(|o| o.status.success())
}

/// A server to create a database on: the local one, or a throwaway cluster (initdb as the
/// `postgres` user when running as root, trust authentication, stopped when this process ends).
fn postgres_server() -> String {
    let url = std::env::var("WARD_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if reachable(&url) {
        return url;
    }
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .expect("no PostgreSQL answers and none is installed (scripts/test.sh installs it)")
        .flatten()
        .map(|e| e.path().join("bin"))
        .find(|p| p.join("initdb").exists())
        .expect("initdb");
    let dir = scratch();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root {
        let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status();
    }
    let run = |args: Vec<String>| {
        let mut c = if root { Command::new("runuser") } else { Command::new(&args[0]) };
        if root {
            c.args(["-u", "postgres", "--"]).arg(&args[0]);
        }
        assert!(c.args(&args[1..]).status().expect("runs").success(), "{args:?}");
    };
    let data = dir.join("data").display().to_string();
    run(vec![bin.join("initdb").display().to_string(), "-D".into(), data.clone(), "-A".into(), "trust".into(), "-U".into(), "postgres".into(), "--no-sync".into()]);
    let opts = format!("-p {port} -c listen_addresses=127.0.0.1 -k {}", dir.display());
    let pg_ctl = bin.join("pg_ctl").display().to_string();
    run(vec![pg_ctl.clone(), "-D".into(), data.clone(), "-o".into(), opts, "-l".into(), dir.join("log").display().to_string(), "-w".into(), "start".into()]);
    let stop = format!(
        "while kill -0 {} 2>/dev/null; do sleep 1; done; {}{pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {}",
        std::process::id(),
        if root { "runuser -u postgres -- " } else { "" },
        dir.display()
    );
    let _ = Command::new("setsid").args(["-f", "sh", "-c", &stop]).status();
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

fn fresh_postgres() -> String {
    let server = postgres_server();
    let name = format!("ward_ledger_test_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
    assert!(Command::new("psql").arg(&server).args(["-qAtc", &format!("CREATE DATABASE {name}")]).status().expect("psql").success());
    let (base, _) = server.rsplit_once('/').expect("url");
    format!("{base}/{name}")
}

fn entry(i: u64) -> Entry {
    Entry {
        time: 1_700_000_000_000 + i,
        actor: Actor { kind: ActorKind::Sensor, id: format!("sensor-{}", i % 4) },
        action: "ingest.batch".into(),
        subject: format!("batch:{i}"),
        outcome: Outcome::Success,
        source: Some("192.0.2.7".parse().expect("ip")),
        reason: None,
    }
}

fn exercise(url: &str) {
    let key = SigningKey::generate("ward.test/sql").expect("key");
    let verifier = key.verifier().clone();
    let store = Arc::new(SqlStore::open(url).expect("open"));
    let ledger = Arc::new(Ledger::with_storage(store, Some(Signer { origin: "ward.test/sql".into(), key, witness: None })).expect("ledger"));
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let l = Arc::clone(&ledger);
            std::thread::spawn(move || (0..40u64).map(|k| l.append(&entry(t * 100 + k)).expect("append")).collect::<Vec<_>>())
        })
        .collect();
    let mut all: Vec<u64> = threads.into_iter().flat_map(|t| t.join().expect("thread")).collect();
    all.sort_unstable();
    assert_eq!(all, (0..320).collect::<Vec<_>>());
    let (cp1, n1) = ledger.checkpoint().expect("checkpoint");
    assert_eq!(note::open_checkpoint(&n1, &verifier).expect("verifies").size, 320);
    ledger.append(&entry(999)).expect("append");
    let (cp2, _) = ledger.checkpoint().expect("checkpoint");
    for i in [0u64, 17, 319] {
        let p = ledger.prove_inclusion(i, Some(320)).expect("proof");
        let leaf = ward_ledger::hash::leaf_hash(&ledger.storage().read_entry(i).expect("entry"));
        verify_inclusion(&leaf, &p, &cp1.root).expect("inclusion");
    }
    verify_consistency(&ledger.prove_consistency(320, 321).expect("proof"), &cp1.root, &cp2.root).expect("consistency");
    drop(ledger);
    // Reopened, the tree continues where it stopped.
    let store = SqlStore::open(url).expect("reopen");
    assert_eq!(store.size(), 321);
    assert_eq!(store.checkpoints().expect("checkpoints").len(), 2);
    let ledger = Ledger::with_storage(Arc::new(store), None).expect("ledger");
    assert_eq!(ledger.head().root, cp2.root);

    // Exported, the database's ledger verifies offline; a row changed in the database does not.
    let out = scratch().join("export");
    ward_ledger::export_storage(ledger.storage(), &verifier, "ward.test/sql", &out).expect("export");
    let opts = VerifyOptions { dir: out.clone(), key: verifier.clone(), witness: None };
    let r = verify(&opts).expect("verify");
    assert!(r.ok() && r.size == 321 && r.checkpoints == 2, "{r:?}");
    drop(ledger);
    sql_exec(url, "UPDATE ledger_entries SET body = (SELECT body FROM ledger_entries WHERE idx = 6) WHERE idx = 5");
    let ledger = Ledger::with_storage(Arc::new(SqlStore::open(url).expect("reopen")), None).expect("ledger");
    let out2 = out.with_file_name("export-tampered");
    ward_ledger::export_storage(ledger.storage(), &verifier, "ward.test/sql", &out2).expect("export");
    let r = verify(&VerifyOptions { dir: out2, ..opts }).expect("verify");
    let first = r.first().expect("a problem");
    assert_eq!(first.index, Some(5), "{:?}", r.problems);
    assert!(first.message.contains("entry 5 was replaced by a copy of entry 6"), "{:?}", r.problems);
}

/// One statement straight to the database, behind the ledger's back.
fn sql_exec(url: &str, stmt: &'static str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(url).await.expect("connect");
        sqlx::query(stmt).execute(&pool).await.expect("statement");
        pool.close().await;
    });
}

#[test]
fn sqlite_ledger() {
    let d = scratch();
    exercise(&format!("sqlite:{}", d.join("ward.db").display()));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn postgres_ledger() {
    exercise(&fresh_postgres());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_ledger_from_async_tasks() {
    let d = scratch();
    let store = Arc::new(SqlStore::open(&format!("sqlite:{}", d.join("ward.db").display())).expect("open"));
    let ledger = Arc::new(Ledger::with_storage(store, None).expect("ledger"));
    let tasks: Vec<_> = (0..100u64)
        .map(|i| {
            let l = Arc::clone(&ledger);
            tokio::spawn(async move { l.append_async(&entry(i)).await.expect("append") })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(ledger.head().size, 100);
    // Reads from inside the runtime work too (on a helper thread).
    assert!(ledger.prove_inclusion(5, None).is_ok());
    let _ = std::fs::remove_dir_all(&d);
}

/// Two ledgers over two separate connections to one PostgreSQL database, as two `ward server`
/// replicas have them, each appending from four threads while both sign checkpoints. Proves:
/// every append gets its own global index (0..N-1, none twice, none skipped); the stored tree is
/// one tree that verifies offline, checkpoints included; each ledger proves the inclusion of the
/// other's entries against its synced head; the checkpoints of both, in sequence order, are
/// signed, and their sizes never decrease. Without the writers' lock (`SqlStore::exclusive`)
/// the two writers commit from stale frontiers and the test fails.
#[test]
fn two_writers_on_one_postgres_database() {
    const THREADS: u64 = 4;
    const EACH: u64 = 200;
    let url = fresh_postgres();
    let key = SigningKey::generate("ward.test/replicas").expect("key");
    let verifier = key.verifier().clone();
    let signer = || Signer { origin: "ward.test/replicas".into(), key: SigningKey::parse(&key.to_text()).expect("key"), witness: None };
    let a = Arc::new(Ledger::with_storage(Arc::new(SqlStore::open(&url).expect("open a")), Some(signer())).expect("ledger a"));
    let b = Arc::new(Ledger::with_storage(Arc::new(SqlStore::open(&url).expect("open b")), Some(signer())).expect("ledger b"));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut appenders = Vec::new();
    for (n, l) in [&a, &b].into_iter().enumerate() {
        for t in 0..THREADS {
            let l = Arc::clone(l);
            let base = (n as u64 * THREADS + t) * 10_000;
            appenders.push(std::thread::spawn(move || (0..EACH).map(|k| (l.append(&entry(base + k)).expect("append"), n)).collect::<Vec<_>>()));
        }
    }
    let checkpointers: Vec<_> = [&a, &b]
        .into_iter()
        .map(|l| {
            let (l, done) = (Arc::clone(l), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut made = 0;
                while !done.load(Ordering::Acquire) {
                    l.checkpoint().expect("checkpoint while appending");
                    made += 1;
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                made
            })
        })
        .collect();
    let mut all: Vec<(u64, usize)> = appenders.into_iter().flat_map(|t| t.join().expect("appender")).collect();
    done.store(true, Ordering::Release);
    let made: usize = checkpointers.into_iter().map(|t| t.join().expect("checkpointer")).sum();
    assert!(made >= 2, "checkpoints were made while appending");
    all.sort_unstable();
    let total = 2 * THREADS * EACH;
    assert_eq!(all.iter().map(|(i, _)| *i).collect::<Vec<_>>(), (0..total).collect::<Vec<_>>(), "every index once");
    assert!(a.commits() > 0 && b.commits() > 0);

    // Each sees the whole tree, and the same one.
    let (ha, hb) = (a.sync_head().expect("sync a"), b.sync_head().expect("sync b"));
    assert_eq!((ha.size, hb.size), (total, total));
    assert_eq!(ha.root, hb.root);
    a.checkpoint().expect("final checkpoint a");
    let (last, _) = b.checkpoint().expect("final checkpoint b");
    assert_eq!((last.size, last.root), (total, ha.root));
    // Inclusion of the other ledger's entries, proved by each against its own synced head.
    for (me, other) in [(&a, 1usize), (&b, 0usize)] {
        let head = me.sync_head().expect("sync");
        for &(i, _) in all.iter().filter(|(_, w)| *w == other).step_by(97) {
            let leaf = ward_ledger::hash::leaf_hash(&me.storage().read_entry(i).expect("entry"));
            verify_inclusion(&leaf, &me.prove_inclusion(i, Some(head.size)).expect("proof"), &head.root).expect("inclusion of the other's entry");
        }
    }
    // Checkpoints: numbered 1.., signed, sizes never decreasing, consistent with each other.
    let cps = a.storage().checkpoints().expect("checkpoints");
    assert_eq!(cps.iter().map(|(s, _)| *s).collect::<Vec<_>>(), (1..=cps.len() as u64).collect::<Vec<_>>());
    let opened: Vec<_> = cps.iter().map(|(_, n)| note::open_checkpoint(n, &verifier).expect("signed")).collect();
    assert!(opened.windows(2).all(|w| w[0].size <= w[1].size), "sizes never decrease: {:?}", opened.iter().map(|c| c.size).collect::<Vec<_>>());
    for w in opened.windows(2).filter(|w| w[0].size > 0 && w[0].size < w[1].size) {
        verify_consistency(&a.prove_consistency(w[0].size, w[1].size).expect("proof"), &w[0].root, &w[1].root).expect("consistent checkpoints");
    }
    // The stored tree, exported, verifies offline with every checkpoint.
    let out = scratch().join("export");
    assert_eq!(ward_ledger::export_storage(b.storage(), &verifier, "ward.test/replicas", &out).expect("export"), total);
    let r = verify(&VerifyOptions { dir: out, key: verifier, witness: None }).expect("verify");
    assert!(r.ok() && r.size == total && r.checkpoints == cps.len(), "{r:?}");
}
