//! HTTP unit tests. Transcripts are the real byte streams of the captures in tests/pcap/http
//! (curl, Python's http.server, BusyBox httpd, the FHIR/chunked/proxy/WebSocket demo servers;
//! see its HOWTO.md) and of three suricata-verify cases, stored as the fuzz seeds in
//! fuzz/corpus/http; the rest are annotated messages. Whole-capture agreement with tshark and
//! Suricata is in crates/ward/tests/peers_http.rs.

use super::*;
use crate::harness;
use crate::{Confidence, DissectEventKind, Limits, Record};
use std::path::PathBuf;
use ward_model::{Direction, Transport};

const C2S: Direction = Direction::ToServer;
const S2C: Direction = Direction::ToClient;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/http")
}

fn seed(name: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join(name)).unwrap_or_else(|e| panic!("seed {name}: {e}"))
}

/// Client bytes then server bytes of stream `s` of a capture's seeds.
fn stream(prefix: &str) -> Vec<(Direction, Vec<u8>)> {
    let mut v = vec![(C2S, seed(&format!("{prefix}-c2s.bin")))];
    if corpus_dir().join(format!("{prefix}-s2c.bin")).exists() {
        v.push((S2C, seed(&format!("{prefix}-s2c.bin"))));
    }
    v
}

fn chunks(v: &[(Direction, Vec<u8>)]) -> Vec<(Direction, &[u8])> {
    v.iter().map(|(d, b)| (*d, &b[..])).collect()
}

fn run_with(limits: &Limits, v: &[(Direction, Vec<u8>)]) -> (Vec<HttpRecord>, Vec<DissectEventKind>) {
    let out = harness::run(&INFO, Transport::Tcp, limits, &chunks(v));
    let recs = out.records.into_iter().map(|(_, r)| match r {
        Record::Http(h) => h,
        other => panic!("unexpected {other:?}"),
    });
    (recs.collect(), out.events.into_iter().map(|e| e.kind).collect())
}

fn run(v: &[(Direction, Vec<u8>)]) -> (Vec<HttpRecord>, Vec<DissectEventKind>) {
    run_with(&Limits::default(), v)
}

fn bytes(d: Direction, s: &[u8]) -> (Direction, Vec<u8>) {
    (d, s.to_vec())
}

fn json(r: &[HttpRecord]) -> String {
    serde_json::to_string(r).expect("json")
}

fn malformed(reason: &'static str) -> DissectEventKind {
    DissectEventKind::Malformed { reason }
}

fn peer(reason: &'static str) -> DissectEventKind {
    DissectEventKind::PeerMisbehaving { reason }
}

/// Every request and response field of a curl GET with Basic credentials, a cookie header
/// and a query naming a (fake) MRN against Python's http.server; nothing secret is kept.
#[test]
fn basic_auth_get_and_response_field_by_field_without_secrets() {
    let (r, e) = run(&stream("basic-auth-s0"));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(r.len(), 2);
    let q = &r[0];
    assert_eq!((q.kind, q.tx_id, q.method.as_deref(), q.version.as_str()), ("request", 0, Some("GET"), "HTTP/1.1"));
    assert_eq!((q.host.as_deref(), q.port, q.path.as_deref(), q.target_form), (Some("127.0.0.1"), Some(8080), Some("/index.html"), Some("origin")));
    assert_eq!((q.query_present, q.query_params), (Some(true), Some(2)));
    assert_eq!(q.user_agent.as_deref(), Some("WardTestClient/1.0 (curl)"));
    assert_eq!((q.authorization_scheme, q.basic_auth_present, q.cookies), (Some("basic"), true, Some(2)));
    assert_eq!((q.headers, q.body_length), (5, 0));
    let p = &r[1];
    assert_eq!((p.kind, p.tx_id, p.status, p.reason.as_deref(), p.version.as_str()), ("response", 0, Some(200), Some("OK"), "HTTP/1.0"));
    assert_eq!((p.server.as_deref(), p.content_type.as_deref()), (Some("SimpleHTTP/0.6 Python/3.11.2"), Some("text/html")));
    assert_eq!((p.content_length, p.body_length, p.request_method.as_deref()), (Some(116), 116, Some("GET")));
    assert!(p.phi_indicators.is_empty() && p.clinical_content.is_none());
    let j = json(&r);
    for secret in ["d2FyZDpMZWFrQ2FuYXJ5UHctNzczMQ", "LeakCanaryPw", "SecretCookieVal", "MRN-0042", "dark", "icu"] {
        assert!(!j.contains(secret), "records keep {secret}: {j}");
    }
}

