//! Pure parsing of one DNS message (RFC 1035 §4.1): bytes in, values out, no state.
//!
//! Everything reads through [`Reader`], which cannot read past its slice. A message parses into
//! a [`Parsed`]: the record (when the header and every question parse) and the problems met on
//! the way, each a typed event. A problem in the question section loses the record; a problem
//! later keeps the sections read so far; a problem inside one record's RDATA (whose length is
//! known) loses only that record's data.

use super::record::{DnsAnswer, DnsQuery, DnsRecord, DnsSoa, DnsSrv};
use super::session::DnsLimits;
use crate::DissectEventKind;
use std::fmt::Write as _;
use std::net::Ipv6Addr;

/// A stable identifier of what is wrong with the bytes, e.g. `dns.compression_loop`.
pub(crate) type Reason = &'static str;

/// A cursor over a byte slice that fails, with the caller's reason, instead of reading past
/// the end.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Move to `pos` (an offset this reader handed out, or one checked against its length).
    pub(crate) fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.buf.len());
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn bytes(&mut self, n: usize, why: Reason) -> Result<&'a [u8], Reason> {
        let end = self.pos.checked_add(n).ok_or(why)?;
        let b = self.buf.get(self.pos..end).ok_or(why)?;
        self.pos = end;
        Ok(b)
    }

    pub(crate) fn u8(&mut self, why: Reason) -> Result<u8, Reason> {
        let b = self.bytes(1, why)?;
        Ok(b.first().copied().unwrap_or_default())
    }

    pub(crate) fn u16(&mut self, why: Reason) -> Result<u16, Reason> {
        let b = self.bytes(2, why)?;
        let mut a = [0u8; 2];
        a.copy_from_slice(b);
        Ok(u16::from_be_bytes(a))
    }

    pub(crate) fn u32(&mut self, why: Reason) -> Result<u32, Reason> {
        let b = self.bytes(4, why)?;
        let mut a = [0u8; 4];
        a.copy_from_slice(b);
        Ok(u32::from_be_bytes(a))
    }
}

/// The fixed header (RFC 1035 §4.1.1), 12 octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub id: u16,
    pub flags: u16,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

// Flags word bits, RFC 1035 §4.1.1 (|QR|Opcode|AA|TC|RD|RA|Z|AD|CD|RCODE|) with AD and CD
// from RFC 4035 §3.2.
const QR: u16 = 0x8000;
const AA: u16 = 0x0400;
const TC: u16 = 0x0200;
const RD: u16 = 0x0100;
const RA: u16 = 0x0080;
const Z: u16 = 0x0040;
const AD: u16 = 0x0020;
const CD: u16 = 0x0010;

impl Header {
    pub(crate) fn is_response(self) -> bool {
        self.flags & QR != 0
    }

    pub(crate) fn opcode(self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }

    pub(crate) fn rcode(self) -> u8 {
        (self.flags & 0xf) as u8
    }

    pub(crate) fn z(self) -> bool {
        self.flags & Z != 0
    }

    /// The least bytes the sections can take: a question is at least a root name and TYPE and
    /// CLASS (5), a resource record a root name and its ten fixed octets (11).
    pub(crate) fn min_len(self) -> usize {
        let rrs = usize::from(self.ancount) + usize::from(self.nscount) + usize::from(self.arcount);
        12 + 5 * usize::from(self.qdcount) + 11 * rrs
    }
}

pub(crate) fn header(r: &mut Reader<'_>) -> Result<Header, Reason> {
    const WHY: Reason = "dns.truncated_header";
    Ok(Header {
        id: r.u16(WHY)?,
        flags: r.u16(WHY)?,
        qdcount: r.u16(WHY)?,
        ancount: r.u16(WHY)?,
        nscount: r.u16(WHY)?,
        arcount: r.u16(WHY)?,
    })
}

/// A limit that cut something short: the `LimitExceeded` event to raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LimitHit {
    pub limit: &'static str,
    pub value: u64,
}

