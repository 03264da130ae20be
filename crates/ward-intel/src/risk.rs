//! One risk score per device, 0–100, with the reasons that make it up and the remediations in
//! the order that removes the most of it.
//!
//! The score adds up, each part a reason in the output:
//!
//! | part | points |
//! |---|---|
//! | worst CVSS base score among confirmed matches | CVSS × 4 (≤ 40); matches needing review only: CVSS × 2 |
//! | a matched CVE in CISA's KEV catalog (known exploitation) | 20 |
//! | highest EPSS probability among matched CVEs | EPSS × 15 (≤ 15) |
//! | exposure on the wire (analyze reports only): cleartext protocols 3 each (≤ 6), more than 20 / 100 peers 2 / 4, high or critical findings 3 each (≤ 6) | ≤ 15 |
//! | clinical impact of the device kind, when it has any match | life-sustaining (infusion pump, ventilator) 15, patient monitor 11, imaging 7, PACS/RIS/EHR/interface engine 5, unknown 4, workstation and infrastructure 3 |
//!
//! Remediations: each match's best remediation (vendor fix, then workaround, then mitigation)
//! groups the matches it addresses; the group whose removal lowers the score most comes first,
//! and so on greedily. Each step says how many points it removes.

use crate::csaf::RemediationCategory;
use crate::inventory::Device;
use crate::matcher::{Knowledge, Match};
use serde::Serialize;
use ward_model::Severity;

/// One part of a score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// Points it adds.
    pub points: f64,
    /// Why, for a person.
    pub text: String,
}

/// One remediation step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The advisory it comes from.
    pub advisory: String,
    /// `vendor_fix`, `workaround`, `mitigation`...
    pub category: &'static str,
    /// What to do.
    pub action: String,
    /// The version to move to, where the advisory names one.
    pub fixed_version: Option<String>,
    /// The CVEs it addresses.
    pub cves: Vec<String>,
    /// Points of risk it removes, applied after the steps before it.
    pub reduces_by: f64,
}

/// A device's risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceRisk {
    /// The device.
    pub asset: String,
    /// Device kind used for clinical impact.
    pub kind: String,
    /// 0–100.
    pub score: f64,
    /// What makes up the score.
    pub reasons: Vec<Reason>,
    /// What to do, most risk removed first.
    pub remediations: Vec<Step>,
    /// Matches (confirmed and needing review).
    pub matches: usize,
    /// Of which needing review.
    pub needs_review: usize,
}

/// Clinical impact points and label of a device kind.
#[must_use]
pub fn clinical_impact(kind: &str) -> (f64, &'static str) {
    match kind {
        "infusion-pump" | "ventilator" => (15.0, "life-sustaining device"),
        "patient-monitor" => (11.0, "patient monitor"),
        "imaging-modality" => (7.0, "imaging modality"),
        "pacs" | "ris" | "ehr" | "hl7-interface-engine" => (5.0, "clinical information system"),
        "workstation" | "network-infrastructure" | "mqtt-broker" => (3.0, "supporting system"),
        _ => (4.0, "device of unknown kind"),
    }
}

/// The device's kind: as given, or guessed from its model name.
#[must_use]
pub fn device_kind(d: &Device) -> String {
    if let Some(k) = &d.kind {
        return k.clone();
    }
    let m = d.model.as_deref().unwrap_or("").to_ascii_lowercase();
    let words: Vec<&str> = m.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    // Long keywords anywhere in the name, short ones (`ct`, `mr`) only as whole words.
    let has = |ws: &[&str]| ws.iter().any(|w| if w.len() <= 4 { words.contains(w) } else { m.contains(w) });
    if has(&["pump", "infusion", "alaris", "spectrum", "medfusion", "agilia", "spacecom"]) {
        "infusion-pump".into()
    } else if has(&["ventilator", "carestation", "aisys", "anesthesia"]) {
        "ventilator".into()
    } else if has(&["monitor", "intellivue", "telemetry", "central station", "vital signs"]) {
        "patient-monitor".into()
    } else if has(&["ct", "mr", "ultrasound", "x-ray", "xr", "pet", "spect", "scanner", "logiq", "vivid", "optima", "revolution"]) {
        "imaging-modality".into()
    } else if has(&["pacs", "viewer", "dicom"]) {
        "pacs".into()
    } else if has(&["workstation", "pc", "laptop"]) {
        "workstation".into()
    } else {
        "unknown".into()
    }
}

/// A remediation group: advisory, category, action, fixed version, CVEs addressed.
type Group = (String, RemediationCategory, String, Option<String>, Vec<String>);

#[derive(Debug, Clone)]
struct Feature {
    cvss: f64,
    kev: bool,
    epss: f64,
    review: bool,
    group: usize,
}

fn vuln_points(fs: &[&Feature]) -> Vec<Reason> {
    let mut r = Vec::new();
    let confirmed = fs.iter().filter(|f| !f.review).map(|f| f.cvss).fold(None, |a: Option<f64>, x| Some(a.map_or(x, |a| a.max(x))));
    let review = fs.iter().filter(|f| f.review).map(|f| f.cvss).fold(None, |a: Option<f64>, x| Some(a.map_or(x, |a| a.max(x))));
    if let Some(c) = confirmed {
        r.push(Reason { points: c * 4.0, text: format!("worst CVSS {c:.1} among confirmed matches") });
    } else if let Some(c) = review {
        r.push(Reason { points: c * 2.0, text: format!("worst CVSS {c:.1}, matches needing review only (half weight)") });
    }
    if fs.iter().any(|f| f.kev && !f.review) {
        r.push(Reason { points: 20.0, text: "a matched CVE is in CISA's Known Exploited Vulnerabilities catalog".into() });
    }
    let e = fs.iter().filter(|f| !f.review).map(|f| f.epss).fold(0.0, f64::max);
    if e > 0.0 {
        r.push(Reason { points: e * 15.0, text: format!("EPSS probability of exploitation {:.1} %", e * 100.0) });
    }
    r
}

