//! Signing in and who is asking: the first administrator's one-time setup, password then a
//! second factor (TOTP, or a one-time recovery code), enrolment of the factor on first sign-in,
//! sessions in a `__Host-` cookie with idle and absolute timeouts, CSRF tokens on every
//! state-changing request of a browser session, re-authentication for sensitive actions, sign-out
//! here and everywhere, throttling per account and per source — and, for every request, the
//! [`Principal`] and the one policy check (`ward_auth::allowed`), denied by default.
//!
//! The client always gets the same message for a failed sign-in step; the audit trail gets
//! the precise reason.

// A refusal is an HTTP response made where the rule is checked; handlers return it as is.
#![allow(clippy::result_large_err, reason = "the Err of a check is the refusal's Response, returned once per request")]

use crate::App;
use crate::audit::{ActorKind, AuditRecord, Outcome};
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use ward_auth::session::{CsrfKey, SessionTimes, SessionToken};
use ward_auth::throttle::{Decision, SourceThrottles, Throttle, ThrottleState};
use ward_auth::totp::TotpSecret;
use ward_auth::{Action, GENERIC_LOGIN_ERROR, RandomSource, Resource, Role, SystemRandomSource};

/// How long the first administrator's setup link stays valid.
pub const SETUP_VALIDITY_S: i64 = 24 * 3600;

const NS: i64 = 1_000_000_000;

/// Unix seconds now.
pub fn now_s() -> i64 {
    ward_store::now() / NS
}

/// The server's own secrets, made on first start under `DATA/keys/` (owner-only): the key that
/// seals TOTP secrets in the store (AES-256-GCM) and the CSRF key. Replicas of one deployment
/// share these files (the store keeps a check value of each, see [`Keys::checks`]).
pub struct Keys {
    seal: aws_lc_rs::aead::LessSafeKey,
    /// CSRF tokens.
    pub csrf: CsrfKey,
    checks: [(&'static str, String); 2],
    /// Signs device cookies ([`Keys::device_cookie`]); derived from the CSRF key under a label
    /// of its own, so no new file to share between replicas.
    device: aws_lc_rs::hmac::Key,
}

/// The device cookie: a browser or client that gave an account's correct password before
/// carries it, and its later password checks for that account wait in a lane of their own
/// ([`Throttles`]), which a guessing flood from elsewhere cannot fill (OWASP's "device cookies").
/// It grants nothing else: the password and the second factor are still required.
pub(crate) const DEVICE_COOKIE: &str = "__Host-ward_device";

/// How long a device cookie is honoured, seconds (90 days).
const DEVICE_COOKIE_AGE: i64 = 90 * 86_400;

/// The check value of a key: hex HMAC-SHA256 under the key of a fixed label naming it. Equal
/// keys give equal values; the value reveals nothing of the key and, its label being no CSRF
/// message, is no token either.
fn check_value(key: &[u8; 32], name: &str) -> String {
    let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    aws_lc_rs::hmac::sign(&k, format!("ward key check v1\0{name}").as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

fn key_file(dir: &Path, name: &str) -> Result<[u8; 32], crate::ServerError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(b) => b.try_into().map_err(|_| crate::ServerError::Io(format!("{}: not a 32-byte key", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut k = [0u8; 32];
            SystemRandomSource::new().fill(&mut k).map_err(|e| crate::ServerError::Io(e.to_string()))?;
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(|e| crate::ServerError::io(&path, &e))?;
            f.write_all(&k).and_then(|()| f.sync_all()).map_err(|e| crate::ServerError::io(&path, &e))?;
            Ok(k)
        }
        Err(e) => Err(crate::ServerError::io(&path, &e)),
    }
}

impl Keys {
    /// Load the keys, making them on first start.
    pub fn load(data_dir: &Path) -> Result<Keys, crate::ServerError> {
        use std::os::unix::fs::PermissionsExt;
        let dir = data_dir.join("keys");
        std::fs::create_dir_all(&dir).map_err(|e| crate::ServerError::io(&dir, &e))?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| crate::ServerError::io(&dir, &e))?;
        let seal = key_file(&dir, "seal.key")?;
        let csrf = key_file(&dir, "csrf.key")?;
        let unbound = aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::AES_256_GCM, &seal).map_err(|_| crate::ServerError::Io("bad seal key".into()))?;
        let checks = [("seal.key", check_value(&seal, "seal.key")), ("csrf.key", check_value(&csrf, "csrf.key"))];
        let device_key = aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &csrf), b"ward device cookie key v1");
        let device = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, device_key.as_ref());
        Ok(Keys { seal: aws_lc_rs::aead::LessSafeKey::new(unbound), csrf: CsrfKey::from_bytes(&csrf), checks, device })
    }

    /// The `Set-Cookie` value of a device cookie for account `user_id`, issued at `now` (Unix
    /// seconds): `user.issued.hex(HMAC(user.issued))`. Secure, HttpOnly, SameSite=Strict, host-only.
    pub(crate) fn device_cookie(&self, user_id: i64, now: i64) -> String {
        let msg = format!("{user_id}.{now}");
        let tag: String = aws_lc_rs::hmac::sign(&self.device, msg.as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect();
        format!("{DEVICE_COOKIE}={msg}.{tag}; Path=/; Max-Age={DEVICE_COOKIE_AGE}; Secure; HttpOnly; SameSite=Strict")
    }

    /// The account a request's device cookie was issued for, when it carries one this server's
    /// key signed less than 90 days before `now`.
    pub(crate) fn device_of(&self, headers: &HeaderMap, now: i64) -> Option<i64> {
        let value = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|h| h.split(';')).filter_map(|p| p.trim().split_once('=')).find(|(n, _)| *n == DEVICE_COOKIE)?.1;
        let (msg, tag) = value.rsplit_once('.')?;
        let (user, issued) = msg.split_once('.')?;
        let (user, issued) = (user.parse::<i64>().ok()?, issued.parse::<i64>().ok()?);
        if tag.len() != 64 || !now.checked_sub(issued).is_some_and(|age| (0..=DEVICE_COOKIE_AGE).contains(&age)) {
            return None;
        }
        let tag: Vec<u8> = (0..32).map(|i| u8::from_str_radix(tag.get(2 * i..2 * i + 2)?, 16).ok()).collect::<Option<_>>()?;
        aws_lc_rs::hmac::verify(&self.device, msg.as_bytes(), &tag).ok()?;
        Some(user)
    }

    /// Each key file's name under `DATA/keys/` and its check value, for the store to compare
    /// across replicas (never the key).
    pub fn checks(&self) -> &[(&'static str, String)] {
        &self.checks
    }

    /// Seal a secret for the store: hex(nonce ‖ ciphertext ‖ tag), bound to `context` (the
    /// account id) so a sealed value cannot be moved to another account.
    fn seal(&self, plain: &[u8], context: &str) -> Result<String, String> {
        let mut nonce = [0u8; 12];
        SystemRandomSource::new().fill(&mut nonce).map_err(|e| e.to_string())?;
        let mut buf = plain.to_vec();
        self.seal
            .seal_in_place_append_tag(aws_lc_rs::aead::Nonce::assume_unique_for_key(nonce), aws_lc_rs::aead::Aad::from(context.as_bytes()), &mut buf)
            .map_err(|_| "sealing failed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(out.iter().map(|b| format!("{b:02x}")).collect())
    }

    fn unseal(&self, sealed: &str, context: &str) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        if !sealed.len().is_multiple_of(2) || sealed.len() < 2 * (12 + 16) {
            return None;
        }
        let bytes: Vec<u8> = (0..sealed.len() / 2).map(|i| u8::from_str_radix(sealed.get(2 * i..2 * i + 2)?, 16).ok()).collect::<Option<_>>()?;
        let (nonce, ct) = bytes.split_at(12);
        let nonce = aws_lc_rs::aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = zeroize::Zeroizing::new(ct.to_vec());
        let n = self.seal.open_in_place(nonce, aws_lc_rs::aead::Aad::from(context.as_bytes()), &mut buf).ok()?.len();
        buf.truncate(n);
        Some(buf)
    }
}

