//! Reading the inventory and the findings: filtered, sorted, paginated. Sort columns come from
//! closed enums and every user value is a bound parameter, so no request text reaches the SQL.

use crate::{Result, Store, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
// Dynamic SQL here is assembled only from constant fragments, closed enums and `$N`
// placeholders: every value from a request is bound, never formatted in (`AssertSqlSafe`).
use sqlx::{Any, AssertSqlSafe, Row};
use std::collections::BTreeMap;
use ward_model::Severity;

/// Most rows one page returns.
pub const MAX_PAGE: u32 = 500;

/// How far past the end of a page the matching rows are counted: `total` is exact up to
/// `offset + limit + COUNT_AHEAD` rows and says "at least" beyond (`total_capped`). Counting every
/// match of an unselective filter is a scan of the whole table (about 1,000,000 index entries for
/// the findings of a large hospital: 50-170 ms on PostgreSQL, measured in bench/server/), which
/// alone would miss the list's 100 ms target; "10,050+ findings" is what a list shows anyway.
pub const COUNT_AHEAD: u64 = 10_000;

/// One page of results and how many match in all.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Rows matching the filter in all pages: exact when `total_capped` is false, otherwise a
    /// lower bound (counting stopped [`COUNT_AHEAD`] rows past the end of this page).
    pub total: u64,
    /// `total` is a lower bound: more rows match.
    pub total_capped: bool,
    /// Where the next page starts (`after`), when there is one: keyset pagination, so a deep
    /// page costs what the first does and rows inserted meanwhile neither repeat nor vanish.
    pub next: Option<Cursor>,
}

/// A position in a list (keyset pagination): after the row with these sort keys and id. Its
/// text form is opaque to clients (base64url of a small JSON document) and names the list, sort
/// and direction it belongs to, so a cursor of another order is refused instead of misread.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    scope: String,
    keys: Vec<serde_json::Value>,
    id: i64,
}

#[derive(Serialize, serde::Deserialize)]
struct CursorDoc {
    s: String,
    k: Vec<serde_json::Value>,
    i: i64,
}

/// Longest cursor text accepted (a text sort key is a label or a maker's name: well under it).
const MAX_CURSOR: usize = 2048;

impl Cursor {
    /// The text form.
    #[must_use]
    pub fn encode(&self) -> String {
        use base64::Engine;
        let doc = CursorDoc { s: self.scope.clone(), k: self.keys.clone(), i: self.id };
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&doc).unwrap_or_default())
    }

    /// Read a cursor's text form; `None` for anything that is not one. Whether it fits a list
    /// and order is checked when it is used.
    #[must_use]
    pub fn decode(text: &str) -> Option<Cursor> {
        use base64::Engine;
        if text.len() > MAX_CURSOR {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?;
        let d: CursorDoc = serde_json::from_slice(&bytes).ok()?;
        Some(Cursor { scope: d.s, keys: d.k, id: d.i })
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.encode())
    }
}

/// The type of one sort key.
#[derive(Clone, Copy)]
enum KeyType {
    Int,
    Float,
    Text,
}

/// The cursor condition for `cols` (the sort keys then the id, all in one direction) after
/// `after`, which must belong to `scope` and carry keys of `types`; its values are pushed onto
/// `params`. Row values compare in one step on both backends and walk the sort's index.
fn after_condition(after: &Cursor, scope: &str, cols: &[&str], types: &[KeyType], descending: bool, params: &mut Vec<Param>) -> Result<String> {
    let wrong = || StoreError::Invalid("after: not a position in this list and order (a cursor is only good for the sort and order it came with)".into());
    if after.scope != scope || after.keys.len() != types.len() {
        return Err(wrong());
    }
    let mut marks = Vec::with_capacity(cols.len());
    for (v, t) in after.keys.iter().zip(types) {
        params.push(match t {
            KeyType::Int => Param::Int(v.as_i64().ok_or_else(wrong)?),
            KeyType::Float => Param::Float(v.as_f64().ok_or_else(wrong)?),
            KeyType::Text => Param::Text(v.as_str().ok_or_else(wrong)?.to_string()),
        });
        marks.push(format!("${}", params.len()));
    }
    params.push(Param::Int(after.id));
    marks.push(format!("${}", params.len()));
    Ok(format!("({}) {} ({})", cols.join(", "), if descending { "<" } else { ">" }, marks.join(", ")))
}

