//! The REST API under `/api/v1` for people signed in: the inventory and an asset's page, the
//! findings and their lifecycle, exports (CSV and JSON), accounts, and the audit trail. Every
//! handler starts with the same two steps — who is asking ([`App::principal`]) and may they
//! ([`App::authorize`], the one policy function) — before it touches the store.

#![allow(clippy::result_large_err, reason = "the Err of a check is the refusal's Response, returned once per request")]

use crate::audit::{ActorKind, Outcome};
use crate::auth::{Principal, Refusal};
use crate::{App, internal, problem};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use ward_auth::{Action, Resource, Role};
use ward_store::{AssetQuery, AssetSort, FindingQuery, FindingSort};

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/assets", get(assets))
        .route("/api/v1/assets/{id}", get(asset).patch(update_asset))
        .route("/api/v1/findings", get(findings))
        .route("/api/v1/findings/{id}", get(finding))
        .route("/api/v1/findings/{id}/{action}", post(finding_action))
        .route("/api/v1/export/{file}", get(export))
        .route("/api/v1/users", get(users).post(create_user))
        .route("/api/v1/users/{id}", axum::routing::patch(update_user))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/remediation", get(remediation))
}

type Params = Query<HashMap<String, String>>;

struct Ctx {
    app: Arc<App>,
    p: Principal,
}

async fn ctx(app: Arc<App>, method: &Method, headers: &HeaderMap, peer: SocketAddr, action: Action, resource: Resource, subject: &str) -> Result<Ctx, Response> {
    let p = app.principal(method, headers, peer).await?;
    app.authorize(&p, action, resource, subject)?;
    Ok(Ctx { app, p })
}

fn bad(detail: &str) -> Response {
    problem(StatusCode::BAD_REQUEST, "Bad request", detail)
}

/// Page size, rows to skip, direction and the position to start after (`after`: a previous
/// page's `next`; not together with `offset`).
fn page_args(q: &HashMap<String, String>) -> Result<(u32, u64, bool, Option<ward_store::Cursor>), Response> {
    let max = ward_store::MAX_PAGE;
    let limit = match q.get("limit").map(|v| v.parse::<u32>()) {
        None => 50,
        Some(Ok(l)) if l <= max => l,
        Some(_) => return Err(bad(&format!("limit: 0 to {max} (0 means the default, 50)"))),
    };
    let offset = match q.get("offset").map(|v| v.parse::<i64>().ok().and_then(|o| u64::try_from(o).ok())) {
        None => 0,
        Some(Some(o)) => o,
        Some(None) => return Err(bad("offset: 0 to 9223372036854775807")),
    };
    let descending = match q.get("order").map(String::as_str) {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return Err(bad("order: asc or desc")),
    };
    // An empty `after` is no position (as an empty search is no search): a form's empty field.
    let after = match q.get("after").filter(|t| !t.is_empty()) {
        None => None,
        Some(_) if offset > 0 => return Err(bad("after and offset: one or the other")),
        Some(t) => Some(ward_store::Cursor::decode(t).ok_or_else(|| bad("after: the next value of a previous page of this list"))?),
    };
    Ok((limit, offset, descending, after))
}

pub(crate) fn asset_query(q: &HashMap<String, String>, p: &Principal) -> Result<AssetQuery, Response> {
    let (limit, offset, descending, after) = page_args(q)?;
    let sort = match q.get("sort").map(String::as_str) {
        None | Some("last_seen") => AssetSort::LastSeen,
        Some("label") => AssetSort::Label,
        Some("kind") => AssetSort::Kind,
        Some("manufacturer") => AssetSort::Manufacturer,
        Some("bytes") => AssetSort::Bytes,
        // The order of risk scores tells what the advisories say: for those who may read them.
        Some("risk") if ward_auth::allowed(p.role, Action::Read, Resource::Advisory) => AssetSort::Risk,
        Some("risk") => return Err(problem(StatusCode::FORBIDDEN, "Forbidden", "your role may not read risk scores")),
        Some(_) => return Err(bad("sort: last_seen, label, kind, manufacturer, bytes or risk")),
    };
    Ok(AssetQuery { care_unit: care_scope(p), kind: q.get("kind").cloned(), search: q.get("q").filter(|s| !s.is_empty()).cloned(), sort, descending, limit, offset, after })
}

