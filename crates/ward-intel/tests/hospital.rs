//! A hand-checked hospital asset list against the 139 real CISA medical advisories: the exact
//! matches, how each was made, which need review, the risk order and the first remediation.
//! The expectations below were worked out from the advisories themselves (product names,
//! version ranges, product status), device by device; see the comments.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use ward_intel::assess::assess;
use ward_intel::matcher::{Knowledge, MatchHow};
use ward_intel::names::Aliases;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn knowledge() -> Knowledge {
    let (ok, errors) = ward_intel::csaf::load_path(&root().join("../../../shared/data/advisories/cisa-icsma-csaf"));
    assert!(errors.is_empty());
    Knowledge::new(ok, Aliases::shipped())
}

fn inventory() -> Vec<ward_intel::inventory::Device> {
    ward_intel::inventory::load(&root().join("tests/fixtures/hospital-assets.csv")).expect("fixture").devices
}

/// (asset, advisory, how, needs review, number of CVEs).
type Expect = (&'static str, &'static str, MatchHow, bool, usize);

const EXPECTED: &[Expect] = &[
    // GE Optima CT540, version not recorded: ICSMA-20-343-01 lists it with vers:all/*.
    ("CT-0001", "ICSMA-20-343-01", MatchHow::Exact, false, 2),
    // B. Braun SpaceCom L75: ICSMA-20-296-02 "<= U61 |<= L81" (global line L), vendor "B. Braun
    // Medical" reached through the alias of "B. Braun Melsungen AG"; and a fuzzy resemblance to
    // ICSMA-17-082-02's "SpaceStation with SpaceCom module", whose range is of another line.
    ("PUMP-0005", "ICSMA-20-296-02", MatchHow::Alias, false, 11),
    ("PUMP-0005", "ICSMA-17-082-02", MatchHow::Fuzzy, true, 1),
    // "Draeger" is an alias of "Dräger"; ICSMA-19-022-01 Infinity Delta, all versions.
    ("MON-0003", "ICSMA-19-022-01", MatchHow::Alias, false, 3),
    // Softneta MedDream PACS 7.2.8.810: ICSMA-23-248-01 "<= 7.2.8.810".
    ("PACS-0001", "ICSMA-23-248-01", MatchHow::Exact, false, 2),
    // "BD" is the name in parentheses of "Becton, Dickinson and Company (BD)"; ICSMA-20-317-01
    // "<= 9.33.1". ICSMA-17-017-02's "<= 9.5" and "<= 9.33" do not hold 9.33.1.
    ("PUMP-0001", "ICSMA-20-317-01", MatchHow::Normalised, false, 1),
    // Welch Allyn Connex Spot Monitor 1.50: Baxter's ICSMA-24-151-02 "<=1.52" and Hillrom's
    // ICSMA-21-152-01 "< 1.52", both through the alias Welch Allyn -> Baxter.
    ("MON-0002", "ICSMA-24-151-02", MatchHow::Alias, false, 1),
    ("MON-0002", "ICSMA-21-152-01", MatchHow::Alias, false, 2),
    // MicroDicom DICOM Viewer 2023.3 Build 9342: ICSMA-24-163-01 "<2024.2" (same names) and
    // ICSMA-24-060-01 "<=2023.3_Build_9342" (product "MicroDicom DICOM Viewer").
    ("VIEW-0001", "ICSMA-24-163-01", MatchHow::Exact, false, 2),
    ("VIEW-0001", "ICSMA-24-060-01", MatchHow::Normalised, false, 2),
    // Philips IntelliVue MX40 B.06.17: ICSMA-17-255-01 "< B.06.18" (product has "(WLAN only)").
    ("MON-0001", "ICSMA-17-255-01", MatchHow::Normalised, false, 2),
    // OFFIS DCMTK 3.6.6: ICSMA-22-174-01 "< 3.6.7".
    ("WS-0001", "ICSMA-22-174-01", MatchHow::Exact, false, 3),
    // Baxter Sigma Spectrum 8.00.01: both advisories give "v6.x model 35700BAX" / "8.x model
    // 35700BAX2" as versions, which need review: flagged, never silently kept or dropped.
    ("PUMP-0004", "ICSMA-20-170-04", MatchHow::Exact, true, 6),
    ("PUMP-0004", "ICSMA-22-251-01", MatchHow::Exact, true, 4),
    // Hamilton T1 Ventilator 2.2.3: ICSMA-21-047-01 "<= 2.2.3".
    ("VENT-0001", "ICSMA-21-047-01", MatchHow::Exact, false, 3),
    // "Becton Dickinson" "Alaris 8015" 9.5: only fuzzy resemblances (same model number 8015).
    ("PUMP-0007", "ICSMA-23-194-01", MatchHow::Fuzzy, true, 8),
    ("PUMP-0007", "ICSMA-17-017-02", MatchHow::Fuzzy, true, 2),
    ("PUMP-0007", "ICSMA-20-317-01", MatchHow::Fuzzy, true, 1),
    // Smiths Medical Medfusion 4000 version 1.6: ICSMA-17-250-02A lists 1.1, 1.5 and 1.6.
    ("PUMP-0003", "ICSMA-17-250-02A", MatchHow::Exact, false, 8),
    // SpaceCom U62: above U61, and not comparable with L81; only the fuzzy resemblance remains.
    ("PUMP-0006", "ICSMA-17-082-02", MatchHow::Fuzzy, true, 1),
];

