//! The snmp record.

use serde::Serialize;

/// One snmp message or transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnmpRecord {
    /// Message kind.
    #[serde(rename = "type")]
    pub kind: &'static str,
}
