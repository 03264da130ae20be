//! The HTTP/1.x dissector: per direction, start line, header section, then the body framed as
//! RFC 9112 §6.3 says; requests and responses matched in order on a persistent connection.

use super::parser::{self, Line};
use super::record::HttpRecord;
use super::scan;
use crate::registry::DissectorInfo;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record};
use std::collections::VecDeque;
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on HTTP parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest start line plus header section of one message (also the largest chunk-size
    /// line and trailer section). Above it the direction is abandoned, not buffered.
    pub max_header_bytes: usize,
    /// Header fields examined per message; beyond it only the framing fields
    /// (Content-Length, Transfer-Encoding) are read.
    pub max_headers: usize,
    /// Characters kept of any value (User-Agent, Server, host, path...).
    pub max_text: usize,
    /// Body bytes (after de-chunking) kept and scanned for patient indicators per message.
    pub max_body_scan: usize,
    /// Requests remembered while waiting for their responses (pipelining).
    pub max_outstanding: usize,
    /// JSON nesting followed by the body scan.
    pub max_scan_depth: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_header_bytes: 64 * 1024,
            max_headers: 128,
            max_text: 256,
            max_body_scan: 64 * 1024,
            max_outstanding: 64,
            max_scan_depth: 64,
        }
    }
}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Http,
    transports: &[Transport::Tcp],
    ports: &[80, 8080],
    probe,
    new: |_, limits| Box::new(Http::new(&limits.http)),
};

/// High for a request line with a known method on any port (a client speaks first); NeedMore
/// while a known method's line is still incomplete; Low for a status line from the server
/// (a capture that starts mid-connection), which only counts on port 80 or 8080.
fn probe(_: Transport, dir: Direction, data: &[u8]) -> Confidence {
    if data.is_empty() {
        return Confidence::No;
    }
    if dir == Direction::ToClient {
        return match parser::status_start(data) {
            Some(true) => Confidence::Low,
            None => Confidence::NeedMore,
            Some(false) => Confidence::No,
        };
    }
    let Some(sp) = data.iter().position(|b| *b == b' ') else {
        let prefix = data.len() <= parser::LONGEST_METHOD && parser::METHODS.iter().any(|m| m.starts_with(data));
        return if prefix { Confidence::NeedMore } else { Confidence::No };
    };
    if !parser::METHODS.contains(&&data[..sp]) {
        return Confidence::No;
    }
    match parser::request_start(data, usize::MAX) {
        Some(true) => Confidence::High,
        None => Confidence::NeedMore,
        Some(false) => Confidence::No,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Request,
    Response,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Between messages: a start line comes next (blank lines before it are skipped).
    Idle,
    /// Header section.
    Headers,
    /// Content-Length body: bytes left.
    Length(u64),
    /// Chunked body: expecting a chunk-size line.
    ChunkSize,
    /// Inside a chunk: bytes left.
    ChunkData(u64),
    /// The CRLF after a chunk's data.
    ChunkEnd,
    /// Trailer section after the last chunk.
    Trailers,
    /// Body delimited by the end of the connection.
    Close,
    /// After CONNECT or an upgrade: HTTP continues only if what follows is HTTP.
    Tunnel,
    /// Nothing more is parsed in this direction.
    Stopped,
}

/// One direction's message in progress.
#[derive(Debug)]
struct Side {
    role: Option<Role>,
    phase: Phase,
    rec: HttpRecord,
    /// Bytes of the start line and header section (or trailer section) so far.
    header_bytes: usize,
    /// Bytes at the front of the pending data known to hold no LF.
    scanned: usize,
    content_length: Option<u64>,
    bad_length: bool,
    transfer_encoding: bool,
    last_coding: Option<Vec<u8>>,
    host_seen: bool,
    over_headers: bool,
    fold_seen: bool,
    scan_body: bool,
    body: Vec<u8>,
    scan_cut: bool,
    /// Part of this message was lost to a gap: no record for it.
    gapped: bool,
    /// Requests seen / final responses seen: the next tx id.
    messages: u64,
    /// Enter the tunnel check after this message (CONNECT, upgrade, 101, 2xx to CONNECT).
    tunnel_after: bool,
}

impl Side {
    fn new() -> Side {
        Side {
            role: None,
            phase: Phase::Idle,
            rec: HttpRecord::default(),
            header_bytes: 0,
            scanned: 0,
            content_length: None,
            bad_length: false,
            transfer_encoding: false,
            last_coding: None,
            host_seen: false,
            over_headers: false,
            fold_seen: false,
            scan_body: false,
            body: Vec::new(),
            scan_cut: false,
            gapped: false,
            messages: 0,
            tunnel_after: false,
        }
    }

    fn reset_message(&mut self) {
        self.rec = HttpRecord::default();
        self.header_bytes = 0;
        self.content_length = None;
        self.bad_length = false;
        self.transfer_encoding = false;
        self.last_coding = None;
        self.host_seen = false;
        self.over_headers = false;
        self.fold_seen = false;
        self.scan_body = false;
        self.body.clear();
        self.scan_cut = false;
        self.gapped = false;
        self.tunnel_after = false;
    }

    /// The next line of `data` if it is complete, searching from where the last call stopped.
    fn line<'a>(&mut self, data: &'a [u8], room: usize) -> Line<'a> {
        let from = self.scanned.min(data.len());
        match memchr::memchr(b'\n', &data[from..]) {
            Some(k) => {
                self.scanned = 0;
                let p = from + k;
                if p + 1 > room {
                    return Line::TooLong;
                }
                let l = &data[..p];
                Line::Got(l.strip_suffix(b"\r").unwrap_or(l), p + 1)
            }
            None if data.len() >= room => {
                self.scanned = 0;
                Line::TooLong
            }
            None => {
                self.scanned = data.len();
                Line::Need
            }
        }
    }
}

