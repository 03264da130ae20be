//! The syslog record.

use serde::Serialize;

/// One syslog message or transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyslogRecord {
    /// Message kind.
    #[serde(rename = "type")]
    pub kind: &'static str,
}
