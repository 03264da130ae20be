//! Pure syslog parsing: PRI, the RFC 5424 header and structured data, the RFC 3164 header,
//! the credential hint. Nothing here keeps the message text or a structured-data value.

use super::record::SyslogRecord;

/// Facility names, RFC 5424 §6.2.1 table 1 (codes 0–23), with the names BSD syslog.h uses
/// where it has one.
const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp",
    "log-audit", "log-alert", "clock", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

/// Severity names, RFC 5424 §6.2.1 table 2.
const SEVERITIES: [&str; 8] = ["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"];

/// RFC 3164 §4.1.2 month abbreviations.
const MONTHS: [&[u8]; 12] = [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// `<PRI>` at the start of `b` (RFC 5424 §6.2.1: 1 to 3 digits, 0..=191): the value and the
/// bytes it used; `Ok(None)` if `b` is a prefix of one.
pub(crate) fn pri(b: &[u8]) -> Result<Option<(u8, usize)>, &'static str> {
    match b.first() {
        None => return Ok(None),
        Some(b'<') => {}
        Some(_) => return Err("syslog.pri"),
    }
    let digits = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 3 {
        return Err("syslog.pri");
    }
    match b.get(1 + digits) {
        None => Ok(None),
        Some(b'>') if digits > 0 => {
            let v = b[1..1 + digits].iter().fold(0u16, |a, d| a * 10 + u16::from(d - b'0'));
            if v > 191 {
                return Err("syslog.pri");
            }
            Ok(Some((v as u8, digits + 2)))
        }
        Some(_) => Err("syslog.pri"),
    }
}

/// A value made printable and bounded: control characters become U+FFFD, at most `max` chars.
pub(crate) fn text(v: &[u8], max: usize) -> String {
    String::from_utf8_lossy(v).chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).take(max).collect()
}

/// Bounds the parser honours (a copy of the relevant limits).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub max_text: usize,
    pub max_sd_elements: usize,
    pub max_scan: usize,
}

/// What parsing one message found besides the record.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Notes {
    /// A non-fatal defect (the record is still produced).
    pub malformed: Option<&'static str>,
    /// More structured-data elements than `max_sd_elements`.
    pub sd_cut: bool,
    /// The message was longer than `max_scan` (only its prefix was scanned).
    pub scan_cut: bool,
    /// RFC 5424: where the structured data starts, from the start of TIMESTAMP.
    sd_start: Option<usize>,
}

