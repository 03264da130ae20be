//! The web UI of `ward server`: pages rendered on the server, plain forms that work without
//! JavaScript (POST, then a redirect), CSS and one small script of our own embedded in the
//! binary. Every page and every action goes through the same session, CSRF and policy checks as
//! the API ([`App::session_principal`], [`App::permit`]); the sign-in steps are the API's own
//! functions in [`crate::auth`]. A refusal is a page (403 for the policy, already audited as a
//! denial); no session is a redirect to `/login`.
//!
//! Choices that differ from the architecture guide, and why:
//! - **No template engine.** Pages are built in Rust through one macro, [`html::html!`], that
//!   escapes every value it is given and refuses, at compile time, a format string that would
//!   capture a variable without escaping it. There is no second way to put request text into a
//!   page; askama would have added a proc-macro build and a template directory for about ten
//!   pages.
//! - **No htmx, no rust-embed.** Plain forms (POST, then a 303 redirect) work without script;
//!   `assets/ward.js` (ours, a few lines) fills the setup token from the link's fragment,
//!   submits filters on change, and runs the WebAuthn prompts of security keys (which only
//!   script can reach; the code from the authenticator app works without it). Two files are embedded with `include_str!`.
//! - **Charts are inline SVG drawn on the server**, styled by the stylesheet (the CSP forbids
//!   inline styles and scripts: `PAGE_CSP`).
//! - **Forms are checked twice**: the session's CSRF token (HMAC, constant-time) in a hidden
//!   field, and the browser's `Sec-Fetch-Site` (or `Origin`) naming this server.

#![allow(clippy::result_large_err, reason = "the Err of a check is the refusal's page, returned once per request")]

mod account;
pub(crate) mod html;
mod pages;
mod signin;
mod tokens;

use crate::App;
use crate::auth::{Principal, Refusal};
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use html::{Html, html};
use std::net::SocketAddr;
use std::sync::Arc;
use ward_auth::{Action, Resource};

const CSS: &str = include_str!("../../assets/ward.css");
const JS: &str = include_str!("../../assets/ward.js");

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/static/ward.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS) }))
        .route("/static/ward.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], JS) }))
        .route("/login", get(signin::login_page).post(signin::login_submit))
        .route("/login/enrol", get(signin::enrol_page).post(signin::enrol_submit))
        .route("/login/totp", get(signin::totp_page).post(signin::totp_submit))
        .route("/setup", get(signin::setup_page).post(signin::setup_submit))
        .route("/logout", post(signin::logout))
        .route("/reauth", get(signin::reauth_page).post(signin::reauth_submit))
        .route("/", get(pages::dashboard))
        .route("/assets", get(pages::assets))
        .route("/assets/{id}", get(pages::asset))
        .route("/assets/{id}/care-unit", post(pages::asset_care_unit))
        .route("/findings", get(pages::findings))
        .route("/findings/{id}", get(pages::finding))
        .route("/findings/{id}/{action}", post(pages::finding_action))
        .route("/users", get(pages::users).post(pages::create_user))
        .route("/users/{id}", post(pages::change_user))
        .route("/sensors", get(pages::sensors))
        .route("/remediation", get(pages::remediation))
        .route("/export/{file}", get(pages::export))
        .route("/tokens", get(tokens::tokens).post(tokens::create))
        .route("/tokens/{id}/revoke", post(tokens::revoke))
        .route("/audit", get(pages::audit))
        .route("/account", get(account::account))
        .route("/account/passkeys/{id}/remove", post(account::remove))
}

/// Who is looking, and the CSRF token their forms carry.
pub(crate) struct Viewer {
    pub p: Principal,
    pub csrf: String,
}

/// A page's frame: the title, who is signed in (for the navigation) and the CSRF token.
pub(crate) fn page(status: StatusCode, title: &str, viewer: Option<&Viewer>, body: &Html) -> Response {
    let mut h = Html::new();
    html!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"csrf-token\" content=\"{}\"><title>{} · Ward</title><link rel=\"stylesheet\" href=\"/static/ward.css\"><script src=\"/static/ward.js\" defer></script></head><body>",
        viewer.map(|v| v.csrf.as_str()),
        title
    );
    h.push(&nav(viewer));
    html!(h, "<main><h1>{}</h1>{}</main></body></html>\n", title, body);
    let mut r = (status, h.into_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    r
}

/// The pages' content security policy: our own CSS and script only, no inline script or
/// style, forms and script requests (the security-key prompts) only to this server, never framed.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'";

