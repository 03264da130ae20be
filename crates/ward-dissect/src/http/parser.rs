//! Pure HTTP/1.x parsing: start lines, header fields, request targets, authorities, media types,
//! authentication schemes, chunk-size lines. Nothing here keeps a secret: credential-bearing
//! values are reduced to a scheme name from a fixed list, cookies to a count.

/// Methods the probe recognises (RFC 9110 §9, RFC 5789 PATCH, RFC 4918 WebDAV, RFC 3253,
/// RFC 4791, RFC 5323 SEARCH, RFC 3744 ACL). The parser accepts any token as a method.
pub(crate) const METHODS: &[&[u8]] = &[
    b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"CONNECT", b"OPTIONS", b"TRACE", b"PATCH", b"PROPFIND", b"PROPPATCH",
    b"MKCOL", b"COPY", b"MOVE", b"LOCK", b"UNLOCK", b"REPORT", b"SEARCH", b"MKCALENDAR", b"ACL", b"MERGE", b"CHECKOUT",
    b"CHECKIN", b"UNCHECKOUT", b"VERSION-CONTROL", b"MKACTIVITY", b"BIND", b"UNBIND", b"REBIND", b"LABEL", b"UPDATE",
    b"MKWORKSPACE", b"ORDERPATCH",
];

/// Longest method in [`METHODS`].
pub(crate) const LONGEST_METHOD: usize = 15;

/// RFC 9110 §5.6.2 tchar.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A byte allowed in a request target as Ward reads it: visible, not a space or control.
/// Bytes above 0x7f are tolerated (real clients send raw UTF-8).
pub(crate) fn is_target_byte(b: u8) -> bool {
    b > 0x20 && b != 0x7f
}

/// A value made printable and bounded: a tab (legal whitespace in field values) becomes a
/// space, other control characters U+FFFD; at most `max` chars.
pub(crate) fn text(v: &[u8], max: usize) -> String {
    String::from_utf8_lossy(v)
        .chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .take(max)
        .collect()
}

/// The same, lowercased (before bounding: lowercasing may lengthen a string).
pub(crate) fn lower(v: &[u8], max: usize) -> String {
    text(String::from_utf8_lossy(v).to_lowercase().as_bytes(), max)
}

/// Strip RFC 9110 §5.6.3 optional whitespace from both ends.
pub(crate) fn trim(v: &[u8]) -> &[u8] {
    let s = v.iter().position(|b| *b != b' ' && *b != b'\t').unwrap_or(v.len());
    let e = v.iter().rposition(|b| *b != b' ' && *b != b'\t').map_or(s, |p| p + 1);
    &v[s..e.max(s)]
}

/// `HTTP/1.x` (RFC 9112 §2.3): the minor digit, or `None`.
fn version(v: &[u8]) -> Option<u8> {
    match v {
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', d] if d.is_ascii_digit() => Some(d - b'0'),
        _ => None,
    }
}

/// A parsed request line (RFC 9112 §3).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RequestLine<'a> {
    pub method: &'a [u8],
    pub target: &'a [u8],
    pub version: &'a [u8],
}

/// `method SP request-target SP HTTP-version`, with exactly one space at each place.
pub(crate) fn request_line(line: &[u8]) -> Result<RequestLine<'_>, &'static str> {
    let sp1 = line.iter().position(|b| *b == b' ').ok_or("http.request_line")?;
    let sp2 = line.iter().rposition(|b| *b == b' ').ok_or("http.request_line")?;
    if sp2 <= sp1 + 1 {
        return Err("http.request_line");
    }
    let (method, target, ver) = (&line[..sp1], &line[sp1 + 1..sp2], &line[sp2 + 1..]);
    if method.is_empty() || !method.iter().all(|b| is_tchar(*b)) || !target.iter().all(|b| is_target_byte(*b)) {
        return Err("http.request_line");
    }
    if !ver.starts_with(b"HTTP/") {
        return Err("http.request_line");
    }
    version(ver).ok_or("http.version")?;
    Ok(RequestLine { method, target, version: ver })
}