/// How to order assets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AssetSort {
    /// Most recently seen first (with `descending`).
    #[default]
    LastSeen,
    /// By display name.
    Label,
    /// By device kind.
    Kind,
    /// By manufacturer.
    Manufacturer,
    /// By traffic.
    Bytes,
    /// By risk score (stored by the server from the advisories).
    Risk,
}

/// A filter over the inventory.
#[derive(Debug, Clone, Default)]
pub struct AssetQuery {
    /// Only the assets of this care unit (a clinician's view); `Some("")` matches none.
    pub care_unit: Option<String>,
    /// Only this device kind.
    pub kind: Option<String>,
    /// Case-insensitive substring of the name, manufacturer, model or any identifier (MAC,
    /// address, host name, AE title).
    pub search: Option<String>,
    /// Order.
    pub sort: AssetSort,
    /// Largest first.
    pub descending: bool,
    /// Page size (capped at [`MAX_PAGE`]; 0 means 50).
    pub limit: u32,
    /// Rows to skip.
    pub offset: u64,
    /// Start after this position (a previous page's `next`).
    pub after: Option<Cursor>,
}

/// An asset as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssetRow {
    /// Store id.
    pub id: i64,
    /// Device kind.
    pub kind: String,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Software version.
    pub software_version: Option<String>,
    /// Identity confidence, 0-100.
    pub confidence: i64,
    /// Display name.
    pub label: String,
    /// First seen (ns since the epoch).
    pub first_seen: i64,
    /// Last seen (ns since the epoch).
    pub last_seen: i64,
    /// Packets, all sensors.
    pub packets: i64,
    /// Bytes, all sensors.
    pub bytes: i64,
    /// Risk score, 0-100 (0: no known vulnerability, or not computed).
    pub risk: f64,
}

/// A change in an asset's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    /// When (ns since the epoch, the capture's time).
    pub at: i64,
    /// `software_version`, `ip`, `mac`, `hostname`, `dicom_ae`.
    pub field: String,
    /// Before (`None`: added).
    pub old_value: Option<String>,
    /// After (`None`: gone to another asset).
    pub new_value: Option<String>,
}

/// How to order findings.
/// The dashboard's numbers, counted by the database over every row (not a sample).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Dashboard {
    /// Devices in all.
    pub assets: u64,
    /// Devices per kind, most first.
    pub by_kind: Vec<(String, u64)>,
    /// Open or acknowledged findings per severity rank (0 info .. 4 critical).
    pub live_by_severity: [u64; 5],
    /// Devices per most severe open or acknowledged finding: ranks 0..=4, then 5 = none.
    pub devices_by_risk: [u64; 6],
    /// Findings first seen per day (days since the epoch), the last 30 days that have any, oldest first.
    pub first_seen_per_day: Vec<(i64, u64)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FindingSort {
    /// Most severe first (with `descending`), then most recent.
    #[default]
    Severity,
    /// By last occurrence.
    LastSeen,
    /// By first occurrence.
    FirstSeen,
    /// By number of occurrences.
    Occurrences,
}

/// A filter over the findings.
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    /// Only findings on assets of this care unit (a clinician's view); `Some("")` matches none.
    pub care_unit: Option<String>,
    /// `open`, `acknowledged`, `resolved`, `accepted_risk`.
    pub status: Option<String>,
    /// At least this severe.
    pub min_severity: Option<Severity>,
    /// Only this kind.
    pub kind: Option<String>,
    /// About this asset (as the asset or the peer).
    pub asset: Option<i64>,
    /// Assigned to.
    pub assignee: Option<String>,
    /// Order.
    pub sort: FindingSort,
    /// Largest first.
    pub descending: bool,
    /// Page size (capped at [`MAX_PAGE`]; 0 means 50).
    pub limit: u32,
    /// Rows to skip.
    pub offset: u64,
    /// Start after this position (a previous page's `next`).
    pub after: Option<Cursor>,
}

