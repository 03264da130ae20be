//! API tokens as stored: a public id to find the row, a hash of the secret to check it, a
//! kind (`sensor` or `automation`), the subject it acts as (a sensor's name, or the owning
//! user's id), an automation token's scopes and label, an expiry and a revocation.
//! Making and checking secrets is the server's job; the store never sees a secret.

use crate::{Result, Store, StoreError, now};
use sqlx::Row;

/// A stored token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// The part of the token that names it (not secret).
    pub public_id: String,
    /// Hex SHA-256 of the secret part.
    pub secret_hash: String,
    /// `sensor` or `automation`.
    pub kind: String,
    /// Who it acts as: the sensor's name, or the owning user's id.
    pub subject: String,
    /// An automation token's scopes (`resource.action`, space-separated).
    pub scopes: Option<String>,
    /// Expiry (ns since the epoch).
    pub expires_at: i64,
    /// Revocation time, if revoked.
    pub revoked_at: Option<i64>,
}

/// A token as listed to people: what it is and its dates, never its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The part of the token that names it (not secret).
    pub public_id: String,
    /// Who it acts as: the sensor's name, or the owning user's id.
    pub subject: String,
    /// An automation token's scopes (`resource.action`, space-separated).
    pub scopes: Option<String>,
    /// What it is for, in its maker's words.
    pub label: Option<String>,
    /// Made (ns since the epoch).
    pub created_at: i64,
    /// Expiry (ns).
    pub expires_at: i64,
    /// Revocation time, if revoked (ns).
    pub revoked_at: Option<i64>,
    /// Last use (ns), if ever used.
    pub last_used_at: Option<i64>,
}

fn token_info(r: &sqlx::any::AnyRow) -> Result<TokenInfo> {
    Ok(TokenInfo {
        public_id: r.try_get(0)?,
        subject: r.try_get(1)?,
        scopes: r.try_get(2)?,
        label: r.try_get(3)?,
        created_at: r.try_get(4)?,
        expires_at: r.try_get(5)?,
        revoked_at: r.try_get(6)?,
        last_used_at: r.try_get(7)?,
    })
}

impl Store {
    /// Every token of `kind` (`sensor` or `automation`), by subject then newest first.
    pub async fn tokens(&self, kind: &str) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query("SELECT public_id, subject, scopes, label, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE kind = $1 ORDER BY subject, created_at DESC, id DESC")
            .bind(kind)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(token_info).collect()
    }

    /// The tokens of `kind` acting as `subject`, newest first.
    pub async fn tokens_of(&self, kind: &str, subject: &str) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query("SELECT public_id, subject, scopes, label, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE kind = $1 AND subject = $2 ORDER BY created_at DESC, id DESC")
            .bind(kind)
            .bind(subject)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(token_info).collect()
    }

    /// Keep a new token without scopes (a sensor's).
    pub async fn create_token(&self, public_id: &str, secret_hash: &str, kind: &str, subject: &str, expires_at: i64) -> Result<()> {
        self.create_scoped_token(public_id, secret_hash, kind, subject, None, None, expires_at).await
    }

    /// Keep a new token with its scopes and label (an automation token's).
    #[allow(clippy::too_many_arguments, reason = "the columns of one row, each named at the call site")]
    pub async fn create_scoped_token(&self, public_id: &str, secret_hash: &str, kind: &str, subject: &str, scopes: Option<&str>, label: Option<&str>, expires_at: i64) -> Result<()> {
        sqlx::query("INSERT INTO api_tokens (public_id, secret_hash, kind, subject, scopes, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(public_id)
            .bind(secret_hash)
            .bind(kind)
            .bind(subject)
            .bind(scopes)
            .bind(label)
            .bind(now())
            .bind(expires_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The token named `public_id`, if any.
    pub async fn token(&self, public_id: &str) -> Result<Option<TokenRow>> {
        let row = sqlx::query("SELECT public_id, secret_hash, kind, subject, scopes, expires_at, revoked_at FROM api_tokens WHERE public_id = $1")
            .bind(public_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(TokenRow {
                public_id: r.try_get(0)?,
                secret_hash: r.try_get(1)?,
                kind: r.try_get(2)?,
                subject: r.try_get(3)?,
                scopes: r.try_get(4)?,
                expires_at: r.try_get(5)?,
                revoked_at: r.try_get(6)?,
            })
        })
        .transpose()
    }

    /// Note a use of the token.
    pub async fn touch_token(&self, public_id: &str) -> Result<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE public_id = $1").bind(public_id).bind(now()).execute(self.pool()).await?;
        Ok(())
    }

    /// Revoke the token named `public_id`.
    pub async fn revoke_token(&self, public_id: &str) -> Result<()> {
        let r = sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE public_id = $1 AND revoked_at IS NULL").bind(public_id).bind(now()).execute(self.pool()).await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound("active token"));
        }
        Ok(())
    }
}
