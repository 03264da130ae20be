//! DNS tests: annotated bytes (RFC 1035 §4.1.x), real captures checked against Suricata's
//! expected values (suricata-verify, MIT) and tshark 4.0.17's fields, the compliance harness on
//! a real TCP transcript, every limit, damage, and arbitrary input.
//! Whole-capture agreement through the sensor is in `crates/ward/tests/peers_dhcp_dns.rs`.

use super::session::wire_len;
use super::*;
use crate::harness::{self, Chunk};
use crate::{Confidence, DissectEventKind, Limits, Record};
use serde_json::Value;
use ward_model::{Direction, Transport};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn udp_with(msg: &[u8], limits: &Limits) -> (Vec<DnsRecord>, Vec<DissectEventKind>) {
    let out = harness::run(&INFO, Transport::Udp, limits, &[(Direction::ToClient, msg)]);
    let recs = out.records.into_iter().map(|(_, r)| match r {
        Record::Dns(d) => d,
        other => panic!("not DNS: {other:?}"),
    });
    (recs.collect(), out.events.into_iter().map(|e| e.kind).collect())
}

fn udp(msg: &[u8]) -> (Vec<DnsRecord>, Vec<DissectEventKind>) {
    udp_with(msg, &Limits::default())
}

/// The one record of a message that must parse without any event.
fn clean(msg: &[u8]) -> DnsRecord {
    let (mut r, e) = udp(msg);
    assert!(e.is_empty(), "unexpected events {e:?}");
    assert_eq!(r.len(), 1);
    r.remove(0)
}

fn malformed(reason: &'static str) -> DissectEventKind {
    DissectEventKind::Malformed { reason }
}

fn limits(f: impl FnOnce(&mut DnsLimits)) -> Limits {
    let mut l = Limits::default();
    f(&mut l.dns);
    l
}

// --- Real messages -------------------------------------------------------------------------
// suricata-verify (MIT): dns/<case>/<pcap>, UDP or TCP payload of the frame named.

/// dns/dns-eve/input.pcap frames 1..=8: four A queries and their answers.
const EVE: [&str; 8] = [
    "99ab0100000100000000000009636c69656e742d63660764726f70626f7803636f6d0000010001",
    "99ab8180000100010000000009636c69656e742d63660764726f70626f7803636f6d0000010001c00c000100010000002f000434557015",
    "0d4f0100000100000000000005626c6f636b0764726f70626f7803636f6d0000010001",
    "aeeb012000010000000000010a636f64656d6f6e6b6579036e657400000100010000291000000000000000",
    "0d4f8180000100020000000005626c6f636b0764726f70626f7803636f6d0000010001c00c0005000100000009000b05626c6f636b026731c012c02f000100010000000800042d3a4621",
    "aeeb818000010001000000000a636f64656d6f6e6b6579036e65740000010001c00c00010001000001b300046883ca67",
    "39590100000100000000000009636c69656e742d63660764726f70626f7803636f6d0000010001",
    "39598180000100010000000009636c69656e742d63660764726f70626f7803636f6d0000010001c00c000100010000002d000434557015",
];

/// dns/dns-udp-eve-txt/input.pcap frames 1..=4: a TXT query with OPT and its answer, an A
/// query and its answer.
const TXT: [&str; 4] = [
    "6e530120000100000000000106676f6f676c6503636f6d00001000010000291000000000000000",
    "6e538180000100010000000106676f6f676c6503636f6d0000100001c00c0010000100000c91002423763d7370663120696e636c7564653a5f7370662e676f6f676c652e636f6d207e616c6c0000291000000000000000",
    "99cc0100000100000000000015746578747365637572652d736572766963652d63610e7768697370657273797374656d73036f72670000010001",
    "99cc8180000100010000000015746578747365637572652d736572766963652d63610e7768697370657273797374656d73036f72670000010001c00c0001000100000005000422c5b2f0",
];

/// dns/dns-udp-eve-log-answer-only/dns-udp-google.com-a-aaaa-mx.pcap frames 1..=6: A, AAAA
/// and MX queries for google.com and their answers.
const ANSWER_ONLY: [&str; 6] = [
    "1a2d0120000100000000000106676f6f676c6503636f6d00000100010000291000000000000000",
    "1a2d81800001000c0000000106676f6f676c6503636f6d0000010001c00c000100010000012b0004d8c5f2f4c00c000100010000012b0004d8c5f2d9c00c000100010000012b0004d8c5f2d8c00c000100010000012b0004d8c5f2d2c00c000100010000012b0004d8c5f2edc00c000100010000012b0004d8c5f2e7c00c000100010000012b0004d8c5f2eec00c000100010000012b0004d8c5f2e6c00c000100010000012b0004d8c5f2e0c00c000100010000012b0004d8c5f2fbc00c000100010000012b0004d8c5f2dfc00c000100010000012b0004d8c5f2f50000290200000000000000",
    "8d700120000100000000000106676f6f676c6503636f6d00001c00010000291000000000000000",
    "8d708180000100010000000106676f6f676c6503636f6d00001c0001c00c001c00010000012b00102607f8b0400f0801000000000000200e0000290200000000000000",
    "56160120000100000000000106676f6f676c6503636f6d00000f00010000291000000000000000",
    "56168180000100050000000106676f6f676c6503636f6d00000f0001c00c000f000100000257000c000a056173706d78016cc00cc00c000f0001000002570009001404616c7431c02ac00c000f0001000002570009001e04616c7432c02ac00c000f0001000002570009002804616c7433c02ac00c000f0001000002570009003204616c7434c02a0000290200000000000000",
];

/// dns/dns-tcp-www-google-com/dns.pcap frame 4: the TCP payload of the query, length prefix
/// (0x0037) included.
const TCP_QUERY: &str = "00375f78012000010000000000010377777706676f6f676c6503636f6d0000010001000029100000000000000c000a00085a760730fb2b37d5";
/// The same capture, frame 6: the answer, twelve A records, length prefix (0x00eb) included.
const TCP_RESPONSE: &str = "00eb5f7881800001000c000000010377777706676f6f676c6503636f6d0000010001c00c00010001000000080004d8c5f2f4c00c00010001000000080004d8c5f2e0c00c00010001000000080004d8c5f2eec00c00010001000000080004d8c5f2d2c00c00010001000000080004d8c5f2e6c00c00010001000000080004d8c5f2dfc00c00010001000000080004d8c5f2f5c00c00010001000000080004d8c5f2e7c00c00010001000000080004d8c5f2fbc00c00010001000000080004d8c5f2edc00c00010001000000080004d8c5f2d9c00c00010001000000080004d8c5f2d80000290200000000000000";

