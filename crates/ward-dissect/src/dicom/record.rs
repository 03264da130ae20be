//! The DICOM record: one association event or one DIMSE message. Field names follow tshark's
//! `dicom.*` fields where tshark has one. Patient attributes are named by DICOM keyword, never
//! valued; user identity negotiation is reported by type, never its username or passcode.

use serde::Serialize;
use std::collections::BTreeMap;

/// One DICOM event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct DicomRecord {
    /// `associate_rq`, `associate_ac`, `associate_rj`, `release_rq`, `release_rp`, `abort`,
    /// `command` (a DIMSE message), or `association` (the summary when it ends).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Calling AE title (trimmed), from the association request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calling_ae: Option<String>,
    /// Called AE title (trimmed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub called_ae: Option<String>,
    /// A-ASSOCIATE: application context name (UID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_context: Option<String>,
    /// A-ASSOCIATE: presentation contexts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub presentation_contexts: Vec<PresentationContext>,
    /// A-ASSOCIATE: maximum PDU length the sender can receive (0: unlimited).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pdu_length: Option<u32>,
    /// A-ASSOCIATE: implementation class UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation_class_uid: Option<String>,
    /// A-ASSOCIATE: implementation version name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation_version_name: Option<String>,
    /// A-ASSOCIATE-RQ: user identity negotiation type (`username`, `username-passcode`,
    /// `kerberos`, `saml`, `jwt`): present, never its values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_identity: Option<&'static str>,
    /// A-ASSOCIATE-RJ / A-ABORT: result (1 permanent, 2 transient).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<u8>,
    /// A-ASSOCIATE-RJ / A-ABORT: source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<u8>,
    /// A-ASSOCIATE-RJ / A-ABORT: reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<u8>,
    /// The reason in words (PS3.8 table 9-21 / 9-26).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_name: Option<&'static str>,
    /// DIMSE: command (`C-STORE-RQ`, `C-FIND-RSP`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<&'static str>,
    /// DIMSE: presentation context id the message used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presentation_context_id: Option<u8>,
    /// DIMSE: message id, or the id responded to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<u16>,
    /// DIMSE: affected or requested SOP class UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sop_class: Option<String>,
    /// Its name, when Ward knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sop_class_name: Option<&'static str>,
    /// DIMSE responses: status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `success`, `pending`, `cancel`, `warning` or `failure` (PS3.7 annex C).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_category: Option<&'static str>,
    /// C-MOVE-RQ: destination AE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub move_destination: Option<String>,
    /// DIMSE: a data set followed the command.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub has_dataset: bool,
    /// Its size in bytes (all fragments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_size: Option<u64>,
    /// Why the data set was not (fully) read: `deflated`, `limit`, `malformed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_not_decoded: Option<&'static str>,
    /// Device-identifying attributes of the data set, with values: keyword -> value
    /// (Manufacturer, ManufacturerModelName, SoftwareVersions, StationName,
    /// DeviceSerialNumber, Modality, InstitutionName, SOPClassUID).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub device: BTreeMap<&'static str, String>,
    /// Patient attributes present in the data set, by keyword; never their values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patient_attributes: Vec<&'static str>,
    /// Association summary: whether it was accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<bool>,
    /// Association summary: DIMSE commands by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub commands: BTreeMap<&'static str, u32>,
    /// Association summary: some data set carried patient attributes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub patient_data: bool,
    /// Association summary: `release`, `abort`, `reject`, `closed` (TCP ended without
    /// release) or `gap` (bytes lost).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<&'static str>,
}

/// One presentation context of an A-ASSOCIATE-RQ or -AC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PresentationContext {
    /// Context id (odd, 1-255).
    pub id: u8,
    /// RQ: abstract syntax (SOP class) UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abstract_syntax: Option<String>,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abstract_syntax_name: Option<&'static str>,
    /// Transfer syntax UIDs proposed (RQ) or the one accepted (AC).
    pub transfer_syntaxes: Vec<String>,
    /// AC: result (0 acceptance, 1 user-rejection, 2 no-reason, 3 abstract syntax not
    /// supported, 4 transfer syntaxes not supported).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<u8>,
}
