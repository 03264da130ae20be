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
/// share these files.
pub struct Keys {
    seal: aws_lc_rs::aead::LessSafeKey,
    /// CSRF tokens.
    pub csrf: CsrfKey,
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
        Ok(Keys { seal: aws_lc_rs::aead::LessSafeKey::new(unbound), csrf: CsrfKey::from_bytes(&csrf) })
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

/// In-memory throttles of this server process (per source address); account throttles live
/// in the store with the account.
#[derive(Debug)]
pub struct Throttles {
    sources: std::sync::Mutex<SourceThrottles>,
}

impl Default for Throttles {
    fn default() -> Self {
        Throttles { sources: std::sync::Mutex::new(SourceThrottles::new(SourceThrottles::DEFAULT_CAPACITY)) }
    }
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
}

/// RFC 9457 problem details (shared with the rest of the server).
pub(crate) fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    crate::problem(status, title, detail)
}

fn unauthorized() -> Response {
    problem(StatusCode::UNAUTHORIZED, "Unauthorized", "sign in first")
}

fn login_failed() -> Response {
    problem(StatusCode::UNAUTHORIZED, "Sign-in failed", GENERIC_LOGIN_ERROR)
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
    /// must carry its CSRF token on every method but GET and HEAD.
    pub(crate) async fn principal(&self, method: &Method, headers: &HeaderMap, peer: SocketAddr) -> Result<Principal, Response> {
        let Some(token) = session_token(headers) else { return Err(unauthorized()) };
        let hash = token.storage_hash();
        let row = match self.store.session(&hash).await {
            Ok(Some(r)) => r,
            Ok(None) => return Err(unauthorized()),
            Err(e) => return Err(crate::internal(&e)),
        };
        let now = now_s();
        let times = SessionTimes { created_at: row.created_at / NS, last_seen_at: row.last_seen_at / NS, last_auth_at: row.last_auth_at / NS };
        if row.stage != "full" || ward_auth::session::check_session(&times, now).is_err() {
            if row.stage == "full" {
                let _ = self.store.delete_session(&hash).await;
            }
            return Err(unauthorized());
        }
        let user = match self.store.user(row.user_id).await {
            Ok(Some(u)) if !u.disabled => u,
            Ok(_) => return Err(unauthorized()),
            Err(e) => return Err(crate::internal(&e)),
        };
        let Some(role) = Role::parse(&user.role) else { return Err(unauthorized()) };
        if !matches!(*method, Method::GET | Method::HEAD) {
            let presented = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
            if !self.keys.csrf.verify(&token, presented) {
                self.audit(ActorKind::User, &user.username, "auth.csrf", "session", Outcome::Denied, &peer.ip().to_string(), Some("missing or wrong CSRF token"));
                return Err(problem(StatusCode::FORBIDDEN, "Forbidden", "missing or invalid CSRF token"));
            }
        }
        if let Err(e) = self.store.touch_session(&hash).await {
            return Err(crate::internal(&e));
        }
        Ok(Principal { user_id: user.id, username: user.username, role, care_unit: user.care_unit, last_auth_at: times.last_auth_at, source: peer.ip().to_string() })
    }

    /// The one authorization check: the role policy, denied by default. A denial is audited
    /// and raised as an unauthorized use.
    pub(crate) fn authorize(&self, p: &Principal, action: Action, resource: Resource, subject: &str) -> Result<(), Response> {
        if ward_auth::allowed(p.role, action, resource) {
            return Ok(());
        }
        let what = format!("{}.{}", resource.as_str(), action.as_str());
        self.audit(ActorKind::User, &p.username, &what, subject, Outcome::Denied, &p.source, Some(&format!("role {} may not {} {}", p.role.as_str(), action.as_str(), resource.as_str())));
        eprintln!("ward server: denied {what} on {subject} to {} ({})", p.username, p.role.as_str());
        self.raise_unauthorized_use(&p.username, p.role.as_str(), action.as_str(), resource.as_str(), &p.source);
        Err(problem(StatusCode::FORBIDDEN, "Forbidden", &format!("your role may not {} {}", action.as_str(), resource.as_str())))
    }

    /// For sensitive actions: the session proved a factor within the last minutes.
    pub(crate) fn require_fresh(&self, p: &Principal, what: &str) -> Result<(), Response> {
        if ward_auth::session::reauth_fresh(now_s(), p.last_auth_at) {
            return Ok(());
        }
        self.audit(ActorKind::User, &p.username, what, "session", Outcome::Denied, &p.source, Some("re-authentication required"));
        Err(problem(StatusCode::UNAUTHORIZED, "Re-authentication required", "confirm your password and code (POST /api/v1/reauth), then retry"))
    }
}