/// BusyBox httpd's 401 names its challenge scheme and has no length: its body ends at close.
#[test]
fn a_challenge_and_a_close_delimited_body() {
    let (r, e) = run(&stream("basic-auth-s1"));
    assert!(e.is_empty(), "{e:?}");
    let p = &r[1];
    assert_eq!((p.status, p.auth_challenges.as_slice(), p.content_length), (Some(401), &["basic"][..], None));
    assert_eq!(p.body_length, 99);
    assert!(p.server.is_none() && !p.truncated);
}

/// Four pipelined requests written at once (GET, HEAD, conditional GET, GET of a missing
/// file) and their responses in order: the HEAD response and the 304 have no body although
/// the first declares a length, so the 304 and 404 that follow are read as responses.
#[test]
fn pipelined_requests_match_their_responses_in_order() {
    let (r, e) = run(&stream("pipeline-s0"));
    assert!(e.is_empty(), "{e:?}");
    let req: Vec<_> = r.iter().filter(|m| m.kind == "request").map(|m| (m.tx_id, m.method.as_deref().unwrap_or(""))).collect();
    assert_eq!(req, [(0, "GET"), (1, "HEAD"), (2, "GET"), (3, "GET")]);
    let resp: Vec<_> = r.iter().filter(|m| m.kind == "response").map(|m| (m.tx_id, m.status.unwrap_or(0), m.request_method.as_deref().unwrap_or(""), m.body_length)).collect();
    assert_eq!(resp, [(0, 200, "GET", 116), (1, 200, "HEAD", 0), (2, 304, "GET", 0), (3, 404, "GET", 335)]);
    assert_eq!(r[2].query_params, Some(2));
    assert_eq!(r.iter().find(|m| m.status == Some(404)).and_then(|m| m.content_type.as_deref()), Some("text/html"));
    assert!(!json(&r).contains("MRN-0042"));
}

/// curl offers h2c (`Upgrade: h2c`); Python's server ignores it and answers in HTTP/1.1, so
/// parsing goes on.
#[test]
fn a_refused_h2c_upgrade_keeps_http1() {
    let (r, e) = run(&stream("pipeline-s1"));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].upgrade.as_deref(), Some("h2c"));
    assert_eq!((r[1].status, r[1].body_length), (Some(200), 116));
}

/// A FHIR server session on one connection: metadata (no patient), a Patient read with a
/// Bearer token, a search whose query names the patient, and a POST of a Patient after
/// `100 Continue`. Indicators are names; the fake patient's values never appear.
#[test]
fn fhir_json_patient_bundle_and_post_give_indicators_not_values() {
    let (r, e) = run(&stream("fhir-s0"));
    assert!(e.is_empty(), "{e:?}");
    let kinds: Vec<_> = r.iter().map(|m| (m.kind, m.tx_id, m.status)).collect();
    assert_eq!(
        kinds,
        [("request", 0, None), ("request", 1, None), ("request", 2, None), ("request", 3, None), ("response", 0, Some(200)), ("response", 1, Some(200)), ("response", 2, Some(200)), ("response", 3, Some(100)), ("response", 3, Some(201))]
    );
    let meta = &r[4];
    assert_eq!((meta.clinical_content, meta.fhir_resources.as_slice()), (Some("application/fhir+json"), &["CapabilityStatement"][..]));
    assert!(meta.phi_indicators.is_empty());
    assert_eq!(meta.x_powered_by.as_deref(), Some("WardDemoFHIR/0.1 (FHIR 4.0.1)"));
    assert_eq!(r[1].authorization_scheme, Some("bearer"));
    assert!(!r[1].basic_auth_present);
    assert_eq!(r[1].path.as_deref(), Some("/fhir/Patient/{id}"), "the patient id in the path is not kept");
    let pat = &r[5];
    assert_eq!(pat.phi_indicators, ["fhir:Patient", "fhir:identifier", "fhir:name", "fhir:telecom", "fhir:birthDate"]);
    assert_eq!(pat.body_scanned, pat.body_length);
    let bundle = &r[6];
    assert_eq!(bundle.phi_indicators, ["fhir:subject"]);
    assert_eq!(bundle.fhir_resources, ["Observation", "Bundle"]);
    assert_eq!((r[2].path.as_deref(), r[2].query_params), (Some("/fhir/Observation"), Some(2)));
    let post = &r[3];
    assert!(post.expect_continue);
    assert_eq!((post.method.as_deref(), post.clinical_content), (Some("POST"), Some("application/fhir+json")));
    assert_eq!(post.phi_indicators, ["fhir:Patient", "fhir:identifier", "fhir:name", "fhir:address", "fhir:birthDate"]);
    assert_eq!(r[8].location_host.as_deref(), Some("127.0.0.1"));
    assert!(r.iter().all(|m| m.carries_phi() == (m.body_length > 0 && m.clinical_content.is_some())));
    let j = json(&r);
    for secret in ["Quixotewright", "Zebulon", "1931-07-14", "MRN-0042", "555-0142", "LeakBearerTok", "pat-1001", "Nowhere"] {
        assert!(!j.contains(secret), "records keep {secret}");
    }
}

