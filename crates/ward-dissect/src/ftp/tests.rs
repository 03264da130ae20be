//! FTP tests on the control connection of a real pyftpdlib session (Python ftplib client) from
//! tests/pcap/lan/hospital-devices, extracted into fuzz/corpus/ftp, and edge cases.

use super::*;
use crate::{harness, DissectEventKind, Limits, Record};
use ward_model::{Direction, Transport};

const CLIENT: &[u8] = include_bytes!("../../../../fuzz/corpus/ftp/client.bin");
const SERVER: &[u8] = include_bytes!("../../../../fuzz/corpus/ftp/server.bin");

fn recs(dir: Direction, data: &[u8]) -> Vec<FtpRecord> {
    let out = harness::run(&INFO, Transport::Tcp, &Limits::default(), &[(dir, data)]);
    out.records.into_iter().map(|(_, r)| if let Record::Ftp(f) = r { f } else { panic!("not ftp") }).collect()
}

/// Every command verb in order, arguments marked present but never kept.
#[test]
fn commands_keep_verbs_only() {
    let r = recs(Direction::ToServer, CLIENT);
    let verbs: Vec<&str> = r.iter().filter_map(|x| x.command.as_deref()).collect();
    assert_eq!(verbs, ["USER", "PASS", "TYPE", "PASV", "NLST", "TYPE", "PASV", "RETR", "QUIT"]);
    assert!(r[0].argument_present && !r[0].anonymous && r[1].argument_present);
    let json = serde_json::to_string(&r).expect("json");
    assert!(!json.contains("biomed") && !json.contains("Ftp-Pw") && !json.contains("WARDTEST"));
}

/// Replies: codes in order; the greeting's text is kept (a device clue), other texts are not.
#[test]
fn replies_keep_codes_and_the_greeting() {
    let r = recs(Direction::ToClient, SERVER);
    let codes: Vec<u16> = r.iter().filter_map(|x| x.code).collect();
    assert_eq!(codes, [220, 331, 230, 200, 227, 150, 226, 200, 227, 150, 226, 221]);
    assert_eq!(r[0].text.as_deref(), Some("Sigma Spectrum FTP service ready"));
    assert!(r[1..].iter().all(|x| x.text.is_none()));
}

/// A multi-line reply is one record; after AUTH TLS is accepted nothing more is parsed.
#[test]
fn multiline_and_auth_tls() {
    let data = b"220-Welcome\r\n line two\r\n220 ready\r\n";
    let r = recs(Direction::ToClient, data);
    assert_eq!(r.len(), 1);
    let out = harness::run(&INFO, Transport::Tcp, &Limits::default(), &[
        (Direction::ToServer, b"AUTH TLS\r\n"),
        (Direction::ToClient, b"234 go\r\n"),
        (Direction::ToServer, b"\x16\x03\x01\x00\x05hello\r\nUSER x\r\n"),
    ]);
    assert_eq!(out.records.len(), 2, "{:?}", out.records);
}

/// Anonymous logins are named; overlong lines raise the limit; junk is malformed, never fatal.
#[test]
fn anonymous_limits_and_junk() {
    let r = recs(Direction::ToServer, b"USER anonymous\r\nPASS guest@\r\n");
    assert!(r[0].anonymous);
    let mut l = Limits::default();
    l.ftp.max_line = 16;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &[(Direction::ToServer, b"USER aaaaaaaaaaaaaaaaaaaaaaaaa\r\nPASS x\r\n")], "ftp.max_line");
    let out = harness::run(&INFO, Transport::Tcp, &Limits::default(), &[(Direction::ToServer, b"\x00\xff\r\n")]);
    assert!(out.events.iter().any(|e| e.kind == DissectEventKind::Malformed { reason: "ftp.command" }));
}

/// The compliance harness on the real session.
#[test]
fn harness_properties_hold() {
    let l = Limits::default();
    for (dir, data) in [(Direction::ToServer, CLIENT), (Direction::ToClient, SERVER)] {
        harness::assert_split_invariant(&INFO, &l, &[(dir, data)]);
        harness::assert_truncation_safe(&INFO, Transport::Tcp, &l, &[(dir, data)]);
        harness::assert_clean_after_gap(&INFO, &l, &[(dir, data)]);
    }
}

/// Every seed of the fuzz corpus holds the fuzz properties.
#[test]
fn corpus_seeds_hold_the_properties() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/ftp");
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("corpus").flatten() {
        fuzz(&std::fs::read(e.path()).expect("seed"));
        n += 1;
    }
    assert!(n >= 8, "{n} seeds");
}
