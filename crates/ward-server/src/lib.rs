//! `ward server`: the inventory and findings service. What exists today: HTTPS by default (a
//! self-signed certificate made on first start, or the operator's), the store (SQLite under the
//! data directory, or PostgreSQL), sensor tokens, the sensor ingest endpoint, health and
//! readiness, problem+json errors, security headers, graceful shutdown. Users, MFA, roles, the
//! rest of the API and the web UI are the next steps (see the issue's note).

pub mod audit;
mod api;
pub mod auth;
pub mod metrics;
mod tls;
pub mod tokens;
mod token_api;
mod passkeys;
mod remediation;
mod scores;
pub mod uplink;
mod web;

pub use tls::CertSource;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use ward_model::report::AnalyzeReport;
use ward_store::Store;

/// Largest report a sensor may upload in one batch.
pub const MAX_BATCH_BYTES: usize = 64 << 20;

/// What stops the server, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A file or directory.
    #[error("{0}")]
    Io(String),
    /// TLS set-up.
    #[error("TLS: {0}")]
    Tls(String),
    /// The store.
    #[error(transparent)]
    Store(#[from] ward_store::StoreError),
    /// A request the server refuses.
    #[error("{0}")]
    Invalid(String),
}

impl ServerError {
    pub(crate) fn io(path: &Path, e: &std::io::Error) -> ServerError {
        ServerError::Io(format!("{}: {e}", path.display()))
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the SQLite database, the certificate and later the ledger live.
    pub data_dir: PathBuf,
    /// A PostgreSQL URL instead of the SQLite file.
    pub database: Option<String>,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// HTTPS certificate; `None` with `insecure_http` serves plain HTTP.
    pub tls: Option<CertSource>,
    /// Where to serve Prometheus metrics (plain HTTP, counts only); off when `None`.
    pub metrics: Option<SocketAddr>,
    /// A directory on another volume that receives a copy of every ledger checkpoint (what
    /// makes a rollback of the data directory detectable).
    pub ledger_witness: Option<PathBuf>,
    /// CSAF advisories (a directory or a file) to match every uploaded report against: the
    /// devices they affect get `known-vulnerability` findings.
    pub advisories: Option<PathBuf>,
    /// CISA's Known Exploited Vulnerabilities catalog (JSON), with `advisories`.
    pub kev: Option<PathBuf>,
    /// The address people open in their browser (`https://ward.hospital.example:8443`): the
    /// relying party of security keys and passkeys. Without it, the self-signed certificate's
    /// first host name on any port; passkeys are off with an operator's certificate.
    pub public_url: Option<String>,
}

/// Load the advisories (skipping, with a warning, the documents that do not validate).
fn load_intel(advisories: &Path, kev: Option<&Path>) -> Result<ward_intel::matcher::Knowledge, ServerError> {
    if !advisories.exists() {
        return Err(ServerError::Io(format!("no advisories at {}", advisories.display())));
    }
    let (ok, errors) = ward_intel::csaf::load_path(advisories);
    for e in &errors {
        eprintln!("ward server: advisory skipped: {}: {}", e.path.display(), e.reason);
    }
    let n = ok.len();
    let mut k = ward_intel::matcher::Knowledge::new(ok, ward_intel::names::Aliases::shipped());
    if let Some(p) = kev {
        k.kev = Some(ward_intel::kev::Kev::load(p).map_err(ServerError::Io)?.0);
    }
    eprintln!("ward server: {n} advisories loaded; uploaded reports are matched against them");
    Ok(k)
}

/// The data directory, owner-only, and the store URL it implies.
pub fn prepare(data_dir: &Path, database: Option<&str>) -> Result<String, ServerError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(data_dir).map_err(|e| ServerError::io(data_dir, &e))?;
    std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| ServerError::io(data_dir, &e))?;
    Ok(database.map_or_else(|| format!("sqlite:{}", data_dir.join("ward.db").display()), str::to_string))
}

