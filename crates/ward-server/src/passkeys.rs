//! Security keys and passkeys (WebAuthn) as a second factor beside TOTP.
//!
//! - **Registering** one needs a full, freshly re-authenticated browser session:
//!   `POST /api/v1/passkeys/register` (a name) answers the browser's creation options;
//!   `POST /api/v1/passkeys/register/finish` takes the authenticator's answer. A person lists
//!   their own (`GET /api/v1/passkeys`) and removes one (`DELETE /api/v1/passkeys/{id}`, fresh).
//! - **Signing in** with one replaces the code after the password: `POST /api/v1/login/passkey`
//!   answers the request options for the account's passkeys, `POST /api/v1/login/passkey/finish`
//!   checks the signature (user verification required) and completes the sign-in. A refused
//!   answer counts against the account like a wrong code, with the same generic message.
//! - **Re-authenticating** with one, before a sensitive action, instead of the password and a
//!   code: `POST /api/v1/reauth/passkey`, then `POST /api/v1/reauth/passkey/finish`.
//!
//! Between the two steps the ceremony's state (its challenge) is kept with the session row, never
//! sent to the client, and taken once: a challenge cannot be answered twice, on any replica. It
//! is good for five minutes and only for the step it was made for.
//!
//! The relying party is the address people open: `--public-url`, or else the first host name of
//! the self-signed certificate (`localhost` by default) on any port. A server given its own
//! certificate without `--public-url` has passkeys off, and says so.

#![allow(clippy::result_large_err, reason = "the Err of a check is the refusal's Response, returned once per request")]

use crate::App;
use crate::audit::{ActorKind, Outcome};
use crate::auth::{Principal, Refusal};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;
use ward_auth::SystemRandomSource;
use ward_auth::webauthn::{Passkey, PasskeyAuthentication, PasskeyRegistration, Passkeys, PublicKeyCredential, RegisterPublicKeyCredential};

/// How long a ceremony's challenge may be answered.
const CEREMONY_S: i64 = 300;

/// The longest name a person may give a key.
const MAX_NAME: usize = 64;

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/passkeys", get(list))
        .route("/api/v1/passkeys/register", post(register_start))
        .route("/api/v1/passkeys/register/finish", post(register_finish))
        .route("/api/v1/passkeys/{id}", delete(remove))
        .route("/api/v1/login/passkey", post(sign_in_start))
        .route("/api/v1/login/passkey/finish", post(sign_in_finish))
        .route("/api/v1/reauth/passkey", post(reauth_start))
        .route("/api/v1/reauth/passkey/finish", post(reauth_finish))
}

/// The relying party for this server, or `None` (passkeys off) with the reason to log.
pub fn relying_party(public_url: Option<&str>, cert_names: Option<&[String]>, https: bool) -> Result<Option<Passkeys>, String> {
    if let Some(url) = public_url {
        let parsed = ward_auth::webauthn::Url::parse(url).map_err(|e| format!("--public-url {url}: {e}"))?;
        let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(|| format!("--public-url {url}: no host name"))?;
        if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
            return Err(format!("--public-url {url}: passkeys need a host name, not an address"));
        }
        if parsed.scheme() != "https" && host != "localhost" {
            return Err(format!("--public-url {url}: passkeys need https"));
        }
        let origin = parsed.origin().ascii_serialization();
        return Passkeys::new(host, &origin, "Ward", false).map(Some).map_err(|e| format!("--public-url {url}: {e}"));
    }
    let Some(host) = cert_names.and_then(|names| names.iter().find(|n| n.parse::<std::net::IpAddr>().is_err() && !n.starts_with('*'))) else {
        return Ok(None);
    };
    let scheme = if https { "https" } else { "http" };
    Passkeys::new(host, &format!("{scheme}://{host}"), "Ward", true).map(Some).map_err(|e| format!("passkeys for {host}: {e}"))
}

/// What a ceremony is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Register,
    SignIn,
    Reauth,
}

/// A ceremony as kept with the session.
#[derive(Serialize, Deserialize)]
struct Ceremony {
    kind: Kind,
    /// When it began (Unix seconds).
    at: i64,
    /// The name of the key being registered.
    #[serde(default)]
    name: Option<String>,
    state: serde_json::Value,
}

fn rp(app: &App) -> Result<&Passkeys, Refusal> {
    app.passkeys.as_ref().ok_or_else(|| Refusal::Problem(StatusCode::NOT_IMPLEMENTED, "Passkeys are off", "this server was not told the address people open (ward server --public-url)".into()))
}

