//! The Telnet record: what a login looked like, never what was typed. The banner (the server's
//! text before its first login prompt) is kept: it names the device.

use serde::Serialize;

/// One Telnet observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct TelnetRecord {
    /// `banner` or `login`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Banner: its non-empty lines before the prompt, joined by ` | `.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// Login: the client answered a login prompt (the name is not kept).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub username_sent: bool,
    /// Login: the client answered a password prompt (the password is not kept).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub password_sent: bool,
    /// Login: `accepted`, `rejected` or `unknown`, from the server's next words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    /// Telnet options negotiated (DO/WILL), by number, first seen order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<u8>,
}
