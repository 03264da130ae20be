//! The DNS dissector: one message per UDP datagram; over TCP, messages framed by a two-octet
//! length (RFC 1035 §4.2.2), written once for both directions.

use super::parser::{self, NameLimits, Reader};
use crate::registry::DissectorInfo;
use std::cell::RefCell;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record};
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on DNS parsing. Hitting one raises `LimitExceeded` with `dns.<field>`; what lies
/// beyond is skipped (never buffered) and parsing goes on after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsLimits {
    /// Questions decoded per message; further ones are stepped over.
    pub max_questions: usize,
    /// Resource records decoded per section (answer, authority, additional); further ones are
    /// stepped over.
    pub max_answers: usize,
    /// Longest name kept, in wire octets with length octets and the root octet (RFC 1035
    /// §2.3.4 allows 255). A longer name is cut at a label boundary and marked truncated.
    pub max_name_length: usize,
    /// Compression pointers followed per name (RFC 1035 §4.1.4); the name is cut after them.
    pub max_compression_pointers: usize,
    /// TXT text bytes kept per record (before escaping), over all its strings.
    pub max_rdata_text: usize,
    /// Longest message parsed, in octets; a longer one is skipped whole (over TCP, without
    /// buffering it).
    pub max_message_len: usize,
}

impl Default for DnsLimits {
    fn default() -> Self {
        DnsLimits {
            // mDNS queries ask several questions at once; unicast ones ask one.
            max_questions: 32,
            max_answers: 256,
            max_name_length: 255,
            // Each pointer after the first adds at least one label (two octets) in a real
            // message, so 255 octets need fewer than 128.
            max_compression_pointers: 128,
            max_rdata_text: 1024,
            max_message_len: 65_535,
        }
    }
}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Dns,
    transports: &[Transport::Udp, Transport::Tcp],
    // DNS, mDNS (RFC 6762), LLMNR (RFC 4795).
    ports: &[53, 5353, 5355],
    probe,
    new: |transport, limits| Box::new(DnsSession::new(transport, &limits.dns)),
};

/// Is this DNS? For TCP, `data` starts with the length prefix.
fn probe(transport: Transport, _: Direction, data: &[u8]) -> Confidence {
    if transport != Transport::Tcp {
        return probe_message(data, data.len(), true);
    }
    // The length prefix and a whole header.
    let (Some((prefix, body)), true) = (data.split_first_chunk::<2>(), data.len() >= 14) else {
        return Confidence::NeedMore;
    };
    let len = usize::from(u16::from_be_bytes(*prefix));
    match body.get(..len) {
        Some(msg) => probe_message(msg, len, true),
        None => probe_message(body, len, false),
    }
}

/// `msg` is the message (`whole`) or its first bytes, of a declared length `len`.
fn probe_message(msg: &[u8], len: usize, whole: bool) -> Confidence {
    let Ok(h) = parser::header(&mut Reader::new(msg)) else { return Confidence::No };
    let query = !h.is_response();
    // Opcodes in use (QUERY, IQUERY, STATUS, NOTIFY, UPDATE, DSO); Z is zero (RFC 1035
    // §4.1.1); a query carries no error; a query asks something, and no message asks much.
    let sane = matches!(h.opcode(), 0 | 1 | 2 | 4 | 5 | 6)
        && !h.z()
        && (!query || h.rcode() == 0)
        && (h.qdcount > 0 || !query)
        && h.qdcount <= 32
        && h.min_len() <= len;
    if !sane {
        return Confidence::No;
    }
    let typical = h.opcode() == 0 && h.qdcount == 1;
    if whole {
        let p = parser::message(msg, &DnsLimits::default());
        // Clean means every section parsed and ended exactly at the message's end (for TCP:
        // where the length prefix says).
        let clean = p.record.is_some()
            && !p.findings.events.iter().any(|e| {
                matches!(e, DissectEventKind::Malformed { .. } | DissectEventKind::PeerMisbehaving { .. })
            });
        if clean {
            keep_probed(msg, p);
        }
        return match (clean, typical) {
            (true, true) => Confidence::High,
            (true, false) => Confidence::Low,
            (false, _) => Confidence::No,
        };
    }
    // The first bytes of a TCP message: judge by its first question.
    let lim = NameLimits { max_len: 255, max_pointers: 0 };
    match parser::name(msg, 12, lim) {
        Ok((n, _)) if n.cut.is_some() => Confidence::No,
        Ok((_, end)) if end + 4 <= msg.len() => {
            if typical && query && h.ancount == 0 && h.nscount == 0 { Confidence::High } else { Confidence::Low }
        }
        Ok(_) | Err("dns.name_truncated") => Confidence::NeedMore,
        Err(_) => Confidence::No,
    }
}

/// The last message the probe parsed whole and found clean, with what the parse gave. The
/// probe's verdict creates a dissector that is handed the same message next: it takes the parse
/// from here instead of doing it again. Parsing is a function of the bytes and the limits, so
/// the memo is only used for the same bytes under the default limits (the probe's), and it is
/// harmless when the message never reaches a DNS dissector.
#[derive(Debug, Default)]
struct Probed {
    msg: Vec<u8>,
    parsed: Option<parser::Parsed>,
}