/// A request waiting for its response.
#[derive(Debug)]
struct Pending {
    method: String,
    head: bool,
    connect: bool,
}

#[derive(Debug)]
struct Http {
    limits: HttpLimits,
    sides: [Side; 2],
    outstanding: VecDeque<Pending>,
    /// The request side stopped: responses beyond the known requests cannot be matched.
    requests_lost: bool,
}

fn event(out: &mut Output, dir: Direction, kind: DissectEventKind) {
    out.event(AppProtocol::Http, dir, kind);
}

fn malformed(out: &mut Output, dir: Direction, reason: &'static str) {
    event(out, dir, DissectEventKind::Malformed { reason });
}

fn misbehaving(out: &mut Output, dir: Direction, reason: &'static str) {
    event(out, dir, DissectEventKind::PeerMisbehaving { reason });
}

/// Media types whose bodies the scanner can read (JSON, XML, HL7 v2 text, DICOM, multipart,
/// untyped or generic bytes). Others (HTML, images, scripts...) are not copied at all.
fn scannable_type(t: &str) -> bool {
    t.ends_with("json")
        || t.ends_with("xml")
        || t.ends_with("+er7")
        || t.starts_with("multipart/")
        || t.contains("hl7")
        || t.contains("dicom")
        || t.contains("fhir")
        || matches!(t, "" | "text/plain" | "application/octet-stream")
}

impl Http {
    fn new(limits: &HttpLimits) -> Http {
        Http { limits: limits.clone(), sides: [Side::new(), Side::new()], outstanding: VecDeque::new(), requests_lost: false }
    }

    fn stop(&mut self, i: usize) {
        let s = &mut self.sides[i];
        s.phase = Phase::Stopped;
        s.body = Vec::new();
        if s.role != Some(Role::Response) {
            self.requests_lost = true;
        }
    }

    fn limit(out: &mut Output, dir: Direction, limit: &'static str, value: u64) {
        event(out, dir, DissectEventKind::LimitExceeded { limit, value });
    }

