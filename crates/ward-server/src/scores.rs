//! Each device's risk score, kept in the store so the inventory sorts by it: the same number as
//! on the device's page and in `ward vulns` (ward-intel's score from the stored document, what
//! the sensors found on the device, and the advisories the server loaded).
//!
//! Scores are recomputed, in the background so no request waits:
//! - for the devices of each accepted sensor report, after it is merged (one worker; devices
//!   reported again before it gets to them are scored once);
//! - for every device when the server starts with advisories (they may have changed since the
//!   last start), a page of [`PAGE`] devices at a time; without advisories every score goes back
//!   to 0, so no stale score outlives the advisories it came from.

use crate::App;
use std::collections::HashMap;
use std::sync::Arc;

/// Devices scored per store round trip and per assessment.
pub(crate) const PAGE: usize = 500;

/// ward-intel's assessment of `docs` (store id, stored document) given `exposure` (store id,
/// finding kind, severity): each device's risk names it by its store id.
pub(crate) fn assess(k: &ward_intel::matcher::Knowledge, docs: &[(i64, serde_json::Value)], exposure: &[(i64, String, String)]) -> ward_intel::assess::Assessment {
    let mut by_asset: HashMap<i64, Vec<(&str, &str)>> = HashMap::new();
    for (id, kind, severity) in exposure {
        by_asset.entry(*id).or_default().push((kind.as_str(), severity.as_str()));
    }
    let devices: Vec<ward_intel::inventory::Device> = docs.iter().filter_map(|(id, doc)| crate::api::device_of(*id, doc, by_asset.get(id).into_iter().flatten().copied())).collect();
    ward_intel::assess::assess(k, &devices, Vec::new())
}

/// Scores of `docs` given `exposure`: every device gets one, 0 when nothing matches.
fn compute(k: &ward_intel::matcher::Knowledge, docs: &[(i64, serde_json::Value)], exposure: &[(i64, String, String)]) -> Vec<(i64, f64)> {
    let a = assess(k, docs, exposure);
    let scored: HashMap<&str, f64> = a.risks.iter().map(|r| (r.asset.as_str(), r.score)).collect();
    docs.iter().map(|(id, _)| (*id, scored.get(id.to_string().as_str()).copied().unwrap_or(0.0))).collect()
}

/// Recompute and keep the scores of these devices; answers how many were scored.
pub(crate) async fn rescore(app: &App, ids: &[i64]) -> Result<usize, String> {
    let Some(k) = app.intel.clone() else { return Ok(0) };
    let mut n = 0;
    for chunk in ids.chunks(PAGE) {
        let docs = app.store.asset_docs(chunk).await.map_err(|e| e.to_string())?;
        let exposure = app.store.exposure(chunk).await.map_err(|e| e.to_string())?;
        n += store(app, k.clone(), docs, exposure).await?;
    }
    Ok(n)
}

async fn store(app: &App, k: Arc<ward_intel::matcher::Knowledge>, docs: Vec<(i64, serde_json::Value)>, exposure: Vec<(i64, String, String)>) -> Result<usize, String> {
    let scores = tokio::task::spawn_blocking(move || compute(&k, &docs, &exposure)).await.map_err(|e| e.to_string())?;
    app.store.set_risks(&scores).await.map_err(|e| e.to_string())?;
    Ok(scores.len())
}

/// Every device, a page at a time (or every score back to 0 without advisories).
pub(crate) async fn rescore_all(app: &App) -> Result<usize, String> {
    let Some(k) = app.intel.clone() else {
        return app.store.clear_risks().await.map(|n| usize::try_from(n).unwrap_or(usize::MAX)).map_err(|e| e.to_string());
    };
    let (mut after, mut n) = (0, 0);
    loop {
        let docs = app.store.asset_docs_after(after, PAGE as i64).await.map_err(|e| e.to_string())?;
        let Some(last) = docs.last().map(|(id, _)| *id) else { return Ok(n) };
        let ids: Vec<i64> = docs.iter().map(|(id, _)| *id).collect();
        let exposure = app.store.exposure(&ids).await.map_err(|e| e.to_string())?;
        let full = docs.len() == PAGE;
        n += store(app, k.clone(), docs, exposure).await?;
        if !full {
            return Ok(n);
        }
        after = last;
    }
}

/// [`rescore_all`] in the background, logged.
pub(crate) fn spawn_rescore_all(app: Arc<App>) {
    tokio::spawn(async move {
        let t = std::time::Instant::now();
        match rescore_all(&app).await {
            Ok(0) => {}
            Ok(n) if app.intel.is_some() => eprintln!("ward server: risk scores of {n} devices recomputed in {:.1} s", t.elapsed().as_secs_f64()),
            Ok(n) => eprintln!("ward server: no advisories: risk scores of {n} devices cleared"),
            Err(e) => eprintln!("ward server: recomputing risk scores failed: {e}"),
        }
    });
}

/// Devices waiting to be scored after uploads, and the one worker that scores them: uploads
/// faster than scoring coalesce in the set (one entry per device, so it is bounded by the
/// inventory) instead of piling up tasks.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    pending: std::sync::Mutex<std::collections::BTreeSet<i64>>,
    wake: tokio::sync::Notify,
}

impl Queue {
    /// Score these devices soon (after an upload merged them).
    pub(crate) fn push(&self, app: &App, ids: &[i64]) {
        if app.intel.is_none() || ids.is_empty() {
            return;
        }
        if let Ok(mut p) = self.pending.lock() {
            p.extend(ids.iter().copied());
        }
        self.wake.notify_one();
    }
}

/// The worker behind [`Queue`]: takes every pending device at once, scores them, waits again.
pub(crate) fn spawn_worker(app: Arc<App>) {
    if app.intel.is_none() {
        return;
    }
    tokio::spawn(async move {
        loop {
            app.scores.wake.notified().await;
            let ids: Vec<i64> = match app.scores.pending.lock() {
                Ok(mut p) => std::mem::take(&mut *p).into_iter().collect(),
                Err(_) => return,
            };
            if let Err(e) = rescore(&app, &ids).await {
                eprintln!("ward server: scoring {} devices failed: {e}", ids.len());
            }
        }
    });
}
