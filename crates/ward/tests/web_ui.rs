//! The web UI of `ward server`: every page sends the security headers and escapes every value
//! (a `<script>` in a search, a filter or an assignee comes back as text); forms need the
//! session's CSRF token and this origin; and, end to end in headless Chromium (Debian's
//! `chromium` driven by `tests/e2e/ui.mjs` with playwright-core), the first administrator is made
//! through the setup link and enrols the authenticator in the browser, signs in with a TOTP code, browses the inventory to a device, acknowledges a finding, and an auditor's
//! attempt at the same action is refused with a 403 page and shows in the audit trail.
//!
//! Needs `node` and `/usr/bin/chromium` (`scripts/test.sh` installs them); the test fails,
//! never skips, without them.

mod common;

use common::server::{Server, start};
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use ward_auth::totp::{TotpSecret, code_for_step, step_at};

const ADMIN_PW: &str = "correct horse battery staple 7";
const AUDITOR_PW: &str = "Quiet-Lantern-Harbour-42";

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

/// Enrol TOTP over the API on a session at the password stage, with the previous step's code
/// (so the browser can use the current one); returns the base32 secret and the CSRF token.
fn enrol(s: &Server, jar: &Path) -> (String, String) {
    let (st, body) = s.curl(jar, "GET", "/api/v1/login/enrol", &[], None);
    assert_eq!(st, 200, "{body}");
    let uri = json(&body)["otpauth_uri"].as_str().expect("uri").to_string();
    let b32 = uri.split("secret=").nth(1).and_then(|r| r.split('&').next()).expect("secret").to_string();
    let secret = TotpSecret::from_base32(&b32).expect("base32");
    let code = code_for_step(&secret, step_at(now()).expect("step") - 1).to_string();
    let (st, body) = s.curl(jar, "POST", "/api/v1/login/enrol", &[], Some(&format!("{{\"code\":\"{code}\"}}")));
    assert_eq!(st, 200, "{body}");
    (b32, json(&body)["csrf_token"].as_str().expect("csrf").to_string())
}

/// A page through curl: (status, lower-cased headers, body). `form`: url-encoded POST body.
fn fetch(s: &Server, jar: &Path, path: &str, form: Option<&str>, extra: &[&str]) -> (u16, String, String) {
    let mut c = Command::new("curl");
    c.args(["-s", "--max-time", "30", "--cacert"]).arg(s.data.join("tls/cert.pem"));
    c.arg("-b").arg(jar).arg("-c").arg(jar).args(["-D", "-", "-o", "-"]);
    for h in extra {
        c.args(["-H", h]);
    }
    if let Some(f) = form {
        c.args(["--data-binary", f]);
    }
    let o = c.arg(format!("https://{}{path}", s.addr)).output().expect("curl runs");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn url_encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") }).collect()
}

/// The value of `<meta name="csrf-token" content="...">`.
fn page_csrf(body: &str) -> String {
    body.split("name=\"csrf-token\" content=\"").nth(1).and_then(|r| r.split('"').next()).expect("csrf meta").to_string()
}

fn require_tools() {
    let node = Command::new("node").arg("--version").output();
    assert!(node.is_ok_and(|o| o.status.success()), "node is required for the browser test (scripts/test.sh installs nodejs)");
    assert!(Path::new("/usr/bin/chromium").exists(), "/usr/bin/chromium is required for the browser test (scripts/test.sh installs Debian's chromium)");
    let e2e = root().join("tests/e2e");
    if !e2e.join("node_modules/playwright-core").exists() {
        let st = Command::new("npm").args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"]).current_dir(&e2e).status().expect("npm runs");
        assert!(st.success(), "npm ci in tests/e2e failed");
    }
}

/// `node tests/e2e/ui.mjs ARGS` against this server, as the administrator.
fn e2e(s: &Server, args: &[&str]) -> Command {
    let mut c = Command::new("node");
    c.arg(root().join("tests/e2e/ui.mjs")).args(args).env("WARD_URL", format!("https://{}", s.addr)).env("WARD_ADMIN", "admin").env("WARD_ADMIN_PASSWORD", ADMIN_PW);
    c
}

