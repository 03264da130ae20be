//! The JSON report, byte for byte what `serde_json::to_writer_pretty` writes, with the flow
//! summaries written by hand.
//!
//! A full report holds 100,000 flow summaries, three quarters of its bytes; through serde each
//! of their 18 keys is scanned for characters to escape and each value goes through the
//! formatter's calls one token at a time, which cost more than the analysis of many protocols.
//! Here their keys are constants, their numbers and addresses are written digit by digit, and
//! only text that could need escaping (or a float) goes through `serde_json`. The rest of the
//! report is serialised by serde with a formatter that indents exactly as the pretty printer
//! does from the level the field sits at. A test compares the two writers on every shape a
//! summary can take.

use serde::Serialize;
use std::io::{self, Write};
use ward_model::Timestamp;
use ward_model::report::{AnalyzeReport, Endpoint, FlowSummary};

/// One indentation step of the pretty printer.
const INDENT: &[u8] = b"  ";

/// `serde_json`'s pretty formatter, starting at a given depth (the pretty printer always
/// starts at 0); the same bytes for every token.
struct Pretty {
    level: usize,
    has_value: bool,
}

fn indent<W: ?Sized + Write>(w: &mut W, level: usize) -> io::Result<()> {
    for _ in 0..level {
        w.write_all(INDENT)?;
    }
    Ok(())
}

impl Pretty {
    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            indent(w, self.level)?;
        }
        w.write_all(bracket)
    }

    /// Before an array element or an object key: a new line at the current depth.
    fn item<W: ?Sized + Write>(&self, w: &mut W, first: bool) -> io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        indent(w, self.level)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `value` as the pretty printer writes it when it sits at depth `level`.
fn nested<W: Write, T: ?Sized + Serialize>(w: &mut W, level: usize, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(w, Pretty { level, has_value: false });
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// The key of a member of the top-level object, with what comes before it.
fn top_key<W: Write>(w: &mut W, first: bool, key: &str) -> io::Result<()> {
    w.write_all(if first { b"\n" } else { b",\n" })?;
    indent(w, 1)?;
    nested(w, 1, key)?;
    w.write_all(b": ")
}

/// The whole report, newline-terminated: the same bytes as `serde_json::to_writer_pretty`
/// followed by a newline.
pub(crate) fn write_report<W: Write>(w: &mut W, report: &AnalyzeReport) -> io::Result<()> {
    // Every field by name: a field added to the report is a compile error here, not a member
    // silently missing from the document.
    let AnalyzeReport { schema, generator, capture, assets, protocols, conversations, flows, flows_omitted, findings } = report;
    w.write_all(b"{")?;
    top_key(w, true, "schema")?;
    nested(w, 1, schema)?;
    top_key(w, false, "generator")?;
    nested(w, 1, generator)?;
    top_key(w, false, "capture")?;
    nested(w, 1, capture)?;
    top_key(w, false, "assets")?;
    nested(w, 1, assets)?;
    top_key(w, false, "protocols")?;
    nested(w, 1, protocols)?;
    top_key(w, false, "conversations")?;
    nested(w, 1, conversations)?;
    top_key(w, false, "flows")?;
    write_flows(w, flows)?;
    top_key(w, false, "flows_omitted")?;
    nested(w, 1, flows_omitted)?;
    top_key(w, false, "findings")?;
    nested(w, 1, findings)?;
    w.write_all(b"\n}\n")
}

/// The flow list, a member of the top-level object (depth 1).
fn write_flows<W: Write>(w: &mut W, flows: &[FlowSummary]) -> io::Result<()> {
    if flows.is_empty() {
        return w.write_all(b"[]");
    }
    for (i, f) in flows.iter().enumerate() {
        w.write_all(if i == 0 { b"[\n    {" } else { b",\n    {" })?;
        write_flow(w, f)?;
        w.write_all(b"\n    }")?;
    }
    w.write_all(b"\n  ]")
}

/// The members of one summary (depth 3), from the first key to the last value.
fn write_flow<W: Write>(w: &mut W, f: &FlowSummary) -> io::Result<()> {
    let FlowSummary {
        start,
        duration,
        transport,
        ip_proto,
        client,
        server,
        vlan,
        service,
        client_packets,
        server_packets,
        client_bytes,
        server_bytes,
        client_frame_bytes,
        server_frame_bytes,
        missed_bytes,
        state,
        midstream,
        end_reason,
    } = f;
    w.write_all(b"\n      \"start\": \"")?;
    w.write_all(start.text(&mut [0; Timestamp::TEXT_LEN]).as_bytes())?;
    w.write_all(b"\"")?;
    w.write_all(b",\n      \"duration\": ")?;
    // Floats are written by serde_json's own algorithm (and non-finite ones as null).
    serde_json::to_writer(&mut *w, duration).map_err(io::Error::from)?;
    w.write_all(b",\n      \"transport\": ")?;
    text(w, transport)?;
    w.write_all(b",\n      \"ip_proto\": ")?;
    uint(w, u64::from(*ip_proto))?;
    w.write_all(b",\n      \"client\": ")?;
    endpoint(w, client)?;
    w.write_all(b",\n      \"server\": ")?;
    endpoint(w, server)?;
    w.write_all(b",\n      \"vlan\": ")?;
    match vlan {
        Some(v) => uint(w, u64::from(*v))?,
        None => w.write_all(b"null")?,
    }
    w.write_all(b",\n      \"service\": ")?;
    match service {
        Some(s) => text(w, s)?,
        None => w.write_all(b"null")?,
    }
    for (key, v) in [
        (&b",\n      \"client_packets\": "[..], client_packets),
        (b",\n      \"server_packets\": ", server_packets),
        (b",\n      \"client_bytes\": ", client_bytes),
        (b",\n      \"server_bytes\": ", server_bytes),
        (b",\n      \"client_frame_bytes\": ", client_frame_bytes),
        (b",\n      \"server_frame_bytes\": ", server_frame_bytes),
        (b",\n      \"missed_bytes\": ", missed_bytes),
    ] {
        w.write_all(key)?;
        uint(w, *v)?;
    }
    w.write_all(b",\n      \"state\": ")?;
    text(w, state)?;
    w.write_all(if *midstream { b",\n      \"midstream\": true" } else { b",\n      \"midstream\": false" })?;
    w.write_all(b",\n      \"end_reason\": ")?;
    text(w, end_reason)
}

/// An endpoint object (depth 3).
fn endpoint<W: Write>(w: &mut W, e: &Endpoint) -> io::Result<()> {
    w.write_all(b"{\n        \"ip\": ")?;
    match e.ip {
        std::net::IpAddr::V4(a) => {
            w.write_all(b"\"")?;
            w.write_all(ward_model::report::ipv4_text(a, &mut [0; 15]).as_bytes())?;
            w.write_all(b"\"")?;
        }
        // What serde writes for an address: its text, which never needs escaping.
        std::net::IpAddr::V6(a) => write!(w, "\"{a}\"")?,
    }
    w.write_all(b",\n        \"port\": ")?;
    uint(w, u64::from(e.port))?;
    w.write_all(b"\n      }")
}

/// A string: as is between quotes when nothing in it needs escaping, else through serde_json.
fn text<W: Write>(w: &mut W, s: &str) -> io::Result<()> {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        w.write_all(b"\"")?;
        w.write_all(s.as_bytes())?;
        w.write_all(b"\"")
    } else {
        serde_json::to_writer(w, s).map_err(io::Error::from)
    }
}

