//! Offline verification of a ledger directory (or an export of one): walk every record,
//! recompute the tree, compare it with the stored index and subtree hashes, check every
//! stored checkpoint's signature, order and root, and compare the checkpoints with the
//! external witness copy. Read-only: it takes no lock and changes nothing.
//!
//! Memory is bounded: one record, the tree's right edge and one root per checkpoint.

use crate::dir::{self, MAX_RECORD, RECORD_OVERHEAD};
use crate::entry::Entry;
use crate::error::{IoContext, Result};
use crate::hash::{Hash, leaf_hash, to_hex};
use crate::note::{Checkpoint, VerifierKey, open_checkpoint};
use crate::tree::{Frontier, postorder_position, size_for_stored};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Most problems listed (the first ones; one damage usually causes many).
pub const MAX_PROBLEMS: usize = 50;

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The first entry index concerned, when there is one.
    pub index: Option<u64>,
    /// What is wrong, precisely.
    pub message: String,
}

/// What verification found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Entries read from the log.
    pub size: u64,
    /// The recomputed root over them.
    pub root: Hash,
    /// Checkpoints checked in the ledger.
    pub checkpoints: usize,
    /// Checkpoints checked in the witness directory.
    pub witness_checkpoints: usize,
    /// Damage and tampering found.
    pub problems: Vec<Problem>,
    /// Observations that are not failures (a torn tail beyond every acknowledgement).
    pub notes: Vec<String>,
}

impl Report {
    /// True when nothing is wrong.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problem to lead with: the one at the lowest index, else the first.
    #[must_use]
    pub fn first(&self) -> Option<&Problem> {
        self.problems.iter().filter(|p| p.index.is_some()).min_by_key(|p| p.index).or(self.problems.first())
    }

    fn problem(&mut self, index: Option<u64>, message: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem { index, message });
        }
    }
}

/// What to verify.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The ledger directory or export.
    pub dir: PathBuf,
    /// The verifier key (from the operator; `ledger.pub` of the directory if absent).
    pub key: VerifierKey,
    /// The witness directory (the configured one if absent and the directory has a config).
    pub witness: Option<PathBuf>,
}

struct Checked {
    seq: u64,
    source: &'static str,
    cp: Checkpoint,
}

fn load_checkpoints(report: &mut Report, list: &[(u64, String)], key: &VerifierKey, origin: Option<&str>, source: &'static str) -> Vec<Checked> {
    let mut out = Vec::new();
    for (seq, note) in list {
        match open_checkpoint(note, key) {
            Ok(cp) => {
                if let Some(o) = origin
                    && cp.origin != o
                {
                    report.problem(None, format!("{source} checkpoint {seq}: origin {:?} is not this ledger's {o:?}", cp.origin));
                    continue;
                }
                out.push(Checked { seq: *seq, source, cp });
            }
            Err(e) => report.problem(None, format!("{source} checkpoint {seq}: {e}")),
        }
    }
    out
}

/// Stored leaf hash of entry `i`, if the tree file holds it.
fn stored_leaf(tree: &File, tree_size: u64, i: u64) -> Option<Hash> {
    if i >= tree_size {
        return None;
    }
    let mut h = [0u8; 32];
    tree.read_exact_at(&mut h, postorder_position(0, i) * 32).ok()?;
    Some(h)
}

/// Leaf hash of the record at `offset` (for looking ahead when explaining a mismatch).
fn leaf_at(log: &File, offset: u64, log_len: u64) -> Option<Hash> {
    match dir::read_record(log, offset, log_len).ok()? {
        dir::Record::Whole { leaf, .. } => Some(leaf),
        _ => None,
    }
}