/// Chunked responses (with a chunk extension and a trailer) are de-chunked before the scan:
/// FHIR XML, HL7 v2 with a PID, and a DICOMweb multipart body holding a DICOM file.
#[test]
fn chunked_fhir_xml_hl7_and_dicomweb_bodies_are_scanned() {
    let (r, e) = run(&stream("chunked-s0"));
    assert!(e.is_empty(), "{e:?}");
    let resp: Vec<&HttpRecord> = r.iter().filter(|m| m.kind == "response").collect();
    assert_eq!(resp.len(), 3);
    let xml = resp[0];
    assert_eq!((xml.transfer_encoding.as_deref(), xml.content_length, xml.body_length), (Some("chunked"), None, 330));
    assert_eq!((xml.clinical_content, xml.fhir_resources.as_slice()), (Some("application/fhir+xml"), &["Patient"][..]));
    assert_eq!(xml.phi_indicators, ["fhir:Patient", "fhir:identifier", "fhir:name", "fhir:birthDate"]);
    let hl7 = resp[1];
    assert_eq!((hl7.clinical_content, hl7.body_length), (Some("x-application/hl7-v2+er7"), 192));
    assert_eq!(hl7.phi_indicators, ["hl7v2:message", "hl7v2:PID"]);
    let dcm = resp[2];
    assert_eq!((dcm.content_type.as_deref(), dcm.clinical_content), (Some("multipart/related"), Some("multipart/related; type=application/dicom")));
    assert_eq!(dcm.phi_indicators, ["dicom-file", "dicom:PatientName", "dicom:PatientID", "dicom:PatientBirthDate"]);
    let j = json(&r);
    for secret in ["Marchbanks", "Ysolde", "MRN-7781", "1944", "Quixotewright", "19310714"] {
        assert!(!j.contains(secret), "records keep {secret}");
    }
}

/// suricata-verify http-connect-simple: CONNECT, 200, then plain HTTP inside the tunnel,
/// which Suricata parses as a new transaction, and so does Ward.
#[test]
fn http_inside_a_connect_tunnel_is_read() {
    let (r, e) = run(&stream("sv-http-connect-simple-s0"));
    assert_eq!(e, [peer("http.missing_host"), peer("http.missing_host")], "neither request sends Host");
    let got: Vec<_> = r.iter().map(|m| (m.kind, m.method.as_deref().or(m.request_method.as_deref()), m.status)).collect();
    assert_eq!(got, [("request", Some("CONNECT"), None), ("request", Some("GET"), None), ("response", Some("CONNECT"), Some(200)), ("response", Some("GET"), Some(200))]);
    assert_eq!((r[0].target_form, r[0].host.as_deref(), r[0].port, r[0].path.as_deref()), (Some("authority"), Some("abc"), Some(443), None));
    assert_eq!((r[2].server.as_deref(), r[3].body_length), (Some("VictorServer/1.0"), 0));
}

