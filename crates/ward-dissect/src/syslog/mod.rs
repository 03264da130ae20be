//! syslog (RFC 3164, RFC 5424) over UDP and TCP.
//!
//! SKELETON: registered so the workspace builds; the dissector is being written.

mod record;
mod session;

pub use record::SyslogRecord;
pub use session::{INFO, SyslogLimits, fuzz};
