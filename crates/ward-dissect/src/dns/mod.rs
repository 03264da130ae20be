//! DNS (placeholder until the dissector lands).
use crate::{Confidence, Dissector, Limits, Output, Progress};
use crate::registry::DissectorInfo;
use serde::Serialize;
use ward_model::{AppProtocol, Direction, Transport};

/// DNS bounds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DnsLimits {}

/// A DNS message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DnsRecord {}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Dns,
    transports: &[Transport::Udp, Transport::Tcp],
    ports: &[53, 5353],
    probe: |_, _, _| Confidence::No,
    new: |_, _| Box::new(Dns),
};

#[derive(Debug)]
struct Dns;
impl Dissector for Dns {
    fn on_data(&mut self, _: Direction, data: &[u8], _: &mut Output) -> Progress { Progress::done(data.len()) }
    fn on_gap(&mut self, _: Direction, _: u64, _: &mut Output) {}
    fn on_eof(&mut self, _: Direction, _: &mut Output) {}
}
#[allow(dead_code)]
fn _limits(_: &Limits) {}
