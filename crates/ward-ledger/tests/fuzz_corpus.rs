//! Runs the ledger fuzz targets' seed corpus (`fuzz/corpus/ledger_*`) as ordinary tests, so CI
//! exercises what the fuzzers start from without nightly; and checks the properties can fail.

use std::path::{Path, PathBuf};

fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).expect("corpus directory").flatten().map(|e| e.path()).collect();
    files.sort();
    assert!(!files.is_empty(), "{target} corpus is empty");
    files
}

#[test]
fn ledger_entry_seeds_hold_the_properties() {
    for f in seeds("ledger_entry") {
        ward_ledger::fuzzing::ledger_entry(&std::fs::read(f).expect("seed"));
    }
}

#[test]
fn ledger_checkpoint_seeds_hold_the_properties() {
    for f in seeds("ledger_checkpoint") {
        ward_ledger::fuzzing::ledger_checkpoint(&std::fs::read(f).expect("seed"));
    }
}

#[test]
fn ledger_proof_seeds_are_real_proofs_and_hold_the_properties() {
    use ward_ledger::tree::bytes::decode;
    for f in seeds("ledger_proof") {
        let data = std::fs::read(&f).expect("seed");
        assert!(decode(&data).is_some(), "{} decodes", f.display());
        ward_ledger::fuzzing::ledger_proof(&data);
        // Every prefix and every single-bit flip also holds them.
        for cut in 0..data.len() {
            ward_ledger::fuzzing::ledger_proof(&data[..cut]);
        }
        for bit in 0..data.len() * 8 {
            let mut d = data.clone();
            d[bit / 8] ^= 1 << (bit % 8);
            ward_ledger::fuzzing::ledger_proof(&d);
        }
        assert!(verifies(&decode(&data).expect("decodes")), "{} is a proof that verifies", f.display());
    }
}

/// The fuzz harness's tree: 37 leaves, leaf k = SHA-256(0x00 || k).
fn verifies(p: &ward_ledger::tree::bytes::Proof) -> bool {
    use ward_ledger::hash::leaf_hash;
    use ward_ledger::tree::{Frontier, bytes::Proof, root_at, verify_consistency, verify_inclusion};
    let leaves: Vec<_> = (0u8..37).map(|i| leaf_hash(&[i])).collect();
    let mut f = Frontier::new();
    let mut store = Vec::new();
    for l in &leaves {
        f.push(*l, &mut store);
    }
    let root = |n| root_at(store.as_slice(), n).expect("root");
    match p {
        Proof::Inclusion(p) => verify_inclusion(&leaves[p.index as usize], p, &root(p.size)).is_ok(),
        Proof::Consistency(p) => verify_consistency(p, &root(p.old_size), &root(p.new_size)).is_ok(),
    }
}

mod mutated {
    //! Without cargo-fuzz at hand, a cheap stand-in: random mutations of every seed (bit flips,
    //! cuts, inserted and overwritten bytes) through the same entry points, on every test run.
    use super::seeds;
    use proptest::prelude::*;

    fn mutate(mut d: Vec<u8>, ops: &[(u8, usize, u8)]) -> Vec<u8> {
        for &(op, at, b) in ops {
            let at = if d.is_empty() { 0 } else { at % d.len() };
            match op % 4 {
                0 if !d.is_empty() => d[at] ^= 1 << (b % 8),
                1 => d.truncate(at),
                2 => d.insert(at, b),
                _ if !d.is_empty() => d[at] = b,
                _ => d.push(b),
            }
        }
        d
    }

    fn run(target: &str, f: fn(&[u8]), pick: usize, ops: &[(u8, usize, u8)]) {
        let files = seeds(target);
        let seed = std::fs::read(&files[pick % files.len()]).expect("seed");
        f(&mutate(seed, ops));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn entry(pick in any::<usize>(), ops in proptest::collection::vec(any::<(u8, usize, u8)>(), 1..6)) {
            run("ledger_entry", ward_ledger::fuzzing::ledger_entry, pick, &ops);
        }
        #[test]
        fn checkpoint(pick in any::<usize>(), ops in proptest::collection::vec(any::<(u8, usize, u8)>(), 1..6)) {
            run("ledger_checkpoint", ward_ledger::fuzzing::ledger_checkpoint, pick, &ops);
        }
        #[test]
        fn proof(pick in any::<usize>(), ops in proptest::collection::vec(any::<(u8, usize, u8)>(), 1..6)) {
            run("ledger_proof", ward_ledger::fuzzing::ledger_proof, pick, &ops);
        }
    }
}