/// A finding as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRow {
    /// Store id.
    pub id: i64,
    /// Kind (`cleartext-phi`...).
    pub kind: String,
    /// Severity name.
    pub severity: String,
    /// The asset concerned.
    pub asset: Option<i64>,
    /// Its display name.
    pub asset_label: Option<String>,
    /// The other asset.
    pub peer: Option<i64>,
    /// Protocol.
    pub protocol: Option<String>,
    /// One line.
    pub title: String,
    /// Field names, counts and reasons (never values from the wire).
    pub evidence: BTreeMap<String, String>,
    /// What to do.
    pub remediation: String,
    /// First occurrence (ns).
    pub first_seen: i64,
    /// Last occurrence (ns).
    pub last_seen: i64,
    /// Occurrences over all reports.
    pub occurrences: i64,
    /// Lifecycle status.
    pub status: String,
    /// Reason of the last status change, if one was given.
    pub status_reason: Option<String>,
    /// End of a risk acceptance (ns).
    pub accepted_until: Option<i64>,
    /// Assignee.
    pub assignee: Option<String>,
}

fn limit(l: u32) -> i64 {
    i64::from(if l == 0 { 50 } else { l.min(MAX_PAGE) })
}

fn offset(o: u64) -> i64 {
    i64::try_from(o).unwrap_or(i64::MAX)
}

/// `%text%` for LIKE with `\` as the escape: the user's `%` and `_` match themselves.
fn like(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// A parameter of a query being built, bound in order.
enum Param {
    Text(String),
    Int(i64),
    Float(f64),
}

impl Param {
    fn copy(&self) -> Param {
        match self {
            Param::Text(s) => Param::Text(s.clone()),
            Param::Int(i) => Param::Int(*i),
            Param::Float(f) => Param::Float(*f),
        }
    }
}

fn bind_all<'q>(mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>, params: &'q [Param]) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    for p in params {
        q = match p {
            Param::Text(s) => q.bind(s.as_str()),
            Param::Int(i) => q.bind(*i),
            Param::Float(f) => q.bind(*f),
        };
    }
    q
}

const ASSET_COLUMNS: &str = "id, kind, manufacturer, model, software_version, confidence, label, first_seen, last_seen, packets, bytes, risk";

fn asset_row(r: &AnyRow) -> Result<AssetRow> {
    Ok(AssetRow {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        manufacturer: r.try_get(2)?,
        model: r.try_get(3)?,
        software_version: r.try_get(4)?,
        confidence: r.try_get(5)?,
        label: r.try_get(6)?,
        first_seen: r.try_get(7)?,
        last_seen: r.try_get(8)?,
        packets: r.try_get(9)?,
        bytes: r.try_get(10)?,
        risk: r.try_get(11)?,
    })
}

const FINDING_COLUMNS: &str = "f.id, f.kind, f.severity, f.asset_id, a.label, f.peer_asset_id, f.protocol, f.title, f.evidence, f.remediation, \
     f.first_seen, f.last_seen, f.occurrences, f.status, f.status_reason, f.accepted_until, f.assignee";

fn finding_row(r: &AnyRow) -> Result<FindingRow> {
    let evidence: String = r.try_get(8)?;
    Ok(FindingRow {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        severity: r.try_get(2)?,
        asset: r.try_get(3)?,
        asset_label: r.try_get(4)?,
        peer: r.try_get(5)?,
        protocol: r.try_get(6)?,
        title: r.try_get(7)?,
        evidence: serde_json::from_str(&evidence)?,
        remediation: r.try_get(9)?,
        first_seen: r.try_get(10)?,
        last_seen: r.try_get(11)?,
        occurrences: r.try_get(12)?,
        status: r.try_get(13)?,
        status_reason: r.try_get(14)?,
        accepted_until: r.try_get(15)?,
        assignee: r.try_get(16)?,
    })
}

