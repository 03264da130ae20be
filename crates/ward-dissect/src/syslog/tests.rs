//! syslog unit tests. Messages are the real datagrams and TCP streams util-linux logger 2.38
//! sent in tests/pcap/syslog (see its HOWTO.md), stored as the fuzz seeds in
//! fuzz/corpus/syslog, plus annotated ones. Whole-capture agreement with tshark is in
//! crates/ward/tests/peers_syslog.rs.

use super::*;
use crate::harness;
use crate::{Confidence, DissectEventKind, Limits, Record};
use std::path::PathBuf;
use ward_model::{Direction, Transport};

const C2S: Direction = Direction::ToServer;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/syslog")
}

fn seed(name: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join(name)).unwrap_or_else(|e| panic!("seed {name}: {e}"))
}

fn run_on(t: Transport, limits: &Limits, chunks: &[&[u8]]) -> (Vec<SyslogRecord>, Vec<DissectEventKind>) {
    let c: Vec<(Direction, &[u8])> = chunks.iter().map(|b| (C2S, *b)).collect();
    let out = harness::run(&INFO, t, limits, &c);
    let recs = out.records.into_iter().map(|(_, r)| match r {
        Record::Syslog(s) => s,
        other => panic!("unexpected {other:?}"),
    });
    (recs.collect(), out.events.into_iter().map(|e| e.kind).collect())
}

fn udp(d: &[u8]) -> (Vec<SyslogRecord>, Vec<DissectEventKind>) {
    run_on(Transport::Udp, &Limits::default(), &[d])
}

fn tcp(d: &[u8]) -> (Vec<SyslogRecord>, Vec<DissectEventKind>) {
    run_on(Transport::Tcp, &Limits::default(), &[d])
}

fn one(d: &[u8]) -> SyslogRecord {
    let (r, e) = udp(d);
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(r.len(), 1);
    r.into_iter().next().expect("one")
}

/// logger --rfc3164 -t pumpd -p local3.warning: every header field.
#[test]
fn rfc3164_datagram_field_by_field() {
    let r = one(&seed("udp-1.bin"));
    assert_eq!((r.format, r.framing, r.pri, r.facility, r.facility_name, r.severity, r.severity_name), ("rfc3164", "udp", 156, 19, "local3", 4, "warning"));
    assert_eq!((r.timestamp.as_deref(), r.hostname.as_deref(), r.app_name.as_deref(), r.procid.as_deref()), (Some("Nov 23 06:06:44"), Some("infusion-pump-07"), Some("pumpd"), None));
    assert_eq!((r.version, r.msgid.as_deref(), r.message_length, r.credentials_hint), (None, None, "Occlusion alarm cleared on channel B".len() as u32, false));
    let r = one(&seed("udp-5.bin"));
    assert_eq!((r.app_name.as_deref(), r.facility_name, r.severity_name), (Some("dhcpcd"), "daemon", "debug"));
    assert!(r.procid.as_deref().is_some_and(|p| p.parse::<u32>().is_ok()));
}

/// logger --rfc5424 with procid, msgid and two SD elements; the message names a fake patient:
/// the record says how long the message is, never what it says.
#[test]
fn rfc5424_datagram_field_by_field_without_the_message() {
    let r = one(&seed("udp-2.bin"));
    assert_eq!((r.format, r.version, r.facility_name, r.severity_name), ("rfc5424", Some(1), "local3", "error"));
    assert!(r.timestamp.as_deref().is_some_and(|t| t.starts_with("2026-11-23T06:06:44.") && t.ends_with("+00:00")));
    assert_eq!((r.hostname.as_deref(), r.app_name.as_deref(), r.msgid.as_deref()), (Some("infusion-pump-07"), Some("pumpd"), Some("ALARM")));
    assert_eq!(r.sd_ids, ["timeQuality", "alarm@32473"]);
    assert_eq!(r.message_length, "Patient Zebulon Quixotewright: downstream occlusion".len() as u32);
    let j = serde_json::to_string(&r).expect("json");
    for secret in ["Zebulon", "Quixotewright", "OCCL", "tzKnown"] {
        assert!(!j.contains(secret), "record keeps {secret}");
    }
    // NILVALUEs (logger --rfc5424=notq,nohost --msgid -).
    let r = one(&seed("udp-4.bin"));
    assert_eq!((r.hostname.as_deref(), r.procid.as_deref(), r.msgid.as_deref(), r.sd_ids.len()), (None, None, None, 0));
    assert_eq!((r.app_name.as_deref(), r.message_length), (Some("monitor"), "vitals upload complete".len() as u32));
    // logger -p kern.emerg: util-linux logger will not forge the kernel facility and sends
    // user.emerg (PRI 8), as tshark shows too.
    let r = one(&seed("udp-6.bin"));
    assert_eq!((r.pri, r.facility_name, r.severity_name), (8, "user", "emergency"));
}