    /// A start line.
    fn start_line(&mut self, dir: Direction, line: &[u8], consumed: usize, out: &mut Output) {
        let i = dir.index();
        let max = self.limits.max_text;
        let s = &mut self.sides[i];
        let role = *s.role.get_or_insert(if line.starts_with(b"HTTP/") { Role::Response } else { Role::Request });
        s.reset_message();
        s.header_bytes = consumed;
        match role {
            Role::Request => match parser::request_line(line) {
                Ok(rl) => {
                    let r = &mut s.rec;
                    r.kind = "request";
                    r.tx_id = s.messages;
                    s.messages += 1;
                    r.method = Some(parser::text(rl.method, max));
                    r.version = parser::text(rl.version, max);
                    match parser::target(rl.method, rl.target) {
                        Ok(t) => {
                            r.target_form = t.form.map(parser::TargetForm::name);
                            if let Some(a) = t.authority {
                                (r.host, r.port) = parser::host_port(a, max);
                            }
                            r.path = t.path.map(|p| parser::safe_path(p, max));
                            if t.path.is_some() {
                                r.query_present = Some(t.query_present);
                                r.query_params = Some(t.query_params);
                            }
                            r.url_userinfo_present = t.userinfo_present;
                        }
                        Err(reason) => malformed(out, dir, reason),
                    }
                    s.phase = Phase::Headers;
                }
                Err(reason) => {
                    malformed(out, dir, reason);
                    self.stop(i);
                }
            },
            Role::Response => match parser::status_line(line) {
                Ok(sl) => {
                    let r = &mut s.rec;
                    r.kind = "response";
                    r.version = parser::text(sl.version, max);
                    r.status = Some(sl.status);
                    r.reason = Some(parser::text(sl.reason, max));
                    s.phase = Phase::Headers;
                }
                Err(reason) => {
                    malformed(out, dir, reason);
                    self.stop(i);
                }
            },
        }
    }

    /// One header field line.
    fn header(&mut self, dir: Direction, line: &[u8], out: &mut Output) {
        let max = self.limits.max_text;
        let s = &mut self.sides[dir.index()];
        if matches!(line.first(), Some(b' ' | b'\t')) {
            // obs-fold (RFC 9112 §5.2): obsolete; the continuation is not read.
            if !s.fold_seen {
                s.fold_seen = true;
                malformed(out, dir, "http.obs_fold");
            }
            return;
        }
        let (name, value) = match parser::header(line) {
            Ok(h) => h,
            Err(reason) => {
                malformed(out, dir, reason);
                return;
            }
        };
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        s.rec.headers += 1;
        if is("content-length") {
            match parser::content_length(value) {
                Ok(n) if s.content_length.is_none_or(|c| c == n) => s.content_length = Some(n),
                _ => s.bad_length = true,
            }
            s.rec.content_length = s.content_length.filter(|_| !s.bad_length);
            return;
        }
        if is("transfer-encoding") {
            s.transfer_encoding = true;
            if let Some(c) = parser::last_coding(value) {
                s.last_coding = Some(c);
            }
            let te = s.rec.transfer_encoding.get_or_insert_with(String::new);
            let had = te.chars().count();
            if had < max {
                if had > 0 {
                    te.push_str(", ");
                }
                te.push_str(&parser::lower(value, max));
                *te = te.chars().take(max).collect();
            }
            return;
        }
        if s.rec.headers as usize > self.limits.max_headers {
            if !s.over_headers {
                s.over_headers = true;
                Self::limit(out, dir, "http.max_headers", u64::from(s.rec.headers));
            }
            return;
        }
        let r = &mut s.rec;
        let keep = |slot: &mut Option<String>| {
            if slot.is_none() {
                *slot = Some(parser::text(value, max));
            }
        };
        if is("host") {
            if s.role == Some(Role::Request) {
                if s.host_seen {
                    misbehaving(out, dir, "http.duplicate_host");
                } else if r.target_form != Some("absolute") && r.target_form != Some("authority") {
                    (r.host, r.port) = parser::host_port(value, max);
                }
                s.host_seen = true;
            }
        } else if is("user-agent") {
            keep(&mut r.user_agent);
        } else if is("server") {
            keep(&mut r.server);
        } else if is("x-powered-by") {
            keep(&mut r.x_powered_by);
        } else if is("content-type") {
            if r.content_type.is_none() {
                let (t, clinical) = parser::media_type(value, max);
                r.content_type = Some(t);
                r.clinical_content = clinical;
            }
        } else if is("content-encoding") {
            if r.content_encoding.is_none() {
                r.content_encoding = Some(parser::lower(value, max));
            }
        } else if is("authorization") {
            let scheme = parser::auth_scheme(value);
            r.authorization_scheme = Some(scheme);
            r.basic_auth_present |= scheme == "basic";
        } else if is("proxy-authorization") {
            let scheme = parser::auth_scheme(value);
            r.proxy_authorization_scheme = Some(scheme);
            r.basic_auth_present |= scheme == "basic";
        } else if is("www-authenticate") || is("proxy-authenticate") {
            parser::challenge_schemes(value, &mut r.auth_challenges);
        } else if is("cookie") {
            *r.cookies.get_or_insert(0) += parser::cookie_count(value);
        } else if is("set-cookie") {
            *r.set_cookies.get_or_insert(0) += 1;
        } else if is("location") {
            if r.location_host.is_none() {
                r.location_host = parser::uri_host(value, max);
            }
        } else if is("upgrade") {
            if r.upgrade.is_none() {
                r.upgrade = Some(parser::lower(value, max));
            }
        } else if is("expect") {
            r.expect_continue |= value.eq_ignore_ascii_case(b"100-continue");
        }
    }

