//! Vendor and product names: normalisation and the alias data of `knowledge/vendors/`.
//!
//! `Becton, Dickinson and Company (BD)`, `BD` and `CareFusion` must all find the advisories about
//! an Alaris pump; `Philips IntelliVue MX40` and `IntelliVue MX40 (WLAN)` must be one product.
//! [`normalize`] folds case, accents and punctuation and drops corporate suffixes; names in
//! parentheses become second names; [`Aliases`] maps other names of a manufacturer (brands,
//! acquisitions, misspellings seen in advisories) to one canonical name.

use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// The shipped alias file.
pub const SHIPPED_ALIASES: &str = include_str!("../../../knowledge/vendors/aliases.tsv");

/// Words dropped from vendor names: legal forms and the like.
const CORPORATE: &[&str] = &[
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "lp", "gmbh", "ag", "sa", "oy", "ab", "kg", "kgaa",
    "plc", "se", "nv", "bv", "srl", "spa", "pty", "kk", "international", "holdings", "the", "and",
];

/// Words dropped from product names.
const PRODUCT_FILLER: &[&str] = &["model", "the", "series", "family", "and", "with", "for", "of", "version", "ver"];

/// One alias line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The canonical normalised name.
    pub canonical: String,
    /// Why they are the same manufacturer.
    pub relation: String,
    /// Where that comes from.
    pub source: String,
}

/// Alias table: normalised alias to canonical name.
#[derive(Debug, Clone, Default)]
pub struct Aliases {
    map: FxHashMap<String, Alias>,
}

impl Aliases {
    /// The aliases shipped in `knowledge/vendors/aliases.tsv`.
    #[must_use]
    pub fn shipped() -> &'static Aliases {
        static SHIPPED: OnceLock<Aliases> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            let mut a = Aliases::default();
            // The shipped file is checked by a test; a bad line there is a build problem.
            let _ = a.add(SHIPPED_ALIASES);
            a
        })
    }

    /// Adds the lines of an alias file (later lines win).
    ///
    /// # Errors
    /// The line numbers and reasons of malformed lines; the good lines are still added.
    pub fn add(&mut self, text: &str) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 4 {
                errors.push(format!("line {}: expected 4 tab-separated columns (alias, canonical, relation, source)", i + 1));
                continue;
            }
            let alias = normalize(cols[0]);
            let canonical = normalize(cols[1]);
            if alias.is_empty() || canonical.is_empty() {
                errors.push(format!("line {}: empty name", i + 1));
                continue;
            }
            if cols[3].trim().is_empty() {
                errors.push(format!("line {}: no source", i + 1));
                continue;
            }
            self.map.insert(alias, Alias { canonical, relation: cols[2].trim().to_string(), source: cols[3].trim().to_string() });
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// The canonical name of a normalised name, if it is an alias.
    #[must_use]
    pub fn canonical(&self, normalized: &str) -> Option<&Alias> {
        self.map.get(normalized)
    }

    /// Every alias of `canonical` (normalised), for stripping brand words from product names.
    pub fn aliases_of<'a>(&'a self, canonical: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.map.iter().filter(move |(_, a)| a.canonical == canonical).map(|(k, _)| k.as_str())
    }
}

fn fold(c: char) -> Option<char> {
    let base = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ñ' | 'Ñ' => 'n',
        'ç' | 'Ç' => 'c',
        'ß' => 's',
        c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
        c if c.is_ascii() => ' ',
        // Other non-ASCII (mojibake such as the `¤` of a mis-decoded `ä`): dropped.
        _ => return None,
    };
    Some(base)
}

/// Lower case, accents folded, anything but letters and digits to spaces, text in parentheses
/// removed, corporate suffixes dropped, spaces collapsed. `Becton, Dickinson and Company (BD)`
/// gives `becton dickinson`.
#[must_use]
pub fn normalize(s: &str) -> String {
    let words = fold_words(&strip_parens(s));
    words.into_iter().filter(|w| !CORPORATE.contains(&w.as_str())).collect::<Vec<_>>().join(" ")
}

