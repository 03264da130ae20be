//! The syslog record: the header of one message. The message text is never kept (device logs
//! name patients); only its length and whether it looks like it carries a credential.

use serde::Serialize;

/// One syslog message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SyslogRecord {
    /// `rfc5424` or `rfc3164`.
    pub format: &'static str,
    /// Facility number (PRI / 8).
    pub facility: u8,
    /// Severity number (PRI % 8).
    pub severity: u8,
    /// Severity name (`emerg` ... `debug`).
    pub severity_name: &'static str,
    /// HOSTNAME field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// APP-NAME (5424) or TAG (3164).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
    /// Length of the message text (not kept).
    pub message_length: usize,
    /// The text contains `password=`, `passwd`, `pwd=` or `secret=` (its value is not kept).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub credentials_hint: bool,
}
