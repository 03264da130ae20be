//! Which versions an advisory's product entry covers: CSAF `product_version` and
//! `product_version_range` names as CISA writes them, and the `vers:` scheme.
//!
//! Forms understood (all seen in real CISA medical advisories):
//!
//! - `vers:all/*`, `*`, `* (end-of-life 2011)`: every version;
//! - `vers:<scheme>/>=1.0|<2.0`: the vers constraint list (percent-encoding decoded);
//! - `<= 2.3.6`, `<2024.2`, `>= 2.0`, `= 1.6.1`: one bound;
//! - `>= 4.01 | <= 4.34`: a lower bound followed by an upper bound is one interval, as in vers;
//! - `<= U61 |<= L81`, `5.0|5.1`, `B.02 | C.02 | C.03`, `2131 and 2141`: alternatives;
//! - `A10 < A11`, `A.01 <= C.03`: low and high bound in one;
//! - `2.3.6 and below`, `prior to 3.0`: words for bounds;
//! - `<  july 1 2017`, `distributed  < april 1, 2018`, `<8/30/2024`: date bounds (they say when a
//!   device was built or shipped: a device matches only when its stated version is a date);
//! - `<= 1.54 (integrated into GE MobileLink)`: a trailing note in parentheses is kept aside.
//!
//! Anything else — prose, model numbers in the version field, a version qualified by another
//! component's range (`9.x (with Wireless Battery Modules >= 22D19 | <= v22D28)`) — becomes
//! [`VersionSpec::NeedsReview`] with the reason. It is never matched silently nor dropped: a
//! product entry that needs review produces a match flagged for review.

use crate::version::{Version, VersionError};
use std::cmp::Ordering;

/// Longest range text parsed, in bytes.
pub const MAX_RANGE_LEN: usize = 1024;
/// Most alternatives in one range.
pub const MAX_ALTERNATIVES: usize = 64;

/// One bound of an interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// The version at the bound.
    pub version: Version,
    /// Whether the bound itself is inside.
    pub inclusive: bool,
}

/// A contiguous set of versions; a missing bound is unbounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    /// Lower bound.
    pub low: Option<Bound>,
    /// Upper bound.
    pub high: Option<Bound>,
}

/// The versions a product entry covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSpec {
    /// Every version (`vers:all/*`, `*`).
    All {
        /// A note that came with it (`end-of-life 2011`).
        note: Option<String>,
    },
    /// Any of these intervals.
    Ranges {
        /// The intervals (a point is an interval with equal inclusive bounds).
        intervals: Vec<Interval>,
        /// A note that came with it.
        note: Option<String>,
    },
    /// Not understood: a person must read the advisory.
    NeedsReview {
        /// Why.
        reason: String,
    },
}