async fn keep(app: &App, session_hash: &str, kind: Kind, name: Option<String>, state: serde_json::Value) -> Result<(), Refusal> {
    let c = Ceremony { kind, at: crate::auth::now_s(), name, state };
    let text = serde_json::to_string(&c).map_err(|e| Refusal::internal(&e))?;
    app.store.set_ceremony(session_hash, &text).await.map_err(|e| Refusal::internal(&e))
}

/// The session's ceremony of `kind`, taken (so never usable again), if it is still good.
async fn take(app: &App, session_hash: &str, kind: Kind) -> Result<Option<Ceremony>, Refusal> {
    let Some(text) = app.store.take_ceremony(session_hash).await.map_err(|e| Refusal::internal(&e))? else { return Ok(None) };
    Ok(serde_json::from_str::<Ceremony>(&text).ok().filter(|c| c.kind == kind && (0..=CEREMONY_S).contains(&(crate::auth::now_s() - c.at))))
}

/// The account's passkeys as webauthn-rs reads them, with their store ids (a stored document
/// that no longer reads is left out and logged).
async fn stored(app: &App, user_id: i64) -> Result<Vec<(i64, String, Passkey)>, Refusal> {
    let rows = app.store.passkeys(user_id).await.map_err(|e| Refusal::internal(&e))?;
    Ok(rows
        .into_iter()
        .filter_map(|r| match serde_json::from_str::<Passkey>(&r.passkey) {
            Ok(k) => Some((r.id, r.name, k)),
            Err(e) => {
                eprintln!("ward server: passkey {} of user {} does not read ({e}); skipped", r.id, r.user_id);
                None
            }
        })
        .collect())
}

fn session_hash(headers: &HeaderMap) -> Result<String, Refusal> {
    crate::auth::session_token(headers).map(|t| t.storage_hash()).ok_or(Refusal::Unauthorized)
}

/// A person's browser session, not a token: keys are a person's own business.
fn person(p: &Principal) -> Result<(), Refusal> {
    if p.token.is_some() {
        return Err(Refusal::Problem(StatusCode::FORBIDDEN, "Forbidden", "security keys are managed in a person's browser session, not with a token".into()));
    }
    Ok(())
}

/// A key's name: 1 to 64 characters, no control characters, trimmed.
pub(crate) fn valid_name(name: &str) -> Result<String, Refusal> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > MAX_NAME || n.chars().any(char::is_control) {
        return Err(Refusal::Problem(StatusCode::UNPROCESSABLE_ENTITY, "Invalid name", format!("name the key in 1 to {MAX_NAME} characters")));
    }
    Ok(n.to_string())
}

/// Begin registering a key for `p` (fresh sign-in required): the browser's creation options.
pub(crate) async fn begin_registration(app: &App, p: &Principal, headers: &HeaderMap, name: &str) -> Result<serde_json::Value, Refusal> {
    person(p)?;
    let rp = rp(app)?;
    let name = valid_name(name)?;
    app.fresh(p, "auth.passkey_register")?;
    let fresh = ward_auth::webauthn::new_handle(&SystemRandomSource::new()).map_err(|e| Refusal::internal(&e))?;
    let handle = app.store.webauthn_handle(p.user_id, &fresh).await.map_err(|e| Refusal::internal(&e))?;
    let handle = ward_auth::webauthn::parse_handle(&handle).ok_or_else(|| Refusal::internal(&"a stored user handle is not 32 hex digits"))?;
    let existing = stored(app, p.user_id).await?.into_iter().map(|(_, _, k)| k.cred_id().clone()).collect();
    let (options, state) = rp.start_registration(handle, &p.username, &p.username, existing).map_err(|e| Refusal::internal(&e))?;
    let state = serde_json::to_value(&state).map_err(|e| Refusal::internal(&e))?;
    keep(app, &session_hash(headers)?, Kind::Register, Some(name), state).await?;
    serde_json::to_value(&options).map_err(|e| Refusal::internal(&e))
}

