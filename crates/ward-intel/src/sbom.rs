//! Software bills of materials of device models: CycloneDX 1.4–1.6 JSON (`components`, nested
//! `components`, `cpe`, `purl`, `publisher`/`supplier`/`group`) and SPDX 2.3 JSON (`packages`
//! with `externalRefs` of type `cpe23Type`/`cpe22Type`/`purl`), and the CPE 2.3 and Package URL
//! identifiers their components carry.
//!
//! An SBOM is attached to a device by the inventory's `sbom` column (its file name), or else
//! by the name of the SBOM's subject (`metadata.component.name` in CycloneDX, the described
//! package in SPDX) equal to the device's model after normalisation.

use crate::csaf::{LoadError, json_files, read_capped};
use crate::range::percent_decode;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Largest SBOM read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Most components taken from one SBOM.
pub const MAX_COMPONENTS: usize = 100_000;
/// Deepest nesting of CycloneDX components followed.
pub const MAX_DEPTH: usize = 16;

/// A CPE 2.3 name (the parts matching uses).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cpe {
    /// `a`, `o` or `h`.
    pub part: String,
    /// Vendor, lower case.
    pub vendor: String,
    /// Product, lower case.
    pub product: String,
    /// Version (`*` or `-` for any / not applicable).
    pub version: String,
}

impl Cpe {
    /// Parses a CPE 2.3 formatted string (`cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:...`) or a CPE 2.2
    /// URI (`cpe:/a:wolfssl:wolfssl:4.8.1`). Escaped colons (`\:`) stay inside their field.
    #[must_use]
    pub fn parse(s: &str) -> Option<Cpe> {
        let s = s.trim();
        let rest = s.strip_prefix("cpe:2.3:").or_else(|| s.strip_prefix("cpe:/"))?;
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut esc = false;
        for c in rest.chars() {
            if esc {
                cur.push(c);
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == ':' {
                fields.push(std::mem::take(&mut cur));
                if fields.len() > 16 {
                    return None;
                }
            } else {
                cur.push(c);
            }
        }
        fields.push(cur);
        let f = |i: usize| fields.get(i).map(|x| x.to_ascii_lowercase()).unwrap_or_else(|| "*".into());
        let part = f(0);
        if !matches!(part.as_str(), "a" | "o" | "h") || f(1).is_empty() || f(2).is_empty() {
            return None;
        }
        let version = if f(3).is_empty() { "*".into() } else { f(3) };
        Some(Cpe { part, vendor: f(1), product: f(2), version })
    }

    /// The version when it is a specific one.
    #[must_use]
    pub fn specific_version(&self) -> Option<&str> {
        (self.version != "*" && self.version != "-").then_some(self.version.as_str())
    }
}

/// A Package URL (`pkg:type/namespace/name@version?qualifiers#subpath`), the parts matching uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Purl {
    /// `type/namespace/name`, type and (for most types) names lower case: the identity of the package.
    pub key: String,
    /// The version, if any.
    pub version: Option<String>,
}

impl Purl {
    /// Parses a Package URL.
    #[must_use]
    pub fn parse(s: &str) -> Option<Purl> {
        let rest = s.trim().strip_prefix("pkg:")?;
        let rest = rest.split('#').next().unwrap_or(rest);
        let rest = rest.split('?').next().unwrap_or(rest);
        let (path, version) = match rest.rsplit_once('@') {
            Some((p, v)) if !p.is_empty() => (p, Some(percent_decode(v))),
            _ => (rest, None),
        };
        let path = path.trim_matches('/');
        let (ty, name) = path.split_once('/')?;
        if ty.is_empty() || name.is_empty() {
            return None;
        }
        let key = format!("{}/{}", ty.to_ascii_lowercase(), percent_decode(name).to_ascii_lowercase());
        Some(Purl { key, version: version.filter(|v| !v.is_empty()) })
    }
}

/// One component.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Component {
    /// Name.
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// Publisher, supplier or group.
    pub vendor: Option<String>,
    /// CPE.
    pub cpe: Option<Cpe>,
    /// Package URL.
    pub purl: Option<Purl>,
}

/// One SBOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sbom {
    /// Where it was read from.
    pub path: PathBuf,
    /// `CycloneDX 1.4`, `SPDX-2.3`.
    pub format: String,
    /// Name of the device or software it describes.
    pub subject: Option<String>,
    /// Its components.
    pub components: Vec<Component>,
}

