//! SBOMs: the real medical-device CycloneDX SBOM and an SPDX 2.3 example, matched at component
//! level by CPE and PURL against a synthetic advisory that has those helpers (the real CISA
//! advisories have none); and a relationship product ("wolfSSL default_component_of Example
//! Monitor 2.0") matched by the platform's names.

use std::path::{Path, PathBuf};
use ward_intel::assess::assess;
use ward_intel::csaf::{ProductStatus, RemediationCategory};
use ward_intel::matcher::{Knowledge, MatchHow};
use ward_intel::names::Aliases;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn shared() -> PathBuf {
    root().join("../../../shared/data/sbom")
}

#[test]
fn synthetic_advisory_models_every_part() {
    let (ok, errors) = ward_intel::csaf::load_path(&root().join("tests/fixtures/csaf-synthetic.json"));
    assert!(errors.is_empty(), "{errors:?}");
    let a = &ok[0];
    assert_eq!(a.tracking_id, "WARD-TEST-0001");
    // 5 tree products, 1 full product name, 1 relationship kept; the cycle and the dangling one skipped.
    assert_eq!(a.products.len(), 7, "{:?}", a.products.iter().map(|p| &p.id).collect::<Vec<_>>());
    assert_eq!(a.warnings.len(), 3, "{:?}", a.warnings);
    assert!(a.warnings.iter().filter(|w| w.contains("cycle")).count() == 2);
    assert!(a.warnings.iter().any(|w| w.contains("unknown product NOWHERE")));
    let rel = a.products.iter().find(|p| p.id == "MON-2-WOLF").expect("relationship product");
    assert_eq!((rel.vendor.as_deref(), rel.name.as_deref()), (Some("Example Medical"), Some("Example Monitor")));
    assert_eq!(rel.relationship.as_ref().map(|r| r.0.as_str()), Some("default_component_of"));
    let v = &a.vulnerabilities[0];
    assert_eq!(v.status_of("WOLF-FIXED"), Some(ProductStatus::Fixed));
    assert_eq!(v.cvss_for("WOLF-1").map(|c| (c.version.as_str(), c.base_score)), Some(("4.0", 8.7)));
    assert!(v.remediations.iter().any(|r| r.category == RemediationCategory::Workaround));
    assert_eq!(v.remediations[0].fixed_version.as_deref(), Some("4.8.2"));
    assert_eq!(a.vulnerabilities[1].status_of("HYPER-1"), Some(ProductStatus::UnderInvestigation));
    assert_eq!(a.vulnerabilities[1].status_of("MON-2"), Some(ProductStatus::NotAffected));
    assert_eq!(a.products.iter().find(|p| p.id == "WOLF-1").and_then(|p| p.cpe.as_deref()), Some("cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*"));
}

#[test]
fn components_match_by_cpe_and_purl() {
    let (ok, _) = ward_intel::csaf::load_path(&root().join("tests/fixtures/csaf-synthetic.json"));
    let k = Knowledge::new(ok, Aliases::shipped());
    let mut sboms = Vec::new();
    for f in ["medical-device-case-study/narrow.sbom.json", "spdx-examples/example11__sbom.spdx.json"] {
        let (s, e) = ward_intel::sbom::load_path(&shared().join(f));
        assert!(e.is_empty(), "{e:?}");
        sboms.extend(s);
    }
    assert_eq!(sboms[0].format, "CycloneDX 1.4");
    assert_eq!(sboms[0].components.len(), 55);
    assert_eq!(sboms[1].format, "SPDX-2.3");
    let inv = ward_intel::inventory::load(&root().join("tests/fixtures/sbom-assets.csv")).expect("fixture");
    let a = assess(&k, &inv.devices, sboms);
    let got: Vec<(&str, &str, MatchHow, bool, Option<&str>)> =
        a.matches.iter().map(|m| (m.asset.as_str(), m.cve.as_deref().unwrap_or(""), m.how, m.needs_review, m.component.as_deref())).collect();
    // wolfSSL 4.8.1 (CPE wolfssl:wolfssl) is inside >=4.0.0 <4.8.2; the fixed 4.8.2 entry never matches.
    assert!(got.contains(&("SBOM-DEV-1", "CVE-2099-0001", MatchHow::Cpe, false, Some("WolfSSL 4.8.1"))), "{got:#?}");
    // Aspose.Words 20.1.0 by its package URL.
    assert!(got.contains(&("SBOM-DEV-1", "CVE-2099-0002", MatchHow::Purl, false, Some("Aspose.Words 20.1.0"))), "{got:#?}");
    // hyper 0.14 (SPDX purl pkg:cargo/hyper@0.14) is under investigation: flagged.
    assert!(got.contains(&("SBOM-DEV-2", "CVE-2099-0002", MatchHow::Purl, true, Some("hyper 0.14"))), "{got:#?}");
    // The monitor that contains wolfSSL, by the relationship's platform names.
    assert!(got.contains(&("SBOM-DEV-3", "CVE-2099-0001", MatchHow::Exact, false, None)), "{got:#?}");
    assert_eq!(got.len(), 4, "{got:#?}");
    let w = a.matches.iter().find(|m| m.how == MatchHow::Cpe).expect("cpe match");
    assert_eq!(w.cvss, Some(8.7));
    assert!(w.why.contains("CPE vendor:product wolfssl:wolfssl"), "{}", w.why);
}

#[test]
fn every_shipped_sbom_example_reads_or_is_refused_with_reason() {
    let mut files = Vec::new();
    let mut stack = vec![shared()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 10);
    for f in files {
        let bytes = std::fs::read(&f).expect("read");
        match ward_intel::sbom::parse(&bytes, &f) {
            Ok(s) => assert!(!s.format.is_empty()),
            Err(e) => assert!(!e.is_empty(), "{}", f.display()),
        }
    }
}