/// An unsigned integer in decimal.
fn uint<W: Write>(w: &mut W, mut v: u64) -> io::Result<()> {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    w.write_all(&buf[at..])
}

#[cfg(test)]
mod tests {
    use super::write_report;
    use std::borrow::Cow;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use ward_model::Timestamp;
    use ward_model::report::{AnalyzeReport, CaptureSummary, Endpoint, FlowSummary, Generator};

    fn report(flows: Vec<FlowSummary>) -> AnalyzeReport {
        AnalyzeReport {
            schema: "ward.analyze-report/1".into(),
            generator: Generator { name: "ward".into(), version: "0.1.0".into() },
            capture: CaptureSummary { packets: 3, bytes: 300, counters: [("tcp.gaps".to_string(), 2)].into_iter().collect(), ..CaptureSummary::default() },
            assets: Vec::new(),
            protocols: Vec::new(),
            conversations: Vec::new(),
            flows,
            flows_omitted: 7,
            findings: Vec::new(),
        }
    }

    fn flow(i: u64) -> FlowSummary {
        let ips: [IpAddr; 5] = [
            Ipv4Addr::new(10, 40, 0, 195).into(),
            Ipv4Addr::new(0, 9, 99, 255).into(),
            Ipv4Addr::new(100, 200, 1, 10).into(),
            Ipv6Addr::LOCALHOST.into(),
            "fe80::1:2".parse().unwrap_or(Ipv6Addr::UNSPECIFIED.into()),
        ];
        let texts = ["tcp", "udp", "", "a\"quote", "back\\slash", "tab\there", "ünï", "\u{1}ctl", "del\u{7f}"];
        let text = |k: u64| -> Cow<'static, str> {
            let t = texts[(k % texts.len() as u64) as usize];
            if k.is_multiple_of(2) { Cow::Borrowed(t) } else { Cow::Owned(t.to_string()) }
        };
        let durations = [0.0, 0.707646, 1e-9, 123.456789, 3599.999999999, 1e21, f64::NAN, f64::INFINITY, -0.0];
        FlowSummary {
            start: Timestamp(1_767_254_400_002_917_000 + i * 1_000_000_007 + u64::from(i.is_multiple_of(3))),
            duration: durations[(i % durations.len() as u64) as usize],
            transport: text(i),
            ip_proto: (i * 37 % 256) as u8,
            client: Endpoint { ip: ips[(i % 5) as usize], port: (i * 7919 % 65536) as u16 },
            server: Endpoint { ip: ips[((i + 2) % 5) as usize], port: if i.is_multiple_of(4) { 0 } else { 65535 } },
            vlan: if i.is_multiple_of(3) { None } else { Some((i * 13 % 4096) as u16) },
            service: if i.is_multiple_of(5) { None } else { Some(text(i + 1)) },
            client_packets: i,
            server_packets: u64::MAX - i,
            client_bytes: 10u64.pow((i % 20) as u32),
            server_bytes: 10u64.pow((i % 20) as u32) - 1,
            client_frame_bytes: i * 1500,
            server_frame_bytes: 0,
            missed_bytes: i % 2,
            state: text(i + 2),
            midstream: i % 2 == 1,
            end_reason: text(i + 3),
        }
    }

    fn serde_pretty(r: &AnalyzeReport) -> Vec<u8> {
        let mut want = serde_json::to_vec_pretty(r).unwrap_or_default();
        want.push(b'\n');
        want
    }

    /// Byte for byte what serde_json's pretty printer writes, for every shape a summary takes
    /// (IPv4 and IPv6, with and without VLAN and service, text needing escapes, odd floats)
    /// and for an empty list.
    #[test]
    fn hand_written_report_is_serdes_pretty_output() {
        for n in [0u64, 1, 2, 90] {
            let r = report((0..n).map(flow).collect());
            let mut got = Vec::new();
            assert!(write_report(&mut got, &r).is_ok());
            assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&serde_pretty(&r)), "{n} flows");
        }
    }
}
