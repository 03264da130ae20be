//! DICOM dissector tests on the client streams of real DCMTK sessions (extracted from
//! ../shared/data/captures and tests/pcap/lan/hospital-devices into fuzz/corpus/dicom), plus
//! hand-built PDUs for the edges.

use super::*;
use crate::harness;
use crate::{DissectEventKind, Limits, Record};
use ward_model::{Direction, Transport};

const ECHO: &[u8] = include_bytes!("../../../../fuzz/corpus/dicom/dicom_cecho-client.bin");
const STORE_MR: &[u8] = include_bytes!("../../../../fuzz/corpus/dicom/mr-store-client.bin");
const MWL: &[u8] = include_bytes!("../../../../fuzz/corpus/dicom/dicom_mwl_cfind-client.bin");
const STORE_CT: &[u8] = include_bytes!("../../../../fuzz/corpus/dicom/dicom_cstore_ct_mr-client.bin");

fn recs(data: &[u8]) -> Vec<DicomRecord> {
    let out = harness::run(&INFO, Transport::Tcp, &Limits::default(), &[(Direction::ToServer, data)]);
    out.records.into_iter().map(|(_, r)| if let Record::Dicom(d) = r { d } else { panic!("not dicom") }).collect()
}

/// DCMTK echoscu's association request and C-ECHO, field by field (tshark's dump of the same
/// capture: CT_SCANNER -> PACS01, OFFIS_DCMTK_367, max PDU 16384, Verification).
#[test]
fn echo_association_and_command() {
    let r = recs(ECHO);
    let rq = &r[0];
    assert_eq!(rq.kind, "associate_rq");
    assert_eq!((rq.calling_ae.as_deref(), rq.called_ae.as_deref()), (Some("CT_SCANNER"), Some("PACS01")));
    assert_eq!(rq.implementation_class_uid.as_deref(), Some("1.2.276.0.7230010.3.0.3.6.7"));
    assert_eq!(rq.implementation_version_name.as_deref(), Some("OFFIS_DCMTK_367"));
    assert_eq!(rq.max_pdu_length, Some(16384));
    assert_eq!(rq.presentation_contexts[0].abstract_syntax_name, Some("Verification SOP Class"));
    let echo = r.iter().find(|x| x.command == Some("C-ECHO-RQ")).expect("C-ECHO-RQ");
    assert_eq!((echo.message_id, echo.calling_ae.as_deref()), (Some(1), Some("CT_SCANNER")));
    assert!(r.iter().any(|x| x.kind == "release_rq"));
    let sum = r.last().expect("summary");
    assert_eq!((sum.kind, sum.ended), ("association", Some("closed")));
}

/// A C-STORE of pydicom's MR_small: the device attributes are read from the data set with
/// their values, the patient attributes by keyword only.
#[test]
fn store_reads_device_attributes_and_names_patient_ones() {
    let r = recs(STORE_MR);
    let st = r.iter().find(|x| x.command == Some("C-STORE-RQ")).expect("C-STORE-RQ");
    assert!(st.has_dataset);
    assert_eq!(st.device.get("Manufacturer").map(String::as_str), Some("TOSHIBA_MEC"));
    assert_eq!(st.device.get("ManufacturerModelName").map(String::as_str), Some("MRT50H1"));
    assert_eq!(st.device.get("SoftwareVersions").map(String::as_str), Some("V3.51*P25"));
    assert_eq!(st.device.get("Modality").map(String::as_str), Some("MR"));
    assert!(st.patient_attributes.contains(&"PatientName") && st.patient_attributes.contains(&"PatientID"));
    let json = serde_json::to_string(&r).expect("json");
    assert!(!json.contains("CompressedSamples") && !json.contains("4MR1"), "patient values never kept");
}

/// The worklist query's keys are empty: no patient attribute is reported for the request.
#[test]
fn worklist_query_keys_are_not_patient_data() {
    let r = recs(MWL);
    let q = r.iter().find(|x| x.command == Some("C-FIND-RQ")).expect("C-FIND-RQ");
    assert_eq!(q.sop_class_name, Some("Modality Worklist Information Model - FIND"));
    assert!(q.patient_attributes.is_empty(), "{:?}", q.patient_attributes);
}

/// A rejection and its summary, in the requester's direction.
#[test]
fn rejection_is_recorded_with_its_reason() {
    let rj = [3u8, 0, 0, 0, 0, 4, 0, 1, 1, 7];
    let out = harness::run(&INFO, Transport::Tcp, &Limits::default(), &[
        (Direction::ToServer, &ECHO[..ECHO.len().min(6 + usize::from(ECHO[5]) + 256 * usize::from(ECHO[4]))]),
        (Direction::ToClient, &rj),
    ]);
    let r: Vec<_> = out.records.iter().map(|(d, r)| (*d, r.clone())).collect();
    let Record::Dicom(j) = &r.iter().find(|(_, x)| matches!(x, Record::Dicom(d) if d.kind == "associate_rj")).expect("rj").1 else { panic!() };
    assert_eq!((j.result, j.source, j.reason, j.reason_name), (Some(1), Some(1), Some(7), Some("called-AE-title-not-recognized")));
    let (dir, Record::Dicom(s)) = r.last().expect("summary") else { panic!() };
    assert_eq!((*dir, s.kind, s.accepted, s.ended), (Direction::ToServer, "association", Some(false), Some("reject")));
}

