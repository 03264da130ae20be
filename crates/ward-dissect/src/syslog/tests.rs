//! syslog tests on the RFC 5424 datagram util-linux `logger` sent in
//! tests/pcap/lan/hospital-devices (its text names a synthetic patient), and RFC 3164 forms.

use super::*;
use crate::{harness, Limits, Record};
use ward_model::{Direction, Transport};

fn one(data: &[u8]) -> Option<SyslogRecord> {
    let out = harness::run(&INFO, Transport::Udp, &Limits::default(), &[(Direction::ToServer, data)]);
    out.records.into_iter().next().map(|(_, r)| if let Record::Syslog(s) = r { s } else { panic!("not syslog") })
}

/// logger's message: header fields as tshark shows them (facility 1 user, severity 5 notice,
/// host bedside-mon-07, app intellivue); the text is measured, never kept.
#[test]
fn real_rfc5424_header_without_its_text() {
    let r = one(include_bytes!("../../../../fuzz/corpus/syslog/logger-rfc5424.bin")).expect("record");
    assert_eq!((r.format, r.facility, r.severity, r.severity_name), ("rfc5424", 1, 5, "notice"));
    assert_eq!((r.hostname.as_deref(), r.app_name.as_deref()), (Some("bedside-mon-07"), Some("intellivue")));
    assert_eq!(r.message_length, "alarm HR LOW patient WARDTESTPATIENT^ALICE bed 7".len());
    assert!(!serde_json::to_string(&r).expect("json").contains("WARDTEST"));
}

/// RFC 3164, structured data, and the credentials hint (without the credential).
#[test]
fn rfc3164_structured_data_and_hints() {
    let r = one(b"<34>Oct 11 22:14:15 mymachine su: password=hunter2 failed").expect("3164");
    assert_eq!((r.format, r.hostname.as_deref(), r.app_name.as_deref(), r.credentials_hint), ("rfc3164", Some("mymachine"), Some("su"), true));
    assert!(!serde_json::to_string(&r).expect("json").contains("hunter2"));
    let r = one(b"<165>1 2003-10-11T22:14:15.003Z host app - ID47 [a b=\"c\"][d] msg").expect("sd");
    assert_eq!(r.message_length, 3);
    for bad in [&b"<192>1 x"[..], b"<13", b"<07>x", b"\xff<1>"] {
        assert!(one(bad).is_none(), "{bad:?}");
    }
}

/// Every seed of the fuzz corpus holds the fuzz properties.
#[test]
fn corpus_seeds_hold_the_properties() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/syslog");
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("corpus").flatten() {
        fuzz(&std::fs::read(e.path()).expect("seed"));
        n += 1;
    }
    assert!(n >= 8, "{n} seeds");
}
