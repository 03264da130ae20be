//! The whole assessment of an inventory: every match as a record, every device's risk, in the
//! order a hospital should look at them; and the `known-vulnerability` findings of an analyze
//! report.

use crate::inventory::Device;
use crate::matcher::{Knowledge, Match, MatchRecord, Matcher};
use crate::risk::{DeviceRisk, score};
use crate::sbom::Sbom;
use serde::Serialize;
use std::collections::BTreeMap;
use ward_model::Severity;
use ward_model::report::{AnalyzeReport, Finding};

/// Identifier of the `ward vulns` JSON format.
pub const SCHEMA_VERSION: &str = "ward.vulns-report/1";

/// The finding kind added to analyze reports.
pub const FINDING_KIND: &str = "known-vulnerability";

/// What `ward vulns` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    /// Always [`SCHEMA_VERSION`].
    pub schema: &'static str,
    /// Devices checked.
    pub devices: usize,
    /// Every match, most urgent device first, then confirmed before review, worst CVSS first.
    pub matches: Vec<MatchRecord>,
    /// Devices with at least one match, highest risk first.
    pub risks: Vec<DeviceRisk>,
}

/// Matches and scores every device.
#[must_use]
pub fn assess(k: &Knowledge, devices: &[Device], sboms: Vec<Sbom>) -> Assessment {
    let mut matcher = Matcher::new(k, sboms);
    let all = matcher.match_all(devices);
    let mut by_device: BTreeMap<usize, Vec<&Match>> = BTreeMap::new();
    for m in &all {
        by_device.entry(m.device).or_default().push(m);
    }
    let mut risks: Vec<(DeviceRisk, usize)> = by_device.iter().map(|(&i, ms)| (score(k, &devices[i], ms), i)).collect();
    risks.sort_by(|(a, _), (b, _)| b.score.total_cmp(&a.score).then_with(|| a.asset.cmp(&b.asset)));
    let mut matches = Vec::with_capacity(all.len());
    for (_, i) in &risks {
        let mut recs: Vec<MatchRecord> = by_device.get(i).into_iter().flatten().map(|m| k.record(&devices[*i], m)).collect();
        recs.sort_by(|a, b| {
            a.needs_review
                .cmp(&b.needs_review)
                .then_with(|| b.cvss.unwrap_or(0.0).total_cmp(&a.cvss.unwrap_or(0.0)))
                .then_with(|| a.advisory.cmp(&b.advisory))
                .then_with(|| a.cve.cmp(&b.cve))
        });
        matches.extend(recs);
    }
    Assessment { schema: SCHEMA_VERSION, devices: devices.len(), matches, risks: risks.into_iter().map(|(r, _)| r).collect() }
}

fn severity(cvss: Option<f64>, review_only: bool) -> Severity {
    if review_only {
        return Severity::Low;
    }
    match cvss {
        Some(s) if s >= 9.0 => Severity::Critical,
        Some(s) if s >= 7.0 => Severity::High,
        Some(s) if s >= 4.0 => Severity::Medium,
        Some(_) => Severity::Low,
        None => Severity::Medium,
    }
}

/// Adds one `known-vulnerability` finding per (asset, advisory) to an analyze report, from the
/// identities its fingerprinting found. Returns how many were added.
pub fn add_findings(report: &mut AnalyzeReport, k: &Knowledge) -> usize {
    let inv = crate::inventory::from_report(report);
    let a = assess(k, &inv.devices, Vec::new());
    // Group the records per (asset, advisory), keeping the asset order of the assessment.
    let mut groups: Vec<((String, String), Vec<&MatchRecord>)> = Vec::new();
    for r in &a.matches {
        let key = (r.asset.clone(), r.advisory.clone());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(r),
            None => groups.push((key, vec![r])),
        }
    }
    let mut added = 0;
    for ((asset, advisory), recs) in groups {
        let Some(asset_rec) = report.assets.iter().find(|x| x.id == asset) else { continue };
        let review_only = recs.iter().all(|r| r.needs_review);
        let cvss = recs.iter().filter(|r| !r.needs_review || review_only).filter_map(|r| r.cvss).fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
        let cves: Vec<String> = recs.iter().filter_map(|r| r.cve.clone()).collect();
        let first = recs[0];
        let mut evidence = BTreeMap::new();
        evidence.insert("advisory".to_string(), advisory.clone());
        evidence.insert("advisory_title".to_string(), first.advisory_title.clone());
        evidence.insert("cves".to_string(), cves.join(", "));
        if let Some(c) = cvss {
            evidence.insert("cvss".to_string(), format!("{c:.1}"));
        }
        evidence.insert("match".to_string(), first.how.as_str().to_string());
        evidence.insert("why".to_string(), first.why.clone());
        evidence.insert("product".to_string(), first.product.clone());
        if let Some(v) = &first.version_range {
            evidence.insert("version_range".to_string(), v.clone());
        }
        evidence.insert("needs_review".to_string(), review_only.to_string());
        if recs.iter().any(|r| r.kev) {
            evidence.insert("kev".to_string(), "true".to_string());
        }
        let mut model = [first.manufacturer.as_deref(), first.model.as_deref(), first.version.as_deref()].iter().flatten().copied().collect::<Vec<_>>().join(" ");
        if let Some(c) = &first.component {
            model = if model.is_empty() { format!("{c} on {asset}") } else { format!("{c} in {model}") };
        } else if model.is_empty() {
            model.clone_from(&asset);
        }
        let title = if review_only {
            format!("{model} may be affected by {advisory} ({}) — needs review", cves.join(", "))
        } else {
            format!("{model} is affected by {advisory}: {} known vulnerabilit{} ({})", cves.len(), if cves.len() == 1 { "y" } else { "ies" }, cves.join(", "))
        };
        let remediation = recs
            .iter()
            .find_map(|r| r.remediation.clone())
            .unwrap_or_else(|| format!("Read {advisory} and contact the manufacturer; isolate the device on a segment that allows only its clinical peers until it is fixed."));
        report.findings.push(Finding {
            id: format!("{FINDING_KIND}:{advisory}:{asset}"),
            kind: FINDING_KIND.to_string(),
            severity: severity(cvss, review_only),
            title,
            asset: Some(asset.clone()),
            peer: None,
            protocol: None,
            evidence,
            remediation,
            first_seen: asset_rec.first_seen,
            last_seen: asset_rec.last_seen,
            count: u64::try_from(recs.len()).unwrap_or(u64::MAX),
        });
        added += 1;
    }
    added
}
