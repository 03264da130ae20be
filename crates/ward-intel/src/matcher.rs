//! Which advisories apply to which device, why, and how sure.
//!
//! Every product entry of every advisory is indexed under each of its vendor keys (normalised
//! vendor name, names in parentheses, the names of a vendor list, and the canonical name of any
//! alias: see [`crate::names`]). A device looks up only the entries under its own vendor keys,
//! so matching costs the size of one vendor's catalogue, not all pairs; results are cached per
//! (vendor, model), since a hospital has hundreds of identical pumps.
//!
//! A match's `how` is the weaker of the vendor link and the product link:
//! `exact` (same names, case aside), `normalised` (same after normalisation), `alias` (the vendor
//! only through `knowledge/vendors/`), `fuzzy` (same model numbers, words of one name inside the
//! other: always flagged for review). SBOM components match by `cpe` (vendor and product of
//! CPE 2.3) or `purl` (type, namespace and name), and by name like a device.
//!
//! The version decides last: an entry whose range does not contain the device's version is no
//! match; one that cannot tell (range needs review, version unknown, another product line) is a
//! match flagged `needs_review` with the reason. Status `fixed` and `known_not_affected` entries
//! never match; `under_investigation` matches flagged for review.

use crate::csaf::{Advisory, ProductStatus, Remediation, RemediationCategory, Vulnerability};
use crate::epss::Epss;
use crate::inventory::Device;
use crate::kev::Kev;
use crate::names::{Aliases, ProductName, normalize, vendor_keys};
use crate::range::{Verdict, VersionSpec};
use crate::sbom::{Component, Cpe, Purl, Sbom};
use crate::version::Version;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::rc::Rc;

/// How a device (or component) was linked to an advisory's product, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchHow {
    /// A component's CPE vendor and product (an identifier: surest).
    Cpe,
    /// A component's package URL.
    Purl,
    /// Same vendor and product names, case aside.
    Exact,
    /// Same names after normalisation.
    Normalised,
    /// The vendor only through an alias (brand, acquisition, misspelling).
    Alias,
    /// Similar product names: needs review.
    Fuzzy,
}

impl MatchHow {
    /// Stable name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            MatchHow::Exact => "exact",
            MatchHow::Cpe => "cpe",
            MatchHow::Purl => "purl",
            MatchHow::Normalised => "normalised",
            MatchHow::Alias => "alias",
            MatchHow::Fuzzy => "fuzzy",
        }
    }
}

/// One product entry of one advisory, prepared for matching.
#[derive(Debug)]
struct Entry {
    adv: u32,
    prod: u32,
    vendor_raw: String,
    name_raw: String,
    name: ProductName,
    vulns: Vec<(u32, ProductStatus)>,
    cpe: Option<Cpe>,
    purl: Option<Purl>,
}

/// Advisories (and KEV, EPSS) indexed for matching.
#[derive(Debug)]
pub struct Knowledge {
    /// The advisories, as loaded.
    pub advisories: Vec<Advisory>,
    entries: Vec<Entry>,
    /// (vendor key, normalised name) -> entries, with the through-alias flag.
    by_name: FxHashMap<(String, String), Vec<(u32, bool)>>,
    /// (vendor key, a name in parentheses of the product) -> entries.
    by_alternate: FxHashMap<(String, String), Vec<(u32, bool)>>,
    /// (vendor key, numbered words) -> entries: the only ones a fuzzy match can hit.
    by_numbered: FxHashMap<(String, String), Vec<(u32, bool)>>,
    by_cpe: FxHashMap<(String, String), Vec<u32>>,
    by_purl: FxHashMap<String, Vec<u32>>,
    by_product: FxHashMap<String, Vec<u32>>,
    aliases: Aliases,
    /// The KEV catalog, if given.
    pub kev: Option<Kev>,
    /// EPSS scores, if given.
    pub epss: Option<Epss>,
}