thread_local! {
    static PROBED: RefCell<Probed> = RefCell::new(Probed::default());
}

/// Largest message remembered by the probe (mDNS answers can be large; most queries are tiny).
const MAX_PROBED: usize = 1500;

fn keep_probed(msg: &[u8], parsed: parser::Parsed) {
    if msg.len() > MAX_PROBED {
        return;
    }
    PROBED.with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            p.msg.clear();
            p.msg.extend_from_slice(msg);
            p.parsed = Some(parsed);
        }
    });
}

/// The probe's parse of `msg`, if it was the last message the probe parsed.
fn take_probed(msg: &[u8]) -> Option<parser::Parsed> {
    PROBED.with(|p| {
        let mut p = p.try_borrow_mut().ok()?;
        if p.parsed.is_some() && p.msg == msg { p.parsed.take() } else { None }
    })
}

/// Where one direction of a TCP stream stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// At a message boundary.
    Boundary,
    /// Inside a message the driver is buffering until it is whole.
    Partial,
    /// Inside a message longer than `max_message_len`: this many octets still to discard.
    Skipping { remaining: usize },
    /// The framing was lost in a gap; the rest of this direction is ignored.
    Lost,
}

/// One flow's DNS dissector.
#[derive(Debug)]
struct DnsSession {
    transport: Transport,
    limits: DnsLimits,
    /// The limits are the probe's: its parse of a message can be taken as this session's.
    probe_limits: bool,
    /// TCP framing per direction, indexed by [`Direction::index`].
    framing: [Framing; 2],
}

impl DnsSession {
    fn new(transport: Transport, limits: &DnsLimits) -> DnsSession {
        DnsSession { transport, limits: limits.clone(), probe_limits: *limits == DnsLimits::default(), framing: [Framing::Boundary; 2] }
    }

    /// One whole message: its events, then its record.
    fn message(&self, dir: Direction, msg: &[u8], out: &mut Output) {
        if msg.len() > self.limits.max_message_len {
            let kind = DissectEventKind::LimitExceeded { limit: "dns.max_message_len", value: msg.len() as u64 };
            out.event(AppProtocol::Dns, dir, kind);
            return;
        }
        let probed = if self.probe_limits { take_probed(msg) } else { None };
        let parsed = probed.unwrap_or_else(|| parser::message(msg, &self.limits));
        for kind in parsed.findings.events {
            out.event(AppProtocol::Dns, dir, kind);
        }
        if let Some(r) = parsed.record {
            out.record(dir, Record::Dns(r));
        }
    }

    /// TCP: every whole message in `data`; the driver keeps an incomplete one for next time.
    fn stream(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        let i = dir.index();
        let mut at = 0;
        loop {
            let rest = data.get(at..).unwrap_or_default();
            match self.framing[i] {
                Framing::Lost => return Progress::done(data.len()),
                Framing::Skipping { remaining } => {
                    let n = remaining.min(rest.len());
                    at += n;
                    self.framing[i] = if n == remaining { Framing::Boundary } else { Framing::Skipping { remaining: remaining - n } };
                    if at == data.len() {
                        return Progress::done(data.len());
                    }
                }
                Framing::Boundary | Framing::Partial => {
                    if rest.is_empty() {
                        self.framing[i] = Framing::Boundary;
                        return Progress::done(data.len());
                    }
                    let mut r = Reader::new(rest);
                    let Ok(len) = r.u16("dns.length_prefix") else {
                        self.framing[i] = Framing::Partial;
                        return Progress::need(at, 2);
                    };
                    let len = usize::from(len);
                    if len > self.limits.max_message_len {
                        let kind = DissectEventKind::LimitExceeded { limit: "dns.max_message_len", value: len as u64 };
                        out.event(AppProtocol::Dns, dir, kind);
                        self.framing[i] = Framing::Skipping { remaining: len };
                        at += 2;
                        continue;
                    }
                    let Ok(msg) = r.bytes(len, "dns.truncated_message") else {
                        self.framing[i] = Framing::Partial;
                        return Progress::need(at, 2 + len);
                    };
                    self.message(dir, msg, out);
                    self.framing[i] = Framing::Boundary;
                    at += 2 + len;
                }
            }
        }
    }
}

