//! Every capture format fixture (tests/pcap/formats/<case>/, made with real tools; see each
//! HOWTO.md) reads packet for packet as tshark reads it: same count, same timestamps to the
//! nanosecond, and the same TCP/UDP packets in flows.

mod common;

use common::*;
use std::path::PathBuf;

fn fixtures() -> Vec<PathBuf> {
    let dir = root().join("tests/pcap/formats");
    let mut v = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        for f in std::fs::read_dir(e.path()).expect("case dir").flatten() {
            let p = f.path();
            if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

/// "1496936758.520996000" -> nanoseconds.
fn epoch_nanos(s: &str) -> u64 {
    let (secs, frac) = s.split_once('.').unwrap_or((s, "0"));
    let mut frac = frac.to_string();
    frac.truncate(9);
    while frac.len() < 9 {
        frac.push('0');
    }
    secs.parse::<u64>().expect("secs") * 1_000_000_000 + frac.parse::<u64>().expect("frac")
}

#[test]
fn every_format_fixture_reads_like_tshark() {
    let files = fixtures();
    assert!(files.len() >= 8, "expected the format fixtures, found {files:?}");
    for f in &files {
        let report = analyze(&[f]);
        let file = &report["capture"]["files"][0];
        assert!(file["error"].is_null(), "{}: {}", f.display(), file["error"]);
        let frames = tshark_fields(f, "", &["frame.time_epoch", "frame.cap_len"]);
        assert_eq!(file["packets"].as_u64(), Some(frames.len() as u64), "{}: packet count", f.display());
        let bytes: u64 = frames.iter().map(|r| r[1].parse::<u64>().expect("len")).sum();
        assert_eq!(file["bytes"].as_u64(), Some(bytes), "{}: captured bytes", f.display());
        let first = frames.iter().map(|r| epoch_nanos(&r[0])).min().expect("frames");
        let last = frames.iter().map(|r| epoch_nanos(&r[0])).max().expect("frames");
        let ts = |v: &serde_json::Value| -> u64 {
            // 2017-06-08T15:45:58.520996Z -> compare through tshark's own epoch rendering.
            let s = v.as_str().expect("timestamp");
            let o = std::process::Command::new("date").args(["-u", "-d", s, "+%s.%N"]).output().expect("date");
            epoch_nanos(String::from_utf8_lossy(&o.stdout).trim())
        };
        assert_eq!(ts(&report["capture"]["first_timestamp"]), first, "{}: first timestamp", f.display());
        assert_eq!(ts(&report["capture"]["last_timestamp"]), last, "{}: last timestamp", f.display());
        let decode_errors = report["capture"]["decode_errors"].as_u64().unwrap_or(0);
        assert_eq!(decode_errors, 0, "{}: {}", f.display(), report["capture"]["decode_error_kinds"]);
        // Every TCP/UDP packet tshark sees lands in one of our flows. Not fragments (reassembled
        // into one datagram), and not ICMP errors, which tshark also shows as the UDP they quote.
        let l4 = tshark_fields(f, "(tcp or udp) and not icmp and not icmpv6 and not ip.flags.mf == 1 and not ipv6.fraghdr.more == 1", &["frame.number"]).len() as u64;
        let in_flows: u64 = report["flows"]
            .as_array()
            .expect("flows")
            .iter()
            .filter(|fl| fl["transport"] == "tcp" || fl["transport"] == "udp")
            .map(|fl| fl["client_packets"].as_u64().unwrap_or(0) + fl["server_packets"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(in_flows, l4, "{}: TCP/UDP packets in flows", f.display());
    }
}

#[test]
fn vlan_tags_and_pcapng_interfaces_are_read_as_such() {
    let dir = root().join("tests/pcap/formats");
    let vlan = analyze(&[&dir.join("vlan/input.pcap")]);
    assert!(vlan["flows"].as_array().expect("flows").iter().all(|f| f["vlan"] == 100));
    let qinq = analyze(&[&dir.join("qinq/input.pcap")]);
    assert!(qinq["flows"].as_array().expect("flows").iter().all(|f| f["vlan"] == 200), "outer (802.1ad) VLAN");
    let ng = analyze(&[&dir.join("pcapng-multi/input.pcapng")]);
    let links = &ng["capture"]["files"][0]["link_types"];
    assert_eq!(ng["capture"]["files"][0]["format"], "pcapng");
    assert!(links.as_array().is_some_and(|l| l.len() == 2 && l.contains(&"ethernet".into())), "{links}");
    let plain = analyze(&[&dir.join("pcap-usec-le/input.pcap")]);
    for case in ["pcap-usec-be", "pcap-nsec", "vlan", "qinq"] {
        let other = analyze(&[&dir.join(format!("{case}/input.pcap"))]);
        let ids = |r: &serde_json::Value| -> Vec<String> {
            r["assets"].as_array().expect("assets").iter().map(|a| a["id"].as_str().unwrap_or("").to_string()).collect()
        };
        assert_eq!(ids(&other), ids(&plain), "{case}: the same hosts as the plain capture");
    }
    for case in ["sll", "sll2", "raw-ip", "null-loopback"] {
        let r = analyze(&[&dir.join(format!("{case}/input.pcap"))]);
        let ips: Vec<&str> = r["assets"].as_array().expect("assets").iter().flat_map(|a| a["ips"].as_array().expect("ips").iter().filter_map(|i| i.as_str())).collect();
        assert!(ips.contains(&"10.77.0.1") && ips.contains(&"10.77.0.2"), "{case}: {ips:?}");
    }
}