pub(crate) fn finding_query(q: &HashMap<String, String>, p: &Principal) -> Result<FindingQuery, Response> {
    let (limit, offset, descending, after) = page_args(q)?;
    let sort = match q.get("sort").map(String::as_str) {
        None | Some("severity") => FindingSort::Severity,
        Some("last_seen") => FindingSort::LastSeen,
        Some("first_seen") => FindingSort::FirstSeen,
        Some("occurrences") => FindingSort::Occurrences,
        Some(_) => return Err(bad("sort: severity, last_seen, first_seen or occurrences")),
    };
    let min_severity = q.get("min_severity").map(|s| serde_json::from_value(serde_json::Value::String(s.clone()))).transpose().map_err(|_| bad("min_severity: info, low, medium, high or critical"))?;
    let asset = q.get("asset").map(|v| v.parse::<i64>()).transpose().map_err(|_| bad("asset: an asset id"))?;
    if q.get("status").is_some_and(|s| !["open", "acknowledged", "resolved", "accepted_risk"].contains(&s.as_str())) {
        return Err(bad("status: open, acknowledged, resolved or accepted_risk"));
    }
    Ok(FindingQuery { care_unit: care_scope(p), status: q.get("status").cloned(), min_severity, kind: q.get("kind").cloned(), asset, assignee: q.get("assignee").cloned(), sort, descending, limit, offset, after })
}

/// The care unit a person's view is limited to: `None` for roles that see every asset; a
/// clinician's own unit, or `""` (which matches no asset) for a clinician without one.
pub(crate) fn care_scope(p: &Principal) -> Option<String> {
    match ward_auth::rbac::asset_scope(p.role) {
        ward_auth::rbac::AssetScope::All => None,
        ward_auth::rbac::AssetScope::CareUnit => Some(p.care_unit.clone().unwrap_or_default()),
    }
}

/// Whether `p` may see asset `id` at all: outside a clinician's care unit it does not exist
/// for them (404, like an unknown id, so ids of other units cannot be probed).
pub(crate) async fn may_see_asset(app: &App, p: &Principal, id: i64) -> Result<(), Refusal> {
    let not_found = || Refusal::Problem(StatusCode::NOT_FOUND, "Not found", "no such asset".into());
    if care_scope(p).is_none() {
        return Ok(());
    }
    match app.store.asset_care_unit(id).await {
        Ok(u) if in_scope(p, u.as_deref()) => Ok(()),
        Ok(_) | Err(ward_store::StoreError::NotFound(_)) => Err(not_found()),
        Err(e) => Err(Refusal::internal(&e)),
    }
}

/// Whether a device in care unit `unit` is in `p`'s view.
pub(crate) fn in_scope(p: &Principal, unit: Option<&str>) -> bool {
    care_scope(p).is_none_or(|mine| !mine.is_empty() && unit == Some(mine.as_str()))
}

/// Put asset `id` in a care unit (or none), as `p`.
pub(crate) async fn set_care_unit(app: &App, p: &Principal, id: i64, unit: Option<&str>) -> Result<(), Refusal> {
    let subject = format!("asset:{id}");
    app.permit(p, Action::Update, Resource::Asset, &subject)?;
    let unit = unit.map(str::trim).filter(|u| !u.is_empty());
    if unit.is_some_and(|u| u.chars().count() > 64 || u.chars().any(char::is_control)) {
        return Err(Refusal::Problem(StatusCode::UNPROCESSABLE_ENTITY, "Invalid care unit", "at most 64 characters".into()));
    }
    match app.store.set_asset_care_unit(id, unit).await {
        Ok(()) => {
            app.audit(ActorKind::User, &p.username, "asset.update", &subject, Outcome::Success, &p.source, Some(&format!("care unit {}", unit.unwrap_or("(none)"))));
            Ok(())
        }
        Err(ward_store::StoreError::NotFound(_)) => Err(Refusal::Problem(StatusCode::NOT_FOUND, "Not found", "no such asset".into())),
        Err(e) => Err(Refusal::internal(&e)),
    }
}