/// Refuse to start with keys other than those of the servers already using this database: the
/// database keeps, under `name`, the first server's value (a public key or a check value,
/// never a secret), and this server's `value` must equal it. Otherwise TOTP secrets sealed by
/// one replica would not open on another, or the shared ledger would be signed by two keys.
async fn same_keys(store: &Store, data_dir: &Path, name: &str, file: &str, value: &str) -> Result<(), ServerError> {
    if store.pin_key(name, value).await? == value {
        return Ok(());
    }
    let data = data_dir.display();
    Err(ServerError::Invalid(format!(
        "{data}/{file} is not the key of the servers already using this database. Every server of one database shares its keys: stop this one, copy DATA/keys/ (seal.key, csrf.key) and DATA/ledger/ledger.key, ledger.pub and ledger.json from the first server's data directory into {data}/keys/ and {data}/ledger/ (replacing the ones made here), and start it again"
    )))
}

#[derive(Debug)]
struct App {
    store: Store,
    https: bool,
    keys: auth::Keys,
    throttles: auth::Throttles,
    audit: Box<dyn audit::AuditSink>,
    ledger: Arc<audit::LedgerAudit>,
    metrics: Arc<metrics::Metrics>,
    intel: Option<Arc<ward_intel::matcher::Knowledge>>,
    /// The WebAuthn relying party; `None`: passkeys are off.
    passkeys: Option<ward_auth::webauthn::Passkeys>,
    /// Devices waiting for their risk score after an upload.
    scores: scores::Queue,
}

impl App {
    /// A denied request is also a finding for the security team (`unauthorized-use`), one per
    /// account, counted each time; raised in the background so the refusal is not delayed.
    fn raise_unauthorized_use(&self, username: &str, role: &str, action: &str, resource: &str, source: &str) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let t = ward_model::Timestamp::from_parts(now.as_secs(), u64::from(now.subsec_nanos()));
        let evidence = [("account", username), ("role", role), ("action", action), ("resource", resource), ("source", source)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let f = ward_model::report::Finding {
            id: String::new(),
            kind: "unauthorized-use".into(),
            severity: ward_model::Severity::Medium,
            title: format!("{username} ({role}) tried to {action} {resource}, which the role does not allow"),
            asset: None,
            peer: None,
            protocol: Some("ward-server".into()),
            evidence,
            remediation: "Ask the person whether it was a mistake. Repeated attempts can mean a misused or compromised account: review its recent sign-ins in the audit trail, sign it out everywhere, and reset its password and second factor if in doubt.".into(),
            first_seen: t,
            last_seen: t,
            count: 1,
        };
        let (store, key) = (self.store.clone(), format!("account:{username}"));
        tokio::spawn(async move {
            if let Err(e) = store.raise("ward", &f, &key).await {
                eprintln!("ward server: cannot raise the unauthorized-use finding: {e}");
            }
        });
    }
}

/// RFC 9457 problem details.
fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = serde_json::json!({ "type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail });
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    r
}

fn internal(e: &dyn std::fmt::Display) -> Response {
    eprintln!("ward server: internal error: {e}");
    problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "the server could not complete the request; see its log")
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    match app.store.assets(&ward_store::AssetQuery { limit: 1, ..Default::default() }).await {
        Ok(_) => (StatusCode::OK, "ready\n").into_response(),
        Err(e) => {
            eprintln!("ward server: not ready: {e}");
            problem(StatusCode::SERVICE_UNAVAILABLE, "Not ready", "the store does not answer")
        }
    }
}

fn batch_id(h: &HeaderMap) -> Option<&str> {
    let v = h.get("ward-batch")?.to_str().ok()?;
    (!v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))).then_some(v)
}

