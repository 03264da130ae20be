//! The ledger: group commit over a [`Storage`], signed checkpoints (kept with the log and
//! copied to the witness directory), and proofs.
//!
//! One writer thread owns the tree's right edge. Appenders, from any thread or tokio task,
//! queue their entry and wait; the writer takes everything queued, hashes it, makes the whole
//! batch durable in one storage commit (one round of `fdatasync`, or one transaction) and
//! only then answers each appender with its index. While a commit is in flight the next batch
//! gathers, so the more appenders there are, the more each commit carries.

use crate::dir::{self, DirConfig, DirStore, Recovery};
use crate::entry::Entry;
use crate::error::{IoContext, LedgerError, Result};
use crate::hash::{Hash, leaf_hash};
use crate::note::{Checkpoint, SigningKey, VerifierKey};
use crate::storage::{Nodes, Storage};
use crate::tree::{self, ConsistencyProof, Frontier, InclusionProof};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

/// Most entries one commit carries. After a failed commit the writer stops (its batch gets the
/// error, later appends `Closed`): reopen the ledger, which recovers from what is on disk.
pub const MAX_BATCH: usize = 8192;

struct Request {
    record: Vec<u8>,
    reply: tokio::sync::oneshot::Sender<Result<u64>>,
}

/// The tree head after the last durable commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeHead {
    /// Entries.
    pub size: u64,
    /// Root over them.
    pub root: Hash,
}

#[derive(Debug)]
struct Shared {
    storage: Arc<dyn Storage>,
    head: Mutex<TreeHead>,
    committed: AtomicU64,
    commits: AtomicU64,
}

impl std::fmt::Debug for dyn Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Storage({} entries)", self.size())
    }
}

/// Where checkpoints go and who signs them.
#[derive(Debug)]
pub struct Signer {
    /// The origin line.
    pub origin: String,
    /// The signing key.
    pub key: SigningKey,
    /// The external witness directory, if any.
    pub witness: Option<PathBuf>,
}

/// An open ledger. Cheap to share behind an `Arc`; closes (after the queued commits) on drop.
#[derive(Debug)]
pub struct Ledger {
    shared: Arc<Shared>,
    queue: Mutex<Option<mpsc::Sender<Request>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    signer: Option<Signer>,
    checkpoint_lock: Mutex<()>,
}

/// An entry queued for commit; wait for its index.
#[derive(Debug)]
pub struct Pending(tokio::sync::oneshot::Receiver<Result<u64>>);

impl Pending {
    /// Block until the entry is durable (not from inside an async task: use [`Pending::wait_async`]).
    ///
    /// # Errors
    /// The commit failed or the ledger closed.
    pub fn wait(self) -> Result<u64> {
        self.0.blocking_recv().unwrap_or(Err(LedgerError::Closed))
    }

    /// Wait until the entry is durable.
    ///
    /// # Errors
    /// The commit failed or the ledger closed.
    pub async fn wait_async(self) -> Result<u64> {
        self.0.await.unwrap_or(Err(LedgerError::Closed))
    }
}

/// Create a ledger directory: configuration, an Ed25519 key pair (private key 0600, verifier key
/// in `ledger.pub`, also copied to the witness directory), empty files.
///
/// # Errors
/// The directory already holds a ledger, or a file cannot be written.
pub fn init_dir(dir: &Path, origin: &str, witness: Option<&Path>) -> Result<VerifierKey> {
    if origin.is_empty() || origin.contains(['\n', '+', ' ']) {
        return Err(LedgerError::Config("the origin must be non-empty, one line, without spaces or '+'".into()));
    }
    {
        use std::os::unix::fs::DirBuilderExt;
        // Owner-only: the private key lives here.
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).ctx("create", dir)?;
    }
    if dir.join(dir::CONFIG).exists() {
        return Err(LedgerError::Config(format!("{} already holds a ledger", dir.display())));
    }
    let witness = match witness {
        Some(w) => {
            std::fs::create_dir_all(w).ctx("create", w)?;
            Some(std::fs::canonicalize(w).ctx("resolve", w)?)
        }
        None => None,
    };
    let key = SigningKey::generate(origin)?;
    dir::write_durable(&dir.join(dir::PRIVATE_KEY), format!("{}\n", key.to_text()).as_bytes(), 0o600)?;
    let public = format!("{}\n", key.verifier().to_text());
    dir::write_durable(&dir.join(dir::PUBLIC_KEY), public.as_bytes(), 0o644)?;
    if let Some(w) = &witness {
        dir::write_durable(&w.join(dir::PUBLIC_KEY), public.as_bytes(), 0o644)?;
    }
    dir::create_files(dir)?;
    let config = DirConfig { format: 1, origin: origin.to_string(), witness };
    let text = serde_json::to_string_pretty(&config).map_err(|e| LedgerError::Config(e.to_string()))?;
    dir::write_durable(&dir.join(dir::CONFIG), format!("{text}\n").as_bytes(), 0o644)?;
    Ok(key.verifier().clone())
}

