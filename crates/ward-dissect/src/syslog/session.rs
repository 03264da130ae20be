//! The syslog dissector: one record per datagram on UDP; RFC 6587 framing on TCP.

use super::parser::{self, Bounds};
use crate::registry::DissectorInfo;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record};
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on syslog parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogLimits {
    /// Largest message (an octet count, a line, a datagram); larger ones are skipped.
    pub max_message_len: usize,
    /// Structured-data element ids kept per message.
    pub max_sd_elements: usize,
    /// Characters kept of a header value (hostname, app-name...).
    pub max_text: usize,
    /// Bytes of the message scanned for the credential hint.
    pub max_scan: usize,
}

impl Default for SyslogLimits {
    fn default() -> Self {
        SyslogLimits { max_message_len: 64 * 1024, max_sd_elements: 32, max_text: 255, max_scan: 8192 }
    }
}

/// Registry entry. 514 is syslog over UDP (RFC 5426) and, by wide custom, over TCP; 601 is
/// the IANA port of RFC 3195 that RFC 6587 senders also use.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Syslog,
    transports: &[Transport::Udp, Transport::Tcp],
    ports: &[514, 601],
    probe,
    new: |transport, limits| Box::new(Syslog::new(transport, &limits.syslog)),
};

/// `<PRI>` (0..=191) then what a header starts with: an RFC 5424 version digit and space, an
/// RFC 3164 month, or a host/tag/timestamp (any letter or digit). On TCP it may follow an
/// RFC 6587 octet count `NNN `. High on any port; a prefix of that on TCP wants more bytes.
fn probe(t: Transport, _: Direction, data: &[u8]) -> Confidence {
    let tcp = t == Transport::Tcp;
    let mut body = data;
    if tcp && data.first().is_some_and(u8::is_ascii_digit) {
        let d = data.iter().take_while(|c| c.is_ascii_digit()).count();
        if d > 10 || data[0] == b'0' {
            return Confidence::No;
        }
        match data.get(d) {
            None => return Confidence::NeedMore,
            Some(b' ') => body = &data[d + 1..],
            Some(_) => return Confidence::No,
        }
    }
    match parser::pri(body) {
        Ok(Some((_, n))) => match body.get(n) {
            Some(c) if c.is_ascii_alphanumeric() => Confidence::High,
            None if tcp => Confidence::NeedMore,
            _ => Confidence::No,
        },
        Ok(None) if tcp => Confidence::NeedMore,
        _ => Confidence::No,
    }
}

/// How a TCP direction is framed, as its last message was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Unknown,
    Counted,
    Lines,
}

#[derive(Debug)]
struct Dir {
    /// Bytes of an oversize counted message still to skip.
    skip: usize,
    /// Skipping to the next LF (after a gap or an oversize line).
    to_lf: bool,
    stopped: bool,
    /// Bytes at the front of the pending data known to hold no line end.
    scanned: usize,
    framing: Framing,
    /// Inside a run of bytes that are not syslog (one event per run).
    garbage: bool,
}

#[derive(Debug)]
struct Syslog {
    limits: SyslogLimits,
    udp: bool,
    dirs: [Dir; 2],
}

impl Syslog {
    fn new(t: Transport, limits: &SyslogLimits) -> Syslog {
        let d = || Dir { skip: 0, to_lf: false, stopped: false, scanned: 0, framing: Framing::Unknown, garbage: false };
        Syslog { limits: limits.clone(), udp: t != Transport::Tcp, dirs: [d(), d()] }
    }

    fn bounds(&self) -> Bounds {
        Bounds { max_text: self.limits.max_text, max_sd_elements: self.limits.max_sd_elements, max_scan: self.limits.max_scan }
    }

    fn event(out: &mut Output, dir: Direction, kind: DissectEventKind) {
        out.event(AppProtocol::Syslog, dir, kind);
    }

    fn limit(&self, out: &mut Output, dir: Direction, limit: &'static str, value: u64) {
        Self::event(out, dir, DissectEventKind::LimitExceeded { limit, value });
    }

    /// One message: a record, and events for what was wrong or cut.
    fn message(&mut self, dir: Direction, m: &[u8], framing: &'static str, out: &mut Output) {
        match parser::message(m, framing, self.bounds()) {
            Ok((rec, notes)) => {
                if let Some(reason) = notes.malformed {
                    Self::event(out, dir, DissectEventKind::Malformed { reason });
                }
                if notes.sd_cut {
                    self.limit(out, dir, "syslog.max_sd_elements", self.limits.max_sd_elements as u64 + 1);
                }
                if notes.scan_cut {
                    self.limit(out, dir, "syslog.max_scan", self.limits.max_scan as u64 + 1);
                }
                out.record(dir, Record::Syslog(rec));
            }
            Err(reason) => Self::event(out, dir, DissectEventKind::Malformed { reason }),
        }
    }

