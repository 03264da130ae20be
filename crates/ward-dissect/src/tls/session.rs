//! The TLS dissector: record framing, handshake reassembly across records and segments, and the
//! point where the handshake turns into ciphertext.
//!
//! Per direction, records are framed by their 5-byte header (RFC 8446 §5.1, RFC 5246 §6.2).
//! Cleartext handshake, alert and ChangeCipherSpec records are read whole (at most 2^14+2048
//! bytes, the TLS 1.2 ciphertext bound); every other record is counted from its header and
//! passed over without being buffered. A direction turns to ciphertext after its
//! ChangeCipherSpec in TLS 1.2 and older, and both do after a TLS 1.3 ServerHello (later TLS 1.3
//! records all carry the application_data outer type, RFC 8446 §5.2).

use super::parser::{self, Notes};
use super::record::{Alert, CertificateChain, DirectionSummary, Summary, TlsRecord};
use super::tables::{alert_name, handshake_type_name, is_tls13, key_exchange, version_name};
use super::text::Bounds;
use super::x509;
use crate::registry::DissectorInfo;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record};
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on TLS parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsLimits {
    /// Largest handshake message reassembled (a certificate chain is the largest); a longer
    /// one is skipped, not buffered.
    pub max_handshake_len: usize,
    /// Cleartext handshake messages and alerts read per direction; after that, records are
    /// only counted.
    pub max_messages: usize,
    /// Entries kept per list in a record (cipher suites, extensions, groups...). Fingerprints
    /// are always computed from the whole lists.
    pub max_list: usize,
    /// Certificates parsed per Certificate message.
    pub max_certificates: usize,
    /// subjectAltName entries kept per certificate.
    pub max_names: usize,
    /// Characters kept per string (SNI, ALPN, DN, SAN).
    pub max_text: usize,
}

impl Default for TlsLimits {
    fn default() -> Self {
        TlsLimits {
            max_handshake_len: 128 * 1024,
            max_messages: 32,
            max_list: 256,
            max_certificates: 10,
            max_names: 64,
            max_text: 256,
        }
    }
}

/// Largest record payload: 2^14 + 2048 (RFC 5246 §6.2.3, TLSCiphertext).
pub const MAX_RECORD: usize = (1 << 14) + 2048;

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Tls,
    transports: &[Transport::Tcp],
    ports: &[443, 2762, 8883, 6514],
    probe,
    new: |_, limits| Box::new(Tls::new(limits.tls.clone())),
};

/// A ClientHello record toward the server (or a ServerHello toward the client) on any port is
/// `High`; any other well-formed record header is `Low` (a flow picked up mid-stream on a TLS
/// port); an SSLv2-compatible CLIENT-HELLO is `High`.
fn probe(_: Transport, dir: Direction, data: &[u8]) -> Confidence {
    let Some(&first) = data.first() else { return Confidence::NeedMore };
    if first & 0x80 != 0 {
        return probe_sslv2(dir, data);
    }
    if !(20..=24).contains(&first) || data.get(1).is_some_and(|b| *b != 3) || data.get(2).is_some_and(|b| *b > 4) {
        return Confidence::No;
    }
    if data.len() < 5 {
        return Confidence::NeedMore;
    }
    let len = usize::from(u16::from_be_bytes([data[3], data[4]]));
    if len == 0 || len > MAX_RECORD {
        return Confidence::No;
    }
    if first != 22 {
        return Confidence::Low;
    }
    let Some(&ht) = data.get(5) else { return Confidence::NeedMore };
    let hello = match dir {
        Direction::ToServer => 1,
        Direction::ToClient => 2,
    };
    if ht != hello {
        return Confidence::Low;
    }
    if data.len() < 11 {
        return Confidence::NeedMore;
    }
    let hs_len = usize::from(data[6]) << 16 | usize::from(data[7]) << 8 | usize::from(data[8]);
    // The smallest hello body: version, random, session id length, suite(s), compression.
    let major_ok = data[9] == 3 || (hello == 2 && data[9] == 0x7f);
    if hs_len >= 38 && major_ok && (data[9] != 3 || data[10] <= 4) { Confidence::High } else { Confidence::Low }
}