fn nav(viewer: Option<&Viewer>) -> Html {
    let mut h = Html::new();
    html!(h, "<header><a class=\"brand\" href=\"/\">Ward</a>");
    if let Some(v) = viewer {
        html!(h, "<nav>");
        let links: [(&str, &str, Resource); 8] = [
            ("/", "Dashboard", Resource::Asset),
            ("/assets", "Inventory", Resource::Asset),
            ("/findings", "Findings", Resource::Finding),
            ("/remediation", "Remediation", Resource::Advisory),
            ("/users", "Users", Resource::User),
            ("/sensors", "Sensors", Resource::Sensor),
            ("/tokens", "API tokens", Resource::Token),
            ("/audit", "Audit trail", Resource::Audit),
        ];
        for (href, label, res) in links {
            if ward_auth::allowed(v.p.role, Action::Read, res) {
                html!(h, "<a href=\"{}\">{}</a>", href, label);
            }
        }
        html!(
            h,
            "</nav><form class=\"signout\" method=\"post\" action=\"/logout\"><a class=\"who\" href=\"/account\">{} ({})</a><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Sign out</button><button type=\"submit\" name=\"everywhere\" value=\"1\" title=\"End every session of this account, on every device\">Sign out everywhere</button></form>",
            v.p.username,
            v.p.role.as_str(),
            v.csrf
        );
    }
    html!(h, "</header>");
    h
}

/// A short page with one message.
pub(crate) fn message(status: StatusCode, title: &str, viewer: Option<&Viewer>, text: &str) -> Response {
    let mut b = Html::new();
    html!(b, "<p class=\"message\">{}</p>", text);
    page(status, title, viewer, &b)
}

/// The form that asks for the password and a fresh code again, then goes back to `next`.
pub(crate) fn reauth_form(csrf: &str, next: &str, error: Option<&str>) -> Html {
    let mut b = Html::new();
    if let Some(e) = error {
        html!(b, "<p class=\"error\" role=\"alert\">{}</p>", e);
    }
    html!(
        b,
        "<p>This action needs your password and a fresh code from your authenticator app (within the last five minutes). You come back to the page you were on; then do it again.</p><form method=\"post\" action=\"/reauth\" class=\"stack\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"next\" value=\"{}\"><label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label><label>Code <input name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9 ]{{6,7}}\" required></label><button type=\"submit\">Confirm</button></form><div id=\"passkey-reauth\" class=\"stack narrow\" data-next=\"{}\" hidden><p class=\"hint\">Or, with your security key or passkey alone:</p><button type=\"button\">Confirm with your security key</button><p id=\"passkey-status\" role=\"status\"></p></div>",
        csrf,
        safe_next(next),
        safe_next(next)
    );
    b
}

/// The page for a refusal.
pub(crate) fn refused(r: Refusal, viewer: Option<&Viewer>, next: &str) -> Response {
    match r {
        Refusal::Unauthorized => Redirect::to("/login").into_response(),
        Refusal::LoginFailed => message(StatusCode::UNAUTHORIZED, "Sign-in failed", viewer, ward_auth::GENERIC_LOGIN_ERROR),
        Refusal::Csrf => message(StatusCode::FORBIDDEN, "Forbidden", viewer, "This form is out of date or did not come from Ward. Go back, reload the page and try again."),
        Refusal::Forbidden(detail) => message(StatusCode::FORBIDDEN, "Not allowed", viewer, &format!("Your role may not do this: {detail}. The attempt has been recorded in the audit trail.")),
        Refusal::Reauth => {
            let csrf = viewer.map_or("", |v| v.csrf.as_str());
            page(StatusCode::UNAUTHORIZED, "Confirm it is you", viewer, &reauth_form(csrf, next, None))
        }
        Refusal::Problem(status, title, detail) => message(status, title, viewer, &detail),
        Refusal::Internal(e) => {
            eprintln!("ward server: internal error: {e}");
            message(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", viewer, "The server could not complete the request; see its log.")
        }
    }
}

/// A local path to go back to: `/…` but not `//…` (another host), no backslash or control
/// character; anything else is `/`.
pub(crate) fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/') && !next.starts_with("//") && next.len() <= 1024 && !next.chars().any(|c| c == '\\' || c.is_control());
    if ok { next } else { "/" }
}

