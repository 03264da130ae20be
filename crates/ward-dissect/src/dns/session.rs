//! The DNS dissector: whole datagrams over UDP, length-framed messages over TCP.

use super::parser::{self, NameError, NameLimits};
use super::record::DnsRecord;
use crate::registry::DissectorInfo;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record, StreamDriver};
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on DNS parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsLimits {
    /// Questions parsed per message.
    pub max_questions: usize,
    /// Records parsed per section (answer, authority, additional).
    pub max_answers: usize,
    /// Longest name in wire octets (RFC 1035 allows 255).
    pub max_name_length: usize,
    /// Compression pointers followed per name.
    pub max_compression_pointers: usize,
    /// TXT bytes kept per record.
    pub max_rdata_text: usize,
    /// Longest message accepted over TCP; longer ones are skipped unparsed.
    pub max_message_len: usize,
}

impl Default for DnsLimits {
    fn default() -> Self {
        DnsLimits {
            max_questions: 16,
            max_answers: 128,
            max_name_length: 255,
            max_compression_pointers: 32,
            max_rdata_text: 512,
            max_message_len: 65_535,
        }
    }
}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Dns,
    transports: &[Transport::Udp, Transport::Tcp],
    ports: &[53, 5353, 5355],
    probe,
    new: |transport, limits| Box::new(Dns::new(transport, &limits.dns)),
};

fn probe(transport: Transport, _: Direction, data: &[u8]) -> Confidence {
    let (msg, whole) = if transport == Transport::Tcp {
        if data.len() < 14 {
            return Confidence::NeedMore;
        }
        let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        if len < 12 {
            return Confidence::No;
        }
        (&data[2..data.len().min(2 + len)], data.len() >= 2 + len)
    } else {
        (data, true)
    };
    let Ok(h) = parser::header(msg) else { return Confidence::No };
    let qr = h.flags & 0x8000 != 0;
    let opcode = (h.flags >> 11) & 0xf;
    // RFC 1035 §4.1.1: Z must be zero; opcodes and rcodes in use are few.
    if !matches!(opcode, 0 | 1 | 2 | 4 | 5) || h.flags & 0x0040 != 0 || h.flags & 0xf > 10 {
        return Confidence::No;
    }
    let plausible = if qr {
        h.qdcount <= 1 && (h.qdcount == 1 || h.ancount > 0)
    } else {
        // A query asks one question; only UPDATE (5) carries records in the other sections.
        h.qdcount == 1 && (opcode == 5 || (h.ancount == 0 && h.nscount == 0)) && h.arcount <= 2
    };
    if !plausible {
        return Confidence::No;
    }
    if whole {
        return match parse(msg, &DnsLimits::default()) {
            (Some(_), None) => Confidence::High,
            _ => Confidence::No,
        };
    }
    let lim = NameLimits { max_len: 255, max_pointers: 8 };
    match parser::question(msg, 12, lim) {
        Ok((q, _)) if q.rrname.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) => Confidence::High,
        Ok(_) => Confidence::Low,
        Err(_) => Confidence::NeedMore,
    }
}

#[derive(Debug)]
struct Dns {
    transport: Transport,
    limits: DnsLimits,
    /// TCP: bytes of an oversize message still to skip, per direction.
    skip: [usize; 2],
    /// TCP: framing lost after a gap, per direction.
    stopped: [bool; 2],
}

impl Dns {
    fn new(transport: Transport, limits: &DnsLimits) -> Dns {
        Dns { transport, limits: limits.clone(), skip: [0; 2], stopped: [false; 2] }
    }

    fn message(&self, dir: Direction, msg: &[u8], out: &mut Output) {
        let (record, problem) = parse(msg, &self.limits);
        if let Some(kind) = problem {
            out.event(AppProtocol::Dns, dir, kind);
        }
        if let Some(r) = record {
            out.record(dir, Record::Dns(r));
        }
    }
}

impl Dissector for Dns {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        if self.transport != Transport::Tcp {
            self.message(dir, data, out);
            return Progress::done(data.len());
        }
        let i = dir.index();
        if self.stopped[i] {
            return Progress::done(data.len());
        }
        if self.skip[i] > 0 {
            let n = self.skip[i].min(data.len());
            self.skip[i] -= n;
            return Progress::need(n, 0);
        }
        if data.len() < 2 {
            return Progress::need(0, 2);
        }
        let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        if len > self.limits.max_message_len {
            out.event(AppProtocol::Dns, dir, DissectEventKind::LimitExceeded { limit: "dns.max_message_len", value: len as u64 });
            self.skip[i] = len;
            return Progress::need(2, 0);
        }
        if data.len() < 2 + len {
            return Progress::need(0, 2 + len);
        }
        self.message(dir, &data[2..2 + len], out);
        Progress::need(2 + len, 0)
    }

    fn on_gap(&mut self, dir: Direction, _: u64, out: &mut Output) {
        let i = dir.index();
        if self.transport == Transport::Tcp && !self.stopped[i] {
            self.stopped[i] = true;
            out.event(AppProtocol::Dns, dir, DissectEventKind::LostSync);
        }
    }

    fn on_eof(&mut self, _: Direction, _: &mut Output) {}
}