    /// The blank line after the headers: decide how the body is framed (RFC 9112 §6.3).
    fn end_headers(&mut self, dir: Direction, out: &mut Output) {
        let i = dir.index();
        let s = &mut self.sides[i];
        let r = &s.rec;
        s.scan_body = r.content_encoding.as_deref().is_none_or(|e| e == "identity") && r.content_type.as_deref().is_none_or(scannable_type);
        let chunked = s.last_coding.as_deref() == Some(b"chunked");
        if s.transfer_encoding && (s.content_length.is_some() || s.bad_length) {
            // Both framings: the request-smuggling shape (RFC 9112 §6.3 item 3, §11.2).
            misbehaving(out, dir, "http.te_and_cl");
        }
        if s.role == Some(Role::Request) {
            let method = r.method.clone().unwrap_or_default();
            if r.version == "HTTP/1.1" && !s.host_seen {
                misbehaving(out, dir, "http.missing_host");
            }
            if self.outstanding.len() >= self.limits.max_outstanding {
                Self::limit(out, dir, "http.max_outstanding", self.outstanding.len() as u64 + 1);
                self.outstanding.pop_front();
            }
            self.outstanding.push_back(Pending { head: method == "HEAD", connect: method == "CONNECT", method: method.clone() });
            let s = &mut self.sides[i];
            s.tunnel_after = method == "CONNECT" || s.rec.upgrade.is_some();
            if s.transfer_encoding && !chunked {
                // RFC 9112 §6.3 item 4: a request's length cannot be determined.
                malformed(out, dir, "http.transfer_encoding");
                self.emit(dir, out);
                self.stop(i);
            } else if s.transfer_encoding {
                s.phase = Phase::ChunkSize;
            } else if s.bad_length {
                malformed(out, dir, "http.content_length");
                self.emit(dir, out);
                self.stop(i);
            } else if let Some(n) = s.content_length.filter(|n| *n > 0) {
                s.phase = Phase::Length(n);
            } else {
                self.finish(dir, out);
            }
            return;
        }
        let status = r.status.unwrap_or(0);
        let interim = (100..200).contains(&status) && status != 101;
        let mut req = None;
        if !interim {
            s.rec.tx_id = s.messages;
            s.messages += 1;
            req = self.outstanding.pop_front();
            if req.is_none() {
                if self.requests_lost {
                    s.gapped = true; // cannot be matched: no record
                } else if self.sides[dir.reverse().index()].role == Some(Role::Request) {
                    misbehaving(out, dir, "http.response_without_request");
                }
            }
        } else {
            s.rec.tx_id = s.messages;
        }
        let s = &mut self.sides[i];
        let (head, connect) = req.as_ref().map_or((false, false), |p| (p.head, p.connect));
        s.rec.request_method = req.map(|p| p.method);
        let switched = status == 101 || (connect && (200..300).contains(&status));
        s.tunnel_after = switched;
        if interim || switched || head || status == 204 || status == 304 {
            self.finish(dir, out);
        } else if s.transfer_encoding {
            s.phase = if chunked { Phase::ChunkSize } else { Phase::Close };
        } else if s.bad_length {
            // RFC 9112 §6.3 item 5: the recipient must close; nothing after it can be framed.
            malformed(out, dir, "http.content_length");
            self.emit(dir, out);
            self.stop(i);
        } else if let Some(n) = s.content_length {
            if n == 0 {
                self.finish(dir, out);
            } else {
                s.phase = Phase::Length(n);
            }
        } else {
            s.phase = Phase::Close;
        }
    }

