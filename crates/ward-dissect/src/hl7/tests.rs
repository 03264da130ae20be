//! HL7 unit tests: annotated frames, every real sample in ../shared/data/hl7 through the
//! compliance harness, framing faults, encodings, batches, ACK matching, limits, PHI names only.
//! Whole-capture agreement with tshark is in crates/ward/tests/peers_hl7.rs.

use super::*;
use crate::harness;
use crate::{DissectEventKind, Limits, Record};
use std::path::PathBuf;
use ward_model::{Direction, Transport};

fn mllp(msg: &[u8]) -> Vec<u8> {
    let mut f = vec![0x0b]; // start block (HL7 v2.5.1 Appendix C.4.3)
    f.extend_from_slice(msg);
    f.extend_from_slice(&[0x1c, 0x0d]); // end block + carriage return
    f
}

fn run(chunks: &[(Direction, &[u8])]) -> (Vec<Hl7Record>, Vec<DissectEventKind>) {
    let out = harness::run(&INFO, Transport::Tcp, &Limits::default(), chunks);
    let recs = out.records.into_iter().map(|(_, r)| match r {
        Record::Hl7(h) => h,
        other => panic!("unexpected {other:?}"),
    });
    (recs.collect(), out.events.into_iter().map(|e| e.kind).collect())
}

const ORU: &[u8] = b"MSH|^~\\&|GHH LAB|ELAB-3|GHH OE|BLDG4|200202150930||ORU^R01|CNTRL-3456|P|2.4\r\
PID|||555-44-4444||EVERYWOMAN^EVE^E^^^^L|JONES|19620320|F|||153 FERNWOOD DR.^^STATESVILLE^OH^35292\r\
OBR|1|845439^GHH OE|1045813^GHH LAB|1554-5^GLUCOSE\r\
OBX|1|SN|1554-5^GLUCOSE||^182|mg/dl|70_105|H|||F\r";

const ACK: &[u8] = b"MSH|^~\\&|GHH OE|BLDG4|GHH LAB|ELAB-3|200202150931||ACK^R01^ACK|ACK-1|P|2.4\rMSA|AA|CNTRL-3456\r";

#[test]
fn oru_and_its_ack_give_header_fields_phi_names_and_a_match() {
    let (o, a) = (mllp(ORU), mllp(ACK));
    let (r, e) = run(&[(Direction::ToServer, &o), (Direction::ToClient, &a)]);
    assert!(e.is_empty(), "{e:?}");
    let m = &r[0];
    assert_eq!(m.sending_application.as_deref(), Some("GHH LAB")); // MSH-3
    assert_eq!(m.sending_facility.as_deref(), Some("ELAB-3")); // MSH-4
    assert_eq!(m.receiving_application.as_deref(), Some("GHH OE")); // MSH-5
    assert_eq!((m.message_type.as_deref(), m.trigger_event.as_deref()), (Some("ORU"), Some("R01"))); // MSH-9
    assert_eq!(m.control_id.as_deref(), Some("CNTRL-3456")); // MSH-10
    assert_eq!((m.processing_id.as_deref(), m.version.as_deref()), (Some("P"), Some("2.4"))); // MSH-11, -12
    assert_eq!(m.segments, ["MSH", "PID", "OBR", "OBX"]);
    assert_eq!(
        m.phi_fields,
        ["PID-3 patient identifier list", "PID-5 patient name", "PID-6 mother's maiden name", "PID-7 date of birth", "PID-11 patient address", "OBX-5 observation value"]
    );
    let json = serde_json::to_string(m).expect("json");
    for secret in ["EVERYWOMAN", "555-44-4444", "FERNWOOD", "19620320", "JONES"] {
        assert!(!json.contains(secret), "record leaks {secret}");
    }
    let ack = &r[1];
    assert_eq!((ack.ack_code.as_deref(), ack.acknowledged_control_id.as_deref()), (Some("AA"), Some("CNTRL-3456")));
    // Matched: no event. An ACK for a message never seen is reported.
    let (_, e) = run(&[(Direction::ToClient, &a)]);
    assert_eq!(e, vec![DissectEventKind::PeerMisbehaving { reason: "hl7.ack_without_message" }]);
    assert!(!ack.carries_phi());
}

fn samples() -> Vec<(PathBuf, Vec<u8>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/hl7");
    let mut v = Vec::new();
    for dir in ["python-hl7", "cdc-trusted-intermediary"] {
        for e in std::fs::read_dir(root.join(dir)).expect("shared HL7 samples").flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "hl7") {
                let bytes = std::fs::read(&p).expect("read");
                v.push((p, bytes));
            }
        }
    }
    assert!(v.len() >= 20, "expected the shared HL7 samples");
    v.sort();
    v
}

