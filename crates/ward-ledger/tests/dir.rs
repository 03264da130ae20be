//! The directory ledger end to end: concurrent appends share commits, reopen keeps every
//! acknowledged entry, checkpoints verify, proofs verify with only the key and checkpoint.

use std::path::PathBuf;
use std::sync::Arc;
use ward_ledger::tree::{verify_consistency, verify_inclusion};
use ward_ledger::verify::{VerifyOptions, verify};
use ward_ledger::{Actor, ActorKind, Entry, Ledger, Outcome, init_dir, note};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ward-ledger-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn entry(i: u64) -> Entry {
    Entry {
        time: 1_700_000_000_000 + i,
        actor: Actor { kind: ActorKind::User, id: format!("u-{}", i % 7) },
        action: "record.view".into(),
        subject: format!("asset:{i}"),
        outcome: Outcome::Success,
        source: None,
        reason: None,
    }
}

#[test]
fn concurrent_appends_checkpoints_proofs_and_reopen() {
    let d = scratch("e2e");
    let w = scratch("e2e-witness");
    let key = init_dir(&d, "ward.test/e2e", Some(&w)).expect("init");
    let (ledger, rec) = Ledger::open_dir(&d).expect("open");
    assert_eq!(rec.size, 0);
    let ledger = Arc::new(ledger);
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let l = Arc::clone(&ledger);
            std::thread::spawn(move || (0..50u64).map(|k| l.append(&entry(t * 1000 + k)).expect("append")).collect::<Vec<_>>())
        })
        .collect();
    let mut all: Vec<u64> = threads.into_iter().flat_map(|t| t.join().expect("thread")).collect();
    all.sort_unstable();
    assert_eq!(all, (0..400).collect::<Vec<_>>(), "every index handed out once");
    let (cp1, note1) = ledger.checkpoint().expect("checkpoint");
    assert_eq!(cp1.size, 400);
    assert_eq!(note::open_checkpoint(&note1, &key).expect("verifies"), cp1);
    for i in [0u64, 1, 199, 399] {
        let p = ledger.prove_inclusion(i, None).expect("proof");
        let leaf = ward_ledger::hash::leaf_hash(&ledger.storage().read_entry(i).expect("entry"));
        verify_inclusion(&leaf, &p, &cp1.root).expect("inclusion verifies");
        assert!(p.path.len() <= 9);
    }
    ledger.append(&entry(9999)).expect("append");
    let (cp2, _) = ledger.checkpoint().expect("checkpoint");
    let c = ledger.prove_consistency(400, 401).expect("consistency");
    verify_consistency(&c, &cp1.root, &cp2.root).expect("consistency verifies");
    drop(ledger);

    let (again, rec) = Ledger::open_dir(&d).expect("reopen");
    assert_eq!(rec.size, 401);
    assert_eq!(again.head().root, cp2.root);
    drop(again);
    let r = verify(&VerifyOptions { dir: d.clone(), key, witness: None }).expect("verify");
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!((r.size, r.checkpoints, r.witness_checkpoints), (401, 2, 2));
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::remove_dir_all(&w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_appenders_share_commits() {
    let d = scratch("async");
    init_dir(&d, "ward.test/async", None).expect("init");
    let ledger = Arc::new(Ledger::open_dir(&d).expect("open").0);
    let tasks: Vec<_> = (0..200u64)
        .map(|i| {
            let l = Arc::clone(&ledger);
            tokio::spawn(async move { l.append_async(&entry(i)).await.expect("append") })
        })
        .collect();
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.expect("task"));
    }
    got.sort_unstable();
    assert_eq!(got, (0..200).collect::<Vec<_>>());
    assert!(Ledger::open_dir(&d).is_err(), "a second writer is refused while the first holds the lock");
    let _ = std::fs::remove_dir_all(&d);
}