/// A message with `password=` raises the hint and nothing of the password is kept.
#[test]
fn a_password_in_the_message_is_a_hint_not_a_value() {
    let r = one(&seed("udp-3.bin"));
    assert!(r.credentials_hint);
    assert_eq!((r.facility_name, r.app_name.as_deref()), ("auth", Some("svc-login")));
    assert!(!serde_json::to_string(&r).expect("json").contains("Hunter2"));
    for (t, hint) in [
        (&b"user=x passwd: abc"[..], true),
        (b"PWD=abc", true),
        (b"[auth password=\"x\"]", true),
        (b"Failed password for root from 10.0.0.1", false),
        (b"password changed", false),
        (b"password=", false),
        (b"compass=north", false),
        (b"snmp community: public", true),
    ] {
        assert_eq!(parser::credentials_hint(t), hint, "{}", String::from_utf8_lossy(t));
    }
}

/// RFC 6587 over TCP: LF-framed (non-transparent) and octet-counted streams from logger -T.
#[test]
fn tcp_lines_and_octet_counts() {
    let (r, e) = tcp(&seed("tcp-s0-c2s.bin"));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(r.len(), 2);
    assert!(r.iter().all(|m| m.framing == "non-transparent" && m.format == "rfc5424" && m.app_name.as_deref() == Some("ventd")));
    assert_eq!(r[1].message_length, "Patient Zebulon Quixotewright connected".len() as u32);
    let (r, e) = tcp(&seed("tcp-s1-c2s.bin"));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(r.len(), 2);
    assert!(r.iter().all(|m| m.framing == "octet-counting" && m.msgid.as_deref() == Some("FW")));
    assert_eq!((r[0].credentials_hint, r[1].credentials_hint), (true, false));
    let (r, e) = tcp(&seed("tcp-s2-c2s.bin"));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!((r[0].format, r[0].framing, r[0].severity_name), ("rfc3164", "non-transparent", "alert"));
    let j = serde_json::to_string(&r).expect("json");
    assert!(!j.contains("Quixotewright") && !j.contains("Hunter2"));
}

#[test]
fn tcp_streams_are_split_invariant_and_clean_after_gaps() {
    for name in ["tcp-s0-c2s.bin", "tcp-s1-c2s.bin", "tcp-s2-c2s.bin"] {
        let d = seed(name);
        let c = [(C2S, &d[..])];
        harness::assert_split_invariant(&INFO, &Limits::default(), &c);
        harness::assert_clean_after_gap(&INFO, &Limits::default(), &c);
        harness::assert_truncation_safe(&INFO, Transport::Tcp, &Limits::default(), &c);
    }
    // Both framings on one stream, with blank lines and NULs between messages.
    let mut mixed = seed("tcp-s1-c2s.bin");
    mixed.extend_from_slice(b"\r\n\0");
    mixed.extend_from_slice(&seed("tcp-s0-c2s.bin"));
    let c = [(C2S, &mixed[..])];
    harness::assert_split_invariant(&INFO, &Limits::default(), &c);
    harness::assert_clean_after_gap(&INFO, &Limits::default(), &c);
    assert_eq!(tcp(&mixed).0.len(), 4);
}

