//! The SNMP record: one message. The community string is a password: only its presence, length
//! and whether it is a well-known default are kept. Values are kept only for the MIB-II system
//! identity objects in responses; every other binding is named by OID.

use serde::Serialize;

/// One SNMP message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SnmpRecord {
    /// `1`, `2c` or `3`.
    pub version: &'static str,
    /// The PDU: `get`, `getnext`, `response`, `set`, `trap`, `getbulk`, `inform`, `trap2`,
    /// `report`; `encrypted` for a v3 message with privacy.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// v1/v2c: a community string was sent (its value is never kept).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub community_present: bool,
    /// v1/v2c: its length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community_length: Option<usize>,
    /// v1/v2c: it is one of the well-known defaults (`public`, `private`...).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub community_is_default: bool,
    /// v3: msgFlags say authentication / privacy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub v3_auth: Option<bool>,
    /// v3: privacy (encrypted scoped PDU).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub v3_priv: Option<bool>,
    /// Request id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    /// Error status of a response (0: noError).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_status: Option<i64>,
    /// OIDs of the variable bindings, dotted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub oids: Vec<String>,
    /// Response: sysDescr.0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sys_descr: Option<String>,
    /// Response: sysObjectID.0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sys_object_id: Option<String>,
    /// Response: sysName.0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sys_name: Option<String>,
}