/// The signer a ledger directory holds (origin and witness from its configuration, its private
/// key), for a ledger kept elsewhere (`ward server` on PostgreSQL keeps the key on disk and the
/// log in the database).
///
/// # Errors
/// Missing or malformed configuration or key.
pub fn dir_signer(dir: &Path) -> Result<Signer> {
    let config = DirConfig::load(dir)?;
    let key_path = dir.join(dir::PRIVATE_KEY);
    let key_text = std::fs::read_to_string(&key_path).ctx("read", &key_path)?;
    let key = SigningKey::parse(key_text.trim())?;
    Ok(Signer { origin: config.origin, key, witness: config.witness })
}

/// Read a verifier key file.
///
/// # Errors
/// Unreadable or malformed.
pub fn read_verifier(path: &Path) -> Result<VerifierKey> {
    let text = std::fs::read_to_string(path).ctx("read", path)?;
    Ok(VerifierKey::parse(text.trim())?)
}

impl Ledger {
    /// Open a ledger directory for appending (see [`DirStore::open`] for recovery).
    ///
    /// # Errors
    /// Missing, busy, unreadable or inconsistent.
    pub fn open_dir(dir: &Path) -> Result<(Ledger, Recovery)> {
        let signer = dir_signer(dir)?;
        let (store, recovery) = DirStore::open(dir)?;
        Ok((Ledger::with_storage(Arc::new(store), Some(signer))?, recovery))
    }

    /// A ledger over any storage; `signer` is needed for checkpoints.
    ///
    /// # Errors
    /// When the stored tree cannot be read.
    pub fn with_storage(storage: Arc<dyn Storage>, signer: Option<Signer>) -> Result<Ledger> {
        let size = storage.size();
        let frontier = Frontier::load(&Nodes(storage.as_ref()), size)?;
        let shared = Arc::new(Shared { storage, head: Mutex::new(TreeHead { size, root: frontier.root() }), committed: AtomicU64::new(size), commits: AtomicU64::new(0) });
        let (tx, rx) = mpsc::channel::<Request>();
        let s = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("ward-ledger-writer".into())
            .spawn(move || write_loop(&s, frontier, rx))
            .map_err(|e| LedgerError::Commit(format!("cannot start the writer thread: {e}")))?;
        Ok(Ledger { shared, queue: Mutex::new(Some(tx)), writer: Mutex::new(Some(writer)), signer, checkpoint_lock: Mutex::new(()) })
    }

    /// Queue an entry for the next commit.
    ///
    /// # Errors
    /// The entry is invalid, or the ledger is closed.
    pub fn submit(&self, entry: &Entry) -> Result<Pending> {
        self.submit_encoded(entry.encode()?)
    }

