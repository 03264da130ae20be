//! The SNMP dissector: one datagram, one message (RFC 1157 v1, RFC 3416 v2c, RFC 3412 v3
//! header), read with a small bounded BER reader.

use super::record::SnmpRecord;
use crate::registry::DissectorInfo;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record};
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on SNMP parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnmpLimits {
    /// Variable bindings read per message.
    pub max_bindings: usize,
    /// Characters kept of a system identity value.
    pub max_text: usize,
}

impl Default for SnmpLimits {
    fn default() -> Self {
        SnmpLimits { max_bindings: 32, max_text: 255 }
    }
}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Snmp,
    transports: &[Transport::Udp],
    ports: &[161, 162],
    probe,
    new: |_, limits| Box::new(Snmp { limits: limits.snmp.clone() }),
};

/// Well-known default communities (vendor manuals and CVE-1999-0517/0516 list these).
const DEFAULTS: [&[u8]; 8] = [b"public", b"private", b"community", b"admin", b"manager", b"snmp", b"cisco", b"default"];

/// A SEQUENCE whose first element is INTEGER 0, 1 or 3.
fn probe(_: Transport, _: Direction, data: &[u8]) -> Confidence {
    let mut r = Ber::new(data);
    let Ok((0x30, body)) = r.tlv() else { return Confidence::No };
    let mut b = Ber::new(body);
    match b.tlv() {
        Ok((0x02, v)) if v.len() == 1 && matches!(v[0], 0 | 1 | 3) => match b.tlv() {
            Ok((0x04 | 0x30, _)) => Confidence::High,
            _ => Confidence::No,
        },
        _ => Confidence::No,
    }
}

/// A bounded BER reader: definite lengths up to 4 octets, single-octet tags.
pub(crate) struct Ber<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Ber<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Ber<'a> {
        Ber { b, at: 0 }
    }

    pub(crate) fn done(&self) -> bool {
        self.at >= self.b.len()
    }

    /// Next (tag, value).
    pub(crate) fn tlv(&mut self) -> Result<(u8, &'a [u8]), &'static str> {
        let tag = *self.b.get(self.at).ok_or("snmp.truncated")?;
        let first = *self.b.get(self.at + 1).ok_or("snmp.truncated")?;
        let (len, hdr) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return Err("snmp.length_form");
            }
            let bytes = self.b.get(self.at + 2..self.at + 2 + n).ok_or("snmp.truncated")?;
            (bytes.iter().fold(0usize, |a, x| (a << 8) | usize::from(*x)), 2 + n)
        };
        let v = self.b.get(self.at + hdr..self.at + hdr + len).ok_or("snmp.length")?;
        self.at += hdr + len;
        Ok((tag, v))
    }
}

fn int(v: &[u8]) -> Option<i64> {
    if v.is_empty() || v.len() > 8 {
        return None;
    }
    let mut x: i64 = if v[0] & 0x80 != 0 { -1 } else { 0 };
    for b in v {
        x = (x << 8) | i64::from(*b);
    }
    Some(x)
}

/// Dotted text of an OBJECT IDENTIFIER (X.690 §8.19).
pub(crate) fn oid(v: &[u8]) -> Option<String> {
    let (&first, rest) = v.split_first()?;
    let mut parts = vec![u64::from(first / 40).min(2), u64::from(first) - u64::from(first / 40).min(2) * 40];
    let mut acc: u64 = 0;
    for b in rest {
        if acc > (u64::MAX >> 8) {
            return None;
        }
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            parts.push(acc);
            acc = 0;
        }
    }
    Some(parts.iter().map(ToString::to_string).collect::<Vec<_>>().join("."))
}

#[derive(Debug)]
struct Snmp {
    limits: SnmpLimits,
}