fn exposure_points(d: &Device) -> Vec<Reason> {
    let mut r = Vec::new();
    let Some(x) = &d.exposure else { return r };
    let mut total = 0.0;
    if !x.cleartext.is_empty() {
        let p = (x.cleartext.len() as f64 * 3.0).min(6.0);
        total += p;
        r.push(Reason { points: p, text: format!("speaks cleartext protocols on the wire: {}", x.cleartext.join(", ")) });
    }
    if x.peer_count > 20 {
        let p = if x.peer_count > 100 { 4.0 } else { 2.0 };
        total += p;
        r.push(Reason { points: p, text: format!("talks to {} peers", x.peer_count) });
    }
    let serious: Vec<&str> = x.findings.iter().filter(|(_, s)| matches!(s, Severity::High | Severity::Critical)).map(|(k, _)| k.as_str()).collect();
    if !serious.is_empty() {
        let p = (serious.len() as f64 * 3.0).min(6.0).min(15.0 - total);
        r.push(Reason { points: p, text: format!("sensor findings of high severity: {}", serious.join(", ")) });
    }
    r
}

fn total(reasons: &[Reason]) -> f64 {
    (reasons.iter().map(|r| r.points).sum::<f64>()).min(100.0)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Scores one device from its matches (all belonging to it).
#[must_use]
pub fn score(k: &Knowledge, d: &Device, matches: &[&Match]) -> DeviceRisk {
    let kind = device_kind(d);
    // Remediation groups: (advisory, category, action) -> cves.
    let mut groups: Vec<Group> = Vec::new();
    let mut features = Vec::new();
    for m in matches {
        let f = k.facts(m);
        let (cat, action, fixed) = match f.remediation {
            Some(r) => (r.category, r.details.as_str(), r.fixed_version.as_deref()),
            None => (RemediationCategory::Other, "contact the manufacturer: the advisory gives no remediation for this product", None),
        };
        let g = match groups.iter().position(|(a, _, t, _, _)| a == f.advisory && t == action) {
            Some(g) => g,
            None => {
                groups.push((f.advisory.to_string(), cat, action.to_string(), fixed.map(str::to_string), Vec::new()));
                groups.len() - 1
            }
        };
        if let Some(c) = f.cve
            && !groups[g].4.iter().any(|x| x == c)
        {
            groups[g].4.push(c.to_string());
        }
        features.push(Feature { cvss: f.cvss.unwrap_or(5.0), kev: f.kev, epss: f.epss.unwrap_or(0.0), review: m.needs_review, group: g });
    }
    let exposure = exposure_points(d);
    let (clin, label) = clinical_impact(&kind);
    let reasons_for = |active: &[bool]| -> Vec<Reason> {
        let fs: Vec<&Feature> = features.iter().filter(|f| active[f.group]).collect();
        let mut r = vuln_points(&fs);
        r.extend(exposure.iter().cloned());
        if !fs.is_empty() {
            r.push(Reason { points: clin, text: format!("clinical impact: {label} ({kind})") });
        }
        r
    };
    let mut active = vec![true; groups.len()];
    let reasons = reasons_for(&active);
    let score = total(&reasons);
    let mut steps = Vec::new();
    let mut current = score;
    while active.iter().any(|a| *a) {
        let mut best: Option<(usize, f64)> = None;
        for g in 0..groups.len() {
            if !active[g] {
                continue;
            }
            let mut trial = active.clone();
            trial[g] = false;
            let gain = current - total(&reasons_for(&trial));
            let better = match best {
                None => true,
                Some((b, bg)) => gain > bg + 1e-9 || ((gain - bg).abs() <= 1e-9 && groups[g].1 < groups[b].1),
            };
            if better {
                best = Some((g, gain));
            }
        }
        let Some((g, gain)) = best else { break };
        active[g] = false;
        current -= gain;
        let (adv, cat, action, fixed, cves) = &groups[g];
        steps.push(Step { advisory: adv.clone(), category: cat.as_str(), action: action.clone(), fixed_version: fixed.clone(), cves: cves.clone(), reduces_by: round1(gain) });
    }
    DeviceRisk {
        asset: d.asset.clone(),
        kind,
        score: round1(score),
        reasons: reasons.into_iter().map(|r| Reason { points: round1(r.points), text: r.text }).collect(),
        remediations: steps,
        matches: matches.len(),
        needs_review: matches.iter().filter(|m| m.needs_review).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clinical_order() {
        let p = |k| clinical_impact(k).0;
        assert!(p("infusion-pump") > p("patient-monitor"));
        assert!(p("ventilator") > p("patient-monitor"));
        assert!(p("patient-monitor") > p("imaging-modality"));
        assert!(p("imaging-modality") > p("workstation"));
    }

    #[test]
    fn kinds_from_models() {
        let d = |m: &str| Device { model: Some(m.into()), ..Device::default() };
        assert_eq!(device_kind(&d("Alaris PC Unit 8015")), "infusion-pump");
        assert_eq!(device_kind(&d("IntelliVue MX40")), "patient-monitor");
        assert_eq!(device_kind(&d("T1 Ventilator")), "ventilator");
    }
}