/// The texts in parentheses (`BD` in `Becton, Dickinson and Company (BD)`), normalised.
#[must_use]
pub fn parenthesized(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('(') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(')') else { break };
        let n = normalize(&after[..close]);
        if !n.is_empty() && out.len() < 8 {
            out.push(n);
        }
        rest = &after[close + 1..];
    }
    out
}

fn strip_parens(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn fold_words(s: &str) -> Vec<String> {
    let mut folded = String::with_capacity(s.len());
    for c in s.chars() {
        if let Some(f) = fold(c) {
            folded.push(f);
        }
    }
    folded.split_whitespace().map(str::to_string).collect()
}

/// The vendor keys of a vendor text as an advisory writes it: the whole name, each name of a
/// list (`Silex Technology and GE Healthcare`), each name in parentheses, and the canonical name
/// of each of those that is an alias. The flag says "reached through an alias".
#[must_use]
pub fn vendor_keys(vendor: &str, aliases: &Aliases) -> Vec<(String, bool)> {
    let mut direct: Vec<String> = Vec::new();
    let push = |k: String, v: &mut Vec<String>| {
        if !k.is_empty() && !v.contains(&k) && v.len() < 16 {
            v.push(k);
        }
    };
    push(normalize(vendor), &mut direct);
    for p in parenthesized(vendor) {
        push(p, &mut direct);
    }
    let no_parens = strip_parens(vendor);
    let listed: Vec<&str> = no_parens.split([',', ';', '&', '/']).flat_map(|p| p.split(" and ")).collect();
    if listed.len() > 1 {
        for part in listed {
            push(normalize(part), &mut direct);
        }
    }
    let mut keys: Vec<(String, bool)> = direct.iter().map(|k| (k.clone(), false)).collect();
    for k in &direct {
        if let Some(a) = aliases.canonical(k)
            && !keys.iter().any(|(x, _)| *x == a.canonical)
        {
            keys.push((a.canonical.clone(), true));
        }
    }
    keys
}

/// A product name made ready for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductName {
    /// Normalised words joined by spaces, vendor and brand words dropped from the front.
    pub normalized: String,
    /// Second names: the texts in parentheses (`CSM`, `PICiX`).
    pub alternates: Vec<String>,
    /// Words with a digit (`8015`, `mx40`), sorted: these must agree for a fuzzy match.
    pub numbered: Vec<String>,
    /// Words without a digit, sorted and deduplicated.
    pub words: Vec<String>,
}

impl ProductName {
    /// Prepares `name`. `vendor_words` are the normalised vendor names and brands dropped from
    /// the front of the name for the normalised form (`BD Pyxis ES` is `pyxis es` under BD,
    /// `Welch Allyn Connex` is `connex` under Baxter). The word sets used for fuzzy likeness keep
    /// brands (`alaris` says a lot) and drop only the words of `direct`, the vendor's own names.
    #[must_use]
    pub fn new(name: &str, vendor_words: &[&str], direct: &[&str]) -> ProductName {
        let all: Vec<String> = fold_words(&strip_parens(name)).into_iter().filter(|w| !PRODUCT_FILLER.contains(&w.as_str())).collect();
        let mut words = all.clone();
        // Drop a leading vendor or brand name, longest first, more than once (`GE Healthcare GE ...`).
        for _ in 0..2 {
            let mut best = 0;
            for v in vendor_words {
                let vw: Vec<&str> = v.split(' ').collect();
                if vw.len() < words.len() && vw.len() > best && vw.iter().zip(&words).all(|(a, b)| *a == b.as_str()) {
                    best = vw.len();
                }
            }
            if best == 0 {
                break;
            }
            words.drain(..best);
        }
        let normalized = words.join(" ");
        let vendor_word = |w: &str| direct.iter().any(|d| d.split(' ').any(|x| x == w));
        let kept: Vec<&String> = all.iter().filter(|w| !vendor_word(w)).collect();
        let mut numbered: Vec<String> = kept.iter().filter(|w| w.bytes().any(|b| b.is_ascii_digit())).map(|w| (*w).clone()).collect();
        numbered.sort();
        numbered.dedup();
        let mut plain: Vec<String> = kept.iter().filter(|w| !w.bytes().any(|b| b.is_ascii_digit())).map(|w| (*w).clone()).collect();
        plain.sort();
        plain.dedup();
        ProductName { normalized, alternates: parenthesized(name), numbered, words: plain }
    }

