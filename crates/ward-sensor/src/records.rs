//! A JSON-lines stream of dissector records, one object per line, in the spirit of Suricata's
//! EVE: `{"timestamp", "pcap_cnt", "event_type", "src_ip", "src_port", "dest_ip", "dest_port",
//! "proto", "direction", "<protocol>": {...}}`.

use crate::engine::{RecordContext, RecordSink};
use serde_json::{Map, Value};
use std::io::Write;
use ward_dissect::Record;

/// Writes records as JSON lines.
#[derive(Debug)]
pub struct JsonLinesSink<W: Write> {
    out: W,
    /// First write error, if any (writing stops there).
    pub error: Option<std::io::Error>,
}

impl<W: Write> JsonLinesSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        JsonLinesSink { out, error: None }
    }
}

/// The JSON object for one record.
#[must_use]
pub fn record_json(ctx: &RecordContext, record: &Record) -> Value {
    let proto = record.protocol().as_str();
    let mut body = serde_json::to_value(record).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut body {
        m.remove("protocol");
    }
    let mut o = Map::new();
    o.insert("timestamp".into(), Value::String(ctx.ts.to_string()));
    o.insert("pcap_cnt".into(), ctx.packet.into());
    o.insert("event_type".into(), proto.into());
    o.insert("src_ip".into(), ctx.src.0.to_string().into());
    o.insert("src_port".into(), ctx.src.1.into());
    o.insert("dest_ip".into(), ctx.dst.0.to_string().into());
    o.insert("dest_port".into(), ctx.dst.1.into());
    o.insert("proto".into(), ctx.transport.as_str().to_ascii_uppercase().into());
    o.insert("direction".into(), serde_json::to_value(ctx.direction).unwrap_or(Value::Null));
    o.insert(proto.into(), body);
    Value::Object(o)
}

impl<W: Write> RecordSink for JsonLinesSink<W> {
    fn record(&mut self, ctx: &RecordContext, record: &Record) {
        if self.error.is_some() {
            return;
        }
        let v = record_json(ctx, record);
        let r = serde_json::to_writer(&mut self.out, &v).map_err(std::io::Error::from).and_then(|()| self.out.write_all(b"\n"));
        if let Err(e) = r {
            self.error = Some(e);
        }
    }
}
