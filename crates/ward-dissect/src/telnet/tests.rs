//! Telnet tests on a real session (busybox telnetd and a scripted client logging in to the pump,
//! tests/pcap/lan/hospital-devices; both directions extracted into fuzz/corpus/telnet).

use super::*;
use crate::{harness, Limits, Record};
use ward_model::{Direction, Transport};

const CLIENT: &[u8] = include_bytes!("../../../../fuzz/corpus/telnet/client.bin");
const SERVER: &[u8] = include_bytes!("../../../../fuzz/corpus/telnet/server.bin");

fn session(server: &[&[u8]], client: &[&[u8]]) -> Vec<TelnetRecord> {
    // Interleave as on the wire: each server chunk, then the client's answer.
    let mut chunks: Vec<(Direction, &[u8])> = Vec::new();
    for (i, s) in server.iter().enumerate() {
        chunks.push((Direction::ToClient, s));
        if let Some(c) = client.get(i) {
            chunks.push((Direction::ToServer, c));
        }
    }
    let out = harness::run(&INFO, Transport::Tcp, &Limits::default(), &chunks);
    out.records.into_iter().map(|(_, r)| if let Record::Telnet(t) = r { t } else { panic!("not telnet") }).collect()
}

/// The real login: banner kept, user name and password counted, outcome read, nothing typed kept.
#[test]
fn real_login_is_seen_without_its_values() {
    let (s1, rest) = SERVER.split_at(SERVER.windows(7).position(|w| w == b"login: ").expect("prompt") + 7);
    let (s2, s3) = rest.split_at(rest.windows(10).position(|w| w == b"Password: ").expect("password prompt") + 10);
    let (c1, c2) = CLIENT.split_at(CLIENT.windows(2).position(|w| w == b"\r\n").expect("line") + 2);
    let r = session(&[s1, s2, s3], &[c1, c2]);
    assert_eq!(r[0].banner.as_deref(), Some("Debian GNU/Linux 12 | Sigma Spectrum Infusion System - service port"));
    let login = r.iter().find(|x| x.kind == "login").expect("login");
    assert!(login.username_sent && login.password_sent);
    assert_eq!(login.outcome, Some("accepted"));
    let json = serde_json::to_string(&r).expect("json");
    assert!(!json.contains("biomed") && !json.contains("Pump-Svc"));
}

/// A refused password is `rejected`; IAC IAC is not text; subnegotiations are skipped.
#[test]
fn rejected_login_and_iac_handling() {
    let r = session(&[b"\xff\xfa\x18\x01\xff\xf0Welcome to X\r\nlogin: ", b"Password: ", b"\r\nLogin incorrect\r\n"], &[b"u\r\n", b"p\r\n"]);
    assert_eq!(r.iter().find(|x| x.kind == "login").and_then(|x| x.outcome), Some("rejected"));
    assert_eq!(r[0].banner.as_deref(), Some("Welcome to X"));
}

/// An endless subnegotiation raises its limit; the harness properties hold on the real streams.
#[test]
fn limits_and_harness() {
    let mut l = Limits::default();
    l.telnet.max_subnegotiation = 8;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &[(Direction::ToClient, b"\xff\xfaAAAAAAAAAAAAAAAAAAAA\xff\xf0")], "telnet.max_subnegotiation");
    let l = Limits::default();
    // The server's stream yields the banner (the client's alone yields nothing to compare).
    harness::assert_split_invariant(&INFO, &l, &[(Direction::ToClient, SERVER)]);
    for (dir, data) in [(Direction::ToServer, CLIENT), (Direction::ToClient, SERVER)] {
        harness::assert_truncation_safe(&INFO, Transport::Tcp, &l, &[(dir, data)]);
        harness::assert_clean_after_gap(&INFO, &l, &[(dir, data)]);
    }
}

/// Every seed of the fuzz corpus holds the fuzz properties.
#[test]
fn corpus_seeds_hold_the_properties() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/telnet");
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("corpus").flatten() {
        fuzz(&std::fs::read(e.path()).expect("seed"));
        n += 1;
    }
    assert!(n >= 8, "{n} seeds");
}