#[derive(Deserialize)]
pub(crate) struct AssetChange {
    care_unit: Option<String>,
}

async fn update_asset(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, Path(id): Path<i64>, crate::Body(b): crate::Body<AssetChange>) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match set_care_unit(&app, &p, id, b.care_unit.as_deref()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r.into_problem(),
    }
}

/// Finding `id` and its history (every step: raised, acknowledged, assigned, commented...,
/// who and when), as `p` may see them: a clinician only on her unit's devices, and without the
/// evidence or the history (comments and reasons are the security team's).
pub(crate) async fn finding_with_history(app: &App, p: &Principal, id: i64) -> Result<(ward_store::FindingRow, Vec<ward_store::FindingEvent>), Refusal> {
    app.permit(p, Action::Read, Resource::Finding, &format!("finding:{id}"))?;
    let not_found = || Refusal::Problem(StatusCode::NOT_FOUND, "Not found", "no such finding".into());
    let f = app.store.finding(id).await.map_err(|e| Refusal::internal(&e))?.ok_or_else(not_found)?;
    if care_scope(p).is_some() {
        match f.asset {
            Some(a) => may_see_asset(app, p, a).await.map_err(|_| not_found())?,
            None => return Err(not_found()),
        }
    }
    let f = visible_findings(p, vec![f]).pop().ok_or_else(not_found)?;
    let history = if ward_auth::allowed(p.role, Action::Read, Resource::FindingEvidence) { app.store.finding_events(id).await.map_err(|e| Refusal::internal(&e))? } else { Vec::new() };
    Ok((f, history))
}

async fn finding(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match finding_with_history(&app, &p, id).await {
        Ok((f, history)) => Json(serde_json::json!({ "finding": f, "history": history })).into_response(),
        Err(r) => r.into_problem(),
    }
}

/// A device's known vulnerabilities and risk, from the advisories the server loaded
/// (`--advisories`): its matches (which advisory and CVE, why, how sure, KEV) and its score with
/// the reasons and the remediations in the order that removes the most risk. `None` without
/// advisories, without a match, or for a role that may not read advisories (a clinician).
pub(crate) fn device_risk(app: &App, p: &Principal, id: i64, doc: &serde_json::Value, findings: &[ward_store::FindingRow]) -> Option<(ward_intel::risk::DeviceRisk, Vec<ward_intel::matcher::MatchRecord>)> {
    if !ward_auth::allowed(p.role, Action::Read, Resource::Advisory) {
        return None;
    }
    let k = app.intel.as_ref()?;
    // The sensor's findings make up the exposure, as in `ward vulns` on the same report; the
    // known-vulnerability findings the advisories raised are the matches themselves.
    let about = findings.iter().filter(|f| f.asset == Some(id) && f.kind != "known-vulnerability").map(|f| (f.kind.as_str(), f.severity.as_str()));
    let device = device_of(id, doc, about)?;
    let a = ward_intel::assess::assess(k, &[device], Vec::new());
    let risk = a.risks.into_iter().next()?;
    Some((risk, a.matches))
}

/// The device ward-intel scores, from an asset's stored document (its id: the store's) and the
/// (kind, severity) of what the sensors found on it, known vulnerabilities left out.
pub(crate) fn device_of<'a>(id: i64, doc: &serde_json::Value, exposure: impl Iterator<Item = (&'a str, &'a str)>) -> Option<ward_intel::inventory::Device> {
    let mut asset = <ward_model::report::Asset as Deserialize>::deserialize(doc).ok()?;
    asset.id = id.to_string();
    let about = exposure.filter_map(|(kind, severity)| Some((kind.to_string(), serde_json::from_value::<ward_model::Severity>(serde_json::Value::String(severity.to_string())).ok()?)));
    Some(ward_intel::inventory::device_of(&asset, about))
}

