//! Merging a sensor's report into the one inventory: identity resolution across sensors and
//! time, device history, and findings deduplicated into their lifecycle. One transaction per
//! batch; a batch id already accepted from that sensor is acknowledged again and not merged
//! twice, so a sensor that lost an acknowledgement can resend without duplicates.

use crate::{Result, Store, now, ns};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;
use ward_model::report::{AnalyzeReport, Asset, Finding};
use ward_model::Severity;

/// What one upload changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    /// The batch had been accepted before: nothing was merged this time.
    pub duplicate: bool,
    /// Assets created.
    pub assets_new: u64,
    /// Existing assets the report's assets were resolved to.
    pub assets_updated: u64,
    /// Findings raised for the first time.
    pub findings_new: u64,
    /// Findings already known (occurrences added; resolved ones reopened).
    pub findings_seen: u64,
    /// Findings that had been resolved, or accepted until a date now past, and came back.
    pub findings_reopened: u64,
    /// The store ids of the assets the report's assets were merged into.
    pub assets: Vec<i64>,
}

pub(crate) fn severity_rank(s: Severity) -> i64 {
    match s {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

pub(crate) fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// The identifiers an asset brings, strongest first: its MAC, its addresses, its DICOM AE
/// titles, its host names.
fn identifiers(a: &Asset) -> Vec<(&'static str, String)> {
    let mut ids = Vec::new();
    if let Some(m) = &a.mac {
        ids.push(("mac", m.to_ascii_lowercase()));
    }
    ids.extend(a.ips.iter().map(|ip| ("ip", ip.to_string())));
    ids.extend(a.dicom_ae_titles.iter().map(|t| ("dicom_ae", t.clone())));
    ids.extend(a.hostnames.iter().map(|h| ("hostname", h.to_ascii_lowercase())));
    ids
}

/// Joins the fields of an asset's search text (`asset_search.haystack`): the unit separator,
/// which no search for a field's text contains, so no match spans two fields.
pub(crate) const SEARCH_SEPARATOR: char = '\u{1f}';

/// Rewrite the search text of `asset` from its row and identifiers (after any change to its
/// label, manufacturer, model or identifiers). Lowercased by the database, as the query's
/// `LOWER(column)` was.
async fn refresh_search(tx: &mut Transaction<'static, Any>, asset: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO asset_search (asset_id, haystack) \
         SELECT a.id, LOWER(a.label || $2 || COALESCE(a.manufacturer, '') || $2 || COALESCE(a.model, '') || $2 \
         || COALESCE((SELECT string_agg(i.value, $2) FROM asset_identifiers i WHERE i.asset_id = a.id), '')) \
         FROM assets a WHERE a.id = $1 \
         ON CONFLICT (asset_id) DO UPDATE SET haystack = excluded.haystack",
    )
    .bind(asset)
    .bind(SEARCH_SEPARATOR.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A name for people: a host name, else the device's maker and model, else an address.
fn label(a: &Asset) -> String {
    if let Some(h) = a.hostnames.first() {
        return h.clone();
    }
    let d = &a.device;
    let maker: Vec<&str> = [d.manufacturer.as_deref(), d.model.as_deref()].into_iter().flatten().collect();
    if !maker.is_empty() {
        return maker.join(" ");
    }
    a.ips.first().map(ToString::to_string).or_else(|| a.mac.clone()).unwrap_or_else(|| a.id.clone())
}

impl Store {
    /// Merge one report from `sensor` (created on first use) as batch `batch_id`.
    pub async fn ingest(&self, sensor: &str, batch_id: &str, report: &AnalyzeReport) -> Result<IngestOutcome> {
        let mut tx = self.pool().begin().await?;
        let t = now();
        let sensor_id: i64 = sqlx::query(
            "INSERT INTO sensors (name, created_at, last_seen) VALUES ($1, $2, $2) \
             ON CONFLICT (name) DO UPDATE SET last_seen = $2 RETURNING id",
        )
        .bind(sensor)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let seen = sqlx::query("SELECT 1 FROM ingest_batches WHERE sensor_id = $1 AND batch_id = $2")
            .bind(sensor_id)
            .bind(batch_id)
            .fetch_optional(&mut *tx)
            .await?;
        if seen.is_some() {
            tx.commit().await?;
            return Ok(IngestOutcome { duplicate: true, ..IngestOutcome::default() });
        }
        let mut out = IngestOutcome::default();
        let mut ids: HashMap<&str, i64> = HashMap::new();
        for a in &report.assets {
            let (id, created) = merge_asset(&mut tx, sensor_id, a).await?;
            if created {
                out.assets_new += 1;
            } else {
                out.assets_updated += 1;
            }
            ids.insert(a.id.as_str(), id);
            out.assets.push(id);
        }
        out.assets.sort_unstable();
        out.assets.dedup();
        let actor = format!("sensor:{sensor}");
        for f in &report.findings {
            let asset = f.asset.as_deref().and_then(|a| ids.get(a).copied());
            let peer = f.peer.as_deref().and_then(|a| ids.get(a).copied());
            match merge_finding(&mut tx, f, asset, peer, &actor, t, None).await? {
                Merged::New => out.findings_new += 1,
                Merged::Seen => out.findings_seen += 1,
                Merged::Reopened => {
                    out.findings_seen += 1;
                    out.findings_reopened += 1;
                }
            }
        }
        sqlx::query("INSERT INTO ingest_batches (sensor_id, batch_id, received_at, assets, findings) VALUES ($1, $2, $3, $4, $5)")
            .bind(sensor_id)
            .bind(batch_id)
            .bind(t)
            .bind(i64::try_from(report.assets.len()).unwrap_or(i64::MAX))
            .bind(i64::try_from(report.findings.len()).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(out)
    }
}

async fn lookup(tx: &mut Transaction<'static, Any>, kind: &str, value: &str) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT asset_id FROM asset_identifiers WHERE kind = $1 AND value = $2")
        .bind(kind)
        .bind(value)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    })
}

async fn has_mac(tx: &mut Transaction<'static, Any>, asset: i64) -> Result<bool> {
    let row = sqlx::query("SELECT 1 FROM asset_identifiers WHERE asset_id = $1 AND kind = 'mac'").bind(asset).fetch_optional(&mut **tx).await?;
    Ok(row.is_some())
}

/// Which stored asset is this report's asset? A MAC decides when there is one. Without a MAC
/// (behind a router, or a cooked capture), an address, then a DICOM AE title, then a host
/// name points to the asset that holds it. A MAC-less asset found first by address is adopted
/// by the MAC that later claims that address.
async fn resolve(tx: &mut Transaction<'static, Any>, a: &Asset, ids: &[(&'static str, String)]) -> Result<Option<i64>> {
    if let Some((_, mac)) = ids.iter().find(|(k, _)| *k == "mac") {
        if let Some(id) = lookup(tx, "mac", mac).await? {
            return Ok(Some(id));
        }
        for (k, v) in ids.iter().filter(|(k, _)| *k == "ip") {
            if let Some(id) = lookup(tx, k, v).await?
                && !has_mac(tx, id).await?
            {
                return Ok(Some(id));
            }
        }
        return Ok(None);
    }
    let _ = a;
    for kind in ["ip", "dicom_ae", "hostname"] {
        for (k, v) in ids.iter().filter(|(k, _)| *k == kind) {
            if let Some(id) = lookup(tx, k, v).await? {
                return Ok(Some(id));
            }
        }
    }
    Ok(None)
}

