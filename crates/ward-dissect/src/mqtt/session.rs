//! The MQTT dissector: framing by the fixed header's remaining length, one record per packet.

use super::parser::{self, Reader};
use super::record::{MqttRecord, MqttTopic};
use crate::registry::DissectorInfo;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record};
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on MQTT parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttLimits {
    /// Largest packet buffered (remaining length); larger ones are skipped, not buffered.
    pub max_packet_len: u32,
    /// Topic filters read per SUBSCRIBE/UNSUBSCRIBE and codes per SUBACK.
    pub max_topics: usize,
    /// Property names kept per packet.
    pub max_properties: usize,
    /// Characters kept of a topic or client id.
    pub max_text: usize,
}

impl Default for MqttLimits {
    fn default() -> Self {
        MqttLimits { max_packet_len: 1 << 20, max_topics: 64, max_properties: 32, max_text: 256 }
    }
}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Mqtt,
    transports: &[Transport::Tcp],
    ports: &[1883],
    probe,
    new: |_, limits| Box::new(Mqtt { limits: limits.mqtt.clone(), version: 4, skip: [0; 2] }),
};

/// A CONNECT names its protocol ("MQTT" or "MQIsdp") right after the fixed header.
fn probe(_: Transport, dir: Direction, data: &[u8]) -> Confidence {
    match parser::fixed_header(data) {
        Ok(Some((first, len, hl))) => {
            let body = &data[hl..];
            if first == 0x10 && dir == Direction::ToServer {
                if body.len() < 8 {
                    return Confidence::NeedMore;
                }
                let ok = body.starts_with(b"\x00\x04MQTT") || body.starts_with(b"\x00\x06MQIsdp");
                return if ok { Confidence::High } else { Confidence::No };
            }
            // A CONNACK (mid-stream pickup on the broker's side): weak evidence.
            if first == 0x20 && (len == 2 || len >= 3) && body.len() >= 2 && body[0] <= 1 {
                return Confidence::Low;
            }
            Confidence::No
        }
        Ok(None) => {
            if data.first().is_some_and(|b| b >> 4 == 1 || b >> 4 == 2) { Confidence::NeedMore } else { Confidence::No }
        }
        Err(_) => Confidence::No,
    }
}

#[derive(Debug)]
struct Mqtt {
    limits: MqttLimits,
    /// Protocol level from CONNECT (4 = 3.1.1 until told otherwise).
    version: u8,
    /// Bytes of an oversize packet still to skip, per direction.
    skip: [usize; 2],
}

const TYPES: [&str; 16] = [
    "reserved", "connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe", "suback",
    "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect", "auth",
];

