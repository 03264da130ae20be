//! The ledger in a directory: three append-only files and the checkpoints.
//!
//! ```text
//! ledger.json          format version, origin, witness directory
//! ledger.key           private key (0600), ledger.pub its verifier key
//! entries.log          records: u32 BE length | canonical entry | first 8 bytes of its leaf hash
//! entries.idx          u64 BE byte offset of each record in entries.log
//! tree.hashes          32-byte subtree hashes in post-order (see `tree`)
//! checkpoints/NNNNNNNNNN.note   signed checkpoints, by sequence number
//! ```
//!
//! A batch is written to the three files and then `fdatasync`ed, log first; only then is it
//! acknowledged. On open, the files are brought back to the last entry they all agree on (the
//! record at the last index offset is whole, its check matches and its leaf hash is the one in
//! the tree): whatever follows is a torn, unacknowledged tail and is cut off. Open refuses to
//! cut below the newest checkpoint: that is not a crash but damage, for `verify` to explain.

use crate::error::{IoContext, LedgerError, Result};
use crate::hash::{Hash, leaf_hash};
use crate::storage::Storage;
use crate::tree::{postorder_position, size_for_stored, stored_hashes};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Configuration file name.
pub const CONFIG: &str = "ledger.json";
/// Private key file name.
pub const PRIVATE_KEY: &str = "ledger.key";
/// Public (verifier) key file name.
pub const PUBLIC_KEY: &str = "ledger.pub";
/// Entry records.
pub const LOG: &str = "entries.log";
/// Record offsets.
pub const INDEX: &str = "entries.idx";
/// Subtree hashes.
pub const TREE: &str = "tree.hashes";
/// Checkpoint directory.
pub const CHECKPOINTS: &str = "checkpoints";
const LOCK: &str = "ledger.lock";

/// Bytes of framing around each record: length before, check after.
pub const RECORD_OVERHEAD: u64 = 4 + 8;
/// Largest record payload accepted when reading (larger lengths are damage).
pub const MAX_RECORD: u32 = 64 * 1024;

/// `ledger.json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirConfig {
    /// Layout version (1).
    pub format: u32,
    /// The checkpoints' origin line.
    pub origin: String,
    /// Where every checkpoint is also written (an operator-chosen directory on other storage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<PathBuf>,
}

impl DirConfig {
    /// Read `ledger.json` of a ledger directory.
    ///
    /// # Errors
    /// Missing or invalid.
    pub fn load(dir: &Path) -> Result<DirConfig> {
        let p = dir.join(CONFIG);
        let text = std::fs::read_to_string(&p).ctx("read", &p)?;
        let c: DirConfig = serde_json::from_str(&text).map_err(|e| LedgerError::Config(format!("{}: {e}", p.display())))?;
        if c.format != 1 {
            return Err(LedgerError::Config(format!("{}: unknown format {}", p.display(), c.format)));
        }
        Ok(c)
    }
}

/// Frame a record: length, payload, check.
pub fn frame(out: &mut Vec<u8>, payload: &[u8], leaf: &Hash) {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&leaf[..8]);
}

/// What is at an offset of the log.
#[derive(Debug, PartialEq, Eq)]
pub enum Record {
    /// A whole record whose check matches: its payload and leaf hash.
    Whole {
        /// Canonical entry bytes.
        payload: Vec<u8>,
        /// Its leaf hash.
        leaf: Hash,
    },
    /// The file ends inside the record (a torn write).
    Torn,
    /// The record is whole but wrong: says how.
    Bad(&'static str),
}

/// Read the record at `offset`.
///
/// # Errors
/// When the file cannot be read.
pub fn read_record(file: &File, offset: u64, file_len: u64) -> std::io::Result<Record> {
    if file_len < offset + 4 {
        return Ok(Record::Torn);
    }
    let mut len = [0u8; 4];
    file.read_exact_at(&mut len, offset)?;
    let len = u32::from_be_bytes(len);
    if len > MAX_RECORD {
        return Ok(Record::Bad("impossible record length"));
    }
    if file_len < offset + RECORD_OVERHEAD + u64::from(len) {
        return Ok(Record::Torn);
    }
    let mut buf = vec![0u8; len as usize + 8];
    file.read_exact_at(&mut buf, offset + 4)?;
    let check = buf.split_off(len as usize);
    let leaf = leaf_hash(&buf);
    if check != leaf[..8] {
        return Ok(Record::Bad("record checksum does not match its bytes"));
    }
    Ok(Record::Whole { payload: buf, leaf })
}

/// What opening repaired.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Entries in the log after recovery.
    pub size: u64,
    /// Bytes of a torn tail cut from `entries.log`.
    pub log_bytes_cut: u64,
    /// Entries whose index or tree hashes were written but not all files agreed (never acknowledged).
    pub entries_cut: u64,
}