/// A parsed status line (RFC 9112 §4).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct StatusLine<'a> {
    pub version: &'a [u8],
    pub status: u16,
    pub reason: &'a [u8],
}

/// `HTTP-version SP status-code SP [reason-phrase]`; a missing SP before an empty reason is
/// tolerated, as every client does.
pub(crate) fn status_line(line: &[u8]) -> Result<StatusLine<'_>, &'static str> {
    let ver = line.get(..8).ok_or("http.status_line")?;
    if !ver.starts_with(b"HTTP/") {
        return Err("http.status_line");
    }
    version(ver).ok_or("http.version")?;
    let rest = &line[8..];
    match rest {
        [b' ', a, b, c, tail @ ..] if [a, b, c].iter().all(|d| d.is_ascii_digit()) && (tail.is_empty() || tail[0] == b' ') => {
            let status = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
            if status < 100 {
                return Err("http.status_line");
            }
            Ok(StatusLine { version: ver, status, reason: tail.get(1..).unwrap_or(b"") })
        }
        _ => Err("http.status_line"),
    }
}

/// A header field line split into name and trimmed value (RFC 9112 §5.1). No whitespace is
/// allowed between the name and the colon.
pub(crate) fn header(line: &[u8]) -> Result<(&[u8], &[u8]), &'static str> {
    let colon = line.iter().position(|b| *b == b':').ok_or("http.header")?;
    let name = &line[..colon];
    if name.is_empty() || !name.iter().all(|b| is_tchar(*b)) {
        return Err("http.header");
    }
    Ok((name, trim(&line[colon + 1..])))
}

/// The request-target forms of RFC 9112 §3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetForm {
    Origin,
    Absolute,
    Authority,
    Asterisk,
}

impl TargetForm {
    pub(crate) fn name(self) -> &'static str {
        match self {
            TargetForm::Origin => "origin",
            TargetForm::Absolute => "absolute",
            TargetForm::Authority => "authority",
            TargetForm::Asterisk => "asterisk",
        }
    }
}

/// What Ward keeps of a request target: never the query's values, never URI userinfo.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Target<'a> {
    pub form: Option<TargetForm>,
    pub authority: Option<&'a [u8]>,
    pub path: Option<&'a [u8]>,
    pub query_present: bool,
    pub query_params: u32,
    pub userinfo_present: bool,
}

/// Split a request target (RFC 9112 §3.2; URI syntax from RFC 3986 §3).
pub(crate) fn target<'a>(method: &[u8], t: &'a [u8]) -> Result<Target<'a>, &'static str> {
    let mut out = Target::default();
    if method == b"CONNECT" {
        // authority-form: host:port, no userinfo allowed (RFC 9112 §3.2.3).
        out.form = Some(TargetForm::Authority);
        let (auth, ui) = strip_userinfo(t);
        out.userinfo_present = ui;
        out.authority = Some(auth);
        return Ok(out);
    }
    if t == b"*" {
        out.form = Some(TargetForm::Asterisk);
        out.path = Some(t);
        return Ok(out);
    }
    let rest = if t.first() == Some(&b'/') {
        out.form = Some(TargetForm::Origin);
        t
    } else if let Some(p) = memchr::memmem::find(t, b"://") {
        let scheme = &t[..p];
        if scheme.is_empty() || !scheme[0].is_ascii_alphabetic() || !scheme.iter().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b)) {
            return Err("http.request_target");
        }
        out.form = Some(TargetForm::Absolute);
        let after = &t[p + 3..];
        let end = after.iter().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(after.len());
        let (auth, ui) = strip_userinfo(&after[..end]);
        out.userinfo_present = ui;
        out.authority = Some(auth);
        &after[end..]
    } else {
        return Err("http.request_target");
    };
    let rest = &rest[..rest.iter().position(|b| *b == b'#').unwrap_or(rest.len())];
    let (path, query) = match rest.iter().position(|b| *b == b'?') {
        Some(q) => (&rest[..q], Some(&rest[q + 1..])),
        None => (rest, None),
    };
    out.path = Some(if path.is_empty() { b"/" } else { path });
    if let Some(q) = query {
        out.query_present = true;
        out.query_params = q.split(|b| *b == b'&').filter(|p| !p.is_empty()).count() as u32;
    }
    Ok(out)
}

