//! HTTP records agree with tshark's HTTP dissector on captures made with real clients and
//! servers (curl 7.88 against Python's http.server, BusyBox httpd and small Python servers in a
//! network namespace: tests/pcap/http/HOWTO.md) and on suricata-verify's HTTP cases; they agree
//! with Suricata's expected values where suricata-verify gives them; and no credential, cookie,
//! query value or patient value from those captures ever appears in Ward's output.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn pcap(name: &str) -> PathBuf {
    root().join("tests/pcap/http").join(name)
}

/// One HTTP message as tshark 4.0 decodes it: frame, client port, and its fields.
#[derive(Debug)]
struct Pdu {
    frame: u64,
    client_port: u64,
    request: bool,
    first: BTreeMap<String, Value>,
    fields: serde_json::Map<String, Value>,
}

/// tshark's full JSON tree, duplicate keys merged into arrays, one entry per HTTP PDU that has
/// a start line (continuations are left out).
fn tshark_pdus(pcap: &Path) -> Vec<Pdu> {
    let o = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(["-n", "-T", "json", "--no-duplicate-keys", "-Y", "http"])
        .output()
        .expect("tshark runs (scripts/test.sh installs it)");
    assert!(o.status.success(), "tshark: {}", String::from_utf8_lossy(&o.stderr));
    let packets: Vec<Value> = serde_json::from_slice(&o.stdout).expect("tshark json");
    let mut out = Vec::new();
    for p in packets {
        let l = &p["_source"]["layers"];
        let frame: u64 = l["frame"]["frame.number"].as_str().and_then(|s| s.parse().ok()).expect("frame number");
        let (sport, dport): (u64, u64) = (
            l["tcp"]["tcp.srcport"].as_str().and_then(|s| s.parse().ok()).expect("sport"),
            l["tcp"]["tcp.dstport"].as_str().and_then(|s| s.parse().ok()).expect("dport"),
        );
        let pdus: Vec<&Value> = match &l["http"] {
            Value::Array(a) => a.iter().collect(),
            v @ Value::Object(_) => vec![v],
            _ => continue,
        };
        for h in pdus {
            let Some(obj) = h.as_object() else { continue };
            // The start line is a subtree keyed by the line itself.
            let Some(first) = obj.values().find_map(|v| {
                v.as_object().filter(|m| m.contains_key("http.request.method") || m.contains_key("http.response.code"))
            }) else {
                continue;
            };
            let request = first.contains_key("http.request.method");
            out.push(Pdu {
                frame,
                client_port: if request { sport } else { dport },
                request,
                first: first.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                fields: obj.clone(),
            });
        }
    }
    out
}

fn s<'a>(m: &'a serde_json::Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str)
}

fn many(v: Option<&Value>) -> usize {
    match v {
        Some(Value::Array(a)) => a.len(),
        Some(_) => 1,
        None => 0,
    }
}

/// The path Ward keeps: tshark's path with the id after Patient/Person/patients replaced.
fn redacted(path: &str) -> String {
    let mut out = Vec::new();
    let mut redact = false;
    for seg in path.split('/') {
        out.push(if redact && !seg.is_empty() && !seg.starts_with(['$', '_']) { "{id}".to_string() } else { seg.to_string() });
        redact = ["patient", "patients", "person", "persons", "relatedperson"].contains(&seg.to_ascii_lowercase().as_str());
    }
    out.join("/")
}

