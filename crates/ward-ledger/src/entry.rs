//! The audit record and its canonical encoding (version 1).
//!
//! An entry says who did what to which pseudonymous subject, when, from where, and how it
//! ended. It carries identifiers only: an entry is kept forever and copied to witnesses and
//! exports, so it must never hold patient data (no names, no record contents, no free text
//! beyond a short reason code). The validation below enforces the shape of identifiers
//! (no spaces, no control characters, bounded lengths), which keeps names and sentences out
//! by construction; what an identifier *means* is the caller's responsibility.
//!
//! Canonical encoding v1 (all integers big-endian), one fixed order, no optional padding:
//!
//! ```text
//! u8   version = 1
//! u64  time, unix milliseconds
//! u8   actor kind: 1 user, 2 sensor, 3 device, 4 system
//! u16  length, actor id (UTF-8)
//! u16  length, action (UTF-8)
//! u16  length, subject (UTF-8)
//! u8   outcome: 1 success, 2 failure, 3 denied
//! u8   source: 0 absent, 4 IPv4 (then 4 bytes), 6 IPv6 (then 16 bytes)
//! u8   reason: 0 absent, 1 present (then u16 length, UTF-8)
//! ```
//!
//! Decoding is strict: unknown tags, invalid UTF-8, values the validation refuses and trailing
//! bytes are errors, so every valid entry has exactly one encoding and its leaf hash is stable.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Current encoding version (the first byte of every encoded entry).
pub const VERSION: u8 = 1;
/// Longest actor id or subject, in bytes.
pub const MAX_ID: usize = 256;
/// Longest action name, in bytes.
pub const MAX_ACTION: usize = 64;
/// Longest reason, in bytes.
pub const MAX_REASON: usize = 256;
/// Longest encoded entry.
pub const MAX_ENCODED: usize = 1 + 8 + 1 + 2 + MAX_ID + 2 + MAX_ACTION + 2 + MAX_ID + 1 + 17 + 3 + MAX_REASON;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    /// A member of staff or a patient, by account id.
    User,
    /// A Ward sensor.
    Sensor,
    /// A medical device.
    Device,
    /// Ward itself (a timer, a migration).
    System,
}

/// The actor of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// What kind of actor.
    pub kind: ActorKind,
    /// Its pseudonymous identifier (account id, sensor name, device id).
    pub id: String,
}

/// How the action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Done.
    Success,
    /// Attempted and failed (wrong password, error).
    Failure,
    /// Refused by policy (no permission).
    Denied,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// When, in milliseconds since the Unix epoch.
    pub time: u64,
    /// Who.
    pub actor: Actor,
    /// What, as a dotted name: `auth.sign_in`, `finding.assign`.
    pub action: String,
    /// To what: a pseudonymous identifier (asset id, finding id, account id), never PHI.
    pub subject: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The network address the request came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<IpAddr>,
    /// A short reason code or phrase (`mfa_missing`, `token expired`); never patient data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Why an entry is refused or cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// The bytes end before the entry does.
    #[error("entry is truncated")]
    Truncated,
    /// The version byte is not one this build reads.
    #[error("unknown entry version {0}")]
    Version(u8),
    /// A tag byte has no meaning.
    #[error("invalid {field} tag {tag}")]
    Tag {
        /// Which field.
        field: &'static str,
        /// The byte found.
        tag: u8,
    },
    /// A field breaks its rules.
    #[error("invalid {field}: {why}")]
    Field {
        /// Which field.
        field: &'static str,
        /// Which rule (never the value: it may be what we refuse to store).
        why: &'static str,
    },
    /// Bytes follow the entry.
    #[error("{0} trailing bytes after the entry")]
    Trailing(usize),
    /// The JSON form cannot be read.
    #[error("invalid JSON entry: {0}")]
    Json(String),
}

fn check_id(field: &'static str, s: &str, max: usize) -> Result<(), EntryError> {
    if s.is_empty() {
        return Err(EntryError::Field { field, why: "empty" });
    }
    if s.len() > max {
        return Err(EntryError::Field { field, why: "too long" });
    }
    // Identifiers: visible ASCII without spaces. Names and sentences do not fit.
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(EntryError::Field { field, why: "only visible ASCII without spaces is allowed" });
    }
    Ok(())
}

