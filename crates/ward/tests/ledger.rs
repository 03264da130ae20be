//! `ward ledger` attacked: every tampering an insider with file access could try must be
//! caught by `ward ledger verify`, run as the real binary, with a message naming what and where.
//! And a kill -9 in the middle of appends loses nothing acknowledged.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const WARD: &str = env!("CARGO_BIN_EXE_ward");

struct Case {
    root: PathBuf,
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Case {
    /// A ledger with a witness and a public key kept outside both.
    fn new(name: &str) -> Case {
        let root = std::env::temp_dir().join(format!("ward-ledger-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("scratch");
        let c = Case { root };
        let out = c.ward(&["ledger", "init", "--origin", "ward.test/audit", "--dir"], Some(&c.dir()), &["--witness", c.witness().to_str().expect("utf8")], None);
        assert!(out.status.success(), "init: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::write(c.key(), &out.stdout).expect("keep the public key elsewhere");
        c
    }

    fn dir(&self) -> PathBuf {
        self.root.join("ledger")
    }
    fn witness(&self) -> PathBuf {
        self.root.join("witness")
    }
    fn key(&self) -> PathBuf {
        self.root.join("kept.pub")
    }

    fn ward(&self, args: &[&str], dir: Option<&Path>, more: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(WARD);
        cmd.args(args);
        if let Some(d) = dir {
            cmd.arg(d);
        }
        cmd.args(more).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("ward runs");
        let input = stdin.unwrap_or("").to_string();
        let mut sin = child.stdin.take().expect("stdin");
        let feeder = std::thread::spawn(move || {
            let _ = sin.write_all(input.as_bytes());
        });
        let out = child.wait_with_output().expect("ward finishes");
        let _ = feeder.join();
        out
    }

    fn append(&self, from: u64, count: u64) -> Vec<u64> {
        let lines: String = (from..from + count).map(line).collect();
        let out = self.ward(&["ledger", "append", "--dir"], Some(&self.dir()), &[], Some(&lines));
        assert!(out.status.success(), "append: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(|l| l.parse().expect("index")).collect()
    }

    fn checkpoint(&self) {
        let out = self.ward(&["ledger", "checkpoint", "--dir"], Some(&self.dir()), &[], None);
        assert!(out.status.success(), "checkpoint: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Run verify with the kept key; returns (success, stderr).
    fn verify(&self) -> (bool, String) {
        let out = self.ward(&["ledger", "verify", "--dir"], Some(&self.dir()), &["--key", self.key().to_str().expect("utf8")], None);
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout))
    }

    fn expect_failure(&self, needles: &[&str]) {
        let (ok, text) = self.verify();
        assert!(!ok, "verify should fail: {text}");
        for n in needles {
            assert!(text.contains(n), "verify output should contain {n:?}:\n{text}");
        }
    }

    /// Byte offsets of every record, from the index file.
    fn offsets(&self) -> Vec<u64> {
        let idx = std::fs::read(self.dir().join("entries.idx")).expect("index");
        idx.chunks(8).map(|c| u64::from_be_bytes(c.try_into().expect("8 bytes"))).collect()
    }

    fn log(&self) -> Vec<u8> {
        std::fs::read(self.dir().join("entries.log")).expect("log")
    }

    fn set_log(&self, bytes: &[u8]) {
        std::fs::write(self.dir().join("entries.log"), bytes).expect("write log");
    }

    /// The standard history: 10 entries, checkpoint 1 at 4 and checkpoint 2 at 10.
    fn history(&self) {
        assert_eq!(self.append(0, 4), vec![0, 1, 2, 3]);
        self.checkpoint();
        assert_eq!(self.append(4, 6), (4..10).collect::<Vec<_>>());
        self.checkpoint();
        let (ok, text) = self.verify();
        assert!(ok, "an untouched ledger verifies: {text}");
    }
}

fn line(i: u64) -> String {
    // Subjects of different lengths, so records differ in size as in real use.
    format!(
        "{{\"time\":{},\"actor\":{{\"kind\":\"user\",\"id\":\"nurse-{}\"}},\"action\":\"record.view\",\"subject\":\"asset:{}\",\"outcome\":\"success\",\"source\":\"10.0.0.{}\"}}\n",
        1_700_000_000_000 + i,
        i % 3,
        "x".repeat((i % 5) as usize + 1),
        i % 250
    )
}

#[test]
fn an_untouched_ledger_and_its_export_verify() {
    let c = Case::new("clean");
    c.history();
    let out_dir = c.root.join("export");
    let out = c.ward(&["ledger", "export", "--dir"], Some(&c.dir()), &["--out", out_dir.to_str().expect("utf8")], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!out_dir.join("ledger.key").exists(), "an export never holds the private key");
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: PathBuf| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(c.dir().join("ledger.key")), 0o600, "the private key is owner-only");
    assert_eq!(mode(c.dir()), 0o700, "the ledger directory is owner-only");
    let out = c.ward(&["ledger", "verify", "--export"], Some(&out_dir), &["--key", c.key().to_str().expect("utf8")], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: 10 entries"));
    let proof = c.ward(&["ledger", "prove", "--dir"], Some(&c.dir()), &["--index", "3", "--size", "4"], None);
    assert!(proof.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&proof.stdout).expect("json");
    assert_eq!(doc["inclusion"]["path"].as_array().map(Vec::len), Some(2));
    // The proof comes with the signed checkpoint of its size; it verifies with the key alone.
    let key = ward_ledger::read_verifier(&c.key()).expect("key");
    let cp = ward_ledger::note::open_checkpoint(doc["checkpoint"].as_str().expect("checkpoint"), &key).expect("signed");
    let proof: ward_ledger::tree::InclusionProof = serde_json::from_value(doc["inclusion"].clone()).expect("proof");
    let entry: ward_ledger::Entry = serde_json::from_value(doc["entry"].clone()).expect("entry");
    let leaf = ward_ledger::hash::leaf_hash(&entry.encode().expect("encode"));
    ward_ledger::tree::verify_inclusion(&leaf, &proof, &cp.root).expect("inclusion verifies");
    let cons = c.ward(&["ledger", "prove", "--dir"], Some(&c.dir()), &["--old", "4"], None);
    assert!(cons.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&cons.stdout).expect("json");
    let proof: ward_ledger::tree::ConsistencyProof = serde_json::from_value(doc["consistency"].clone()).expect("proof");
    let new = ward_ledger::note::open_checkpoint(doc["checkpoint"].as_str().expect("checkpoint"), &key).expect("signed");
    let old_root = ward_ledger::hash::from_hex::<32>(doc["old_root"].as_str().expect("old root")).expect("hex");
    assert_eq!(old_root, cp.root, "the old root is the one checkpoint 1 signed");
    ward_ledger::tree::verify_consistency(&proof, &old_root, &new.root).expect("consistency verifies");
}

#[test]
fn changing_one_byte_of_an_entry_is_caught() {
    let c = Case::new("byte");
    c.history();
    let offs = c.offsets();
    let mut log = c.log();
    // A byte of entry 6's subject (after length, version, time, kind, id).
    let at = offs[6] as usize + 4 + 1 + 8 + 1 + 2 + 7 + 2 + 11 + 4;
    log[at] ^= 0x01;
    c.set_log(&log);
    c.expect_failure(&["FAILED at index 6", "entry 6", "checksum does not match"]);
}

#[test]
fn changing_an_entry_and_its_checksum_is_caught() {
    let c = Case::new("rechecked");
    c.history();
    let offs = c.offsets();
    let mut log = c.log();
    let start = offs[2] as usize;
    let len = u32::from_be_bytes(log[start..start + 4].try_into().expect("4")) as usize;
    // Turn "success" into "denied" and recompute the per-record check, as an informed attacker would.
    let outcome = start + 4 + len - 7; // outcome, source tag, 4 address bytes, reason tag
    log[outcome] = 3;
    let leaf = ward_ledger::hash::leaf_hash(&log[start + 4..start + 4 + len]);
    log[start + 4 + len..start + 4 + len + 8].copy_from_slice(&leaf[..8]);
    c.set_log(&log);
    c.expect_failure(&["FAILED at index 2", "entry 2 differs from the entry appended at 2", "checkpoint"]);
}

#[test]
fn deleting_an_entry_is_caught() {
    let c = Case::new("delete");
    c.history();
    let offs = c.offsets();
    let mut log = c.log();
    log.drain(offs[5] as usize..offs[6] as usize);
    c.set_log(&log);
    c.expect_failure(&["FAILED at index 5", "1 entry was deleted at index 5"]);
}

#[test]
fn deleting_the_last_entries_is_caught() {
    let c = Case::new("truncate");
    c.history();
    let offs = c.offsets();
    let mut log = c.log();
    log.truncate(offs[8] as usize);
    c.set_log(&log);
    c.expect_failure(&["FAILED at index 8", "log holds 8"]);
}

#[test]
fn swapping_two_entries_is_caught() {
    let c = Case::new("swap");
    c.history();
    let offs = c.offsets();
    let log = c.log();
    let rec = |i: usize| log[offs[i] as usize..offs[i + 1] as usize].to_vec();
    let mut swapped = log[..offs[2] as usize].to_vec();
    swapped.extend(rec(6));
    for i in 3..6 {
        swapped.extend(rec(i));
    }
    swapped.extend(rec(2));
    swapped.extend_from_slice(&log[offs[7] as usize..]);
    c.set_log(&swapped);
    c.expect_failure(&["FAILED at index 2", "entries 2 and 6 were swapped"]);
}

#[test]
fn a_fork_truncate_and_append_other_entries_is_caught() {
    let c = Case::new("fork");
    c.history();
    // Cut every file back to 6 entries, drop the checkpoint that covers more, append others.
    let offs = c.offsets();
    let d = c.dir();
    let f = |n: &str| std::fs::OpenOptions::new().write(true).open(d.join(n)).expect("open");
    f("entries.log").set_len(offs[6]).expect("cut");
    f("entries.idx").set_len(6 * 8).expect("cut");
    f("tree.hashes").set_len((2 * 6 - 2) * 32).expect("cut");
    std::fs::remove_file(d.join("checkpoints/0000000002.note")).expect("rm");
    assert_eq!(c.append(100, 4), vec![6, 7, 8, 9]);
    c.expect_failure(&["the witness holds checkpoint 2 (size 10) that the ledger lacks", "witness checkpoint 2 (size 10): the log's root", "forked"]);
}

#[test]
fn appending_below_a_checkpoint_is_refused() {
    let c = Case::new("refuse");
    c.history();
    let offs = c.offsets();
    let d = c.dir();
    std::fs::OpenOptions::new().write(true).open(d.join("entries.log")).expect("open").set_len(offs[7]).expect("cut");
    let out = c.ward(&["ledger", "append", "--dir"], Some(&d), &[], Some(&line(50)));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to append"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn rolling_the_whole_store_back_is_caught_by_the_witness() {
    let c = Case::new("rollback");
    assert_eq!(c.append(0, 4), vec![0, 1, 2, 3]);
    c.checkpoint();
    let old = c.root.join("old");
    copy_dir(&c.dir(), &old);
    c.append(4, 6);
    c.checkpoint();
    std::fs::remove_dir_all(c.dir()).expect("rm");
    copy_dir(&old, &c.dir());
    c.expect_failure(&["the witness holds checkpoint 2 (size 10) that the ledger lacks: the ledger was rolled back", "witness checkpoint 2 signs 10 entries but the log holds 4"]);
}

#[test]
fn a_checkpoint_signed_by_another_key_is_caught() {
    let c = Case::new("otherkey");
    c.history();
    let other = Case::new("otherkey-b");
    other.append(0, 10);
    other.checkpoint();
    let forged = std::fs::read(other.dir().join("checkpoints/0000000001.note")).expect("note");
    std::fs::write(c.dir().join("checkpoints/0000000002.note"), forged).expect("replace");
    c.expect_failure(&["ledger checkpoint 2: not signed by ward.test/audit+", "differs from the witness's copy"]);
}

#[test]
fn a_checkpoint_smaller_than_an_earlier_one_is_caught() {
    let c = Case::new("smaller");
    c.history();
    let d = c.dir().join("checkpoints");
    std::fs::copy(d.join("0000000001.note"), d.join("0000000003.note")).expect("replay");
    c.expect_failure(&["ledger checkpoint 3 has size 4, smaller than checkpoint 2's size 10"]);
}

#[test]
fn kill_9_during_appends_loses_no_acknowledged_entry() {
    let c = Case::new("kill");
    let mut expected = 0u64; // the next index the ledger must hand out
    // Three rounds, killed at different points of a continuous stream of appends.
    for (round, stop_after) in [(0u64, 1500usize), (1, 4000), (2, 300)] {
        let (acked, last) = append_then_kill(&c, round * 1_000_000, stop_after);
        assert_eq!(acked.first(), Some(&expected), "round {round}: numbering continues after recovery");
        assert!(acked.windows(2).all(|w| w[1] == w[0] + 1), "round {round}: indexes acknowledged in order");
        let (ok, text) = c.verify();
        assert!(ok, "round {round}: after kill -9 the log verifies (torn tail ignored): {text}");
        // Every acknowledged entry of this round is there, unchanged.
        for i in [acked[0], acked[acked.len() / 2], last] {
            let out = c.ward(&["ledger", "prove", "--dir"], Some(&c.dir()), &["--index", &i.to_string()], None);
            assert!(out.status.success(), "round {round}: entry {i} is in the log");
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            let sent = round * 1_000_000 + (i - acked[0]);
            assert_eq!(doc["entry"]["time"].as_u64(), Some(1_700_000_000_000 + sent), "round {round}: entry {i}");
        }
        // Unacknowledged entries may have made it too (at least once); the next index follows them.
        let more = c.append(9_000_000 + round, 1);
        assert!(more[0] > last, "the next index follows every acknowledged one");
        expected = more[0] + 1;
        c.checkpoint();
        let (ok, text) = c.verify();
        assert!(ok, "{text}");
    }
}

/// Start `ward ledger append`, feed it lines numbered from `from`, read `stop_after`
/// acknowledgements, SIGKILL it. Returns the acknowledged indexes and the last one.
fn append_then_kill(c: &Case, from: u64, stop_after: usize) -> (Vec<u64>, u64) {
    let mut child = Command::new(WARD)
        .args(["ledger", "append", "--dir"])
        .arg(c.dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        for i in from..from + 1_000_000 {
            if stdin.write_all(line(i).as_bytes()).is_err() {
                break;
            }
        }
    });
    let mut acked = Vec::new();
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut buf = String::new();
    while acked.len() < stop_after {
        buf.clear();
        if out.read_line(&mut buf).expect("read") == 0 {
            break;
        }
        acked.push(buf.trim().parse::<u64>().expect("index"));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let _ = feeder.join();
    assert_eq!(acked.len(), stop_after, "the appender acknowledged entries before it was killed");
    let last = *acked.last().expect("some acks");
    (acked, last)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read") {
        let e = e.expect("entry");
        let t = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), t).expect("copy");
        }
    }
}
