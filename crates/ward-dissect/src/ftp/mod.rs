//! FTP control connection (RFC 959).
//!
//! SKELETON: registered so the workspace builds; the dissector is being written.

mod record;
mod session;

pub use record::FtpRecord;
pub use session::{INFO, FtpLimits, fuzz};
