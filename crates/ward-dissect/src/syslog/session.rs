//! The syslog dissector: one UDP datagram, one message (RFC 5424 §6, RFC 3164 §4).

use super::record::SyslogRecord;
use crate::registry::DissectorInfo;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record};
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on syslog parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogLimits {
    /// Characters kept of the host name and app name.
    pub max_text: usize,
}

impl Default for SyslogLimits {
    fn default() -> Self {
        SyslogLimits { max_text: 64 }
    }
}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Syslog,
    transports: &[Transport::Udp],
    ports: &[514],
    probe,
    new: |_, limits| Box::new(Syslog { limits: limits.syslog.clone() }),
};

const SEVERITIES: [&str; 8] = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

/// `<PRI>` with PRI 0-191, then a version digit and a space (5424) or text (3164).
fn pri(data: &[u8]) -> Option<(u8, usize)> {
    let rest = data.strip_prefix(b"<")?;
    let end = rest.iter().take(4).position(|c| *c == b'>')?;
    let digits = &rest[..end];
    if digits.is_empty() || (digits.len() > 1 && digits[0] == b'0') || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v: u16 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    (v <= 191).then_some((v as u8, end + 2))
}

fn probe(_: Transport, _: Direction, data: &[u8]) -> Confidence {
    match pri(data) {
        Some((_, n)) if data.len() > n => Confidence::High,
        Some(_) => Confidence::Low,
        None => Confidence::No,
    }
}

#[derive(Debug)]
struct Syslog {
    limits: SyslogLimits,
}

fn field(s: &str, max: usize) -> Option<String> {
    (s != "-" && !s.is_empty()).then(|| s.chars().filter(|c| !c.is_control()).take(max).collect())
}

impl Syslog {
    fn message(&self, data: &[u8]) -> Option<SyslogRecord> {
        let (p, n) = pri(data)?;
        let text = String::from_utf8_lossy(&data[n..]);
        let mut r = SyslogRecord { facility: p / 8, severity: p % 8, severity_name: SEVERITIES[usize::from(p % 8)], ..SyslogRecord::default() };
        let msg: &str;
        if text.starts_with("1 ") {
            // VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]
            r.format = "rfc5424";
            let mut parts = text.splitn(7, ' ');
            let _v = parts.next();
            let _ts = parts.next();
            r.hostname = parts.next().and_then(|h| field(h, self.limits.max_text));
            r.app_name = parts.next().and_then(|a| field(a, self.limits.max_text));
            let _proc = parts.next();
            let _msgid = parts.next();
            let rest = parts.next().unwrap_or("");
            // Structured data: `-` or bracketed elements; the message follows.
            msg = if let Some(m) = rest.strip_prefix("- ") {
                m
            } else if rest.starts_with('[') {
                let mut depth = 0;
                let mut end = rest.len();
                for (i, c) in rest.char_indices() {
                    match c {
                        '[' => depth += 1,
                        ']' => {
                            depth -= 1;
                            if depth == 0 && !rest[i + 1..].starts_with('[') {
                                end = i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                rest[end..].trim_start()
            } else {
                ""
            };
        } else {
            // Mmm dd hh:mm:ss HOSTNAME TAG: MSG
            r.format = "rfc3164";
            let after_ts = text.get(16..).unwrap_or("");
            let mut parts = after_ts.splitn(2, ' ');
            r.hostname = parts.next().and_then(|h| field(h, self.limits.max_text));
            let rest = parts.next().unwrap_or("");
            let tag_end = rest.find([':', '[', ' ']).unwrap_or(rest.len());
            r.app_name = field(&rest[..tag_end], self.limits.max_text);
            msg = rest.get(tag_end..).unwrap_or("");
        }
        r.message_length = msg.len();
        let lower = msg.to_ascii_lowercase();
        r.credentials_hint = ["password=", "passwd", "pwd=", "secret="].iter().any(|k| lower.contains(k));
        Some(r)
    }
}

impl Dissector for Syslog {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        match self.message(data) {
            Some(r) => out.record(dir, Record::Syslog(r)),
            None => out.event(AppProtocol::Syslog, dir, DissectEventKind::Malformed { reason: "syslog.pri" }),
        }
        Progress::done(data.len())
    }

    fn on_gap(&mut self, _: Direction, _: u64, _: &mut Output) {}

    fn on_eof(&mut self, _: Direction, _: &mut Output) {}
}

/// Fuzz entry point: at most one record per datagram, bounded fields, serialisable.
pub fn fuzz(data: &[u8]) {
    let limits = Limits::default();
    let out = crate::harness::run(&INFO, Transport::Udp, &limits, &[(Direction::ToServer, data)]);
    assert!(out.records.len() <= 1);
    for (_, r) in &out.records {
        let Record::Syslog(r) = r else { panic!("not syslog") };
        assert!(r.hostname.as_ref().is_none_or(|h| h.chars().count() <= limits.syslog.max_text));
        assert!(serde_json::to_string(r).is_ok());
    }
}