impl Store {
    /// Assets matching `q`, one page.
    pub async fn assets(&self, q: &AssetQuery) -> Result<Page<AssetRow>> {
        let mut wh: Vec<String> = Vec::new();
        let mut params: Vec<Param> = Vec::new();
        if let Some(u) = &q.care_unit {
            params.push(Param::Text(u.clone()));
            wh.push(format!("care_unit = ${}", params.len()));
        }
        if let Some(k) = &q.kind {
            params.push(Param::Text(k.clone()));
            wh.push(format!("kind = ${}", params.len()));
        }
        if let Some(s) = q.search.as_deref().filter(|s| !s.is_empty()) {
            params.push(Param::Text(like(s)));
            let n = params.len();
            if !s.contains(crate::ingest::SEARCH_SEPARATOR) {
                // One narrow row per asset (asset_search, kept by ingest) instead of each asset's
                // columns and an identifier probe per asset: the same matches, read faster.
                wh.push(format!("id IN (SELECT asset_id FROM asset_search WHERE haystack LIKE ${n} ESCAPE '\\')"));
            } else {
                // The separator itself: only a field that contains it can match.
                wh.push(format!(
                "(LOWER(label) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(manufacturer, '')) LIKE ${n} ESCAPE '\\' \
                 OR LOWER(COALESCE(model, '')) LIKE ${n} ESCAPE '\\' \
                 OR EXISTS (SELECT 1 FROM asset_identifiers i WHERE i.asset_id = assets.id AND LOWER(i.value) LIKE ${n} ESCAPE '\\'))"
                ));
            }
        }
        let filter = if wh.is_empty() { String::new() } else { format!(" WHERE {}", wh.join(" AND ")) };
        let (col, ty) = match q.sort {
            AssetSort::LastSeen => ("last_seen", KeyType::Int),
            AssetSort::Label => ("label", KeyType::Text),
            AssetSort::Kind => ("kind", KeyType::Text),
            AssetSort::Manufacturer => ("COALESCE(manufacturer, '')", KeyType::Text),
            AssetSort::Bytes => ("bytes", KeyType::Int),
            AssetSort::Risk => ("risk", KeyType::Float),
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let order = format!("{col} {dir}, id {dir}");
        let scope = format!("assets/{:?}/{dir}", q.sort);
        // The position where the next page starts: the last row's sort key and id.
        let next_of = |rows: &mut Vec<AssetRow>| -> Option<Cursor> {
            if rows.len() <= usize::try_from(limit(q.limit)).unwrap_or(0) {
                return None;
            }
            rows.pop();
            let last = rows.last()?;
            let key = match q.sort {
                AssetSort::LastSeen => serde_json::Value::from(last.last_seen),
                AssetSort::Label => serde_json::Value::from(last.label.clone()),
                AssetSort::Kind => serde_json::Value::from(last.kind.clone()),
                AssetSort::Manufacturer => serde_json::Value::from(last.manufacturer.clone().unwrap_or_default()),
                AssetSort::Bytes => serde_json::Value::from(last.bytes),
                AssetSort::Risk => serde_json::Value::from(last.risk),
            };
            Some(Cursor { scope: scope.clone(), keys: vec![key], id: last.id })
        };
        // One row more than the page tells whether there is a next page.
        let fetch = limit(q.limit) + 1;
        if q.search.as_deref().is_some_and(|s| !s.is_empty()) {
            // A substring search reads every row once whatever the page: the count comes with
            // the page from that one scan (exact, never capped).
            let mut all = params;
            let filtered = all.len();
            let past = match &q.after {
                Some(a) => format!(" WHERE {}", after_condition(a, &scope, &[col, "id"], &[ty], q.descending, &mut all)?),
                None => String::new(),
            };
            all.push(Param::Int(fetch));
            all.push(Param::Int(offset(q.offset)));
            // The count is taken in a subquery without order or limit: given `ORDER BY ... LIMIT`
            // next to the window, PostgreSQL walks an order index over every asset and probes
            // the search rows one by one (574 ms instead of 70 ms for 1,089 matches of 100,000).
            let sql = format!(
                "SELECT {ASSET_COLUMNS}, n FROM (SELECT {ASSET_COLUMNS}, COUNT(*) OVER () AS n FROM assets{filter}) m{past} ORDER BY {order} LIMIT ${} OFFSET ${}",
                all.len() - 1,
                all.len()
            );
            let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), &all).fetch_all(self.pool()).await?;
            let total = match rows.first() {
                Some(r) => r.try_get::<i64, _>(12)?,
                // Past the last page (or nothing matches): count on their own.
                None if q.offset > 0 || q.after.is_some() => {
                    all.truncate(filtered);
                    bind_all(sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM assets{filter}"))), &all).fetch_one(self.pool()).await?.try_get(0)?
                }
                None => 0,
            };
            let mut items = rows.iter().map(asset_row).collect::<Result<Vec<_>>>()?;
            let next = next_of(&mut items);
            return Ok(Page { items, total: u64::try_from(total).unwrap_or(0), total_capped: false, next });
        }
        let (total, total_capped) = self.count("assets", &filter, params.len(), &params, q.limit, q.offset).await?;
        let mut all = params;
        let mut filter = filter;
        if let Some(a) = &q.after {
            let past = after_condition(a, &scope, &[col, "id"], &[ty], q.descending, &mut all)?;
            filter = if filter.is_empty() { format!(" WHERE {past}") } else { format!("{filter} AND {past}") };
        }
        all.push(Param::Int(fetch));
        all.push(Param::Int(offset(q.offset)));
        // The page's ids first (from an index alone where one covers filter and order), then
        // only those rows: a deep page skips index entries, not whole asset rows.
        let sql = format!(
            "SELECT {ASSET_COLUMNS} FROM assets WHERE id IN (SELECT id FROM assets{filter} ORDER BY {order} LIMIT ${} OFFSET ${}) ORDER BY {order}",
            all.len() - 1,
            all.len()
        );
        let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), &all).fetch_all(self.pool()).await?;
        let mut items = rows.iter().map(asset_row).collect::<Result<Vec<_>>>()?;
        let next = next_of(&mut items);
        Ok(Page { items, total, total_capped, next })
    }

    /// Rows of `table` matching `filter` (which uses `n` parameters), counted up to
    /// [`COUNT_AHEAD`] past the page: (count, capped).
    async fn count(&self, table: &str, filter: &str, n: usize, params: &[Param], l: u32, o: u64) -> Result<(u64, bool)> {
        let cap = u64::try_from(limit(l)).unwrap_or(0).saturating_add(o).saturating_add(COUNT_AHEAD);
        let sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM {table}{filter} LIMIT ${}) c", n + 1);
        let mut all: Vec<Param> = params.iter().map(Param::copy).collect();
        all.push(Param::Int(i64::try_from(cap.saturating_add(1)).unwrap_or(i64::MAX)));
        let got: i64 = bind_all(sqlx::query(AssertSqlSafe(sql)), &all).fetch_one(self.pool()).await?.try_get(0)?;
        let got = u64::try_from(got).unwrap_or(0);
        Ok((got.min(cap), got > cap))
    }

    /// One asset: its row, the latest report document, its identifiers (kind, value) and its
    /// history, oldest first.
    pub async fn asset(&self, id: i64) -> Result<(AssetRow, serde_json::Value, Vec<(String, String)>, Vec<HistoryRow>)> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {ASSET_COLUMNS}, (SELECT d.doc FROM asset_docs d WHERE d.asset_id = assets.id) FROM assets WHERE id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("asset"))?;
        let doc: String = row.try_get(12)?;
        let ids = sqlx::query("SELECT kind, value FROM asset_identifiers WHERE asset_id = $1 ORDER BY kind, value").bind(id).fetch_all(self.pool()).await?;
        let hist = sqlx::query("SELECT at, field, old_value, new_value FROM asset_history WHERE asset_id = $1 ORDER BY at, id").bind(id).fetch_all(self.pool()).await?;
        Ok((
            asset_row(&row)?,
            serde_json::from_str(&doc)?,
            ids.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_>>()?,
            hist.iter()
                .map(|r| Ok(HistoryRow { at: r.try_get(0)?, field: r.try_get(1)?, old_value: r.try_get(2)?, new_value: r.try_get(3)? }))
                .collect::<Result<_>>()?,
        ))
    }

    /// The dashboard's aggregates, over the devices of `care_unit` only when given.
    pub async fn dashboard(&self, care_unit: Option<&str>) -> Result<Dashboard> {
        let unit = care_unit.unwrap_or("");
        let scoped = i64::from(care_unit.is_some());
        // `$1 = 0 OR ...`: one statement for both views, the unit always bound.
        let a_scope = "($2 = 0 OR a.care_unit = $1)";
        let f_scope = "($2 = 0 OR f.asset_id IN (SELECT id FROM assets WHERE care_unit = $1))";
        let run = |sql: String| async move { sqlx::query(AssertSqlSafe(sql)).bind(unit).bind(scoped).fetch_all(self.pool()).await };
        let count = |v: i64| u64::try_from(v).unwrap_or(0);
        let mut d = Dashboard::default();
        for r in run(format!("SELECT a.kind, COUNT(*) FROM assets a WHERE {a_scope} GROUP BY a.kind")).await? {
            let n = count(r.try_get(1)?);
            d.assets += n;
            d.by_kind.push((r.try_get(0)?, n));
        }
        d.by_kind.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for r in run(format!("SELECT f.severity_rank, COUNT(*) FROM findings f WHERE f.status IN ('open', 'acknowledged') AND {f_scope} GROUP BY f.severity_rank")).await? {
            if let Some(slot) = usize::try_from(r.try_get::<i64, _>(0)?).ok().and_then(|i| d.live_by_severity.get_mut(i)) {
                *slot += count(r.try_get(1)?);
            }
        }
        let risky = run(format!(
            "SELECT t.r, COUNT(*) FROM (SELECT f.asset_id, MAX(f.severity_rank) AS r FROM findings f WHERE f.status IN ('open', 'acknowledged') AND f.asset_id IS NOT NULL AND {f_scope} GROUP BY f.asset_id) t GROUP BY t.r"
        ))
        .await?;
        let mut with_risk = 0;
        for r in risky {
            let n = count(r.try_get(1)?);
            if let Some(slot) = usize::try_from(r.try_get::<i64, _>(0)?).ok().and_then(|i| d.devices_by_risk.get_mut(i)) {
                *slot += n;
                with_risk += n;
            }
        }
        d.devices_by_risk[5] = d.assets.saturating_sub(with_risk);
        let days = run(format!("SELECT f.first_seen / 86400000000000 AS day, COUNT(*) FROM findings f WHERE {f_scope} GROUP BY day ORDER BY day DESC LIMIT 30")).await?;
        for r in days.iter().rev() {
            d.first_seen_per_day.push((r.try_get(0)?, count(r.try_get(1)?)));
        }
        Ok(d)
    }

    /// Assets with an open or acknowledged finding of `kind` (id, label, report document), at
    /// most `limit`, most recently seen first.
    pub async fn assets_with_live_finding(&self, kind: &str, limit: i64) -> Result<Vec<(i64, String, serde_json::Value)>> {
        let rows = sqlx::query(
            "SELECT a.id, a.label, (SELECT d.doc FROM asset_docs d WHERE d.asset_id = a.id) FROM assets a WHERE a.id IN (SELECT f.asset_id FROM findings f WHERE f.kind = $1 AND f.status IN ('open', 'acknowledged') AND f.asset_id IS NOT NULL) ORDER BY a.last_seen DESC, a.id DESC LIMIT $2",
        )
        .bind(kind)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let doc: String = r.try_get(2)?;
                Ok((r.try_get(0)?, r.try_get(1)?, serde_json::from_str(&doc)?))
            })
            .collect()
    }

    /// Finding `id`, if any.
    pub async fn finding(&self, id: i64) -> Result<Option<FindingRow>> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {FINDING_COLUMNS} FROM findings f LEFT JOIN assets a ON a.id = f.asset_id WHERE f.id = $1"))).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(finding_row).transpose()
    }

    /// The care unit of asset `id` (`None` when it has none).
    pub async fn asset_care_unit(&self, id: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT care_unit FROM assets WHERE id = $1").bind(id).fetch_optional(self.pool()).await?.ok_or(StoreError::NotFound("asset"))?;
        Ok(row.try_get(0)?)
    }

    /// Put asset `id` in care unit `unit` (or in none).
    pub async fn set_asset_care_unit(&self, id: i64, unit: Option<&str>) -> Result<()> {
        let r = sqlx::query("UPDATE assets SET care_unit = $2 WHERE id = $1").bind(id).bind(unit).execute(self.pool()).await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound("asset"));
        }
        Ok(())
    }

    /// Findings matching `q`, one page.
    pub async fn findings(&self, q: &FindingQuery) -> Result<Page<FindingRow>> {
        // `wh` filters the count, `pw` the page: the same conditions, but on SQLite, under a sort
        // other than severity, the page's status, kind and rank carry a unary `+`. Given a bound
        // value, SQLite's planner took the filter's index (status, kind or the severity range) and
        // fetched and sorted every match: 450,000 rows for "high or worse" by last seen (85 ms p50),
        // the rows of a kind by occurrences (460 ms). The `+` keeps the column out of index lookups,
        // so the sort's index is walked and the filter tested inside it (0009 carries the filter
        // columns there). Sorted by severity, the filter indexes serve the order: no `+`.
        let plus = if self.backend() == crate::Backend::Sqlite && q.sort != FindingSort::Severity { "+" } else { "" };
        let mut wh: Vec<String> = Vec::new();
        let mut pw: Vec<String> = Vec::new();
        let mut params: Vec<Param> = Vec::new();
        if let Some(u) = &q.care_unit {
            params.push(Param::Text(u.clone()));
            wh.push(format!("f.asset_id IN (SELECT id FROM assets WHERE care_unit = ${})", params.len()));
            pw.push(wh[wh.len() - 1].clone());
        }
        if let Some(s) = &q.status {
            params.push(Param::Text(s.clone()));
            wh.push(format!("f.status = ${}", params.len()));
            pw.push(format!("{plus}f.status = ${}", params.len()));
        }
        if let Some(s) = q.min_severity {
            params.push(Param::Int(crate::ingest::severity_rank(s)));
            wh.push(format!("f.severity_rank >= ${}", params.len()));
            pw.push(format!("{plus}f.severity_rank >= ${}", params.len()));
        }
        if let Some(k) = &q.kind {
            params.push(Param::Text(k.clone()));
            wh.push(format!("f.kind = ${}", params.len()));
            pw.push(format!("{plus}f.kind = ${}", params.len()));
        }
        if let Some(u) = &q.assignee {
            params.push(Param::Text(u.clone()));
            wh.push(format!("f.assignee = ${}", params.len()));
            pw.push(wh[wh.len() - 1].clone());
        }
        let postgres = self.backend() == crate::Backend::Postgres;
        let sources = |wh: &[String], asset: Option<usize>| if let Some(n) = asset.filter(|_| postgres) {
            // PostgreSQL, the asset or the peer: a UNION of the two sides, each an index-only
            // scan (0009 carries the id, the sort keys and the filters there), instead of
            // `asset_id = X OR peer_asset_id = X`, a bitmap heap scan of every row of a busy
            // device (3,136 rows: 36 ms -> 2 ms). UNION drops the one row a finding with itself as
            // its peer would give twice. SQLite keeps the OR (its indexes end with the rowid, the
            // row is fetched either way; the UNION measured 12 ms p50 there instead of 6).
            let rest: String = wh.iter().map(|w| format!(" AND {w}")).collect();
            let cols = "f.id, f.severity_rank, f.last_seen, f.first_seen, f.occurrences";
            (format!("(SELECT {cols} FROM findings f WHERE f.asset_id = ${n}{rest} UNION SELECT {cols} FROM findings f WHERE f.peer_asset_id = ${n}{rest}) f"), String::new())
        } else {
            let mut wh = wh.to_vec();
            if let Some(n) = asset {
                wh.push(format!("(f.asset_id = ${n} OR f.peer_asset_id = ${n})"));
            }
            ("findings f".to_string(), if wh.is_empty() { String::new() } else { format!(" WHERE {}", wh.join(" AND ")) })
        };
        let asset = q.asset.map(|a| {
            params.push(Param::Int(a));
            params.len()
        });
        let (source, filter) = sources(&wh, asset);
        let (total, total_capped) = self.count(&source, &filter, params.len(), &params, q.limit, q.offset).await?;
        let (source, filter) = sources(&pw, asset);
        let dir = if q.descending { "DESC" } else { "ASC" };
        let order = match q.sort {
            FindingSort::Severity => format!("f.severity_rank {dir}, f.last_seen {dir}"),
            FindingSort::LastSeen => format!("f.last_seen {dir}"),
            FindingSort::FirstSeen => format!("f.first_seen {dir}"),
            FindingSort::Occurrences => format!("f.occurrences {dir}"),
        };
        let scope = format!("findings/{:?}/{dir}", q.sort);
        let (cols, types): (&[&str], &[KeyType]) = match q.sort {
            FindingSort::Severity => (&["f.severity_rank", "f.last_seen", "f.id"], &[KeyType::Int, KeyType::Int]),
            FindingSort::LastSeen => (&["f.last_seen", "f.id"], &[KeyType::Int]),
            FindingSort::FirstSeen => (&["f.first_seen", "f.id"], &[KeyType::Int]),
            FindingSort::Occurrences => (&["f.occurrences", "f.id"], &[KeyType::Int]),
        };
        let mut all = params;
        let mut filter = filter;
        if let Some(a) = &q.after {
            let past = after_condition(a, &scope, cols, types, q.descending, &mut all)?;
            filter = if filter.is_empty() { format!(" WHERE {past}") } else { format!("{filter} AND {past}") };
        }
        // One row more than the page tells whether there is a next page.
        let page = usize::try_from(limit(q.limit)).unwrap_or(0);
        all.push(Param::Int(limit(q.limit) + 1));
        all.push(Param::Int(offset(q.offset)));
        // The page's ids first (from an index alone where one covers filter and order), then
        // only those rows and their assets' labels.
        let sql = format!(
            "SELECT {FINDING_COLUMNS}, f.severity_rank \
             FROM findings f LEFT JOIN assets a ON a.id = f.asset_id \
             WHERE f.id IN (SELECT f.id FROM {source}{filter} ORDER BY {order}, f.id {dir} LIMIT ${} OFFSET ${}) ORDER BY {order}, f.id {dir}",
            all.len() - 1,
            all.len()
        );
        let mut rows = bind_all(sqlx::query(AssertSqlSafe(sql)), &all).fetch_all(self.pool()).await?;
        let mut next = None;
        if rows.len() > page {
            rows.truncate(page);
            if let Some(last) = rows.last() {
                let key = |i: usize| -> Result<serde_json::Value> { Ok(serde_json::Value::from(last.try_get::<i64, _>(i)?)) };
                let keys = match q.sort {
                    FindingSort::Severity => vec![key(17)?, key(11)?],
                    FindingSort::LastSeen => vec![key(11)?],
                    FindingSort::FirstSeen => vec![key(10)?],
                    FindingSort::Occurrences => vec![key(12)?],
                };
                next = Some(Cursor { scope, keys, id: last.try_get(0)? });
            }
        }
        Ok(Page { items: rows.iter().map(finding_row).collect::<Result<_>>()?, total, total_capped, next })
    }
}
