//! DICOM byte layouts: A-ASSOCIATE items (PS3.8 §9.3), DIMSE command sets (PS3.7 §9.3, always
//! Implicit VR Little Endian) and data sets in the three uncompressed encodings (PS3.5 §7),
//! read from bounded buffers without panicking.

use super::record::{DicomRecord, PresentationContext};

/// Big-endian u16 at `at`, if present.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]]))
}

/// Big-endian u32 at `at`, if present.
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Text of a fixed-size or UID field: up to the first NUL, trimmed, printable ASCII only, at
/// most `max` characters.
pub(crate) fn text(b: &[u8], max: usize) -> String {
    let end = memchr::memchr(0, b).unwrap_or(b.len());
    // Every byte becomes one ASCII character (itself, or '?'), and only a space among them is
    // whitespace: trim spaces, cut at `max` bytes, and map, in one pass and one allocation.
    let b = &b[..end];
    let start = b.iter().position(|c| *c != b' ').unwrap_or(b.len());
    let stop = b.iter().rposition(|c| *c != b' ').map_or(start, |i| i + 1);
    let kept = &b[start..stop];
    let kept = &kept[..kept.len().min(max)];
    // Mapped as bytes (printable ASCII and space kept, anything else '?') and checked as text
    // once, rather than pushed character by character: a UID is read for every presentation
    // context of every association.
    let ascii: Vec<u8> = kept.iter().map(|&c| if (0x20..=0x7e).contains(&c) { c } else { b'?' }).collect();
    String::from_utf8(ascii).unwrap_or_default()
}

/// An AE title field (16 bytes) is plausible: printable ASCII.
pub(crate) fn plausible_ae(b: &[u8]) -> bool {
    b.len() == 16 && b.iter().all(|c| c.is_ascii_graphic() || *c == b' ') && b.iter().any(|c| *c != b' ')
}

/// Parse the variable items of an A-ASSOCIATE-RQ (`rq`) or -AC after the 68-byte fixed part.
pub(crate) fn associate(body: &[u8], rq: bool, rec: &mut DicomRecord, max_contexts: usize, max_text: usize) -> Result<(), &'static str> {
    // body starts at the protocol version; fixed part: version(2) reserved(2) called(16)
    // calling(16) reserved(32) = 68 bytes.
    if body.len() < 68 {
        return Err("dicom.associate_too_short");
    }
    rec.called_ae = Some(text(&body[4..20], 16));
    rec.calling_ae = Some(text(&body[20..36], 16));
    let mut at = 68;
    while at < body.len() {
        let (Some(&t), Some(len)) = (body.get(at), be16(body, at + 2)) else { return Err("dicom.item_truncated") };
        let v = body.get(at + 4..at + 4 + usize::from(len)).ok_or("dicom.item_length")?;
        match t {
            0x10 => rec.application_context = Some(text(v, max_text)),
            0x20 | 0x21 if rec.presentation_contexts.len() < max_contexts => {
                rec.presentation_contexts.push(presentation_context(v, rq, max_text)?);
            }
            0x50 => user_info(v, rec, max_text)?,
            _ => {}
        }
        at += 4 + usize::from(len);
    }
    Ok(())
}

fn presentation_context(v: &[u8], rq: bool, max_text: usize) -> Result<PresentationContext, &'static str> {
    let id = *v.first().ok_or("dicom.context_truncated")?;
    let result = v.get(2).copied().filter(|_| !rq);
    let mut pc = PresentationContext { id, abstract_syntax: None, abstract_syntax_name: None, transfer_syntaxes: Vec::new(), result };
    let mut at = 4;
    while at < v.len() {
        let (Some(&t), Some(len)) = (v.get(at), be16(v, at + 2)) else { return Err("dicom.subitem_truncated") };
        let s = v.get(at + 4..at + 4 + usize::from(len)).ok_or("dicom.subitem_length")?;
        match t {
            0x30 => {
                let uid = text(s, max_text);
                pc.abstract_syntax_name = sop_class_name(&uid);
                pc.abstract_syntax = Some(uid);
            }
            0x40 if pc.transfer_syntaxes.len() < 16 => pc.transfer_syntaxes.push(text(s, max_text)),
            _ => {}
        }
        at += 4 + usize::from(len);
    }
    Ok(pc)
}

