//! The list of dissectors, and how a flow finds its own: by content first, by port as a hint.

use crate::{Confidence, Dissector, Limits};
use ward_model::{AppProtocol, Direction, Transport};

/// Everything the sensor needs to know about one dissector.
#[derive(Debug, Clone, Copy)]
pub struct DissectorInfo {
    /// Protocol name.
    pub protocol: AppProtocol,
    /// Transports it runs over.
    pub transports: &'static [Transport],
    /// Well-known server ports: a hint that raises a `Low` probe to a match, never a requirement.
    pub ports: &'static [u16],
    /// Looks at the first bytes of a flow in one direction (for UDP: one datagram).
    pub probe: fn(Transport, Direction, &[u8]) -> Confidence,
    /// A fresh per-flow instance.
    pub new: fn(Transport, &Limits) -> Box<dyn Dissector>,
}

/// Every dissector Ward has. Order breaks ties between equal confidences.
pub static REGISTRY: &[DissectorInfo] = &[
    crate::dhcp::INFO,
    crate::dns::INFO,
    crate::hl7::INFO,
    crate::mqtt::INFO,
    crate::dicom::INFO,
    crate::tls::INFO,
    crate::http::INFO,
    crate::telnet::INFO,
    crate::ftp::INFO,
    crate::snmp::INFO,
    crate::syslog::INFO,
];

/// Pick the dissector for a flow from its first payload in direction `dir`.
///
/// `High` confidence wins on any port; `Low` wins only when one of the flow's ports is a
/// registered port of that protocol. Returns `Err(true)` when some probe wants more bytes and
/// none has decided yet, `Err(false)` when no dissector fits.
pub fn detect(
    transport: Transport,
    dir: Direction,
    data: &[u8],
    ports: [u16; 2],
) -> Result<&'static DissectorInfo, bool> {
    let mut best: Option<(&DissectorInfo, u8)> = None;
    let mut want_more = false;
    for info in REGISTRY.iter().filter(|i| i.transports.contains(&transport)) {
        let on_port = ports.iter().any(|p| info.ports.contains(p));
        let score = match (info.probe)(transport, dir, data) {
            Confidence::High if on_port => 4,
            Confidence::High => 3,
            Confidence::Low if on_port => 2,
            Confidence::NeedMore => {
                want_more = true;
                continue;
            }
            Confidence::Low | Confidence::No => continue,
        };
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((info, score));
        }
    }
    match best {
        Some((info, _)) => Ok(info),
        None => Err(want_more),
    }
}

/// Look a dissector up by protocol.
#[must_use]
pub fn info(protocol: AppProtocol) -> Option<&'static DissectorInfo> {
    REGISTRY.iter().find(|i| i.protocol == protocol)
}