    /// A fuzzy likeness: the same numbered words, and all plain words of the shorter name in
    /// the longer one (at least one plain word). Meant to be flagged for review, never trusted.
    #[must_use]
    pub fn fuzzy_like(&self, other: &ProductName) -> bool {
        if self.numbered != other.numbered {
            return false;
        }
        let (short, long) = if self.words.len() <= other.words.len() { (&self.words, &other.words) } else { (&other.words, &self.words) };
        !short.is_empty() && short.iter().all(|w| long.binary_search(w).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_aliases_parse_cleanly() {
        let mut a = Aliases::default();
        assert_eq!(a.add(SHIPPED_ALIASES), Ok(()));
        assert!(a.map.len() >= 40);
        assert_eq!(a.canonical("hillrom").map(|x| x.canonical.as_str()), Some("baxter"));
        assert_eq!(a.canonical("phillips").map(|x| x.canonical.as_str()), Some("philips"));
    }

    #[test]
    fn bad_alias_lines_are_reported() {
        let mut a = Aliases::default();
        let e = a.add("x\ty\n# comment\nfoo\tbar\trel\t\n");
        assert_eq!(e, Err(vec!["line 1: expected 4 tab-separated columns (alias, canonical, relation, source)".into(), "line 3: no source".into()]));
    }

    #[test]
    fn vendor_normalisation() {
        assert_eq!(normalize("Becton, Dickinson and Company (BD)"), "becton dickinson");
        assert_eq!(normalize("B. Braun Melsungen AG"), "b braun melsungen");
        assert_eq!(normalize("Hamilton Medical AG"), "hamilton medical");
        assert_eq!(normalize("SOOIL Developments Co, Ltd."), "sooil developments");
        assert_eq!(normalize("Dräger"), "drager");
        assert_eq!(normalize("Innokas YhtymÃ¤ Oy"), normalize("Innokas Yhtymä Oy"));
        assert_eq!(normalize("Medtronic "), "medtronic");
        let keys = vendor_keys("Becton, Dickinson and Company (BD)", Aliases::shipped());
        assert!(keys.contains(&("becton dickinson".into(), false)));
        assert!(keys.contains(&("bd".into(), false)));
        let keys = vendor_keys("Hillrom and ELI, Baxter International Inc.", Aliases::shipped());
        assert!(keys.contains(&("hillrom".into(), false)));
        assert!(keys.contains(&("baxter".into(), false)));
        let keys = vendor_keys("Welch Allyn", Aliases::shipped());
        assert_eq!(keys, vec![("welch allyn".into(), false), ("baxter".into(), true)]);
        let keys = vendor_keys("General Electric (GE)", Aliases::shipped());
        assert!(keys.contains(&("ge healthcare".into(), true)));
    }

    #[test]
    fn product_names() {
        let p = ProductName::new("BD Pyxis MedStation ES", &["bd", "becton dickinson"], &["bd"]);
        assert_eq!(p.normalized, "pyxis medstation es");
        let p = ProductName::new("Welch Allyn Connex Spot Monitor (CSM)", &["baxter", "welch allyn"], &["baxter"]);
        assert_eq!(p.normalized, "connex spot monitor");
        assert_eq!(p.alternates, vec!["csm".to_string()]);
        let a = ProductName::new("BD Alaris PC Unit Model 8015", &["bd", "alaris"], &["bd"]);
        let b = ProductName::new("Alaris 8015", &["bd", "alaris"], &["bd"]);
        assert!(a.fuzzy_like(&b));
        let c = ProductName::new("Alaris 8000", &[], &[]);
        assert!(!a.fuzzy_like(&c), "model numbers must agree");
        // A vendor name alone is not dropped (nothing would remain).
        assert_eq!(ProductName::new("Philips", &["philips"], &["philips"]).normalized, "philips");
    }
}