/// Bounds a name walk obeys.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameLimits {
    /// Wire octets, length octets and the final root octet included (RFC 1035 §2.3.4: 255).
    pub max_len: usize,
    /// Compression pointers followed.
    pub max_pointers: usize,
}

/// A decoded name: printable text, and the limit that cut it short, if one did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    pub text: String,
    pub cut: Option<LimitHit>,
}

/// Bytes reserved for a name's text (most host names are shorter; longer ones grow).
const NAME_CAPACITY: usize = 48;

/// Read the name at `at` in `msg` (RFC 1035 §3.1, compression §4.1.4); returns it and the
/// offset just after it where it was written (after its first pointer, if it has one).
///
/// A pointer must go strictly backwards, each one to before the previous target (as a
/// compressor that points at prior occurrences always does): so a walk ends, whatever the
/// bytes. Past `max_len` no more text is kept; the walk goes on to the name's end only while
/// that end is unknown (before the first pointer), over bytes the caller skips anyway.
pub(crate) fn name(msg: &[u8], at: usize, lim: NameLimits) -> Result<(Name, usize), Reason> {
    // Room for a typical name at once, instead of growing through 8, 16, 32 bytes. Built as
    // bytes (every byte written is ASCII) and made text once at the end.
    let mut text: Vec<u8> = Vec::with_capacity(NAME_CAPACITY);
    let mut pos = at;
    // Where the name ends in the message, known once the first pointer is met.
    let mut end: Option<usize> = None;
    let mut last_target: Option<usize> = None;
    let mut pointers = 0usize;
    // Wire length so far: labels with their length octets, plus the root octet.
    let mut wire = 1usize;
    let mut cut: Option<LimitHit> = None;
    loop {
        let Some(&len) = msg.get(pos) else { return Err("dns.name_truncated") };
        match len >> 6 {
            // 00: a label of `len` octets; zero is the root, the end of the name.
            0b00 => {
                if len == 0 {
                    return Ok((Name { text: ascii_text(text), cut }, end.unwrap_or(pos + 1)));
                }
                let l = usize::from(len);
                let Some(label) = msg.get(pos + 1..pos + 1 + l) else { return Err("dns.name_truncated") };
                wire += 1 + l;
                if wire > lim.max_len {
                    cut = Some(LimitHit { limit: "dns.max_name_length", value: wire as u64 });
                    if let Some(end) = end {
                        return Ok((Name { text: ascii_text(text), cut }, end));
                    }
                } else {
                    if !text.is_empty() {
                        text.push(b'.');
                    }
                    escape_label(label, &mut text);
                }
                pos += 1 + l;
            }
            // 11: a pointer, 14 bits of offset from the start of the message.
            0b11 => {
                let Some(&lo) = msg.get(pos + 1) else { return Err("dns.name_truncated") };
                let target = (usize::from(len & 0x3f) << 8) | usize::from(lo);
                if target > pos {
                    return Err("dns.forward_compression_pointer");
                }
                if target >= last_target.unwrap_or(pos) {
                    return Err("dns.compression_loop");
                }
                if target < 12 {
                    return Err("dns.compression_pointer_into_header");
                }
                let end = *end.get_or_insert(pos + 2);
                pointers += 1;
                if pointers > lim.max_pointers {
                    let cut = Some(LimitHit { limit: "dns.max_compression_pointers", value: pointers as u64 });
                    return Ok((Name { text: ascii_text(text), cut }, end));
                }
                last_target = Some(target);
                pos = target;
            }
            // 01 and 10 are reserved label types (RFC 1035 §4.1.4; 01 was RFC 2673's
            // extended labels, withdrawn by RFC 6891 §5): read as a length, more than 63.
            _ => return Err("dns.label_too_long"),
        }
    }
}