/// In-memory throttles of this server process (per source address, and the password hashing
/// gate); account throttles live in the store with the account.
#[derive(Debug)]
pub struct Throttles {
    sources: std::sync::Mutex<SourceThrottles>,
    hashing: HashGate,
    /// Password checks of an account from a device that signed in to it before (its
    /// [`DEVICE_COOKIE`]): one at a time, 16 waiting, apart from everyone else's queue.
    known_devices: HashGate,
}

impl Default for Throttles {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Throttles { sources: std::sync::Mutex::new(SourceThrottles::new(SourceThrottles::DEFAULT_CAPACITY)), hashing: HashGate::new(cores, HashGate::MAX_WAITING), known_devices: HashGate::new(1, 16) }
    }
}

/// Argon2id work, bounded: at most one hash per core at once (each takes about 20 ms of a core
/// and 19 MiB), and a password check that would wait behind more than `max_waiting` others is
/// refused at once rather than queued. A password-guessing flood then costs the server its
/// cores' worth of hashing and a short queue, never unbounded threads or memory; the rest of the
/// server keeps answering.
#[derive(Debug)]
pub(crate) struct HashGate {
    permits: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    max_waiting: usize,
}

impl HashGate {
    /// Password checks allowed to wait for a core.
    pub(crate) const MAX_WAITING: usize = 64;

    pub(crate) fn new(at_once: usize, max_waiting: usize) -> HashGate {
        HashGate { permits: tokio::sync::Semaphore::new(at_once.max(1)), waiting: std::sync::atomic::AtomicUsize::new(0), max_waiting }
    }

    /// Run `f` on the blocking pool once a core is free; `None` when too many already wait (or
    /// the work failed to run).
    pub(crate) async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        /// Leaves the queue when dropped: also when the request is dropped while it waits (the
        /// client went away), or the count would grow until every sign-in is refused.
        struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
            }
        }
        let waiting = Waiting(&self.waiting);
        if self.waiting.fetch_add(1, std::sync::atomic::Ordering::AcqRel) >= self.max_waiting {
            return None;
        }
        let permit = self.permits.acquire().await;
        drop(waiting);
        let _permit = permit.ok()?;
        tokio::task::spawn_blocking(f).await.ok()
    }
}

/// Argon2id work through the server's [`HashGate`]; refused with 429 when the queue is full.
pub(crate) async fn hashing<T: Send + 'static>(app: &App, f: impl FnOnce() -> T + Send + 'static) -> Result<T, Refusal> {
    gated(&app.throttles.hashing, f).await
}

async fn gated<T: Send + 'static>(gate: &HashGate, f: impl FnOnce() -> T + Send + 'static) -> Result<T, Refusal> {
    gate.run(f).await.ok_or(Refusal::Problem(StatusCode::TOO_MANY_REQUESTS, "Too many requests", "the server is busy checking passwords: try again in a moment".into()))
}

/// Who is asking, once authenticated.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Account id.
    pub user_id: i64,
    /// Account name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// A clinician's care unit.
    pub care_unit: Option<String>,
    /// Seconds since the last factor check of this session.
    pub last_auth_at: i64,
    /// The client's address.
    pub source: String,
    /// Set when the request came with an automation token instead of a browser session: what
    /// the token may do is also bounded by its scopes.
    pub token: Option<crate::tokens::AutomationGrant>,
}

/// RFC 9457 problem details (shared with the rest of the server).
pub(crate) fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    crate::problem(status, title, detail)
}

/// Why a sign-in step or a request was refused. The steps and checks are written once; each
/// front end says the refusal its own way (problem+json for the API, a page for the browser).
#[derive(Debug)]
pub(crate) enum Refusal {
    /// No usable session: sign in first.
    Unauthorized,
    /// A factor was wrong, or the account or source is locked: always the same message.
    LoginFailed,
    /// A browser session's change came without its CSRF token.
    Csrf,
    /// The role may not do this (already audited as a denial).
    Forbidden(String),
    /// A sensitive action needs the password and a code again (already audited).
    Reauth,
    /// Anything else the client can act on.
    Problem(StatusCode, &'static str, String),
    /// The server failed; the text goes to its log, never to the client.
    Internal(String),
}

impl Refusal {
    pub(crate) fn internal(e: &dyn std::fmt::Display) -> Refusal {
        Refusal::Internal(e.to_string())
    }