/// One match: a device (or one of its SBOM components) and one vulnerability of one advisory.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// Index of the device in the slice given to [`Matcher::match_all`].
    pub device: usize,
    entry: u32,
    vuln: u32,
    /// How the names were linked.
    pub how: MatchHow,
    /// The version verdict: `Affected`, or `Unknown` with why.
    pub version: Verdict,
    /// Set when a person should confirm: fuzzy names, version unknown, under investigation.
    pub needs_review: bool,
    /// The SBOM component that matched (`name version`), for component-level matches.
    pub component: Option<String>,
}

/// A match as shown to people and written in JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchRecord {
    /// The device.
    pub asset: String,
    /// Its manufacturer, model and version as the inventory gives them.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// The advisory's tracking id.
    pub advisory: String,
    /// The advisory's title.
    pub advisory_title: String,
    /// The product entry that matched (its full name).
    pub product: String,
    /// The version text of that entry.
    pub version_range: Option<String>,
    /// The CVE.
    pub cve: Option<String>,
    /// The CWE (`CWE-122 Heap-based Buffer Overflow`).
    pub cwe: Option<String>,
    /// The highest CVSS base score for this product.
    pub cvss: Option<f64>,
    /// Its vector.
    pub cvss_vector: Option<String>,
    /// The product status in the advisory.
    pub status: &'static str,
    /// How the names were linked.
    #[serde(rename = "match")]
    pub how: MatchHow,
    /// Whether a person should confirm.
    pub needs_review: bool,
    /// Which names and which range matched.
    pub why: String,
    /// In CISA's Known Exploited Vulnerabilities catalog.
    pub kev: bool,
    /// EPSS probability, if known.
    pub epss: Option<f64>,
    /// The advisory's best remediation for this product.
    pub remediation: Option<String>,
    /// Its category (`vendor_fix`, `mitigation`, `workaround`...).
    pub remediation_category: Option<&'static str>,
    /// The version the remediation names, if any.
    pub fixed_version: Option<String>,
    /// The SBOM component that matched.
    pub component: Option<String>,
}

fn vendor_words(keys: &[(String, bool)], aliases: &Aliases) -> Vec<String> {
    let mut w: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
    for (k, _) in keys {
        let canonical = aliases.canonical(k).map_or(k.as_str(), |a| a.canonical.as_str());
        for a in aliases.aliases_of(canonical) {
            if !w.iter().any(|x| x == a) {
                w.push(a.to_string());
            }
        }
    }
    w
}

