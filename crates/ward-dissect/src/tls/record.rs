//! The TLS records: what the cleartext part of a handshake says, and how much encrypted data
//! followed. Application data is never kept: only record counts and byte counts.
//!
//! Versions, cipher suites, extensions, groups and signature schemes are given as numbers (as on
//! the wire, GREASE included) with names beside them; fingerprints follow their definitions
//! exactly (JA3/JA3S: Salesforce; JA4: FoxIO's JA4 client fingerprint, BSD-licensed).

use super::tables::CipherWeakness;
use serde::Serialize;
use std::borrow::Cow;

/// One TLS observation, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // reason: a handful per flow, moved once; boxing would only add an allocation.
pub enum TlsRecord {
    /// A ClientHello (TLS, or an SSL 2.0-compatible CLIENT-HELLO).
    ClientHello(ClientHello),
    /// A ServerHello.
    ServerHello(ServerHello),
    /// A TLS 1.3 HelloRetryRequest (a ServerHello with the RFC 8446 §4.1.3 special random).
    HelloRetryRequest(ServerHello),
    /// A Certificate message (TLS 1.2 and older, where it travels in cleartext).
    Certificate(CertificateChain),
    /// A ServerKeyExchange (TLS 1.2 and older).
    ServerKeyExchange(ServerKeyExchange),
    /// A cleartext alert.
    Alert(Alert),
    /// Emitted once when both directions have ended, if no bytes were lost: the negotiated
    /// parameters and per-direction counts of records, including the encrypted ones.
    Summary(Summary),
}

impl TlsRecord {
    /// The record's `type`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            TlsRecord::ClientHello(_) => "client_hello",
            TlsRecord::ServerHello(_) => "server_hello",
            TlsRecord::HelloRetryRequest(_) => "hello_retry_request",
            TlsRecord::Certificate(_) => "certificate",
            TlsRecord::ServerKeyExchange(_) => "server_key_exchange",
            TlsRecord::Alert(_) => "alert",
            TlsRecord::Summary(_) => "summary",
        }
    }
}

/// A ClientHello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ClientHello {
    /// `tls`, or `sslv2` for an SSL 2.0-compatible CLIENT-HELLO (RFC 6101 App. E.2 / RFC 5246 E.2).
    pub format: &'static str,
    /// Version in the record header (2 for an SSLv2 header).
    pub record_version: u16,
    /// `legacy_version` (client_version) of the hello, e.g. 771 = 0x0303.
    pub legacy_version: u16,
    /// Its name (`TLS 1.2`).
    pub legacy_version_name: Cow<'static, str>,
    /// The highest version offered: the largest non-GREASE supported_versions entry if the
    /// extension is present, else `legacy_version` (the JA4 rule).
    pub max_version: u16,
    /// Its name.
    pub max_version_name: Cow<'static, str>,
    /// supported_versions entries as sent (GREASE included).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supported_versions: Vec<u16>,
    /// Length of the legacy session id (its value is not kept: it is a resumption handle).
    pub session_id_len: u8,
    /// Cipher suites in order, as sent (GREASE included).
    pub cipher_suites: Vec<u16>,
    /// Their names (`TLS_AES_128_GCM_SHA256`, `GREASE`, or `0x1234` when not in Ward's table).
    pub cipher_suite_names: Vec<Cow<'static, str>>,
    /// SSLv2 CLIENT-HELLO only: the 3-byte cipher kinds as sent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sslv2_cipher_kinds: Vec<u32>,
    /// Compression methods (0 = null, 1 = DEFLATE).
    pub compression_methods: Vec<u8>,
    /// Extension types in order, as sent (GREASE included).
    pub extensions: Vec<u16>,
    /// Their names.
    pub extension_names: Vec<Cow<'static, str>>,
    /// server_name (SNI) host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    /// ALPN protocols offered, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alpn: Vec<String>,
    /// supported_groups, in order (GREASE included).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supported_groups: Vec<u16>,
    /// Their names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supported_group_names: Vec<Cow<'static, str>>,
    /// ec_point_formats, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ec_point_formats: Vec<u8>,
    /// signature_algorithms, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signature_algorithms: Vec<u16>,
    /// Their names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signature_algorithm_names: Vec<Cow<'static, str>>,
    /// Groups of the key_share entries (TLS 1.3), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_share_groups: Vec<u16>,
    /// The session_ticket extension is present.
    pub session_ticket: bool,
    /// Length of the ticket carried (non-zero: a resumption attempt; the ticket is not kept).
    pub session_ticket_len: usize,
    /// The pre_shared_key extension is present (TLS 1.3 resumption or external PSK).
    pub pre_shared_key: bool,
    /// The early_data extension is present (0-RTT).
    pub early_data: bool,
    /// Some list carried a GREASE value (RFC 8701).
    pub grease: bool,
    /// JA3 string: `version,ciphers,extensions,groups,point_formats`, decimal, GREASE removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja3: Option<String>,
    /// MD5 of the JA3 string, lowercase hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja3_hash: Option<String>,
    /// JA4 client fingerprint (`t13d1516h2_8daaf6152771_e5627efa2ab1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja4: Option<String>,
}

