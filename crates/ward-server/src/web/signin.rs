//! Signing in through the browser: the first administrator's setup, the password, the
//! enrolment of an authenticator app (QR code, the secret as text, a first code, then the ten
//! recovery codes shown once) or a code (or the account's security key, through `ward.js`), re-authentication, and signing out. Each step is the
//! API's own function from [`crate::auth`]; these handlers only read forms and draw pages.

use super::html::{Html, html};
use super::{Viewer, actor, message, page, reauth_form, refused, safe_next, same_origin};
use crate::App;
use crate::auth::{self, NextStep, Refusal};
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

fn cookie_redirect(to: &str, token: &ward_auth::session::SessionToken) -> Response {
    auth::with_cookie(Redirect::to(to).into_response(), &ward_auth::session::session_cookie(token))
}

fn login_form(error: Option<&str>) -> Html {
    let mut b = Html::new();
    if let Some(e) = error {
        html!(b, "<p class=\"error\" role=\"alert\">{}</p>", e);
    }
    html!(
        b,
        "<form method=\"post\" action=\"/login\" class=\"stack narrow\"><label>User name <input name=\"username\" autocomplete=\"username\" required autofocus></label><label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label><button type=\"submit\">Continue</button></form><p class=\"hint\">First start of this server? Open the setup link it printed on its console.</p>"
    );
    b
}

/// `GET /login`.
pub(crate) async fn login_page(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    if app.session_principal(&headers, peer, None).await.is_ok() {
        return Redirect::to("/").into_response();
    }
    page(StatusCode::OK, "Sign in", None, &login_form(None))
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
}

/// `POST /login`: the password; then the code, or the enrolment on first sign-in.
pub(crate) async fn login_submit(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Form(f): Form<LoginForm>) -> Response {
    if !same_origin(&app, &headers) {
        return message(StatusCode::FORBIDDEN, "Forbidden", None, "This form did not come from Ward.");
    }
    let device = app.keys.device_of(&headers, auth::now_s());
    match auth::password_step(&app, peer, device, &f.username, &f.password).await {
        Ok((token, NextStep::Totp, device_cookie)) => auth::with_cookie(cookie_redirect("/login/totp", &token), &device_cookie),
        Ok((token, NextStep::Enrol, device_cookie)) => auth::with_cookie(cookie_redirect("/login/enrol", &token), &device_cookie),
        Err(Refusal::LoginFailed) => page(StatusCode::UNAUTHORIZED, "Sign in", None, &login_form(Some(ward_auth::GENERIC_LOGIN_ERROR))),
        Err(r) => refused(r, None, "/"),
    }
}

fn enrol_body(e: &auth::Enrolment, csrf: &str, error: Option<&str>) -> Html {
    // The QR code is drawn by `ward_auth` from the otpauth URI (base32 and our own names only);
    // the XML declaration is dropped for inline SVG.
    let svg = e.qr_svg.find("<svg").map_or("", |i| &e.qr_svg[i..]).to_string();
    let mut b = Html::new();
    if let Some(err) = error {
        html!(b, "<p class=\"error\" role=\"alert\">{}</p>", err);
    }
    html!(
        b,
        "<p>Every Ward account signs in with a second factor. Scan this code with an authenticator app (FreeOTP, Aegis, Google Authenticator, ...), or type the key in by hand.</p><div class=\"qr\">{}</div><p>Key: <code id=\"totp-secret\">{}</code></p><form method=\"post\" action=\"/login/enrol\" class=\"stack narrow\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><label>Code shown by the app <input name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required autofocus></label><button type=\"submit\">Confirm</button></form>",
        Html::trusted(svg),
        e.secret_base32.as_str(),
        csrf
    );
    b
}

/// `GET /login/enrol`: a new secret for an account without a second factor.
pub(crate) async fn enrol_page(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let (token, user) = match auth::pending(&app, &headers).await {
        Ok(x) => x,
        Err(_) => return Redirect::to("/login").into_response(),
    };
    match auth::enrol_begin(&app, &user).await {
        Ok(e) => page(StatusCode::OK, "Set up your authenticator", None, &enrol_body(&e, &app.keys.csrf.token(&token), None)),
        Err(r) => refused(r, None, "/"),
    }
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    recovery_code: String,
}