fn session_token(headers: &HeaderMap) -> Option<SessionToken> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(SessionToken::from_cookie_header)
}

fn with_cookie(mut r: Response, cookie: &str) -> Response {
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

fn valid_username(u: &str) -> bool {
    (2..=64).contains(&u.len()) && u.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
}

/// Start a session at stage `password` for `user_id` and answer with its cookie.
async fn start_session(app: &App, user_id: i64, source: &str, body: serde_json::Value) -> Response {
    let token = match SessionToken::generate(&SystemRandomSource::new()) {
        Ok(t) => t,
        Err(e) => return crate::internal(&e),
    };
    if let Err(e) = app.store.create_session(&token.storage_hash(), user_id, "password", source).await {
        return crate::internal(&e);
    }
    with_cookie(json(StatusCode::OK, body), &ward_auth::session::session_cookie(&token))
}

/// `POST /api/v1/setup`: the first administrator, with the token the server printed.
pub(crate) async fn setup(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, Json(b): Json<SetupBody>) -> Response {
    let source = peer.ip().to_string();
    let hash = match SessionToken::parse(b.token.trim()) {
        Some(t) => t.storage_hash(),
        None => return problem(StatusCode::FORBIDDEN, "Forbidden", "invalid or used setup token"),
    };
    if !valid_username(&b.username) {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "Invalid user name", "2 to 64 letters, digits, '.', '_', '-' or '@'");
    }
    if let Err(v) = ward_auth::password::check_policy(&b.password, &b.username) {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "Password refused", &v.to_string());
    }
    match app.store.use_setup_token(&hash).await {
        Ok(true) => {}
        Ok(false) => {
            app.audit(ActorKind::System, "ward", "auth.setup", "user:(first administrator)", Outcome::Denied, &source, Some("invalid, expired or used setup token"));
            return problem(StatusCode::FORBIDDEN, "Forbidden", "invalid or used setup token");
        }
        Err(e) => return crate::internal(&e),
    }
    let pw = b.password.clone();
    let phc = match tokio::task::spawn_blocking(move || ward_auth::password::hash(&pw, &SystemRandomSource::new())).await {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return crate::internal(&e),
        Err(e) => return crate::internal(&e),
    };
    let id = match app.store.create_user(&b.username, Role::Administrator.as_str(), &phc, None).await {
        Ok(id) => id,
        Err(e) => return crate::internal(&e),
    };
    app.audit(ActorKind::User, &b.username, "user.create", &format!("user:{id}"), Outcome::Success, &source, Some("first administrator, by setup token"));
    start_session(&app, id, &source, serde_json::json!({ "next": "enrol" })).await
}

#[derive(Deserialize)]
pub(crate) struct LoginBody {
    username: String,
    password: String,
}

