//! DNS unit tests: annotated bytes, real messages from suricata-verify (MIT) with Suricata's and
//! tshark's values, TCP framing through the compliance harness, damage, limits, arbitrary input.
//! Whole-capture agreement with Suricata and tshark is in crates/ward/tests/peers_dns.rs.

use super::*;
use crate::harness;
use crate::{DissectEventKind, Limits, Record};
use ward_model::{Direction, Transport};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

/// suricata-verify dns/dns-udp-eve-txt/input.pcap frame 3: A query for
/// textsecure-service-ca.whispersystems.org, id 0x99cc (39372).
const TXT_PCAP_FRAME3: &str = "99cc0100000100000000000015746578747365637572652d736572766963652d63610e7768697370657273797374656d73036f72670000010001";
/// Frame 4: the response, one A record 34.197.178.240, TTL 5 (Suricata expects flags "8180").
const TXT_PCAP_FRAME4: &str = "99cc8180000100010000000015746578747365637572652d736572766963652d63610e7768697370657273797374656d73036f72670000010001c00c0001000100000005000422c5b2f0";
/// Frame 2: TXT response for google.com, "v=spf1 include:_spf.google.com ~all", TTL 3217, with OPT.
const TXT_PCAP_FRAME2: &str = "6e538180000100010000000106676f6f676c6503636f6d0000100001c00c0010000100000c91002423763d7370663120696e636c7564653a5f7370662e676f6f676c652e636f6d207e616c6c0000291000000000000000";
/// dns/dns-tcp-www-google-com/dns.pcap frame 4: TCP payload (length-prefixed) of the query.
const TCP_QUERY: &str = "00375f78012000010000000000010377777706676f6f676c6503636f6d0000010001000029100000000000000c000a00085a760730fb2b37d5";
/// Frame 6: the response, 12 A records (tshark: dns.a 216.197.242.244 first).
const TCP_RESPONSE: &str = "00eb5f7881800001000c000000010377777706676f6f676c6503636f6d0000010001c00c00010001000000080004d8c5f2f4c00c00010001000000080004d8c5f2e0c00c00010001000000080004d8c5f2eec00c00010001000000080004d8c5f2d2c00c00010001000000080004d8c5f2e6c00c00010001000000080004d8c5f2dfc00c00010001000000080004d8c5f2f5c00c00010001000000080004d8c5f2e7c00c00010001000000080004d8c5f2fbc00c00010001000000080004d8c5f2edc00c00010001000000080004d8c5f2d9c00c00010001000000080004d8c5f2d80000290200000000000000";

fn udp(data: &[u8], limits: &Limits) -> (Vec<DnsRecord>, Vec<DissectEventKind>) {
    let out = harness::run(&INFO, Transport::Udp, limits, &[(Direction::ToServer, data)]);
    let recs = out.records.into_iter().map(|(_, r)| match r {
        Record::Dns(d) => d,
        other => panic!("unexpected {other:?}"),
    });
    (recs.collect(), out.events.into_iter().map(|e| e.kind).collect())
}

#[test]
fn annotated_query_and_response_with_compression() {
    let query = [
        0x12, 0x34, // ID
        0x01, 0x00, // flags: RD
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // QD 1, AN 0, NS 0, AR 0
        3, b'p', b'a', b'c', 4, b'w', b'a', b'r', b'd', 0, // QNAME pac.ward
        0x00, 0x01, 0x00, 0x01, // QTYPE A, QCLASS IN
    ];
    let (r, e) = udp(&query, &Limits::default());
    assert!(e.is_empty());
    assert_eq!((r[0].kind, r[0].id, r[0].flags.as_str(), r[0].rd), ("request", 0x1234, "100", true));
    assert_eq!((r[0].queries[0].rrname.as_str(), r[0].queries[0].rrtype.as_str()), ("pac.ward", "A"));

    let mut resp = query.to_vec();
    resp[2] = 0x81; // QR, RD
    resp[3] = 0x80; // RA
    resp[7] = 2; // AN 2
    resp.extend_from_slice(&[
        0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 60, 0, 5, // pac.ward CNAME, TTL 60, RDLENGTH 5
        2, b'p', b'x', 0xc0, 0x10, // "px" + pointer to "ward" at offset 16
        0xc0, 0x26, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60, 0, 4, // px.ward A (name by pointer to 38)
        10, 77, 0, 9, // 10.77.0.9
    ]);
    let (r, e) = udp(&resp, &Limits::default());
    assert!(e.is_empty(), "{e:?}");
    let a = &r[0].answers;
    assert_eq!((a[0].rrtype.as_str(), a[0].rdata.as_deref()), ("CNAME", Some("px.ward")));
    assert_eq!((a[1].rrname.as_str(), a[1].rdata.as_deref(), a[1].ttl), ("px.ward", Some("10.77.0.9"), 60));
    assert_eq!(r[0].rcode, "NOERROR");
}