    /// The API's answer.
    pub(crate) fn into_problem(self) -> Response {
        match self {
            Refusal::Unauthorized => problem(StatusCode::UNAUTHORIZED, "Unauthorized", "sign in first"),
            Refusal::LoginFailed => problem(StatusCode::UNAUTHORIZED, "Sign-in failed", GENERIC_LOGIN_ERROR),
            Refusal::Csrf => problem(StatusCode::FORBIDDEN, "Forbidden", "missing or invalid CSRF token"),
            Refusal::Forbidden(detail) => problem(StatusCode::FORBIDDEN, "Forbidden", &detail),
            Refusal::Reauth => problem(StatusCode::UNAUTHORIZED, "Re-authentication required", "confirm your password and code (POST /api/v1/reauth), then retry"),
            Refusal::Problem(status, title, detail) => problem(status, title, &detail),
            Refusal::Internal(e) => crate::internal(&e),
        }
    }
}

impl App {
    /// Record an audit event; a failure to record is logged (the trail's loss is itself news).
    #[allow(clippy::too_many_arguments, reason = "the fields of one audit record, each named at the call site")]
    pub(crate) fn audit(&self, actor_kind: ActorKind, actor: &str, action: &str, subject: &str, outcome: Outcome, source: &str, reason: Option<&str>) {
        let r = AuditRecord {
            time_ms: crate::audit::now_ms(),
            actor_kind,
            actor: actor.to_string(),
            action: action.to_string(),
            subject: subject.to_string(),
            outcome,
            source: Some(source.to_string()),
            reason: reason.map(str::to_string),
        };
        if let Err(e) = self.audit.record(&r) {
            eprintln!("ward server: AUDIT TRAIL WRITE FAILED ({e}); event {action} on {subject} by {actor}");
        }
    }

    /// The signed-in person behind a request, or the response refusing it. A browser session
    /// must carry its CSRF token (`X-CSRF-Token`) on every method but GET and HEAD; a request
    /// with an `Authorization` header is judged by its automation token alone (no cookie, so no
    /// CSRF: a browser never adds that header to a forged request).
    pub(crate) async fn principal(&self, method: &Method, headers: &HeaderMap, peer: SocketAddr) -> Result<Principal, Response> {
        if let Some(auth) = headers.get(header::AUTHORIZATION) {
            return self.token_principal(auth.as_bytes(), peer).await.map_err(Refusal::into_problem);
        }
        let csrf = if matches!(*method, Method::GET | Method::HEAD) { None } else { Some(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("")) };
        self.session_principal(headers, peer, csrf).await.map_err(Refusal::into_problem)
    }

    /// The signed-in person behind a request's session cookie. `csrf`: the token the request
    /// presented for a change (from a header or a form field), `None` for a read.
    pub(crate) async fn session_principal(&self, headers: &HeaderMap, peer: SocketAddr, csrf: Option<&str>) -> Result<Principal, Refusal> {
        let Some(token) = session_token(headers) else { return Err(Refusal::Unauthorized) };
        let hash = token.storage_hash();
        let row = match self.store.session(&hash).await {
            Ok(Some(r)) => r,
            Ok(None) => return Err(Refusal::Unauthorized),
            Err(e) => return Err(Refusal::internal(&e)),
        };
        let now = now_s();
        let times = SessionTimes { created_at: row.created_at / NS, last_seen_at: row.last_seen_at / NS, last_auth_at: row.last_auth_at / NS };
        if row.stage != "full" || ward_auth::session::check_session(&times, now).is_err() {
            if row.stage == "full" {
                let _ = self.store.delete_session(&hash).await;
            }
            return Err(Refusal::Unauthorized);
        }
        let user = match self.store.user(row.user_id).await {
            Ok(Some(u)) if !u.disabled => u,
            Ok(_) => return Err(Refusal::Unauthorized),
            Err(e) => return Err(Refusal::internal(&e)),
        };
        let Some(role) = Role::parse(&user.role) else { return Err(Refusal::Unauthorized) };
        if let Some(presented) = csrf
            && !self.keys.csrf.verify(&token, presented)
        {
            self.audit(ActorKind::User, &user.username, "auth.csrf", "session", Outcome::Denied, &peer.ip().to_string(), Some("missing or wrong CSRF token"));
            return Err(Refusal::Csrf);
        }
        if let Err(e) = self.store.touch_session(&hash).await {
            return Err(Refusal::internal(&e));
        }
        Ok(Principal { user_id: user.id, username: user.username, role, care_unit: user.care_unit, last_auth_at: times.last_auth_at, source: peer.ip().to_string(), token: None })
    }

    /// The person an automation token acts for. Every use is in the audit trail, and so is
    /// every refusal, with the reason (the client is only told "invalid token"): a malformed,
    /// unknown, expired or revoked token, a sensor's token on a person's endpoint, or an owner
    /// who has been disabled.
    async fn token_principal(&self, auth: &[u8], peer: SocketAddr) -> Result<Principal, Refusal> {
        let source = peer.ip().to_string();
        let invalid = |why: &str, public: Option<&str>| {
            let subject = public.map_or_else(|| "token".to_string(), |p| format!("token:{p}"));
            self.audit(ActorKind::User, "(unknown)", "auth.token", &subject, Outcome::Denied, &source, Some(why));
            Refusal::Problem(StatusCode::UNAUTHORIZED, "Unauthorized", "invalid token".into())
        };
        let value = std::str::from_utf8(auth).unwrap_or("");
        let Some(bearer) = value.get(..7).filter(|s| s.eq_ignore_ascii_case("bearer ")).map(|_| value[7..].trim()) else {
            return Err(invalid("not a bearer token", None));
        };
        if bearer.starts_with("ward_s_") {
            return Err(invalid("a sensor's token used on a person's endpoint", None));
        }
        let (verdict, public) = match crate::tokens::verify_automation(&self.store, bearer).await {
            Ok(v) => v,
            Err(e) => return Err(Refusal::internal(&e)),
        };
        let grant = match verdict {
            Ok(g) => g,
            Err(r) => {
                let why = match r {
                    ward_auth::api_token::TokenRefusal::Malformed => "malformed token",
                    ward_auth::api_token::TokenRefusal::Expired => "expired token",
                    ward_auth::api_token::TokenRefusal::Revoked => "revoked token",
                    _ => "unknown token",
                };
                return Err(invalid(why, public.as_deref()));
            }
        };
        let user = match self.store.user(grant.owner_id).await {
            Ok(Some(u)) if !u.disabled => u,
            Ok(_) => return Err(invalid("the token's owner is disabled or gone", Some(&grant.public_id))),
            Err(e) => return Err(Refusal::internal(&e)),
        };
        let Some(role) = Role::parse(&user.role) else { return Err(invalid("the token's owner has no known role", Some(&grant.public_id))) };
        self.audit(ActorKind::User, &user.username, "auth.token", &format!("token:{}", grant.public_id), Outcome::Success, &source, None);
        Ok(Principal { user_id: user.id, username: user.username, role, care_unit: user.care_unit, last_auth_at: 0, source, token: Some(grant) })
    }

