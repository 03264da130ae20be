//! Damaged and hostile captures: Ward counts, reports the byte offset, keeps going where it can,
//! and stays within its bounds. Inputs start from a real capture (DCMTK C-ECHO, shared data)
//! and are damaged on purpose, or are generated as a stream (a million SYNs).

use std::io::Read;
use ward_model::report::AnalyzeReport;
use ward_sensor::analyze::{build_report, read_capture};
use ward_sensor::{Engine, EngineConfig};

const ECHO: &str = "../../../shared/data/captures/dicom_cecho.pcap";

fn real() -> Vec<u8> {
    std::fs::read(ECHO).expect("shared data present (../shared beside the checkout)")
}

fn run(bytes: &[u8], cfg: EngineConfig) -> AnalyzeReport {
    let mut engine = Engine::new(cfg);
    let file = read_capture("test", 0, bytes, &mut engine, &mut |_| {});
    build_report(vec![file], engine)
}

/// Offsets of each record header in a little-endian microsecond pcap.
fn record_offsets(b: &[u8]) -> Vec<usize> {
    let mut at = 24;
    let mut v = Vec::new();
    while at + 16 <= b.len() {
        v.push(at);
        let caplen = u32::from_le_bytes([b[at + 8], b[at + 9], b[at + 10], b[at + 11]]) as usize;
        at += 16 + caplen;
    }
    v
}

#[test]
fn truncated_file_keeps_every_whole_packet_and_names_the_offset() {
    let b = real();
    let clean = run(&b, EngineConfig::default());
    let offsets = record_offsets(&b);
    let last = *offsets.last().expect("packets");
    // Cut in the middle of the last packet's data.
    let cut = &b[..last + 16 + 10];
    let r = run(cut, EngineConfig::default());
    assert_eq!(r.capture.packets, clean.capture.packets - 1);
    let err = r.capture.files[0].error.as_ref().expect("truncation reported");
    assert_eq!(err.offset, last as u64, "offset of the damaged record");
    assert!(err.message.contains("file ends inside a packet record"), "{}", err.message);
    // Every truncation point: no panic, packets never exceed the clean count.
    for n in 0..b.len() {
        let r = run(&b[..n], EngineConfig::default());
        assert!(r.capture.packets <= clean.capture.packets);
    }
}

#[test]
fn garbage_after_the_last_packet_is_reported_not_parsed() {
    let mut b = real();
    let clean = run(&b, EngineConfig::default());
    let end = b.len();
    b.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 1, 2, 3]);
    let r = run(&b, EngineConfig::default());
    assert_eq!(r.capture.packets, clean.capture.packets);
    let err = r.capture.files[0].error.as_ref().expect("garbage reported");
    assert!(err.offset >= end as u64, "offset {} points into the garbage", err.offset);
    assert!(err.message.contains("impossible packet captured length"), "{}", err.message);
    assert_eq!(r.assets, clean.assets, "inventory unaffected");
}

#[test]
fn a_header_lying_about_snaplen_is_counted_and_the_packets_still_read() {
    let mut b = real();
    b[16..20].copy_from_slice(&64u32.to_le_bytes()); // snaplen 64, packets are longer
    let r = run(&b, EngineConfig::default());
    let clean = run(&real(), EngineConfig::default());
    assert_eq!(r.capture.packets, clean.capture.packets);
    assert!(r.capture.decode_error_kinds.get("capture.caplen_over_snaplen").copied().unwrap_or(0) > 0);
}

#[test]
fn packets_shorter_than_their_headers_claim_are_counted() {
    let b = real();
    let mut out = b[..24].to_vec();
    for at in record_offsets(&b) {
        let caplen = u32::from_le_bytes([b[at + 8], b[at + 9], b[at + 10], b[at + 11]]) as usize;
        // Keep Ethernet + IPv4 header + 4 bytes of TCP: the IP length field now lies.
        let keep = caplen.min(14 + 20 + 4);
        let mut hdr = b[at..at + 16].to_vec();
        hdr[8..12].copy_from_slice(&(keep as u32).to_le_bytes());
        out.extend_from_slice(&hdr);
        out.extend_from_slice(&b[at + 16..at + 16 + keep]);
    }
    let r = run(&out, EngineConfig::default());
    assert!(r.capture.files[0].error.is_none());
    assert!(r.capture.decode_errors > 0);
    assert!(r.capture.decode_error_kinds.contains_key("tcp.truncated"), "{:?}", r.capture.decode_error_kinds);
}

