//! Fuzz entry points (`fuzz/fuzz_targets/intel_*.rs`), also run over their seed corpus as
//! ordinary tests. Each checks properties, not only the absence of a panic.

use crate::range::{Verdict, VersionSpec};
use crate::version::Version;
use std::cmp::Ordering;
use std::path::Path;

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Two versions separated by the first newline: parsing never panics, comparison is reflexive
/// and antisymmetric, and the display form of a version parses back to an equal version.
pub fn version(data: &[u8]) {
    let s = text(data);
    let (a, b) = s.split_once('\n').unwrap_or((s.as_str(), ""));
    let va = Version::parse(a);
    let vb = Version::parse(b);
    if let Ok(x) = &va {
        assert_eq!(x.compare(x), Some(Ordering::Equal), "reflexive: {a:?}");
    }
    if let (Ok(x), Ok(y)) = (&va, &vb) {
        assert_eq!(x.compare(y).map(Ordering::reverse), y.compare(x), "antisymmetric: {a:?} {b:?}");
    }
}

/// A range and a version separated by the first newline: parsing never panics, a spec that
/// needs review never says `Affected`, and a point range contains its own version.
pub fn range(data: &[u8]) {
    let s = text(data);
    let (r, v) = s.split_once('\n').unwrap_or((s.as_str(), "1.0"));
    let spec = VersionSpec::parse(r);
    let dev = Version::parse(v).ok();
    let verdict = spec.check(dev.as_ref());
    if spec.needs_review() {
        assert!(matches!(verdict, Verdict::Unknown(_)), "needs review but decided: {r:?}");
    }
    // Ranges read white space as one space and ` and ` as a list separator (`2131 and 2141`).
    let norm = r.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Ok(p) = Version::parse(r)
        && !p.wildcard
        && !norm.contains('|')
        && !norm.contains(" and ")
        && let VersionSpec::Ranges { .. } = spec
    {
        assert_eq!(spec.check(Some(&p)), Verdict::Affected, "a version is inside its own point range: {r:?}");
    }
}

/// A CSAF document: parsing never panics; every product found has an id; the flattened
/// statuses refer to strings only, and matching every product name against the document itself
/// does not panic.
pub fn csaf(data: &[u8]) {
    if let Ok(a) = crate::csaf::parse(data, Path::new("fuzz.json")) {
        assert!(a.products.len() <= crate::csaf::MAX_PRODUCTS);
        let devices: Vec<crate::inventory::Device> = a
            .products
            .iter()
            .take(64)
            .map(|p| crate::inventory::Device {
                asset: p.id.clone(),
                manufacturer: p.vendor.clone(),
                model: p.name.clone(),
                version: p.version_text.clone(),
                ..crate::inventory::Device::default()
            })
            .collect();
        let k = crate::matcher::Knowledge::new(vec![a], crate::names::Aliases::shipped());
        let mut m = crate::matcher::Matcher::new(&k, Vec::new());
        for x in m.match_all(&devices) {
            let _ = k.record(&devices[x.device], &x);
        }
    }
    let _ = crate::inventory::parse(data);
    let _ = crate::sbom::parse(data, Path::new("fuzz.json"));
}