/// Every prefix of every real datagram is handled. The harness's UDP rule (a cut datagram
/// yielding a new record must raise Malformed) cannot hold for syslog: RFC 5426 datagrams carry
/// no length, and a message cut inside its MSG is a valid, shorter message. What does hold, and
/// is checked: a cut inside the header fields of a message already recognisable as RFC 5424
/// (past its version, before its structured data) is reported, and a cut inside the MSG
/// changes nothing but the message length (and the hint).
#[test]
fn truncated_datagrams_are_safe() {
    for n in 1..=6 {
        let d = seed(&format!("udp-{n}.bin"));
        let whole = one(&d);
        let msg_at = d.len() - whole.message_length as usize;
        // Where the structured data starts: its first `[`, or the NILVALUE `- ` before the MSG.
        let sd_at = d.iter().position(|c| *c == b'[').unwrap_or(msg_at.saturating_sub(2));
        for cut in 0..d.len() {
            let (r, e) = udp(&d[..cut]);
            let Some(mut got) = r.into_iter().next() else { continue };
            if cut > msg_at {
                got.message_length = whole.message_length;
                got.credentials_hint = whole.credentials_hint;
                assert_eq!(got, whole, "udp-{n} cut at {cut} (inside the MSG)");
            } else if got.format == "rfc5424" && cut < sd_at {
                assert!(e.iter().any(|k| matches!(k, DissectEventKind::Malformed { .. })), "udp-{n} cut at {cut}: {got:?}");
            }
        }
    }
}

#[test]
fn real_world_3164_variants() {
    // No hostname (BusyBox syslogd and many devices): the token after the time is the tag.
    let r = one(b"<30>Feb  5 01:02:03 udhcpc[812]: lease obtained");
    assert_eq!((r.timestamp.as_deref(), r.hostname.as_deref(), r.app_name.as_deref(), r.procid.as_deref()), (Some("Feb  5 01:02:03"), None, Some("udhcpc"), Some("812")));
    // No timestamp at all: tag then message.
    let r = one(b"<13>pump: started");
    assert_eq!((r.timestamp, r.hostname, r.app_name.as_deref(), r.message_length), (None, None, Some("pump"), 7));
    // An RFC 3339 timestamp in a BSD-style message (rsyslog forwarding format).
    let r = one(b"<86>2024-02-29T12:00:00.123+01:00 ris-gw sshd[1]: Accepted publickey\n");
    assert_eq!((r.timestamp.as_deref(), r.hostname.as_deref(), r.app_name.as_deref()), (Some("2024-02-29T12:00:00.123+01:00"), Some("ris-gw"), Some("sshd")));
    assert_eq!(r.message_length, "Accepted publickey".len() as u32, "the trailing LF is not part of the message");
    // Cisco IOS: a sequence number, no recognisable timestamp: only PRI and length.
    let r = one(b"<189>123: *Mar  1 00:00:10.123: %SYS-5-CONFIG_I: Configured");
    assert_eq!((r.format, r.facility_name, r.severity_name, r.app_name), ("rfc3164", "local7", "notice", None));
    // A UTF-8 BOM before an RFC 5424 MSG.
    let r = one(b"<14>1 - - - - - - \xef\xbb\xbfhello");
    assert!(r.bom);
    assert_eq!(r.message_length, 8);
}

#[test]
fn malformed_messages_raise_their_reasons() {
    let (r, e) = udp(b"no pri here");
    assert!(r.is_empty());
    assert_eq!(e, [DissectEventKind::Malformed { reason: "syslog.pri" }]);
    let (r, e) = udp(b"<192>1 - - - - - -");
    assert!(r.is_empty());
    assert_eq!(e, [DissectEventKind::Malformed { reason: "syslog.pri" }]);
    let (r, e) = udp(b"<14>1 2024-01-01T00:00:00Z host");
    assert_eq!((r.len(), e), (1, vec![DissectEventKind::Malformed { reason: "syslog.rfc5424_header" }]));
    let (r, e) = udp(b"<14>1 - host app - - [bad id=\"x\" msg");
    assert_eq!((r.len(), r[0].sd_ids.clone(), e), (1, vec!["bad".to_string()], vec![DissectEventKind::Malformed { reason: "syslog.structured_data" }]));
    let (r, e) = udp(b"<14>1 - host app - - nosd msg");
    assert_eq!((r.len(), e), (1, vec![DissectEventKind::Malformed { reason: "syslog.structured_data" }]));
    // TCP: bytes that start no frame are reported once per run and skipped to the next line.
    let (r, e) = tcp(b"garbage\nmore garbage\n<13>1 - h a - - - ok\n");
    assert_eq!((r.len(), e), (1, vec![DissectEventKind::Malformed { reason: "syslog.framing" }]));
    let (r, e) = tcp(b"12x <13>\n<13>1 - h a - - - ok\n");
    assert_eq!((r.len(), e), (1, vec![DissectEventKind::Malformed { reason: "syslog.framing" }]));
}