struct Tail {
    log_len: u64,
    size: u64,
}

/// The directory store. Holds an exclusive lock on the directory while open.
#[derive(Debug)]
pub struct DirStore {
    dir: PathBuf,
    log: File,
    idx: File,
    tree: File,
    tail: Mutex<Tail>,
    size: AtomicU64,
    /// Durable length of the log, readable without waiting for a commit in flight.
    log_len: AtomicU64,
    _lock: File,
}

impl std::fmt::Debug for Tail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tail({} entries, {} log bytes)", self.size, self.log_len)
    }
}

fn open_rw(path: &Path, create: bool) -> Result<File> {
    OpenOptions::new().read(true).write(true).create(create).mode(0o600).open(path).ctx("open", path)
}

/// Create the files of an empty ledger (the directory and config must exist).
pub(crate) fn create_files(dir: &Path) -> Result<()> {
    for name in [LOG, INDEX, TREE] {
        let p = dir.join(name);
        OpenOptions::new().write(true).create_new(true).mode(0o600).open(&p).ctx("create", &p)?;
    }
    let cp = dir.join(CHECKPOINTS);
    std::fs::create_dir(&cp).ctx("create", &cp)?;
    sync_dir(dir)
}

/// fsync a directory so that new names in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).ctx("sync", dir)
}

/// Write a file whole and durably: temporary name, fsync, rename, fsync the directory.
pub(crate) fn write_durable(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("tmp");
    let mut f = OpenOptions::new().write(true).create(true).truncate(true).mode(mode).open(&tmp).ctx("create", &tmp)?;
    // `mode` applies only to a new file; a leftover temporary keeps its own unless set.
    f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode)).ctx("chmod", &tmp)?;
    f.write_all(bytes).ctx("write", &tmp)?;
    f.sync_all().ctx("sync", &tmp)?;
    std::fs::rename(&tmp, path).ctx("rename", path)?;
    sync_dir(dir)
}

/// Checkpoint file name of a sequence number.
#[must_use]
pub fn checkpoint_name(seq: u64) -> String {
    format!("{seq:010}.note")
}

/// The checkpoints in a directory, by sequence number (files named `NNNNNNNNNN.note`);
/// at most `limit` bytes each.
///
/// # Errors
/// When the directory cannot be read.
pub fn read_checkpoint_dir(dir: &Path) -> Result<Vec<(u64, String)>> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).ctx("read", dir),
    };
    for e in rd {
        let e = e.ctx("read", dir)?;
        let name = e.file_name();
        let Some(seq) = name.to_str().and_then(|n| n.strip_suffix(".note")).and_then(|n| n.parse::<u64>().ok()) else { continue };
        let p = e.path();
        let mut text = String::new();
        File::open(&p).ctx("open", &p)?.take(crate::note::MAX_NOTE as u64 + 1).read_to_string(&mut text).map_err(|_| {
            LedgerError::Inconsistent(format!("{} is not UTF-8 text", p.display()))
        })?;
        out.push((seq, text));
    }
    out.sort_by_key(|(s, _)| *s);
    Ok(out)
}