/// A ServerHello or HelloRetryRequest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ServerHello {
    /// Version in the record header.
    pub record_version: u16,
    /// `legacy_version` (server_version).
    pub legacy_version: u16,
    /// The negotiated version: supported_versions' selected version when present (TLS 1.3),
    /// else `legacy_version`.
    pub version: u16,
    /// Its name (`TLS 1.2`, `TLS 1.3`, `TLS 1.3 draft-28`).
    pub version_name: Cow<'static, str>,
    /// Length of the session id (the value is not kept).
    pub session_id_len: u8,
    /// The chosen cipher suite.
    pub cipher_suite: u16,
    /// Its name (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`, or `0x1234`).
    pub cipher_suite_name: Cow<'static, str>,
    /// The suite's weaknesses (`NULL`, `EXPORT`, `anonymous`, `RC4`, `DES`, `3DES`, `RC2`,
    /// `IDEA`, `MD5 MAC`); empty for strong or unknown suites.
    pub cipher_suite_weaknesses: Vec<CipherWeakness>,
    /// The chosen compression method (1 = DEFLATE: CRIME).
    pub compression_method: u8,
    /// Extension types in order.
    pub extensions: Vec<u16>,
    /// Their names.
    pub extension_names: Vec<Cow<'static, str>>,
    /// The ALPN protocol chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpn: Option<String>,
    /// TLS 1.3 key_share group chosen (or requested, in a HelloRetryRequest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_share_group: Option<u16>,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_share_group_name: Option<Cow<'static, str>>,
    /// RFC 8446 §4.1.3 downgrade sentinel in the random: `TLS 1.2` or `TLS 1.1 or below`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downgrade_sentinel: Option<&'static str>,
    /// JA3S string `version,cipher,extensions` (decimal, GREASE removed).
    pub ja3s: String,
    /// MD5 of the JA3S string.
    pub ja3s_hash: String,
}

/// A Certificate message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateChain {
    /// Number of certificates in the message (including any beyond `tls.max_certificates`).
    pub chain_length: usize,
    /// The first `tls.max_certificates` of them, leaf first.
    pub certificates: Vec<Certificate>,
}

/// One X.509 certificate. Subject and issuer are rendered as Suricata logs them: RDNs in
/// encoding order, `SN=value` with OpenSSL short names (`C`, `ST`, `L`, `O`, `OU`, `CN`,
/// `emailAddress`, ..., else the dotted OID), joined by `, ` (and ` + ` inside a multi-valued
/// RDN); that is OpenSSL's `-nameopt oneline` without spaces around `=` and without its quoting
/// of values; control characters are escaped as `\XX`. A client's certificate (sent toward the
/// server) may name a person: its subject, CN, O and SANs are withheld.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Certificate {
    /// Size of the DER encoding.
    pub der_len: usize,
    /// SHA-256 of the DER, lowercase hex with colons.
    pub sha256_fingerprint: String,
    /// SHA-1 of the DER, lowercase hex with colons (Suricata's `tls.fingerprint`).
    pub sha1_fingerprint: String,
    /// X.509 version (1, 2, 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u8>,
    /// Serial number: the INTEGER's content octets, uppercase hex with colons (Suricata's form;
    /// a leading 00 octet stays, OpenSSL's `-serial` drops it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Subject DN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// First subject commonName.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_cn: Option<String>,
    /// First subject organizationName.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_o: Option<String>,
    /// Issuer DN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// First issuer commonName.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_cn: Option<String>,
    /// First issuer organizationName.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_o: Option<String>,
    /// notBefore, RFC 3339 UTC (`2022-12-01T06:47:31Z`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// notBefore as seconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before_unix: Option<i64>,
    /// notAfter, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// notAfter as seconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after_unix: Option<i64>,
    /// Public key type: `RSA`, `RSA-PSS`, `EC`, `Ed25519`, `Ed448`, `X25519`, `X448`, `DSA`,
    /// `DH`, else the dotted OID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_type: Option<Cow<'static, str>>,
    /// Key size in bits: RSA modulus, DSA/DH prime, EC curve order size, 256 for Ed25519.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_bits: Option<u32>,
    /// EC named curve, OpenSSL's name (`prime256v1`, `secp384r1`...), or the dotted OID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<Cow<'static, str>>,
    /// Signature algorithm, OpenSSL's name (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`,
    /// `rsassaPss`, `ED25519`...), or the dotted OID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<Cow<'static, str>>,
    /// The signature's hash: `md2`, `md4`, `md5`, `sha1`, `sha224`, `sha256`, `sha384`,
    /// `sha512`, or `none` (EdDSA signs the message itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_hash: Option<&'static str>,
    /// subjectAltName dNSName entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub san_dns: Vec<String>,
    /// subjectAltName iPAddress entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub san_ip: Vec<String>,
    /// Other subjectAltName entries (e-mail, URI, directory name...): counted, not kept.
    #[serde(skip_serializing_if = "is_zero")]
    pub san_other: u32,
    /// basicConstraints cA, when the extension is present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_ca: Option<bool>,
    /// Issuer name equals subject name, byte for byte. The signature is NOT verified against
    /// the certificate's own key: this is "claims to be self-issued", which is what a passive
    /// sensor can see.
    pub self_signed: bool,
    /// A client certificate: subject, CN, O and SANs are withheld (they may name a person).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub subject_withheld: bool,
    /// Why parsing stopped early (fields read before it are kept): `truncated`, `length`,
    /// `tag`, `structure`, `time`, `oid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_error: Option<&'static str>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A ServerKeyExchange (TLS 1.2 and older).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ServerKeyExchange {
    /// Key exchange of the chosen suite: `ECDHE`, `DHE`, `RSA` (export), `PSK`, `DHE_PSK`,
    /// `ECDHE_PSK`, `SRP`...
    pub key_exchange: &'static str,
    /// ECDHE named curve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub named_group: Option<u16>,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub named_group_name: Option<Cow<'static, str>>,
    /// ECDHE with explicit curve parameters (RFC 8422 deprecates them).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub explicit_curve: bool,
    /// DHE prime size in bits (below 2048 is weak: Logjam).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dh_group_bits: Option<u32>,
    /// RSA_EXPORT temporary key modulus size in bits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rsa_modulus_bits: Option<u32>,
    /// TLS 1.2 signature scheme of the parameters' signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<u16>,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithm_name: Option<Cow<'static, str>>,
}

