//! A finding's lifecycle: open → acknowledged → resolved, or accepted as a risk with a reason and
//! an expiry; reopened by a person, or by the store when a resolved finding is seen again or an
//! acceptance expires. Assignment and comments ride along. Every step is an event with who and
//! when; the rules are in [`next_status`], a pure function.

use crate::{Result, Store, StoreError, now};
use sqlx::{Any, Row, Transaction};

/// What a person does to a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Seen and being looked at.
    Acknowledge,
    /// Fixed (the sensor reopens it if it comes back).
    Resolve {
        /// What was done, optional.
        note: Option<String>,
    },
    /// Not fixed on purpose, until a date: both required.
    AcceptRisk {
        /// Why (a compensating control, a vendor's statement...).
        reason: String,
        /// Until when (nanoseconds since the epoch); must be in the future.
        until: i64,
    },
    /// Back to open.
    Reopen,
    /// Give it to someone (`None`: unassign).
    Assign {
        /// User name.
        to: Option<String>,
    },
    /// A note on the finding.
    Comment {
        /// The text.
        text: String,
    },
}

/// Longest reason, note or comment kept.
pub const MAX_TEXT: usize = 4000;

/// The status an action leads to from `from`, or why it may not be taken. `None` for actions
/// that leave the status alone (assignment, comments).
pub fn next_status(from: &str, action: &Action, now: i64) -> std::result::Result<Option<&'static str>, String> {
    let text_ok = |t: &str, what: &str| -> std::result::Result<(), String> {
        if t.trim().is_empty() {
            Err(format!("{what} is required"))
        } else if t.len() > MAX_TEXT {
            Err(format!("{what} is longer than {MAX_TEXT} bytes"))
        } else {
            Ok(())
        }
    };
    let to = match (action, from) {
        (Action::Acknowledge, "open") => "acknowledged",
        (Action::Resolve { note }, "open" | "acknowledged" | "accepted_risk") => {
            if let Some(n) = note {
                text_ok(n, "a resolution note")?;
            }
            "resolved"
        }
        (Action::AcceptRisk { reason, until }, "open" | "acknowledged") => {
            text_ok(reason, "a reason for accepting the risk")?;
            if *until <= now {
                return Err("the acceptance must expire in the future".into());
            }
            "accepted_risk"
        }
        (Action::Reopen, "acknowledged" | "resolved" | "accepted_risk") => "open",
        (Action::Assign { to }, _) => {
            if let Some(u) = to {
                text_ok(u, "an assignee")?;
            }
            return Ok(None);
        }
        (Action::Comment { text }, _) => {
            text_ok(text, "a comment")?;
            return Ok(None);
        }
        (a, s) => return Err(format!("cannot {} a finding that is {s}", verb(a))),
    };
    Ok(Some(to))
}

fn verb(a: &Action) -> &'static str {
    match a {
        Action::Acknowledge => "acknowledge",
        Action::Resolve { .. } => "resolve",
        Action::AcceptRisk { .. } => "accept the risk of",
        Action::Reopen => "reopen",
        Action::Assign { .. } => "assign",
        Action::Comment { .. } => "comment on",
    }
}

/// One step in a finding's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FindingEvent {
    /// When (nanoseconds since the epoch).
    pub at: i64,
    /// Who: `user:NAME`, `sensor:NAME`, `system`.
    pub actor: String,
    /// `raised`, `acknowledged`, `resolved`, `accepted_risk`, `open` (reopened by a person),
    /// `reopened` (by the store), `assigned`, `comment`.
    pub action: String,
    /// The reason, note, assignee or comment.
    pub detail: Option<String>,
}

