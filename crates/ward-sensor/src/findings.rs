//! Security findings: what each kind means, how serious it is, and what a hospital should do.
//!
//! The inventory accumulates one finding per (kind, sender, receiver, protocol) and counts
//! repeats; this module turns an accumulated finding into the report's form. Evidence names
//! fields, counts, versions and identifiers, never a patient value or a secret: callers pass
//! only such names in `details` and `context`.

use std::collections::{BTreeMap, BTreeSet};
use ward_model::report::Finding;
use ward_model::{AppProtocol, Severity, Timestamp};

/// The finding kinds the sensor raises from traffic. The string of each is stable (`kind` in the
/// report). One more kind reaches the same report from outside the sensor: `known-vulnerability`,
/// added by `ward analyze --advisories` from the identities found here
/// (`ward_intel::assess::FINDING_KIND`, `crates/ward-intel/README.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Patient data on the wire without encryption.
    CleartextPhi,
    /// A password, community string or login sent without encryption.
    CleartextCredentials,
    /// SSL 3.0, TLS 1.0 or TLS 1.1 negotiated.
    DeprecatedTls,
    /// A NULL, EXPORT, RC4, DES/3DES or anonymous cipher suite negotiated.
    WeakCipher,
    /// A certificate that cannot be trusted: self-signed, expired, weak key or signature.
    UntrustedCertificate,
    /// Malformed medical protocol traffic (HL7, DICOM, MLLP framing, PDU lengths).
    ProtocolViolation,
    /// A DICOM association the called side rejected.
    DicomAssociationRejected,
    /// A DICOM association that opened and closed without any command, from a calling AE title
    /// that did no work from that host anywhere in the capture: the shape of a DICOM scan
    /// (nmap's dicom-ping). Judged when the capture ends, so later work still vouches.
    DicomScan,
}

impl Kind {
    /// Stable name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CleartextPhi => "cleartext-phi",
            Kind::CleartextCredentials => "cleartext-credentials",
            Kind::DeprecatedTls => "deprecated-tls",
            Kind::WeakCipher => "weak-cipher",
            Kind::UntrustedCertificate => "untrusted-certificate",
            Kind::ProtocolViolation => "protocol-violation",
            Kind::DicomAssociationRejected => "dicom-association-rejected",
            Kind::DicomScan => "dicom-scan",
        }
    }

    /// Default severity.
    #[must_use]
    pub fn severity(self) -> Severity {
        match self {
            Kind::CleartextPhi | Kind::CleartextCredentials => Severity::High,
            Kind::WeakCipher | Kind::DicomScan => Severity::High,
            Kind::DeprecatedTls | Kind::UntrustedCertificate | Kind::DicomAssociationRejected => Severity::Medium,
            Kind::ProtocolViolation => Severity::Medium,
        }
    }
}

/// A finding being accumulated.
#[derive(Debug)]
pub(crate) struct Acc {
    pub kind: Kind,
    pub protocol: AppProtocol,
    /// The service port of the flow (the server's).
    pub port: u16,
    pub first: Timestamp,
    pub last: Timestamp,
    pub count: u64,
    /// What was seen: field names, cipher names, certificate problems, malformed reasons.
    pub details: BTreeSet<String>,
    /// Where: message types, AE titles, versions.
    pub context: BTreeSet<String>,
}

/// Most distinct details and context entries kept per finding.
pub(crate) const MAX_DETAILS: usize = 32;

impl Acc {
    pub(crate) fn new(kind: Kind, protocol: AppProtocol, port: u16, ts: Timestamp) -> Acc {
        Acc { kind, protocol, port, first: ts, last: ts, count: 0, details: BTreeSet::new(), context: BTreeSet::new() }
    }