/// Assets as the role may see them: without their risk score for roles that may not read
/// advisories (a clinician).
pub(crate) fn visible_assets(p: &Principal, mut items: Vec<ward_store::AssetRow>) -> Vec<ward_store::AssetRow> {
    if !ward_auth::allowed(p.role, Action::Read, Resource::Advisory) {
        for a in &mut items {
            a.risk = 0.0;
        }
    }
    items
}

/// Findings as the role may see them: without evidence for roles that may not read it.
pub(crate) fn visible_findings(p: &Principal, mut items: Vec<ward_store::FindingRow>) -> Vec<ward_store::FindingRow> {
    if !ward_auth::allowed(p.role, Action::Read, Resource::FindingEvidence) {
        for f in &mut items {
            f.evidence.clear();
        }
    }
    items
}

async fn assets(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, Query(q): Params) -> Response {
    let c = match ctx(app, &method, &headers, peer, Action::Read, Resource::Asset, "assets").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let query = match asset_query(&q, &c.p) {
        Ok(q) => q,
        Err(r) => return r,
    };
    match c.app.store.assets(&query).await {
        Ok(page) => Json(ward_store::Page { items: visible_assets(&c.p, page.items), ..page }).into_response(),
        Err(ward_store::StoreError::Invalid(why)) => bad(&why),
        Err(e) => internal(&e),
    }
}

async fn asset(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let c = match ctx(app, &method, &headers, peer, Action::Read, Resource::Asset, &format!("asset:{id}")).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = may_see_asset(&c.app, &c.p, id).await {
        return r.into_problem();
    }
    let (row, detail, identifiers, history) = match c.app.store.asset(id).await {
        Ok(x) => x,
        Err(ward_store::StoreError::NotFound(_)) => return problem(StatusCode::NOT_FOUND, "Not found", "no such asset"),
        Err(e) => return internal(&e),
    };
    let findings = if ward_auth::allowed(c.p.role, Action::Read, Resource::Finding) {
        match c.app.store.findings(&FindingQuery { asset: Some(id), care_unit: care_scope(&c.p), limit: 500, ..FindingQuery::default() }).await {
            Ok(p) => visible_findings(&c.p, p.items),
            Err(e) => return internal(&e),
        }
    } else {
        Vec::new()
    };
    let risk = device_risk(&c.app, &c.p, id, &detail, &findings).map(|(r, m)| serde_json::json!({ "score": r.score, "kind": r.kind, "reasons": r.reasons, "remediations": r.remediations, "matches": m }));
    let identifiers: Vec<serde_json::Value> = identifiers.into_iter().map(|(k, v)| serde_json::json!({ "kind": k, "value": v })).collect();
    let row = visible_assets(&c.p, vec![row]);
    Json(serde_json::json!({ "asset": row.first(), "detail": detail, "identifiers": identifiers, "history": history, "findings": findings, "risk": risk })).into_response()
}

async fn findings(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, Query(q): Params) -> Response {
    let c = match ctx(app, &method, &headers, peer, Action::Read, Resource::Finding, "findings").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let query = match finding_query(&q, &c.p) {
        Ok(q) => q,
        Err(r) => return r,
    };
    match c.app.store.findings(&query).await {
        Ok(page) => Json(serde_json::json!({ "items": visible_findings(&c.p, page.items), "total": page.total, "total_capped": page.total_capped, "next": page.next })).into_response(),
        Err(ward_store::StoreError::Invalid(why)) => bad(&why),
        Err(e) => internal(&e),
    }
}