fn check_action(s: &str) -> Result<(), EntryError> {
    const FIELD: &str = "action";
    if s.is_empty() || s.len() > MAX_ACTION {
        return Err(EntryError::Field { field: FIELD, why: "must be 1 to 64 bytes" });
    }
    if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_' || b == b'-') {
        return Err(EntryError::Field { field: FIELD, why: "only a-z, 0-9, '.', '_' and '-' are allowed" });
    }
    Ok(())
}

fn check_reason(s: &str) -> Result<(), EntryError> {
    const FIELD: &str = "reason";
    if s.is_empty() || s.len() > MAX_REASON {
        return Err(EntryError::Field { field: FIELD, why: "must be 1 to 256 bytes" });
    }
    if !s.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
        return Err(EntryError::Field { field: FIELD, why: "only printable ASCII is allowed" });
    }
    Ok(())
}

impl ActorKind {
    fn tag(self) -> u8 {
        match self {
            ActorKind::User => 1,
            ActorKind::Sensor => 2,
            ActorKind::Device => 3,
            ActorKind::System => 4,
        }
    }
}

impl Outcome {
    fn tag(self) -> u8 {
        match self {
            Outcome::Success => 1,
            Outcome::Failure => 2,
            Outcome::Denied => 3,
        }
    }
}

impl Entry {
    /// Check every field's rules.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn validate(&self) -> Result<(), EntryError> {
        check_id("actor id", &self.actor.id, MAX_ID)?;
        check_action(&self.action)?;
        check_id("subject", &self.subject, MAX_ID)?;
        if let Some(r) = &self.reason {
            check_reason(r)?;
        }
        Ok(())
    }

    /// The canonical v1 encoding.
    ///
    /// # Errors
    /// When a field breaks its rules (nothing invalid is ever encoded).
    pub fn encode(&self) -> Result<Vec<u8>, EntryError> {
        self.validate()?;
        let mut out = Vec::with_capacity(64 + self.actor.id.len() + self.action.len() + self.subject.len());
        out.push(VERSION);
        out.extend_from_slice(&self.time.to_be_bytes());
        out.push(self.actor.kind.tag());
        for s in [&self.actor.id, &self.action, &self.subject] {
            put_str(&mut out, s);
        }
        out.push(self.outcome.tag());
        match self.source {
            None => out.push(0),
            Some(IpAddr::V4(a)) => {
                out.push(4);
                out.extend_from_slice(&a.octets());
            }
            Some(IpAddr::V6(a)) => {
                out.push(6);
                out.extend_from_slice(&a.octets());
            }
        }
        match &self.reason {
            None => out.push(0),
            Some(r) => {
                out.push(1);
                put_str(&mut out, r);
            }
        }
        Ok(out)
    }

    /// Decode the canonical encoding (strictly; see the module documentation).
    ///
    /// # Errors
    /// What is wrong with the bytes.
    pub fn decode(bytes: &[u8]) -> Result<Entry, EntryError> {
        let mut r = Reader { rest: bytes };
        let version = r.u8()?;
        if version != VERSION {
            return Err(EntryError::Version(version));
        }
        let time = u64::from_be_bytes(r.array()?);
        let kind = match r.u8()? {
            1 => ActorKind::User,
            2 => ActorKind::Sensor,
            3 => ActorKind::Device,
            4 => ActorKind::System,
            tag => return Err(EntryError::Tag { field: "actor kind", tag }),
        };
        let id = r.string("actor id")?;
        let action = r.string("action")?;
        let subject = r.string("subject")?;
        let outcome = match r.u8()? {
            1 => Outcome::Success,
            2 => Outcome::Failure,
            3 => Outcome::Denied,
            tag => return Err(EntryError::Tag { field: "outcome", tag }),
        };
        let source = match r.u8()? {
            0 => None,
            4 => Some(IpAddr::from(r.array::<4>()?)),
            6 => Some(IpAddr::from(r.array::<16>()?)),
            tag => return Err(EntryError::Tag { field: "source", tag }),
        };
        let reason = match r.u8()? {
            0 => None,
            1 => Some(r.string("reason")?),
            tag => return Err(EntryError::Tag { field: "reason", tag }),
        };
        if !r.rest.is_empty() {
            return Err(EntryError::Trailing(r.rest.len()));
        }
        let e = Entry { time, actor: Actor { kind, id }, action, subject, outcome, source, reason };
        e.validate()?;
        Ok(e)
    }

    /// Read one entry from its JSON form (the CLI's input).
    ///
    /// # Errors
    /// Invalid JSON, unknown fields, or a field that breaks its rules.
    pub fn from_json(text: &str) -> Result<Entry, EntryError> {
        // serde_json's message names the line, column and expected type, never a value.
        let e: Entry = serde_json::from_str(text).map_err(|err| EntryError::Json(format!("line {} column {}: {}", err.line(), err.column(), classify(&err))))?;
        e.validate()?;
        Ok(e)
    }
}

