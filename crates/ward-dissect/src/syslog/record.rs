//! The syslog record: one message's header. The message text and structured-data values are
//! never kept.

use serde::Serialize;

fn is_false(b: &bool) -> bool {
    !*b
}

/// One syslog message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SyslogRecord {
    /// `rfc5424` or `rfc3164` (anything with a PRI that is not RFC 5424).
    pub format: &'static str,
    /// `udp`, `octet-counting` or `non-transparent` (RFC 6587 §3.4).
    pub framing: &'static str,
    /// PRI value (facility × 8 + severity).
    pub pri: u8,
    /// Facility number (RFC 5424 §6.2.1 table 1).
    pub facility: u8,
    /// Facility name: `kern`, `user`, `mail`, `daemon`, `auth`, `syslog`, `lpr`, `news`,
    /// `uucp`, `cron`, `authpriv`, `ftp`, `ntp`, `security`, `console`, `solaris-cron`,
    /// `local0`..`local7`.
    pub facility_name: &'static str,
    /// Severity number (RFC 5424 §6.2.1 table 2).
    pub severity: u8,
    /// Severity name: `emergency`, `alert`, `critical`, `error`, `warning`, `notice`,
    /// `informational`, `debug`.
    pub severity_name: &'static str,
    /// RFC 5424 VERSION.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u16>,
    /// Timestamp as sent (RFC 5424 RFC 3339 form, or RFC 3164 `Mmm dd hh:mm:ss`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// HOSTNAME: a device identity clue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// APP-NAME (RFC 5424) or TAG (RFC 3164): a device/software identity clue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
    /// PROCID (RFC 5424) or the `[pid]` after a 3164 TAG.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procid: Option<String>,
    /// MSGID (RFC 5424).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msgid: Option<String>,
    /// SD-IDs of the structured-data elements, in order (parameter values are not kept).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sd_ids: Vec<String>,
    /// Length in bytes of the MSG part (trailing CR/LF/NUL excluded).
    pub message_length: u32,
    /// RFC 5424 MSG begins with a UTF-8 BOM (§6.4).
    #[serde(skip_serializing_if = "is_false")]
    pub bom: bool,
    /// The message text looks like it carries a credential (`password=`, `passwd:`, `pwd=`,
    /// `secret=`, `token=`...). Nothing more is said about it.
    #[serde(skip_serializing_if = "is_false")]
    pub credentials_hint: bool,
}