impl Mqtt {
    fn packet(&mut self, first: u8, body: &[u8], limits_cut: &mut Option<&'static str>) -> Result<MqttRecord, &'static str> {
        let ptype = first >> 4;
        let mut rec = MqttRecord {
            kind: TYPES[usize::from(ptype)],
            dup: first & 0x08 != 0,
            qos: (first >> 1) & 0x03,
            retain: first & 0x01 != 0,
            length: body.len() as u32,
            protocol_string: None,
            protocol_version: None,
            client_id: None,
            username_present: None,
            password_present: None,
            will: None,
            clean_session: None,
            keepalive: None,
            session_present: None,
            return_code: None,
            topic: None,
            message_id: None,
            payload_size: None,
            phi_indicators: Vec::new(),
            topics: Vec::new(),
            granted: Vec::new(),
            properties: Vec::new(),
        };
        let l = &self.limits;
        let mut r = Reader::new(body);
        let v5 = self.version >= 5;
        let mut props = |r: &mut Reader<'_>, rec: &mut MqttRecord| -> Result<(), &'static str> {
            if parser::properties(r, l.max_properties, &mut rec.properties)? {
                *limits_cut = Some("mqtt.max_properties");
            }
            Ok(())
        };
        match ptype {
            1 => {
                // CONNECT (§3.1): protocol name, level, flags, keep alive, [properties], payload.
                let name = r.string()?;
                let level = r.u8()?;
                let flags = r.u8()?;
                rec.keepalive = Some(r.u16()?);
                rec.protocol_string = Some(parser::text(name, 16));
                rec.protocol_version = Some(level);
                self.version = level;
                rec.username_present = Some(flags & 0x80 != 0);
                rec.password_present = Some(flags & 0x40 != 0);
                rec.will = Some(flags & 0x04 != 0);
                rec.clean_session = Some(flags & 0x02 != 0);
                if level >= 5 {
                    props(&mut r, &mut rec)?;
                }
                rec.client_id = Some(parser::text(r.string()?, l.max_text));
                // Will properties, topic and payload, username and password follow: they are
                // walked for validity, never kept.
                if flags & 0x04 != 0 {
                    if level >= 5 {
                        let mut ignored = Vec::new();
                        parser::properties(&mut r, l.max_properties, &mut ignored)?;
                    }
                    r.string()?;
                    r.string()?;
                }
                if flags & 0x80 != 0 {
                    r.string()?;
                }
                if flags & 0x40 != 0 {
                    r.string()?;
                }
            }
            2 => {
                rec.session_present = Some(r.u8()? & 0x01 != 0);
                rec.return_code = Some(r.u8()?);
                if v5 && r.left() > 0 {
                    props(&mut r, &mut rec)?;
                }
            }
            3 => {
                rec.topic = Some(parser::text(r.string()?, l.max_text));
                if rec.qos > 0 {
                    rec.message_id = Some(r.u16()?);
                }
                if v5 {
                    props(&mut r, &mut rec)?;
                }
                rec.payload_size = Some(r.left() as u32);
                let payload = r.bytes(r.left())?;
                rec.phi_indicators = crate::phi::indicators(&payload[..payload.len().min(4096)]);
                return Ok(rec);
            }
            4..=7 | 11 => {
                rec.message_id = Some(r.u16()?);
                // MQTT 5 §3.4.2.1: a remaining length of 2 means reason code 0x00 (success).
                if v5 && r.left() == 0 {
                    rec.return_code = Some(0);
                }
                if v5 && r.left() > 0 {
                    rec.return_code = Some(r.u8()?);
                    if ptype == 11 {
                        props(&mut r, &mut rec)?;
                        while r.left() > 0 && rec.granted.len() < l.max_topics {
                            rec.granted.push(r.u8()?);
                        }
                        return Ok(rec);
                    }
                    if r.left() > 0 {
                        props(&mut r, &mut rec)?;
                    }
                }
            }
            8 | 10 => {
                rec.message_id = Some(r.u16()?);
                if v5 {
                    props(&mut r, &mut rec)?;
                }
                while r.left() > 0 {
                    let topic = parser::text(r.string()?, l.max_text);
                    let qos = if ptype == 8 { Some(r.u8()? & 0x03) } else { None };
                    if rec.topics.len() >= l.max_topics {
                        *limits_cut = Some("mqtt.max_topics");
                        break;
                    }
                    rec.topics.push(MqttTopic { topic, qos });
                }
                if rec.topics.is_empty() {
                    return Err("mqtt.no_topics");
                }
                return Ok(rec);
            }
            9 => {
                rec.message_id = Some(r.u16()?);
                if v5 {
                    props(&mut r, &mut rec)?;
                }
                while r.left() > 0 {
                    let c = r.u8()?;
                    if rec.granted.len() >= l.max_topics {
                        *limits_cut = Some("mqtt.max_topics");
                        break;
                    }
                    rec.granted.push(c);
                }
                return Ok(rec);
            }
            12 | 13 => {}
            14 | 15 => {
                // MQTT 5 §3.14.2.1: no reason code byte means 0x00, normal disconnection.
                if v5 && r.left() == 0 {
                    rec.return_code = Some(0);
                }
                if v5 && r.left() > 0 {
                    rec.return_code = Some(r.u8()?);
                    if r.left() > 0 {
                        props(&mut r, &mut rec)?;
                    }
                }
            }
            _ => return Err("mqtt.reserved_packet_type"),
        }
        if r.left() > 0 {
            return Err("mqtt.trailing_bytes");
        }
        Ok(rec)
    }
}

impl Dissector for Mqtt {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        let i = dir.index();
        if self.skip[i] > 0 {
            let n = self.skip[i].min(data.len());
            self.skip[i] -= n;
            return Progress::need(n, 0);
        }
        let (first, len, hl) = match parser::fixed_header(data) {
            Ok(Some(h)) => h,
            Ok(None) => return Progress::need(0, data.len() + 1),
            Err(reason) => {
                out.event(AppProtocol::Mqtt, dir, DissectEventKind::Malformed { reason });
                out.event(AppProtocol::Mqtt, dir, DissectEventKind::LostSync);
                self.skip[i] = usize::MAX;
                return Progress::done(data.len());
            }
        };
        if len > self.limits.max_packet_len {
            out.event(AppProtocol::Mqtt, dir, DissectEventKind::LimitExceeded { limit: "mqtt.max_packet_len", value: u64::from(len) });
            self.skip[i] = len as usize;
            return Progress::need(hl, 0);
        }
        let total = hl + len as usize;
        if data.len() < total {
            return Progress::need(0, total);
        }
        let mut cut = None;
        match self.packet(first, &data[hl..total], &mut cut) {
            Ok(rec) => out.record(dir, Record::Mqtt(rec)),
            Err(reason) => out.event(AppProtocol::Mqtt, dir, DissectEventKind::Malformed { reason }),
        }
        if let Some(limit) = cut {
            out.event(AppProtocol::Mqtt, dir, DissectEventKind::LimitExceeded { limit, value: len.into() });
        }
        Progress::need(total, 0)
    }

    fn on_gap(&mut self, dir: Direction, _: u64, out: &mut Output) {
        // Nothing in the byte stream marks a packet boundary: stop this direction.
        let i = dir.index();
        if self.skip[i] != usize::MAX {
            self.skip[i] = usize::MAX;
            out.event(AppProtocol::Mqtt, dir, DissectEventKind::LostSync);
        }
    }

    fn on_eof(&mut self, _: Direction, _: &mut Output) {}
}

/// Fuzz entry point: `data` as the client side of a stream, whole and split at two points;
/// the same records either way, no secrets kept, every record serialises.
pub fn fuzz(data: &[u8]) {
    let limits = Limits::default();
    let (whole, split) = crate::harness::whole_and_thirds(&INFO, &limits, Direction::ToServer, data);
    assert_eq!(whole.records, split.records, "split points change nothing");
    for (_, r) in &whole.records {
        let Record::Mqtt(r) = r else { panic!("not mqtt") };
        assert!(r.topic.as_ref().is_none_or(|t| t.chars().count() <= limits.mqtt.max_text));
        assert!(r.topics.len() <= limits.mqtt.max_topics);
        assert!(serde_json::to_string(r).is_ok());
    }
}
