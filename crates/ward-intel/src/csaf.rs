//! CSAF 2.0 security advisories (OASIS CSAF v2.0, sections 3.1–3.2): the product tree, the
//! vulnerabilities, their scores, product status and remediations, flattened into what matching
//! needs.
//!
//! Only the fields matching uses are modelled; unknown fields are ignored. A document is
//! refused, with the path and reason, when it is not JSON, is larger than [`MAX_FILE_BYTES`], is
//! nested deeper than serde_json's recursion limit or [`MAX_BRANCH_DEPTH`] branches, states a
//! `csaf_version` other than 2.0 (or 2.1), or lacks `document.tracking.id`. Relationships
//! (section 3.2.2.4) that refer to missing products or to each other in a cycle are reported as
//! warnings and skipped; the rest of the document is kept.

use crate::range::VersionSpec;
use crate::version::Version;
use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest advisory read, in bytes (the largest real CISA medical advisory is about 130 KiB).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Deepest product tree branch nesting followed (CISA uses 3: vendor, product, version).
pub const MAX_BRANCH_DEPTH: usize = 32;
/// Most products taken from one document.
pub const MAX_PRODUCTS: usize = 100_000;
/// Most files read from one directory.
pub const MAX_FILES: usize = 100_000;

// ---------------------------------------------------------------------------------------------
// The document as written (serde). Everything optional that the standard allows to be absent.

#[derive(Debug, Deserialize)]
struct RawDoc {
    document: RawDocument,
    #[serde(default)]
    product_tree: Option<RawProductTree>,
    #[serde(default)]
    vulnerabilities: Vec<RawVuln>,
}

#[derive(Debug, Deserialize)]
struct RawDocument {
    #[serde(default)]
    category: String,
    #[serde(default)]
    csaf_version: String,
    #[serde(default)]
    title: String,
    tracking: RawTracking,
    #[serde(default)]
    notes: Vec<RawNote>,
}