/// `POST /api/v1/login`: the password. Answers `{"next": "totp"}` or `{"next": "enrol"}`
/// with a session cookie that can do nothing but the second step.
pub(crate) async fn login(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, Json(b): Json<LoginBody>) -> Response {
    let source = peer.ip().to_string();
    let now = now_s();
    {
        let Ok(sources) = app.throttles.sources.lock() else { return crate::internal(&"throttle lock") };
        if let Decision::Locked { .. } = sources.check(peer.ip(), now) {
            drop(sources);
            app.audit(ActorKind::User, "(unknown)", "auth.sign_in", "session", Outcome::Denied, &source, Some("source locked out after repeated failures"));
            return login_failed();
        }
    }
    let user = match app.store.user_by_name(&b.username).await {
        Ok(u) => u,
        Err(e) => return crate::internal(&e),
    };
    let (ok, user) = match user {
        Some(u) if !u.disabled => {
            let state: ThrottleState = serde_json::from_str(&u.throttle).unwrap_or_default();
            if let Decision::Locked { .. } = Throttle::account(state).check(now) {
                app.audit(ActorKind::User, &u.username, "auth.sign_in", &format!("user:{}", u.id), Outcome::Denied, &source, Some("account locked after repeated failures"));
                return login_failed();
            }
            let (pw, phc) = (b.password.clone(), u.password_hash.clone());
            let ok = tokio::task::spawn_blocking(move || ward_auth::password::verify(&pw, &phc).unwrap_or(false)).await.unwrap_or(false);
            (ok, Some(u))
        }
        // Unknown or disabled: spend the same time, say the same thing.
        other => {
            let pw = b.password.clone();
            let _ = tokio::task::spawn_blocking(move || ward_auth::password::verify_dummy(&pw)).await;
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
        return login_failed();
    };
    if !ok {
        let state: ThrottleState = serde_json::from_str(&user.throttle).unwrap_or_default();
        let mut t = Throttle::account(state);
        t.record(outcome, now);
        let _ = app.store.set_throttle(user.id, &serde_json::to_string(&t.state()).unwrap_or_default()).await;
        let why = if user.disabled { "account disabled" } else { "wrong password" };
        app.audit(ActorKind::User, &user.username, "auth.sign_in", &format!("user:{}", user.id), Outcome::Failure, &source, Some(why));
        return login_failed();
    }
    app.audit(ActorKind::User, &user.username, "auth.password", &format!("user:{}", user.id), Outcome::Success, &source, None);
    let next = if user.totp_enrolled { "totp" } else { "enrol" };
    start_session(&app, user.id, &source, serde_json::json!({ "next": next })).await
}

/// The session at stage `password` behind a second-step request, with its account.
async fn pending(app: &App, headers: &HeaderMap) -> Result<(SessionToken, ward_store::UserRow), Response> {
    let Some(token) = session_token(headers) else { return Err(unauthorized()) };
    let row = match app.store.session(&token.storage_hash()).await {
        Ok(Some(r)) => r,
        Ok(None) => return Err(unauthorized()),
        Err(e) => return Err(crate::internal(&e)),
    };
    // A half-open session lives five minutes at most.
    if row.stage != "password" || now_s() - row.created_at / NS > 300 {
        return Err(unauthorized());
    }
    match app.store.user(row.user_id).await {
        Ok(Some(u)) if !u.disabled => Ok((token, u)),
        Ok(_) => Err(unauthorized()),
        Err(e) => Err(crate::internal(&e)),
    }
}

/// `GET /api/v1/login/enrol`: a new TOTP secret for an account without one, as an otpauth URI
/// and a QR code. Shown once; sealed in the store.
pub(crate) async fn enrol_start(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let (_, user) = match pending(&app, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if user.totp_enrolled {
        return problem(StatusCode::CONFLICT, "Already enrolled", "this account has its second factor");
    }
    let secret = match TotpSecret::generate(&SystemRandomSource::new()) {
        Ok(s) => s,
        Err(e) => return crate::internal(&e),
    };
    let sealed = match app.keys.seal(secret.as_bytes(), &format!("totp:{}", user.id)) {
        Ok(s) => s,
        Err(e) => return crate::internal(&e),
    };
    if let Err(e) = app.store.begin_totp(user.id, &sealed).await {
        return crate::internal(&e);
    }
    let uri = ward_auth::totp::otpauth_uri(&secret, "Ward", &user.username);
    let svg = ward_auth::totp::qr_svg(&uri).map(|s| s.to_string()).unwrap_or_default();
    json(StatusCode::OK, serde_json::json!({ "otpauth_uri": uri.as_str(), "qr_svg": svg }))
}

#[derive(Deserialize)]
pub(crate) struct CodeBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    recovery_code: Option<String>,
}

async fn complete(app: &App, token: &SessionToken, user: &ward_store::UserRow, source: &str, mut body: serde_json::Value) -> Response {
    if let Err(e) = app.store.authenticate_session(&token.storage_hash(), "full").await {
        return crate::internal(&e);
    }
    let _ = app.store.set_throttle(user.id, "{}").await;
    body["csrf_token"] = serde_json::Value::String(app.keys.csrf.token(token));
    body["username"] = serde_json::Value::String(user.username.clone());
    body["role"] = serde_json::Value::String(user.role.clone());
    app.audit(ActorKind::User, &user.username, "auth.sign_in", &format!("user:{}", user.id), Outcome::Success, source, None);
    json(StatusCode::OK, body)
}

async fn second_factor_failed(app: &App, user: &ward_store::UserRow, source: &str, why: &str) -> Response {
    let state: ThrottleState = serde_json::from_str(&user.throttle).unwrap_or_default();
    let mut t = Throttle::account(state);
    t.record(ward_auth::throttle::Outcome::Failure, now_s());
    let _ = app.store.set_throttle(user.id, &serde_json::to_string(&t.state()).unwrap_or_default()).await;
    app.audit(ActorKind::User, &user.username, "auth.mfa", &format!("user:{}", user.id), Outcome::Failure, source, Some(why));
    login_failed()
}

fn secret_of(app: &App, user: &ward_store::UserRow) -> Option<TotpSecret> {
    let sealed = user.totp_sealed.as_deref()?;
    let bytes = app.keys.unseal(sealed, &format!("totp:{}", user.id))?;
    TotpSecret::from_bytes(bytes.to_vec()).ok()
}

/// `POST /api/v1/login/enrol`: confirm the new factor with a first code; answers the ten
/// recovery codes (shown once) and completes the sign-in.
pub(crate) async fn enrol_finish(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Json(b): Json<CodeBody>) -> Response {
    let source = peer.ip().to_string();
    let (token, user) = match pending(&app, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if user.totp_enrolled {
        return problem(StatusCode::CONFLICT, "Already enrolled", "this account has its second factor");
    }
    let Some(secret) = secret_of(&app, &user) else { return problem(StatusCode::CONFLICT, "No enrolment", "start the enrolment first (GET /api/v1/login/enrol)") };
    let step = match ward_auth::totp::verify(&secret, b.code.as_deref().unwrap_or(""), now_s(), None) {
        Ok(s) => s,
        Err(why) => return second_factor_failed(&app, &user, &source, &format!("enrolment code refused: {why:?}")).await,
    };
    let codes = match ward_auth::recovery::generate(&SystemRandomSource::new()) {
        Ok(c) => c,
        Err(e) => return crate::internal(&e),
    };
    if let Err(e) = app.store.set_recovery_codes(user.id, &codes.stored).await {
        return crate::internal(&e);
    }
    if let Err(e) = app.store.confirm_totp(user.id, i64::try_from(step).unwrap_or(i64::MAX)).await {
        return crate::internal(&e);
    }
    app.audit(ActorKind::User, &user.username, "auth.mfa_enrol", &format!("user:{}", user.id), Outcome::Success, &source, Some("TOTP"));
    let shown: Vec<&str> = codes.shown.iter().map(|c| c.as_str()).collect();
    complete(&app, &token, &user, &source, serde_json::json!({ "recovery_codes": shown })).await
}

/// `POST /api/v1/login/totp`: the second factor, a TOTP code (each accepted once) or a
/// recovery code (each usable once).
pub(crate) async fn second_factor(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Json(b): Json<CodeBody>) -> Response {
    let source = peer.ip().to_string();
    let (token, user) = match pending(&app, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let state: ThrottleState = serde_json::from_str(&user.throttle).unwrap_or_default();
    if let Decision::Locked { .. } = Throttle::account(state).check(now_s()) {
        app.audit(ActorKind::User, &user.username, "auth.mfa", &format!("user:{}", user.id), Outcome::Denied, &source, Some("account locked after repeated failures"));
        return login_failed();
    }
    if !user.totp_enrolled {
        return problem(StatusCode::CONFLICT, "Enrolment required", "enrol a second factor first");
    }
    if let Some(rc) = b.recovery_code.as_deref() {
        let stored = match app.store.unused_recovery_codes(user.id).await {
            Ok(s) => s,
            Err(e) => return crate::internal(&e),
        };
        let spent = match ward_auth::recovery::find(rc, &stored) {
            Some(i) => app.store.use_recovery_code(user.id, &stored[i]).await.unwrap_or(false),
            None => false,
        };
        if !spent {
            return second_factor_failed(&app, &user, &source, "recovery code refused").await;
        }
        let left = stored.len().saturating_sub(1);
        app.audit(ActorKind::User, &user.username, "auth.recovery_code", &format!("user:{}", user.id), Outcome::Success, &source, Some(&format!("{left} left")));
        return complete(&app, &token, &user, &source, serde_json::json!({ "recovery_codes_left": left })).await;
    }
    let Some(secret) = secret_of(&app, &user) else { return crate::internal(&"a sealed TOTP secret does not open with this server's key") };
    let last = user.totp_last_step.and_then(|s| u64::try_from(s).ok());
    let step = match ward_auth::totp::verify(&secret, b.code.as_deref().unwrap_or(""), now_s(), last) {
        Ok(s) => s,
        Err(why) => return second_factor_failed(&app, &user, &source, &format!("TOTP code refused: {why:?}")).await,
    };
    // One statement decides, so two replicas cannot both accept the same code.
    match app.store.use_totp_step(user.id, i64::try_from(step).unwrap_or(i64::MAX)).await {
        Ok(true) => complete(&app, &token, &user, &source, serde_json::json!({})).await,
        Ok(false) => second_factor_failed(&app, &user, &source, "TOTP code refused: Reused").await,
        Err(e) => crate::internal(&e),
    }
}

/// `POST /api/v1/logout`: end this session. `POST /api/v1/logout?everywhere=1`: every session
/// of the account.
pub(crate) async fn logout(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, q: axum::extract::Query<std::collections::HashMap<String, String>>) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let everywhere = q.get("everywhere").is_some_and(|v| v == "1");
    let result = if everywhere {
        app.store.delete_user_sessions(p.user_id).await.map(|_| ())
    } else {
        match session_token(&headers) {
            Some(t) => app.store.delete_session(&t.storage_hash()).await,
            None => Ok(()),
        }
    };
    if let Err(e) = result {
        return crate::internal(&e);
    }
    app.audit(ActorKind::User, &p.username, if everywhere { "auth.sign_out_everywhere" } else { "auth.sign_out" }, &format!("user:{}", p.user_id), Outcome::Success, &p.source, None);
    with_cookie(StatusCode::NO_CONTENT.into_response(), &ward_auth::session::clear_session_cookie())
}

#[derive(Deserialize)]
pub(crate) struct ReauthBody {
    password: String,
    code: String,
}

/// `POST /api/v1/reauth`: password and a fresh code again, before a sensitive action.
pub(crate) async fn reauth(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, Json(b): Json<ReauthBody>) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let user = match app.store.user(p.user_id).await {
        Ok(Some(u)) => u,
        Ok(None) => return unauthorized(),
        Err(e) => return crate::internal(&e),
    };
    let phc = user.password_hash.clone();
    let ok_pw = tokio::task::spawn_blocking(move || ward_auth::password::verify(&b.password, &phc).unwrap_or(false)).await.unwrap_or(false);
    let step = secret_of(&app, &user).and_then(|s| ward_auth::totp::verify(&s, &b.code, now_s(), user.totp_last_step.and_then(|x| u64::try_from(x).ok())).ok());
    let fresh = match (ok_pw, step) {
        (true, Some(step)) => app.store.use_totp_step(user.id, i64::try_from(step).unwrap_or(i64::MAX)).await.unwrap_or(false),
        _ => false,
    };
    if !fresh {
        return second_factor_failed(&app, &user, &p.source, "re-authentication refused").await;
    }
    if let Some(t) = session_token(&headers) {
        let _ = app.store.authenticate_session(&t.storage_hash(), "full").await;
    }
    app.audit(ActorKind::User, &p.username, "auth.reauth", &format!("user:{}", p.user_id), Outcome::Success, &p.source, None);
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /api/v1/me`: who I am, and my CSRF token.
pub(crate) async fn me(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let csrf = session_token(&headers).map(|t| app.keys.csrf.token(&t)).unwrap_or_default();
    json(StatusCode::OK, serde_json::json!({ "username": p.username, "role": p.role.as_str(), "csrf_token": csrf }))
}
