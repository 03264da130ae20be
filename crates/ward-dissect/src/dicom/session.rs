//! The DICOM dissector: PDUs framed by their 6-byte header; P-DATA-TF streamed PDV by PDV so
//! that a multi-megabyte image never sits in memory; the association's presentation contexts
//! tell which transfer syntax each data set uses.

use super::parser::{self, Syntax};
use super::record::DicomRecord;
use crate::registry::DissectorInfo;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record};
use std::collections::BTreeMap;
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on DICOM parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DicomLimits {
    /// Largest non-data PDU (association, release, abort) buffered; a larger one is skipped.
    pub max_pdu_len: u32,
    /// Largest command set kept (they are a few hundred bytes).
    pub max_command_len: usize,
    /// Bytes of each data set read for attributes; the rest is counted and skipped.
    pub max_dataset_prefix: usize,
    /// Presentation contexts kept per association PDU.
    pub max_contexts: usize,
    /// Nesting of sequences descended in a data set.
    pub max_depth: usize,
    /// Characters kept of a UID or attribute value.
    pub max_text: usize,
}

impl Default for DicomLimits {
    fn default() -> Self {
        DicomLimits { max_pdu_len: 1 << 20, max_command_len: 16 * 1024, max_dataset_prefix: 64 * 1024, max_contexts: 128, max_depth: 8, max_text: 64 }
    }
}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Dicom,
    transports: &[Transport::Tcp],
    ports: &[104, 11112, 4242],
    probe,
    new: |_, limits| Box::new(Dicom::new(limits.dicom.clone())),
};

/// An A-ASSOCIATE-RQ is distinctive: type 1, protocol version 1, two printable AE titles.
fn probe(_: Transport, dir: Direction, data: &[u8]) -> Confidence {
    match data.first() {
        Some(0x01) if dir == Direction::ToServer => {
            if data.len() < 42 {
                return Confidence::NeedMore;
            }
            let len = parser::be32(data, 2).unwrap_or(0);
            let ok = data[1] == 0 && (68..=1 << 20).contains(&len) && parser::be16(data, 6) == Some(1) && parser::plausible_ae(&data[10..26]) && parser::plausible_ae(&data[26..42]);
            if ok { Confidence::High } else { Confidence::No }
        }
        // Mid-stream pickup: a P-DATA-TF or A-ASSOCIATE-AC header on a DICOM port.
        Some(0x02 | 0x04) if data.len() >= 6 && data[1] == 0 => Confidence::Low,
        Some(0x02 | 0x04) => Confidence::NeedMore,
        _ => Confidence::No,
    }
}

/// Per-direction P-DATA state.
#[derive(Debug, Default)]
struct Side {
    /// Bytes left in the current P-DATA-TF PDU (0: expecting a PDU header).
    pdu_left: u32,
    /// Bytes left in the current PDV fragment.
    pdv_left: u32,
    /// The current fragment: presentation context id and message control header.
    pc: u8,
    mch: u8,
    /// Bytes of an oversize non-data PDU still to skip.
    skip: u64,
    command: Vec<u8>,
    command_cut: bool,
    /// A command waiting for its data set.
    pending: Option<(u8, parser::Command)>,
    dataset: Vec<u8>,
    dataset_size: u64,
    stopped: bool,
}

#[derive(Debug)]
struct Dicom {
    limits: DicomLimits,
    sides: [Side; 2],
    calling: Option<String>,
    called: Option<String>,
    /// Presentation context id -> (abstract syntax, accepted transfer syntax).
    contexts: BTreeMap<u8, (Option<String>, Option<String>)>,
    requested: bool,
    accepted: Option<bool>,
    commands: BTreeMap<&'static str, u32>,
    patient_data: bool,
    summarised: bool,
    reject_reason: Option<&'static str>,
}

impl Dicom {
    fn new(limits: DicomLimits) -> Dicom {
        Dicom {
            limits,
            sides: Default::default(),
            calling: None,
            called: None,
            contexts: BTreeMap::new(),
            requested: false,
            accepted: None,
            commands: BTreeMap::new(),
            patient_data: false,
            summarised: false,
            reject_reason: None,
        }
    }

