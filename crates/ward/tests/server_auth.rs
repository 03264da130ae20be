//! People on `ward server`, over real HTTPS with curl and a cookie jar: no default password —
//! the first administrator exists only through the one-time setup token printed at first
//! start; every account enrols TOTP before it can do anything; codes and recovery codes work
//! once; the role policy is enforced on the API (an auditor may read but not acknowledge, and
//! the denial lands in the audit trail); CSRF tokens are required on changes; repeated wrong
//! passwords lock the account with the same message as any other failure; sign-out everywhere
//! ends every session; automation tokens act within their scopes and their owner's role, are
//! refused once revoked, and every use and refusal is audited; no password, code, token or
//! session id is ever written to the trail or log.

mod common;
// The store's database helpers: a fresh PostgreSQL database on the local server or on a
// throwaway cluster.
#[path = "../../ward-store/tests/common/mod.rs"]
mod pg;

use common::server::Server;
use common::*;
use serde_json::Value;
use std::path::Path;
use ward_auth::totp::{TotpSecret, code_for_step, step_at};

const ADMIN_PW: &str = "correct horse battery staple 7";
const AUDITOR_PW: &str = "Quiet-Lantern-Harbour-42";

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

/// The secret in an otpauth URI.
fn secret(uri: &str) -> TotpSecret {
    let b32 = uri.split("secret=").nth(1).and_then(|r| r.split('&').next()).expect("secret in the URI");
    TotpSecret::from_base32(b32).expect("base32")
}

fn code(s: &TotpSecret, step: u64) -> String {
    code_for_step(s, step).to_string()
}

/// Enrol TOTP on a session at the password stage; returns (secret, csrf, recovery codes, the
/// time step of the code it enrolled with).
fn enrol(s: &Server, jar: &Path) -> (TotpSecret, String, Vec<String>, u64) {
    let (st, body) = s.curl(jar, "GET", "/api/v1/login/enrol", &[], None);
    assert_eq!(st, 200, "{body}");
    let v = json(&body);
    assert!(v["qr_svg"].as_str().unwrap_or("").starts_with("<?xml") || v["qr_svg"].as_str().unwrap_or("").contains("<svg"), "a QR code for the app");
    let sec = secret(v["otpauth_uri"].as_str().expect("uri"));
    // The previous step's code (within the ±1 tolerance) so the next sign-in can use the
    // current one without waiting.
    let step = step_at(now()).expect("step") - 1;
    let (st, body) = s.curl(jar, "POST", "/api/v1/login/enrol", &[], Some(&format!("{{\"code\":\"{}\"}}", code(&sec, step))));
    assert_eq!(st, 200, "{body}");
    let v = json(&body);
    let rc: Vec<String> = v["recovery_codes"].as_array().expect("codes").iter().filter_map(|c| c.as_str().map(str::to_string)).collect();
    assert_eq!(rc.len(), 10);
    (sec, v["csrf_token"].as_str().expect("csrf").to_string(), rc, step)
}

#[test]
fn accounts_mfa_roles_and_audit_on_sqlite() {
    accounts_mfa_roles_and_audit("sqlite", &[]);
}

#[test]
fn accounts_mfa_roles_and_audit_on_postgres() {
    let url = pg::postgres_url();
    accounts_mfa_roles_and_audit("postgres", &["--database", &url]);
}

/// The server's ledger as a directory: `DATA/ledger` on SQLite; on PostgreSQL (where the ledger
/// is in the database) an export of it to `out`, made with `ward ledger export --db`.
fn live_ledger(s: &Server, args: &[&str], out: &Path) -> std::path::PathBuf {
    let Some(url) = args.iter().position(|a| *a == "--database").and_then(|i| args.get(i + 1)) else { return s.data.join("ledger") };
    let key = s.data.join("ledger/ledger.pub").display().to_string();
    let (c, _, err) = ward(&["ledger", "export", "--db", url, "--key", &key, "--out", &out.display().to_string()]);
    assert_eq!(c, 0, "{err}");
    out.to_path_buf()
}

