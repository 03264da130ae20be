//! The HL7 dissector: MLLP framing per direction, then one record per message.

use super::parser::{self, Encoding, Segment};
use super::record::Hl7Record;
use crate::registry::DissectorInfo;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record};
use std::collections::VecDeque;
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on HL7 parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hl7Limits {
    /// Longest message (one MLLP frame) buffered; longer ones are skipped to their end block.
    pub max_message_len: usize,
    /// Segments examined per frame.
    pub max_segments: usize,
    /// Fields examined per segment.
    pub max_fields: usize,
    /// Characters kept of a header value (application, facility, ids).
    pub max_text: usize,
    /// Control ids remembered per direction for ACK matching.
    pub max_outstanding: usize,
}

impl Default for Hl7Limits {
    fn default() -> Self {
        Hl7Limits { max_message_len: 1 << 20, max_segments: 2000, max_fields: 64, max_text: 64, max_outstanding: 256 }
    }
}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Hl7,
    transports: &[Transport::Tcp],
    ports: &[2575],
    probe,
    new: |_, limits| Box::new(Hl7::new(&limits.hl7)),
};

const SB: u8 = 0x0b;
const EB: u8 = 0x1c;

fn starts_header(b: &[u8]) -> bool {
    b.len() >= 4 && matches!(&b[..3], b"MSH" | b"FHS" | b"BHS") && b[3].is_ascii_punctuation()
}

fn probe(_: Transport, _: Direction, data: &[u8]) -> Confidence {
    let body = data.strip_prefix(&[SB]).unwrap_or(data);
    if body.len() < 4 {
        return if data.first() == Some(&SB) || b"MSH".starts_with(&body[..body.len().min(3)]) && !body.is_empty() {
            Confidence::NeedMore
        } else {
            Confidence::No
        };
    }
    if starts_header(body) && body.len() >= 8 {
        return if parser::encoding(body.split(|b| *b == b'\r' || *b == b'\n').next().unwrap_or(b"")).is_ok() {
            Confidence::High
        } else {
            Confidence::No
        };
    }
    if starts_header(body) { Confidence::NeedMore } else { Confidence::No }
}

#[derive(Debug)]
struct Hl7 {
    limits: Hl7Limits,
    /// Skipping an oversize frame until its end block, per direction.
    skipping: [bool; 2],
    stopped: [bool; 2],
    /// After a gap: skip to the next start block (or, on a bare-HL7 stream, the next MSH).
    resync: [bool; 2],
    /// Whether this direction has sent HL7 without MLLP framing.
    raw_seen: [bool; 2],
    /// Inside bytes that are neither a frame nor a message, per direction (one event per run).
    in_garbage: [bool; 2],
    /// Bytes at the start of the pending frame already known to hold no block byte, so that a
    /// frame arriving in many segments is scanned once, not once per segment.
    scanned: [usize; 2],
    /// Control ids sent per direction and not yet acknowledged (oldest first).
    outstanding: [VecDeque<String>; 2],
}

impl Hl7 {
    fn new(limits: &Hl7Limits) -> Hl7 {
        Hl7 {
            limits: limits.clone(),
            skipping: [false; 2],
            stopped: [false; 2],
            resync: [false; 2],
            raw_seen: [false; 2],
            scanned: [0; 2],
            in_garbage: [false; 2],
            outstanding: [VecDeque::new(), VecDeque::new()],
        }
    }

    fn event(out: &mut Output, dir: Direction, kind: DissectEventKind) {
        out.event(AppProtocol::Hl7, dir, kind);
    }

    /// One frame's content: possibly a batch of several messages.
    fn frame(&mut self, dir: Direction, framing: &'static str, body: &[u8], out: &mut Output) {
        let sep = parser::separator_kind(body);
        let mut enc: Option<Encoding> = None;
        let mut batch = false;
        let mut current: Option<Hl7Record> = None;
        let mut seen_any = false;
        for (n, seg) in parser::segments(body).enumerate() {
            if n >= self.limits.max_segments {
                Self::event(out, dir, DissectEventKind::LimitExceeded { limit: "hl7.max_segments", value: n as u64 });
                break;
            }
            if matches!(seg.get(..3), Some(b"MSH" | b"FHS" | b"BHS")) {
                match parser::encoding(seg) {
                    Ok(e) => enc = Some(e),
                    Err(reason) => {
                        Self::event(out, dir, DissectEventKind::Malformed { reason });
                        continue;
                    }
                }
            }
            let Some(e) = enc else {
                if !seen_any {
                    Self::event(out, dir, DissectEventKind::Malformed { reason: "hl7.no_msh" });
                }
                seen_any = true;
                continue;
            };
            seen_any = true;
            let s = Segment::parse(seg, &e, self.limits.max_fields);
            match s.id {
                b"FHS" | b"BHS" | b"BTS" | b"FTS" => batch = true,
                b"MSH" => {
                    if let Some(r) = current.take() {
                        self.emit(dir, r, out);
                    }
                    current = Some(self.header(&s, &e, framing, sep, batch));
                }
                _ => {
                    if let Some(r) = current.as_mut() {
                        self.body_segment(r, &s, &e);
                    }
                }
            }
        }
        if let Some(r) = current.take() {
            self.emit(dir, r, out);
        } else if !seen_any {
            Self::event(out, dir, DissectEventKind::Malformed { reason: "hl7.empty_frame" });
        }
    }