/// Whether a device version falls inside a [`VersionSpec`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Inside.
    Affected,
    /// Outside.
    NotAffected,
    /// Cannot tell; the reason says why.
    Unknown(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

impl VersionSpec {
    /// Parses the name of a CSAF `product_version` or `product_version_range` branch. Both get
    /// the same grammar: CISA writes ranges in either (`vers:all/*` as a `product_version`), and
    /// a bare version means exactly that version in both.
    #[must_use]
    pub fn parse(text: &str) -> VersionSpec {
        match parse_inner(text) {
            Ok(s) => s,
            Err(reason) => VersionSpec::NeedsReview { reason },
        }
    }

    /// True when the spec needs a person.
    #[must_use]
    pub fn needs_review(&self) -> bool {
        matches!(self, VersionSpec::NeedsReview { .. })
    }

    /// Decides whether `device` (the version the device states, if known) is covered.
    #[must_use]
    pub fn check(&self, device: Option<&Version>) -> Verdict {
        let intervals = match self {
            VersionSpec::All { .. } => return Verdict::Affected,
            VersionSpec::NeedsReview { reason } => return Verdict::Unknown(format!("advisory version needs review: {reason}")),
            VersionSpec::Ranges { intervals, .. } => intervals,
        };
        let Some(d) = device else {
            return Verdict::Unknown("the device's version is unknown".into());
        };
        let mut definite = false;
        let mut date_bound = false;
        for iv in intervals {
            match iv.contains(d) {
                Some(true) => return Verdict::Affected,
                Some(false) => definite = true,
                None => {
                    if iv.low.iter().chain(iv.high.iter()).any(|b| b.version.is_date()) {
                        date_bound = true;
                    }
                }
            }
        }
        if definite {
            Verdict::NotAffected
        } else if date_bound && !d.is_date() {
            Verdict::Unknown("the advisory bounds a date (build or ship date); the device's version is not a date".into())
        } else {
            Verdict::Unknown(format!("the device's version {d} is of another line than the advisory's"))
        }
    }
}

impl Interval {
    /// `Some(inside)`, or `None` when a bound does not compare with `v`.
    #[must_use]
    pub fn contains(&self, v: &Version) -> Option<bool> {
        if let Some(lo) = &self.low {
            let o = v.cmp_prefix(&lo.version)?;
            if o == Ordering::Less || (o == Ordering::Equal && !lo.inclusive && !lo.version.wildcard) {
                return Some(false);
            }
        }
        if let Some(hi) = &self.high {
            let o = v.cmp_prefix(&hi.version)?;
            if o == Ordering::Greater || (o == Ordering::Equal && !hi.inclusive) {
                return Some(false);
            }
        }
        Some(true)
    }
}

fn ver(s: &str) -> Result<Version, String> {
    Version::parse(s).map_err(|e: VersionError| format!("{s:?}: {e}"))
}

/// Decodes `%XX` escapes (vers and purl); invalid escapes are kept as written.
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(h) = h {
                out.push(h);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_inner(text: &str) -> Result<VersionSpec, String> {
    if text.len() > MAX_RANGE_LEN {
        return Err("range text too long".into());
    }
    let mut s = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return Err("empty version".into());
    }
    if let Some(rest) = s.strip_prefix("vers:") {
        let Some((_scheme, cons)) = rest.split_once('/') else {
            return Err("vers: without a scheme".into());
        };
        let cons = percent_decode(cons.trim());
        if cons.trim() == "*" {
            return Ok(VersionSpec::All { note: None });
        }
        return constraints(&cons, None);
    }
    // A trailing note in parentheses.
    let mut note = None;
    if s.ends_with(')')
        && let Some(open) = s.find('(')
    {
        let inner = s[open + 1..s.len() - 1].to_string();
        if inner.contains(['(', ')']) {
            return Err("several parenthesised parts (a list of qualified versions)".into());
        }
        if inner.contains(['<', '>', '=']) {
            return Err(format!("the version is qualified by another component's range ({})", inner.trim()));
        }
        note = Some(inner.trim().to_string());
        s = s[..open].trim().to_string();
        if s.is_empty() {
            return Err(format!("only a note, no version: ({})", inner.trim()));
        }
    }
    if s == "*" || s.eq_ignore_ascii_case("all") || s.eq_ignore_ascii_case("all versions") {
        return Ok(VersionSpec::All { note });
    }
    if let Some(rest) = s.strip_prefix('*') {
        // `* running on old, unsupported operating systems`: all versions, with a condition.
        return Ok(VersionSpec::All { note: Some(rest.trim().to_string()) });
    }
    // A qualifier word before the operator: `distributed  < april 1, 2018`.
    for q in ["distributed", "shipped", "manufactured", "released", "produced"] {
        if let Some(rest) = s.strip_prefix(q)
            && rest.trim_start().starts_with(['<', '>', '='])
        {
            note = Some(format!("{q} {}", note.as_deref().unwrap_or("")).trim().to_string());
            s = rest.trim().to_string();
            break;
        }
    }
    // Words for bounds.
    let lower = s.to_ascii_lowercase();
    for (suffix, op) in [
        (" and below", "<="),
        (" and prior", "<="),
        (" and earlier", "<="),
        (" and lower", "<="),
        (" and older", "<="),
        (" or earlier", "<="),
        (" or lower", "<="),
        (" and later", ">="),
        (" and above", ">="),
        (" and newer", ">="),
        (" and higher", ">="),
        (" or later", ">="),
        (" or higher", ">="),
    ] {
        if lower.ends_with(suffix) {
            let v = s[..s.len() - suffix.len()].trim();
            s = format!("{op} {v}");
            break;
        }
    }
    for (prefix, op) in [("prior to ", "<"), ("before ", "<"), ("up to ", "<="), ("from ", ">=")] {
        if lower.starts_with(prefix) {
            let v = s[prefix.len()..].trim();
            s = format!("{op} {v}");
            break;
        }
    }
    constraints(&s.replace(" and ", "|"), note)
}

/// Splits a `|`-separated constraint list and folds it into intervals (vers semantics: a lower
/// bound followed by an upper bound is one interval).
fn constraints(s: &str, note: Option<String>) -> Result<VersionSpec, String> {
    let alts: Vec<&str> = s.split('|').map(str::trim).collect();
    if alts.len() > MAX_ALTERNATIVES {
        return Err("too many alternatives".into());
    }
    let mut intervals = Vec::new();
    let mut pending: Option<Bound> = None;
    for alt in alts {
        if alt.is_empty() {
            return Err("empty alternative".into());
        }
        if alt == "*" {
            return Ok(VersionSpec::All { note });
        }
        if alt.starts_with("!=") {
            return Err("exclusions (!=) are not supported".into());
        }
        let (op, rest) = leading_op(alt);
        match op {
            Some(op) => {
                let v = ver(rest)?;
                let inclusive = matches!(op, Op::Le | Op::Ge | Op::Eq);
                match op {
                    Op::Ge | Op::Gt => {
                        if let Some(p) = pending.take() {
                            intervals.push(Interval { low: Some(p), high: None });
                        }
                        pending = Some(Bound { version: v, inclusive });
                    }
                    Op::Le | Op::Lt => {
                        intervals.push(Interval { low: pending.take(), high: Some(Bound { version: v, inclusive }) });
                    }
                    Op::Eq => {
                        if let Some(p) = pending.take() {
                            intervals.push(Interval { low: Some(p), high: None });
                        }
                        intervals.push(point(v));
                    }
                }
            }
            None => {
                if let Some(p) = pending.take() {
                    intervals.push(Interval { low: Some(p), high: None });
                }
                // `A10 < A11`, `A.01 <= C.03`: low and high in one.
                if let Some((lo, op, hi)) = split_infix(alt) {
                    let low = ver(lo)?;
                    let high = ver(hi)?;
                    intervals.push(Interval {
                        low: Some(Bound { version: low, inclusive: true }),
                        high: Some(Bound { version: high, inclusive: op == Op::Le }),
                    });
                } else if alt.contains(['<', '>', '=']) {
                    return Err(format!("{alt:?}: comparison in an unexpected place"));
                } else {
                    intervals.push(point(ver(alt)?));
                }
            }
        }
    }
    if let Some(p) = pending.take() {
        intervals.push(Interval { low: Some(p), high: None });
    }
    if intervals.is_empty() {
        return Err("no constraint".into());
    }
    Ok(VersionSpec::Ranges { intervals, note })
}

fn point(v: Version) -> Interval {
    Interval { low: Some(Bound { version: v.clone(), inclusive: true }), high: Some(Bound { version: v, inclusive: true }) }
}

fn leading_op(s: &str) -> (Option<Op>, &str) {
    for (t, op) in [("<=", Op::Le), (">=", Op::Ge), ("==", Op::Eq), ("<", Op::Lt), (">", Op::Gt), ("=", Op::Eq)] {
        if let Some(r) = s.strip_prefix(t) {
            return (Some(op), r.trim());
        }
    }
    (None, s)
}

fn split_infix(s: &str) -> Option<(&str, Op, &str)> {
    for (t, op) in [("<=", Op::Le), ("<", Op::Lt)] {
        if let Some((a, b)) = s.split_once(t) {
            let (a, b) = (a.trim(), b.trim());
            if !a.is_empty() && !b.is_empty() && !b.contains(['<', '>', '=']) {
                return Some((a, op, b));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        match Version::parse(s) {
            Ok(v) => v,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn spec(s: &str) -> VersionSpec {
        let r = VersionSpec::parse(s);
        assert!(!r.needs_review(), "{s:?} should parse: {r:?}");
        r
    }

    fn yes(s: &str, dev: &str) {
        assert_eq!(spec(s).check(Some(&v(dev))), Verdict::Affected, "{dev} in {s}");
    }

    fn no(s: &str, dev: &str) {
        assert_eq!(spec(s).check(Some(&v(dev))), Verdict::NotAffected, "{dev} not in {s}");
    }

    fn unknown(s: &str, dev: &str) {
        assert!(matches!(VersionSpec::parse(s).check(Some(&v(dev))), Verdict::Unknown(_)), "{dev} vs {s} unknown");
    }

    fn review(s: &str) {
        assert!(VersionSpec::parse(s).needs_review(), "{s:?} should need review");
    }

    #[test]
    fn all_versions() {
        for s in ["vers:all/*", "*", "* (end-of-life 2011)", "* running on old, unsupported operating systems such as Windows 2000"] {
            yes(s, "1.0");
            assert_eq!(VersionSpec::parse(s).check(None), Verdict::Affected);
        }
    }

    #[test]
    fn single_bounds() {
        yes("<=2023.3_Build_9342", "2023.3 Build 9342");
        yes("<=2023.3_Build_9342", "2023.2");
        yes("<=2023.3_Build_9342", "2023.3");
        no("<=2023.3_Build_9342", "2023.3 Build 9343");
        no("<=2023.3_Build_9342", "2024.1");
        yes("<12.2.8.410", "12.2.8.409");
        no("<12.2.8.410", "12.2.8.410");
        no("<12.2.8.410", "12.3");
        yes("< 8.2.2", "8.2.1");
        yes("<= 2.6A", "2.6");
        no("<= 2.6A", "2.6B");
        yes(">= 2.0", "2.0");
        no(">= 2.0", "1.9");
        yes("= 1.6.1", "1.6.1");
        yes("< 012U000040", "012U000039");
        no("< 012U000040", "012U000040");
        yes("<= B.12", "A.05");
        no("<= B.12", "C.01");
        yes("<=N", "K");
        no("<= K", "L");
    }

    #[test]
    fn lines_in_alternatives() {
        let s = "<= U61 |<= L81";
        yes(s, "U61");
        yes(s, "L75");
        no(s, "U62");
        no(s, "L82");
        unknown(s, "2.0");
    }

    #[test]
    fn intervals_and_lists() {
        let s = ">= 4.01 | <= 4.34";
        yes(s, "4.01");
        yes(s, "4.2");
        no(s, "4.35");
        no(s, "3.9");
        let s = ">= 1.3.4 | < 1.5.3";
        yes(s, "1.5.2");
        no(s, "1.5.3");
        yes(">= 2018-1 | <= 2021-1", "2019-2");
        yes("5.0|5.1", "5.1");
        no("5.0|5.1", "5.2");
        yes("B.02 | C.02 | C.03", "C.02");
        no("B.02 | C.02 | C.03", "C.01");
        yes("2131 and 2141", "2141");
        yes("A10 < A11", "A10");
        no("A10 < A11", "A11");
        yes(">=BT02 | <= BT06", "BT04");
        no(">=BT02 | <= BT06", "BT07");
        yes("4.20 | 4.20 SR1 | 4.30", "4.20 SR1");
        no("4.20 | 4.20 SR1 | 4.30", "4.20 SR2");
        yes("vers:generic/>=1.0|<2.0", "1.9.9");
        no("vers:generic/>=1.0|<2.0", "2.0");
        yes("vers:generic/%3E%3D1.0%7C%3C2.0", "1.5");
        yes("1.1.7.333 | 2.1.1.3069", "2.1.1.3069");
    }

    #[test]
    fn wildcards_in_ranges() {
        yes("<= 12.2.x.x", "12.2.9.14");
        no("<= 12.2.x.x", "12.3");
        yes("<= 11.x", "11.7");
        no("<= 11.x", "12.0");
        yes("< 3.x", "2.9");
        no("< 3.x", "3.1");
        yes("5.x.x", "5.2.1");
        no("5.x.x", "6.0");
        yes("2.X", "2.4");
        yes("14.1.x", "14.1.7");
    }

    #[test]
    fn words_and_notes() {
        yes("2.3.6 and  below", "2.3.6");
        no("2.3.6 and  below", "2.3.7");
        yes("<= 1.54 (integrated into GE MobileLink)", "1.54");
        yes("<= 2.01 (end-of-life Nov 2017)", "2.0");
        yes("< 1.8.4 Service Pack 01", "1.8.4");
        no("< 1.8.4 Service Pack 01", "1.8.4 Service Pack 01");
        yes("prior to 3.0", "2.9");
        if let VersionSpec::Ranges { note, .. } = spec("<= 1.54 (integrated into GE MobileLink)") {
            assert_eq!(note.as_deref(), Some("integrated into GE MobileLink"));
        }
    }

    #[test]
    fn dates_bound_dates_only() {
        yes("<8/30/2024", "2024-08-29");
        no("<8/30/2024", "2024-08-30");
        yes("<  july 1 2017", "2017-06-30");
        yes("distributed  < april 1, 2018", "2018-03-01");
        yes("<May 2018", "2018-04-30");
        unknown("<8/30/2024", "12.2");
        unknown("<  november 29 2017", "1.0");
    }

    #[test]
    fn needs_review_with_reason() {
        for s in [
            "< august 28",
            "9.x (with Wireless Battery Modules >= 22D19 | <= v22D28)",
            "6.x (Wireless Battery Modules (16 | 16D38 | 17 | 17D19 | >= 20D29 | <= v20D32 | >= 22D24 | <= v22D28)",
            "<=11.2 on Windows 8.1 with IIS 7.5",
            "A.01 <= C.0x | 4.0",
            "MMT-512 / MMT-712 Paradigm x12",
            "882300 Gemini 16 Slice",
            "Rev J-M | (X3/MX100 for Rev M only)",
            "with wireless option (shipped between 26-June-2017 through 07-August 2018)",
            "Version B, Firmware A.01.09, Part #: N/A (Replaced by Version C)",
            "7100 | 7900 | 100 | Protiva Carestation View",
            "053L000091 (global) / 054U000091 (U.S.) and 053L000092 (global) / 054U000092 (U.S.)",
            "",
            "vers:",
            "a|||b",
        ] {
            review(s);
        }
        match VersionSpec::parse("< august 28") {
            VersionSpec::NeedsReview { reason } => assert!(reason.contains("date without a year"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(VersionSpec::parse("< august 28").check(Some(&v("1.0"))), Verdict::Unknown(_)));
    }

    #[test]
    fn unknown_device_version() {
        assert!(matches!(spec("<= 2.0").check(None), Verdict::Unknown(_)));
    }
}
