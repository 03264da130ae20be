//! HTTP/1.0 and HTTP/1.1 (RFC 9112).
//!
//! SKELETON: registered so the workspace builds; the dissector is being written.

mod record;
mod session;

pub use record::HttpRecord;
pub use session::{INFO, HttpLimits, fuzz};