    fn tcp(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        let i = dir.index();
        let max = self.limits.max_message_len;
        let d = &mut self.dirs[i];
        if d.stopped {
            return Progress::done(data.len());
        }
        if d.skip > 0 {
            let n = d.skip.min(data.len());
            d.skip -= n;
            return Progress::need(n, 0);
        }
        if d.to_lf {
            return match memchr::memchr2(b'\n', 0, data) {
                Some(p) => {
                    d.to_lf = false;
                    Progress::need(p + 1, 0)
                }
                None => Progress::done(data.len()),
            };
        }
        // Between messages: line ends, NULs and spaces are noise.
        let lead = data.iter().take_while(|c| matches!(c, b'\n' | b'\r' | 0 | b' ' | b'\t')).count();
        if lead > 0 {
            return Progress::need(lead, 0);
        }
        match data[0] {
            b'1'..=b'9' => {
                // RFC 6587 §3.4.1 octet counting: MSG-LEN SP SYSLOG-MSG.
                let digits = data.iter().take_while(|c| c.is_ascii_digit()).count();
                if digits > 10 {
                    return self.garbage(dir, data, out);
                }
                match data.get(digits) {
                    None => return Progress::need(0, digits + 1),
                    Some(b' ') => {}
                    Some(_) => return self.garbage(dir, data, out),
                }
                let len = data[..digits].iter().fold(0u64, |a, c| a * 10 + u64::from(c - b'0'));
                let hl = digits + 1;
                if len > max as u64 {
                    self.limit(out, dir, "syslog.max_message_len", len);
                    let d = &mut self.dirs[i];
                    d.skip = len as usize;
                    d.framing = Framing::Counted;
                    return Progress::need(hl, 0);
                }
                let total = hl + len as usize;
                if data.len() < total {
                    return Progress::need(0, total);
                }
                let d = &mut self.dirs[i];
                d.framing = Framing::Counted;
                d.garbage = false;
                self.message(dir, &data[hl..total], "octet-counting", out);
                Progress::need(total, 0)
            }
            b'<' => {
                // RFC 6587 §3.4.2 non-transparent framing: the message ends at LF (or NUL).
                let from = d.scanned.min(data.len());
                match memchr::memchr2(b'\n', 0, &data[from..]) {
                    Some(k) => {
                        let p = from + k;
                        d.scanned = 0;
                        d.framing = Framing::Lines;
                        d.garbage = false;
                        if p > max {
                            self.limit(out, dir, "syslog.max_message_len", max as u64 + 1);
                        } else {
                            self.message(dir, &data[..p], "non-transparent", out);
                        }
                        Progress::need(p + 1, 0)
                    }
                    None if data.len() > max => {
                        d.scanned = 0;
                        d.to_lf = true;
                        d.framing = Framing::Lines;
                        self.limit(out, dir, "syslog.max_message_len", max as u64 + 1);
                        Progress::done(data.len())
                    }
                    None => {
                        d.scanned = data.len();
                        Progress::need(0, data.len() + 1)
                    }
                }
            }
            _ => self.garbage(dir, data, out),
        }
    }

    /// Bytes that start no message: report the run once, skip to the next line.
    fn garbage(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        let d = &mut self.dirs[dir.index()];
        if !d.garbage {
            d.garbage = true;
            Self::event(out, dir, DissectEventKind::Malformed { reason: "syslog.framing" });
        }
        match memchr::memchr2(b'\n', 0, data) {
            Some(p) => Progress::need(p + 1, 0),
            None => {
                d.to_lf = true;
                Progress::done(data.len())
            }
        }
    }
}

impl Dissector for Syslog {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        if data.is_empty() {
            return Progress::done(0);
        }
        if !self.udp {
            return self.tcp(dir, data, out);
        }
        // RFC 5426 §3.1: one message per datagram.
        if data.len() > self.limits.max_message_len {
            self.limit(out, dir, "syslog.max_message_len", data.len() as u64);
        } else {
            self.message(dir, data, "udp", out);
        }
        Progress::done(data.len())
    }

    fn on_gap(&mut self, dir: Direction, len: u64, out: &mut Output) {
        let d = &mut self.dirs[dir.index()];
        d.scanned = 0;
        if d.stopped {
            return;
        }
        if d.skip as u64 >= len {
            // Lost bytes inside an oversize message being skipped anyway.
            d.skip -= len as usize;
            return;
        }
        d.skip = 0;
        if d.framing == Framing::Counted {
            // Nothing marks the next count: stop this direction.
            d.stopped = true;
        } else {
            // Lines resynchronise at the next line end.
            d.to_lf = true;
        }
        Self::event(out, dir, DissectEventKind::LostSync);
    }

    fn on_eof(&mut self, _: Direction, _: &mut Output) {}
}

/// Fuzz entry point: `data` as one datagram, and as a TCP stream whole and split at two
/// points. Properties: the same records either way on TCP; kept texts within `max_text`;
/// no message text kept (the record serialises without any run of it longer than a header
/// field); every record serialises.
pub fn fuzz(data: &[u8]) {
    let limits = Limits::default();
    let udp = crate::harness::run(&INFO, Transport::Udp, &limits, &[(Direction::ToServer, data)]);
    assert!(udp.records.len() <= 1, "one record per datagram");
    let (whole, split) = crate::harness::whole_and_thirds(&INFO, &limits, Direction::ToServer, data);
    assert_eq!(whole.records, split.records, "split points change nothing");
    assert_eq!(whole.events, split.events, "split points change no event");
    for (_, r) in whole.records.iter().chain(&udp.records) {
        let Record::Syslog(r) = r else { panic!("not syslog") };
        for v in [&r.timestamp, &r.hostname, &r.app_name, &r.procid, &r.msgid].into_iter().flatten() {
            assert!(v.chars().count() <= limits.syslog.max_text, "bounded text");
        }
        assert!(r.sd_ids.len() <= limits.syslog.max_sd_elements);
        assert!(r.facility < 24 && r.severity < 8);
        assert!(serde_json::to_string(r).is_ok());
    }
}
