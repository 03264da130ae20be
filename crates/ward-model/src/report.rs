//! The `ward analyze` report: one versioned document describing what a capture showed.
//!
//! These types are the single source of the report schema; `schemas/analyze-report.v1.json`
//! describes the same shape and a test checks every produced report against it.

use crate::{Severity, Timestamp};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Identifier of this report format. Bump the suffix on any incompatible change.
pub const SCHEMA_VERSION: &str = "ward.analyze-report/1";

/// Everything `ward analyze` learned from one or more captures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzeReport {
    /// Always [`SCHEMA_VERSION`].
    pub schema: String,
    /// The program that wrote the report.
    pub generator: Generator,
    /// What was read, with counts of what could not be decoded or had to be dropped.
    pub capture: CaptureSummary,
    /// Every endpoint seen, keyed by MAC where there is one and by IP otherwise.
    pub assets: Vec<Asset>,
    /// Protocol mix: flows, packets and bytes per service.
    pub protocols: Vec<ProtocolStat>,
    /// Who talks to whom: one entry per pair of assets, busiest first.
    pub conversations: Vec<Conversation>,
    /// Connection summaries in the spirit of Zeek's conn.log, oldest first.
    pub flows: Vec<FlowSummary>,
    /// How many flows were summarised in counts but left out of `flows` (report size cap).
    pub flows_omitted: u64,
    /// Security findings with evidence and remediation.
    pub findings: Vec<Finding>,
}

/// Name and version of the program that produced a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generator {
    /// Program name, `ward`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// What was read and how it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CaptureSummary {
    /// Each input file in the order given.
    pub files: Vec<CaptureFile>,
    /// Packets read across all files.
    pub packets: u64,
    /// Captured bytes of those packets (what the files hold, not the original wire length).
    pub bytes: u64,
    /// Timestamp of the earliest packet.
    pub first_timestamp: Option<Timestamp>,
    /// Timestamp of the latest packet.
    pub last_timestamp: Option<Timestamp>,
    /// Packets or headers that could not be decoded, in total.
    pub decode_errors: u64,
    /// The same, by kind (for example `ipv4.truncated`, `tcp.bad_header_length`).
    pub decode_error_kinds: BTreeMap<String, u64>,
    /// What the bounded tables had to let go of.
    pub evictions: Evictions,
    /// Engine counters worth knowing (fragments reassembled, TCP gaps, dissector events...).
    pub counters: BTreeMap<String, u64>,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CaptureFile {
    /// The path as given on the command line (or the interface name for live capture).
    pub path: String,
    /// `pcap`, `pcapng` or `live`.
    pub format: String,
    /// Link types seen, by name (for example `ethernet`, `linux_sll2`).
    pub link_types: Vec<String>,
    /// Packets read from this file.
    pub packets: u64,
    /// Captured bytes read from this file.
    pub bytes: u64,
    /// Set when reading stopped early, with the byte offset and reason.
    pub error: Option<CaptureError>,
}

/// Why reading a capture stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureError {
    /// Byte offset in the file where the problem starts.
    pub offset: u64,
    /// What is wrong there.
    pub message: String,
}

/// Counts of state dropped to keep memory bounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Evictions {
    /// Flows removed early because the flow table was full.
    pub flows: u64,
    /// Fragment trains dropped (table full, too many fragments, or timed out incomplete).
    pub fragments: u64,
    /// TCP segments dropped because a per-flow or global reassembly byte cap was hit.
    pub reassembly_segments: u64,
    /// Assets not tracked because the asset table was full.
    pub assets: u64,
}

