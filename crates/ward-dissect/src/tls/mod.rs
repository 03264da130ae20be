//! TLS handshake (RFC 5246, RFC 8446).
//!
//! SKELETON: registered so the workspace builds; the dissector is being written.

mod record;
mod session;

pub use record::TlsRecord;
pub use session::{INFO, TlsLimits, fuzz};