fn accounts_mfa_roles_and_audit(name: &str, args: &[&str]) {
    let dir = scratch(&format!("server-auth-{name}"));
    let s = common::server::start_with(&dir.join("data"), "127.0.0.1:0", args);
    let setup = s.setup.clone().expect("first start prints a setup link");
    let jar = dir.join("admin.jar");
    let anon = dir.join("anon.jar");

    // Nothing without an account; no default password to guess.
    assert_eq!(s.curl(&anon, "GET", "/api/v1/assets", &[], None).0, 401);
    assert_eq!(s.curl(&anon, "POST", "/api/v1/login", &[], Some(r#"{"username":"admin","password":"admin"}"#)).0, 401);
    // The setup token makes the first administrator, with a password the policy accepts.
    let weak = format!(r#"{{"token":"{setup}","username":"admin","password":"password123"}}"#);
    assert_eq!(s.curl(&jar, "POST", "/api/v1/setup", &[], Some(&weak)).0, 422);
    let forged = format!(r#"{{"token":"{}x","username":"admin","password":"{ADMIN_PW}"}}"#, &setup[..setup.len() - 1]);
    assert_eq!(s.curl(&jar, "POST", "/api/v1/setup", &[], Some(&forged)).0, 403);
    let good = format!(r#"{{"token":"{setup}","username":"admin","password":"{ADMIN_PW}"}}"#);
    let (st, body) = s.curl(&jar, "POST", "/api/v1/setup", &[], Some(&good));
    assert_eq!((st, json(&body)["next"].as_str()), (200, Some("enrol")), "{body}");
    assert_eq!(s.curl(&anon, "POST", "/api/v1/setup", &[], Some(&good)).0, 403, "the setup token works once");
    // Before its second factor, the session can do nothing else.
    assert_eq!(s.curl(&jar, "GET", "/api/v1/assets", &[], None).0, 401);
    let (admin_totp, csrf, admin_rc, enrol_step) = enrol(&s, &jar);
    let with_csrf = format!("X-CSRF-Token: {csrf}");

    // Some data: a sensor's report.
    let mut token_args = vec!["server", "token", "create", "--sensor", "icu"];
    token_args.extend_from_slice(args);
    let data = s.data.display().to_string();
    token_args.extend_from_slice(&["--data-dir", &data]);
    let (code_, out, err) = ward(&token_args);
    assert_eq!(code_, 0, "{err}");
    let sensor = String::from_utf8(out).expect("utf8").trim().to_string();
    let report = dir.join("report.json");
    let (c, _, err) = ward(&["analyze", "-f", "json", "--no-progress", "-o", &report.display().to_string(), &root().join("tests/pcap/lan/hospital-devices/input.pcap").display().to_string()]);
    assert_eq!(c, 0, "{err}");
    let body = std::fs::read_to_string(&report).expect("report");
    let (st, _) = s.curl(&anon, "POST", "/api/v1/ingest", &[&format!("Authorization: Bearer {sensor}"), "Ward-Batch: b1"], Some(&body));
    assert_eq!(st, 200);

    // The administrator reads, filters and acts; a change needs the CSRF token.
    let (st, body) = s.curl(&jar, "GET", "/api/v1/assets?sort=label&order=asc&limit=5", &[], None);
    assert_eq!(st, 200, "{body}");
    let v = json(&body);
    assert!(v["total"].as_u64().unwrap_or(0) > 5 && v["items"].as_array().map(Vec::len) == Some(5), "{v}");
    // The next page by position equals the next page by offset; a cursor does not mix with an
    // offset or another order, and text that is not one is a 400, never a 500.
    let next = v["next"].as_str().expect("a next page").to_string();
    let (st, by_cursor) = s.curl(&jar, "GET", &format!("/api/v1/assets?sort=label&order=asc&limit=5&after={next}"), &[], None);
    assert_eq!(st, 200, "{by_cursor}");
    let (_, by_offset) = s.curl(&jar, "GET", "/api/v1/assets?sort=label&order=asc&limit=5&offset=5", &[], None);
    let ids = |b: &str| json(b)["items"].as_array().expect("items").iter().map(|a| a["id"].as_i64()).collect::<Vec<_>>();
    assert_eq!(ids(&by_cursor), ids(&by_offset));
    assert_eq!(json(&by_cursor)["total"], v["total"]);
    for q in [format!("after={next}&offset=5"), format!("after={next}&order=desc"), format!("after={next}&sort=bytes"), "after=not-a-cursor".into(), "after=W10".into()] {
        let (st, body) = s.curl(&jar, "GET", &format!("/api/v1/assets?sort=label&order=asc&{q}"), &[], None);
        assert_eq!(st, 400, "{q}: {body}");
    }
    let (st, body) = s.curl(&jar, "GET", &format!("/api/v1/findings?after={next}"), &[], None);
    assert_eq!(st, 400, "an asset cursor on the findings: {body}");
    // An empty `after` (a form's empty field) is the first page, with or without an offset.
    let (st, body) = s.curl(&jar, "GET", "/api/v1/assets?sort=label&order=asc&limit=5&offset=5&after=", &[], None);
    assert_eq!(st, 200, "{body}");
    assert_eq!(ids(&body), ids(&by_offset));
    let (st, body) = s.curl(&jar, "GET", "/api/v1/findings?min_severity=high&status=open", &[], None);
    assert_eq!(st, 200, "{body}");
    let findings = json(&body);
    let fid = findings["items"][0]["id"].as_i64().expect("a high finding");
    assert!(findings["items"].as_array().expect("items").iter().all(|f| f["severity"] == "high" || f["severity"] == "critical"));
    assert_eq!(s.curl(&jar, "GET", "/api/v1/findings?sort=nonsense", &[], None).0, 400);
    let ack = format!("/api/v1/findings/{fid}/acknowledge");
    assert_eq!(s.curl(&jar, "POST", &ack, &[], None).0, 403, "no CSRF token, no change");
    assert_eq!(s.curl(&jar, "POST", &ack, &["X-CSRF-Token: AAAA"], None).0, 403);
    assert_eq!(s.curl(&jar, "POST", &ack, &[&with_csrf], None).0, 204);
    assert_eq!(s.curl(&jar, "POST", &ack, &[&with_csrf], None).0, 409, "already acknowledged");
    let (st, body) = s.curl(&jar, "GET", &format!("/api/v1/findings/{fid}"), &[], None);
    assert_eq!(st, 200, "{body}");
    let steps: Vec<(String, String)> = json(&body)["history"].as_array().expect("history").iter().map(|e| (e["actor"].as_str().unwrap_or("").to_string(), e["action"].as_str().unwrap_or("").to_string())).collect();
    assert!(steps.first().is_some_and(|(_, a)| a == "raised") && steps.contains(&("admin".to_string(), "acknowledged".to_string())), "the finding's history: {steps:?}");
    assert_eq!(s.curl(&jar, "GET", "/api/v1/findings/999999", &[], None).0, 404);
    let (st, asset) = s.curl(&jar, "GET", &format!("/api/v1/assets/{}", findings["items"][0]["asset"].as_i64().expect("asset")), &[], None);
    assert_eq!(st, 200);
    assert!(json(&asset)["findings"].as_array().is_some_and(|f| f.iter().any(|f| f["id"].as_i64() == Some(fid) && f["status"] == "acknowledged")));
    let (st, csv) = s.curl(&jar, "GET", "/api/v1/export/findings.csv", &[], None);
    assert_eq!(st, 200);
    assert!(csv.starts_with("id,kind,severity,status"), "{csv}");

    // Automation: the administrator makes a token that may read and acknowledge findings and
    // nothing else. Scopes on tokens, on accounts or unknown ones are refused.
    let mk = |body: &str| s.curl(&jar, "POST", "/api/v1/tokens", &[&with_csrf], Some(body));
    for bad in [r#"{"label":"x","scopes":["token.create"]}"#, r#"{"label":"x","scopes":["user.create"]}"#, r#"{"label":"x","scopes":["finding.fly"]}"#, r#"{"label":"x","scopes":[]}"#, r#"{"label":"","scopes":["finding.read"]}"#, r#"{"label":"x","scopes":["finding.read"],"days":400}"#] {
        assert_eq!(mk(bad).0, 422, "{bad}");
    }
    let (st, body) = mk(r#"{"label":"ticketing","scopes":["finding.read","finding.acknowledge"],"days":30}"#);
    assert_eq!(st, 201, "{body}");
    let made = json(&body);
    let auto = made["token"].as_str().expect("token").to_string();
    let auto_id = made["id"].as_str().expect("id").to_string();
    assert!(auto.starts_with("ward_a_") && auto.contains(&auto_id));
    let bearer = format!("Authorization: Bearer {auto}");
    // Used without any cookie or CSRF token: reads and acknowledges within its scopes...
    let (st, body) = s.curl(&anon, "GET", "/api/v1/findings?status=open&limit=1", &[&bearer], None);
    assert_eq!(st, 200, "{body}");
    let fid2 = json(&body)["items"][0]["id"].as_i64().expect("an open finding");
    assert_eq!(s.curl(&anon, "POST", &format!("/api/v1/findings/{fid2}/acknowledge"), &[&bearer], None).0, 204);
    // ...and nothing else, though its owner's role would allow it: a denial, audited and raised.
    assert_eq!(s.curl(&anon, "GET", "/api/v1/assets", &[&bearer], None).0, 403, "no asset.read scope");
    assert_eq!(s.curl(&anon, "POST", &format!("/api/v1/findings/{fid2}/resolve"), &[&bearer], None).0, 403, "no finding.resolve scope");
    assert_eq!(s.curl(&anon, "POST", "/api/v1/tokens", &[&bearer], Some(r#"{"label":"y","scopes":["finding.read"]}"#)).0, 403, "a token makes no tokens");
    assert_eq!(s.curl(&anon, "POST", "/api/v1/logout?everywhere=1", &[&bearer], None).0, 403, "a token cannot sign its owner out");
    // A sensor's token on a person's endpoint, a forged token and a malformed header: 401.
    assert_eq!(s.curl(&anon, "GET", "/api/v1/findings", &[&format!("Authorization: Bearer {sensor}")], None).0, 401);
    let forged = format!("{}{}", &auto[..auto.len() - 4], if auto.ends_with("AAAA") { "BBBB" } else { "AAAA" });
    assert_eq!(s.curl(&anon, "GET", "/api/v1/findings", &[&format!("Authorization: Bearer {forged}")], None).0, 401);
    assert_eq!(s.curl(&anon, "GET", "/api/v1/findings", &["Authorization: Basic YWRtaW46YWRtaW4="], None).0, 401);
    // Its owner sees it, used, and revokes it: then it is refused.
    let (st, body) = s.curl(&jar, "GET", "/api/v1/tokens", &[], None);
    assert_eq!(st, 200, "{body}");
    let listed = json(&body);
    let mine = listed.as_array().expect("list").iter().find(|t| t["id"] == auto_id.as_str()).expect("listed").clone();
    assert_eq!((mine["state"].as_str(), mine["owner"].as_str(), mine["label"].as_str()), (Some("active"), Some("admin"), Some("ticketing")), "{mine}");
    assert!(mine["last_used_at"].as_i64().is_some() && !body.contains(&auto[24..]), "{mine}");
    assert_eq!(s.curl(&jar, "DELETE", &format!("/api/v1/tokens/{auto_id}"), &[&with_csrf], None).0, 204);
    assert_eq!(s.curl(&jar, "DELETE", &format!("/api/v1/tokens/{auto_id}"), &[&with_csrf], None).0, 404, "already revoked");
    assert_eq!(s.curl(&anon, "GET", "/api/v1/findings", &[&bearer], None).0, 401, "revoked");

    // An auditor: made by the administrator (fresh sign-in), enrols at first sign-in, reads
    // everything including the trail, and may not acknowledge: 403, audited as a denial.
    let new_user = format!(r#"{{"username":"ann.auditor","role":"auditor","password":"{AUDITOR_PW}"}}"#);
    assert_eq!(s.curl(&jar, "POST", "/api/v1/users", &[&with_csrf], Some(&new_user)).0, 201);
    assert_eq!(s.curl(&jar, "POST", "/api/v1/users", &[&with_csrf], Some(&new_user)).0, 409);
    let ajar = dir.join("auditor.jar");
    let (st, body) = s.curl(&ajar, "POST", "/api/v1/login", &[], Some(&format!(r#"{{"username":"ann.auditor","password":"{AUDITOR_PW}"}}"#)));
    assert_eq!((st, json(&body)["next"].as_str()), (200, Some("enrol")));
    // A good password leaves a device cookie (the lane of known devices at the hashing gate);
    // the wrong one above left none.
    let cookies = |j: &Path| std::fs::read_to_string(j).unwrap_or_default();
    assert!(cookies(&ajar).contains("__Host-ward_device") && !cookies(&anon).contains("__Host-ward_device"), "{}", cookies(&ajar));
    let (_, acsrf, _, _) = enrol(&s, &ajar);
    assert_eq!(s.curl(&ajar, "GET", "/api/v1/findings", &[], None).0, 200);
    let resolve = format!("/api/v1/findings/{fid}/resolve");
    let (st, body) = s.curl(&ajar, "POST", &resolve, &[&format!("X-CSRF-Token: {acsrf}")], None);
    assert_eq!(st, 403, "{body}");
    assert_eq!(s.curl(&ajar, "POST", "/api/v1/users", &[&format!("X-CSRF-Token: {acsrf}")], Some(&new_user)).0, 403);
    let (st, trail) = s.curl(&ajar, "GET", "/api/v1/audit?limit=1000", &[], None);
    assert_eq!(st, 200);
    let trail = json(&trail);
    let has = |actor: &str, action: &str, outcome: &str| trail.as_array().expect("trail").iter().any(|e| e["record"]["actor"] == actor && e["record"]["action"] == action && e["record"]["outcome"] == outcome);
    assert!(has("ann.auditor", "finding.resolve", "denied"), "the unauthorized use is in the trail: {trail}");
    assert!(trail.as_array().expect("trail").iter().all(|e| e["proved"] == true), "every record has an inclusion proof in the ledger's current tree");
    assert!(has("admin", "finding.acknowledge", "success") && has("admin", "export", "success") && has("admin", "user.create", "success"));
    assert!(has("(unknown)", "auth.sign_in", "failure"), "the failed sign-in as 'admin' before any account existed");
    assert!(has("ward", "auth.setup_link", "success") && has("ward", "auth.setup", "denied"), "the setup link and the forged token are in the trail");
    assert!(has("admin", "auth.token", "success") && has("admin", "asset.read", "denied") && has("admin", "token.create", "success") && has("admin", "token.revoke", "success"), "every token use and denial");
    let denied_tokens = trail.as_array().expect("trail").iter().filter(|e| e["record"]["action"] == "auth.token" && e["record"]["outcome"] == "denied").count();
    assert!(denied_tokens >= 4, "the sensor's token, the forged one, the Basic header and the revoked one: {denied_tokens}");
    // The denials are also findings for the security team, one per account.
    let mut raised = Value::Null;
    let of = |v: &Value, account: &str| v["items"].as_array().and_then(|i| i.iter().find(|f| f["evidence"]["account"] == account).cloned()).unwrap_or(Value::Null);
    for _ in 0..50 {
        let (st, body) = s.curl(&jar, "GET", "/api/v1/findings?kind=unauthorized-use", &[], None);
        assert_eq!(st, 200);
        raised = json(&body);
        if raised["total"].as_u64() == Some(2) && of(&raised, "ann.auditor")["occurrences"].as_i64() == Some(2) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(of(&raised, "ann.auditor")["occurrences"].as_i64(), Some(2), "two denials, one finding: {raised}");
    assert!(of(&raised, "admin")["occurrences"].as_i64() >= Some(3), "the token's three attempts beyond its scopes: {raised}");

    // The auditor downloads the ledger; it verifies offline with its public key alone, and a
    // changed byte is found and named.
    let tar = dir.join("ledger.tar");
    let o = std::process::Command::new("curl")
        .args(["-s", "--max-time", "30", "--cacert"])
        .arg(s.data.join("tls/cert.pem"))
        .arg("-b")
        .arg(&ajar)
        .arg("-o")
        .arg(&tar)
        .args(["-w", "%{http_code}", &format!("https://{}/api/v1/ledger/export", s.addr)])
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "200");
    let out = dir.join("export");
    std::fs::create_dir_all(&out).expect("dir");
    assert!(std::process::Command::new("tar").arg("-xf").arg(&tar).arg("-C").arg(&out).status().expect("tar").success());
    let export = out.join("ward-ledger-export");
    let key = export.join("ledger.pub");
    let (c, stdout, err) = ward(&["ledger", "verify", "--export", &export.display().to_string(), "--key", &key.display().to_string()]);
    assert_eq!(c, 0, "{err} {}", String::from_utf8_lossy(&stdout));
    let log_path = export.join("entries.log");
    let mut bytes = std::fs::read(&log_path).expect("log");
    let at = bytes.windows(10).position(|w| w == b"ann.audito").expect("an entry by the auditor");
    bytes[at] ^= 0x20;
    std::fs::write(&log_path, bytes).expect("tamper");
    let (c, _, err) = ward(&["ledger", "verify", "--export", &export.display().to_string(), "--key", &key.display().to_string()]);
    assert_ne!(c, 0, "a changed byte is detected");
    assert!(err.contains("index") || err.contains("entry"), "the first bad entry is named: {err}");
    assert_eq!(s.curl(&jar, "GET", "/api/v1/ledger/export", &[], None).0, 200, "administrators may export it too");
    let (c, _, err) = ward(&["ledger", "verify", "--dir", &live_ledger(&s, args, &dir.join("live-1")).display().to_string()]);
    assert_eq!(c, 0, "the live ledger verifies: {err}");

    // Accounts change. The only administrator can neither demote nor disable themselves;
    // disabling the auditor ends her session at once; enabled again, she signs in again.
    let (_, body) = s.curl(&jar, "GET", "/api/v1/users", &[], None);
    let users = json(&body);
    let id_of = |name: &str| users.as_array().and_then(|u| u.iter().find(|u| u["username"] == name)).and_then(|u| u["id"].as_i64()).expect("listed");
    let (admin_id, ann_id) = (id_of("admin"), id_of("ann.auditor"));
    let patch = |id: i64, body: &str| s.curl(&jar, "PATCH", &format!("/api/v1/users/{id}"), &[&with_csrf], Some(body)).0;
    assert_eq!(patch(admin_id, r#"{"role":"auditor"}"#), 409, "the last administrator");
    assert_eq!(patch(admin_id, r#"{"disabled":true}"#), 409, "one's own account");
    assert_eq!(patch(ann_id, r#"{"role":"janitor"}"#), 422);
    assert_eq!(patch(ann_id, r#"["auditor"]"#), 422, "a body is an object");
    assert_eq!(patch(ann_id, r#"{"disabled":true}"#), 204);
    assert_eq!(s.curl(&ajar, "GET", "/api/v1/findings", &[], None).0, 401, "a disabled account's session is over");
    assert_eq!(patch(ann_id, r#"{"disabled":false,"care_unit":"ICU"}"#), 204);
    assert_eq!(s.curl(&ajar, "POST", "/api/v1/users/1", &[&format!("X-CSRF-Token: {acsrf}")], None).0, 405);
    assert_eq!(s.curl(&ajar, "PATCH", &format!("/api/v1/users/{ann_id}"), &[&format!("X-CSRF-Token: {acsrf}")], Some(r#"{"role":"administrator"}"#)).0, 401, "her old session stays ended");

    // A clinician sees only the devices of her care unit and their findings; another unit's
    // device does not exist for her. Devices are put in a unit by those who manage the inventory.
    let (_, body) = s.curl(&jar, "GET", "/api/v1/findings?limit=500", &[], None);
    let all = json(&body);
    let icu_asset = all["items"][0]["asset"].as_i64().expect("a finding on an asset");
    let (_, body) = s.curl(&jar, "GET", "/api/v1/assets?limit=500", &[], None);
    let other_asset = json(&body)["items"].as_array().and_then(|a| a.iter().filter_map(|x| x["id"].as_i64()).find(|&id| id != icu_asset)).expect("another asset");
    assert_eq!(s.curl(&jar, "PATCH", &format!("/api/v1/assets/{icu_asset}"), &[&with_csrf], Some(r#"{"care_unit":"ICU"}"#)).0, 204);
    let clinician = r#"{"username":"cara.clinician","role":"clinician","password":"Bedside-Monitor-Quiet-9","care_unit":"ICU"}"#;
    assert_eq!(s.curl(&jar, "POST", "/api/v1/users", &[&with_csrf], Some(clinician)).0, 201);
    let cjar = dir.join("clinician.jar");
    assert_eq!(s.curl(&cjar, "POST", "/api/v1/login", &[], Some(r#"{"username":"cara.clinician","password":"Bedside-Monitor-Quiet-9"}"#)).0, 200);
    let (_, ccsrf, _, _) = enrol(&s, &cjar);
    let (st, body) = s.curl(&cjar, "GET", "/api/v1/assets?limit=500", &[], None);
    assert_eq!(st, 200, "{body}");
    let seen: Vec<i64> = json(&body)["items"].as_array().expect("items").iter().filter_map(|a| a["id"].as_i64()).collect();
    assert_eq!(seen, [icu_asset], "only her unit's device");
    assert_eq!(s.curl(&cjar, "GET", &format!("/api/v1/assets/{icu_asset}"), &[], None).0, 200);
    assert_eq!(s.curl(&cjar, "GET", "/api/v1/assets?sort=risk", &[], None).0, 403, "risk scores come from the advisories, which she may not read");
    assert_eq!(s.curl(&cjar, "GET", &format!("/api/v1/assets/{other_asset}"), &[], None).0, 404, "another unit's device does not exist for her");
    let (_, body) = s.curl(&cjar, "GET", "/api/v1/findings?limit=500", &[], None);
    let hers = json(&body);
    let hers = hers["items"].as_array().expect("items");
    assert!(!hers.is_empty() && hers.iter().all(|f| f["asset"].as_i64() == Some(icu_asset)), "only findings on her unit's device: {hers:?}");
    assert!(hers.iter().all(|f| f["evidence"].as_object().is_none_or(serde_json::Map::is_empty)), "and without their evidence");
    let (st, body) = s.curl(&cjar, "GET", &format!("/api/v1/findings/{}", hers[0]["id"]), &[], None);
    assert_eq!(st, 200, "{body}");
    assert!(json(&body)["history"].as_array().is_some_and(Vec::is_empty), "no history for her: {body}");
    let elsewhere = all["items"].as_array().expect("items").iter().find(|f| f["asset"].as_i64() != Some(icu_asset)).expect("a finding elsewhere");
    assert_eq!(s.curl(&cjar, "GET", &format!("/api/v1/findings/{}", elsewhere["id"]), &[], None).0, 404, "another unit's finding does not exist for her");
    assert_eq!(s.curl(&cjar, "PATCH", &format!("/api/v1/assets/{icu_asset}"), &[&format!("X-CSRF-Token: {ccsrf}")], Some(r#"{"care_unit":"OR-2"}"#)).0, 403, "she may not move devices");
    assert_eq!(s.curl(&cjar, "GET", "/api/v1/export/assets.csv", &[], None).0, 403, "nor export");

    // Codes work once: the enrolment step is spent; the current one works once; a recovery
    // code works once.
    let jar2 = dir.join("admin2.jar");
    let login = |j: &Path, pw: &str| s.curl(j, "POST", "/api/v1/login", &[], Some(&format!(r#"{{"username":"admin","password":"{pw}"}}"#)));
    assert_eq!(login(&jar2, ADMIN_PW).0, 200);
    let step = step_at(now()).expect("step");
    let totp = |j: &Path, c: &str| s.curl(j, "POST", "/api/v1/login/totp", &[], Some(&format!(r#"{{"code":"{c}"}}"#))).0;
    // The enrolment's own code, whatever time it is now (the test may have crossed a 30 s step
    // since): spent, or out of the window, refused either way.
    assert_eq!(totp(&jar2, &code(&admin_totp, enrol_step)), 401, "the enrolment code's step is spent");
    assert_eq!(totp(&jar2, &code(&admin_totp, step)), 200);
    let jar3 = dir.join("admin3.jar");
    assert_eq!(login(&jar3, ADMIN_PW).0, 200);
    assert_eq!(totp(&jar3, &code(&admin_totp, step)), 401, "a code is accepted once");
    let rc = |j: &Path, c: &str| s.curl(j, "POST", "/api/v1/login/totp", &[], Some(&format!(r#"{{"recovery_code":"{c}"}}"#))).0;
    assert_eq!(rc(&jar3, &admin_rc[0]), 200);
    let jar4 = dir.join("admin4.jar");
    assert_eq!(login(&jar4, ADMIN_PW).0, 200);
    assert_eq!(rc(&jar4, &admin_rc[0]), 401, "a recovery code works once");

    // Sign out everywhere: every session of the account ends.
    let (st, me) = s.curl(&jar2, "GET", "/api/v1/me", &[], None);
    assert_eq!(st, 200);
    let csrf2 = json(&me)["csrf_token"].as_str().expect("csrf").to_string();
    assert_eq!(s.curl(&jar2, "POST", "/api/v1/logout?everywhere=1", &[&format!("X-CSRF-Token: {csrf2}")], None).0, 204);
    for j in [&jar, &jar2, &jar3] {
        assert_eq!(s.curl(j, "GET", "/api/v1/me", &[], None).0, 401);
    }

    // Five wrong passwords lock the account: then even the right one gets the same answer.
    let (_, generic) = login(&jar4, "wrong password 1");
    for i in 2..=5 {
        assert_eq!(login(&jar4, &format!("wrong password {i}")).0, 401);
    }
    let (st, locked) = login(&jar4, ADMIN_PW);
    assert_eq!(st, 401);
    assert_eq!(json(&locked)["detail"], json(&generic)["detail"], "one message for every failure");

    // The trail (the ledger's entries) and the log hold names and reasons, never a secret.
    let log: String = s.log.try_iter().collect::<Vec<_>>().join("\n");
    let audit = String::from_utf8_lossy(&std::fs::read(live_ledger(&s, args, &dir.join("live-2")).join("entries.log")).expect("trail")).into_owned();
    for secret in [ADMIN_PW, AUDITOR_PW, &setup, &admin_rc[1], &sensor[24..], &csrf, &auto[24..]] {
        assert!(!audit.contains(secret) && !log.contains(secret), "a secret leaked into the trail or the log");
    }
    assert!(audit.contains("account locked after repeated failures"));
    assert!(s.stop().success());
}