/// An endpoint on the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    /// Stable identifier within the report: `mac:xx:xx:..` or `ip:a.b.c.d`.
    pub id: String,
    /// Hardware address, when the asset was seen on the local segment.
    pub mac: Option<String>,
    /// IP addresses used by this asset.
    pub ips: Vec<IpAddr>,
    /// Manufacturer registered for the MAC's OUI.
    pub vendor: Option<String>,
    /// Names learned from DHCP (host name, FQDN option) and DNS answers.
    pub hostnames: Vec<String>,
    /// Application protocols (or `tcp/PORT` when none recognised) this asset speaks.
    pub protocols: AssetProtocols,
    /// Identifiers of assets it exchanged traffic with (capped; see `peer_count`).
    pub peers: Vec<String>,
    /// How many distinct peers in total.
    pub peer_count: u64,
    /// What DHCP said about the device, when it asked.
    pub dhcp: Option<DhcpFingerprint>,
    /// HL7 applications this asset sends or receives as, `APPLICATION@FACILITY` (MSH-3/4, MSH-5/6).
    pub hl7_applications: Vec<String>,
    /// MQTT client identifiers this asset connected with.
    pub mqtt_client_ids: Vec<String>,
    /// DICOM AE titles this asset used: as calling AE, or as called AE of an accepted association.
    pub dicom_ae_titles: Vec<String>,
    /// JA4 fingerprints of the TLS clients this asset ran.
    pub tls_ja4: Vec<String>,
    /// What the asset is, from every clue the traffic gave (see `knowledge/devices/README.md`).
    pub device: Device,
    /// First packet from or to this asset.
    pub first_seen: Timestamp,
    /// Last packet from or to this asset.
    pub last_seen: Timestamp,
    /// Packets sent or received.
    pub packets: u64,
    /// Captured bytes sent or received.
    pub bytes: u64,
}

/// One identity per asset, combined from every clue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Device {
    /// One of the documented kinds (`imaging-modality`, `pacs`, `patient-monitor`, ...), or `unknown`.
    pub kind: String,
    /// Manufacturer, normalised where the knowledge base knows the name.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// The device's own software version, where its traffic states it.
    pub software_version: Option<String>,
    /// Software components recognised inside it (a DICOM toolkit, a web server, a DHCP client).
    pub components: Vec<String>,
    /// 0-100: the weight of the clues behind the chosen kind and manufacturer, capped.
    pub confidence: u8,
    /// Every clue that said something, and what.
    pub evidence: Vec<DeviceEvidence>,
}

/// One clue and what it said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEvidence {
    /// Clue name (`dicom.manufacturer`, `oui.vendor`, `role`...).
    pub clue: String,
    /// The observed value.
    pub value: String,
    /// What the matching rule concluded: attribute name to value.
    pub says: BTreeMap<String, String>,
    /// How much the rule trusts this clue (1-100).
    pub weight: u8,
    /// Where the rule's fact comes from.
    pub source: String,
}

/// The protocols an asset uses, by role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AssetProtocols {
    /// Spoken as the initiating side.
    pub client: Vec<String>,
    /// Offered as the responding side.
    pub server: Vec<String>,
}

/// The identifying parts of a device's DHCP requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DhcpFingerprint {
    /// Option 60, vendor class identifier.
    pub vendor_class: Option<String>,
    /// Option 55, parameter request list, as comma-separated option codes (the classic fingerprint).
    pub parameter_request_list: Option<String>,
    /// Option 61, client identifier, hex.
    pub client_id: Option<String>,
}

/// Traffic totals for one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolStat {
    /// Service name (`dns`, `dhcp`, or `tcp/PORT`, `udp/PORT` when unrecognised).
    pub service: String,
    /// Flows of this service.
    pub flows: u64,
    /// Packets in both directions.
    pub packets: u64,
    /// Captured bytes in both directions.
    pub bytes: u64,
}

/// Traffic between two assets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// Asset that initiated (the client of the first flow seen between them).
    pub client: String,
    /// Asset that responded.
    pub server: String,
    /// Services used between them.
    pub services: Vec<String>,
    /// Flows between them.
    pub flows: u64,
    /// Packets in both directions.
    pub packets: u64,
    /// Captured bytes in both directions.
    pub bytes: u64,
}

/// One side of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// IP address.
    #[serde(serialize_with = "ip_text")]
    pub ip: IpAddr,
    /// Transport port (0 where the transport has none).
    pub port: u16,
}

/// An IP address as serde writes it, IPv4 in text without the formatting machinery (two per
/// flow summary, so 200,000 in a full report).
fn ip_text<S: serde::Serializer>(ip: &IpAddr, s: S) -> Result<S::Ok, S::Error> {
    let IpAddr::V4(v4) = ip else { return ip.serialize(s) };
    if !s.is_human_readable() {
        return ip.serialize(s);
    }
    s.serialize_str(ipv4_text(*v4, &mut [0; 15]))
}