/// Remove `userinfo@` from an authority (RFC 3986 §3.2.1); report whether it was there.
pub(crate) fn strip_userinfo(a: &[u8]) -> (&[u8], bool) {
    match a.iter().rposition(|b| *b == b'@') {
        Some(p) => (&a[p + 1..], true),
        None => (a, false),
    }
}

/// Host (lowercase, IPv6 brackets removed) and port of an authority or Host header.
pub(crate) fn host_port(a: &[u8], max: usize) -> (Option<String>, Option<u16>) {
    let a = trim(a);
    if a.is_empty() {
        return (None, None);
    }
    let (host, port) = if a[0] == b'[' {
        match a.iter().position(|b| *b == b']') {
            Some(e) => (&a[1..e], a.get(e + 1..).and_then(|r| r.strip_prefix(b":"))),
            None => (a, None),
        }
    } else {
        match a.iter().rposition(|b| *b == b':') {
            Some(c) => (&a[..c], Some(&a[c + 1..])),
            None => (a, None),
        }
    };
    let port = port.filter(|p| !p.is_empty() && p.len() <= 5 && p.iter().all(u8::is_ascii_digit)).and_then(|p| std::str::from_utf8(p).ok()?.parse().ok());
    (Some(lower(host, max)).filter(|h| !h.is_empty()), port)
}

/// The host of an absolute URI (a `Location` value); `None` for a relative reference.
pub(crate) fn uri_host(v: &[u8], max: usize) -> Option<String> {
    let p = memchr::memmem::find(v, b"://")?;
    if p == 0 || !v[..p].iter().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b)) {
        return None;
    }
    let after = &v[p + 3..];
    let end = after.iter().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(after.len());
    host_port(strip_userinfo(&after[..end]).0, max).0
}

/// Whether a path segment names a FHIR resource whose id identifies a person (FHIR R4
/// Patient, Person, RelatedPerson) or a `patients` collection of a REST API.
fn person_collection(seg: &[u8]) -> bool {
    [&b"patient"[..], b"patients", b"person", b"persons", b"relatedperson"].iter().any(|n| seg.eq_ignore_ascii_case(n))
}

/// The path Ward keeps: the segment after `Patient`/`Person`/`RelatedPerson`/`patients` is a
/// patient identifier in FHIR REST (`[base]/Patient/[id]`, FHIR R4 §3.1.0) and in most REST
/// APIs, so it becomes `{id}`; operations (`$everything`) and `_history`/`_search` stay.
pub(crate) fn safe_path(path: &[u8], max: usize) -> String {
    let mut out = Vec::with_capacity(path.len().min(max + 8));
    let mut redact = false;
    for (n, seg) in path.split(|b| *b == b'/').enumerate() {
        if n > 0 {
            out.push(b'/');
        }
        if redact && !seg.is_empty() && !matches!(seg[0], b'$' | b'_') {
            out.extend_from_slice(b"{id}");
        } else {
            out.extend_from_slice(seg);
        }
        redact = person_collection(seg);
        if out.len() > max * 4 {
            break;
        }
    }
    text(&out, max)
}