    /// The CSRF token of the request's session (for forms), or an empty string without one.
    pub(crate) fn csrf_token(&self, headers: &HeaderMap) -> String {
        session_token(headers).map(|t| self.keys.csrf.token(&t)).unwrap_or_default()
    }

    /// The one authorization check: the role policy, denied by default. A denial is audited
    /// and raised as an unauthorized use.
    pub(crate) fn authorize(&self, p: &Principal, action: Action, resource: Resource, subject: &str) -> Result<(), Response> {
        self.permit(p, action, resource, subject).map_err(Refusal::into_problem)
    }

    /// [`App::authorize`] for every front end: the refusal as a value.
    pub(crate) fn permit(&self, p: &Principal, action: Action, resource: Resource, subject: &str) -> Result<(), Refusal> {
        let role_allows = ward_auth::allowed(p.role, action, resource);
        if let Some(t) = &p.token
            && role_allows
            && !t.scopes.contains(&ward_auth::api_token::Scope { action, resource })
        {
            let what = format!("{}.{}", resource.as_str(), action.as_str());
            self.audit(ActorKind::User, &p.username, &what, subject, Outcome::Denied, &p.source, Some(&format!("token {} has no {what} scope", t.public_id)));
            self.raise_unauthorized_use(&p.username, p.role.as_str(), action.as_str(), resource.as_str(), &p.source);
            return Err(Refusal::Forbidden(format!("this token may not {} {}", action.as_str(), resource.as_str())));
        }
        if role_allows {
            return Ok(());
        }
        let what = format!("{}.{}", resource.as_str(), action.as_str());
        self.audit(ActorKind::User, &p.username, &what, subject, Outcome::Denied, &p.source, Some(&format!("role {} may not {} {}", p.role.as_str(), action.as_str(), resource.as_str())));
        eprintln!("ward server: denied {what} on {subject} to {} ({})", p.username, p.role.as_str());
        self.raise_unauthorized_use(&p.username, p.role.as_str(), action.as_str(), resource.as_str(), &p.source);
        Err(Refusal::Forbidden(format!("your role may not {} {}", action.as_str(), resource.as_str())))
    }

    /// For sensitive actions: the session proved a factor within the last minutes.
    pub(crate) fn require_fresh(&self, p: &Principal, what: &str) -> Result<(), Response> {
        self.fresh(p, what).map_err(Refusal::into_problem)
    }

    /// [`App::require_fresh`] with the refusal as a value.
    /// An automation token passes: it can only hold such a scope for exports, which its owner
    /// granted explicitly at a fresh sign-in ([`ward_auth::api_token::mint`]).
    pub(crate) fn fresh(&self, p: &Principal, what: &str) -> Result<(), Refusal> {
        if p.token.is_some() || ward_auth::session::reauth_fresh(now_s(), p.last_auth_at) {
            return Ok(());
        }
        self.audit(ActorKind::User, &p.username, what, "session", Outcome::Denied, &p.source, Some("re-authentication required"));
        Err(Refusal::Reauth)
    }
}

pub(crate) fn session_token(headers: &HeaderMap) -> Option<SessionToken> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(SessionToken::from_cookie_header)
}

pub(crate) fn with_cookie(mut r: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

fn json(status: StatusCode, v: serde_json::Value) -> Response {
    (status, Json(v)).into_response()
}

/// Make and print-ready the setup token for the first administrator; `None` if accounts exist.
pub async fn issue_setup_token(store: &ward_store::Store) -> Result<Option<String>, crate::ServerError> {
    if store.user_count().await? > 0 {
        return Ok(None);
    }
    let token = SessionToken::generate(&SystemRandomSource::new()).map_err(|e| crate::ServerError::Io(e.to_string()))?;
    store.create_setup_token(&token.storage_hash(), ward_store::now() + SETUP_VALIDITY_S * NS).await?;
    Ok(Some(token.as_str().to_string()))
}

#[derive(Deserialize)]
pub(crate) struct SetupBody {
    token: String,
    username: String,
    password: String,
}

pub(crate) fn valid_username(u: &str) -> bool {
    (2..=64).contains(&u.len()) && u.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
}

/// A new session at stage `password` for `user_id`: the only thing it can do is the second step.
async fn start_session(app: &App, user_id: i64, source: &str) -> Result<SessionToken, Refusal> {
    let token = SessionToken::generate(&SystemRandomSource::new()).map_err(|e| Refusal::internal(&e))?;
    app.store.create_session(&token.storage_hash(), user_id, "password", source).await.map_err(|e| Refusal::internal(&e))?;
    Ok(token)
}

/// The first administrator, with the token the server printed: the account and a session at
/// stage `password` (it enrols its second factor next).
pub(crate) async fn setup_step(app: &App, source: &str, token: &str, username: &str, password: &str) -> Result<SessionToken, Refusal> {
    let forbidden = || Refusal::Problem(StatusCode::FORBIDDEN, "Forbidden", "invalid or used setup token".into());
    let Some(hash) = SessionToken::parse(token.trim()).map(|t| t.storage_hash()) else { return Err(forbidden()) };
    if !valid_username(username) {
        return Err(Refusal::Problem(StatusCode::UNPROCESSABLE_ENTITY, "Invalid user name", "2 to 64 letters, digits, '.', '_', '-' or '@'".into()));
    }
    if let Err(v) = ward_auth::password::check_policy(password, username) {
        return Err(Refusal::Problem(StatusCode::UNPROCESSABLE_ENTITY, "Password refused", v.to_string()));
    }
    match app.store.use_setup_token(&hash).await {
        Ok(true) => {}
        Ok(false) => {
            app.audit(ActorKind::System, "ward", "auth.setup", "user:first-administrator", Outcome::Denied, source, Some("invalid, expired or used setup token"));
            return Err(forbidden());
        }
        Err(e) => return Err(Refusal::internal(&e)),
    }
    let pw = password.to_string();
    let phc = match hashing(app, move || ward_auth::password::hash(&pw, &SystemRandomSource::new())).await? {
        Ok(h) => h,
        Err(e) => return Err(Refusal::internal(&e)),
    };
    let id = app.store.create_user(username, Role::Administrator.as_str(), &phc, None).await.map_err(|e| Refusal::internal(&e))?;
    app.audit(ActorKind::User, username, "user.create", &format!("user:{id}"), Outcome::Success, source, Some("first administrator, by setup token"));
    start_session(app, id, source).await
}

/// `POST /api/v1/setup`: the first administrator, with the token the server printed.
pub(crate) async fn setup(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, crate::Body(b): crate::Body<SetupBody>) -> Response {
    match setup_step(&app, &peer.ip().to_string(), &b.token, &b.username, &b.password).await {
        Ok(token) => with_cookie(json(StatusCode::OK, serde_json::json!({ "next": "enrol" })), &ward_auth::session::session_cookie(&token)),
        Err(r) => r.into_problem(),
    }
}

#[derive(Deserialize)]
pub(crate) struct LoginBody {
    username: String,
    password: String,
}

/// The next step after a good password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NextStep {
    /// A code from the enrolled app (or a recovery code).
    Totp,
    /// First sign-in: enrol the app.
    Enrol,
}