/// The fields a finding action may carry (JSON body or form).
#[derive(Deserialize, Default)]
pub(crate) struct ActionBody {
    #[serde(default)]
    pub(crate) reason: Option<String>,
    /// Unix seconds.
    #[serde(default, deserialize_with = "crate::json_int::option_i64")]
    pub(crate) until: Option<i64>,
    #[serde(default)]
    pub(crate) assignee: Option<String>,
    #[serde(default)]
    pub(crate) text: Option<String>,
}

/// A finding action by its name in URLs: the policy action that guards it and the store's
/// action. `None` for an unknown name.
pub(crate) fn finding_verb(verb: &str, b: &ActionBody) -> Option<(Action, ward_store::Action)> {
    Some(match verb {
        "acknowledge" => (Action::Acknowledge, ward_store::Action::Acknowledge),
        "resolve" => (Action::Resolve, ward_store::Action::Resolve { note: b.text.clone() }),
        "reopen" => (Action::Resolve, ward_store::Action::Reopen),
        "accept-risk" => (
            Action::AcceptRisk,
            ward_store::Action::AcceptRisk { reason: b.reason.clone().unwrap_or_default(), until: b.until.unwrap_or(0).saturating_mul(1_000_000_000) },
        ),
        "assign" => (Action::Assign, ward_store::Action::Assign { to: b.assignee.clone() }),
        "comment" => (Action::Comment, ward_store::Action::Comment { text: b.text.clone().unwrap_or_default() }),
        _ => return None,
    })
}

/// One step of a finding's lifecycle by a person: the policy, re-authentication where the
/// action needs it, the store's rules, the trail.
pub(crate) async fn act_on_finding(app: &App, p: &Principal, id: i64, verb: &str, policy_action: Action, action: &ward_store::Action, reason: Option<&str>) -> Result<(), Refusal> {
    let subject = format!("finding:{id}");
    app.permit(p, policy_action, Resource::Finding, &subject)?;
    let what = format!("finding.{verb}");
    if ward_auth::rbac::requires_reauth(policy_action, Resource::Finding) {
        app.fresh(p, &what)?;
    }
    match app.store.act(id, &p.username, action).await {
        Ok(()) => {
            // Accepted risks carry their reason into the trail; other texts stay in the store.
            let reason = if verb == "accept-risk" { reason } else { None };
            app.audit(ActorKind::User, &p.username, &what, &subject, Outcome::Success, &p.source, reason);
            Ok(())
        }
        Err(ward_store::StoreError::NotFound(_)) => Err(Refusal::Problem(StatusCode::NOT_FOUND, "Not found", "no such finding".into())),
        Err(ward_store::StoreError::Invalid(why)) => {
            app.audit(ActorKind::User, &p.username, &what, &subject, Outcome::Failure, &p.source, Some(&why));
            Err(Refusal::Problem(StatusCode::CONFLICT, "Not possible now", why))
        }
        Err(e) => Err(Refusal::internal(&e)),
    }
}

async fn finding_action(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
    Path((id, verb)): Path<(i64, String)>,
    body: Option<Json<serde_json::Value>>,
) -> Response {
    // An object or no body at all (serde would also take a struct's fields from an array).
    let b = match body.map(|Json(v)| crate::from_object::<ActionBody>(v)) {
        None => ActionBody::default(),
        Some(Ok(b)) => b,
        Some(Err(r)) => return r,
    };
    let Some((policy_action, action)) = finding_verb(&verb, &b) else {
        return problem(StatusCode::NOT_FOUND, "Not found", "actions: acknowledge, resolve, reopen, accept-risk, assign, comment");
    };
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match act_on_finding(&app, &p, id, &verb, policy_action, &action, b.reason.as_deref()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r.into_problem(),
    }
}

fn csv_field(s: &str) -> String {
    // Quote everything; neutralise spreadsheet formulas (CSV injection).
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

async fn export(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, Path(file): Path<String>) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match export_file(&app, &p, &file).await {
        Ok(r) => r,
        Err(r) => r.into_problem(),
    }
}