#[test]
fn every_limit_raises_its_event() {
    let counted = seed("tcp-s1-c2s.bin");
    let mut l = Limits::default();
    l.syslog.max_message_len = 140; // the first counted message is 147 bytes, the second 133
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &[(C2S, &counted[..])], "syslog.max_message_len");
    let (r, _) = run_on(Transport::Tcp, &l, &[&counted]);
    assert_eq!(r.len(), 1, "the oversize message is skipped, the next one read");
    let lines = seed("tcp-s0-c2s.bin");
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &[(C2S, &lines[..])], "syslog.max_message_len");
    harness::assert_limit_raised(&INFO, Transport::Udp, &l, &[(C2S, &seed("udp-2.bin")[..])], "syslog.max_message_len");
    let mut l = Limits::default();
    l.syslog.max_sd_elements = 1;
    harness::assert_limit_raised(&INFO, Transport::Udp, &l, &[(C2S, &seed("udp-2.bin")[..])], "syslog.max_sd_elements");
    let (r, _) = run_on(Transport::Udp, &l, &[&seed("udp-2.bin")]);
    assert_eq!(r[0].sd_ids, ["timeQuality"]);
    let mut l = Limits::default();
    l.syslog.max_scan = 10;
    harness::assert_limit_raised(&INFO, Transport::Udp, &l, &[(C2S, &seed("udp-3.bin")[..])], "syslog.max_scan");
    let (r, _) = run_on(Transport::Udp, &l, &[&seed("udp-3.bin")]);
    assert!(!r[0].credentials_hint, "the password is beyond the scanned prefix");
    let mut l = Limits::default();
    l.syslog.max_text = 8;
    let (r, _) = run_on(Transport::Udp, &l, &[&seed("udp-1.bin")]);
    assert_eq!(r[0].hostname.as_deref(), Some("infusion"));
}

#[test]
fn probe_knows_syslog_on_any_port() {
    let p = |t, b: &[u8]| (INFO.probe)(t, C2S, b);
    for n in 1..=6 {
        assert_eq!(p(Transport::Udp, &seed(&format!("udp-{n}.bin"))), Confidence::High);
    }
    for s in ["tcp-s0-c2s.bin", "tcp-s1-c2s.bin", "tcp-s2-c2s.bin"] {
        assert_eq!(p(Transport::Tcp, &seed(s)), Confidence::High);
    }
    assert_eq!(p(Transport::Tcp, b"147"), Confidence::NeedMore);
    assert_eq!(p(Transport::Tcp, b"147 <16"), Confidence::NeedMore);
    assert_eq!(p(Transport::Tcp, b"<1"), Confidence::NeedMore);
    assert_eq!(p(Transport::Udp, b"<1"), Confidence::No);
    assert_eq!(p(Transport::Udp, b"<200>1 x"), Confidence::No);
    assert_eq!(p(Transport::Udp, b"<13> x"), Confidence::No);
    assert_eq!(p(Transport::Tcp, b"GET / HTTP/1.1\r\n"), Confidence::No);
    assert_eq!(p(Transport::Tcp, b"<?xml version"), Confidence::No);
    assert_eq!(p(Transport::Udp, b"\x30\x29\x02\x01\x01\x04\x06public"), Confidence::No);
}

/// Every seed of fuzz/corpus/syslog holds the fuzz properties.
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
    fn arbitrary_bytes_after_a_real_header_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300), cut in 0usize..120) {
        let mut m = seed("udp-2.bin");
        m.truncate(cut + 4);
        m.extend_from_slice(&tail);
        fuzz(&m);
    }
}
