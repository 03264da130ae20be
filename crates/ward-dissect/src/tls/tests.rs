//! TLS unit tests: real sessions (transcripts cut from captures by testdata/extract.py) field by
//! field, the compliance harness on them, every limit and malformed case, probe, the JA3/JA4
//! definitions on their published examples, cipher-suite classification, the DER reader, SHA-1,
//! and the seed corpus. Whole-capture agreement with Suricata, tshark and OpenSSL is in
//! crates/ward/tests/peers_tls.rs.

use super::parser::{ja3, ja4, Ja4Input};
use super::record::*;
use super::session::{fuzz, INFO, MAX_RECORD};
use super::tables::*;
use crate::harness;
use crate::{Confidence, DissectEventKind, Limits, Output, Record, StreamDriver};
use ward_model::{Direction, Transport};

const C: Direction = Direction::ToServer;
const S: Direction = Direction::ToClient;

/// A transcript from testdata: (direction, TCP payload) in capture order.
fn transcript(name: &str) -> Vec<(Direction, Vec<u8>)> {
    let path = format!("{}/src/tls/testdata/{name}.transcript", env!("CARGO_MANIFEST_DIR"));
    let b = std::fs::read(&path).expect("transcript");
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let d = if b[i] == 0 { C } else { S };
        let n = u32::from_be_bytes([b[i + 1], b[i + 2], b[i + 3], b[i + 4]]) as usize;
        out.push((d, b[i + 5..i + 5 + n].to_vec()));
        i += 5 + n;
    }
    out
}

fn chunks(t: &[(Direction, Vec<u8>)]) -> Vec<(Direction, &[u8])> {
    t.iter().map(|(d, b)| (*d, &b[..])).collect()
}

fn run(limits: &Limits, t: &[(Direction, Vec<u8>)]) -> (Vec<(Direction, TlsRecord)>, Vec<DissectEventKind>) {
    let out = harness::run(&INFO, Transport::Tcp, limits, &chunks(t));
    split(out)
}