fn classify(err: &serde_json::Error) -> &'static str {
    match err.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "missing, unknown or mistyped field",
        serde_json::error::Category::Eof => "unexpected end",
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    // Validated lengths are at most MAX_REASON/MAX_ID, far below u16::MAX.
    let len = u16::try_from(s.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// A reader that cannot read past its slice.
struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], EntryError> {
        if self.rest.len() < n {
            return Err(EntryError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, EntryError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], EntryError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn string(&mut self, field: &'static str) -> Result<String, EntryError> {
        let len = usize::from(u16::from_be_bytes(self.array()?));
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| EntryError::Field { field, why: "not UTF-8" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Entry {
        Entry {
            time: 1_700_000_000_123,
            actor: Actor { kind: ActorKind::User, id: "u-42".into() },
            action: "auth.sign_in".into(),
            subject: "account:u-42".into(),
            outcome: Outcome::Denied,
            source: Some("10.1.2.3".parse().expect("ip")),
            reason: Some("mfa_missing".into()),
        }
    }

    #[test]
    fn canonical_bytes_annotated() {
        let e = Entry { source: None, reason: None, ..sample() };
        let b = e.encode().expect("valid");
        let mut want = vec![
            0x01, // version 1
            0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b, // time 1700000000123 ms
            0x01, // actor kind: user
            0x00, 0x04, // actor id length 4
        ];
        want.extend_from_slice(b"u-42");
        want.extend_from_slice(&[0x00, 0x0c]); // action length 12
        want.extend_from_slice(b"auth.sign_in");
        want.extend_from_slice(&[0x00, 0x0c]); // subject length 12
        want.extend_from_slice(b"account:u-42");
        want.extend_from_slice(&[
            0x03, // outcome: denied
            0x00, // no source
            0x00, // no reason
        ]);
        assert_eq!(b, want);
        assert_eq!(Entry::decode(&b), Ok(e));
    }

    #[test]
    fn round_trips_and_rejects_trailing_and_truncated() {
        let e = sample();
        let b = e.encode().expect("valid");
        assert_eq!(Entry::decode(&b).as_ref(), Ok(&e));
        let mut longer = b.clone();
        longer.push(0);
        assert_eq!(Entry::decode(&longer), Err(EntryError::Trailing(1)));
        for cut in 0..b.len() {
            assert!(Entry::decode(&b[..cut]).is_err(), "cut at {cut}");
        }
        let v6 = Entry { source: Some("fe80::1".parse().expect("ip")), ..sample() };
        assert_eq!(Entry::decode(&v6.encode().expect("valid")), Ok(v6));
    }

    #[test]
    fn names_and_sentences_do_not_fit_identifier_fields() {
        let e = Entry { subject: "Jane Doe".into(), ..sample() };
        assert!(matches!(e.encode(), Err(EntryError::Field { field: "subject", .. })));
        let e = Entry { action: "Auth.SignIn".into(), ..sample() };
        assert!(e.encode().is_err());
        let e = Entry { reason: Some("line\nbreak".into()), ..sample() };
        assert!(e.encode().is_err());
        let e = Entry { actor: Actor { kind: ActorKind::User, id: String::new() }, ..sample() };
        assert!(e.encode().is_err());
    }

    #[test]
    fn json_form() {
        let e = sample();
        let j = serde_json::to_string(&e).expect("json");
        assert_eq!(
            j,
            r#"{"time":1700000000123,"actor":{"kind":"user","id":"u-42"},"action":"auth.sign_in","subject":"account:u-42","outcome":"denied","source":"10.1.2.3","reason":"mfa_missing"}"#
        );
        assert_eq!(Entry::from_json(&j), Ok(e));
        assert!(Entry::from_json(r#"{"time":1,"actor":{"kind":"robot","id":"x"},"action":"a","subject":"s","outcome":"success"}"#).is_err());
        assert!(Entry::from_json(r#"{"time":1,"actor":{"kind":"user","id":"x"},"action":"a","subject":"s","outcome":"success","patient":"x"}"#).is_err());
    }
}
