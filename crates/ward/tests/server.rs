//! `ward server` as a process, spoken to by curl and openssl over real TLS on loopback: it makes
//! its certificate and keeps its secrets private, accepts a sensor's report only with a valid
//! token, merges a resent batch once, answers every bad request with a 4xx problem+json, refuses
//! old TLS, and stops cleanly on SIGTERM.

mod common;
// A fresh PostgreSQL database on the local server or on a throwaway cluster.
#[path = "../../ward-store/tests/common/mod.rs"]
mod pg;

use common::server::{Server, start, start_with};
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// curl with the server's own certificate as the only trust anchor; returns (status, body, headers).
fn curl(s: &Server, data: &Path, args: &[&str], path: &str) -> (u16, String, String) {
    let hdr = data.join("curl-headers");
    let o = Command::new("curl")
        .args(["-s", "--max-time", "20", "--cacert"])
        .arg(data.join("tls/cert.pem"))
        .arg("-D")
        .arg(&hdr)
        .args(["-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .arg(format!("https://{}{path}", s.addr))
        .output()
        .expect("curl runs (scripts/test.sh installs it)");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let (body, code) = out.rsplit_once('\n').expect("status line");
    (code.trim().parse().unwrap_or(0), body.to_string(), std::fs::read_to_string(&hdr).unwrap_or_default().to_ascii_lowercase())
}

fn token(data: &Path, sensor: &str) -> String {
    let (code, out, err) = ward(&["server", "token", "create", "--sensor", sensor, "--days", "30", "--data-dir", &data.display().to_string()]);
    assert_eq!(code, 0, "{err}");
    let t = String::from_utf8(out).expect("utf8").trim().to_string();
    assert!(t.starts_with("ward_s_") && t.len() == 7 + 16 + 1 + 43, "{t}");
    assert!(!err.contains(&t), "the token goes to stdout only");
    t
}

#[test]
fn sensor_upload_over_https() {
    let data = scratch("server").join("data");
    let s = start(&data);
    // Secure by default: a certificate made on first start, the key and the data owner-only.
    let mode = |p: &Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("tls/key.pem")), 0o600);
    assert_eq!(curl(&s, &data, &[], "/healthz").0, 200);
    let (code, _, headers) = curl(&s, &data, &[], "/readyz");
    assert_eq!(code, 200);
    for h in ["strict-transport-security: max-age=31536000", "content-security-policy: default-src 'none'; frame-ancestors 'none'", "x-content-type-options: nosniff"] {
        assert!(headers.contains(h), "{h} missing in {headers}");
    }

    let tok = token(&data, "icu-span");
    let dir = scratch("server-report");
    let report = dir.join("report.json");
    let (code, _, err) = ward(&["analyze", "--format", "json", "--no-progress", "-o", &report.display().to_string(), &root().join("tests/pcap/lan/hospital-devices/input.pcap").display().to_string()]);
    assert_eq!(code, 0, "{err}");
    let auth = format!("Authorization: Bearer {tok}");
    let body = format!("@{}", report.display());
    let upload = |batch: &str| curl(&s, &data, &["-H", &auth, "-H", &format!("Ward-Batch: {batch}"), "-H", "Content-Type: application/json", "--data-binary", &body], "/api/v1/ingest");
    let (code, out, _) = upload("b-0001");
    assert_eq!(code, 200, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!((v["sensor"].as_str(), v["duplicate"].as_bool(), v["findings_new"].as_u64()), (Some("icu-span"), Some(false), Some(17)), "{v}");
    // The sensor lost the answer and resends: acknowledged, not merged twice.
    let (code, out, _) = upload("b-0001");
    assert_eq!(code, 200);
    assert!(out.contains("\"duplicate\":true"), "{out}");

    // Every refusal is a 4xx problem+json.
    let bad = |args: &[&str], path: &str, want: u16| {
        let (code, out, headers) = curl(&s, &data, args, path);
        assert_eq!(code, want, "{args:?} {path}: {out}");
        assert!(headers.contains("content-type: application/problem+json"), "{headers}");
        let p: serde_json::Value = serde_json::from_str(&out).expect("problem json");
        assert_eq!(p["status"].as_u64(), Some(u64::from(want)));
    };
    let ct = "Content-Type: application/json";
    bad(&["-H", ct, "-H", "Ward-Batch: x", "--data-binary", &body], "/api/v1/ingest", 401);
    let forged = format!("Authorization: Bearer {}AAAA", &tok[..tok.len() - 4]);
    bad(&["-H", &forged, "-H", ct, "-H", "Ward-Batch: x", "--data-binary", &body], "/api/v1/ingest", 401);
    bad(&["-H", "Authorization: Bearer ' OR 1=1 --", "-H", ct, "-H", "Ward-Batch: x", "--data-binary", &body], "/api/v1/ingest", 401);
    bad(&["-H", &auth, "-H", "Content-Type: text/plain", "-H", "Ward-Batch: x", "--data-binary", &body], "/api/v1/ingest", 415);
    bad(&["-H", &auth, "-H", ct, "-H", "Ward-Batch: ../../etc/passwd", "--data-binary", &body], "/api/v1/ingest", 400);
    bad(&["-H", &auth, "-H", ct, "-H", "Ward-Batch: x", "--data-binary", "{\"assets\": [}"], "/api/v1/ingest", 422);
    bad(&[], "/../../etc/passwd", 404);
    bad(&[], "/api/v1/nothing", 404);
    let big = dir.join("big.json");
    std::fs::write(&big, vec![b' '; ward_server::MAX_BATCH_BYTES + 1]).expect("big");
    let (code, _, _) = curl(&s, &data, &["-H", &auth, "-H", ct, "-H", "Ward-Batch: big", "--data-binary", &format!("@{}", big.display())], "/api/v1/ingest");
    assert_eq!(code, 413);

    // A revoked token no longer works.
    let id = &tok[7..23];
    let (code, _, err) = ward(&["server", "token", "revoke", id, "--data-dir", &data.display().to_string()]);
    assert_eq!(code, 0, "{err}");
    bad(&["-H", &auth, "-H", ct, "-H", "Ward-Batch: b-0002", "--data-binary", &body], "/api/v1/ingest", 401);

    // TLS 1.1 is refused by the server (its alert, not the client's policy: the client offers
    // 1.1 at security level 0); the same probe with TLS 1.2 gets through.
    let probe = |v: &str| {
        let mut c = Command::new("openssl")
            .args(["s_client", "-connect", &s.addr, v, "-cipher", "DEFAULT:@SECLEVEL=0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("openssl");
        let mut out = String::new();
        for _ in 0..100 {
            if c.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = c.kill();
        let o = c.wait_with_output().expect("output");
        out.push_str(&String::from_utf8_lossy(&o.stdout));
        out.push_str(&String::from_utf8_lossy(&o.stderr));
        out
    };
    let old = probe("-tls1_1");
    assert!(old.contains("alert handshake failure") || old.contains("alert protocol version"), "{old}");
    assert!(probe("-tls1_2").contains("Protocol  : TLSv1.2"));

    // SIGTERM: a clean stop; the token's secret never reached the log.
    let pid = s.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let mut s = s;
    let status = s.child.wait().expect("exits");
    assert!(status.success(), "{status}");
    let log: Vec<String> = s.log.try_iter().collect();
    let log = log.join("\n");
    assert!(log.contains("denied ingest"), "denials are logged: {log}");
    assert!(!log.contains(&tok[24..]), "the secret is not logged");
}

/// Prometheus metrics on their own loopback listener: counts of responses and audit events
/// and the store's totals, and never an account name or address as a label.
#[test]
fn metrics_count_without_naming_anyone() {
    let data = scratch("server-metrics").join("data");
    let s = start_with(&data, "127.0.0.1:0", &["--metrics", "127.0.0.1:0"]);
    let jar = data.join("../jar");
    let (st, _) = s.curl(&jar, "POST", "/api/v1/login", &[], Some(r#"{"username":"mallory","password":"guess guess guess"}"#));
    assert_eq!(st, 401);
    let m = s.metrics.clone().expect("the metrics address is printed");
    let o = Command::new("curl").args(["-s", "--max-time", "20", &format!("http://{m}/metrics")]).output().expect("curl");
    let text = String::from_utf8_lossy(&o.stdout);
    for want in ["ward_http_responses_total{class=\"4xx\"} 1", "ward_audit_events_total{action=\"auth.sign_in\",outcome=\"failure\"} 1", "ward_assets 0", "ward_findings{status=\"open\"} 0"] {
        assert!(text.contains(want), "{want} missing in:\n{text}");
    }
    assert!(!text.contains("mallory") && !text.contains("127.0.0.1"), "{text}");
}

/// `ward server --advisories`: an uploaded report's devices are matched against the real CISA
/// advisories and the affected ones get known-vulnerability findings in the server's queue
/// (the GE CT scanner of the simulated hospital among them, critical).
#[test]
fn uploaded_devices_are_matched_against_advisories() {
    let dir = scratch("server-advisories");
    let data = dir.join("data");
    let advisories = shared("advisories/cisa-icsma-csaf").display().to_string();
    let s = start_with(&data, "127.0.0.1:0", &["--advisories", &advisories]);
    let tok = token(&data, "ct-span");
    let report = dir.join("report.json");
    let (code, _, err) = ward(&["analyze", "--format", "json", "--no-progress", "-o", &report.display().to_string(), &root().join("tests/pcap/lan/hospital-devices/input.pcap").display().to_string()]);
    assert_eq!(code, 0, "{err}");
    let body = std::fs::read_to_string(&report).expect("report");
    let (st, out) = s.curl(&dir.join("jar"), "POST", "/api/v1/ingest", &[&format!("Authorization: Bearer {tok}"), "Ward-Batch: b1"], Some(&body));
    assert_eq!(st, 200, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(v["findings_new"].as_u64().unwrap_or(0) > 17, "the sensor's 17 and the advisories' on top: {v}");
    // The device's page in the API: its matches, and the same risk score, reasons and
    // remediation order as `ward vulns` computes from the same report.
    let jar = dir.join("admin.jar");
    s.first_admin(&jar, "correct horse battery staple 7");
    let (_, body) = s.curl(&jar, "GET", "/api/v1/findings?kind=known-vulnerability&limit=500", &[], None);
    let kv: serde_json::Value = serde_json::from_str(&body).expect("json");
    let ct = kv["items"].as_array().and_then(|i| i.iter().find(|f| f["title"].as_str().is_some_and(|t| t.contains("Revolution")))).expect("the CT's finding").clone();
    let (st, body) = s.curl(&jar, "GET", &format!("/api/v1/assets/{}", ct["asset"]), &[], None);
    assert_eq!(st, 200, "{body}");
    let served: serde_json::Value = serde_json::from_str(&body).expect("json");
    let risk = &served["risk"];
    assert!(risk["matches"].as_array().is_some_and(|m| !m.is_empty()) && risk["remediations"].as_array().is_some_and(|r| !r.is_empty()), "{risk}");
    let (code, out, err) = ward(&["vulns", "--advisories", &advisories, "--inventory", &report.display().to_string(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let cli: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let report_doc: serde_json::Value = serde_json::from_str(&body_of(&report)).expect("report");
    let mac = served["detail"]["mac"].as_str().expect("the CT's MAC");
    let report_id = report_doc["assets"].as_array().and_then(|a| a.iter().find(|x| x["mac"] == mac)).and_then(|x| x["id"].as_str()).map(str::to_string);
    let expected = cli["risks"].as_array().and_then(|r| r.iter().find(|d| report_id.as_deref().is_some_and(|id| d["asset"] == id))).expect("the CT in ward vulns' output").clone();
    assert_eq!(risk["score"], expected["score"], "server {risk}\ncli {expected}");
    assert_eq!(risk["reasons"], expected["reasons"]);
    assert_eq!(risk["remediations"], expected["remediations"]);
    // The fleet's plan: the CT among the devices at its score, its steps among the plan's, the
    // steps ordered by the risk they remove summed over their devices.
    let (st, body) = s.curl(&jar, "GET", "/api/v1/remediation", &[], None);
    assert_eq!(st, 200, "{body}");
    let plan: serde_json::Value = serde_json::from_str(&body).expect("json");
    let devices = plan["devices"].as_array().expect("devices");
    assert!(devices.iter().any(|d| d["id"] == ct["asset"] && d["score"] == expected["score"]), "{plan}");
    let steps = plan["steps"].as_array().expect("steps");
    let removed: Vec<f64> = steps.iter().map(|s| s["risk_removed"].as_f64().expect("number")).collect();
    assert!(!removed.is_empty() && removed.windows(2).all(|w| w[0] >= w[1]), "most risk removed first: {removed:?}");
    for st in expected["remediations"].as_array().expect("steps") {
        assert!(steps.iter().any(|p| p["advisory"] == st["advisory"] && p["action"] == st["action"] && p["devices"].as_array().is_some_and(|d| d.iter().any(|d| d["id"] == ct["asset"]))), "the CT's step {st} is in the plan");
    }
    assert!(!devices.is_empty() && plan["partial"] == false);
    let (st, page) = s.curl(&jar, "GET", "/remediation", &[], None);
    assert_eq!(st, 200);
    assert!(page.contains("What to fix first") && page.contains(ct["evidence"]["advisory"].as_str().expect("advisory")));
    let (st, page) = s.curl(&jar, "GET", &format!("/assets/{}", ct["asset"]), &[], None);
    assert_eq!(st, 200);
    let score = format!("<strong id=\"risk-score\">{:.0}</strong>", expected["score"].as_f64().expect("score"));
    assert!(page.contains("Known vulnerabilities and risk") && page.contains(&score) && page.contains(ct["evidence"]["advisory"].as_str().expect("advisory")), "the device page shows the score and the advisory");
    // The stored score sorts the inventory: it is computed in the background after the upload
    // (waited for here, at most 30 s), equals the page's and `ward vulns`' for every device, and
    // the riskiest device comes first.
    let by_risk = || {
        let (st, body) = s.curl(&jar, "GET", "/api/v1/assets?sort=risk&order=desc&limit=500", &[], None);
        assert_eq!(st, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).expect("json")["items"].as_array().expect("items").clone()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut items = by_risk();
    while items.iter().all(|a| a["risk"].as_f64() == Some(0.0)) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
        items = by_risk();
    }
    let risks: Vec<f64> = items.iter().map(|a| a["risk"].as_f64().expect("risk")).collect();
    assert!(risks.windows(2).all(|w| w[0] >= w[1]), "riskiest first: {risks:?}");
    let scored: Vec<&serde_json::Value> = items.iter().filter(|a| a["risk"].as_f64().unwrap_or(0.0) > 0.0).collect();
    let cli_risks = cli["risks"].as_array().expect("risks");
    assert_eq!(scored.len(), cli_risks.len(), "one stored score per device ward vulns scores: {risks:?}");
    assert_eq!(items.iter().find(|a| a["id"] == ct["asset"]).map(|a| a["risk"].clone()), Some(expected["score"].clone()), "the CT's stored score is its page's");
    assert_eq!(risks.first().copied(), cli_risks.iter().filter_map(|r| r["score"].as_f64()).reduce(f64::max), "the riskiest device's score is ward vulns' highest");
    let (_, page) = s.curl(&jar, "GET", "/assets?sort=risk&order=desc", &[], None);
    assert!(page.contains("<option value=\"risk\" selected>") && page.contains(&format!("<td class=\"risk\">{:.1}</td>", risks[0])), "the inventory page sorts and shows the risk");
    assert!(s.stop().success());
    // Started again without advisories, no stale score is left.
    let s = start_with(&data, "127.0.0.1:0", &[]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut left = by_risk_on(&s, &jar);
    while left.iter().any(|a| a["risk"].as_f64() != Some(0.0)) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
        left = by_risk_on(&s, &jar);
    }
    assert!(left.iter().all(|a| a["risk"].as_f64() == Some(0.0)), "scores cleared without advisories");
    assert!(s.stop().success());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let found = rt.block_on(async {
        let store = ward_store::Store::open(&format!("sqlite:{}", data.join("ward.db").display())).await.expect("store");
        let page = store.findings(&ward_store::FindingQuery { kind: Some("known-vulnerability".into()), ..Default::default() }).await.expect("findings");
        store.close().await;
        page.items
    });
    assert!(found.iter().any(|f| f.severity == "critical" && f.title.contains("Revolution")), "{found:#?}");
}

fn by_risk_on(s: &Server, jar: &std::path::Path) -> Vec<serde_json::Value> {
    let (st, body) = s.curl(jar, "GET", "/api/v1/assets?sort=risk&order=desc&limit=500", &[], None);
    assert_eq!(st, 200, "{body}");
    serde_json::from_str::<serde_json::Value>(&body).expect("json")["items"].as_array().expect("items").clone()
}

fn body_of(p: &std::path::Path) -> String {
    std::fs::read_to_string(p).expect("read")
}

/// Copy `names` from `from` into `to` (made owner-only), as an operator adds a replica.
fn copy_files(from: &Path, to: &Path, names: &[&str]) {
    std::fs::create_dir_all(to).expect("dir");
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    for n in names {
        std::fs::copy(from.join(n), to.join(n)).expect("copy");
    }
}

/// `ward server` on `data` sharing `url`, expected to refuse to start; returns its log.
fn refused(data: &Path, url: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["server", "--listen", "127.0.0.1:0", "--database", url, "--data-dir"])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    for _ in 0..600 {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err).expect("log");
            assert!(!status.success(), "it refuses: {err}");
            return err;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("a replica with other keys kept running");
}

/// Two replicas of `ward server` on one PostgreSQL database, both running, the second with the
/// first one's keys copied in (DATA/keys/ and the ledger's key files), keep one audit ledger:
/// each one's audit trail (API and /audit page) shows the records the other made, each proved
/// in the shared signed tree; the ledger exported from either replica verifies offline with
/// `ward ledger verify` (and against the exporting replica's own witness directory) and holds
/// both replicas' records; the ledger's private key is in
/// neither the export nor the database. A third replica with freshly made keys, and a fourth
/// with the first one's DATA/keys/ but its own ledger key, refuse to start and say which files
/// to copy.
#[test]
fn replicas_on_postgres_keep_one_audit_ledger() {
    const PW: &str = "correct horse battery staple 7";
    let url = pg::postgres_url();
    let dir = scratch("server-replicas");
    let db = ["--database", url.as_str()];
    let a = start_with(&dir.join("a"), "127.0.0.1:0", &db);
    let jar = dir.join("admin.jar");
    let csrf = a.first_admin(&jar, PW);
    copy_files(&a.data.join("keys"), &dir.join("b/keys"), &["seal.key", "csrf.key"]);
    copy_files(&a.data.join("ledger"), &dir.join("b/ledger"), &["ledger.key", "ledger.pub", "ledger.json"]);
    let witness = dir.join("b-witness");
    let b = start_with(&dir.join("b"), "127.0.0.1:0", &["--database", url.as_str(), "--ledger-witness", &witness.display().to_string()]);

    // Two accounts; one fails to sign in on A, the other on B.
    for name in ["ann.on.a", "bob.on.b"] {
        let body = format!(r#"{{"username":"{name}","role":"auditor","password":"Quiet-Lantern-Harbour-42"}}"#);
        assert_eq!(a.curl(&jar, "POST", "/api/v1/users", &[&format!("X-CSRF-Token: {csrf}")], Some(&body)).0, 201);
    }
    let anon = dir.join("anon.jar");
    let wrong = |s: &Server, name: &str| s.curl(&anon, "POST", "/api/v1/login", &[], Some(&format!(r#"{{"username":"{name}","password":"not the password 1"}}"#))).0;
    assert_eq!(wrong(&a, "ann.on.a"), 401);
    assert_eq!(wrong(&b, "bob.on.b"), 401);
    // The administrator's session, made on A, works on B (sessions and CSRF key are shared).
    assert_eq!(b.curl(&jar, "POST", "/api/v1/users", &[&format!("X-CSRF-Token: {csrf}")], Some(r#"{"username":"cy.by.b","role":"auditor","password":"Quiet-Lantern-Harbour-42"}"#)).0, 201);

    for (s, other) in [(&a, "bob.on.b"), (&b, "ann.on.a")] {
        let (st, body) = s.curl(&jar, "GET", "/api/v1/audit?limit=1000", &[], None);
        assert_eq!(st, 200, "{body}");
        let trail: serde_json::Value = serde_json::from_str(&body).expect("json");
        let items = trail.as_array().expect("trail");
        assert!(items.iter().any(|e| e["record"]["actor"] == other && e["record"]["action"] == "auth.sign_in" && e["record"]["outcome"] == "failure"), "the other replica's record: {trail}");
        assert!(items.iter().all(|e| e["proved"] == true), "every record proved in the shared tree: {trail}");
        let mut indexes: Vec<u64> = items.iter().filter_map(|e| e["index"].as_u64()).collect();
        indexes.sort_unstable();
        assert_eq!(indexes, (0..items.len() as u64).collect::<Vec<_>>(), "one trail, no gap");
        let (st, page) = s.curl(&jar, "GET", "/audit", &[], None);
        assert_eq!(st, 200);
        assert!(page.contains(other), "the /audit page shows the other replica's record");
    }

    // The export from B verifies offline (with the key the operator kept from A) and holds both.
    let tar = dir.join("ledger.tar");
    let o = Command::new("curl")
        .args(["-s", "--max-time", "30", "--cacert"])
        .arg(b.data.join("tls/cert.pem"))
        .arg("-b")
        .arg(&jar)
        .arg("-o")
        .arg(&tar)
        .args(["-w", "%{http_code}", &format!("https://{}/api/v1/ledger/export", b.addr)])
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "200");
    let out = dir.join("export");
    std::fs::create_dir_all(&out).expect("dir");
    assert!(Command::new("tar").arg("-xf").arg(&tar).arg("-C").arg(&out).status().expect("tar").success());
    let export = out.join("ward-ledger-export");
    let key = a.data.join("ledger/ledger.pub").display().to_string();
    let (c, stdout, err) = ward(&["ledger", "verify", "--export", &export.display().to_string(), "--key", &key]);
    assert_eq!(c, 0, "{err} {}", String::from_utf8_lossy(&stdout));
    // B's own witness directory holds the checkpoints B signed, each the same as in the ledger.
    assert!(std::fs::read_dir(&witness).expect("witness").flatten().any(|e| e.file_name().to_string_lossy().ends_with(".note")), "B's checkpoint reached its witness");
    let (c, stdout, err) = ward(&["ledger", "verify", "--export", &export.display().to_string(), "--key", &key, "--witness", &witness.display().to_string()]);
    assert_eq!(c, 0, "{err} {}", String::from_utf8_lossy(&stdout));
    let log = std::fs::read(export.join("entries.log")).expect("log");
    let has = |needle: &str| log.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(has("ann.on.a") && has("bob.on.b"), "both replicas' records are in the export");
    assert!(!export.join("ledger.key").exists(), "no private key in the export");
    let private = std::fs::read_to_string(a.data.join("ledger/ledger.key")).expect("key");
    let dump = Command::new("pg_dump").arg(&url).output().expect("pg_dump");
    assert!(dump.status.success() && !String::from_utf8_lossy(&dump.stdout).contains(private.trim()), "the private key is not in the database");

    // A replica with keys of its own refuses to start, and says what to copy.
    let err = refused(&dir.join("c"), &url);
    assert!(err.contains("keys/seal.key is not the key of the servers already using this database") && err.contains("copy DATA/keys/"), "{err}");
    copy_files(&a.data.join("keys"), &dir.join("d/keys"), &["seal.key", "csrf.key"]);
    let err = refused(&dir.join("d"), &url);
    assert!(err.contains("ledger/ledger.key is not the key of the servers already using this database") && err.contains("ledger.key, ledger.pub and ledger.json"), "{err}");
    assert!(b.stop().success() && a.stop().success());
}