/// Ward's own capture tests/pcap/lan/hospital-lan/input.pcap as of commit 412aa7b (dnsmasq 2.90 answering dig 9.18
/// over TCP), frame 105: a query, length prefix included.
const LAN_TCP_QUERY: &str = "00453a500120000100000000000109686c37656e67696e650d776172642d686f73706974616c0474657374000001000100002904d000000000000c000a000863284612d50fbda3";
/// Frame 107: its answer, length prefix included.
const LAN_TCP_RESPONSE: &str = "00493a508580000100010000000109686c37656e67696e650d776172642d686f73706974616c04746573740000010001c00c000100010000000000040a4d000b00002904d0000000000000";

// --- Annotated messages ----------------------------------------------------------------------

#[test]
fn query_header_flags_and_question_are_decoded() {
    let q = cat(&[
        &[0x12, 0x34],                            // §4.1.1 ID
        &[0x01, 0x00],                            // §4.1.1 QR=0 OPCODE=0 AA=0 TC=0 RD=1 | RA=0 Z=0 AD=0 CD=0 RCODE=0
        &[0x00, 0x01],                            // §4.1.1 QDCOUNT 1
        &[0x00, 0x00, 0x00, 0x00, 0x00, 0x00],    // §4.1.1 ANCOUNT, NSCOUNT, ARCOUNT 0
        b"\x04pacs\x0dWard-Hospital\x04test\x00", // §4.1.2 QNAME (labels, §3.1), case as sent
        &[0x00, 0x01],                            // §4.1.2 QTYPE A
        &[0x00, 0x01],                            // §4.1.2 QCLASS IN
    ]);
    let r = clean(&q);
    assert_eq!((r.kind, r.id, r.flags.as_str(), r.opcode, r.rcode), ("request", 0x1234, "100", 0, "NOERROR"));
    assert_eq!((r.qr, r.aa, r.tc, r.rd, r.ra, r.z, r.ad, r.cd), (false, false, false, true, false, false, false, false));
    assert_eq!(r.queries.len(), 1);
    assert_eq!((r.queries[0].rrname.as_str(), r.queries[0].rrtype.as_str()), ("pacs.Ward-Hospital.test", "A"));
    assert!(!r.queries[0].unicast_response && !r.queries[0].rrname_truncated);
    assert!(r.answers.is_empty() && r.authorities.is_empty() && r.additionals.is_empty());
    let json = serde_json::to_value(&r).expect("json");
    assert_eq!(json["type"], "request");
    assert_eq!(json["queries"][0]["rrname"], "pacs.Ward-Hospital.test");
    assert!(json.get("answers").is_none(), "empty sections are left out, like Suricata");
}

#[test]
fn response_with_cname_and_a_follows_backward_pointers() {
    let m = cat(&[
        &[0x12, 0x34],                   // §4.1.1 ID
        &[0x81, 0x80],                   // §4.1.1 QR=1 RD=1 | RA=1, RCODE 0
        &[0, 1, 0, 2, 0, 0, 0, 0],       // QDCOUNT 1, ANCOUNT 2, NSCOUNT 0, ARCOUNT 0
        b"\x03www\x04ward\x04test\x00",  // offset 12: QNAME www.ward.test ("ward" at 16)
        &[0, 1, 0, 1],                   // QTYPE A, QCLASS IN
        &[0xc0, 0x0c],                   // offset 31, §4.1.4: NAME = pointer to 12
        &[0, 5, 0, 1],                   // §4.1.3 TYPE CNAME, CLASS IN
        &[0, 0, 0x01, 0x2c],             // §4.1.3 TTL 300
        &[0, 6],                         // §4.1.3 RDLENGTH 6
        b"\x03web\xc0\x10",              // offset 43: RDATA web + pointer to "ward.test" at 16
        &[0xc0, 0x2b],                   // offset 49: NAME = pointer to 43: web, then to 16
        &[0, 1, 0, 1, 0, 0, 0, 60, 0, 4], // A, IN, TTL 60, RDLENGTH 4
        &[10, 77, 0, 20],                // RDATA 10.77.0.20
    ]);
    let r = clean(&m);
    assert_eq!((r.kind, r.flags.as_str(), r.qr, r.rd, r.ra), ("response", "8180", true, true, true));
    let a = &r.answers;
    assert_eq!((a[0].rrname.as_str(), a[0].rrtype.as_str(), a[0].ttl), ("www.ward.test", "CNAME", 300));
    assert_eq!(a[0].rdata.as_deref(), Some("web.ward.test"));
    assert_eq!((a[1].rrname.as_str(), a[1].rrtype.as_str(), a[1].ttl), ("web.ward.test", "A", 60));
    assert_eq!(a[1].rdata.as_deref(), Some("10.77.0.20"));
    assert_eq!(a[1].rdlength, None, "decoded data gives no length");
}

#[test]
fn ptr_answer_from_dnsmasq_names_the_address() {
    // an earlier hospital-lan capture (commit 412aa7b), frame 97 (dnsmasq 2.90); tshark: dns.ptr.domain_name pacs.ward-hospital.test.
    let m = cat(&[
        &hex("a328"),                                        // ID
        &hex("8580"),                                        // QR AA RD | RA: dnsmasq is authoritative here
        &hex("0001 0001 0000 0000"),                         // QD 1, AN 1
        b"\x0210\x010\x0277\x0210\x07in-addr\x04arpa\x00",   // QNAME 10.0.77.10.in-addr.arpa (§3.5)
        &hex("000c 0001"),                                   // QTYPE PTR, QCLASS IN
        &hex("c00c"),                                        // NAME -> 12
        &hex("000c 0001 00000000 0019"),                     // PTR, IN, TTL 0, RDLENGTH 25
        b"\x04pacs\x0dward-hospital\x04test\x00",            // §3.3.12 PTRDNAME, uncompressed
    ]);
    let r = clean(&m);
    assert!(r.aa);
    assert_eq!(r.answers[0].rrname, "10.0.77.10.in-addr.arpa");
    assert_eq!((r.answers[0].rrtype.as_str(), r.answers[0].ttl), ("PTR", 0));
    assert_eq!(r.answers[0].rdata.as_deref(), Some("pacs.ward-hospital.test"));
}

#[test]
fn aaaa_answer_is_rendered_as_rfc5952_text() {
    // an earlier hospital-lan capture (commit 412aa7b), frame 63; tshark: dns.aaaa fd77::10. Suricata would write
    // fd77:0000:0000:0000:0000:0000:0000:0010.
    let m = cat(&[
        &hex("5851 8580 0001 0001 0000 0000"),        // ID, QR AA RD RA, QD 1, AN 1
        b"\x04pacs\x0dward-hospital\x04test\x00",     // QNAME
        &hex("001c 0001"),                            // QTYPE AAAA (RFC 3596 §2.1), IN
        &hex("c00c 001c 0001 00000000 0010"),         // NAME -> 12, AAAA, IN, TTL 0, RDLENGTH 16
        &hex("fd77 0000 0000 0000 0000 0000 0000 0010"), // RFC 3596 §2.2: 128-bit address
    ]);
    let r = clean(&m);
    assert_eq!((r.answers[0].rrtype.as_str(), r.answers[0].rdata.as_deref()), ("AAAA", Some("fd77::10")));
}

