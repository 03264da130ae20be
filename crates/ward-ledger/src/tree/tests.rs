//! Tree math against the RFC 6962 reference values (the eight leaves and the tree heads and
//! proofs published with the Certificate Transparency implementations), and properties.

use super::*;
use crate::hash::{from_hex, leaf_hash};
use proptest::prelude::*;

/// The reference inputs: leaves "", 00, 10, 2021, 3031, 40414243, 5051525354555657,
/// 606162636465666768696a6b6c6d6e6f.
fn reference_leaves() -> Vec<Vec<u8>> {
    ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
        .iter()
        .map(|h| (0..h.len() / 2).map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).expect("hex")).collect())
        .collect()
}

/// Tree heads for sizes 0..=8.
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn h(s: &str) -> Hash {
    from_hex::<32>(s).expect("32-byte hex")
}

/// Post-order store and frontier of the given leaves.
fn build(leaves: &[Hash]) -> (Vec<Hash>, Frontier) {
    let mut f = Frontier::new();
    let mut store = Vec::new();
    for l in leaves {
        f.push(*l, &mut store);
    }
    (store, f)
}

/// The RFC's recursive definition, written directly, as the oracle for everything else.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

#[test]
fn tree_heads_match_rfc6962_reference_roots() {
    let leaves: Vec<Hash> = reference_leaves().iter().map(|e| leaf_hash(e)).collect();
    let (store, _) = build(&leaves);
    for (n, want) in ROOTS.iter().enumerate() {
        let (_, f) = build(&leaves[..n]);
        assert_eq!(f.root(), h(want), "frontier root at size {n}");
        assert_eq!(root_at(store.as_slice(), n as u64).expect("root"), h(want), "stored root at size {n}");
    }
}

#[test]
fn inclusion_proofs_match_rfc6962_reference_paths() {
    let leaves: Vec<Hash> = reference_leaves().iter().map(|e| leaf_hash(e)).collect();
    let (store, _) = build(&leaves);
    let cases: [(u64, u64, &[&str]); 2] = [
        (0, 8, &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]),
        (5, 8, &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]),
    ];
    for (index, size, path) in cases {
        let proof = prove_inclusion(store.as_slice(), index, size).expect("read").expect("in range");
        let want: Vec<Hash> = path.iter().map(|s| h(s)).collect();
        assert_eq!(proof.path, want, "inclusion path of {index} in {size}");
        verify_inclusion(&leaves[index as usize], &proof, &h(ROOTS[size as usize])).expect("verifies");
    }
}

#[test]
fn consistency_proofs_match_rfc6962_reference_paths() {
    let leaves: Vec<Hash> = reference_leaves().iter().map(|e| leaf_hash(e)).collect();
    let (store, _) = build(&leaves);
    let cases: [(u64, u64, &[&str]); 2] = [
        (2, 8, &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]),
        (6, 8, &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]),
    ];
    for (old, new, path) in cases {
        let proof = prove_consistency(store.as_slice(), old, new).expect("read").expect("in range");
        let want: Vec<Hash> = path.iter().map(|s| h(s)).collect();
        assert_eq!(proof.path, want, "consistency path {old} -> {new}");
        verify_consistency(&proof, &h(ROOTS[old as usize]), &h(ROOTS[new as usize])).expect("verifies");
    }
}

#[test]
fn postorder_positions_are_where_the_frontier_writes() {
    let leaves: Vec<Hash> = (0u32..100).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let (store, f) = build(&leaves);
    assert_eq!(store.len() as u64, stored_hashes(100));
    assert_eq!(f.root(), mth(&leaves));
    for level in 0..7u32 {
        for index in 0..(100u64 >> level) {
            let lo = (index << level) as usize;
            let hi = ((index + 1) << level) as usize;
            assert_eq!(store[postorder_position(level, index) as usize], mth(&leaves[lo..hi]), "level {level} index {index}");
        }
    }
    for count in 0..store.len() as u64 {
        let (size, whole) = size_for_stored(count);
        assert!(stored_hashes(size) <= count && stored_hashes(size + 1) > count);
        assert_eq!(whole, stored_hashes(size) == count);
    }
    let reloaded = Frontier::load(store.as_slice(), 100).expect("load");
    assert_eq!(reloaded, f);
}

#[test]
fn proof_lengths_are_at_most_ceil_log2() {
    for n in 1u64..300 {
        let bound = 64 - (n - 1).leading_zeros() as usize;
        for i in 0..n {
            assert!(inclusion_ranges(i, n).len() <= bound, "inclusion {i} of {n}");
        }
        for m in 1..n {
            assert!(consistency_ranges(m, n).len() <= bound + 1, "consistency {m} -> {n}");
        }
    }
}