    fn header(&self, s: &Segment<'_>, e: &Encoding, framing: &'static str, sep: &'static str, batch: bool) -> Hl7Record {
        let t = |v: &[u8]| parser::text(v, e, self.limits.max_text);
        // The header's fields found in one pass, not one scan from the start per field.
        let f = s.first_fields::<13>();
        let first = |n: usize| t(parser::component(f[n], e, 1));
        let msg_type = f[9];
        Hl7Record {
            framing,
            segment_separator: sep,
            sending_application: first(3),
            sending_facility: first(4),
            receiving_application: first(5),
            receiving_facility: first(6),
            message_type: t(parser::component(msg_type, e, 1)),
            trigger_event: t(parser::component(msg_type, e, 2)),
            message_structure: t(parser::component(msg_type, e, 3)),
            control_id: t(f[10]),
            processing_id: first(11),
            version: first(12),
            ack_code: None,
            acknowledged_control_id: None,
            batch,
            segments: {
                // Room for a typical observation message's segments, grown past that as usual.
                let mut v = Vec::with_capacity(16);
                v.push(std::borrow::Cow::Borrowed("MSH"));
                v
            },
            phi_fields: Vec::new(),
        }
    }

    fn body_segment(&self, r: &mut Hl7Record, s: &Segment<'_>, e: &Encoding) {
        if r.segments.len() < self.limits.max_segments {
            r.segments.push(parser::segment_name(s.id));
        }
        if s.id == b"MSA" {
            r.ack_code = parser::text(s.field(1), e, 4);
            r.acknowledged_control_id = parser::text(s.field(2), e, self.limits.max_text);
        }
        // The segment's fields are walked once, as far as the last field still worth looking
        // at (the field numbers of a segment's PHI list ascend).
        let mut fields = s.numbered();
        let mut at = fields.next();
        let mut looked: Option<usize> = None;
        for (n, label) in parser::phi_fields(s.id) {
            // Labels are static: compare addresses, not text.
            let known = r.phi_fields.iter().any(|f| matches!(f, std::borrow::Cow::Borrowed(b) if std::ptr::eq(*b, *label)));
            if known {
                continue;
            }
            let value = if looked.is_none_or(|p| p < *n) {
                while at.is_some_and(|(m, _)| m < *n) {
                    at = fields.next();
                }
                match at {
                    Some((m, f)) if m == *n => f,
                    // Every field before n was passed and none is left: n is absent.
                    None => b"",
                    Some(_) => s.field(*n),
                }
            } else {
                s.field(*n)
            };
            looked = Some(*n);
            if !value.iter().all(|b| *b == b' ' || *b == b'"') {
                r.phi_fields.push(std::borrow::Cow::Borrowed(label));
            }
        }
    }

    fn emit(&mut self, dir: Direction, r: Hl7Record, out: &mut Output) {
        let i = dir.index();
        if let Some(acked) = &r.acknowledged_control_id {
            // ACK/NAK matching by control id (HL7 v2.5.1 §2.9.2). A miss is the peer's
            // business (or capture loss), reported as an event so records stay gap-independent.
            let other = &mut self.outstanding[dir.reverse().index()];
            match other.iter().position(|c| c == acked) {
                Some(p) => {
                    other.remove(p);
                }
                None => Self::event(out, dir, DissectEventKind::PeerMisbehaving { reason: "hl7.ack_without_message" }),
            }
        } else if let Some(c) = &r.control_id {
            if self.outstanding[i].len() >= self.limits.max_outstanding {
                self.outstanding[i].pop_front();
            }
            self.outstanding[i].push_back(c.clone());
        }
        out.record(dir, Record::Hl7(r));
    }
}