#[test]
fn txt_answer_agrees_with_suricata_and_opt_is_not_a_record() {
    // dns-udp-eve-txt frame 2, field by field.
    let m = cat(&[
        &hex("6e53 8180"),                              // ID 28243, QR RD | RA
        &hex("0001 0001 0000 0001"),                    // QD 1, AN 1, NS 0, AR 1
        b"\x06google\x03com\x00",                       // QNAME google.com
        &hex("0010 0001"),                              // QTYPE TXT, IN
        &hex("c00c 0010 0001 00000c91 0024"),           // NAME -> 12, TXT, IN, TTL 3217, RDLENGTH 36
        b"\x23v=spf1 include:_spf.google.com ~all",     // §3.3.14: one character-string (35)
        &hex("00 0029 1000 00 00 0000 0000"),           // RFC 6891 §6.1.2 OPT: root, type 41, UDP size 4096, ext-RCODE 0, version 0, flags 0, RDLENGTH 0
    ]);
    assert_eq!(m, hex(TXT[1]));
    let r = clean(&m);
    assert_eq!((r.id, r.queries[0].rrtype.as_str()), (28243, "TXT"));
    assert_eq!(r.answers[0].rdata.as_deref(), Some("v=spf1 include:_spf.google.com ~all"));
    assert_eq!(r.answers[0].ttl, 3217);
    assert!(r.answers[0].txt.is_empty(), "one string: no list");
    assert!(r.additionals.is_empty(), "OPT is EDNS signalling, not a record");
}

#[test]
fn mx_answers_give_the_exchange_as_rdata_and_keep_the_preference() {
    // dns-udp-eve-log-answer-only frame 6; tshark: dns.mx.preference 10,20,30,40,50.
    let m = cat(&[
        &hex("5616 8180 0001 0005 0000 0001"),       // ID, QR RD RA, QD 1, AN 5, AR 1
        b"\x06google\x03com\x00",                    // QNAME google.com
        &hex("000f 0001"),                           // QTYPE MX, IN
        &hex("c00c 000f 0001 00000257 000c"),        // NAME -> 12, MX, IN, TTL 599, RDLENGTH 12
        &hex("000a"),                                // §3.3.9 PREFERENCE 10
        b"\x05aspmx\x01l\xc0\x0c",                   // offset 42: EXCHANGE aspmx.l + -> google.com
        &hex("c00c 000f 0001 00000257 0009 0014"),   // MX, TTL 599, RDLENGTH 9, PREFERENCE 20
        b"\x04alt1\xc0\x2a",                         // EXCHANGE alt1 + -> 42 (aspmx.l.google.com)
        &hex("c00c000f0001000002570009001e04616c7432c02a"), // alt2, 30
        &hex("c00c000f0001000002570009002804616c7433c02a"), // alt3, 40
        &hex("c00c000f0001000002570009003204616c7434c02a"), // alt4, 50
        &hex("0000290200000000000000"),              // OPT
    ]);
    assert_eq!(m, hex(ANSWER_ONLY[5]));
    let r = clean(&m);
    let got: Vec<(Option<u16>, Option<&str>)> = r.answers.iter().map(|a| (a.preference, a.rdata.as_deref())).collect();
    assert_eq!(got, [
        (Some(10), Some("aspmx.l.google.com")),
        (Some(20), Some("alt1.aspmx.l.google.com")),
        (Some(30), Some("alt2.aspmx.l.google.com")),
        (Some(40), Some("alt3.aspmx.l.google.com")),
        (Some(50), Some("alt4.aspmx.l.google.com")),
    ]);
}

/// An mDNS announcement of a printer (RFC 6762 §8.3, DNS-SD RFC 6763): no question, PTR to the
/// instance, SRV, TXT with three strings, and the host's address as additional data. Decoded
/// by tshark 4.0.17 to the same values.
fn mdns_announcement() -> Vec<u8> {
    cat(&[
        &hex("0000 8400"),                              // ID 0 (RFC 6762 §18.1), QR AA
        &hex("0000 0003 0000 0001"),                    // QD 0, AN 3, NS 0, AR 1
        b"\x04_ipp\x04_tcp\x05local\x00",               // offset 12: _ipp._tcp.local ("local" at 22)
        &hex("000c 0001 00001194 000e"),                // PTR, IN, TTL 4500, RDLENGTH 14
        b"\x0bICU Printer\xc0\x0c",                     // offset 39: instance label (with a space) + -> 12
        &hex("c027 0021 8001 00000078 0013"),           // -> 39, SRV, cache-flush|IN (RFC 6762 §10.2), TTL 120, RDLENGTH 19
        &hex("0000 0000 0277"),                         // RFC 2782: priority 0, weight 0, port 631
        b"\x0aprinter-02\xc0\x16",                      // offset 71: target printer-02 + -> "local"
        &hex("c027 0010 8001 00001194 0022"),           // -> 39, TXT, cache-flush|IN, TTL 4500, RDLENGTH 34
        b"\x09txtvers=1\x0ety=HP LaserJet\x08rp=print", // three character-strings (RFC 6763 §6)
        &hex("c047 0001 8001 00000078 0004"),           // -> 71, A, cache-flush|IN, TTL 120, RDLENGTH 4
        &[10, 77, 0, 99],                               // 10.77.0.99
    ])
}

#[test]
fn mdns_announcement_decodes_ptr_srv_multi_string_txt_and_a() {
    let r = clean(&mdns_announcement());
    assert!(r.queries.is_empty() && r.aa);
    let a = &r.answers;
    assert_eq!((a[0].rrname.as_str(), a[0].rrtype.as_str()), ("_ipp._tcp.local", "PTR"));
    assert_eq!(a[0].rdata.as_deref(), Some("ICU\\x20Printer._ipp._tcp.local"), "a space is escaped");
    assert_eq!((a[1].rrname.as_str(), a[1].rrtype.as_str(), a[1].ttl), ("ICU\\x20Printer._ipp._tcp.local", "SRV", 120));
    assert_eq!(a[1].srv, Some(DnsSrv { priority: 0, weight: 0, port: 631, name: "printer-02.local".into() }));
    assert_eq!(a[1].rdata, None);
    assert_eq!(a[2].rdata.as_deref(), Some("txtvers=1ty=HP LaserJetrp=print"));
    assert_eq!(a[2].txt, ["txtvers=1", "ty=HP LaserJet", "rp=print"]);
    assert_eq!((r.additionals[0].rrname.as_str(), r.additionals[0].rdata.as_deref()), ("printer-02.local", Some("10.77.0.99")));
    let json = serde_json::to_value(&r).expect("json");
    assert_eq!(json["answers"][1]["srv"]["port"], 631);
}

