//! Names and properties of TLS code points, written from the IANA "Transport Layer Security (TLS)
//! Parameters" registry (cipher suites, extension types, supported groups, signature schemes,
//! alert descriptions) and the RFCs that define them: RFC 5246 (TLS 1.2), RFC 8446 (TLS 1.3),
//! RFC 4492/8422 (ECC), RFC 7919 (FFDHE groups), RFC 8701 (GREASE). A few widely deployed code
//! points that IANA does not list are marked as such.
//!
//! The tests compare every name here with tshark's own value tables (`tshark -G values`).

use serde::Serialize;
use std::borrow::Cow;

/// RFC 8701 GREASE: 0x0A0A, 0x1A1A, ..., 0xFAFA (both bytes equal, low nibble 0xA).
#[must_use]
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// A protocol version by name: `SSL 2.0`, `SSL 3.0`, `TLS 1.0` ... `TLS 1.3`, `TLS 1.3 draft-28`
/// (0x7f1c), `DTLS 1.2`, `GREASE`, or `0x1234` when unknown.
#[must_use]
pub fn version_name(v: u16) -> Cow<'static, str> {
    Cow::Borrowed(match v {
        0x0002 => "SSL 2.0",
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        0xfeff => "DTLS 1.0",
        0xfefd => "DTLS 1.2",
        0xfefc => "DTLS 1.3",
        // draft-ietf-tls-tls13-NN advertised 0x7f00 + NN.
        0x7f00..=0x7fff => return Cow::Owned(format!("TLS 1.3 draft-{}", v & 0xff)),
        v if is_grease(v) => "GREASE",
        _ => return Cow::Owned(format!("0x{v:04x}")),
    })
}

/// True for versions that must not be negotiated any more: SSL 2.0 (RFC 6176), SSL 3.0
/// (RFC 7568), TLS 1.0 and TLS 1.1 (RFC 8996).
#[must_use]
pub fn is_deprecated_version(v: u16) -> bool {
    matches!(v, 0x0002 | 0x0300 | 0x0301 | 0x0302)
}

/// True for TLS 1.3 and its drafts (whose handshake is encrypted after the ServerHello).
#[must_use]
pub fn is_tls13(v: u16) -> bool {
    v == 0x0304 || (0x7f00..=0x7fff).contains(&v)
}

