//! MQTT unit tests: annotated packets of 3.1.1 and 5.0, the compliance harness on a whole session,
//! no secret kept, limits, arbitrary input. Whole-capture agreement with Suricata, Zeek and
//! tshark is in crates/ward/tests/peers_mqtt.rs.

use super::*;
use crate::harness;
use crate::{DissectEventKind, Limits, Record};
use ward_model::{Direction, Transport};

/// CONNECT, MQTT 3.1.1 (§3.1), with username and password.
const CONNECT: &[u8] = &[
    0x10, 0x28, // CONNECT, remaining length 40
    0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name
    0x04, // protocol level 4 (3.1.1)
    0xc2, // flags: username, password, clean session
    0x00, 0x3c, // keep alive 60 s
    0x00, 0x0c, b'p', b'u', b'm', b'p', b'-', b'i', b'c', b'u', b'-', b'0', b'0', b'3', // client id
    0x00, 0x04, b'w', b'a', b'r', b'd', // username "ward"
    0x00, 0x08, b's', b'3', b'c', b'r', b'3', b't', b'!', b'!', // password "s3cr3t!!"
];
/// CONNACK: session not present, accepted.
const CONNACK: &[u8] = &[0x20, 0x02, 0x00, 0x00];
/// PUBLISH QoS 1 to "icu/pump3/rate", packet id 7, 4-byte payload.
const PUBLISH: &[u8] = &[
    0x32, 0x16, // PUBLISH, QoS 1, remaining 22
    0x00, 0x0e, b'i', b'c', b'u', b'/', b'p', b'u', b'm', b'p', b'3', b'/', b'r', b'a', b't', b'e', // topic
    0x00, 0x07, // packet identifier
    b'1', b'2', b'.', b'5', // payload
];
/// PUBACK for packet 7.
const PUBACK: &[u8] = &[0x40, 0x02, 0x00, 0x07];
/// SUBSCRIBE packet 9 to "icu/#" QoS 0.
const SUBSCRIBE: &[u8] = &[0x82, 0x0a, 0x00, 0x09, 0x00, 0x05, b'i', b'c', b'u', b'/', b'#', 0x00];
/// SUBACK granting QoS 0.
const SUBACK: &[u8] = &[0x90, 0x03, 0x00, 0x09, 0x00];

fn session() -> Vec<(Direction, Vec<u8>)> {
    let mut c = CONNECT.to_vec();
    c.extend_from_slice(PUBLISH); // two packets in one segment
    c.extend_from_slice(SUBSCRIBE);
    let mut s = CONNACK.to_vec();
    s.extend_from_slice(PUBACK);
    s.extend_from_slice(SUBACK);
    vec![(Direction::ToServer, c), (Direction::ToClient, s), (Direction::ToServer, vec![0xc0, 0x00]), (Direction::ToClient, vec![0xd0, 0x00])]
}

fn run(limits: &Limits, chunks: &[(Direction, Vec<u8>)]) -> (Vec<MqttRecord>, Vec<DissectEventKind>) {
    let c: Vec<(Direction, &[u8])> = chunks.iter().map(|(d, b)| (*d, &b[..])).collect();
    let out = harness::run(&INFO, Transport::Tcp, limits, &c);
    let recs = out.records.into_iter().map(|(_, r)| match r {
        Record::Mqtt(m) => m,
        other => panic!("unexpected {other:?}"),
    });
    (recs.collect(), out.events.into_iter().map(|e| e.kind).collect())
}

#[test]
fn a_whole_session_gives_one_record_per_packet_and_no_secret() {
    let (r, e) = run(&Limits::default(), &session());
    assert!(e.is_empty(), "{e:?}");
    let kinds: Vec<&str> = r.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, ["connect", "publish", "subscribe", "connack", "puback", "suback", "pingreq", "pingresp"]);
    let c = &r[0];
    assert_eq!((c.protocol_string.as_deref(), c.protocol_version), (Some("MQTT"), Some(4)));
    assert_eq!(c.client_id.as_deref(), Some("pump-icu-003"));
    assert_eq!((c.username_present, c.password_present, c.clean_session, c.keepalive), (Some(true), Some(true), Some(true), Some(60)));
    let p = &r[1];
    assert_eq!((p.topic.as_deref(), p.qos, p.message_id, p.payload_size), (Some("icu/pump3/rate"), 1, Some(7), Some(4)));
    assert_eq!(r[2].topics[0].topic, "icu/#");
    assert_eq!(r[5].granted, vec![0]);
    let json = serde_json::to_string(&r.iter().map(|m| serde_json::to_value(m).expect("v")).collect::<Vec<_>>()).expect("json");
    for secret in ["s3cr3t", "\"ward\"", "12.5"] {
        assert!(!json.contains(secret), "records keep {secret}");
    }
}