#[test]
fn soa_in_the_authority_section_of_an_nxdomain_is_structured() {
    let m = cat(&[
        &hex("beef 8183"),                           // QR RD | RA, RCODE 3 NXDOMAIN
        &hex("0001 0000 0001 0000"),                 // QD 1, NS 1
        b"\x06nosuch\x04ward\x04test\x00",           // offset 12: QNAME ("ward" at 19)
        &hex("0001 0001"),                           // A, IN
        &hex("c013 0006 0001 00000e10 0029"),        // -> ward.test, SOA, IN, TTL 3600, RDLENGTH 41
        b"\x05infra\xc0\x13",                        // §3.3.13 MNAME infra.ward.test
        b"\x0ahostmaster\xc0\x13",                   // RNAME hostmaster.ward.test
        &hex("78a3f175 00000e10 00000258 00015180 0000012c"), // SERIAL 2024010101, REFRESH 3600, RETRY 600, EXPIRE 86400, MINIMUM 300
    ]);
    let r = clean(&m);
    assert_eq!(r.rcode, "NXDOMAIN");
    let soa = r.authorities[0].soa.clone().expect("soa");
    assert_eq!(soa, DnsSoa {
        mname: "infra.ward.test".into(),
        rname: "hostmaster.ward.test".into(),
        serial: 2_024_010_101,
        refresh: 3600,
        retry: 600,
        expire: 86400,
        minimum: 300,
    });
    assert_eq!(r.authorities[0].rrname, "ward.test");
}

/// An mDNS query with two questions, the first asking for a unicast answer.
fn mdns_two_questions() -> Vec<u8> {
    cat(&[
        &hex("0000 0000 0002 0000 0000 0000"), // ID 0, flags 0, QD 2
        b"\x04_ipp\x04_tcp\x05local\x00",      // offset 12: _ipp._tcp.local ("_tcp" at 17)
        &hex("000c 8001"),                     // PTR, QU bit (RFC 6762 §5.4) | IN
        b"\x08_printer\xc0\x11",               // _printer + -> _tcp.local
        &hex("000c 0001"),                     // PTR, IN
    ])
}

#[test]
fn mdns_question_shows_the_unicast_response_bit() {
    let r = clean(&mdns_two_questions());
    let q: Vec<(&str, bool)> = r.queries.iter().map(|q| (q.rrname.as_str(), q.unicast_response)).collect();
    assert_eq!(q, [("_ipp._tcp.local", true), ("_printer._tcp.local", false)]);
}

#[test]
fn root_name_renders_empty_like_suricata() {
    let m = cat(&[
        &hex("0001 0000 0001 0000 0000 0000"), // a query, QD 1
        &[0x00],                               // QNAME: the root (§3.1: a zero-length label)
        &hex("0002 0001"),                     // NS, IN: a resolver's priming query (RFC 8109)
    ]);
    assert_eq!(clean(&m).queries[0].rrname, "");
    assert_eq!(wire_len(""), 1);
}

#[test]
fn non_printable_label_bytes_are_escaped() {
    let m = cat(&[
        &hex("0001 0000 0001 0000 0000 0000"),
        b"\x03a.b",            // a label holding a dot
        b"\x03c\\d",           // a label holding a backslash
        &[3, 0x00, 0x20, 0xff], // NUL, space, a non-ASCII byte
        &[0],
        &hex("0001 0001"),
    ]);
    let name = clean(&m).queries[0].rrname.clone();
    assert_eq!(name, r"a\.b.c\\d.\x00\x20\xff");
    assert_eq!(wire_len(&name), 4 + 4 + 4 + 1, "the rendering keeps the wire length recoverable");
}

#[test]
fn unknown_type_gives_the_type_number_and_rdlength() {
    let m = cat(&[
        &hex("0001 8000 0001 0001 0000 0000"),
        b"\x01x\x00",
        &hex("fffe 0001"),                    // QTYPE 65534: private use
        &hex("c00c fffe 0001 0000000a 0003"), // NAME, TYPE 65534, IN, TTL 10, RDLENGTH 3
        &[1, 2, 3],
    ]);
    let r = clean(&m);
    assert_eq!(r.queries[0].rrtype, "TYPE65534", "RFC 3597 §5; Suricata writes 65534");
    assert_eq!((r.answers[0].rdata.as_deref(), r.answers[0].rdlength), (None, Some(3)));
}

#[test]
fn address_of_the_wrong_length_loses_only_that_records_data() {
    let m = cat(&[
        &hex("0001 8180 0001 0002 0000 0000"),
        b"\x01x\x00",
        &hex("0001 0001"),
        &hex("c00c 0001 0001 0000000a 0005"), // A with RDLENGTH 5
        &[10, 0, 0, 1, 9],
        &hex("c00c 0001 0001 0000000a 0004"), // A, right
        &[10, 0, 0, 2],
    ]);
    let (r, e) = udp(&m);
    assert_eq!(e, [malformed("dns.bad_address_length")]);
    assert_eq!((r[0].answers[0].rdata.as_deref(), r[0].answers[0].rdlength), (None, Some(5)));
    assert_eq!(r[0].answers[1].rdata.as_deref(), Some("10.0.0.2"), "the next record is still read");
}

// --- Compression pointers (§4.1.4) and damage ------------------------------------------------

const QUERY_HEADER: &str = "0001 0100 0001 0000 0000 0000"; // a query, QD 1

#[test]
fn long_chain_of_backward_pointers_is_followed_to_the_end() {
    // Answer 1 (NULL, RFC 1035 §3.3.10) carries a chain: "z", then 60 entries of one label and
    // a pointer to the entry before. Answer 2's owner points at the last entry: 61 pointers,
    // each to before the previous target, so legal; 60 labels + "z" = 123 octets.
    let pointer = |to: usize| {
        let [hi, lo] = u16::try_from(to).expect("offset").to_be_bytes();
        [0xc0 | hi, lo]
    };
    let mut chain = b"\x01z\x00".to_vec();
    let base = 12 + 1 + 10; // header, root owner, fixed fields: the chain starts at 23
    let mut prev = base;
    for i in 0..60u8 {
        let here = base + chain.len();
        chain.extend_from_slice(&[1, b'a' + i % 26]);
        chain.extend_from_slice(&pointer(prev));
        prev = here;
    }
    let rdlength = u16::try_from(chain.len()).expect("short").to_be_bytes();
    let m = cat(&[
        &hex("0001 8180 0000 0002 0000 0000"),             // a response, AN 2
        &[0],                                             // owner: root
        &hex("000a 0001 00000001"),                       // NULL, IN, TTL 1
        &rdlength,                                        // RDLENGTH
        &chain,
        &pointer(prev),                                   // owner -> the last entry
        &hex("0001 0001 00000001 0004 0a000001"),          // A, IN, TTL 1, 10.0.0.1
    ]);
    let r = clean(&m);
    let owner = &r.answers[1].rrname;
    assert!(owner.starts_with("h.g.f.e.d.c.b.a.z.y.x") && owner.ends_with(".c.b.a.z"), "{owner}");
    assert_eq!(wire_len(owner), 61 * 2 + 1);
    assert_eq!(r.answers[0].rdlength, Some(243));
}