/// Say what happened when entry `i`'s leaf differs from the stored one.
fn explain_mismatch(tree: &File, tree_size: u64, log: &File, log_len: u64, i: u64, leaf: &Hash, next_offset: u64) -> String {
    let next = leaf_at(log, next_offset, log_len);
    for j in i + 1..(i + 64).min(tree_size) {
        if stored_leaf(tree, tree_size, j).as_ref() == Some(leaf) {
            if next.is_some() && next == stored_leaf(tree, tree_size, i + 1) && j > i + 1 {
                return format!("entries {i} and {j} were swapped (entry {i} holds what was appended at {j})");
            }
            if next.is_some() && next == stored_leaf(tree, tree_size, i) && j == i + 1 {
                return format!("entries {i} and {j} were swapped");
            }
            if next == stored_leaf(tree, tree_size, j + 1) || (next.is_none() && j + 1 >= tree_size) {
                let gone = j - i;
                return format!("{gone} entr{} deleted at index {i} (the entry appended at {j} is now at {i})", if gone == 1 { "y was" } else { "ies were" });
            }
            return format!("entry {i} was replaced by a copy of entry {j}");
        }
    }
    if i > 0 && stored_leaf(tree, tree_size, i - 1).as_ref() == Some(leaf) {
        return format!("entry {i} repeats entry {} (an entry was duplicated or inserted)", i - 1);
    }
    format!("entry {i} differs from the entry appended at {i} (its leaf hash is not the one recorded in the tree): it was changed or replaced")
}

/// Verify a ledger directory or export.
///
/// # Errors
/// Only when a file that must exist cannot be opened; everything else is a [`Problem`].
pub fn verify(opts: &VerifyOptions) -> Result<Report> {
    let mut report = Report::default();
    let d = &opts.dir;
    let config = dir::DirConfig::load(d).ok();
    let origin = config.as_ref().map(|c| c.origin.clone());
    let witness = opts.witness.clone().or_else(|| config.as_ref().and_then(|c| c.witness.clone()));

    if let Ok(stored) = std::fs::read_to_string(d.join(dir::PUBLIC_KEY))
        && stored.trim() != opts.key.to_text()
    {
        report.problem(None, format!("the ledger's {} is not the key given for verification ({})", dir::PUBLIC_KEY, opts.key.label()));
    }
    let ledger_list = dir::read_checkpoint_dir(&d.join(dir::CHECKPOINTS))?;
    let ledger_cps = load_checkpoints(&mut report, &ledger_list, &opts.key, origin.as_deref(), "ledger");
    report.checkpoints = ledger_list.len();
    let (witness_list, witness_cps) = match &witness {
        Some(w) => {
            if !w.is_dir() {
                report.problem(None, format!("the witness directory {} is missing", w.display()));
            }
            if let Ok(wk) = std::fs::read_to_string(w.join(dir::PUBLIC_KEY))
                && wk.trim() != opts.key.to_text()
            {
                report.problem(None, format!("the witness's copy of the public key differs from {}", opts.key.label()));
            }
            let list = dir::read_checkpoint_dir(w)?;
            let cps = load_checkpoints(&mut report, &list, &opts.key, origin.as_deref(), "witness");
            (list, cps)
        }
        None => (Vec::new(), Vec::new()),
    };
    report.witness_checkpoints = witness_list.len();

    let mut roots: BTreeMap<u64, Option<Hash>> = ledger_cps.iter().chain(&witness_cps).map(|c| (c.cp.size, None)).collect();
    scan(d, &mut report, &mut roots)?;

    // The ledger's own checkpoints: signed (above), in order, within the log, with its root.
    let mut last: Option<&Checked> = None;
    let mut last_good: Option<u64> = None;
    for c in &ledger_cps {
        check_one(&mut report, c, &roots, &mut last_good);
        if let Some(prev) = last
            && c.cp.size < prev.cp.size
        {
            report.problem(
                Some(c.cp.size),
                format!(
                    "ledger checkpoint {} has size {}, smaller than checkpoint {}'s size {}: the log was truncated and re-signed, or an old checkpoint was replayed",
                    c.seq, c.cp.size, prev.seq, prev.cp.size
                ),
            );
        }
        last = Some(c);
    }
    // The witness copy: everything it holds must be in the ledger, byte for byte.
    let ledger_by_seq: BTreeMap<u64, &String> = ledger_list.iter().map(|(s, n)| (*s, n)).collect();
    for (seq, note) in &witness_list {
        match ledger_by_seq.get(seq) {
            Some(mine) if *mine == note => {}
            Some(_) => report.problem(None, format!("ledger checkpoint {seq} differs from the witness's copy: the ledger's checkpoints were rewritten")),
            None => {
                let size = witness_cps.iter().find(|c| c.seq == *seq).map_or_else(|| "?".to_string(), |c| c.cp.size.to_string());
                report.problem(
                    None,
                    format!("the witness holds checkpoint {seq} (size {size}) that the ledger lacks: the ledger was rolled back or its checkpoints deleted"),
                );
            }
        }
    }
    let mut wlast_good = None;
    for c in &witness_cps {
        check_one(&mut report, c, &roots, &mut wlast_good);
    }
    if witness.is_some() {
        let missing: Vec<String> = ledger_list.iter().filter(|(s, _)| !witness_list.iter().any(|(w, _)| w == s)).map(|(s, _)| s.to_string()).collect();
        if !missing.is_empty() {
            report.notes.push(format!("the witness lacks ledger checkpoints {} (made before the witness was configured, or its copy failed)", missing.join(", ")));
        }
    }
    Ok(report)
}

