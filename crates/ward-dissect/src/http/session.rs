//! The http dissector (skeleton: it claims nothing yet).

use crate::registry::DissectorInfo;
use crate::{Confidence, Dissector, Output, Progress};
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on http parsing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpLimits {}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Http,
    transports: &[Transport::Tcp],
    ports: &[80, 8080],
    probe,
    new: |_, _| Box::new(Http),
};

fn probe(_: Transport, _: Direction, _: &[u8]) -> Confidence {
    Confidence::No
}

#[derive(Debug)]
struct Http;

impl Dissector for Http {
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