/// Authentication schemes from the IANA HTTP Authentication Scheme Registry (RFC 9110 §16.4),
/// plus NTLM and Negotiate (RFC 4559) as Windows sends them. Anything else is `other`: an
/// unknown first word may be the credential itself.
const AUTH_SCHEMES: &[&str] = &[
    "basic", "bearer", "digest", "dpop", "gnap", "hoba", "mutual", "negotiate", "ntlm", "oauth", "privatetoken",
    "scram-sha-1", "scram-sha-256", "vapid", "aws4-hmac-sha256", "concealed",
];

/// The scheme of an `Authorization`/`Proxy-Authorization` value: a name from the fixed list.
pub(crate) fn auth_scheme(v: &[u8]) -> &'static str {
    let word = v.split(|b| *b == b' ' || *b == b'\t').next().unwrap_or(b"");
    AUTH_SCHEMES.iter().find(|s| word.eq_ignore_ascii_case(s.as_bytes())).copied().unwrap_or("other")
}

/// The challenge schemes of a `WWW-Authenticate`/`Proxy-Authenticate` value (RFC 9110 §11.6.1):
/// a challenge starts a comma-separated element with a token followed by a space or the end.
pub(crate) fn challenge_schemes(v: &[u8], into: &mut Vec<&'static str>) {
    for part in v.split(|b| *b == b',') {
        let part = trim(part);
        let word = part.split(|b| *b == b' ').next().unwrap_or(b"");
        if word.is_empty() || word.contains(&b'=') {
            continue;
        }
        if let Some(s) = AUTH_SCHEMES.iter().find(|s| word.eq_ignore_ascii_case(s.as_bytes()))
            && !into.contains(s)
            && into.len() < AUTH_SCHEMES.len()
        {
            into.push(s);
        }
    }
}

/// Number of cookie-pairs in a `Cookie` value (RFC 6265 §4.2.1).
pub(crate) fn cookie_count(v: &[u8]) -> u32 {
    v.split(|b| *b == b';').filter(|p| !trim(p).is_empty()).count() as u32
}

/// `Content-Length` (RFC 9110 §8.6): digits, or a list of identical values.
pub(crate) fn content_length(v: &[u8]) -> Result<u64, &'static str> {
    let mut out: Option<u64> = None;
    for part in v.split(|b| *b == b',') {
        let p = trim(part);
        if p.is_empty() || p.len() > 19 || !p.iter().all(u8::is_ascii_digit) {
            return Err("http.content_length");
        }
        let n = p.iter().fold(0u64, |a, d| a * 10 + u64::from(d - b'0'));
        if out.is_some_and(|o| o != n) {
            return Err("http.content_length");
        }
        out = Some(n);
    }
    out.ok_or("http.content_length")
}

/// The last transfer coding named in a `Transfer-Encoding` value, lowercased (RFC 9112 §6.1).
pub(crate) fn last_coding(v: &[u8]) -> Option<Vec<u8>> {
    v.split(|b| *b == b',')
        .map(|c| trim(c.split(|b| *b == b';').next().unwrap_or(b"")))
        .rfind(|c| !c.is_empty())
        .map(<[u8]>::to_ascii_lowercase)
}

/// A chunk-size line (RFC 9112 §7.1): hex digits, optional extensions after `;`.
pub(crate) fn chunk_size(line: &[u8]) -> Result<u64, &'static str> {
    let hex = trim(line.split(|b| *b == b';').next().unwrap_or(b""));
    if hex.is_empty() || hex.len() > 15 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return Err("http.chunk_size");
    }
    Ok(hex.iter().fold(0u64, |a, d| a * 16 + u64::from((*d as char).to_digit(16).unwrap_or(0))))
}