#[test]
fn real_a_response_agrees_with_suricata_and_tshark() {
    let (q, _) = udp(&hex(TXT_PCAP_FRAME3), &Limits::default());
    assert_eq!(q[0].id, 39372);
    assert_eq!(q[0].queries[0].rrname, "textsecure-service-ca.whispersystems.org");
    let (r, e) = udp(&hex(TXT_PCAP_FRAME4), &Limits::default());
    assert!(e.is_empty());
    let r = &r[0];
    // Suricata test.yaml: flags '8180', qr/rd/ra true, rcode NOERROR, answers[0] A 34.197.178.240 ttl 5.
    assert_eq!((r.flags.as_str(), r.qr, r.rd, r.ra, r.rcode.as_str()), ("8180", true, true, true, "NOERROR"));
    assert_eq!(r.answers[0].rrname, "textsecure-service-ca.whispersystems.org");
    assert_eq!((r.answers[0].rrtype.as_str(), r.answers[0].ttl), ("A", 5));
    assert_eq!(r.answers[0].rdata.as_deref(), Some("34.197.178.240"));
}

#[test]
fn real_txt_response_agrees_with_suricata_and_skips_opt() {
    let (r, _) = udp(&hex(TXT_PCAP_FRAME2), &Limits::default());
    let r = &r[0];
    assert_eq!((r.id, r.queries[0].rrtype.as_str()), (28243, "TXT"));
    assert_eq!(r.answers[0].rdata.as_deref(), Some("v=spf1 include:_spf.google.com ~all"));
    assert_eq!(r.answers[0].ttl, 3217);
    assert!(r.additionals.is_empty(), "the OPT pseudo-record is not a record");
}

fn tcp_transcript() -> (Vec<u8>, Vec<u8>) {
    // Two queries back to back in one direction, so framing across messages is exercised.
    let mut q = hex(TCP_QUERY);
    q.extend_from_slice(&hex(TCP_QUERY));
    (q, hex(TCP_RESPONSE))
}

#[test]
fn tcp_stream_gives_the_same_records_at_every_split_point() {
    let (q, r) = tcp_transcript();
    harness::assert_split_invariant(&INFO, &Limits::default(), &[(Direction::ToServer, &q), (Direction::ToClient, &r)]);
}

#[test]
fn tcp_stream_stops_cleanly_after_a_gap() {
    let (q, r) = tcp_transcript();
    harness::assert_clean_after_gap(&INFO, &Limits::default(), &[(Direction::ToServer, &q), (Direction::ToClient, &r)]);
}

#[test]
fn tcp_response_has_twelve_addresses_like_tshark() {
    let (q, r) = tcp_transcript();
    let out = harness::run(&INFO, Transport::Tcp, &Limits::default(), &[(Direction::ToServer, &q), (Direction::ToClient, &r)]);
    assert_eq!(out.records.len(), 3);
    let Record::Dns(resp) = &out.records[2].1 else { panic!() };
    assert_eq!(resp.answers.len(), 12);
    assert_eq!(resp.answers[0].rdata.as_deref(), Some("216.197.242.244"));
    assert_eq!(resp.queries[0].rrname, "www.google.com");
}

#[test]
fn every_truncation_of_real_datagrams_is_safe() {
    for m in [TXT_PCAP_FRAME2, TXT_PCAP_FRAME3, TXT_PCAP_FRAME4] {
        let m = hex(m);
        harness::assert_truncation_safe(&INFO, Transport::Udp, &Limits::default(), &[(Direction::ToClient, &m)]);
    }
}

#[test]
fn damaged_messages_raise_typed_events() {
    let base = hex(TXT_PCAP_FRAME4);
    // Pointer loop: the answer's name points at itself.
    let mut looped = base.clone();
    let ans = 12 + 42 + 4; // header + QNAME (42 bytes) + QTYPE/QCLASS
    looped[ans] = 0xc0;
    looped[ans + 1] = ans as u8;
    let (_, e) = udp(&looped, &Limits::default());
    assert_eq!(e, vec![DissectEventKind::Malformed { reason: "dns.forward_compression_pointer" }]);
    // Counts larger than the data.
    let mut counts = base.clone();
    counts[7] = 50;
    let (r, e) = udp(&counts, &Limits::default());
    assert_eq!(r[0].answers.len(), 1, "the record keeps what parsed");
    assert!(matches!(e[0], DissectEventKind::Malformed { .. }), "{e:?}");
    // A label length of 64 uses the reserved 0x40 label type.
    let mut label = base.clone();
    label[12] = 0x40;
    let (r, e) = udp(&label, &Limits::default());
    assert!(r.is_empty());
    assert_eq!(e, vec![DissectEventKind::Malformed { reason: "dns.bad_label_type" }]);
    let (r, e) = udp(&base[..7], &Limits::default());
    assert!(r.is_empty());
    assert_eq!(e, vec![DissectEventKind::Malformed { reason: "dns.truncated_header" }]);
}