#[test]
fn not_a_capture_is_an_error_at_offset_zero() {
    let r = run(b"GET / HTTP/1.1\r\n\r\n", EngineConfig::default());
    let err = r.capture.files[0].error.as_ref().expect("error");
    assert_eq!(err.offset, 0);
    assert!(err.message.contains("not a pcap or pcapng capture"), "{}", err.message);
}

/// A classic pcap of Ethernet/IPv4/TCP SYNs from ever-changing source ports, generated on the fly
/// so that neither the test nor Ward ever holds the whole thing.
struct SynFlood {
    left: u64,
    header_sent: bool,
    buf: Vec<u8>,
    pos: usize,
    n: u64,
}

impl SynFlood {
    fn frame(&self) -> Vec<u8> {
        let n = self.n;
        let mut f = Vec::with_capacity(70);
        let secs = 1_700_000_000u32 + (n / 100_000) as u32;
        f.extend_from_slice(&secs.to_le_bytes());
        f.extend_from_slice(&((n % 100_000) as u32 * 10).to_le_bytes());
        f.extend_from_slice(&54u32.to_le_bytes());
        f.extend_from_slice(&54u32.to_le_bytes());
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
        let src = [10, 1, (n >> 16) as u8, (n >> 8) as u8];
        f.extend_from_slice(&[0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&[10, 0, 0, 1]);
        f.extend_from_slice(&((n as u16) | 1024).to_be_bytes());
        f.extend_from_slice(&104u16.to_be_bytes());
        f.extend_from_slice(&(n as u32).to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
        f
    }
}

impl Read for SynFlood {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if !self.header_sent {
                self.header_sent = true;
                self.buf.extend_from_slice(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
                self.buf.extend_from_slice(&65535u32.to_le_bytes());
                self.buf.extend_from_slice(&1u32.to_le_bytes());
            }
            while self.left > 0 && self.buf.len() < 1 << 16 {
                let f = self.frame();
                self.buf.extend_from_slice(&f);
                self.n += 1;
                self.left -= 1;
            }
        }
        let k = out.len().min(self.buf.len() - self.pos);
        out[..k].copy_from_slice(&self.buf[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

#[test]
fn a_million_syns_stay_within_the_flow_cap_and_are_counted() {
    let mut cfg = EngineConfig { max_flows: 10_000, ..EngineConfig::default() };
    cfg.inventory.max_flow_records = 1_000;
    cfg.inventory.max_endpoints = 1_000;
    let mut engine = Engine::new(cfg);
    let flood = SynFlood { left: 1_000_000, header_sent: false, buf: Vec::new(), pos: 0, n: 0 };
    let file = read_capture("flood", 0, flood, &mut engine, &mut |_| {});
    assert!(engine.active_flows() <= 10_000, "flow table grew to {}", engine.active_flows());
    let r = build_report(vec![file], engine);
    assert_eq!(r.capture.packets, 1_000_000);
    assert!(r.capture.evictions.flows > 0, "evictions counted");
    assert_eq!(r.flows.len(), 1_000);
    assert_eq!(r.flows_omitted, 999_000);
    assert!(r.assets.len() <= 1_000);
    assert!(r.capture.evictions.assets > 0);
    assert!(r.flows.iter().all(|f| f.state == "S0"), "unanswered SYNs are S0");
}

/// Regression (found by the capture_file fuzzer): a flow spanning 51 years had a duration whose
/// JSON text parsed back to a different f64, so the report did not survive a round trip.
/// serde_json now parses floats exactly (`float_roundtrip`).
#[test]
fn regression_flow_duration_survives_json_round_trip() {
    let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus/capture_file/regression-flow-duration-json-roundtrip.pcap"))
        .expect("seed");
    ward_sensor::fuzzing::capture_file(&data);
}
