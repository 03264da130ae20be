//! Merkle tree math of RFC 9162 section 2.1: tree heads, inclusion and consistency proofs and
//! their verification, over stored hashes of complete subtrees.
//!
//! Storage layout: every complete subtree's hash is stored once, in post-order (a leaf, then
//! each subtree that leaf completes). Appending leaf `j` writes its hash and then one node per
//! trailing one bit of `j`, so the store only ever grows at its end and a tree of `n` leaves
//! holds `2n - popcount(n)` hashes. Any RFC subtree hash, `MTH(D[a:b])` for the ranges the
//! proofs visit, is a right fold over at most 64 stored hashes, so a proof at any size costs
//! O(log² n) hash reads in the worst case and never touches an entry.

use crate::hash::{Hash, empty_root, node_hash};

/// Longest proof accepted: a tree of at most 2^64 leaves has paths of at most 64 hashes.
pub const MAX_PROOF_HASHES: usize = 64;

/// Position in post-order storage of the complete subtree at `level` (0 = leaves) and `index`
/// (its leaves are `index << level .. (index + 1) << level`).
#[must_use]
pub fn postorder_position(level: u32, index: u64) -> u64 {
    let last_leaf = ((index + 1) << level) - 1;
    2 * last_leaf - u64::from(last_leaf.count_ones()) + u64::from(level)
}

/// How many hashes the store holds for a tree of `size` leaves.
#[must_use]
pub fn stored_hashes(size: u64) -> u64 {
    2 * size - u64::from(size.count_ones())
}

/// The largest tree size whose hashes fit in `count` stored hashes, if `count` is a whole
/// number of appends (a torn write leaves a count in between).
#[must_use]
pub fn size_for_stored(count: u64) -> (u64, bool) {
    // stored_hashes is increasing; size is about count / 2.
    let mut size = count / 2;
    while stored_hashes(size + 1) <= count {
        size += 1;
    }
    while size > 0 && stored_hashes(size) > count {
        size -= 1;
    }
    (size, stored_hashes(size) == count)
}

/// The largest power of two strictly below `n` (n >= 2).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The complete subtrees (level, index) covering `[lo, hi)` from left to right, largest first.
fn subtrees(lo: u64, hi: u64, out: &mut Vec<(u32, u64)>) {
    let mut a = lo;
    while a < hi {
        let mut level = if a == 0 { 63 } else { a.trailing_zeros() };
        while level > 0 && (hi - a) < (1u64 << level) {
            level -= 1;
        }
        out.push((level, a >> level));
        a += 1 << level;
    }
}

/// Somewhere the hashes of complete subtrees can be read from (a file, a table, memory).
pub trait NodeSource {
    /// The error of a failed read.
    type Error;
    /// The stored hashes at these post-order positions, in the same order.
    ///
    /// # Errors
    /// When the store cannot be read or does not hold a position.
    fn read_nodes(&self, positions: &[u64]) -> Result<Vec<Hash>, Self::Error>;
}

impl NodeSource for [Hash] {
    type Error = ProofError;
    fn read_nodes(&self, positions: &[u64]) -> Result<Vec<Hash>, ProofError> {
        positions
            .iter()
            .map(|&p| usize::try_from(p).ok().and_then(|p| self.get(p).copied()).ok_or(ProofError::OutOfRange))
            .collect()
    }
}

/// Hashes of the RFC subtrees `MTH(D[lo:hi])` for several ranges, with one batched read.
fn range_hashes<S: NodeSource + ?Sized>(src: &S, ranges: &[(u64, u64)]) -> Result<Vec<Hash>, S::Error> {
    let mut parts = Vec::with_capacity(ranges.len());
    let mut positions = Vec::new();
    let mut cover = Vec::new();
    for &(lo, hi) in ranges {
        cover.clear();
        subtrees(lo, hi, &mut cover);
        parts.push(cover.len());
        positions.extend(cover.iter().map(|&(l, i)| postorder_position(l, i)));
    }
    let nodes = src.read_nodes(&positions)?;
    let mut out = Vec::with_capacity(ranges.len());
    let mut at = 0;
    for n in parts {
        let chunk = nodes.get(at..at + n).unwrap_or(&[]);
        at += n;
        out.push(fold_right(chunk));
    }
    Ok(out)
}

/// `MTH` of consecutive complete subtrees, largest first: the RFC splits at the largest power
/// of two, so the tree is the right fold of its binary decomposition.
fn fold_right(chunk: &[Hash]) -> Hash {
    let Some((last, rest)) = chunk.split_last() else { return empty_root() };
    rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc))
}

/// The tree head (root hash) at `size`.
///
/// # Errors
/// When the store cannot be read.
pub fn root_at<S: NodeSource + ?Sized>(src: &S, size: u64) -> Result<Hash, S::Error> {
    if size == 0 {
        return Ok(empty_root());
    }
    Ok(range_hashes(src, &[(0, size)])?.pop().unwrap_or_else(empty_root))
}

