//! Signs of patient data in an application payload (an MQTT message, an HTTP body), by name
//! only: which structure or key announces patient identity, never the value it carries.
//!
//! The scan is bounded (the caller passes a prefix) and allocation-free except for the result.
//! Indicators are stable strings:
//! - `hl7v2:PID`: an HL7 v2 message (`MSH|`) with a PID segment;
//! - `fhir:Patient`: a FHIR resource whose `resourceType` is `Patient`;
//! - `dicom-file`: a DICOM Part 10 file (`DICM` at offset 128);
//! - `json:<key>`: a JSON object key that names patient identity (`patient`, `patient_id`,
//!   `patientName`, `mrn`, `birthDate`, `dob`, `ssn`...), lower-cased, as the key is written
//!   in well-known vocabularies, never the value next to it.

use memchr::{memchr, memmem};

/// JSON keys (compared lower-case, with `_` and `-` removed) that name patient identity.
const KEYS: [(&str, &str); 14] = [
    ("patient", "json:patient"),
    ("patientid", "json:patient_id"),
    ("patientname", "json:patient_name"),
    ("patientidentifier", "json:patient_id"),
    ("mrn", "json:mrn"),
    ("medicalrecordnumber", "json:mrn"),
    ("birthdate", "json:birth_date"),
    ("dateofbirth", "json:birth_date"),
    ("dob", "json:birth_date"),
    ("ssn", "json:ssn"),
    ("socialsecuritynumber", "json:ssn"),
    ("firstname", "json:person_name"),
    ("lastname", "json:person_name"),
    ("familyname", "json:person_name"),
];

/// Most indicators reported per payload.
const MAX_INDICATORS: usize = 8;

/// The patient-data indicators found in `data` (already cut to the caller's bound), in a
/// stable order, each once.
#[must_use]
pub fn indicators(data: &[u8]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let push = |s: &'static str, out: &mut Vec<&'static str>| {
        if out.len() < MAX_INDICATORS && !out.contains(&s) {
            out.push(s);
        }
    };
    if data.len() >= 132 && &data[128..132] == b"DICM" {
        push("dicom-file", &mut out);
    }
    if memmem::find(data, b"MSH|").is_some() && (data.starts_with(b"PID|") || memmem::find(data, b"\rPID|").is_some() || memmem::find(data, b"\nPID|").is_some()) {
        push("hl7v2:PID", &mut out);
    }
    if let Some(i) = memmem::find(data, b"\"resourceType\"") {
        let rest = &data[i + 14..];
        let rest = skip_ws(rest);
        if let Some(rest) = rest.strip_prefix(b":")
            && skip_ws(rest).starts_with(b"\"Patient\"")
        {
            push("fhir:Patient", &mut out);
        }
    }
    // JSON object keys: a quoted token followed by a colon.
    let mut at = 0;
    while let Some(q) = memchr(b'"', &data[at..]) {
        let start = at + q + 1;
        let Some(len) = memchr(b'"', &data[start..]) else { break };
        let key = &data[start..start + len];
        at = start + len + 1;
        if key.is_empty() || key.len() > 32 {
            continue;
        }
        if !skip_ws(&data[at..]).starts_with(b":") {
            continue;
        }
        let mut norm = [0u8; 32];
        let mut n = 0;
        for &b in key {
            if b == b'_' || b == b'-' {
                continue;
            }
            norm[n] = b.to_ascii_lowercase();
            n += 1;
        }
        if let Some((_, name)) = KEYS.iter().find(|(k, _)| k.as_bytes() == &norm[..n]) {
            push(name, &mut out);
        }
    }
    out
}

fn skip_ws(d: &[u8]) -> &[u8] {
    let n = d.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &d[n..]
}

#[cfg(test)]
mod tests {
    use super::indicators;

    #[test]
    fn names_structures_and_keys_never_values() {
        let fhir = br#"{"resourceType" : "Patient", "name":[{"family":"Doe"}], "birthDate":"1961-07-04"}"#;
        assert_eq!(indicators(fhir), ["fhir:Patient", "json:birth_date"]);
        let mqtt = br#"{"patient":"DOE^JANE","hr":72,"Patient_ID":"X1","note":"patient: none"}"#;
        assert_eq!(indicators(mqtt), ["json:patient", "json:patient_id"]);
        assert_eq!(indicators(b"MSH|^~\\&|A|B\rPID|1||X\r"), ["hl7v2:PID"]);
        assert!(indicators(br#"{"hr":72,"spo2":97}"#).is_empty());
        assert!(indicators(b"MSH|^~\\&|A|B\rOBX|1\r").is_empty(), "an HL7 message without PID");
        let mut dcm = vec![0u8; 128];
        dcm.extend_from_slice(b"DICM");
        assert_eq!(indicators(&dcm), ["dicom-file"]);
    }

    /// Unterminated quotes, huge keys, binary: no panic, no false hit.
    #[test]
    fn odd_bytes_are_safe() {
        assert!(indicators(b"\"patient").is_empty());
        assert!(indicators(&[b'"'; 1000]).is_empty());
        assert!(indicators(&[0xff; 300]).is_empty());
        assert!(indicators(b"\"resourceType\"").is_empty());
    }
}
