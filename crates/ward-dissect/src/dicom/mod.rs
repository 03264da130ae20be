//! DICOM upper layer (PS3.8) and DIMSE (PS3.7).
//!
//! SKELETON: registered so the workspace builds; the dissector is being written.

mod record;
mod session;

pub use record::DicomRecord;
pub use session::{INFO, DicomLimits, fuzz};
