//! A small, bounded DER reader for X.509 certificates (RFC 5280 §4.1, X.690 §8/§10), written for
//! passive inspection: it reads the fields a security team needs and nothing else, never
//! recurses, never allocates beyond the bounded strings and lists it returns, and stops with a
//! reason at the first thing it does not understand, keeping what it had read.
//!
//! Not done: signature verification (so `self_signed` means "issuer name == subject name"),
//! chain building, extensions other than subjectAltName and basicConstraints.

use super::record::Certificate;
use super::sha1::sha1;
use super::text::{Bounds, colon_hex};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt::Write;

type R<T> = Result<T, &'static str>;

/// One DER TLV.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tlv<'a> {
    pub(super) tag: u8,
    pub(super) body: &'a [u8],
}

/// A cursor over DER content.
#[derive(Debug, Clone, Copy)]
struct Der<'a> {
    b: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(b: &'a [u8]) -> Self {
        Der { b }
    }

    fn is_empty(&self) -> bool {
        self.b.is_empty()
    }

    fn peek_tag(&self) -> Option<u8> {
        self.b.first().copied()
    }

    /// The next TLV (single-byte tags, definite lengths up to 4 octets).
    fn next(&mut self) -> R<Tlv<'a>> {
        let (&tag, rest) = self.b.split_first().ok_or("truncated")?;
        if tag & 0x1f == 0x1f {
            return Err("tag");
        }
        let (&l0, mut rest) = rest.split_first().ok_or("truncated")?;
        let len = if l0 < 0x80 {
            usize::from(l0)
        } else {
            let n = usize::from(l0 & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return Err(if n == 0 || n > 4 { "length" } else { "truncated" });
            }
            let mut len = 0usize;
            for &b in &rest[..n] {
                len = (len << 8) | usize::from(b);
            }
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return Err("truncated");
        }
        let (body, after) = rest.split_at(len);
        self.b = after;
        Ok(Tlv { tag, body })
    }

    /// The next TLV, which must carry `tag`.
    fn expect(&mut self, tag: u8) -> R<Tlv<'a>> {
        let t = self.next()?;
        if t.tag == tag { Ok(t) } else { Err("structure") }
    }
}

const SEQ: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const INT: u8 = 0x02;

/// Dotted form of an OID body (arcs beyond u64 are refused).
pub(super) fn oid_string(body: &[u8]) -> R<String> {
    if body.is_empty() || body.last().is_some_and(|b| b & 0x80 != 0) {
        return Err("oid");
    }
    let mut out = String::new();
    let mut v: u64 = 0;
    let mut first = true;
    for &b in body {
        if v > (u64::MAX >> 7) {
            return Err("oid");
        }
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if first {
                let (a, b2) = if v < 40 { (0, v) } else if v < 80 { (1, v - 40) } else { (2, v - 80) };
                let _ = write!(out, "{a}.{b2}");
                first = false;
            } else {
                let _ = write!(out, ".{v}");
            }
            v = 0;
        }
    }
    Ok(out)
}

