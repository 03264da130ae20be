//! syslog records agree with tshark's syslog dissector on messages util-linux logger 2.38 sent
//! over UDP and TCP to a socat listener in a network namespace (tests/pcap/syslog/HOWTO.md),
//! and the message text (a fake patient's name, a fake password) never leaves Ward.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn pcap(name: &str) -> PathBuf {
    root().join("tests/pcap/syslog").join(name)
}

const FIELDS: [&str; 11] = [
    "frame.number", "syslog.facility", "syslog.level", "syslog.version", "syslog.timestamp", "syslog.timestamp_rfc3164", "syslog.hostname",
    "syslog.appname", "syslog.procid", "syslog.msgid", "syslog.msg",
];

/// RFC 3339 (as logger writes it, UTC) in tshark's absolute-time form:
/// `2026-11-23T06:06:44.263637+00:00` is `Nov 23, 2026 06:06:44.263637000 UTC`.
fn tshark_time(t: &str) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let t = t.strip_suffix("+00:00").or_else(|| t.strip_suffix('Z')).expect("UTC timestamps from logger");
    let (date, time) = t.split_once('T').expect("T");
    let d: Vec<&str> = date.split('-').collect();
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let month = MONTHS[d[1].parse::<usize>().expect("month") - 1];
    format!("{month} {}, {} {hms}.{frac:0<9} UTC", d[2].trim_start_matches('0'), d[0])
}

/// Compare Ward's syslog records with tshark's rows on the same frames. tshark 4.0 names a
/// 3164 TAG `syslog.procid` (its `[pid]` stays in `syslog.msgid`), and its 5424 `msgid` runs
/// to the end of the message (structured data and MSG included): the first word is the MSGID.
/// `-` (NILVALUE) is absent in Ward's record. Returns the number of fields compared.
fn compare(recs: &[&Value], rows: &[Vec<String>], name: &str) -> usize {
    assert_eq!(recs.len(), rows.len(), "{name}: one record per message tshark decodes");
    let mut n = 0;
    for (r, t) in recs.iter().zip(rows) {
        let s = &r["syslog"];
        let ctx = format!("{name} frame {}", t[0]);
        let mut eq = |ours: Option<String>, theirs: &str, what: &str| {
            let theirs = (!theirs.is_empty() && theirs != "-").then(|| theirs.to_string());
            assert_eq!(ours, theirs, "{ctx}: {what}; record {s}");
            n += 1;
        };
        let num = |k: &str| s[k].as_u64().map(|v| v.to_string());
        let txt = |k: &str| s[k].as_str().map(str::to_string);
        assert_eq!(r["pcap_cnt"].as_u64().map(|f| f.to_string()).as_deref(), Some(t[0].as_str()), "{ctx}: same frame");
        eq(num("facility"), &t[1], "facility");
        eq(num("severity"), &t[2], "severity");
        eq(num("version"), &t[3], "version");
        if s["format"] == "rfc5424" {
            eq(txt("timestamp").map(|v| tshark_time(&v)), &t[4], "timestamp");
            eq(txt("hostname"), &t[6], "hostname");
            eq(txt("app_name"), &t[7], "app-name");
            eq(txt("procid"), &t[8], "procid");
            eq(txt("msgid"), t[9].split(' ').next().unwrap_or(""), "msgid");
        } else {
            eq(txt("timestamp"), &t[5], "3164 timestamp");
            eq(txt("hostname"), &t[6], "hostname");
            eq(txt("app_name"), &t[8], "3164 TAG (tshark's procid)");
            // tshark's msgid is `[pid]: MSG` or `: MSG` (on TCP with the LF, shown as `\n`).
            let rest = t[9].trim_end_matches("\\n");
            let (pid, msg) = match rest.strip_prefix('[').and_then(|x| x.split_once(']')) {
                Some((pid, msg)) => (pid, msg),
                None => ("", rest),
            };
            eq(txt("procid"), pid, "3164 [pid]");
            let msg = msg.strip_prefix(':').unwrap_or(msg).strip_prefix(' ').unwrap_or(msg);
            eq(num("message_length"), &msg.len().to_string(), "message length");
        }
        // The whole message text tshark shows ends with the MSG whose length Ward reports.
        let msg_len = s["message_length"].as_u64().expect("length") as usize;
        let full = t[10].trim_end_matches("\\n");
        assert!(full.len() >= msg_len, "{ctx}");
        let tail = &full[full.len() - msg_len..];
        assert!(full.ends_with(tail) && (msg_len == 0 || full[..full.len() - msg_len].ends_with(' ')), "{ctx}: the MSG is the tail after a space: {full:?} / {msg_len}");
        n += 1;
    }
    n
}

fn syslog_records(p: &Path, name: &str) -> Vec<Value> {
    records(&[p], name).into_iter().filter(|r| r["event_type"] == "syslog").collect()
}