impl Knowledge {
    /// Indexes advisories with the given aliases.
    #[must_use]
    pub fn new(advisories: Vec<Advisory>, aliases: &Aliases) -> Knowledge {
        let mut k = Knowledge {
            advisories,
            entries: Vec::new(),
            by_name: FxHashMap::default(),
            by_alternate: FxHashMap::default(),
            by_numbered: FxHashMap::default(),
            by_cpe: FxHashMap::default(),
            by_purl: FxHashMap::default(),
            by_product: FxHashMap::default(),
            aliases: aliases.clone(),
            kev: None,
            epss: None,
        };
        let mut words_cache: FxHashMap<String, VendorPrep> = FxHashMap::default();
        for (ai, a) in k.advisories.iter().enumerate() {
            let mut pid_entries: FxHashMap<&str, Vec<u32>> = FxHashMap::default();
            for (pi, p) in a.products.iter().enumerate() {
                let vendor_raw = p.vendor.clone().unwrap_or_default();
                let (keys, words) = words_cache
                    .entry(vendor_raw.clone())
                    .or_insert_with(|| {
                        let keys = if vendor_raw.is_empty() { Vec::new() } else { vendor_keys(&vendor_raw, aliases) };
                        let words = vendor_words(&keys, aliases);
                        (keys, words)
                    })
                    .clone();
                let name_raw = p.name.clone().unwrap_or_else(|| p.full_name.clone());
                let wr: Vec<&str> = words.iter().map(String::as_str).collect();
                let idx = u32::try_from(k.entries.len()).unwrap_or(u32::MAX);
                let cpe = p.cpe.as_deref().and_then(Cpe::parse);
                let purl = p.purl.as_deref().and_then(Purl::parse);
                if let Some(c) = &cpe {
                    k.by_cpe.entry((c.vendor.clone(), c.product.clone())).or_default().push(idx);
                }
                if let Some(u) = &purl {
                    k.by_purl.entry(u.key.clone()).or_default().push(idx);
                }
                pid_entries.entry(p.id.as_str()).or_default().push(idx);
                let name = ProductName::new(&name_raw, &wr, &keys.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>());
                let numbered = name.numbered.join(" ");
                for (key, by_alias) in &keys {
                    k.by_name.entry((key.clone(), name.normalized.clone())).or_default().push((idx, *by_alias));
                    for n in &name.alternates {
                        let list = k.by_alternate.entry((key.clone(), n.clone())).or_default();
                        if !list.iter().any(|(e, _)| *e == idx) {
                            list.push((idx, *by_alias));
                        }
                    }
                    k.by_numbered.entry((key.clone(), numbered.clone())).or_default().push((idx, *by_alias));
                }
                for key in [normalize(&name_raw), name.normalized.clone()] {
                    let list = k.by_product.entry(key).or_default();
                    if !list.contains(&idx) {
                        list.push(idx);
                    }
                }
                k.entries.push(Entry {
                    adv: u32::try_from(ai).unwrap_or(u32::MAX),
                    prod: u32::try_from(pi).unwrap_or(u32::MAX),
                    vendor_raw,
                    name,
                    name_raw,
                    vulns: Vec::new(),
                    cpe,
                    purl,
                });
            }
            for (vi, v) in a.vulnerabilities.iter().enumerate() {
                for (pid, st) in &v.status {
                    for &e in pid_entries.get(pid.as_str()).into_iter().flatten() {
                        if let Some(entry) = k.entries.get_mut(e as usize) {
                            let vi = u32::try_from(vi).unwrap_or(u32::MAX);
                            if !entry.vulns.iter().any(|(x, _)| *x == vi) {
                                entry.vulns.push((vi, *st));
                            }
                        }
                    }
                }
            }
        }
        k
    }

    /// Product entries indexed.
    #[must_use]
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// Product entries whose version text needs review, with the advisory, product and reason.
    #[must_use]
    pub fn unparsed_versions(&self) -> Vec<(String, String, String, String)> {
        let mut out = Vec::new();
        for a in &self.advisories {
            for p in &a.products {
                if let VersionSpec::NeedsReview { reason } = &p.versions {
                    out.push((a.tracking_id.clone(), p.full_name.clone(), p.version_text.clone().unwrap_or_default(), reason.clone()));
                }
            }
        }
        out
    }

