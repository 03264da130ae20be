//! The DNS record: one message. Field names follow Suricata's EVE `dns` v3 object.

use serde::Serialize;

/// One DNS query or response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    /// `request` or `response`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Message id.
    pub id: u16,
    /// The 16-bit flags word as four hex digits (e.g. `8180`).
    pub flags: String,
    /// QR bit.
    pub qr: bool,
    /// Authoritative answer.
    pub aa: bool,
    /// Truncated.
    pub tc: bool,
    /// Recursion desired.
    pub rd: bool,
    /// Recursion available.
    pub ra: bool,
    /// Opcode (0 query, 4 notify, 5 update...).
    pub opcode: u8,
    /// Response code name (`NOERROR`, `NXDOMAIN`...).
    pub rcode: String,
    /// Question section.
    pub queries: Vec<DnsQuery>,
    /// Answer section.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<DnsAnswer>,
    /// Authority section.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorities: Vec<DnsAnswer>,
    /// Additional section (OPT pseudo-records left out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additionals: Vec<DnsAnswer>,
}

/// A question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsQuery {
    /// Name, printable (non-printable bytes escaped as `\xNN`).
    pub rrname: String,
    /// Type mnemonic (`A`, `PTR`...) or `TYPEnnn`.
    pub rrtype: String,
}

/// A resource record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsAnswer {
    /// Owner name.
    pub rrname: String,
    /// Type mnemonic.
    pub rrtype: String,
    /// Time to live, seconds.
    pub ttl: u32,
    /// Decoded data: an address for A/AAAA, a name for CNAME/NS/PTR, `pref name` for MX,
    /// `priority weight port target` for SRV, the joined strings for TXT, the primary name
    /// server for SOA; absent for other types.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rdata: Option<String>,
}