async fn history(tx: &mut Transaction<'static, Any>, asset: i64, sensor: i64, at: i64, field: &str, old: Option<&str>, new: Option<&str>) -> Result<()> {
    sqlx::query("INSERT INTO asset_history (asset_id, at, field, old_value, new_value, sensor_id) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(asset)
        .bind(at)
        .bind(field)
        .bind(old.map(str::to_string))
        .bind(new.map(str::to_string))
        .bind(sensor)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn opt(row: &AnyRow, i: usize) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(i)?)
}

async fn merge_asset(tx: &mut Transaction<'static, Any>, sensor: i64, a: &Asset) -> Result<(i64, bool)> {
    let ids = identifiers(a);
    let doc = serde_json::to_string(a)?;
    let d = &a.device;
    let (first, last) = (ns(a.first_seen), ns(a.last_seen));
    let packets = i64::try_from(a.packets).unwrap_or(i64::MAX);
    let bytes = i64::try_from(a.bytes).unwrap_or(i64::MAX);
    let t = now();
    let existing = resolve(tx, a, &ids).await?;
    let (id, created) = match existing {
        Some(id) => {
            let row = sqlx::query("SELECT software_version, confidence, kind FROM assets WHERE id = $1").bind(id).fetch_one(&mut **tx).await?;
            let old_version = opt(&row, 0)?;
            let old_confidence: i64 = row.try_get(1)?;
            // The identity with more evidence wins; at equal confidence the newer report.
            let take = i64::from(d.confidence) >= old_confidence;
            if take && d.software_version.is_some() && d.software_version != old_version {
                history(tx, id, sensor, last, "software_version", old_version.as_deref(), d.software_version.as_deref()).await?;
            }
            if take {
                sqlx::query(
                    "UPDATE assets SET kind = $2, manufacturer = $3, model = $4, \
                     software_version = COALESCE($5, software_version), confidence = $6, label = $7, doc = $8 WHERE id = $1",
                )
                .bind(id)
                .bind(d.kind.clone())
                .bind(d.manufacturer.clone())
                .bind(d.model.clone())
                .bind(d.software_version.clone())
                .bind(i64::from(d.confidence))
                .bind(label(a))
                .bind(doc.clone())
                .execute(&mut **tx)
                .await?;
            }
            sqlx::query(
                "UPDATE assets SET first_seen = CASE WHEN first_seen < $2 THEN first_seen ELSE $2 END, \
                 last_seen = CASE WHEN last_seen > $3 THEN last_seen ELSE $3 END, \
                 packets = packets + $4, bytes = bytes + $5, updated_at = $6 WHERE id = $1",
            )
            .bind(id)
            .bind(first)
            .bind(last)
            .bind(packets)
            .bind(bytes)
            .bind(t)
            .execute(&mut **tx)
            .await?;
            (id, false)
        }
        None => {
            let id: i64 = sqlx::query(
                "INSERT INTO assets (kind, manufacturer, model, software_version, confidence, label, first_seen, last_seen, packets, bytes, doc, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            )
            .bind(d.kind.clone())
            .bind(d.manufacturer.clone())
            .bind(d.model.clone())
            .bind(d.software_version.clone())
            .bind(i64::from(d.confidence))
            .bind(label(a))
            .bind(first)
            .bind(last)
            .bind(packets)
            .bind(bytes)
            .bind(doc)
            .bind(t)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
            (id, true)
        }
    };
    for (kind, value) in &ids {
        match lookup(tx, kind, value).await? {
            Some(owner) if owner == id => {
                sqlx::query("UPDATE asset_identifiers SET last_seen = CASE WHEN last_seen > $3 THEN last_seen ELSE $3 END WHERE kind = $1 AND value = $2")
                    .bind(*kind)
                    .bind(value.clone())
                    .bind(last)
                    .execute(&mut **tx)
                    .await?;
            }
            Some(owner) => {
                // The value moved: DHCP gave the address to another device, a host name was reused.
                sqlx::query("UPDATE asset_identifiers SET asset_id = $3, first_seen = $4, last_seen = $4 WHERE kind = $1 AND value = $2")
                    .bind(*kind)
                    .bind(value.clone())
                    .bind(id)
                    .bind(last)
                    .execute(&mut **tx)
                    .await?;
                history(tx, owner, sensor, last, kind, Some(value), None).await?;
                history(tx, id, sensor, last, kind, None, Some(value)).await?;
                refresh_search(tx, owner).await?;
            }
            None => {
                sqlx::query("INSERT INTO asset_identifiers (kind, value, asset_id, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5)")
                    .bind(*kind)
                    .bind(value.clone())
                    .bind(id)
                    .bind(first)
                    .bind(last)
                    .execute(&mut **tx)
                    .await?;
                if !created {
                    history(tx, id, sensor, last, kind, None, Some(value)).await?;
                }
            }
        }
    }
    refresh_search(tx, id).await?;
    Ok((id, created))
}

impl Store {
    /// A finding the server itself raises (about no device: an unauthorized use of the server,
    /// say), deduplicated by its kind and `key` (e.g. the account), with the same lifecycle as
    /// the sensors' findings. Returns the finding's id.
    pub async fn raise(&self, actor: &str, f: &Finding, key: &str) -> Result<i64> {
        let mut tx = self.pool().begin().await?;
        merge_finding(&mut tx, f, None, None, actor, now(), Some(key)).await?;
        let id: i64 = sqlx::query("SELECT id FROM findings WHERE fingerprint = $1").bind(fingerprint(f, None, None, Some(key))).fetch_one(&mut *tx).await?.try_get(0)?;
        tx.commit().await?;
        Ok(id)
    }
}

/// The deduplication key of a finding: kind, asset, peer, protocol (and the server's own key).
fn fingerprint(f: &Finding, asset: Option<i64>, peer: Option<i64>, key: Option<&str>) -> String {
    let mut fp = format!(
        "{}|{}|{}|{}",
        f.kind,
        asset.map_or_else(String::new, |a| a.to_string()),
        peer.map_or_else(String::new, |a| a.to_string()),
        f.protocol.as_deref().unwrap_or("")
    );
    if let Some(k) = key {
        fp.push('|');
        fp.push_str(k);
    }
    fp
}

enum Merged {
    New,
    Seen,
    Reopened,
}

async fn merge_finding(tx: &mut Transaction<'static, Any>, f: &Finding, asset: Option<i64>, peer: Option<i64>, actor: &str, t: i64, key: Option<&str>) -> Result<Merged> {
    let fp = fingerprint(f, asset, peer, key);
    let evidence = serde_json::to_string(&f.evidence)?;
    let count = i64::try_from(f.count).unwrap_or(i64::MAX);
    let row = sqlx::query("SELECT id, status, accepted_until FROM findings WHERE fingerprint = $1").bind(fp.clone()).fetch_optional(&mut **tx).await?;
    let Some(row) = row else {
        let id: i64 = sqlx::query(
            "INSERT INTO findings (fingerprint, kind, severity, severity_rank, asset_id, peer_asset_id, protocol, title, evidence, remediation, \
             first_seen, last_seen, occurrences, status, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'open', $14) RETURNING id",
        )
        .bind(fp)
        .bind(f.kind.clone())
        .bind(severity_name(f.severity))
        .bind(severity_rank(f.severity))
        .bind(asset)
        .bind(peer)
        .bind(f.protocol.clone())
        .bind(f.title.clone())
        .bind(evidence)
        .bind(f.remediation.clone())
        .bind(ns(f.first_seen))
        .bind(ns(f.last_seen))
        .bind(count)
        .bind(t)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        crate::lifecycle::event(tx, id, t, actor, "raised", None).await?;
        return Ok(Merged::New);
    };
    let id: i64 = row.try_get(0)?;
    let status: String = row.try_get(1)?;
    let until: Option<i64> = row.try_get(2)?;
    let reopen = match status.as_str() {
        "resolved" => Some("seen again after it was resolved"),
        "accepted_risk" if until.is_some_and(|u| u <= t) => Some("risk acceptance expired and it was seen again"),
        _ => None,
    };
    sqlx::query(
        "UPDATE findings SET last_seen = CASE WHEN last_seen > $2 THEN last_seen ELSE $2 END, \
         first_seen = CASE WHEN first_seen < $3 THEN first_seen ELSE $3 END, occurrences = occurrences + $4, \
         title = $5, evidence = $6, updated_at = $7 WHERE id = $1",
    )
    .bind(id)
    .bind(ns(f.last_seen))
    .bind(ns(f.first_seen))
    .bind(count)
    .bind(f.title.clone())
    .bind(evidence)
    .bind(t)
    .execute(&mut **tx)
    .await?;
    if let Some(why) = reopen {
        sqlx::query("UPDATE findings SET status = 'open', status_reason = NULL, accepted_until = NULL WHERE id = $1").bind(id).execute(&mut **tx).await?;
        crate::lifecycle::event(tx, id, t, actor, "reopened", Some(why)).await?;
        return Ok(Merged::Reopened);
    }
    Ok(Merged::Seen)
}
