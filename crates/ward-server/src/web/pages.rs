//! The pages behind sign-in: the dashboard, the inventory and an asset's page, the findings
//! queue and its actions, users, sensors, and the audit trail.

use super::html::{Html, html};
use super::{Viewer, actor, bytes, days_from_civil, message, page, refused, safe_next, viewer, when};
use crate::App;
use crate::api::{ActionBody, NewUser, UserChange, act_on_finding, asset_query, care_scope, create_account, device_risk, finding_query, finding_verb, finding_with_history, in_scope, set_care_unit, update_account, visible_findings};
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use ward_auth::{Action, Resource, Role};
use ward_store::{FindingQuery, FindingRow};

type Params = Query<HashMap<String, String>>;

const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];
const STATUSES: [&str; 4] = ["open", "acknowledged", "resolved", "accepted_risk"];

/// Horizontal bars, one per (label, count, CSS class), as inline SVG.
fn bar_chart(title: &str, rows: &[(String, u64, &'static str)]) -> Html {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let height = 24 * rows.len().max(1) + 4;
    let mut h = Html::new();
    html!(h, "<figure class=\"chart\"><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 480 {}\" width=\"480\" height=\"{}\">", title, title, height, height);
    for (i, (label, n, class)) in rows.iter().enumerate() {
        let y = 24 * i + 2;
        let w = (280 * n).div_ceil(max);
        html!(
            h,
            "<g class=\"{}\"><title>{}: {}</title><text x=\"150\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"160\" y=\"{}\" width=\"{}\" height=\"18\"></rect><text x=\"{}\" y=\"{}\">{}</text></g>",
            class,
            label,
            n,
            y + 14,
            label,
            y,
            w,
            160 + w + 6,
            y + 14,
            n
        );
    }
    if rows.is_empty() {
        html!(h, "<text x=\"10\" y=\"18\">nothing yet</text>");
    }
    html!(h, "</svg></figure>");
    h
}

/// Findings first seen per day, the last 30 days up to the newest, as vertical bars.
fn trend_chart(days: &[(i64, u64)]) -> Html {
    let per_day: BTreeMap<i64, u64> = days.iter().copied().collect();
    let mut h = Html::new();
    html!(h, "<figure class=\"chart\"><figcaption>Findings first seen per day (last 30 days of data)</figcaption>");
    let Some(&last) = per_day.keys().next_back() else {
        html!(h, "<p>nothing yet</p></figure>");
        return h;
    };
    let first = last - 29;
    let max = per_day.range(first..).map(|(_, n)| *n).max().unwrap_or(1).max(1);
    html!(h, "<svg role=\"img\" aria-label=\"Findings first seen per day\" viewBox=\"0 0 480 160\" width=\"480\" height=\"160\" class=\"trend\">");
    for (i, day) in (first..=last).enumerate() {
        let n = per_day.get(&day).copied().unwrap_or(0);
        let bar = (120 * n).div_ceil(max);
        let (y, m, d) = super::civil(day);
        html!(
            h,
            "<g><title>{}-{}-{}: {}</title><rect x=\"{}\" y=\"{}\" width=\"13\" height=\"{}\"></rect></g>",
            format!("{y:04}"),
            format!("{m:02}"),
            format!("{d:02}"),
            n,
            i * 16,
            130 - bar,
            bar
        );
    }
    let label = |day: i64| {
        let (y, m, d) = super::civil(day);
        format!("{y:04}-{m:02}-{d:02}")
    };
    html!(h, "<text x=\"0\" y=\"150\">{}</text><text x=\"480\" y=\"150\" text-anchor=\"end\">{}</text></svg></figure>", label(first), label(last));
    h
}

/// `GET /`: devices by kind and by risk, open findings by severity, the trend.
pub(crate) async fn dashboard(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    let v = match viewer(&app, &headers, peer, Action::Read, Resource::Asset, "dashboard").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    // Counted by the database over every device and finding (a clinician's: her unit's).
    let mut d = match app.store.dashboard(care_scope(&v.p).as_deref()).await {
        Ok(d) => d,
        Err(e) => return refused(crate::auth::Refusal::internal(&e), Some(&v), "/"),
    };
    if !ward_auth::allowed(v.p.role, Action::Read, Resource::Finding) {
        d.live_by_severity = [0; 5];
        d.devices_by_risk = [0, 0, 0, 0, 0, d.assets];
        d.first_seen_per_day.clear();
    }
    let kinds: Vec<(String, u64, &'static str)> = d.by_kind.iter().map(|(k, n)| (k.clone(), *n, "kind")).collect();
    // The store counts by rank (0 info .. 4 critical); the charts list the most severe first.
    let by_sev: Vec<u64> = (0..5).rev().map(|r| d.live_by_severity[r]).collect();
    let sev_rows: Vec<(String, u64, &'static str)> = SEVERITIES.iter().zip(&by_sev).map(|(s, n)| (s.to_string(), *n, sev_class(s))).collect();
    let risk: Vec<u64> = (0..5).rev().map(|r| d.devices_by_risk[r]).chain([d.devices_by_risk[5]]).collect();
    let risk_rows: Vec<(String, u64, &'static str)> = SEVERITIES.iter().chain(&["no open finding"]).zip(&risk).map(|(s, n)| (s.to_string(), *n, sev_class(s))).collect();
    let live: u64 = d.live_by_severity.iter().sum();
    let mut b = Html::new();
    html!(
        b,
        "<section class=\"tiles\"><a class=\"tile\" href=\"/assets\"><strong>{}</strong> devices</a><a class=\"tile\" href=\"/findings?status=open\"><strong>{}</strong> open or acknowledged findings</a><a class=\"tile sev-critical\" href=\"/findings?status=open&amp;min_severity=high\"><strong>{}</strong> high or critical</a></section><section class=\"charts\">{}{}{}{}</section>",
        d.assets,
        live,
        by_sev[0] + by_sev[1],
        bar_chart("Devices by kind", &kinds),
        bar_chart("Devices by risk (most severe open finding)", &risk_rows),
        bar_chart("Open findings by severity", &sev_rows),
        trend_chart(&d.first_seen_per_day)
    );
    page(StatusCode::OK, "Dashboard", Some(&v), &b)
}

fn sev_class(s: &str) -> &'static str {
    match s {
        "critical" => "sev-critical",
        "high" => "sev-high",
        "medium" => "sev-medium",
        "low" => "sev-low",
        "info" => "sev-info",
        _ => "sev-none",
    }
}

/// A link to this list with one parameter changed (and the page reset unless it is `offset`).
fn with_param(base: &str, q: &HashMap<String, String>, key: &str, value: &str) -> String {
    let mut q: BTreeMap<&str, &str> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if key != "offset" {
        q.remove("offset");
    }
    q.insert(key, value);
    let mut s = String::from(base);
    let mut first = true;
    for (k, v) in q.into_iter().filter(|(_, v)| !v.is_empty()) {
        s.push(if first { '?' } else { '&' });
        first = false;
        s.push_str(&url_encode(k));
        s.push('=');
        s.push_str(&url_encode(v));
    }
    s
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn select(name: &str, current: &str, options: &[(&str, &str)]) -> Html {
    let mut h = Html::new();
    html!(h, "<select name=\"{}\">", name);
    for (value, label) in options {
        let selected = if *value == current { " selected" } else { "" };
        html!(h, "<option value=\"{}\"{}>{}</option>", value, selected, label);
    }
    html!(h, "</select>");
    h
}

fn pager(base: &str, q: &HashMap<String, String>, offset: u64, limit: u32, shown: usize, total: u64) -> Html {
    let mut h = Html::new();
    let limit = u64::from(if limit == 0 { 50 } else { limit.min(ward_store::MAX_PAGE) });
    html!(h, "<nav class=\"pager\"><span>{} to {} of {}</span>", if shown == 0 { 0 } else { offset + 1 }, offset + shown as u64, total);
    if offset > 0 {
        html!(h, " <a rel=\"prev\" href=\"{}\">Previous</a>", with_param(base, q, "offset", &offset.saturating_sub(limit).to_string()));
    }
    if offset + (shown as u64) < total {
        html!(h, " <a rel=\"next\" href=\"{}\">Next</a>", with_param(base, q, "offset", &(offset + limit).to_string()));
    }
    html!(h, "</nav>");
    h
}

fn bad_filter(v: &Viewer) -> Response {
    message(StatusCode::BAD_REQUEST, "Bad request", Some(v), "One of the filters has a value this page does not know.")
}

/// `GET /assets`: search, filter by kind, sort, page.
pub(crate) async fn assets(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Query(q): Params) -> Response {
    let v = match viewer(&app, &headers, peer, Action::Read, Resource::Asset, "assets").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut query = match asset_query(&q, &v.p) {
        Ok(x) => x,
        Err(_) => return bad_filter(&v),
    };
    if query.kind.as_deref() == Some("") {
        query.kind = None;
    }
    let page_rows = match app.store.assets(&query).await {
        Ok(p) => p,
        Err(e) => return refused(crate::auth::Refusal::internal(&e), Some(&v), "/"),
    };
    let get = |k: &str| q.get(k).map_or("", String::as_str);
    // Risk scores come from the advisories: shown, and sortable, to those who may read them.
    let risk = ward_auth::allowed(v.p.role, Action::Read, Resource::Advisory);
    let mut sorts = vec![("last_seen", "last seen"), ("label", "name"), ("kind", "kind"), ("manufacturer", "manufacturer"), ("bytes", "traffic")];
    if risk {
        sorts.push(("risk", "risk"));
    }
    let mut b = Html::new();
    html!(
        b,
        "<form method=\"get\" action=\"/assets\" class=\"filters\"><label>Search <input type=\"search\" name=\"q\" value=\"{}\" placeholder=\"name, vendor, model, MAC, address, AE title\"></label><label>Kind <input name=\"kind\" value=\"{}\" placeholder=\"e.g. patient-monitor\"></label><label>Sort {}</label><label>Order {}</label><button type=\"submit\">Apply</button></form>",
        get("q"),
        get("kind"),
        select("sort", get("sort"), &sorts),
        select("order", get("order"), &[("desc", "descending"), ("asc", "ascending")])
    );
    if !get("q").is_empty() {
        html!(b, "<p class=\"hint\">Devices matching <q class=\"search-term\">{}</q>:</p>", get("q"));
    }
    html!(b, "<table class=\"list\" id=\"assets\"><thead><tr><th>Name</th><th>Kind</th><th>Manufacturer</th><th>Model</th><th>Software</th><th>Confidence</th><th>Last seen</th><th>Traffic</th>");
    if risk {
        html!(b, "<th title=\"0-100: worst CVSS, known exploitation, exposure on the wire, clinical impact\">Risk</th>");
    }
    html!(b, "</tr></thead><tbody>");
    for a in &page_rows.items {
        html!(
            b,
            "<tr data-risk=\"{}\"><td><a href=\"/assets/{}\">{}</a></td><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            if risk { format!("{:.1}", a.risk) } else { String::new() },
            a.id,
            a.label,
            with_param("/assets", &q, "kind", &a.kind),
            a.kind,
            a.manufacturer.as_deref().unwrap_or("—"),
            a.model.as_deref().unwrap_or("—"),
            a.software_version.as_deref().unwrap_or("—"),
            format!("{}%", a.confidence),
            when(a.last_seen),
            bytes(a.bytes)
        );
        if risk {
            html!(b, "<td class=\"risk\">{}</td>", if a.risk > 0.0 { format!("{:.1}", a.risk) } else { "—".to_string() });
        }
        html!(b, "</tr>");
    }
    html!(b, "</tbody></table>");
    b.push(&pager("/assets", &q, query.offset, query.limit, page_rows.items.len(), page_rows.total));
    b.push(&export_links(&v, Resource::Asset, "assets"));
    page(StatusCode::OK, "Inventory", Some(&v), &b)
}

fn json_str(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn str_list(v: &serde_json::Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(json_str).collect()).unwrap_or_default()
}

fn list_or_dash(items: &[String]) -> Html {
    let mut h = Html::new();
    if items.is_empty() {
        html!(h, "—");
    } else {
        html!(h, "<ul class=\"inline\">");
        for i in items {
            html!(h, "<li>{}</li>", i);
        }
        html!(h, "</ul>");
    }
    h
}

/// `GET /assets/{id}`: identity with its evidence, addresses and names over time, protocols,
/// peers, findings.
pub(crate) async fn asset(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let v = match viewer(&app, &headers, peer, Action::Read, Resource::Asset, &format!("asset:{id}")).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    // One read of the device's unit decides the clinician's view and shows on the page.
    let care_unit = match app.store.asset_care_unit(id).await {
        Ok(u) if in_scope(&v.p, u.as_deref()) => u,
        Ok(_) | Err(ward_store::StoreError::NotFound(_)) => return message(StatusCode::NOT_FOUND, "Not found", Some(&v), "No such device."),
        Err(e) => return refused(crate::auth::Refusal::internal(&e), Some(&v), "/"),
    };
    let (row, detail, identifiers, history) = match app.store.asset(id).await {
        Ok(x) => x,
        Err(ward_store::StoreError::NotFound(_)) => return message(StatusCode::NOT_FOUND, "Not found", Some(&v), "No such device."),
        Err(e) => return refused(crate::auth::Refusal::internal(&e), Some(&v), "/"),
    };
    let findings = if ward_auth::allowed(v.p.role, Action::Read, Resource::Finding) {
        match app.store.findings(&FindingQuery { asset: Some(id), care_unit: care_scope(&v.p), limit: 500, ..FindingQuery::default() }).await {
            Ok(p) => visible_findings(&v.p, p.items),
            Err(e) => return refused(crate::auth::Refusal::internal(&e), Some(&v), "/"),
        }
    } else {
        Vec::new()
    };
    let dev = &detail["device"];
    let mut b = Html::new();
    html!(
        b,
        "<section><h2>Identity</h2><dl class=\"facts\"><dt>Kind</dt><dd id=\"asset-kind\">{}</dd><dt>Manufacturer</dt><dd>{}</dd><dt>Model</dt><dd>{}</dd><dt>Software</dt><dd>{}</dd><dt>Confidence</dt><dd>{}</dd><dt>Components</dt><dd>{}</dd><dt>First seen</dt><dd>{}</dd><dt>Last seen</dt><dd>{}</dd><dt>Traffic</dt><dd>{} packets, {}</dd><dt>Care unit</dt><dd id=\"asset-care-unit\">{}</dd></dl>",
        row.kind,
        row.manufacturer.as_deref().unwrap_or("—"),
        row.model.as_deref().unwrap_or("—"),
        row.software_version.as_deref().unwrap_or("—"),
        format!("{}%", row.confidence),
        list_or_dash(&str_list(&dev["components"])),
        when(row.first_seen),
        when(row.last_seen),
        row.packets,
        bytes(row.bytes),
        care_unit.as_deref().unwrap_or("—")
    );
    if ward_auth::allowed(v.p.role, Action::Update, Resource::Asset) {
        html!(
            b,
            "<form method=\"post\" action=\"/assets/{}/care-unit\" class=\"inline\" id=\"care-unit-form\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><label>Care unit <input name=\"care_unit\" value=\"{}\" maxlength=\"64\" placeholder=\"e.g. ICU\"></label><button type=\"submit\">Set</button></form>",
            id,
            v.csrf,
            care_unit.as_deref().unwrap_or("")
        );
    }
    html!(b, "<h3>Evidence</h3><table class=\"list\"><thead><tr><th>Clue</th><th>Observed</th><th>Says</th><th>Weight</th><th>Source</th></tr></thead><tbody>");
    for e in dev["evidence"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let says: Vec<String> = e["says"].as_object().map(|o| o.iter().map(|(k, v)| format!("{k} = {}", json_str(v))).collect()).unwrap_or_default();
        html!(b, "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", json_str(&e["clue"]), json_str(&e["value"]), says.join("; "), json_str(&e["weight"]), json_str(&e["source"]));
    }
    html!(b, "</tbody></table></section>");
    html!(b, "<section><h2>Addresses and names</h2><table class=\"list\"><thead><tr><th>Kind</th><th>Value</th></tr></thead><tbody>");
    for (k, val) in &identifiers {
        html!(b, "<tr><td>{}</td><td>{}</td></tr>", k, val);
    }
    html!(b, "</tbody></table><h3>Over time</h3><table class=\"list\"><thead><tr><th>When</th><th>What</th><th>Before</th><th>After</th></tr></thead><tbody>");
    for h in &history {
        html!(b, "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", when(h.at), h.field, h.old_value.as_deref().unwrap_or("(added)"), h.new_value.as_deref().unwrap_or("(moved to another device)"));
    }
    if history.is_empty() {
        html!(b, "<tr><td colspan=\"4\">no change recorded</td></tr>");
    }
    html!(b, "</tbody></table></section>");
    html!(
        b,
        "<section><h2>Protocols</h2><dl class=\"facts\"><dt>As client</dt><dd>{}</dd><dt>As server</dt><dd>{}</dd><dt>HL7 applications</dt><dd>{}</dd><dt>DICOM AE titles</dt><dd>{}</dd><dt>MQTT client ids</dt><dd>{}</dd><dt>TLS clients (JA4)</dt><dd>{}</dd></dl></section>",
        list_or_dash(&str_list(&detail["protocols"]["client"])),
        list_or_dash(&str_list(&detail["protocols"]["server"])),
        list_or_dash(&str_list(&detail["hl7_applications"])),
        list_or_dash(&str_list(&detail["dicom_ae_titles"])),
        list_or_dash(&str_list(&detail["mqtt_client_ids"])),
        list_or_dash(&str_list(&detail["tls_ja4"]))
    );
    html!(b, "<section><h2>Peers</h2><p>{} distinct peers in the last report.</p>{}</section>", json_str(&detail["peer_count"]), list_or_dash(&str_list(&detail["peers"])));
    if let Some((risk, matches)) = device_risk(&app, &v.p, id, &detail, &findings) {
        html!(b, "<section id=\"risk\"><h2>Known vulnerabilities and risk</h2><p class=\"score\">Risk score <strong id=\"risk-score\">{}</strong> of 100 (as a {}).</p><ul class=\"reasons\">", format!("{:.0}", risk.score), risk.kind.replace('-', " "));
        for r in &risk.reasons {
            html!(b, "<li>{} <span class=\"points\">(+{})</span></li>", r.text, format!("{:.1}", r.points));
        }
        html!(b, "</ul><h3>What to do first</h3><ol class=\"remediations\">");
        for st in &risk.remediations {
            html!(
                b,
                "<li><strong>{}</strong>{} <span class=\"meta\">({}, {}; removes {} points; {})</span></li>",
                st.action,
                st.fixed_version.as_deref().map(|v| format!(" (version {v})")),
                st.category.replace('_', " "),
                st.advisory,
                format!("{:.1}", st.reduces_by),
                st.cves.join(", ")
            );
        }
        html!(b, "</ol><table class=\"list\" id=\"vulnerabilities\"><thead><tr><th>Advisory</th><th>CVE</th><th>CVSS</th><th>Exploited (KEV)</th><th>Match</th><th>Why</th></tr></thead><tbody>");
        for m in &matches {
            html!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                m.advisory,
                m.cve.as_deref().unwrap_or("—"),
                m.cvss.map_or_else(|| "—".to_string(), |c| format!("{c:.1}")),
                if m.kev { "yes" } else { "no" },
                format!("{}{}", m.how.as_str(), if m.needs_review { " (review)" } else { "" }),
                m.why
            );
        }
        html!(b, "</tbody></table></section>");
    }
    if ward_auth::allowed(v.p.role, Action::Read, Resource::Finding) {
        html!(b, "<section><h2>Findings</h2>");
        b.push(&findings_table(&v, &findings, &format!("/assets/{id}")));
        html!(b, "</section>");
    }
    page(StatusCode::OK, &row.label, Some(&v), &b)
}

/// Actions the page offers for a finding in `status` (the store's lifecycle decides in the end).
fn offered(status: &str) -> Vec<&'static str> {
    let mut a = Vec::new();
    if status == "open" {
        a.push("acknowledge");
    }
    if matches!(status, "acknowledged" | "resolved" | "accepted_risk") {
        a.push("reopen");
    }
    if matches!(status, "open" | "acknowledged" | "accepted_risk") {
        a.push("resolve");
    }
    if matches!(status, "open" | "acknowledged") {
        a.push("accept-risk");
    }
    a
}

fn verb_policy(verb: &str) -> Action {
    match verb {
        "acknowledge" => Action::Acknowledge,
        "accept-risk" => Action::AcceptRisk,
        "assign" => Action::Assign,
        "comment" => Action::Comment,
        _ => Action::Resolve,
    }
}

fn action_forms(v: &Viewer, f: &FindingRow, back: &str) -> Html {
    let may = |verb: &str| ward_auth::allowed(v.p.role, verb_policy(verb), Resource::Finding);
    let mut h = Html::new();
    let hidden = |h: &mut Html| html!(h, "<input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"back\" value=\"{}\">", v.csrf, back);
    // The one-click steps first; the ones that take text behind "More".
    let mut more_open = false;
    for verb in offered(&f.status) {
        if !may(verb) {
            continue;
        }
        if matches!(verb, "resolve" | "accept-risk") && !more_open {
            html!(h, "<details class=\"more\"><summary>More</summary>");
            more_open = true;
        }
        html!(h, "<form method=\"post\" action=\"/findings/{}/{}\" class=\"act\">", f.id, verb);
        hidden(&mut h);
        match verb {
            "resolve" => html!(h, "<input name=\"text\" placeholder=\"what was done (optional)\" aria-label=\"resolution note\">"),
            "accept-risk" => html!(h, "<input name=\"reason\" placeholder=\"reason\" required aria-label=\"reason\"><input type=\"date\" name=\"until\" required aria-label=\"until\">"),
            _ => {}
        }
        let label = match verb {
            "acknowledge" => "Acknowledge",
            "resolve" => "Resolve",
            "reopen" => "Reopen",
            _ => "Accept risk",
        };
        html!(h, "<button type=\"submit\" name=\"do\" value=\"{}\">{}</button></form>", verb, label);
    }
    if !more_open && (may("assign") || may("comment")) {
        html!(h, "<details class=\"more\"><summary>More</summary>");
        more_open = true;
    }
    if may("assign") {
        html!(h, "<form method=\"post\" action=\"/findings/{}/assign\" class=\"act\">", f.id);
        hidden(&mut h);
        html!(h, "<input name=\"assignee\" value=\"{}\" placeholder=\"user name (empty: nobody)\" aria-label=\"assignee\"><button type=\"submit\">Assign</button></form>", f.assignee.as_deref().unwrap_or(""));
    }
    if may("comment") {
        html!(h, "<form method=\"post\" action=\"/findings/{}/comment\" class=\"act\">", f.id);
        hidden(&mut h);
        html!(h, "<input name=\"text\" placeholder=\"comment\" required aria-label=\"comment\"><button type=\"submit\">Comment</button></form>");
    }
    if more_open {
        html!(h, "</details>");
    }
    h
}

/// The device a finding is about, as a link to its page.
fn device_link(f: &FindingRow) -> Html {
    let Some(a) = f.asset else { return Html::text("—") };
    let mut h = Html::new();
    html!(h, "<a href=\"/assets/{}\">{}</a>", a, f.asset_label.as_deref().unwrap_or("device"));
    h
}

fn findings_table(v: &Viewer, items: &[FindingRow], back: &str) -> Html {
    let mut b = Html::new();
    html!(b, "<table class=\"list findings\" id=\"findings\"><thead><tr><th>Severity</th><th>Finding</th><th>Device</th><th>Protocol</th><th>Status</th><th>Assignee</th><th>Last seen</th><th>Seen</th><th>Actions</th></tr></thead><tbody>");
    for f in items {
        let mut evidence = Html::new();
        if !f.evidence.is_empty() || !f.remediation.is_empty() {
            html!(evidence, "<details><summary>Evidence and remedy</summary><dl class=\"facts\">");
            for (k, val) in &f.evidence {
                html!(evidence, "<dt>{}</dt><dd>{}</dd>", k, val);
            }
            html!(evidence, "</dl><p>{}</p></details>", f.remediation);
        }
        let device = device_link(f);
        html!(
            b,
            "<tr id=\"finding-{}\" data-status=\"{}\"><td><span class=\"badge {}\">{}</span></td><td><a href=\"/findings/{}\">{}</a>{}</td><td>{}</td><td>{}</td><td class=\"status\">{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            f.id,
            f.status,
            sev_class(&f.severity),
            f.severity,
            f.id,
            f.title,
            evidence,
            device,
            f.protocol.as_deref().unwrap_or("—"),
            f.status.replace('_', " "),
            f.status_reason.as_deref().map(|r| format!(" ({r})")),
            f.assignee.as_deref().unwrap_or("—"),
            when(f.last_seen),
            f.occurrences,
            action_forms(v, f, back)
        );
    }
    if items.is_empty() {
        html!(b, "<tr><td colspan=\"9\">no finding</td></tr>");
    }
    html!(b, "</tbody></table>");
    b
}

/// `GET /findings`: the queue, filtered by status, least severity and kind.
pub(crate) async fn findings(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Query(mut q): Params) -> Response {
    let v = match viewer(&app, &headers, peer, Action::Read, Resource::Finding, "findings").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    // An empty select means "any".
    q.retain(|_, val| !val.is_empty());
    let query = match finding_query(&q, &v.p) {
        Ok(x) => x,
        Err(_) => return bad_filter(&v),
    };
    let rows = match app.store.findings(&query).await {
        Ok(p) => p,
        Err(e) => return refused(crate::auth::Refusal::internal(&e), Some(&v), "/"),
    };
    let get = |k: &str| q.get(k).map_or("", String::as_str);
    let mut statuses: Vec<(&str, &str)> = vec![("", "any")];
    statuses.extend(STATUSES.iter().map(|s| (*s, *s)));
    let mut sevs: Vec<(&str, &str)> = vec![("", "any")];
    sevs.extend(SEVERITIES.iter().rev().map(|s| (*s, *s)));
    let mut b = Html::new();
    html!(
        b,
        "<form method=\"get\" action=\"/findings\" class=\"filters\"><label>Status {}</label><label>At least {}</label><label>Kind <input name=\"kind\" value=\"{}\" placeholder=\"e.g. cleartext-credentials\"></label><label>Sort {}</label>",
        select("status", get("status"), &statuses),
        select("min_severity", get("min_severity"), &sevs),
        get("kind"),
        select("sort", get("sort"), &[("severity", "severity"), ("last_seen", "last seen"), ("first_seen", "first seen"), ("occurrences", "occurrences")])
    );
    if let Some(a) = q.get("asset") {
        html!(b, "<input type=\"hidden\" name=\"asset\" value=\"{}\">", a);
    }
    html!(b, "<button type=\"submit\">Apply</button></form>");
    if let Some(done) = q.get("done") {
        html!(b, "<p class=\"notice\" role=\"status\">Done: {}.</p>", done);
    }
    let back = with_param("/findings", &q, "done", "");
    b.push(&findings_table(&v, &visible_findings(&v.p, rows.items.clone()), &back));
    b.push(&pager("/findings", &q, query.offset, query.limit, rows.items.len(), rows.total));
    b.push(&export_links(&v, Resource::Finding, "findings"));
    page(StatusCode::OK, "Findings", Some(&v), &b)
}

#[derive(Deserialize)]
pub(crate) struct FindingForm {
    csrf: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    reason: Option<String>,
    /// `YYYY-MM-DD`: the acceptance ends at the end of that day (UTC).
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    assignee: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

fn end_of_day(date: &str) -> Option<i64> {
    let mut it = date.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1970..=9999).contains(&y) {
        return None;
    }
    Some((days_from_civil(y, m, d) + 1) * 86_400 - 1)
}

/// `GET /findings/{id}`: one finding, its evidence, its history and the steps offered.
pub(crate) async fn finding(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Path(id): Path<i64>, Query(q): Params) -> Response {
    let v = match viewer(&app, &headers, peer, Action::Read, Resource::Finding, &format!("finding:{id}")).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (f, history) = match finding_with_history(&app, &v.p, id).await {
        Ok(x) => x,
        Err(r) => return refused(r, Some(&v), "/findings"),
    };
    let back = format!("/findings/{id}");
    let mut b = Html::new();
    if let Some(d) = q.get("done") {
        html!(b, "<p class=\"notice\" role=\"status\">Done: {}.</p>", d);
    }
    let device = device_link(&f);
    html!(
        b,
        "<section><dl class=\"facts\"><dt>Severity</dt><dd><span class=\"badge {}\">{}</span></dd><dt>Kind</dt><dd>{}</dd><dt>Device</dt><dd>{}</dd><dt>Protocol</dt><dd>{}</dd><dt>Status</dt><dd id=\"finding-status\">{}</dd><dt>Assignee</dt><dd>{}</dd><dt>First seen</dt><dd>{}</dd><dt>Last seen</dt><dd>{}</dd><dt>Occurrences</dt><dd>{}</dd></dl><h2>What to do</h2><p>{}</p>",
        sev_class(&f.severity),
        f.severity,
        f.kind,
        device,
        f.protocol.as_deref().unwrap_or("—"),
        f.status.replace('_', " "),
        f.assignee.as_deref().unwrap_or("—"),
        when(f.first_seen),
        when(f.last_seen),
        f.occurrences,
        f.remediation
    );
    if !f.evidence.is_empty() {
        html!(b, "<h2>Evidence</h2><dl class=\"facts\">");
        for (k, val) in &f.evidence {
            html!(b, "<dt>{}</dt><dd>{}</dd>", k, val);
        }
        html!(b, "</dl>");
    }
    html!(b, "<h2>Steps</h2><div class=\"actions\">{}</div></section>", action_forms(&v, &f, &back));
    if ward_auth::allowed(v.p.role, Action::Read, Resource::FindingEvidence) {
        html!(b, "<section><h2>History</h2><table class=\"list\" id=\"finding-history\"><thead><tr><th>When</th><th>Who</th><th>What</th><th>Detail</th></tr></thead><tbody>");
        for e in &history {
            html!(b, "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", when(e.at), e.actor, e.action.replace('_', " "), e.detail.as_deref().unwrap_or(""));
        }
        html!(b, "</tbody></table></section>");
    }
    page(StatusCode::OK, &f.title, Some(&v), &b)
}

/// `POST /findings/{id}/{action}`: one step of the lifecycle, then back to the list.
pub(crate) async fn finding_action(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Path((id, verb)): Path<(i64, String)>, Form(f): Form<FindingForm>) -> Response {
    let v = match actor(&app, &headers, peer, &f.csrf).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let body = ActionBody {
        reason: f.reason.clone().filter(|s| !s.is_empty()),
        until: f.until.as_deref().and_then(end_of_day),
        assignee: f.assignee.clone().filter(|s| !s.trim().is_empty()),
        text: f.text.clone().filter(|s| !s.is_empty()),
    };
    let Some((policy_action, action)) = finding_verb(&verb, &body) else {
        return message(StatusCode::NOT_FOUND, "Not found", Some(&v), "No such action on a finding.");
    };
    let back = safe_next(&f.back);
    match act_on_finding(&app, &v.p, id, &verb, policy_action, &action, body.reason.as_deref()).await {
        Ok(()) => {
            let sep = if back.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{back}{sep}done={}", url_encode(&format!("{verb} finding {id}")))).into_response()
        }
        Err(r) => refused(r, Some(&v), back),
    }
}

/// `GET /users`: the accounts; an administrator also gets the form to make one.
pub(crate) async fn users(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Query(q): Params) -> Response {
    let v = match viewer(&app, &headers, peer, Action::Read, Resource::User, "users").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let list = match app.store.users().await {
        Ok(l) => l,
        Err(e) => return refused(crate::auth::Refusal::internal(&e), Some(&v), "/"),
    };
    let mut b = Html::new();
    if let Some(c) = q.get("changed") {
        html!(b, "<p class=\"notice\" role=\"status\">Account {} changed.</p>", c);
    }
    if let Some(c) = q.get("created") {
        html!(b, "<p class=\"notice\" role=\"status\">Account {} created. Give them the password another way; they set up their authenticator at their first sign-in.</p>", c);
    }
    let may_change = ward_auth::allowed(v.p.role, Action::Update, Resource::User);
    let roles: Vec<(&str, &str)> = Role::ALL.iter().map(|r| (r.as_str(), r.as_str())).collect();
    html!(b, "<table class=\"list\" id=\"users\"><thead><tr><th>User</th><th>Role</th><th>Care unit</th><th>Second factor</th><th>State</th><th>Created</th>{}</tr></thead><tbody>", if may_change { "<th>Change</th>" } else { "" });
    for u in &list {
        html!(
            b,
            "<tr id=\"user-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            u.id,
            u.username,
            u.role.replace('_', " "),
            u.care_unit.as_deref().unwrap_or("—"),
            if u.totp_enrolled { "enrolled" } else { "not yet" },
            if u.disabled { "disabled" } else { "active" },
            when(u.created_at)
        );
        if may_change {
            let states: [(&str, &str); 2] = [("active", "active"), ("disabled", "disabled")];
            html!(
                b,
                "<td><form method=\"post\" action=\"/users/{}\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">{}<input name=\"care_unit\" value=\"{}\" placeholder=\"care unit\" maxlength=\"64\" aria-label=\"care unit\">{}<button type=\"submit\">Save</button></form></td>",
                u.id,
                v.csrf,
                select("role", &u.role, &roles),
                u.care_unit.as_deref().unwrap_or(""),
                select("state", if u.disabled { "disabled" } else { "active" }, &states)
            );
        }
        html!(b, "</tr>");
    }
    html!(b, "</tbody></table>");
    if ward_auth::allowed(v.p.role, Action::Create, Resource::User) {
        html!(
            b,
            "<h2>New account</h2><form method=\"post\" action=\"/users\" class=\"stack narrow\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><label>User name <input name=\"username\" required pattern=\"[A-Za-z0-9._@-]{{2,64}}\"></label><label>Role {}</label><label>Care unit (clinicians) <input name=\"care_unit\"></label><label>Initial password (at least 12 characters) <input type=\"password\" name=\"password\" autocomplete=\"new-password\" minlength=\"12\" required></label><button type=\"submit\">Create</button></form>",
            v.csrf,
            select("role", "auditor", &roles)
        );
    }
    page(StatusCode::OK, "Users and roles", Some(&v), &b)
}

#[derive(Deserialize)]
pub(crate) struct UserForm {
    csrf: String,
    username: String,
    role: String,
    password: String,
    #[serde(default)]
    care_unit: String,
}

/// `POST /users`: a new account (an administrator's, with a fresh sign-in).
pub(crate) async fn create_user(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Form(f): Form<UserForm>) -> Response {
    let v = match actor(&app, &headers, peer, &f.csrf).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let care_unit = Some(f.care_unit.trim().to_string()).filter(|c| !c.is_empty());
    let new = NewUser { username: f.username, role: f.role, password: f.password, care_unit };
    match create_account(&app, &v.p, &new).await {
        Ok(_) => Redirect::to(&format!("/users?created={}", url_encode(&new.username))).into_response(),
        Err(r) => refused(r, Some(&v), "/users"),
    }
}

#[derive(Deserialize)]
pub(crate) struct UserChangeForm {
    csrf: String,
    role: String,
    #[serde(default)]
    care_unit: String,
    state: String,
}

/// `POST /users/{id}`: an administrator changes an account's role, care unit or state.
pub(crate) async fn change_user(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Path(id): Path<i64>, Form(f): Form<UserChangeForm>) -> Response {
    let v = match actor(&app, &headers, peer, &f.csrf).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let change = UserChange { role: Some(f.role), care_unit: Some(f.care_unit), disabled: Some(f.state == "disabled") };
    match update_account(&app, &v.p, id, &change).await {
        Ok(()) => Redirect::to(&format!("/users?changed={id}")).into_response(),
        Err(r) => refused(r, Some(&v), "/users"),
    }
}

#[derive(Deserialize)]
pub(crate) struct CareUnitForm {
    csrf: String,
    #[serde(default)]
    care_unit: String,
}

/// `POST /assets/{id}/care-unit`: put a device in a care unit (what its clinicians see).
pub(crate) async fn asset_care_unit(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Path(id): Path<i64>, Form(f): Form<CareUnitForm>) -> Response {
    let v = match actor(&app, &headers, peer, &f.csrf).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match set_care_unit(&app, &v.p, id, Some(&f.care_unit)).await {
        Ok(()) => Redirect::to(&format!("/assets/{id}")).into_response(),
        Err(r) => refused(r, Some(&v), &format!("/assets/{id}")),
    }
}

/// Download links for the roles that may export `resource` (a fresh sign-in is asked first).
fn export_links(v: &Viewer, resource: Resource, name: &str) -> Html {
    let mut h = Html::new();
    if ward_auth::allowed(v.p.role, Action::Export, resource) {
        html!(h, "<p class=\"exports\">Export all: <a href=\"/export/{}.csv\">CSV</a> · <a href=\"/export/{}.json\">JSON</a></p>", name, name);
    }
    h
}

/// `GET /export/{file}`: the API's export, downloaded from a page (after a fresh sign-in).
pub(crate) async fn export(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Path(file): Path<String>) -> Response {
    let p = match app.session_principal(&headers, peer, None).await {
        Ok(p) => p,
        Err(r) => return refused(r, None, "/"),
    };
    let v = Viewer { csrf: app.csrf_token(&headers), p };
    match crate::api::export_file(&app, &v.p, &file).await {
        Ok(r) => r,
        Err(r) => refused(r, Some(&v), &format!("/export/{file}")),
    }
}

/// `GET /remediation`: what to fix first across the fleet.
pub(crate) async fn remediation(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    let v = match viewer(&app, &headers, peer, Action::Read, Resource::Advisory, "remediation").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let plan = match crate::remediation::plan(&app, &v.p).await {
        Ok(p) => p,
        Err(r) => return refused(r, Some(&v), "/"),
    };
    let mut b = Html::new();
    html!(b, "<p>Every device with an open known vulnerability, scored as on its own page, and the steps of all of them grouped and ordered by the risk they remove across the fleet.</p>");
    if plan.partial {
        html!(b, "<p class=\"notice\">More than {} devices are affected: this plan covers the most recently seen.</p>", crate::remediation::MAX_DEVICES);
    }
    html!(b, "<section><h2>What to fix first</h2><table class=\"list\" id=\"plan\"><thead><tr><th>#</th><th>Step</th><th>Advisory</th><th>CVEs</th><th>Devices</th><th>Risk removed</th></tr></thead><tbody>");
    for (i, st) in plan.steps.iter().enumerate() {
        html!(
            b,
            "<tr><td>{}</td><td><strong>{}</strong>{} <span class=\"meta\">({})</span></td><td>{}</td><td>{}</td><td>",
            i + 1,
            st.action,
            st.fixed_version.as_deref().map(|v| format!(" (version {v})")),
            st.category.replace('_', " "),
            st.advisory,
            st.cves.join(", ")
        );
        for (j, d) in st.devices.iter().enumerate() {
            html!(b, "{}<a href=\"/assets/{}\">{}</a>", if j > 0 { ", " } else { "" }, d.id, d.label);
        }
        html!(b, "</td><td>{}</td></tr>", format!("{:.1}", st.risk_removed));
    }
    if plan.steps.is_empty() {
        html!(b, "<tr><td colspan=\"6\">no open known vulnerability</td></tr>");
    }
    html!(b, "</tbody></table></section><section><h2>Devices by risk</h2><table class=\"list\" id=\"risky-devices\"><thead><tr><th>Device</th><th>Risk score</th></tr></thead><tbody>");
    for d in &plan.devices {
        html!(b, "<tr><td><a href=\"/assets/{}\">{}</a></td><td>{}</td></tr>", d.id, d.label, format!("{:.0}", d.score));
    }
    html!(b, "</tbody></table></section>");
    page(StatusCode::OK, "Remediation plan", Some(&v), &b)
}

/// `GET /sensors`: how to connect a sensor.
pub(crate) async fn sensors(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Query(q): Params) -> Response {
    let v = match viewer(&app, &headers, peer, Action::Read, Resource::Sensor, "sensors").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let tokens = match app.store.tokens("sensor").await {
        Ok(t) => t,
        Err(e) => return refused(crate::auth::Refusal::internal(&e), Some(&v), "/"),
    };
    let now = ward_store::now();
    let mut b = Html::new();
    if let Some(d) = q.get("done") {
        html!(b, "<p class=\"notice\" role=\"status\">{}.</p>", d);
    }
    let may_revoke = ward_auth::allowed(v.p.role, Action::Delete, Resource::Sensor);
    html!(b, "<table class=\"list\" id=\"tokens\"><thead><tr><th>Sensor</th><th>Token id</th><th>Made</th><th>Expires</th><th>Last used</th><th>State</th><th></th></tr></thead><tbody>");
    for t in &tokens {
        let state = crate::token_api::state_of(t, now);
        html!(
            b,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>",
            t.subject,
            t.public_id,
            when(t.created_at),
            when(t.expires_at),
            t.last_used_at.map_or_else(|| "never".to_string(), when),
            state
        );
        if may_revoke && state == "active" {
            b.push(&super::tokens::revoke_form(&t.public_id, &v.csrf, "/sensors"));
        }
        html!(b, "</td></tr>");
    }
    if tokens.is_empty() {
        html!(b, "<tr><td colspan=\"7\">no sensor token yet</td></tr>");
    }
    html!(b, "</tbody></table><h2>Connecting a sensor</h2>");
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("SERVER:PORT");
    let scheme = if app.https { "https" } else { "http" };
    html!(
        b,
        "<p>A sensor uploads its reports with a token of its own. Tokens are made on the server's machine, by its operator, and shown once:</p><pre><code>ward server token create --sensor NAME --data-dir DATA_DIR &gt; NAME.token\nchmod 600 NAME.token</code></pre><p>Then, on the sensor:</p><pre><code>ward sensor -i INTERFACE --upload {}://{} --token-file NAME.token --server-pin SHA256_OF_THE_CERTIFICATE</code></pre><p>The certificate's fingerprint is printed by <code>ward server</code> when it starts. A sensor's reports are recognised by the token's sensor name, never by what the report says. An administrator revokes a sensor's token here (after confirming their password and code); the sensor's next upload is refused.</p>",
        scheme,
        host
    );
    page(StatusCode::OK, "Sensors and tokens", Some(&v), &b)
}

/// `GET /audit`: the trail, newest first.
pub(crate) async fn audit(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Query(q): Params) -> Response {
    let v = match viewer(&app, &headers, peer, Action::Read, Resource::Audit, "audit").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let records = match app.audit.recent(1000) {
        Ok(r) => r,
        Err(e) => return refused(crate::auth::Refusal::internal(&e), Some(&v), "/"),
    };
    let outcome = q.get("outcome").map_or("", String::as_str);
    let mut b = Html::new();
    html!(
        b,
        "<form method=\"get\" action=\"/audit\" class=\"filters\"><label>Outcome {}</label><button type=\"submit\">Apply</button></form><table class=\"list\" id=\"audit\"><thead><tr><th>#</th><th>When (UTC)</th><th>Who</th><th>What</th><th>On</th><th>Outcome</th><th>From</th><th>Why</th><th>In the signed ledger</th></tr></thead><tbody>",
        select("outcome", outcome, &[("", "any"), ("success", "success"), ("failure", "failure"), ("denied", "denied")])
    );
    for (i, r) in &records {
        let o = serde_json::to_value(r.outcome).ok().map(|x| json_str(&x)).unwrap_or_default();
        if !outcome.is_empty() && o != outcome {
            continue;
        }
        html!(
            b,
            "<tr class=\"outcome-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            o,
            i,
            when(r.time_ms.saturating_mul(1_000_000)),
            r.actor,
            r.action,
            r.subject,
            o,
            r.source.as_deref().unwrap_or("—"),
            r.reason.as_deref().unwrap_or(""),
            match app.audit.proved(*i) {
                Some(true) => "proved",
                Some(false) => "until the next checkpoint",
                None => "—",
            }
        );
    }
    html!(b, "</tbody></table>");
    page(StatusCode::OK, "Audit trail", Some(&v), &b)
}