#[test]
fn the_session_is_split_invariant_and_stops_cleanly_after_gaps() {
    let s = session();
    let c: Vec<(Direction, &[u8])> = s.iter().map(|(d, b)| (*d, &b[..])).collect();
    harness::assert_split_invariant(&INFO, &Limits::default(), &c);
    harness::assert_clean_after_gap(&INFO, &Limits::default(), &c);
}

#[test]
fn mqtt5_properties_are_named_not_kept() {
    let connect5 = [
        0x10, 0x1a, // CONNECT, remaining 26
        0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x3c, // MQTT 5, clean start, keep alive 60
        0x05, 0x11, 0x00, 0x00, 0x0e, 0x10, // properties (5 bytes): session expiry 3600
        0x00, 0x08, b'v', b'e', b'n', b't', b'-', b'0', b'0', b'5', // client id
    ];
    let publish5 = [
        0x30, 0x0f, // PUBLISH QoS 0, remaining 15
        0x00, 0x03, b'a', b'/', b'b', // topic
        0x07, 0x03, 0x00, 0x04, b'j', b's', b'o', b'n', // properties: content type "json"
        b'{', b'}', // payload
    ];
    let (r, e) = run(&Limits::default(), &[(Direction::ToServer, [&connect5[..], &publish5[..]].concat())]);
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(r[0].protocol_version, Some(5));
    assert_eq!(r[0].properties, ["session_expiry_interval"]);
    assert_eq!(r[1].properties, ["content_type"]);
    assert_eq!(r[1].payload_size, Some(2));
}

#[test]
fn damaged_packets_raise_typed_events() {
    // Remaining length with five continuation bytes.
    let (r, e) = run(&Limits::default(), &[(Direction::ToServer, vec![0x30, 0xff, 0xff, 0xff, 0xff, 0x7f])]);
    assert!(r.is_empty());
    assert!(e.contains(&DissectEventKind::Malformed { reason: "mqtt.bad_remaining_length" }));
    // A CONNECT whose client id length runs past the packet.
    let mut c = CONNECT.to_vec();
    c[13] = 0x40;
    let (r, e) = run(&Limits::default(), &[(Direction::ToServer, c)]);
    assert!(r.is_empty());
    assert_eq!(e, vec![DissectEventKind::Malformed { reason: "mqtt.truncated_field" }]);
}

#[test]
fn every_limit_raises_its_event() {
    let s = session();
    let c: Vec<(Direction, &[u8])> = s.iter().map(|(d, b)| (*d, &b[..])).collect();
    let mut l = Limits::default();
    l.mqtt.max_packet_len = 10;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &c, "mqtt.max_packet_len");
    let mut l = Limits::default();
    l.mqtt.max_topics = 0;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &c, "mqtt.max_topics");
    let mut l = Limits::default();
    l.mqtt.max_properties = 0;
    // MQTT 5 CONNECT with one property (session expiry) and an empty client id.
    let connect5 = [0x10, 0x12, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x3c, 0x05, 0x11, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x00];
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &[(Direction::ToServer, &connect5[..])], "mqtt.max_properties");
    let mut l = Limits::default();
    l.mqtt.max_text = 3;
    let (r, _) = run(&l, &s);
    assert_eq!(r[1].topic.as_deref(), Some("icu"));
}

#[test]
fn probe_knows_mqtt_by_its_connect_on_any_port() {
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, CONNECT), crate::Confidence::High);
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, &CONNECT[..4]), crate::Confidence::NeedMore);
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, b"\x10\x0aGET / HTTP"), crate::Confidence::No);
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, b"GET / HTTP/1.1\r\n"), crate::Confidence::No);
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        fuzz(&data);
    }

    #[test]
    fn arbitrary_bytes_after_a_connect_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
        let mut m = CONNECT.to_vec();
        m.extend_from_slice(&tail);
        fuzz(&m);
    }
}

/// Printable ASCII is taken as it is; anything else goes the general way: the same text as
/// the general way gives, in every case.
#[test]
fn text_fast_path_is_the_general_rule() {
    let general = |v: &[u8], max: usize| -> String { String::from_utf8_lossy(v).chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).take(max).collect() };
    let cases: [&[u8]; 8] = [b"", b"pump-17", b"ward/icu/bed 4/spo2", b"tab\there", b"caf\xc3\xa9", b"bad\xff", b"del\x7f", b"~!\"#$%&'()*+,-./"];
    for v in cases {
        for max in [0usize, 1, 3, 7, 64] {
            assert_eq!(parser::text(v, max), general(v, max), "{v:?} max {max}");
        }
    }
}
