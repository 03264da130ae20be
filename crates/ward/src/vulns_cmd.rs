//! `ward vulns`: known vulnerabilities across all devices (wiring only; the ideas live in
//! `ward-intel`), and the `--advisories` option of `ward analyze`.

use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use ward_intel::assess::{Assessment, assess};
use ward_intel::matcher::Knowledge;
use ward_intel::names::Aliases;
use ward_model::report::AnalyzeReport;

/// Output format of `ward vulns`.
#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum VulnsFormat {
    /// Devices by risk, with their matches, reasons and remediations.
    Table,
    /// The `ward.vulns-report/1` JSON document.
    Json,
}

/// `ward vulns` arguments.
#[derive(clap::Args, Debug)]
pub struct VulnsArgs {
    /// CSAF 2.0 advisories: a directory of `*.json` or one file.
    #[arg(long, value_name = "DIR")]
    advisories: PathBuf,
    /// The devices: a `ward analyze` JSON report, or an asset list (CSV with the columns asset,
    /// manufacturer, model, version; or JSON).
    #[arg(long, value_name = "FILE")]
    inventory: PathBuf,
    /// CISA's Known Exploited Vulnerabilities catalog (its JSON feed).
    #[arg(long, value_name = "FILE")]
    kev: Option<PathBuf>,
    /// EPSS scores (CSV: cve,epss,percentile).
    #[arg(long, value_name = "FILE")]
    epss: Option<PathBuf>,
    /// SBOMs of device models (CycloneDX 1.4-1.6 or SPDX 2.3 JSON): a directory or one file.
    #[arg(long, value_name = "DIR")]
    sbom: Option<PathBuf>,
    /// More vendor aliases (format: knowledge/vendors/README.md), read after the shipped ones.
    #[arg(long, value_name = "FILE")]
    aliases: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = VulnsFormat::Table)]
    format: VulnsFormat,
    /// Write here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

fn knowledge(advisories: &Path, aliases: Option<&Path>) -> Result<Knowledge> {
    if !advisories.exists() {
        bail!("no advisories at {}", advisories.display());
    }
    let (ok, errors) = ward_intel::csaf::load_path(advisories);
    for e in &errors {
        eprintln!("ward: warning: advisory skipped: {}: {}", e.path.display(), e.reason);
    }
    let mut table = Aliases::shipped().clone();
    if let Some(p) = aliases {
        let text = std::fs::read_to_string(p).with_context(|| format!("cannot read aliases {}", p.display()))?;
        if let Err(errs) = table.add(&text) {
            for e in errs {
                eprintln!("ward: warning: {}: {e}", p.display());
            }
        }
    }
    Ok(Knowledge::new(ok, &table))
}

/// Runs `ward vulns`.
pub fn run(a: &VulnsArgs) -> Result<ExitCode> {
    let mut k = knowledge(&a.advisories, a.aliases.as_deref())?;
    if let Some(p) = &a.kev {
        let (kev, bad) = ward_intel::kev::Kev::load(p).map_err(anyhow::Error::msg)?;
        if bad > 0 {
            eprintln!("ward: warning: {}: {bad} catalog entries without a CVE id were skipped", p.display());
        }
        k.kev = Some(kev);
    }
    if let Some(p) = &a.epss {
        let (epss, problems) = ward_intel::epss::Epss::load(p).map_err(anyhow::Error::msg)?;
        for e in problems {
            eprintln!("ward: warning: {}: {e}", p.display());
        }
        k.epss = Some(epss);
    }
    let sboms = match &a.sbom {
        Some(p) => {
            let (ok, errors) = ward_intel::sbom::load_path(p);
            for e in &errors {
                eprintln!("ward: warning: SBOM skipped: {}: {}", e.path.display(), e.reason);
            }
            ok
        }
        None => Vec::new(),
    };
    let inv = ward_intel::inventory::load(&a.inventory).map_err(|e| anyhow::anyhow!("{}: {e}", a.inventory.display()))?;
    for w in &inv.warnings {
        eprintln!("ward: warning: {}: {w}", a.inventory.display());
    }
    let review = k.unparsed_versions().len();
    if review > 0 {
        eprintln!(
            "ward: note: {review} of {} advisory product entries have versions that need review; devices matching them are flagged",
            k.entry_count()
        );
    }
    let result = assess(&k, &inv.devices, sboms);
    let mut sink: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(BufWriter::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    match a.format {
        VulnsFormat::Json => {
            serde_json::to_writer_pretty(&mut sink, &result)?;
            writeln!(sink)?;
        }
        VulnsFormat::Table => write_table(&result, &mut sink)?,
    }
    sink.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn write_table(r: &Assessment, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "{} devices checked, {} with known vulnerabilities, {} matches", r.devices, r.risks.len(), r.matches.len())?;
    // The matches come grouped per device, in the order of `risks`, `risk.matches` of each.
    let mut next = 0;
    for risk in &r.risks {
        let start = next;
        next = (start + risk.matches).min(r.matches.len());
        writeln!(w)?;
        writeln!(w, "{:5.1}  {}  ({}; {} matches, {} need review)", risk.score, risk.asset, risk.kind, risk.matches, risk.needs_review)?;
        for reason in &risk.reasons {
            writeln!(w, "       +{:4.1}  {}", reason.points, reason.text)?;
        }
        for m in &r.matches[start..next] {
            writeln!(
                w,
                "       {} {} CVSS {} [{}{}]  {}",
                m.advisory,
                m.cve.as_deref().unwrap_or("-"),
                m.cvss.map_or_else(|| "-".into(), |c| format!("{c:.1}")),
                m.how.as_str(),
                if m.needs_review { ", needs review" } else { "" },
                m.product
            )?;
        }
        for (i, s) in risk.remediations.iter().enumerate() {
            let mut action = s.action.clone();
            if action.len() > 160 {
                let mut end = 157;
                while !action.is_char_boundary(end) {
                    end -= 1;
                }
                action.truncate(end);
                action.push_str("...");
            }
            writeln!(w, "       {}. -{:.1} {} ({}): {}", i + 1, s.reduces_by, s.category, s.advisory, action)?;
        }
    }
    Ok(())
}

/// `ward analyze --advisories DIR`: adds `known-vulnerability` findings to the report.
pub fn add_findings(report: &mut AnalyzeReport, advisories: &Path) -> Result<()> {
    let k = knowledge(advisories, None)?;
    ward_intel::assess::add_findings(report, &k);
    Ok(())
}