#[test]
fn forward_compression_pointer_is_malformed() {
    let m = cat(&[&hex(QUERY_HEADER), &[0xc0, 0x12], &hex("0001 0001"), b"\x01x\x00"]); // QNAME -> 18, later
    assert_eq!(udp(&m), (vec![], vec![malformed("dns.forward_compression_pointer")]));
}

#[test]
fn self_pointing_compression_pointer_is_a_loop() {
    let m = cat(&[&hex(QUERY_HEADER), &[0xc0, 0x0c], &hex("0001 0001")]); // QNAME at 12 -> 12
    assert_eq!(udp(&m), (vec![], vec![malformed("dns.compression_loop")]));
}

#[test]
fn two_step_pointer_loop_is_caught_without_the_pointer_limit() {
    // QNAME at 12: label "a", then a pointer back to 12: a.a.a... for ever, were it followed.
    let m = cat(&[&hex(QUERY_HEADER), b"\x01a\xc0\x0c", &hex("0001 0001")]);
    let unlimited = limits(|l| l.max_compression_pointers = usize::MAX);
    assert_eq!(udp_with(&m, &unlimited), (vec![], vec![malformed("dns.compression_loop")]));
}

#[test]
fn pointer_into_the_header_is_malformed() {
    let m = cat(&[&hex(QUERY_HEADER), &[0xc0, 0x04], &hex("0001 0001")]);
    assert_eq!(udp(&m), (vec![], vec![malformed("dns.compression_pointer_into_header")]));
}

#[test]
fn loop_in_an_answer_keeps_the_question_and_reports_it() {
    let mut m = hex(TXT[3]);
    let answer = 12 + 42 + 4; // header, QNAME (42 octets), QTYPE and QCLASS
    m[answer + 1] = 58; // the answer's NAME (at 58) now points at itself
    let (r, e) = udp(&m);
    assert_eq!(e, [malformed("dns.compression_loop")]);
    assert_eq!((r[0].queries.len(), r[0].answers.len()), (1, 0));
}

#[test]
fn truncated_header_gives_no_record() {
    assert_eq!(udp(&hex(TXT[2])[..7]), (vec![], vec![malformed("dns.truncated_header")]));
}

#[test]
fn counts_larger_than_the_data_keep_what_parsed() {
    let mut m = hex(TXT[3]);
    m[7] = 50; // ANCOUNT 50, one record present
    let (r, e) = udp(&m);
    assert_eq!(e, [malformed("dns.counts_exceed_message")]);
    assert_eq!(r[0].answers.len(), 1);
    assert_eq!(r[0].answers[0].rdata.as_deref(), Some("34.197.178.240"));
}

#[test]
fn label_longer_than_63_is_malformed() {
    // A length octet of 64 has the reserved 01 prefix (§4.1.4): no label is that long.
    let m = cat(&[&hex(QUERY_HEADER), &[64], &[b'a'; 64], &[0], &hex("0001 0001")]);
    assert_eq!(udp(&m), (vec![], vec![malformed("dns.label_too_long")]));
}

#[test]
fn name_longer_than_255_octets_is_cut_and_the_message_still_parses() {
    let label: Vec<u8> = [&[63u8][..], &[b'a'; 63]].concat();
    let m = cat(&[&hex(QUERY_HEADER), &label, &label, &label, &label, &label, &[0], &hex("001c 0001")]);
    let (r, e) = udp(&m);
    assert_eq!(e, [DissectEventKind::LimitExceeded { limit: "dns.max_name_length", value: 5 * 64 + 1 }]);
    let q = &r[0].queries[0];
    assert!(q.rrname_truncated);
    assert_eq!(wire_len(&q.rrname), 3 * 64 + 1, "three labels fit in 255 octets");
    assert_eq!(q.rrtype, "AAAA", "the end of the long name was found");
}

#[test]
fn trailing_bytes_after_the_last_section_are_peer_misbehaviour() {
    let m = cat(&[&hex(TXT[2]), b"hidden"]);
    let (r, e) = udp(&m);
    assert_eq!(e, [DissectEventKind::PeerMisbehaving { reason: "dns.trailing_bytes" }]);
    assert_eq!(r.len(), 1);
}

// --- Peers: Suricata's test.yaml and tshark on the same captures ------------------------------

