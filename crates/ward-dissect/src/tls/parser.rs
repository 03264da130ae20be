//! Handshake message bodies: ClientHello (TLS and SSLv2-compatible), ServerHello and
//! HelloRetryRequest, ServerKeyExchange; and the JA3, JA3S and JA4 fingerprints.

use super::record::{ClientHello, ServerHello, ServerKeyExchange};
use super::tables::{
    cipher_suite_label, cipher_suite_weaknesses, extension_name, group_name, is_grease, ja4_version,
    signature_scheme_name, version_name, KeyExchange, KxMethod,
};
use super::text::{hex, Bounds};
use super::x509::int_bits;
use md5::Md5;
use sha2::{Digest, Sha256};
use std::fmt::Write;

type R<T> = Result<T, &'static str>;

/// A bounds-checked cursor; every read names the reason it fails with.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    b: &'a [u8],
    why: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `b` whose reads fail with `why`.
    pub fn new(b: &'a [u8], why: &'static str) -> Self {
        Reader { b, why }
    }

    /// Bytes left.
    pub fn left(&self) -> usize {
        self.b.len()
    }

    /// Next `n` bytes.
    pub fn take(&mut self, n: usize) -> R<&'a [u8]> {
        if self.b.len() < n {
            return Err(self.why);
        }
        let (a, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(a)
    }

    /// A byte.
    pub fn u8(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }

    /// A big-endian u16.
    pub fn u16(&mut self) -> R<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A big-endian u24.
    pub fn u24(&mut self) -> R<usize> {
        let b = self.take(3)?;
        Ok(usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }

    /// A vector with a 1-byte length.
    pub fn vec8(&mut self) -> R<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    /// A vector with a 2-byte length.
    pub fn vec16(&mut self) -> R<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    /// A vector with a 3-byte length.
    pub fn vec24(&mut self) -> R<&'a [u8]> {
        let n = self.u24()?;
        self.take(n)
    }
}

/// A list of big-endian u16 (the caller checked the length is even).
fn u16s(b: &[u8]) -> Vec<u16> {
    b.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect()
}

/// Problems found in a message that still yields a record.
#[derive(Debug, Default)]
pub struct Notes {
    /// `Malformed` reasons.
    pub malformed: Vec<&'static str>,
    /// `PeerMisbehaving` reasons.
    pub misbehaving: Vec<&'static str>,
}

/// The HelloRetryRequest random: SHA-256("HelloRetryRequest"), RFC 8446 §4.1.3.
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11,
    0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

fn join<T: std::fmt::Display>(items: impl Iterator<Item = T>, sep: &str) -> String {
    let mut s = String::new();
    for (i, x) in items.enumerate() {
        if i > 0 {
            s.push_str(sep);
        }
        let _ = write!(s, "{x}");
    }
    s
}

/// Each value as four lowercase hex digits, comma-separated (JA4's lists: what joining
/// `format!("{v:04x}")` with commas gives, without the formatting machinery).
pub(crate) fn hex4_list(values: &[u16]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(values.len() * 5);
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        for shift in [12u32, 8, 4, 0] {
            s.push(char::from(DIGITS[usize::from((v >> shift) & 0xf)]));
        }
    }
    s
}

fn md5_hex(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

/// The first 12 hex digits of SHA-256, or twelve zeros for an empty input list (JA4 rule).
fn ja4_hash(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".into();
    }
    let mut h = hex(&Sha256::digest(s.as_bytes()));
    h.truncate(12);
    h
}

/// JA4 `a` section's ALPN characters (FoxIO JA4 technical details, "ALPN Extension Value").
fn ja4_alpn(first: Option<&[u8]>) -> String {
    let Some(a) = first.filter(|a| !a.is_empty()) else { return "00".into() };
    let (f, l) = (a[0], a[a.len() - 1]);
    if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() {
        return format!("{}{}", char::from(f), char::from(l));
    }
    let h = hex(a);
    let mut out = String::new();
    out.extend(h.chars().next());
    out.extend(h.chars().last());
    out
}

