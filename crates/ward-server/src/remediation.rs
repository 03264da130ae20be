//! The fleet's remediation plan: every device with an open known vulnerability scored as on its
//! own page (scored in batches by [`crate::scores::assess`]: the same numbers as `ward vulns`), and the steps of all
//! of them grouped (one firmware update that fixes 300 pumps is one line) and ordered by the risk
//! they remove across the fleet. `GET /api/v1/remediation` and the Remediation page.

use crate::App;
use crate::auth::{Principal, Refusal};
use axum::http::StatusCode;
use serde::Serialize;
use std::collections::BTreeMap;
use ward_auth::{Action, Resource};

/// Most devices read for one plan; beyond, the plan says it is partial.
pub(crate) const MAX_DEVICES: i64 = 5_000;

/// A device in the plan.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PlannedDevice {
    pub id: i64,
    pub label: String,
    pub score: f64,
}

/// One step, grouped over every device it applies to.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PlannedStep {
    pub advisory: String,
    pub category: &'static str,
    pub action: String,
    pub fixed_version: Option<String>,
    pub cves: Vec<String>,
    /// Risk points it removes, summed over its devices (each device's share as on its page).
    pub risk_removed: f64,
    pub devices: Vec<PlannedDevice>,
}

/// The plan.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Plan {
    /// Devices with an open known vulnerability, highest risk first.
    pub devices: Vec<PlannedDevice>,
    /// Steps, most fleet risk removed first.
    pub steps: Vec<PlannedStep>,
    /// More devices than [`MAX_DEVICES`] were affected: the plan covers the most recently seen.
    pub partial: bool,
}

/// The plan as `p` may see it: advisories readers only, and only when the server has advisories.
pub(crate) async fn plan(app: &App, p: &Principal) -> Result<Plan, Refusal> {
    app.permit(p, Action::Read, Resource::Advisory, "remediation")?;
    if app.intel.is_none() {
        return Err(Refusal::Problem(StatusCode::CONFLICT, "No advisories", "the server was started without --advisories: there is nothing to plan from".into()));
    }
    let affected = app.store.assets_with_live_finding("known-vulnerability", MAX_DEVICES + 1).await.map_err(|e| Refusal::internal(&e))?;
    let partial = affected.len() as i64 > MAX_DEVICES;
    let mut devices = Vec::new();
    let mut steps: BTreeMap<(String, &'static str, String, Option<String>), PlannedStep> = BTreeMap::new();
    let affected: Vec<(i64, String, serde_json::Value)> = affected.into_iter().take(usize::try_from(MAX_DEVICES).unwrap_or(usize::MAX)).collect();
    let labels: std::collections::HashMap<String, (i64, String)> = affected.iter().map(|(id, label, _)| (id.to_string(), (*id, label.clone()))).collect();
    // Scored in batches, as the stored scores are (one match of many devices at a time, one
    // read of their findings): the same numbers as each device's page.
    let mut risks = Vec::new();
    for chunk in affected.chunks(crate::scores::PAGE) {
        let docs: Vec<(i64, serde_json::Value)> = chunk.iter().map(|(id, _, doc)| (*id, doc.clone())).collect();
        let ids: Vec<i64> = chunk.iter().map(|(id, _, _)| *id).collect();
        let exposure = app.store.exposure(&ids).await.map_err(|e| Refusal::internal(&e))?;
        let k = app.intel.clone().ok_or_else(|| Refusal::internal(&"advisories unloaded"))?;
        let batch = tokio::task::spawn_blocking(move || crate::scores::assess(&k, &docs, &exposure).risks).await.map_err(|e| Refusal::internal(&e))?;
        risks.extend(batch);
    }
    for risk in risks {
        let Some((id, label)) = labels.get(&risk.asset).cloned() else { continue };
        let device = PlannedDevice { id, label, score: risk.score };
        for st in &risk.remediations {
            let key = (st.advisory.clone(), st.category, st.action.clone(), st.fixed_version.clone());
            let e = steps.entry(key).or_insert_with(|| PlannedStep {
                advisory: st.advisory.clone(),
                category: st.category,
                action: st.action.clone(),
                fixed_version: st.fixed_version.clone(),
                cves: Vec::new(),
                risk_removed: 0.0,
                devices: Vec::new(),
            });
            e.risk_removed += st.reduces_by;
            for c in &st.cves {
                if !e.cves.contains(c) {
                    e.cves.push(c.clone());
                }
            }
            e.devices.push(device.clone());
        }
        devices.push(device);
    }
    devices.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    let mut steps: Vec<PlannedStep> = steps.into_values().collect();
    steps.sort_by(|a, b| b.risk_removed.total_cmp(&a.risk_removed).then_with(|| b.devices.len().cmp(&a.devices.len())).then_with(|| a.advisory.cmp(&b.advisory)));
    for s in &mut steps {
        s.cves.sort();
        s.devices.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    }
    Ok(Plan { devices, steps, partial })
}