/// An export (`assets.csv`, `assets.json`, `findings.csv`, `findings.json`) as `p`: the policy,
/// a fresh sign-in, the rows `p` may see; audited with its row count. The API and the web UI's
/// download links both answer with it.
pub(crate) async fn export_file(app: &App, p: &Principal, file: &str) -> Result<Response, Refusal> {
    let (resource, csv) = match file {
        "assets.csv" => (Resource::Asset, true),
        "assets.json" => (Resource::Asset, false),
        "findings.csv" => (Resource::Finding, true),
        "findings.json" => (Resource::Finding, false),
        _ => return Err(Refusal::Problem(StatusCode::NOT_FOUND, "Not found", "exports: assets.csv, assets.json, findings.csv, findings.json".into())),
    };
    let subject = format!("export:{file}");
    app.permit(p, Action::Export, resource, &subject)?;
    app.fresh(p, "export")?;
    let mut out = String::new();
    let mut rows = 0u64;
    if resource == Resource::Asset {
        // Page after page by position (keyset), not by offset: each page costs the same, and a
        // device added during the export neither repeats nor pushes another out.
        let mut after = None;
        if csv {
            out.push_str("id,label,kind,manufacturer,model,software_version,confidence,first_seen,last_seen,packets,bytes,risk\n");
        }
        let mut all = Vec::new();
        loop {
            let page = match app.store.assets(&AssetQuery { care_unit: care_scope(p), limit: ward_store::MAX_PAGE, after: after.take(), sort: AssetSort::Label, ..AssetQuery::default() }).await {
                Ok(p) => p,
                Err(e) => return Err(Refusal::internal(&e)),
            };
            let next = page.next;
            for a in visible_assets(p, page.items) {
                rows += 1;
                if csv {
                    let f = [a.id.to_string(), a.label.clone(), a.kind.clone(), a.manufacturer.clone().unwrap_or_default(), a.model.clone().unwrap_or_default(), a.software_version.clone().unwrap_or_default(), a.confidence.to_string(), a.first_seen.to_string(), a.last_seen.to_string(), a.packets.to_string(), a.bytes.to_string(), a.risk.to_string()];
                    out.push_str(&f.iter().map(|x| csv_field(x)).collect::<Vec<_>>().join(","));
                    out.push('\n');
                } else {
                    all.push(a);
                }
            }
            match next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        if !csv {
            out = serde_json::to_string(&all).unwrap_or_default();
        }
    } else {
        let mut after = None;
        if csv {
            out.push_str("id,kind,severity,status,asset,asset_label,protocol,title,first_seen,last_seen,occurrences,assignee\n");
        }
        let mut all = Vec::new();
        loop {
            let page = match app.store.findings(&FindingQuery { care_unit: care_scope(p), limit: ward_store::MAX_PAGE, after: after.take(), ..FindingQuery::default() }).await {
                Ok(p) => p,
                Err(e) => return Err(Refusal::internal(&e)),
            };
            let next = page.next;
            for f in visible_findings(p, page.items) {
                rows += 1;
                if csv {
                    let v = [f.id.to_string(), f.kind.clone(), f.severity.clone(), f.status.clone(), f.asset.map(|a| a.to_string()).unwrap_or_default(), f.asset_label.clone().unwrap_or_default(), f.protocol.clone().unwrap_or_default(), f.title.clone(), f.first_seen.to_string(), f.last_seen.to_string(), f.occurrences.to_string(), f.assignee.clone().unwrap_or_default()];
                    out.push_str(&v.iter().map(|x| csv_field(x)).collect::<Vec<_>>().join(","));
                    out.push('\n');
                } else {
                    all.push(f);
                }
            }
            match next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        if !csv {
            out = serde_json::to_string(&all).unwrap_or_default();
        }
    }
    app.audit(ActorKind::User, &p.username, "export", &subject, Outcome::Success, &p.source, Some(&format!("{rows} rows")));
    let ct = if csv { "text/csv; charset=utf-8" } else { "application/json" };
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, ct.to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"ward-{file}\""))], out).into_response())
}

