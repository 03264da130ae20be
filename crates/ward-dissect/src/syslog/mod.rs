//! syslog: RFC 3164 (BSD) and RFC 5424 messages, over UDP (RFC 5426: one message per
//! datagram) and TCP (RFC 6587: octet counting `LEN SP MSG`, or non-transparent framing,
//! each message ended by LF, CRLF or NUL; chosen per message by its first byte).
//!
//! Records carry the header: format, facility and severity (numbers and names), timestamp
//! as sent, hostname, app-name (or 3164 TAG), procid, msgid, the *ids* of the structured-data
//! elements and the message length. The message text is never kept (device logs carry patient
//! names); a bounded scan only says whether it looks like it carries a credential.

mod parser;
mod record;
mod session;
#[cfg(test)]
mod tests;

pub use record::SyslogRecord;
pub use session::{INFO, SyslogLimits, fuzz};