/// SSL 2.0 CLIENT-HELLO with a 2-byte header: lengths must add up exactly.
fn probe_sslv2(dir: Direction, data: &[u8]) -> Confidence {
    if dir != Direction::ToServer {
        return Confidence::No;
    }
    if data.len() < 11 {
        // Check what is there already.
        if data.get(2).is_some_and(|t| *t != 1) || data.get(3).is_some_and(|v| *v != 0 && *v != 3) {
            return Confidence::No;
        }
        return Confidence::NeedMore;
    }
    let len = usize::from(data[0] & 0x7f) << 8 | usize::from(data[1]);
    let version = u16::from_be_bytes([data[3], data[4]]);
    let cs = usize::from(u16::from_be_bytes([data[5], data[6]]));
    let sid = usize::from(u16::from_be_bytes([data[7], data[8]]));
    let ch = usize::from(u16::from_be_bytes([data[9], data[10]]));
    let ok = data[2] == 1
        && (version == 0x0002 || (0x0300..=0x0304).contains(&version))
        && cs > 0
        && cs % 3 == 0
        && (sid == 0 || sid == 16)
        && (16..=32).contains(&ch)
        && 9 + cs + sid + ch == len;
    if ok { Confidence::High } else { Confidence::No }
}

#[derive(Debug, Default)]
struct Side {
    /// A record was seen in this direction.
    started: bool,
    /// Not parsing this direction any more (lost sync, not TLS, gap).
    stopped: bool,
    /// Bytes of the current record still to pass over.
    skip: usize,
    /// A handshake message being reassembled (at most `max_handshake_len` + 4 bytes).
    hs_buf: Vec<u8>,
    /// Bytes of an over-long handshake message still to discard.
    hs_skip: usize,
    /// Handshake messages and alerts read.
    messages: usize,
    /// Still reading cleartext (false once `max_messages` is reached).
    limited: bool,
    /// After ChangeCipherSpec in TLS 1.2 and older: handshake and alert bodies are ciphertext.
    encrypted: bool,
    /// Version in the header of the last record read.
    record_version: u16,
    sum: DirectionSummary,
}

#[derive(Debug)]
struct Tls {
    limits: TlsLimits,
    side: [Side; 2],
    /// The ClientHello offered TLS 1.3 (or a draft).
    client_offered_13: bool,
    /// A ServerHello or HelloRetryRequest selected TLS 1.3.
    is13: bool,
    /// A TLS 1.3 ServerHello (not a HelloRetryRequest) was seen: the rest is ciphertext.
    done13: bool,
    version: Option<u16>,
    cipher: Option<u16>,
    /// Bytes were lost somewhere: no summary (it would be incomplete).
    gap: bool,
    eof: [bool; 2],
}

impl Tls {
    fn new(limits: TlsLimits) -> Self {
        Tls {
            limits,
            side: [Side::default(), Side::default()],
            client_offered_13: false,
            is13: false,
            done13: false,
            version: None,
            cipher: None,
            gap: false,
            eof: [false; 2],
        }
    }

    fn bounds(&self) -> Bounds {
        Bounds {
            max_text: self.limits.max_text,
            max_list: self.limits.max_list,
            max_names: self.limits.max_names,
            text_cut: false,
            list_cut: false,
            names_cut: false,
        }
    }

    fn bounds_events(k: &Bounds, dir: Direction, out: &mut Output, l: &TlsLimits) {
        for (hit, limit, value) in [
            (k.text_cut, "tls.max_text", l.max_text),
            (k.list_cut, "tls.max_list", l.max_list),
            (k.names_cut, "tls.max_names", l.max_names),
        ] {
            if hit {
                out.event(AppProtocol::Tls, dir, DissectEventKind::LimitExceeded { limit, value: value as u64 });
            }
        }
    }

    fn notes(notes: Notes, dir: Direction, out: &mut Output) {
        for reason in notes.malformed {
            out.event(AppProtocol::Tls, dir, DissectEventKind::Malformed { reason });
        }
        for reason in notes.misbehaving {
            out.event(AppProtocol::Tls, dir, DissectEventKind::PeerMisbehaving { reason });
        }
    }

