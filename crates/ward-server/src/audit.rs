//! The audit trail: one interface through which the server records every sign-in and failure,
//! MFA event, permission denial, change, export and token use — who, what, when, from where,
//! the outcome and why. Records name people and devices by account names and store ids only,
//! never a patient value or a secret.
//!
//! Every record is appended to the tamper-evident ledger (`ward-ledger`) when the server has
//! one; the server's audit page and exports read it back from there.

use serde::{Deserialize, Serialize};
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
    /// Whether record `index` is proved included in the current signed tree (`None`: this sink
    /// has no proofs).
    fn proved(&self, index: u64) -> Option<bool> {
        let _ = index;
        None
    }
}

impl<T: AuditSink> AuditSink for std::sync::Arc<T> {
    fn record(&self, r: &AuditRecord) -> Result<(), String> {
        (**self).record(r)
    }
    fn recent(&self, limit: usize) -> Result<Vec<(u64, AuditRecord)>, String> {
        (**self).recent(limit)
    }
    fn proved(&self, index: u64) -> Option<bool> {
        (**self).proved(index)
    }
}

/// Now in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The audit trail in the tamper-evident ledger: every record is a ledger entry, durable (group
/// commit) before `record` returns; signed checkpoints are made on a timer and at shutdown, and
/// copied to the witness directory when one is configured.
///
/// On SQLite (one server process) the ledger is the directory `DATA/ledger`. On PostgreSQL its
/// log, tree and checkpoints are in the database, one ledger for every replica (their commits
/// and checkpoints take turns under an advisory lock); `DATA/ledger` then holds only the
/// signing key and configuration, which every replica must share (the database keeps the
/// public key to check that, never the private one).
#[derive(Debug)]
pub struct LedgerAudit {
    ledger: std::sync::Arc<ward_ledger::Ledger>,
    dir: PathBuf,
    /// Held while appending and while exporting, so an export copies files at rest.
    gate: Mutex<()>,
    /// The ledger's verifier key.
    verifier: ward_ledger::VerifierKey,
    /// The checkpoints' origin line when the ledger is in the database; `None`: in `dir`.
    in_database: Option<String>,
}

impl LedgerAudit {
    /// Open the ledger, making `DATA/ledger` (and its Ed25519 key) on first start. `witness`: a
    /// directory on another volume that receives every checkpoint. `database`: the server's
    /// database URL; a PostgreSQL one holds the ledger.
    pub fn open(data_dir: &Path, witness: Option<&Path>, database: Option<&str>) -> Result<LedgerAudit, String> {
        let dir = data_dir.join("ledger");
        if !dir.join(ward_ledger::dir::CONFIG).exists() {
            ward_ledger::init_dir(&dir, "ward-server/audit", witness).map_err(|e| format!("cannot make the ledger in {}: {e}", dir.display()))?;
        }
        let signer = ward_ledger::dir_signer(&dir).map_err(|e| format!("cannot read the ledger's key in {}: {e}", dir.display()))?;
        let verifier = signer.key.verifier().clone();
        let Some(url) = database.filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://")) else {
            let (ledger, recovery) = ward_ledger::Ledger::open_dir(&dir).map_err(|e| format!("cannot open the ledger in {}: {e}", dir.display()))?;
            eprintln!("ward server: audit ledger in {} ({} entries; {recovery:?})", dir.display(), ledger.head().size);
            return Ok(LedgerAudit { ledger: std::sync::Arc::new(ledger), dir, gate: Mutex::new(()), verifier, in_database: None });
        };
        let mut signer = signer;
        if let Some(w) = witness {
            // Each replica copies the checkpoints it signs to its own witness directory (the one
            // named in a ledger.json copied from the first replica is that replica's).
            std::fs::create_dir_all(w).map_err(|e| format!("cannot make the witness directory {}: {e}", w.display()))?;
            let w = std::fs::canonicalize(w).map_err(|e| format!("{}: {e}", w.display()))?;
            let public = w.join(ward_ledger::dir::PUBLIC_KEY);
            if !public.exists() {
                std::fs::write(&public, format!("{}\n", verifier.to_text())).map_err(|e| format!("{}: {e}", public.display()))?;
            }
            signer.witness = Some(w);
        }
        let origin = signer.origin.clone();
        let store = ward_ledger::sql::SqlStore::open(url).map_err(|e| format!("cannot open the audit ledger in the database: {e}"))?;
        let ledger = ward_ledger::Ledger::with_storage(std::sync::Arc::new(store), Some(signer)).map_err(|e| format!("cannot open the audit ledger in the database: {e}"))?;
        eprintln!("ward server: audit ledger in the database, shared by its replicas ({} entries), signed with the key in {}", ledger.head().size, dir.display());
        // Entries a directory ledger took before (this server on PostgreSQL before the ledger
        // moved into the database) stay where they are, as they are.
        if std::fs::metadata(dir.join(ward_ledger::dir::LOG)).is_ok_and(|m| m.len() > 0) {
            eprintln!("ward server: the earlier audit ledger in {} is kept as it was and still verifies offline (ward ledger verify --dir); new records go to the database", dir.display());
        }
        Ok(LedgerAudit { ledger: std::sync::Arc::new(ledger), dir, gate: Mutex::new(()), verifier, in_database: Some(origin) })
    }

    /// The ledger (for the checkpoint timer).
    pub fn ledger(&self) -> &std::sync::Arc<ward_ledger::Ledger> {
        &self.ledger
    }

    /// The ledger's directory (its key and configuration; its log too unless in the database).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The ledger's verifier key.
    pub fn verifier(&self) -> &ward_ledger::VerifierKey {
        &self.verifier
    }

    /// Whether the ledger is in the database (shared by replicas).
    pub fn in_database(&self) -> bool {
        self.in_database.is_some()
    }

    /// A signed checkpoint of everything so far.
    pub fn checkpoint(&self) -> Result<(), String> {
        self.ledger.checkpoint().map(|_| ()).map_err(|e| e.to_string())
    }

    /// A self-contained export (log, tree, checkpoints, public key) as a tar archive that
    /// `ward ledger verify --export DIR --key ledger.pub` checks offline. A fresh checkpoint is
    /// made first, so the export covers every entry (of every replica, in the database).
    pub fn export_tar(&self) -> Result<(Vec<u8>, u64), String> {
        let mut r = [0u8; 8];
        aws_lc_rs::rand::fill(&mut r).map_err(|_| "random".to_string())?;
        let tmp = self.dir.with_file_name(format!("ledger-export-{}", r.iter().map(|b| format!("{b:02x}")).collect::<String>()));
        let size = match &self.in_database {
            // Rows are read at a consistent point: no need to hold appends back.
            Some(origin) => {
                self.ledger.checkpoint().map_err(|e| e.to_string())?;
                ward_ledger::export_storage(self.ledger.storage(), &self.verifier, origin, &tmp).map_err(|e| e.to_string())
            }
            None => {
                let _held = self.gate.lock().map_err(|_| "ledger gate poisoned".to_string())?;
                self.ledger.checkpoint().map_err(|e| e.to_string())?;
                self.ledger.export_open(&self.dir, &tmp).map_err(|e| e.to_string())
            }
        };
        let tar = size.and_then(|n| tar_dir(&tmp, "ward-ledger-export").map(|t| (t, n)));
        let _ = std::fs::remove_dir_all(&tmp);
        tar
    }

    /// Whether entry `index` is proved included in the current tree (inclusion proof checked
    /// against the current root).
    pub fn proved(&self, index: u64) -> bool {
        let head = self.ledger.head();
        let Ok(bytes) = self.ledger.storage().read_entry(index) else { return false };
        let Ok(proof) = self.ledger.prove_inclusion(index, Some(head.size)) else { return false };
        ward_ledger::tree::verify_inclusion(&ward_ledger::hash::leaf_hash(&bytes), &proof, &head.root).is_ok()
    }
}

