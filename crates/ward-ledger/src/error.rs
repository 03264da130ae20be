//! The ledger's errors: what failed, on which file or index, never an entry's contents.

use crate::entry::EntryError;
use crate::note::NoteError;
use std::path::PathBuf;

/// What can go wrong with a ledger.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// A file operation failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// On which file.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// An entry was refused.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// A key or checkpoint was refused.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The database failed.
    #[cfg(feature = "sql")]
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Another process holds the ledger open for appending.
    #[error("{} is in use by another process", .0.display())]
    Busy(PathBuf),
    /// The stored state contradicts itself; appending would destroy evidence. Run verify.
    #[error("the ledger's files disagree ({0}); refusing to append: run `ward ledger verify`")]
    Inconsistent(String),
    /// The configuration is missing or invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// The request is out of range (an index beyond the log, sizes out of order).
    #[error("{0}")]
    OutOfRange(String),
    /// The ledger was closed, or its writer stopped after a failed commit.
    #[error("the ledger is closed")]
    Closed,
    /// A commit failed; the entries of that batch were not stored.
    #[error("commit failed: {0}")]
    Commit(String),
}

/// Result with [`LedgerError`].
pub type Result<T> = std::result::Result<T, LedgerError>;

/// Attach the operation and path to an I/O error.
pub(crate) trait IoContext<T> {
    fn ctx(self, op: &'static str, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn ctx(self, op: &'static str, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| LedgerError::Io { op, path: path.to_path_buf(), source })
    }
}