impl Snmp {
    fn message(&self, data: &[u8]) -> Result<SnmpRecord, &'static str> {
        let (tag, body) = Ber::new(data).tlv()?;
        if tag != 0x30 {
            return Err("snmp.not_a_sequence");
        }
        let mut m = Ber::new(body);
        let (t, v) = m.tlv()?;
        let version = match (t, int(v)) {
            (0x02, Some(0)) => "1",
            (0x02, Some(1)) => "2c",
            (0x02, Some(3)) => "3",
            _ => return Err("snmp.version"),
        };
        let mut r = SnmpRecord { version, ..SnmpRecord::default() };
        if version == "3" {
            // msgGlobalData: msgID, msgMaxSize, msgFlags, msgSecurityModel (RFC 3412 §6).
            let (_, global) = m.tlv()?;
            let mut g = Ber::new(global);
            let _id = g.tlv()?;
            let _max = g.tlv()?;
            let (_, flags) = g.tlv()?;
            let f = flags.first().copied().unwrap_or(0);
            r.v3_auth = Some(f & 1 != 0);
            r.v3_priv = Some(f & 2 != 0);
            let _security_parameters = m.tlv()?;
            let (t, data) = m.tlv()?;
            if f & 2 != 0 || t != 0x30 {
                // An encrypted ScopedPDU (an OCTET STRING): nothing more to read.
                r.kind = "encrypted";
                return Ok(r);
            }
            // ScopedPDU: contextEngineID, contextName, then the PDU in the clear (RFC 3412 §6).
            let mut scoped = Ber::new(data);
            let _engine = scoped.tlv()?;
            let _context = scoped.tlv()?;
            let (pdu, body) = scoped.tlv()?;
            self.pdu(pdu, body, &mut r)?;
            return Ok(r);
        }
        let (t, community) = m.tlv()?;
        if t != 0x04 {
            return Err("snmp.community");
        }
        r.community_present = true;
        r.community_length = Some(community.len());
        r.community_is_default = DEFAULTS.contains(&community);
        let (pdu, body) = m.tlv()?;
        self.pdu(pdu, body, &mut r)?;
        Ok(r)
    }

    /// A PDU (RFC 3416 §3), the same in v1, v2c and a v3 ScopedPDU: its type, request id, error
    /// status, the bound OIDs and, in responses, the system group's identity values.
    fn pdu(&self, pdu: u8, body: &[u8], r: &mut SnmpRecord) -> Result<(), &'static str> {
        r.kind = match pdu {
            0xA0 => "get",
            0xA1 => "getnext",
            0xA2 => "response",
            0xA3 => "set",
            0xA4 => "trap",
            0xA5 => "getbulk",
            0xA6 => "inform",
            0xA7 => "trap2",
            0xA8 => "report",
            _ => return Err("snmp.pdu_type"),
        };
        let mut p = Ber::new(body);
        let bindings = if pdu == 0xA4 {
            // v1 Trap: enterprise, agent-addr, generic, specific, time-stamp, bindings.
            for _ in 0..5 {
                p.tlv()?;
            }
            p.tlv()?.1
        } else {
            r.request_id = int(p.tlv()?.1);
            // GetBulk puts non-repeaters and max-repetitions where the others keep error status
            // and index (RFC 3416 §3): no error status to report there.
            let status = int(p.tlv()?.1);
            r.error_status = if pdu == 0xA5 { None } else { status };
            p.tlv()?;
            p.tlv()?.1
        };
        let mut vb = Ber::new(bindings);
        while !vb.done() && r.oids.len() < self.limits.max_bindings {
            let (_, one) = vb.tlv()?;
            let mut b = Ber::new(one);
            let (t, o) = b.tlv()?;
            if t != 0x06 {
                return Err("snmp.binding_oid");
            }
            let o = oid(o).ok_or("snmp.oid")?;
            if pdu == 0xA2 {
                let (vt, v) = b.tlv()?;
                let text = || String::from_utf8_lossy(v).chars().filter(|c| !c.is_control()).take(self.limits.max_text).collect::<String>().trim().to_string();
                match (o.as_str(), vt) {
                    ("1.3.6.1.2.1.1.1.0", 0x04) => r.sys_descr = Some(text()),
                    ("1.3.6.1.2.1.1.5.0", 0x04) => r.sys_name = Some(text()),
                    ("1.3.6.1.2.1.1.2.0", 0x06) => r.sys_object_id = oid(v),
                    _ => {}
                }
            }
            r.oids.push(o);
        }
        Ok(())
    }
}

impl Dissector for Snmp {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        match self.message(data) {
            Ok(r) => out.record(dir, Record::Snmp(r)),
            Err(reason) => out.event(AppProtocol::Snmp, dir, DissectEventKind::Malformed { reason }),
        }
        Progress::done(data.len())
    }

    fn on_gap(&mut self, _: Direction, _: u64, _: &mut Output) {}

    fn on_eof(&mut self, _: Direction, _: &mut Output) {}
}

/// Fuzz entry point: any datagram gives at most one record, which never holds more than the
/// limits allow and serialises.
pub fn fuzz(data: &[u8]) {
    let limits = Limits::default();
    let out = crate::harness::run(&INFO, Transport::Udp, &limits, &[(Direction::ToServer, data)]);
    assert!(out.records.len() <= 1);
    for (_, r) in &out.records {
        let Record::Snmp(r) = r else { panic!("not snmp") };
        assert!(r.oids.len() <= limits.snmp.max_bindings);
        assert!(serde_json::to_string(r).is_ok());
    }
}