fn user_info(v: &[u8], rec: &mut DicomRecord, max_text: usize) -> Result<(), &'static str> {
    let mut at = 0;
    while at < v.len() {
        let (Some(&t), Some(len)) = (v.get(at), be16(v, at + 2)) else { return Err("dicom.subitem_truncated") };
        let s = v.get(at + 4..at + 4 + usize::from(len)).ok_or("dicom.subitem_length")?;
        match t {
            0x51 => rec.max_pdu_length = be32(s, 0),
            0x52 => rec.implementation_class_uid = Some(text(s, max_text)),
            0x55 => rec.implementation_version_name = Some(text(s, 16)),
            // User identity (PS3.7 D.3.3.7): type only; username, passcode and tokens stay out.
            0x58 => {
                rec.user_identity = Some(match s.first() {
                    Some(1) => "username",
                    Some(2) => "username-passcode",
                    Some(3) => "kerberos",
                    Some(4) => "saml",
                    Some(5) => "jwt",
                    _ => "unknown",
                });
            }
            _ => {}
        }
        at += 4 + usize::from(len);
    }
    Ok(())
}

/// A parsed DIMSE command set.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    pub field: u16,
    pub message_id: Option<u16>,
    pub sop_class: Option<String>,
    pub status: Option<u16>,
    pub dataset: bool,
    pub move_destination: Option<String>,
}

/// Read a command set (Implicit VR Little Endian, group 0000 only).
pub(crate) fn command(b: &[u8], max_text: usize) -> Result<Command, &'static str> {
    let mut c = Command::default();
    let mut seen_field = false;
    let mut at = 0;
    while at + 8 <= b.len() {
        let group = u16::from_le_bytes([b[at], b[at + 1]]);
        let elem = u16::from_le_bytes([b[at + 2], b[at + 3]]);
        let len = u32::from_le_bytes([b[at + 4], b[at + 5], b[at + 6], b[at + 7]]) as usize;
        let v = b.get(at + 8..at + 8 + len).ok_or("dicom.command_element_length")?;
        if group != 0 {
            return Err("dicom.command_not_group_0000");
        }
        let u16v = || v.get(..2).map(|s| u16::from_le_bytes([s[0], s[1]]));
        match elem {
            0x0002 | 0x0003 => c.sop_class = Some(text(v, max_text)),
            0x0100 => {
                c.field = u16v().ok_or("dicom.command_field")?;
                seen_field = true;
            }
            0x0110 | 0x0120 => c.message_id = c.message_id.or(u16v()),
            0x0600 => c.move_destination = Some(text(v, 16)),
            0x0800 => c.dataset = u16v().is_some_and(|t| t != 0x0101),
            0x0900 => c.status = u16v(),
            _ => {}
        }
        at += 8 + len;
    }
    if at != b.len() {
        return Err("dicom.command_truncated");
    }
    if !seen_field {
        return Err("dicom.command_without_field");
    }
    Ok(c)
}

/// The name of a DIMSE command field (PS3.7 E.1-1).
pub(crate) fn command_name(f: u16) -> &'static str {
    match f {
        0x0001 => "C-STORE-RQ",
        0x8001 => "C-STORE-RSP",
        0x0010 => "C-GET-RQ",
        0x8010 => "C-GET-RSP",
        0x0020 => "C-FIND-RQ",
        0x8020 => "C-FIND-RSP",
        0x0021 => "C-MOVE-RQ",
        0x8021 => "C-MOVE-RSP",
        0x0030 => "C-ECHO-RQ",
        0x8030 => "C-ECHO-RSP",
        0x0100 => "N-EVENT-REPORT-RQ",
        0x8100 => "N-EVENT-REPORT-RSP",
        0x0110 => "N-GET-RQ",
        0x8110 => "N-GET-RSP",
        0x0120 => "N-SET-RQ",
        0x8120 => "N-SET-RSP",
        0x0130 => "N-ACTION-RQ",
        0x8130 => "N-ACTION-RSP",
        0x0140 => "N-CREATE-RQ",
        0x8140 => "N-CREATE-RSP",
        0x0150 => "N-DELETE-RQ",
        0x8150 => "N-DELETE-RSP",
        0x0FFF => "C-CANCEL-RQ",
        _ => "unknown",
    }
}

