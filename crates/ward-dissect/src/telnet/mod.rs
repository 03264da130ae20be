//! Telnet (RFC 854) logins.
//!
//! SKELETON: registered so the workspace builds; the dissector is being written.

mod record;
mod session;

pub use record::TelnetRecord;
pub use session::{INFO, TelnetLimits, fuzz};
