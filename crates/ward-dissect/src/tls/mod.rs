//! TLS and SSL handshakes, passively (RFC 5246, RFC 8446, RFC 6101; SSL 2.0-compatible hellos).
//!
//! Medical devices speak TLS with whatever library their firmware froze: TLS 1.0, RC4 and 3DES
//! suites, self-signed RSA-1024 certificates signed with SHA-1, expired ones. The dissector
//! reads the cleartext part of each handshake and reports it as facts: versions offered and
//! chosen, cipher suites with names and weaknesses, extensions, SNI, ALPN, groups and signature
//! schemes, JA3/JA3S and JA4 fingerprints, the certificate chain (TLS 1.2 and older) read by a
//! small bounded DER reader, and the ServerKeyExchange group. The sensor turns them into
//! findings with the helpers exported here.
//!
//! Once a direction is encrypted (after ChangeCipherSpec; after the ServerHello in TLS 1.3) its
//! records are counted from their headers and skipped unread: application data is never
//! buffered, parsed or kept.

mod parser;
mod record;
mod session;
mod sha1;
mod tables;
mod text;
mod x509;
#[cfg(test)]
mod tests;

pub use parser::{ja3, ja4, Ja4Input};
pub use record::{
    Alert, CertWeakness, Certificate, CertificateChain, ClientHello, DirectionSummary, ServerHello, ServerKeyExchange, Summary,
    TlsRecord,
};
pub use session::{fuzz, TlsLimits, INFO, MAX_RECORD};
pub use tables::{
    alert_name, cipher_suite_label, cipher_suite_name, cipher_suite_weaknesses, extension_name, group_name,
    is_deprecated_version, is_grease, is_tls13, key_exchange, signature_scheme_name, version_name, CipherWeakness,
    KeyExchange, KxMethod,
};