#[test]
fn every_real_sample_is_split_invariant_and_clean_after_gaps() {
    for (path, msg) in samples() {
        let frame = mllp(&msg);
        let (recs, _) = run(&[(Direction::ToServer, &frame)]);
        if recs.is_empty() {
            continue; // the deliberately broken samples without any MSH
        }
        let chunks = [(Direction::ToServer, &frame[..]), (Direction::ToClient, &mllp(ACK)[..])];
        let t = std::panic::catch_unwind(|| {
            harness::assert_split_invariant(&INFO, &Limits::default(), &chunks);
            if frame.len() < 1500 {
                harness::assert_clean_after_gap(&INFO, &Limits::default(), &chunks);
            }
        });
        assert!(t.is_ok(), "{} failed the harness", path.display());
    }
}

#[test]
fn lf_separated_vendor_messages_are_read() {
    let (path, msg) = samples().into_iter().find(|(p, _)| p.ends_with("Epic__001_Epic_ORM_O01.hl7")).expect("Epic sample");
    let (r, e) = run(&[(Direction::ToServer, &mllp(&msg))]);
    assert!(e.is_empty(), "{}: {e:?}", path.display());
    assert_eq!(r[0].segment_separator, "lf");
    assert_eq!((r[0].message_type.as_deref(), r[0].trigger_event.as_deref()), (Some("ORM"), Some("O01")));
    assert_eq!(r[0].sending_application.as_deref(), Some("EPICSTND"));
    assert!(r[0].phi_fields.iter().any(|f| f.starts_with("PID-5")));
}

#[test]
fn a_batch_yields_one_record_per_message() {
    let (_, msg) = samples().into_iter().find(|(p, _)| p.ends_with("python-hl7/sample_batch.hl7")).expect("batch sample");
    let (r, _) = run(&[(Direction::ToServer, &mllp(&msg))]);
    let n = msg.split(|b| *b == b'\r' || *b == b'\n').filter(|s| s.starts_with(b"MSH")).count();
    assert_eq!(r.len(), n);
    assert!(r.iter().all(|m| m.batch));
}

#[test]
fn custom_encoding_characters_and_escapes_are_honoured() {
    // Field separator '#', component '@', escape '\': MSH-3 "LAB\T\ONE" is "LAB&ONE" (§2.7.1).
    let msg = b"MSH#@~\\&#LAB\\T\\ONE#FAC#RCV#RFAC#2024##ADT@A08#C1#P#2.8\rPID#1##42@@@H\r";
    let (r, e) = run(&[(Direction::ToServer, &mllp(msg))]);
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(r[0].sending_application.as_deref(), Some("LAB&ONE"));
    assert_eq!((r[0].message_type.as_deref(), r[0].trigger_event.as_deref()), (Some("ADT"), Some("A08")));
    assert_eq!(r[0].version.as_deref(), Some("2.8"));
    assert_eq!(r[0].phi_fields, ["PID-3 patient identifier list"]);
}

#[test]
fn framing_faults_are_reported_and_recovered_from() {
    let ack = mllp(ACK);
    // Garbage before a frame.
    let mut s = b"hello".to_vec();
    s.extend_from_slice(&ack);
    let (r, e) = run(&[(Direction::ToClient, &s)]);
    let e: Vec<_> = e.into_iter().filter(|k| !matches!(k, DissectEventKind::PeerMisbehaving { .. })).collect();
    assert_eq!((r.len(), e), (1, vec![DissectEventKind::Malformed { reason: "mllp.garbage_between_frames" }]));
    // A frame whose end block never comes before the next start block.
    let mut s = vec![0x0b];
    s.extend_from_slice(ACK);
    s.extend_from_slice(&ack);
    let (r, e) = run(&[(Direction::ToClient, &s)]);
    assert_eq!(r.len(), 2);
    assert!(e.contains(&DissectEventKind::Malformed { reason: "mllp.missing_end_block" }), "{e:?}");
    // Doubled end blocks and stray CRs between frames are noise, not errors.
    let mut s = ack.clone();
    s.extend_from_slice(&[0x1c, 0x0d, b'\r', b'\n']);
    s.extend_from_slice(&ack);
    let (r, e) = run(&[(Direction::ToClient, &s)]);
    assert_eq!(r.len(), 2);
    assert!(e.iter().all(|k| matches!(k, DissectEventKind::PeerMisbehaving { .. })), "{e:?}");
    // A frame with no MSH.
    let (r, e) = run(&[(Direction::ToClient, &mllp(b"PID|1||X\r"))]);
    assert!(r.is_empty());
    assert_eq!(e, vec![DissectEventKind::Malformed { reason: "hl7.no_msh" }]);
}