    fn base(&self, kind: &'static str) -> DicomRecord {
        DicomRecord { kind, calling_ae: self.calling.clone(), called_ae: self.called.clone(), ..DicomRecord::default() }
    }

    /// The association summary, always recorded in the requester's direction (`ToServer`) so
    /// that its sender is the side that asked for the association.
    fn summary(&mut self, _dir: Direction, ended: &'static str, out: &mut Output) {
        if self.summarised || !self.requested {
            return;
        }
        self.summarised = true;
        let mut r = self.base("association");
        r.accepted = Some(self.accepted == Some(true));
        r.commands = std::mem::take(&mut self.commands);
        r.patient_data = self.patient_data;
        r.ended = Some(ended);
        r.reason_name = self.reject_reason;
        out.record(Direction::ToServer, Record::Dicom(r));
    }

    /// A whole non-data PDU.
    fn pdu(&mut self, dir: Direction, ptype: u8, body: &[u8], out: &mut Output) {
        let l = &self.limits;
        let ev = |out: &mut Output, reason| out.event(AppProtocol::Dicom, dir, DissectEventKind::Malformed { reason });
        match ptype {
            1 | 2 => {
                let rq = ptype == 1;
                let mut r = DicomRecord { kind: if rq { "associate_rq" } else { "associate_ac" }, ..DicomRecord::default() };
                if let Err(reason) = parser::associate(body, rq, &mut r, l.max_contexts, l.max_text) {
                    ev(out, reason);
                }
                if rq {
                    self.requested = true;
                    self.calling.clone_from(&r.calling_ae);
                    self.called.clone_from(&r.called_ae);
                    for pc in &r.presentation_contexts {
                        self.contexts.insert(pc.id, (pc.abstract_syntax.clone(), pc.transfer_syntaxes.first().cloned()));
                    }
                } else {
                    self.accepted = Some(true);
                    for pc in &r.presentation_contexts {
                        let e = self.contexts.entry(pc.id).or_insert((None, None));
                        if pc.result == Some(0) {
                            e.1 = pc.transfer_syntaxes.first().cloned();
                        }
                    }
                    for pc in &mut r.presentation_contexts {
                        if let Some((Some(a), _)) = self.contexts.get(&pc.id) {
                            pc.abstract_syntax_name = parser::sop_class_name(a);
                        }
                    }
                }
                out.record(dir, Record::Dicom(r));
            }
            3 | 7 => {
                let (result, source, reason) = (body.get(1).copied(), body.get(2).copied(), body.get(3).copied());
                if body.len() != 4 {
                    ev(out, if ptype == 3 { "dicom.reject_length" } else { "dicom.abort_length" });
                }
                let mut r = self.base(if ptype == 3 { "associate_rj" } else { "abort" });
                r.source = source;
                r.reason = reason;
                if ptype == 3 {
                    r.result = result;
                    self.accepted = Some(false);
                    r.reason_name = Some(parser::reject_reason(source.unwrap_or(0), reason.unwrap_or(0)));
                    self.reject_reason = r.reason_name;
                } else {
                    r.reason_name = Some(parser::abort_reason(source.unwrap_or(0), reason.unwrap_or(0)));
                }
                out.record(dir, Record::Dicom(r));
                self.summary(dir, if ptype == 3 { "reject" } else { "abort" }, out);
            }
            5 | 6 => {
                if body.len() != 4 {
                    ev(out, "dicom.release_length");
                }
                out.record(dir, Record::Dicom(self.base(if ptype == 5 { "release_rq" } else { "release_rp" })));
                if ptype == 6 {
                    self.summary(dir, "release", out);
                }
            }
            _ => ev(out, "dicom.unknown_pdu_type"),
        }
    }