/// An IPv4 address in dotted decimal (what `Display` writes), into `buf`, without the formatting
/// machinery.
pub fn ipv4_text(a: std::net::Ipv4Addr, buf: &mut [u8; 15]) -> &str {
    let mut n = 0;
    for (i, o) in a.octets().into_iter().enumerate() {
        if i > 0 {
            buf[n] = b'.';
            n += 1;
        }
        if o >= 100 {
            buf[n] = b'0' + o / 100;
            n += 1;
        }
        if o >= 10 {
            buf[n] = b'0' + o / 10 % 10;
            n += 1;
        }
        buf[n] = b'0' + o % 10;
        n += 1;
    }
    std::str::from_utf8(&buf[..n]).unwrap_or_default()
}

/// A connection summary, close to Zeek's conn.log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowSummary {
    /// First packet.
    pub start: Timestamp,
    /// Seconds from first to last packet.
    pub duration: f64,
    /// Transport (`tcp`, `udp`, `icmp`, `other`).
    pub transport: Cow<'static, str>,
    /// IP protocol number.
    pub ip_proto: u8,
    /// The initiator.
    pub client: Endpoint,
    /// The responder.
    pub server: Endpoint,
    /// Outer VLAN identifier, if tagged.
    pub vlan: Option<u16>,
    /// Application protocol recognised by content or port, if any.
    pub service: Option<Cow<'static, str>>,
    /// Packets from client to server.
    pub client_packets: u64,
    /// Packets from server to client.
    pub server_packets: u64,
    /// Application payload bytes from client to server.
    pub client_bytes: u64,
    /// Application payload bytes from server to client.
    pub server_bytes: u64,
    /// Captured frame bytes from client to server (link header included, as Suricata counts).
    pub client_frame_bytes: u64,
    /// Captured frame bytes from server to client.
    pub server_frame_bytes: u64,
    /// Payload bytes known to be missing (TCP gaps).
    pub missed_bytes: u64,
    /// Zeek-style connection state (`S0`, `S1`, `SF`, `REJ`, `RSTO`, `RSTR`, `SH`, `OTH`...).
    pub state: Cow<'static, str>,
    /// True if the flow was picked up without its opening handshake.
    pub midstream: bool,
    /// Why the flow ended: `closed`, `idle_timeout`, `absolute_timeout`, `evicted` or `end_of_capture`.
    pub end_reason: Cow<'static, str>,
}

/// A security finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable identifier of this finding within the report.
    pub id: String,
    /// Machine-readable kind, for example `cleartext-credentials`.
    pub kind: String,
    /// How serious.
    pub severity: Severity,
    /// One line for a person.
    pub title: String,
    /// Asset the finding is about.
    pub asset: Option<String>,
    /// The other asset involved (e.g. the receiver of cleartext patient data).
    pub peer: Option<String>,
    /// Application protocol concerned.
    pub protocol: Option<String>,
    /// Evidence as field names, counts, lengths and keyed hashes: never the sensitive values.
    pub evidence: BTreeMap<String, String>,
    /// What to do about it.
    pub remediation: String,
    /// First occurrence.
    pub first_seen: Timestamp,
    /// Last occurrence.
    pub last_seen: Timestamp,
    /// Occurrences folded into this finding.
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::Endpoint;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    /// Endpoints serialise their address exactly as serde does for an `IpAddr`.
    #[test]
    fn endpoint_address_text_is_serdes() {
        let mut ips: Vec<IpAddr> = vec![Ipv6Addr::LOCALHOST.into(), "fe80::1:2".parse().unwrap_or(Ipv6Addr::UNSPECIFIED.into())];
        for a in [0u8, 1, 9, 10, 99, 100, 109, 110, 199, 200, 255] {
            for b in [0u8, 7, 42, 255] {
                ips.push(Ipv4Addr::new(a, b, 255 - a, a / 3).into());
            }
        }
        for ip in ips {
            let got = serde_json::to_string(&Endpoint { ip, port: 7 }).ok();
            assert_eq!(got, Some(format!("{{\"ip\":{},\"port\":7}}", serde_json::to_string(&ip).unwrap_or_default())));
        }
    }
}