/// Known OIDs: (dotted, name). Names are OpenSSL's (objects.txt short names for DN attributes,
/// long names for signature algorithms, as `openssl x509 -text` prints them).
const ATTRIBUTES: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.4", "SN"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.6", "C"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "street"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.12", "title"),
    ("2.5.4.13", "description"),
    ("2.5.4.15", "businessCategory"),
    ("2.5.4.17", "postalCode"),
    ("2.5.4.41", "name"),
    ("2.5.4.42", "GN"),
    ("2.5.4.43", "initials"),
    ("2.5.4.44", "generationQualifier"),
    ("2.5.4.46", "dnQualifier"),
    ("2.5.4.65", "pseudonym"),
    ("2.5.4.97", "organizationIdentifier"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
    ("1.2.840.113549.1.9.2", "unstructuredName"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"),
    ("1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"),
    ("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"),
];

/// Signature algorithms (RFC 3279, RFC 4055, RFC 5758, RFC 8410) with their hash.
const SIGNATURES: &[(&str, &str, &str)] = &[
    ("1.2.840.113549.1.1.2", "md2WithRSAEncryption", "md2"),
    ("1.2.840.113549.1.1.3", "md4WithRSAEncryption", "md4"),
    ("1.2.840.113549.1.1.4", "md5WithRSAEncryption", "md5"),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption", "sha1"),
    ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption", "sha256"),
    ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption", "sha384"),
    ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption", "sha512"),
    ("1.2.840.113549.1.1.14", "sha224WithRSAEncryption", "sha224"),
    ("1.3.14.3.2.29", "sha1WithRSA", "sha1"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1", "sha1"),
    ("1.2.840.10045.4.3.1", "ecdsa-with-SHA224", "sha224"),
    ("1.2.840.10045.4.3.2", "ecdsa-with-SHA256", "sha256"),
    ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384", "sha384"),
    ("1.2.840.10045.4.3.4", "ecdsa-with-SHA512", "sha512"),
    ("1.2.840.10040.4.3", "dsaWithSHA1", "sha1"),
    ("2.16.840.1.101.3.4.3.1", "dsa_with_SHA224", "sha224"),
    ("2.16.840.1.101.3.4.3.2", "dsa_with_SHA256", "sha256"),
    ("1.3.101.112", "ED25519", "none"),
    ("1.3.101.113", "ED448", "none"),
];

/// RSASSA-PSS (RFC 4055): the hash is in the parameters, SHA-1 by default.
const PSS: &str = "1.2.840.113549.1.1.10";

/// Hash algorithm OIDs (for RSASSA-PSS parameters).
const HASHES: &[(&str, &str)] = &[
    ("1.3.14.3.2.26", "sha1"),
    ("2.16.840.1.101.3.4.2.1", "sha256"),
    ("2.16.840.1.101.3.4.2.2", "sha384"),
    ("2.16.840.1.101.3.4.2.3", "sha512"),
    ("2.16.840.1.101.3.4.2.4", "sha224"),
];

/// Public key algorithms.
const KEYS: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.1", "RSA"),
    ("1.2.840.113549.1.1.10", "RSA-PSS"),
    ("1.2.840.10045.2.1", "EC"),
    ("1.3.101.110", "X25519"),
    ("1.3.101.111", "X448"),
    ("1.3.101.112", "Ed25519"),
    ("1.3.101.113", "Ed448"),
    ("1.2.840.10040.4.1", "DSA"),
    ("1.2.840.113549.1.3.1", "DH"),
    ("1.2.840.10046.2.1", "DH"),
];

/// Named curves (RFC 5480, RFC 5639) with their size in bits; OpenSSL's names.
const CURVES: &[(&str, &str, u32)] = &[
    ("1.2.840.10045.3.1.1", "prime192v1", 192),
    ("1.3.132.0.33", "secp224r1", 224),
    ("1.2.840.10045.3.1.7", "prime256v1", 256),
    ("1.3.132.0.34", "secp384r1", 384),
    ("1.3.132.0.35", "secp521r1", 521),
    ("1.3.132.0.10", "secp256k1", 256),
    ("1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1", 256),
    ("1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1", 384),
    ("1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1", 512),
];

fn find<T: Copy>(table: &[(&'static str, T)], oid: &str) -> Option<T> {
    table.iter().find(|(o, _)| *o == oid).map(|(_, v)| *v)
}

/// Bits in an unsigned big-endian INTEGER body (leading zero octets ignored).
pub(super) fn int_bits(body: &[u8]) -> u32 {
    let mut b = body;
    while let [0, rest @ ..] = b {
        b = rest;
    }
    match b.first() {
        None => 0,
        Some(&top) => (b.len() as u32 - 1) * 8 + (8 - top.leading_zeros()),
    }
}

/// Decode a DirectoryString/IA5String/... value to text (`#hex` for other types, like RFC 4514).
fn string_value(tag: u8, body: &[u8], k: &mut Bounds) -> String {
    let max = k.max_text;
    match tag {
        // UTF8String, PrintableString, IA5String, VisibleString, NumericString
        0x0c | 0x13 | 0x16 | 0x1a | 0x12 => k.text(body),
        // TeletexString: read as Latin-1, as OpenSSL does.
        0x14 => {
            let s: String = body.iter().map(|&b| char::from(b)).collect();
            k.text(s.as_bytes())
        }
        // BMPString: UCS-2 big-endian.
        0x1e => {
            let units = body.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            let s: String = char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect();
            k.text(s.as_bytes())
        }
        // UniversalString: UCS-4 big-endian.
        0x1c => {
            let s: String = body
                .chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])).unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect();
            k.text(s.as_bytes())
        }
        _ => {
            let mut s = String::from("#");
            if body.len() > max / 2 {
                k.text_cut = true;
            }
            for b in body.iter().take(max / 2) {
                let _ = write!(s, "{b:02x}");
            }
            s
        }
    }
}

