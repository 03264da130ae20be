//! The devices to check: from a `ward analyze` report (identity from fingerprinting, plus what
//! the wire showed about their exposure) or from an asset list a hospital already has.
//!
//! Asset lists are CSV (the shape of a CMMS export: a header with at least `asset`,
//! `manufacturer`, `model`, `version`, in any order, more columns allowed; `,`, `;` or tab
//! separated; quoted fields; UTF-8 with or without BOM, or Latin-1; LF or CRLF) or JSON (an array
//! of objects with those keys, or `{"assets": [...]}`). Optional columns: `kind` (the device kinds
//! of `knowledge/devices/README.md`) and `sbom` (file name of the device's SBOM in `--sbom DIR`).

use serde_json::Value;
use std::path::Path;
use ward_model::Severity;
use ward_model::report::AnalyzeReport;

/// Largest inventory file read.
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// Most devices read from one file.
pub const MAX_DEVICES: usize = 5_000_000;
/// Longest field kept, in bytes.
pub const MAX_FIELD: usize = 512;

/// What the network showed about a device (only when it comes from an analyze report).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Exposure {
    /// Cleartext protocols it speaks (`telnet`, `ftp`, `http`, `hl7`, `dicom`...).
    pub cleartext: Vec<String>,
    /// How many distinct peers it talked to.
    pub peer_count: u64,
    /// Findings about it: kind and severity.
    pub findings: Vec<(String, Severity)>,
}

/// One device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Device {
    /// Its identifier (asset tag, or the report's asset id).
    pub asset: String,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Software or firmware version.
    pub version: Option<String>,
    /// Device kind, when known.
    pub kind: Option<String>,
    /// Name of its SBOM file, when the list gives one.
    pub sbom: Option<String>,
    /// Seen on the wire (analyze reports only).
    pub exposure: Option<Exposure>,
    /// Software components recognised inside it (`DCMTK 3.6.2`; analyze reports only).
    pub components: Vec<String>,
}

/// What was read, and what was odd.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// The devices.
    pub devices: Vec<Device>,
    /// Rows skipped or odd, with their line or index.
    pub warnings: Vec<String>,
}

/// Protocols that carry data without encryption when Ward names them in an asset's protocols.
const CLEARTEXT: &[&str] = &["telnet", "ftp", "http", "hl7", "dicom", "snmp", "mqtt", "syslog"];

/// Reads an inventory file, deciding its format from its content.
///
/// # Errors
/// Why the file cannot be used at all (unreadable, no usable header); bad rows are warnings.
pub fn load(path: &Path) -> Result<Inventory, String> {
    let bytes = crate::csaf::read_capped(path, MAX_FILE_BYTES)?;
    parse(&bytes)
}

/// Parses inventory bytes (CSV or JSON).
///
/// # Errors
/// See [`load`].
pub fn parse(bytes: &[u8]) -> Result<Inventory, String> {
    // Spreadsheets' "Unicode text" export: UTF-16 with its byte order mark (and tabs).
    if let Some(text) = utf16(bytes) {
        return parse_csv(&text);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => Err("empty inventory".into()),
        Some(b'{' | b'[') => parse_json(bytes),
        Some(_) => parse_csv(&decode(bytes)),
    }
}

/// Text of UTF-16 bytes that start with a byte order mark (unpaired surrogates replaced).
fn utf16(bytes: &[u8]) -> Option<String> {
    let (le, rest) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => return None,
    };
    let units = rest.chunks_exact(2).map(|c| if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) });
    Some(char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)).collect())
}

/// UTF-8, or Latin-1 when the bytes are not UTF-8 (every byte is a Latin-1 character).
#[must_use]
pub fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

fn clip(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() || t == "-" || t.eq_ignore_ascii_case("n/a") || t.eq_ignore_ascii_case("unknown") {
        return None;
    }
    let mut end = t.len().min(MAX_FIELD);
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    Some(t[..end].to_string())
}