#[test]
fn udp_records_match_tshark() {
    let p = pcap("udp.pcap");
    let recs = syslog_records(&p, "syslog-udp");
    let rows = tshark_fields(&p, "syslog", &FIELDS);
    let refs: Vec<&Value> = recs.iter().collect();
    let n = compare(&refs, &rows, "udp.pcap");
    assert_eq!(rows.len(), 6);
    assert!(n >= 50, "only {n} comparisons");
    let formats: Vec<&str> = recs.iter().filter_map(|r| r["syslog"]["format"].as_str()).collect();
    assert_eq!(formats, ["rfc3164", "rfc5424", "rfc5424", "rfc5424", "rfc3164", "rfc5424"]);
    let sd: Vec<&str> = recs[1]["syslog"]["sd_ids"].as_array().expect("sd").iter().filter_map(Value::as_str).collect();
    assert!(rows[1][9].contains("[timeQuality ") && rows[1][9].contains("][alarm@32473 "), "tshark's text has both elements");
    assert_eq!(sd, ["timeQuality", "alarm@32473"]);
}

/// TCP: tshark 4.0 decodes syslog over TCP only when told (`-d tcp.port==514,syslog`), one
/// message per segment, and not RFC 6587 octet counting at all: for those frames it shows the
/// raw text `LEN <PRI>...`, which is checked against Ward's count, PRI and header fields.
#[test]
fn tcp_records_match_tshark() {
    let p = pcap("tcp.pcap");
    let recs = syslog_records(&p, "syslog-tcp");
    let mut cmd = std::process::Command::new("tshark");
    cmd.arg("-r").arg(&p).args(["-n", "-d", "tcp.port==514,syslog", "-Y", "syslog", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let o = cmd.output().expect("tshark runs");
    assert!(o.status.success());
    let rows: Vec<Vec<String>> = String::from_utf8_lossy(&o.stdout).lines().map(|l| l.split('|').map(str::to_string).collect()).collect();
    let (parsed, counted): (Vec<&Vec<String>>, Vec<&Vec<String>>) = rows.iter().partition(|r| !r[1].is_empty());
    let lines: Vec<&Value> = recs.iter().filter(|r| r["syslog"]["framing"] == "non-transparent").collect();
    let rows_parsed: Vec<Vec<String>> = parsed.into_iter().cloned().collect();
    let n = compare(&lines, &rows_parsed, "tcp.pcap (LF-framed)");
    assert_eq!(lines.len(), 3);
    let octets: Vec<&Value> = recs.iter().filter(|r| r["syslog"]["framing"] == "octet-counting").collect();
    assert_eq!(octets.len(), counted.len());
    assert_eq!(octets.len(), 2);
    let mut m = 0;
    for (r, t) in octets.iter().zip(&counted) {
        let s = &r["syslog"];
        assert_eq!(r["pcap_cnt"].as_u64().map(|f| f.to_string()).as_deref(), Some(t[0].as_str()));
        let (len, msg) = t[10].split_once(' ').expect("LEN SP MSG");
        assert_eq!(len.parse::<usize>().ok(), Some(msg.len()), "the count is the message's length");
        let words: Vec<&str> = msg.splitn(8, ' ').collect();
        assert_eq!(words[0], format!("<{}>1", s["pri"]));
        assert_eq!(tshark_time(s["timestamp"].as_str().expect("ts")), tshark_time(words[1]));
        for (i, k) in [(2, "hostname"), (3, "app_name"), (4, "procid"), (5, "msgid")] {
            assert_eq!(s[k].as_str(), Some(words[i]), "{k}");
            m += 1;
        }
        let text_len = msg.len() - msg.find("] ").expect("after the SD") - 2;
        assert_eq!(s["message_length"].as_u64(), Some(text_len as u64));
        m += 4;
    }
    assert!(n + m >= 30, "only {} comparisons", n + m);
}

/// The captures carry a fake patient's name and a fake password in message texts; neither
/// appears in records nor in the JSON or HTML report. The password's presence is said, as
/// `credentials_hint`, on exactly the two messages that carry one; hostname and app-name are
/// there for the inventory.
#[test]
fn no_message_text_leaves_ward() {
    const SECRETS: [&str; 4] = ["Zebulon", "Quixotewright", "Hunter2-LeakCanary", "OCCL"];
    let paths = [pcap("udp.pcap"), pcap("tcp.pcap")];
    let mut wire = Vec::new();
    for p in &paths {
        wire.extend(std::fs::read(p).expect("pcap"));
    }
    let hay = String::from_utf8_lossy(&wire);
    for s in SECRETS {
        assert!(hay.contains(s), "the captures do carry {s}");
    }
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let recs = records(&refs, "syslog-noleak");
    let text = serde_json::to_string(&recs).expect("json");
    let report = serde_json::to_string(&analyze(&refs)).expect("json");
    let dir = scratch("syslog-noleak-html");
    let html = dir.join("r.html");
    let mut args = vec!["analyze".to_string(), "-f".into(), "html".into(), "-o".into(), html.display().to_string()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    let (code, _, err) = ward(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(html).expect("html");
    for s in SECRETS {
        for (what, t) in [("records", &text), ("JSON report", &report), ("HTML report", &html), ("stderr", &err)] {
            assert!(!t.contains(s), "{what} repeat {s}");
        }
    }
    let sl: Vec<&Value> = recs.iter().filter(|r| r["event_type"] == "syslog").map(|r| &r["syslog"]).collect();
    assert_eq!(sl.len(), 11);
    assert_eq!(sl.iter().filter(|s| s["credentials_hint"] == true).count(), 2);
    assert!(sl.iter().all(|s| s["hostname"].is_null() || s["hostname"] == "infusion-pump-07"));
    assert!(sl.iter().any(|s| s["app_name"] == "ventd") && sl.iter().any(|s| s["app_name"] == "pumpd"));
}