/// The offset just after the name at `at`, without decoding it: for entries skipped at a limit.
pub(crate) fn skip_name(msg: &[u8], at: usize) -> Result<usize, Reason> {
    let mut pos = at;
    loop {
        let Some(&len) = msg.get(pos) else { return Err("dns.name_truncated") };
        match len >> 6 {
            0b00 if len == 0 => return Ok(pos + 1),
            0b00 => pos += 1 + usize::from(len),
            0b11 if pos + 2 <= msg.len() => return Ok(pos + 2),
            0b11 => return Err("dns.name_truncated"),
            _ => return Err("dns.label_too_long"),
        }
    }
}

/// Append a label as printable text: `!`..`~` as is, except `.` and `\` escaped so that label
/// boundaries stay visible; any other byte as `\xNN`. Only ASCII is written.
fn escape_label(label: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Most labels are plain host-name characters: copied in one piece up to the first byte
    // that needs escaping (found by table lookup), byte by byte from there.
    let plain = label.iter().position(|&b| !PLAIN[usize::from(b)]).unwrap_or(label.len());
    let (head, tail) = label.split_at(plain);
    out.extend_from_slice(head);
    for &b in tail {
        match b {
            b'.' => out.extend_from_slice(b"\\."),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x21..=0x7e => out.push(b),
            _ => out.extend_from_slice(&[b'\\', b'x', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]),
        }
    }
}

/// Bytes a label keeps as they are: `!`..`~` except `.` and `\`.
static PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x21;
    while b <= 0x7e {
        t[b] = true;
        b += 1;
    }
    t[b'.' as usize] = false;
    t[b'\\' as usize] = false;
    t
};

