//! The deployment's keys as the replicas sharing the database agree on them: one value per key,
//! written by the first server to start (a public key, or a check value that does not reveal the
//! key), which every later start compares with its own.

use crate::{Result, Store, now};
use sqlx::Row;

impl Store {
    /// Keep `value` under `name` unless a value is kept there already, in one conditional
    /// statement (replicas starting together agree on the first), and return the value kept
    /// now: `value`, or the one written first.
    pub async fn pin_key(&self, name: &str, value: &str) -> Result<String> {
        sqlx::query("INSERT INTO deployment_keys (name, value, pinned_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(value)
            .bind(now())
            .execute(self.pool())
            .await?;
        let row = sqlx::query("SELECT value FROM deployment_keys WHERE name = $1").bind(name).fetch_one(self.pool()).await?;
        Ok(row.try_get(0)?)
    }
}