/// The compliance harness on real sessions: any split gives the same records, a gap leaves
/// the dissector clean, truncation never panics.
#[test]
fn harness_properties_hold() {
    let l = Limits::default();
    for data in [ECHO, MWL, &STORE_CT[..20_000]] {
        harness::assert_split_invariant(&INFO, &l, &[(Direction::ToServer, data)]);
        harness::assert_truncation_safe(&INFO, Transport::Tcp, &l, &[(Direction::ToServer, data)]);
        harness::assert_clean_after_gap(&INFO, &l, &[(Direction::ToServer, data)]);
    }
}

/// A data set bigger than the prefix limit is read up to it and said to be cut; an oversize
/// association PDU is skipped with its limit named; a PDV longer than its PDU is malformed.
#[test]
fn limits_and_malformed_lengths() {
    let mut l = Limits::default();
    l.dicom.max_dataset_prefix = 64;
    let out = harness::run(&INFO, Transport::Tcp, &l, &[(Direction::ToServer, STORE_MR)]);
    let cut = out.records.iter().any(|(_, r)| matches!(r, Record::Dicom(d) if d.dataset_not_decoded == Some("limit")));
    assert!(cut);
    l.dicom.max_pdu_len = 100;
    harness::assert_limit_raised(&INFO, Transport::Tcp, &l, &[(Direction::ToServer, ECHO)], "dicom.max_pdu_len");
    let bad = [4u8, 0, 0, 0, 0, 8, 0, 0, 0, 50, 1, 3, 0, 0];
    let out = harness::run(&INFO, Transport::Tcp, &Limits::default(), &[(Direction::ToServer, &bad)]);
    assert!(out.events.iter().any(|e| e.kind == DissectEventKind::Malformed { reason: "dicom.pdv_length" }));
}

/// The probe: an A-ASSOCIATE-RQ is recognised on any port, other bytes are not.
#[test]
fn probe_recognises_association_requests() {
    use crate::Confidence;
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, ECHO), Confidence::High);
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, &ECHO[..20]), Confidence::NeedMore);
    assert_eq!((INFO.probe)(Transport::Tcp, Direction::ToServer, b"GET / HTTP/1.1\r\n\r\n"), Confidence::No);
}

/// Every seed of the fuzz corpus holds the fuzz properties.
#[test]
fn corpus_seeds_hold_the_properties() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/dicom");
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("corpus").flatten() {
        fuzz(&std::fs::read(e.path()).expect("seed"));
        n += 1;
    }
    assert!(n >= 8, "{n} seeds");
}

/// `text` keeps what the plain definition gives (map to printable ASCII or '?', trim, take
/// `max` characters) on any bytes, NULs and spaces included.
#[test]
fn text_matches_its_definition() {
    fn reference(b: &[u8], max: usize) -> String {
        let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
        b[..end].iter().map(|c| if c.is_ascii_graphic() || *c == b' ' { *c as char } else { '?' }).collect::<String>().trim().chars().take(max).collect()
    }
    let alphabet = [b' ', b' ', b'1', b'.', b'A', 0, b'\t', b'\n', 0x7f, 0xc3, 0xa9, 0x85, 0xa0];
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    for len in 0..24 {
        for _ in 0..200 {
            let b: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    alphabet[(x % alphabet.len() as u64) as usize]
                })
                .collect();
            for max in [0, 1, 3, 16, 64] {
                assert_eq!(super::parser::text(&b, max), reference(&b, max), "{b:?} max {max}");
            }
        }
    }
}

/// Attribute text: cut at the first NUL, spaces trimmed, at most `max` bytes, every byte that
/// is not printable ASCII shown as '?' (the rule as it was written char by char).
#[test]
fn text_maps_bytes_as_documented() {
    let rule = |b: &[u8], max: usize| -> String {
        let b = &b[..b.iter().position(|c| *c == 0).unwrap_or(b.len())];
        let start = b.iter().position(|c| *c != b' ').unwrap_or(b.len());
        let stop = b.iter().rposition(|c| *c != b' ').map_or(start, |i| i + 1);
        let kept = &b[start..stop];
        kept[..kept.len().min(max)].iter().map(|c| if c.is_ascii_graphic() || *c == b' ' { *c as char } else { '?' }).collect()
    };
    let cases: [&[u8]; 8] = [b"", b"  ", b"1.2.840.10008.1.2.1\0", b" CT01  ", b"A\0B", b"caf\xc3\xa9\x7f\x01", b"ORTHANC ", b"1.2.3\0\0"];
    for b in cases {
        for max in [0usize, 1, 4, 64] {
            assert_eq!(parser::text(b, max), rule(b, max), "{b:?} max {max}");
        }
    }
}