    fn submit_encoded(&self, record: Vec<u8>) -> Result<Pending> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        let guard = self.queue.lock().map_err(|_| LedgerError::Closed)?;
        let tx = guard.as_ref().ok_or(LedgerError::Closed)?;
        tx.send(Request { record, reply }).map_err(|_| LedgerError::Closed)?;
        Ok(Pending(rx))
    }

    /// Append an entry and return its index once it is durable (blocking).
    ///
    /// # Errors
    /// The entry is invalid or the commit failed.
    pub fn append(&self, entry: &Entry) -> Result<u64> {
        self.submit(entry)?.wait()
    }

    /// Append an entry and return its index once it is durable.
    ///
    /// # Errors
    /// The entry is invalid or the commit failed.
    pub async fn append_async(&self, entry: &Entry) -> Result<u64> {
        self.submit(entry)?.wait_async().await
    }

    /// The tree head of everything durable.
    #[must_use]
    pub fn head(&self) -> TreeHead {
        self.shared.head.lock().map_or(TreeHead { size: 0, root: crate::hash::empty_root() }, |h| *h)
    }

    /// Commits made since open (entries appended since open divided by this is the mean batch).
    #[must_use]
    pub fn commits(&self) -> u64 {
        self.shared.commits.load(Ordering::Relaxed)
    }

    /// The storage.
    #[must_use]
    pub fn storage(&self) -> &dyn Storage {
        self.shared.storage.as_ref()
    }

    /// Root at an earlier size, from the stored subtree hashes.
    ///
    /// # Errors
    /// Size beyond the log, or unreadable store.
    pub fn root_at(&self, size: u64) -> Result<Hash> {
        self.check_size(size)?;
        tree::root_at(&Nodes(self.storage()), size)
    }

    fn check_size(&self, size: u64) -> Result<()> {
        let have = self.shared.committed.load(Ordering::Acquire);
        if size > have {
            return Err(LedgerError::OutOfRange(format!("size {size} is beyond the log's {have} entries")));
        }
        Ok(())
    }

    /// Inclusion proof of entry `index` in the tree of `size` entries (default: all durable).
    ///
    /// # Errors
    /// Out of range, or unreadable store.
    pub fn prove_inclusion(&self, index: u64, size: Option<u64>) -> Result<InclusionProof> {
        let size = size.unwrap_or_else(|| self.shared.committed.load(Ordering::Acquire));
        self.check_size(size)?;
        tree::prove_inclusion(&Nodes(self.storage()), index, size)?
            .ok_or_else(|| LedgerError::OutOfRange(format!("entry {index} is not in a tree of {size} entries")))
    }

    /// Consistency proof from `old` to `new` entries.
    ///
    /// # Errors
    /// Out of range, or unreadable store.
    pub fn prove_consistency(&self, old: u64, new: u64) -> Result<ConsistencyProof> {
        self.check_size(new)?;
        tree::prove_consistency(&Nodes(self.storage()), old, new)?
            .ok_or_else(|| LedgerError::OutOfRange(format!("size {old} is larger than {new}")))
    }

    /// The tree head including what other processes sharing the storage appended (PostgreSQL
    /// shared by server replicas): the durable size is read again and, when it grew, the root
    /// is computed from the stored subtree hashes. The head never moves backwards.
    ///
    /// # Errors
    /// The store cannot be read.
    pub fn sync_head(&self) -> Result<TreeHead> {
        let size = self.storage().refresh()?;
        let head = self.head();
        if size <= head.size {
            return Ok(head);
        }
        let root = tree::root_at(&Nodes(self.storage()), size)?;
        let mut h = self.shared.head.lock().map_err(|_| LedgerError::Closed)?;
        if size > h.size {
            *h = TreeHead { size, root };
        }
        self.shared.committed.fetch_max(size, Ordering::AcqRel);
        Ok(*h)
    }

    /// Sign a checkpoint of the current tree head, keep it with the log and copy it to the
    /// witness directory. Returns the checkpoint and its signed note.
    ///
    /// With a shared storage the checkpoint is made as its only writer, of the durable tree
    /// including other processes' entries: sequence numbers never collide and sizes never
    /// decrease, whichever process signs.
    ///
    /// # Errors
    /// No signing key, or a copy could not be made durable.
    pub fn checkpoint(&self) -> Result<(Checkpoint, String)> {
        self.checkpoint_when(false)?.ok_or_else(|| LedgerError::Commit("no checkpoint was made".into()))
    }

    /// A checkpoint only if the log grew since the newest one (for a timer).
    ///
    /// # Errors
    /// As [`Ledger::checkpoint`].
    pub fn checkpoint_if_grown(&self) -> Result<Option<(Checkpoint, String)>> {
        self.checkpoint_when(true)
    }

    fn checkpoint_when(&self, only_if_grown: bool) -> Result<Option<(Checkpoint, String)>> {
        let signer = self.signer.as_ref().ok_or_else(|| LedgerError::Config("this ledger has no signing key".into()))?;
        let _one_at_a_time = self.checkpoint_lock.lock().map_err(|_| LedgerError::Closed)?;
        let mut made = None;
        self.storage().exclusive(&mut || {
            let head = self.sync_head()?;
            let stored = self.storage().checkpoints()?;
            if only_if_grown {
                let newest = stored.last().and_then(|(_, n)| crate::note::parse_note(n).ok().and_then(|n| Checkpoint::parse_text(n.text).ok())).map(|c| c.size);
                if newest == Some(head.size) {
                    return Ok(());
                }
            }
            let cp = Checkpoint { origin: signer.origin.clone(), size: head.size, root: head.root, extensions: Vec::new() };
            let note = cp.sign(&signer.key);
            let seq = stored.last().map_or(1, |(s, _)| s + 1);
            self.storage().store_checkpoint(seq, &note)?;
            if let Some(w) = &signer.witness {
                dir::write_durable(&w.join(dir::checkpoint_name(seq)), note.as_bytes(), 0o644)?;
            }
            made = Some((cp, note));
            Ok(())
        })?;
        Ok(made)
    }

    /// Stop accepting entries and wait for the queued ones to be committed.
    pub fn close(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.take();
        }
        if let Some(w) = self.writer.lock().ok().and_then(|mut w| w.take()) {
            let _ = w.join();
        }
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        self.close();
    }
}

