//! The MQTT record: one control packet. No password, username or payload value is ever kept.

use serde::Serialize;

/// One MQTT control packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MqttRecord {
    /// Packet type: `connect`, `connack`, `publish`, `puback`, `pubrec`, `pubrel`, `pubcomp`,
    /// `subscribe`, `suback`, `unsubscribe`, `unsuback`, `pingreq`, `pingresp`, `disconnect`, `auth`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Fixed header DUP flag.
    pub dup: bool,
    /// Fixed header QoS.
    pub qos: u8,
    /// Fixed header RETAIN flag.
    pub retain: bool,
    /// Remaining length of the packet.
    pub length: u32,
    /// CONNECT: protocol name (`MQTT` or `MQIsdp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_string: Option<String>,
    /// CONNECT: protocol level (3 = 3.1, 4 = 3.1.1, 5 = 5.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<u8>,
    /// CONNECT: client identifier (a device identifier, not a secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// CONNECT: a username was sent (its value is not kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username_present: Option<bool>,
    /// CONNECT: a password was sent (its value is not kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_present: Option<bool>,
    /// CONNECT: a will message is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub will: Option<bool>,
    /// CONNECT: clean session / clean start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clean_session: Option<bool>,
    /// CONNECT: keep-alive seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<u16>,
    /// CONNACK: session present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_present: Option<bool>,
    /// CONNACK return code (3.x) or reason code (5.0); also PUBACK/DISCONNECT... reason codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_code: Option<u8>,
    /// PUBLISH: topic name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Packet identifier, where the packet has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<u16>,
    /// PUBLISH: payload size in bytes (the payload itself is not kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_size: Option<u32>,
    /// PUBLISH: signs of patient data in the payload's first 4 KiB (`json:patient`,
    /// `fhir:Patient`, `hl7v2:PID`...; see `crate::phi`), by name only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phi_indicators: Vec<&'static str>,
    /// SUBSCRIBE/UNSUBSCRIBE: topic filters with requested QoS.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<MqttTopic>,
    /// SUBACK: granted QoS (or reason codes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub granted: Vec<u8>,
    /// MQTT 5 property identifiers present, by name (values are not kept).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<&'static str>,
}

/// A topic filter in SUBSCRIBE or UNSUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MqttTopic {
    /// The filter.
    pub topic: String,
    /// Requested QoS (SUBSCRIBE only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qos: Option<u8>,
}