#[derive(Debug, Deserialize)]
struct RawTracking {
    #[serde(default)]
    id: String,
    #[serde(default)]
    current_release_date: Option<String>,
    #[serde(default)]
    version: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawNote {
    #[serde(default)]
    category: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: String,
}

#[derive(Debug, Deserialize, Default)]
struct RawProductTree {
    #[serde(default)]
    branches: Vec<RawBranch>,
    #[serde(default)]
    full_product_names: Vec<RawFullProduct>,
    #[serde(default)]
    relationships: Vec<RawRelationship>,
}

#[derive(Debug, Deserialize)]
struct RawBranch {
    #[serde(default)]
    category: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    product: Option<RawFullProduct>,
    #[serde(default)]
    branches: Vec<RawBranch>,
}

#[derive(Debug, Deserialize)]
struct RawFullProduct {
    #[serde(default)]
    name: String,
    product_id: String,
    #[serde(default)]
    product_identification_helper: Option<RawHelper>,
}

#[derive(Debug, Deserialize, Default)]
struct RawHelper {
    #[serde(default)]
    cpe: Option<String>,
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawRelationship {
    #[serde(default)]
    category: String,
    product_reference: String,
    relates_to_product_reference: String,
    full_product_name: RawFullProduct,
}

#[derive(Debug, Deserialize)]
struct RawVuln {
    #[serde(default)]
    cve: Option<String>,
    #[serde(default)]
    cwe: Option<RawCwe>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    notes: Vec<RawNote>,
    #[serde(default)]
    product_status: Option<RawStatus>,
    #[serde(default)]
    remediations: Vec<RawRemediation>,
    #[serde(default)]
    scores: Vec<RawScore>,
}

#[derive(Debug, Deserialize)]
struct RawCwe {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize, Default)]
struct RawStatus {
    #[serde(default)]
    known_affected: Vec<String>,
    #[serde(default)]
    first_affected: Vec<String>,
    #[serde(default)]
    last_affected: Vec<String>,
    #[serde(default)]
    fixed: Vec<String>,
    #[serde(default)]
    first_fixed: Vec<String>,
    #[serde(default)]
    known_not_affected: Vec<String>,
    #[serde(default)]
    under_investigation: Vec<String>,
    #[serde(default)]
    recommended: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RawRemediation {
    #[serde(default)]
    category: String,
    #[serde(default)]
    details: String,
    #[serde(default)]
    product_ids: Vec<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawScore {
    #[serde(default)]
    products: Vec<String>,
    #[serde(default)]
    cvss_v3: Option<RawCvss>,
    #[serde(default)]
    cvss_v4: Option<RawCvss>,
}

#[derive(Debug, Deserialize)]
struct RawCvss {
    #[serde(default, rename = "baseScore")]
    base_score: Option<f64>,
    #[serde(default, rename = "vectorString")]
    vector_string: Option<String>,
    #[serde(default)]
    version: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// The flattened model.

/// A note of the document or of a vulnerability (section 3.2.1.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// `summary`, `description`, `general`, `legal_disclaimer`...
    pub category: String,
    /// Its title.
    pub title: Option<String>,
    /// Its text.
    pub text: String,
}

/// One product of the tree: a leaf with a `product_id`, and the names along its path.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// `product_id` (`CSAFPID-0001`).
    pub id: String,
    /// The full product name (`MicroDicom MicroDicom DICOM Viewer: <=2023.3_Build_9342`).
    pub full_name: String,
    /// The `vendor` branch name.
    pub vendor: Option<String>,
    /// The `product_name` branch name.
    pub name: Option<String>,
    /// The `product_family` branch name.
    pub family: Option<String>,
    /// The `product_version` or `product_version_range` branch name, as written.
    pub version_text: Option<String>,
    /// What that version text covers.
    pub versions: VersionSpec,
    /// CPE 2.3 helper.
    pub cpe: Option<String>,
    /// Package URL helper.
    pub purl: Option<String>,
    /// For a product made by a relationship: `category` and the component's full name (the
    /// product itself carries the platform's vendor, name and versions).
    pub relationship: Option<(String, String)>,
}

/// A product's status in one vulnerability (section 3.2.3.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProductStatus {
    /// `known_affected`, `first_affected`, `last_affected`.
    Affected,
    /// `under_investigation`: may be affected.
    UnderInvestigation,
    /// `fixed`, `first_fixed`: this version has the fix.
    Fixed,
    /// `known_not_affected`.
    NotAffected,
    /// `recommended`.
    Recommended,
}

impl ProductStatus {
    /// The CSAF name (of the main member of the group).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Affected => "known_affected",
            ProductStatus::UnderInvestigation => "under_investigation",
            ProductStatus::Fixed => "fixed",
            ProductStatus::NotAffected => "known_not_affected",
            ProductStatus::Recommended => "recommended",
        }
    }
}

/// A CVSS score (v3.x or v4.0).
#[derive(Debug, Clone, PartialEq)]
pub struct Cvss {
    /// `3.0`, `3.1`, `4.0`.
    pub version: String,
    /// Base score, 0.0-10.0.
    pub base_score: f64,
    /// The vector string.
    pub vector: String,
}

/// Kinds of remediation (section 3.2.3.12.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RemediationCategory {
    /// A fixed version from the vendor.
    VendorFix,
    /// A change that removes the vulnerability without a fix.
    Workaround,
    /// A change that reduces the risk.
    Mitigation,
    /// No fix is planned.
    NoFixPlanned,
    /// No fix yet.
    NoneAvailable,
    /// Anything else.
    Other,
}

impl RemediationCategory {
    fn parse(s: &str) -> RemediationCategory {
        match s {
            "vendor_fix" => RemediationCategory::VendorFix,
            "workaround" => RemediationCategory::Workaround,
            "mitigation" => RemediationCategory::Mitigation,
            "no_fix_planned" => RemediationCategory::NoFixPlanned,
            "none_available" => RemediationCategory::NoneAvailable,
            _ => RemediationCategory::Other,
        }
    }

