//! Ward's tamper-evident audit ledger (placeholder; filled below).
#![deny(missing_docs)]

pub mod entry;
pub mod hash;
pub mod note;
pub mod tree;
