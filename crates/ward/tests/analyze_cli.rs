//! `ward analyze` as a user meets it: every format, the schema, exit codes, damaged input.

mod common;

use common::*;

#[test]
fn json_report_validates_against_the_published_schema() {
    let dir = scratch("schema");
    let out = dir.join("r.json");
    let mut args: Vec<String> = vec!["analyze".into(), "-f".into(), "json".into(), "-o".into(), out.display().to_string()];
    for rel in [
        "captures/dicom_cstore_ct_mr.pcap",
        "captures/mqtt_vitals_pubsub.pcap",
        "peers/suricata-verify/dhcp-eve-extended/input.pcap",
        "peers/suricata-verify/dns/dns-tcp-www-google-com/dns.pcap",
        "peers/suricata-verify/tls/tls-certs-alert/input.pcap",
    ] {
        let p = root().join("../shared/data").join(rel);
        if p.exists() {
            args.push(p.display().to_string());
        }
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = ward(&a);
    assert_eq!(code, 0, "{err}");
    let errors = schema_errors(&root().join("schemas/analyze-report.v1.json"), &out);
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
    let bytes = std::fs::read(&out).expect("read");
    let r: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(r["schema"], "ward.analyze-report/1");
    assert!(r["assets"].as_array().is_some_and(|a| !a.is_empty()));
    // The report is written partly by hand (the flow summaries): byte for byte what serde's
    // pretty printer writes for the same report.
    let typed: ward_model::report::AnalyzeReport = serde_json::from_slice(&bytes).expect("typed report");
    let mut want = serde_json::to_vec_pretty(&typed).expect("serialise");
    want.push(b'\n');
    assert!(bytes == want, "the written report differs from serde_json's pretty output");
}

#[test]
fn html_report_is_one_self_contained_page() {
    let dir = scratch("html");
    let out = dir.join("r.html");
    let pcap = shared("peers/suricata-verify/dhcp-eve-extended/input.pcap");
    let (code, _, err) = ward(&["analyze", "-f", "html", "-o", out.to_str().expect("utf8"), pcap.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&out).expect("html");
    assert!(html.starts_with("<!doctype html>") && html.trim_end().ends_with("</html>"));
    for section in ["Inventory", "Protocol mix", "Who talks to whom"] {
        assert!(html.contains(section), "missing section {section}");
    }
    // Self-contained: no script, no external stylesheet, image or link target.
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "no external resources");
    assert!(html.contains("00:11:32:17:49:f0"), "the DHCP client is listed");
    assert!(html.contains("Synology"), "its vendor is resolved");
}

#[test]
fn table_is_the_default_and_names_vendors() {
    let pcap = shared("peers/suricata-verify/dhcp-eve-extended/input.pcap");
    let (code, out, err) = ward(&["analyze", pcap.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(out).expect("utf8");
    assert!(text.starts_with("Ward analyze: 1 file(s), 2 packets"), "{text}");
    assert!(text.contains("Synology Incorporated"), "{text}");
    assert!(text.contains("10.16.1.4"), "{text}");
}

#[test]
fn damaged_capture_exits_2_with_the_offset_and_still_reports() {
    let dir = scratch("damaged");
    let src = std::fs::read(shared("captures/dicom_cecho.pcap")).expect("read");
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &src[..src.len() - 5]).expect("write");
    let (code, out, err) = ward(&["analyze", "-f", "json", cut.to_str().expect("utf8")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at byte offset"), "{err}");
    let r: serde_json::Value = serde_json::from_slice(&out).expect("report still written");
    assert!(r["capture"]["files"][0]["error"]["offset"].as_u64().is_some());
    assert!(r["capture"]["packets"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn missing_file_is_a_plain_error() {
    let (code, _, err) = ward(&["analyze", "/nonexistent/capture.pcap"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot open capture /nonexistent/capture.pcap"), "{err}");
}

#[test]
fn standard_input_is_read_as_a_stream() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let bytes = std::fs::read(shared("captures/mqtt_vitals_pubsub.pcap")).expect("read");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["analyze", "-f", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(&bytes).expect("write");
    let o = child.wait_with_output().expect("wait");
    assert!(o.status.success());
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(r["capture"]["files"][0]["path"], "-");
    assert!(r["capture"]["packets"].as_u64().unwrap_or(0) > 10);
}
