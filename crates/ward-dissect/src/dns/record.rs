//! The DNS record: one message, query or response. The single source of the DNS output schema.
//!
//! Field names are those of Suricata's EVE `dns` object (version 3), so that a record can be
//! compared with Suricata's output key by key. Where Ward says more (the MX preference, each
//! string of a multi-string TXT, the length of rdata it does not decode, the `*_truncated`
//! marks) the extra keys are left out when empty; where Ward renders a value differently from
//! Suricata (AAAA, unknown types, TXT) the field's documentation says so.
//!
//! Rendering rules, shared by every name in the record:
//! - labels joined by `.`, no trailing dot, case kept as sent; the root name is `""`;
//! - printable ASCII (`!`..`~`) kept, `.` and `\` inside a label escaped as `\.` and `\\`,
//!   every other byte (space, controls, non-ASCII) as `\xNN` (lowercase hex), so that a name is
//!   always printable, unambiguous text.

use serde::Serialize;

/// One DNS message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(clippy::struct_excessive_bools)] // reason: the header's flag bits, named as in RFC 1035 and EVE
pub struct DnsRecord {
    /// `request` (QR = 0) or `response` (QR = 1).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Message ID (RFC 1035 §4.1.1).
    pub id: u16,
    /// The 16-bit flags word in lowercase hex without leading zeros, as Suricata writes it
    /// (`8180` for a recursive NOERROR answer, `100` for a recursive query).
    pub flags: String,
    /// QR: this is a response.
    pub qr: bool,
    /// AA: authoritative answer.
    pub aa: bool,
    /// TC: truncated (the answer did not fit; the client retries over TCP).
    pub tc: bool,
    /// RD: recursion desired.
    pub rd: bool,
    /// RA: recursion available.
    pub ra: bool,
    /// Z: the reserved bit (RFC 1035 §4.1.1); set only by broken or probing software.
    pub z: bool,
    /// AD: authentic data (RFC 4035 §3.2.3).
    pub ad: bool,
    /// CD: checking disabled (RFC 4035 §3.2.2).
    pub cd: bool,
    /// OPCODE: 0 query, 1 inverse query, 2 status, 4 notify, 5 update, 6 DSO.
    pub opcode: u8,
    /// The header's 4-bit RCODE by name (`NOERROR`, `FORMERR`, `SERVFAIL`, `NXDOMAIN`,
    /// `NOTIMP`, `REFUSED`, `YXDOMAIN`, `YXRRSET`, `NXRRSET`, `NOTAUTH`, `NOTZONE`, `DSOTYPENI`),
    /// `RCODE12`..`RCODE15` for unassigned values. Extended RCODEs in OPT are not merged in.
    pub rcode: &'static str,
    /// Question section, always present (empty for e.g. mDNS announcements).
    pub queries: Vec<DnsQuery>,
    /// Answer section.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<DnsAnswer>,
    /// Authority section.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorities: Vec<DnsAnswer>,
    /// Additional section, without the OPT pseudo-record (RFC 6891), which is EDNS signalling,
    /// not data.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additionals: Vec<DnsAnswer>,
}

/// A question (RFC 1035 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsQuery {
    /// QNAME, rendered as described in the module documentation.
    pub rrname: String,
    /// Set when the name was cut at a limit (`max_name_length`, `max_compression_pointers`).
    #[serde(skip_serializing_if = "is_false")]
    pub rrname_truncated: bool,
    /// QTYPE mnemonic (`A`, `AAAA`, `PTR`...), or `TYPEnnn` (RFC 3597 §5) for others.
    /// Suricata writes the bare number for types it does not know.
    pub rrtype: String,
    /// The top bit of QCLASS: mDNS "unicast response requested" (RFC 6762 §5.4).
    #[serde(skip_serializing_if = "is_false")]
    pub unicast_response: bool,
}

/// A resource record (RFC 1035 §4.1.3) of the answer, authority or additional section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsAnswer {
    /// Owner name.
    pub rrname: String,
    /// Set when the owner name was cut at a limit.
    #[serde(skip_serializing_if = "is_false")]
    pub rrname_truncated: bool,
    /// TYPE mnemonic, or `TYPEnnn`.
    pub rrtype: String,
    /// TTL in seconds, as sent (a value with the top bit set is kept, not clamped).
    pub ttl: u32,
    /// The decoded data, by type:
    /// - A: dotted quad; AAAA: RFC 5952 text (`2607:f8b0:400f:801::200e`; Suricata writes all
    ///   eight groups in full);
    /// - CNAME, NS, PTR: the name; MX: the exchange name (its preference is in `preference`);
    /// - TXT: the character-strings concatenated, as SPF and DKIM read them (RFC 7208 §3.3),
    ///   printable ASCII kept, `\` as `\\`, other bytes as `\xNN`;
    /// - absent for SRV and SOA (see `srv`, `soa`) and for types not decoded (see `rdlength`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rdata: Option<String>,
    /// Set when a name or text in the data was cut at a limit (`max_rdata_text`...).
    #[serde(skip_serializing_if = "is_false")]
    pub rdata_truncated: bool,
    /// TXT with more than one character-string: each string, in order (DNS-SD `key=value`
    /// pairs, RFC 6763 §6), rendered like `rdata`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub txt: Vec<String>,
    /// MX preference (RFC 1035 §3.3.9): lower is preferred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preference: Option<u16>,
    /// SRV data (RFC 2782).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srv: Option<DnsSrv>,
    /// SOA data (RFC 1035 §3.3.13).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soa: Option<DnsSoa>,
    /// RDLENGTH, given only when the data is not decoded (an undecoded type, or data of the
    /// wrong size for its type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rdlength: Option<u16>,
}

/// SRV data: where a service runs (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsSrv {
    /// Lower is tried first.
    pub priority: u16,
    /// Relative weight among equal priorities.
    pub weight: u16,
    /// TCP or UDP port of the service.
    pub port: u16,
    /// Target host name (`""`: the service is not available at this domain).
    pub name: String,
}

/// SOA data: the zone's primary server, its administrator's mailbox and its timers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsSoa {
    /// MNAME: primary name server.
    pub mname: String,
    /// RNAME: responsible mailbox, as a name (`hostmaster.example.org`).
    pub rname: String,
    /// Zone serial number.
    pub serial: u32,
    /// Seconds before a secondary refreshes.
    pub refresh: u32,
    /// Seconds before a failed refresh is retried.
    pub retry: u32,
    /// Seconds after which an unrefreshed zone is no longer authoritative.
    pub expire: u32,
    /// Negative-caching TTL (RFC 2308 §4).
    pub minimum: u32,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // reason: serde's skip_serializing_if passes a reference
fn is_false(b: &bool) -> bool {
    !*b
}
