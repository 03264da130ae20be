//! The flow engine agrees with real peers on the same captures: Suricata's expected flow events
//! (suricata-verify test.yaml) and tshark's conversation statistics.

mod common;

use common::*;
use serde_json::Value;

/// Our flow whose endpoints match Suricata's src/dest.
fn our_flow<'a>(report: &'a Value, src: &str, sport: u64, dst: &str, dport: u64) -> &'a Value {
    report["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .find(|f| f["client"]["ip"] == src && f["client"]["port"] == sport && f["server"]["ip"] == dst && f["server"]["port"] == dport)
        .unwrap_or_else(|| panic!("no flow {src}:{sport} -> {dst}:{dport} in {}", report["flows"]))
}

#[test]
fn flow_counts_match_suricata_expected_flow_events() {
    let mut checked = 0;
    for case in ["dhcp-eve-extended", "dhcp-eve-extended-option-60", "dns/dns-udp-eve-txt"] {
        let dir = shared(&format!("peers/suricata-verify/{case}"));
        let report = analyze(&[&dir.join("input.pcap")]);
        let spec = yaml(&dir.join("test.yaml"));
        for check in spec["checks"].as_array().expect("checks") {
            let m = &check["filter"]["match"];
            if m["event_type"] != "flow" {
                continue;
            }
            let f = our_flow(
                &report,
                m["src_ip"].as_str().expect("src"),
                m["src_port"].as_u64().expect("sport"),
                m["dest_ip"].as_str().expect("dst"),
                m["dest_port"].as_u64().expect("dport"),
            );
            assert_eq!(f["client_packets"], m["flow.pkts_toserver"], "{case} pkts_toserver");
            assert_eq!(f["server_packets"], m["flow.pkts_toclient"], "{case} pkts_toclient");
            assert_eq!(f["client_frame_bytes"], m["flow.bytes_toserver"], "{case} bytes_toserver");
            assert_eq!(f["server_frame_bytes"], m["flow.bytes_toclient"], "{case} bytes_toclient");
            assert_eq!(f["transport"], m["proto"].as_str().expect("proto").to_lowercase());
            if let Some(start) = m["flow.start"].as_str() {
                // Suricata writes 2017-06-08T15:45:58.520996+0000; we write ...520996Z.
                assert_eq!(f["start"].as_str().expect("start"), start.replace("+0000", "Z"), "{case} flow start");
            }
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} flow events compared");
}

#[test]
fn tcp_and_udp_conversations_match_tshark() {
    let captures = [
        "captures/dicom_cstore_ct_mr.pcap",
        "captures/hl7_mllp_oru_adt.pcap",
        "captures/mqtt_vitals_pubsub.pcap",
        "peers/suricata-verify/dns/dns-tcp-www-google-com/dns.pcap",
        "peers/suricata-verify/dns/dns-eve/input.pcap",
    ];
    for rel in captures {
        let pcap = shared(rel);
        let report = analyze(&[&pcap]);
        let flows = report["flows"].as_array().expect("flows");
        // One line per TCP/UDP packet: the 5-tuple and frame length, from tshark.
        let pkts = tshark_fields(&pcap, "tcp or udp", &["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "udp.srcport", "tcp.dstport", "udp.dstport", "frame.cap_len"]);
        let mut tshark: std::collections::BTreeMap<(String, String, String, String), (u64, u64)> = Default::default();
        for p in &pkts {
            let pick = |a: &str, b: &str| if a.is_empty() { b.to_string() } else { a.to_string() };
            let (src, dst) = (pick(&p[0], &p[1]), pick(&p[2], &p[3]));
            let (sp, dp) = (pick(&p[4], &p[5]), pick(&p[6], &p[7]));
            let len: u64 = p[8].parse().expect("len");
            let e = tshark.entry((src, sp, dst, dp)).or_default();
            e.0 += 1;
            e.1 += len;
        }
        for f in flows {
            let c = (f["client"]["ip"].as_str().unwrap_or("").to_string(), f["client"]["port"].to_string());
            let s = (f["server"]["ip"].as_str().unwrap_or("").to_string(), f["server"]["port"].to_string());
            let to_server = tshark.get(&(c.0.clone(), c.1.clone(), s.0.clone(), s.1.clone())).copied().unwrap_or_default();
            let to_client = tshark.get(&(s.0.clone(), s.1.clone(), c.0.clone(), c.1.clone())).copied().unwrap_or_default();
            assert_eq!(f["client_packets"].as_u64(), Some(to_server.0), "{rel}: {f}");
            assert_eq!(f["server_packets"].as_u64(), Some(to_client.0), "{rel}: {f}");
            assert_eq!(f["client_frame_bytes"].as_u64(), Some(to_server.1), "{rel}: {f}");
            assert_eq!(f["server_frame_bytes"].as_u64(), Some(to_client.1), "{rel}: {f}");
        }
        let ours: u64 = flows.iter().map(|f| f["client_packets"].as_u64().unwrap_or(0) + f["server_packets"].as_u64().unwrap_or(0)).sum();
        assert_eq!(ours, pkts.len() as u64, "{rel}: every TCP/UDP packet belongs to exactly one flow");
    }
}