/// Everything JA4 needs from a ClientHello, GREASE included (it is removed here).
#[derive(Debug)]
pub struct Ja4Input<'a> {
    /// Highest version (already chosen by the caller).
    pub version: u16,
    /// SNI extension present.
    pub sni: bool,
    /// Cipher suites as sent.
    pub ciphers: &'a [u16],
    /// Extension types as sent.
    pub extensions: &'a [u16],
    /// First ALPN value, raw.
    pub alpn: Option<&'a [u8]>,
    /// signature_algorithms as sent.
    pub sigalgs: &'a [u16],
}

/// JA4 for TLS over TCP.
#[must_use]
pub fn ja4(i: &Ja4Input<'_>) -> String {
    let ciphers: Vec<u16> = i.ciphers.iter().copied().filter(|c| !is_grease(*c)).collect();
    let exts: Vec<u16> = i.extensions.iter().copied().filter(|e| !is_grease(*e)).collect();
    let mut sorted_c = ciphers.clone();
    sorted_c.sort_unstable();
    let mut sorted_e: Vec<u16> = exts.iter().copied().filter(|e| *e != 0x0000 && *e != 0x0010).collect();
    sorted_e.sort_unstable();
    let sig: Vec<u16> = i.sigalgs.iter().copied().filter(|s| !is_grease(*s)).collect();
    let b = ja4_hash(&hex4_list(&sorted_c));
    let c = if sorted_e.is_empty() {
        "000000000000".to_string()
    } else {
        let mut s = hex4_list(&sorted_e);
        if !sig.is_empty() {
            s.push('_');
            s.push_str(&hex4_list(&sig));
        }
        ja4_hash(&s)
    };
    format!(
        "t{}{}{:02}{:02}{}_{b}_{c}",
        ja4_version(i.version),
        if i.sni { 'd' } else { 'i' },
        ciphers.len().min(99),
        exts.len().min(99),
        ja4_alpn(i.alpn)
    )
}

/// JA3 string (Salesforce): `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`.
#[must_use]
pub fn ja3(version: u16, ciphers: &[u16], exts: &[u16], groups: &[u16], formats: &[u8]) -> String {
    let list = |v: &[u16]| join(v.iter().filter(|x| !is_grease(**x)), "-");
    format!("{version},{},{},{},{}", list(ciphers), list(exts), list(groups), join(formats.iter(), "-"))
}

