//! Every one of the 139 real CISA medical advisories parses, or is reported with a precise
//! reason; the product entries whose versions cannot be parsed are counted and each has a reason.

use std::path::{Path, PathBuf};
use ward_intel::csaf;
use ward_intel::range::VersionSpec;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/advisories/cisa-icsma-csaf")
}

#[test]
fn all_139_parse() {
    let (ok, errors) = csaf::load_path(&dir());
    for e in &errors {
        eprintln!("{}: {}", e.path.display(), e.reason);
    }
    assert_eq!(errors.len(), 0, "every real advisory is valid CSAF 2.0");
    assert_eq!(ok.len(), 139);
    let products: usize = ok.iter().map(|a| a.products.len()).sum();
    let vulns: usize = ok.iter().map(|a| a.vulnerabilities.len()).sum();
    assert_eq!(products, 601, "product entries");
    assert_eq!(vulns, 414, "vulnerabilities");
    for a in &ok {
        assert!(a.tracking_id.starts_with("ICSMA-"), "{}", a.tracking_id);
        assert!(a.warnings.is_empty(), "{}: {:?}", a.tracking_id, a.warnings);
        for v in &a.vulnerabilities {
            // Every affected product id names a product of the tree.
            for (pid, _) in &v.status {
                assert!(a.products.iter().any(|p| &p.id == pid), "{} {pid}", a.tracking_id);
            }
        }
    }
    // MicroDicom ICSMA-24-060-01: a vendor fix in prose, a CVSS 3.1 score.
    let m = ok.iter().find(|a| a.tracking_id == "ICSMA-24-060-01").expect("present");
    assert_eq!(m.products[0].vendor.as_deref(), Some("MicroDicom"));
    assert_eq!(m.products[0].version_text.as_deref(), Some("<=2023.3_Build_9342"));
    let v = &m.vulnerabilities[0];
    assert_eq!(v.cve.as_deref(), Some("CVE-2024-22100"));
    assert_eq!(v.cvss_for("CSAFPID-0001").map(|c| c.base_score), Some(7.8));
    assert!(v.remediations.iter().any(|r| r.fixed_version.as_deref() == Some("2024.1")));
}

#[test]
fn unparsed_versions_are_counted_with_reasons() {
    let (ok, _) = csaf::load_path(&dir());
    let mut review = Vec::new();
    let mut all = 0;
    let mut ranges = 0;
    for a in &ok {
        for p in &a.products {
            match &p.versions {
                VersionSpec::NeedsReview { reason } => {
                    assert!(!reason.is_empty());
                    review.push(format!("{}\t{}\t{}\t{}", a.tracking_id, p.name.as_deref().unwrap_or(""), p.version_text.as_deref().unwrap_or(""), reason));
                }
                VersionSpec::All { .. } => all += 1,
                VersionSpec::Ranges { .. } => ranges += 1,
            }
        }
    }
    for r in &review {
        eprintln!("{r}");
    }
    eprintln!("all={all} ranges={ranges} review={}", review.len());
    assert_eq!(all + ranges + review.len(), 601);
    // The numbers stated in crates/ward-intel/README.md.
    assert_eq!((all, ranges, review.len()), (EXPECTED_ALL, EXPECTED_RANGES, EXPECTED_REVIEW));
}

const EXPECTED_ALL: usize = 259;
const EXPECTED_RANGES: usize = 270;
const EXPECTED_REVIEW: usize = 72;