impl Dissector for DnsSession {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        if self.transport == Transport::Tcp {
            return self.stream(dir, data, out);
        }
        // A datagram is exactly one message (RFC 1035 §4.2.1).
        self.message(dir, data, out);
        Progress::done(data.len())
    }

    fn on_gap(&mut self, dir: Direction, _len: u64, out: &mut Output) {
        // Nothing in a DNS stream marks where a message starts: after lost bytes any two
        // octets could pass for a length, so this direction stops rather than guess.
        let i = dir.index();
        if self.transport == Transport::Tcp && self.framing[i] != Framing::Lost {
            self.framing[i] = Framing::Lost;
            out.event(AppProtocol::Dns, dir, DissectEventKind::LostSync);
        }
    }

    fn on_eof(&mut self, dir: Direction, out: &mut Output) {
        let i = dir.index();
        if matches!(self.framing[i], Framing::Partial | Framing::Skipping { .. }) {
            out.event(AppProtocol::Dns, dir, DissectEventKind::Malformed { reason: "dns.truncated_message" });
        }
        self.framing[i] = Framing::Boundary;
    }
}

/// Fuzz entry point (`fuzz/fuzz_targets/dns.rs`). Runs `data` as one UDP datagram and, framed
/// by its length, as a TCP stream carrying it twice, cut at a few points; with default limits
/// and with tiny ones. Asserts: no panic; TCP gives the UDP records and events, twice; every
/// record re-serialises to JSON; every name is printable and within `max_name_length`; no
/// section holds more entries than its limit.
///
/// # Panics
///
/// When a property fails: that is the point of a fuzz target.
pub fn fuzz(data: &[u8]) {
    let tiny = DnsLimits {
        max_questions: 1,
        max_answers: 1,
        max_name_length: 16,
        max_compression_pointers: 1,
        max_rdata_text: 4,
        max_message_len: 512,
    };
    for dns in [DnsLimits::default(), tiny] {
        let limits = Limits { dns, ..Limits::default() };
        let udp = crate::harness::run(&INFO, Transport::Udp, &limits, &[(Direction::ToClient, data)]);
        // An empty datagram is never delivered; an empty TCP message is two zero octets.
        if let Ok(len) = u16::try_from(data.len()).map_err(drop).and_then(|l| if l > 0 { Ok(l) } else { Err(()) }) {
            let mut framed = len.to_be_bytes().to_vec();
            framed.extend_from_slice(data);
            framed.extend_from_slice(&len.to_be_bytes());
            framed.extend_from_slice(data);
            let (a, b) = (1.min(framed.len()), framed.len() / 2);
            let (c, d) = (b.max(usize::from(len) + 3).min(framed.len()), framed.len());
            let parts = [&framed[..a], &framed[a..b], &framed[b..c], &framed[c..d]];
            let chunks: Vec<(Direction, &[u8])> = parts.iter().map(|p| (Direction::ToClient, *p)).collect();
            let tcp = crate::harness::run(&INFO, Transport::Tcp, &limits, &chunks);
            assert_eq!(tcp.records, twice(&udp.records), "TCP and UDP disagree on the records");
            assert_eq!(tcp.events, twice(&udp.events), "TCP and UDP disagree on the events");
        }
        for (_, r) in &udp.records {
            let Record::Dns(r) = r else { panic!("a DNS dissector produced {r:?}") };
            check_record(r, &limits.dns);
        }
    }
}

fn check_record(r: &super::DnsRecord, limits: &DnsLimits) {
    let json = serde_json::to_string(r).unwrap_or_default();
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok(), "record does not re-serialise: {r:?}");
    assert!(r.queries.len() <= limits.max_questions, "{} questions kept", r.queries.len());
    let mut names: Vec<&str> = r.queries.iter().map(|q| q.rrname.as_str()).collect();
    for section in [&r.answers, &r.authorities, &r.additionals] {
        assert!(section.len() <= limits.max_answers, "{} records kept in a section", section.len());
        for a in section {
            names.push(&a.rrname);
            if let Some(s) = &a.srv {
                names.push(&s.name);
            }
            if let Some(s) = &a.soa {
                names.extend([s.mname.as_str(), s.rname.as_str()]);
            }
            if matches!(a.rrtype.as_str(), "CNAME" | "NS" | "PTR" | "MX") {
                names.extend(a.rdata.as_deref());
            }
            let text = a.rdata.iter().chain(&a.txt);
            assert!(text.flat_map(|t| t.bytes()).all(|b| (0x20..0x7f).contains(&b)), "unprintable data in {a:?}");
        }
    }
    for n in names {
        assert!(n.bytes().all(|b| (0x21..0x7f).contains(&b)), "unprintable name {n:?}");
        let wire = wire_len(n);
        assert!(wire <= limits.max_name_length.max(1), "name {n:?} is {wire} octets on the wire");
    }
}

fn twice<T: Clone>(v: &[T]) -> Vec<T> {
    [v, v].concat()
}

/// The wire length of a rendered name: each label's octets (`\xNN`, `\.` and `\\` are one)
/// plus its length octet, plus the root octet.
pub(crate) fn wire_len(rendered: &str) -> usize {
    if rendered.is_empty() {
        return 1;
    }
    let mut octets = 0;
    let mut labels = 1;
    let mut chars = rendered.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => labels += 1,
            '\\' => {
                if chars.next() == Some('x') {
                    let _hex = (chars.next(), chars.next());
                }
                octets += 1;
            }
            _ => octets += 1,
        }
    }
    octets + labels + 1
}
