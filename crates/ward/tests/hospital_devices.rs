//! The end-to-end check, on a capture made with real medical and management software
//! (tests/pcap/lan/hospital-devices, made by tests/lan/make-hospital-devices.sh): every device
//! is named (kind, manufacturer, model, software version where its traffic says so) with its
//! DICOM AE titles and HL7 applications; every finding kind is raised with a remediation; and no
//! synthetic patient value or password on the wire appears in any output.

mod common;

use common::*;
use serde_json::Value;
use std::path::PathBuf;

fn capture() -> PathBuf {
    root().join("tests/pcap/lan/hospital-devices/input.pcap")
}

fn asset<'a>(report: &'a Value, mac: &str) -> &'a Value {
    report["assets"].as_array().expect("assets").iter().find(|a| a["mac"] == mac).unwrap_or_else(|| panic!("asset {mac} missing"))
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

/// (MAC, kind, manufacturer, model, software version, AE title or HL7 application it must list)
type Expected = (&'static str, &'static str, Option<&'static str>, Option<&'static str>, Option<&'static str>, Option<&'static str>);
const DEVICES: [Expected; 11] = [
    ("00:00:0c:00:00:01", "network-infrastructure", Some("Cisco"), None, None, None),
    ("00:06:5b:00:00:10", "pacs", Some("Dell"), None, None, Some("AE PACS")),
    ("00:14:38:00:00:11", "hl7-interface-engine", Some("Hewlett Packard Enterprise"), None, None, Some("HL7 CLOVERLEAF@WARDHOSP")),
    ("00:01:e6:00:00:12", "ris", Some("Hewlett Packard"), None, None, Some("AE RIS_MWL")),
    ("44:4b:5d:00:00:20", "imaging-modality", Some("GE HealthCare"), Some("Revolution CT"), Some("revo_ct_22.1"), Some("AE CT01")),
    ("00:12:f0:00:00:21", "imaging-modality", Some("Canon Medical Systems"), Some("MRT50H1"), Some("V3.51*P25"), Some("AE MR01")),
    ("00:12:f0:00:00:22", "imaging-modality", None, None, None, Some("AE US_ROOM2")),
    ("00:09:fb:00:00:30", "patient-monitor", Some("Philips"), Some("IntelliVue MX450"), None, Some("HL7 SISGDSP@SISGDSP")),
    ("58:42:e4:00:00:31", "infusion-pump", Some("Baxter"), Some("Sigma Spectrum"), None, None),
    ("00:06:5b:00:00:40", "workstation", Some("Dell"), None, None, None),
    ("00:12:f0:00:00:66", "workstation", None, None, None, None),
];

/// Each device is identified from the clues its own traffic gives, with the evidence listed.
#[test]
fn every_device_is_named_with_its_identifiers() {
    let report = analyze(&[&capture()]);
    assert_eq!(report["assets"].as_array().expect("assets").len(), DEVICES.len(), "one asset per host");
    for (mac, kind, manufacturer, model, version, id) in DEVICES {
        let a = asset(&report, mac);
        let d = &a["device"];
        assert_eq!(d["kind"], kind, "{mac}: {d:#}");
        assert_eq!(d["manufacturer"].as_str(), manufacturer, "{mac}: {d:#}");
        assert_eq!(d["model"].as_str(), model, "{mac}: {d:#}");
        assert_eq!(d["software_version"].as_str(), version, "{mac}: {d:#}");
        assert!(d["confidence"].as_u64().is_some_and(|c| c > 0), "{mac}");
        assert!(!d["evidence"].as_array().expect("evidence").is_empty(), "{mac}: identity without evidence");
        if let Some(id) = id {
            let (what, value) = id.split_once(' ').expect("kind and value");
            let list = if what == "AE" { &a["dicom_ae_titles"] } else { &a["hl7_applications"] };
            assert!(strs(list).contains(&value), "{mac}: {value} not in {list}");
        }
    }
    // The CT's DICOM toolkit is a component, not its software version.
    let ct = &asset(&report, "44:4b:5d:00:00:20")["device"];
    assert!(strs(&ct["components"]).contains(&"DCMTK 3.6.7"), "{ct:#}");
    // The laptop's scan must not give it the PACS's AE title: called AEs of rejected or empty
    // associations are not the caller's.
    let laptop = asset(&report, "00:12:f0:00:00:66");
    assert!(!strs(&laptop["dicom_ae_titles"]).contains(&"PACS"), "{laptop:#}");
}