fn name_problem(e: NameError) -> DissectEventKind {
    match e {
        NameError::Malformed(reason) => DissectEventKind::Malformed { reason },
        NameError::Limit(limit, value) => DissectEventKind::LimitExceeded { limit, value },
    }
}

/// Parse one message. A record is produced when the header and every question parse; a
/// problem later on keeps the sections read so far and is reported beside the record.
fn parse(msg: &[u8], limits: &DnsLimits) -> (Option<DnsRecord>, Option<DissectEventKind>) {
    let h = match parser::header(msg) {
        Ok(h) => h,
        Err(reason) => return (None, Some(DissectEventKind::Malformed { reason })),
    };
    let lim = NameLimits { max_len: limits.max_name_length, max_pointers: limits.max_compression_pointers };
    let qr = h.flags & 0x8000 != 0;
    let mut r = DnsRecord {
        kind: if qr { "response" } else { "request" },
        id: h.id,
        flags: format!("{:x}", h.flags),
        qr,
        aa: h.flags & 0x0400 != 0,
        tc: h.flags & 0x0200 != 0,
        rd: h.flags & 0x0100 != 0,
        ra: h.flags & 0x0080 != 0,
        opcode: ((h.flags >> 11) & 0xf) as u8,
        rcode: parser::rcode_name(h.flags & 0xf),
        queries: Vec::new(),
        answers: Vec::new(),
        authorities: Vec::new(),
        additionals: Vec::new(),
    };
    let mut at = 12;
    for n in 0..usize::from(h.qdcount) {
        if n >= limits.max_questions {
            let e = DissectEventKind::LimitExceeded { limit: "dns.max_questions", value: u64::from(h.qdcount) };
            return (Some(r), Some(e));
        }
        match parser::question(msg, at, lim) {
            Ok((q, next)) => {
                r.queries.push(q);
                at = next;
            }
            Err(e) => return (None, Some(name_problem(e))),
        }
    }
    let sections = [(h.ancount, 0usize), (h.nscount, 1), (h.arcount, 2)];
    for (count, which) in sections {
        for n in 0..usize::from(count) {
            if n >= limits.max_answers {
                let e = DissectEventKind::LimitExceeded { limit: "dns.max_answers", value: u64::from(count) };
                return (Some(r), Some(e));
            }
            match parser::resource(msg, at, lim, limits.max_rdata_text) {
                Ok((rr, next)) => {
                    at = next;
                    if let Some(rr) = rr {
                        match which {
                            0 => r.answers.push(rr),
                            1 => r.authorities.push(rr),
                            _ => r.additionals.push(rr),
                        }
                    }
                }
                Err(e) => return (Some(r), Some(name_problem(e))),
            }
        }
    }
    (Some(r), None)
}

/// Fuzz entry point: `data` as a UDP datagram and as a TCP stream (length-prefixed, split at
/// two points). Both must give the same records; names stay within the limits; records serialise.
pub fn fuzz(data: &[u8]) {
    let limits = Limits::default();
    let mut udp = StreamDriver::new(&INFO, Transport::Udp, &limits);
    let mut out_udp = Output::default();
    udp.feed(Direction::ToServer, data, &mut out_udp);
    if data.len() <= limits.dns.max_message_len {
        let mut framed = (data.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(data);
        let mut tcp = StreamDriver::new(&INFO, Transport::Tcp, &limits);
        let mut out_tcp = Output::default();
        let a = framed.len() / 3;
        let b = framed.len() * 2 / 3;
        for part in [&framed[..a], &framed[a..b], &framed[b..]] {
            tcp.feed(Direction::ToServer, part, &mut out_tcp);
        }
        assert_eq!(out_tcp.records, out_udp.records, "TCP and UDP framing give the same records");
    }
    let max = limits.dns.max_name_length * 4; // escaping widens a byte to at most 4 characters
    for (_, r) in &out_udp.records {
        let Record::Dns(r) = r else { panic!("not dns") };
        for q in &r.queries {
            assert!(q.rrname.len() <= max);
        }
        for a in r.answers.iter().chain(&r.authorities).chain(&r.additionals) {
            assert!(a.rrname.len() <= max);
        }
        assert!(serde_json::to_string(r).is_ok());
    }
}
