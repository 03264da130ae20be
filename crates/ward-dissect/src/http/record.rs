//! The http record.

use serde::Serialize;

/// One http message or transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpRecord {
    /// Message kind.
    #[serde(rename = "type")]
    pub kind: &'static str,
}