/// Compare one tshark PDU with one Ward record, field by field; returns how many fields.
fn compare(name: &str, t: &Pdu, r: &Value) -> usize {
    let h = &r["http"];
    let f = &t.fields;
    let first: serde_json::Map<String, Value> = t.first.clone().into_iter().collect();
    let ctx = format!("{name} frame {}", t.frame);
    let mut n = 0;
    let mut eq = |ours: Option<&str>, theirs: Option<&str>, what: &str| {
        assert_eq!(ours, theirs, "{ctx}: {what}; record {h}");
        n += 1;
    };
    if t.request {
        assert_eq!(h["type"], "request", "{ctx}");
        eq(h["method"].as_str(), s(&first, "http.request.method"), "method");
        eq(h["version"].as_str(), s(&first, "http.request.version"), "version");
        let uri = s(&first, "http.request.uri").unwrap_or("");
        if h["method"] == "CONNECT" {
            let (host, port) = uri.rsplit_once(':').expect("authority");
            eq(h["host"].as_str(), Some(host), "CONNECT host");
            eq(h["port"].as_u64().map(|p| p.to_string()).as_deref(), Some(port), "CONNECT port");
        } else {
            let path = s(&first, "http.request.uri.path").map_or_else(|| uri.split('?').next().unwrap_or("").to_string(), str::to_string);
            eq(h["path"].as_str(), Some(&redacted(&path)), "path without query");
            let query = first.get("http.request.uri_tree").and_then(|q| q.get("http.request.uri.query")).is_some() || uri.contains('?');
            eq(h["query_present"].as_bool().map(|b| b.to_string()).as_deref(), Some(&query.to_string()), "query present");
            let params = first.get("http.request.uri_tree").and_then(|q| q.get("http.request.uri.query_tree")).map_or(0, |q| many(q.get("http.request.uri.query.parameter")));
            eq(h["query_params"].as_u64().map(|p| p.to_string()).as_deref(), Some(&params.to_string()), "query parameter count");
            if let Some(host) = s(f, "http.host") {
                let ours = match h["port"].as_u64() {
                    Some(p) => format!("{}:{p}", h["host"].as_str().unwrap_or("")),
                    None => h["host"].as_str().unwrap_or("").to_string(),
                };
                eq(Some(&ours), Some(&host.to_ascii_lowercase()), "host");
            }
        }
        eq(h["user_agent"].as_str(), s(f, "http.user_agent"), "User-Agent");
        let scheme = |k: &str| s(f, k).map(|a| a.split(' ').next().unwrap_or("").to_ascii_lowercase());
        eq(h["authorization_scheme"].as_str(), scheme("http.authorization").as_deref(), "Authorization scheme");
        eq(h["proxy_authorization_scheme"].as_str(), scheme("http.proxy_authorization").as_deref(), "Proxy-Authorization scheme");
        let pairs = f.get("http.cookie_tree").map_or(0, |c| many(c.get("http.cookie_pair")));
        eq(h["cookies"].as_u64().map(|c| c.to_string()).as_deref(), (pairs > 0).then(|| pairs.to_string()).as_deref(), "cookie pairs");
    } else {
        assert_eq!(h["type"], "response", "{ctx}");
        eq(h["status"].as_u64().map(|c| c.to_string()).as_deref(), s(&first, "http.response.code"), "status");
        eq(h["reason"].as_str(), s(&first, "http.response.phrase"), "reason");
        eq(h["version"].as_str(), s(&first, "http.response.version"), "version");
        eq(h["server"].as_str(), s(f, "http.server"), "Server");
        let mt = s(f, "http.content_type").map(|c| c.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        eq(h["content_type"].as_str(), mt.as_deref(), "media type");
        eq(h["location_host"].as_str(), s(f, "http.location").and_then(|l| l.split("://").nth(1)).map(|a| a.split(['/', ':']).next().unwrap_or("")), "Location host");
        let chal = s(f, "http.www_authenticate").or(s(f, "http.proxy_authenticate")).map(|a| a.split(' ').next().unwrap_or("").to_ascii_lowercase());
        eq(h["auth_challenges"].get(0).and_then(Value::as_str), chal.as_deref(), "challenge scheme");
        if let Some(sizes) = f.get("http.chunk_size") {
            // De-chunked body: the sum of tshark's chunk sizes.
            let total: u64 = match sizes {
                Value::Array(a) => a.iter().filter_map(|v| v.as_str()?.parse::<u64>().ok()).sum(),
                v => v.as_str().and_then(|x| x.parse().ok()).unwrap_or(0),
            };
            eq(h["body_length"].as_u64().map(|b| b.to_string()).as_deref(), Some(&total.to_string()), "de-chunked body length");
        }
    }
    eq(h["content_length"].as_u64().map(|c| c.to_string()).as_deref(), s(f, "http.content_length_header"), "Content-Length");
    eq(h["transfer_encoding"].as_str(), s(f, "http.transfer_encoding"), "Transfer-Encoding");
    eq(h["upgrade"].as_str(), s(f, "http.upgrade"), "Upgrade");
    // tshark has no field for X-Powered-By: take it from its list of header lines.
    let lines = f.get("http.response.line").or(f.get("http.request.line"));
    let xpb = match lines {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).find_map(|l| l.strip_prefix("X-Powered-By: ")),
        Some(Value::String(l)) => l.strip_prefix("X-Powered-By: "),
        _ => None,
    };
    eq(h["x_powered_by"].as_str(), xpb.map(|v| v.trim_end()), "X-Powered-By");
    n
}