/// `POST /login/enrol`: the first code; then the recovery codes, once.
pub(crate) async fn enrol_submit(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Form(f): Form<CodeForm>) -> Response {
    let (token, user) = match auth::pending(&app, &headers).await {
        Ok(x) => x,
        Err(_) => return Redirect::to("/login").into_response(),
    };
    if !same_origin(&app, &headers) || !app.keys.csrf.verify(&token, &f.csrf) {
        return refused(Refusal::Csrf, None, "/");
    }
    match auth::enrol_confirm(&app, &token, &user, &peer.ip().to_string(), &f.code).await {
        Ok(codes) => {
            let mut b = Html::new();
            html!(b, "<p>Your authenticator is set up. Keep these recovery codes somewhere safe, away from this device: each signs you in once if you lose the app. They are shown only now.</p><ol class=\"codes\" id=\"recovery-codes\">");
            for c in &codes {
                html!(b, "<li><code>{}</code></li>", c);
            }
            html!(b, "</ol><p><a class=\"button\" href=\"/\">Continue to Ward</a></p>");
            page(StatusCode::OK, "Recovery codes", None, &b)
        }
        Err(Refusal::LoginFailed) => match auth::enrolment_pending(&app, &user) {
            Some(e) => page(StatusCode::UNAUTHORIZED, "Set up your authenticator", None, &enrol_body(&e, &f.csrf, Some(ward_auth::GENERIC_LOGIN_ERROR))),
            None => Redirect::to("/login").into_response(),
        },
        Err(r) => refused(r, None, "/"),
    }
}

fn totp_body(csrf: &str, error: Option<&str>, passkey: bool) -> Html {
    let mut b = Html::new();
    if let Some(e) = error {
        html!(b, "<p class=\"error\" role=\"alert\">{}</p>", e);
    }
    if passkey {
        html!(b, "<div class=\"stack narrow\"><button type=\"button\" id=\"passkey-signin\">Use your security key or passkey</button><p id=\"passkey-status\" role=\"status\"></p><p class=\"hint\">Or the code from your authenticator app:</p></div>");
    }
    html!(
        b,
        "<form method=\"post\" action=\"/login/totp\" class=\"stack narrow\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><label>Code from your authenticator app <input name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" autofocus></label><details><summary>Lost the app? Use a recovery code</summary><label>Recovery code <input name=\"recovery_code\" autocomplete=\"off\"></label></details><button type=\"submit\">Sign in</button></form>",
        csrf
    );
    b
}

/// Whether the sign-in page offers the account's security keys.
async fn offers_passkey(app: &App, user: &ward_store::UserRow) -> bool {
    app.passkeys.is_some() && app.store.passkeys(user.id).await.is_ok_and(|k| !k.is_empty())
}

/// `GET /login/totp`: a code, or the account's security key (through `ward.js`).
pub(crate) async fn totp_page(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    match auth::pending(&app, &headers).await {
        Ok((token, user)) => page(StatusCode::OK, "Second factor", None, &totp_body(&app.keys.csrf.token(&token), None, offers_passkey(&app, &user).await)),
        Err(_) => Redirect::to("/login").into_response(),
    }
}

/// `POST /login/totp`: a code, or a recovery code.
pub(crate) async fn totp_submit(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Form(f): Form<CodeForm>) -> Response {
    let (token, user) = match auth::pending(&app, &headers).await {
        Ok(x) => x,
        Err(_) => return Redirect::to("/login").into_response(),
    };
    if !same_origin(&app, &headers) || !app.keys.csrf.verify(&token, &f.csrf) {
        return refused(Refusal::Csrf, None, "/");
    }
    let recovery = Some(f.recovery_code.trim()).filter(|c| !c.is_empty());
    match auth::second_factor_step(&app, &token, &user, &peer.ip().to_string(), Some(&f.code), recovery).await {
        Ok(_) => Redirect::to("/").into_response(),
        Err(Refusal::LoginFailed) => page(StatusCode::UNAUTHORIZED, "Second factor", None, &totp_body(&f.csrf, Some(ward_auth::GENERIC_LOGIN_ERROR), offers_passkey(&app, &user).await)),
        Err(r) => refused(r, None, "/"),
    }
}