fn check_one(report: &mut Report, c: &Checked, roots: &BTreeMap<u64, Option<Hash>>, last_good: &mut Option<u64>) {
    let (seq, size, src) = (c.seq, c.cp.size, c.source);
    if size > report.size {
        report.problem(
            Some(report.size),
            format!("{src} checkpoint {seq} signs {size} entries but the log holds {}: entries from index {} on were deleted, or the log was rolled back", report.size, report.size),
        );
        return;
    }
    match roots.get(&size).copied().flatten() {
        Some(r) if r == c.cp.root => *last_good = Some(size),
        _ => {
            let from = last_good.unwrap_or(0);
            // A range, not an index: the entry scan names the index when it can.
            report.problem(
                None,
                format!(
                    "{src} checkpoint {seq} (size {size}): the log's root {} is not the signed root {}: an entry in {from}..{size} was changed, or the log was forked (truncated and appended to) after index {from}",
                    to_hex(&roots.get(&size).copied().flatten().unwrap_or_default()),
                    to_hex(&c.cp.root)
                ),
            );
        }
    }
}

/// Walk the log, recomputing leaves and the tree, against the index and tree files.
fn scan(d: &Path, report: &mut Report, roots: &mut BTreeMap<u64, Option<Hash>>) -> Result<()> {
    let (log_p, idx_p, tree_p) = (d.join(dir::LOG), d.join(dir::INDEX), d.join(dir::TREE));
    let log = File::open(&log_p).ctx("open", &log_p)?;
    let log_len = log.metadata().ctx("stat", &log_p)?.len();
    let idx = File::open(&idx_p).ctx("open", &idx_p)?;
    let idx_n = idx.metadata().ctx("stat", &idx_p)?.len() / 8;
    let tree = File::open(&tree_p).ctx("open", &tree_p)?;
    let tree_count = tree.metadata().ctx("stat", &tree_p)?.len() / 32;
    let tree_n = size_for_stored(tree_count).0;
    let committed = idx_n.min(tree_n);

    let mut log_r = BufReader::with_capacity(1 << 20, File::open(&log_p).ctx("open", &log_p)?);
    let mut idx_r = BufReader::with_capacity(1 << 16, idx.try_clone().ctx("open", &idx_p)?);
    let mut tree_r = BufReader::with_capacity(1 << 20, tree.try_clone().ctx("open", &tree_p)?);
    let mut frontier = Frontier::new();
    let mut emitted = Vec::with_capacity(65);
    let mut tree_ok = true;
    let mut offset = 0u64;
    let mut payload = Vec::with_capacity(MAX_RECORD as usize);
    if let Some(r) = roots.get_mut(&0) {
        *r = Some(frontier.root());
    }
    loop {
        let i = frontier.size();
        if offset == log_len {
            break;
        }
        let mut len = [0u8; 4];
        let cut = |report: &mut Report, why: &str| {
            if i < committed {
                report.problem(Some(i), format!("entry {i} (byte offset {offset}): {why}"));
            } else {
                report.notes.push(format!("a torn tail of {} bytes after entry {} was ignored (an interrupted, unacknowledged append)", log_len - offset, i.saturating_sub(1)));
            }
        };
        if log_len - offset < 4 {
            cut(report, "the record is cut short");
            break;
        }
        log_r.read_exact(&mut len).ctx("read", &log_p)?;
        let len = u32::from_be_bytes(len);
        if len > MAX_RECORD {
            cut(report, "impossible record length (the framing was changed)");
            break;
        }
        if log_len - offset < RECORD_OVERHEAD + u64::from(len) {
            cut(report, "the record is cut short");
            break;
        }
        payload.resize(len as usize, 0);
        log_r.read_exact(&mut payload).ctx("read", &log_p)?;
        let mut check = [0u8; 8];
        log_r.read_exact(&mut check).ctx("read", &log_p)?;
        let leaf = leaf_hash(&payload);
        let next_offset = offset + RECORD_OVERHEAD + u64::from(len);
        if check != leaf[..8] {
            if i >= committed && next_offset == log_len {
                cut(report, "the record's checksum does not match");
                break;
            }
            report.problem(Some(i), format!("entry {i} (byte offset {offset}): the record's checksum does not match its bytes: the entry was changed"));
        } else if let Err(e) = Entry::decode(&payload) {
            report.problem(Some(i), format!("entry {i} (byte offset {offset}): not a valid entry ({e})"));
        }
        if i < idx_n {
            let mut o = [0u8; 8];
            idx_r.read_exact(&mut o).ctx("read", &idx_p)?;
            let o = u64::from_be_bytes(o);
            if o != offset && tree_ok {
                report.problem(Some(i), format!("entry {i}: the index places it at byte {o}, but it is at byte {offset} (entries before it were added, removed or resized)"));
                tree_ok = false;
            }
        }
        emitted.clear();
        frontier.push(leaf, &mut emitted);
        for (k, h) in emitted.iter().enumerate() {
            let pos = postorder_position(0, i) + k as u64;
            if pos >= tree_count {
                break;
            }
            let mut stored = [0u8; 32];
            tree_r.read_exact(&mut stored).ctx("read", &tree_p)?;
            if tree_ok && stored != *h {
                tree_ok = false;
                let msg = if k == 0 {
                    explain_mismatch(&tree, tree_n, &log, log_len, i, &leaf, next_offset)
                } else {
                    format!("the stored subtree hash at tree position {pos} (completed by entry {i}) is wrong: tree.hashes was altered")
                };
                report.problem(Some(i), msg);
            }
        }
        if let Some(r) = roots.get_mut(&frontier.size()) {
            *r = Some(frontier.root());
        }
        offset = next_offset;
    }
    let n = frontier.size();
    if tree_n > n && tree_ok {
        report.problem(Some(n), format!("the tree records {tree_n} entries but the log holds {n}: entries from index {n} on were deleted"));
    } else if idx_n > n && tree_ok {
        report.problem(Some(n), format!("the index records {idx_n} entries but the log holds {n}: entries from index {n} on were deleted"));
    } else if n > committed {
        report.notes.push(format!("entries {committed}..{n} are in the log but not committed to the index and tree (an interrupted append; cut on the next open)"));
    }
    report.size = n;
    report.root = frontier.root();
    Ok(())
}
