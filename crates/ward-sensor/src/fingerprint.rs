//! Device identity: every clue about an asset, weighed by the rules in `knowledge/devices/`.
//!
//! A clue is a (name, value) pair the sensor observed (`dicom.manufacturer` = `GE MEDICAL
//! SYSTEMS`, `oui.vendor` = `Baxter International Inc`, `role` = `dicom-worklist-scp`...). Rules
//! are data: the shipped `knowledge/devices/fingerprints.tsv` plus any file a hospital adds.
//! The format and the way clues are combined are documented in `knowledge/devices/README.md`;
//! this module is its implementation.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::OnceLock;
use ward_model::report::{Device, DeviceEvidence};

static SHIPPED: &str = include_str!("../../../knowledge/devices/fingerprints.tsv");

/// The device kinds of the documented taxonomy.
pub const KINDS: [&str; 12] = [
    "imaging-modality",
    "pacs",
    "ris",
    "patient-monitor",
    "infusion-pump",
    "ventilator",
    "hl7-interface-engine",
    "ehr",
    "workstation",
    "mqtt-broker",
    "network-infrastructure",
    "unknown",
];

/// Longest clue value looked at; longer values are cut (identity strings are short).
const MAX_VALUE: usize = 256;
/// Most pattern pieces per rule: keeps matching cheap whatever a rule file holds.
const MAX_PIECES: usize = 12;

/// A piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Literal text, lower-cased.
    Lit(String),
    /// `*`: any text.
    Any,
    /// `{name}`: non-empty text, captured.
    Cap(String),
}

/// What a rule says about one attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Says {
    Nothing,
    /// The clue's value itself (`=`).
    Value,
    /// A template with `{name}` captures.
    Template(String),
}

/// One line of a fingerprint file.
#[derive(Debug, Clone)]
struct Rule {
    clues: Vec<String>,
    pattern: Vec<Piece>,
    /// kind, manufacturer, model, software_version, component.
    says: [Says; 5],
    weight: u8,
    source: String,
}

const ATTRS: [&str; 5] = ["kind", "manufacturer", "model", "software_version", "component"];

/// A problem in a fingerprint file: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// File name as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for RuleError {}

/// A set of rules, hospital rules first, shipped rules last.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    rules: Vec<Rule>,
    /// Clue name -> the rules that read it, in rule order (every asset's every clue is looked
    /// up here instead of being compared with every rule).
    by_clue: HashMap<String, Vec<usize>>,
}

fn parse_pattern(p: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' | '{' => {
                if !lit.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut lit).to_lowercase()));
                }
                if c == '*' {
                    out.push(Piece::Any);
                } else {
                    let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        return Err(format!("bad capture name {{{name}}} in pattern"));
                    }
                    if matches!(out.last(), Some(Piece::Cap(_) | Piece::Any)) {
                        return Err("a capture must follow literal text, not another capture or *".into());
                    }
                    out.push(Piece::Cap(name));
                }
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit.to_lowercase()));
    }
    if out.len() > MAX_PIECES {
        return Err(format!("pattern has more than {MAX_PIECES} pieces"));
    }
    Ok(out)
}

fn parse_says(s: &str, pattern: &[Piece]) -> Result<Says, String> {
    Ok(match s {
        "-" | "" => Says::Nothing,
        "=" => Says::Value,
        t => {
            let mut rest = t;
            while let Some(i) = rest.find('{') {
                let end = rest[i..].find('}').ok_or("unclosed { in template")?;
                let name = &rest[i + 1..i + end];
                if !pattern.iter().any(|p| matches!(p, Piece::Cap(n) if n == name)) {
                    return Err(format!("template uses {{{name}}}, which the pattern does not capture"));
                }
                rest = &rest[i + end + 1..];
            }
            Says::Template(t.to_string())
        }
    })
}