impl DirStore {
    /// Open a ledger directory for appending: lock it, bring its files into agreement (cutting a
    /// torn tail), and refuse if that would drop entries a checkpoint covers.
    ///
    /// # Errors
    /// Busy, unreadable, or inconsistent beyond a torn tail.
    pub fn open(dir: &Path) -> Result<(DirStore, Recovery)> {
        let lock_path = dir.join(LOCK);
        let lock = open_rw(&lock_path, true)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(LedgerError::Busy(dir.to_path_buf())),
            Err(std::fs::TryLockError::Error(e)) => return Err(e).ctx("lock", &lock_path),
        }
        let (log_p, idx_p, tree_p) = (dir.join(LOG), dir.join(INDEX), dir.join(TREE));
        let log = open_rw(&log_p, false)?;
        let idx = open_rw(&idx_p, false)?;
        let tree = open_rw(&tree_p, false)?;
        let log_len = log.metadata().ctx("stat", &log_p)?.len();
        let idx_n = idx.metadata().ctx("stat", &idx_p)?.len() / 8;
        let tree_n = size_for_stored(tree.metadata().ctx("stat", &tree_p)?.len() / 32).0;
        let claimed = idx_n.min(tree_n);
        let mut n = claimed;
        // Walk back from the last entry the index and tree both hold to one the log agrees with.
        let end = loop {
            if n == 0 {
                break 0;
            }
            let mut off = [0u8; 8];
            idx.read_exact_at(&mut off, (n - 1) * 8).ctx("read", &idx_p)?;
            let off = u64::from_be_bytes(off);
            let mut stored = [0u8; 32];
            tree.read_exact_at(&mut stored, postorder_position(0, n - 1) * 32).ctx("read", &tree_p)?;
            if let Record::Whole { payload, leaf } = read_record(&log, off, log_len).ctx("read", &log_p)?
                && leaf == stored
            {
                break off + RECORD_OVERHEAD + payload.len() as u64;
            }
            n -= 1;
            if claimed - n > 1_000_000 {
                return Err(LedgerError::Inconsistent(format!("more than a million entries before index {claimed} do not match the log")));
            }
        };
        let newest = read_checkpoint_dir(&dir.join(CHECKPOINTS))?
            .last()
            .and_then(|(_, note)| crate::note::parse_note(note).ok().and_then(|n| crate::note::Checkpoint::parse_text(n.text).ok()))
            .map_or(0, |c| c.size);
        if n < newest {
            return Err(LedgerError::Inconsistent(format!(
                "only {n} entries are whole and agree with the index and tree, but a checkpoint covers {newest}"
            )));
        }
        if log_len < end {
            return Err(LedgerError::Inconsistent("the log is shorter than its last record".into()));
        }
        let recovery = Recovery { size: n, log_bytes_cut: log_len - end, entries_cut: claimed - n };
        log.set_len(end).ctx("truncate", &log_p)?;
        idx.set_len(n * 8).ctx("truncate", &idx_p)?;
        tree.set_len(stored_hashes(n) * 32).ctx("truncate", &tree_p)?;
        if recovery.log_bytes_cut > 0 || idx_n > n || tree_n > n {
            for (f, p) in [(&log, &log_p), (&idx, &idx_p), (&tree, &tree_p)] {
                f.sync_data().ctx("sync", p)?;
            }
        }
        let store = DirStore {
            dir: dir.to_path_buf(),
            log,
            idx,
            tree,
            tail: Mutex::new(Tail { log_len: end, size: n }),
            size: AtomicU64::new(n),
            log_len: AtomicU64::new(end),
            _lock: lock,
        };
        Ok((store, recovery))
    }

    /// The directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn undo(&self, tail: &Tail) {
        // Best effort: the next open cuts whatever this leaves behind.
        let _ = self.log.set_len(tail.log_len);
        let _ = self.idx.set_len(tail.size * 8);
        let _ = self.tree.set_len(stored_hashes(tail.size) * 32);
    }
}

impl Storage for DirStore {
    fn size(&self) -> u64 {
        self.size.load(Ordering::Acquire)
    }