/// The password step: throttles per source and account, the same time and message for an
/// unknown user, and on success a session at stage `password` and a device cookie (the
/// `Set-Cookie` value) for the next sign-ins. `device` is the account the request's device
/// cookie names ([`Keys::device_of`]): its check waits in the known devices' lane when it names
/// this account.
pub(crate) async fn password_step(app: &App, peer: SocketAddr, device: Option<i64>, username: &str, password: &str) -> Result<(SessionToken, NextStep, String), Refusal> {
    let source = peer.ip().to_string();
    let now = now_s();
    {
        let Ok(sources) = app.throttles.sources.lock() else { return Err(Refusal::internal(&"throttle lock")) };
        if let Decision::Locked { .. } = sources.check(peer.ip(), now) {
            drop(sources);
            app.audit(ActorKind::User, "(unknown)", "auth.sign_in", "session", Outcome::Denied, &source, Some("source locked out after repeated failures"));
            return Err(Refusal::LoginFailed);
        }
    }
    let user = app.store.user_by_name(username).await.map_err(|e| Refusal::internal(&e))?;
    let (ok, user) = match user {
        Some(u) if !u.disabled => {
            let state: ThrottleState = serde_json::from_str(&u.throttle).unwrap_or_default();
            if let Decision::Locked { .. } = Throttle::account(state).check(now) {
                app.audit(ActorKind::User, &u.username, "auth.sign_in", &format!("user:{}", u.id), Outcome::Denied, &source, Some("account locked after repeated failures"));
                return Err(Refusal::LoginFailed);
            }
            let (pw, phc) = (password.to_string(), u.password_hash.clone());
            let gate = if device == Some(u.id) { &app.throttles.known_devices } else { &app.throttles.hashing };
            let ok = gated(gate, move || ward_auth::password::verify(&pw, &phc).unwrap_or(false)).await?;
            (ok, Some(u))
        }
        // Unknown or disabled: spend the same time, say the same thing.
        other => {
            let pw = password.to_string();
            let _ = hashing(app, move || ward_auth::password::verify_dummy(&pw)).await?;
            (false, other)
        }
    };
    let outcome = if ok { ward_auth::throttle::Outcome::Success } else { ward_auth::throttle::Outcome::Failure };
    if let Ok(mut s) = app.throttles.sources.lock() {
        // Only failures count against a source; a success does not clear other users' failures.
        if !ok {
            s.record(peer.ip(), outcome, now);
        }
    }
    let Some(user) = user else {
        app.audit(ActorKind::User, "(unknown)", "auth.sign_in", "session", Outcome::Failure, &source, Some("no such user"));
        return Err(Refusal::LoginFailed);
    };
    if !ok {
        let state: ThrottleState = serde_json::from_str(&user.throttle).unwrap_or_default();
        let mut t = Throttle::account(state);
        t.record(outcome, now);
        let _ = app.store.set_throttle(user.id, &serde_json::to_string(&t.state()).unwrap_or_default()).await;
        let why = if user.disabled { "account disabled" } else { "wrong password" };
        app.audit(ActorKind::User, &user.username, "auth.sign_in", &format!("user:{}", user.id), Outcome::Failure, &source, Some(why));
        return Err(Refusal::LoginFailed);
    }
    app.audit(ActorKind::User, &user.username, "auth.password", &format!("user:{}", user.id), Outcome::Success, &source, None);
    let next = if user.totp_enrolled { NextStep::Totp } else { NextStep::Enrol };
    Ok((start_session(app, user.id, &source).await?, next, app.keys.device_cookie(user.id, now)))
}

/// `POST /api/v1/login`: the password. Answers `{"next": "totp"}` or `{"next": "enrol"}`
/// with a session cookie that can do nothing but the second step.
pub(crate) async fn login(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, crate::Body(b): crate::Body<LoginBody>) -> Response {
    let device = app.keys.device_of(&headers, now_s());
    match password_step(&app, peer, device, &b.username, &b.password).await {
        Ok((token, next, device_cookie)) => {
            let next = if next == NextStep::Totp { "totp" } else { "enrol" };
            with_cookie(with_cookie(json(StatusCode::OK, serde_json::json!({ "next": next })), &ward_auth::session::session_cookie(&token)), &device_cookie)
        }
        Err(r) => r.into_problem(),
    }
}

/// The session at stage `password` behind a second-step request, with its account.
pub(crate) async fn pending(app: &App, headers: &HeaderMap) -> Result<(SessionToken, ward_store::UserRow), Refusal> {
    let Some(token) = session_token(headers) else { return Err(Refusal::Unauthorized) };
    let row = match app.store.session(&token.storage_hash()).await {
        Ok(Some(r)) => r,
        Ok(None) => return Err(Refusal::Unauthorized),
        Err(e) => return Err(Refusal::internal(&e)),
    };
    // A half-open session lives five minutes at most.
    if row.stage != "password" || now_s() - row.created_at / NS > 300 {
        return Err(Refusal::Unauthorized);
    }
    match app.store.user(row.user_id).await {
        Ok(Some(u)) if !u.disabled => Ok((token, u)),
        Ok(_) => Err(Refusal::Unauthorized),
        Err(e) => Err(Refusal::internal(&e)),
    }
}