/// A rendered Name with its first CN and O.
struct Dn {
    text: String,
    cn: Option<String>,
    o: Option<String>,
}

/// Render a Name (SEQUENCE OF RDN, each a SET OF AttributeTypeAndValue).
fn name(body: &[u8], k: &mut Bounds) -> R<Dn> {
    let max = k.max_text;
    let mut dn = Dn { text: String::new(), cn: None, o: None };
    let mut rdns = Der::new(body);
    let mut first_rdn = true;
    while !rdns.is_empty() {
        let rdn = rdns.expect(SET)?;
        let mut atvs = Der::new(rdn.body);
        let mut first_atv = true;
        while !atvs.is_empty() {
            let atv = atvs.expect(SEQ)?;
            let mut a = Der::new(atv.body);
            let oid = oid_string(a.expect(OID)?.body)?;
            let v = a.next()?;
            let value = string_value(v.tag, v.body, k);
            let sn: Cow<'_, str> = match find(ATTRIBUTES, &oid) {
                Some(n) => Cow::Borrowed(n),
                None => Cow::Owned(oid),
            };
            if sn == "CN" && dn.cn.is_none() {
                dn.cn = Some(value.clone());
            }
            if sn == "O" && dn.o.is_none() {
                dn.o = Some(value.clone());
            }
            if dn.text.chars().count() < max {
                let sep = if first_atv { if first_rdn { "" } else { ", " } } else { " + " };
                let _ = write!(dn.text, "{sep}{sn}={value}");
            } else {
                k.text_cut = true;
            }
            first_atv = false;
        }
        first_rdn = false;
    }
    if dn.text.chars().count() > max {
        k.text_cut = true;
        dn.text = dn.text.chars().take(max).collect();
    }
    Ok(dn)
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// UTCTime (`YYMMDDHHMM[SS]Z`, RFC 5280 §4.1.2.5.1: years 50-99 are 19xx) or GeneralizedTime
/// (`YYYYMMDDHHMMSS[.f]Z`) to (RFC 3339 text, Unix seconds).
pub(super) fn time(t: Tlv<'_>) -> R<(String, i64)> {
    let s = t.body;
    let digits = |b: &[u8]| -> R<i64> {
        if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
            return Err("time");
        }
        Ok(b.iter().fold(0i64, |a, &c| a * 10 + i64::from(c - b'0')))
    };
    let (year, rest) = match t.tag {
        0x17 => {
            let yy = digits(s.get(..2).ok_or("time")?)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &s[2..])
        }
        0x18 => (digits(s.get(..4).ok_or("time")?)?, &s[4..]),
        _ => return Err("structure"),
    };
    let rest = rest.strip_suffix(b"Z").ok_or("time")?;
    // Fractional seconds (GeneralizedTime only) are dropped.
    let rest = match rest.iter().position(|&c| c == b'.') {
        Some(p) if t.tag == 0x18 => &rest[..p],
        _ => rest,
    };
    if rest.len() != 8 && rest.len() != 10 {
        return Err("time");
    }
    let mo = digits(&rest[0..2])?;
    let d = digits(&rest[2..4])?;
    let h = digits(&rest[4..6])?;
    let mi = digits(&rest[6..8])?;
    let sec = if rest.len() == 10 { digits(&rest[8..10])? } else { 0 };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let mdays = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&mo) || d < 1 || d > mdays[(mo - 1) as usize] || h > 23 || mi > 59 || sec > 60 {
        return Err("time");
    }
    let unix = days_from_civil(year, mo, d) * 86_400 + h * 3600 + mi * 60 + sec;
    Ok((format!("{year:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}Z"), unix))
}

