//! Ward's tamper-evident audit ledger.
#![deny(missing_docs)]

pub mod dir;
pub mod entry;
pub mod fuzzing;
mod error;
pub mod hash;
mod ledger;
pub mod note;
#[cfg(feature = "sql")]
pub mod sql;
mod storage;
pub mod tree;
pub mod verify;

pub use entry::{Actor, ActorKind, Entry, EntryError, Outcome};
pub use error::{LedgerError, Result};
pub use ledger::{Ledger, MAX_BATCH, Pending, Signer, TreeHead, dir_signer, export_dir, export_storage, init_dir, read_verifier, spawn_checkpoint_timer};
pub use note::{Checkpoint, SigningKey, VerifierKey};
pub use storage::Storage;