#[test]
fn pages_headers_escaping_and_the_browser_flow() {
    require_tools();
    let dir = scratch("web-ui");
    let s = start(&dir.join("data"));
    let setup = s.setup.clone().expect("setup token");
    let jar = dir.join("admin.jar");
    let anon = dir.join("anon.jar");

    // Before any account: /setup serves the form; other pages send to /login.
    let (st, head, body) = fetch(&s, &anon, "/setup", None, &[]);
    assert_eq!(st, 200);
    assert!(body.contains("id=\"setup-token\"") && head.contains("content-security-policy: default-src 'none'; script-src 'self'"), "{head}");
    let (st, head, _) = fetch(&s, &anon, "/findings", None, &[]);
    assert_eq!(st, 303);
    assert!(head.contains("location: /login"), "{head}");

    // The first administrator in the browser, through the setup link with its token in the
    // fragment, enrolled there; then an API session for this test with a recovery code.
    let o = e2e(&s, &["setup"]).env("WARD_SETUP_TOKEN", &setup).output().expect("node runs");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    println!("{out}");
    assert!(o.status.success(), "the browser setup failed:\n{out}\n{}", String::from_utf8_lossy(&o.stderr));
    let field = |k: &str| out.lines().find_map(|l| l.strip_prefix(k)).map(str::to_string).expect("printed by ui.mjs setup");
    let (admin_totp, recovery) = (field("secret="), field("recovery="));
    let (st, body) = s.curl(&jar, "POST", "/api/v1/login", &[], Some(&format!(r#"{{"username":"admin","password":"{ADMIN_PW}"}}"#)));
    assert_eq!((st, json(&body)["next"].as_str()), (200, Some("totp")), "{body}");
    let (st, body) = s.curl(&jar, "POST", "/api/v1/login/totp", &[], Some(&format!(r#"{{"recovery_code":"{recovery}"}}"#)));
    assert_eq!(st, 200, "{body}");
    let (st, head, _) = fetch(&s, &anon, "/setup", Some(&format!("token={}&username=eve&password=Another-Long-Passphrase-9", url_encode(&setup))), &[]);
    assert_eq!(st, 403, "the setup link works once: {head}");

    // Data: a sensor's report.
    let (c, out, err) = ward(&["server", "token", "create", "--sensor", "icu", "--data-dir", &s.data.display().to_string()]);
    assert_eq!(c, 0, "{err}");
    let sensor = String::from_utf8(out).expect("utf8").trim().to_string();
    let report = dir.join("report.json");
    let (c, _, err) = ward(&["analyze", "-f", "json", "--no-progress", "-o", &report.display().to_string(), &root().join("tests/pcap/lan/hospital-devices/input.pcap").display().to_string()]);
    assert_eq!(c, 0, "{err}");
    let body = std::fs::read_to_string(&report).expect("report");
    let (st, _) = s.curl(&anon, "POST", "/api/v1/ingest", &[&format!("Authorization: Bearer {sensor}"), "Ward-Batch: b1"], Some(&body));
    assert_eq!(st, 200);

    // An auditor, made by the administrator through the users form (fresh after enrolment).
    let (_, _, users) = fetch(&s, &jar, "/users", None, &[]);
    let csrf = page_csrf(&users);
    let form = format!("csrf={csrf}&username=ann.auditor&role=auditor&care_unit=&password={}", url_encode(AUDITOR_PW));
    let (st, head, body) = fetch(&s, &jar, "/users", Some(&form), &[]);
    assert_eq!(st, 303, "{head}{body}");
    let ajar = dir.join("auditor.jar");
    let (st, body) = s.curl(&ajar, "POST", "/api/v1/login", &[], Some(&format!(r#"{{"username":"ann.auditor","password":"{AUDITOR_PW}"}}"#)));
    assert_eq!((st, json(&body)["next"].as_str()), (200, Some("enrol")));
    let (auditor_totp, _) = enrol(&s, &ajar);

    // Every page: 200 with the security headers.
    let (_, assets) = s.curl(&jar, "GET", "/api/v1/assets?limit=1", &[], None);
    let asset_id = json(&assets)["items"][0]["id"].as_i64().expect("an asset");
    let pages = ["/", "/assets", &format!("/assets/{asset_id}"), "/findings", "/users", "/sensors", "/audit", "/reauth?next=/users", "/static/ward.css", "/static/ward.js", "/assets/999999"];
    for p in pages {
        let (st, head, body) = fetch(&s, &jar, p, None, &[]);
        assert_eq!(st, if p.ends_with("999999") { 404 } else { 200 }, "{p}: {body}");
        let csp = if p.starts_with("/static/") { "content-security-policy: default-src 'none'; frame-ancestors 'none'" } else { "content-security-policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'" };
        for h in [
            csp,
            "x-content-type-options: nosniff",
            "referrer-policy: no-referrer",
            "strict-transport-security: max-age=",
            "cache-control: no-store",
        ] {
            assert!(head.contains(h), "{p} lacks {h}: {head}");
        }
        if !p.starts_with("/static/") {
            assert!(head.contains("content-type: text/html; charset=utf-8"), "{p}");
            assert!(!body.contains(" style=\"") && !body.contains("<script>"), "{p}: no inline style or script (the CSP forbids them)");
        }
    }
    let (_, _, sensors) = fetch(&s, &jar, "/sensors", None, &[]);
    assert!(sensors.contains("<td>icu</td>") && sensors.contains(&format!("<code>{}</code>", &sensor[7..23])) && !sensors.contains(&sensor[24..]), "the sensor's token is listed by its id, never its secret");
    let (_, _, dash) = fetch(&s, &jar, "/", None, &[]);
    assert!(dash.matches("<svg").count() >= 4, "the dashboard's four charts");

    // No value is rendered unescaped: a search, a filter, an assignee.
    let evil = "<script>alert(1)</script>";
    let (_, _, body) = fetch(&s, &jar, &format!("/assets?q={}", url_encode(evil)), None, &[]);
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !body.contains(evil), "the search term is escaped");
    let (_, _, body) = fetch(&s, &jar, &format!("/findings?kind={}", url_encode("\"><img src=x onerror=alert(1)>")), None, &[]);
    assert!(body.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;") && !body.contains("<img src=x"), "the filter is escaped");
    let (_, findings) = s.curl(&jar, "GET", "/api/v1/findings?status=open&limit=500", &[], None);
    let items = json(&findings)["items"].as_array().expect("items").clone();
    let fid = items.last().and_then(|f| f["id"].as_i64()).expect("an open finding");
    let (_, _, page) = fetch(&s, &jar, "/findings", None, &[]);
    let csrf = page_csrf(&page);
    let form = format!("csrf={csrf}&back=%2Ffindings&assignee={}", url_encode(evil));
    let (st, head, _) = fetch(&s, &jar, &format!("/findings/{fid}/assign"), Some(&form), &[]);
    assert_eq!(st, 303, "{head}");
    let (_, _, body) = fetch(&s, &jar, "/findings?status=open&limit=500", None, &[]);
    assert!(body.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\"") && !body.contains(evil), "the assignee is escaped");

    // The lifecycle through the forms: accept the risk (a fresh sign-in, a reason, a date),
    // then reopen.
    let form = format!("csrf={csrf}&back=%2Ffindings&reason={}&until=2099-12-31", url_encode("isolated VLAN until the vendor patch"));
    let (st, head, body) = fetch(&s, &jar, &format!("/findings/{fid}/accept-risk"), Some(&form), &[]);
    assert_eq!(st, 303, "{head}{body}");
    let status = |s: &Server| {
        let (_, f) = s.curl(&jar, "GET", "/api/v1/findings?limit=500", &[], None);
        json(&f)["items"].as_array().expect("items").iter().find(|f| f["id"].as_i64() == Some(fid)).map(|f| (f["status"].as_str().unwrap_or("").to_string(), f["accepted_until"].as_i64()))
    };
    let (st_now, until) = status(&s).expect("the finding");
    assert_eq!(st_now, "accepted_risk");
    assert_eq!(until, Some(4_102_444_799 * 1_000_000_000), "accepted until the end of 2099-12-31 UTC");
    let (st, _, _) = fetch(&s, &jar, &format!("/findings/{fid}/reopen"), Some(&format!("csrf={csrf}&back=%2Ffindings")), &[]);
    assert_eq!(st, 303);
    assert_eq!(status(&s).expect("the finding").0, "open");
    let (st, _, body) = fetch(&s, &jar, &format!("/findings/{fid}/reopen"), Some(&format!("csrf={csrf}&back=%2Ffindings")), &[]);
    assert!(st == 409 && body.contains("cannot reopen"), "a step the lifecycle refuses is a page saying why: {st}");

    // Forms need the CSRF token and this origin.
    let form = "csrf=AAAA&back=%2Ffindings";
    let (st, _, _) = fetch(&s, &jar, &format!("/findings/{fid}/acknowledge"), Some(form), &[]);
    assert_eq!(st, 403, "a wrong CSRF token is refused");
    let form = format!("csrf={csrf}&back=%2Ffindings");
    let (st, _, _) = fetch(&s, &jar, &format!("/findings/{fid}/acknowledge"), Some(&form), &["Origin: https://evil.example"]);
    assert_eq!(st, 403, "a form from another origin is refused");
    let (st, _, _) = fetch(&s, &jar, "/login", Some("username=admin&password=x"), &["Sec-Fetch-Site: cross-site"]);
    assert_eq!(st, 403, "a sign-in form from another origin is refused");

    // The browser.
    let o = e2e(&s, &[])
        .env("WARD_ADMIN_TOTP", &admin_totp)
        .env("WARD_AUDITOR", "ann.auditor")
        .env("WARD_AUDITOR_PASSWORD", AUDITOR_PW)
        .env("WARD_AUDITOR_TOTP", &auditor_totp)
        .output()
        .expect("node runs");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    println!("{out}");
    assert!(o.status.success(), "the browser test failed:\n{out}\n{err}");
    assert!(out.contains("checks passed"));

    // Re-authentication through its form: the password and a code again, then back to the
    // page (a local path only). The next step's code is within the tolerance and unused.
    let (st, _, body) = fetch(&s, &jar, "/reauth?next=/users", None, &[]);
    assert!(st == 200 && body.contains("name=\"next\" value=\"/users\""));
    let secret = TotpSecret::from_base32(&admin_totp).expect("base32");
    let next_code = code_for_step(&secret, step_at(now()).expect("step") + 1).to_string();
    let form = format!("csrf={csrf}&next=%2Fusers&password=wrong-password-here&code={next_code}");
    let (st, _, body) = fetch(&s, &jar, "/reauth", Some(&form), &[]);
    assert!(st == 401 && body.contains(ward_auth::GENERIC_LOGIN_ERROR), "{st}");
    let form = format!("csrf={csrf}&next=%2F%2Fevil.example%2F&password={}&code={next_code}", url_encode(ADMIN_PW));
    let (st, head, _) = fetch(&s, &jar, "/reauth", Some(&form), &[]);
    assert_eq!(st, 303, "{head}");
    assert!(head.contains("location: /\r\n"), "never sent to another host: {head}");

    // The trail saw it all, with no secret in it.
    let (st, trail) = s.curl(&jar, "GET", "/api/v1/audit?limit=1000", &[], None);
    assert_eq!(st, 200);
    let trail = json(&trail);
    let has = |actor: &str, action: &str, outcome: &str| trail.as_array().expect("trail").iter().any(|e| e["record"]["actor"] == actor && e["record"]["action"] == action && e["record"]["outcome"] == outcome);
    assert!(has("ann.auditor", "finding.acknowledge", "denied"), "the auditor's denied acknowledge is in the trail");
    assert!(has("admin", "auth.csrf", "denied"), "the bad CSRF token is audited");
    assert!(has("admin", "auth.reauth", "success"), "the re-authentication is audited");
    assert!(has("admin", "finding.accept-risk", "success"));
    let audit = String::from_utf8_lossy(&std::fs::read(s.data.join("ledger/entries.log")).expect("trail")).into_owned();
    for secret in [ADMIN_PW, AUDITOR_PW, &setup, &admin_totp, &auditor_totp, &recovery] {
        assert!(!audit.contains(secret), "a secret leaked into the trail");
    }
    assert!(s.stop().success());
}

/// Security keys and passkeys in a real browser: Chromium's virtual authenticator (CTAP2 with
/// user verification, Chrome DevTools Protocol) stands in for a YubiKey. The administrator,
/// signed in with a TOTP code, adds a key on the account page; signs in with the password and
/// the key; a replayed assertion is refused; re-authenticates with the key alone; the key is
/// removed (`tests/e2e/ui.mjs passkey`).
/// Then the trail holds each step, the failure with its precise reason, and no secret; and a
/// sensor's or an automation token's request cannot touch keys.
#[test]
fn a_security_key_signs_in_instead_of_a_code() {
    require_tools();
    let dir = scratch("web-passkey");
    let s = start(&dir.join("data"));
    let setup = s.setup.clone().expect("setup token");
    // A relying party is a host name: the browser opens localhost, which the certificate names.
    let port = s.addr.rsplit(':').next().expect("port").to_string();
    let url = format!("https://localhost:{port}");
    let cert = s.data.join("tls/cert.pem");
    let o = e2e(&s, &["setup"]).env("WARD_URL", &url).env("WARD_CERT", &cert).env("WARD_SETUP_TOKEN", &setup).output().expect("node runs");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "the browser setup failed:\n{out}\n{}", String::from_utf8_lossy(&o.stderr));
    let field = |k: &str| out.lines().find_map(|l| l.strip_prefix(k)).map(str::to_string).expect("printed by ui.mjs setup");
    let (admin_totp, recovery) = (field("secret="), field("recovery="));

    let o = e2e(&s, &["passkey"]).env("WARD_URL", &url).env("WARD_CERT", &cert).env("WARD_ADMIN_TOTP", &admin_totp).output().expect("node runs");
    let out = String::from_utf8_lossy(&o.stdout);
    println!("{out}");
    assert!(o.status.success(), "the browser test failed:\n{out}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("checks passed"));

    // The trail, read by the administrator over the API (signed in with a recovery code).
    let jar = dir.join("admin.jar");
    let (st, body) = s.curl(&jar, "POST", "/api/v1/login", &[], Some(&format!(r#"{{"username":"admin","password":"{ADMIN_PW}"}}"#)));
    assert_eq!(st, 200, "{body}");
    let (st, body) = s.curl(&jar, "POST", "/api/v1/login/totp", &[], Some(&format!(r#"{{"recovery_code":"{recovery}"}}"#)));
    assert_eq!(st, 200, "{body}");
    let csrf = json(&body)["csrf_token"].as_str().expect("csrf").to_string();
    let (st, trail) = s.curl(&jar, "GET", "/api/v1/audit?limit=1000", &[], None);
    assert_eq!(st, 200);
    let trail = json(&trail);
    let entries = trail.as_array().expect("trail");
    let has = |action: &str, outcome: &str, reason: Option<&str>| entries.iter().any(|e| e["record"]["actor"] == "admin" && e["record"]["action"] == action && e["record"]["outcome"] == outcome && reason.is_none_or(|r| e["record"]["reason"].as_str().is_some_and(|x| x.contains(r))));
    assert!(has("auth.passkey_register", "success", Some("virtual key")), "the registration is in the trail");
    assert!(has("auth.passkey", "success", Some("virtual key")), "each sign-in with the key is in the trail");
    assert!(has("auth.mfa", "failure", Some("passkey: the signature did not verify")), "the replay is in the trail with its reason");
    assert!(has("auth.passkey_remove", "success", None), "the removal is in the trail");
    assert!(has("auth.reauth", "success", Some("security key virtual key")), "the re-authentication with the key is in the trail");
    let (st, body) = s.curl(&jar, "GET", "/api/v1/passkeys", &[], None);
    assert_eq!(st, 200, "{body}");
    assert_eq!(json(&body)["items"].as_array().map(Vec::len), Some(0), "the key is gone: {body}");

    // Keys are a person's own, in a browser session: not for a sensor's or a script's token.
    let (c, out, err) = ward(&["server", "token", "create", "--sensor", "icu", "--data-dir", &s.data.display().to_string()]);
    assert_eq!(c, 0, "{err}");
    let sensor = String::from_utf8(out).expect("utf8").trim().to_string();
    let anon = dir.join("anon.jar");
    let (st, _) = s.curl(&anon, "GET", "/api/v1/passkeys", &[&format!("Authorization: Bearer {sensor}")], None);
    assert_eq!(st, 401, "a sensor's token");
    let (st, body) = s.curl(&jar, "POST", "/api/v1/tokens", &[&format!("X-CSRF-Token: {csrf}")], Some(r#"{"label":"script","scopes":["asset.read"],"days":1}"#));
    assert_eq!(st, 201, "{body}");
    let token = json(&body)["token"].as_str().expect("token").to_string();
    let (st, body) = s.curl(&anon, "POST", "/api/v1/passkeys/register", &[&format!("Authorization: Bearer {token}")], Some(r#"{"name":"x"}"#));
    assert_eq!(st, 403, "an automation token: {body}");
    // Without a pending sign-in, the sign-in steps refuse; a registration answer without its
    // ceremony is refused.
    let (st, _) = s.curl(&anon, "POST", "/api/v1/login/passkey", &[], None);
    assert_eq!(st, 401);
    let (st, body) = s.curl(&jar, "POST", "/api/v1/passkeys/register/finish", &[&format!("X-CSRF-Token: {csrf}")], Some(r#"{"credential":{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"attestationObject":"AAAA","clientDataJSON":"AAAA"}}}"#));
    assert_eq!(st, 400, "no registration pending: {body}");

    let ledger = String::from_utf8_lossy(&std::fs::read(s.data.join("ledger/entries.log")).expect("trail")).into_owned();
    for secret in [ADMIN_PW, &setup, &admin_totp, &recovery, &token] {
        assert!(!ledger.contains(secret), "a secret leaked into the trail");
    }
    assert!(s.stop().success());
}