/// `POST /api/v1/ingest`: a sensor's report as one batch (`Ward-Batch` header: the sensor's id
/// for it, so a resend is recognised). The sensor is the token's, never the body's.
async fn ingest(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, body: Bytes) -> Response {
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let source = peer.ip().to_string();
    let Some(bearer) = bearer else {
        app.audit(audit::ActorKind::Sensor, "(none)", "sensor.ingest", "ingest", audit::Outcome::Denied, &source, Some("no bearer token"));
        eprintln!("ward server: denied ingest from {}: no bearer token", peer.ip());
        return problem(StatusCode::UNAUTHORIZED, "Unauthorized", "a sensor token is required");
    };
    let sensor = match tokens::verify(&app.store, bearer).await {
        Ok((Ok(sensor), _)) => sensor,
        Ok((Err(why), id)) => {
            let who = id.as_deref().map_or_else(|| "(malformed token)".to_string(), |i| format!("token:{i}"));
            app.audit(audit::ActorKind::Sensor, &who, "sensor.ingest", "ingest", audit::Outcome::Denied, &source, Some(&format!("{why:?}")));
            eprintln!("ward server: denied ingest from {}: token {} {why:?}", peer.ip(), id.as_deref().unwrap_or("(malformed)"));
            return problem(StatusCode::UNAUTHORIZED, "Unauthorized", "invalid token");
        }
        Err(e) => return internal(&e),
    };
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json")) {
        return problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type", "send the report as application/json");
    }
    let Some(batch) = batch_id(&headers) else {
        return problem(StatusCode::BAD_REQUEST, "Bad request", "a Ward-Batch header of 1 to 128 letters, digits, '-', '_' or '.' is required");
    };
    let mut report: AnalyzeReport = match serde_json::from_slice(&body) {
        Ok(r) => r,
        // serde's message names the position and the expected type, never the input's text.
        Err(e) => return problem(StatusCode::UNPROCESSABLE_ENTITY, "Not a Ward report", &format!("line {} column {}: {:?}", e.line(), e.column(), e.classify())),
    };
    // Known vulnerabilities of the identified devices become findings like the sensor's own.
    if let Some(k) = app.intel.clone() {
        report = match tokio::task::spawn_blocking(move || {
            ward_intel::assess::add_findings(&mut report, &k);
            report
        })
        .await
        {
            Ok(r) => r,
            Err(e) => return internal(&e),
        };
    }
    match app.store.ingest(&sensor, batch, &report).await {
        Ok(o) => {
            app.scores.push(&app, &o.assets);
            let note = format!("{} assets new, {} findings new{}", o.assets_new, o.findings_new, if o.duplicate { ", duplicate batch" } else { "" });
            app.audit(audit::ActorKind::Sensor, &sensor, "sensor.ingest", &format!("batch:{batch}"), audit::Outcome::Success, &source, Some(&note));
            let body = serde_json::json!({
                "sensor": sensor, "batch": batch, "duplicate": o.duplicate,
                "assets_new": o.assets_new, "assets_updated": o.assets_updated,
                "findings_new": o.findings_new, "findings_seen": o.findings_seen, "findings_reopened": o.findings_reopened,
            });
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
        }
        Err(e) => internal(&e),
    }
}

/// `GET /api/v1/ledger/export`: the audit ledger as a tar archive that verifies offline with
/// `ward ledger verify --export DIR --key DIR/ledger.pub` (auditors and administrators, after
/// re-authentication; the export itself is recorded first).
async fn ledger_export(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: axum::http::Method, headers: HeaderMap) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = app.authorize(&p, ward_auth::Action::Export, ward_auth::Resource::LedgerExport, "ledger") {
        return r;
    }
    if let Err(r) = app.require_fresh(&p, "ledger.export") {
        return r;
    }
    app.audit(audit::ActorKind::User, &p.username, "ledger.export", "ledger", audit::Outcome::Success, &p.source, None);
    let ledger = app.ledger.clone();
    match tokio::task::spawn_blocking(move || ledger.export_tar()).await {
        Ok(Ok((tar, size))) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/x-tar".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"ward-ledger-{size}.tar\"")),
            ],
            tar,
        )
            .into_response(),
        Ok(Err(e)) => internal(&e),
        Err(e) => internal(&e),
    }
}

/// A JSON request body that must be an object: `Json<T>` alone would also fill a struct's
/// fields, in order, from an array (serde's sequence form), which no client means.
pub(crate) struct Body<T>(pub(crate) T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let axum::Json(v) = axum::Json::<serde_json::Value>::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        from_object(v).map(Body)
    }
}