    fn append(&self, records: &[Vec<u8>], hashes: &[Hash]) -> Result<()> {
        let mut tail = self.tail.lock().map_err(|_| LedgerError::Closed)?;
        let mut log_buf = Vec::with_capacity(records.iter().map(|r| r.len() + 12).sum());
        let mut idx_buf = Vec::with_capacity(records.len() * 8);
        let mut at = tail.log_len;
        let mut tree_at = stored_hashes(tail.size);
        for r in records {
            // The leaf hash is the first of the hashes each record contributes.
            let pos = postorder_position(0, tail.size + (idx_buf.len() / 8) as u64) - tree_at;
            let leaf = hashes.get(usize::try_from(pos).unwrap_or(usize::MAX)).copied().unwrap_or_else(|| leaf_hash(r));
            idx_buf.extend_from_slice(&at.to_be_bytes());
            frame(&mut log_buf, r, &leaf);
            at += r.len() as u64 + RECORD_OVERHEAD;
        }
        let tree_buf: Vec<u8> = hashes.iter().flat_map(|h| h.iter().copied()).collect();
        let result = (|| {
            let d = &self.dir;
            self.log.write_all_at(&log_buf, tail.log_len).ctx("write", &d.join(LOG))?;
            self.idx.write_all_at(&idx_buf, tail.size * 8).ctx("write", &d.join(INDEX))?;
            self.tree.write_all_at(&tree_buf, tree_at * 32).ctx("write", &d.join(TREE))?;
            // The three flushes at once: the file system can fold them into one journal commit.
            // Nothing is acknowledged until all three return, and recovery copes with any subset.
            std::thread::scope(|s| {
                let idx = s.spawn(|| self.idx.sync_data());
                let tree = s.spawn(|| self.tree.sync_data());
                let log = self.log.sync_data();
                let joined = |h: std::thread::ScopedJoinHandle<'_, std::io::Result<()>>| h.join().unwrap_or_else(|_| Err(std::io::Error::other("sync thread failed")));
                log.ctx("sync", &d.join(LOG))?;
                joined(idx).ctx("sync", &d.join(INDEX))?;
                joined(tree).ctx("sync", &d.join(TREE))
            })
        })();
        if let Err(e) = result {
            self.undo(&tail);
            return Err(e);
        }
        tail.log_len = at;
        tail.size += records.len() as u64;
        tree_at += hashes.len() as u64;
        debug_assert_eq!(tree_at, stored_hashes(tail.size));
        self.log_len.store(tail.log_len, Ordering::Release);
        self.size.store(tail.size, Ordering::Release);
        Ok(())
    }

    fn read_nodes(&self, positions: &[u64]) -> Result<Vec<Hash>> {
        let limit = stored_hashes(self.size());
        let p = self.dir.join(TREE);
        positions
            .iter()
            .map(|&pos| {
                if pos >= limit {
                    return Err(LedgerError::OutOfRange(format!("tree position {pos} is not stored")));
                }
                let mut h = [0u8; 32];
                self.tree.read_exact_at(&mut h, pos * 32).ctx("read", &p)?;
                Ok(h)
            })
            .collect()
    }

    fn read_entry(&self, index: u64) -> Result<Vec<u8>> {
        let size = self.size();
        if index >= size {
            return Err(LedgerError::OutOfRange(format!("entry {index} is beyond the log's {size} entries")));
        }
        let mut off = [0u8; 8];
        self.idx.read_exact_at(&mut off, index * 8).ctx("read", &self.dir.join(INDEX))?;
        let log_len = self.log_len.load(Ordering::Acquire);
        match read_record(&self.log, u64::from_be_bytes(off), log_len).ctx("read", &self.dir.join(LOG))? {
            Record::Whole { payload, .. } => Ok(payload),
            Record::Torn => Err(LedgerError::Inconsistent(format!("entry {index}: record is cut short"))),
            Record::Bad(why) => Err(LedgerError::Inconsistent(format!("entry {index}: {why}"))),
        }
    }

    fn store_checkpoint(&self, seq: u64, note: &str) -> Result<()> {
        write_durable(&self.dir.join(CHECKPOINTS).join(checkpoint_name(seq)), note.as_bytes(), 0o644)
    }

    fn checkpoints(&self) -> Result<Vec<(u64, String)>> {
        read_checkpoint_dir(&self.dir.join(CHECKPOINTS))
    }
}