/// An identifier as the ledger takes it: visible ASCII without spaces, at most 128 bytes (any
/// other byte becomes `_`), so that no record is ever refused for its spelling.
fn ledger_id(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if c.is_ascii_graphic() { c } else { '_' }).take(128).collect();
    if out.is_empty() {
        out.push('-');
    }
    out
}

fn to_entry(r: &AuditRecord) -> ward_ledger::Entry {
    let action: String = r.action.chars().map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c) { c } else { '_' }).take(64).collect();
    let reason = r.reason.as_ref().map(|t| t.chars().map(|c| if c == ' ' || c.is_ascii_graphic() { c } else { '?' }).take(256).collect::<String>()).filter(|t| !t.is_empty());
    ward_ledger::Entry {
        time: u64::try_from(r.time_ms).unwrap_or(0),
        actor: ward_ledger::Actor {
            kind: match r.actor_kind {
                ActorKind::User => ward_ledger::ActorKind::User,
                ActorKind::Sensor => ward_ledger::ActorKind::Sensor,
                ActorKind::System => ward_ledger::ActorKind::System,
            },
            id: ledger_id(&r.actor),
        },
        action: if action.is_empty() { "unknown".into() } else { action },
        subject: ledger_id(&r.subject),
        outcome: match r.outcome {
            Outcome::Success => ward_ledger::Outcome::Success,
            Outcome::Failure => ward_ledger::Outcome::Failure,
            Outcome::Denied => ward_ledger::Outcome::Denied,
        },
        source: r.source.as_deref().and_then(|s| s.parse().ok()),
        reason,
    }
}

fn from_entry(e: ward_ledger::Entry) -> AuditRecord {
    AuditRecord {
        time_ms: i64::try_from(e.time).unwrap_or(i64::MAX),
        actor_kind: match e.actor.kind {
            ward_ledger::ActorKind::User => ActorKind::User,
            ward_ledger::ActorKind::Sensor => ActorKind::Sensor,
            ward_ledger::ActorKind::Device | ward_ledger::ActorKind::System => ActorKind::System,
        },
        actor: e.actor.id,
        action: e.action,
        subject: e.subject,
        outcome: match e.outcome {
            ward_ledger::Outcome::Success => Outcome::Success,
            ward_ledger::Outcome::Failure => Outcome::Failure,
            ward_ledger::Outcome::Denied => Outcome::Denied,
        },
        source: e.source.map(|a| a.to_string()),
        reason: e.reason,
    }
}