fn setup_form(error: Option<&str>) -> Html {
    let mut b = Html::new();
    if let Some(e) = error {
        html!(b, "<p class=\"error\" role=\"alert\">{}</p>", e);
    }
    html!(
        b,
        "<p>This server has no account yet. The setup link it printed on its console makes the first administrator, once. The token is in the link after <code>#</code>; it is filled in below when you open the link, or paste it.</p><form method=\"post\" action=\"/setup\" class=\"stack narrow\"><label>Setup token <input id=\"setup-token\" name=\"token\" autocomplete=\"off\" required></label><label>User name <input name=\"username\" autocomplete=\"username\" required pattern=\"[A-Za-z0-9._@-]{{2,64}}\"></label><label>Password (at least 12 characters) <input type=\"password\" name=\"password\" autocomplete=\"new-password\" minlength=\"12\" required></label><button type=\"submit\">Create the administrator</button></form>"
    );
    b
}

/// `GET /setup`: the first administrator (the token comes from the link's fragment, which
/// the browser does not send: `ward.js` copies it into the form).
pub(crate) async fn setup_page(State(app): State<Arc<App>>) -> Response {
    match app.store.user_count().await {
        Ok(0) => page(StatusCode::OK, "First administrator", None, &setup_form(None)),
        Ok(_) => message(StatusCode::OK, "Already set up", None, "This server has its administrator. Sign in at /login."),
        Err(e) => refused(Refusal::internal(&e), None, "/"),
    }
}

#[derive(Deserialize)]
pub(crate) struct SetupForm {
    token: String,
    username: String,
    password: String,
}

/// `POST /setup`.
pub(crate) async fn setup_submit(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Form(f): Form<SetupForm>) -> Response {
    if !same_origin(&app, &headers) {
        return message(StatusCode::FORBIDDEN, "Forbidden", None, "This form did not come from Ward.");
    }
    match auth::setup_step(&app, &peer.ip().to_string(), &f.token, &f.username, &f.password).await {
        Ok(token) => cookie_redirect("/login/enrol", &token),
        Err(Refusal::Problem(status, _, detail)) => page(status, "First administrator", None, &setup_form(Some(&detail))),
        Err(r) => refused(r, None, "/"),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
    #[serde(default)]
    everywhere: Option<String>,
}

/// `POST /logout`.
pub(crate) async fn logout(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    let v = match actor(&app, &headers, peer, &f.csrf).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match auth::sign_out(&app, &v.p, &headers, f.everywhere.as_deref() == Some("1")).await {
        Ok(()) => auth::with_cookie(Redirect::to("/login").into_response(), &ward_auth::session::clear_session_cookie()),
        Err(r) => refused(r, Some(&v), "/"),
    }
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

/// `GET /reauth?next=/path`.
pub(crate) async fn reauth_page(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    let p = match app.session_principal(&headers, peer, None).await {
        Ok(p) => p,
        Err(r) => return refused(r, None, "/"),
    };
    let v = Viewer { csrf: app.csrf_token(&headers), p };
    let next = q.next.unwrap_or_else(|| "/".into());
    page(StatusCode::OK, "Confirm it is you", Some(&v), &reauth_form(&v.csrf, &next, None))
}

#[derive(Deserialize)]
pub(crate) struct ReauthForm {
    csrf: String,
    password: String,
    code: String,
    #[serde(default)]
    next: String,
}

/// `POST /reauth`: then back to where the person was.
pub(crate) async fn reauth_submit(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Form(f): Form<ReauthForm>) -> Response {
    let v = match actor(&app, &headers, peer, &f.csrf).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match auth::reauth_step(&app, &v.p, &headers, &f.password, &f.code).await {
        Ok(()) => Redirect::to(safe_next(&f.next)).into_response(),
        Err(Refusal::LoginFailed) => page(StatusCode::UNAUTHORIZED, "Confirm it is you", Some(&v), &reauth_form(&v.csrf, &f.next, Some(ward_auth::GENERIC_LOGIN_ERROR))),
        Err(r) => refused(r, Some(&v), "/"),
    }
}
