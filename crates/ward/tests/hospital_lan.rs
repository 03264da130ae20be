//! Asset discovery on a multi-host capture: the bundled hospital LAN (tests/pcap/lan, made in
//! network namespaces on a bridge) and a fresh one made by the same script during the test.
//! Every host must be listed by MAC with its vendor, its address and its names, and DHCP and DNS
//! records must agree with tshark on the same packets.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// (MAC, vendor, a name that must be among the asset's host names)
const HOSTS: [(&str, &str, &str); 8] = [
    ("00:06:5b:00:00:01", "Dell Inc.", "infra.ward-hospital.test"),
    ("00:01:e6:00:00:10", "Hewlett Packard", "pacs.ward-hospital.test"),
    ("00:14:38:00:00:11", "Hewlett Packard Enterprise", "hl7engine.ward-hospital.test"),
    ("44:4b:5d:00:00:20", "GE Healthcare", "ct-scanner-01"),
    ("00:09:fb:00:00:30", "Philips Patient Monitoring", "bedside-mon-07"),
    ("58:42:e4:00:00:31", "Baxter International Inc", "pump-icu-03"),
    ("00:30:e6:00:00:32", "Draeger Medical Systems, Inc.", "vent-icu-05"),
    ("00:06:5b:00:00:40", "Dell Inc.", "radiology-ws-02"),
];

fn check_inventory(report: &Value) {
    let assets = report["assets"].as_array().expect("assets");
    assert_eq!(assets.len(), HOSTS.len(), "one asset per host, no switch or phantom: {assets:#?}");
    for (mac, vendor, name) in HOSTS {
        let a = assets.iter().find(|a| a["mac"] == mac).unwrap_or_else(|| panic!("host {mac} missing"));
        assert_eq!(a["id"], format!("mac:{mac}"));
        assert_eq!(a["vendor"], vendor, "{mac}");
        let names: Vec<&str> = a["hostnames"].as_array().expect("names").iter().filter_map(Value::as_str).collect();
        assert!(names.contains(&name), "{mac}: {name} not in {names:?}");
        let v4 = a["ips"].as_array().expect("ips").iter().filter_map(Value::as_str).find(|i| i.starts_with("10.77.0."));
        assert!(v4.is_some(), "{mac} has its 10.77.0.x address: {}", a["ips"]);
    }
    let by_mac = |m: &str| assets.iter().find(|a| a["mac"] == m).expect("asset");
    let has = |v: &Value, p: &str| v.as_array().is_some_and(|a| a.iter().any(|x| x == p));
    let infra = by_mac("00:06:5b:00:00:01");
    assert!(has(&infra["protocols"]["server"], "dhcp") && has(&infra["protocols"]["server"], "dns"));
    assert!(has(&by_mac("00:01:e6:00:00:10")["protocols"]["server"], "dicom"), "PACS serves DICOM");
    assert!(has(&by_mac("44:4b:5d:00:00:20")["protocols"]["client"], "dicom"), "CT sends DICOM");
    let ct = by_mac("44:4b:5d:00:00:20");
    assert_eq!(ct["dhcp"]["vendor_class"], "GE Healthcare Revolution CT");
    assert!(ct["dhcp"]["parameter_request_list"].as_str().is_some_and(|s| s.starts_with("1,")));
    assert!(has(&by_mac("00:06:5b:00:00:40")["ips"], "fd77::40"), "IPv6 address of the workstation");
    let convs = report["conversations"].as_array().expect("conversations");
    assert!(convs.iter().any(|c| c["client"] == "mac:00:09:fb:00:00:30" && c["server"] == "mac:00:14:38:00:00:11"), "monitor -> HL7 engine");
}

#[test]
fn bundled_lan_capture_lists_every_host_with_vendor_and_names() {
    let pcap = root().join("tests/pcap/lan/hospital-lan/input.pcap");
    check_inventory(&analyze(&[&pcap]));
}

