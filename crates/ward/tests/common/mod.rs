//! Helpers shared by the binary's integration tests: run `ward`, and ask real peers (tshark,
//! Suricata's expected values, the JSON Schema validator) the same questions.
#![allow(dead_code)] // reason: each test binary uses a different subset of these helpers.

pub mod server;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("root")
}

/// A path under `../shared/data`.
pub fn shared(rel: &str) -> PathBuf {
    let p = root().join("../shared/data").join(rel);
    assert!(p.exists(), "shared data missing: {} (../shared must sit beside the checkout)", p.display());
    p
}

/// A scratch directory unique to this test process and name.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ward-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Run `ward` with arguments; returns (exit code, stdout, stderr).
pub fn ward(args: &[&str]) -> (i32, Vec<u8>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_ward")).args(args).output().expect("ward runs");
    (o.status.code().unwrap_or(-1), o.stdout, String::from_utf8_lossy(&o.stderr).into_owned())
}

/// `ward analyze --format json` on captures; returns the report (exit status must be 0).
pub fn analyze(captures: &[&Path]) -> Value {
    let mut args = vec!["analyze", "--format", "json"];
    let owned: Vec<String> = captures.iter().map(|p| p.display().to_string()).collect();
    args.extend(owned.iter().map(String::as_str));
    let (code, out, err) = ward(&args);
    assert_eq!(code, 0, "ward analyze failed: {err}");
    serde_json::from_slice(&out).expect("report is JSON")
}

/// `ward analyze --records` on captures; returns the records, one JSON value per line.
pub fn records(captures: &[&Path], name: &str) -> Vec<Value> {
    let dir = scratch(name);
    let rec = dir.join("records.jsonl");
    let mut args = vec!["analyze".to_string(), "--format".into(), "json".into(), "--output".into()];
    args.push(dir.join("report.json").display().to_string());
    args.push("--records".into());
    args.push(rec.display().to_string());
    args.extend(captures.iter().map(|p| p.display().to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = ward(&a);
    assert_eq!(code, 0, "ward analyze failed: {err}");
    let text = std::fs::read_to_string(&rec).expect("records written");
    text.lines().map(|l| serde_json::from_str(l).expect("record line is JSON")).collect()
}

/// Debian's python3 (with python3-yaml and python3-jsonschema), not a user's pyenv shim.
pub fn python() -> &'static str {
    "/usr/bin/python3"
}

/// A YAML file (a suricata-verify test.yaml) as JSON, through PyYAML.
pub fn yaml(path: &Path) -> Value {
    let o = Command::new(python())
        .args(["-c", "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"])
        .arg(path)
        .output()
        .expect("python3 runs (scripts/test.sh installs python3-yaml)");
    assert!(o.status.success(), "yaml: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("json")
}

/// Validate a JSON document against a JSON Schema with python3-jsonschema (Draft 2020-12,
/// formats checked). Returns the validator's error messages.
pub fn schema_errors(schema: &Path, doc: &Path) -> Vec<String> {
    let script = "import json,sys,jsonschema\n\
        s=json.load(open(sys.argv[1])); d=json.load(open(sys.argv[2]))\n\
        jsonschema.Draft202012Validator.check_schema(s)\n\
        v=jsonschema.Draft202012Validator(s, format_checker=jsonschema.FormatChecker())\n\
        for e in v.iter_errors(d): print(e.json_path, e.message[:300])\n";
    let o = Command::new(python()).args(["-c", script]).arg(schema).arg(doc).output().expect("python3 runs");
    assert!(o.status.success(), "validator failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect()
}

/// tshark's fields, one Vec per packet (`-T fields -E separator=|`), with a display filter.
pub fn tshark_fields(pcap: &Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    tshark_fields_sep(pcap, filter, fields, '|')
}

/// The same with another column separator (HL7 content is full of `|`).
pub fn tshark_fields_sep(pcap: &Path, filter: &str, fields: &[&str], sep: char) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    let sep_arg = if sep == '\t' { "separator=/t".to_string() } else { format!("separator={sep}") };
    cmd.args(["-r"]).arg(pcap).args(["-n", "-T", "fields", "-E", &sep_arg, "-E", "occurrence=a", "-E", "aggregator=,"]);
    if !filter.is_empty() {
        cmd.args(["-Y", filter]);
    }
    for f in fields {
        cmd.args(["-e", f]);
    }
    let o = cmd.output().expect("tshark runs (scripts/test.sh installs it)");
    assert!(o.status.success(), "tshark: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).lines().map(|l| l.split(sep).map(str::to_string).collect()).collect()
}
