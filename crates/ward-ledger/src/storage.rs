//! What a ledger needs from where it keeps its data; implemented by a directory
//! ([`crate::dir::DirStore`]) and by an SQL database ([`crate::sql::SqlStore`]).

use crate::error::Result;
use crate::hash::Hash;

/// A durable home for entries, subtree hashes and checkpoints.
///
/// `append` is called by one writer thread at a time; reads may come from any thread.
pub trait Storage: Send + Sync + 'static {
    /// Entries durably stored.
    fn size(&self) -> u64;
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
