//! The FTP record: one control-connection command or reply. Arguments are never kept (user
//! names, passwords and file names, which in PACS exports carry patient names); only the verb,
//! whether an argument was sent, and reply codes with the text of the greeting and SYST reply.

use serde::Serialize;

/// One FTP command or reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct FtpRecord {
    /// `request` or `reply`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Request: the command verb, upper-cased (`USER`, `PASS`, `RETR`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Request: an argument followed the verb (its value is not kept).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub argument_present: bool,
    /// Request: `USER anonymous` or `USER ftp` (the one argument value Ward names).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub anonymous: bool,
    /// Reply: the three-digit code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// Reply: the text of a 220 greeting or a 215 SYST reply (a device clue), first line only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}
