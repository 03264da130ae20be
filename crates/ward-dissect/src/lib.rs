//! Sans-I/O protocol dissectors.
//!
//! A dissector turns the bytes of one flow into typed [`Record`]s and [`DissectEvent`]s. It
//! never touches a socket, a file or a clock: the sensor feeds it reassembled bytes through the
//! stream contract of [`Dissector`], and the same dissector runs unchanged in tests, fuzz
//! targets and the live sensor. Every protocol lives in its own module of the same shape
//! (`mod.rs`, `parser.rs`, `session.rs`, `record.rs`, `tests.rs`) and is listed once in
//! [`registry::REGISTRY`].
//!
//! This crate deliberately knows nothing of capture, flows, storage or output formats.
#![deny(missing_docs)]

mod driver;
mod framework;
pub mod harness;
pub mod phi;
pub mod registry;

pub mod dhcp;
pub mod dns;
pub mod hl7;
pub mod mqtt;
pub mod dicom;
pub mod tls;
pub mod http;
pub mod telnet;
pub mod ftp;
pub mod snmp;
pub mod syslog;

pub use driver::StreamDriver;
pub use framework::{
    Confidence, DissectEvent, DissectEventKind, Dissector, Limits, Output, Progress,
};
pub use ward_model::{AppProtocol, Direction, Transport};

use serde::Serialize;

/// A record produced by a dissector: one protocol transaction or message.
///
/// Serialised with the protocol name as tag, e.g. `{"protocol":"dns", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "protocol", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Record {
    /// A DHCP/BOOTP message.
    Dhcp(dhcp::DhcpRecord),
    /// A DNS query or response.
    Dns(dns::DnsRecord),
    /// An HL7 v2 message.
    Hl7(hl7::Hl7Record),
    /// An MQTT control packet.
    Mqtt(mqtt::MqttRecord),
    /// A DICOM upper-layer PDU or DIMSE message.
    Dicom(dicom::DicomRecord),
    /// A TLS handshake message.
    Tls(tls::TlsRecord),
    /// An HTTP/1.x request or response.
    Http(http::HttpRecord),
    /// A Telnet login observation.
    Telnet(telnet::TelnetRecord),
    /// An FTP control command or reply.
    Ftp(ftp::FtpRecord),
    /// An SNMP message.
    Snmp(snmp::SnmpRecord),
    /// A syslog message.
    Syslog(syslog::SyslogRecord),
}

impl Record {
    /// The protocol that produced this record.
    #[must_use]
    pub fn protocol(&self) -> AppProtocol {
        match self {
            Record::Dhcp(_) => AppProtocol::Dhcp,
            Record::Dns(_) => AppProtocol::Dns,
            Record::Hl7(_) => AppProtocol::Hl7,
            Record::Mqtt(_) => AppProtocol::Mqtt,
            Record::Dicom(_) => AppProtocol::Dicom,
            Record::Tls(_) => AppProtocol::Tls,
            Record::Http(_) => AppProtocol::Http,
            Record::Telnet(_) => AppProtocol::Telnet,
            Record::Ftp(_) => AppProtocol::Ftp,
            Record::Snmp(_) => AppProtocol::Snmp,
            Record::Syslog(_) => AppProtocol::Syslog,
        }
    }
}