/// Ward's HTTP records of a capture, and tshark's PDUs, paired per connection and direction
/// in order: the same fields, completed in the same frame except where `misread` says tshark
/// took later messages for a body. Returns (records, messages compared, fields compared).
fn against_tshark(name: &str, misread: &dyn Fn(&Pdu) -> bool) -> (Vec<Value>, usize, usize) {
    let path = pcap(name);
    let recs: Vec<Value> = records(&[&path], name).into_iter().filter(|r| r["event_type"] == "http").collect();
    let pdus: Vec<Pdu> = tshark_pdus(&path);
    let key = |port: u64, req: bool| (port, req);
    let mut ours: BTreeMap<(u64, bool), Vec<&Value>> = BTreeMap::new();
    for r in &recs {
        let req = r["http"]["type"] == "request";
        let port = if req { r["src_port"].as_u64() } else { r["dest_port"].as_u64() }.expect("port");
        ours.entry(key(port, req)).or_default().push(r);
    }
    let mut theirs: BTreeMap<(u64, bool), Vec<&Pdu>> = BTreeMap::new();
    for p in &pdus {
        theirs.entry(key(p.client_port, p.request)).or_default().push(p);
    }
    let (mut msgs, mut fields) = (0, 0);
    for (k, ts) in &theirs {
        // 1xx interim responses: tshark lists them like any response; so does Ward.
        let os = ours.get(k).cloned().unwrap_or_default();
        assert!(os.len() >= ts.len(), "{name} {k:?}: tshark has {} messages, Ward {}: {os:#?}", ts.len(), os.len());
        for (t, r) in ts.iter().zip(&os) {
            fields += compare(name, t, r);
            if !misread(t) {
                assert_eq!(r["pcap_cnt"].as_u64(), Some(t.frame), "{name}: the message completes in the same frame for both");
            }
            msgs += 1;
        }
    }
    (recs, msgs, fields)
}

#[test]
fn http_records_match_tshark_on_the_basic_auth_fhir_and_chunked_captures() {
    let mut total = (0, 0);
    for name in ["basic-auth.pcap", "fhir.pcap", "chunked.pcap"] {
        let (recs, m, f) = against_tshark(name, &|_| false);
        assert_eq!(m, recs.len(), "{name}: every Ward record has its tshark PDU and back");
        total.0 += m;
        total.1 += f;
    }
    assert_eq!(total.0, 6 + 9 + 6, "messages compared");
    assert!(total.1 >= 250, "only {} field comparisons", total.1);
}

/// tshark 4.0 does not know that a response to HEAD has no body (RFC 9110 §9.3.2) when the
/// requests were pipelined: it reads the 304 and 404 that follow the HEAD response as that
/// response's body. Ward matches them to their requests. Everything tshark reads as a start
/// line agrees; the two responses it misses are checked against its own body text.
#[test]
fn pipelined_responses_after_head_are_read_where_tshark_reads_a_body() {
    let body_of_responses = |p: &Pdu| s(&p.fields, "http.file_data").is_some_and(|b| b.starts_with("HTTP/1."));
    let (recs, m, _) = against_tshark("pipeline.pcap", &body_of_responses);
    assert_eq!(m, 4 + 2 + 2, "four requests, GET and HEAD responses, and the h2c offer and its answer");
    let resp: Vec<(u64, &str)> = recs.iter().filter(|r| r["http"]["type"] == "response").map(|r| (r["http"]["status"].as_u64().unwrap_or(0), r["http"]["request_method"].as_str().unwrap_or(""))).collect();
    assert_eq!(resp, [(200, "GET"), (200, "HEAD"), (304, "GET"), (404, "GET"), (200, "GET")]);
    let pdus = tshark_pdus(&pcap("pipeline.pcap"));
    let head_resp = pdus.iter().filter(|p| !p.request).nth(1).expect("tshark's second response");
    let body = s(&head_resp.fields, "http.file_data").unwrap_or("");
    assert!(body.starts_with("HTTP/1.1 304 Not Modified"), "tshark's reading changed: {body:?}");
    let h2c = recs.iter().find(|r| r["http"]["upgrade"] == "h2c").expect("curl's h2c offer");
    assert_eq!(h2c["http"]["method"], "GET");
}