/// Run `checkpoint_if_grown` every `every` until the ledger is dropped elsewhere (for
/// `ward server`). Failures are returned to `on_error` and do not stop the timer.
pub fn spawn_checkpoint_timer(
    ledger: std::sync::Weak<Ledger>,
    every: std::time::Duration,
    on_error: impl Fn(&LedgerError) + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(l) = ledger.upgrade() else { break };
            let r = tokio::task::spawn_blocking(move || l.checkpoint_if_grown()).await;
            if let Ok(Err(e)) = r {
                on_error(&e);
            }
        }
    })
}

fn write_loop(shared: &Shared, mut frontier: Frontier, rx: mpsc::Receiver<Request>) {
    let mut batch: Vec<Request> = Vec::new();
    let mut hashes = Vec::new();
    let storage = shared.storage.as_ref();
    while let Ok(first) = rx.recv() {
        batch.clear();
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let records: Vec<Vec<u8>> = batch.iter_mut().map(|r| std::mem::take(&mut r.record)).collect();
        let mut first_index = 0;
        // As the only writer of every process sharing the storage: continue the tree from where
        // it durably ends (another process may have appended since this one's last commit).
        let committed = storage.exclusive(&mut || {
            let durable = storage.refresh()?;
            if durable != frontier.size() {
                if durable < frontier.size() {
                    return Err(LedgerError::Inconsistent(format!("the stored log has {durable} entries, fewer than the {} already committed: entries were deleted", frontier.size())));
                }
                frontier = Frontier::load(&Nodes(storage), durable)?;
            }
            hashes.clear();
            first_index = frontier.size();
            for r in &records {
                frontier.push(leaf_hash(r), &mut hashes);
            }
            storage.append(&records, &hashes)
        });
        match committed {
            Ok(()) => {
                // Never backwards: a reader may have synced the head past this commit already.
                if let Ok(mut h) = shared.head.lock()
                    && frontier.size() > h.size
                {
                    *h = TreeHead { size: frontier.size(), root: frontier.root() };
                }
                shared.committed.fetch_max(frontier.size(), Ordering::AcqRel);
                shared.commits.fetch_add(1, Ordering::Relaxed);
                for (i, r) in batch.drain(..).enumerate() {
                    let _ = r.reply.send(Ok(first_index + i as u64));
                }
            }
            Err(e) => {
                // After a failed flush the kernel may have dropped the dirty pages; writing on
                // top of that state could acknowledge entries over a hole. Stop: the queued
                // appenders get `Closed`, and the next open recovers from what is on disk.
                let msg = e.to_string();
                for r in batch.drain(..) {
                    let _ = r.reply.send(Err(LedgerError::Commit(msg.clone())));
                }
                return;
            }
        }
    }
}

/// Write a self-contained copy of a ledger directory to `out` (which must not exist): the log,
/// index, tree, checkpoints, public key and configuration (without the private key and
/// without the witness path). It verifies offline with the public key alone.
///
/// # Errors
/// The ledger cannot be opened or a file cannot be copied.
pub fn export_dir(dir: &Path, out: &Path) -> Result<u64> {
    // Opening takes the lock and cuts a torn tail, so the copy is a consistent state.
    let (ledger, _) = Ledger::open_dir(dir)?;
    ledger.export_open(dir, out)
}