impl Knowledge {
    /// The rules shipped in the binary.
    #[must_use]
    pub fn shipped() -> &'static Knowledge {
        static K: OnceLock<Knowledge> = OnceLock::new();
        K.get_or_init(|| {
            let mut k = Knowledge::default();
            // The shipped file is checked by a test; a broken line cannot reach a release.
            let _ = k.add_file("knowledge/devices/fingerprints.tsv", SHIPPED);
            k
        })
    }

    /// Rules from `text` (named `file` in errors), tried before the rules already held.
    ///
    /// # Errors
    /// The first malformed line; no rule of the file is added then.
    pub fn add_file(&mut self, file: &str, text: &str) -> Result<usize, RuleError> {
        let mut rules = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| RuleError { file: file.to_string(), line: i + 1, message };
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() != 9 {
                return Err(err(format!("{} tab-separated columns, expected 9", cols.len())));
            }
            let pattern = parse_pattern(cols[1]).map_err(err)?;
            let mut says = [Says::Nothing, Says::Nothing, Says::Nothing, Says::Nothing, Says::Nothing];
            for (j, s) in says.iter_mut().enumerate() {
                *s = parse_says(cols[2 + j].trim(), &pattern).map_err(err)?;
            }
            if let Says::Template(k) = &says[0]
                && !KINDS.contains(&k.as_str())
            {
                return Err(err(format!("unknown kind {k:?}; kinds are {}", KINDS.join(", "))));
            }
            if says[0] == Says::Value {
                return Err(err("kind cannot be '=': name one of the documented kinds".into()));
            }
            let weight: u8 = cols[7].trim().parse().ok().filter(|w| *w <= 100).ok_or_else(|| err(format!("weight {:?} is not 0-100", cols[7])))?;
            let clues: Vec<String> = cols[0].split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
            if clues.is_empty() {
                return Err(err("no clue name".into()));
            }
            if cols[8].trim().is_empty() {
                return Err(err("every rule needs its source".into()));
            }
            rules.push(Rule { clues, pattern, says, weight, source: cols[8].trim().to_string() });
        }
        let n = rules.len();
        rules.append(&mut self.rules);
        self.rules = rules;
        self.by_clue.clear();
        for (i, rule) in self.rules.iter().enumerate() {
            for c in &rule.clues {
                let ids = self.by_clue.entry(c.clone()).or_default();
                // A rule naming a clue twice is still tried once.
                if ids.last() != Some(&i) {
                    ids.push(i);
                }
            }
        }
        Ok(n)
    }

    /// Combine the clues of one asset into its device identity.
    #[must_use]
    pub fn identify(&self, clues: &[(&str, &str)]) -> Device {
        // Per attribute: value (case-folded for adding up) -> (weight, value as first said).
        let mut votes: [BTreeMap<String, (u32, String)>; 5] = Default::default();
        let mut evidence = Vec::new();
        for (clue, value) in clues {
            let value: String = value.chars().take(MAX_VALUE).collect();
            let lower = value.to_lowercase();
            let mut said: [Option<(String, u8)>; 5] = Default::default();
            let mut source = None;
            let ids = self.by_clue.get(*clue).map_or(&[][..], Vec::as_slice);
            for rule in ids.iter().filter_map(|i| self.rules.get(*i)) {
                let Some(caps) = matches(&rule.pattern, &lower, &value) else { continue };
                for (j, s) in rule.says.iter().enumerate() {
                    if said[j].is_some() {
                        continue;
                    }
                    let v = match s {
                        Says::Nothing => continue,
                        Says::Value => value.trim().to_string(),
                        Says::Template(t) => fill(t, &caps),
                    };
                    if !v.is_empty() {
                        said[j] = Some((v, rule.weight));
                        source.get_or_insert_with(|| rule.source.clone());
                    }
                }
                if rule.weight == 0 {
                    break; // a rule that says the clue means nothing stops the search
                }
            }
            let mut says = BTreeMap::new();
            let mut weight = 0;
            for (j, s) in said.into_iter().enumerate() {
                let Some((v, w)) = s else { continue };
                if w == 0 {
                    continue;
                }
                weight = weight.max(w);
                let e = votes[j].entry(v.to_lowercase()).or_insert((0, v.clone()));
                e.0 += u32::from(w);
                says.insert(ATTRS[j].to_string(), v);
            }
            if !says.is_empty() {
                evidence.push(DeviceEvidence {
                    clue: (*clue).to_string(),
                    value,
                    says,
                    weight,
                    source: source.unwrap_or_default(),
                });
            }
        }
        let best = |m: &BTreeMap<String, (u32, String)>| -> Option<(u32, String)> {
            m.values().max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1))).cloned()
        };
        let kind = best(&votes[0]);
        let manufacturer = best(&votes[1]);
        let confidence = kind.as_ref().map_or(0, |k| k.0) + manufacturer.as_ref().map_or(0, |m| m.0);
        let mut components: Vec<String> = votes[4].values().map(|(_, v)| v.clone()).collect();
        components.sort();
        evidence.sort_by(|a, b| b.weight.cmp(&a.weight).then_with(|| a.clue.cmp(&b.clue)).then_with(|| a.value.cmp(&b.value)));
        Device {
            kind: kind.map_or_else(|| "unknown".to_string(), |k| k.1),
            manufacturer: manufacturer.map(|m| m.1),
            model: best(&votes[2]).map(|m| m.1),
            software_version: best(&votes[3]).map(|m| m.1),
            components,
            confidence: u8::try_from(confidence.min(100)).unwrap_or(100),
            evidence,
        }
    }
}