/// Finish a registration with the authenticator's answer: the new key's id and name.
pub(crate) async fn finish_registration(app: &App, p: &Principal, headers: &HeaderMap, answer: &serde_json::Value) -> Result<(i64, String), Refusal> {
    person(p)?;
    let rp = rp(app)?;
    let refused = |why: &str| {
        app.audit(ActorKind::User, &p.username, "auth.passkey_register", &format!("user:{}", p.user_id), Outcome::Failure, &p.source, Some(why));
        Refusal::Problem(StatusCode::BAD_REQUEST, "Not accepted", "the security key's answer was not accepted; start again".into())
    };
    let Some(c) = take(app, &session_hash(headers)?, Kind::Register).await? else { return Err(refused("no registration pending, or it expired")) };
    let Ok(state) = serde_json::from_value::<PasskeyRegistration>(c.state) else { return Err(refused("the pending registration does not read")) };
    let Ok(answer) = serde_json::from_value::<RegisterPublicKeyCredential>(answer.clone()) else { return Err(refused("the answer is not a WebAuthn registration")) };
    let Ok(key) = rp.finish_registration(&answer, &state) else { return Err(refused("the attestation did not verify")) };
    let name = c.name.unwrap_or_else(|| "security key".into());
    let doc = serde_json::to_string(&key).map_err(|e| Refusal::internal(&e))?;
    let id = match app.store.add_passkey(p.user_id, &ward_auth::webauthn::credential_text(key.cred_id()), &name, &doc).await {
        Ok(id) => id,
        Err(ward_store::StoreError::Invalid(_)) => return Err(refused("that credential is already registered")),
        Err(e) => return Err(Refusal::internal(&e)),
    };
    app.audit(ActorKind::User, &p.username, "auth.passkey_register", &format!("passkey:{id}"), Outcome::Success, &p.source, Some(&name));
    Ok((id, name))
}

/// Remove one of `p`'s own keys (fresh sign-in required).
pub(crate) async fn remove_key(app: &App, p: &Principal, id: i64) -> Result<(), Refusal> {
    person(p)?;
    app.fresh(p, "auth.passkey_remove")?;
    if !app.store.delete_passkey(p.user_id, id).await.map_err(|e| Refusal::internal(&e))? {
        return Err(Refusal::Problem(StatusCode::NOT_FOUND, "Not found", "you have no such security key".into()));
    }
    app.audit(ActorKind::User, &p.username, "auth.passkey_remove", &format!("passkey:{id}"), Outcome::Success, &p.source, None);
    Ok(())
}

/// The sign-in's second step with a key, begun: the browser's request options.
pub(crate) async fn begin_sign_in(app: &App, headers: &HeaderMap, source: &str) -> Result<serde_json::Value, Refusal> {
    let rp = rp(app)?;
    let (token, user) = crate::auth::pending(app, headers).await?;
    crate::auth::not_locked(app, &user, source)?;
    let keys: Vec<Passkey> = stored(app, user.id).await?.into_iter().map(|(_, _, k)| k).collect();
    if keys.is_empty() || !user.totp_enrolled {
        return Err(Refusal::Problem(StatusCode::CONFLICT, "No security key", "this account has no security key or passkey: use the code from your app".into()));
    }
    let (options, state) = rp.start_authentication(&keys).map_err(|e| Refusal::internal(&e))?;
    let state = serde_json::to_value(&state).map_err(|e| Refusal::internal(&e))?;
    keep(app, &token.storage_hash(), Kind::SignIn, None, state).await?;
    serde_json::to_value(&options).map_err(|e| Refusal::internal(&e))
}

/// The sign-in's second step with a key, finished: the sign-in is complete.
pub(crate) async fn finish_sign_in(app: &App, headers: &HeaderMap, source: &str, answer: &serde_json::Value) -> Result<(ward_auth::session::SessionToken, ward_store::UserRow), Refusal> {
    let rp = rp(app)?;
    let (token, user) = crate::auth::pending(app, headers).await?;
    crate::auth::not_locked(app, &user, source)?;
    if let Some(name) = verify_assertion(app, rp, &user, source, &token.storage_hash(), Kind::SignIn, "passkey", answer).await? {
        app.audit(ActorKind::User, &user.username, "auth.passkey", &format!("user:{}", user.id), Outcome::Success, source, Some(&name));
    }
    crate::auth::complete(app, &token, &user, source).await?;
    Ok((token, user))
}