/// Parse a ClientHello body. `Err` when the fixed fields do not parse; problems inside one
/// extension are reported in `notes` and the record is still produced.
pub fn client_hello(body: &[u8], record_version: u16, k: &mut Bounds, notes: &mut Notes) -> R<ClientHello> {
    let mut r = Reader::new(body, "tls.client_hello_truncated");
    let legacy_version = r.u16()?;
    r.take(32)?;
    let sid = r.vec8()?;
    if sid.len() > 32 {
        return Err("tls.session_id_length");
    }
    let cs = r.vec16()?;
    if cs.is_empty() || cs.len() % 2 != 0 {
        return Err("tls.cipher_suites_length");
    }
    let ciphers = u16s(cs);
    let comp = r.vec8()?;
    if comp.is_empty() {
        return Err("tls.compression_methods_length");
    }
    let mut ch = ClientHello {
        format: "tls",
        record_version,
        legacy_version,
        legacy_version_name: version_name(legacy_version),
        session_id_len: sid.len() as u8,
        compression_methods: k.list(comp),
        ..ClientHello::default()
    };
    let mut exts: Vec<u16> = Vec::new();
    let mut groups: Vec<u16> = Vec::new();
    let mut formats: Vec<u8> = Vec::new();
    let mut sigalgs: Vec<u16> = Vec::new();
    let mut versions: Option<Vec<u16>> = None;
    let mut alpn_first: Option<&[u8]> = None;
    let mut alpn: Vec<String> = Vec::new();
    let mut key_shares: Vec<u16> = Vec::new();
    if r.left() > 0 {
        let block = r.vec16()?;
        if r.left() > 0 {
            notes.malformed.push("tls.trailing_bytes");
        }
        let mut e = Reader::new(block, "tls.extensions_length");
        while e.left() > 0 {
            let ty = e.u16()?;
            let data = e.vec16()?;
            if exts.contains(&ty) && !is_grease(ty) {
                notes.misbehaving.push("tls.duplicate_extension");
            }
            exts.push(ty);
            let mut x = Reader::new(data, "tls.extension_body");
            let parsed: R<()> = (|| {
                match ty {
                    0 => {
                        let mut list = Reader::new(x.vec16()?, "tls.extension_body");
                        while list.left() > 0 {
                            let kind = list.u8()?;
                            let name = list.vec16()?;
                            if kind == 0 && ch.sni.is_none() {
                                ch.sni = Some(k.text(name));
                            }
                        }
                    }
                    10 => {
                        let l = x.vec16()?;
                        if l.len() % 2 != 0 {
                            return Err("tls.extension_body");
                        }
                        groups = u16s(l);
                    }
                    11 => formats = x.vec8()?.to_vec(),
                    13 => {
                        let l = x.vec16()?;
                        if l.len() % 2 != 0 {
                            return Err("tls.extension_body");
                        }
                        sigalgs = u16s(l);
                    }
                    16 => {
                        let mut list = Reader::new(x.vec16()?, "tls.extension_body");
                        while list.left() > 0 {
                            let p = list.vec8()?;
                            if alpn_first.is_none() {
                                alpn_first = Some(p);
                            }
                            if alpn.len() < k.max_list {
                                alpn.push(k.text(p));
                            } else {
                                k.list_cut = true;
                            }
                        }
                    }
                    35 => {
                        ch.session_ticket = true;
                        ch.session_ticket_len = data.len();
                        x.take(data.len())?;
                    }
                    41 => {
                        ch.pre_shared_key = true;
                        x.take(data.len())?;
                    }
                    42 => {
                        ch.early_data = true;
                        x.take(data.len())?;
                    }
                    43 => {
                        let l = x.vec8()?;
                        if l.len() % 2 != 0 {
                            return Err("tls.extension_body");
                        }
                        versions = Some(u16s(l));
                    }
                    51 => {
                        let mut list = Reader::new(x.vec16()?, "tls.extension_body");
                        while list.left() > 0 {
                            key_shares.push(list.u16()?);
                            list.vec16()?;
                        }
                    }
                    _ => {
                        x.take(data.len())?;
                    }
                }
                if x.left() > 0 {
                    return Err("tls.extension_body");
                }
                Ok(())
            })();
            if let Err(why) = parsed {
                notes.malformed.push(why);
            }
        }
    } else if r.left() > 0 {
        notes.malformed.push("tls.trailing_bytes");
    }
    let sv = versions.clone().unwrap_or_default();
    let max_version = sv.iter().copied().filter(|v| !is_grease(*v)).max().unwrap_or(legacy_version);
    ch.max_version = max_version;
    ch.max_version_name = version_name(max_version);
    ch.grease = ciphers.iter().chain(&exts).chain(&groups).chain(&sv).chain(&sigalgs).chain(&key_shares).any(|v| is_grease(*v));
    let ja3 = ja3(legacy_version, &ciphers, &exts, &groups, &formats);
    ch.ja3_hash = Some(md5_hex(&ja3));
    ch.ja3 = Some(ja3);
    ch.ja4 = Some(ja4(&Ja4Input {
        version: max_version,
        sni: exts.contains(&0),
        ciphers: &ciphers,
        extensions: &exts,
        alpn: alpn_first,
        sigalgs: &sigalgs,
    }));
    ch.supported_versions = k.list(&sv);
    ch.cipher_suites = k.list(&ciphers);
    ch.cipher_suite_names = ch.cipher_suites.iter().map(|c| cipher_suite_label(*c)).collect();
    ch.extensions = k.list(&exts);
    ch.extension_names = ch.extensions.iter().map(|e| extension_name(*e)).collect();
    ch.supported_groups = k.list(&groups);
    ch.supported_group_names = ch.supported_groups.iter().map(|g| group_name(*g)).collect();
    ch.ec_point_formats = k.list(&formats);
    ch.signature_algorithms = k.list(&sigalgs);
    ch.signature_algorithm_names = ch.signature_algorithms.iter().map(|s| signature_scheme_name(*s)).collect();
    ch.key_share_groups = k.list(&key_shares);
    ch.alpn = alpn;
    Ok(ch)
}

