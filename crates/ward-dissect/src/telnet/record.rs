//! The telnet record.

use serde::Serialize;

/// One telnet message or transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TelnetRecord {
    /// Message kind.
    #[serde(rename = "type")]
    pub kind: &'static str,
}
