//! The dicom record.

use serde::Serialize;

/// One dicom message or transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DicomRecord {
    /// Message kind.
    #[serde(rename = "type")]
    pub kind: &'static str,
}
