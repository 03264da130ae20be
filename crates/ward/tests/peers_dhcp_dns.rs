//! DHCP and DNS records agree with Suricata's expected EVE values (suricata-verify test.yaml)
//! and Zeek's dhcp.log baselines on the same captures.

mod common;

use common::*;
use serde_json::Value;

/// Look up a dotted EVE path like `dhcp.params[0]` in one of our record lines.
fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        let (key, idx) = match part.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        cur = cur.get(key)?;
        if let Some(i) = idx {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

/// Fields of Suricata's that Ward's record stream has under the same name and meaning.
fn comparable(key: &str) -> bool {
    key.starts_with("dhcp.") || key.starts_with("dns.") || matches!(key, "src_ip" | "dest_ip" | "src_port" | "dest_port" | "pcap_cnt" | "proto")
}

/// Suricata names some fields differently (or in a later EVE version) from ours.
fn our_name(key: &str) -> String {
    match key {
        "dhcp.type" => "dhcp.type".into(),
        // EVE v3 `dns.grouped.A[0]` repeats the answers' data by type; `dns.tx_id` and
        // `dns.version` are Suricata's own bookkeeping, not facts of the message.
        k if k.starts_with("dns.grouped.") || k == "dns.tx_id" || k == "dns.version" => String::new(),
        k => k.to_string(),
    }
}

fn same(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(a), Value::String(b)) => a.to_string() == *b,
        _ => false,
    }
}

fn check_case(case: &str, pcap_name: &str) -> usize {
    let dir = shared(&format!("peers/suricata-verify/{case}"));
    let recs = records(&[&dir.join(pcap_name)], &case.replace('/', "-"));
    let spec = yaml(&dir.join("test.yaml"));
    let mut compared = 0;
    for check in spec["checks"].as_array().expect("checks") {
        let f = &check["filter"];
        let m = &f["match"];
        let Some(et) = m["event_type"].as_str().or_else(|| m.get("dns.type").map(|_| "dns")) else { continue };
        if et != "dhcp" && et != "dns" {
            continue;
        }
        let conds: Vec<(String, &Value)> =
            m.as_object().expect("match").iter().filter(|(k, _)| comparable(k)).map(|(k, v)| (our_name(k), v)).filter(|(k, _)| !k.is_empty()).collect();
        let matching: Vec<&Value> = recs
            .iter()
            .filter(|r| r["event_type"] == et)
            .filter(|r| conds.iter().all(|(k, v)| lookup(r, k).is_some_and(|o| same(o, v))))
            .collect();
        let want = f["count"].as_u64().unwrap_or(1) as usize;
        assert_eq!(matching.len(), want, "{case}: Suricata expects {want} record(s) matching {m}; ours: {recs:#?}");
        compared += conds.len();
    }
    compared
}

#[test]
fn dhcp_records_match_suricata() {
    let n = check_case("dhcp-eve-extended", "input.pcap")
        + check_case("dhcp-eve-extended-option-60", "input.pcap")
        + check_case("dhcp-option-52-overload", "input.pcap");
    assert!(n >= 40, "only {n} field comparisons");
}

#[test]
fn dns_records_match_suricata() {
    let n = check_case("dns/dns-udp-eve-txt", "input.pcap")
        + check_case("dns/dns-eve", "input.pcap")
        + check_case("dns/dns-tcp-www-google-com", "dns.pcap");
    assert!(n >= 30, "only {n} field comparisons");
}

/// Zeek folds a DHCP exchange into one dhcp.log line; compare the facts it shares with ours.
#[test]
fn dhcp_facts_match_zeek_baselines() {
    for (pcap, log) in [
        ("Traces__dhcp__dhcp.pcap", "Baseline__scripts.base.protocols.dhcp.dhcp-all-msg-types__dhcp.log"),
        ("Traces__dhcp__dhcp_inform.pcap", "Baseline__scripts.base.protocols.dhcp.inform__dhcp.log"),
    ] {
        let recs = records(&[&shared(&format!("peers/zeek/{pcap}"))], pcap);
        let text = std::fs::read_to_string(shared(&format!("peers/zeek/{log}"))).expect("baseline");
        let fields: Vec<&str> = text.lines().find_map(|l| l.strip_prefix("#fields\t")).expect("fields").split('\t').collect();
        let col = |row: &[&str], name: &str| -> String {
            fields.iter().position(|f| *f == name).map(|i| row[i].to_string()).unwrap_or_default()
        };
        let ours_types: Vec<String> = recs.iter().filter_map(|r| r["dhcp"]["dhcp_type"].as_str()).map(|t| t.to_uppercase()).collect();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let row: Vec<&str> = line.split('\t').collect();
            let mac = col(&row, "mac");
            for t in col(&row, "msg_types").split(',') {
                assert!(ours_types.iter().any(|o| o == t), "{pcap}: Zeek saw {t}, we saw {ours_types:?}");
            }
            let mine: Vec<&Value> = recs.iter().filter(|r| r["dhcp"]["client_mac"] == mac.as_str()).collect();
            assert!(!mine.is_empty(), "{pcap}: no record for {mac}");
            for (zeek, ours) in [("host_name", "hostname"), ("requested_addr", "requested_ip"), ("domain", "domain_name")] {
                let z = col(&row, zeek);
                if z != "-" {
                    assert!(mine.iter().any(|r| r["dhcp"][ours] == z.as_str()), "{pcap}: Zeek {zeek}={z} not in our {ours}");
                }
            }
            let assigned = col(&row, "assigned_addr");
            if assigned != "-" {
                assert!(mine.iter().any(|r| r["dhcp"]["assigned_ip"] == assigned.as_str() && r["dhcp"]["dhcp_type"] == "ack"));
            }
            let lease = col(&row, "lease_time");
            if lease != "-" {
                let secs = lease.parse::<f64>().expect("lease") as u64;
                assert!(mine.iter().any(|r| r["dhcp"]["lease_time"] == secs), "{pcap}: lease {secs}");
            }
        }
    }
}