fn already_enrolled() -> Refusal {
    Refusal::Problem(StatusCode::CONFLICT, "Already enrolled", "this account has its second factor".into())
}

/// What the person needs to add the account to an authenticator app.
pub(crate) struct Enrolment {
    /// The otpauth URI.
    pub uri: zeroize::Zeroizing<String>,
    /// The same as a QR code (SVG).
    pub qr_svg: String,
    /// The secret in base32, for typing in by hand.
    pub secret_base32: zeroize::Zeroizing<String>,
}

fn enrolment_of(secret: &TotpSecret, username: &str) -> Enrolment {
    let uri = ward_auth::totp::otpauth_uri(secret, "Ward", username);
    let qr_svg = ward_auth::totp::qr_svg(&uri).map(|s| s.to_string()).unwrap_or_default();
    Enrolment { uri: zeroize::Zeroizing::new(uri.as_str().to_string()), qr_svg, secret_base32: secret.to_base32() }
}

/// A new TOTP secret for an account without one, sealed in the store until confirmed.
pub(crate) async fn enrol_begin(app: &App, user: &ward_store::UserRow) -> Result<Enrolment, Refusal> {
    if user.totp_enrolled {
        return Err(already_enrolled());
    }
    let secret = TotpSecret::generate(&SystemRandomSource::new()).map_err(|e| Refusal::internal(&e))?;
    let sealed = app.keys.seal(secret.as_bytes(), &format!("totp:{}", user.id)).map_err(|e| Refusal::internal(&e))?;
    app.store.begin_totp(user.id, &sealed).await.map_err(|e| Refusal::internal(&e))?;
    Ok(enrolment_of(&secret, &user.username))
}

/// The enrolment already begun (to show it again after a mistyped code).
pub(crate) fn enrolment_pending(app: &App, user: &ward_store::UserRow) -> Option<Enrolment> {
    if user.totp_enrolled {
        return None;
    }
    secret_of(app, user).map(|s| enrolment_of(&s, &user.username))
}

/// `GET /api/v1/login/enrol`: a new TOTP secret for an account without one, as an otpauth URI
/// and a QR code. Shown once; sealed in the store.
pub(crate) async fn enrol_start(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let result = match pending(&app, &headers).await {
        Ok((_, user)) => enrol_begin(&app, &user).await,
        Err(r) => Err(r),
    };
    match result {
        Ok(e) => json(StatusCode::OK, serde_json::json!({ "otpauth_uri": e.uri.as_str(), "qr_svg": e.qr_svg })),
        Err(r) => r.into_problem(),
    }
}

#[derive(Deserialize)]
pub(crate) struct CodeBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    recovery_code: Option<String>,
}

/// The session becomes a full one: the sign-in is complete.
pub(crate) async fn complete(app: &App, token: &SessionToken, user: &ward_store::UserRow, source: &str) -> Result<(), Refusal> {
    app.store.authenticate_session(&token.storage_hash(), "full").await.map_err(|e| Refusal::internal(&e))?;
    let _ = app.store.set_throttle(user.id, "{}").await;
    app.audit(ActorKind::User, &user.username, "auth.sign_in", &format!("user:{}", user.id), Outcome::Success, source, None);
    Ok(())
}

/// The API's answer to a completed sign-in: who, the role and the CSRF token.
pub(crate) fn completed_json(app: &App, token: &SessionToken, user: &ward_store::UserRow, mut body: serde_json::Value) -> Response {
    body["csrf_token"] = serde_json::Value::String(app.keys.csrf.token(token));
    body["username"] = serde_json::Value::String(user.username.clone());
    body["role"] = serde_json::Value::String(user.role.clone());
    json(StatusCode::OK, body)
}

pub(crate) async fn second_factor_failed(app: &App, user: &ward_store::UserRow, source: &str, why: &str) -> Refusal {
    let state: ThrottleState = serde_json::from_str(&user.throttle).unwrap_or_default();
    let mut t = Throttle::account(state);
    t.record(ward_auth::throttle::Outcome::Failure, now_s());
    let _ = app.store.set_throttle(user.id, &serde_json::to_string(&t.state()).unwrap_or_default()).await;
    app.audit(ActorKind::User, &user.username, "auth.mfa", &format!("user:{}", user.id), Outcome::Failure, source, Some(why));
    Refusal::LoginFailed
}

fn secret_of(app: &App, user: &ward_store::UserRow) -> Option<TotpSecret> {
    let sealed = user.totp_sealed.as_deref()?;
    let bytes = app.keys.unseal(sealed, &format!("totp:{}", user.id))?;
    TotpSecret::from_bytes(bytes.to_vec()).ok()
}

/// Confirm the new factor with a first code: the ten recovery codes (to show once), and the
/// sign-in is complete.
pub(crate) async fn enrol_confirm(app: &App, token: &SessionToken, user: &ward_store::UserRow, source: &str, code: &str) -> Result<Vec<String>, Refusal> {
    if user.totp_enrolled {
        return Err(already_enrolled());
    }
    let Some(secret) = secret_of(app, user) else { return Err(Refusal::Problem(StatusCode::CONFLICT, "No enrolment", "start the enrolment first (GET /api/v1/login/enrol)".into())) };
    let step = match ward_auth::totp::verify(&secret, code, now_s(), None) {
        Ok(s) => s,
        Err(why) => return Err(second_factor_failed(app, user, source, &format!("enrolment code refused: {why:?}")).await),
    };
    let codes = ward_auth::recovery::generate(&SystemRandomSource::new()).map_err(|e| Refusal::internal(&e))?;
    app.store.set_recovery_codes(user.id, &codes.stored).await.map_err(|e| Refusal::internal(&e))?;
    app.store.confirm_totp(user.id, i64::try_from(step).unwrap_or(i64::MAX)).await.map_err(|e| Refusal::internal(&e))?;
    app.audit(ActorKind::User, &user.username, "auth.mfa_enrol", &format!("user:{}", user.id), Outcome::Success, source, Some("TOTP"));
    let shown: Vec<String> = codes.shown.iter().map(|c| c.as_str().to_string()).collect();
    complete(app, token, user, source).await?;
    Ok(shown)
}