/// Splits CSV text into records: RFC 4180 quoting (`""` inside quotes), any of LF, CRLF.
/// Returns each record with the line number it starts on.
fn csv_records(text: &str, sep: char) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut rec = Vec::new();
    let mut in_q = false;
    let mut line = 1;
    let mut start_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_q {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_q = false;
                }
            } else {
                if c == '\n' {
                    line += 1;
                }
                if field.len() < MAX_FIELD * 4 {
                    field.push(c);
                }
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() => {
                field.clear();
                in_q = true;
            }
            c if c == sep => rec.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                rec.push(std::mem::take(&mut field));
                if rec.iter().any(|f| !f.trim().is_empty()) {
                    out.push((start_line, std::mem::take(&mut rec)));
                } else {
                    rec.clear();
                }
                line += 1;
                start_line = line;
                if out.len() > MAX_DEVICES {
                    return out;
                }
            }
            c => {
                if field.len() < MAX_FIELD * 4 {
                    field.push(c);
                }
            }
        }
    }
    rec.push(field);
    if rec.iter().any(|f| !f.trim().is_empty()) {
        out.push((start_line, rec));
    }
    out
}

fn column(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| {
        let h = h.trim().trim_matches('"').to_ascii_lowercase().replace([' ', '-'], "_");
        names.contains(&h.as_str())
    })
}

const ASSET: &[&str] = &["asset", "asset_id", "asset_tag", "id", "device_id", "equipment_id", "tag"];
const MANUFACTURER: &[&str] = &["manufacturer", "vendor", "make", "mfr"];
const MODEL: &[&str] = &["model", "product", "model_name", "device_model"];
const VERSION: &[&str] = &["version", "software_version", "firmware", "firmware_version", "sw_version"];

fn parse_csv(text: &str) -> Result<Inventory, String> {
    let first_line = text.lines().next().unwrap_or("");
    let sep = [',', ';', '\t'].into_iter().max_by_key(|s| first_line.matches(*s).count()).unwrap_or(',');
    let records = csv_records(text, sep);
    let Some(((_, header), rows)) = records.split_first() else { return Err("empty inventory".into()) };
    let asset = column(header, ASSET);
    let manufacturer = column(header, MANUFACTURER);
    let model = column(header, MODEL);
    let version = column(header, VERSION);
    let mut missing = Vec::new();
    for (c, name) in [(asset, "asset"), (manufacturer, "manufacturer"), (model, "model"), (version, "version")] {
        if c.is_none() {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        return Err(format!("the CSV header lacks the column(s) {} (header: {})", missing.join(", "), header.join(&sep.to_string())));
    }
    let kind = column(header, &["kind", "device_kind", "type", "device_type"]);
    let sbom = column(header, &["sbom"]);
    let get = |r: &[String], c: Option<usize>| c.and_then(|i| r.get(i)).and_then(|s| clip(s));
    let mut inv = Inventory::default();
    for (line, r) in rows {
        if r.len() != header.len() && inv.warnings.len() < 100 {
            inv.warnings.push(format!("line {line}: {} fields where the header has {}", r.len(), header.len()));
        }
        let Some(a) = get(r, asset) else {
            if inv.warnings.len() < 100 {
                inv.warnings.push(format!("line {line}: no asset identifier; skipped"));
            }
            continue;
        };
        inv.devices.push(Device {
            asset: a,
            manufacturer: get(r, manufacturer),
            model: get(r, model),
            version: get(r, version),
            kind: get(r, kind),
            sbom: get(r, sbom),
            exposure: None,
            components: Vec::new(),
        });
    }
    Ok(inv)
}

fn parse_json(bytes: &[u8]) -> Result<Inventory, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("schema").and_then(Value::as_str).is_some_and(|s| s.starts_with("ward.analyze-report/")) {
        let report: AnalyzeReport = serde_json::from_value(v).map_err(|e| format!("not a valid ward analyze report: {e}"))?;
        return Ok(from_report(&report));
    }
    let list = match &v {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("assets").or_else(|| o.get("devices")) {
            Some(Value::Array(a)) => a,
            _ => return Err("a JSON inventory is an array of devices or an object with \"assets\"".into()),
        },
        _ => return Err("a JSON inventory is an array of devices or an object with \"assets\"".into()),
    };
    let mut inv = Inventory::default();
    for (i, item) in list.iter().enumerate().take(MAX_DEVICES) {
        let Some(o) = item.as_object() else {
            inv.warnings.push(format!("item {i}: not an object; skipped"));
            continue;
        };
        let field = |names: &[&str]| {
            o.iter().find(|(k, _)| names.contains(&k.to_ascii_lowercase().as_str())).and_then(|(_, v)| match v {
                Value::String(s) => clip(s),
                Value::Number(n) => clip(&n.to_string()),
                _ => None,
            })
        };
        let Some(asset) = field(ASSET) else {
            inv.warnings.push(format!("item {i}: no asset identifier; skipped"));
            continue;
        };
        inv.devices.push(Device {
            asset,
            manufacturer: field(MANUFACTURER),
            model: field(MODEL),
            version: field(VERSION),
            kind: field(&["kind", "device_kind", "type"]),
            sbom: field(&["sbom"]),
            exposure: None,
            components: Vec::new(),
        });
    }
    Ok(inv)
}