impl Sbom {
    /// The file name, which an inventory's `sbom` column refers to.
    #[must_use]
    pub fn file_name(&self) -> String {
        self.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

/// Reads every SBOM of a directory (or one file).
#[must_use]
pub fn load_path(path: &Path) -> (Vec<Sbom>, Vec<LoadError>) {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for f in json_files(path, &mut errors) {
        match read_capped(&f, MAX_FILE_BYTES).and_then(|b| parse(&b, &f)) {
            Ok(s) => ok.push(s),
            Err(reason) => errors.push(LoadError { path: f, reason }),
        }
    }
    (ok, errors)
}

/// Parses a CycloneDX or SPDX JSON document.
///
/// # Errors
/// Why it is not an SBOM Ward reads.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Sbom, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        let spec = v.get("specVersion").and_then(Value::as_str).unwrap_or("");
        if !matches!(spec, "1.4" | "1.5" | "1.6") {
            return Err(format!("CycloneDX specVersion {spec:?} (1.4 to 1.6 are read)"));
        }
        let mut components = Vec::new();
        if let Some(list) = v.get("components").and_then(Value::as_array) {
            cyclonedx_components(list, 0, &mut components);
        }
        let subject = v.pointer("/metadata/component/name").and_then(Value::as_str).map(str::to_string);
        return Ok(Sbom { path: path.to_path_buf(), format: format!("CycloneDX {spec}"), subject, components });
    }
    if let Some(spdx) = v.get("spdxVersion").and_then(Value::as_str) {
        if spdx != "SPDX-2.3" && spdx != "SPDX-2.2" {
            return Err(format!("spdxVersion {spdx:?} (SPDX-2.3 is read)"));
        }
        let described: Vec<&str> = v.get("documentDescribes").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let mut components = Vec::new();
        let mut subject = None;
        for p in v.get("packages").and_then(Value::as_array).into_iter().flatten().take(MAX_COMPONENTS) {
            let c = spdx_package(p);
            if p.get("SPDXID").and_then(Value::as_str).is_some_and(|id| described.contains(&id)) && subject.is_none() {
                subject = Some(c.name.clone());
            }
            components.push(c);
        }
        return Ok(Sbom { path: path.to_path_buf(), format: spdx.to_string(), subject, components });
    }
    Err("neither CycloneDX (bomFormat) nor SPDX (spdxVersion)".into())
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn cyclonedx_components(list: &[Value], depth: usize, out: &mut Vec<Component>) {
    if depth >= MAX_DEPTH {
        return;
    }
    for c in list {
        if out.len() >= MAX_COMPONENTS {
            return;
        }
        let vendor = text(c, "publisher")
            .or_else(|| c.pointer("/supplier/name").and_then(Value::as_str).map(str::to_string))
            .or_else(|| c.pointer("/manufacturer/name").and_then(Value::as_str).map(str::to_string))
            .or_else(|| text(c, "group"));
        out.push(Component {
            name: text(c, "name").unwrap_or_default(),
            version: text(c, "version"),
            vendor,
            cpe: c.get("cpe").and_then(Value::as_str).and_then(Cpe::parse),
            purl: c.get("purl").and_then(Value::as_str).and_then(Purl::parse),
        });
        if let Some(sub) = c.get("components").and_then(Value::as_array) {
            cyclonedx_components(sub, depth + 1, out);
        }
    }
}

fn spdx_package(p: &Value) -> Component {
    let mut c = Component {
        name: text(p, "name").unwrap_or_default(),
        version: text(p, "versionInfo"),
        vendor: text(p, "supplier").map(|s| s.trim_start_matches("Organization:").trim_start_matches("Person:").trim().to_string()),
        ..Component::default()
    };
    for r in p.get("externalRefs").and_then(Value::as_array).into_iter().flatten().take(64) {
        let loc = r.get("referenceLocator").and_then(Value::as_str).unwrap_or("");
        match r.get("referenceType").and_then(Value::as_str) {
            Some("cpe23Type" | "cpe22Type") if c.cpe.is_none() => c.cpe = Cpe::parse(loc),
            Some("purl") if c.purl.is_none() => c.purl = Purl::parse(loc),
            _ => {}
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpe_forms() {
        let c = Cpe::parse("cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*").expect("cpe");
        assert_eq!((c.vendor.as_str(), c.product.as_str(), c.specific_version()), ("wolfssl", "wolfssl", Some("4.8.1")));
        let c = Cpe::parse("cpe:/a:offis:dcmtk:3.6.6").expect("cpe 2.2");
        assert_eq!(c.product, "dcmtk");
        let c = Cpe::parse(r"cpe:2.3:a:ex\:ample:prod:*:*:*:*:*:*:*:*").expect("escaped");
        assert_eq!((c.vendor.as_str(), c.specific_version()), ("ex:ample", None));
        assert!(Cpe::parse("cpe:2.3:x:a:b").is_none());
        assert!(Cpe::parse("nope").is_none());
    }

    #[test]
    fn purl_forms() {
        let p = Purl::parse("pkg:nuget/Aspose.Words@20.1.0").expect("purl");
        assert_eq!((p.key.as_str(), p.version.as_deref()), ("nuget/aspose.words", Some("20.1.0")));
        let p = Purl::parse("pkg:deb/debian/libselinux1-dev@3.1-3?arch=s390x").expect("purl");
        assert_eq!(p.key, "deb/debian/libselinux1-dev");
        assert_eq!(Purl::parse("pkg:github/wolfssl/wolfssl").and_then(|p| p.version), None);
        assert!(Purl::parse("pkg:").is_none());
        assert!(Purl::parse("pkg:%").is_none());
    }
}