    pub(crate) fn add(&mut self, ts: Timestamp, details: &[&str], context: Option<&str>) {
        self.count += 1;
        self.first = self.first.min(ts);
        self.last = self.last.max(ts);
        for d in details {
            if self.details.len() < MAX_DETAILS && !self.details.contains(*d) {
                self.details.insert((*d).to_string());
            }
        }
        if let Some(c) = context
            && self.context.len() < MAX_DETAILS
            && !self.context.contains(c)
        {
            self.context.insert(c.to_string());
        }
    }
}

fn proto_name(p: AppProtocol) -> &'static str {
    match p {
        AppProtocol::Dhcp => "DHCP",
        AppProtocol::Dns => "DNS",
        AppProtocol::Hl7 => "HL7",
        AppProtocol::Mqtt => "MQTT",
        AppProtocol::Dicom => "DICOM",
        AppProtocol::Tls => "TLS",
        AppProtocol::Http => "HTTP",
        AppProtocol::Telnet => "Telnet",
        AppProtocol::Ftp => "FTP",
        AppProtocol::Snmp => "SNMP",
        AppProtocol::Syslog => "syslog",
        _ => "this protocol",
    }
}

fn join(s: &BTreeSet<String>) -> String {
    s.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// The report's form. `from` and `to` are people-readable names of the sender and receiver
/// (`host (address)`), `asset` and `peer` their asset ids.
pub(crate) fn render(f: &Acc, asset: Option<String>, peer: Option<String>, from: &str, to: &str) -> Finding {
    let p = proto_name(f.protocol);
    let port = f.port;
    let mut evidence = BTreeMap::new();
    evidence.insert("occurrences".to_string(), f.count.to_string());
    let details = join(&f.details);
    let context = join(&f.context);
    let (title, remediation, dkey, ckey) = match f.kind {
        Kind::CleartextPhi => (
            format!("Patient data sent in cleartext over {p} from {from} to {to}"),
            match f.protocol {
                AppProtocol::Dicom => format!(
                    "Anyone on the path can read the patient attributes listed in the evidence. Use DICOM over TLS (PS3.15 B.1, port 2762) between {from} and {to}, or an IPsec tunnel; until then allow TCP port {port} only between these two systems on a segmented imaging VLAN."
                ),
                AppProtocol::Http => format!(
                    "Serve this interface over HTTPS only (redirect or close port {port}), require authentication for FHIR/HL7 resources, and restrict who may reach {to}. Anyone on the path can read the patient resources listed in the evidence."
                ),
                AppProtocol::Mqtt => format!(
                    "Enable TLS on the broker (port 8883) and on {from}; publish device identifiers rather than patient identifiers; restrict TCP port {port} to the devices that need it."
                ),
                AppProtocol::Syslog => format!(
                    "Send logs over TLS (RFC 5425, port 6514) to {to}, and configure {from} not to log patient identifiers; restrict UDP/TCP port {port}."
                ),
                _ => format!(
                    "Encrypt this interface: carry {p} over TLS (MLLP over TLS; IHE ATNA secure node) or inside an IPsec/VPN tunnel between {from} and {to}, and allow TCP port {port} only between these two systems. Until then anyone on the path can read the fields listed in the evidence."
                ),
            },
            "fields",
            "message_types",
        ),
        Kind::CleartextCredentials => (
            format!("{p} credentials sent in cleartext from {from} to {to}"),
            match f.protocol {
                AppProtocol::Snmp => format!(
                    "Move {to} to SNMPv3 with authPriv (SHA-2 and AES), remove the v1/v2c communities, and allow UDP port {port} only from the management station. Change every community string that was seen: anyone on the path has it."
                ),
                AppProtocol::Telnet => format!(
                    "Disable Telnet on {to} and use SSH (or the vendor's secured service tool); change the password that was sent; allow TCP port {port} only from the biomedical engineering network until Telnet is off."
                ),
                AppProtocol::Ftp => format!(
                    "Replace FTP on {to} with SFTP or FTPS (AUTH TLS, RFC 4217); change the password that was sent; allow TCP port {port} only from the hosts that need it."
                ),
                AppProtocol::Http => format!(
                    "Serve {to}'s web interface over HTTPS only and turn off HTTP on port {port}; change the password that was sent with Basic authentication; put the interface on a management VLAN."
                ),
                _ => format!(
                    "Anyone on the path can replay these credentials. Enable TLS on the broker (port 8883) and on {from}, rotate the password that was exposed, and give each device its own credentials (or client certificates) with access only to its own topics. Until then, restrict TCP port {port} to the devices that need it."
                ),
            },
            "credentials",
            "context",
        ),
        Kind::DeprecatedTls => (
            format!("{from} negotiated deprecated {} with {to}", if f.details.is_empty() { "TLS".into() } else { details.clone() }),
            format!(
                "SSL 3.0, TLS 1.0 and TLS 1.1 are deprecated (RFC 8996). Enable TLS 1.2 or 1.3 on {from} (a firmware or configuration update from the manufacturer) and disable the old versions; if the device cannot, isolate it and terminate TLS at a gateway."
            ),
            "versions",
            "cipher_suites",
        ),
        Kind::WeakCipher => (
            format!("{from} negotiated a weak cipher suite with {to}"),
            format!(
                "The negotiated suites give no or breakable encryption. Configure {from} to offer only AEAD suites with forward secrecy (TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305, or TLS 1.3); ask the manufacturer for an update if the setting is not exposed."
            ),
            "weaknesses",
            "cipher_suites",
        ),
        Kind::UntrustedCertificate => (
            format!("{from} presents an untrusted certificate to {to}"),
            format!(
                "Replace {from}'s certificate with one issued by the hospital's CA, with an RSA key of at least 2048 bits (or ECDSA P-256), a SHA-256 signature and a validity that is monitored; clients that accept this certificate cannot detect an impostor."
            ),
            "problems",
            "subjects",
        ),
        Kind::ProtocolViolation => (
            format!("Malformed {p} traffic from {from} to {to}"),
            format!(
                "Malformed {p} can crash fragile devices and is how fuzzing and exploitation attempts look. Check {from}'s interface configuration and software version with its manufacturer; if {from} is not a known {p} peer of {to}, block it and investigate."
            ),
            "reasons",
            "context",
        ),
        Kind::DicomAssociationRejected => (
            format!("DICOM association from {from} rejected by {to}"),
            format!(
                "{to} refused the association (see reason). If {from} is a legitimate modality or workstation, configure its AE titles on both sides; if not, find who runs {from}: association attempts with guessed AE titles are how DICOM nodes are enumerated. Restrict TCP port {port} on {to} to known DICOM peers."
            ),
            "reasons",
            "ae_titles",
        ),
        Kind::DicomScan => (
            format!("{from} opened a DICOM association to {to} and closed it without any command"),
            format!(
                "An association that carries no command, from an AE title that does no work from that host anywhere else, is the shape of a DICOM scan (nmap's dicom-ping, for example). Find who runs {from}; restrict TCP port {port} on {to} to known DICOM peers and make {to} check calling AE titles."
            ),
            "shape",
            "ae_titles",
        ),
    };
    if !details.is_empty() {
        evidence.insert(dkey.to_string(), details);
    }
    if !context.is_empty() {
        evidence.insert(ckey.to_string(), context);
    }
    evidence.insert("transport".to_string(), format!("{p}, server port {port}"));
    Finding {
        id: format!("{}:{}:{}->{}", f.kind.as_str(), f.protocol.as_str(), asset.as_deref().unwrap_or(from), peer.as_deref().unwrap_or(to)),
        kind: f.kind.as_str().to_string(),
        severity: f.kind.severity(),
        title,
        asset,
        peer,
        protocol: Some(f.protocol.as_str().to_string()),
        evidence,
        remediation,
        first_seen: f.first,
        last_seen: f.last,
        count: f.count,
    }
}