    /// Body bytes (already de-chunked).
    fn body(&mut self, dir: Direction, bytes: &[u8], out: &mut Output) {
        let s = &mut self.sides[dir.index()];
        s.rec.body_length += bytes.len() as u64;
        if !s.scan_body {
            return;
        }
        let room = self.limits.max_body_scan.saturating_sub(s.body.len());
        s.body.extend_from_slice(&bytes[..bytes.len().min(room)]);
        if bytes.len() > room && !s.scan_cut {
            s.scan_cut = true;
            Self::limit(out, dir, "http.max_body_scan", self.limits.max_body_scan as u64 + 1);
        }
    }

    /// Scan the body prefix and emit the record (unless a gap damaged the message).
    fn emit(&mut self, dir: Direction, out: &mut Output) {
        let s = &mut self.sides[dir.index()];
        if s.scan_body && !s.body.is_empty() {
            let f = scan::scan(&s.body, self.limits.max_scan_depth);
            if f.depth_cut {
                Self::limit(out, dir, "http.max_scan_depth", self.limits.max_scan_depth as u64 + 1);
            }
            s.rec.phi_indicators = f.indicators;
            s.rec.fhir_resources = f.resources;
            s.rec.body_scanned = s.body.len() as u64;
        }
        // Keep a small buffer for the next message; give a large one back (idle flows are many).
        if s.body.capacity() > 8192 {
            s.body = Vec::new();
        } else {
            s.body.clear();
        }
        if !s.gapped {
            out.record(dir, Record::Http(std::mem::take(&mut s.rec)));
        }
    }

    /// The message is complete: emit it and wait for the next.
    fn finish(&mut self, dir: Direction, out: &mut Output) {
        self.emit(dir, out);
        let s = &mut self.sides[dir.index()];
        s.phase = if s.tunnel_after { Phase::Tunnel } else { Phase::Idle };
        s.reset_message();
    }

    fn line_step(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        let i = dir.index();
        let phase = self.sides[i].phase;
        let room = match phase {
            Phase::Headers | Phase::Trailers => self.limits.max_header_bytes.saturating_sub(self.sides[i].header_bytes),
            _ => self.limits.max_header_bytes,
        };
        let (line, used) = match self.sides[i].line(data, room) {
            Line::Got(l, n) => (l, n),
            Line::Need => return Progress::need(0, data.len() + 1),
            Line::TooLong => {
                // The value is the limit: how much was seen depends on where segments ended.
                Self::limit(out, dir, "http.max_header_bytes", self.limits.max_header_bytes as u64);
                self.stop(i);
                return Progress::done(data.len());
            }
        };
        match phase {
            Phase::Idle if line.is_empty() => {}
            Phase::Idle => self.start_line(dir, line, used, out),
            Phase::Headers => {
                self.sides[i].header_bytes += used;
                if line.is_empty() {
                    self.end_headers(dir, out);
                } else {
                    self.header(dir, line, out);
                }
            }
            Phase::ChunkSize => match parser::chunk_size(line) {
                Ok(0) => {
                    self.sides[i].header_bytes = 0;
                    self.sides[i].phase = Phase::Trailers;
                }
                Ok(n) => self.sides[i].phase = Phase::ChunkData(n),
                Err(reason) => {
                    malformed(out, dir, reason);
                    self.stop(i);
                }
            },
            Phase::ChunkEnd if line.is_empty() => self.sides[i].phase = Phase::ChunkSize,
            Phase::ChunkEnd => {
                malformed(out, dir, "http.chunk_end");
                self.stop(i);
            }
            Phase::Trailers => {
                self.sides[i].header_bytes += used;
                if line.is_empty() {
                    self.finish(dir, out);
                }
            }
            _ => {}
        }
        Progress::need(used, 0)
    }
}