/// On the proxy connection tshark stops at `200 Connection established` (it treats the tunnel
/// as opaque); Suricata, and Ward, read the HTTP inside. Those two records are compared with
/// tshark's decoding of the same request and response on the proxy's own connection to the
/// server. The WebSocket upgrade: the 101 and its request agree; the frames are not HTTP.
#[test]
fn connect_tunnel_and_websocket_agree_with_tshark() {
    let (recs, m, _) = against_tshark("tunnel.pcap", &|_| false);
    assert_eq!(m, 2 + 2 + 2 + 2, "407, CONNECT/200, proxy-to-server GET/200, upgrade/101");
    let tunnel_port = recs.iter().find(|r| r["http"]["proxy_authorization_scheme"] == "basic").and_then(|r| r["src_port"].as_u64()).expect("CONNECT with credentials");
    let inside: Vec<&Value> = recs.iter().filter(|r| (r["src_port"].as_u64() == Some(tunnel_port) || r["dest_port"].as_u64() == Some(tunnel_port)) && r["http"]["method"] != "CONNECT" && r["http"]["request_method"] != "CONNECT").collect();
    assert_eq!(inside.len(), 2, "the GET and its 200 inside the tunnel");
    let direct: Vec<Pdu> = tshark_pdus(&pcap("tunnel.pcap")).into_iter().filter(|p| p.fields.get("http.user_agent").is_some_and(|u| u == "WardTestClient/1.0 (curl)") && p.first.get("http.request.method").is_some_and(|m| m == "GET") || !p.request && p.first.get("http.response.code").is_some_and(|c| c == "200") && p.fields.get("http.server").is_some_and(|s| s.as_str().is_some_and(|s| s.starts_with("SimpleHTTP")))).collect();
    assert_eq!(direct.len(), 2, "tshark decodes the proxied GET and 200 on the server leg");
    let mut n = 0;
    for (t, r) in direct.iter().zip(&inside) {
        n += compare("tunnel.pcap (inside the tunnel)", t, r);
    }
    assert!(n >= 20);
}

/// Suricata's expected values: suricata-verify http-connect-simple (one CONNECT transaction
/// with status 200 and one GET with status 200, both HTTP/1.1), http-auth-bearer (no
/// "unrecognized authorization method" alert, sid 1: the scheme is recognised), http-chunked
/// (alerts 11..46 say the HEAD request's Host, Cookie, X-Qlik-User, User-Agent, Content-Length
/// and Transfer-Encoding headers were parsed). Ward deliberately does not keep X-Qlik-User
/// (a custom header value naming a user), nor Suricata's tx_id reset after CONNECT (Ward
/// numbers transactions per connection).
#[test]
fn http_records_match_suricata_expected_values() {
    let mut compared = 0;
    let dir = shared("peers/suricata-verify/http-connect/http-connect-simple");
    let recs: Vec<Value> = records(&[&dir.join("input.pcap")], "sv-connect").into_iter().filter(|r| r["event_type"] == "http").map(|r| r["http"].clone()).collect();
    let spec = yaml(&dir.join("test.yaml"));
    for check in spec["checks"].as_array().expect("checks") {
        let m = &check["filter"]["match"];
        if m["event_type"] != "http" {
            continue;
        }
        let want = check["filter"]["count"].as_u64().expect("count") as usize;
        let got = recs
            .iter()
            .filter(|q| q["type"] == "request" && q["method"] == m["http.http_method"] && q["version"] == m["http.protocol"])
            .filter(|q| recs.iter().any(|p| p["type"] == "response" && p["tx_id"] == q["tx_id"] && p["status"] == m["http.status"] && p["request_method"] == q["method"]))
            .count();
        assert_eq!(got, want, "Suricata expects {want} transaction(s) matching {m}; ours: {recs:#?}");
        compared += 3;
    }
    let dir = shared("peers/suricata-verify/http-auth-bearer");
    let spec = yaml(&dir.join("test.yaml"));
    let rules = std::fs::read_to_string(dir.join("test.rules")).expect("rules");
    assert!(rules.contains("http.request_auth_unrecognized") && spec["checks"][0]["filter"]["count"] == 0);
    let recs: Vec<Value> = records(&[&dir.join("input.pcap")], "sv-bearer").into_iter().filter(|r| r["event_type"] == "http").collect();
    let schemes: Vec<&str> = recs.iter().filter_map(|r| r["http"]["authorization_scheme"].as_str()).collect();
    assert_eq!(schemes, ["bearer"], "recognised, as Suricata recognises it");
    compared += 1;
    let dir = shared("peers/suricata-verify/http-chunked");
    let spec = yaml(&dir.join("test.yaml"));
    let recs: Vec<Value> = records(&[&dir.join("input.pcap")], "sv-chunked").into_iter().filter(|r| r["event_type"] == "http").collect();
    assert_eq!(recs.len(), 1);
    let q = &recs[0]["http"];
    for check in spec["checks"].as_array().expect("checks") {
        let sid = check["filter"]["match"]["alert.signature_id"].as_u64().expect("sid");
        assert_eq!(check["filter"]["count"], 1);
        let ok = match sid % 10 {
            1 => q["host"] == "localhost",
            2 => q["cookies"] == 1,
            3 => continue, // X-Qlik-User: deliberately not kept
            4 => q["user_agent"].as_str().is_some_and(|u| u.starts_with("Mozilla/5.0")),
            5 => q["content_length"] == 0,
            6 => q["transfer_encoding"].as_str().is_some_and(|t| t.contains("chunked")),
            _ => panic!("unexpected sid {sid}"),
        };
        assert!(ok, "sid {sid}: Suricata saw the header, Ward's record lacks it: {q}");
        compared += 1;
    }
    assert_eq!(q["method"], "HEAD");
    assert!(compared >= 20, "only {compared} comparisons");
}