    /// The last fragment of a command or data set arrived.
    fn fragment_done(&mut self, dir: Direction, out: &mut Output) {
        let i = dir.index();
        let (pc, mch) = (self.sides[i].pc, self.sides[i].mch);
        if mch & 0x01 == 1 {
            let bytes = std::mem::take(&mut self.sides[i].command);
            if std::mem::take(&mut self.sides[i].command_cut) {
                out.event(AppProtocol::Dicom, dir, DissectEventKind::LimitExceeded { limit: "dicom.max_command_len", value: self.limits.max_command_len as u64 });
                return;
            }
            match parser::command(&bytes, self.limits.max_text) {
                Ok(c) if c.dataset => self.sides[i].pending = Some((pc, c)),
                Ok(c) => self.emit(dir, pc, &c, None, out),
                Err(reason) => out.event(AppProtocol::Dicom, dir, DissectEventKind::Malformed { reason }),
            }
        } else {
            let data = std::mem::take(&mut self.sides[i].dataset);
            let size = std::mem::take(&mut self.sides[i].dataset_size);
            match self.sides[i].pending.take() {
                Some((pc, c)) => self.emit(dir, pc, &c, Some((&data, size)), out),
                None => out.event(AppProtocol::Dicom, dir, DissectEventKind::PeerMisbehaving { reason: "dicom.dataset_without_command" }),
            }
        }
    }

    fn emit(&mut self, dir: Direction, pc: u8, c: &parser::Command, ds: Option<(&[u8], u64)>, out: &mut Output) {
        let name = parser::command_name(c.field);
        let mut r = self.base("command");
        r.command = Some(name);
        r.presentation_context_id = Some(pc);
        r.message_id = c.message_id;
        r.sop_class_name = c.sop_class.as_deref().and_then(parser::sop_class_name);
        r.sop_class.clone_from(&c.sop_class);
        r.status = c.status;
        r.status_category = c.status.map(parser::status_category);
        r.move_destination.clone_from(&c.move_destination);
        if let Some((data, size)) = ds {
            r.has_dataset = true;
            r.dataset_size = Some(size);
            let syn = self.contexts.get(&pc).and_then(|(_, ts)| ts.as_deref()).map_or(Syntax::ImplicitLe, parser::syntax);
            let s = parser::dataset(data, syn, self.limits.max_depth, self.limits.max_text);
            if syn == Syntax::Opaque {
                r.dataset_not_decoded = Some("deflated");
            } else if s.malformed {
                r.dataset_not_decoded = Some("malformed");
                out.event(AppProtocol::Dicom, dir, DissectEventKind::Malformed { reason: "dicom.dataset_encoding" });
            } else if size > data.len() as u64 {
                r.dataset_not_decoded = Some("limit");
            }
            r.device = s.device.into_iter().collect();
            self.patient_data |= !s.patient.is_empty();
            r.patient_attributes = s.patient;
        }
        let n = self.commands.entry(name).or_insert(0);
        *n = n.saturating_add(1);
        out.record(dir, Record::Dicom(r));
    }
}