/// Status category (PS3.7 annex C).
pub(crate) fn status_category(s: u16) -> &'static str {
    match s {
        0x0000 => "success",
        0xFF00 | 0xFF01 => "pending",
        0xFE00 => "cancel",
        0x0001 | 0x0107 | 0x0116 | 0xB000..=0xBFFF => "warning",
        _ => "failure",
    }
}

/// How a data set is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    ImplicitLe,
    ExplicitLe,
    ExplicitBe,
    /// Deflated or otherwise not readable here.
    Opaque,
}

/// The encoding of a transfer syntax UID (PS3.5 §10 and annex A).
pub(crate) fn syntax(uid: &str) -> Syntax {
    match uid {
        "1.2.840.10008.1.2" => Syntax::ImplicitLe,
        "1.2.840.10008.1.2.2" => Syntax::ExplicitBe,
        "1.2.840.10008.1.2.1.99" => Syntax::Opaque,
        // Explicit VR LE and every encapsulated (compressed pixel data) syntax: the header
        // elements are Explicit VR Little Endian.
        _ => Syntax::ExplicitLe,
    }
}

/// What a data set prefix says: device attributes (values) and patient attributes (names).
#[derive(Debug, Default)]
pub(crate) struct DatasetSummary {
    pub device: Vec<(&'static str, String)>,
    pub patient: Vec<&'static str>,
    pub malformed: bool,
}

/// Device-identifying attributes (PS3.3 C.7.5.1 General Equipment, C.7.3.1 General Series,
/// C.12.1 SOP Common), kept with their values.
const DEVICE: [((u16, u16), &str); 8] = [
    ((0x0008, 0x0070), "Manufacturer"),
    ((0x0008, 0x1090), "ManufacturerModelName"),
    ((0x0018, 0x1020), "SoftwareVersions"),
    ((0x0008, 0x1010), "StationName"),
    ((0x0018, 0x1000), "DeviceSerialNumber"),
    ((0x0008, 0x0060), "Modality"),
    ((0x0008, 0x0080), "InstitutionName"),
    ((0x0008, 0x0016), "SOPClassUID"),
];

/// Attributes that identify a patient (PS3.15 annex E's basic profile names them), reported
/// by keyword only.
const PATIENT: [((u16, u16), &str); 16] = [
    ((0x0010, 0x0010), "PatientName"),
    ((0x0010, 0x0020), "PatientID"),
    ((0x0010, 0x0030), "PatientBirthDate"),
    ((0x0010, 0x0040), "PatientSex"),
    ((0x0010, 0x1000), "OtherPatientIDs"),
    ((0x0010, 0x1001), "OtherPatientNames"),
    ((0x0010, 0x1010), "PatientAge"),
    ((0x0010, 0x1040), "PatientAddress"),
    ((0x0010, 0x2154), "PatientTelephoneNumbers"),
    ((0x0010, 0x0021), "IssuerOfPatientID"),
    ((0x0010, 0x1005), "PatientBirthName"),
    ((0x0010, 0x1060), "PatientMotherBirthName"),
    ((0x0010, 0x2160), "EthnicGroup"),
    ((0x0008, 0x0050), "AccessionNumber"),
    ((0x0008, 0x0090), "ReferringPhysicianName"),
    ((0x0038, 0x0010), "AdmissionID"),
];

/// Walk a data set prefix. Elements cut by the end of the prefix end the walk quietly (the
/// prefix is a bound, not damage); nested sequences are descended up to `max_depth`.
pub(crate) fn dataset(b: &[u8], syn: Syntax, max_depth: usize, max_text: usize) -> DatasetSummary {
    let mut s = DatasetSummary::default();
    if syn != Syntax::Opaque {
        walk(b, syn, 0, max_depth, max_text, &mut s);
    }
    s
}

/// Returns the offset reached; stops at an item or sequence delimiter (returned past it).
fn walk(b: &[u8], syn: Syntax, depth: usize, max_depth: usize, max_text: usize, s: &mut DatasetSummary) -> usize {
    let be = syn == Syntax::ExplicitBe;
    let u16_at = |at: usize| b.get(at..at + 2).map(|x| if be { u16::from_be_bytes([x[0], x[1]]) } else { u16::from_le_bytes([x[0], x[1]]) });
    let u32_at = |at: usize| b.get(at..at + 4).map(|x| if be { u32::from_be_bytes([x[0], x[1], x[2], x[3]]) } else { u32::from_le_bytes([x[0], x[1], x[2], x[3]]) });
    let mut at = 0;
    while let (Some(group), Some(elem)) = (u16_at(at), u16_at(at + 2)) {
        // Item and delimiters have no VR in any syntax.
        if group == 0xFFFE {
            let Some(len) = u32_at(at + 4) else { return b.len() };
            at += 8;
            match elem {
                0xE00D | 0xE0DD => return at,
                0xE000 if len == 0xFFFF_FFFF => {
                    if depth >= max_depth {
                        s.malformed = true;
                        return b.len();
                    }
                    at += walk(&b[at..], syn, depth + 1, max_depth, max_text, s);
                }
                0xE000 => {
                    let end = at.saturating_add(len as usize).min(b.len());
                    if depth < max_depth {
                        walk(&b[at..end], syn, depth + 1, max_depth, max_text, s);
                    }
                    at = end;
                }
                _ => {
                    s.malformed = true;
                    return b.len();
                }
            }
            continue;
        }
        let (vr, len, hdr) = if syn == Syntax::ImplicitLe {
            let Some(len) = u32_at(at + 4) else { return b.len() };
            (*b"UN", len, 8)
        } else {
            let Some(vr) = b.get(at + 4..at + 6) else { return b.len() };
            let vr = [vr[0], vr[1]];
            if !vr.iter().all(u8::is_ascii_uppercase) {
                s.malformed = true;
                return b.len();
            }
            if matches!(&vr, b"OB" | b"OD" | b"OF" | b"OL" | b"OV" | b"OW" | b"SQ" | b"SV" | b"UC" | b"UN" | b"UR" | b"UT" | b"UV") {
                let Some(len) = u32_at(at + 8) else { return b.len() };
                (vr, len, 12)
            } else {
                let Some(len) = u16_at(at + 6) else { return b.len() };
                (vr, u32::from(len), 8)
            }
        };
        at += hdr;
        let tag = (group, elem);
        if len == 0xFFFF_FFFF {
            // A sequence (or encapsulated data) of undefined length: items until its delimiter.
            if depth >= max_depth {
                s.malformed = true;
                return b.len();
            }
            at += walk(&b[at..], syn, depth + 1, max_depth, max_text, s);
            continue;
        }
        let end = at.saturating_add(len as usize);
        let value = &b[at.min(b.len())..end.min(b.len())];
        if &vr == b"SQ" || (syn == Syntax::ImplicitLe && is_sequence(tag)) {
            if depth < max_depth {
                walk(value, syn, depth + 1, max_depth, max_text, s);
            }
        } else if len > 0 {
            if let Some((_, kw)) = PATIENT.iter().find(|(t, _)| *t == tag) {
                if !s.patient.contains(kw) {
                    s.patient.push(kw);
                }
            } else if let Some((_, kw)) = DEVICE.iter().find(|(t, _)| *t == tag)
                && depth == 0
                && end <= b.len()
            {
                let v = text(value, max_text);
                if !v.is_empty() && !s.device.iter().any(|(k, _)| k == kw) {
                    s.device.push((kw, v));
                }
            }
        }
        if end > b.len() {
            return b.len();
        }
        at = end;
    }
    at.min(b.len())
}

/// Sequences that Implicit VR data sets commonly carry with a defined length (no VR to say so).
fn is_sequence(tag: (u16, u16)) -> bool {
    matches!(tag, (0x0040, 0x0100) | (0x0032, 0x1064) | (0x0008, 0x1110) | (0x0008, 0x1120) | (0x0008, 0x1115) | (0x0040, 0x0275) | (0x0008, 0x1032))
}

/// Names of the common SOP classes (PS3.4 annex B, C, K, F; PS3.6 annex A).
pub(crate) fn sop_class_name(uid: &str) -> Option<&'static str> {
    Some(match uid {
        "1.2.840.10008.1.1" => "Verification SOP Class",
        "1.2.840.10008.1.20.1" => "Storage Commitment Push Model SOP Class",
        "1.2.840.10008.3.1.2.3.3" => "Modality Performed Procedure Step SOP Class",
        "1.2.840.10008.5.1.4.31" => "Modality Worklist Information Model - FIND",
        "1.2.840.10008.5.1.4.1.2.1.1" => "Patient Root Query/Retrieve Information Model - FIND",
        "1.2.840.10008.5.1.4.1.2.1.2" => "Patient Root Query/Retrieve Information Model - MOVE",
        "1.2.840.10008.5.1.4.1.2.1.3" => "Patient Root Query/Retrieve Information Model - GET",
        "1.2.840.10008.5.1.4.1.2.2.1" => "Study Root Query/Retrieve Information Model - FIND",
        "1.2.840.10008.5.1.4.1.2.2.2" => "Study Root Query/Retrieve Information Model - MOVE",
        "1.2.840.10008.5.1.4.1.2.2.3" => "Study Root Query/Retrieve Information Model - GET",
        "1.2.840.10008.5.1.4.1.1.1" => "Computed Radiography Image Storage",
        "1.2.840.10008.5.1.4.1.1.1.1" => "Digital X-Ray Image Storage - For Presentation",
        "1.2.840.10008.5.1.4.1.1.1.2" => "Digital Mammography X-Ray Image Storage - For Presentation",
        "1.2.840.10008.5.1.4.1.1.2" => "CT Image Storage",
        "1.2.840.10008.5.1.4.1.1.2.1" => "Enhanced CT Image Storage",
        "1.2.840.10008.5.1.4.1.1.3.1" => "Ultrasound Multi-frame Image Storage",
        "1.2.840.10008.5.1.4.1.1.4" => "MR Image Storage",
        "1.2.840.10008.5.1.4.1.1.4.1" => "Enhanced MR Image Storage",
        "1.2.840.10008.5.1.4.1.1.6.1" => "Ultrasound Image Storage",
        "1.2.840.10008.5.1.4.1.1.7" => "Secondary Capture Image Storage",
        "1.2.840.10008.5.1.4.1.1.9.1.1" => "12-lead ECG Waveform Storage",
        "1.2.840.10008.5.1.4.1.1.12.1" => "X-Ray Angiographic Image Storage",
        "1.2.840.10008.5.1.4.1.1.20" => "Nuclear Medicine Image Storage",
        "1.2.840.10008.5.1.4.1.1.88.11" => "Basic Text SR Storage",
        "1.2.840.10008.5.1.4.1.1.88.22" => "Enhanced SR Storage",
        "1.2.840.10008.5.1.4.1.1.104.1" => "Encapsulated PDF Storage",
        "1.2.840.10008.5.1.4.1.1.128" => "Positron Emission Tomography Image Storage",
        "1.2.840.10008.5.1.4.1.1.481.1" => "RT Image Storage",
        "1.2.840.10008.5.1.4.1.1.481.2" => "RT Dose Storage",
        "1.2.840.10008.5.1.4.1.1.481.3" => "RT Structure Set Storage",
        "1.2.840.10008.5.1.4.1.1.481.5" => "RT Plan Storage",
        "1.2.840.10008.5.1.1.9" => "Basic Grayscale Print Management Meta SOP Class",
        _ => return None,
    })
}

/// Reason names of A-ASSOCIATE-RJ (PS3.8 table 9-21), by (source, reason).
pub(crate) fn reject_reason(source: u8, reason: u8) -> &'static str {
    match (source, reason) {
        (1, 1) => "no-reason-given",
        (1, 2) => "application-context-name-not-supported",
        (1, 3) => "calling-AE-title-not-recognized",
        (1, 7) => "called-AE-title-not-recognized",
        (2, 1) => "no-reason-given (ACSE)",
        (2, 2) => "protocol-version-not-supported",
        (3, 1) => "temporary-congestion",
        (3, 2) => "local-limit-exceeded",
        _ => "reserved",
    }
}

/// Reason names of A-ABORT (PS3.8 table 9-26), by (source, reason).
pub(crate) fn abort_reason(source: u8, reason: u8) -> &'static str {
    match (source, reason) {
        (0, _) => "service-user",
        (2, 0) => "reason-not-specified",
        (2, 1) => "unrecognized-PDU",
        (2, 2) => "unexpected-PDU",
        (2, 4) => "unrecognized-PDU-parameter",
        (2, 5) => "unexpected-PDU-parameter",
        (2, 6) => "invalid-PDU-parameter-value",
        _ => "reserved",
    }
}
