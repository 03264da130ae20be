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
    assert!(ledger.commits() < 200, "200 concurrent appenders shared commits ({} commits)", ledger.commits());
    assert!(Ledger::open_dir(&d).is_err(), "a second writer is refused while the first holds the lock");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_torn_tail_is_ignored_by_verify_and_cut_on_reopen() {
    use std::io::Write;
    let d = scratch("torn");
    let key = init_dir(&d, "ward.test/torn", None).expect("init");
    {
        let (l, _) = Ledger::open_dir(&d).expect("open");
        for i in 0..5 {
            l.append(&entry(i)).expect("append");
        }
        l.checkpoint().expect("checkpoint");
    }
    // Half a record at the end of the log, and a few bytes of an index entry: what a crash in
    // the middle of a commit leaves.
    let mut rec = Vec::new();
    let payload = entry(5).encode().expect("encode");
    ward_ledger::dir::frame(&mut rec, &payload, &ward_ledger::hash::leaf_hash(&payload));
    let append_to = |name: &str, bytes: &[u8]| {
        std::fs::OpenOptions::new().append(true).open(d.join(name)).expect("open").write_all(bytes).expect("write");
    };
    append_to("entries.log", &rec[..rec.len() / 2]);
    append_to("entries.idx", &[0, 0, 0]);
    let r = verify(&VerifyOptions { dir: d.clone(), key: key.clone(), witness: None }).expect("verify");
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!(r.size, 5);
    assert!(r.notes.iter().any(|n| n.contains("torn tail")), "{:?}", r.notes);
    let (l, rec_info) = Ledger::open_dir(&d).expect("reopen");
    assert_eq!(rec_info.size, 5);
    assert!(rec_info.log_bytes_cut > 0);
    assert_eq!(l.append(&entry(5)).expect("append"), 5);
    drop(l);
    let r = verify(&VerifyOptions { dir: d.clone(), key, witness: None }).expect("verify");
    assert!(r.ok() && r.notes.is_empty() && r.size == 6, "{r:?}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_whole_record_written_without_its_index_and_tree_is_cut_on_reopen() {
    use std::io::Write;
    let d = scratch("unindexed");
    let key = init_dir(&d, "ward.test/unindexed", None).expect("init");
    {
        let (l, _) = Ledger::open_dir(&d).expect("open");
        l.append(&entry(0)).expect("append");
    }
    let payload = entry(1).encode().expect("encode");
    let mut rec = Vec::new();
    ward_ledger::dir::frame(&mut rec, &payload, &ward_ledger::hash::leaf_hash(&payload));
    std::fs::OpenOptions::new().append(true).open(d.join("entries.log")).expect("open").write_all(&rec).expect("write");
    let r = verify(&VerifyOptions { dir: d.clone(), key, witness: None }).expect("verify");
    assert!(r.ok(), "{:?}", r.problems);
    assert!(r.notes.iter().any(|n| n.contains("not committed")), "{:?}", r.notes);
    let (l, info) = Ledger::open_dir(&d).expect("reopen");
    assert_eq!((info.size, l.head().size), (1, 1));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn an_altered_proof_cache_or_checkpoint_byte_is_caught() {
    let d = scratch("cache");
    let key = init_dir(&d, "ward.test/cache", None).expect("init");
    {
        let (l, _) = Ledger::open_dir(&d).expect("open");
        for i in 0..8 {
            l.append(&entry(i)).expect("append");
        }
        l.checkpoint().expect("checkpoint");
    }
    let opts = VerifyOptions { dir: d.clone(), key, witness: None };
    assert!(verify(&opts).expect("verify").ok());
    // An interior node (level 1, completed by entry 3) served to proofs: position 5.
    let tree = d.join("tree.hashes");
    let mut t = std::fs::read(&tree).expect("tree");
    t[5 * 32] ^= 0x80;
    std::fs::write(&tree, &t).expect("write");
    let r = verify(&opts).expect("verify");
    assert_eq!(r.first().map(|p| p.index), Some(Some(3)), "{:?}", r.problems);
    assert!(r.problems[0].message.contains("tree position 5"), "{:?}", r.problems);
    t[5 * 32] ^= 0x80;
    std::fs::write(&tree, &t).expect("restore");
    // One byte of the signed checkpoint (its size line).
    let cp = d.join("checkpoints/0000000001.note");
    let note = std::fs::read_to_string(&cp).expect("note");
    std::fs::write(&cp, note.replacen("\n8\n", "\n7\n", 1)).expect("write");
    let r = verify(&opts).expect("verify");
    assert!(r.problems.iter().any(|p| p.message.contains("does not verify")), "{:?}", r.problems);
    let _ = std::fs::remove_dir_all(&d);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkpoint_timer_signs_only_when_the_log_grew() {
    let d = scratch("timer");
    let w = scratch("timer-witness");
    init_dir(&d, "ward.test/timer", Some(&w)).expect("init");
    let ledger = Arc::new(Ledger::open_dir(&d).expect("open").0);
    let timer = ward_ledger::spawn_checkpoint_timer(Arc::downgrade(&ledger), std::time::Duration::from_millis(50), |e| panic!("{e}"));
    ledger.append_async(&entry(1)).await.expect("append");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let count = || ledger.storage().checkpoints().expect("checkpoints").len();
    assert_eq!(count(), 1, "one checkpoint for one change, however many ticks");
    ledger.append_async(&entry(2)).await.expect("append");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(count(), 2);
    assert_eq!(std::fs::read_dir(&w).expect("witness").count(), 3, "two checkpoints and the public key in the witness");
    timer.abort();
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::remove_dir_all(&w);
}

/// A storage that keeps everything in memory and fails when told to.
struct Flaky {
    nodes: std::sync::Mutex<Vec<ward_ledger::hash::Hash>>,
    entries: std::sync::Mutex<Vec<Vec<u8>>>,
    fail: std::sync::atomic::AtomicBool,
}

impl ward_ledger::Storage for Flaky {
    fn size(&self) -> u64 {
        self.entries.lock().expect("lock").len() as u64
    }
    fn append(&self, records: &[Vec<u8>], hashes: &[ward_ledger::hash::Hash]) -> ward_ledger::Result<()> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(ward_ledger::LedgerError::Io { op: "sync", path: "flaky".into(), source: std::io::Error::other("EIO") });
        }
        self.entries.lock().expect("lock").extend_from_slice(records);
        self.nodes.lock().expect("lock").extend_from_slice(hashes);
        Ok(())
    }
    fn read_nodes(&self, positions: &[u64]) -> ward_ledger::Result<Vec<ward_ledger::hash::Hash>> {
        let n = self.nodes.lock().expect("lock");
        positions.iter().map(|&p| n.get(p as usize).copied().ok_or_else(|| ward_ledger::LedgerError::OutOfRange("node".into()))).collect()
    }
    fn read_entry(&self, index: u64) -> ward_ledger::Result<Vec<u8>> {
        self.entries.lock().expect("lock").get(index as usize).cloned().ok_or_else(|| ward_ledger::LedgerError::OutOfRange("entry".into()))
    }
    fn store_checkpoint(&self, _: u64, _: &str) -> ward_ledger::Result<()> {
        Ok(())
    }
    fn checkpoints(&self) -> ward_ledger::Result<Vec<(u64, String)>> {
        Ok(Vec::new())
    }
}

#[test]
fn after_a_failed_commit_the_writer_stops_instead_of_writing_over_a_hole() {
    let store = Arc::new(Flaky { nodes: Default::default(), entries: Default::default(), fail: Default::default() });
    let ledger = Ledger::with_storage(Arc::clone(&store) as Arc<dyn ward_ledger::Storage>, None).expect("ledger");
    assert_eq!(ledger.append(&entry(0)).expect("append"), 0);
    store.fail.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(matches!(ledger.append(&entry(1)), Err(ward_ledger::LedgerError::Commit(m)) if m.contains("EIO")));
    store.fail.store(false, std::sync::atomic::Ordering::SeqCst);
    assert!(matches!(ledger.append(&entry(2)), Err(ward_ledger::LedgerError::Closed)));
    assert_eq!(ledger.head().size, 1, "nothing of the failed batch counts");
}
