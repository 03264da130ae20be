//! Ward's tamper-evident audit ledger (placeholder; filled below).
#![deny(missing_docs)]

pub mod hash;
pub mod tree;
