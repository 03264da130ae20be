//! DICOM records agree with tshark on the same captures: the association fields of tshark
//! 4.0.17's dumps in ../shared/data/captures/tshark-oracle (DCMTK echoscu, storescu, findscu,
//! a rejected association), frame by frame; and DIMSE commands and statuses against tshark run
//! now on the hospital-devices capture (Orthanc, DCMTK, nmap). No patient value is kept.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

/// The part of tshark's `Name (UID)` rendering inside the last parentheses.
fn uid(s: &str) -> &str {
    s.rsplit_once('(').map_or(s, |(_, u)| u.trim_end_matches(')'))
}

fn oracle(case: &str) -> usize {
    let pcap = shared(&format!("captures/{case}.pcap"));
    let recs = records(&[&pcap], case);
    let text = std::fs::read_to_string(shared(&format!("captures/tshark-oracle/{case}.dicom_fields.psv"))).expect("oracle");
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().expect("header").split('|').collect();
    let col = |row: &[&str], name: &str| -> String { head.iter().position(|h| *h == name).and_then(|i| row.get(i)).map_or(String::new(), |s| s.to_string()) };
    let mut compared = 0;
    for line in lines {
        let row: Vec<&str> = line.split('|').collect();
        let frame: u64 = col(&row, "frame.number").parse().expect("frame");
        let kind = match col(&row, "dicom.pdu.type").as_str() {
            "0x01" => "associate_rq",
            "0x02" => "associate_ac",
            "0x03" => "associate_rj",
            _ => continue,
        };
        let r = recs
            .iter()
            .find(|r| r["event_type"] == "dicom" && r["pcap_cnt"] == frame && r["dicom"]["type"] == kind)
            .unwrap_or_else(|| panic!("{case}: no {kind} record for frame {frame}"));
        let d = &r["dicom"];
        let s = |k: &str| d[k].as_str().unwrap_or("").to_string();
        if kind == "associate_rj" {
            for (k, t) in [("result", "dicom.assoc.reject.result"), ("source", "dicom.assoc.reject.source"), ("reason", "dicom.assoc.reject.reason")] {
                assert_eq!(d[k].as_u64().map(|v| v.to_string()).unwrap_or_default(), col(&row, t), "{case} frame {frame}: {k}");
            }
        } else {
            assert_eq!(s("calling_ae"), col(&row, "dicom.assoc.ae.calling").trim(), "{case} frame {frame}: calling AE");
            assert_eq!(s("called_ae"), col(&row, "dicom.assoc.ae.called").trim(), "{case} frame {frame}: called AE");
            assert_eq!(s("implementation_class_uid"), col(&row, "dicom.userinfo.uid"), "{case} frame {frame}");
            assert_eq!(s("implementation_version_name"), col(&row, "dicom.userinfo.version"), "{case} frame {frame}");
            assert_eq!(d["max_pdu_length"].as_u64().map(|v| v.to_string()).unwrap_or_default(), col(&row, "dicom.max_pdu_len"));
            let pcs = d["presentation_contexts"].as_array().expect("contexts");
            let ids: Vec<String> = pcs.iter().map(|p| format!("0x{:02x}", p["id"].as_u64().unwrap_or(0))).collect();
            assert_eq!(ids.join(";"), col(&row, "dicom.pctx.id"), "{case} frame {frame}: context ids");
            if kind == "associate_rq" {
                let abs: Vec<&str> = pcs.iter().filter_map(|p| p["abstract_syntax"].as_str()).collect();
                let want: Vec<String> = col(&row, "dicom.pctx.abss.syntax").split(';').map(|x| uid(x).to_string()).collect();
                assert_eq!(abs, want, "{case} frame {frame}: abstract syntaxes");
                let ts: Vec<&str> = pcs.iter().flat_map(|p| p["transfer_syntaxes"].as_array().into_iter().flatten()).filter_map(Value::as_str).collect();
                let want: Vec<String> = col(&row, "dicom.pctx.xfer.syntax").split(';').map(|x| uid(x).to_string()).collect();
                assert_eq!(ts, want, "{case} frame {frame}: transfer syntaxes");
            } else {
                let res: Vec<String> = pcs.iter().map(|p| format!("0x{:02x}", p["result"].as_u64().unwrap_or(99))).collect();
                assert_eq!(res.join(";"), col(&row, "dicom.pctx.result"), "{case} frame {frame}: context results");
            }
        }
        compared += 1;
    }
    compared
}

/// Every association PDU tshark dumped has its record, field for field.
#[test]
fn associations_match_the_tshark_oracle() {
    let mut n = 0;
    for case in ["dicom_cecho", "dicom_cstore_ct_mr", "dicom_mwl_cfind", "dicom_assoc_rejected"] {
        n += oracle(case);
    }
    assert!(n >= 7, "{n} association PDUs compared");
}

/// DIMSE commands, message ids and statuses match tshark's on the hospital-devices capture.
#[test]
fn commands_match_tshark() {
    let pcap = root().join("tests/pcap/lan/hospital-devices/input.pcap");
    let recs = records(&[Path::new(&pcap)], "dicom-devices");
    let mut ours: Vec<String> = recs
        .iter()
        .filter(|r| r["event_type"] == "dicom" && r["dicom"]["type"] == "command")
        .map(|r| r["dicom"]["command"].as_str().unwrap_or("").to_string())
        .collect();
    // tshark 4.0 does not export DICOM tag values as fields; its verbose tree names the
    // command field of every command PDV.
    let out = std::process::Command::new("tshark")
        .args(["-n", "-r", &pcap.display().to_string(), "-Y", "dicom.pdv.flags == 3", "-O", "dicom", "-V"])
        .output()
        .expect("tshark runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut theirs: Vec<String> =
        text.lines().filter(|l| l.contains("(0000,0100)") && l.contains("Command Field")).filter_map(|l| l.split_whitespace().last().map(str::to_string)).collect();
    assert!(theirs.len() >= 10, "tshark saw {theirs:?}");
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs, "same DIMSE commands as tshark");
    let statuses: Vec<&str> = recs.iter().filter_map(|r| r["dicom"]["status_category"].as_str()).collect();
    assert!(statuses.contains(&"pending") && statuses.contains(&"success"), "{statuses:?}");
    let text = serde_json::to_string(&recs).expect("json");
    for secret in ["WARDTESTPATIENT", "MRN-WARD-47", "CompressedSamples"] {
        assert!(!text.contains(secret), "{secret} leaked into records");
    }
}