/// A page view: signed in, and the role may `action` the `resource`.
pub(crate) async fn viewer(app: &App, headers: &HeaderMap, peer: SocketAddr, action: Action, resource: Resource, subject: &str) -> Result<Viewer, Response> {
    let p = app.session_principal(headers, peer, None).await.map_err(|r| refused(r, None, "/"))?;
    let v = Viewer { csrf: app.csrf_token(headers), p };
    match app.permit(&v.p, action, resource, subject) {
        Ok(()) => Ok(v),
        Err(r) => Err(refused(r, Some(&v), "/")),
    }
}

/// A form's POST: from this origin, signed in, with the session's CSRF token.
pub(crate) async fn actor(app: &App, headers: &HeaderMap, peer: SocketAddr, csrf: &str) -> Result<Viewer, Response> {
    if !same_origin(app, headers) {
        return Err(message(StatusCode::FORBIDDEN, "Forbidden", None, "This form did not come from Ward."));
    }
    let p = app.session_principal(headers, peer, Some(csrf)).await.map_err(|r| refused(r, None, "/"))?;
    Ok(Viewer { csrf: app.csrf_token(headers), p })
}

/// A browser's POST says where the form was. `Sec-Fetch-Site` (sent by current browsers
/// whatever the referrer policy) must be `same-origin`; without it, an `Origin` other than
/// `null` must be this server (with `Referrer-Policy: no-referrer`, browsers send `Origin: null`
/// on form posts). A request with neither is not a browser's: the CSRF token still decides.
pub(crate) fn same_origin(app: &App, headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).unwrap_or("null");
    if origin == "null" {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let scheme = if app.https { "https" } else { "http" };
    origin == format!("{scheme}://{host}")
}

/// Nanoseconds since the epoch as `YYYY-MM-DD HH:MM` (UTC).
pub(crate) fn when(ns: i64) -> String {
    let s = ns.div_euclid(1_000_000_000);
    let (y, m, d) = civil(s.div_euclid(86_400));
    let t = s.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", t / 3600, t % 3600 / 60)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (the era-based method:
/// 400-year eras of 146,097 days).
pub(crate) fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, u32::try_from(m).unwrap_or(1), u32::try_from(d).unwrap_or(1))
}

/// (year, month, day) to days since 1970-01-01: the inverse of [`civil`].
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A byte count for people.
pub(crate) fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(19_723), (2024, 1, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
        for d in [-1_000_000, -1, 0, 59, 60, 11_016, 19_723, 2_932_896] {
            let (y, m, dd) = civil(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(when(1_700_000_000 * 1_000_000_000), "2023-11-14 22:13");
    }

    fn body(r: Response) -> (StatusCode, String, String) {
        let status = r.status();
        let loc = r.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let bytes = rt.block_on(http_body_util::BodyExt::collect(r.into_body())).expect("body").to_bytes();
        (status, loc, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[test]
    fn refusals_are_pages() {
        let v = Viewer {
            p: Principal { user_id: 1, username: "ann<b>".into(), role: ward_auth::Role::Auditor, care_unit: None, last_auth_at: 0, source: "127.0.0.1".into(), token: None },
            csrf: "tok\"en".into(),
        };
        let (st, loc, _) = body(refused(Refusal::Unauthorized, None, "/"));
        assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/login"));
        let (st, _, b) = body(refused(Refusal::Forbidden("your role may not acknowledge finding".into()), Some(&v), "/"));
        assert_eq!(st, StatusCode::FORBIDDEN);
        assert!(b.contains("<h1>Not allowed</h1>") && b.contains("ann&lt;b&gt; (auditor)") && !b.contains("ann<b>"));
        let (st, _, b) = body(refused(Refusal::Reauth, Some(&v), "/findings?status=open"));
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        assert!(b.contains("action=\"/reauth\"") && b.contains("name=\"next\" value=\"/findings?status=open\"") && b.contains("value=\"tok&quot;en\""), "{b}");
        let (_, _, b) = body(refused(Refusal::Reauth, Some(&v), "//evil.example/"));
        assert!(b.contains("name=\"next\" value=\"/\""), "never back to another host");
        let (st, _, b) = body(refused(Refusal::Internal("disk on fire".into()), Some(&v), "/"));
        assert!(st == StatusCode::INTERNAL_SERVER_ERROR && !b.contains("disk on fire"), "the cause stays in the log");
    }

    #[test]
    fn only_local_paths_to_go_back_to() {
        assert_eq!(safe_next("/findings?status=open"), "/findings?status=open");
        for bad in ["//evil.example/", "https://evil.example/", "/\\evil", "javascript:alert(1)", ""] {
            assert_eq!(safe_next(bad), "/");
        }
    }
}
