//! Automation tokens for people: `GET /api/v1/tokens` (mine; an administrator's lists
//! everyone's), `POST /api/v1/tokens` (a new one, shown once, after a fresh sign-in) and
//! `DELETE /api/v1/tokens/{id}` (revoke mine; an administrator may revoke anyone's, and a
//! sensor's). The checks live here once; the API and the web UI each say the outcome their way.

#![allow(clippy::result_large_err, reason = "the Err of a check is the refusal's Response, returned once per request")]

use crate::App;
use crate::audit::{ActorKind, Outcome};
use crate::auth::{Principal, Refusal};
use crate::tokens::{AUTOMATION, NewAutomationToken};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use ward_auth::{Action, Resource, Role};
use ward_store::TokenInfo;

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new().route("/api/v1/tokens", get(list).post(create)).route("/api/v1/tokens/{id}", delete(revoke))
}

/// A token as listed: never its hash.
pub(crate) struct Listed {
    pub info: TokenInfo,
    /// The owner's account name (`(gone)` if the account no longer exists).
    pub owner: String,
    /// `active`, `expired` or `revoked`.
    pub state: &'static str,
}

pub(crate) fn state_of(t: &TokenInfo, now: i64) -> &'static str {
    if t.revoked_at.is_some() {
        "revoked"
    } else if t.expires_at <= now {
        "expired"
    } else {
        "active"
    }
}

/// The automation tokens `p` may see: their own, or everyone's for an administrator.
pub(crate) async fn visible(app: &App, p: &Principal) -> Result<Vec<Listed>, Refusal> {
    app.permit(p, Action::Read, Resource::Token, "tokens")?;
    let all = p.role == Role::Administrator;
    let tokens = if all { app.store.tokens(AUTOMATION).await } else { app.store.tokens_of(AUTOMATION, &p.user_id.to_string()).await }.map_err(|e| Refusal::internal(&e))?;
    let users = if all { app.store.users().await.map_err(|e| Refusal::internal(&e))? } else { Vec::new() };
    let now = ward_store::now();
    Ok(tokens
        .into_iter()
        .map(|info| {
            let owner = if all { users.iter().find(|u| u.id.to_string() == info.subject).map_or_else(|| "(gone)".to_string(), |u| u.username.clone()) } else { p.username.clone() };
            let state = state_of(&info, now);
            Listed { info, owner, state }
        })
        .collect())
}

/// A new automation token for `p`: the policy, a fresh sign-in, then scopes within `p`'s role.
pub(crate) async fn make(app: &App, p: &Principal, label: &str, scopes: &[String], days: u32) -> Result<NewAutomationToken, Refusal> {
    app.permit(p, Action::Create, Resource::Token, "tokens")?;
    app.fresh(p, "token.create")?;
    match crate::tokens::mint_automation(&app.store, p.user_id, p.role, label, scopes, days).await {
        Ok(t) => {
            app.audit(ActorKind::User, &p.username, "token.create", &format!("token:{}", t.public_id), Outcome::Success, &p.source, Some(&format!("scopes {}; {days} days", t.scopes.join(" "))));
            Ok(t)
        }
        Err(Ok(why)) => Err(Refusal::Problem(StatusCode::UNPROCESSABLE_ENTITY, "Token refused", why)),
        Err(Err(e)) => Err(Refusal::internal(&e)),
    }
}

/// Revoke the token `public_id`: one's own automation token, or as an administrator anyone's
/// and any sensor's. A token that is not `p`'s to revoke is answered as not found.
pub(crate) async fn withdraw(app: &App, p: &Principal, public_id: &str) -> Result<(), Refusal> {
    let not_found = || Refusal::Problem(StatusCode::NOT_FOUND, "Not found", "no such active token".into());
    if public_id.len() != 16 || !public_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let row = app.store.token(public_id).await.map_err(|e| Refusal::internal(&e))?;
    let subject = format!("token:{public_id}");
    match row {
        Some(r) if r.kind == AUTOMATION => {
            app.permit(p, Action::Delete, Resource::Token, &subject)?;
            if r.subject != p.user_id.to_string() && p.role != Role::Administrator {
                return Err(not_found());
            }
        }
        Some(r) if r.kind == "sensor" => app.permit(p, Action::Delete, Resource::Sensor, &subject)?,
        _ => {
            app.permit(p, Action::Delete, Resource::Token, &subject)?;
            return Err(not_found());
        }
    }
    app.fresh(p, "token.revoke")?;
    match app.store.revoke_token(public_id).await {
        Ok(()) => {
            app.audit(ActorKind::User, &p.username, "token.revoke", &subject, Outcome::Success, &p.source, None);
            Ok(())
        }
        Err(ward_store::StoreError::NotFound(_)) => Err(not_found()),
        Err(e) => Err(Refusal::internal(&e)),
    }
}

fn listed_json(l: &Listed) -> serde_json::Value {
    let t = &l.info;
    let scopes: Vec<&str> = t.scopes.as_deref().unwrap_or("").split_whitespace().collect();
    serde_json::json!({
        "id": t.public_id, "label": t.label, "owner": l.owner, "scopes": scopes, "state": l.state,
        "created_at": t.created_at, "expires_at": t.expires_at, "revoked_at": t.revoked_at, "last_used_at": t.last_used_at,
    })
}

async fn list(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match visible(&app, &p).await {
        Ok(l) => Json(l.iter().map(listed_json).collect::<Vec<_>>()).into_response(),
        Err(r) => r.into_problem(),
    }
}

#[derive(Deserialize)]
pub(crate) struct NewToken {
    label: String,
    scopes: Vec<String>,
    #[serde(default = "default_days", deserialize_with = "crate::json_int::u32")]
    days: u32,
}

fn default_days() -> u32 {
    90
}

async fn create(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, crate::Body(b): crate::Body<NewToken>) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match make(&app, &p, &b.label, &b.scopes, b.days).await {
        Ok(t) => (StatusCode::CREATED, Json(serde_json::json!({ "id": t.public_id, "token": t.token.as_str(), "scopes": t.scopes, "expires_at": t.expires_at }))).into_response(),
        Err(r) => r.into_problem(),
    }
}

async fn revoke(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match withdraw(&app, &p, &id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r.into_problem(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The OpenAPI document the server serves describes every API route, and only routes that
    /// exist (read from the router's source: a route added without its description fails here).
    #[test]
    fn openapi_describes_every_route() {
        let doc: serde_json::Value = serde_json::from_str(include_str!("openapi.json")).expect("openapi.json is JSON");
        let documented: BTreeSet<&str> = doc["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
        let mut routed = BTreeSet::new();
        for src in [include_str!("lib.rs"), include_str!("api.rs"), include_str!("token_api.rs"), include_str!("passkeys.rs")] {
            for part in src.split(".route(\"").skip(1) {
                let path = part.split('"').next().unwrap_or("");
                if path.starts_with("/api/") || path == "/healthz" || path == "/readyz" {
                    routed.insert(path);
                }
            }
        }
        assert!(routed.contains("/api/v1/tokens/{id}"), "the source scan finds routes: {routed:?}");
        assert_eq!(routed, documented);
    }
}
