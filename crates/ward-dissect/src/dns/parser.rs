//! Pure parsing of DNS messages (RFC 1035 §4.1): header, questions, resource records, names.

use super::record::{DnsAnswer, DnsQuery};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Header (RFC 1035 §4.1.1): 12 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub id: u16,
    pub flags: u16,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

pub(crate) fn header(b: &[u8]) -> Result<Header, &'static str> {
    if b.len() < 12 {
        return Err("dns.truncated_header");
    }
    let w = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    Ok(Header { id: w(0), flags: w(2), qdcount: w(4), ancount: w(6), nscount: w(8), arcount: w(10) })
}

/// Bounds a name walk obeys.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameLimits {
    pub max_len: usize,
    pub max_pointers: usize,
}

/// Why a name could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameError {
    Malformed(&'static str),
    /// A limit stopped the walk: (limit name, value seen).
    Limit(&'static str, u64),
}

/// Read a possibly compressed name at `at`; returns the printable name and the offset just
/// after it in the original position (RFC 1035 §4.1.4).
pub(crate) fn name(msg: &[u8], at: usize, lim: NameLimits) -> Result<(String, usize), NameError> {
    let mut out = String::new();
    let mut pos = at;
    let mut end_after: Option<usize> = None;
    let mut pointers = 0usize;
    let mut wire_len = 0usize;
    loop {
        let Some(&len) = msg.get(pos) else { return Err(NameError::Malformed("dns.name_truncated")) };
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    let next = end_after.unwrap_or(pos + 1);
                    return Ok((out, next));
                }
                let l = usize::from(len);
                let Some(label) = msg.get(pos + 1..pos + 1 + l) else { return Err(NameError::Malformed("dns.name_truncated")) };
                wire_len += l + 1;
                if wire_len > lim.max_len {
                    return Err(NameError::Limit("dns.max_name_length", wire_len as u64));
                }
                if !out.is_empty() {
                    out.push('.');
                }
                escape_label(label, &mut out);
                pos += 1 + l;
            }
            0xc0 => {
                let Some(&lo) = msg.get(pos + 1) else { return Err(NameError::Malformed("dns.name_truncated")) };
                pointers += 1;
                if pointers > lim.max_pointers {
                    return Err(NameError::Limit("dns.max_compression_pointers", pointers as u64));
                }
                if end_after.is_none() {
                    end_after = Some(pos + 2);
                }
                let target = (usize::from(len & 0x3f) << 8) | usize::from(lo);
                // A pointer must point backwards; forward pointers are how loops are built.
                if target >= pos {
                    return Err(NameError::Malformed("dns.forward_compression_pointer"));
                }
                pos = target;
            }
            _ => return Err(NameError::Malformed("dns.bad_label_type")),
        }
    }
}

/// Printable label: letters, digits and common punctuation as-is; anything else `\xNN`; dots
/// inside a label escaped as `\.` so that label boundaries stay visible.
fn escape_label(label: &[u8], out: &mut String) {
    for &b in label {
        match b {
            b'.' => out.push_str("\\."),
            b'\\' => out.push_str("\\\\"),
            0x21..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
}

/// Type mnemonics (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 6891, RFC 4034, RFC 8659...).
pub(crate) fn type_name(t: u16) -> String {
    let s = match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        41 => "OPT",
        43 => "DS",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        252 => "AXFR",
        255 => "ANY",
        257 => "CAA",
        _ => return format!("TYPE{t}"),
    };
    s.to_string()
}

/// Response code names (RFC 1035 §4.1.1, RFC 2136).
pub(crate) fn rcode_name(r: u16) -> String {
    let s = match r {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        _ => return format!("RCODE{r}"),
    };
    s.to_string()
}

/// A question at `at` (RFC 1035 §4.1.2).
pub(crate) fn question(msg: &[u8], at: usize, lim: NameLimits) -> Result<(DnsQuery, usize), NameError> {
    let (rrname, at) = name(msg, at, lim)?;
    let Some(q) = msg.get(at..at + 4) else { return Err(NameError::Malformed("dns.question_truncated")) };
    // The top bit of QCLASS is mDNS's unicast-response flag (RFC 6762 §5.4); it is not a type.
    let qtype = u16::from_be_bytes([q[0], q[1]]);
    Ok((DnsQuery { rrname, rrtype: type_name(qtype) }, at + 4))
}

/// A resource record at `at` (RFC 1035 §4.1.3). `None` for OPT pseudo-records.
pub(crate) fn resource(msg: &[u8], at: usize, lim: NameLimits, max_text: usize) -> Result<(Option<DnsAnswer>, usize), NameError> {
    let (rrname, at) = name(msg, at, lim)?;
    let Some(f) = msg.get(at..at + 10) else { return Err(NameError::Malformed("dns.record_truncated")) };
    let rtype = u16::from_be_bytes([f[0], f[1]]);
    let ttl = u32::from_be_bytes([f[4], f[5], f[6], f[7]]);
    let rdlen = usize::from(u16::from_be_bytes([f[8], f[9]]));
    let start = at + 10;
    let end = start + rdlen;
    let Some(rd) = msg.get(start..end) else { return Err(NameError::Malformed("dns.rdata_truncated")) };
    if rtype == 41 {
        return Ok((None, end));
    }
    let rdata = match rtype {
        1 if rd.len() == 4 => Some(Ipv4Addr::new(rd[0], rd[1], rd[2], rd[3]).to_string()),
        28 if rd.len() == 16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(rd);
            Some(Ipv6Addr::from(a).to_string())
        }
        2 | 5 | 12 => Some(name(msg, start, lim)?.0),
        15 if rd.len() >= 3 => {
            let pref = u16::from_be_bytes([rd[0], rd[1]]);
            Some(format!("{pref} {}", name(msg, start + 2, lim)?.0))
        }
        33 if rd.len() >= 7 => {
            let w = |i: usize| u16::from_be_bytes([rd[i], rd[i + 1]]);
            Some(format!("{} {} {} {}", w(0), w(2), w(4), name(msg, start + 6, lim)?.0))
        }
        6 => Some(name(msg, start, lim)?.0),
        16 => Some(txt(rd, max_text)),
        _ => None,
    };
    Ok((Some(DnsAnswer { rrname, rrtype: type_name(rtype), ttl, rdata }), end))
}

/// TXT rdata (RFC 1035 §3.3.14): length-prefixed strings, joined, printable, at most `max` bytes kept.
fn txt(rd: &[u8], max: usize) -> String {
    let mut out = String::new();
    let mut at = 0;
    while at < rd.len() && out.len() < max {
        let l = usize::from(rd[at]);
        let s = &rd[at + 1..(at + 1 + l).min(rd.len())];
        for &b in s {
            if out.len() >= max {
                break;
            }
            match b {
                0x20..=0x7e => out.push(b as char),
                _ => {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
        }
        at += 1 + l;
    }
    out
}
