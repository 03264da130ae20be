//! Each device's stored risk score, for the inventory's sort by risk. The store only keeps what
//! the server computes (ward-intel, from the device's document, its findings and the advisories);
//! it hands out the inputs in pages and writes the scores back in one transaction per page.

use crate::{Result, Store};
use sqlx::{AssertSqlSafe, Row};

/// `sql` with `{ids}` replaced by `$1, ... $n`, each id bound to its place.
fn with_ids(sql: &str, ids: &[i64]) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
    let list = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    ids.iter().fold(sqlx::query(AssertSqlSafe(sql.replace("{ids}", &list))), |q, id| q.bind(*id))
}

impl Store {
    /// Up to `limit` assets with an id above `after`, by id, with their stored documents: a
    /// page of a walk over every asset.
    pub async fn asset_docs_after(&self, after: i64, limit: i64) -> Result<Vec<(i64, serde_json::Value)>> {
        let rows = sqlx::query("SELECT asset_id, doc FROM asset_docs WHERE asset_id > $1 ORDER BY asset_id LIMIT $2").bind(after).bind(limit).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let doc: String = r.try_get(1)?;
                Ok((r.try_get(0)?, serde_json::from_str(&doc)?))
            })
            .collect()
    }

    /// The stored documents of these assets (those that exist), by id.
    pub async fn asset_docs(&self, ids: &[i64]) -> Result<Vec<(i64, serde_json::Value)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = with_ids("SELECT asset_id, doc FROM asset_docs WHERE asset_id IN ({ids}) ORDER BY asset_id", ids).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let doc: String = r.try_get(1)?;
                Ok((r.try_get(0)?, serde_json::from_str(&doc)?))
            })
            .collect()
    }

    /// What the sensors found on these assets, whatever its status, but the known
    /// vulnerabilities (which the advisories make, not the wire): (asset id, kind, severity).
    pub async fn exposure(&self, ids: &[i64]) -> Result<Vec<(i64, String, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = with_ids("SELECT asset_id, kind, severity FROM findings WHERE asset_id IN ({ids}) AND kind <> 'known-vulnerability' ORDER BY asset_id, id", ids).fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    /// Keep these assets' scores (one transaction).
    pub async fn set_risks(&self, scores: &[(i64, f64)]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        for (id, score) in scores {
            sqlx::query("UPDATE assets SET risk = $2 WHERE id = $1 AND risk <> $2").bind(*id).bind(*score).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every score back to 0 (the server runs without advisories); answers how many changed.
    pub async fn clear_risks(&self) -> Result<u64> {
        Ok(sqlx::query("UPDATE assets SET risk = 0 WHERE risk <> 0").execute(self.pool()).await?.rows_affected())
    }
}