    /// Stop reading a direction whose framing is broken.
    fn lose(&mut self, dir: Direction, reason: &'static str, out: &mut Output) {
        out.event(AppProtocol::Tls, dir, DissectEventKind::Malformed { reason });
        out.event(AppProtocol::Tls, dir, DissectEventKind::LostSync);
        let s = &mut self.side[dir.index()];
        s.stopped = true;
        s.hs_buf = Vec::new();
    }

    fn sslv2(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        if data.len() < 2 {
            return Progress::need(0, 2);
        }
        let len = usize::from(data[0] & 0x7f) << 8 | usize::from(data[1]);
        if len < 3 {
            self.lose(dir, "tls.sslv2_length", out);
            return Progress::done(data.len());
        }
        if data.len() < 2 + len {
            return Progress::need(0, 2 + len);
        }
        let msg = &data[2..2 + len];
        let i = dir.index();
        self.side[i].started = true;
        self.side[i].sum.records += 1;
        match msg[0] {
            1 => {
                let mut k = self.bounds();
                match parser::sslv2_client_hello(msg, &mut k) {
                    Ok(ch) => {
                        self.side[i].sum.handshake_messages.push("client_hello");
                        out.record(dir, Record::Tls(TlsRecord::ClientHello(ch)));
                    }
                    Err(reason) => out.event(AppProtocol::Tls, dir, DissectEventKind::Malformed { reason }),
                }
                Self::bounds_events(&k, dir, out, &self.limits);
            }
            4 => {
                // SSL 2.0 SERVER-HELLO: the server chose SSL 2.0; what follows is SSL 2.0
                // records, encrypted after CLIENT-MASTER-KEY. Reported in the summary.
                self.version = Some(0x0002);
                self.side[i].sum.handshake_messages.push("sslv2_server_hello");
                for s in &mut self.side {
                    s.stopped = true;
                    s.encrypted = true;
                }
            }
            _ => {
                self.lose(dir, "tls.sslv2_message_type", out);
                return Progress::done(data.len());
            }
        }
        Progress::need(2 + len, 0)
    }

    fn change_cipher_spec(&mut self, dir: Direction, frag: &[u8], out: &mut Output) {
        if frag != [1] {
            out.event(AppProtocol::Tls, dir, DissectEventKind::PeerMisbehaving { reason: "tls.change_cipher_spec" });
        }
        // TLS 1.3 sends ChangeCipherSpec only for middlebox compatibility (RFC 8446 D.4): its
        // handshake records stay readable by their outer type. A client that offered TLS 1.3
        // may send it before the ServerHello (early data); unless a gap hides the exchange.
        let cleartext_stays = self.is13 || (self.version.is_none() && self.client_offered_13 && !self.gap);
        let s = &mut self.side[dir.index()];
        s.sum.change_cipher_spec = true;
        if !cleartext_stays {
            s.encrypted = true;
            s.hs_buf.clear();
            s.hs_skip = 0;
        }
    }

    fn alerts(&mut self, dir: Direction, frag: &[u8], out: &mut Output) {
        if !frag.len().is_multiple_of(2) {
            out.event(AppProtocol::Tls, dir, DissectEventKind::Malformed { reason: "tls.alert_length" });
        }
        for a in frag.chunks_exact(2) {
            if !self.count_message(dir, out) {
                return;
            }
            let alert = Alert { level: a[0], description: a[1], description_name: alert_name(a[1]) };
            out.record(dir, Record::Tls(TlsRecord::Alert(alert)));
        }
    }

    /// Count one cleartext message; false once the limit is passed.
    fn count_message(&mut self, dir: Direction, out: &mut Output) -> bool {
        let max = self.limits.max_messages;
        let s = &mut self.side[dir.index()];
        if s.limited {
            return false;
        }
        s.messages += 1;
        if s.messages > max {
            s.limited = true;
            s.hs_buf = Vec::new();
            s.hs_skip = 0;
            out.event(AppProtocol::Tls, dir, DissectEventKind::LimitExceeded { limit: "tls.max_messages", value: max as u64 });
            return false;
        }
        true
    }

