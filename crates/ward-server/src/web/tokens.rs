//! `/tokens`: a person's automation tokens (an administrator sees everyone's): the list with
//! their scopes, state and last use, a form to make one (shown once, on the page that answers
//! the form, never in a URL), and revocation. The checks are [`crate::token_api`]'s.

use super::html::{Html, html};
use super::{Viewer, actor, message, page, refused, safe_next, viewer, when};
use crate::App;
use crate::token_api::{make, visible, withdraw};
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use ward_auth::{Action, Resource};

/// The button that revokes token `public_id`, then goes back to `back`.
pub(crate) fn revoke_form(public_id: &str, csrf: &str, back: &str) -> Html {
    let mut h = Html::new();
    html!(
        h,
        "<form method=\"post\" action=\"/tokens/{}/revoke\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"back\" value=\"{}\"><button type=\"submit\">Revoke</button></form>",
        public_id,
        csrf,
        back
    );
    h
}

/// The list and, for roles that may make tokens, the form.
fn body(v: &Viewer, notice: Option<&str>, list: &[crate::token_api::Listed]) -> Html {
    let mut b = Html::new();
    if let Some(n) = notice {
        html!(b, "<p class=\"notice\" role=\"status\">{}</p>", n);
    }
    html!(b, "<p>An API token lets a script or another system (ticketing, SOAR, a SIEM) use Ward's API as you, limited to the scopes you give it and to what your role allows at the time of each request. Send it as <code>Authorization: Bearer TOKEN</code>. Every use is in the audit trail.</p>");
    html!(b, "<table class=\"list\" id=\"api-tokens\"><thead><tr><th>Label</th><th>Owner</th><th>Token id</th><th>Scopes</th><th>Made</th><th>Expires</th><th>Last used</th><th>State</th><th></th></tr></thead><tbody>");
    for l in list {
        let t = &l.info;
        html!(
            b,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>",
            t.label.as_deref().unwrap_or("—"),
            l.owner,
            t.public_id,
            t.scopes.as_deref().unwrap_or(""),
            when(t.created_at),
            when(t.expires_at),
            t.last_used_at.map_or_else(|| "never".to_string(), when),
            l.state
        );
        if l.state == "active" && ward_auth::allowed(v.p.role, Action::Delete, Resource::Token) {
            b.push(&revoke_form(&t.public_id, &v.csrf, "/tokens"));
        }
        html!(b, "</td></tr>");
    }
    if list.is_empty() {
        html!(b, "<tr><td colspan=\"9\">no API token yet</td></tr>");
    }
    html!(b, "</tbody></table>");
    if ward_auth::allowed(v.p.role, Action::Create, Resource::Token) {
        html!(b, "<h2>New token</h2><form method=\"post\" action=\"/tokens\" class=\"stack narrow\" id=\"new-token\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><label>What it is for <input name=\"label\" required maxlength=\"80\"></label><label>Valid for (days) <input name=\"days\" type=\"number\" min=\"1\" max=\"365\" value=\"90\" required></label><fieldset><legend>Scopes</legend>", v.csrf);
        for s in crate::tokens::grantable(v.p.role) {
            let name = crate::tokens::scope_name(&s);
            html!(b, "<label class=\"check\"><input type=\"checkbox\" name=\"scope.{}\" value=\"on\"> <code>{}</code></label>", name, name);
        }
        html!(b, "</fieldset><button type=\"submit\">Make token</button></form>");
    }
    b
}

/// `GET /tokens`.
pub(crate) async fn tokens(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let v = match viewer(&app, &headers, peer, Action::Read, Resource::Token, "tokens").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match visible(&app, &v.p).await {
        Ok(list) => page(StatusCode::OK, "API tokens", Some(&v), &body(&v, q.get("done").map(String::as_str), &list)),
        Err(r) => refused(r, Some(&v), "/tokens"),
    }
}

/// `POST /tokens`: make one; the answer is the page showing it, once.
pub(crate) async fn create(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let v = match actor(&app, &headers, peer, f.get("csrf").map_or("", String::as_str)).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let scopes: Vec<String> = f.iter().filter(|(_, val)| val.as_str() == "on").filter_map(|(k, _)| k.strip_prefix("scope.").map(str::to_string)).collect();
    let Ok(days) = f.get("days").map_or("90", String::as_str).trim().parse::<u32>() else {
        return message(StatusCode::UNPROCESSABLE_ENTITY, "Token refused", Some(&v), "Valid for: a number of days, 1 to 365.");
    };
    match make(&app, &v.p, f.get("label").map_or("", String::as_str), &scopes, days).await {
        Ok(t) => {
            let mut b = Html::new();
            html!(
                b,
                "<p class=\"notice\" role=\"status\">Token {} made, valid until {}, with the scopes <code>{}</code>. Copy it now: it is shown only this once, and Ward keeps only a hash of it.</p><pre><code id=\"new-token-value\">{}</code></pre><p><a href=\"/tokens\">Back to the tokens</a></p>",
                t.public_id,
                when(t.expires_at),
                t.scopes.join(" "),
                t.token.as_str()
            );
            page(StatusCode::CREATED, "New API token", Some(&v), &b)
        }
        Err(r) => refused(r, Some(&v), "/tokens"),
    }
}

/// `POST /tokens/{id}/revoke`: revoke, then back.
pub(crate) async fn revoke(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Path(id): Path<String>, Form(f): Form<HashMap<String, String>>) -> Response {
    let v = match actor(&app, &headers, peer, f.get("csrf").map_or("", String::as_str)).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let back = safe_next(f.get("back").map_or("/tokens", String::as_str)).to_string();
    match withdraw(&app, &v.p, &id).await {
        Ok(()) => {
            let sep = if back.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{back}{sep}done=token+{id}+revoked")).into_response()
        }
        Err(r) => refused(r, Some(&v), &back),
    }
}