/// A request body's value as `T`, refused (422) unless it is a JSON object. (The refusal is the
/// response itself, as axum's extractors return it.)
#[allow(clippy::result_large_err)]
pub(crate) fn from_object<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, Response> {
    if !v.is_object() {
        return Err(problem(StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable Entity", "the body is a JSON object"));
    }
    serde_json::from_value(v).map_err(|e| problem(StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable Entity", &format!("the body: {e}")))
}

/// JSON integers that may arrive written as floats (`162.0` is an integer to JSON Schema, and
/// to the OpenAPI document): accepted when the value is whole and in range, refused otherwise.
pub(crate) mod json_int {
    use serde::{Deserialize, Deserializer, de::Error};

    fn whole(v: &serde_json::Value) -> Option<i128> {
        match v {
            serde_json::Value::Number(n) => n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)).or_else(|| {
                let f = n.as_f64()?;
                // Within ±2^63 (exclusive) every whole f64 converts exactly.
                (f.fract() == 0.0 && f.abs() < 2f64.powi(63)).then_some(f as i128)
            }),
            _ => None,
        }
    }

    /// An optional `i64`.
    pub(crate) fn option_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<serde_json::Value>::deserialize(d)? {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => whole(&v).and_then(|n| i64::try_from(n).ok()).map(Some).ok_or_else(|| D::Error::custom("expected a whole number of at most 64 bits")),
        }
    }

    /// A `u32`.
    pub(crate) fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        whole(&v).and_then(|n| u32::try_from(n).ok()).ok_or_else(|| D::Error::custom("expected a whole number from 0 to 4294967295"))
    }

    #[cfg(test)]
    mod tests {
        #[derive(serde::Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "super::option_i64")]
            until: Option<i64>,
            #[serde(default, deserialize_with = "super::u32")]
            days: u32,
        }

        /// Whole floats are integers; fractions, out-of-range values and other types are not.
        #[test]
        fn whole_numbers_in_any_spelling() {
            let t = |s: &str| serde_json::from_str::<T>(s).map(|t| (t.until, t.days)).ok();
            assert_eq!(t(r#"{"until": 5, "days": 162.0}"#), Some((Some(5), 162)));
            assert_eq!(t(r#"{"until": 1.7e9}"#), Some((Some(1_700_000_000), 0)));
            assert_eq!(t(r#"{"until": null}"#), Some((None, 0)));
            assert_eq!(t(r#"{"days": 1.5}"#), None);
            assert_eq!(t(r#"{"days": -1}"#), None);
            assert_eq!(t(r#"{"days": 4294967296}"#), None);
            assert_eq!(t(r#"{"until": 8.17e31}"#), None);
            assert_eq!(t(r#"{"until": "5"}"#), None);
        }
    }
}

async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "Not found", "no such resource")
}

/// Count every response for the metrics.
async fn metrics_mw(State(app): State<Arc<App>>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let r = next.run(req).await;
    app.metrics.response(r.status().as_u16());
    r
}

/// The API answers every error as problem+json: a request the framework's extractors refuse
/// (a body that is not JSON or not of the right shape, a wrong content type, a path or query
/// value of the wrong type) comes back from them as plain text, and is rewrapped here with its
/// status and message.
async fn as_problem(r: Response) -> Response {
    let plain = r.headers().get(header::CONTENT_TYPE).is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !r.status().is_client_error() || !plain {
        return r;
    }
    let status = r.status();
    let (parts, body) = r.into_parts();
    let text = match axum::body::to_bytes(body, 4096).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => String::new(),
    };
    let title = status.canonical_reason().unwrap_or("Bad request");
    let mut out = problem(status, title, if text.is_empty() { title } else { &text });
    // Keep what else the refusal said (`Allow` on a 405, for one).
    for (k, v) in &parts.headers {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// Security headers on every response.
async fn headers_mw(State(app): State<Arc<App>>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut r = next.run(req).await;
    if api {
        r = as_problem(r).await;
    }
    let h = r.headers_mut();
    // The strictest policy, unless a web page set its own (same-origin CSS, script and forms).
    if !h.contains_key("content-security-policy") {
        h.insert("content-security-policy", HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    }
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    if app.https {
        h.insert("strict-transport-security", HeaderValue::from_static("max-age=31536000"));
    }
    r
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/v1/ingest", post(ingest))
        .route("/api/v1/setup", post(auth::setup))
        .route("/api/v1/login", post(auth::login))
        .route("/api/v1/login/enrol", get(auth::enrol_start).post(auth::enrol_finish))
        .route("/api/v1/login/totp", post(auth::second_factor))
        .route("/api/v1/logout", post(auth::logout))
        .route("/api/v1/reauth", post(auth::reauth))
        .route("/api/v1/me", get(auth::me))
        .route("/api/v1/ledger/export", get(ledger_export))
        .merge(api::routes())
        .merge(token_api::routes())
        .merge(passkeys::routes())
        .merge(web::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BATCH_BYTES))
        .layer(axum::middleware::from_fn_with_state(app.clone(), headers_mw))
        .layer(axum::middleware::from_fn_with_state(app.clone(), metrics_mw))
        .with_state(app)
}

/// Run until `shutdown` resolves; then stop accepting and let requests in flight finish (up to
/// 30 s). `on_ready` gets the bound address (useful with port 0) and the certificate's
/// fingerprint.
pub async fn serve(cfg: Config, shutdown: impl std::future::Future<Output = ()>, on_ready: impl FnOnce(SocketAddr, Option<&str>)) -> Result<(), ServerError> {
    let url = prepare(&cfg.data_dir, cfg.database.as_deref())?;
    let store = Store::open(&url).await?;
    let tls = match &cfg.tls {
        Some(src) => {
            let (cert, key, _) = tls::ensure(&cfg.data_dir, src)?;
            Some(tls::config(&cert, &key)?)
        }
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(cfg.listen).await.map_err(|e| ServerError::Io(format!("cannot listen on {}: {e}", cfg.listen)))?;
    let addr = listener.local_addr().map_err(|e| ServerError::Io(e.to_string()))?;
    let keys = auth::Keys::load(&cfg.data_dir)?;
    for (name, check) in keys.checks() {
        same_keys(&store, &cfg.data_dir, name, &format!("keys/{name}"), check).await?;
    }
    let metrics = Arc::new(metrics::Metrics::default());
    if cfg.ledger_witness.is_none() {
        eprintln!("ward server: WARNING: no --ledger-witness: ledger checkpoints are kept only in the data directory, so a rollback of the whole directory would go unnoticed");
    }
    let ledger = Arc::new(audit::LedgerAudit::open(&cfg.data_dir, cfg.ledger_witness.as_deref(), cfg.database.as_deref()).map_err(ServerError::Io)?);
    if ledger.in_database() {
        // One ledger, one signing key: checkpoints signed by another key would not verify.
        same_keys(&store, &cfg.data_dir, "ledger.pub", "ledger/ledger.key", &ledger.verifier().to_text()).await?;
    }
    let audit = Box::new(metrics::Counting { inner: Box::new(ledger.clone()), metrics: metrics.clone() });
    // Sessions no request can use any more are deleted every ten minutes: sign-ins abandoned at
    // the password stage (usable for five minutes), idle or over their absolute limit.
    let purge = {
        let st = store.clone();
        tokio::spawn(async move {
            const S: i64 = 1_000_000_000;
            let mut every = tokio::time::interval(Duration::from_secs(600));
            loop {
                every.tick().await;
                match st.purge_sessions(ward_store::now(), 300 * S, ward_auth::session::IDLE_TIMEOUT * S, ward_auth::session::ABSOLUTE_TIMEOUT * S).await {
                    Ok(0) => {}
                    Ok(n) => eprintln!("ward server: {n} expired sessions deleted"),
                    Err(e) => eprintln!("ward server: purging expired sessions failed: {e}"),
                }
            }
        })
    };
    let timer = ward_ledger::spawn_checkpoint_timer(Arc::downgrade(ledger.ledger()), Duration::from_secs(60), |e| eprintln!("ward server: ledger checkpoint failed: {e}"));
    let setup = auth::issue_setup_token(&store).await?;
    let intel = match &cfg.advisories {
        Some(dir) => {
            let (dir, kev) = (dir.clone(), cfg.kev.clone());
            let k = tokio::task::spawn_blocking(move || load_intel(&dir, kev.as_deref())).await.map_err(|e| ServerError::Io(e.to_string()))??;
            Some(Arc::new(k))
        }
        None => None,
    };
    let cert_names = match &cfg.tls {
        Some(CertSource::SelfSigned { names }) => Some(names.as_slice()),
        _ => None,
    };
    let passkeys = passkeys::relying_party(cfg.public_url.as_deref(), cert_names, tls.is_some()).map_err(ServerError::Io)?;
    if passkeys.is_none() {
        eprintln!("ward server: security keys and passkeys are off: give --public-url, the address people open");
    }
    let app = Arc::new(App { store: store.clone(), https: tls.is_some(), keys, throttles: auth::Throttles::default(), audit, ledger: ledger.clone(), metrics: metrics.clone(), intel, passkeys, scores: scores::Queue::default() });
    scores::spawn_rescore_all(app.clone());
    scores::spawn_worker(app.clone());
    if let Some(token) = setup {
        let scheme = if app.https { "https" } else { "http" };
        app.audit(audit::ActorKind::System, "ward", "auth.setup_link", "user:first-administrator", audit::Outcome::Success, "local", Some("no account yet: one-time setup link printed on the console"));
        eprintln!("ward server: no administrator yet. Within 24 hours, open {scheme}://{addr}/setup#{token}");
        eprintln!("ward server: (or POST /api/v1/setup with this token); it works once and only until the first account exists");
    }
    let metrics_task = match cfg.metrics {
        Some(at) => {
            let l = tokio::net::TcpListener::bind(at).await.map_err(|e| ServerError::Io(format!("cannot listen on {at} for metrics: {e}")))?;
            eprintln!("ward server: metrics on http://{}/metrics", l.local_addr().map_err(|e| ServerError::Io(e.to_string()))?);
            let (m, st) = (metrics.clone(), store.clone());
            let r = Router::new().route(
                "/metrics",
                get(move || {
                    let (m, st) = (m.clone(), st.clone());
                    async move { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], m.render(&st).await) }
                }),
            );
            Some(tokio::spawn(async move {
                let _ = axum::serve(l, r).await;
            }))
        }
        None => None,
    };
    on_ready(addr, tls.as_ref().map(|(_, f)| f.as_str()));
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    let acceptor = tls.map(|(c, _)| tokio_rustls::TlsAcceptor::from(c));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => { eprintln!("ward server: accept: {e}"); tokio::time::sleep(Duration::from_millis(50)).await; continue; }
            },
            () = &mut shutdown => break,
        };
        let mut make = service.clone();
        let svc = match tower::Service::call(&mut make, peer).await {
            Ok(s) => s,
            Err(never) => match never {},
        };
        let hyper_svc = hyper_util::service::TowerToHyperService::new(svc);
        let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
        match &acceptor {
            Some(acc) => {
                let acc = acc.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    // A client that never finishes its handshake is dropped after 10 s.
                    let Ok(Ok(stream)) = tokio::time::timeout(Duration::from_secs(10), acc.accept(tcp)).await else { return };
                    let conn = builder.serve_connection_with_upgrades(hyper_util::rt::TokioIo::new(stream), hyper_svc).into_owned();
                    let _ = watcher.watch(conn).await;
                });
            }
            None => {
                let conn = builder.serve_connection_with_upgrades(hyper_util::rt::TokioIo::new(tcp), hyper_svc).into_owned();
                let fut = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = fut.await;
                });
            }
        }
    }
    drop(listener);
    timer.abort();
    purge.abort();
    if let Some(t) = metrics_task {
        t.abort();
    }
    let _ = tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await;
    store.close().await;
    if let Err(e) = ledger.checkpoint() {
        eprintln!("ward server: final ledger checkpoint failed: {e}");
    }
    Ok(())
}

#[cfg(test)]
mod problem_tests {
    use axum::http::{StatusCode, header};
    use axum::response::{IntoResponse, Response};

    /// A framework refusal (plain text, or no body at all) becomes problem+json with the same
    /// status and message, keeping its other headers (`Allow` on a 405); anything else passes.
    #[test]
    fn refusals_become_problems() {
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let text = rt.block_on(super::as_problem((StatusCode::UNPROCESSABLE_ENTITY, "Failed to deserialize the JSON body").into_response()));
        assert_eq!(text.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(text.headers()[header::CONTENT_TYPE], "application/problem+json");
        let body = rt.block_on(axum::body::to_bytes(text.into_body(), 4096)).expect("body");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!((v["status"].as_u64(), v["detail"].as_str()), (Some(422), Some("Failed to deserialize the JSON body")));
        let mut empty = Response::new(axum::body::Body::empty());
        *empty.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        empty.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("GET,HEAD"));
        let e = rt.block_on(super::as_problem(empty));
        assert_eq!((e.status(), e.headers()[header::ALLOW].to_str().ok()), (StatusCode::METHOD_NOT_ALLOWED, Some("GET,HEAD")));
        assert_eq!(e.headers()[header::CONTENT_TYPE], "application/problem+json");
        let ok = rt.block_on(super::as_problem((StatusCode::OK, "fine").into_response()));
        assert_eq!(ok.headers()[header::CONTENT_TYPE], "text/plain; charset=utf-8");
        let html = rt.block_on(super::as_problem((StatusCode::NOT_FOUND, axum::response::Html("<p>page</p>")).into_response()));
        assert_eq!(html.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
    }
}