/// Through the demo proxy: a 407 challenge without credentials, then CONNECT with Basic proxy
/// credentials and a GET inside the tunnel. Then a WebSocket upgrade: after the 101 the
/// frames are not HTTP and are silently left alone.
#[test]
fn connect_with_proxy_credentials_and_a_websocket_upgrade() {
    let (r, e) = run(&stream("tunnel-s0"));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!((r[1].status, r[1].auth_challenges.as_slice()), (Some(407), &["basic"][..]));
    let (r, e) = run(&stream("tunnel-s1"));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(r.len(), 4);
    assert_eq!((r[0].method.as_deref(), r[0].proxy_authorization_scheme, r[0].basic_auth_present), (Some("CONNECT"), Some("basic"), true));
    assert_eq!((r[1].method.as_deref(), r[1].path.as_deref()), (Some("GET"), Some("/index.html")));
    assert_eq!((r[2].status, r[2].reason.as_deref(), r[3].body_length), (Some(200), Some("Connection established"), 116));
    assert!(!json(&r).contains("ProxyPw") && !json(&r).contains("cHJveHl1c2Vy"));
    let (r, e) = run(&stream("tunnel-s3"));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(r.len(), 2);
    assert_eq!((r[0].upgrade.as_deref(), r[1].status, r[1].upgrade.as_deref()), (Some("websocket"), Some(101), Some("websocket")));
    // A CONNECT tunnel carrying TLS is not HTTP: no event, no record after the 200.
    let (r, e) = run(&[
        bytes(C2S, b"CONNECT pacs.example:443 HTTP/1.1\r\nHost: pacs.example:443\r\n\r\n\x16\x03\x01\x00\x05hello"),
        bytes(S2C, b"HTTP/1.1 200 OK\r\n\r\n\x16\x03\x03\x00\x02hi"),
    ]);
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(r.len(), 2);
}

/// suricata-verify http-auth-bearer: Bearer is a recognised scheme (Suricata raises no
/// "unrecognized authorization method"), the token is not kept. The response ends its lines
/// with bare LFs (tolerated, RFC 9112 §2.2) and its one-byte body (a third LF) ends at close.
#[test]
fn bearer_is_recognised_and_its_token_not_kept() {
    let (r, e) = run(&stream("sv-http-auth-bearer-s0"));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!((r[0].authorization_scheme, r[0].host.as_deref()), (Some("bearer"), Some("www.example.com")));
    assert!(!json(&r).contains("mF_9"));
    assert_eq!((r[1].status, r[1].body_length), (Some(200), 1));
}

/// suricata-verify http-chunked: a HEAD with `Content-Length: 0` and `Transfer-Encoding:
/// ,\tchunked,` (chunked is the final coding): both framings, the request-smuggling shape.
#[test]
fn te_and_cl_together_are_reported() {
    let (r, e) = run(&stream("sv-http-chunked-s0"));
    assert_eq!(e, [peer("http.te_and_cl")]);
    let q = &r[0];
    assert_eq!((q.method.as_deref(), q.host.as_deref(), q.cookies), (Some("HEAD"), Some("localhost"), Some(1)));
    assert_eq!((q.content_length, q.transfer_encoding.as_deref()), (Some(0), Some(", chunked,")));
    assert!(q.user_agent.as_deref().is_some_and(|u| u.starts_with("Mozilla/5.0 (Windows NT 10.0")));
    assert!(q.truncated, "the chunked body never came");
    assert!(!json(&r).contains("13333333"));
}

#[test]
fn every_real_stream_is_split_invariant_and_clean_after_gaps() {
    for prefix in ["basic-auth-s0", "basic-auth-s1", "basic-auth-s2", "pipeline-s0", "pipeline-s1", "fhir-s0", "chunked-s0", "tunnel-s0", "tunnel-s1", "tunnel-s3", "sv-http-connect-simple-s0", "sv-http-auth-bearer-s0", "sv-http-chunked-s0"] {
        let s = stream(prefix);
        let c = chunks(&s);
        let t = std::panic::catch_unwind(|| {
            harness::assert_split_invariant(&INFO, &Limits::default(), &c);
            harness::assert_clean_after_gap(&INFO, &Limits::default(), &c);
            harness::assert_truncation_safe(&INFO, Transport::Tcp, &Limits::default(), &c);
        });
        assert!(t.is_ok(), "{prefix} failed the harness");
    }
}

