//! Pure HL7 v2 parsing: segments, the MSH header, fields, escape sequences, PHI field names.

/// Split a message into segments on CR, LF or CRLF, dropping empty lines.
pub(crate) fn segments(msg: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut ends = memchr::memchr2_iter(b'\r', b'\n', msg).chain(std::iter::once(msg.len()));
    std::iter::from_fn(move || {
        loop {
            let end = ends.next()?;
            let seg = &msg[start.min(end)..end];
            start = end + 1;
            if !seg.is_empty() {
                return Some(seg);
            }
        }
    })
}

/// Which separator the message uses between segments.
pub(crate) fn separator_kind(msg: &[u8]) -> &'static str {
    match msg.iter().position(|b| *b == b'\r' || *b == b'\n') {
        Some(i) if msg[i] == b'\r' && msg.get(i + 1) == Some(&b'\n') => "crlf",
        Some(i) if msg[i] == b'\n' => "lf",
        _ => "cr",
    }
}

/// Encoding characters from MSH-2 (HL7 v2.5.1 §2.5.4): component, repetition, escape,
/// subcomponent; the field separator is MSH-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Encoding {
    pub field: u8,
    pub component: u8,
    pub repetition: u8,
    pub escape: u8,
    pub subcomponent: u8,
}

/// A segment's fields, numbered as HL7 numbers them: field 0 is the segment id; in MSH, field 1
/// is the field separator itself, so MSH-n is the (n-1)-th piece after splitting. Fields are
/// found by scanning on demand: no allocation per segment.
#[derive(Debug)]
pub(crate) struct Segment<'a> {
    pub id: &'a [u8],
    raw: &'a [u8],
    sep: u8,
    is_msh: bool,
    max_fields: usize,
}

impl<'a> Segment<'a> {
    pub(crate) fn parse(seg: &'a [u8], enc: &Encoding, max_fields: usize) -> Segment<'a> {
        let id = seg.split(|b| *b == enc.field).next().unwrap_or(b"");
        let is_msh = matches!(id, b"MSH" | b"FHS" | b"BHS");
        Segment { id, raw: seg, sep: enc.field, is_msh, max_fields }
    }

    /// Field n (1-based, HL7 numbering); empty if absent or beyond the field limit.
    pub(crate) fn field(&self, n: usize) -> &'a [u8] {
        let idx = if self.is_msh { n.checked_sub(1) } else { Some(n) };
        match idx {
            Some(i) if i < self.max_fields => self.raw.split(|b| *b == self.sep).nth(i).unwrap_or(b""),
            _ => b"",
        }
    }

    /// Fields 0 to `K - 1` in one pass over the segment: entry n is `field(n)`.
    pub(crate) fn first_fields<const K: usize>(&self) -> [&'a [u8]; K] {
        let mut out = [&b""[..]; K];
        for (n, f) in self.numbered() {
            match out.get_mut(n) {
                Some(slot) => *slot = f,
                None => break,
            }
        }
        out
    }

    /// Every field present within the field limit, in order, with its HL7 number: `(n, field(n))`.
    pub(crate) fn numbered(&self) -> impl Iterator<Item = (usize, &'a [u8])> + use<'a> {
        let (sep, shift) = (self.sep, usize::from(self.is_msh));
        self.raw.split(move |b| *b == sep).take(self.max_fields).enumerate().map(move |(i, f)| (i + shift, f))
    }
}

/// Read the encoding characters of an MSH/FHS/BHS segment (`MSH|^~\&|...`).
pub(crate) fn encoding(seg: &[u8]) -> Result<Encoding, &'static str> {
    if seg.len() < 8 || !matches!(&seg[..3], b"MSH" | b"FHS" | b"BHS") {
        return Err("hl7.bad_msh");
    }
    let e = Encoding { field: seg[3], component: seg[4], repetition: seg[5], escape: seg[6], subcomponent: seg[7] };
    let all = [e.field, e.component, e.repetition, e.escape, e.subcomponent];
    // The delimiters must be distinct printable punctuation (§2.5.4).
    for (i, c) in all.iter().enumerate() {
        if !c.is_ascii_punctuation() || all[..i].contains(c) {
            // Some senders omit the subcomponent separator ("^~\" then "|").
            if i == 4 && *c == e.field {
                return Ok(Encoding { subcomponent: b'&', ..e });
            }
            return Err("hl7.bad_encoding_characters");
        }
    }
    Ok(e)
}

/// Component n (1-based) of a field.
pub(crate) fn component<'a>(field: &'a [u8], enc: &Encoding, n: usize) -> &'a [u8] {
    field.split(|b| *b == enc.component).nth(n - 1).unwrap_or(b"")
}

