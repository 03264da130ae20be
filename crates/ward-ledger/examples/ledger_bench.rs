//! Ledger benchmark (bench/ledger/run.sh drives it):
//!
//! ```text
//! ledger_bench append DIR|sqlite:PATH APPENDERS SECONDS   durable appends/s, concurrent tokio tasks
//! ledger_bench fill DIR COUNT                             bulk-fill a directory ledger (pipelined)
//! ledger_bench proofs DIR ROUNDS                          proof generation and verification times
//! ledger_bench verify DIR                                 end-to-end verification time
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)] // reason: a benchmark driver; failing loudly is the point.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use ward_ledger::hash::leaf_hash;
use ward_ledger::sql::SqlStore;
use ward_ledger::tree::{verify_consistency, verify_inclusion};
use ward_ledger::verify::{VerifyOptions, verify};
use ward_ledger::{Actor, ActorKind, Entry, Ledger, Outcome, init_dir, read_verifier};

fn entry(i: u64) -> Entry {
    Entry {
        time: 1_767_225_600_000 + i,
        actor: Actor { kind: ActorKind::User, id: format!("u-{:06}", i % 5000) },
        action: "record.view".into(),
        subject: format!("asset:{:08x}", i.wrapping_mul(2_654_435_761) % 1_000_000),
        outcome: Outcome::Success,
        source: Some(std::net::Ipv4Addr::from(0x0a00_0000 | (i as u32 & 0xffff)).into()),
        reason: None,
    }
}

fn open(target: &str) -> Ledger {
    if target.starts_with("sqlite:") || target.starts_with("postgres") {
        Ledger::with_storage(Arc::new(SqlStore::open(target).expect("sql")), None).expect("ledger")
    } else {
        let d = Path::new(target);
        if !d.join("ledger.json").exists() {
            init_dir(d, "ward.bench/ledger", None).expect("init");
        }
        Ledger::open_dir(d).expect("open").0
    }
}

fn append(target: &str, appenders: usize, seconds: u64) {
    let ledger = Arc::new(open(target));
    let start_size = ledger.head().size;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for a in 0..appenders {
            let (l, stop, done) = (Arc::clone(&ledger), Arc::clone(&stop), Arc::clone(&done));
            tasks.push(tokio::spawn(async move {
                let mut i = a as u64;
                while !stop.load(Ordering::Relaxed) {
                    l.append_async(&entry(i)).await.expect("append");
                    done.fetch_add(1, Ordering::Relaxed);
                    i += appenders as u64;
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.expect("task");
        }
    });
    let secs = t0.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    assert_eq!(ledger.head().size - start_size, n);
    println!(
        "append target={target} appenders={appenders} entries={n} seconds={secs:.2} appends_per_s={:.0} commits={} mean_batch={:.1}",
        n as f64 / secs,
        ledger.commits(),
        n as f64 / ledger.commits().max(1) as f64
    );
}

fn fill(dir: &str, count: u64) {
    let ledger = open(dir);
    let have = ledger.head().size;
    let t0 = Instant::now();
    let mut window = VecDeque::new();
    for i in have..count {
        window.push_back(ledger.submit(&entry(i)).expect("submit"));
        if window.len() >= 65_536 {
            window.pop_front().expect("pending").wait().expect("append");
        }
    }
    for p in window {
        p.wait().expect("append");
    }
    let (_, _) = (ledger.checkpoint().expect("checkpoint"), ());
    let secs = t0.elapsed().as_secs_f64();
    println!("fill dir={dir} entries={} added={} seconds={secs:.1} appends_per_s={:.0}", ledger.head().size, count - have, (count - have) as f64 / secs);
}

fn proofs(dir: &str, rounds: u64) {
    let ledger = open(dir);
    let n = ledger.head().size;
    let root = ledger.head().root;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // Warm the page cache for the tree file the way a running server would have it.
    let mut gen_incl = Duration::ZERO;
    let mut ver_incl = Duration::ZERO;
    let mut gen_cons = Duration::ZERO;
    let mut ver_cons = Duration::ZERO;
    let mut gens = Vec::with_capacity(rounds as usize);
    let mut max_len = 0;
    for _ in 0..rounds {
        let i = rnd() % n;
        let t = Instant::now();
        let p = ledger.prove_inclusion(i, None).expect("proof");
        let g = t.elapsed();
        gen_incl += g;
        gens.push(g);
        max_len = max_len.max(p.path.len());
        let leaf = leaf_hash(&ledger.storage().read_entry(i).expect("entry"));
        let t = Instant::now();
        verify_inclusion(&leaf, &p, &root).expect("verifies");
        ver_incl += t.elapsed();
        let old = 1 + rnd() % (n - 1);
        let old_root = ledger.root_at(old).expect("old root");
        let t = Instant::now();
        let c = ledger.prove_consistency(old, n).expect("proof");
        gen_cons += t.elapsed();
        let t = Instant::now();
        verify_consistency(&c, &old_root, &root).expect("verifies");
        ver_cons += t.elapsed();
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6 / rounds as f64;
    gens.sort_unstable();
    let pct = |p: f64| gens.get(((gens.len() as f64 * p) as usize).min(gens.len() - 1)).map_or(0.0, |d| d.as_secs_f64() * 1e6);
    println!(
        "proofs size={n} rounds={rounds} inclusion_gen_mean_us={:.1} p50_us={:.1} p99_us={:.1} p999_us={:.1} max_us={:.1} inclusion_verify_us={:.1} consistency_gen_us={:.1} consistency_verify_us={:.1} max_path={max_len} ceil_log2={}",
        us(gen_incl),
        pct(0.5),
        pct(0.99),
        pct(0.999),
        pct(1.0),
        us(ver_incl),
        us(gen_cons),
        us(ver_cons),
        64 - (n - 1).leading_zeros()
    );
}

fn verify_dir(dir: &str) {
    let d = Path::new(dir);
    let key = read_verifier(&d.join("ledger.pub")).expect("key");
    let t0 = Instant::now();
    let r = verify(&VerifyOptions { dir: d.to_path_buf(), key, witness: None }).expect("verify");
    assert!(r.ok(), "{:?}", r.problems);
    println!("verify dir={dir} entries={} checkpoints={} seconds={:.1}", r.size, r.checkpoints, t0.elapsed().as_secs_f64());
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize| a.get(i).cloned().unwrap_or_default();
    match arg(1).as_str() {
        "append" => append(&arg(2), arg(3).parse().expect("appenders"), arg(4).parse().expect("seconds")),
        "fill" => fill(&arg(2), arg(3).parse().expect("count")),
        "proofs" => proofs(&arg(2), arg(3).parse().expect("rounds")),
        "verify" => verify_dir(&arg(2)),
        _ => eprintln!("usage: see the file's header"),
    }
}