    /// What scoring needs of a match, without building its record.
    pub(crate) fn facts(&self, m: &Match) -> Facts<'_> {
        let e = &self.entries[m.entry as usize];
        let a = &self.advisories[e.adv as usize];
        let p = &a.products[e.prod as usize];
        let v = &a.vulnerabilities[m.vuln as usize];
        let best = best_remediation(v, &p.id);
        let cve = v.cve.as_deref();
        Facts {
            advisory: &a.tracking_id,
            cve,
            cvss: v.cvss_for(&p.id).map(|c| c.base_score),
            kev: cve.is_some_and(|c| self.kev.as_ref().is_some_and(|k| k.get(c).is_some())),
            epss: cve.and_then(|c| self.epss.as_ref().and_then(|e| e.get(c))).map(|s| s.epss),
            remediation: best,
        }
    }

    /// The record of a match, for people and JSON.
    #[must_use]
    pub fn record(&self, device: &Device, m: &Match) -> MatchRecord {
        let e = &self.entries[m.entry as usize];
        let a = &self.advisories[e.adv as usize];
        let p = &a.products[e.prod as usize];
        let v = &a.vulnerabilities[m.vuln as usize];
        let cvss = v.cvss_for(&p.id);
        let status = v.status_of(&p.id).unwrap_or(ProductStatus::Affected);
        let best = best_remediation(v, &p.id);
        let cve = v.cve.clone();
        MatchRecord {
            asset: device.asset.clone(),
            manufacturer: device.manufacturer.clone(),
            model: device.model.clone(),
            version: device.version.clone(),
            advisory: a.tracking_id.clone(),
            advisory_title: a.title.clone(),
            product: p.full_name.clone(),
            version_range: p.version_text.clone(),
            cwe: v.cwe.as_ref().map(|(id, name)| format!("{id} {name}")),
            cvss: cvss.map(|c| c.base_score),
            cvss_vector: cvss.map(|c| c.vector.clone()),
            status: status.as_str(),
            how: m.how,
            needs_review: m.needs_review,
            why: self.explain(device, m),
            kev: cve.as_deref().is_some_and(|c| self.kev.as_ref().is_some_and(|k| k.get(c).is_some())),
            epss: cve.as_deref().and_then(|c| self.epss.as_ref().and_then(|e| e.get(c))).map(|s| s.epss),
            remediation: best.map(|r| r.details.clone()),
            remediation_category: best.map(|r| r.category.as_str()),
            fixed_version: best.and_then(|r| r.fixed_version.clone()),
            component: m.component.clone(),
            cve,
        }
    }

    fn explain(&self, device: &Device, m: &Match) -> String {
        let e = &self.entries[m.entry as usize];
        let a = &self.advisories[e.adv as usize];
        let p = &a.products[e.prod as usize];
        let names = match m.how {
            MatchHow::Cpe => format!("component {} has the CPE vendor:product {}", m.component.as_deref().unwrap_or("?"), e.cpe.as_ref().map(|c| format!("{}:{}", c.vendor, c.product)).unwrap_or_default()),
            MatchHow::Purl => format!("component {} has the package URL {}", m.component.as_deref().unwrap_or("?"), e.purl.as_ref().map(|u| u.key.clone()).unwrap_or_default()),
            _ if m.component.is_some() && !device.components.is_empty() && device.components.iter().any(|c| Some(c) == m.component.as_ref()) => {
                format!("component {:?} recognised on the wire = advisory product {:?} of {:?} (by name; the component's vendor is not stated)", m.component.as_deref().unwrap_or(""), e.name_raw, e.vendor_raw)
            }
            _ => {
                let dv = device.manufacturer.as_deref().unwrap_or("");
                let dk = vendor_keys(dv, &self.aliases);
                let ek = vendor_keys(&e.vendor_raw, &self.aliases);
                let link = dk.iter().find(|(k, _)| ek.iter().any(|(x, _)| x == k)).map(|(k, _)| k.clone()).unwrap_or_default();
                let alias = dk.iter().chain(&ek).find(|(k, by)| *by && *k == link).and_then(|_| {
                    dk.iter().chain(&ek).find_map(|(k, by)| if *by { None } else { self.aliases.canonical(k).filter(|x| x.canonical == link).map(|x| format!(" via alias {k:?} -> {link:?} ({})", x.relation)) })
                });
                let subject = match &m.component {
                    Some(c) => format!("component {c}"),
                    None => format!("model {:?}", device.model.as_deref().unwrap_or("")),
                };
                format!(
                    "manufacturer {dv:?} = advisory vendor {:?} (key {link:?}{}); {subject} {} product {:?}",
                    e.vendor_raw,
                    alias.unwrap_or_default(),
                    match m.how {
                        MatchHow::Exact => "is",
                        MatchHow::Fuzzy => "resembles (fuzzy: same model numbers, shared words)",
                        _ => "= (normalised)",
                    },
                    e.name_raw
                )
            }
        };
        let version = match (&m.version, &p.versions) {
            (Verdict::Unknown(r), _) => format!("version: needs review ({r})"),
            (_, VersionSpec::All { .. }) => format!("all versions affected ({:?})", p.version_text.as_deref().unwrap_or("no version given")),
            _ => format!(
                "version {:?} within {:?}",
                m.component.as_deref().map_or_else(|| device.version.as_deref().unwrap_or(""), |c| c.rsplit_once(' ').map_or(c, |(_, v)| v)),
                p.version_text.as_deref().unwrap_or("")
            ),
        };
        format!("{names}; {version}")
    }
}

/// What scoring needs of a match.
#[derive(Debug)]
pub(crate) struct Facts<'a> {
    pub advisory: &'a str,
    pub cve: Option<&'a str>,
    pub cvss: Option<f64>,
    pub kev: bool,
    pub epss: Option<f64>,
    pub remediation: Option<&'a Remediation>,
}