/// The ranges whose hashes make the inclusion proof of leaf `index` in a tree of `size`
/// (RFC 9162 section 2.1.3.1), bottom-up.
fn inclusion_ranges(index: u64, size: u64) -> Vec<(u64, u64)> {
    let (mut lo, mut hi) = (0, size);
    let mut out = Vec::new();
    while hi - lo > 1 {
        let k = split(hi - lo);
        if index - lo < k {
            out.push((lo + k, hi));
            hi = lo + k;
        } else {
            out.push((lo, lo + k));
            lo += k;
        }
    }
    out.reverse();
    out
}

/// The ranges of the consistency proof from `old` to `new` (RFC 9162 section 2.1.4.1),
/// bottom-up; `0 < old < new`.
fn consistency_ranges(old: u64, new: u64) -> Vec<(u64, u64)> {
    let (mut lo, mut hi) = (0, new);
    let mut whole = true;
    let mut out = Vec::new();
    loop {
        if old == hi {
            if !whole {
                out.push((lo, hi));
            }
            break;
        }
        let k = split(hi - lo);
        if old - lo <= k {
            out.push((lo + k, hi));
            hi = lo + k;
        } else {
            out.push((lo, lo + k));
            lo += k;
            whole = false;
        }
    }
    out.reverse();
    out
}

/// Proof that leaf `index` is in the tree of `size` leaves.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InclusionProof {
    /// The leaf's index (0-based).
    pub index: u64,
    /// The tree size the proof is for.
    pub size: u64,
    /// Sibling hashes, bottom-up.
    #[serde(with = "hex_hashes")]
    pub path: Vec<Hash>,
}

/// Proof that the tree of `old_size` leaves is a prefix of the tree of `new_size` leaves.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConsistencyProof {
    /// The earlier size.
    pub old_size: u64,
    /// The later size.
    pub new_size: u64,
    /// Hashes, bottom-up.
    #[serde(with = "hex_hashes")]
    pub path: Vec<Hash>,
}

/// Build the inclusion proof of leaf `index` in the tree of `size` leaves.
///
/// # Errors
/// `Ok(None)` when `index >= size`; an error when the store cannot be read.
pub fn prove_inclusion<S: NodeSource + ?Sized>(src: &S, index: u64, size: u64) -> Result<Option<InclusionProof>, S::Error> {
    if index >= size {
        return Ok(None);
    }
    let path = range_hashes(src, &inclusion_ranges(index, size))?;
    Ok(Some(InclusionProof { index, size, path }))
}

/// Build the consistency proof from `old_size` to `new_size`.
///
/// # Errors
/// `Ok(None)` when `old_size > new_size`; an error when the store cannot be read.
pub fn prove_consistency<S: NodeSource + ?Sized>(src: &S, old_size: u64, new_size: u64) -> Result<Option<ConsistencyProof>, S::Error> {
    if old_size > new_size {
        return Ok(None);
    }
    let path = if old_size == 0 || old_size == new_size {
        Vec::new()
    } else {
        range_hashes(src, &consistency_ranges(old_size, new_size))?
    };
    Ok(Some(ConsistencyProof { old_size, new_size, path }))
}

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The index is not below the size, or the sizes are out of order.
    #[error("index or size out of range")]
    OutOfRange,
    /// The proof has more or fewer hashes than the sizes call for.
    #[error("proof has the wrong number of hashes")]
    WrongLength,
    /// The hashes do not lead to the expected root.
    #[error("proof does not lead to the expected root")]
    RootMismatch,
}