/// Risk order (score, then asset name), hand-summed from the rules in `risk.rs`.
const ORDER: &[(&str, f64)] = &[
    ("CT-0001", 46.2),   // CVSS 9.8 x 4 + imaging 7
    ("PUMP-0005", 45.4), // 7.6 x 4 + life-sustaining 15
    ("MON-0003", 44.6),  // 8.4 x 4 + monitor 11
    ("PACS-0001", 44.2), // 9.8 x 4 + PACS 5
    ("PUMP-0001", 41.0), // 6.5 x 4 + 15
    ("MON-0002", 40.6),  // 7.4 x 4 + 11
    ("VIEW-0001", 38.2), // 8.8 x 4 + workstation 3
    ("MON-0001", 37.0),  // 6.5 x 4 + 11
    ("WS-0001", 33.0),   // 7.5 x 4 + 3
    ("PUMP-0004", 32.2), // review only: 8.6 x 2 + 15
    ("VENT-0001", 32.2), // 4.3 x 4 + 15
    ("PUMP-0007", 31.4), // review only: 8.2 x 2 + 15
    ("PUMP-0003", 29.8), // 3.7 x 4 + 15
    ("PUMP-0006", 25.8), // review only: 5.4 x 2 + 15
];

#[test]
fn hospital_asset_list_matches_exactly() {
    let k = knowledge();
    let devices = inventory();
    assert_eq!(devices.len(), 18);
    let a = assess(&k, &devices, Vec::new());
    let mut got: BTreeSet<(String, String, MatchHow, bool, usize)> = BTreeSet::new();
    for r in &a.matches {
        let n = a.matches.iter().filter(|x| x.asset == r.asset && x.advisory == r.advisory).count();
        got.insert((r.asset.clone(), r.advisory.clone(), r.how, r.needs_review, n));
    }
    let want: BTreeSet<(String, String, MatchHow, bool, usize)> = EXPECTED.iter().map(|(a, b, c, d, e)| ((*a).to_string(), (*b).to_string(), *c, *d, *e)).collect();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:#?}\nextra {extra:#?}");
    // Decoys: same product name under another vendor, a fixed version, another product line.
    for decoy in ["PUMP-0002", "VIEW-0002", "DECOY-0001", "DECOY-0002"] {
        assert!(a.matches.iter().all(|m| m.asset != decoy), "{decoy} must not match");
    }
    let order: Vec<(&str, f64)> = a.risks.iter().map(|r| (r.asset.as_str(), r.score)).collect();
    assert_eq!(order, ORDER.to_vec());
}

#[test]
fn every_match_says_why() {
    let k = knowledge();
    let devices = inventory();
    let a = assess(&k, &devices, Vec::new());
    for r in &a.matches {
        assert!(r.why.contains("manufacturer") && (r.why.contains("version") || r.why.contains("all versions")), "{}", r.why);
        assert!(r.cve.is_some() && r.cvss.is_some());
    }
    let m = a.matches.iter().find(|r| r.asset == "PUMP-0005" && r.cve.as_deref() == Some("CVE-2020-25150")).expect("present");
    assert!(m.why.contains("via alias \"b braun melsungen\" -> \"b braun\""), "{}", m.why);
    assert!(m.why.contains("version \"L75\" within \"<= U61 |<= L81\""), "{}", m.why);
    let m = a.matches.iter().find(|r| r.asset == "PUMP-0004").expect("present");
    assert!(m.why.contains("needs review"), "{}", m.why);
    // Remediation: the vendor fix with its version.
    let m = a.matches.iter().find(|r| r.asset == "WS-0001").expect("present");
    assert_eq!((m.remediation_category, m.fixed_version.as_deref()), (Some("vendor_fix"), Some("3.6.7")));
    // The steps, applied in order, remove the whole score.
    for r in &a.risks {
        let total: f64 = r.remediations.iter().map(|s| s.reduces_by).sum();
        assert!((total - r.score).abs() < 0.25, "{}: steps remove {total}, score {}", r.asset, r.score);
    }
}

#[test]
fn kev_and_epss_raise_the_exploited_device() {
    let mut k = knowledge();
    k.kev = Some(ward_intel::kev::Kev::load(&root().join("tests/fixtures/kev-fixture.json")).expect("kev").0);
    k.epss = Some(ward_intel::epss::Epss::load(&root().join("tests/fixtures/epss-fixture.csv")).expect("epss").0);
    let devices = inventory();
    let a = assess(&k, &devices, Vec::new());
    // PUMP-0001 carries CVE-2020-25165, in the KEV fixture with EPSS 0.4: 26 + 20 + 6 + 15 = 67.
    assert_eq!(a.risks[0].asset, "PUMP-0001");
    assert_eq!(a.risks[0].score, 67.0);
    assert!(a.risks[0].reasons.iter().any(|r| r.text.contains("Known Exploited")));
    let m = a.matches.iter().find(|m| m.asset == "PUMP-0001").expect("present");
    assert!(m.kev);
    assert_eq!(m.epss, Some(0.4));
}