/// A cleartext alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// 1 = warning, 2 = fatal.
    pub level: u8,
    /// Alert description code.
    pub description: u8,
    /// Its name (`handshake_failure`, `unknown_ca`...).
    pub description_name: &'static str,
}

/// Per-flow totals, emitted when both directions have ended (not after a capture gap).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Summary {
    /// Negotiated version from the ServerHello.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u16>,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_name: Option<Cow<'static, str>>,
    /// Chosen cipher suite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher_suite: Option<u16>,
    /// The handshake reached encryption (ChangeCipherSpec, or a TLS 1.3 ServerHello).
    pub encrypted: bool,
    /// Client to server.
    pub client: DirectionSummary,
    /// Server to client.
    pub server: DirectionSummary,
}

/// What one direction carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct DirectionSummary {
    /// TLS records seen.
    pub records: u64,
    /// Cleartext handshake messages, by name, in order (capped by `tls.max_messages`).
    pub handshake_messages: Vec<&'static str>,
    /// A ChangeCipherSpec was sent.
    pub change_cipher_spec: bool,
    /// Encrypted handshake records (Finished, TLS 1.3 flights): counted, not read.
    pub encrypted_handshake_records: u64,
    /// Application data records: counted, never read or kept.
    pub application_data_records: u64,
    /// Bytes of application data record payloads.
    pub application_data_bytes: u64,
    /// Alert records (cleartext ones are also reported one by one).
    pub alert_records: u64,
    /// Heartbeat records (RFC 6520).
    pub heartbeat_records: u64,
}

/// What makes a certificate untrustworthy to a passive observer (no chain validation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertWeakness {
    /// Issuer name equals subject name (the signature is not verified).
    SelfSigned,
    /// notAfter is before the given time.
    Expired,
    /// notBefore is after the given time.
    NotYetValid,
    /// RSA, DSA or DH key below 2048 bits, or an EC key below 224 bits.
    WeakKey,
    /// Signed with MD2, MD4, MD5 or SHA-1.
    WeakSignature,
}

impl Certificate {
    /// The certificate's weaknesses at `now` (seconds since the Unix epoch; pass the packet's
    /// time, not the wall clock, when analysing a capture).
    #[must_use]
    pub fn weaknesses(&self, now: i64) -> Vec<CertWeakness> {
        let mut w = Vec::new();
        if self.self_signed {
            w.push(CertWeakness::SelfSigned);
        }
        if self.not_after_unix.is_some_and(|t| t < now) {
            w.push(CertWeakness::Expired);
        }
        if self.not_before_unix.is_some_and(|t| t > now) {
            w.push(CertWeakness::NotYetValid);
        }
        let min = match self.key_type.as_deref() {
            Some("RSA" | "RSA-PSS" | "DSA" | "DH") => 2048,
            Some("EC") => 224,
            _ => 0,
        };
        if self.key_bits.is_some_and(|b| b < min) {
            w.push(CertWeakness::WeakKey);
        }
        if matches!(self.signature_hash, Some("md2" | "md4" | "md5" | "sha1")) {
            w.push(CertWeakness::WeakSignature);
        }
        w
    }
}

impl ServerKeyExchange {
    /// A finite-field DH group below 2048 bits (Logjam; NIST SP 800-57) or an RSA_EXPORT key.
    #[must_use]
    pub fn weak_group(&self) -> bool {
        self.dh_group_bits.is_some_and(|b| b < 2048) || self.rsa_modulus_bits.is_some()
    }
}