/// Match `pattern` against `lower` (the value lower-cased); captures are taken from `orig`
/// (same char boundaries when lower-casing keeps lengths; otherwise from `lower`).
fn matches(pattern: &[Piece], lower: &str, orig: &str) -> Option<Vec<(String, String)>> {
    // Every literal piece must occur somewhere in the value: most rules are ruled out by that
    // alone, without backtracking through every split of the value.
    if pattern.iter().any(|p| matches!(p, Piece::Lit(l) if !lower.contains(l.as_str()))) {
        return None;
    }
    let same = lower.len() == orig.len();
    let mut caps = Vec::new();
    if step(pattern, lower, 0, &mut caps) {
        Some(
            caps.into_iter()
                .map(|(n, a, b)| {
                    let src = if same && orig.is_char_boundary(a) && orig.is_char_boundary(b) { orig } else { lower };
                    (n.to_string(), src[a..b].trim().to_string())
                })
                .collect(),
        )
    } else {
        None
    }
}

/// Backtracking match from byte `at`. Captures are lazy (shortest text up to the next literal)
/// and must be non-empty; with at most [`MAX_PIECES`] pieces and [`MAX_VALUE`] characters the
/// work is bounded. Candidate ends are walked in place and captures name their piece: a failed
/// attempt allocates nothing.
fn step<'p>(p: &'p [Piece], s: &str, at: usize, caps: &mut Vec<(&'p str, usize, usize)>) -> bool {
    let Some(first) = p.first() else { return at == s.len() };
    match first {
        Piece::Lit(l) => s[at..].starts_with(l.as_str()) && step(&p[1..], s, at + l.len(), caps),
        Piece::Any | Piece::Cap(_) => {
            let min = usize::from(matches!(first, Piece::Cap(_)));
            if min == 1 && at == s.len() {
                return false;
            }
            // Every character boundary from `at + min` on, then the end of the text.
            let ends = s[at..].char_indices().map(|(i, _)| at + i).chain(std::iter::once(s.len()));
            for end in ends {
                if end < at + min {
                    continue;
                }
                let mark = caps.len();
                if let Piece::Cap(n) = first {
                    caps.push((n.as_str(), at, end));
                }
                if step(&p[1..], s, end, caps) {
                    return true;
                }
                caps.truncate(mark);
            }
            false
        }
    }
}