fn split(out: Output) -> (Vec<(Direction, TlsRecord)>, Vec<DissectEventKind>) {
    let recs = out
        .records
        .into_iter()
        .map(|(d, r)| match r {
            Record::Tls(t) => (d, t),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    (recs, out.events.into_iter().map(|e| e.kind).collect())
}

fn kinds(r: &[(Direction, TlsRecord)]) -> Vec<&'static str> {
    r.iter().map(|(_, t)| t.kind()).collect()
}

fn client_hello(r: &[(Direction, TlsRecord)], n: usize) -> &ClientHello {
    r.iter().filter_map(|(_, t)| if let TlsRecord::ClientHello(c) = t { Some(c) } else { None }).nth(n).expect("client hello")
}

fn server_hello(r: &[(Direction, TlsRecord)]) -> &ServerHello {
    r.iter().find_map(|(_, t)| if let TlsRecord::ServerHello(s) = t { Some(s) } else { None }).expect("server hello")
}

fn certs(r: &[(Direction, TlsRecord)], dir: Direction) -> &CertificateChain {
    r.iter().find_map(|(d, t)| if let TlsRecord::Certificate(c) = t { (*d == dir).then_some(c) } else { None }).expect("certificate")
}

fn summary(r: &[(Direction, TlsRecord)]) -> &Summary {
    r.iter().find_map(|(_, t)| if let TlsRecord::Summary(s) = t { Some(s) } else { None }).expect("summary")
}

fn ske(r: &[(Direction, TlsRecord)]) -> &ServerKeyExchange {
    r.iter().find_map(|(_, t)| if let TlsRecord::ServerKeyExchange(s) = t { Some(s) } else { None }).expect("ske")
}

// --- builders for hand-made messages ------------------------------------------------------

fn rec(ct: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![ct, 3, 3, (body.len() >> 8) as u8, body.len() as u8];
    v.extend_from_slice(body);
    v
}

fn hs(t: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![t, (body.len() >> 16) as u8, (body.len() >> 8) as u8, body.len() as u8];
    v.extend_from_slice(body);
    v
}

fn ext(t: u16, body: &[u8]) -> Vec<u8> {
    let mut v = t.to_be_bytes().to_vec();
    v.extend_from_slice(&(body.len() as u16).to_be_bytes());
    v.extend_from_slice(body);
    v
}

fn vec16(b: &[u8]) -> Vec<u8> {
    let mut v = (b.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(b);
    v
}

fn sni(name: &str) -> Vec<u8> {
    let mut entry = vec![0u8];
    entry.extend_from_slice(&vec16(name.as_bytes()));
    ext(0, &vec16(&entry))
}

fn alpn(protos: &[&[u8]]) -> Vec<u8> {
    let mut l = Vec::new();
    for p in protos {
        l.push(p.len() as u8);
        l.extend_from_slice(p);
    }
    ext(16, &vec16(&l))
}

fn u16list(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

/// A ClientHello body: TLS 1.2 legacy version, zero random, no session id, null compression.
fn ch_body(suites: &[u16], exts: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(&[0u8; 32]);
    b.push(0);
    b.extend_from_slice(&vec16(&u16list(suites)));
    b.extend_from_slice(&[1, 0]);
    let e: Vec<u8> = exts.concat();
    b.extend_from_slice(&vec16(&e));
    b
}

fn ch_record(suites: &[u16], exts: &[Vec<u8>]) -> Vec<u8> {
    rec(22, &hs(1, &ch_body(suites, exts)))
}

/// A TLS 1.2 ServerHello record choosing `suite`.
fn sh_record(suite: u16, exts: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(&[7u8; 32]);
    b.push(0);
    b.extend_from_slice(&suite.to_be_bytes());
    b.push(0);
    b.extend_from_slice(&vec16(&exts.concat()));
    rec(22, &hs(2, &b))
}

fn one(limits: &Limits, chunks: &[(Direction, Vec<u8>)]) -> (Vec<(Direction, TlsRecord)>, Vec<DissectEventKind>) {
    run(limits, chunks)
}

fn malformed(e: &[DissectEventKind], reason: &str) -> bool {
    e.iter().any(|k| matches!(k, DissectEventKind::Malformed { reason: r } if *r == reason))
}

fn misbehaving(e: &[DissectEventKind], reason: &str) -> bool {
    e.iter().any(|k| matches!(k, DissectEventKind::PeerMisbehaving { reason: r } if *r == reason))
}

// --- real sessions ------------------------------------------------------------------------

/// `openssl s_client -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -alpn h2,http/1.1` against
/// `s_server -cert_chain`: every message the capture was made with, field by field.
#[test]
fn a_tls12_session_reads_hello_chain_key_exchange_and_counts_the_rest() {
    let (r, e) = run(&Limits::default(), &transcript("tls12-ecdhe-rsa"));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(kinds(&r), ["client_hello", "server_hello", "certificate", "server_key_exchange", "summary"]);
    let ch = client_hello(&r, 0);
    assert_eq!((ch.format, ch.record_version, ch.legacy_version, ch.max_version), ("tls", 0x0301, 0x0303, 0x0303));
    assert_eq!(ch.cipher_suites, [0xc02f, 0x00ff]);
    assert_eq!(ch.cipher_suite_names, ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"]);
    assert_eq!(ch.sni.as_deref(), Some("pump-gw.ward.test"));
    assert_eq!(ch.alpn, ["h2", "http/1.1"]);
    assert_eq!(ch.compression_methods, [0]);
    assert!(ch.extensions.contains(&0) && ch.extensions.contains(&16) && ch.extension_names[0] == "server_name");
    assert!(ch.session_ticket && !ch.pre_shared_key && !ch.early_data && !ch.grease);
    assert!(ch.ja4.as_deref().is_some_and(|j| j.starts_with("t12d02")), "{:?}", ch.ja4);
    assert_eq!(ch.ja3_hash.as_ref().map(String::len), Some(32));
    let sh = server_hello(&r);
    assert_eq!((sh.version, &*sh.version_name, sh.cipher_suite), (0x0303, "TLS 1.2", 0xc02f));
    assert_eq!(sh.alpn.as_deref(), Some("http/1.1"));
    assert!(sh.cipher_suite_weaknesses.is_empty());
    assert!(sh.ja3s.starts_with("771,49199,"));
    let chain = certs(&r, S);
    assert_eq!(chain.chain_length, 2);
    let leaf = &chain.certificates[0];
    assert_eq!(leaf.subject.as_deref(), Some("C=US, ST=Ohio, O=Ward Test Devices, OU=Infusion, CN=pump-gw.ward.test"));
    assert_eq!(leaf.issuer.as_deref(), Some("C=US, O=Ward Test CA, CN=Ward Test Root"));
    assert_eq!((leaf.subject_cn.as_deref(), leaf.subject_o.as_deref()), (Some("pump-gw.ward.test"), Some("Ward Test Devices")));
    assert_eq!((leaf.issuer_cn.as_deref(), leaf.issuer_o.as_deref()), (Some("Ward Test Root"), Some("Ward Test CA")));
    assert_eq!((leaf.key_type.as_deref(), leaf.key_bits), (Some("RSA"), Some(2048)));
    assert_eq!((leaf.signature_algorithm.as_deref(), leaf.signature_hash), (Some("sha256WithRSAEncryption"), Some("sha256")));
    assert_eq!(leaf.san_dns, ["pump-gw.ward.test", "pump-gw"]);
    assert_eq!(leaf.san_ip, ["127.0.0.1"]);
    assert_eq!((leaf.is_ca, leaf.self_signed, leaf.version), (Some(false), false, Some(3)));
    assert_eq!(leaf.not_after_unix.zip(leaf.not_before_unix).map(|(a, b)| (a - b) / 86_400), Some(825), "-days 825");
    assert!(chain.certificates[1].self_signed && chain.certificates[1].is_ca == Some(true));
    let k = ske(&r);
    assert_eq!((k.key_exchange, k.named_group, k.signature_algorithm), ("ECDHE", Some(29), Some(0x0804)));
    let s = summary(&r);
    assert!(s.encrypted);
    assert_eq!((s.version, s.cipher_suite), (Some(0x0303), Some(0xc02f)));
    assert_eq!(s.client.handshake_messages, ["client_hello", "client_key_exchange"]);
    assert_eq!(s.server.handshake_messages, ["server_hello", "certificate", "server_key_exchange", "server_hello_done", "new_session_ticket"]);
    assert!(s.client.change_cipher_spec && s.server.change_cipher_spec);
    assert_eq!((s.client.encrypted_handshake_records, s.server.encrypted_handshake_records), (1, 1), "the Finished messages");
    assert_eq!((s.client.application_data_records, s.server.application_data_records), (1, 1));
    assert_eq!((s.client.alert_records, s.server.alert_records), (1, 1), "encrypted close_notify, counted");
}

/// TLS 1.3 with a HelloRetryRequest: the second ClientHello after the client's compatibility
/// ChangeCipherSpec is read; after the ServerHello nothing is (no certificate record).
#[test]
fn tls13_hello_retry_then_everything_after_the_server_hello_is_counted_only() {
    let (r, e) = run(&Limits::default(), &transcript("tls13-hrr"));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(kinds(&r), ["client_hello", "hello_retry_request", "client_hello", "server_hello", "summary"]);
    let TlsRecord::HelloRetryRequest(hrr) = &r[1].1 else { panic!() };
    assert_eq!((hrr.version, hrr.key_share_group, hrr.key_share_group_name.as_deref()), (0x0304, Some(24), Some("secp384r1")));
    assert_eq!(client_hello(&r, 0).key_share_groups, [29]);
    assert_eq!(client_hello(&r, 1).key_share_groups, [24]);
    assert_eq!(client_hello(&r, 0).max_version, 0x0304);
    assert!(client_hello(&r, 0).ja4.as_deref().is_some_and(|j| j.starts_with("t13d")));
    let sh = server_hello(&r);
    assert_eq!((sh.legacy_version, sh.version, &*sh.version_name), (0x0303, 0x0304, "TLS 1.3"));
    let s = summary(&r);
    assert!(s.encrypted);
    assert_eq!(s.server.handshake_messages, ["hello_retry_request", "server_hello"]);
    assert!(s.server.application_data_records >= 4, "encrypted flights and data: {:?}", s.server);
    assert_eq!(s.server.encrypted_handshake_records, 0, "TLS 1.3 wraps them as application_data");
}

/// Suricata's tls-altname-zero capture: an SSLv2-compatible CLIENT-HELLO offering TLS 1.0,
/// answered in TLS 1.0 with DHE-RSA and a 1024-bit group; a SAN with a NUL byte.
#[test]
fn an_sslv2_compatible_client_hello_is_recognised() {
    let (r, e) = run(&Limits::default(), &transcript("sslv2-hello-tls10-dhe"));
    assert!(e.is_empty(), "{e:?}");
    let ch = client_hello(&r, 0);
    assert_eq!((ch.format, ch.record_version, ch.legacy_version, &*ch.legacy_version_name), ("sslv2", 2, 0x0301, "TLS 1.0"));
    assert_eq!(ch.sslv2_cipher_kinds.len(), 29);
    assert_eq!(ch.sslv2_cipher_kinds[6], 0x0700c0, "SSL2_DES_192_EDE3_CBC_WITH_MD5");
    assert_eq!(ch.cipher_suites.len(), 23);
    assert!(ch.ja3.is_none() && ch.ja4.is_none());
    let sh = server_hello(&r);
    assert_eq!((&*sh.version_name, &*sh.cipher_suite_name), ("TLS 1.0", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"));
    assert_eq!(ske(&r).dh_group_bits, Some(1024));
    let leaf = &certs(&r, S).certificates[0];
    assert_eq!(leaf.serial.as_deref(), Some("03:DE:23:89:7E:97:FB:86:8E:7C:C5:53:09:FE:AE:D0:AE:20"));
    assert_eq!(leaf.sha1_fingerprint, "8d:97:4b:41:04:3f:55:37:d0:58:90:a4:13:3b:7b:85:c6:46:81:cb");
    assert!(leaf.san_dns.iter().any(|s| s == "server15.xn--j1ahhq.xn\\00-p1ai"));
}

/// A failed handshake's cleartext fatal alert.
#[test]
fn a_cleartext_alert_is_reported() {
    let (r, e) = run(&Limits::default(), &transcript("tls12-handshake-failure"));
    assert!(e.is_empty(), "{e:?}");
    let a = r.iter().find_map(|(d, t)| if let TlsRecord::Alert(a) = t { Some((*d, a.clone())) } else { None }).expect("alert");
    assert_eq!(a, (S, Alert { level: 2, description: 40, description_name: "handshake_failure" }));
    assert!(!summary(&r).encrypted);
}

/// Mutual TLS 1.2: the client's certificate (subject "Dr Jane Example") is reported without
/// subject, CN, O or SANs; its issuer and key are kept.
#[test]
fn a_client_certificate_is_reported_without_its_subject() {
    let (r, _) = run(&Limits::default(), &transcript("tls12-client-cert"));
    let c = &certs(&r, C).certificates[0];
    assert!(c.subject_withheld && c.subject.is_none() && c.subject_cn.is_none() && c.subject_o.is_none() && c.san_dns.is_empty());
    assert_eq!(c.issuer_o.as_deref(), Some("Ward Test CA"));
    assert_eq!(c.key_bits, Some(2048));
    let json = serde_json::to_string(&r.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>()).expect("json");
    assert!(!json.contains("Jane"), "the person's name is not repeated");
    assert!(certs(&r, S).certificates[0].subject.is_some(), "the server's is kept");
}

/// The untrusted-certificate facts of a self-signed RSA-1024 SHA-1 certificate issued for
/// 30 days from 2019-03-01 (made with faketime, tests/pcap/tls/HOWTO.md), judged at the time
/// of the capture and at a time inside its validity; a DHE group of 1024 bits is weak.
#[test]
fn certificate_weaknesses_are_judged_at_the_given_time() {
    let (r, _) = run(&Limits::default(), &transcript("tls12-selfsigned-expired-rsa1024-sha1"));
    let c = &certs(&r, S).certificates[0];
    assert_eq!((c.not_before.as_deref(), c.not_after.as_deref()), (Some("2019-03-01T12:00:00Z"), Some("2019-03-31T12:00:00Z")));
    let captured = 1_796_000_000; // 2026-11-30, a week after the captures were made
    use CertWeakness::*;
    assert_eq!(c.weaknesses(captured), [SelfSigned, Expired, WeakKey, WeakSignature]);
    assert_eq!(c.weaknesses(1_552_000_000), [SelfSigned, WeakKey, WeakSignature], "2019-03-07: still valid");
    assert_eq!(c.weaknesses(1_500_000_000), [SelfSigned, NotYetValid, WeakKey, WeakSignature]);
    assert_eq!(serde_json::to_string(&[SelfSigned, WeakSignature]).expect("json"), r#"["self-signed","weak-signature"]"#);
    let (r, _) = run(&Limits::default(), &transcript("tls12-ecdhe-rsa"));
    assert!(certs(&r, S).certificates[0].weaknesses(captured).is_empty());
    assert!(!ske(&r).weak_group());
    let (r, _) = run(&Limits::default(), &transcript("sslv2-hello-tls10-dhe"));
    assert!(ske(&r).weak_group());
}

/// Under a NULL cipher the HTTP request (Basic credentials, patient MRN) is plaintext on the
/// wire; it is counted as application data and never read.
#[test]
fn application_data_is_counted_never_read_even_when_it_is_plaintext() {
    let t = transcript("tls12-null-curl");
    let wire: Vec<u8> = t.iter().flat_map(|(_, b)| b.clone()).collect();
    assert!(wire.windows(12).any(|w| w == b"MRN-00424242"), "the transcript does carry it");
    let (r, _) = run(&Limits::default(), &t);
    assert_eq!(server_hello(&r).cipher_suite_weaknesses, [CipherWeakness::Null]);
    let json = serde_json::to_string(&r.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>()).expect("json");
    for s in ["MRN-00424242", "bnVyc2Uuc3RhdGlvbjpXaDF0ZS1SYWJiaXQtU2VjcmV0", "Authorization", "GET /"] {
        assert!(!json.contains(s), "records repeat {s}");
    }
    assert_eq!(summary(&r).client.application_data_records, 1);
    // A 16 KiB application data record fed 100 bytes at a time is never held.
    let mut d = StreamDriver::new(&INFO, Transport::Tcp, &Limits::default());
    let mut out = Output::default();
    for (dir, b) in &t[..4] {
        d.feed(*dir, b, &mut out);
    }
    let big = rec(23, &vec![0x41; 16384]);
    for piece in big.chunks(100) {
        d.feed(C, piece, &mut out);
        assert!(d.buffered() < 5, "application data buffered: {}", d.buffered());
    }
}

/// The draft-28 session of Suricata's tls13-draft28 (JA3 values from its test.yaml).
#[test]
fn tls13_draft28_version_and_ja3_as_suricata_expects() {
    let (r, e) = run(&Limits::default(), &transcript("tls13-draft28"));
    assert!(e.is_empty(), "{e:?}");
    let ch = client_hello(&r, 0);
    assert_eq!(ch.ja3_hash.as_deref(), Some("43202faa1c8c1760d6f7f4bd9adde4ab"));
    assert_eq!(&*server_hello(&r).version_name, "TLS 1.3 draft-28");
    assert_eq!(server_hello(&r).version, 0x7f1c);
    assert_eq!(kinds(&r), ["client_hello", "server_hello", "summary"]);
}

/// Suricata's ja4-tls capture: the JA4 its test.yaml expects.
#[test]
fn ja4_as_suricata_expects() {
    let (r, _) = run(&Limits::default(), &transcript("ja4-tls"));
    assert_eq!(client_hello(&r, 0).ja4.as_deref(), Some("t12i1810s1_27d4652c4487_06a4338d0495"));
}

// --- the compliance harness ---------------------------------------------------------------

/// Split invariance at every byte, one byte at a time, and no invented record after a gap, on
/// a TLS 1.2 session with a certificate chain, a TLS 1.3 one with HelloRetryRequest, an SSLv2
/// hello and a failed handshake.
#[test]
fn sessions_are_split_invariant_and_clean_after_gaps() {
    for name in ["tls12-ecdhe-rsa", "tls13-hrr", "sslv2-hello-tls10-dhe", "tls12-handshake-failure", "tls12-client-cert"] {
        let t = transcript(name);
        let c = chunks(&t);
        harness::assert_split_invariant(&INFO, &Limits::default(), &c);
        harness::assert_clean_after_gap(&INFO, &Limits::default(), &c);
        harness::assert_truncation_safe(&INFO, Transport::Tcp, &Limits::default(), &c);
    }
}

/// A gap stops the direction (LostSync) and suppresses the summary, whose counts would be wrong.
#[test]
fn a_gap_stops_the_direction_and_the_summary() {
    let t = transcript("tls12-ecdhe-rsa");
    let mut d = StreamDriver::new(&INFO, Transport::Tcp, &Limits::default());
    let mut out = Output::default();
    d.feed(t[0].0, &t[0].1, &mut out);
    d.gap(S, 100, &mut out);
    for (dir, b) in &t[1..] {
        d.feed(*dir, b, &mut out);
    }
    for dir in Direction::BOTH {
        d.eof(dir, &mut out);
    }
    let (r, e) = split(out);
    assert_eq!(kinds(&r), ["client_hello"]);
    assert_eq!(e, [DissectEventKind::LostSync]);
}

// --- limits ---------------------------------------------------------------------------------

#[test]
fn every_limit_raises_its_event_and_fingerprints_stay_whole() {
    let t = transcript("tls12-ecdhe-rsa");
    let c = chunks(&t);
    let whole = run(&Limits::default(), &t).0;
    let mut l = Limits::default();
    l.tls.max_handshake_len = 1000;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &c, "tls.max_handshake_len");
    let (r, _) = run(&l, &t);
    assert_eq!(kinds(&r), ["client_hello", "server_hello", "server_key_exchange", "summary"], "the chain is skipped, the rest read");
    let mut l = Limits::default();
    l.tls.max_messages = 2;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &c, "tls.max_messages");
    let (r, _) = run(&l, &t);
    assert_eq!(kinds(&r), ["client_hello", "server_hello", "certificate", "summary"]);
    let mut l = Limits::default();
    l.tls.max_list = 1;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &c, "tls.max_list");
    let (r, _) = run(&l, &t);
    assert_eq!(client_hello(&r, 0).cipher_suites.len(), 1);
    assert_eq!(client_hello(&r, 0).ja3, client_hello(&whole, 0).ja3, "JA3 from the whole lists");
    assert_eq!(client_hello(&r, 0).ja4, client_hello(&whole, 0).ja4, "JA4 from the whole lists");
    let mut l = Limits::default();
    l.tls.max_certificates = 1;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &c, "tls.max_certificates");
    let (r, _) = run(&l, &t);
    assert_eq!((certs(&r, S).chain_length, certs(&r, S).certificates.len()), (2, 1));
    let mut l = Limits::default();
    l.tls.max_names = 1;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &c, "tls.max_names");
    let (r, _) = run(&l, &t);
    assert_eq!(certs(&r, S).certificates[0].san_dns, ["pump-gw.ward.test"]);
    let mut l = Limits::default();
    l.tls.max_text = 7;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &c, "tls.max_text");
    let (r, _) = run(&l, &t);
    assert_eq!(client_hello(&r, 0).sni.as_deref(), Some("pump-gw"));
    assert_eq!(certs(&r, S).certificates[0].subject.as_deref().map(|s| s.chars().count()), Some(7));
}

// --- malformed input ------------------------------------------------------------------------

#[test]
fn broken_record_headers_stop_the_direction_with_their_reason() {
    let ch = ch_record(&[0x1301], &[]);
    for (patch, reason) in [((0, 0x19), "tls.record_content_type"), ((1, 4), "tls.record_version"), ((2, 9), "tls.record_version")] {
        let mut b = ch.clone();
        b[patch.0] = patch.1;
        let (r, e) = one(&Limits::default(), &[(C, b)]);
        assert!(r.is_empty());
        assert_eq!(e, [DissectEventKind::Malformed { reason }, DissectEventKind::LostSync]);
    }
    let mut b = ch.clone();
    let too_long = (MAX_RECORD + 1) as u16;
    b[3..5].copy_from_slice(&too_long.to_be_bytes());
    let (_, e) = one(&Limits::default(), &[(C, b)]);
    assert!(malformed(&e, "tls.record_length"));
}

#[test]
fn broken_hellos_raise_typed_events() {
    // Odd cipher suite length.
    let mut body = ch_body(&[0x1301], &[]);
    body[36] = 3;
    let (r, e) = one(&Limits::default(), &[(C, rec(22, &hs(1, &body)))]);
    assert!(kinds(&r).iter().all(|k| *k == "summary"));
    assert!(malformed(&e, "tls.client_hello_truncated") || malformed(&e, "tls.cipher_suites_length"), "{e:?}");
    // Cut inside the random.
    let (_, e) = one(&Limits::default(), &[(C, rec(22, &hs(1, &[3, 3, 0, 0])))]);
    assert!(malformed(&e, "tls.client_hello_truncated"));
    // An SNI list longer than its extension: the record stays, the extension is flagged.
    let mut bad_sni = sni("pump");
    bad_sni[5] = 0x40;
    let (r, e) = one(&Limits::default(), &[(C, ch_record(&[0x1301], &[bad_sni, alpn(&[b"h2"])]))]);
    assert!(malformed(&e, "tls.extension_body"));
    assert_eq!(client_hello(&r, 0).sni, None);
    assert_eq!(client_hello(&r, 0).alpn, ["h2"]);
    // The same extension twice.
    let (_, e) = one(&Limits::default(), &[(C, ch_record(&[0x1301], &[sni("a"), sni("b")]))]);
    assert!(misbehaving(&e, "tls.duplicate_extension"));
    // Trailing bytes after the extensions.
    let mut body = ch_body(&[0x1301], &[]);
    body.push(0);
    let (r, e) = one(&Limits::default(), &[(C, rec(22, &hs(1, &body)))]);
    assert!(malformed(&e, "tls.trailing_bytes") && kinds(&r)[0] == "client_hello");
    // SSLv2 with a message type other than CLIENT-HELLO first.
    let (_, e) = one(&Limits::default(), &[(C, vec![0x80, 3, 7, 0, 2])]);
    assert!(malformed(&e, "tls.sslv2_message_type"));
}

#[test]
fn broken_handshake_contents_raise_typed_events() {
    let suite = 0xc02f;
    let hello = (C, ch_record(&[suite], &[]));
    // An unknown handshake type.
    let (_, e) = one(&Limits::default(), &[hello.clone(), (S, rec(22, &hs(99, &[1, 2])))]);
    assert!(misbehaving(&e, "tls.unknown_handshake_type"));
    // A ChangeCipherSpec whose byte is not 1, an empty record, an odd alert.
    let (_, e) = one(&Limits::default(), &[hello.clone(), (S, rec(20, &[2]))]);
    assert!(misbehaving(&e, "tls.change_cipher_spec"));
    let (_, e) = one(&Limits::default(), &[hello.clone(), (S, rec(22, &[]))]);
    assert!(misbehaving(&e, "tls.empty_record"));
    let (r, e) = one(&Limits::default(), &[hello.clone(), (S, rec(21, &[2, 40, 1]))]);
    assert!(malformed(&e, "tls.alert_length"));
    assert_eq!(kinds(&r).iter().filter(|k| **k == "alert").count(), 1);
    // A certificate list whose DER is cut: the record says where parsing stopped.
    let mut der = vec![0x30, 0x82, 0x01, 0x00, 0x30, 0x03, 0x02, 0x01];
    der.resize(40, 0);
    let mut list = vec![0, 0, der.len() as u8];
    list.extend_from_slice(&der);
    let mut body = vec![0, 0, list.len() as u8];
    body.extend_from_slice(&list);
    let (r, e) = one(&Limits::default(), &[hello.clone(), (S, sh_record(suite, &[])), (S, rec(22, &hs(11, &body)))]);
    assert!(malformed(&e, "tls.certificate_der"));
    let c = &certs(&r, S).certificates[0];
    assert_eq!((c.parse_error, c.der_len), (Some("truncated"), 40));
    // A certificate message whose list length overruns it.
    let (_, e) = one(&Limits::default(), &[hello.clone(), (S, rec(22, &hs(11, &[0, 1, 0, 0])))]);
    assert!(malformed(&e, "tls.certificate_length"));
    // A ServerKeyExchange with an unknown curve type.
    let (_, e) = one(&Limits::default(), &[hello, (S, sh_record(suite, &[])), (S, rec(22, &hs(12, &[9, 0, 23])))]);
    assert!(malformed(&e, "tls.server_key_exchange_curve_type"));
}

/// A handshake message split across three records is reassembled; a ServerHello and its
/// Certificate packed in one record are both read.
#[test]
fn handshake_messages_are_reassembled_across_records() {
    let msg = hs(1, &ch_body(&[0x1301, 0x0a0a], &[sni("monitor.icu"), alpn(&[b"http/1.1"])]));
    let (a, b) = msg.split_at(10);
    let (b, c) = b.split_at(30);
    let stream = [rec(22, a), rec(22, b), rec(22, c)].concat();
    let (r, e) = one(&Limits::default(), &[(C, stream)]);
    assert!(e.is_empty(), "{e:?}");
    let ch = client_hello(&r, 0);
    assert_eq!(ch.sni.as_deref(), Some("monitor.icu"));
    assert!(ch.grease);
    assert_eq!(ch.cipher_suite_names, ["TLS_AES_128_GCM_SHA256", "GREASE"]);
}

// --- probe ----------------------------------------------------------------------------------

#[test]
fn probe_knows_hellos_on_any_port_and_nothing_else() {
    let p = |d, b: &[u8]| (INFO.probe)(Transport::Tcp, d, b);
    let ch = ch_record(&[0x1301], &[sni("x")]);
    assert_eq!(p(C, &ch), Confidence::High);
    assert_eq!(p(C, &ch[..4]), Confidence::NeedMore);
    assert_eq!(p(C, &ch[..8]), Confidence::NeedMore);
    assert_eq!(p(S, &sh_record(0x1301, &[])), Confidence::High);
    assert_eq!(p(S, &ch), Confidence::Low, "a ClientHello from the server is not distinctive");
    assert_eq!(p(C, &rec(23, &[1; 40])), Confidence::Low, "application data mid-stream");
    assert_eq!(p(C, b"GET / HTTP/1.1\r\n"), Confidence::No);
    assert_eq!(p(C, &[0x16, 3, 9, 0, 5]), Confidence::No);
    assert_eq!(p(C, &[0x16, 3, 3, 0xff, 0xff]), Confidence::No, "longer than a record can be");
    assert_eq!(p(C, &[]), Confidence::NeedMore);
    let v2 = &transcript("sslv2-hello-tls10-dhe")[0].1;
    assert_eq!(p(C, v2), Confidence::High);
    assert_eq!(p(C, &v2[..6]), Confidence::NeedMore);
    assert_eq!(p(S, v2), Confidence::No);
    let mut bad = v2.clone();
    bad[10] = 7;
    assert_eq!(p(C, &bad), Confidence::No, "challenge length out of range");
}

// --- fingerprints ---------------------------------------------------------------------------

/// The examples of FoxIO's JA4 technical details: cipher hash 8daaf6152771, extension hash
/// e5627efa2ab1 (6d807ffa2a79 without signature algorithms), `t13d1516h2`; GREASE ignored.
#[test]
fn ja4_matches_the_published_example() {
    let ciphers = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
    let exts = [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015];
    let sig = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
    let i = Ja4Input { version: 0x0304, sni: true, ciphers: &ciphers, extensions: &exts, alpn: Some(b"h2"), sigalgs: &sig };
    assert_eq!(ja4(&i), "t13d1516h2_8daaf6152771_e5627efa2ab1");
    let no_sig = Ja4Input { sigalgs: &[], ..i };
    assert!(ja4(&no_sig).ends_with("_6d807ffa2a79"));
    let with_grease: Vec<u16> = [0x0a0a].into_iter().chain(ciphers).collect();
    let gexts: Vec<u16> = [0x1a1a].into_iter().chain(exts).chain([0xfafa]).collect();
    let gsig: Vec<u16> = [0x2a2a].into_iter().chain(sig).collect();
    let g = Ja4Input { ciphers: &with_grease, extensions: &gexts, sigalgs: &gsig, ..i };
    assert_eq!(ja4(&g), "t13d1516h2_8daaf6152771_e5627efa2ab1");
    let empty = Ja4Input { version: 0x0301, sni: false, ciphers: &[], extensions: &[0x0000, 0x0010], alpn: None, sigalgs: &[] };
    assert_eq!(ja4(&empty), "t10i000200_000000000000_000000000000");
}

/// The ALPN rule: first and last characters, or of the hex form when either is not
/// alphanumeric (the spec's examples), a single character doubled, `00` when absent.
#[test]
fn ja4_alpn_characters_follow_the_rule() {
    let a = |p: Option<&[u8]>| {
        let i = Ja4Input { version: 0x0303, sni: false, ciphers: &[1], extensions: &[1], alpn: p, sigalgs: &[] };
        ja4(&i)[8..10].to_string()
    };
    assert_eq!(a(Some(b"http/1.1")), "h1");
    assert_eq!(a(Some(b"h")), "hh");
    assert_eq!(a(Some(&[0xab])), "ab");
    assert_eq!(a(Some(&[0xab, 0xcd])), "ad");
    assert_eq!(a(Some(&[0x30, 0xab])), "3b");
    assert_eq!(a(Some(&[0x30, 0x31, 0xab, 0xcd])), "3d");
    assert_eq!(a(Some(&[0x30, 0xab, 0xcd, 0x31])), "01");
    assert_eq!(a(Some(b"")), "00");
    assert_eq!(a(None), "00");
    // Counts are capped at 99.
    let many: Vec<u16> = (1..=120).collect();
    let i = Ja4Input { version: 0x0303, sni: false, ciphers: &many, extensions: &many, alpn: None, sigalgs: &[] };
    assert!(ja4(&i).starts_with("t12i9999"));
}

/// Salesforce's JA3: decimal values, `-` inside a field, GREASE removed everywhere.
#[test]
fn ja3_follows_its_definition() {
    assert_eq!(ja3(769, &[0x0a0a, 47, 53], &[0x1a1a, 0, 10], &[0x2a2a, 23, 24], &[0]), "769,47-53,0-10,23-24,0");
    assert_eq!(ja3(771, &[4865], &[], &[], &[]), "771,4865,,,");
}

// --- tables ---------------------------------------------------------------------------------

#[test]
fn versions_grease_and_weak_suites_are_named() {
    for (v, n) in [(0x0002, "SSL 2.0"), (0x0300, "SSL 3.0"), (0x0301, "TLS 1.0"), (0x0302, "TLS 1.1"), (0x0303, "TLS 1.2"), (0x0304, "TLS 1.3"), (0x7f1c, "TLS 1.3 draft-28"), (0x3a3a, "GREASE"), (0x1234, "0x1234")] {
        assert_eq!(version_name(v), n);
    }
    assert!([0x0002, 0x0300, 0x0301, 0x0302].iter().all(|v| is_deprecated_version(*v)));
    assert!(![0x0303, 0x0304, 0x7f1c].iter().any(|v| is_deprecated_version(*v)));
    assert!((0..16u16).all(|i| is_grease(0x0a0a + i * 0x1010)));
    assert!(!is_grease(0x0a0b) && !is_grease(0x1a2a) && !is_grease(0x0303));
    use CipherWeakness::*;
    for (id, w) in [
        (0x0000, vec![Null, Anonymous]),
        (0x0001, vec![Null, Md5Mac]),
        (0x003b, vec![Null]),
        (0x0003, vec![Export, Rc4, Md5Mac]),
        (0x0004, vec![Rc4, Md5Mac]),
        (0x0005, vec![Rc4]),
        (0x0006, vec![Export, Rc2, Md5Mac]),
        (0x0007, vec![Idea]),
        (0x0008, vec![Export, Des]),
        (0x0009, vec![Des]),
        (0x000a, vec![TripleDes]),
        (0x0018, vec![Anonymous, Rc4, Md5Mac]),
        (0x0034, vec![Anonymous]),
        (0xc016, vec![Anonymous, Rc4]),
        (0xc012, vec![TripleDes]),
        (0xc02f, vec![]),
        (0x1301, vec![]),
        (0x00ff, vec![]),
        (0xbeef, vec![]),
    ] {
        assert_eq!(cipher_suite_weaknesses(id), w, "0x{id:04x} {:?}", cipher_suite_name(id));
    }
    assert_eq!(serde_json::to_string(&[TripleDes, Md5Mac, Anonymous]).expect("json"), r#"["3DES","MD5 MAC","anonymous"]"#);
    assert_eq!(key_exchange(0xc02f).map(|k| (k.method, k.anonymous)), Some((KxMethod::Ecdhe, false)));
    assert_eq!(key_exchange(0x0034).map(|k| (k.method, k.anonymous)), Some((KxMethod::Dhe, true)));
    assert_eq!(key_exchange(0x0008).map(|k| (k.method, k.export)), Some((KxMethod::Rsa, true)));
    assert_eq!(key_exchange(0x008e).map(|k| k.method), Some(KxMethod::DhePsk));
    assert_eq!(key_exchange(0x1301), None);
    assert_eq!(cipher_suite_label(0x5a5a), "GREASE");
    assert_eq!(extension_name(65281), "renegotiation_info");
    assert_eq!(alert_name(48), "unknown_ca");
}

/// Ward's table names every suite as tshark does (`tshark -G values`); every suite must be in
/// tshark's table.
#[test]
fn cipher_suite_names_agree_with_tshark() {
    let o = std::process::Command::new("tshark").args(["-G", "values"]).output().expect("tshark (scripts/test.sh installs it)");
    let text = String::from_utf8_lossy(&o.stdout);
    let mut n = 0;
    for line in text.lines() {
        let c: Vec<&str> = line.split('\t').collect();
        if c.len() != 4 || c[1] != "tls.handshake.ciphersuite" {
            continue;
        }
        let id: u16 = c[2].parse().expect("id");
        if let Some(ours) = cipher_suite_name(id) {
            assert_eq!(ours, c[3], "0x{id:04x}");
            n += 1;
        }
    }
    let total = (0..=u16::MAX).filter(|i| cipher_suite_name(*i).is_some()).count();
    assert_eq!(n, total, "every suite of Ward's table is in tshark's, with the same name");
}

// --- DER reader -----------------------------------------------------------------------------

#[test]
fn der_times_oids_and_broken_certificates() {
    use super::x509::{oid_string, time, Tlv};
    let t = |tag, s: &str| time(Tlv { tag, body: s.as_bytes() });
    assert_eq!(t(0x17, "490101000000Z"), Ok(("2049-01-01T00:00:00Z".into(), 2_493_072_000)));
    assert_eq!(t(0x17, "500101000000Z"), Ok(("1950-01-01T00:00:00Z".into(), -631_152_000)));
    assert_eq!(t(0x18, "20240229235959.123Z").map(|x| x.0), Ok("2024-02-29T23:59:59Z".into()));
    assert_eq!(t(0x17, "2302291200Z").map(|x| x.0), Err("time"), "2023 is not a leap year");
    assert_eq!(t(0x17, "231301000000Z"), Err("time"));
    assert_eq!(t(0x17, "230101000000+0100"), Err("time"));
    assert_eq!(t(0x18, "2023"), Err("time"));
    assert_eq!(oid_string(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]).as_deref(), Ok("1.2.840.113549.1.1.11"));
    assert_eq!(oid_string(&[0x2b, 0x65, 0x70]).as_deref(), Ok("1.3.101.112"));
    assert!(oid_string(&[0x86]).is_err() && oid_string(&[]).is_err());
    assert!(oid_string(&[0xff; 12]).is_err(), "arcs beyond 64 bits are refused");
    // Every prefix and every single-byte corruption of a real certificate: no panic, the
    // fingerprint always there, what was read before the damage kept.
    let server: Vec<u8> = transcript("tls12-ecdhe-rsa").iter().filter(|(d, _)| *d == S).flat_map(|(_, b)| b.clone()).collect();
    let start = server.windows(2).position(|w| w == [0x30, 0x82]).expect("a certificate");
    let len = usize::from(server[start + 2]) << 8 | usize::from(server[start + 3]);
    let der = &server[start..start + 4 + len];
    let mut k = super::text::Bounds { max_text: 256, max_list: 256, max_names: 64, text_cut: false, list_cut: false, names_cut: false };
    let whole = super::x509::certificate(der, false, &mut k);
    assert_eq!(whole.parse_error, None);
    for n in 0..der.len() {
        let c = super::x509::certificate(&der[..n], false, &mut k);
        assert!(c.parse_error.is_some(), "a certificate cut at {n} is flagged");
        assert_eq!(c.der_len, n);
    }
    for i in 0..der.len() {
        for x in [0x01u8, 0x80, 0xff] {
            let mut d = der.to_vec();
            d[i] ^= x;
            let c = super::x509::certificate(&d, false, &mut k);
            assert_eq!(c.sha256_fingerprint.len(), 95);
        }
    }
}

#[test]
fn sha1_matches_the_fips_180_examples() {
    let h = |b: &[u8]| super::text::hex(&super::sha1::sha1(b));
    assert_eq!(h(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assert_eq!(h(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(h(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    assert_eq!(h(&vec![b'a'; 1_000_000]), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    // Lengths around the padding boundaries; digests from `openssl dgst -sha1`.
    for (n, d) in [
        (55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"),
        (56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"),
        (63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"),
        (64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"),
        (65, "11655326c708d70319be2610e8a57d9a5b959d3b"),
        (119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"),
        (120, "f34c1488385346a55709ba056ddd08280dd4c6d6"),
    ] {
        assert_eq!(h(&vec![b'a'; n]), d, "{n} bytes");
    }
}

// --- seeds and arbitrary input --------------------------------------------------------------

/// Every seed of fuzz/corpus/tls holds the fuzz target's properties; the corpus has real
/// sessions of both directions and damaged variants.
#[test]
fn the_seed_corpus_holds_the_fuzz_properties() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus/tls");
    let mut n = 0;
    let mut damaged = 0;
    for e in std::fs::read_dir(dir).expect("corpus").flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        fuzz(&std::fs::read(e.path()).expect("seed"));
        n += 1;
        damaged += usize::from(name.starts_with("corrupt-") || name.starts_with("trunc-") || name.starts_with("garbage-"));
    }
    assert!(n >= 8 && damaged >= 5, "{n} seeds, {damaged} damaged");
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        fuzz(&data);
    }

    #[test]
    fn arbitrary_bytes_after_a_hello_header_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
        let mut m = vec![0x16, 3, 1, (tail.len() >> 8) as u8, tail.len() as u8];
        m.extend_from_slice(&tail);
        fuzz(&m);
    }

    #[test]
    fn a_real_server_flight_with_one_byte_changed_never_panics(i in 0usize..6833, x in 1u8..=255) {
        let s: Vec<u8> = transcript("tls12-ecdhe-rsa").iter().filter(|(d, _)| *d == S).flat_map(|(_, b)| b.clone()).collect();
        let mut s = s;
        let i = i % s.len();
        s[i] ^= x;
        fuzz(&s);
    }
}

/// Hex written by hand is what the formatting machinery writes.
#[test]
fn hand_written_hex_is_formats() {
    let bytes: Vec<u8> = (0..=255u8).collect();
    let want_plain: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let want_colon: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(super::text::hex(&bytes), want_plain);
    assert_eq!(super::text::colon_hex(&bytes), want_colon.join(":"));
    assert_eq!(super::text::hex(&[]), "");
    assert_eq!(super::text::colon_hex(&[]), "");
    let values: Vec<u16> = (0..=u16::MAX).step_by(251).chain([0, 0xa, 0x1301, 0xffff]).collect();
    for n in [0usize, 1, 2, values.len()] {
        let v = &values[..n];
        let want: Vec<String> = v.iter().map(|x| format!("{x:04x}")).collect();
        assert_eq!(super::parser::hex4_list(v), want.join(","));
    }
}