    /// The CSAF name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RemediationCategory::VendorFix => "vendor_fix",
            RemediationCategory::Workaround => "workaround",
            RemediationCategory::Mitigation => "mitigation",
            RemediationCategory::NoFixPlanned => "no_fix_planned",
            RemediationCategory::NoneAvailable => "none_available",
            RemediationCategory::Other => "other",
        }
    }
}

/// A remediation of one vulnerability.
#[derive(Debug, Clone, PartialEq)]
pub struct Remediation {
    /// Its kind.
    pub category: RemediationCategory,
    /// What to do, as the advisory says it.
    pub details: String,
    /// The products it applies to.
    pub product_ids: Vec<String>,
    /// Where to read more.
    pub url: Option<String>,
    /// For a vendor fix (or a mitigation that names an upgrade, as CISA often writes them), the
    /// version the text says to move to (`upgrade to 2024.1` gives `2024.1`). A heuristic
    /// reading of prose: it is shown, never used to decide whether a device is affected.
    pub fixed_version: Option<String>,
}

/// One vulnerability of an advisory.
#[derive(Debug, Clone, PartialEq)]
pub struct Vulnerability {
    /// The CVE identifier.
    pub cve: Option<String>,
    /// CWE identifier and name.
    pub cwe: Option<(String, String)>,
    /// Title.
    pub title: Option<String>,
    /// Notes (summary, description).
    pub notes: Vec<Note>,
    /// Every product it names, with the status.
    pub status: Vec<(String, ProductStatus)>,
    /// Scores, each with the products it applies to.
    pub scores: Vec<(Vec<String>, Cvss)>,
    /// Remediations.
    pub remediations: Vec<Remediation>,
}

impl Vulnerability {
    /// The worst status the vulnerability gives `product_id`, if it names it.
    #[must_use]
    pub fn status_of(&self, product_id: &str) -> Option<ProductStatus> {
        self.status.iter().filter(|(p, _)| p == product_id).map(|(_, s)| *s).min()
    }

    /// The highest base score given to `product_id` (v4 and v3 alike), or to the whole
    /// vulnerability when no score names products.
    #[must_use]
    pub fn cvss_for(&self, product_id: &str) -> Option<&Cvss> {
        let named = self.scores.iter().filter(|(ps, _)| ps.is_empty() || ps.iter().any(|p| p == product_id));
        named.map(|(_, c)| c).max_by(|a, b| a.base_score.total_cmp(&b.base_score))
    }

    /// Remediations that apply to `product_id` (those naming no product apply to all).
    pub fn remediations_for<'a>(&'a self, product_id: &'a str) -> impl Iterator<Item = &'a Remediation> + 'a {
        self.remediations.iter().filter(move |r| r.product_ids.is_empty() || r.product_ids.iter().any(|p| p == product_id))
    }
}

/// One advisory, flattened.
#[derive(Debug, Clone, PartialEq)]
pub struct Advisory {
    /// `document.tracking.id` (`ICSMA-24-060-01`).
    pub tracking_id: String,
    /// `document.title`.
    pub title: String,
    /// `document.category` (`csaf_security_advisory`).
    pub category: String,
    /// `document.tracking.current_release_date`.
    pub release_date: Option<String>,
    /// `document.tracking.version`.
    pub revision: Option<String>,
    /// Where it was read from.
    pub path: PathBuf,
    /// Document notes.
    pub notes: Vec<Note>,
    /// Every product of the tree, relationships included.
    pub products: Vec<Product>,
    /// The vulnerabilities.
    pub vulnerabilities: Vec<Vulnerability>,
    /// What was odd but not fatal (a relationship to a missing product, a cycle).
    pub warnings: Vec<String>,
}

/// Why a document was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub path: PathBuf,
    /// The reason.
    pub reason: String,
}