/// An SSL 2.0 CLIENT-HELLO (the message after the 2-byte record header), RFC 6101 App. E.1 and
/// the SSL 2.0 draft: type 1, version, cipher_spec_length, session_id_length,
/// challenge_length, cipher specs (3 bytes each), session id, challenge.
pub fn sslv2_client_hello(msg: &[u8], k: &mut Bounds) -> R<ClientHello> {
    let mut r = Reader::new(msg, "tls.sslv2_truncated");
    if r.u8()? != 1 {
        return Err("tls.sslv2_message_type");
    }
    let version = r.u16()?;
    let cs_len = usize::from(r.u16()?);
    let sid_len = usize::from(r.u16()?);
    let ch_len = usize::from(r.u16()?);
    if cs_len == 0 || cs_len % 3 != 0 || (sid_len != 0 && sid_len != 16) || !(16..=32).contains(&ch_len) {
        return Err("tls.sslv2_lengths");
    }
    let specs = r.take(cs_len)?;
    r.take(sid_len)?;
    r.take(ch_len)?;
    let kinds: Vec<u32> =
        specs.chunks_exact(3).map(|c| u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2])).collect();
    // Kinds with a zero first byte are TLS cipher suites (RFC 5246 App. E.2).
    let suites: Vec<u16> = kinds.iter().filter(|k| *k >> 16 == 0).map(|k| *k as u16).collect();
    let mut ch = ClientHello {
        format: "sslv2",
        record_version: 0x0002,
        legacy_version: version,
        legacy_version_name: version_name(version),
        max_version: version,
        max_version_name: version_name(version),
        session_id_len: sid_len as u8,
        sslv2_cipher_kinds: k.list(&kinds),
        cipher_suites: k.list(&suites),
        ..ClientHello::default()
    };
    ch.cipher_suite_names = ch.cipher_suites.iter().map(|c| cipher_suite_label(*c)).collect();
    ch.grease = suites.iter().any(|s| is_grease(*s));
    if r.left() > 0 {
        return Err("tls.trailing_bytes");
    }
    Ok(ch)
}

/// Parse a ServerHello body. Returns the record and whether it is a HelloRetryRequest.
pub fn server_hello(body: &[u8], record_version: u16, k: &mut Bounds, notes: &mut Notes) -> R<(ServerHello, bool)> {
    let mut r = Reader::new(body, "tls.server_hello_truncated");
    let legacy_version = r.u16()?;
    let random = r.take(32)?;
    // TLS 1.3 drafts before -22 had no session id or compression method in the ServerHello.
    let early_draft = (0x7f00..0x7f16).contains(&legacy_version);
    let sid_len = if early_draft { 0 } else { r.vec8()?.len() };
    if sid_len > 32 {
        return Err("tls.session_id_length");
    }
    let cipher = r.u16()?;
    let compression = if early_draft { 0 } else { r.u8()? };
    let hrr = random == HRR_RANDOM;
    let mut sh = ServerHello {
        record_version,
        legacy_version,
        version: legacy_version,
        session_id_len: sid_len as u8,
        cipher_suite: cipher,
        cipher_suite_name: cipher_suite_label(cipher),
        cipher_suite_weaknesses: cipher_suite_weaknesses(cipher),
        compression_method: compression,
        ..ServerHello::default()
    };
    sh.downgrade_sentinel = match &random[24..] {
        b"DOWNGRD\x01" => Some("TLS 1.2"),
        b"DOWNGRD\x00" => Some("TLS 1.1 or below"),
        _ => None,
    };
    let mut exts: Vec<u16> = Vec::new();
    if r.left() > 0 {
        let block = r.vec16()?;
        if r.left() > 0 {
            notes.malformed.push("tls.trailing_bytes");
        }
        let mut e = Reader::new(block, "tls.extensions_length");
        while e.left() > 0 {
            let ty = e.u16()?;
            let data = e.vec16()?;
            if exts.contains(&ty) {
                notes.misbehaving.push("tls.duplicate_extension");
            }
            exts.push(ty);
            let mut x = Reader::new(data, "tls.extension_body");
            let parsed: R<()> = (|| {
                match ty {
                    43 => sh.version = x.u16()?,
                    16 => {
                        let mut list = Reader::new(x.vec16()?, "tls.extension_body");
                        sh.alpn = Some(k.text(list.vec8()?));
                        if list.left() > 0 {
                            return Err("tls.extension_body");
                        }
                    }
                    51 => {
                        let g = x.u16()?;
                        sh.key_share_group = Some(g);
                        sh.key_share_group_name = Some(group_name(g));
                        if !hrr {
                            x.vec16()?;
                        }
                    }
                    _ => {
                        x.take(data.len())?;
                    }
                }
                if x.left() > 0 {
                    return Err("tls.extension_body");
                }
                Ok(())
            })();
            if let Err(why) = parsed {
                notes.malformed.push(why);
            }
        }
    }
    sh.version_name = version_name(sh.version);
    let ja3s = format!("{legacy_version},{cipher},{}", join(exts.iter().filter(|e| !is_grease(**e)), "-"));
    sh.ja3s_hash = md5_hex(&ja3s);
    sh.ja3s = ja3s;
    sh.extensions = k.list(&exts);
    sh.extension_names = sh.extensions.iter().map(|e| extension_name(*e)).collect();
    Ok((sh, hrr))
}