/// `POST /api/v1/login/enrol`: confirm the new factor with a first code; answers the ten
/// recovery codes (shown once) and completes the sign-in.
pub(crate) async fn enrol_finish(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, crate::Body(b): crate::Body<CodeBody>) -> Response {
    let source = peer.ip().to_string();
    let (token, user) = match pending(&app, &headers).await {
        Ok(x) => x,
        Err(r) => return r.into_problem(),
    };
    match enrol_confirm(&app, &token, &user, &source, b.code.as_deref().unwrap_or("")).await {
        Ok(shown) => completed_json(&app, &token, &user, serde_json::json!({ "recovery_codes": shown })),
        Err(r) => r.into_problem(),
    }
}

/// A second factor is not even tried on an account locked by repeated failures.
pub(crate) fn not_locked(app: &App, user: &ward_store::UserRow, source: &str) -> Result<(), Refusal> {
    let state: ThrottleState = serde_json::from_str(&user.throttle).unwrap_or_default();
    if let Decision::Locked { .. } = Throttle::account(state).check(now_s()) {
        app.audit(ActorKind::User, &user.username, "auth.mfa", &format!("user:{}", user.id), Outcome::Denied, source, Some("account locked after repeated failures"));
        return Err(Refusal::LoginFailed);
    }
    Ok(())
}

/// The second factor: a TOTP code (each accepted once) or a recovery code (each usable once).
/// On success the sign-in is complete; answers how many recovery codes are left when one was
/// used.
pub(crate) async fn second_factor_step(app: &App, token: &SessionToken, user: &ward_store::UserRow, source: &str, code: Option<&str>, recovery_code: Option<&str>) -> Result<Option<usize>, Refusal> {
    not_locked(app, user, source)?;
    if !user.totp_enrolled {
        return Err(Refusal::Problem(StatusCode::CONFLICT, "Enrolment required", "enrol a second factor first".into()));
    }
    if let Some(rc) = recovery_code {
        let stored = app.store.unused_recovery_codes(user.id).await.map_err(|e| Refusal::internal(&e))?;
        let spent = match ward_auth::recovery::find(rc, &stored) {
            Some(i) => app.store.use_recovery_code(user.id, &stored[i]).await.unwrap_or(false),
            None => false,
        };
        if !spent {
            return Err(second_factor_failed(app, user, source, "recovery code refused").await);
        }
        let left = stored.len().saturating_sub(1);
        app.audit(ActorKind::User, &user.username, "auth.recovery_code", &format!("user:{}", user.id), Outcome::Success, source, Some(&format!("{left} left")));
        complete(app, token, user, source).await?;
        return Ok(Some(left));
    }
    let Some(secret) = secret_of(app, user) else { return Err(Refusal::internal(&"a sealed TOTP secret does not open with this server's key")) };
    let last = user.totp_last_step.and_then(|s| u64::try_from(s).ok());
    let step = match ward_auth::totp::verify(&secret, code.unwrap_or(""), now_s(), last) {
        Ok(s) => s,
        Err(why) => return Err(second_factor_failed(app, user, source, &format!("TOTP code refused: {why:?}")).await),
    };
    // One statement decides, so two replicas cannot both accept the same code.
    match app.store.use_totp_step(user.id, i64::try_from(step).unwrap_or(i64::MAX)).await {
        Ok(true) => complete(app, token, user, source).await.map(|()| None),
        Ok(false) => Err(second_factor_failed(app, user, source, "TOTP code refused: Reused").await),
        Err(e) => Err(Refusal::internal(&e)),
    }
}

/// `POST /api/v1/login/totp`: the second factor, a TOTP code (each accepted once) or a
/// recovery code (each usable once).
pub(crate) async fn second_factor(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, crate::Body(b): crate::Body<CodeBody>) -> Response {
    let source = peer.ip().to_string();
    let (token, user) = match pending(&app, &headers).await {
        Ok(x) => x,
        Err(r) => return r.into_problem(),
    };
    match second_factor_step(&app, &token, &user, &source, b.code.as_deref(), b.recovery_code.as_deref()).await {
        Ok(Some(left)) => completed_json(&app, &token, &user, serde_json::json!({ "recovery_codes_left": left })),
        Ok(None) => completed_json(&app, &token, &user, serde_json::json!({})),
        Err(r) => r.into_problem(),
    }
}

/// End this session, or every session of the account.
pub(crate) async fn sign_out(app: &App, p: &Principal, headers: &HeaderMap, everywhere: bool) -> Result<(), Refusal> {
    let result = if everywhere {
        app.store.delete_user_sessions(p.user_id).await.map(|_| ())
    } else {
        match session_token(headers) {
            Some(t) => app.store.delete_session(&t.storage_hash()).await,
            None => Ok(()),
        }
    };
    result.map_err(|e| Refusal::internal(&e))?;
    app.audit(ActorKind::User, &p.username, if everywhere { "auth.sign_out_everywhere" } else { "auth.sign_out" }, &format!("user:{}", p.user_id), Outcome::Success, &p.source, None);
    Ok(())
}

/// `POST /api/v1/logout`: end this session. `POST /api/v1/logout?everywhere=1`: every session
/// of the account.
pub(crate) async fn logout(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, q: axum::extract::Query<std::collections::HashMap<String, String>>) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if p.token.is_some() {
        return problem(StatusCode::FORBIDDEN, "Forbidden", "a token has no session to end: revoke it instead (DELETE /api/v1/tokens/{id})");
    }
    let everywhere = q.get("everywhere").is_some_and(|v| v == "1");
    match sign_out(&app, &p, &headers, everywhere).await {
        Ok(()) => with_cookie(StatusCode::NO_CONTENT.into_response(), &ward_auth::session::clear_session_cookie()),
        Err(r) => r.into_problem(),
    }
}

#[derive(Deserialize)]
pub(crate) struct ReauthBody {
    password: String,
    code: String,
}

