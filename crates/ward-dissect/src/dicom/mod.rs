//! DICOM upper layer (PS3.8) and DIMSE (PS3.7), detected on any port by the structure of the
//! A-ASSOCIATE-RQ.
//!
//! Imaging modalities, PACS and worklist servers talk DICOM, mostly without TLS. Records name
//! AE titles, SOP classes, transfer syntaxes, implementation identifiers, commands and
//! statuses, and the device-identifying attributes of data sets (Manufacturer, model, software
//! versions...). Patient attributes are reported by keyword only, never with their values; user
//! identity negotiation by type only.

mod parser;
mod record;
mod session;
#[cfg(test)]
mod tests;

pub use record::{DicomRecord, PresentationContext};
pub use session::{DicomLimits, INFO, fuzz};
