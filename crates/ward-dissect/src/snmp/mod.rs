//! SNMP v1/v2c/v3 (RFC 1157, RFC 3416, RFC 3412).
//!
//! SKELETON: registered so the workspace builds; the dissector is being written.

mod record;
mod session;

pub use record::SnmpRecord;
pub use session::{INFO, SnmpLimits, fuzz};