/// Interleaved as on the wire (request headers, 100 Continue, request body, final response):
/// split invariant too, and the interim response is numbered with its request.
#[test]
fn expect_100_continue_interleaved() {
    let body = br#"{"resourceType":"Patient","name":[{"family":"Doe"}]}"#;
    let head = format!("POST /fhir/Patient HTTP/1.1\r\nHost: fhir\r\nContent-Type: application/fhir+json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n", body.len());
    let s = [
        bytes(C2S, head.as_bytes()),
        bytes(S2C, b"HTTP/1.1 100 Continue\r\n\r\n"),
        bytes(C2S, body),
        bytes(S2C, b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
    ];
    let (r, e) = run(&s);
    assert!(e.is_empty(), "{e:?}");
    let got: Vec<_> = r.iter().map(|m| (m.kind, m.tx_id, m.status)).collect();
    assert_eq!(got, [("response", 0, Some(100)), ("request", 0, None), ("response", 0, Some(201))]);
    assert_eq!(r[1].phi_indicators, ["fhir:Patient", "fhir:name"]);
    harness::assert_split_invariant(&INFO, &Limits::default(), &chunks(&s));
    harness::assert_clean_after_gap(&INFO, &Limits::default(), &chunks(&s));
}

/// A gap inside a body of known length loses that message's record only; a gap in a header
/// section stops the direction with LostSync, and responses beyond it are not guessed at.
#[test]
fn gaps_in_bodies_skip_one_message_gaps_in_headers_stop() {
    let s = stream("pipeline-s0");
    let resp = &s[1].1;
    let info = &INFO;
    let mut d = crate::StreamDriver::new(info, Transport::Tcp, &Limits::default());
    let mut out = crate::Output::default();
    d.feed(C2S, &s[0].1, &mut out);
    let body_at = resp.windows(4).position(|w| w == b"\r\n\r\n").expect("end of headers") + 4;
    d.feed(S2C, &resp[..body_at + 10], &mut out);
    d.gap(S2C, 20, &mut out);
    d.feed(S2C, &resp[body_at + 30..], &mut out);
    let statuses: Vec<_> = out.records.iter().filter_map(|(_, r)| if let Record::Http(h) = r { h.status } else { None }).collect();
    assert_eq!(statuses, [200, 304, 404], "the first response is lost, the rest are read");
    assert!(out.events.is_empty(), "{:?}", out.events);
    let mut d = crate::StreamDriver::new(info, Transport::Tcp, &Limits::default());
    let mut out = crate::Output::default();
    d.feed(C2S, &s[0].1[..50], &mut out);
    d.gap(C2S, 10, &mut out);
    d.feed(C2S, &s[0].1[60..], &mut out);
    d.feed(S2C, resp, &mut out);
    assert!(out.events.iter().any(|e| e.kind == DissectEventKind::LostSync));
    assert!(out.records.is_empty(), "no request and no unmatched response: {:?}", out.records);
}

/// Client bytes, server bytes, the events expected, the number of records expected.
type Case<'a> = (&'a [u8], &'a [u8], &'a [DissectEventKind], usize);

#[test]
fn malformed_messages_raise_their_reasons() {
    let cases: &[Case<'_>] = &[
        (b"GET /a b HTTP/1.1\r\n\r\n", b"", &[malformed("http.request_line")], 0),
        (b"GET / HTTP/2.0\r\n\r\n", b"", &[malformed("http.version")], 0),
        (b"GET / HTTP/1.1\r\nHost: a\r\nno colon here\r\nBad Name: x\r\n\r\n", b"", &[malformed("http.header"), malformed("http.header")], 1),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n", b"", &[malformed("http.obs_fold")], 1),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello", b"", &[malformed("http.content_length")], 1),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nxx", b"", &[malformed("http.transfer_encoding")], 1),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", b"", &[malformed("http.chunk_size")], 0),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n", b"", &[malformed("http.chunk_end")], 0),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", b"", &[peer("http.duplicate_host")], 1),
        (b"GET / HTTP/1.1\r\n\r\n", b"", &[peer("http.missing_host")], 1),
        (b"GET index.html HTTP/1.0\r\n\r\n", b"", &[malformed("http.request_target")], 1),
        (b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.1 2000 OK\r\n\r\n", &[malformed("http.status_line")], 1),
        (b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.0 204 No Content\r\n\r\nHTTP/1.0 204 No Content\r\n\r\n", &[peer("http.response_without_request")], 3),
    ];
    for (c, s, want, n) in cases {
        let mut v = vec![bytes(C2S, c)];
        if !s.is_empty() {
            v.push(bytes(S2C, s));
        }
        let (r, e) = run(&v);
        assert_eq!(&e[..], *want, "{}", String::from_utf8_lossy(c));
        assert_eq!(r.len(), *n, "{}: {r:?}", String::from_utf8_lossy(c));
    }
}