    /// A readable handshake record's fragment: reassemble and handle whole messages.
    fn handshake(&mut self, dir: Direction, mut f: &[u8], out: &mut Output) {
        let i = dir.index();
        while !f.is_empty() {
            if !self.readable(dir, 22) {
                // A TLS 1.3 ServerHello or the message limit ended cleartext mid-record.
                let s = &mut self.side[i];
                s.hs_buf.clear();
                s.hs_skip = 0;
                return;
            }
            let s = &mut self.side[i];
            if s.hs_skip > 0 {
                let n = s.hs_skip.min(f.len());
                s.hs_skip -= n;
                f = &f[n..];
                continue;
            }
            if s.hs_buf.len() < 4 {
                let n = (4 - s.hs_buf.len()).min(f.len());
                s.hs_buf.extend_from_slice(&f[..n]);
                f = &f[n..];
                if s.hs_buf.len() < 4 {
                    continue;
                }
            }
            let mlen = usize::from(s.hs_buf[1]) << 16 | usize::from(s.hs_buf[2]) << 8 | usize::from(s.hs_buf[3]);
            if mlen > self.limits.max_handshake_len {
                let typ = s.hs_buf[0];
                s.hs_buf.clear();
                s.hs_skip = mlen;
                out.event(
                    AppProtocol::Tls,
                    dir,
                    DissectEventKind::LimitExceeded { limit: "tls.max_handshake_len", value: mlen as u64 },
                );
                if self.count_message(dir, out) {
                    self.side[i].sum.handshake_messages.push(handshake_type_name(typ));
                }
                continue;
            }
            let n = (4 + mlen - s.hs_buf.len()).min(f.len());
            s.hs_buf.extend_from_slice(&f[..n]);
            f = &f[n..];
            if s.hs_buf.len() == 4 + mlen {
                let msg = std::mem::take(&mut s.hs_buf);
                self.message(dir, msg[0], &msg[4..], out);
                let s = &mut self.side[i];
                if s.hs_buf.capacity() == 0 && !s.limited {
                    let mut msg = msg;
                    msg.clear();
                    s.hs_buf = msg;
                }
            }
        }
    }

    /// Whether a record of content type `ct` is read in direction `dir` (else counted only).
    fn readable(&self, dir: Direction, ct: u8) -> bool {
        let s = &self.side[dir.index()];
        !s.limited
            && match ct {
                20 => true,
                21 => !s.encrypted,
                22 => !s.encrypted && !self.done13,
                _ => false,
            }
    }

    fn message(&mut self, dir: Direction, typ: u8, body: &[u8], out: &mut Output) {
        if !self.count_message(dir, out) {
            return;
        }
        let i = dir.index();
        self.side[i].sum.handshake_messages.push(handshake_type_name(typ));
        let mut k = self.bounds();
        let mut notes = Notes::default();
        let rv = self.side[i].record_version;
        match typ {
            1 => match parser::client_hello(body, rv, &mut k, &mut notes) {
                Ok(ch) => {
                    if ch.supported_versions.iter().any(|v| is_tls13(*v)) || is_tls13(ch.max_version) {
                        self.client_offered_13 = true;
                    }
                    Self::notes(notes, dir, out);
                    out.record(dir, Record::Tls(TlsRecord::ClientHello(ch)));
                }
                Err(reason) => {
                    Self::notes(notes, dir, out);
                    out.event(AppProtocol::Tls, dir, DissectEventKind::Malformed { reason });
                }
            },
            2 => match parser::server_hello(body, rv, &mut k, &mut notes) {
                Ok((sh, hrr)) => {
                    Self::notes(notes, dir, out);
                    if is_tls13(sh.version) {
                        self.is13 = true;
                    }
                    if hrr {
                        if let Some(last) = self.side[i].sum.handshake_messages.last_mut() {
                            *last = "hello_retry_request";
                        }
                        out.record(dir, Record::Tls(TlsRecord::HelloRetryRequest(sh)));
                    } else {
                        self.version = Some(sh.version);
                        self.cipher = Some(sh.cipher_suite);
                        if is_tls13(sh.version) {
                            self.done13 = true;
                            for s in &mut self.side {
                                s.hs_buf.clear();
                                s.hs_skip = 0;
                            }
                        }
                        out.record(dir, Record::Tls(TlsRecord::ServerHello(sh)));
                    }
                }
                Err(reason) => {
                    Self::notes(notes, dir, out);
                    out.event(AppProtocol::Tls, dir, DissectEventKind::Malformed { reason });
                }
            },
            11 => self.certificates(dir, body, &mut k, out),
            12 => {
                let kx = self.cipher.and_then(key_exchange);
                if let Some(kx) = kx {
                    let tls12 = self.version.is_some_and(|v| v >= 0x0303);
                    match parser::server_key_exchange(body, kx, tls12) {
                        Ok(ske) => out.record(dir, Record::Tls(TlsRecord::ServerKeyExchange(ske))),
                        Err(reason) => out.event(AppProtocol::Tls, dir, DissectEventKind::Malformed { reason }),
                    }
                }
            }
            0 | 3 | 4 | 5 | 13 | 14 | 15 | 16 | 20 | 21 | 22 | 23 | 24 | 25 => {}
            _ => out.event(AppProtocol::Tls, dir, DissectEventKind::PeerMisbehaving { reason: "tls.unknown_handshake_type" }),
        }
        Self::bounds_events(&k, dir, out, &self.limits);
    }