/// The captures carry a Basic password, a Bearer token, proxy credentials, cookies, MRNs in
/// query strings and paths, and two fake patients in FHIR JSON and XML, HL7 v2 and a DICOM
/// file. None of it appears in the records, nor in the JSON or HTML report.
#[test]
fn no_secret_or_patient_value_leaves_ward() {
    // On the wire as sent (Basic credentials are base64 there).
    const SECRETS: [&str; 14] = [
        "d2FyZDpMZWFrQ2FuYXJ5UHctNzczMQ", "SecretCookieVal-99", "MRN-0042-LEAK", "MRN-7781-LEAK", "Quixotewright", "Zebulon", "1931-07-14",
        "19310714", "Marchbanks", "Ysolde", "LeakBearerTok-31337", "cHJveHl1c2VyOlByb3h5UHctNTE1MA", "pat-1001", "555-0142",
    ];
    // And decoded.
    const DECODED: [&str; 2] = ["LeakCanaryPw-7731", "ProxyPw-5150"];
    let names = ["basic-auth.pcap", "fhir.pcap", "chunked.pcap", "pipeline.pcap", "tunnel.pcap"];
    let paths: Vec<PathBuf> = names.iter().map(|n| pcap(n)).collect();
    let mut wire = Vec::new();
    for p in &paths {
        wire.extend(std::fs::read(p).expect("pcap"));
    }
    let hay = String::from_utf8_lossy(&wire);
    for s in SECRETS {
        assert!(hay.contains(s), "the captures do carry {s}");
    }
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let recs = records(&refs, "http-noleak");
    assert!(recs.iter().filter(|r| r["event_type"] == "http").count() >= 40);
    let rec_text = serde_json::to_string(&recs).expect("json");
    let report = serde_json::to_string(&analyze(&refs)).expect("json");
    let dir = scratch("http-noleak-html");
    let html = dir.join("r.html");
    let mut args = vec!["analyze".to_string(), "-f".into(), "html".into(), "-o".into(), html.display().to_string()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    let (code, _, err) = ward(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(html).expect("html");
    for s in SECRETS.iter().chain(&DECODED) {
        for (what, text) in [("records", &rec_text), ("JSON report", &report), ("HTML report", &html), ("stderr", &err)] {
            assert!(!text.contains(s), "{what} repeat {s}");
        }
    }
    // What Ward does say: that Basic credentials and patient data crossed in cleartext.
    let http: Vec<&Value> = recs.iter().filter(|r| r["event_type"] == "http").map(|r| &r["http"]).collect();
    assert_eq!(http.iter().filter(|h| h["basic_auth_present"] == true).count(), 3, "two Authorization: Basic, one Proxy-Authorization: Basic");
    let phi: Vec<&str> = http.iter().flat_map(|h| h["phi_indicators"].as_array().into_iter().flatten().filter_map(Value::as_str)).collect();
    for i in ["fhir:Patient", "fhir:name", "fhir:birthDate", "fhir:subject", "hl7v2:PID", "dicom-file", "dicom:PatientName"] {
        assert!(phi.contains(&i), "indicator {i} missing: {phi:?}");
    }
}