/// The devices of an analyze report: identity from the fingerprint, exposure from the traffic.
#[must_use]
pub fn from_report(report: &AnalyzeReport) -> Inventory {
    let mut inv = Inventory::default();
    for a in &report.assets {
        let findings = report.findings.iter().filter(|f| f.asset.as_deref() == Some(a.id.as_str())).map(|f| (f.kind.clone(), f.severity));
        inv.devices.push(device_of(a, findings));
    }
    inv
}

/// One asset of a report (as the server keeps it) as a device to match and score, with the
/// findings about it (kind, severity).
#[must_use]
pub fn device_of(a: &ward_model::report::Asset, findings: impl IntoIterator<Item = (String, ward_model::Severity)>) -> Device {
    let mut cleartext: Vec<String> = a.protocols.client.iter().chain(&a.protocols.server).filter(|p| CLEARTEXT.contains(&p.as_str())).cloned().collect();
    cleartext.sort();
    cleartext.dedup();
    let kind = Some(a.device.kind.clone()).filter(|k| k != "unknown");
    Device {
        asset: a.id.clone(),
        manufacturer: a.device.manufacturer.clone(),
        model: a.device.model.clone(),
        version: a.device.software_version.clone(),
        kind,
        sbom: None,
        exposure: Some(Exposure { cleartext, peer_count: a.peer_count, findings: findings.into_iter().collect() }),
        components: a.device.components.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_any_order_quotes_crlf_bom() {
        let text = "\u{feff}Location,Version,Model,Manufacturer,Asset\r\n\"ICU, bed 4\",9.33.1,\"Alaris \"\"PC\"\" Unit\",BD,A-1\r\n\r\nWard 3,,Pump,Acme,A-2\r\n";
        let inv = parse(text.as_bytes()).expect("parses");
        assert_eq!(inv.devices.len(), 2);
        let d = &inv.devices[0];
        assert_eq!((d.asset.as_str(), d.manufacturer.as_deref(), d.model.as_deref(), d.version.as_deref()), ("A-1", Some("BD"), Some("Alaris \"PC\" Unit"), Some("9.33.1")));
        assert_eq!(inv.devices[1].version, None);
    }

    #[test]
    fn latin1_and_semicolons() {
        let bytes = b"asset;manufacturer;model;version\nX1;Dr\xe4ger;Infinity Delta;VF10\n";
        let inv = parse(bytes).expect("parses");
        assert_eq!(inv.devices[0].manufacturer.as_deref(), Some("Dräger"));
    }

    #[test]
    fn missing_columns_are_named() {
        let e = parse(b"asset,vendor,name\n1,a,b\n").expect_err("refused");
        assert!(e.contains("model, version"), "{e}");
    }

    #[test]
    fn json_lists() {
        let inv = parse(br#"{"assets":[{"Asset":"P1","Manufacturer":"Baxter","Model":"Sigma Spectrum","Version":8},{"model":"x"},3]}"#).expect("parses");
        assert_eq!(inv.devices.len(), 1);
        assert_eq!(inv.devices[0].version.as_deref(), Some("8"));
        assert_eq!(inv.warnings.len(), 2);
        assert!(parse(b"{\"x\":1}").is_err());
        assert!(parse(b"[[[[").is_err());
    }
}