#[test]
fn hl7_without_mllp_is_read_message_by_message() {
    let mut s = ORU.to_vec();
    s.extend_from_slice(ORU);
    s.extend_from_slice(&mllp(ACK)); // a framed message ends the bare run
    let (r, _) = run(&[(Direction::ToServer, &s)]);
    assert_eq!(r.len(), 3);
    assert_eq!((r[0].framing, r[2].framing), ("raw", "mllp"));
}

#[test]
fn every_limit_raises_its_event() {
    let o = mllp(ORU);
    let mut l = Limits::default();
    l.hl7.max_segments = 2;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &[(Direction::ToServer, &o)], "hl7.max_segments");
    let mut l = Limits::default();
    l.hl7.max_message_len = 120; // the ORU is longer, the ACK shorter
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &[(Direction::ToServer, &o)], "hl7.max_message_len");
    // After skipping the oversize frame the next one is parsed.
    let mut s = o.clone();
    s.extend_from_slice(&mllp(ACK));
    let out = harness::run(&INFO, Transport::Tcp, &l, &[(Direction::ToServer, &s)]);
    assert_eq!(out.records.len(), 1);
    let mut l = Limits::default();
    l.hl7.max_text = 3;
    let (r, _) = {
        let out = harness::run(&INFO, Transport::Tcp, &l, &[(Direction::ToServer, &o)]);
        (out.records, out.events)
    };
    let Record::Hl7(m) = &r[0].1 else { panic!() };
    assert_eq!(m.sending_application.as_deref(), Some("GHH"));
}

#[test]
fn probe_knows_hl7_by_its_header_on_any_port() {
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, &mllp(ORU)), crate::Confidence::High);
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, ORU), crate::Confidence::High);
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, &[0x0b, b'M']), crate::Confidence::NeedMore);
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, b"GET / HTTP/1.1\r\n"), crate::Confidence::No);
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        fuzz(&data);
    }

    #[test]
    fn arbitrary_segments_after_a_real_header_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
        let mut m = vec![0x0b];
        m.extend_from_slice(&ORU[..80]);
        m.extend_from_slice(&tail);
        fuzz(&m);
    }
}

/// Regression (found by the hl7 fuzzer): a framed batch followed by bare HL7 gave different
/// records when the stream was fed whole and when it was split.
#[test]
fn regression_raw_hl7_after_a_frame_is_split_invariant() {
    let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus/hl7/regression-raw-after-frame-split.bin")).expect("seed");
    fuzz(&data);
    for cut in (1..data.len()).step_by(97) {
        let whole = harness::run(&INFO, Transport::Tcp, &Limits::default(), &[(Direction::ToServer, &data)]);
        let split = harness::run(&INFO, Transport::Tcp, &Limits::default(), &[(Direction::ToServer, &data[..cut]), (Direction::ToServer, &data[cut..])]);
        assert_eq!(whole.records, split.records, "cut at {cut}");
        assert_eq!(whole.events, split.events, "cut at {cut}");
    }
}

/// Fields found in one pass are the fields found one scan at a time, for header and body
/// segments, short and long, at and under the field limit; and every PHI list ascends (the
/// body's one-pass lookup walks them in order).
#[test]
fn one_pass_fields_are_field_by_field() {
    let enc = parser::encoding(b"MSH|^~\\&|").expect("encoding");
    let segs: [&[u8]; 6] = [
        b"MSH|^~\\&|GHH LAB|ELAB-3|GHH OE|BLDG4|200202150930||ORU^R01|CNTRL-3456|P|2.4",
        b"MSH|^~\\&|A",
        b"PID|||555-44-4444||EVERYWOMAN^EVE^E^^^^L|JONES|196203520|F|||153 FERNWOOD DR.^^STATESVILLE^OH^35292||(206)3345232|(206)752-121||||AC555444444||67-A4335^OH^20030520",
        b"PID|1",
        b"OBX|1|NM|^Body Height||1.80|m^Meter^ISO+|||||F",
        b"IN1||||||||||||||||A^B|||X||||||||||||||||||POL-1",
    ];
    for max in [0usize, 1, 3, 5, 40, 256] {
        for seg in segs {
            let s = parser::Segment::parse(seg, &enc, max);
            let all = s.first_fields::<40>();
            for (n, f) in all.iter().enumerate() {
                assert_eq!(*f, s.field(n), "{} field {n} limit {max}", String::from_utf8_lossy(seg));
            }
            for (n, f) in s.numbered() {
                assert_eq!(f, s.field(n));
            }
        }
    }
    for id in [&b"PID"[..], b"NK1", b"PV1", b"MRG", b"IN1", b"GT1", b"DG1", b"OBX"] {
        let ns: Vec<usize> = parser::phi_fields(id).iter().map(|(n, _)| *n).collect();
        assert!(ns.windows(2).all(|w| w[0] < w[1]), "{}", String::from_utf8_lossy(id));
    }
}