/// (kind, protocol, sender MAC, receiver MAC): every finding the capture must raise.
const FINDINGS: [(&str, &str, &str, &str); 17] = [
    ("cleartext-phi", "hl7", "00:09:fb:00:00:30", "00:14:38:00:00:11"),
    ("cleartext-phi", "dicom", "44:4b:5d:00:00:20", "00:06:5b:00:00:10"),
    ("cleartext-phi", "dicom", "00:12:f0:00:00:21", "00:06:5b:00:00:10"),
    ("cleartext-phi", "dicom", "00:01:e6:00:00:12", "00:12:f0:00:00:22"),
    ("cleartext-phi", "mqtt", "00:09:fb:00:00:30", "00:00:0c:00:00:01"),
    ("cleartext-phi", "http", "00:14:38:00:00:11", "00:06:5b:00:00:40"),
    ("cleartext-credentials", "mqtt", "00:09:fb:00:00:30", "00:00:0c:00:00:01"),
    ("cleartext-credentials", "telnet", "00:06:5b:00:00:40", "58:42:e4:00:00:31"),
    ("cleartext-credentials", "ftp", "00:06:5b:00:00:40", "58:42:e4:00:00:31"),
    ("cleartext-credentials", "http", "00:06:5b:00:00:40", "58:42:e4:00:00:31"),
    ("cleartext-credentials", "http", "00:06:5b:00:00:40", "00:06:5b:00:00:10"),
    ("cleartext-credentials", "snmp", "00:00:0c:00:00:01", "00:09:fb:00:00:30"),
    ("deprecated-tls", "tls", "58:42:e4:00:00:31", "00:06:5b:00:00:40"),
    ("weak-cipher", "tls", "58:42:e4:00:00:31", "00:06:5b:00:00:40"),
    ("untrusted-certificate", "tls", "58:42:e4:00:00:31", "00:06:5b:00:00:40"),
    ("dicom-association-rejected", "dicom", "00:12:f0:00:00:66", "00:06:5b:00:00:10"),
    ("dicom-scan", "dicom", "00:12:f0:00:00:66", "00:06:5b:00:00:10"),
];

/// Every finding kind is raised for the right pair, with evidence and a remediation, and
/// nothing else is raised (no finding for the TLS-free but harmless traffic, like DNS).
#[test]
fn every_finding_is_raised_with_remediation() {
    let report = analyze(&[&capture()]);
    let findings = report["findings"].as_array().expect("findings");
    for (kind, protocol, from, to) in FINDINGS {
        let f = findings
            .iter()
            .find(|f| f["kind"] == kind && f["protocol"] == protocol && f["asset"] == format!("mac:{from}") && f["peer"] == format!("mac:{to}"))
            .unwrap_or_else(|| panic!("missing {kind} {protocol} {from} -> {to}: {:#?}", findings.iter().map(|f| f["id"].clone()).collect::<Vec<_>>()));
        assert!(f["remediation"].as_str().is_some_and(|r| r.len() > 80), "{f:#}");
        assert!(f["evidence"].as_object().is_some_and(|e| e.len() >= 2), "{f:#}");
        assert!(f["title"].as_str().is_some_and(|t| t.contains(" (10.78.0.")), "titles name hosts by name and address: {f:#}");
    }
    let expected: Vec<String> = FINDINGS.iter().map(|(k, p, f, t)| format!("{k} {p} mac:{f} mac:{t}")).collect();
    for f in findings {
        let id = format!("{} {} {} {}", f["kind"].as_str().unwrap_or(""), f["protocol"].as_str().unwrap_or(""), f["asset"].as_str().unwrap_or(""), f["peer"].as_str().unwrap_or(""));
        assert!(expected.contains(&id), "unexpected finding {id}: {f:#}");
    }
    // The certificate problems are all named.
    let cert = findings.iter().find(|f| f["kind"] == "untrusted-certificate").expect("certificate finding");
    let problems = cert["evidence"]["problems"].as_str().unwrap_or("");
    for p in ["self-signed", "expired", "RSA-1024", "SHA-1"] {
        assert!(problems.contains(p), "{p} not in {problems}");
    }
}

/// The synthetic patient names, ids, passwords and community strings on the wire appear in no
/// output: JSON, HTML, table, nor the record stream.
#[test]
fn no_patient_value_or_secret_in_any_output() {
    let secrets = [
        "WARDTESTPATIENT", "Wardtestpatient", "wardtestpatient", "MRN-WARD-47", "1961-07-04", "19610704", "Mqtt-Pw-7788",
        "Pump-Svc-2468", "Ftp-Pw-1357", "Web-Pw-9753", "YWRtaW46V2ViLVB3LTk3NTM", "Orthanc-Pw-5150", "cmFkaW9sb2d5Ok9ydGhhbmMtUHctNTE1MA",
        "Snmp-Secret-Comm", "infusion_log",
    ];
    let dir = scratch("hospital-devices-leak");
    let cap = capture();
    let cap = cap.display().to_string();
    for format in ["json", "html", "table"] {
        let out = dir.join(format!("report.{format}"));
        let rec = dir.join(format!("records-{format}.jsonl"));
        let (code, _, err) = ward(&["analyze", "--no-progress", "-f", format, "-o", &out.display().to_string(), "--records", &rec.display().to_string(), &cap]);
        assert_eq!(code, 0, "{err}");
        for file in [&out, &rec] {
            let text = std::fs::read_to_string(file).expect("output");
            for s in secrets {
                assert!(!text.contains(s), "{s} leaked into {}", file.display());
            }
        }
        for s in secrets {
            assert!(!err.contains(s), "{s} leaked into the log");
        }
    }
}

/// The report validates against the published schema (device, identifiers and all).
#[test]
fn report_matches_its_schema() {
    let dir = scratch("hospital-devices-schema");
    let out = dir.join("report.json");
    let (code, _, err) = ward(&["analyze", "--no-progress", "-f", "json", "-o", &out.display().to_string(), &capture().display().to_string()]);
    assert_eq!(code, 0, "{err}");
    let errors = schema_errors(&root().join("schemas/analyze-report.v1.json"), &out);
    assert!(errors.is_empty(), "{errors:#?}");
}