/// Cipher suites, IANA names (RFC 5246 App. A.5, RFC 4492, RFC 5288, RFC 5289, RFC 4279,
/// RFC 5487, RFC 4132, RFC 5932, RFC 6655, RFC 7905, RFC 8446, RFC 7507, RFC 5746).
const CIPHER_SUITES: &[(u16, &str)] = &[
    (0x0000, "TLS_NULL_WITH_NULL_NULL"),
    (0x0001, "TLS_RSA_WITH_NULL_MD5"),
    (0x0002, "TLS_RSA_WITH_NULL_SHA"),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"),
    (0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"),
    (0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
    (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x000b, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    (0x000c, "TLS_DH_DSS_WITH_DES_CBC_SHA"),
    (0x000d, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA"),
    (0x000e, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x000f, "TLS_DH_RSA_WITH_DES_CBC_SHA"),
    (0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"),
    (0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"),
    (0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"),
    (0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"),
    (0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"),
    (0x001a, "TLS_DH_anon_WITH_DES_CBC_SHA"),
    (0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"),
    (0x002c, "TLS_PSK_WITH_NULL_SHA"),
    (0x002d, "TLS_DHE_PSK_WITH_NULL_SHA"),
    (0x002e, "TLS_RSA_PSK_WITH_NULL_SHA"),
    (0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    (0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA"),
    (0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA"),
    (0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"),
    (0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
    (0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    (0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA"),
    (0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA"),
    (0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"),
    (0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
    (0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA"),
    (0x003b, "TLS_RSA_WITH_NULL_SHA256"),
    (0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    (0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"),
    (0x003e, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256"),
    (0x003f, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256"),
    (0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"),
    (0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256"),
    (0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256"),
    (0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"),
    (0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"),
    (0x006c, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"),
    (0x006d, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"),
    (0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA"),
    (0x008a, "TLS_PSK_WITH_RC4_128_SHA"),
    (0x008b, "TLS_PSK_WITH_3DES_EDE_CBC_SHA"),
    (0x008c, "TLS_PSK_WITH_AES_128_CBC_SHA"),
    (0x008d, "TLS_PSK_WITH_AES_256_CBC_SHA"),
    (0x008e, "TLS_DHE_PSK_WITH_RC4_128_SHA"),
    (0x008f, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA"),
    (0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA"),
    (0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA"),
    (0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA"),
    (0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA"),
    (0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA"),
    (0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA"),
    (0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"),
    (0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA"),
    (0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA"),
    (0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA"),
    (0x009a, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"),
    (0x009b, "TLS_DH_anon_WITH_SEED_CBC_SHA"),
    (0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    (0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0x00a0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256"),
    (0x00a1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384"),
    (0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"),
    (0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"),
    (0x00a4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256"),
    (0x00a5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384"),
    (0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"),
    (0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"),
    (0x00a8, "TLS_PSK_WITH_AES_128_GCM_SHA256"),
    (0x00a9, "TLS_PSK_WITH_AES_256_GCM_SHA384"),
    (0x00aa, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256"),
    (0x00ab, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384"),
    (0x00ac, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256"),
    (0x00ad, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384"),
    (0x00ae, "TLS_PSK_WITH_AES_128_CBC_SHA256"),
    (0x00af, "TLS_PSK_WITH_AES_256_CBC_SHA384"),
    (0x00b0, "TLS_PSK_WITH_NULL_SHA256"),
    (0x00b1, "TLS_PSK_WITH_NULL_SHA384"),
    (0x00b2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256"),
    (0x00b3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384"),
    (0x00b4, "TLS_DHE_PSK_WITH_NULL_SHA256"),
    (0x00b5, "TLS_DHE_PSK_WITH_NULL_SHA384"),
    (0x00b6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256"),
    (0x00b7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384"),
    (0x00b8, "TLS_RSA_PSK_WITH_NULL_SHA256"),
    (0x00b9, "TLS_RSA_PSK_WITH_NULL_SHA384"),
    (0x00ba, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00be, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00c0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00c4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
    (0x1301, "TLS_AES_128_GCM_SHA256"),
    (0x1302, "TLS_AES_256_GCM_SHA384"),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256"),
    (0x1304, "TLS_AES_128_CCM_SHA256"),
    (0x1305, "TLS_AES_128_CCM_8_SHA256"),
    (0x5600, "TLS_FALLBACK_SCSV"),
    (0xc001, "TLS_ECDH_ECDSA_WITH_NULL_SHA"),
    (0xc002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"),
    (0xc003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xc005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"),
    (0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    (0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xc00b, "TLS_ECDH_RSA_WITH_NULL_SHA"),
    (0xc00c, "TLS_ECDH_RSA_WITH_RC4_128_SHA"),
    (0xc00d, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc00e, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"),
    (0xc00f, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"),
    (0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA"),
    (0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    (0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    (0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    (0xc015, "TLS_ECDH_anon_WITH_NULL_SHA"),
    (0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA"),
    (0xc017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"),
    (0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"),
    (0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"),
    (0xc01a, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA"),
    (0xc01b, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc01c, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA"),
    (0xc01d, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA"),
    (0xc01e, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA"),
    (0xc01f, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA"),
    (0xc020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA"),
    (0xc021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA"),
    (0xc022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA"),
    (0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    (0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"),
    (0xc025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"),
    (0xc026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"),
    (0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
    (0xc029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"),
    (0xc02a, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"),
    (0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xc02d, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xc02e, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xc031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"),
    (0xc032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"),
    (0xc033, "TLS_ECDHE_PSK_WITH_RC4_128_SHA"),
    (0xc034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA"),
    (0xc035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA"),
    (0xc036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA"),
    (0xc037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256"),
    (0xc038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384"),
    (0xc039, "TLS_ECDHE_PSK_WITH_NULL_SHA"),
    (0xc03a, "TLS_ECDHE_PSK_WITH_NULL_SHA256"),
    (0xc03b, "TLS_ECDHE_PSK_WITH_NULL_SHA384"),
    (0xc072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc09c, "TLS_RSA_WITH_AES_128_CCM"),
    (0xc09d, "TLS_RSA_WITH_AES_256_CCM"),
    (0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM"),
    (0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM"),
    (0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8"),
    (0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8"),
    (0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8"),
    (0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8"),
    (0xc0a4, "TLS_PSK_WITH_AES_128_CCM"),
    (0xc0a5, "TLS_PSK_WITH_AES_256_CCM"),
    (0xc0a6, "TLS_DHE_PSK_WITH_AES_128_CCM"),
    (0xc0a7, "TLS_DHE_PSK_WITH_AES_256_CCM"),
    (0xc0a8, "TLS_PSK_WITH_AES_128_CCM_8"),
    (0xc0a9, "TLS_PSK_WITH_AES_256_CCM_8"),
    (0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8"),
    (0xc0ab, "TLS_PSK_DHE_WITH_AES_256_CCM_8"),
    (0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"),
    (0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"),
    (0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"),
    (0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"),
    (0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"),
    (0xccac, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"),
    (0xccad, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"),
    (0xccae, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"),
    (0xd001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"),
    (0xd002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384"),
    (0xd003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256"),
    (0xd005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256"),
];

fn lookup<T: Copy + PartialEq>(table: &[(T, &'static str)], key: T) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, n)| *n)
}

/// The IANA name of a cipher suite, if it is in Ward's table (the common ones: every suite a
/// mainstream TLS library has offered).
#[must_use]
pub fn cipher_suite_name(id: u16) -> Option<&'static str> {
    lookup(CIPHER_SUITES, id)
}

/// A cipher suite name for a record: the IANA name, `GREASE`, or `0x1234`.
#[must_use]
pub fn cipher_suite_label(id: u16) -> Cow<'static, str> {
    match cipher_suite_name(id) {
        Some(n) => Cow::Borrowed(n),
        None if is_grease(id) => Cow::Borrowed("GREASE"),
        None => Cow::Owned(format!("0x{id:04x}")),
    }
}

/// Why a cipher suite is weak. Derived from the suite's IANA name, so a suite outside the
/// table has none (unknown, not known-good).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CipherWeakness {
    /// No encryption (`..._WITH_NULL_...`, `TLS_NULL_WITH_NULL_NULL`).
    #[serde(rename = "NULL")]
    Null,
    /// 1990s export-grade (40/56-bit) keys.
    #[serde(rename = "EXPORT")]
    Export,
    /// No server authentication (`DH_anon`, `ECDH_anon`, `TLS_NULL_WITH_NULL_NULL`).
    #[serde(rename = "anonymous")]
    Anonymous,
    /// RC4 stream cipher (RFC 7465 prohibits it).
    #[serde(rename = "RC4")]
    Rc4,
    /// Single DES (56-bit key, or 40-bit DES40).
    #[serde(rename = "DES")]
    Des,
    /// Triple DES (64-bit block: Sweet32).
    #[serde(rename = "3DES")]
    TripleDes,
    /// RC2 (export only).
    #[serde(rename = "RC2")]
    Rc2,
    /// IDEA (64-bit block; removed from TLS 1.2, RFC 5469).
    #[serde(rename = "IDEA")]
    Idea,
    /// HMAC-MD5 record MAC.
    #[serde(rename = "MD5 MAC")]
    Md5Mac,
}

impl CipherWeakness {
    /// The label used in records and findings.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CipherWeakness::Null => "NULL",
            CipherWeakness::Export => "EXPORT",
            CipherWeakness::Anonymous => "anonymous",
            CipherWeakness::Rc4 => "RC4",
            CipherWeakness::Des => "DES",
            CipherWeakness::TripleDes => "3DES",
            CipherWeakness::Rc2 => "RC2",
            CipherWeakness::Idea => "IDEA",
            CipherWeakness::Md5Mac => "MD5 MAC",
        }
    }
}

/// The weaknesses of a cipher suite by id (empty for strong suites, SCSVs and unknown ids).
#[must_use]
pub fn cipher_suite_weaknesses(id: u16) -> Vec<CipherWeakness> {
    let Some(name) = cipher_suite_name(id) else { return Vec::new() };
    let mut w = Vec::new();
    let (kx, rest) = match name.split_once("_WITH_") {
        Some((kx, rest)) => (kx, rest),
        None => ("", name),
    };
    let enc_tokens: Vec<&str> = rest.split('_').collect();
    let kx_tokens: Vec<&str> = kx.split('_').collect();
    if name == "TLS_NULL_WITH_NULL_NULL" || enc_tokens.first() == Some(&"NULL") {
        w.push(CipherWeakness::Null);
    }
    if kx_tokens.contains(&"EXPORT") {
        w.push(CipherWeakness::Export);
    }
    if kx_tokens.contains(&"anon") || name == "TLS_NULL_WITH_NULL_NULL" {
        w.push(CipherWeakness::Anonymous);
    }
    for (t, weakness) in [
        ("RC4", CipherWeakness::Rc4),
        ("DES", CipherWeakness::Des),
        ("DES40", CipherWeakness::Des),
        ("3DES", CipherWeakness::TripleDes),
        ("RC2", CipherWeakness::Rc2),
        ("IDEA", CipherWeakness::Idea),
    ] {
        if enc_tokens.contains(&t) && !w.contains(&weakness) {
            w.push(weakness);
        }
    }
    if !kx.is_empty() && enc_tokens.last() == Some(&"MD5") {
        w.push(CipherWeakness::Md5Mac);
    }
    w
}

/// Key exchange of a TLS 1.2-and-older suite, from its name: `RSA`, `DHE`, `ECDHE`, `DH`,
/// `ECDH`, `PSK`, `DHE_PSK`, `ECDHE_PSK`, `RSA_PSK`, `SRP`, `NULL`; `None` for TLS 1.3 suites,
/// SCSVs and unknown ids.
#[must_use]
pub fn key_exchange(id: u16) -> Option<KeyExchange> {
    let name = cipher_suite_name(id)?;
    let (kx, _) = name.split_once("_WITH_")?;
    let kx = kx.strip_prefix("TLS_")?;
    let t: Vec<&str> = kx.split('_').collect();
    let export = t.contains(&"EXPORT");
    let anon = t.contains(&"anon");
    let method = match t.as_slice() {
        ["NULL"] => KxMethod::Null,
        ["RSA", ..] if t.contains(&"PSK") => KxMethod::RsaPsk,
        ["RSA", ..] => KxMethod::Rsa,
        ["DHE", "PSK", ..] | ["PSK", "DHE", ..] => KxMethod::DhePsk,
        ["ECDHE", "PSK", ..] => KxMethod::EcdhePsk,
        ["PSK", ..] => KxMethod::Psk,
        ["DHE", ..] => KxMethod::Dhe,
        ["DH", ..] if anon => KxMethod::Dhe,
        ["DH", ..] => KxMethod::Dh,
        ["ECDHE", ..] => KxMethod::Ecdhe,
        ["ECDH", ..] if anon => KxMethod::Ecdhe,
        ["ECDH", ..] => KxMethod::Ecdh,
        ["SRP", ..] => KxMethod::Srp,
        _ => return None,
    };
    Some(KeyExchange { method, anonymous: anon, export })
}

/// How the premaster secret is agreed (RFC 5246 §7.4.3 and its ECC/PSK companions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyExchange {
    /// The method; anonymous DH/ECDH are ephemeral (`Dhe`/`Ecdhe`) without a signature.
    pub method: KxMethod,
    /// No server signature in the ServerKeyExchange.
    pub anonymous: bool,
    /// Export suite (an RSA_EXPORT ServerKeyExchange carries a temporary RSA key).
    pub export: bool,
}

/// Key exchange methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // reason: the names are the RFC names.
pub enum KxMethod {
    Null,
    Rsa,
    Dh,
    Dhe,
    Ecdh,
    Ecdhe,
    Psk,
    DhePsk,
    EcdhePsk,
    RsaPsk,
    Srp,
}

impl KxMethod {
    /// The name used in records.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            KxMethod::Null => "NULL",
            KxMethod::Rsa => "RSA",
            KxMethod::Dh => "DH",
            KxMethod::Dhe => "DHE",
            KxMethod::Ecdh => "ECDH",
            KxMethod::Ecdhe => "ECDHE",
            KxMethod::Psk => "PSK",
            KxMethod::DhePsk => "DHE_PSK",
            KxMethod::EcdhePsk => "ECDHE_PSK",
            KxMethod::RsaPsk => "RSA_PSK",
            KxMethod::Srp => "SRP",
        }
    }
}

/// Extension types (IANA "TLS ExtensionType Values").
const EXTENSIONS: &[(u16, &str)] = &[
    (0, "server_name"),
    (1, "max_fragment_length"),
    (2, "client_certificate_url"),
    (3, "trusted_ca_keys"),
    (4, "truncated_hmac"),
    (5, "status_request"),
    (6, "user_mapping"),
    (7, "client_authz"),
    (8, "server_authz"),
    (9, "cert_type"),
    (10, "supported_groups"),
    (11, "ec_point_formats"),
    (12, "srp"),
    (13, "signature_algorithms"),
    (14, "use_srtp"),
    (15, "heartbeat"),
    (16, "application_layer_protocol_negotiation"),
    (17, "status_request_v2"),
    (18, "signed_certificate_timestamp"),
    (19, "client_certificate_type"),
    (20, "server_certificate_type"),
    (21, "padding"),
    (22, "encrypt_then_mac"),
    (23, "extended_master_secret"),
    (24, "token_binding"),
    (25, "cached_info"),
    (27, "compress_certificate"),
    (28, "record_size_limit"),
    (34, "delegated_credentials"),
    (35, "session_ticket"),
    (41, "pre_shared_key"),
    (42, "early_data"),
    (43, "supported_versions"),
    (44, "cookie"),
    (45, "psk_key_exchange_modes"),
    (47, "certificate_authorities"),
    (48, "oid_filters"),
    (49, "post_handshake_auth"),
    (50, "signature_algorithms_cert"),
    (51, "key_share"),
    (52, "transparency_info"),
    (54, "connection_id"),
    (55, "external_id_hash"),
    (56, "external_session_id"),
    (57, "quic_transport_parameters"),
    (58, "ticket_request"),
    (59, "dnssec_chain"),
    (13172, "next_protocol_negotiation"), // 0x3374, not in IANA: Google's NPN draft
    (17513, "application_settings"),      // 0x4469, not in IANA: Chrome's ALPS draft
    (30032, "channel_id"),                // 0x7550, not in IANA: Google's Channel ID draft
    (65037, "encrypted_client_hello"),    // 0xfe0d, draft-ietf-tls-esni
    (65281, "renegotiation_info"),
];

/// An extension name for a record: the IANA name, `GREASE`, or `0x1234`.
#[must_use]
pub fn extension_name(id: u16) -> Cow<'static, str> {
    match lookup(EXTENSIONS, id) {
        Some(n) => Cow::Borrowed(n),
        None if is_grease(id) => Cow::Borrowed("GREASE"),
        None => Cow::Owned(format!("0x{id:04x}")),
    }
}

/// Supported groups / named curves (IANA "TLS Supported Groups"; RFC 8422, RFC 7919).
const GROUPS: &[(u16, &str)] = &[
    (1, "sect163k1"),
    (2, "sect163r1"),
    (3, "sect163r2"),
    (4, "sect193r1"),
    (5, "sect193r2"),
    (6, "sect233k1"),
    (7, "sect233r1"),
    (8, "sect239k1"),
    (9, "sect283k1"),
    (10, "sect283r1"),
    (11, "sect409k1"),
    (12, "sect409r1"),
    (13, "sect571k1"),
    (14, "sect571r1"),
    (15, "secp160k1"),
    (16, "secp160r1"),
    (17, "secp160r2"),
    (18, "secp192k1"),
    (19, "secp192r1"),
    (20, "secp224k1"),
    (21, "secp224r1"),
    (22, "secp256k1"),
    (23, "secp256r1"),
    (24, "secp384r1"),
    (25, "secp521r1"),
    (26, "brainpoolP256r1"),
    (27, "brainpoolP384r1"),
    (28, "brainpoolP512r1"),
    (29, "x25519"),
    (30, "x448"),
    (256, "ffdhe2048"),
    (257, "ffdhe3072"),
    (258, "ffdhe4096"),
    (259, "ffdhe6144"),
    (260, "ffdhe8192"),
    (512, "MLKEM512"),
    (513, "MLKEM768"),
    (514, "MLKEM1024"),
    (4587, "SecP256r1MLKEM768"),
    (4588, "X25519MLKEM768"),
    (4589, "SecP384r1MLKEM1024"),
    (25497, "X25519Kyber768Draft00"), // 0x6399, a draft code point
];

/// A group name: the IANA name, `GREASE`, or `0x1234`.
#[must_use]
pub fn group_name(id: u16) -> Cow<'static, str> {
    match lookup(GROUPS, id) {
        Some(n) => Cow::Borrowed(n),
        None if is_grease(id) => Cow::Borrowed("GREASE"),
        None => Cow::Owned(format!("0x{id:04x}")),
    }
}

/// Signature schemes (RFC 8446 §4.2.3) and the TLS 1.2 hash/signature pairs still seen.
const SIGNATURE_SCHEMES: &[(u16, &str)] = &[
    (0x0201, "rsa_pkcs1_sha1"),
    (0x0202, "dsa_sha1"),
    (0x0203, "ecdsa_sha1"),
    (0x0301, "rsa_pkcs1_sha224"),
    (0x0302, "dsa_sha224"),
    (0x0303, "ecdsa_sha224"),
    (0x0401, "rsa_pkcs1_sha256"),
    (0x0402, "dsa_sha256"),
    (0x0403, "ecdsa_secp256r1_sha256"),
    (0x0501, "rsa_pkcs1_sha384"),
    (0x0502, "dsa_sha384"),
    (0x0503, "ecdsa_secp384r1_sha384"),
    (0x0601, "rsa_pkcs1_sha512"),
    (0x0602, "dsa_sha512"),
    (0x0603, "ecdsa_secp521r1_sha512"),
    (0x0804, "rsa_pss_rsae_sha256"),
    (0x0805, "rsa_pss_rsae_sha384"),
    (0x0806, "rsa_pss_rsae_sha512"),
    (0x0807, "ed25519"),
    (0x0808, "ed448"),
    (0x0809, "rsa_pss_pss_sha256"),
    (0x080a, "rsa_pss_pss_sha384"),
    (0x080b, "rsa_pss_pss_sha512"),
    (0x081a, "ecdsa_brainpoolP256r1tls13_sha256"),
    (0x081b, "ecdsa_brainpoolP384r1tls13_sha384"),
    (0x081c, "ecdsa_brainpoolP512r1tls13_sha512"),
];

/// A signature scheme name, `GREASE`, or `0x1234`.
#[must_use]
pub fn signature_scheme_name(id: u16) -> Cow<'static, str> {
    match lookup(SIGNATURE_SCHEMES, id) {
        Some(n) => Cow::Borrowed(n),
        None if is_grease(id) => Cow::Borrowed("GREASE"),
        None => Cow::Owned(format!("0x{id:04x}")),
    }
}

/// Alert descriptions (RFC 8446 §6, RFC 5246 §7.2, RFC 7507, RFC 7301).
const ALERTS: &[(u8, &str)] = &[
    (0, "close_notify"),
    (10, "unexpected_message"),
    (20, "bad_record_mac"),
    (21, "decryption_failed"),
    (22, "record_overflow"),
    (30, "decompression_failure"),
    (40, "handshake_failure"),
    (41, "no_certificate"),
    (42, "bad_certificate"),
    (43, "unsupported_certificate"),
    (44, "certificate_revoked"),
    (45, "certificate_expired"),
    (46, "certificate_unknown"),
    (47, "illegal_parameter"),
    (48, "unknown_ca"),
    (49, "access_denied"),
    (50, "decode_error"),
    (51, "decrypt_error"),
    (60, "export_restriction"),
    (70, "protocol_version"),
    (71, "insufficient_security"),
    (80, "internal_error"),
    (86, "inappropriate_fallback"),
    (90, "user_canceled"),
    (100, "no_renegotiation"),
    (109, "missing_extension"),
    (110, "unsupported_extension"),
    (111, "certificate_unobtainable"),
    (112, "unrecognized_name"),
    (113, "bad_certificate_status_response"),
    (114, "bad_certificate_hash_value"),
    (115, "unknown_psk_identity"),
    (116, "certificate_required"),
    (120, "no_application_protocol"),
    (121, "ech_required"),
];

/// An alert description name or `unknown`.
#[must_use]
pub fn alert_name(code: u8) -> &'static str {
    lookup(ALERTS, code).unwrap_or("unknown")
}

/// Handshake message types (RFC 8446 §4, RFC 5246 §7.4, RFC 6066 §8).
#[must_use]
pub fn handshake_type_name(t: u8) -> &'static str {
    match t {
        0 => "hello_request",
        1 => "client_hello",
        2 => "server_hello",
        3 => "hello_verify_request",
        4 => "new_session_ticket",
        5 => "end_of_early_data",
        6 => "hello_retry_request",
        8 => "encrypted_extensions",
        11 => "certificate",
        12 => "server_key_exchange",
        13 => "certificate_request",
        14 => "server_hello_done",
        15 => "certificate_verify",
        16 => "client_key_exchange",
        20 => "finished",
        21 => "certificate_url",
        22 => "certificate_status",
        23 => "supplemental_data",
        24 => "key_update",
        25 => "compressed_certificate",
        254 => "message_hash",
        _ => "unknown",
    }
}

/// The JA4 two-character version code (FoxIO JA4 technical details, "TLS and DTLS Version").
#[must_use]
pub fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}