/// The advisory's best remediation for a product: vendor fix, then workaround, then mitigation.
fn best_remediation<'a>(v: &'a Vulnerability, product_id: &'a str) -> Option<&'a Remediation> {
    v.remediations_for(product_id).min_by_key(|r| match r.category {
        RemediationCategory::VendorFix => 0,
        RemediationCategory::Workaround => 1,
        RemediationCategory::Mitigation => 2,
        _ => 3,
    })
}

type Candidates = Rc<Vec<(u32, MatchHow)>>;

/// A vendor's keys (with the through-an-alias flag) and the words dropped from its product names.
type VendorPrep = (Vec<(String, bool)>, Vec<String>);

/// Matches devices against a [`Knowledge`], with a per-(vendor, model) cache.
#[derive(Debug)]
pub struct Matcher<'k> {
    k: &'k Knowledge,
    cache: FxHashMap<(String, String), Candidates>,
    sboms: Vec<Sbom>,
    sbom_by_file: FxHashMap<String, usize>,
    sbom_by_subject: FxHashMap<String, usize>,
}

impl<'k> Matcher<'k> {
    /// A matcher over `k`, with SBOMs that devices may refer to.
    #[must_use]
    pub fn new(k: &'k Knowledge, sboms: Vec<Sbom>) -> Matcher<'k> {
        let mut sbom_by_file = FxHashMap::default();
        let mut sbom_by_subject = FxHashMap::default();
        for (i, s) in sboms.iter().enumerate() {
            sbom_by_file.insert(s.file_name(), i);
            if let Some(subj) = &s.subject {
                let n = normalize(subj);
                if !n.is_empty() && n != "redacted" {
                    sbom_by_subject.entry(n).or_insert(i);
                }
            }
        }
        Matcher { k, cache: FxHashMap::default(), sboms, sbom_by_file, sbom_by_subject }
    }

    /// Matches every device; matches are grouped by device, in device order.
    pub fn match_all(&mut self, devices: &[Device]) -> Vec<Match> {
        let mut out = Vec::new();
        for (i, d) in devices.iter().enumerate() {
            self.match_device(i, d, &mut out);
        }
        out
    }

    /// Matches one device (index `i`), appending to `out`.
    pub fn match_device(&mut self, i: usize, d: &Device, out: &mut Vec<Match>) {
        let start = out.len();
        let version = d.version.as_deref().and_then(|v| Version::parse(v).ok());
        let version_unparsed = d.version.is_some() && version.is_none();
        if let (Some(vendor), Some(model)) = (d.manufacturer.as_deref(), d.model.as_deref()) {
            let cands = self.candidates(vendor, model, false);
            self.emit(i, &cands, version.as_ref(), version_unparsed, d.version.as_deref(), None, out);
        }
        let sbom = d
            .sbom
            .as_deref()
            .and_then(|f| self.sbom_by_file.get(f))
            .or_else(|| d.model.as_deref().and_then(|m| self.sbom_by_subject.get(&normalize(m))))
            .copied();
        for c in &d.components {
            self.match_named_component(i, c, out);
        }
        if let Some(si) = sbom {
            let comps: Vec<Component> = self.sboms[si].components.clone();
            for c in &comps {
                self.match_component(i, c, out);
            }
        }
        dedupe(out, start, self.k);
    }

    fn match_component(&mut self, i: usize, c: &Component, out: &mut Vec<Match>) {
        let raw_version = c.version.clone().or_else(|| c.cpe.as_ref().and_then(|x| x.specific_version().map(str::to_string)));
        let version = raw_version.as_deref().and_then(|v| Version::parse(v).ok());
        let unparsed = raw_version.is_some() && version.is_none();
        let label = format!("{} {}", c.name, raw_version.as_deref().unwrap_or("")).trim().to_string();
        let mut cands: Vec<(u32, MatchHow)> = Vec::new();
        if let Some(cpe) = &c.cpe {
            for &e in self.k.by_cpe.get(&(cpe.vendor.clone(), cpe.product.clone())).into_iter().flatten() {
                cands.push((e, MatchHow::Cpe));
            }
        }
        if let Some(p) = &c.purl {
            for &e in self.k.by_purl.get(&p.key).into_iter().flatten() {
                cands.push((e, MatchHow::Purl));
            }
        }
        let vendor = c.vendor.clone().or_else(|| c.cpe.as_ref().map(|x| x.vendor.clone()));
        if let Some(v) = vendor
            && !c.name.is_empty()
        {
            let named = self.candidates(&v, &c.name, true);
            cands.extend(named.iter().copied());
        }
        self.emit(i, &cands, version.as_ref(), unparsed, raw_version.as_deref(), Some(label), out);
    }

    /// A component the sensor recognised (`DCMTK 3.6.2`): no vendor, so only a product whose
    /// whole name is the component's name (at least 4 characters) matches.
    fn match_named_component(&mut self, i: usize, text: &str, out: &mut Vec<Match>) {
        let (name, version) = match text.rsplit_once(' ') {
            Some((n, v)) if v.starts_with(|c: char| c.is_ascii_digit()) => (n, Some(v)),
            _ => (text, None),
        };
        let key = normalize(name);
        if key.len() < 4 {
            return;
        }
        let Some(list) = self.k.by_product.get(&key) else { return };
        let cands: Vec<(u32, MatchHow)> = list.iter().map(|&e| (e, MatchHow::Normalised)).collect();
        let parsed = version.and_then(|v| Version::parse(v).ok());
        let unparsed = version.is_some() && parsed.is_none();
        self.emit(i, &cands, parsed.as_ref(), unparsed, version, Some(text.to_string()), out);
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(&self, i: usize, cands: &[(u32, MatchHow)], version: Option<&Version>, unparsed: bool, raw: Option<&str>, component: Option<String>, out: &mut Vec<Match>) {
        for &(e, how) in cands {
            let entry = &self.k.entries[e as usize];
            let p = &self.k.advisories[entry.adv as usize].products[entry.prod as usize];
            let verdict = if unparsed && !matches!(p.versions, VersionSpec::All { .. }) {
                Verdict::Unknown(format!("the version {:?} could not be parsed", raw.unwrap_or("")))
            } else if matches!(how, MatchHow::Cpe) && p.version_text.is_none() {
                // Only a CPE with a version: that version exactly.
                match (entry.cpe.as_ref().and_then(|c| c.specific_version()).map(Version::parse), version) {
                    (Some(Ok(cv)), Some(dv)) => {
                        if dv.compare(&cv) == Some(std::cmp::Ordering::Equal) {
                            Verdict::Affected
                        } else {
                            Verdict::NotAffected
                        }
                    }
                    (None, _) => Verdict::Affected,
                    _ => Verdict::Unknown("no comparable version".into()),
                }
            } else {
                p.versions.check(version)
            };
            if verdict == Verdict::NotAffected {
                continue;
            }
            for &(vi, st) in &entry.vulns {
                if !matches!(st, ProductStatus::Affected | ProductStatus::UnderInvestigation) {
                    continue;
                }
                let needs_review = how == MatchHow::Fuzzy || st == ProductStatus::UnderInvestigation || matches!(verdict, Verdict::Unknown(_));
                out.push(Match { device: i, entry: e, vuln: vi, how, version: verdict.clone(), needs_review, component: component.clone() });
            }
        }
    }

    fn candidates(&mut self, vendor: &str, model: &str, component: bool) -> Candidates {
        // Components never match fuzzily: their cache entries are kept apart from devices'.
        let key = (if component { format!("\u{1}{vendor}") } else { vendor.to_string() }, model.to_string());
        if let Some(c) = self.cache.get(&key) {
            return Rc::clone(c);
        }
        let k = self.k;
        let dkeys = vendor_keys(vendor, &k.aliases);
        let words = vendor_words(&dkeys, &k.aliases);
        let wr: Vec<&str> = words.iter().map(String::as_str).collect();
        let dname = ProductName::new(model, &wr, &dkeys.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>());
        let mut found: FxHashMap<u32, MatchHow> = FxHashMap::default();
        let numbered = dname.numbered.join(" ");
        for (dk, d_alias) in &dkeys {
            let mut add = |e: u32, e_alias: bool, product: MatchHow| {
                let entry = &k.entries[e as usize];
                let vendor_how = if *d_alias || e_alias {
                    MatchHow::Alias
                } else if entry.vendor_raw.trim().eq_ignore_ascii_case(vendor.trim()) {
                    MatchHow::Exact
                } else {
                    MatchHow::Normalised
                };
                let how = product.max(vendor_how);
                found.entry(e).and_modify(|h| *h = (*h).min(how)).or_insert(how);
            };
            // Same normalised name, or the name of one side is the other's name in parentheses
            // (`CSM` and `Welch Allyn Connex Spot Monitor (CSM)`); never parentheses against
            // parentheses (`(WLAN only)` is no product name).
            if !dname.normalized.is_empty() {
                let by_name = k.by_name.get(&(dk.clone(), dname.normalized.clone())).into_iter().flatten();
                let by_alt = k.by_alternate.get(&(dk.clone(), dname.normalized.clone())).into_iter().flatten();
                let mine = dname.alternates.iter().flat_map(|a| k.by_name.get(&(dk.clone(), a.clone())).into_iter().flatten());
                for &(e, e_alias) in by_name.chain(by_alt).chain(mine) {
                    let exact = k.entries[e as usize].name_raw.trim().eq_ignore_ascii_case(model.trim());
                    add(e, e_alias, if exact { MatchHow::Exact } else { MatchHow::Normalised });
                }
            }
            // Fuzzy: only entries with the same numbered words can be alike.
            if !component {
                for &(e, e_alias) in k.by_numbered.get(&(dk.clone(), numbered.clone())).into_iter().flatten() {
                    if k.entries[e as usize].name.fuzzy_like(&dname) {
                        add(e, e_alias, MatchHow::Fuzzy);
                    }
                }
            }
        }
        let mut v: Vec<(u32, MatchHow)> = found.into_iter().collect();
        v.sort_unstable();
        let rc = Rc::new(v);
        if self.cache.len() < 1_000_000 {
            self.cache.insert(key, Rc::clone(&rc));
        }
        rc
    }
}

/// Keeps one match per (advisory, vulnerability): affected over unknown, then the surest link;
/// in the order first found.
fn dedupe(out: &mut Vec<Match>, start: usize, k: &Knowledge) {
    let mine: Vec<Match> = out.drain(start..).collect();
    let mut slot: FxHashMap<(usize, usize), usize> = FxHashMap::default();
    let mut best: Vec<Match> = Vec::with_capacity(mine.len());
    let rank = |m: &Match| (m.version != Verdict::Affected, m.needs_review, m.how);
    for m in mine {
        let key = k.advisory_vuln(&m);
        match slot.get(&key) {
            Some(&j) => {
                if rank(&m) < rank(&best[j]) {
                    best[j] = m;
                }
            }
            None => {
                slot.insert(key, best.len());
                best.push(m);
            }
        }
    }
    out.extend(best);
}

impl Knowledge {
    /// The advisory index and vulnerability index of a match (for grouping).
    #[must_use]
    pub fn advisory_vuln(&self, m: &Match) -> (usize, usize) {
        let e = &self.entries[m.entry as usize];
        (e.adv as usize, m.vuln as usize)
    }

    /// The CVSS base score of a match, if any.
    #[must_use]
    pub fn cvss(&self, m: &Match) -> Option<f64> {
        let e = &self.entries[m.entry as usize];
        let a = &self.advisories[e.adv as usize];
        a.vulnerabilities[m.vuln as usize].cvss_for(&a.products[e.prod as usize].id).map(|c| c.base_score)
    }

    /// The CVE of a match.
    #[must_use]
    pub fn cve(&self, m: &Match) -> Option<&str> {
        let e = &self.entries[m.entry as usize];
        self.advisories[e.adv as usize].vulnerabilities[m.vuln as usize].cve.as_deref()
    }
}