fn fill(t: &str, caps: &[(String, String)]) -> String {
    let mut out = t.to_string();
    for (n, v) in caps {
        out = out.replace(&format!("{{{n}}}"), v);
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped file parses completely: every rule line becomes a rule.
    #[test]
    fn shipped_rules_all_parse() {
        let mut k = Knowledge::default();
        let n = k.add_file("fingerprints.tsv", SHIPPED).expect("shipped rules parse");
        let lines = SHIPPED.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).count();
        assert_eq!(n, lines);
        assert_eq!(Knowledge::shipped().rules.len(), n);
    }

    #[test]
    fn patterns_capture_lazily_and_ignore_case() {
        let p = parse_pattern("1.2.276.0.7230010.3.0.{a}.{b}.{c}").expect("pattern");
        let caps = matches(&p, "1.2.276.0.7230010.3.0.3.6.7", "1.2.276.0.7230010.3.0.3.6.7").expect("match");
        assert_eq!(caps.iter().map(|c| c.1.as_str()).collect::<Vec<_>>(), ["3", "6", "7"]);
        let p = parse_pattern("*IntelliVue {model} *").expect("pattern");
        let v = "Philips INTELLIVUE MX450 Patient Monitor";
        let caps = matches(&p, &v.to_lowercase(), v).expect("match");
        assert_eq!(caps[0].1, "MX450");
        assert!(matches(&parse_pattern("udhcp {v}").expect("p"), "udhcp ", "udhcp ").is_none(), "captures are never empty");
        assert!(matches(&parse_pattern("MSFT 5.0").expect("p"), "msft 5.0x", "MSFT 5.0x").is_none(), "anchored at both ends");
    }

    #[test]
    fn bad_rule_files_name_the_line() {
        let mut k = Knowledge::default();
        let e = k.add_file("local.tsv", "# c\noui.vendor\tX*\tspaceship\t-\t-\t-\t-\t10\tme\n").expect_err("unknown kind");
        assert_eq!((e.file.as_str(), e.line), ("local.tsv", 2));
        assert!(k.add_file("l", "a\tb\t-\t-\t-\t-\t-\t101\ts\n").is_err(), "weight above 100");
        assert!(k.add_file("l", "a\tb\t-\t-\t{m}\t-\t-\t10\ts\n").is_err(), "template without capture");
        assert!(k.add_file("l", "a\tb\t-\t-\t-\t-\t-\t10\t\n").is_err(), "missing source");
        assert!(k.add_file("l", "a\t{x}{y}\t-\t-\t-\t-\t-\t10\ts\n").is_err(), "adjacent captures");
        assert!(k.rules.is_empty());
    }

    /// A CT that states itself in DICOM beats its MAC vendor's weaker word, and its toolkit is
    /// a component, not its software version.
    #[test]
    fn dicom_statements_outweigh_the_mac_vendor() {
        let d = Knowledge::shipped().identify(&[
            ("oui.vendor", "GE Healthcare"),
            ("dicom.implementation_class_uid", "1.2.276.0.7230010.3.0.3.6.7"),
            ("dicom.manufacturer", "GE MEDICAL SYSTEMS"),
            ("dicom.model", "Revolution CT"),
            ("dicom.software_versions", "revo_ct_22.1"),
            ("dicom.modality", "CT"),
            ("role", "dicom-storage-scu"),
        ]);
        assert_eq!(d.kind, "imaging-modality");
        assert_eq!(d.manufacturer.as_deref(), Some("GE HealthCare"));
        assert_eq!(d.model.as_deref(), Some("Revolution CT"));
        assert_eq!(d.software_version.as_deref(), Some("revo_ct_22.1"));
        assert_eq!(d.components, ["DCMTK 3.6.7"]);
        assert_eq!(d.confidence, 100);
        assert!(d.evidence.iter().any(|e| e.clue == "oui.vendor" && e.says["manufacturer"] == "GE HealthCare"));
    }

    /// A NIC maker's OUI says nothing; a device that gives no clue is `unknown` with 0.
    #[test]
    fn nothing_known_is_unknown() {
        let d = Knowledge::shipped().identify(&[("oui.vendor", "Intel Corporate")]);
        assert_eq!((d.kind.as_str(), d.manufacturer, d.confidence), ("unknown", None, 0));
        assert!(d.evidence.is_empty());
    }

    /// Hospital rules come first and win over shipped ones for the same clue.
    #[test]
    fn hospital_rules_take_precedence() {
        let mut k = Knowledge::shipped().clone();
        k.add_file("local.tsv", "dicom.ae_title\tICU_PUMP_*\tinfusion-pump\tAcme\t-\t-\t-\t80\tbiomed inventory 2026\n").expect("rule");
        let d = k.identify(&[("dicom.ae_title", "ICU_PUMP_7")]);
        assert_eq!((d.kind.as_str(), d.manufacturer.as_deref()), ("infusion-pump", Some("Acme")));
    }
}