    /// A TLS 1.2-style Certificate message: a u24 list of u24-length DER certificates.
    fn certificates(&mut self, dir: Direction, body: &[u8], k: &mut Bounds, out: &mut Output) {
        let mut r = parser::Reader::new(body, "tls.certificate_length");
        let parsed = r.vec24().and_then(|list| if r.left() > 0 { Err("tls.certificate_length") } else { Ok(list) });
        let list = match parsed {
            Ok(l) => l,
            Err(reason) => {
                out.event(AppProtocol::Tls, dir, DissectEventKind::Malformed { reason });
                return;
            }
        };
        let client = dir == Direction::ToServer;
        let mut l = parser::Reader::new(list, "tls.certificate_length");
        let mut chain = CertificateChain { chain_length: 0, certificates: Vec::new() };
        let mut bad_der = false;
        while l.left() > 0 {
            let der = match l.vec24() {
                Ok(d) => d,
                Err(reason) => {
                    out.event(AppProtocol::Tls, dir, DissectEventKind::Malformed { reason });
                    break;
                }
            };
            chain.chain_length += 1;
            if chain.certificates.len() < self.limits.max_certificates {
                let c = x509::certificate(der, client, k);
                bad_der |= c.parse_error.is_some();
                chain.certificates.push(c);
            }
        }
        if chain.chain_length > self.limits.max_certificates {
            out.event(
                AppProtocol::Tls,
                dir,
                DissectEventKind::LimitExceeded { limit: "tls.max_certificates", value: chain.chain_length as u64 },
            );
        }
        if bad_der {
            out.event(AppProtocol::Tls, dir, DissectEventKind::Malformed { reason: "tls.certificate_der" });
        }
        out.record(dir, Record::Tls(TlsRecord::Certificate(chain)));
    }

    fn summary(&self) -> Summary {
        Summary {
            version: self.version,
            version_name: self.version.map(version_name),
            cipher_suite: self.cipher,
            encrypted: self.done13 || self.side.iter().any(|s| s.encrypted),
            client: self.side[Direction::ToServer.index()].sum.clone(),
            server: self.side[Direction::ToClient.index()].sum.clone(),
        }
    }
}

