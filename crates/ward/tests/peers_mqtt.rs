//! MQTT records agree with Suricata's expected EVE values (suricata-verify MQTT 3.1, 3.1.1 and 5
//! cases) and with tshark's field dump of a mosquitto session (../shared/data/captures); and
//! neither usernames, passwords nor payloads ever appear, although Suricata logs them.

mod common;

use common::*;
use serde_json::Value;

/// Our field for one of Suricata's `mqtt.<type>.<field>` keys; `None` to skip (values Ward
/// deliberately does not keep, or shapes it reports differently).
const STANDARD: [&str; 12] = [
    "session_expiry_interval", "receive_maximum", "maximum_packet_size", "topic_alias_maximum", "topic_alias",
    "content_type", "response_topic", "correlation_data", "message_expiry_interval", "payload_format_indicator",
    "reason_string", "assigned_client_identifier",
];

fn our_field(field: &str) -> Option<String> {
    Some(match field {
        "qos" | "retain" | "dup" | "protocol_string" | "protocol_version" | "client_id" | "session_present" | "return_code" | "topic" | "message_id" => field.to_string(),
        "flags.username" => "username_present".into(),
        "flags.password" => "password_present".into(),
        "flags.will" => "will".into(),
        "flags.clean_session" => "clean_session".into(),
        "reason_code" => "return_code".into(),
        // Standard MQTT 5 properties by name; Suricata lists user properties by their own key,
        // which Ward reports as `user_property` without the key or value.
        f if f.starts_with("properties.") && STANDARD.contains(&&f["properties.".len()..]) => format!("@{}", &f["properties.".len()..]),
        _ => return None,
    })
}

fn matches(rec: &Value, key: &str, want: &Value) -> bool {
    if let Some(prop) = key.strip_prefix('@') {
        return rec["properties"].as_array().is_some_and(|p| p.iter().any(|x| x == prop));
    }
    rec.get(key).is_some_and(|v| v == want)
}

#[test]
fn mqtt_records_match_suricata_without_keeping_secrets() {
    let mut compared = 0;
    let mut secrets: Vec<String> = Vec::new();
    for case in ["mqtt31-pub-userpass", "mqtt311-pub-qos1", "mqtt5-pub-mosquittoprops", "mqtt5-sub-userpass", "mqtt-ping"] {
        let dir = shared(&format!("peers/suricata-verify/{case}"));
        let recs = records(&[&dir.join("input.pcap")], case);
        let ours: Vec<&Value> = recs.iter().filter(|r| r["event_type"] == "mqtt").map(|r| &r["mqtt"]).collect();
        let spec = yaml(&dir.join("test.yaml"));
        for check in spec["checks"].as_array().expect("checks") {
            let m = &check["filter"]["match"];
            let Some(obj) = m.as_object() else { continue };
            let mut ptype = None;
            let mut conds: Vec<(String, &Value)> = Vec::new();
            for (k, v) in obj {
                let Some(rest) = k.strip_prefix("mqtt.") else { continue };
                let Some((t, field)) = rest.split_once('.') else { continue };
                ptype = Some(t.to_string());
                match (t, field) {
                    ("connect", "username" | "password") | ("publish", "message") => {
                        if let Some(s) = v.as_str() {
                            secrets.push(s.to_string());
                        }
                    }
                    // Suricata expects reason code 0 for `e0 01 04`, a DISCONNECT whose one-byte
                    // body is reason code 4 (Disconnect with Will Message, MQTT 5 §3.14.2.1);
                    // tshark reads 4, and so does Ward (checked below).
                    ("disconnect", "reason_code") if case == "mqtt5-sub-userpass" => {}
                    _ => {
                        if let Some(f) = our_field(field) {
                            conds.push((f, v));
                        }
                    }
                }
            }
            let Some(t) = ptype else { continue };
            let want = check["filter"]["count"].as_u64().unwrap_or(1) as usize;
            let n = ours.iter().filter(|r| r["type"] == t.as_str() && conds.iter().all(|(k, v)| matches(r, k, v))).count();
            assert_eq!(n, want, "{case}: Suricata expects {want} {t} record(s) matching {m}; ours: {ours:#?}");
            compared += conds.len();
        }
        if case == "mqtt5-sub-userpass" {
            let d = ours.iter().find(|r| r["type"] == "disconnect").expect("disconnect");
            assert_eq!(d["return_code"], 4, "as tshark reads it");
        }
        let text = serde_json::to_string(&recs).expect("json");
        let report = serde_json::to_string(&analyze(&[&dir.join("input.pcap")])).expect("json");
        for s in &secrets {
            assert!(!text.contains(&format!("\"{s}\"")) && !report.contains(&format!("\"{s}\"")), "{case}: Ward repeats the secret {s:?}");
        }
    }
    assert!(compared >= 60, "only {compared} field comparisons");
    assert!(secrets.iter().any(|s| s == "pass"), "the fixtures do carry passwords");
}