/// Media types that carry clinical content, by the name Ward reports: FHIR (R4 §3.1.0.1.8, and
/// the DSTU2 `application/json+fhir`), HL7 v2 (the ER7 media types used by HAPI and Mirth),
/// DICOM (PS3.18 §8.7: `application/dicom`, `application/dicom+json`, `application/dicom+xml`).
const CLINICAL: &[(&str, &str)] = &[
    ("application/fhir+json", "application/fhir+json"),
    ("application/fhir+xml", "application/fhir+xml"),
    ("application/json+fhir", "application/json+fhir"),
    ("application/xml+fhir", "application/xml+fhir"),
    ("x-application/hl7-v2+er7", "x-application/hl7-v2+er7"),
    ("application/hl7-v2", "application/hl7-v2"),
    ("application/hl7-v2+xml", "application/hl7-v2+xml"),
    ("application/dicom", "application/dicom"),
    ("application/dicom+json", "application/dicom+json"),
    ("application/dicom+xml", "application/dicom+xml"),
];

/// DICOMweb multipart bodies (PS3.18 §8.6.1.2): `multipart/related; type="application/dicom"`.
const CLINICAL_MULTIPART: &[(&str, &str)] = &[
    ("application/dicom", "multipart/related; type=application/dicom"),
    ("application/dicom+xml", "multipart/related; type=application/dicom+xml"),
    ("application/octet-stream", "multipart/related; type=application/octet-stream"),
];

/// The media type (lowercase, parameters dropped) and the clinical content name of a
/// `Content-Type` value.
pub(crate) fn media_type(v: &[u8], max: usize) -> (String, Option<&'static str>) {
    let mut parts = v.split(|b| *b == b';');
    let mt = lower(trim(parts.next().unwrap_or(b"")), max);
    if let Some((_, name)) = CLINICAL.iter().find(|(t, _)| *t == mt) {
        return (mt, Some(name));
    }
    if mt == "multipart/related" {
        for p in parts {
            let p = trim(p);
            let Some(eq) = p.iter().position(|b| *b == b'=') else { continue };
            if trim(&p[..eq]).eq_ignore_ascii_case(b"type") {
                let val = trim(&p[eq + 1..]);
                let val = val.strip_prefix(b"\"").unwrap_or(val);
                let val = val.strip_suffix(b"\"").unwrap_or(val);
                if let Some((_, name)) = CLINICAL_MULTIPART.iter().find(|(t, _)| val.eq_ignore_ascii_case(t.as_bytes())) {
                    return (mt, Some(name));
                }
            }
        }
    }
    (mt, None)
}

/// Is `data` the start of an HTTP/1.x request line (any token method)? `None`: cannot tell yet.
/// `max` bounds how long a line Ward waits for.
pub(crate) fn request_start(data: &[u8], max: usize) -> Option<bool> {
    let Some(sp) = data.iter().position(|b| !is_tchar(*b)) else {
        return if data.len() > max { Some(false) } else { None };
    };
    if sp == 0 || data[sp] != b' ' {
        return Some(false);
    }
    let rest = &data[sp + 1..];
    match rest.iter().position(|b| *b == b'\r' || *b == b'\n') {
        Some(e) => Some(request_line(&data[..sp + 1 + e]).is_ok()),
        None if data.len() > max => Some(false),
        None => {
            // A space inside the target must be followed by the start of a version.
            match rest.iter().position(|b| !is_target_byte(*b)) {
                None => None,
                Some(k) if rest[k] == b' ' => {
                    let after = &rest[k + 1..];
                    let n = after.len().min(7);
                    if after[..n] == b"HTTP/1."[..n] { None } else { Some(false) }
                }
                Some(_) => Some(false),
            }
        }
    }
}

/// Is `data` the start of a status line? `None`: cannot tell yet.
pub(crate) fn status_start(data: &[u8]) -> Option<bool> {
    let n = data.len().min(7);
    if data[..n] != b"HTTP/1."[..n] {
        Some(false)
    } else if n < 7 {
        None
    } else {
        Some(true)
    }
}

/// A line read from the front of pending data.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// The line without its CRLF (or bare LF), and the bytes it used.
    Got(&'a [u8], usize),
    /// No line end yet.
    Need,
    /// The line would exceed the room left.
    TooLong,
}