/// Parse a ServerKeyExchange for the chosen suite's key exchange (RFC 5246 §7.4.3, RFC 8422
/// §5.4, RFC 4279 §2-4, RFC 5489). `tls12`: a signature scheme precedes the signature.
pub fn server_key_exchange(body: &[u8], kx: KeyExchange, tls12: bool) -> R<ServerKeyExchange> {
    let mut r = Reader::new(body, "tls.server_key_exchange_truncated");
    let mut ske = ServerKeyExchange { key_exchange: kx.method.as_str(), ..ServerKeyExchange::default() };
    if matches!(kx.method, KxMethod::Psk | KxMethod::DhePsk | KxMethod::EcdhePsk | KxMethod::RsaPsk) {
        r.vec16()?; // psk_identity_hint
    }
    let mut signed = !kx.anonymous;
    match kx.method {
        KxMethod::Ecdhe | KxMethod::EcdhePsk => match r.u8()? {
            3 => {
                let g = r.u16()?;
                ske.named_group = Some(g);
                ske.named_group_name = Some(group_name(g));
                r.vec8()?;
            }
            1 | 2 => {
                // Explicit curve parameters: reported, not walked.
                ske.explicit_curve = true;
                return Ok(ske);
            }
            _ => return Err("tls.server_key_exchange_curve_type"),
        },
        KxMethod::Dhe | KxMethod::DhePsk => {
            let p = r.vec16()?;
            r.vec16()?;
            r.vec16()?;
            ske.dh_group_bits = Some(int_bits(p));
        }
        KxMethod::Rsa if kx.export => {
            let m = r.vec16()?;
            r.vec16()?;
            ske.rsa_modulus_bits = Some(int_bits(m));
        }
        KxMethod::Srp => {
            for _ in 0..2 {
                r.vec16()?;
            }
            r.vec8()?;
            r.vec16()?;
        }
        _ => signed = false,
    }
    if matches!(kx.method, KxMethod::Psk | KxMethod::DhePsk | KxMethod::EcdhePsk | KxMethod::RsaPsk) {
        signed = false;
    }
    if signed && r.left() > 0 {
        if tls12 {
            let s = r.u16()?;
            ske.signature_algorithm = Some(s);
            ske.signature_algorithm_name = Some(signature_scheme_name(s));
        }
        r.vec16()?;
    }
    if r.left() > 0 {
        return Err("tls.trailing_bytes");
    }
    Ok(ske)
}