async fn users(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap) -> Response {
    let c = match ctx(app, &method, &headers, peer, Action::Read, Resource::User, "users").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match c.app.store.users().await {
        Ok(us) => {
            let v: Vec<serde_json::Value> = us
                .into_iter()
                .map(|u| serde_json::json!({ "id": u.id, "username": u.username, "role": u.role, "mfa": u.totp_enrolled, "disabled": u.disabled, "care_unit": u.care_unit, "created_at": u.created_at }))
                .collect();
            Json(v).into_response()
        }
        Err(e) => internal(&e),
    }
}

#[derive(Deserialize)]
pub(crate) struct NewUser {
    pub(crate) username: String,
    pub(crate) role: String,
    pub(crate) password: String,
    #[serde(default)]
    pub(crate) care_unit: Option<String>,
}

/// A new account made by `p`: the policy, re-authentication, a known role, a valid name and a
/// password the policy accepts. Answers its id and role.
pub(crate) async fn create_account(app: &App, p: &Principal, b: &NewUser) -> Result<(i64, Role), Refusal> {
    app.permit(p, Action::Create, Resource::User, "users")?;
    app.fresh(p, "user.create")?;
    let Some(role) = Role::parse(&b.role) else {
        return Err(Refusal::Problem(StatusCode::UNPROCESSABLE_ENTITY, "Unknown role", "administrator, security_analyst, biomedical_engineer, auditor or clinician".into()));
    };
    if !crate::auth::valid_username(&b.username) {
        return Err(Refusal::Problem(StatusCode::UNPROCESSABLE_ENTITY, "Invalid user name", "2 to 64 letters, digits, '.', '_', '-' or '@'".into()));
    }
    if let Err(v) = ward_auth::password::check_policy(&b.password, &b.username) {
        return Err(Refusal::Problem(StatusCode::UNPROCESSABLE_ENTITY, "Password refused", v.to_string()));
    }
    let pw = b.password.clone();
    let phc = match crate::auth::hashing(app, move || ward_auth::password::hash(&pw, &ward_auth::SystemRandomSource::new())).await? {
        Ok(h) => h,
        Err(e) => return Err(Refusal::internal(&e)),
    };
    match app.store.create_user(&b.username, role.as_str(), &phc, b.care_unit.as_deref()).await {
        Ok(id) => {
            app.audit(ActorKind::User, &p.username, "user.create", &format!("user:{id}"), Outcome::Success, &p.source, Some(&format!("role {}", role.as_str())));
            Ok((id, role))
        }
        Err(ward_store::StoreError::Invalid(why)) => Err(Refusal::Problem(StatusCode::CONFLICT, "Not possible", why)),
        Err(e) => Err(Refusal::internal(&e)),
    }
}

async fn create_user(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, crate::Body(b): crate::Body<NewUser>) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match create_account(&app, &p, &b).await {
        Ok((id, role)) => (StatusCode::CREATED, Json(serde_json::json!({ "id": id, "username": b.username, "role": role.as_str() }))).into_response(),
        Err(r) => r.into_problem(),
    }
}

/// A change to an account: any of its role, care unit and whether it is disabled.
#[derive(Deserialize, Default)]
pub(crate) struct UserChange {
    #[serde(default)]
    pub(crate) role: Option<String>,
    /// `""` clears it.
    #[serde(default)]
    pub(crate) care_unit: Option<String>,
    #[serde(default)]
    pub(crate) disabled: Option<bool>,
}