/// Parse one message (without framing). `Err` when there is no valid PRI: not syslog.
pub(crate) fn message(m: &[u8], framing: &'static str, b: Bounds) -> Result<(SyslogRecord, Notes), &'static str> {
    let m = trim_end(m);
    let (p, n) = pri(m)?.ok_or("syslog.pri")?;
    let mut r = SyslogRecord {
        framing,
        pri: p,
        facility: p >> 3,
        facility_name: FACILITIES[usize::from(p >> 3)],
        severity: p & 7,
        severity_name: SEVERITIES[usize::from(p & 7)],
        ..SyslogRecord::default()
    };
    let mut notes = Notes::default();
    let rest = &m[n..];
    // The credential hint looks at everything after the header fields (structured data too).
    let (msg, tail) = match version(rest) {
        Some((v, used)) => {
            r.format = "rfc5424";
            r.version = Some(v);
            let body = &rest[used..];
            let msg = rfc5424(body, &mut r, &mut notes, b);
            let sd = notes.sd_start.unwrap_or(body.len() - msg.len()).min(body.len());
            (msg, &body[sd..])
        }
        None => {
            r.format = "rfc3164";
            let msg = rfc3164(rest, &mut r, b);
            (msg, msg)
        }
    };
    r.message_length = msg.len() as u32;
    if r.format == "rfc5424" && msg.starts_with(b"\xef\xbb\xbf") {
        r.bom = true;
    }
    notes.scan_cut = tail.len() > b.max_scan;
    r.credentials_hint = credentials_hint(&tail[..tail.len().min(b.max_scan)]);
    Ok((r, notes))
}

/// Drop trailing LF, CR and NUL (senders add them to datagrams and counted frames).
pub(crate) fn trim_end(m: &[u8]) -> &[u8] {
    let e = m.iter().rposition(|c| !matches!(c, b'\n' | b'\r' | 0)).map_or(0, |p| p + 1);
    &m[..e]
}

/// RFC 5424 VERSION: NONZERO-DIGIT 0*2DIGIT, then SP.
fn version(b: &[u8]) -> Option<(u16, usize)> {
    let d = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if d == 0 || d > 3 || b[0] == b'0' || b.get(d) != Some(&b' ') {
        return None;
    }
    Some((b[..d].iter().fold(0u16, |a, c| a * 10 + u16::from(c - b'0')), d + 1))
}

/// The next SP-delimited token; `None` at the end.
fn token(b: &[u8]) -> Option<(&[u8], &[u8])> {
    if b.is_empty() {
        return None;
    }
    match b.iter().position(|c| *c == b' ') {
        Some(p) => Some((&b[..p], &b[p + 1..])),
        None => Some((b, &b[b.len()..])),
    }
}

/// RFC 5424 §6: TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA
/// [SP MSG]. Returns the MSG.
fn rfc5424<'a>(mut b: &'a [u8], r: &mut SyslogRecord, notes: &mut Notes, bounds: Bounds) -> &'a [u8] {
    let whole = b.len();
    let t = |v: &[u8], max: usize| if v == b"-" { None } else { Some(text(v, bounds.max_text.min(max))) };
    // Field maxima: RFC 5424 §6 (HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32).
    let fields: [(usize, usize); 5] = [(0, 64), (1, 255), (2, 48), (3, 128), (4, 32)];
    for (i, max) in fields {
        let Some((v, rest)) = token(b) else {
            notes.malformed = Some("syslog.rfc5424_header");
            return &b[b.len()..];
        };
        if v.is_empty() || v.len() > max || !v.iter().all(|c| (33..=126).contains(c)) {
            notes.malformed = Some("syslog.rfc5424_header");
        }
        let v = t(v, max);
        match i {
            0 => r.timestamp = v,
            1 => r.hostname = v,
            2 => r.app_name = v,
            3 => r.procid = v,
            _ => r.msgid = v,
        }
        b = rest;
    }
    // The structured data starts here; the credential hint scans from it.
    notes.sd_start = Some(whole - b.len());
    match b.first() {
        None => {
            notes.malformed = Some("syslog.rfc5424_header");
            b
        }
        Some(b'-') => match b.get(1) {
            None => &b[1..],
            Some(b' ') => &b[2..],
            Some(_) => {
                notes.malformed = Some("syslog.structured_data");
                &b[1..]
            }
        },
        Some(b'[') => structured_data(b, r, notes, bounds),
        Some(_) => {
            notes.malformed = Some("syslog.structured_data");
            b
        }
    }
}

/// SD-ELEMENTs (RFC 5424 §6.3): `[SD-ID *(SP PARAM-NAME="PARAM-VALUE")]`, values escaped with
/// `\"`, `\\`, `\]`. Only the SD-IDs are kept. Returns the MSG after them.
fn structured_data<'a>(mut b: &'a [u8], r: &mut SyslogRecord, notes: &mut Notes, bounds: Bounds) -> &'a [u8] {
    while b.first() == Some(&b'[') {
        let id_len = b[1..].iter().position(|c| matches!(c, b' ' | b']' | b'=' | b'"')).unwrap_or(b.len() - 1);
        let id = &b[1..1 + id_len];
        if id.is_empty() || id.len() > 32 || !id.iter().all(|c| (33..=126).contains(c)) {
            notes.malformed = Some("syslog.structured_data");
            return b;
        }
        if r.sd_ids.len() < bounds.max_sd_elements {
            r.sd_ids.push(text(id, bounds.max_text));
        } else {
            notes.sd_cut = true;
        }
        // Walk the parameters to the closing bracket, honouring quotes and escapes.
        let mut i = 1 + id_len;
        let mut quoted = false;
        loop {
            match b.get(i) {
                None => {
                    notes.malformed = Some("syslog.structured_data");
                    return &b[b.len()..];
                }
                Some(b'\\') if quoted => i += 2,
                Some(b'"') => {
                    quoted = !quoted;
                    i += 1;
                }
                Some(b']') if !quoted => break,
                Some(_) => i += 1,
            }
        }
        b = &b[i + 1..];
    }
    match b.first() {
        None => b,
        Some(b' ') => &b[1..],
        Some(_) => {
            notes.malformed = Some("syslog.structured_data");
            b
        }
    }
}

/// RFC 3164 §4.1.2 TIMESTAMP `Mmm dd hh:mm:ss` (day space-padded).
fn bsd_timestamp(b: &[u8]) -> bool {
    b.len() >= 15
        && MONTHS.contains(&&b[..3])
        && b[3] == b' '
        && (b[4] == b' ' || b[4].is_ascii_digit())
        && b[5].is_ascii_digit()
        && b[6] == b' '
        && b[7].is_ascii_digit()
        && b[8].is_ascii_digit()
        && b[9] == b':'
        && b[10].is_ascii_digit()
        && b[11].is_ascii_digit()
        && b[12] == b':'
        && b[13].is_ascii_digit()
        && b[14].is_ascii_digit()
}