/// Re-authentication with a key, begun: the request options for `p`'s keys.
pub(crate) async fn begin_reauth(app: &App, p: &Principal, headers: &HeaderMap) -> Result<serde_json::Value, Refusal> {
    person(p)?;
    let rp = rp(app)?;
    let keys: Vec<Passkey> = stored(app, p.user_id).await?.into_iter().map(|(_, _, k)| k).collect();
    if keys.is_empty() {
        return Err(Refusal::Problem(StatusCode::CONFLICT, "No security key", "you have no security key: confirm with your password and a code".into()));
    }
    let (options, state) = rp.start_authentication(&keys).map_err(|e| Refusal::internal(&e))?;
    let state = serde_json::to_value(&state).map_err(|e| Refusal::internal(&e))?;
    keep(app, &session_hash(headers)?, Kind::Reauth, None, state).await?;
    serde_json::to_value(&options).map_err(|e| Refusal::internal(&e))
}

/// Re-authentication with a key, finished: the session's sign-in is fresh again.
pub(crate) async fn finish_reauth(app: &App, p: &Principal, headers: &HeaderMap, answer: &serde_json::Value) -> Result<(), Refusal> {
    person(p)?;
    let rp = rp(app)?;
    let user = match app.store.user(p.user_id).await {
        Ok(Some(u)) => u,
        Ok(None) => return Err(Refusal::Unauthorized),
        Err(e) => return Err(Refusal::internal(&e)),
    };
    crate::auth::not_locked(app, &user, &p.source)?;
    let hash = session_hash(headers)?;
    let name = verify_assertion(app, rp, &user, &p.source, &hash, Kind::Reauth, "re-authentication with a passkey", answer).await?;
    app.store.authenticate_session(&hash, "full").await.map_err(|e| Refusal::internal(&e))?;
    app.audit(ActorKind::User, &p.username, "auth.reauth", &format!("user:{}", p.user_id), Outcome::Success, &p.source, Some(&format!("security key {}", name.unwrap_or_default())));
    Ok(())
}

/// Check the session's pending ceremony of `kind` against the authenticator's answer, and keep
/// the used key's new state; answers its name. Every failure counts against the account like a
/// wrong code, its reason (prefixed `what`) in the trail.
#[allow(clippy::too_many_arguments, reason = "the ceremony's parts, each named at the two call sites")]
async fn verify_assertion(app: &App, rp: &Passkeys, user: &ward_store::UserRow, source: &str, session_hash: &str, kind: Kind, what: &str, answer: &serde_json::Value) -> Result<Option<String>, Refusal> {
    let failed = |why: &str| format!("{what}: {why}");
    let Some(c) = take(app, session_hash, kind).await? else {
        return Err(crate::auth::second_factor_failed(app, user, source, &failed("none pending, or it expired")).await);
    };
    let state = serde_json::from_value::<PasskeyAuthentication>(c.state).ok();
    let answer = serde_json::from_value::<PublicKeyCredential>(answer.clone()).ok();
    let (Some(state), Some(answer)) = (state, answer) else {
        return Err(crate::auth::second_factor_failed(app, user, source, &failed("the answer is not a WebAuthn assertion")).await);
    };
    let stored = stored(app, user.id).await?;
    let mut keys: Vec<Passkey> = stored.iter().map(|(_, _, k)| k.clone()).collect();
    let Ok(used) = rp.finish_authentication(&answer, &state, &mut keys) else {
        return Err(crate::auth::second_factor_failed(app, user, source, &failed("the signature did not verify")).await);
    };
    record_use(app, &stored, &keys, &used).await
}

/// Keep the used key's new counter and backup state (a cloned authenticator shows as a counter
/// going backwards, which webauthn-rs refuses); answers the key's name.
async fn record_use(app: &App, stored: &[(i64, String, Passkey)], after: &[Passkey], used: &ward_auth::webauthn::CredentialID) -> Result<Option<String>, Refusal> {
    for ((id, name, before), after) in stored.iter().zip(after) {
        if after.cred_id() == used {
            let changed = serde_json::to_value(before).ok() != serde_json::to_value(after).ok();
            let doc = if changed { serde_json::to_string(after).ok() } else { None };
            app.store.passkey_used(*id, doc.as_deref()).await.map_err(|e| Refusal::internal(&e))?;
            return Ok(Some(format!("{name} (passkey:{id})")));
        }
    }
    Ok(None)
}

async fn principal(app: &App, method: &Method, headers: &HeaderMap, peer: SocketAddr) -> Result<Principal, Response> {
    app.principal(method, headers, peer).await
}