/// Password and a fresh code again, before a sensitive action.
pub(crate) async fn reauth_step(app: &App, p: &Principal, headers: &HeaderMap, password: &str, code: &str) -> Result<(), Refusal> {
    let user = match app.store.user(p.user_id).await {
        Ok(Some(u)) => u,
        Ok(None) => return Err(Refusal::Unauthorized),
        Err(e) => return Err(Refusal::internal(&e)),
    };
    let (pw, phc) = (password.to_string(), user.password_hash.clone());
    let ok_pw = hashing(app, move || ward_auth::password::verify(&pw, &phc).unwrap_or(false)).await?;
    let step = secret_of(app, &user).and_then(|s| ward_auth::totp::verify(&s, code, now_s(), user.totp_last_step.and_then(|x| u64::try_from(x).ok())).ok());
    let fresh = match (ok_pw, step) {
        (true, Some(step)) => app.store.use_totp_step(user.id, i64::try_from(step).unwrap_or(i64::MAX)).await.unwrap_or(false),
        _ => false,
    };
    if !fresh {
        return Err(second_factor_failed(app, &user, &p.source, "re-authentication refused").await);
    }
    if let Some(t) = session_token(headers) {
        let _ = app.store.authenticate_session(&t.storage_hash(), "full").await;
    }
    app.audit(ActorKind::User, &p.username, "auth.reauth", &format!("user:{}", p.user_id), Outcome::Success, &p.source, None);
    Ok(())
}

/// `POST /api/v1/reauth`: password and a fresh code again, before a sensitive action.
pub(crate) async fn reauth(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, crate::Body(b): crate::Body<ReauthBody>) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if p.token.is_some() {
        return problem(StatusCode::FORBIDDEN, "Forbidden", "re-authentication is for a person's browser session, not a token");
    }
    match reauth_step(&app, &p, &headers, &b.password, &b.code).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r.into_problem(),
    }
}

/// `GET /api/v1/me`: who I am, and my CSRF token.
pub(crate) async fn me(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let csrf = app.csrf_token(&headers);
    json(StatusCode::OK, serde_json::json!({ "username": p.username, "role": p.role.as_str(), "csrf_token": csrf }))
}

#[cfg(test)]
mod gate_tests {
    use super::HashGate;
    use std::sync::Arc;

    /// One hash at a time and one waiting: of three at once, the third is refused, and once
    /// they are done the gate lets the next one through.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_gate_bounds_work_and_queue() {
        let gate = Arc::new(HashGate::new(1, 1));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        let slow = |rx: Arc<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>| move || rx.lock().map(|r| r.recv_timeout(std::time::Duration::from_secs(10)).is_ok()).unwrap_or(false);
        let first = tokio::spawn({
            let (g, rx) = (gate.clone(), rx.clone());
            async move { g.run(slow(rx)).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let second = tokio::spawn({
            let (g, rx) = (gate.clone(), rx.clone());
            async move { g.run(slow(rx)).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(gate.run(|| true).await, None, "a third is refused while one runs and one waits");
        tx.send(()).expect("release the first");
        tx.send(()).expect("release the second");
        assert_eq!(first.await.expect("joined"), Some(true));
        assert_eq!(second.await.expect("joined"), Some(true));
        assert_eq!(gate.run(|| 7).await, Some(7), "free again");
        // A request dropped while it waits (its client went away) leaves the queue.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        let busy = tokio::spawn({
            let (g, rx) = (gate.clone(), rx.clone());
            async move { g.run(slow(rx)).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        for _ in 0..3 {
            let waiter = tokio::spawn({
                let g = gate.clone();
                async move { g.run(|| 0).await }
            });
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            waiter.abort();
            let _ = waiter.await;
        }
        tx.send(()).expect("release");
        assert_eq!(busy.await.expect("joined"), Some(true));
        assert_eq!(gate.run(|| 8).await, Some(8), "the dropped waiters left no place taken");
    }
}

#[cfg(test)]
mod device_cookie_tests {
    use super::{DEVICE_COOKIE, Keys};
    use axum::http::{HeaderMap, HeaderValue, header};

    fn sent(set_cookie: &str, extra: &str) -> HeaderMap {
        let pair = set_cookie.split(';').next().unwrap_or_default();
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(&format!("a=b; {pair}{extra}")).unwrap_or(HeaderValue::from_static("")));
        h
    }

    /// A device cookie names the account it was issued for while it is younger than 90 days and
    /// signed by this deployment's key; a changed account, time or tag, another deployment's
    /// cookie, an expired one or none at all names no account.
    #[test]
    fn a_device_cookie_names_its_account_only_when_genuine_and_fresh() {
        let dir = std::env::temp_dir().join(format!("ward-device-cookie-{}", std::process::id()));
        let other_dir = dir.join("other");
        let keys = Keys::load(&dir).expect("keys");
        let other = Keys::load(&other_dir).expect("other keys");
        let now = 1_800_000_000;
        let c = keys.device_cookie(7, now);
        assert!(c.starts_with(&format!("{DEVICE_COOKIE}=7.{now}.")) && c.contains("Secure") && c.contains("HttpOnly") && c.contains("SameSite=Strict"), "{c}");
        assert_eq!(keys.device_of(&sent(&c, ""), now + 60), Some(7));
        assert_eq!(keys.device_of(&sent(&c, "; z=1"), now + 89 * 86_400), Some(7), "among other cookies, within 90 days");
        assert_eq!(keys.device_of(&sent(&c, ""), now + 91 * 86_400), None, "expired");
        assert_eq!(keys.device_of(&sent(&c, ""), now - 10), None, "issued in the future");
        assert_eq!(other.device_of(&sent(&c, ""), now), None, "another deployment's key");
        assert_eq!(keys.device_of(&sent(&c.replacen("=7.", "=8.", 1), ""), now), None, "another account");
        assert_eq!(keys.device_of(&sent(&c.replacen(&format!(".{now}."), &format!(".{}.", now + 1), 1), ""), now), None, "another time");
        let pair = c.split(';').next().unwrap_or_default().to_string();
        let last = pair.chars().last().unwrap_or('0');
        let flipped = format!("{}{}", &pair[..pair.len() - 1], if last == '0' { '1' } else { '0' });
        assert_eq!(keys.device_of(&sent(&flipped, ""), now), None, "a changed tag");
        let tag = "0".repeat(64);
        for junk in ["", "x", "7.1.zz", "7..", &format!("{DEVICE_COOKIE}=7.{now}."), &format!("{DEVICE_COOKIE}=7.{}.{tag}", i64::MIN), &format!("{DEVICE_COOKIE}=7.{}.{tag}", i64::MAX), &format!("{DEVICE_COOKIE}=7.{now}.{}", "é".repeat(32))] {
            assert_eq!(keys.device_of(&sent(junk, ""), now), None, "{junk}");
        }
        assert_eq!(keys.device_of(&HeaderMap::new(), now), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