/// Parse one certificate. `client`: withhold subject, CN, O and SANs. Never fails: what was
/// read before a problem is kept and the problem named in `parse_error`.
pub fn certificate(der: &[u8], client: bool, k: &mut Bounds) -> Certificate {
    let mut c = Certificate {
        der_len: der.len(),
        sha256_fingerprint: colon_hex(&Sha256::digest(der)),
        sha1_fingerprint: colon_hex(&sha1(der)),
        subject_withheld: client,
        ..Certificate::default()
    };
    if let Err(e) = fill(der, &mut c, client, k) {
        c.parse_error = Some(e);
    }
    c
}

fn fill(der: &[u8], c: &mut Certificate, client: bool, k: &mut Bounds) -> R<()> {
    let mut top = Der::new(der);
    let cert = top.expect(SEQ)?;
    let mut cs = Der::new(cert.body);
    let tbs = cs.expect(SEQ)?;
    let mut t = Der::new(tbs.body);
    c.version = Some(1);
    if t.peek_tag() == Some(0xa0) {
        let v = Der::new(t.next()?.body).expect(INT)?;
        c.version = match v.body {
            [n @ 0..=2] => Some(n + 1),
            _ => return Err("structure"),
        };
    }
    let serial = t.expect(INT)?;
    c.serial = Some(colon_hex(&serial.body[..serial.body.len().min(64)]).to_uppercase());
    t.expect(SEQ)?; // tbs signature algorithm (the outer one is reported)
    let issuer = t.expect(SEQ)?;
    let dn = name(issuer.body, k)?;
    c.issuer = Some(dn.text);
    c.issuer_cn = dn.cn;
    c.issuer_o = dn.o;
    let mut validity = Der::new(t.expect(SEQ)?.body);
    let (nb, nbu) = time(validity.next()?)?;
    c.not_before = Some(nb);
    c.not_before_unix = Some(nbu);
    let (na, nau) = time(validity.next()?)?;
    c.not_after = Some(na);
    c.not_after_unix = Some(nau);
    let subject = t.expect(SEQ)?;
    c.self_signed = subject.body == issuer.body;
    if !client {
        let dn = name(subject.body, k)?;
        c.subject = Some(dn.text);
        c.subject_cn = dn.cn;
        c.subject_o = dn.o;
    }
    public_key(t.expect(SEQ)?.body, c)?;
    // Outer signatureAlgorithm.
    let mut sig = Der::new(cs.expect(SEQ)?.body);
    let oid = oid_string(sig.expect(OID)?.body)?;
    if oid == PSS {
        c.signature_algorithm = Some(Cow::Borrowed("rsassaPss"));
        c.signature_hash = Some(pss_hash(&mut sig));
    } else if let Some((_, n, h)) = SIGNATURES.iter().find(|(o, _, _)| *o == oid) {
        c.signature_algorithm = Some(Cow::Borrowed(n));
        c.signature_hash = Some(h);
    } else {
        c.signature_algorithm = Some(Cow::Owned(oid));
    }
    // Optional issuerUniqueID [1], subjectUniqueID [2], extensions [3].
    while let Some(tag) = t.peek_tag() {
        let f = t.next()?;
        if tag == 0xa3 {
            extensions(Der::new(f.body).expect(SEQ)?.body, c, client, k)?;
        }
    }
    Ok(())
}