#[test]
fn absolute_form_userinfo_location_and_path_redaction() {
    let (r, e) = run(&[
        bytes(C2S, b"GET http://nurse:Pw123@Proxy.Example:3128/fhir/patients/P-77/Observation?x=1#frag HTTP/1.1\r\nHost: other\r\n\r\n"),
        bytes(S2C, b"HTTP/1.1 302 Found\r\nLocation: https://user:pw@[fd00::5]:8443/login\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n"),
    ]);
    assert!(e.is_empty(), "{e:?}");
    let q = &r[0];
    assert_eq!((q.target_form, q.host.as_deref(), q.port, q.url_userinfo_present), (Some("absolute"), Some("proxy.example"), Some(3128), true));
    assert_eq!((q.path.as_deref(), q.query_params), (Some("/fhir/patients/{id}/Observation"), Some(1)));
    assert_eq!((r[1].location_host.as_deref(), r[1].set_cookies), (Some("fd00::5"), Some(2)));
    let j = json(&r);
    assert!(!j.contains("Pw123") && !j.contains("nurse") && !j.contains("P-77") && !j.contains("frag"));
    assert_eq!(parser::safe_path(b"/Patient/$everything", 64), "/Patient/$everything");
    assert_eq!(parser::safe_path(b"/Patient/7/_history/2", 64), "/Patient/{id}/_history/2");
}

#[test]
fn authorization_schemes_come_from_a_fixed_list() {
    for (v, s) in [(&b"Basic abc"[..], "basic"), (b"NTLM TlRMTVNTUAAB", "ntlm"), (b"Digest username=\"x\"", "digest"), (b"Negotiate YII", "negotiate"), (b"s3cr3t-token-without-scheme", "other"), (b"", "other")] {
        assert_eq!(parser::auth_scheme(v), s);
    }
    let mut c = Vec::new();
    parser::challenge_schemes(b"Digest realm=\"a, b\", nonce=\"x\", Basic realm=\"r\", Foo", &mut c);
    assert_eq!(c, ["digest", "basic"]);
}

#[test]
fn close_delimited_and_truncated_bodies() {
    let (r, _) = run(&[bytes(C2S, b"GET / HTTP/1.0\r\n\r\n"), bytes(S2C, b"HTTP/1.0 200 OK\r\nContent-Type: application/hl7-v2\r\n\r\nMSH|^~\\&|A\rPID|1||X\r")]);
    assert_eq!((r[1].body_length, r[1].truncated, r[1].clinical_content), (20, false, Some("application/hl7-v2")));
    assert_eq!(r[1].phi_indicators, ["hl7v2:message", "hl7v2:PID"]);
    let (r, _) = run(&[bytes(C2S, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"), bytes(S2C, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")]);
    assert_eq!((r[1].body_length, r[1].truncated), (5, true));
    let (r, _) = run(&[bytes(C2S, b"GET / HTTP/1.1\r\nHost: a\r\nUser-Ag")]);
    assert!(r[0].truncated && r[0].user_agent.is_none());
}