impl Ledger {
    /// [`export_dir`] for a ledger this process holds open (`ward server`): the caller must
    /// hold its own appends back until this returns, so the files are copied at rest.
    ///
    /// # Errors
    /// `out` exists, or a file cannot be copied.
    pub fn export_open(&self, dir: &Path, out: &Path) -> Result<u64> {
        let ledger = self;
        let size = ledger.head().size;
        if out.exists() {
            return Err(LedgerError::Config(format!("{} already exists", out.display())));
        }
        std::fs::create_dir_all(out.join(dir::CHECKPOINTS)).ctx("create", out)?;
        for name in [dir::LOG, dir::INDEX, dir::TREE, dir::PUBLIC_KEY] {
            let (from, to) = (dir.join(name), out.join(name));
            std::fs::copy(&from, &to).ctx("copy", &from)?;
            std::fs::File::open(&to).and_then(|f| f.sync_all()).ctx("sync", &to)?;
        }
        for (seq, note) in ledger.storage().checkpoints()? {
            dir::write_durable(&out.join(dir::CHECKPOINTS).join(dir::checkpoint_name(seq)), note.as_bytes(), 0o644)?;
        }
        let mut config = DirConfig::load(dir)?;
        config.witness = None;
        let text = serde_json::to_string_pretty(&config).map_err(|e| LedgerError::Config(e.to_string()))?;
        dir::write_durable(&out.join(dir::CONFIG), format!("{text}\n").as_bytes(), 0o644)?;
        Ok(size)
    }
}

/// Write any storage (the SQL store) out as a ledger directory that verifies offline: its
/// entries, its stored tree hashes and checkpoints as they are (so that verification compares
/// them with the recomputed ones), the verifier key and `origin`. `out` must not exist.
///
/// # Errors
/// Reading the storage or writing a file failed.
pub fn export_storage(storage: &dyn Storage, key: &VerifierKey, origin: &str, out: &Path) -> Result<u64> {
    use std::io::Write;
    const STEP: u64 = 4096;
    if out.exists() {
        return Err(LedgerError::Config(format!("{} already exists", out.display())));
    }
    std::fs::create_dir_all(out.join(dir::CHECKPOINTS)).ctx("create", out)?;
    // Checkpoints first, then the durable size: every checkpoint read is then within the
    // exported log even while other processes append and sign (each checkpoint signs a size
    // that was durable when it was stored).
    let checkpoints = storage.checkpoints()?;
    let size = storage.refresh()?;
    let create = |name: &str| -> Result<(std::io::BufWriter<std::fs::File>, PathBuf)> {
        let p = out.join(name);
        Ok((std::io::BufWriter::new(std::fs::File::create(&p).ctx("create", &p)?), p))
    };
    let (mut log, log_p) = create(dir::LOG)?;
    let (mut idx, idx_p) = create(dir::INDEX)?;
    let (mut tree, tree_p) = create(dir::TREE)?;
    let mut offset = 0u64;
    let mut buf = Vec::new();
    for from in (0..size).step_by(STEP as usize) {
        for r in storage.read_entries(from, (from + STEP).min(size))? {
            buf.clear();
            dir::frame(&mut buf, &r, &leaf_hash(&r));
            log.write_all(&buf).ctx("write", &log_p)?;
            idx.write_all(&offset.to_be_bytes()).ctx("write", &idx_p)?;
            offset += buf.len() as u64;
        }
    }
    let nodes = tree::stored_hashes(size);
    for from in (0..nodes).step_by(STEP as usize) {
        for h in storage.read_node_range(from, (from + STEP).min(nodes))? {
            tree.write_all(&h).ctx("write", &tree_p)?;
        }
    }
    for (w, p) in [(log, log_p), (idx, idx_p), (tree, tree_p)] {
        let f = w.into_inner().map_err(|e| LedgerError::Io { op: "write", path: p.clone(), source: e.into_error() })?;
        f.sync_all().ctx("sync", &p)?;
    }
    for (seq, note) in checkpoints {
        dir::write_durable(&out.join(dir::CHECKPOINTS).join(dir::checkpoint_name(seq)), note.as_bytes(), 0o644)?;
    }
    dir::write_durable(&out.join(dir::PUBLIC_KEY), format!("{}\n", key.to_text()).as_bytes(), 0o644)?;
    let config = DirConfig { format: 1, origin: origin.to_string(), witness: None };
    let text = serde_json::to_string_pretty(&config).map_err(|e| LedgerError::Config(e.to_string()))?;
    dir::write_durable(&out.join(dir::CONFIG), format!("{text}\n").as_bytes(), 0o644)?;
    Ok(size)
}
