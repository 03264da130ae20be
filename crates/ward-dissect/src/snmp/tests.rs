//! SNMP tests on real net-snmp 5.9 datagrams (snmpget v2c `public` and v1 with a secret
//! community against snmpd, from tests/pcap/lan/hospital-devices) and edge cases. The
//! frames are the same tshark decodes in crates/ward/tests/hospital_devices.rs.

use super::*;
use crate::{harness, Limits, Record};
use ward_model::{Direction, Transport};

const GET: &[u8] = include_bytes!("../../../../fuzz/corpus/snmp/real-280.bin");
const RESPONSE: &[u8] = include_bytes!("../../../../fuzz/corpus/snmp/real-281.bin");
const V1_SECRET: &[u8] = include_bytes!("../../../../fuzz/corpus/snmp/real-282.bin");

fn one(data: &[u8]) -> Option<SnmpRecord> {
    let out = harness::run(&INFO, Transport::Udp, &Limits::default(), &[(Direction::ToServer, data)]);
    out.records.into_iter().next().map(|(_, r)| if let Record::Snmp(s) = r { s } else { panic!("not snmp") })
}

/// The v2c get: version, PDU, the four system OIDs tshark lists, a default community by flag.
#[test]
fn get_request() {
    let r = one(GET).expect("record");
    assert_eq!((r.version, r.kind, r.community_present, r.community_is_default), ("2c", "get", true, true));
    assert_eq!(r.oids, ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.6.0"]);
    assert!(r.sys_descr.is_none(), "requests carry no values");
}

/// The response names the device; the community's value appears nowhere.
#[test]
fn response_gives_system_identity() {
    let r = one(RESPONSE).expect("record");
    assert_eq!(r.kind, "response");
    assert_eq!(r.sys_descr.as_deref(), Some("Philips IntelliVue MX450 Patient Monitor, Rel. M.00.03"));
    assert_eq!(r.sys_name.as_deref(), Some("bedside-mon-07"));
    assert_eq!(r.sys_object_id.as_deref(), Some("1.3.6.1.4.1.47114.2.3"));
    let v1 = one(V1_SECRET).expect("record");
    assert_eq!((v1.version, v1.community_is_default, v1.community_length), ("1", false, Some(16)));
    let json = serde_json::to_string(&[r, v1]).expect("json");
    assert!(!json.contains("public") && !json.contains("Snmp-Secret-Comm"));
}

/// Damaged datagrams are malformed events, never records or panics; v3 with privacy is named.
#[test]
fn damage_and_v3() {
    for bad in [&RESPONSE[..30], b"\x30\x84\xff\xff\xff\xff".as_slice(), b"".as_slice()] {
        assert!(one(bad).is_none());
    }
    let v3 = one(include_bytes!("../../../../fuzz/corpus/snmp/v3-priv.bin")).expect("v3");
    assert_eq!((v3.version, v3.v3_priv), ("3", Some(true)));
}

/// A v3 message without privacy carries its ScopedPDU in the clear: the PDU inside is read like
/// a v1/v2c one (net-snmp 5.9's engine discovery: an empty get, answered by a report naming
/// usmStatsUnknownEngineIDs; tests/pcap/legacy/snmp.pcap frames 12 and 13).
#[test]
fn v3_scoped_pdu_in_the_clear() {
    let get = one(include_bytes!("../../../../fuzz/corpus/snmp/v3-noauth-get.bin")).expect("get");
    assert_eq!((get.version, get.kind, get.v3_auth, get.v3_priv, get.oids.len()), ("3", "get", Some(false), Some(false), 0));
    assert!(!get.community_present);
    let report = one(include_bytes!("../../../../fuzz/corpus/snmp/v3-report.bin")).expect("report");
    assert_eq!((report.kind, report.oids.as_slice()), ("report", ["1.3.6.1.6.3.15.1.1.4.0".to_string()].as_slice()));
}

/// Every seed of the fuzz corpus holds the fuzz properties.
#[test]
fn corpus_seeds_hold_the_properties() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/snmp");
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("corpus").flatten() {
        fuzz(&std::fs::read(e.path()).expect("seed"));
        n += 1;
    }
    assert!(n >= 8, "{n} seeds");
}