#[test]
fn encoded_and_unreadable_bodies_are_not_scanned() {
    let (r, _) = run(&[
        bytes(C2S, b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        bytes(S2C, b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nabcdeHTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 2\r\n\r\nab"),
    ]);
    assert_eq!((r[3].content_encoding.as_deref(), r[3].body_scanned, r[3].body_length), (Some("gzip"), 0, 5));
    assert_eq!((r[4].body_scanned, r[4].body_length), (0, 3));
    assert_eq!((r[5].body_scanned, r[5].body_length), (2, 2), "generic bytes may be a DICOM file");
    // HTML is not scanned: the basic-auth capture's page.
    let (r, _) = run(&stream("basic-auth-s0"));
    assert_eq!((r[1].body_scanned, r[1].body_length), (0, 116));
}

#[test]
fn every_limit_raises_its_event() {
    let fhir = stream("fhir-s0");
    let c = chunks(&fhir);
    let mut l = Limits::default();
    l.http.max_header_bytes = 100;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &c, "http.max_header_bytes");
    let mut l = Limits::default();
    l.http.max_headers = 2;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &c, "http.max_headers");
    // Past the header limit the framing headers still count: every body is still found.
    let (r, _) = run_with(&l, &fhir);
    assert_eq!(r.len(), 9);
    assert!(r[5].server.is_some() && r[5].x_powered_by.is_none());
    let mut l = Limits::default();
    l.http.max_body_scan = 64;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &c, "http.max_body_scan");
    let (r, _) = run_with(&l, &fhir);
    assert_eq!((r[5].body_scanned, r[5].body_length > 64), (64, true));
    let mut l = Limits::default();
    l.http.max_outstanding = 2;
    let pipe = stream("pipeline-s0");
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &chunks(&pipe), "http.max_outstanding");
    let mut l = Limits::default();
    l.http.max_scan_depth = 2;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &c, "http.max_scan_depth");
    let mut l = Limits::default();
    l.http.max_text = 4;
    let (r, _) = run_with(&l, &fhir);
    assert_eq!(r[0].user_agent.as_deref(), Some("Ward"));
    // A header section without end is abandoned at the limit, not buffered.
    let mut l = Limits::default();
    l.http.max_header_bytes = 1000;
    let endless = [bytes(C2S, &b"GET / HTTP/1.1\r\nX: ".iter().copied().chain(std::iter::repeat_n(b'a', 5000)).collect::<Vec<u8>>())];
    let (r, e) = run_with(&l, &endless);
    assert!(r.is_empty());
    assert!(e.contains(&DissectEventKind::LimitExceeded { limit: "http.max_header_bytes", value: 1000 }), "{e:?}");
}

#[test]
fn probe_knows_request_lines_on_any_port_and_status_lines_weakly() {
    let p = |d, b: &[u8]| (INFO.probe)(Transport::Tcp, d, b);
    assert_eq!(p(C2S, b"GET /index.html HTTP/1.1\r\nHost: x\r\n"), Confidence::High);
    assert_eq!(p(C2S, b"PROPFIND /dav HTTP/1.1\r\n"), Confidence::High);
    assert_eq!(p(C2S, b"GE"), Confidence::NeedMore);
    assert_eq!(p(C2S, b"GET /index.ht"), Confidence::NeedMore);
    assert_eq!(p(C2S, b"GET /index.html HT"), Confidence::NeedMore);
    assert_eq!(p(C2S, b"GET /index.html\r\n"), Confidence::No, "HTTP/0.9");
    assert_eq!(p(C2S, b"FETCH / HTTP/1.1\r\n"), Confidence::No, "unknown method");
    assert_eq!(p(C2S, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Confidence::No);
    assert_eq!(p(C2S, b"\x16\x03\x01\x02\x00"), Confidence::No);
    assert_eq!(p(C2S, b"MSH|^~\\&|"), Confidence::No);
    assert_eq!(p(S2C, b"HTTP/1.1 200 OK\r\n"), Confidence::Low);
    assert_eq!(p(S2C, b"HTTP"), Confidence::NeedMore);
    assert_eq!(p(S2C, b"SSH-2.0-OpenSSH"), Confidence::No);
}

/// Every seed of fuzz/corpus/http (real streams, truncated and corrupted variants, regressions)
/// holds the fuzz properties.
#[test]
fn corpus_seeds_hold_the_fuzz_properties() {
    let mut n = 0;
    for e in std::fs::read_dir(corpus_dir()).expect("corpus").flatten() {
        fuzz(&std::fs::read(e.path()).expect("seed"));
        n += 1;
    }
    assert!(n >= 8, "only {n} seeds");
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        fuzz(&data);
    }

    #[test]
    fn arbitrary_bytes_after_real_headers_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400), cut in 0usize..200) {
        let mut m = seed("chunked-s0-s2c.bin");
        m.truncate(cut + 150);
        m.extend_from_slice(&tail);
        fuzz(&m);
    }
}

/// Regression (found by the http fuzzer): a header value whose lowercase form is longer than
/// itself (or a Transfer-Encoding joined from several headers) exceeded `max_text`.
#[test]
fn regression_lowercased_and_joined_values_stay_bounded() {
    fuzz(&seed("regression-lowercase-lengthens-text.bin"));
    let mut l = Limits::default();
    l.http.max_text = 6;
    let (r, _) = run_with(&l, &[bytes(C2S, "GET / HTTP/1.1\r\nHost: \u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".as_bytes())]);
    assert_eq!(r[0].host.as_ref().map(|h| h.chars().count()), Some(6));
    assert_eq!(r[0].transfer_encoding.as_deref(), Some("gzip, "));
}
