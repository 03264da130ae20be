//! FTP, SNMP and Telnet records agree with tshark's dissectors on real sessions: net-snmp 5.9,
//! pyftpdlib with Python's ftplib and busybox telnetd, captured in a network namespace by
//! tests/pcap/legacy/make.sh (tests/pcap/legacy/HOWTO.md). Passwords, communities and v3 keys in
//! those sessions never leave Ward; the findings they raise say so without the values.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn pcap(name: &str) -> PathBuf {
    root().join("tests/pcap/legacy").join(name)
}

fn of_kind(p: &Path, kind: &str) -> Vec<Value> {
    records(&[p], &format!("legacy-{kind}")).into_iter().filter(|r| r["event_type"] == kind).collect()
}

fn frame(r: &Value) -> String {
    r["pcap_cnt"].as_u64().map(|f| f.to_string()).unwrap_or_default()
}

/// Every FTP command and reply tshark decodes is a record of Ward's on the same frame, with
/// the same command verb or reply code; an argument is present exactly where tshark shows one
/// (its value is never in the record); the greeting text is the same.
#[test]
fn ftp_records_match_tshark() {
    let p = pcap("ftp.pcap");
    let recs = of_kind(&p, "ftp");
    let rows = tshark_fields(&p, "ftp", &["frame.number", "ftp.request.command", "ftp.request.arg", "ftp.response.code", "ftp.response.arg"]);
    assert_eq!(rows.len(), 46, "three sessions: a refused login, a working one, an anonymous one");
    assert_eq!(recs.len(), rows.len(), "one record per command or reply");
    let mut compared = 0;
    for (r, t) in recs.iter().zip(&rows) {
        let f = &r["ftp"];
        let ctx = format!("frame {}", t[0]);
        assert_eq!(frame(r), t[0], "{ctx}: same frame");
        if t[1].is_empty() {
            assert_eq!(f["type"], "reply", "{ctx}");
            assert_eq!(f["code"].as_u64().map(|c| c.to_string()).as_deref(), Some(t[3].as_str()), "{ctx}: reply code");
            if f["code"] == 220 {
                assert_eq!(f["text"].as_str(), Some(t[4].as_str()), "{ctx}: greeting");
            }
        } else {
            assert_eq!(f["type"], "request", "{ctx}");
            assert_eq!(f["command"].as_str(), Some(t[1].as_str()), "{ctx}: command");
            assert_eq!(f["argument_present"].as_bool().unwrap_or(false), !t[2].is_empty(), "{ctx}: argument present");
        }
        compared += 2;
    }
    assert!(compared >= 90, "{compared} comparisons");
    // The anonymous login is told apart from the named ones.
    let users: Vec<bool> = recs.iter().filter(|r| r["ftp"]["command"] == "USER").map(|r| r["ftp"]["anonymous"] == true).collect();
    assert_eq!(users, [false, false, true]);
}

/// tshark's PDU type numbers (`snmp.data`), as Ward names them.
fn pdu_name(n: &str) -> &'static str {
    match n {
        "0" => "get",
        "1" => "getnext",
        "2" => "response",
        "3" => "set",
        "4" => "trap",
        "5" => "getbulk",
        "6" => "inform",
        "7" => "trap2",
        "8" => "report",
        _ => "?",
    }
}

