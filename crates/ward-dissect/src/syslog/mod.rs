//! syslog over UDP (RFC 5424 and RFC 3164 headers).
//!
//! Devices send their logs in cleartext, often with patient names in them. Records keep the
//! header (facility, severity, host name, app name: device clues) and the text's length only.

mod record;
mod session;
#[cfg(test)]
mod tests;

pub use record::SyslogRecord;
pub use session::{INFO, SyslogLimits, fuzz};