/// An RFC 3339 timestamp as relays write in BSD-style messages (`2024-02-29T12:00:00Z`...).
fn iso_timestamp(b: &[u8]) -> Option<usize> {
    let n = b.iter().position(|c| *c == b' ').unwrap_or(b.len());
    let t = &b[..n];
    let ok = t.len() >= 19 && t[..4].iter().all(u8::is_ascii_digit) && t[4] == b'-' && t[7] == b'-' && (t[10] == b'T' || t[10] == b't');
    ok.then_some(n)
}

/// A 3164 TAG, its optional `[procid]`, and the MSG after it.
type Tagged<'a> = (&'a [u8], Option<&'a [u8]>, &'a [u8]);

/// A 3164 TAG (§4.1.3: alphanumeric, here also `-_./`, starting with a letter so that a
/// Cisco sequence number `123:` is not one), an optional `[procid]`, then `:`.
fn tag(b: &[u8]) -> Option<Tagged<'_>> {
    let n = b.iter().position(|c| !(c.is_ascii_alphanumeric() || b"-_./".contains(c))).unwrap_or(b.len());
    if n == 0 || n > 64 || !b[0].is_ascii_alphabetic() {
        return None;
    }
    let (t, mut rest) = b.split_at(n);
    let mut procid = None;
    if rest.first() == Some(&b'[') {
        let e = rest.iter().position(|c| *c == b']')?;
        procid = Some(&rest[1..e]);
        rest = &rest[e + 1..];
    }
    match rest.first() {
        Some(b':') => Some((t, procid, rest.get(1..).map_or(rest, |r| r.strip_prefix(b" ").unwrap_or(r)))),
        None if procid.is_some() => Some((t, procid, rest)),
        _ => None,
    }
}

/// RFC 3164 §4.1.2/§4.1.3: [TIMESTAMP SP HOSTNAME SP] [TAG[\[pid\]]:] MSG, as real senders
/// vary it: without a timestamp there is no hostname; a token after the timestamp that is
/// itself a `tag:` or `tag[pid]` means the sender left the hostname out. Returns the MSG.
fn rfc3164<'a>(b: &'a [u8], r: &mut SyslogRecord, bounds: Bounds) -> &'a [u8] {
    let max = bounds.max_text;
    let ts = if bsd_timestamp(b) { Some(15) } else { iso_timestamp(b) };
    let Some(tl) = ts else {
        return match tag(b) {
            Some((t, pid, msg)) => {
                r.app_name = Some(text(t, max));
                r.procid = pid.map(|p| text(p, max));
                msg
            }
            None => b,
        };
    };
    r.timestamp = Some(text(&b[..tl], max));
    let mut rest = &b[tl..];
    rest = rest.strip_prefix(b" ").unwrap_or(rest);
    if tag(rest).is_none()
        && let Some((host, after)) = token(rest)
        && !host.is_empty()
    {
        r.hostname = Some(text(host, max.min(255)));
        rest = after;
    }
    match tag(rest) {
        Some((t, pid, msg)) => {
            r.app_name = Some(text(t, max));
            r.procid = pid.map(|p| text(p, max));
            msg
        }
        None => rest,
    }
}

/// Words after which a credential usually follows (`password=`, `passwd:`, `pwd=`...).
const SECRET_KEYS: [&[u8]; 10] =
    [b"password", b"passwd", b"pwd", b"pass", b"passphrase", b"secret", b"token", b"api_key", b"apikey", b"community"];

/// Does the text look like it carries a credential: a key from [`SECRET_KEYS`] (any case),
/// an optional quote and spaces, `=` or `:`, then a value that is not empty.
pub(crate) fn credentials_hint(t: &[u8]) -> bool {
    let lower: Vec<u8> = t.to_ascii_lowercase();
    for key in SECRET_KEYS {
        for p in memchr::memmem::find_iter(&lower, key) {
            if p > 0 && lower[p - 1].is_ascii_alphabetic() {
                continue;
            }
            let mut i = p + key.len();
            while matches!(lower.get(i), Some(b'"' | b' ')) {
                i += 1;
            }
            if !matches!(lower.get(i), Some(b'=' | b':')) {
                continue;
            }
            i += 1;
            while matches!(lower.get(i), Some(b'"' | b' ' | b'\'')) {
                i += 1;
            }
            if lower.get(i).is_some_and(|c| c.is_ascii_graphic() && *c != b'(' && *c != b'[') {
                return true;
            }
        }
    }
    false
}
