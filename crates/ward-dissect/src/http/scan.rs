//! The bounded body scan: does a body prefix carry patient identity? The answer is a list of
//! indicator *names* (`fhir:Patient`, `fhir:birthDate`, `hl7v2:PID`, `dicom-file`...), never a
//! value. Everything here reads a slice Ward already bounded; nothing allocates per byte.

/// FHIR R4 resource types Ward names (FHIR R4 §2.4 "Resource List", the clinical, diagnostic,
/// medication, workflow, financial and base groups). A `resourceType` not listed is ignored:
/// only names from this list ever reach a record.
const RESOURCES: &[&str] = &[
    "Patient", "Person", "RelatedPerson", "Practitioner", "PractitionerRole", "Organization", "Location", "Device",
    "DeviceMetric", "DeviceRequest", "DeviceUseStatement", "Endpoint", "Encounter", "EpisodeOfCare", "Observation",
    "DiagnosticReport", "ImagingStudy", "Media", "Specimen", "Condition", "Procedure", "AllergyIntolerance",
    "FamilyMemberHistory", "ClinicalImpression", "DetectedIssue", "RiskAssessment", "CarePlan", "CareTeam", "Goal",
    "ServiceRequest", "NutritionOrder", "VisionPrescription", "MedicationRequest", "MedicationAdministration",
    "MedicationDispense", "MedicationStatement", "Medication", "Immunization", "ImmunizationRecommendation",
    "Appointment", "AppointmentResponse", "Schedule", "Slot", "Task", "Communication", "CommunicationRequest",
    "DocumentReference", "DocumentManifest", "Composition", "Consent", "Coverage", "Claim", "ClaimResponse",
    "ExplanationOfBenefit", "Account", "Invoice", "QuestionnaireResponse", "Questionnaire", "Provenance", "AuditEvent",
    "Flag", "List", "Group", "Binary", "Bundle", "OperationOutcome", "CapabilityStatement", "Parameters",
    "Subscription", "ValueSet", "CodeSystem",
];

/// Resource types whose own elements identify a person (FHIR R4 Patient, Person, RelatedPerson).
const PEOPLE: [&str; 3] = ["Patient", "Person", "RelatedPerson"];

/// JSON keys / XML elements that identify a person when they sit on Patient, Person or
/// RelatedPerson (FHIR R4 §8.1 Patient: identifier, name, telecom, address, birthDate), and
/// the references that tie any other resource to a patient (`subject`, `patient`).
const IDENTITY: [(&str, &str); 5] = [
    ("identifier", "fhir:identifier"),
    ("name", "fhir:name"),
    ("telecom", "fhir:telecom"),
    ("address", "fhir:address"),
    ("birthDate", "fhir:birthDate"),
];
const REFERENCES: [(&str, &str); 2] = [("subject", "fhir:subject"), ("patient", "fhir:patient")];

fn indicator_for_person(t: &str) -> &'static str {
    match t {
        "Person" => "fhir:Person",
        "RelatedPerson" => "fhir:RelatedPerson",
        _ => "fhir:Patient",
    }
}

/// What a body prefix carries.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Findings {
    pub indicators: Vec<&'static str>,
    pub resources: Vec<&'static str>,
    /// The JSON nesting went deeper than the limit (the rest was read flat).
    pub depth_cut: bool,
}

impl Findings {
    fn add(&mut self, s: &'static str) {
        if !self.indicators.contains(&s) {
            self.indicators.push(s);
        }
    }
    fn resource(&mut self, s: &'static str) {
        if !self.resources.contains(&s) {
            self.resources.push(s);
        }
    }
}

/// Scan a body prefix. `max_depth` bounds the JSON object stack.
pub(crate) fn scan(body: &[u8], max_depth: usize) -> Findings {
    let mut f = Findings::default();
    dicom(body, &mut f);
    hl7(body, &mut f);
    if memchr::memmem::find(body, b"\"resourceType\"").is_some() {
        fhir_json(body, max_depth, &mut f);
    }
    if memchr::memmem::find(body, b"http://hl7.org/fhir").is_some() {
        fhir_xml(body, &mut f);
    }
    dicom_json(body, &mut f);
    f
}

/// A DICOM Part 10 file: 128-byte preamble then `DICM` (PS3.10 §7.1), at the body's start or
/// at the start of a multipart part (after the part's blank line). Inside it, the patient
/// attributes (PS3.6: (0010,0010) Patient's Name PN, (0010,0020) Patient ID LO, (0010,0030)
/// Patient's Birth Date DA) in explicit VR little endian, when their value is not empty.
fn dicom(body: &[u8], f: &mut Findings) {
    let mut found = None;
    for p in memchr::memmem::find_iter(body, b"DICM") {
        if p == 128 || (p >= 132 && &body[p - 132..p - 128] == b"\r\n\r\n") {
            found = Some(p);
            break;
        }
    }
    let Some(start) = found else { return };
    f.add("dicom-file");
    let rest = &body[start..];
    for (tag, name) in [
        (&[0x10u8, 0x00, 0x10, 0x00, b'P', b'N'], "dicom:PatientName"),
        (&[0x10, 0x00, 0x20, 0x00, b'L', b'O'], "dicom:PatientID"),
        (&[0x10, 0x00, 0x30, 0x00, b'D', b'A'], "dicom:PatientBirthDate"),
    ] {
        for p in memchr::memmem::find_iter(rest, tag) {
            let len = rest.get(p + 6..p + 8).map_or(0, |l| u16::from_le_bytes([l[0], l[1]]));
            if len > 0 {
                f.add(name);
                break;
            }
        }
    }
}

