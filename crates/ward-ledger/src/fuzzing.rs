//! Fuzz entry points, shared by the cargo-fuzz targets under `fuzz/` (`ledger_entry`,
//! `ledger_checkpoint`, `ledger_proof`) and by the test that runs their seed corpus as ordinary
//! tests. Each asserts properties, not only the absence of a panic.

use crate::entry::Entry;
use crate::hash::{Hash, leaf_hash};
use crate::note::{Checkpoint, VerifierKey, parse_note};
use crate::tree::bytes::{Proof, decode, encode};
use crate::tree::{Frontier, prove_consistency, prove_inclusion, root_at, verify_consistency, verify_inclusion};
use std::sync::OnceLock;

/// Any bytes either fail to decode or decode to an entry whose encoding is exactly those bytes
/// (one encoding per entry), and whose JSON form reads back the same.
pub fn ledger_entry(data: &[u8]) {
    if let Ok(e) = Entry::decode(data) {
        assert_eq!(e.encode().ok().as_deref(), Some(data), "decode then encode is the identity");
        let json = serde_json::to_string(&e).unwrap_or_default();
        assert_eq!(Entry::from_json(&json).ok(), Some(e), "JSON round trip");
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(e) = Entry::from_json(text)
    {
        let bytes = e.encode().unwrap_or_default();
        assert_eq!(Entry::decode(&bytes).ok(), Some(e), "a valid JSON entry encodes and decodes");
    }
}

/// Any text either fails to parse, or parses to a note whose text is a prefix of the input and
/// a checkpoint that writes back to exactly its text. Verifier keys parse or fail, never panic.
pub fn ledger_checkpoint(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(note) = parse_note(s) {
        assert!(s.starts_with(note.text));
        assert!(!note.signatures.is_empty());
        if let Ok(cp) = Checkpoint::parse_text(note.text) {
            assert_eq!(cp.to_text(), note.text, "checkpoint text round trip");
        }
    }
    if let Ok(cp) = Checkpoint::parse_text(s) {
        assert_eq!(cp.to_text(), s);
    }
    if let Ok(k) = VerifierKey::parse(s) {
        assert_eq!(VerifierKey::parse(&k.to_text()).ok(), Some(k));
    }
}

/// A fixed tree of 37 leaves and its post-order store.
fn tree() -> &'static (Vec<Hash>, Vec<Hash>) {
    static T: OnceLock<(Vec<Hash>, Vec<Hash>)> = OnceLock::new();
    T.get_or_init(|| {
        let leaves: Vec<Hash> = (0u8..37).map(|i| leaf_hash(&[i])).collect();
        let mut f = Frontier::new();
        let mut store = Vec::new();
        for l in &leaves {
            f.push(*l, &mut store);
        }
        (leaves, store)
    })
}

/// Any bytes as a proof against a fixed tree of 37 leaves: decoding is strict (re-encoding gives
/// the same bytes), and a proof verifies only if it is exactly the one the tree produces
/// (proofs are unique), never by luck.
pub fn ledger_proof(data: &[u8]) {
    let Some(proof) = decode(data) else { return };
    assert_eq!(encode(&proof), data, "proof encoding round trip");
    let (leaves, store) = tree();
    let n = leaves.len() as u64;
    match proof {
        Proof::Inclusion(p) => {
            let Some(leaf) = usize::try_from(p.index).ok().and_then(|i| leaves.get(i)) else {
                return;
            };
            let root = if p.size <= n { root_at(store.as_slice(), p.size).unwrap_or_default() } else { [0; 32] };
            if verify_inclusion(leaf, &p, &root).is_ok() {
                let real = prove_inclusion(store.as_slice(), p.index, p.size).ok().flatten();
                assert_eq!(real.as_ref(), Some(&p), "only the real inclusion proof verifies");
            }
        }
        Proof::Consistency(p) => {
            if p.new_size > n || p.old_size > p.new_size {
                return;
            }
            let old = root_at(store.as_slice(), p.old_size).unwrap_or_default();
            let new = root_at(store.as_slice(), p.new_size).unwrap_or_default();
            if verify_consistency(&p, &old, &new).is_ok() {
                let real = prove_consistency(store.as_slice(), p.old_size, p.new_size).ok().flatten();
                assert_eq!(real.as_ref(), Some(&p), "only the real consistency proof verifies");
            }
        }
    }
}