/// RSASSA-PSS-params' hashAlgorithm ([0] EXPLICIT, SHA-1 when absent).
fn pss_hash(params: &mut Der<'_>) -> &'static str {
    let mut hash = || -> R<&'static str> {
        let mut p = Der::new(params.expect(SEQ)?.body);
        if p.peek_tag() != Some(0xa0) {
            return Ok("sha1");
        }
        let mut alg = Der::new(Der::new(p.next()?.body).expect(SEQ)?.body);
        let oid = oid_string(alg.expect(OID)?.body)?;
        Ok(find(HASHES, &oid).unwrap_or("unknown"))
    };
    hash().unwrap_or("sha1")
}

fn public_key(spki: &[u8], c: &mut Certificate) -> R<()> {
    let mut s = Der::new(spki);
    let mut alg = Der::new(s.expect(SEQ)?.body);
    let oid = oid_string(alg.expect(OID)?.body)?;
    let params = if alg.is_empty() { None } else { Some(alg.next()?) };
    let key = s.expect(0x03)?;
    let key_bits = key.body.get(1..).ok_or("structure")?;
    let kind = find(KEYS, &oid);
    c.key_type = Some(match kind {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(oid.clone()),
    });
    match kind {
        Some("RSA" | "RSA-PSS") => {
            let mut rsa = Der::new(Der::new(key_bits).expect(SEQ)?.body);
            c.key_bits = Some(int_bits(rsa.expect(INT)?.body));
        }
        Some("EC") => match params {
            Some(p) if p.tag == OID => {
                let curve = oid_string(p.body)?;
                match CURVES.iter().find(|(o, _, _)| *o == curve) {
                    Some((_, n, bits)) => {
                        c.curve = Some(Cow::Borrowed(n));
                        c.key_bits = Some(*bits);
                    }
                    None => c.curve = Some(Cow::Owned(curve)),
                }
            }
            Some(_) => c.curve = Some(Cow::Borrowed("explicit")),
            None => {}
        },
        Some("DSA" | "DH") => {
            if let Some(p) = params.filter(|p| p.tag == SEQ) {
                c.key_bits = Some(int_bits(Der::new(p.body).expect(INT)?.body));
            }
        }
        Some("Ed25519" | "X25519") => c.key_bits = Some(256),
        Some("Ed448") => c.key_bits = Some(456),
        Some("X448") => c.key_bits = Some(448),
        _ => {}
    }
    Ok(())
}

fn extensions(body: &[u8], c: &mut Certificate, client: bool, k: &mut Bounds) -> R<()> {
    let mut exts = Der::new(body);
    while !exts.is_empty() {
        let mut e = Der::new(exts.expect(SEQ)?.body);
        let oid = oid_string(e.expect(OID)?.body)?;
        if e.peek_tag() == Some(0x01) {
            e.next()?; // critical
        }
        let value = e.expect(0x04)?.body;
        match oid.as_str() {
            "2.5.29.17" => {
                let mut names = Der::new(Der::new(value).expect(SEQ)?.body);
                while !names.is_empty() {
                    let n = names.next()?;
                    let kept = c.san_dns.len() + c.san_ip.len();
                    match n.tag {
                        0x82 | 0x87 if client => c.san_other += 1,
                        0x82 | 0x87 if kept >= k.max_names => k.names_cut = true,
                        0x82 => c.san_dns.push(k.text(n.body)),
                        0x87 => match n.body.len() {
                            4 => c.san_ip.push(std::net::Ipv4Addr::new(n.body[0], n.body[1], n.body[2], n.body[3]).to_string()),
                            16 => {
                                let mut a = [0u8; 16];
                                a.copy_from_slice(n.body);
                                c.san_ip.push(std::net::Ipv6Addr::from(a).to_string());
                            }
                            _ => c.san_other += 1,
                        },
                        _ => c.san_other += 1,
                    }
                }
            }
            "2.5.29.19" => {
                let mut bc = Der::new(Der::new(value).expect(SEQ)?.body);
                c.is_ca = Some(match bc.peek_tag() {
                    Some(0x01) => bc.next()?.body.first().is_some_and(|&b| b != 0),
                    _ => false,
                });
            }
            _ => {}
        }
    }
    Ok(())
}
