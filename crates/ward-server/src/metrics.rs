//! Prometheus metrics on a separate listener (`ward server --metrics 127.0.0.1:9464`, off by
//! default), plain text exposition format. Counts only: requests by status class, audit events
//! by action and outcome (sign-ins, failures, denials...), the inventory and the findings by
//! status. No account name, address, secret or device identifier is ever a label.

use crate::audit::{AuditRecord, AuditSink};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The counters of one server process.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    http: [AtomicU64; 5],
    audit: Mutex<BTreeMap<(String, &'static str), u64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics { started: Instant::now(), http: Default::default(), audit: Mutex::new(BTreeMap::new()) }
    }
}

impl Metrics {
    /// Count a response.
    pub fn response(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.http[class].fetch_add(1, Ordering::Relaxed);
    }

    fn audit(&self, r: &AuditRecord) {
        let outcome = match r.outcome {
            crate::audit::Outcome::Success => "success",
            crate::audit::Outcome::Failure => "failure",
            crate::audit::Outcome::Denied => "denied",
        };
        // Actions are fixed strings of the server's code, dotted; keep only [a-z_.] to be safe.
        let action: String = r.action.chars().filter(|c| c.is_ascii_lowercase() || *c == '_' || *c == '.').take(64).collect();
        if let Ok(mut m) = self.audit.lock() {
            *m.entry((action, outcome)).or_insert(0) += 1;
        }
    }

    /// The exposition text, with the store's current totals.
    pub async fn render(&self, store: &ward_store::Store) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# HELP ward_uptime_seconds Seconds since this server process started.\n# TYPE ward_uptime_seconds gauge\nward_uptime_seconds {}", self.started.elapsed().as_secs());
        let _ = writeln!(s, "# HELP ward_http_responses_total HTTP responses by status class.\n# TYPE ward_http_responses_total counter");
        for (i, c) in self.http.iter().enumerate() {
            let _ = writeln!(s, "ward_http_responses_total{{class=\"{}xx\"}} {}", i + 1, c.load(Ordering::Relaxed));
        }
        let _ = writeln!(s, "# HELP ward_audit_events_total Audit events by action and outcome (sign-ins, failures, denials, changes, exports).\n# TYPE ward_audit_events_total counter");
        if let Ok(m) = self.audit.lock() {
            for ((action, outcome), n) in m.iter() {
                let _ = writeln!(s, "ward_audit_events_total{{action=\"{action}\",outcome=\"{outcome}\"}} {n}");
            }
        }
        if let Ok(p) = store.assets(&ward_store::AssetQuery { limit: 1, ..Default::default() }).await {
            let _ = writeln!(s, "# HELP ward_assets Assets in the inventory.\n# TYPE ward_assets gauge\nward_assets {}", p.total);
        }
        let _ = writeln!(s, "# HELP ward_findings Findings by lifecycle status.\n# TYPE ward_findings gauge");
        for status in ["open", "acknowledged", "resolved", "accepted_risk"] {
            if let Ok(p) = store.findings(&ward_store::FindingQuery { status: Some(status.into()), limit: 1, ..Default::default() }).await {
                let _ = writeln!(s, "ward_findings{{status=\"{status}\"}} {}", p.total);
            }
        }
        s
    }
}

/// An audit sink that also counts what passes through it.
#[derive(Debug)]
pub struct Counting {
    /// Where records go.
    pub inner: Box<dyn AuditSink>,
    /// Where they are counted.
    pub metrics: std::sync::Arc<Metrics>,
}

impl AuditSink for Counting {
    fn record(&self, r: &AuditRecord) -> Result<(), String> {
        self.metrics.audit(r);
        self.inner.record(r)
    }
    fn recent(&self, limit: usize) -> Result<Vec<(u64, AuditRecord)>, String> {
        self.inner.recent(limit)
    }
    fn proved(&self, index: u64) -> Option<bool> {
        self.inner.proved(index)
    }
}
