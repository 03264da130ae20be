//! The audit trail: one interface through which the server records every sign-in and failure,
//! MFA event, permission denial, change, export and token use — who, what, when, from where,
//! the outcome and why. Records name people and devices by account names and store ids only,
//! never a patient value or a secret.
//!
//! Every record is appended to the tamper-evident ledger (`ward-ledger`) when the server has
//! one; the server's audit page and exports read it back from there.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A person signed in (or trying to).
    User,
    /// A sensor with its token.
    Sensor,
    /// The server itself (start, setup link).
    System,
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Success,
    /// A factor was wrong, or the request could not be carried out.
    Failure,
    /// Not allowed: the role may not do this (an unauthorized use).
    Denied,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Unix milliseconds.
    pub time_ms: i64,
    /// Kind of actor.
    pub actor_kind: ActorKind,
    /// Account name, sensor name, or `ward`; `unknown:<name>` is never written: an unknown
    /// user name at sign-in is recorded as `(unknown)` so a mistyped password in the name
    /// field does not land in the trail.
    pub actor: String,
    /// What, dotted: `auth.sign_in`, `auth.totp`, `finding.acknowledge`, `user.create`...
    pub action: String,
    /// What it was done to: `finding:42`, `user:3`, `asset:7`, `export:findings.csv`.
    pub subject: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The client's address.
    pub source: Option<String>,
    /// Why (for failures and denials: which rule; for accepted risks: the reason given).
    pub reason: Option<String>,
}

/// Where audit records go. Appends are durable when `record` returns.
pub trait AuditSink: Send + Sync + std::fmt::Debug {
    /// Append one record.
    fn record(&self, r: &AuditRecord) -> Result<(), String>;
    /// The most recent records, newest first (at most `limit`), with their index in the trail.
    fn recent(&self, limit: usize) -> Result<Vec<(u64, AuditRecord)>, String>;
}

/// JSON lines in one append-only file under the data directory, each record fsynced.
#[derive(Debug)]
pub struct FileAudit {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl FileAudit {
    /// Open (creating, owner-only) `dir/audit.jsonl`.
    pub fn open(dir: &Path) -> Result<FileAudit, String> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = dir.join("audit.jsonl");
        let file = std::fs::OpenOptions::new().append(true).create(true).mode(0o600).open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(FileAudit { path, file: Mutex::new(file) })
    }
}

impl AuditSink for FileAudit {
    fn record(&self, r: &AuditRecord) -> Result<(), String> {
        let mut line = serde_json::to_vec(r).map_err(|e| e.to_string())?;
        line.push(b'\n');
        let mut f = self.file.lock().map_err(|_| "audit file lock poisoned".to_string())?;
        f.write_all(&line).and_then(|()| f.sync_data()).map_err(|e| format!("{}: {e}", self.path.display()))
    }

    fn recent(&self, limit: usize) -> Result<Vec<(u64, AuditRecord)>, String> {
        let text = std::fs::read_to_string(&self.path).map_err(|e| format!("{}: {e}", self.path.display()))?;
        let all: Vec<(u64, AuditRecord)> = text.lines().enumerate().filter_map(|(i, l)| serde_json::from_str(l).ok().map(|r| (i as u64, r))).collect();
        Ok(all.into_iter().rev().take(limit).collect())
    }
}

/// Now in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