impl Dissector for Dicom {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        let i = dir.index();
        let mut at = 0;
        while at < data.len() {
            let rest = &data[at..];
            let side = &mut self.sides[i];
            if side.stopped {
                return Progress::done(data.len());
            }
            if side.skip > 0 {
                let n = (side.skip.min(rest.len() as u64)) as usize;
                side.skip -= n as u64;
                at += n;
                continue;
            }
            if side.pdv_left > 0 {
                // Stream a fragment's bytes into the command buffer or the data set prefix.
                let n = (side.pdv_left as usize).min(rest.len());
                let chunk = &rest[..n];
                if side.mch & 0x01 == 1 {
                    let room = self.limits.max_command_len.saturating_sub(side.command.len());
                    side.command.extend_from_slice(&chunk[..n.min(room)]);
                    side.command_cut |= n > room;
                } else {
                    let room = self.limits.max_dataset_prefix.saturating_sub(side.dataset.len());
                    side.dataset.extend_from_slice(&chunk[..n.min(room)]);
                    side.dataset_size += n as u64;
                }
                side.pdv_left -= n as u32;
                side.pdu_left -= n as u32;
                at += n;
                if side.pdv_left == 0 && side.mch & 0x02 != 0 {
                    self.fragment_done(dir, out);
                }
                continue;
            }
            if side.pdu_left > 0 {
                // Next PDV item header inside a P-DATA-TF.
                if rest.len() < 6 {
                    return Progress::need(at, 6);
                }
                let len = parser::be32(rest, 0).unwrap_or(0);
                if side.pdu_left < 6 || len < 2 || len > side.pdu_left - 4 {
                    out.event(AppProtocol::Dicom, dir, DissectEventKind::Malformed { reason: "dicom.pdv_length" });
                    side.stopped = true;
                    out.event(AppProtocol::Dicom, dir, DissectEventKind::LostSync);
                    return Progress::done(data.len());
                }
                side.pc = rest[4];
                side.mch = rest[5];
                side.pdv_left = len - 2;
                side.pdu_left -= 6;
                at += 6;
                // A data set fragment arrives in many TCP chunks: room for the part of it that
                // will be kept, at once, rather than by doubling through every chunk. A fragment
                // that is not the data set's last is followed by more: then room for the whole
                // kept prefix at once, rather than growing (and copying) fragment by fragment.
                if side.mch & 0x01 == 0 {
                    let room = self.limits.max_dataset_prefix.saturating_sub(side.dataset.len());
                    let last = side.mch & 0x02 != 0;
                    side.dataset.reserve_exact(if last { (side.pdv_left as usize).min(room) } else { room });
                }
                if side.pdv_left == 0 && side.mch & 0x02 != 0 {
                    self.fragment_done(dir, out);
                }
                continue;
            }
            // A PDU header.
            if rest.len() < 6 {
                return Progress::need(at, 6);
            }
            let ptype = rest[0];
            let len = parser::be32(rest, 2).unwrap_or(0);
            if !(1..=7).contains(&ptype) {
                out.event(AppProtocol::Dicom, dir, DissectEventKind::Malformed { reason: "dicom.unknown_pdu_type" });
                side.stopped = true;
                out.event(AppProtocol::Dicom, dir, DissectEventKind::LostSync);
                return Progress::done(data.len());
            }
            if ptype == 4 {
                if len < 6 {
                    out.event(AppProtocol::Dicom, dir, DissectEventKind::Malformed { reason: "dicom.pdu_length" });
                    at += 6;
                    side.skip = u64::from(len);
                    continue;
                }
                side.pdu_left = len;
                at += 6;
                continue;
            }
            if len > self.limits.max_pdu_len {
                out.event(AppProtocol::Dicom, dir, DissectEventKind::LimitExceeded { limit: "dicom.max_pdu_len", value: u64::from(len) });
                side.skip = u64::from(len);
                at += 6;
                continue;
            }
            let total = 6 + len as usize;
            if rest.len() < total {
                return Progress::need(at, total);
            }
            self.pdu(dir, ptype, &rest[6..total], out);
            at += total;
        }
        Progress::done(data.len())
    }

    fn on_gap(&mut self, dir: Direction, _len: u64, out: &mut Output) {
        let side = &mut self.sides[dir.index()];
        if !side.stopped {
            side.stopped = true;
            out.event(AppProtocol::Dicom, dir, DissectEventKind::LostSync);
        }
        // Counts after a loss would be wrong: no summary for this association.
        self.summarised = true;
    }

    fn on_eof(&mut self, dir: Direction, out: &mut Output) {
        self.summary(dir, "closed", out);
    }
}

/// Fuzz entry point: any bytes, whole or in thirds, give the same records; no record keeps more
/// than the limits allow; every record serialises.
pub fn fuzz(data: &[u8]) {
    let limits = Limits::default();
    let (whole, split) = crate::harness::whole_and_thirds(&INFO, &limits, Direction::ToServer, data);
    assert_eq!(whole.records, split.records, "split points change nothing");
    for (_, r) in &whole.records {
        let Record::Dicom(r) = r else { panic!("not dicom") };
        assert!(r.presentation_contexts.len() <= limits.dicom.max_contexts);
        assert!(r.device.values().all(|v| v.chars().count() <= limits.dicom.max_text));
        assert!(serde_json::to_string(r).is_ok());
    }
}