impl Dissector for Hl7 {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        let i = dir.index();
        if self.stopped[i] {
            return Progress::done(data.len());
        }
        if self.skipping[i] {
            return match data.iter().position(|b| *b == EB) {
                Some(p) => {
                    self.skipping[i] = false;
                    Progress::need(p + 1, 0)
                }
                None => Progress::done(data.len()),
            };
        }
        if self.resync[i] {
            let at = if self.raw_seen[i] {
                (1..data.len()).find(|&k| matches!(data[k - 1], b'\r' | b'\n') && data[k..].starts_with(b"MSH"))
            } else {
                data.iter().position(|b| *b == SB)
            };
            return match at {
                Some(k) => {
                    self.resync[i] = false;
                    Progress::need(k, 0)
                }
                None if !self.raw_seen[i] => Progress::done(data.len()),
                // Keep the last bytes: a segment boundary may straddle this chunk's end.
                None => Progress::need(data.len().saturating_sub(3), 0),
            };
        }
        // Between frames: CR/LF and stray end blocks are noise; anything else is garbage.
        let lead = data.iter().take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t' | 0x1c)).count();
        if lead > 0 {
            return Progress::need(lead, 0);
        }
        if data[0] != SB {
            self.scanned[i] = 0;
        }
        if data[0] == SB || starts_header(data) {
            self.in_garbage[i] = false;
        }
        match data[0] {
            SB => {
                let body = &data[1..];
                let from = self.scanned[i].min(body.len());
                let block = memchr::memchr2(EB, SB, &body[from..]).map(|k| k + from);
                let end = block.filter(|k| body[*k] == EB);
                let restart = block.filter(|k| body[*k] == SB);
                self.scanned[i] = if block.is_none() { body.len() } else { 0 };
                match (end, restart) {
                    (Some(e), _) if e > self.limits.max_message_len => {
                        Self::event(out, dir, DissectEventKind::LimitExceeded { limit: "hl7.max_message_len", value: e as u64 });
                        Progress::need(e + 2, 0)
                    }
                    (Some(e), r) if r.is_none_or(|r| e < r) => {
                        self.frame(dir, "mllp", &body[..e], out);
                        Progress::need(e + 2, 0)
                    }
                    (_, Some(r)) => {
                        // A new start block before this frame's end block.
                        Self::event(out, dir, DissectEventKind::Malformed { reason: "mllp.missing_end_block" });
                        self.frame(dir, "mllp", &body[..r], out);
                        Progress::need(r + 1, 0)
                    }
                    _ if data.len() > self.limits.max_message_len => {
                        Self::event(out, dir, DissectEventKind::LimitExceeded { limit: "hl7.max_message_len", value: data.len() as u64 });
                        self.skipping[i] = true;
                        self.scanned[i] = 0;
                        Progress::done(data.len())
                    }
                    // Wait for more: ask for a segment's worth so the driver does not call back
                    // for every byte of a large frame.
                    _ => Progress::need(0, data.len() + 1),
                }
            }
            _ if starts_header(data) || (data.len() < 4 && b"MSH".starts_with(&data[..data.len().min(3)])) => {
                // HL7 without MLLP: a message runs to the next header segment or block byte.
                if data.len() < 4 {
                    return Progress::need(0, 4);
                }
                let next = (1..data.len()).find(|&k| {
                    data[k] == SB || data[k] == EB || (matches!(data[k - 1], b'\r' | b'\n') && starts_header(&data[k..]))
                });
                match next {
                    Some(k) => {
                        self.raw_seen[i] = true;
                        self.frame(dir, "raw", &data[..k], out);
                        Progress::need(k, 0)
                    }
                    None if data.len() > self.limits.max_message_len => {
                        Self::event(out, dir, DissectEventKind::LimitExceeded { limit: "hl7.max_message_len", value: data.len() as u64 });
                        self.stopped[i] = true;
                        Progress::done(data.len())
                    }
                    None => Progress::need(0, data.len() + 4),
                }
            }
            _ => {
                // Skip to the next start block or header segment. Where none is in sight, keep the
                // last four bytes: a header may begin there, and the result must not depend on
                // where the stream was cut.
                if !self.in_garbage[i] {
                    self.in_garbage[i] = true;
                    Self::event(out, dir, DissectEventKind::Malformed { reason: "mllp.garbage_between_frames" });
                }
                let start = (1..data.len())
                    .find(|&k| data[k] == SB || (matches!(data[k - 1], b'\r' | b'\n') && starts_header(&data[k..])));
                match start {
                    Some(k) => Progress::need(k, 0),
                    None if data.len() > 4 => Progress::need(data.len() - 4, 0),
                    None => Progress::need(0, data.len() + 1),
                }
            }
        }
    }

    fn on_gap(&mut self, dir: Direction, _: u64, out: &mut Output) {
        // MLLP resynchronises on the next start block: skip to it.
        let i = dir.index();
        self.scanned[i] = 0;
        if !self.stopped[i] {
            self.skipping[i] = false;
            self.resync[i] = true;
            Self::event(out, dir, DissectEventKind::LostSync);
        }
    }

    fn on_eof(&mut self, _: Direction, _: &mut Output) {}
}

/// Fuzz entry point: `data` as one direction of a TCP stream, whole and split at two points;
/// the records must agree, names of PHI fields only (never longer than a field label), and
/// every record serialises.
pub fn fuzz(data: &[u8]) {
    let limits = Limits::default();
    let (whole, split) = crate::harness::whole_and_thirds(&INFO, &limits, Direction::ToServer, data);
    assert_eq!(whole.records, split.records, "split points change nothing");
    for (_, r) in &whole.records {
        let Record::Hl7(r) = r else { panic!("not hl7") };
        assert!(r.phi_fields.iter().all(|f| f.len() < 48), "field labels only");
        for v in [&r.sending_application, &r.sending_facility, &r.control_id].into_iter().flatten() {
            assert!(v.chars().count() <= limits.hl7.max_text);
        }
        assert!(serde_json::to_string(r).is_ok());
    }
}