#[test]
fn degenerate_consistency_cases() {
    let leaves: Vec<Hash> = (0u32..5).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let r4 = mth(&leaves[..4]);
    let r5 = mth(&leaves);
    let p = |o, n, path: Vec<Hash>| ConsistencyProof { old_size: o, new_size: n, path };
    assert!(verify_consistency(&p(4, 4, vec![]), &r4, &r4).is_ok());
    assert!(verify_consistency(&p(4, 4, vec![]), &r4, &r5).is_err());
    assert!(verify_consistency(&p(4, 4, vec![[0; 32]]), &r4, &r4).is_err());
    assert!(verify_consistency(&p(0, 5, vec![]), &empty_root(), &r5).is_ok());
    assert!(verify_consistency(&p(0, 5, vec![]), &r4, &r5).is_err());
    assert!(verify_consistency(&p(5, 4, vec![]), &r5, &r4).is_err());
    assert!(verify_consistency(&p(4, 5, vec![]), &r4, &r5).is_err());
}

fn flip(path: &mut [Hash], bit: usize) {
    let n = path.len() * 256;
    let bit = bit % n;
    path[bit / 256][(bit % 256) / 8] ^= 1 << (bit % 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_inclusion_proof_verifies_and_any_flipped_bit_fails(size in 1u64..2000, seed in any::<u64>(), bit in any::<usize>()) {
        let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(&(i ^ seed).to_le_bytes())).collect();
        let (store, f) = build(&leaves);
        let root = f.root();
        prop_assert_eq!(root, mth(&leaves));
        let index = seed % size;
        let proof = prove_inclusion(store.as_slice(), index, size).expect("read").expect("in range");
        let bound = 64 - (size - 1).leading_zeros() as usize;
        prop_assert!(proof.path.len() <= bound);
        prop_assert!(verify_inclusion(&leaves[index as usize], &proof, &root).is_ok());
        if !proof.path.is_empty() {
            let mut bad = proof.clone();
            flip(&mut bad.path, bit);
            prop_assert!(verify_inclusion(&leaves[index as usize], &bad, &root).is_err());
            let mut short = proof.clone();
            short.path.pop();
            prop_assert!(verify_inclusion(&leaves[index as usize], &short, &root).is_err());
        }
        let mut long = proof.clone();
        long.path.push([0xab; 32]);
        prop_assert!(verify_inclusion(&leaves[index as usize], &long, &root).is_err());
        let mut leaf = leaves[index as usize];
        leaf[bit % 32] ^= 1 << (bit % 8);
        prop_assert!(verify_inclusion(&leaf, &proof, &root).is_err());
        let wrong_index = InclusionProof { index: (index + 1) % size, ..proof.clone() };
        if wrong_index.index != index && leaves[wrong_index.index as usize] != leaves[index as usize] {
            prop_assert!(verify_inclusion(&leaves[index as usize], &wrong_index, &root).is_err());
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_any_flipped_bit_fails(new in 1u64..2000, seed in any::<u64>(), bit in any::<usize>()) {
        let leaves: Vec<Hash> = (0..new).map(|i| leaf_hash(&(i ^ seed).to_le_bytes())).collect();
        let (store, f) = build(&leaves);
        let old = seed % (new + 1);
        let old_root = mth(&leaves[..old as usize]);
        let new_root = f.root();
        let proof = prove_consistency(store.as_slice(), old, new).expect("read").expect("in range");
        prop_assert!(proof.path.len() <= 64 - (new - 1).leading_zeros() as usize + 1);
        prop_assert!(verify_consistency(&proof, &old_root, &new_root).is_ok());
        if !proof.path.is_empty() {
            let mut bad = proof.clone();
            flip(&mut bad.path, bit);
            prop_assert!(verify_consistency(&bad, &old_root, &new_root).is_err());
            let mut short = proof.clone();
            short.path.pop();
            prop_assert!(verify_consistency(&short, &old_root, &new_root).is_err());
        }
        if old > 0 && old < new {
            let mut r = old_root;
            r[bit % 32] ^= 1 << (bit % 8);
            prop_assert!(verify_consistency(&proof, &r, &new_root).is_err());
            let mut r = new_root;
            r[bit % 32] ^= 1 << (bit % 8);
            prop_assert!(verify_consistency(&proof, &old_root, &r).is_err());
        }
    }
}
