//! CISA's Known Exploited Vulnerabilities catalog, in its JSON feed format
//! (`https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json`, schema
//! `https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities_schema.json`):
//! `title`, `catalogVersion`, `dateReleased`, `count`, and `vulnerabilities`, each with `cveID`,
//! `vendorProject`, `product`, `vulnerabilityName`, `dateAdded`, `shortDescription`,
//! `requiredAction`, `dueDate`, `knownRansomwareCampaignUse`, `notes` and `cwes`.

use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::path::Path;

/// Largest catalog read (the real one is about 1.5 MB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// One catalog entry (the fields Ward shows).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KevEntry {
    /// The CVE.
    #[serde(rename = "cveID")]
    pub cve_id: String,
    /// Vendor or project.
    #[serde(rename = "vendorProject", default)]
    pub vendor_project: String,
    /// Product.
    #[serde(default)]
    pub product: String,
    /// When CISA added it.
    #[serde(rename = "dateAdded", default)]
    pub date_added: String,
    /// What CISA requires federal agencies to do.
    #[serde(rename = "requiredAction", default)]
    pub required_action: String,
    /// By when.
    #[serde(rename = "dueDate", default)]
    pub due_date: String,
    /// `Known` or `Unknown`.
    #[serde(rename = "knownRansomwareCampaignUse", default)]
    pub known_ransomware_campaign_use: String,
}

#[derive(Debug, Deserialize)]
struct RawCatalog {
    #[serde(rename = "catalogVersion", default)]
    catalog_version: String,
    vulnerabilities: Vec<serde_json::Value>,
}

/// The catalog, by CVE.
#[derive(Debug, Clone, Default)]
pub struct Kev {
    /// `catalogVersion`.
    pub catalog_version: String,
    entries: FxHashMap<String, KevEntry>,
}

impl Kev {
    /// Parses the JSON feed. Entries without a usable `cveID` are counted in the second value.
    ///
    /// # Errors
    /// Why the document is not a KEV catalog.
    pub fn parse(bytes: &[u8]) -> Result<(Kev, usize), String> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let raw: RawCatalog = serde_json::from_slice(bytes).map_err(|e| format!("not a KEV catalog: {e}"))?;
        let mut kev = Kev { catalog_version: raw.catalog_version, entries: FxHashMap::default() };
        let mut bad = 0;
        for v in raw.vulnerabilities {
            match serde_json::from_value::<KevEntry>(v) {
                Ok(e) if e.cve_id.starts_with("CVE-") => {
                    kev.entries.insert(e.cve_id.to_ascii_uppercase(), e);
                }
                _ => bad += 1,
            }
        }
        Ok((kev, bad))
    }

    /// Reads a catalog file.
    ///
    /// # Errors
    /// The path and reason.
    pub fn load(path: &Path) -> Result<(Kev, usize), String> {
        let bytes = crate::csaf::read_capped(path, MAX_FILE_BYTES).map_err(|e| format!("{}: {e}", path.display()))?;
        Kev::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The entry of a CVE.
    #[must_use]
    pub fn get(&self, cve: &str) -> Option<&KevEntry> {
        self.entries.get(&cve.to_ascii_uppercase())
    }

    /// Entries in the catalog.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_without_cve_are_counted() {
        let (k, bad) = Kev::parse(br#"{"catalogVersion":"1","vulnerabilities":[{"cveID":"cve-2020-1"},{"x":1},{"cveID":"CVE-2021-2"}]}"#).expect("parses");
        assert_eq!((k.len(), bad), (1, 2));
        assert!(k.get("cve-2021-2").is_some());
        assert!(Kev::parse(b"[]").is_err());
    }
}
