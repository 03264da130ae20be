//! The Telnet dissector: IAC commands and subnegotiations removed byte by byte (RFC 854, RFC
//! 855), then the server's text watched for login and password prompts and the client's
//! answers counted as lines, never kept.

use super::record::TelnetRecord;
use crate::registry::DissectorInfo;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record};
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on Telnet parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelnetLimits {
    /// Bytes of one subnegotiation (IAC SB ... IAC SE) tolerated before it is abandoned.
    pub max_subnegotiation: usize,
    /// Characters of server text remembered for prompt detection and the banner.
    pub max_window: usize,
    /// Characters kept of the banner.
    pub max_banner: usize,
}

impl Default for TelnetLimits {
    fn default() -> Self {
        TelnetLimits { max_subnegotiation: 512, max_window: 512, max_banner: 128 }
    }
}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Telnet,
    transports: &[Transport::Tcp],
    ports: &[23],
    probe,
    new: |_, limits| Box::new(Telnet::new(limits.telnet.clone())),
};

const IAC: u8 = 255;
const SB: u8 = 250;
const SE: u8 = 240;

/// A stream that opens with IAC DO/DONT/WILL/WONT/SB, from either side.
fn probe(_: Transport, _: Direction, data: &[u8]) -> Confidence {
    match data {
        [IAC] => Confidence::NeedMore,
        [IAC, c, ..] if (SB..=254).contains(c) => Confidence::High,
        _ => Confidence::No,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    Data,
    Escape,
    Option,
    Sub(usize),
    SubEscape(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Login {
    Start,
    AwaitUser,
    AwaitPassword,
    AwaitOutcome,
    Done,
}

#[derive(Debug)]
struct Telnet {
    limits: TelnetLimits,
    iac: [Cmd; 2],
    window: String,
    banner_done: bool,
    login: Login,
    rec: TelnetRecord,
    /// The client typed something on the current line.
    typed: bool,
    stopped: [bool; 2],
}

impl Telnet {
    fn new(limits: TelnetLimits) -> Telnet {
        Telnet {
            limits,
            iac: [Cmd::Data; 2],
            window: String::new(),
            banner_done: false,
            login: Login::Start,
            rec: TelnetRecord { kind: "login", ..TelnetRecord::default() },
            typed: false,
            stopped: [false; 2],
        }
    }

    fn server_char(&mut self, c: u8, out: &mut Output) {
        if self.window.len() >= self.limits.max_window {
            let cut = self.window.len() - self.limits.max_window / 2;
            let cut = (cut..self.window.len()).find(|i| self.window.is_char_boundary(*i)).unwrap_or(self.window.len());
            self.window.drain(..cut);
        }
        self.window.push(if c.is_ascii() { c as char } else { '?' });
        let w = self.window.trim_end().to_ascii_lowercase();
        let prompt = |p: &[&str]| p.iter().any(|x| w.ends_with(x));
        match self.login {
            Login::Start | Login::AwaitUser if prompt(&["login:", "username:", "user name:", "user:"]) => {
                if !self.banner_done {
                    self.banner_done = true;
                    let text = self.window.clone();
                    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.to_ascii_lowercase().ends_with(':')).collect();
                    if !lines.is_empty() {
                        let b: String = lines.join(" | ").chars().filter(|c| !c.is_control()).take(self.limits.max_banner).collect();
                        out.record(Direction::ToClient, Record::Telnet(TelnetRecord { kind: "banner", banner: Some(b), ..TelnetRecord::default() }));
                    }
                }
                self.login = Login::AwaitUser;
                self.window.clear();
            }
            Login::Start | Login::AwaitUser | Login::AwaitPassword if prompt(&["password:", "passcode:"]) => {
                self.login = Login::AwaitPassword;
                self.window.clear();
            }
            Login::AwaitOutcome => {
                let outcome = if ["incorrect", "denied", "failed", "invalid"].iter().any(|x| w.contains(x)) {
                    Some("rejected")
                } else if ["welcome", "last login", "> ", "$ ", "# "].iter().any(|x| self.window.to_ascii_lowercase().contains(x)) {
                    Some("accepted")
                } else {
                    None
                };
                if let Some(o) = outcome {
                    self.finish(o, out);
                }
            }
            _ => {}
        }
    }

    fn client_char(&mut self, c: u8) {
        if c == b'\r' || c == b'\n' {
            if self.typed {
                match self.login {
                    Login::AwaitUser => {
                        self.rec.username_sent = true;
                        self.login = Login::Start;
                    }
                    Login::AwaitPassword => {
                        self.rec.password_sent = true;
                        self.login = Login::AwaitOutcome;
                        self.window.clear();
                    }
                    _ => {}
                }
            }
            self.typed = false;
        } else if c != 0 {
            self.typed = true;
        }
    }

    fn finish(&mut self, outcome: &'static str, out: &mut Output) {
        if self.login == Login::Done || !(self.rec.username_sent || self.rec.password_sent) {
            return;
        }
        self.rec.outcome = Some(outcome);
        self.login = Login::Done;
        out.record(Direction::ToServer, Record::Telnet(std::mem::take(&mut self.rec)));
    }
}

impl Dissector for Telnet {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        let i = dir.index();
        if self.stopped[i] {
            return Progress::done(data.len());
        }
        for &b in data {
            self.iac[i] = match (self.iac[i], b) {
                (Cmd::Data, IAC) => Cmd::Escape,
                (Cmd::Data, c) => {
                    if dir == Direction::ToClient {
                        self.server_char(c, out);
                    } else {
                        self.client_char(c);
                    }
                    Cmd::Data
                }
                (Cmd::Escape, IAC) => Cmd::Data, // an escaped 255 data byte: not text
                (Cmd::Escape, SB) => Cmd::Sub(0),
                (Cmd::Escape, 251..=254) => Cmd::Option,
                (Cmd::Escape, _) => Cmd::Data,
                (Cmd::Option, opt) => {
                    if self.rec.options.len() < 32 && !self.rec.options.contains(&opt) {
                        self.rec.options.push(opt);
                    }
                    Cmd::Data
                }
                (Cmd::Sub(n), IAC) => Cmd::SubEscape(n),
                (Cmd::Sub(n), _) if n >= self.limits.max_subnegotiation => {
                    out.event(AppProtocol::Telnet, dir, DissectEventKind::LimitExceeded { limit: "telnet.max_subnegotiation", value: n as u64 });
                    Cmd::Data
                }
                (Cmd::Sub(n), _) => Cmd::Sub(n + 1),
                (Cmd::SubEscape(_), SE) => Cmd::Data,
                (Cmd::SubEscape(n), _) => Cmd::Sub(n + 1),
            };
        }
        Progress::done(data.len())
    }

    fn on_gap(&mut self, dir: Direction, _: u64, out: &mut Output) {
        let i = dir.index();
        if !self.stopped[i] {
            self.stopped[i] = true;
            out.event(AppProtocol::Telnet, dir, DissectEventKind::LostSync);
        }
    }

    fn on_eof(&mut self, _: Direction, out: &mut Output) {
        self.finish("unknown", out);
    }
}

/// Fuzz entry point: split points change nothing; no record carries more than its bounds.
pub fn fuzz(data: &[u8]) {
    let limits = Limits::default();
    for dir in Direction::BOTH {
        let (whole, split) = crate::harness::whole_and_thirds(&INFO, &limits, dir, data);
        assert_eq!(whole.records, split.records, "split points change nothing");
        for (_, r) in &whole.records {
            let Record::Telnet(r) = r else { panic!("not telnet") };
            assert!(r.banner.as_ref().is_none_or(|b| b.chars().count() <= limits.telnet.max_banner));
            assert!(serde_json::to_string(r).is_ok());
        }
    }
}
