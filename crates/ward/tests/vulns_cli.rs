//! `ward vulns` and `ward analyze --advisories` as a user meets them.

mod common;

use common::*;

fn advisories() -> String {
    shared("advisories/cisa-icsma-csaf").display().to_string()
}

#[test]
fn vulns_json_lists_matches_with_the_required_fields_and_validates() {
    let dir = scratch("vulns-json");
    let out = dir.join("v.json");
    let inv = root().join("crates/ward-intel/tests/fixtures/hospital-assets.csv");
    let kev = root().join("crates/ward-intel/tests/fixtures/kev-fixture.json");
    let epss = root().join("crates/ward-intel/tests/fixtures/epss-fixture.csv");
    let (code, _, err) = ward(&[
        "vulns", "--advisories", &advisories(), "--inventory", inv.to_str().expect("utf8"), "--kev", kev.to_str().expect("utf8"),
        "--epss", epss.to_str().expect("utf8"), "--format", "json", "-o", out.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("72 of 601 advisory product entries have versions that need review"), "{err}");
    let errors = schema_errors(&root().join("schemas/vulns-report.v1.json"), &out);
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("json");
    let matches = v["matches"].as_array().expect("matches");
    assert_eq!(matches.len(), 65);
    for m in matches {
        for key in ["asset", "advisory", "cve", "cvss", "match", "remediation"] {
            assert!(m.get(key).is_some(), "{key} missing in {m}");
        }
    }
    assert_eq!(v["risks"][0]["asset"], "PUMP-0001", "the KEV fixture puts the Alaris pump first");
}

#[test]
fn vulns_table_reads_an_analyze_report_as_inventory() {
    let dir = scratch("vulns-report");
    let report = dir.join("r.json");
    let pcap = root().join("tests/pcap/lan/hospital-devices/input.pcap");
    let (code, _, err) = ward(&["analyze", "-f", "json", "-o", report.to_str().expect("utf8"), pcap.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = ward(&["vulns", "--advisories", &advisories(), "--inventory", report.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(out).expect("utf8");
    assert!(text.contains("ICSMA-20-343-01 CVE-2020-25175 CVSS 9.8 [exact]  Revolution CT"), "{text}");
    assert!(text.contains("ICSMA-22-174-01"), "DCMTK 3.6.2 seen on the wire: {text}");
    assert!(text.contains("speaks cleartext protocols on the wire"), "exposure from the report: {text}");
}

#[test]
fn analyze_with_advisories_adds_known_vulnerability_findings_that_validate() {
    let dir = scratch("analyze-adv");
    let out = dir.join("r.json");
    let pcap = root().join("tests/pcap/lan/hospital-devices/input.pcap");
    let (code, _, err) = ward(&["analyze", "-f", "json", "-o", out.to_str().expect("utf8"), pcap.to_str().expect("utf8"), "--advisories", &advisories()]);
    assert_eq!(code, 0, "{err}");
    let errors = schema_errors(&root().join("schemas/analyze-report.v1.json"), &out);
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("json");
    let kv: Vec<(String, String, String)> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "known-vulnerability")
        .map(|f| (f["asset"].as_str().unwrap_or("").to_string(), f["evidence"]["advisory"].as_str().unwrap_or("").to_string(), f["severity"].as_str().unwrap_or("").to_string()))
        .collect();
    let want = [
        ("mac:44:4b:5d:00:00:20", "ICSMA-20-343-01", "critical"), // GE Revolution CT, all versions, CVSS 9.8
        ("mac:58:42:e4:00:00:31", "ICSMA-20-170-04", "low"),      // Baxter Sigma Spectrum: versions need review
        ("mac:58:42:e4:00:00:31", "ICSMA-22-251-01", "low"),
        ("mac:00:12:f0:00:00:66", "ICSMA-22-174-01", "high"),     // DCMTK 3.6.2 < 3.6.7, CVSS 7.5
    ];
    let want: Vec<(String, String, String)> = want.iter().map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into())).collect();
    assert_eq!(kv, want);
    // Without --advisories nothing changes.
    let (code, out2, _) = ward(&["analyze", "-f", "json", pcap.to_str().expect("utf8")]);
    assert_eq!(code, 0);
    assert!(!String::from_utf8_lossy(&out2).contains("known-vulnerability"));
}

#[test]
fn bad_inputs_are_clear_errors() {
    let (code, _, err) = ward(&["vulns", "--advisories", "/nonexistent/dir", "--inventory", "/nonexistent.csv"]);
    assert_eq!(code, 1);
    assert!(err.contains("no advisories at /nonexistent/dir"), "{err}");
    let dir = scratch("vulns-bad");
    let bad = dir.join("inv.csv");
    std::fs::write(&bad, "asset,vendor\nA,B\n").expect("write");
    let (code, _, err) = ward(&["vulns", "--advisories", &advisories(), "--inventory", bad.to_str().expect("utf8")]);
    assert_eq!(code, 1);
    assert!(err.contains("lacks the column(s) model, version"), "{err}");
    // A broken advisory among good ones is a warning.
    let advs = dir.join("advs");
    std::fs::create_dir_all(&advs).expect("dir");
    std::fs::copy(shared("advisories/cisa-icsma-csaf/icsma-22-174-01.json"), advs.join("icsma-22-174-01.json")).expect("copy");
    std::fs::write(advs.join("broken.json"), "{").expect("write");
    let inv = dir.join("ok.csv");
    std::fs::write(&inv, "asset,manufacturer,model,version\nW1,OFFIS,DCMTK,3.6.6\n").expect("write");
    let (code, out, err) = ward(&["vulns", "--advisories", advs.to_str().expect("utf8"), "--inventory", inv.to_str().expect("utf8"), "-f", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("advisory skipped") && err.contains("broken.json"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["matches"].as_array().map(Vec::len), Some(3));
}
