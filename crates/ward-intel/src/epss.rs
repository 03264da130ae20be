//! FIRST's Exploit Prediction Scoring System scores, as its daily CSV
//! (`https://epss.empiricalsecurity.com/epss_scores-current.csv.gz`, decompressed): an optional
//! `#model_version:...,score_date:...` comment line, the header `cve,epss,percentile`, then one
//! line per CVE with the probability of exploitation in the next 30 days and its percentile.

use rustc_hash::FxHashMap;
use std::path::Path;

/// Largest file read (the real one is about 10 MB).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// A CVE's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpssScore {
    /// Probability of exploitation activity in the next 30 days, 0-1.
    pub epss: f64,
    /// Percentile among all scored CVEs, 0-1.
    pub percentile: f64,
}

/// Scores by CVE.
#[derive(Debug, Clone, Default)]
pub struct Epss {
    scores: FxHashMap<String, EpssScore>,
}

impl Epss {
    /// Parses the CSV. Malformed lines are skipped and reported by line number (at most 20).
    ///
    /// # Errors
    /// When there is no `cve,epss` header.
    pub fn parse(text: &str) -> Result<(Epss, Vec<String>), String> {
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
        let Some((_, header)) = lines.next() else { return Err("empty EPSS file".into()) };
        let cols: Vec<String> = header.trim_start_matches('\u{feff}').split(',').map(|c| c.trim().to_ascii_lowercase()).collect();
        let (Some(ci), Some(ei)) = (cols.iter().position(|c| c == "cve"), cols.iter().position(|c| c == "epss")) else {
            return Err("no cve,epss header".into());
        };
        let pi = cols.iter().position(|c| c == "percentile");
        let mut out = Epss::default();
        let mut problems = Vec::new();
        for (n, line) in lines {
            let f: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
            let cve = f.get(ci).map(|s| s.trim().to_ascii_uppercase());
            let epss = f.get(ei).and_then(|s| s.trim().parse::<f64>().ok()).filter(|x| (0.0..=1.0).contains(x));
            let pct = pi.and_then(|i| f.get(i)).and_then(|s| s.trim().parse::<f64>().ok()).filter(|x| (0.0..=1.0).contains(x)).unwrap_or(0.0);
            match (cve, epss) {
                (Some(c), Some(e)) if c.starts_with("CVE-") => {
                    out.scores.insert(c, EpssScore { epss: e, percentile: pct });
                }
                _ => {
                    if problems.len() < 20 {
                        problems.push(format!("line {}: not cve,epss,percentile", n + 1));
                    }
                }
            }
        }
        Ok((out, problems))
    }

    /// Reads a file.
    ///
    /// # Errors
    /// The path and reason.
    pub fn load(path: &Path) -> Result<(Epss, Vec<String>), String> {
        let bytes = crate::csaf::read_capped(path, MAX_FILE_BYTES).map_err(|e| format!("{}: {e}", path.display()))?;
        Epss::parse(&String::from_utf8_lossy(&bytes)).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The score of a CVE.
    #[must_use]
    pub fn get(&self, cve: &str) -> Option<EpssScore> {
        self.scores.get(&cve.to_ascii_uppercase()).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_daily_format() {
        let (e, p) = Epss::parse("#model_version:v2023.03.01,score_date:2024-01-01T00:00:00+0000\ncve,epss,percentile\nCVE-2024-22100,0.00043,0.0812\nbad line\nCVE-2024-1,2.0,0.5\n").expect("parses");
        assert_eq!(e.get("cve-2024-22100"), Some(EpssScore { epss: 0.00043, percentile: 0.0812 }));
        assert_eq!(p.len(), 2);
        assert!(Epss::parse("a,b\n").is_err());
    }
}
