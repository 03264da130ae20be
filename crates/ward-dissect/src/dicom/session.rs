//! The dicom dissector (skeleton: it claims nothing yet).

use crate::registry::DissectorInfo;
use crate::{Confidence, Dissector, Output, Progress};
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on dicom parsing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DicomLimits {}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Dicom,
    transports: &[Transport::Tcp],
    ports: &[104, 11112],
    probe,
    new: |_, _| Box::new(Dicom),
};

fn probe(_: Transport, _: Direction, _: &[u8]) -> Confidence {
    Confidence::No
}

#[derive(Debug)]
struct Dicom;

impl Dissector for Dicom {
    fn on_data(&mut self, _: Direction, data: &[u8], _: &mut Output) -> Progress {
        Progress::done(data.len())
    }
    fn on_gap(&mut self, _: Direction, _: u64, _: &mut Output) {}
    fn on_eof(&mut self, _: Direction, _: &mut Output) {}
}

/// Fuzz entry point.
pub fn fuzz(data: &[u8]) {
    let _ = crate::harness::whole_and_thirds(&INFO, &crate::Limits::default(), Direction::ToServer, data);
}