/// Lines found by [`Side::line`].
impl Dissector for Http {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        let i = dir.index();
        match self.sides[i].phase {
            Phase::Stopped => Progress::done(data.len()),
            Phase::Tunnel => {
                // Blank lines before the next start line are tolerated (RFC 9112 §2.2).
                let blank = data.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
                if blank > 0 {
                    return Progress::need(blank, 0);
                }
                let s = &self.sides[i];
                let verdict = match s.role {
                    Some(Role::Response) => parser::status_start(data),
                    _ => parser::request_start(data, self.limits.max_header_bytes),
                };
                match verdict {
                    None => Progress::need(0, data.len() + 1),
                    Some(false) => {
                        // The tunnel carries something else (TLS, WebSocket, HTTP/2): not ours.
                        self.sides[i].phase = Phase::Stopped;
                        self.sides[i].body = Vec::new();
                        Progress::done(data.len())
                    }
                    Some(true) => {
                        self.sides[i].phase = Phase::Idle;
                        self.line_step(dir, data, out)
                    }
                }
            }
            Phase::Length(left) | Phase::ChunkData(left) => {
                let n = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                self.body(dir, &data[..n], out);
                let left = left - n as u64;
                let s = &mut self.sides[i];
                match s.phase {
                    Phase::Length(_) if left == 0 => self.finish(dir, out),
                    Phase::Length(_) => s.phase = Phase::Length(left),
                    _ if left == 0 => s.phase = Phase::ChunkEnd,
                    _ => s.phase = Phase::ChunkData(left),
                }
                Progress::need(n, 0)
            }
            Phase::Close => {
                self.body(dir, data, out);
                Progress::done(data.len())
            }
            _ => self.line_step(dir, data, out),
        }
    }

    fn on_gap(&mut self, dir: Direction, len: u64, out: &mut Output) {
        let i = dir.index();
        let s = &mut self.sides[i];
        s.scanned = 0;
        match s.phase {
            Phase::Stopped => {}
            // Inside a body of known length the next message's start is still known: skip the
            // missing bytes and drop this message's record only.
            Phase::Length(left) if len <= left => {
                s.gapped = true;
                if len == left {
                    self.finish(dir, out);
                } else {
                    s.phase = Phase::Length(left - len);
                }
            }
            Phase::ChunkData(left) if len <= left => {
                s.gapped = true;
                s.phase = if len == left { Phase::ChunkEnd } else { Phase::ChunkData(left - len) };
            }
            Phase::Close => s.gapped = true,
            _ => {
                self.stop(i);
                event(out, dir, DissectEventKind::LostSync);
            }
        }
    }

    fn on_eof(&mut self, dir: Direction, out: &mut Output) {
        let i = dir.index();
        match self.sides[i].phase {
            Phase::Close => self.emit(dir, out),
            Phase::Headers | Phase::Length(_) | Phase::ChunkSize | Phase::ChunkData(_) | Phase::ChunkEnd | Phase::Trailers => {
                self.sides[i].rec.truncated = true;
                self.emit(dir, out);
            }
            Phase::Idle | Phase::Tunnel | Phase::Stopped => {}
        }
        self.sides[i].phase = Phase::Stopped;
        self.sides[i].body = Vec::new();
    }
}

/// Fuzz entry point: `data` as one direction of a TCP stream (requests or responses, decided
/// by its first line), whole and split at two points. Properties: the same records and events
/// either way; every kept text within `max_text`; indicator and scheme names only from the
/// fixed lists; every record serialises.
pub fn fuzz(data: &[u8]) {
    let limits = Limits::default();
    for dir in Direction::BOTH {
        let (whole, split) = crate::harness::whole_and_thirds(&INFO, &limits, dir, data);
        assert_eq!(whole.records, split.records, "split points change nothing");
        assert_eq!(whole.events, split.events, "split points change no event");
        for (_, r) in &whole.records {
            let Record::Http(r) = r else { panic!("not http") };
            for v in [&r.method, &r.host, &r.path, &r.reason, &r.user_agent, &r.server, &r.x_powered_by, &r.content_type, &r.transfer_encoding, &r.location_host, &r.upgrade].into_iter().flatten() {
                assert!(v.chars().count() <= limits.http.max_text, "bounded text");
            }
            assert!(r.phi_indicators.iter().all(|i| i.len() < 32), "names only");
            assert!(r.body_scanned <= limits.http.max_body_scan as u64);
            assert!(serde_json::to_string(r).is_ok());
        }
    }
}