impl AuditSink for LedgerAudit {
    fn record(&self, r: &AuditRecord) -> Result<(), String> {
        let entry = to_entry(r);
        let _held = self.gate.lock().map_err(|_| "ledger gate poisoned".to_string())?;
        // The append waits for its group commit (milliseconds); on the server's multi-thread
        // runtime the worker hands its other tasks over while it waits.
        let append = || self.ledger.append(&entry).map(|_| ()).map_err(|e| e.to_string());
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(append),
            _ => append(),
        }
    }

    fn recent(&self, limit: usize) -> Result<Vec<(u64, AuditRecord)>, String> {
        // Up to what every replica has committed (in the database; the same head otherwise).
        let size = self.ledger.sync_head().map_err(|e| e.to_string())?.size;
        let mut out = Vec::new();
        for i in (size.saturating_sub(limit as u64)..size).rev() {
            let bytes = self.ledger.storage().read_entry(i).map_err(|e| e.to_string())?;
            let e = ward_ledger::Entry::decode(&bytes).map_err(|e| format!("entry {i}: {e}"))?;
            out.push((i, from_entry(e)));
        }
        Ok(out)
    }

    fn proved(&self, index: u64) -> Option<bool> {
        Some(LedgerAudit::proved(self, index))
    }
}

/// A ustar archive of the regular files under `dir` (one level of subdirectories), named
/// `prefix/...`. Small and dependency-free: the export holds a handful of files.
fn tar_dir(dir: &Path, prefix: &str) -> Result<Vec<u8>, String> {
    fn header(name: &str, size: u64, mode: u32, dir: bool) -> Result<[u8; 512], String> {
        let mut h = [0u8; 512];
        if name.len() > 99 {
            return Err(format!("{name}: name too long for tar"));
        }
        h[..name.len()].copy_from_slice(name.as_bytes());
        let octal = |h: &mut [u8; 512], at: usize, len: usize, v: u64| {
            let s = format!("{v:0width$o}\0", width = len - 1);
            h[at..at + len].copy_from_slice(s.as_bytes());
        };
        octal(&mut h, 100, 8, u64::from(mode));
        octal(&mut h, 108, 8, 0);
        octal(&mut h, 116, 8, 0);
        octal(&mut h, 124, 12, size);
        octal(&mut h, 136, 12, 0);
        h[156] = if dir { b'5' } else { b'0' };
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        Ok(h)
    }
    let mut out = Vec::new();
    let add_dir = |rel: &str, path: &Path, out: &mut Vec<u8>| -> Result<(), String> {
        out.extend_from_slice(&header(&format!("{prefix}/{rel}"), 0, 0o755, true)?);
        let mut names: Vec<_> = std::fs::read_dir(path).map_err(|e| e.to_string())?.filter_map(Result::ok).collect();
        names.sort_by_key(std::fs::DirEntry::file_name);
        for e in names {
            let name = e.file_name().to_string_lossy().into_owned();
            let p = e.path();
            if p.is_dir() {
                continue;
            }
            let data = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            let rel_name = if rel.is_empty() { name } else { format!("{rel}{name}") };
            out.extend_from_slice(&header(&format!("{prefix}/{rel_name}"), data.len() as u64, 0o644, false)?);
            out.extend_from_slice(&data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        Ok(())
    };
    add_dir("", dir, &mut out)?;
    for e in std::fs::read_dir(dir).map_err(|e| e.to_string())?.filter_map(Result::ok) {
        if e.path().is_dir() {
            let name = e.file_name().to_string_lossy().into_owned();
            add_dir(&format!("{name}/"), &e.path(), &mut out)?;
        }
    }
    out.extend_from_slice(&[0u8; 1024]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the server's code puts in a record, the ledger takes it: spaces in a subject,
    /// capitals and spaces in an action, a long or non-ASCII reason are made to fit, never
    /// refused (a refused record would be a hole in the trail).
    #[test]
    fn every_record_fits_the_ledger() {
        let r = AuditRecord {
            time_ms: 1,
            actor_kind: ActorKind::User,
            actor: "ann auditor".into(),
            action: "Finding.Resolve now".into(),
            subject: "user:(first administrator)".into(),
            outcome: Outcome::Denied,
            source: Some("local".into()),
            reason: Some(format!("é{}", "x".repeat(400))),
        };
        let e = to_entry(&r);
        assert!(e.encode().is_ok(), "{e:?}");
        assert_eq!((e.actor.id.as_str(), e.subject.as_str(), e.action.as_str()), ("ann_auditor", "user:(first_administrator)", "_inding._esolve_now"));
        assert_eq!(e.reason.as_deref().map(str::len), Some(256));
        assert!(e.source.is_none());
        let empty = AuditRecord { actor: String::new(), subject: String::new(), action: String::new(), reason: Some(String::new()), ..r };
        assert!(to_entry(&empty).encode().is_ok());
    }
}