/// Printable text of a header value: escape sequences (§2.7.1) decoded, control characters
/// dropped, at most `max` characters.
pub(crate) fn text(v: &[u8], enc: &Encoding, max: usize) -> Option<String> {
    let mut out = String::with_capacity(v.len().min(max));
    // Characters in `out`: each push below adds exactly one (counting them again on every
    // byte made long values quadratic).
    let mut chars = 0usize;
    let mut i = 0;
    while i < v.len() && chars < max {
        let b = v[i];
        if b == enc.escape
            && let Some(end) = v[i + 1..].iter().position(|c| *c == enc.escape) {
                let seq = &v[i + 1..i + 1 + end];
                let c = match seq {
                    b"F" => Some(enc.field),
                    b"S" => Some(enc.component),
                    b"T" => Some(enc.subcomponent),
                    b"R" => Some(enc.repetition),
                    b"E" => Some(enc.escape),
                    _ => None, // formatting (\.br\, \H\...) and hex escapes are not header text
                };
                if let Some(c) = c {
                    out.push(c as char);
                    chars += 1;
                }
                i += end + 2;
                continue;
            }
        if (0x20..0x7f).contains(&b) {
            out.push(b as char);
            chars += 1;
        } else if b >= 0x80 {
            out.push('\u{fffd}');
            chars += 1;
        }
        i += 1;
    }
    // Trimmed in place when there is nothing to trim (the usual case): no second copy.
    let t = out.trim();
    if t.is_empty() {
        None
    } else if t.len() == out.len() {
        Some(out)
    } else {
        Some(t.to_string())
    }
}

/// Fields that identify a patient (or their relatives, insurer, guarantor) or carry clinical
/// values, by segment: HL7 v2.5.1 chapters 3 (PID, NK1, PV1, MRG), 6 (IN1, GT1, DG1) and 7 (OBX).
pub(crate) fn phi_fields(segment_id: &[u8]) -> &'static [(usize, &'static str)] {
    match segment_id {
        b"PID" => &[
            (2, "PID-2 patient ID"),
            (3, "PID-3 patient identifier list"),
            (4, "PID-4 alternate patient ID"),
            (5, "PID-5 patient name"),
            (6, "PID-6 mother's maiden name"),
            (7, "PID-7 date of birth"),
            (9, "PID-9 patient alias"),
            (11, "PID-11 patient address"),
            (13, "PID-13 home phone"),
            (14, "PID-14 business phone"),
            (18, "PID-18 patient account number"),
            (19, "PID-19 SSN"),
            (20, "PID-20 driver's license"),
        ],
        b"NK1" => &[(2, "NK1-2 next of kin name"), (4, "NK1-4 next of kin address"), (5, "NK1-5 next of kin phone")],
        b"PV1" => &[(3, "PV1-3 assigned patient location"), (19, "PV1-19 visit number")],
        b"MRG" => &[(1, "MRG-1 prior patient identifier"), (7, "MRG-7 prior patient name")],
        b"IN1" => &[(16, "IN1-16 insured's name"), (19, "IN1-19 insured's address"), (36, "IN1-36 policy number")],
        b"GT1" => &[(3, "GT1-3 guarantor name"), (5, "GT1-5 guarantor address"), (6, "GT1-6 guarantor phone"), (12, "GT1-12 guarantor SSN")],
        b"DG1" => &[(3, "DG1-3 diagnosis code"), (4, "DG1-4 diagnosis description")],
        b"OBX" => &[(5, "OBX-5 observation value")],
        _ => &[],
    }
}

/// Segment ids as static text where they are common, so a message of hundreds of OBX segments
/// costs no allocation per segment.
pub(crate) fn segment_name(id: &[u8]) -> std::borrow::Cow<'static, str> {
    let common: Option<&'static str> = match id {
        b"MSH" => Some("MSH"),
        b"MSA" => Some("MSA"),
        b"ERR" => Some("ERR"),
        b"EVN" => Some("EVN"),
        b"PID" => Some("PID"),
        b"PD1" => Some("PD1"),
        b"NK1" => Some("NK1"),
        b"PV1" => Some("PV1"),
        b"PV2" => Some("PV2"),
        b"ORC" => Some("ORC"),
        b"OBR" => Some("OBR"),
        b"OBX" => Some("OBX"),
        b"NTE" => Some("NTE"),
        b"SPM" => Some("SPM"),
        b"TQ1" => Some("TQ1"),
        b"AL1" => Some("AL1"),
        b"DG1" => Some("DG1"),
        b"PR1" => Some("PR1"),
        b"IN1" => Some("IN1"),
        b"IN2" => Some("IN2"),
        b"GT1" => Some("GT1"),
        b"MRG" => Some("MRG"),
        b"ROL" => Some("ROL"),
        b"QRD" => Some("QRD"),
        b"QPD" => Some("QPD"),
        b"QAK" => Some("QAK"),
        b"SCH" => Some("SCH"),
        b"RXA" => Some("RXA"),
        b"RXE" => Some("RXE"),
        b"FT1" => Some("FT1"),
        b"SFT" => Some("SFT"),
        _ => None,
    };
    match common {
        Some(c) => std::borrow::Cow::Borrowed(c),
        None => std::borrow::Cow::Owned(String::from_utf8_lossy(id).chars().filter(char::is_ascii_alphanumeric).take(3).collect()),
    }
}
