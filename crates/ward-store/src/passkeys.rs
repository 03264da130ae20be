//! Security keys and passkeys (WebAuthn) of each account, the random user handle the
//! authenticators see, and the one pending ceremony of a session. The store keeps the credential
//! as the server hands it (a JSON document with the public key and signature counter); it never
//! interprets it.
//!
//! A ceremony's state is taken once: [`Store::take_ceremony`] clears it in the same conditional
//! statement that reads it, so a challenge cannot be answered twice, even across replicas.

use crate::{Result, Store, StoreError, now};
use sqlx::Row;

/// A stored passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRow {
    /// Store id.
    pub id: i64,
    /// Whose.
    pub user_id: i64,
    /// The credential id (base64url), as the authenticator names it.
    pub credential_id: String,
    /// The name its owner gave it ("YubiKey 5", "laptop").
    pub name: String,
    /// The credential (webauthn-rs `Passkey`, JSON).
    pub passkey: String,
    /// Registered (ns).
    pub created_at: i64,
    /// Last sign-in with it (ns).
    pub last_used_at: Option<i64>,
}

fn passkey_row(r: &sqlx::any::AnyRow) -> Result<PasskeyRow> {
    Ok(PasskeyRow {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        credential_id: r.try_get(2)?,
        name: r.try_get(3)?,
        passkey: r.try_get(4)?,
        created_at: r.try_get(5)?,
        last_used_at: r.try_get(6)?,
    })
}

impl Store {
    /// The account's passkeys, oldest first.
    pub async fn passkeys(&self, user_id: i64) -> Result<Vec<PasskeyRow>> {
        let rows = sqlx::query("SELECT id, user_id, credential_id, name, passkey, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY id").bind(user_id).fetch_all(self.pool()).await?;
        rows.iter().map(passkey_row).collect()
    }

    /// Keep a newly registered passkey; refused if that credential is already registered.
    pub async fn add_passkey(&self, user_id: i64, credential_id: &str, name: &str, passkey: &str) -> Result<i64> {
        let r = sqlx::query("INSERT INTO passkeys (user_id, credential_id, name, passkey, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (credential_id) DO NOTHING RETURNING id")
            .bind(user_id)
            .bind(credential_id)
            .bind(name)
            .bind(passkey)
            .bind(now())
            .fetch_optional(self.pool())
            .await?;
        match r {
            Some(r) => Ok(r.try_get(0)?),
            None => Err(StoreError::Invalid("that security key is already registered".into())),
        }
    }

    /// A sign-in used the passkey: note the time and, when the credential changed (signature
    /// counter, backup state), keep its new form.
    pub async fn passkey_used(&self, id: i64, passkey: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE passkeys SET last_used_at = $2, passkey = COALESCE($3, passkey) WHERE id = $1").bind(id).bind(now()).bind(passkey).execute(self.pool()).await?;
        Ok(())
    }

    /// Remove one of the account's passkeys; false if it has no such passkey.
    pub async fn delete_passkey(&self, user_id: i64, id: i64) -> Result<bool> {
        let r = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2").bind(id).bind(user_id).execute(self.pool()).await?;
        Ok(r.rows_affected() == 1)
    }

    /// The account's WebAuthn user handle (32 hex digits), made from `fresh` the first time
    /// it is asked for; afterwards always the same, whatever `fresh` is.
    pub async fn webauthn_handle(&self, user_id: i64, fresh: &str) -> Result<String> {
        sqlx::query("UPDATE users SET webauthn_handle = $2 WHERE id = $1 AND webauthn_handle IS NULL").bind(user_id).bind(fresh).execute(self.pool()).await?;
        let r = sqlx::query("SELECT webauthn_handle FROM users WHERE id = $1").bind(user_id).fetch_optional(self.pool()).await?;
        r.and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten()).ok_or(StoreError::NotFound("user"))
    }

    /// Keep a ceremony's state with the session (replacing any earlier one).
    pub async fn set_ceremony(&self, id_hash: &str, state: &str) -> Result<()> {
        let r = sqlx::query("UPDATE sessions SET ceremony = $2 WHERE id_hash = $1").bind(id_hash).bind(state).execute(self.pool()).await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound("session"));
        }
        Ok(())
    }

    /// Take the session's ceremony state: it is cleared by the statement that hands it out, so
    /// at most one request gets it.
    pub async fn take_ceremony(&self, id_hash: &str) -> Result<Option<String>> {
        let r = sqlx::query("SELECT ceremony FROM sessions WHERE id_hash = $1").bind(id_hash).fetch_optional(self.pool()).await?;
        let Some(state) = r.and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten()) else { return Ok(None) };
        let taken = sqlx::query("UPDATE sessions SET ceremony = NULL WHERE id_hash = $1 AND ceremony = $2").bind(id_hash).bind(&state).execute(self.pool()).await?;
        Ok((taken.rows_affected() == 1).then_some(state))
    }
}