#[test]
fn a_name_longer_than_255_octets_hits_its_limit() {
    let mut m = vec![0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for _ in 0..5 {
        m.push(63);
        m.extend_from_slice(&[b'a'; 63]);
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    let (r, e) = udp(&m, &Limits::default());
    assert!(r.is_empty());
    assert!(matches!(e[0], DissectEventKind::LimitExceeded { limit: "dns.max_name_length", .. }));
}

#[test]
fn every_limit_raises_its_event() {
    let resp = hex(TCP_RESPONSE);
    let body = &resp[2..];
    let set = |f: fn(&mut Limits)| {
        let mut l = Limits::default();
        f(&mut l);
        l
    };
    let cases: [(Limits, &str, Transport); 5] = [
        (set(|l| l.dns.max_answers = 1), "dns.max_answers", Transport::Udp),
        (set(|l| l.dns.max_questions = 0), "dns.max_questions", Transport::Udp),
        (set(|l| l.dns.max_name_length = 8), "dns.max_name_length", Transport::Udp),
        (set(|l| l.dns.max_compression_pointers = 0), "dns.max_compression_pointers", Transport::Udp),
        (set(|l| l.dns.max_message_len = 100), "dns.max_message_len", Transport::Tcp),
    ];
    for (limits, name, t) in cases {
        let data: &[u8] = if t == Transport::Tcp { &resp } else { body };
        harness::assert_limit_raised(&INFO, t, &limits, &[(Direction::ToClient, data)], name);
    }
    // TXT text is cut, not refused.
    let (r, _) = udp(&hex(TXT_PCAP_FRAME2), &set(|l| l.dns.max_rdata_text = 5));
    assert_eq!(r[0].answers[0].rdata.as_deref(), Some("v=spf"));
}

#[test]
fn oversize_tcp_message_is_skipped_and_the_next_one_parsed() {
    let mut limits = Limits::default();
    limits.dns.max_message_len = 100;
    let mut stream = hex(TCP_RESPONSE); // 235 bytes: too long, skipped
    stream.extend_from_slice(&hex(TCP_QUERY)); // 55 bytes: parsed
    let out = harness::run(&INFO, Transport::Tcp, &limits, &[(Direction::ToClient, &stream)]);
    assert_eq!(out.records.len(), 1);
}

#[test]
fn probe_knows_dns_by_content() {
    assert_eq!((INFO.probe)(Transport::Udp, Direction::ToServer, &hex(TXT_PCAP_FRAME3)), crate::Confidence::High);
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, &hex(TCP_QUERY)), crate::Confidence::High);
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, &hex(TCP_QUERY)[..6]), crate::Confidence::NeedMore);
    assert_eq!((INFO.probe)(Transport::Udp, Direction::ToServer, b"GET / HTTP/1.1\r\n\r\n"), crate::Confidence::No);
}

/// Regression: the first segment of a DICOM association (A-ASSOCIATE-RQ from DCMTK echoscu,
/// tests/pcap/lan) parsed as a DNS-over-TCP query with a 256-byte length prefix: protocol
/// version 1 read as QDCOUNT, the space-padded AE titles as a label. The Z bit and the
/// query's section counts rule it out.
#[test]
fn dicom_associate_request_is_not_dns() {
    let mut pdu = vec![0x01, 0x00, 0x00, 0x00, 0x00, 0xcd, 0x00, 0x01, 0x00, 0x00];
    pdu.extend_from_slice(b"PACS            CT01            ");
    pdu.extend_from_slice(&[0u8; 32]);
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, &pdu), crate::Confidence::No);
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_over_udp_or_tcp(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..700)) {
        fuzz(&data);
    }

    #[test]
    fn arbitrary_sections_after_a_real_header_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
        let mut m = hex(TXT_PCAP_FRAME4)[..12].to_vec();
        m.extend_from_slice(&tail);
        fuzz(&m);
    }
}