/// `GET /api/v1/passkeys`: my security keys and passkeys.
async fn list(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap) -> Response {
    let p = match principal(&app, &method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = person(&p) {
        return r.into_problem();
    }
    match app.store.passkeys(p.user_id).await {
        Ok(rows) => {
            let items: Vec<_> = rows.iter().map(|r| serde_json::json!({ "id": r.id, "name": r.name, "created_at": r.created_at, "last_used_at": r.last_used_at })).collect();
            Json(serde_json::json!({ "items": items, "enabled": app.passkeys.is_some() })).into_response()
        }
        Err(e) => crate::internal(&e),
    }
}

#[derive(Deserialize)]
struct NameBody {
    name: String,
}

/// `POST /api/v1/passkeys/register`: `{"name": "..."}`; answers the creation options to pass to
/// `navigator.credentials.create`.
async fn register_start(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, crate::Body(b): crate::Body<NameBody>) -> Response {
    let p = match principal(&app, &method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match begin_registration(&app, &p, &headers, &b.name).await {
        Ok(options) => Json(options).into_response(),
        Err(r) => r.into_problem(),
    }
}

#[derive(Deserialize)]
struct AnswerBody {
    credential: serde_json::Value,
}

/// `POST /api/v1/passkeys/register/finish`: `{"credential": ...}` as the authenticator
/// answered (binary fields in base64url); answers the new key.
async fn register_finish(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, crate::Body(b): crate::Body<AnswerBody>) -> Response {
    let p = match principal(&app, &method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match finish_registration(&app, &p, &headers, &b.credential).await {
        Ok((id, name)) => (StatusCode::CREATED, Json(serde_json::json!({ "id": id, "name": name }))).into_response(),
        Err(r) => r.into_problem(),
    }
}

/// `DELETE /api/v1/passkeys/{id}`: remove one of my keys.
async fn remove(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let p = match principal(&app, &method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match remove_key(&app, &p, id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r.into_problem(),
    }
}

/// `POST /api/v1/login/passkey`: after the password, the request options for the account's
/// keys, to pass to `navigator.credentials.get`.
async fn sign_in_start(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    match begin_sign_in(&app, &headers, &peer.ip().to_string()).await {
        Ok(options) => Json(options).into_response(),
        Err(r) => r.into_problem(),
    }
}

/// `POST /api/v1/login/passkey/finish`: `{"credential": ...}`; completes the sign-in.
async fn sign_in_finish(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, crate::Body(b): crate::Body<AnswerBody>) -> Response {
    match finish_sign_in(&app, &headers, &peer.ip().to_string(), &b.credential).await {
        Ok((token, user)) => crate::auth::completed_json(&app, &token, &user, serde_json::json!({})),
        Err(r) => r.into_problem(),
    }
}

/// `POST /api/v1/reauth/passkey`: before a sensitive action, the request options for my keys.
async fn reauth_start(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap) -> Response {
    let p = match principal(&app, &method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match begin_reauth(&app, &p, &headers).await {
        Ok(options) => Json(options).into_response(),
        Err(r) => r.into_problem(),
    }
}

/// `POST /api/v1/reauth/passkey/finish`: `{"credential": ...}`; the sign-in is fresh again.
async fn reauth_finish(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, crate::Body(b): crate::Body<AnswerBody>) -> Response {
    let p = match principal(&app, &method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match finish_reauth(&app, &p, &headers, &b.credential).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r.into_problem(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_address_people_open() {
        assert!(relying_party(Some("https://ward.hospital.example:8443"), None, true).expect("ok").is_some());
        assert!(relying_party(Some("https://10.0.0.5:8443"), None, true).is_err(), "an address cannot be a relying party id");
        assert!(relying_party(Some("http://ward.hospital.example"), None, false).is_err(), "https only, but for localhost");
        assert!(relying_party(Some("http://localhost:8080"), None, false).expect("ok").is_some());
        assert!(relying_party(Some("not a url"), None, true).is_err());
        let names = ["127.0.0.1".to_string(), "::1".into(), "ward.icu.example".into()];
        assert!(relying_party(None, Some(&names), true).expect("ok").is_some(), "the certificate's first host name");
        assert!(relying_party(None, Some(&names[..2]), true).expect("ok").is_none(), "only addresses: off");
        assert!(relying_party(None, None, true).expect("ok").is_none(), "an operator's certificate without --public-url: off");
    }

    #[test]
    fn key_names() {
        assert_eq!(valid_name("  YubiKey 5C  ").ok().as_deref(), Some("YubiKey 5C"));
        assert!(valid_name("").is_err() && valid_name("   ").is_err() && valid_name("a\u{7}b").is_err());
        assert!(valid_name(&"é".repeat(64)).is_ok() && valid_name(&"é".repeat(65)).is_err());
    }
}
