//! The HL7 record: one message's header and the names of the sensitive fields it carries.

use serde::Serialize;
use std::borrow::Cow;

/// One HL7 v2 message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hl7Record {
    /// `mllp` when framed, `raw` when HL7 arrived without MLLP blocks.
    pub framing: &'static str,
    /// Segment separator in use: `cr`, `lf` or `crlf`.
    pub segment_separator: &'static str,
    /// MSH-3 sending application (first component).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sending_application: Option<String>,
    /// MSH-4 sending facility.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sending_facility: Option<String>,
    /// MSH-5 receiving application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiving_application: Option<String>,
    /// MSH-6 receiving facility.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiving_facility: Option<String>,
    /// MSH-9.1 message type (`ORU`, `ADT`, `ACK`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// MSH-9.2 trigger event (`R01`, `A01`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_event: Option<String>,
    /// MSH-9.3 message structure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_structure: Option<String>,
    /// MSH-10 message control id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_id: Option<String>,
    /// MSH-11 processing id (`P` production, `T` training, `D` debugging).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_id: Option<String>,
    /// MSH-12 version (`2.3`, `2.5.1`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// MSA-1 acknowledgement code (`AA`, `AE`, `AR`, `CA`, `CE`, `CR`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack_code: Option<String>,
    /// MSA-2: control id of the message acknowledged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_control_id: Option<String>,
    /// Part of a batch (FHS/BHS envelope).
    pub batch: bool,
    /// Segment ids in order (capped by the limits).
    pub segments: Vec<Cow<'static, str>>,
    /// Patient-identifying and clinical fields present (non-empty), as `SEG-n name`; never values.
    pub phi_fields: Vec<Cow<'static, str>>,
}

impl Hl7Record {
    /// True if the message carries any patient-identifying or clinical field.
    #[must_use]
    pub fn carries_phi(&self) -> bool {
        !self.phi_fields.is_empty()
    }
}