/// Check an inclusion proof against a tree head (RFC 9162 section 2.1.3.2).
///
/// # Errors
/// Why the proof fails.
pub fn verify_inclusion(leaf: &Hash, proof: &InclusionProof, root: &Hash) -> Result<(), ProofError> {
    if proof.index >= proof.size {
        return Err(ProofError::OutOfRange);
    }
    if proof.path.len() > MAX_PROOF_HASHES {
        return Err(ProofError::WrongLength);
    }
    let (mut f, mut s) = (proof.index, proof.size - 1);
    let mut r = *leaf;
    for p in &proof.path {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Check a consistency proof between two tree heads (RFC 9162 section 2.1.4.2).
///
/// # Errors
/// Why the proof fails.
pub fn verify_consistency(proof: &ConsistencyProof, old_root: &Hash, new_root: &Hash) -> Result<(), ProofError> {
    let (old, new) = (proof.old_size, proof.new_size);
    if old > new {
        return Err(ProofError::OutOfRange);
    }
    if proof.path.len() > MAX_PROOF_HASHES {
        return Err(ProofError::WrongLength);
    }
    if old == new {
        if !proof.path.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if old_root == new_root { Ok(()) } else { Err(ProofError::RootMismatch) };
    }
    if old == 0 {
        // Every tree extends the empty one; the proof is empty and the old root is fixed.
        if !proof.path.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if *old_root == empty_root() { Ok(()) } else { Err(ProofError::RootMismatch) };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.path.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(&proof.path);
    let Some((first, rest)) = path.split_first() else { return Err(ProofError::WrongLength) };
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *old_root || sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The right edge of the tree: the hashes of the complete subtrees that make up the current
/// size, largest first. Enough to append and to compute the root, in O(log n) memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    stack: Vec<Hash>,
}

impl Frontier {
    /// The empty tree.
    #[must_use]
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// The frontier of a stored tree of `size` leaves.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn load<S: NodeSource + ?Sized>(src: &S, size: u64) -> Result<Frontier, S::Error> {
        let mut cover = Vec::new();
        subtrees(0, size, &mut cover);
        let positions: Vec<u64> = cover.iter().map(|&(l, i)| postorder_position(l, i)).collect();
        Ok(Frontier { size, stack: src.read_nodes(&positions)? })
    }

    /// Leaves in the tree.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Add a leaf; `out` receives the hashes to store, in post-order (the leaf, then each
    /// subtree it completes).
    pub fn push(&mut self, leaf: Hash, out: &mut Vec<Hash>) {
        out.push(leaf);
        let mut h = leaf;
        let mut s = self.size;
        while s & 1 == 1 {
            let Some(left) = self.stack.pop() else { break };
            h = node_hash(&left, &h);
            out.push(h);
            s >>= 1;
        }
        self.stack.push(h);
        self.size += 1;
    }

    /// The tree head.
    #[must_use]
    pub fn root(&self) -> Hash {
        fold_right(&self.stack)
    }
}

/// Binary form of proofs: `u8 kind (1 inclusion, 2 consistency) | u64 BE | u64 BE | u8 count |
/// count x 32 bytes`; the two numbers are (index, size) or (old size, new size).
pub mod bytes {
    use super::{ConsistencyProof, Hash, InclusionProof, MAX_PROOF_HASHES};

    /// A proof of either kind.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Proof {
        /// Inclusion.
        Inclusion(InclusionProof),
        /// Consistency.
        Consistency(ConsistencyProof),
    }

    fn put(kind: u8, a: u64, b: u64, path: &[Hash]) -> Vec<u8> {
        let mut out = Vec::with_capacity(18 + 32 * path.len());
        out.push(kind);
        out.extend_from_slice(&a.to_be_bytes());
        out.extend_from_slice(&b.to_be_bytes());
        out.push(u8::try_from(path.len()).unwrap_or(u8::MAX));
        for h in path {
            out.extend_from_slice(h);
        }
        out
    }

    /// Encode.
    #[must_use]
    pub fn encode(p: &Proof) -> Vec<u8> {
        match p {
            Proof::Inclusion(p) => put(1, p.index, p.size, &p.path),
            Proof::Consistency(p) => put(2, p.old_size, p.new_size, &p.path),
        }
    }

    /// Decode strictly: known kind, at most 64 hashes, no trailing bytes. `None` if malformed.
    #[must_use]
    pub fn decode(data: &[u8]) -> Option<Proof> {
        if data.len() < 18 {
            return None;
        }
        let kind = data[0];
        let a = u64::from_be_bytes(data[1..9].try_into().ok()?);
        let b = u64::from_be_bytes(data[9..17].try_into().ok()?);
        let count = usize::from(data[17]);
        let rest = &data[18..];
        if count > MAX_PROOF_HASHES || rest.len() != count * 32 {
            return None;
        }
        let path: Vec<Hash> = rest.chunks_exact(32).map(|c| c.try_into().ok()).collect::<Option<_>>()?;
        match kind {
            1 => Some(Proof::Inclusion(InclusionProof { index: a, size: b, path })),
            2 => Some(Proof::Consistency(ConsistencyProof { old_size: a, new_size: b, path })),
            _ => None,
        }
    }
}

/// Serde of hash lists as lower-case hex strings (JSON proofs for the CLI).
mod hex_hashes {
    use crate::hash::{Hash, from_hex, to_hex};
    use serde::{Deserialize, Deserializer, Serializer, de::Error, ser::SerializeSeq};

    pub fn serialize<S: Serializer>(v: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for h in v {
            seq.serialize_element(&to_hex(h))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        let v: Vec<String> = Vec::deserialize(d)?;
        if v.len() > super::MAX_PROOF_HASHES {
            return Err(D::Error::custom("too many hashes"));
        }
        v.iter().map(|s| from_hex::<32>(s).ok_or_else(|| D::Error::custom("not a 32-byte hex hash"))).collect()
    }
}

#[cfg(test)]
mod tests;