#[test]
fn mqtt_records_match_tshark_on_the_mosquitto_session() {
    let pcap = shared("captures/mqtt_vitals_pubsub.pcap");
    let oracle = std::fs::read_to_string(shared("captures/tshark-oracle/mqtt_vitals_pubsub.mqtt_fields.psv")).expect("oracle");
    let recs = records(&[&pcap], "mqtt-tshark");
    let ours: Vec<&Value> = recs.iter().filter(|r| r["event_type"] == "mqtt").collect();
    const TYPES: [&str; 15] = ["", "connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect"];
    let rows: Vec<Vec<&str>> = oracle.lines().skip(1).map(|l| l.split('|').collect()).collect();
    assert_eq!(ours.len(), rows.len(), "one record per MQTT packet");
    for (r, t) in ours.iter().zip(&rows) {
        let m = &r["mqtt"];
        assert_eq!(r["pcap_cnt"].to_string(), t[0], "frame");
        assert_eq!(m["type"], TYPES[t[3].parse::<usize>().expect("type")], "frame {}", t[0]);
        if !t[4].is_empty() {
            assert_eq!(m["client_id"], t[4]);
        }
        if !t[5].is_empty() {
            let topic = m["topic"].as_str().map(str::to_string).unwrap_or_else(|| m["topics"][0]["topic"].as_str().unwrap_or("").to_string());
            assert_eq!(topic, t[5], "frame {}", t[0]);
        }
        if !t[6].is_empty() {
            assert_eq!(m["qos"].to_string(), t[6], "frame {}", t[0]);
        }
        if !t[7].is_empty() {
            assert_eq!(m["message_id"].to_string(), t[7], "frame {}", t[0]);
        }
        if !t[8].is_empty() {
            assert_eq!(m["payload_size"].as_u64(), Some(t[8].len() as u64 / 2), "payload size, not payload");
        }
    }
}

#[test]
fn mqtt_password_in_cleartext_is_a_finding_and_client_ids_name_devices() {
    let pcap = shared("peers/suricata-verify/mqtt31-pub-userpass/input.pcap");
    let report = analyze(&[&pcap]);
    let f: Vec<&Value> = report["findings"].as_array().expect("findings").iter().filter(|f| f["kind"] == "cleartext-credentials").collect();
    assert_eq!(f.len(), 1, "{:#?}", report["findings"]);
    assert_eq!((f[0]["protocol"].as_str(), f[0]["severity"].as_str()), (Some("mqtt"), Some("high")));
    assert!(f[0]["remediation"].as_str().is_some_and(|r| r.contains("TLS") && r.contains("rotate")));
    let ids: Vec<&str> = report["assets"].as_array().expect("assets").iter().flat_map(|a| a["mqtt_client_ids"].as_array().expect("ids").iter().filter_map(Value::as_str)).collect();
    assert!(ids.contains(&"myvoiceismypassport"), "{ids:?}");
}
