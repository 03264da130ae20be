//! What a ledger needs from where it keeps its data; implemented by a directory
//! ([`crate::dir::DirStore`]) and by an SQL database ([`crate::sql::SqlStore`]).

use crate::error::Result;
use crate::hash::Hash;

/// A durable home for entries, subtree hashes and checkpoints.
///
/// `append` is called by one writer thread at a time; reads may come from any thread. A storage
/// that several processes append to (PostgreSQL shared by server replicas) says so through
/// [`Storage::exclusive`] and [`Storage::refresh`]; the defaults suit a storage this process
/// owns alone (a directory, which its lock file keeps to one process).
pub trait Storage: Send + Sync + 'static {
    /// Entries durably stored, as this process last saw them.
    fn size(&self) -> u64;
    /// Run `f` as the only writer among every process sharing this storage: appends and
    /// checkpoints happen inside it. The default (a storage of one process) just calls it.
    ///
    /// # Errors
    /// `f`'s error, or when exclusivity could not be obtained (then `f` did not run).
    fn exclusive(&self, f: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        f()
    }
    /// Read the durable size again (other processes may have appended) and return it; the
    /// cached [`Storage::size`] never goes down. The default returns the cached size.
    ///
    /// # Errors
    /// When the store cannot be read.
    fn refresh(&self) -> Result<u64> {
        Ok(self.size())
    }
    /// Make `records` (canonical entries, indexes `size()..`) and `hashes` (their post-order
    /// subtree hashes) durable together. On error nothing of the batch counts as stored.
    ///
    /// # Errors
    /// When the batch could not be made durable.
    fn append(&self, records: &[Vec<u8>], hashes: &[Hash]) -> Result<()>;
    /// Stored subtree hashes at post-order positions.
    ///
    /// # Errors
    /// When a position is not stored or the store cannot be read.
    fn read_nodes(&self, positions: &[u64]) -> Result<Vec<Hash>>;
    /// The canonical bytes of entry `index`.
    ///
    /// # Errors
    /// When the index is not stored or the store cannot be read.
    fn read_entry(&self, index: u64) -> Result<Vec<u8>>;
    /// Entries `from..to` (for exports); the default reads them one by one.
    ///
    /// # Errors
    /// As [`Storage::read_entry`].
    fn read_entries(&self, from: u64, to: u64) -> Result<Vec<Vec<u8>>> {
        (from..to).map(|i| self.read_entry(i)).collect()
    }
    /// Stored hashes at post-order positions `from..to` (for exports).
    ///
    /// # Errors
    /// As [`Storage::read_nodes`].
    fn read_node_range(&self, from: u64, to: u64) -> Result<Vec<Hash>> {
        self.read_nodes(&(from..to).collect::<Vec<_>>())
    }
    /// Keep a signed checkpoint under its sequence number (1, 2, ...).
    ///
    /// # Errors
    /// When it could not be made durable.
    fn store_checkpoint(&self, seq: u64, note: &str) -> Result<()>;
    /// The stored checkpoints, by sequence number.
    ///
    /// # Errors
    /// When the store cannot be read.
    fn checkpoints(&self) -> Result<Vec<(u64, String)>>;
}

/// Adapter so the tree module can read from any storage.
pub(crate) struct Nodes<'a>(pub &'a dyn Storage);

impl crate::tree::NodeSource for Nodes<'_> {
    type Error = crate::error::LedgerError;
    fn read_nodes(&self, positions: &[u64]) -> Result<Vec<Hash>> {
        self.0.read_nodes(positions)
    }
}
