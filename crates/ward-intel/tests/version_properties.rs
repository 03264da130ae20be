//! Properties of the version order over generated firmware-style versions: a total order within
//! a line (reflexive, antisymmetric, transitive), and ranges agree with the order.

use proptest::prelude::*;
use std::cmp::Ordering;
use ward_intel::range::{Verdict, VersionSpec};
use ward_intel::version::Version;

fn version_text() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        (0u32..30).prop_map(|n| n.to_string()),
        "[a-dA-D]".prop_map(String::from),
        Just("rc".to_string()),
        Just("build".to_string()),
        Just("SP".to_string()),
        (0u32..30).prop_map(|n| format!("0{n}")),
    ];
    let sep = prop_oneof![Just("."), Just("-"), Just("_"), Just(" "), Just("")];
    proptest::collection::vec((part, sep), 1..6).prop_map(|parts| {
        let mut s = String::new();
        for (i, (p, sp)) in parts.iter().enumerate() {
            if i > 0 {
                s.push_str(sp);
            }
            s.push_str(p);
        }
        // Always start with a number: no line, so all versions compare.
        format!("1.{s}")
    })
}

proptest! {
    #[test]
    fn the_order_is_total_and_consistent(a in version_text(), b in version_text(), c in version_text()) {
        let (Ok(x), Ok(y), Ok(z)) = (Version::parse(&a), Version::parse(&b), Version::parse(&c)) else { return Ok(()) };
        let xy = x.compare(&y).expect("same line");
        prop_assert_eq!(x.compare(&x), Some(Ordering::Equal));
        prop_assert_eq!(y.compare(&x), Some(xy.reverse()));
        let yz = y.compare(&z).expect("same line");
        if xy != Ordering::Greater && yz != Ordering::Greater {
            prop_assert_ne!(x.compare(&z), Some(Ordering::Greater), "{} <= {} <= {}", a, b, c);
        }
    }

    #[test]
    fn ranges_agree_with_the_order(a in version_text(), b in version_text()) {
        let (Ok(x), Ok(y)) = (Version::parse(&a), Version::parse(&b)) else { return Ok(()) };
        let le = VersionSpec::parse(&format!("<= {a}"));
        let gt = VersionSpec::parse(&format!("> {a}"));
        prop_assume!(!le.needs_review() && !gt.needs_review());
        let inside = y.compare(&x) != Some(Ordering::Greater);
        prop_assert_eq!(le.check(Some(&y)) == Verdict::Affected, inside, "{} <= {}", b, a);
        prop_assert_eq!(gt.check(Some(&y)) == Verdict::Affected, !inside, "{} > {}", b, a);
    }
}
