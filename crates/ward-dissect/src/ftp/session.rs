//! The FTP dissector: CRLF-terminated lines (RFC 959 §4), multi-line replies (`123-` ...
//! `123 `), pipelined commands; after AUTH TLS is accepted (RFC 4217) the rest is encrypted and
//! ignored.

use super::record::FtpRecord;
use crate::registry::DissectorInfo;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record};
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on FTP parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpLimits {
    /// Longest line buffered; longer ones are skipped to their end.
    pub max_line: usize,
    /// Characters kept of a greeting or SYST text.
    pub max_text: usize,
}

impl Default for FtpLimits {
    fn default() -> Self {
        FtpLimits { max_line: 4096, max_text: 128 }
    }
}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Ftp,
    transports: &[Transport::Tcp],
    ports: &[21],
    probe,
    new: |_, limits| Box::new(Ftp { limits: limits.ftp.clone(), skipping: [false; 2], stopped: false, auth_tls: false, in_multiline: None }),
};

/// The server speaks first with `220`; a client's `USER`/`AUTH` on port 21 is weaker evidence.
fn probe(_: Transport, dir: Direction, data: &[u8]) -> Confidence {
    if dir == Direction::ToClient {
        if data.len() < 4 {
            return if b"220".starts_with(&data[..data.len().min(3)]) { Confidence::NeedMore } else { Confidence::No };
        }
        return if data.starts_with(b"220") && matches!(data[3], b' ' | b'-') { Confidence::High } else { Confidence::No };
    }
    let up: Vec<u8> = data.iter().take(5).map(u8::to_ascii_uppercase).collect();
    if up.starts_with(b"USER ") || up.starts_with(b"AUTH ") { Confidence::Low } else { Confidence::No }
}

#[derive(Debug)]
struct Ftp {
    limits: FtpLimits,
    skipping: [bool; 2],
    stopped: bool,
    auth_tls: bool,
    /// Code of a multi-line reply in progress.
    in_multiline: Option<u16>,
}

impl Ftp {
    fn line(&mut self, dir: Direction, line: &[u8], out: &mut Output) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if dir == Direction::ToServer {
            let verb_len = line.iter().position(|c| *c == b' ').unwrap_or(line.len());
            let verb = &line[..verb_len];
            if verb.is_empty() || verb.len() > 8 || !verb.iter().all(u8::is_ascii_alphabetic) {
                out.event(AppProtocol::Ftp, dir, DissectEventKind::Malformed { reason: "ftp.command" });
                return;
            }
            let command = String::from_utf8_lossy(verb).to_ascii_uppercase();
            let arg = line.get(verb_len + 1..).unwrap_or(&[]);
            let anonymous = command == "USER" && (arg.eq_ignore_ascii_case(b"anonymous") || arg.eq_ignore_ascii_case(b"ftp"));
            self.auth_tls |= command == "AUTH";
            let r = FtpRecord { kind: "request", command: Some(command), argument_present: !arg.is_empty(), anonymous, ..FtpRecord::default() };
            out.record(dir, Record::Ftp(r));
            return;
        }
        let code = line.get(..3).and_then(|c| std::str::from_utf8(c).ok()).and_then(|c| c.parse::<u16>().ok());
        let sep = line.get(3).copied();
        match (self.in_multiline, code, sep) {
            // Inside a multi-line reply, only `CODE ` ends it; other lines are its text.
            (Some(m), Some(c), Some(b' ')) if m == c => self.in_multiline = None,
            (Some(_), _, _) => {}
            (None, Some(c), Some(b'-')) if (100..600).contains(&c) => {
                self.in_multiline = Some(c);
                self.reply(dir, c, &line[4..], out);
            }
            (None, Some(c), Some(b' ') | None) if (100..600).contains(&c) => {
                self.reply(dir, c, line.get(4..).unwrap_or(&[]), out);
            }
            _ => out.event(AppProtocol::Ftp, dir, DissectEventKind::Malformed { reason: "ftp.reply" }),
        }
    }

    fn reply(&mut self, dir: Direction, code: u16, text: &[u8], out: &mut Output) {
        let keep = matches!(code, 220 | 215);
        let text = keep.then(|| {
            String::from_utf8_lossy(text).chars().filter(|c| !c.is_control()).take(self.limits.max_text).collect::<String>().trim().to_string()
        });
        if code == 234 && self.auth_tls {
            self.stopped = true; // TLS starts now
        }
        out.record(dir, Record::Ftp(FtpRecord { kind: "reply", code: Some(code), text, ..FtpRecord::default() }));
    }
}

impl Dissector for Ftp {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        let i = dir.index();
        let mut at = 0;
        while at < data.len() {
            if self.stopped {
                return Progress::done(data.len());
            }
            let rest = &data[at..];
            match memchr::memchr(b'\n', rest) {
                Some(n) => {
                    if !std::mem::take(&mut self.skipping[i]) {
                        if n > self.limits.max_line {
                            out.event(AppProtocol::Ftp, dir, DissectEventKind::LimitExceeded { limit: "ftp.max_line", value: n as u64 });
                        } else {
                            self.line(dir, &rest[..n], out);
                        }
                    }
                    at += n + 1;
                }
                None if rest.len() > self.limits.max_line => {
                    if !self.skipping[i] {
                        out.event(AppProtocol::Ftp, dir, DissectEventKind::LimitExceeded { limit: "ftp.max_line", value: rest.len() as u64 });
                    }
                    self.skipping[i] = true;
                    return Progress::done(data.len());
                }
                None => return Progress::need(at, rest.len() + 1),
            }
        }
        Progress::done(data.len())
    }

    fn on_gap(&mut self, dir: Direction, _: u64, _: &mut Output) {
        // Resynchronise at the next line end.
        self.skipping[dir.index()] = true;
        if dir == Direction::ToClient {
            self.in_multiline = None;
        }
    }

    fn on_eof(&mut self, _: Direction, _: &mut Output) {}
}

/// Fuzz entry point: split points change nothing, no argument value survives, records serialise.
pub fn fuzz(data: &[u8]) {
    let limits = Limits::default();
    for dir in Direction::BOTH {
        let (whole, split) = crate::harness::whole_and_thirds(&INFO, &limits, dir, data);
        assert_eq!(whole.records, split.records, "split points change nothing");
        for (_, r) in &whole.records {
            let Record::Ftp(r) = r else { panic!("not ftp") };
            assert!(r.text.as_ref().is_none_or(|t| t.chars().count() <= limits.ftp.max_text));
            assert!(serde_json::to_string(r).is_ok());
        }
    }
}
