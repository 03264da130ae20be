//! The signed-in person's own account: who they are, and their security keys and passkeys
//! (listed, added through `ward.js` and the browser's WebAuthn prompt, removed with a form).
//! Adding and removing a key need a fresh sign-in, like every change to how one signs in.

use super::html::{Html, html};
use super::{Viewer, actor, page, refused, when};
use crate::App;
use crate::auth::Refusal;
use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

/// `GET /account`.
pub(crate) async fn account(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    let p = match app.session_principal(&headers, peer, None).await {
        Ok(p) => p,
        Err(r) => return refused(r, None, "/account"),
    };
    let v = Viewer { csrf: app.csrf_token(&headers), p };
    let keys = match app.store.passkeys(v.p.user_id).await {
        Ok(k) => k,
        Err(e) => return refused(Refusal::internal(&e), Some(&v), "/account"),
    };
    let mut b = Html::new();
    html!(b, "<dl class=\"facts\"><dt>User name</dt><dd>{}</dd><dt>Role</dt><dd>{}</dd>", v.p.username, v.p.role.as_str());
    if let Some(unit) = &v.p.care_unit {
        html!(b, "<dt>Care unit</dt><dd>{}</dd>", unit);
    }
    html!(b, "</dl><h2>Security keys and passkeys</h2><p>A security key (YubiKey, Titan...) or a passkey on this computer or phone signs you in instead of the code from your authenticator app, which stays your fallback. Ward asks the key to check your PIN or fingerprint.</p>");
    if keys.is_empty() {
        html!(b, "<p class=\"empty\" id=\"passkeys-none\">No security key yet.</p>");
    } else {
        html!(b, "<table id=\"passkeys\"><thead><tr><th>Name</th><th>Added</th><th>Last used</th><th></th></tr></thead><tbody>");
        for k in &keys {
            html!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><form method=\"post\" action=\"/account/passkeys/{}/remove\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Remove</button></form></td></tr>",
                k.name,
                when(k.created_at),
                k.last_used_at.map_or_else(|| "never".to_string(), when),
                k.id,
                v.csrf
            );
        }
        html!(b, "</tbody></table>");
    }
    if app.passkeys.is_some() {
        html!(
            b,
            "<form id=\"passkey-add\" class=\"stack narrow\"><label>Name of the new key <input name=\"name\" maxlength=\"64\" required placeholder=\"YubiKey 5C\"></label><button type=\"submit\">Add a security key or passkey</button></form><p id=\"passkey-status\" role=\"status\"></p>"
        );
    } else {
        html!(b, "<p class=\"hint\">Security keys are off on this server: it was not told the address people open (<code>ward server --public-url</code>).</p>");
    }
    page(StatusCode::OK, "Your account", Some(&v), &b)
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    csrf: String,
}

/// `POST /account/passkeys/{id}/remove`.
pub(crate) async fn remove(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Path(id): Path<i64>, Form(f): Form<CsrfOnly>) -> Response {
    let v = match actor(&app, &headers, peer, &f.csrf).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match crate::passkeys::remove_key(&app, &v.p, id).await {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(r) => refused(r, Some(&v), "/account"),
    }
}
