//! `ward ledger`: the tamper-evident audit ledger from the command line (ward-ledger does the work).

use anyhow::{Context, Result, bail};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use ward_ledger::verify::{VerifyOptions, verify};
use ward_ledger::{Entry, Ledger, export_dir, init_dir, read_verifier};

#[derive(clap::Args, Debug)]
pub struct LedgerArgs {
    #[command(subcommand)]
    command: LedgerCommand,
}

#[derive(clap::Subcommand, Debug)]
enum LedgerCommand {
    /// Create a ledger directory and its Ed25519 signing key (private key 0600, `ledger.pub`).
    Init {
        /// The ledger directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The checkpoints' origin line, also the key's name: a unique name for this log.
        #[arg(long, default_value = "ward/ledger")]
        origin: String,
        /// External witness directory (other storage, other host) that receives a copy of every
        /// checkpoint; `verify` compares against it to detect a rolled-back or rewritten ledger.
        #[arg(long, value_name = "DIR")]
        witness: Option<PathBuf>,
    },
    /// Append entries read as JSON lines from standard input; prints each entry's index once it
    /// is durable (one per line, in input order).
    Append {
        /// The ledger directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Sign a checkpoint of the current tree head, keep it and copy it to the witness.
    Checkpoint {
        /// The ledger directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Verify a ledger (or an export): every record, the tree, every checkpoint, the witness copy.
    /// Exits 1 naming the first bad index and what is wrong.
    Verify {
        /// The ledger directory.
        #[arg(long, value_name = "DIR", required_unless_present = "export", conflicts_with = "export")]
        dir: Option<PathBuf>,
        /// An export made by `ward ledger export`.
        #[arg(long, value_name = "DIR")]
        export: Option<PathBuf>,
        /// The verifier key to trust (default: the directory's own ledger.pub, which proves
        /// less: pass the key you kept elsewhere).
        #[arg(long, value_name = "PUB")]
        key: Option<PathBuf>,
        /// The witness directory (default: the one configured at init).
        #[arg(long, value_name = "DIR")]
        witness: Option<PathBuf>,
    },
    /// Print an inclusion proof (with --index) or a consistency proof (with --old) as JSON.
    Prove {
        /// The ledger directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The entry to prove included.
        #[arg(long, required_unless_present = "old")]
        index: Option<u64>,
        /// The earlier tree size to prove a prefix of --size.
        #[arg(long, conflicts_with = "index")]
        old: Option<u64>,
        /// The tree size (default: the whole log).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Write a self-contained copy that verifies offline with the public key (from a ledger
    /// directory, or from the server's database with --db and --key).
    Export {
        /// The ledger directory.
        #[arg(long, value_name = "DIR", required_unless_present = "db", conflicts_with = "db")]
        dir: Option<PathBuf>,
        /// The server's database holding the ledger (`sqlite:PATH` or `postgres://...`).
        #[arg(long, value_name = "URL", requires = "key")]
        db: Option<String>,
        /// The ledger's verifier key (with --db; its name is the origin).
        #[arg(long, value_name = "PUB")]
        key: Option<PathBuf>,
        /// Where to write it (must not exist).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

pub fn run(args: &LedgerArgs) -> Result<ExitCode> {
    match &args.command {
        LedgerCommand::Init { dir, origin, witness } => {
            let key = init_dir(dir, origin, witness.as_deref())?;
            println!("{}", key.to_text());
            eprintln!("ward: ledger created in {}; keep a copy of {} away from it", dir.display(), dir.join("ledger.pub").display());
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Append { dir } => append(dir),
        LedgerCommand::Checkpoint { dir } => {
            let ledger = open(dir)?;
            let (_, note) = ledger.checkpoint()?;
            print!("{note}");
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Verify { dir, export, key, witness } => {
            let Some(d) = dir.as_ref().or(export.as_ref()) else { bail!("--dir or --export is required") };
            run_verify(d, key.as_deref(), witness.clone())
        }
        LedgerCommand::Prove { dir, index, old, size } => prove(dir, *index, *old, *size),
        LedgerCommand::Export { dir, db, key, out } => {
            let n = match (dir, db, key) {
                (Some(dir), _, _) => export_dir(dir, out)?,
                (None, Some(url), Some(key)) => {
                    let key = read_verifier(key)?;
                    let store = ward_ledger::sql::SqlStore::open(url).context("cannot open the database")?;
                    ward_ledger::export_storage(&store, &key, key.name(), out)?
                }
                _ => bail!("--dir, or --db with --key, is required"),
            };
            eprintln!("ward: exported {n} entries to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn open(dir: &Path) -> Result<Ledger> {
    let (ledger, rec) = Ledger::open_dir(dir).with_context(|| format!("cannot open the ledger in {}", dir.display()))?;
    if rec.log_bytes_cut > 0 || rec.entries_cut > 0 {
        eprintln!(
            "ward: recovered {}: cut a torn tail of {} bytes ({} unacknowledged entries); {} entries remain",
            dir.display(),
            rec.log_bytes_cut,
            rec.entries_cut,
            rec.size
        );
    }
    Ok(ledger)
}

/// Lines are submitted as they arrive and acknowledged in order as their commits complete, so
/// a slow producer still gets each index promptly and a fast one gets group commit.
fn append(dir: &Path) -> Result<ExitCode> {
    let ledger = std::sync::Arc::new(open(dir)?);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<ward_ledger::Pending, String>>(ward_ledger::MAX_BATCH);
    let l = std::sync::Arc::clone(&ledger);
    let reader = std::thread::spawn(move || {
        let stdin = std::io::stdin().lock();
        for (n, line) in stdin.lines().enumerate() {
            let sent = match line {
                Err(e) => tx.send(Err(format!("standard input: {e}"))),
                Ok(line) if line.trim().is_empty() => continue,
                Ok(line) => match Entry::from_json(&line).map_err(ward_ledger::LedgerError::from).and_then(|e| l.submit(&e)) {
                    Ok(p) => tx.send(Ok(p)),
                    Err(e) => tx.send(Err(format!("line {}: {e}", n + 1))),
                },
            };
            if sent.is_err() {
                break;
            }
        }
    });
    let mut out = std::io::stdout().lock();
    let mut failed = None;
    for p in rx {
        match p {
            Ok(p) => {
                let index = p.wait()?;
                writeln!(out, "{index}")?;
                out.flush()?;
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    drop(out);
    if let Some(e) = failed {
        bail!("{e} (entries before it were appended)");
    }
    let _ = reader.join();
    Ok(ExitCode::SUCCESS)
}

fn run_verify(dir: &Path, key: Option<&Path>, witness: Option<PathBuf>) -> Result<ExitCode> {
    let own = dir.join("ledger.pub");
    let key_path = key.unwrap_or(&own);
    if key.is_none() {
        eprintln!("ward: verifying with the ledger's own {}; pass --key with a copy kept elsewhere for an independent check", own.display());
    }
    let key = read_verifier(key_path).with_context(|| format!("cannot read the verifier key {}", key_path.display()))?;
    let report = verify(&VerifyOptions { dir: dir.to_path_buf(), key, witness })?;
    for n in &report.notes {
        eprintln!("ward: note: {n}");
    }
    if let Some(first) = report.first() {
        match first.index {
            Some(i) => eprintln!("ward: ledger verification FAILED at index {i}: {}", first.message),
            None => eprintln!("ward: ledger verification FAILED: {}", first.message),
        }
        for p in &report.problems {
            eprintln!("  - {}", p.message);
        }
        return Ok(ExitCode::from(1));
    }
    println!(
        "ok: {} entries, root {}, {} checkpoints verified, {} witness checkpoints match",
        report.size,
        ward_ledger::hash::to_hex(&report.root),
        report.checkpoints,
        report.witness_checkpoints
    );
    Ok(ExitCode::SUCCESS)
}

fn prove(dir: &Path, index: Option<u64>, old: Option<u64>, size: Option<u64>) -> Result<ExitCode> {
    let ledger = open(dir)?;
    let size = size.unwrap_or(ledger.head().size);
    let root = ward_ledger::hash::to_hex(&ledger.root_at(size)?);
    let doc = if let Some(i) = index {
        let proof = ledger.prove_inclusion(i, Some(size))?;
        let entry = Entry::decode(&ledger.storage().read_entry(i)?)?;
        let leaf = ward_ledger::hash::leaf_hash(&entry.encode()?);
        serde_json::json!({ "inclusion": proof, "root": root, "entry": entry, "leaf_hash": ward_ledger::hash::to_hex(&leaf) })
    } else if let Some(old) = old {
        let proof = ledger.prove_consistency(old, size)?;
        let old_root = ward_ledger::hash::to_hex(&ledger.root_at(old)?);
        serde_json::json!({ "consistency": proof, "old_root": old_root, "root": root })
    } else {
        bail!("--index or --old is required");
    };
    // The newest stored checkpoint of exactly this size, so the proof can be checked with the
    // public key alone.
    let mut doc = doc;
    let note = ledger.storage().checkpoints()?.into_iter().rev().map(|(_, n)| n).find(|n| {
        ward_ledger::note::parse_note(n).ok().and_then(|p| ward_ledger::Checkpoint::parse_text(p.text).ok()).is_some_and(|c| c.size == size)
    });
    match note {
        Some(n) => doc["checkpoint"] = serde_json::Value::String(n),
        None => eprintln!("ward: no stored checkpoint has size {size}; run `ward ledger checkpoint` to sign one"),
    }
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(ExitCode::SUCCESS)
}
