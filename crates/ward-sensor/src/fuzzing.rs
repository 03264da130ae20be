//! Fuzz entry points, shared by the cargo-fuzz targets under `fuzz/` and by the test that runs
//! their seed corpus in CI. Each asserts properties, not only the absence of a panic.

use crate::analyze::{build_report, read_capture};
use crate::capture::LinkType;
use crate::decode::{Net, decode_frame, decode_l4};
use crate::{Engine, EngineConfig};
use ward_model::report::AnalyzeReport;

/// Any bytes as a capture file through the whole engine, with small bounds so that the
/// bounds themselves are exercised. The report must survive a JSON round trip, and its counts
/// must agree with each other.
pub fn capture_file(data: &[u8]) {
    let mut cfg = EngineConfig { max_flows: 64, ..EngineConfig::default() };
    cfg.inventory.max_endpoints = 64;
    cfg.inventory.max_flow_records = 64;
    cfg.reassembly.max_flow_bytes = 4096;
    cfg.reassembly.max_total_bytes = 16_384;
    cfg.defrag.max_trains = 8;
    let mut engine = Engine::new(cfg);
    let file = read_capture("fuzz", 0, data, &mut engine, &mut |_| {});
    assert!(file.bytes <= data.len() as u64, "read more packet bytes than the file has");
    let report = build_report(vec![file], engine);
    assert!(report.assets.len() <= 64 && report.flows.len() <= 64);
    let text = serde_json::to_string(&report).expect("report serialises");
    let back: AnalyzeReport = serde_json::from_str(&text).expect("report parses back");
    assert_eq!(back, report, "report survives a JSON round trip");
}

/// Any bytes as one frame: the first byte picks the link type, the rest is the frame.
pub fn frame(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else { return };
    let link = [
        LinkType::ETHERNET,
        LinkType::LINUX_SLL,
        LinkType::LINUX_SLL2,
        LinkType::NULL,
        LinkType::LOOP,
        LinkType::RAW,
        LinkType::IPV4,
        LinkType::IPV6,
    ][usize::from(sel) % 8];
    if let Ok(f) = decode_frame(link, rest)
        && let Net::Ip(ip) = f.net {
            assert!(ip.payload.len() <= rest.len());
            let _ = decode_l4(ip.proto, ip.payload);
        }
}