pub(crate) async fn event(tx: &mut Transaction<'static, Any>, finding: i64, at: i64, actor: &str, action: &str, detail: Option<&str>) -> Result<()> {
    sqlx::query("INSERT INTO finding_events (finding_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(finding)
        .bind(at)
        .bind(actor)
        .bind(action)
        .bind(detail.map(str::to_string))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// `actor` takes `action` on finding `id`. Fails with `Invalid` (and changes nothing) when
    /// the lifecycle does not allow it from the finding's current status.
    pub async fn act(&self, id: i64, actor: &str, action: &Action) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        let t = now();
        let row = sqlx::query("SELECT status FROM findings WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        let status: String = row.ok_or(StoreError::NotFound("finding"))?.try_get(0)?;
        let next = next_status(&status, action, t).map_err(StoreError::Invalid)?;
        match (action, next) {
            (Action::Assign { to }, _) => {
                sqlx::query("UPDATE findings SET assignee = $2, updated_at = $3 WHERE id = $1").bind(id).bind(to.clone()).bind(t).execute(&mut *tx).await?;
                event(&mut tx, id, t, actor, "assigned", to.as_deref()).await?;
            }
            (Action::Comment { text }, _) => event(&mut tx, id, t, actor, "comment", Some(text)).await?,
            (_, Some(to)) => {
                let (reason, until) = match action {
                    Action::AcceptRisk { reason, until } => (Some(reason.clone()), Some(*until)),
                    Action::Resolve { note } => (note.clone(), None),
                    _ => (None, None),
                };
                sqlx::query("UPDATE findings SET status = $2, status_reason = $3, accepted_until = $4, updated_at = $5 WHERE id = $1")
                    .bind(id)
                    .bind(to)
                    .bind(reason.clone())
                    .bind(until)
                    .bind(t)
                    .execute(&mut *tx)
                    .await?;
                event(&mut tx, id, t, actor, to, reason.as_deref()).await?;
            }
            (_, None) => {}
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every step of finding `id`, oldest first.
    pub async fn finding_events(&self, id: i64) -> Result<Vec<FindingEvent>> {
        let rows = sqlx::query("SELECT at, actor, action, detail FROM finding_events WHERE finding_id = $1 ORDER BY id").bind(id).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| Ok(FindingEvent { at: r.try_get(0)?, actor: r.try_get(1)?, action: r.try_get(2)?, detail: r.try_get(3)? }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{Action, next_status};

    /// Every status against every action: what the lifecycle allows, and that the rest is refused.
    #[test]
    fn lifecycle_table() {
        let now = 1_000;
        let accept = Action::AcceptRisk { reason: "isolated VLAN".into(), until: 2_000 };
        let resolve = Action::Resolve { note: None };
        let cases: [(&str, &Action, Option<&str>); 16] = [
            ("open", &Action::Acknowledge, Some("acknowledged")),
            ("open", &resolve, Some("resolved")),
            ("open", &accept, Some("accepted_risk")),
            ("open", &Action::Reopen, None),
            ("acknowledged", &Action::Acknowledge, None),
            ("acknowledged", &resolve, Some("resolved")),
            ("acknowledged", &accept, Some("accepted_risk")),
            ("acknowledged", &Action::Reopen, Some("open")),
            ("resolved", &Action::Acknowledge, None),
            ("resolved", &resolve, None),
            ("resolved", &accept, None),
            ("resolved", &Action::Reopen, Some("open")),
            ("accepted_risk", &Action::Acknowledge, None),
            ("accepted_risk", &resolve, Some("resolved")),
            ("accepted_risk", &accept, None),
            ("accepted_risk", &Action::Reopen, Some("open")),
        ];
        for (from, action, want) in cases {
            let got = next_status(from, action, now);
            match want {
                Some(to) => assert_eq!(got, Ok(Some(to)), "{from} {action:?}"),
                None => assert!(got.is_err(), "{from} {action:?} must be refused, got {got:?}"),
            }
        }
    }

    /// An accepted risk needs a reason and a future expiry; comments and notes are bounded.
    #[test]
    fn accepted_risk_needs_reason_and_expiry() {
        assert!(next_status("open", &Action::AcceptRisk { reason: " ".into(), until: 5 }, 1).is_err());
        assert!(next_status("open", &Action::AcceptRisk { reason: "vendor patch pending".into(), until: 1 }, 1).is_err());
        assert!(next_status("open", &Action::Comment { text: "x".repeat(super::MAX_TEXT + 1) }, 1).is_err());
        assert_eq!(next_status("resolved", &Action::Comment { text: "ok".into() }, 1), Ok(None));
    }
}
