//! The v1 fixtures (never edited) still decode, hash and verify.

use std::path::{Path, PathBuf};
use ward_ledger::dir::{Record, read_record};
use ward_ledger::hash::{leaf_hash, to_hex};
use ward_ledger::verify::{VerifyOptions, verify};
use ward_ledger::{Entry, read_verifier};

fn v1() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1")
}

#[test]
fn v1_entries_encode_to_the_recorded_leaf_hashes() {
    let jsonl = std::fs::read_to_string(v1().join("entries.jsonl")).expect("entries");
    let want: Vec<String> = std::fs::read_to_string(v1().join("leaf_hashes.txt")).expect("hashes").lines().map(str::to_string).collect();
    let got: Vec<String> = jsonl.lines().map(|l| to_hex(&leaf_hash(&Entry::from_json(l).expect("entry").encode().expect("encodes")))).collect();
    assert_eq!(got, want);
}

#[test]
fn v1_log_records_decode_to_the_entries() {
    let jsonl = std::fs::read_to_string(v1().join("entries.jsonl")).expect("entries");
    let log_path = v1().join("ledger/entries.log");
    let log = std::fs::File::open(&log_path).expect("log");
    let len = log.metadata().expect("stat").len();
    let mut offset = 0;
    for line in jsonl.lines() {
        let Record::Whole { payload, .. } = read_record(&log, offset, len).expect("read") else { panic!("record at {offset} is not whole") };
        assert_eq!(Entry::decode(&payload).expect("decodes"), Entry::from_json(line).expect("json"));
        offset += 12 + payload.len() as u64;
    }
    assert_eq!(offset, len);
}

#[test]
fn v1_ledger_verifies_with_its_key() {
    let key = read_verifier(&v1().join("ledger.pub")).expect("key");
    let r = verify(&VerifyOptions { dir: v1().join("ledger"), key, witness: None }).expect("verify");
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!((r.size, r.checkpoints), (7, 2));
    assert_eq!(to_hex(&r.root), "632d69bcc81bdbe9c62c58b63674a25ffb507e11779de38ded514c18d0572ef3");
}