/// DICOM JSON (PS3.18 §F.2): the patient attributes as 8-hex-digit keys.
fn dicom_json(body: &[u8], f: &mut Findings) {
    for (key, name) in [(&b"\"00100010\""[..], "dicom:PatientName"), (b"\"00100020\"", "dicom:PatientID"), (b"\"00100030\"", "dicom:PatientBirthDate")] {
        if memchr::memmem::find(body, key).is_some() {
            f.add(name);
        }
    }
}

/// An HL7 v2 message (v2.5.1 §2.5): the body starts (after whitespace or an MLLP start block)
/// with `MSH` and a field separator; a PID segment carries patient identity, NK1 next of kin.
fn hl7(body: &[u8], f: &mut Findings) {
    let lead = body.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b)).count();
    let m = &body[lead..];
    if m.len() < 8 || &m[..3] != b"MSH" || !m[3].is_ascii_punctuation() {
        return;
    }
    let sep = m[3];
    f.add("hl7v2:message");
    for seg in m.split(|b| *b == b'\r' || *b == b'\n') {
        if seg.len() > 3 && seg[3] == sep {
            match &seg[..3] {
                b"PID" => f.add("hl7v2:PID"),
                b"NK1" => f.add("hl7v2:NK1"),
                _ => {}
            }
        }
    }
}

#[derive(Debug, Default)]
struct Frame {
    object: bool,
    want_key: bool,
    /// The last key read was `resourceType`.
    key_is_type: bool,
    /// Bit per entry of IDENTITY then REFERENCES.
    keys: u8,
    resource: Option<&'static str>,
}

fn key_bit(key: &[u8]) -> Option<u8> {
    IDENTITY.iter().chain(REFERENCES.iter()).position(|(k, _)| k.as_bytes() == key).map(|i| 1u8 << i)
}

fn close(frame: &Frame, f: &mut Findings) {
    let Some(t) = frame.resource else { return };
    f.resource(t);
    if PEOPLE.contains(&t) {
        f.add(indicator_for_person(t));
        for (i, (_, name)) in IDENTITY.iter().enumerate() {
            if frame.keys & (1 << i) != 0 {
                f.add(name);
            }
        }
    }
    for (i, (_, name)) in REFERENCES.iter().enumerate() {
        if frame.keys & (1 << (i + IDENTITY.len())) != 0 {
            f.add(name);
        }
    }
}

/// FHIR JSON (R4 §2.6.2): a small tokenizer that follows object nesting, so that a key counts
/// for the object it belongs to. Each object's `resourceType` and keys are judged when it
/// closes (JSON keys come in any order); objects still open at the end of the prefix are
/// judged as they stand.
fn fhir_json(body: &[u8], max_depth: usize, f: &mut Findings) {
    let mut stack: Vec<Frame> = Vec::new();
    let mut flat = 0usize; // levels beyond max_depth, not tracked
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'{' | b'[' => {
                if stack.len() >= max_depth {
                    flat += 1;
                    f.depth_cut = true;
                } else {
                    let object = body[i] == b'{';
                    stack.push(Frame { object, want_key: object, ..Frame::default() });
                }
            }
            b'}' | b']' => {
                if flat > 0 {
                    flat -= 1;
                } else if let Some(fr) = stack.pop() {
                    close(&fr, f);
                }
            }
            b',' if flat == 0 => {
                if let Some(top) = stack.last_mut() {
                    top.want_key = top.object;
                    top.key_is_type = false;
                }
            }
            b':' if flat == 0 => {
                if let Some(top) = stack.last_mut() {
                    top.want_key = false;
                }
            }
            b'"' => {
                // A string: find its end, honouring backslash escapes.
                let start = i + 1;
                let mut j = start;
                while j < body.len() && body[j] != b'"' {
                    j += if body[j] == b'\\' { 2 } else { 1 };
                }
                let s = &body[start..j.min(body.len())];
                if flat == 0
                    && let Some(top) = stack.last_mut()
                    && top.object
                {
                    if top.want_key {
                        top.key_is_type = s == b"resourceType";
                        if let Some(bit) = key_bit(s) {
                            top.keys |= bit;
                        }
                    } else if top.key_is_type {
                        top.resource = RESOURCES.iter().find(|r| r.as_bytes() == s).copied();
                    }
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    while let Some(fr) = stack.pop() {
        close(&fr, f);
    }
}

/// FHIR XML (R4 §2.6.3): resources are elements named by their type in the FHIR namespace.
/// Without a full XML parser the identity elements are counted when the body holds a Patient,
/// Person or RelatedPerson, the references wherever they are.
fn fhir_xml(body: &[u8], f: &mut Findings) {
    let mut person = None;
    for p in memchr::memchr_iter(b'<', body) {
        let rest = &body[p + 1..];
        let n = rest.iter().position(|b| !b.is_ascii_alphanumeric()).unwrap_or(rest.len());
        if n == 0 || n == rest.len() || !matches!(rest[n], b' ' | b'>' | b'/' | b'\t' | b'\r' | b'\n') {
            continue;
        }
        let name = &rest[..n];
        if let Some(r) = RESOURCES.iter().find(|r| r.as_bytes() == name) {
            f.resource(r);
            if PEOPLE.contains(r) && person.is_none() {
                person = Some(*r);
            }
        }
    }
    let has = |el: &str| {
        let tag = format!("<{el}");
        memchr::memmem::find_iter(body, tag.as_bytes()).any(|p| matches!(body.get(p + tag.len()), Some(b' ' | b'>' | b'/')))
    };
    if let Some(t) = person {
        f.add(indicator_for_person(t));
        for (el, name) in IDENTITY {
            if has(el) {
                f.add(name);
            }
        }
    }
    for (el, name) in REFERENCES {
        if has(el) {
            f.add(name);
        }
    }
}
