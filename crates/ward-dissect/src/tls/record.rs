//! The tls record.

use serde::Serialize;

/// One tls message or transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsRecord {
    /// Message kind.
    #[serde(rename = "type")]
    pub kind: &'static str,
}