/// Reads `path`, a CSAF file or a directory of them (`*.json`, not recursive, in name order).
/// Documents that cannot be read are returned as errors with their path; none is fatal.
#[must_use]
pub fn load_path(path: &Path) -> (Vec<Advisory>, Vec<LoadError>) {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for file in json_files(path, &mut errors) {
        match read_capped(&file, MAX_FILE_BYTES).and_then(|bytes| parse(&bytes, &file)) {
            Ok(a) => ok.push(a),
            Err(reason) => errors.push(LoadError { path: file, reason }),
        }
    }
    (ok, errors)
}

/// The `*.json` files of a directory (sorted), or the path itself when it is a file.
pub(crate) fn json_files(path: &Path, errors: &mut Vec<LoadError>) -> Vec<PathBuf> {
    if path.is_dir() {
        let mut files = Vec::new();
        match std::fs::read_dir(path) {
            Ok(rd) => {
                for e in rd.flatten() {
                    let p = e.path();
                    if p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("json")) {
                        files.push(p);
                    }
                    if files.len() >= MAX_FILES {
                        errors.push(LoadError { path: path.to_path_buf(), reason: format!("more than {MAX_FILES} files; the rest were not read") });
                        break;
                    }
                }
            }
            Err(e) => errors.push(LoadError { path: path.to_path_buf(), reason: format!("cannot list the directory: {e}") }),
        }
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    }
}

/// Reads at most `cap` bytes; a longer file is an error (never truncated silently).
///
/// # Errors
/// The reason, for a person.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut buf = Vec::new();
    f.take(cap.saturating_add(1)).read_to_end(&mut buf).map_err(|e| format!("cannot read: {e}"))?;
    if buf.len() as u64 > cap {
        return Err(format!("larger than the {cap}-byte limit"));
    }
    Ok(buf)
}

/// Parses one CSAF document. `path` is only recorded.
///
/// # Errors
/// Why the document is refused.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Advisory, String> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("larger than the {MAX_FILE_BYTES}-byte limit"));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let raw: RawDoc = serde_json::from_slice(bytes).map_err(|e| format!("not a CSAF document: {e}"))?;
    let d = raw.document;
    match d.csaf_version.as_str() {
        "2.0" | "2.1" => {}
        "" => return Err("document.csaf_version is missing".into()),
        v => return Err(format!("unsupported csaf_version {v:?} (2.0 expected)")),
    }
    if d.tracking.id.trim().is_empty() {
        return Err("document.tracking.id is missing".into());
    }
    if d.category.trim().is_empty() {
        return Err("document.category is missing".into());
    }
    let mut warnings = Vec::new();
    let tree = raw.product_tree.unwrap_or_default();
    let mut products = Vec::new();
    let mut path_names = PathNames::default();
    walk(&tree.branches, 0, &mut path_names, &mut products)?;
    for fp in &tree.full_product_names {
        products.push(product_from(fp, &PathNames::default(), None));
    }
    relationships(&tree.relationships, &mut products, &mut warnings);
    if products.len() > MAX_PRODUCTS {
        return Err(format!("more than {MAX_PRODUCTS} products"));
    }
    let vulnerabilities = raw.vulnerabilities.into_iter().map(vulnerability).collect::<Vec<_>>();
    Ok(Advisory {
        tracking_id: d.tracking.id.trim().to_string(),
        title: d.title,
        category: d.category,
        release_date: d.tracking.current_release_date,
        revision: d.tracking.version,
        path: path.to_path_buf(),
        notes: d.notes.into_iter().map(note).collect(),
        products,
        vulnerabilities,
        warnings,
    })
}

fn note(n: RawNote) -> Note {
    Note { category: n.category, title: n.title, text: n.text }
}

#[derive(Default, Clone)]
struct PathNames {
    vendor: Option<String>,
    name: Option<String>,
    family: Option<String>,
    version: Option<String>,
}