#[test]
fn dhcp_and_dns_records_agree_with_tshark_on_the_lan_capture() {
    let pcap = root().join("tests/pcap/lan/hospital-lan/input.pcap");
    let recs = records(&[&pcap], "lan-records");
    let dhcp: Vec<&Value> = recs.iter().filter(|r| r["event_type"] == "dhcp").collect();
    let t = tshark_fields(&pcap, "dhcp", &["dhcp.id", "dhcp.hw.mac_addr", "dhcp.option.hostname", "dhcp.option.vendor_class_id", "dhcp.option.dhcp", "dhcp.ip.your"]);
    assert_eq!(dhcp.len(), t.len(), "one record per DHCP packet");
    for (r, t) in dhcp.iter().zip(&t) {
        let d = &r["dhcp"];
        assert_eq!(format!("0x{:08x}", d["id"].as_u64().expect("id")), t[0]);
        assert_eq!(d["client_mac"], t[1].split(',').next().unwrap_or(""), "chaddr (tshark also lists option 61's address)");
        assert_eq!(d["hostname"].as_str().unwrap_or(""), t[2]);
        assert_eq!(d["vendor_class_identifier"].as_str().unwrap_or(""), t[3]);
        assert_eq!(d["assigned_ip"], t[5]);
    }
    let dns: Vec<&Value> = recs.iter().filter(|r| r["event_type"] == "dns").collect();
    let t = tshark_fields(&pcap, "dns", &["dns.id", "dns.qry.name", "dns.a", "dns.flags.response"]);
    assert_eq!(dns.len(), t.len(), "one record per DNS message (UDP and TCP)");
    for (r, t) in dns.iter().zip(&t) {
        let d = &r["dns"];
        assert_eq!(format!("0x{:04x}", d["id"].as_u64().expect("id")), t[0]);
        let qnames: Vec<String> = d["queries"].as_array().expect("q").iter().map(|q| q["rrname"].as_str().unwrap_or("").to_string()).collect();
        assert_eq!(qnames.join(","), t[1]);
        let addrs: Vec<String> = d["answers"].as_array().map(|a| {
            a.iter().filter(|x| x["rrtype"] == "A").map(|x| x["rdata"].as_str().unwrap_or("").to_string()).collect()
        }).unwrap_or_default();
        assert_eq!(addrs.join(","), t[2]);
        assert_eq!(d["type"] == "response", t[3] == "True" || t[3] == "1");
    }
    assert!(dns.iter().any(|r| r["proto"] == "TCP"), "dig +tcp queries are dissected over TCP");
}

#[test]
fn a_freshly_captured_lan_gives_the_same_inventory() {
    if std::env::var_os("WARD_SKIP_NETNS").is_some() {
        return;
    }
    let dir = scratch("fresh-lan");
    let out = dir.join("lan.pcap");
    let script = root().join("tests/lan/make-hospital-lan.sh");
    let o = Command::new("bash").arg(&script).arg(&out).output().expect("script runs");
    assert!(o.status.success(), "make-hospital-lan.sh failed: {}", String::from_utf8_lossy(&o.stderr));
    check_inventory(&analyze(&[Path::new(&out)]));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Ward never becomes the leak: the LAN capture carries patient data in cleartext (the HL7 ORU's
/// PID "Smith^John", the DICOM image's "TEST^SYNTHETIC" and its patient ID WARD0001). No output
/// format and no record line may repeat any of it.
#[test]
fn no_output_repeats_the_patient_data_on_the_wire() {
    let pcap = root().join("tests/pcap/lan/hospital-lan/input.pcap");
    let bytes = std::fs::read(&pcap).expect("capture");
    let secrets = ["Smith^John", "TEST^SYNTHETIC", "WARD0001"];
    for s in secrets {
        assert!(bytes.windows(s.len()).any(|w| w == s.as_bytes()), "fixture should carry {s} on the wire");
    }
    let dir = scratch("leak");
    let p = pcap.to_str().expect("utf8");
    let mut outputs: Vec<Vec<u8>> = Vec::new();
    for format in ["table", "json", "html"] {
        let (code, out, err) = ward(&["analyze", "-f", format, p]);
        assert_eq!(code, 0, "{err}");
        outputs.push(out);
        outputs.push(err.into_bytes());
    }
    let rec = dir.join("records.jsonl");
    let (code, _, err) = ward(&["analyze", "-f", "json", "-o", dir.join("r.json").to_str().expect("utf8"), "--records", rec.to_str().expect("utf8"), p]);
    assert_eq!(code, 0, "{err}");
    outputs.push(std::fs::read(&rec).expect("records"));
    for out in &outputs {
        let text = String::from_utf8_lossy(out).to_lowercase();
        for s in secrets {
            assert!(!text.contains(&s.to_lowercase()), "an output repeats {s}");
        }
        assert!(!text.contains("smith"), "an output repeats the patient's surname");
    }
}
