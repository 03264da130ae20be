//! The ftp record.

use serde::Serialize;

/// One ftp message or transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FtpRecord {
    /// Message kind.
    #[serde(rename = "type")]
    pub kind: &'static str,
}