fn walk(branches: &[RawBranch], depth: usize, names: &mut PathNames, out: &mut Vec<Product>) -> Result<(), String> {
    if depth >= MAX_BRANCH_DEPTH {
        return Err(format!("product tree nested deeper than {MAX_BRANCH_DEPTH} branches"));
    }
    for b in branches {
        let saved = names.clone();
        let name = b.name.trim().to_string();
        match b.category.as_str() {
            "vendor" => names.vendor = Some(name),
            "product_name" => names.name = Some(name),
            "product_family" => names.family = Some(name),
            "product_version" | "product_version_range" => names.version = Some(name),
            _ => {}
        }
        if let Some(p) = &b.product {
            out.push(product_from(p, names, None));
            if out.len() > MAX_PRODUCTS {
                return Err(format!("more than {MAX_PRODUCTS} products"));
            }
        }
        walk(&b.branches, depth + 1, names, out)?;
        *names = saved;
    }
    Ok(())
}

fn product_from(p: &RawFullProduct, names: &PathNames, relationship: Option<(String, String)>) -> Product {
    let helper = p.product_identification_helper.as_ref();
    let versions = match &names.version {
        Some(v) => VersionSpec::parse(v),
        None => VersionSpec::All { note: Some("no version in the product tree".into()) },
    };
    Product {
        id: p.product_id.clone(),
        full_name: p.name.clone(),
        vendor: names.vendor.clone(),
        name: names.name.clone().or_else(|| names.family.clone()),
        family: names.family.clone(),
        version_text: names.version.clone(),
        versions,
        cpe: helper.and_then(|h| h.cpe.clone()),
        purl: helper.and_then(|h| h.purl.clone()),
        relationship,
    }
}

/// Adds the products made by relationships (section 3.2.2.4.1). Such a product is what a device
/// is: it takes the vendor, name and versions of the platform (`relates_to_product_reference`),
/// and records the component (`product_reference`) and the category. Both references may point
/// to products made by other relationships; chains are followed, and missing references and
/// cycles are warnings.
fn relationships(rels: &[RawRelationship], products: &mut Vec<Product>, warnings: &mut Vec<String>) {
    let by_rel: FxHashMap<&str, usize> = rels.iter().enumerate().map(|(i, r)| (r.full_product_name.product_id.as_str(), i)).collect();
    let index: FxHashMap<String, usize> = products.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
    // Follows a reference through relationships (by their platform) to a tree product.
    let resolve = |start: &str, own: &str, warnings: &mut Vec<String>| -> Option<usize> {
        let mut seen = vec![own.to_string()];
        let mut cur = start.to_string();
        loop {
            if let Some(&i) = index.get(&cur) {
                return Some(i);
            }
            if seen.contains(&cur) || seen.len() > MAX_BRANCH_DEPTH {
                seen.push(cur);
                warnings.push(format!("relationship {own} is part of a cycle ({}); skipped", seen.join(" -> ")));
                return None;
            }
            seen.push(cur.clone());
            match by_rel.get(cur.as_str()) {
                Some(&j) => cur = rels[j].relates_to_product_reference.clone(),
                None => {
                    warnings.push(format!("relationship {own} refers to unknown product {cur}; skipped"));
                    return None;
                }
            }
        }
    };
    for r in rels {
        let own = r.full_product_name.product_id.as_str();
        let Some(component) = resolve(&r.product_reference, own, warnings) else { continue };
        let Some(platform) = resolve(&r.relates_to_product_reference, own, warnings) else { continue };
        let mut p = products[platform].clone();
        p.id = own.to_string();
        p.full_name = r.full_product_name.name.clone();
        let helper = r.full_product_name.product_identification_helper.as_ref();
        p.cpe = helper.and_then(|h| h.cpe.clone());
        p.purl = helper.and_then(|h| h.purl.clone());
        p.relationship = Some((r.category.clone(), products[component].full_name.clone()));
        products.push(p);
        if products.len() > MAX_PRODUCTS {
            warnings.push(format!("more than {MAX_PRODUCTS} products; relationships ignored past it"));
            return;
        }
    }
}