/// Look up a test.yaml key (without its `dns.` prefix), e.g. `answers[0].rdata`, as text.
fn eve(r: &DnsRecord, path: &str) -> String {
    let mut v = serde_json::to_value(r).expect("json");
    for part in path.split('.') {
        let (key, idx) = match part.split_once('[') {
            Some((k, i)) => (k, i.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        v = v[key].clone();
        if let Some(i) = idx {
            v = v[i].clone();
        }
    }
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

#[test]
fn dns_udp_eve_txt_fields_equal_suricata_test_yaml() {
    // dns/dns-udp-eve-txt/test.yaml, every `dns.*` key but tx_id, version and grouped
    // (Suricata's bookkeeping and a regrouping of the answers).
    let expected: [(usize, &[(&str, &str)]); 4] = [
        (0, &[("id", "28243"), ("queries[0].rrname", "google.com"), ("queries[0].rrtype", "TXT"), ("type", "request")]),
        (2, &[
            ("id", "39372"),
            ("queries[0].rrname", "textsecure-service-ca.whispersystems.org"),
            ("queries[0].rrtype", "A"),
            ("type", "request"),
        ]),
        (3, &[
            ("answers[0].rdata", "34.197.178.240"),
            ("answers[0].rrname", "textsecure-service-ca.whispersystems.org"),
            ("answers[0].rrtype", "A"),
            ("answers[0].ttl", "5"),
            ("flags", "8180"),
            ("id", "39372"),
            ("qr", "true"),
            ("ra", "true"),
            ("rcode", "NOERROR"),
            ("rd", "true"),
            ("queries[0].rrname", "textsecure-service-ca.whispersystems.org"),
            ("queries[0].rrtype", "A"),
            ("type", "response"),
        ]),
        (1, &[
            ("answers[0].rdata", "v=spf1 include:_spf.google.com ~all"),
            ("answers[0].rrname", "google.com"),
            ("answers[0].rrtype", "TXT"),
            ("answers[0].ttl", "3217"),
            ("flags", "8180"),
            ("id", "28243"),
            ("qr", "true"),
            ("ra", "true"),
            ("rcode", "NOERROR"),
            ("rd", "true"),
            ("queries[0].rrname", "google.com"),
            ("queries[0].rrtype", "TXT"),
            ("type", "response"),
        ]),
    ];
    for (frame, fields) in expected {
        let r = clean(&hex(TXT[frame]));
        for (key, want) in fields {
            assert_eq!(eve(&r, key), *want, "frame {}: dns.{key}", frame + 1);
        }
    }
}

#[test]
fn dns_eve_capture_gives_four_requests_and_four_responses_like_suricata() {
    // dns/dns-eve/test.yaml: count 4 of dns.type request, count 4 of dns.type response.
    let recs: Vec<DnsRecord> = EVE.iter().map(|m| clean(&hex(m))).collect();
    assert_eq!(recs.iter().filter(|r| r.kind == "request").count(), 4);
    assert_eq!(recs.iter().filter(|r| r.kind == "response").count(), 4);
}

#[test]
fn answer_only_capture_has_three_responses_like_suricata() {
    // dns/dns-udp-eve-log-answer-only/test.yaml: 3 responses (requests are not logged there).
    let recs: Vec<DnsRecord> = ANSWER_ONLY.iter().map(|m| clean(&hex(m))).collect();
    assert_eq!(recs.iter().filter(|r| r.kind == "response").count(), 3);
}

/// Our record as tshark prints `dns.id|dns.flags|dns.qry.name|dns.resp.ttl|dns.a|dns.aaaa|
/// dns.mx.mail_exchange|dns.txt` (OPT has no TTL in tshark's output, and is not in ours).
fn as_tshark(r: &DnsRecord) -> String {
    let rrs: Vec<&DnsAnswer> = r.answers.iter().chain(&r.authorities).chain(&r.additionals).collect();
    let of = |t: &str| rrs.iter().filter(|a| a.rrtype == t).filter_map(|a| a.rdata.clone()).collect::<Vec<_>>().join(",");
    let flags = u16::from_str_radix(&r.flags, 16).expect("hex flags");
    let names: Vec<&str> = r.queries.iter().map(|q| q.rrname.as_str()).collect();
    let ttls: Vec<String> = rrs.iter().map(|a| a.ttl.to_string()).collect();
    format!("0x{:04x}|0x{flags:04x}|{}|{}|{}|{}|{}|{}", r.id, names.join(","), ttls.join(","), of("A"), of("AAAA"), of("MX"), of("TXT"))
}

#[test]
fn every_real_udp_message_agrees_with_tshark_fields() {
    // `tshark -r <pcap> -Y dns -T fields -E separator='|' -e dns.id -e dns.flags -e dns.qry.name
    //  -e dns.resp.ttl -e dns.a -e dns.aaaa -e dns.mx.mail_exchange -e dns.txt`, tshark 4.0.17.
    let a12 = "216.197.242.244,216.197.242.217,216.197.242.216,216.197.242.210,216.197.242.237,216.197.242.231,216.197.242.238,216.197.242.230,216.197.242.224,216.197.242.251,216.197.242.223,216.197.242.245";
    let mx = "aspmx.l.google.com,alt1.aspmx.l.google.com,alt2.aspmx.l.google.com,alt3.aspmx.l.google.com,alt4.aspmx.l.google.com";
    let ttl12 = ["299"; 12].join(",");
    let tshark: Vec<(&str, String)> = vec![
        (EVE[0], "0x99ab|0x0100|client-cf.dropbox.com|||||".into()),
        (EVE[1], "0x99ab|0x8180|client-cf.dropbox.com|47|52.85.112.21|||".into()),
        (EVE[2], "0x0d4f|0x0100|block.dropbox.com|||||".into()),
        (EVE[3], "0xaeeb|0x0120|codemonkey.net|||||".into()),
        (EVE[4], "0x0d4f|0x8180|block.dropbox.com|9,8|45.58.70.33|||".into()),
        (EVE[5], "0xaeeb|0x8180|codemonkey.net|435|104.131.202.103|||".into()),
        (EVE[6], "0x3959|0x0100|client-cf.dropbox.com|||||".into()),
        (EVE[7], "0x3959|0x8180|client-cf.dropbox.com|45|52.85.112.21|||".into()),
        (TXT[0], "0x6e53|0x0120|google.com|||||".into()),
        (TXT[1], "0x6e53|0x8180|google.com|3217||||v=spf1 include:_spf.google.com ~all".into()),
        (TXT[2], "0x99cc|0x0100|textsecure-service-ca.whispersystems.org|||||".into()),
        (TXT[3], "0x99cc|0x8180|textsecure-service-ca.whispersystems.org|5|34.197.178.240|||".into()),
        (ANSWER_ONLY[0], "0x1a2d|0x0120|google.com|||||".into()),
        (ANSWER_ONLY[1], format!("0x1a2d|0x8180|google.com|{ttl12}|{a12}|||")),
        (ANSWER_ONLY[2], "0x8d70|0x0120|google.com|||||".into()),
        (ANSWER_ONLY[3], "0x8d70|0x8180|google.com|299||2607:f8b0:400f:801::200e||".into()),
        (ANSWER_ONLY[4], "0x5616|0x0120|google.com|||||".into()),
        (ANSWER_ONLY[5], format!("0x5616|0x8180|google.com|599,599,599,599,599|||{mx}|")),
    ];
    for (m, want) in &tshark {
        assert_eq!(as_tshark(&clean(&hex(m))), *want);
    }
    // And the CNAME chain of dns-eve frame 5 (tshark: dns.cname block.g1.dropbox.com).
    let r = clean(&hex(EVE[4]));
    assert_eq!((r.answers[0].rrtype.as_str(), r.answers[0].rdata.as_deref()), ("CNAME", Some("block.g1.dropbox.com")));
    assert_eq!(r.answers[1].rrname, "block.g1.dropbox.com");
}

#[test]
fn tcp_capture_fed_as_a_stream_agrees_with_suricata_and_tshark() {
    // dns/dns-tcp-www-google-com: Suricata expects one request (10.16.1.11 -> 8.8.4.4) and one
    // response (8.8.4.4 -> 10.16.1.11); tshark's fields for frames 4 and 6.
    let (q, a) = (hex(TCP_QUERY), hex(TCP_RESPONSE));
    let out = harness::run(&INFO, Transport::Tcp, &Limits::default(), &[(Direction::ToServer, &q), (Direction::ToClient, &a)]);
    assert!(out.events.is_empty(), "{:?}", out.events);
    let recs: Vec<(Direction, &DnsRecord)> = out
        .records
        .iter()
        .map(|(d, r)| match r {
            Record::Dns(r) => (*d, r),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(recs.len(), 2);
    assert_eq!((recs[0].0, recs[0].1.kind), (Direction::ToServer, "request"));
    assert_eq!((recs[1].0, recs[1].1.kind), (Direction::ToClient, "response"));
    assert_eq!(as_tshark(recs[0].1), "0x5f78|0x0120|www.google.com|||||");
    let a12 = "216.197.242.244,216.197.242.224,216.197.242.238,216.197.242.210,216.197.242.230,216.197.242.223,216.197.242.245,216.197.242.231,216.197.242.251,216.197.242.237,216.197.242.217,216.197.242.216";
    assert_eq!(as_tshark(recs[1].1), format!("0x5f78|0x8180|www.google.com|{}|{a12}|||", ["8"; 12].join(",")));
}

// --- Compliance harness ------------------------------------------------------------------------

/// A real TCP transcript: two queries back to back one way (so framing runs across messages),
/// their two answers the other way.
fn tcp_transcript() -> (Vec<u8>, Vec<u8>) {
    (cat(&[&hex(TCP_QUERY), &hex(LAN_TCP_QUERY)]), cat(&[&hex(TCP_RESPONSE), &hex(LAN_TCP_RESPONSE)]))
}

#[test]
fn tcp_transcript_gives_the_same_records_at_every_split_point() {
    let (q, a) = tcp_transcript();
    let chunks: [Chunk<'_>; 2] = [(Direction::ToServer, &q), (Direction::ToClient, &a)];
    assert_eq!(harness::run(&INFO, Transport::Tcp, &Limits::default(), &chunks).records.len(), 4);
    harness::assert_split_invariant(&INFO, &Limits::default(), &chunks);
}

#[test]
fn tcp_transcript_stays_clean_after_a_gap_anywhere() {
    let (q, a) = tcp_transcript();
    harness::assert_clean_after_gap(&INFO, &Limits::default(), &[(Direction::ToServer, &q), (Direction::ToClient, &a)]);
}

#[test]
fn gap_stops_only_its_own_direction_with_one_lost_sync() {
    let (q, a) = tcp_transcript();
    let mut d = crate::StreamDriver::new(&INFO, Transport::Tcp, &Limits::default());
    let mut out = crate::Output::default();
    d.feed(Direction::ToServer, &q[..10], &mut out);
    d.gap(Direction::ToServer, 5, &mut out);
    d.feed(Direction::ToServer, &q[15..], &mut out);
    d.gap(Direction::ToServer, 5, &mut out);
    d.feed(Direction::ToClient, &a, &mut out);
    let kinds: Vec<&DissectEventKind> = out.events.iter().map(|e| &e.kind).collect();
    assert_eq!(kinds, [&DissectEventKind::LostSync]);
    assert_eq!(out.events[0].direction, Direction::ToServer);
    assert_eq!(out.records.len(), 2, "both answers");
    assert!(out.records.iter().all(|(d, _)| *d == Direction::ToClient));
}

#[test]
fn stream_ending_inside_a_message_is_reported_at_eof() {
    let a = hex(TCP_RESPONSE);
    let out = harness::run(&INFO, Transport::Tcp, &Limits::default(), &[(Direction::ToClient, &a[..a.len() - 5])]);
    assert!(out.records.is_empty());
    let kinds: Vec<&DissectEventKind> = out.events.iter().map(|e| &e.kind).collect();
    assert_eq!(kinds, [&malformed("dns.truncated_message")]);
}

#[test]
fn every_truncation_of_every_real_datagram_is_safe() {
    let udp_msgs = EVE.iter().chain(&TXT).chain(&ANSWER_ONLY).map(|m| hex(m));
    for m in udp_msgs.chain([mdns_announcement(), mdns_two_questions()]) {
        harness::assert_truncation_safe(&INFO, Transport::Udp, &Limits::default(), &[(Direction::ToClient, &m)]);
    }
}

/// Every field of [`DnsLimits`], by name: adding a field without a case below fails to compile.
fn limit_names(l: &DnsLimits) -> [&'static str; 6] {
    let DnsLimits { max_questions: _, max_answers: _, max_name_length: _, max_compression_pointers: _, max_rdata_text: _, max_message_len: _ } =
        l;
    [
        "dns.max_questions",
        "dns.max_answers",
        "dns.max_name_length",
        "dns.max_compression_pointers",
        "dns.max_rdata_text",
        "dns.max_message_len",
    ]
}

#[test]
fn every_limit_raises_its_event() {
    let a12 = hex(TCP_RESPONSE);
    let body = &a12[2..];
    let cases: Vec<(&str, Limits, Transport, Vec<u8>)> = vec![
        ("dns.max_questions", limits(|l| l.max_questions = 1), Transport::Udp, mdns_two_questions()),
        ("dns.max_answers", limits(|l| l.max_answers = 1), Transport::Udp, body.to_vec()),
        ("dns.max_name_length", limits(|l| l.max_name_length = 16), Transport::Udp, hex(TXT[2])),
        ("dns.max_compression_pointers", limits(|l| l.max_compression_pointers = 0), Transport::Udp, hex(TXT[3])),
        ("dns.max_rdata_text", limits(|l| l.max_rdata_text = 5), Transport::Udp, hex(TXT[1])),
        ("dns.max_message_len", limits(|l| l.max_message_len = 100), Transport::Tcp, a12.clone()),
        ("dns.max_message_len", limits(|l| l.max_message_len = 100), Transport::Udp, body.to_vec()),
    ];
    for name in limit_names(&DnsLimits::default()) {
        assert!(cases.iter().any(|c| c.0 == name), "no case for {name}");
    }
    for (name, limits, transport, data) in &cases {
        harness::assert_limit_raised(&INFO, *transport, limits, &[(Direction::ToClient, data)], name);
    }
}

#[test]
fn answer_limit_skips_the_excess_and_parses_the_sections_after_it() {
    let (r, e) = udp_with(&mdns_announcement(), &limits(|l| l.max_answers = 1));
    assert_eq!(e, [DissectEventKind::LimitExceeded { limit: "dns.max_answers", value: 3 }]);
    assert_eq!(r[0].answers.len(), 1);
    assert_eq!(r[0].additionals[0].rdata.as_deref(), Some("10.77.0.99"), "the additional section after the skipped answers");
}

#[test]
fn question_limit_skips_the_excess_question() {
    let (r, e) = udp_with(&mdns_two_questions(), &limits(|l| l.max_questions = 1));
    assert_eq!(e, [DissectEventKind::LimitExceeded { limit: "dns.max_questions", value: 2 }]);
    assert_eq!(r[0].queries.len(), 1);
}

#[test]
fn txt_text_is_cut_at_max_rdata_text() {
    let (r, e) = udp_with(&hex(TXT[1]), &limits(|l| l.max_rdata_text = 5));
    assert_eq!(e, [DissectEventKind::LimitExceeded { limit: "dns.max_rdata_text", value: 35 }]);
    assert_eq!(r[0].answers[0].rdata.as_deref(), Some("v=spf"));
    assert!(r[0].answers[0].rdata_truncated);
}

#[test]
fn pointer_limit_cuts_the_name_and_keeps_parsing() {
    // In the CNAME answer of dns-eve frame 5, the A record's owner is -> 47 "block.g1" -> 18
    // "dropbox.com": two pointers.
    let (r, e) = udp_with(&hex(EVE[4]), &limits(|l| l.max_compression_pointers = 1));
    assert_eq!(e, [DissectEventKind::LimitExceeded { limit: "dns.max_compression_pointers", value: 2 }]);
    let a = &r[0].answers[1];
    assert_eq!((a.rrname.as_str(), a.rrname_truncated), ("block.g1", true));
    assert_eq!(a.rdata.as_deref(), Some("45.58.70.33"));
}

#[test]
fn oversize_tcp_message_is_skipped_unbuffered_and_the_next_one_parsed() {
    let l = limits(|l| l.max_message_len = 100);
    let stream = cat(&[&hex(TCP_RESPONSE), &hex(TCP_QUERY)]); // 235 octets, too long; then 55
    let mut d = crate::StreamDriver::new(&INFO, Transport::Tcp, &l);
    let mut out = crate::Output::default();
    for b in &stream[..100] {
        d.feed(Direction::ToClient, &[*b], &mut out);
    }
    assert_eq!(d.buffered(), 0, "the oversize message is discarded as it comes, not held");
    d.feed(Direction::ToClient, &stream[100..], &mut out);
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.events[0].kind, DissectEventKind::LimitExceeded { limit: "dns.max_message_len", value: 235 });
}

// --- Detection by content ------------------------------------------------------------------------

#[test]
fn probe_knows_dns_by_content_over_udp_and_tcp() {
    let probe = |t, data: &[u8]| (INFO.probe)(t, Direction::ToServer, data);
    assert_eq!(probe(Transport::Udp, &hex(TXT[2])), Confidence::High);
    assert_eq!(probe(Transport::Udp, &hex(TXT[3])), Confidence::High);
    assert_eq!(probe(Transport::Udp, &mdns_announcement()), Confidence::Low, "no question: DNS only on its port");
    assert_eq!(probe(Transport::Udp, b"GET / HTTP/1.1\r\n\r\n"), Confidence::No);
    assert_eq!(probe(Transport::Udp, &hex(TXT[2])[..11]), Confidence::No);
    let q = hex(TCP_QUERY);
    assert_eq!(probe(Transport::Tcp, &q), Confidence::High);
    assert_eq!(probe(Transport::Tcp, &q[..13]), Confidence::NeedMore);
    assert_eq!(probe(Transport::Tcp, &q[..20]), Confidence::NeedMore, "the question is not whole yet");
    assert_eq!(probe(Transport::Tcp, &q[..40]), Confidence::High, "the first question is whole");
    let mut short = q.clone();
    short[1] = 0x30; // a length prefix 7 octets short of the message
    assert_eq!(probe(Transport::Tcp, &short), Confidence::No);
}

/// Regression: the first segment of a DICOM association (A-ASSOCIATE-RQ from DCMTK echoscu,
/// tests/pcap/lan) looks like DNS over TCP with a 256-octet length prefix: protocol version 1
/// read as a question count, the space-padded AE titles as a label. The Z bit rules it out.
#[test]
fn dicom_associate_request_is_not_dns() {
    let mut pdu = vec![0x01, 0x00, 0x00, 0x00, 0x00, 0xcd, 0x00, 0x01, 0x00, 0x00];
    pdu.extend_from_slice(b"PACS            CT01            ");
    pdu.extend_from_slice(&[0u8; 32]);
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, &pdu), Confidence::No);
}

// --- Arbitrary input -------------------------------------------------------------------------

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_keep_the_fuzz_properties(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        fuzz(&data);
    }

    #[test]
    fn arbitrary_sections_after_a_real_header_keep_the_fuzz_properties(
        tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
    ) {
        fuzz(&cat(&[&hex(TXT[3])[..12], &tail]));
    }

    #[test]
    fn real_messages_with_random_byte_changes_keep_the_fuzz_properties(
        which in 0usize..18,
        edits in proptest::collection::vec((proptest::prelude::any::<u16>(), proptest::prelude::any::<u8>()), 1..6),
    ) {
        let all: Vec<&str> = EVE.iter().chain(&TXT).chain(&ANSWER_ONLY).copied().collect();
        let mut m = hex(all[which % all.len()]);
        for (at, b) in edits {
            let i = usize::from(at) % m.len();
            m[i] = b;
        }
        fuzz(&m);
    }
}

// --- Text written without the formatting machinery -------------------------------------------

/// The flags word and A-record addresses are written by hand: exactly what `format!` writes.
#[test]
fn hand_written_flags_and_addresses_match_format() {
    for v in (0..=u16::MAX).step_by(7).chain([0, 1, 0xf, 0x10, 0x100, 0x8180, 0xffff]) {
        assert_eq!(parser::hex16(v), format!("{v:x}"));
    }
    for a in [0u8, 1, 9, 10, 99, 100, 109, 110, 199, 200, 255] {
        for b in [0u8, 7, 42, 255] {
            let o = [a, b, 255 - a, a / 3];
            assert_eq!(parser::ipv4_text(o), std::net::Ipv4Addr::from(o).to_string());
        }
    }
}

/// A label copied in one piece up to its first byte that needs escaping renders as before.
#[test]
fn labels_with_escapes_anywhere_render_as_documented() {
    let msg = |label: &[u8]| {
        let mut m = hex("1234 0100 0001 0000 0000 0000");
        m.push(label.len() as u8);
        m.extend_from_slice(label);
        m.extend_from_slice(&hex("00 0001 0001"));
        m
    };
    for (label, want) in [
        (&b"plain"[..], "plain"),
        (b"a.b", "a\\.b"),
        (b"back\\slash", "back\\\\slash"),
        (b" lead", "\\x20lead"),
        (b"trail\xff", "trail\\xff"),
        (b"mid\x00dle.", "mid\\x00dle\\."),
    ] {
        let p = parser::message(&msg(label), &DnsLimits::default());
        let r = p.record.expect("record");
        assert_eq!(r.queries[0].rrname, want);
    }
}