/// Every SNMP message of the session is a record on the same frame with tshark's version, PDU
/// type, request id, error status (noAccess on the refused set), bound OIDs and community
/// length; v3 messages say whether they are authenticated and encrypted, as tshark's flags do,
/// and the clear v3 PDUs (engine discovery) are read like v2c ones.
#[test]
fn snmp_records_match_tshark() {
    let p = pcap("snmp.pcap");
    let recs = of_kind(&p, "snmp");
    let rows = tshark_fields(
        &p,
        "snmp",
        &["frame.number", "snmp.version", "snmp.data", "snmp.request_id", "snmp.error_status", "snmp.name", "snmp.community", "snmp.v3.flags.auth", "snmp.v3.flags.crypt", "snmp.msgVersion"],
    );
    assert_eq!(rows.len(), 16);
    assert_eq!(recs.len(), rows.len(), "one record per datagram");
    let mut compared = 0;
    for (r, t) in recs.iter().zip(&rows) {
        let s = &r["snmp"];
        let ctx = format!("frame {}", t[0]);
        assert_eq!(frame(r), t[0], "{ctx}: same frame");
        // tshark names the version field differently in v1/v2c and v3 messages.
        let version = match if t[1].is_empty() { t[9].as_str() } else { t[1].as_str() } {
            "0" => "1",
            "1" => "2c",
            "3" => "3",
            v => panic!("{ctx}: version {v}"),
        };
        assert_eq!(s["version"].as_str(), Some(version), "{ctx}: version");
        if version == "3" {
            assert_eq!(s["v3_auth"].as_bool(), Some(t[7] == "1"), "{ctx}: auth flag");
            assert_eq!(s["v3_priv"].as_bool(), Some(t[8] == "1"), "{ctx}: privacy flag");
            assert!(s.get("community_present").is_none(), "{ctx}: v3 has no community");
            compared += 3;
            if t[8] == "1" {
                assert_eq!(s["type"], "encrypted", "{ctx}");
                continue;
            }
        } else {
            assert_eq!(s["community_length"].as_u64(), Some(t[6].len() as u64), "{ctx}: community length");
            compared += 1;
        }
        assert_eq!(s["type"].as_str(), Some(pdu_name(&t[2])), "{ctx}: PDU type");
        assert_eq!(s["request_id"].as_i64().map(|v| v.to_string()).as_deref(), Some(t[3].as_str()), "{ctx}: request id");
        // GetBulk has no error status (tshark shows none; those bytes are non-repeaters).
        assert_eq!(s["error_status"].as_i64().map(|v| v.to_string()).unwrap_or_default(), t[4], "{ctx}: error status");
        let oids: Vec<&str> = s["oids"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let theirs: Vec<&str> = t[5].split(',').filter(|o| !o.is_empty()).collect();
        assert_eq!(oids, theirs, "{ctx}: OIDs");
        compared += 4;
    }
    assert!(compared >= 60, "{compared} comparisons");
    let kinds: Vec<&str> = recs.iter().filter_map(|r| r["snmp"]["type"].as_str()).collect();
    assert_eq!(
        kinds,
        ["get", "response", "get", "response", "getnext", "response", "getbulk", "response", "set", "response", "get", "get", "report", "encrypted", "encrypted", "trap2"]
    );
}

/// Telnet: the options Ward lists for each login are exactly the options tshark sees
/// negotiated on that connection; the login record sits on the frame where the server's
/// verdict arrives; and the verdicts (refused, then accepted) follow the server's text, which
/// tshark shows.
#[test]
fn telnet_records_match_tshark() {
    let p = pcap("telnet.pcap");
    let recs = of_kind(&p, "telnet");
    let rows = tshark_fields(&p, "telnet", &["frame.number", "tcp.stream", "telnet.subcmd", "telnet.data"]);
    let logins: Vec<&Value> = recs.iter().filter(|r| r["telnet"]["type"] == "login").collect();
    assert_eq!(logins.len(), 2);
    let streams: BTreeSet<&str> = rows.iter().map(|t| t[1].as_str()).collect();
    assert_eq!(streams.len(), 2, "two connections");
    for (login, stream) in logins.iter().zip(&streams) {
        let theirs: BTreeSet<u64> = rows.iter().filter(|t| t[1] == *stream).flat_map(|t| t[2].split(',')).filter_map(|o| o.parse().ok()).collect();
        let ours: BTreeSet<u64> = login["telnet"]["options"].as_array().expect("options").iter().filter_map(Value::as_u64).collect();
        assert_eq!(ours, theirs, "stream {stream}: negotiated options");
        let verdict_frame = rows
            .iter()
            .find(|t| t[1] == *stream && (t[3].contains("incorrect") || t[3].contains("Last login")))
            .map(|t| t[0].clone())
            .expect("tshark shows the server's verdict");
        assert_eq!(frame(login), verdict_frame, "stream {stream}: the login is judged on the verdict's frame");
        assert_eq!(login["telnet"]["username_sent"], true);
        assert_eq!(login["telnet"]["password_sent"], true);
    }
    let outcomes: Vec<&str> = logins.iter().filter_map(|r| r["telnet"]["outcome"].as_str()).collect();
    assert_eq!(outcomes, ["rejected", "accepted"]);
    let banners: Vec<&str> = recs.iter().filter(|r| r["telnet"]["type"] == "banner").filter_map(|r| r["telnet"]["banner"].as_str()).collect();
    assert_eq!(banners.len(), 2);
    assert!(banners.iter().all(|b| b.ends_with("Medfusion 4000 syringe pump - maintenance")), "{banners:?}");
}

/// The sessions carry FTP and Telnet passwords, SNMP communities and v3 pass phrases in
/// cleartext (the v3 ones only in the script: they never go on the wire). None of them is in
/// the records, the JSON report or the HTML report; cleartext-credentials is raised for FTP,
/// Telnet and SNMP all the same.
#[test]
fn no_credential_leaves_ward() {
    const ON_WIRE: [&str; 7] =
        ["Ftp-Legacy-Pw-2024", "Not-The-Pw-0000", "Telnet-Legacy-Pw-31", "Guess-Pw-1111", "Pump-Rw-Comm-42", "Wrong-Comm-13", "Trap-Comm-99"];
    let paths = [pcap("ftp.pcap"), pcap("snmp.pcap"), pcap("telnet.pcap")];
    let mut wire = Vec::new();
    for p in &paths {
        wire.extend(std::fs::read(p).expect("pcap"));
    }
    let hay = String::from_utf8_lossy(&wire);
    for s in ON_WIRE.iter().filter(|s| !s.starts_with("Pump-Rw")) {
        assert!(hay.contains(s), "the captures do carry {s}");
    }
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let recs = serde_json::to_string(&records(&refs, "legacy-noleak")).expect("json");
    let report = analyze(&refs);
    let json = serde_json::to_string(&report).expect("json");
    let html_path = scratch("legacy-noleak-html").join("r.html");
    let mut args = vec!["analyze".to_string(), "-f".into(), "html".into(), "-o".into(), html_path.display().to_string()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = ward(&a);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&html_path).expect("html");
    for s in ON_WIRE.iter().chain(&["Snmp3-Auth-Pw-77", "Snmp3-Priv-Pw-88"]) {
        for (name, text) in [("records", &recs), ("JSON report", &json), ("HTML report", &html), ("stderr", &err)] {
            assert!(!text.contains(s), "{s} leaked into the {name}");
        }
    }
    let creds: BTreeSet<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "cleartext-credentials")
        .filter_map(|f| f["protocol"].as_str())
        .collect();
    assert_eq!(creds, BTreeSet::from(["ftp", "snmp", "telnet"]));
}