fn vulnerability(v: RawVuln) -> Vulnerability {
    let mut status = Vec::new();
    if let Some(s) = v.product_status {
        let groups = [
            (s.known_affected, ProductStatus::Affected),
            (s.first_affected, ProductStatus::Affected),
            (s.last_affected, ProductStatus::Affected),
            (s.under_investigation, ProductStatus::UnderInvestigation),
            (s.fixed, ProductStatus::Fixed),
            (s.first_fixed, ProductStatus::Fixed),
            (s.known_not_affected, ProductStatus::NotAffected),
            (s.recommended, ProductStatus::Recommended),
        ];
        for (ids, st) in groups {
            status.extend(ids.into_iter().map(|p| (p, st)));
        }
    }
    let mut scores = Vec::new();
    for s in v.scores {
        for (c, default_version) in [(s.cvss_v3, "3.x"), (s.cvss_v4, "4.0")] {
            if let Some(c) = c
                && let Some(score) = c.base_score
                && (0.0..=10.0).contains(&score)
            {
                let cvss = Cvss { version: c.version.unwrap_or_else(|| default_version.into()), base_score: score, vector: c.vector_string.unwrap_or_default() };
                scores.push((s.products.clone(), cvss));
            }
        }
    }
    let remediations = v
        .remediations
        .into_iter()
        .map(|r| {
            let category = RemediationCategory::parse(&r.category);
            let fixed_version = if matches!(category, RemediationCategory::VendorFix | RemediationCategory::Mitigation) { fixed_version(&r.details) } else { None };
            Remediation { category, details: r.details, product_ids: r.product_ids, url: r.url, fixed_version }
        })
        .collect();
    Vulnerability {
        cve: v.cve,
        cwe: v.cwe.map(|c| (c.id, c.name)),
        title: v.title,
        notes: v.notes.into_iter().map(note).collect(),
        status,
        scores,
        remediations,
    }
}

/// The version a remediation text says to move to: the first version-looking word after
/// `to`, `version`, `versions`, `release`, `firmware` or `v`, starting with a digit.
#[must_use]
pub fn fixed_version(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().take(400).collect();
    for w in words.windows(2) {
        let trigger = w[0].trim_matches(|c: char| !c.is_alphanumeric()).to_ascii_lowercase();
        if !matches!(trigger.as_str(), "to" | "version" | "versions" | "release" | "firmware" | "v" | "software") {
            continue;
        }
        let cand = w[1].trim_end_matches(['.', ',', ';', ':', ')']).trim_start_matches('(');
        let cand = cand.strip_prefix(['v', 'V']).filter(|c| c.starts_with(|ch: char| ch.is_ascii_digit())).unwrap_or(cand);
        if cand.starts_with(|c: char| c.is_ascii_digit()) && cand.contains(|c: char| c == '.' || c.is_ascii_alphabetic()) && Version::parse(cand).is_ok() {
            return Some(cand.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_versions_from_prose() {
        assert_eq!(fixed_version("MicroDicom has provided a fix and recommends users upgrade to 2024.1.").as_deref(), Some("2024.1"));
        assert_eq!(fixed_version("Update to version 12.2.8.410 or later").as_deref(), Some("12.2.8.410"));
        assert_eq!(fixed_version("Upgrade the firmware to v2.3.7.").as_deref(), Some("2.3.7"));
        assert_eq!(fixed_version("Contact the vendor to get support."), None);
        assert_eq!(fixed_version("Apply patch to 3 systems"), None);
    }

    #[test]
    fn wrong_version_and_missing_fields_are_refused() {
        let p = Path::new("x.json");
        let e = parse(br#"{"document":{"category":"csaf_base","csaf_version":"1.2","title":"t","tracking":{"id":"X"}}}"#, p);
        assert!(e.is_err_and(|r| r.contains("unsupported csaf_version")));
        let e = parse(br#"{"document":{"category":"csaf_base","csaf_version":"2.0","title":"t","tracking":{"id":""}}}"#, p);
        assert!(e.is_err_and(|r| r.contains("tracking.id")));
        let e = parse(b"{not json", p);
        assert!(e.is_err_and(|r| r.contains("not a CSAF document")));
    }
}