/// Change account `id` as `p`: the policy, re-authentication, a known role; never the last
/// active administrator demoted or disabled (nobody could manage accounts any more), never
/// one's own account disabled. Disabling ends the account's sessions and stops its tokens; a
/// new role applies to its next request, tokens included.
pub(crate) async fn update_account(app: &App, p: &Principal, id: i64, c: &UserChange) -> Result<(), Refusal> {
    let subject = format!("user:{id}");
    app.permit(p, Action::Update, Resource::User, &subject)?;
    app.fresh(p, "user.update")?;
    let unprocessable = |t: &'static str, d: &str| Refusal::Problem(StatusCode::UNPROCESSABLE_ENTITY, t, d.to_string());
    let Some(user) = app.store.user(id).await.map_err(|e| Refusal::internal(&e))? else {
        return Err(Refusal::Problem(StatusCode::NOT_FOUND, "Not found", "no such account".into()));
    };
    let role = match c.role.as_deref() {
        None => user.role.clone(),
        Some(r) => Role::parse(r).ok_or_else(|| unprocessable("Unknown role", "administrator, security_analyst, biomedical_engineer, auditor or clinician"))?.as_str().to_string(),
    };
    let care_unit = match c.care_unit.as_deref().map(str::trim) {
        None => user.care_unit.clone(),
        Some("") => None,
        Some(u) if u.chars().count() <= 64 && !u.chars().any(char::is_control) => Some(u.to_string()),
        Some(_) => return Err(unprocessable("Invalid care unit", "at most 64 characters")),
    };
    let disabled = c.disabled.unwrap_or(user.disabled);
    if disabled && id == p.user_id {
        return Err(Refusal::Problem(StatusCode::CONFLICT, "Not possible", "you cannot disable your own account".into()));
    }
    let admin = Role::Administrator.as_str();
    if user.role == admin && !user.disabled && (role != admin || disabled) {
        let others = app.store.users().await.map_err(|e| Refusal::internal(&e))?.iter().filter(|u| u.id != id && u.role == admin && !u.disabled).count();
        if others == 0 {
            return Err(Refusal::Problem(StatusCode::CONFLICT, "Not possible", "this is the last active administrator".into()));
        }
    }
    let mut changes = Vec::new();
    if role != user.role || care_unit != user.care_unit {
        app.store.set_role(id, &role, care_unit.as_deref()).await.map_err(|e| Refusal::internal(&e))?;
        if role != user.role {
            changes.push(format!("role {} -> {role}", user.role));
        }
        if care_unit != user.care_unit {
            changes.push("care unit changed".to_string());
        }
    }
    if disabled != user.disabled {
        app.store.set_disabled(id, disabled).await.map_err(|e| Refusal::internal(&e))?;
        changes.push(if disabled { "disabled".to_string() } else { "enabled".to_string() });
    }
    if !changes.is_empty() {
        app.audit(ActorKind::User, &p.username, "user.update", &subject, Outcome::Success, &p.source, Some(&changes.join("; ")));
    }
    Ok(())
}

async fn update_user(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, Path(id): Path<i64>, crate::Body(b): crate::Body<UserChange>) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match update_account(&app, &p, id, &b).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r.into_problem(),
    }
}

async fn remediation(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap) -> Response {
    let p = match app.principal(&method, &headers, peer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match crate::remediation::plan(&app, &p).await {
        Ok(plan) => Json(plan).into_response(),
        Err(r) => r.into_problem(),
    }
}

async fn audit(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, method: Method, headers: HeaderMap, Query(q): Params) -> Response {
    let c = match ctx(app, &method, &headers, peer, Action::Read, Resource::Audit, "audit").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let limit = match q.get("limit").map(|v| v.parse::<usize>()) {
        None => 100,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return bad("limit: 1 to 1000"),
    };
    match c.app.audit.recent(limit) {
        Ok(items) => {
            let v: Vec<serde_json::Value> = items.into_iter().map(|(i, r)| serde_json::json!({ "index": i, "proved": c.app.audit.proved(i), "record": r })).collect();
            Json(v).into_response()
        }
        Err(e) => internal(&e),
    }
}

/// The OpenAPI 3.1 description of this API.
async fn openapi() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], include_str!("openapi.json")).into_response()
}