impl Dissector for Tls {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        let i = dir.index();
        let s = &mut self.side[i];
        if s.stopped {
            return Progress::done(data.len());
        }
        if s.skip > 0 {
            let n = s.skip.min(data.len());
            s.skip -= n;
            return Progress::need(n, 0);
        }
        if !s.started && data.first().is_some_and(|b| b & 0x80 != 0) {
            return self.sslv2(dir, data, out);
        }
        if data.len() < 5 {
            return Progress::need(0, 5);
        }
        let ct = data[0];
        let version = u16::from_be_bytes([data[1], data[2]]);
        let len = usize::from(u16::from_be_bytes([data[3], data[4]]));
        if !(20..=24).contains(&ct) {
            self.lose(dir, "tls.record_content_type", out);
            return Progress::done(data.len());
        }
        if version >> 8 != 3 || version & 0xff > 4 {
            self.lose(dir, "tls.record_version", out);
            return Progress::done(data.len());
        }
        if len > MAX_RECORD {
            self.lose(dir, "tls.record_length", out);
            return Progress::done(data.len());
        }
        self.side[i].started = true;
        if !self.readable(dir, ct) {
            let s = &mut self.side[i];
            s.sum.records += 1;
            match ct {
                20 => {}
                21 => s.sum.alert_records += 1,
                22 => s.sum.encrypted_handshake_records += 1,
                23 => {
                    s.sum.application_data_records += 1;
                    s.sum.application_data_bytes += len as u64;
                }
                _ => s.sum.heartbeat_records += 1,
            }
            s.skip = len;
            return Progress::need(5, 0);
        }
        if data.len() < 5 + len {
            return Progress::need(0, 5 + len);
        }
        let frag = &data[5..5 + len];
        let s = &mut self.side[i];
        s.sum.records += 1;
        s.record_version = version;
        if frag.is_empty() {
            out.event(AppProtocol::Tls, dir, DissectEventKind::PeerMisbehaving { reason: "tls.empty_record" });
        }
        match ct {
            20 => self.change_cipher_spec(dir, frag, out),
            21 => {
                self.side[i].sum.alert_records += 1;
                self.alerts(dir, frag, out);
            }
            _ => self.handshake(dir, frag, out),
        }
        Progress::need(5 + len, 0)
    }

    fn on_gap(&mut self, dir: Direction, _: u64, out: &mut Output) {
        // Records cannot be re-framed reliably from the middle of a stream: stop this direction.
        self.gap = true;
        let s = &mut self.side[dir.index()];
        if !s.stopped {
            s.stopped = true;
            s.hs_buf = Vec::new();
            out.event(AppProtocol::Tls, dir, DissectEventKind::LostSync);
        }
    }

    fn on_eof(&mut self, dir: Direction, out: &mut Output) {
        let i = dir.index();
        if self.eof[i] {
            return;
        }
        self.eof[i] = true;
        if self.eof.iter().all(|e| *e) && !self.gap && self.side.iter().any(|s| s.sum.records > 0) {
            out.record(dir, Record::Tls(TlsRecord::Summary(self.summary())));
        }
    }
}

/// Fuzz entry point: `data` as either side of a stream, whole and cut in thirds: the same
/// records and events either way; no string longer than `max_text`; no list longer than
/// `max_list`; every record serialises.
pub fn fuzz(data: &[u8]) {
    let limits = Limits::default();
    for dir in Direction::BOTH {
        let (whole, split) = crate::harness::whole_and_thirds(&INFO, &limits, dir, data);
        assert_eq!(whole.records, split.records, "split points change no record");
        assert_eq!(whole.events, split.events, "split points change no event");
        for (_, r) in &whole.records {
            let Record::Tls(r) = r else { panic!("not tls") };
            check_bounds(r, &limits.tls);
            assert!(serde_json::to_string(r).is_ok());
        }
    }
}

/// The bounds every record honours.
pub(super) fn check_bounds(r: &TlsRecord, l: &TlsLimits) {
    // An escaped byte (`\\XX`) counts as one character of the bound.
    let short = |s: &str| s.chars().count() <= 3 * l.max_text;
    match r {
        TlsRecord::ClientHello(c) => {
            assert!(c.cipher_suites.len() <= l.max_list && c.extensions.len() <= l.max_list && c.alpn.len() <= l.max_list);
            assert!(c.sni.as_deref().is_none_or(short));
            assert!(c.alpn.iter().all(|a| short(a)));
        }
        TlsRecord::Certificate(c) => {
            assert!(c.certificates.len() <= l.max_certificates);
            for cert in &c.certificates {
                assert!(cert.san_dns.len() + cert.san_ip.len() <= l.max_names);
                for s in [&cert.subject, &cert.issuer].into_iter().flatten() {
                    assert!(s.chars().count() <= l.max_text);
                }
            }
        }
        _ => {}
    }
}
