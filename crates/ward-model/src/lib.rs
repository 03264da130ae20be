//! Ward's shared vocabulary.
//!
//! Every other crate speaks in these types: which way bytes travel ([`Direction`]), when
//! ([`Timestamp`]), over what ([`Transport`], [`AppProtocol`]), and what the sensor concludes
//! ([`report::AnalyzeReport`] with its assets, flows and findings). This crate holds data and
//! its serialisation only; it parses nothing from the wire and depends on nothing of ours.
#![deny(missing_docs)]

pub mod report;
mod time;

pub use time::Timestamp;

use serde::{Deserialize, Serialize};

/// Which way a byte travels within a flow, relative to the side that opened it.
///
/// Code that differs by direction is written once and indexed by this enum, never by a
/// `to_client: bool` that can be passed the wrong way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the flow's client (initiator) to its server (responder).
    ToServer,
    /// From the server back to the client.
    ToClient,
}

impl Direction {
    /// Both directions, in index order.
    pub const BOTH: [Direction; 2] = [Direction::ToServer, Direction::ToClient];

    /// The other direction.
    #[must_use]
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }

    /// 0 for [`Direction::ToServer`], 1 for [`Direction::ToClient`]: for per-direction arrays.
    #[must_use]
    pub fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }
}

/// The transport a flow runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP: a reassembled byte stream per direction.
    Tcp,
    /// UDP: one datagram at a time.
    Udp,
    /// ICMP or ICMPv6.
    Icmp,
    /// Any other IP protocol, by number.
    Other,
}

impl Transport {
    /// Lower-case name as used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::Icmp => "icmp",
            Transport::Other => "other",
        }
    }
}

/// An application protocol that a Ward dissector recognises.
///
/// Adding a dissector adds a variant here; the name is the stable identifier used in reports,
/// record streams and the JSON Schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum AppProtocol {
    /// Dynamic Host Configuration Protocol (RFC 2131) and BOOTP.
    Dhcp,
    /// Domain Name System (RFC 1035), over UDP and TCP.
    Dns,
    /// HL7 version 2 messages, over MLLP or bare TCP.
    Hl7,
    /// MQTT 3.1, 3.1.1 and 5.0.
    Mqtt,
    /// DICOM upper layer and DIMSE (PS3.8, PS3.7).
    Dicom,
    /// Transport Layer Security (and SSL 3.0).
    Tls,
    /// HTTP/1.0 and HTTP/1.1.
    Http,
    /// Telnet (RFC 854).
    Telnet,
    /// File Transfer Protocol control connection (RFC 959).
    Ftp,
    /// Simple Network Management Protocol v1, v2c and v3.
    Snmp,
    /// syslog (RFC 3164 and RFC 5424).
    Syslog,
}

impl AppProtocol {
    /// Stable lower-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AppProtocol::Dhcp => "dhcp",
            AppProtocol::Dns => "dns",
            AppProtocol::Hl7 => "hl7",
            AppProtocol::Mqtt => "mqtt",
            AppProtocol::Dicom => "dicom",
            AppProtocol::Tls => "tls",
            AppProtocol::Http => "http",
            AppProtocol::Telnet => "telnet",
            AppProtocol::Ftp => "ftp",
            AppProtocol::Snmp => "snmp",
            AppProtocol::Syslog => "syslog",
        }
    }
}

/// How serious a finding is, in the order a security team triages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; no action expected.
    Info,
    /// Weakness with limited impact.
    Low,
    /// Should be fixed in the normal cycle.
    Medium,
    /// Fix soon: exposure of patient data or credentials, or an exploitable weakness.
    High,
    /// Fix now.
    Critical,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_reverse_is_an_involution_and_indexes_differ() {
        for d in Direction::BOTH {
            assert_eq!(d.reverse().reverse(), d);
            assert_ne!(d.index(), d.reverse().index());
        }
    }
}