/// Text of bytes that are all ASCII (what `escape_label` writes): checked once per name.
fn ascii_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Append character-string bytes as printable text: space to `~` as is, `\` escaped, any
/// other byte as `\xNN`.
fn escape_text(s: &[u8], out: &mut String) {
    for &b in s {
        match b {
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
}

/// TYPE mnemonics (RFC 1035 §3.2.2 and the IANA registry), `TYPEnnn` (RFC 3597 §5) otherwise.
pub(crate) fn type_name(t: u16) -> String {
    let s = match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        24 => "SIG",
        25 => "KEY",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        33 => "SRV",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        39 => "DNAME",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        53 => "SMIMEA",
        55 => "HIP",
        59 => "CDS",
        60 => "CDNSKEY",
        61 => "OPENPGPKEY",
        62 => "CSYNC",
        63 => "ZONEMD",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        253 => "MAILB",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        257 => "CAA",
        _ => return format!("TYPE{t}"),
    };
    s.to_string()
}

/// `v` in lowercase hex without leading zeros (`format!("{v:x}")`, without the formatting machinery).
pub(crate) fn hex16(v: u16) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(4);
    let mut started = false;
    for shift in [12u32, 8, 4, 0] {
        let d = usize::from((v >> shift) & 0xf);
        if d != 0 || started || shift == 0 {
            started = true;
            s.push(char::from(DIGITS[d]));
        }
    }
    s
}

/// An IPv4 address in dotted decimal (what `Ipv4Addr`'s `Display` writes, without the
/// formatting machinery: one per A record).
pub(crate) fn ipv4_text(a: [u8; 4]) -> String {
    ward_model::report::ipv4_text(a.into(), &mut [0; 15]).to_string()
}

/// RCODE names (RFC 1035 §4.1.1, RFC 2136 §2.2, RFC 8490 §10.2).
pub(crate) fn rcode_name(r: u8) -> &'static str {
    const NAMES: [&str; 16] = [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
        "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14", "RCODE15",
    ];
    NAMES.get(usize::from(r)).copied().unwrap_or("RCODE15")
}

const OPT: u16 = 41;

/// Events met while parsing one message, each kind once (a thousand over-long names make one
/// `LimitExceeded`, not a thousand).
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub events: Vec<DissectEventKind>,
}

impl Findings {
    fn push(&mut self, e: DissectEventKind) {
        let same = |a: &DissectEventKind| match (a, &e) {
            (DissectEventKind::LimitExceeded { limit: x, .. }, DissectEventKind::LimitExceeded { limit: y, .. }) => x == y,
            _ => *a == e,
        };
        if !self.events.iter().any(same) {
            self.events.push(e);
        }
    }

    fn malformed(&mut self, reason: Reason) {
        self.push(DissectEventKind::Malformed { reason });
    }

    fn limit(&mut self, hit: LimitHit) {
        self.push(DissectEventKind::LimitExceeded { limit: hit.limit, value: hit.value });
    }

    /// Note a name's limit, if one cut it; true if one did.
    fn name_cut(&mut self, n: &Name) -> bool {
        if let Some(hit) = n.cut {
            self.limit(hit);
        }
        n.cut.is_some()
    }
}

/// One message, parsed.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// Present when the header and every question parsed.
    pub record: Option<DnsRecord>,
    pub findings: Findings,
}

/// Parse one whole message (a UDP payload, or a TCP message without its length prefix).
pub(crate) fn message(msg: &[u8], limits: &DnsLimits) -> Parsed {
    let mut findings = Findings::default();
    let record = parse_message(msg, limits, &mut findings);
    Parsed { record, findings }
}

fn parse_message(msg: &[u8], limits: &DnsLimits, f: &mut Findings) -> Option<DnsRecord> {
    let mut r = Reader::new(msg);
    let h = match header(&mut r) {
        Ok(h) => h,
        Err(reason) => {
            f.malformed(reason);
            return None;
        }
    };
    let lim = NameLimits { max_len: limits.max_name_length, max_pointers: limits.max_compression_pointers };
    let mut rec = DnsRecord {
        kind: if h.is_response() { "response" } else { "request" },
        id: h.id,
        flags: hex16(h.flags),
        qr: h.is_response(),
        aa: h.flags & AA != 0,
        tc: h.flags & TC != 0,
        rd: h.flags & RD != 0,
        ra: h.flags & RA != 0,
        z: h.z(),
        ad: h.flags & AD != 0,
        cd: h.flags & CD != 0,
        opcode: h.opcode(),
        rcode: rcode_name(h.rcode()),
        queries: Vec::new(),
        answers: Vec::new(),
        authorities: Vec::new(),
        additionals: Vec::new(),
    };
    if let Err(reason) = questions(&mut r, h.qdcount, limits, lim, f, &mut rec.queries) {
        f.malformed(reason);
        return None;
    }
    let mut sections: [Vec<DnsAnswer>; 3] = Default::default();
    let mut failed = None;
    for (count, into) in [h.ancount, h.nscount, h.arcount].into_iter().zip(sections.iter_mut()) {
        if let Err(reason) = records(&mut r, count, limits, lim, f, into) {
            failed = Some(reason);
            break;
        }
    }
    [rec.answers, rec.authorities, rec.additionals] = sections;
    match failed {
        Some(reason) => f.malformed(reason),
        None if r.remaining() > 0 => f.push(DissectEventKind::PeerMisbehaving { reason: "dns.trailing_bytes" }),
        None => {}
    }
    Some(rec)
}

/// At the start of an entry: no byte left means the header's counts promised more than the
/// message holds.
fn entry_start(r: &Reader<'_>) -> Result<(), Reason> {
    if r.remaining() == 0 { Err("dns.counts_exceed_message") } else { Ok(()) }
}

/// The question section (RFC 1035 §4.1.2): QNAME, QTYPE, QCLASS.
fn questions(
    r: &mut Reader<'_>,
    count: u16,
    limits: &DnsLimits,
    lim: NameLimits,
    f: &mut Findings,
    into: &mut Vec<DnsQuery>,
) -> Result<(), Reason> {
    let msg = r.buf;
    for n in 0..usize::from(count) {
        entry_start(r)?;
        if n >= limits.max_questions {
            if n == limits.max_questions {
                f.limit(LimitHit { limit: "dns.max_questions", value: u64::from(count) });
            }
            r.seek(skip_name(msg, r.pos())?);
            r.bytes(4, "dns.question_truncated")?;
            continue;
        }
        let (qname, end) = name(msg, r.pos(), lim)?;
        r.seek(end);
        let qtype = r.u16("dns.question_truncated")?;
        let qclass = r.u16("dns.question_truncated")?;
        into.push(DnsQuery {
            rrname_truncated: f.name_cut(&qname),
            rrname: qname.text,
            rrtype: type_name(qtype),
            // The top bit of QCLASS is mDNS's unicast-response request (RFC 6762 §5.4).
            unicast_response: qclass & 0x8000 != 0,
        });
    }
    Ok(())
}

/// One resource-record section (RFC 1035 §4.1.3): NAME, TYPE, CLASS, TTL, RDLENGTH, RDATA.
fn records(
    r: &mut Reader<'_>,
    count: u16,
    limits: &DnsLimits,
    lim: NameLimits,
    f: &mut Findings,
    into: &mut Vec<DnsAnswer>,
) -> Result<(), Reason> {
    let msg = r.buf;
    for n in 0..usize::from(count) {
        entry_start(r)?;
        if n >= limits.max_answers {
            if n == limits.max_answers {
                f.limit(LimitHit { limit: "dns.max_answers", value: u64::from(count) });
            }
            r.seek(skip_name(msg, r.pos())?);
            r.bytes(8, "dns.record_truncated")?;
            let rdlength = r.u16("dns.record_truncated")?;
            r.bytes(usize::from(rdlength), "dns.rdata_truncated")?;
            continue;
        }
        let (owner, end) = name(msg, r.pos(), lim)?;
        r.seek(end);
        let rtype = r.u16("dns.record_truncated")?;
        let _class = r.u16("dns.record_truncated")?;
        let ttl = r.u32("dns.record_truncated")?;
        let rdlength = r.u16("dns.record_truncated")?;
        let start = r.pos();
        r.bytes(usize::from(rdlength), "dns.rdata_truncated")?;
        if rtype == OPT {
            continue;
        }
        let mut rr = DnsAnswer {
            rrname_truncated: f.name_cut(&owner),
            rrname: owner.text,
            rrtype: type_name(rtype),
            ttl,
            rdata: None,
            rdata_truncated: false,
            txt: Vec::new(),
            preference: None,
            srv: None,
            soa: None,
            rdlength: None,
        };
        // Names in RDATA may point anywhere before them, but must end inside it: the message
        // cut at the RDATA's end is all they may read.
        let upto = msg.get(..r.pos()).unwrap_or(msg);
        match rdata(upto, start, rtype, limits, lim, f, &mut rr) {
            Ok(true) => {}
            Ok(false) => rr.rdlength = Some(rdlength),
            Err(reason) => {
                f.malformed(reason);
                rr = DnsAnswer { rdata: None, rdata_truncated: false, txt: Vec::new(), preference: None, srv: None, soa: None, rdlength: Some(rdlength), ..rr };
            }
        }
        into.push(rr);
    }
    Ok(())
}

/// Decode the RDATA `msg[start..]` (the message is cut at its end) into `rr`. `Ok(false)`: a
/// type not decoded. An error spoils only this record's data: its length is known.
fn rdata(
    msg: &[u8],
    start: usize,
    rtype: u16,
    limits: &DnsLimits,
    lim: NameLimits,
    f: &mut Findings,
    rr: &mut DnsAnswer,
) -> Result<bool, Reason> {
    let rd = msg.get(start..).unwrap_or_default();
    let mut r = Reader::new(msg);
    r.seek(start);
    let cut = &mut rr.rdata_truncated;
    match rtype {
        // A (RFC 1035 §3.4.1): a 32-bit address.
        1 => {
            let a: [u8; 4] = rd.try_into().map_err(|_| "dns.bad_address_length")?;
            rr.rdata = Some(ipv4_text(a));
            return Ok(true);
        }
        // AAAA (RFC 3596 §2.2): a 128-bit address.
        28 => {
            let a: [u8; 16] = rd.try_into().map_err(|_| "dns.bad_address_length")?;
            rr.rdata = Some(Ipv6Addr::from(a).to_string());
            return Ok(true);
        }
        // NS, CNAME, PTR (RFC 1035 §3.3.11, §3.3.1, §3.3.12): one name.
        2 | 5 | 12 => {
            rr.rdata = Some(rdata_name(&mut r, lim, f, cut)?);
        }
        // MX (RFC 1035 §3.3.9): PREFERENCE, EXCHANGE.
        15 => {
            let preference = r.u16("dns.rdata_length_mismatch")?;
            rr.rdata = Some(rdata_name(&mut r, lim, f, cut)?);
            rr.preference = Some(preference);
        }
        // SRV (RFC 2782): priority, weight, port, target.
        33 => {
            let priority = r.u16("dns.rdata_length_mismatch")?;
            let weight = r.u16("dns.rdata_length_mismatch")?;
            let port = r.u16("dns.rdata_length_mismatch")?;
            let name = rdata_name(&mut r, lim, f, cut)?;
            rr.srv = Some(DnsSrv { priority, weight, port, name });
        }
        // SOA (RFC 1035 §3.3.13): MNAME, RNAME, SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM.
        6 => {
            const WHY: Reason = "dns.rdata_length_mismatch";
            let mname = rdata_name(&mut r, lim, f, cut)?;
            let rname = rdata_name(&mut r, lim, f, cut)?;
            rr.soa = Some(DnsSoa {
                mname,
                rname,
                serial: r.u32(WHY)?,
                refresh: r.u32(WHY)?,
                retry: r.u32(WHY)?,
                expire: r.u32(WHY)?,
                minimum: r.u32(WHY)?,
            });
        }
        // TXT (RFC 1035 §3.3.14): one or more <character-string>s.
        16 => {
            txt(rd, limits.max_rdata_text, f, rr)?;
            return Ok(true);
        }
        _ => return Ok(false),
    }
    if r.remaining() > 0 {
        return Err("dns.rdata_length_mismatch");
    }
    Ok(true)
}

/// A name inside RDATA; a limit that cut it marks the record's data as truncated.
fn rdata_name(r: &mut Reader<'_>, lim: NameLimits, f: &mut Findings, cut: &mut bool) -> Result<String, Reason> {
    let (n, end) = name(r.buf, r.pos(), lim)?;
    r.seek(end);
    *cut |= f.name_cut(&n);
    Ok(n.text)
}

/// TXT data: length-prefixed strings. At most `max` text bytes are kept, over all strings.
fn txt(rd: &[u8], max: usize, f: &mut Findings, rr: &mut DnsAnswer) -> Result<(), Reason> {
    let mut r = Reader::new(rd);
    let mut strings: Vec<&[u8]> = Vec::new();
    let mut total = 0usize;
    while r.remaining() > 0 {
        let len = r.u8("dns.txt_string_overrun")?;
        let s = r.bytes(usize::from(len), "dns.txt_string_overrun")?;
        total += s.len();
        strings.push(s);
    }
    let mut budget = max;
    let mut joined = String::new();
    let mut each: Vec<String> = Vec::new();
    for s in &strings {
        let kept = s.get(..budget.min(s.len())).unwrap_or_default();
        budget -= kept.len();
        escape_text(kept, &mut joined);
        if strings.len() > 1 {
            let mut one = String::new();
            escape_text(kept, &mut one);
            each.push(one);
        }
    }
    if total > max {
        f.limit(LimitHit { limit: "dns.max_rdata_text", value: total as u64 });
        rr.rdata_truncated = true;
    }
    rr.rdata = Some(joined);
    rr.txt = each;
    Ok(())
}
