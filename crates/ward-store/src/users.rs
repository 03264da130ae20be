//! People who sign in: accounts, their second factor, recovery codes, sessions, and the one-time
//! token that creates the first administrator. The store keeps only what the server hands it
//! (hashes, sealed secrets, counters); it never sees a password, a code or a session id.
//!
//! The steps that must not race are single conditional statements: a TOTP step is accepted only
//! if it is later than the last one used, a recovery code or a setup token is spent only once,
//! whatever the number of server replicas.

use crate::{Result, Store, StoreError, now};
use sqlx::Row;

/// An account as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Store id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// Role name (`ward_auth::Role`).
    pub role: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// The TOTP secret sealed with the server's key, once enrolment started.
    pub totp_sealed: Option<String>,
    /// Enrolment confirmed with a first code.
    pub totp_enrolled: bool,
    /// Last TOTP time step accepted (reuse refusal).
    pub totp_last_step: Option<i64>,
    /// Login throttle state (JSON of `ward_auth::throttle::ThrottleState`).
    pub throttle: String,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
    /// A clinician's care unit (which devices they see).
    pub care_unit: Option<String>,
    /// Created (ns).
    pub created_at: i64,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow").field("id", &self.id).field("username", &self.username).field("role", &self.role).field("totp_enrolled", &self.totp_enrolled).field("disabled", &self.disabled).finish_non_exhaustive()
    }
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Whose.
    pub user_id: i64,
    /// `password` (second factor pending) or `full`.
    pub stage: String,
    /// Created (ns).
    pub created_at: i64,
    /// Last request (ns).
    pub last_seen_at: i64,
    /// Last time a factor was checked (ns): re-authentication for sensitive actions.
    pub last_auth_at: i64,
}

macro_rules! select_users {
    ($rest:literal) => {
        concat!("SELECT id, username, role, password_hash, totp_sealed, totp_enrolled, totp_last_step, throttle, disabled, care_unit, created_at FROM users ", $rest)
    };
}

fn user_row(r: &sqlx::any::AnyRow) -> Result<UserRow> {
    Ok(UserRow {
        id: r.try_get(0)?,
        username: r.try_get(1)?,
        role: r.try_get(2)?,
        password_hash: r.try_get(3)?,
        totp_sealed: r.try_get(4)?,
        totp_enrolled: r.try_get::<i64, _>(5)? != 0,
        totp_last_step: r.try_get(6)?,
        throttle: r.try_get(7)?,
        disabled: r.try_get::<i64, _>(8)? != 0,
        care_unit: r.try_get(9)?,
        created_at: r.try_get(10)?,
    })
}

impl Store {
    /// How many accounts exist (0 means the first administrator is still to be made).
    pub async fn user_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM users").fetch_one(self.pool()).await?.try_get(0)?)
    }

    /// Make an account; fails if the name is taken.
    pub async fn create_user(&self, username: &str, role: &str, password_hash: &str, care_unit: Option<&str>) -> Result<i64> {
        let t = now();
        let r = sqlx::query("INSERT INTO users (username, role, password_hash, care_unit, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (username) DO NOTHING RETURNING id")
            .bind(username)
            .bind(role)
            .bind(password_hash)
            .bind(care_unit)
            .bind(t)
            .fetch_optional(self.pool())
            .await?;
        match r {
            Some(r) => Ok(r.try_get(0)?),
            None => Err(StoreError::Invalid("that user name is taken".into())),
        }
    }

    /// The account named `username`.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>> {
        let r = sqlx::query(select_users!("WHERE username = $1")).bind(username).fetch_optional(self.pool()).await?;
        r.as_ref().map(user_row).transpose()
    }

    /// The account with store id `id`.
    pub async fn user(&self, id: i64) -> Result<Option<UserRow>> {
        let r = sqlx::query(select_users!("WHERE id = $1")).bind(id).fetch_optional(self.pool()).await?;
        r.as_ref().map(user_row).transpose()
    }

    /// Every account, by name.
    pub async fn users(&self) -> Result<Vec<UserRow>> {
        let rows = sqlx::query(select_users!("ORDER BY username")).fetch_all(self.pool()).await?;
        rows.iter().map(user_row).collect()
    }

    /// Keep the login throttle state.
    pub async fn set_throttle(&self, id: i64, state_json: &str) -> Result<()> {
        sqlx::query("UPDATE users SET throttle = $2 WHERE id = $1").bind(id).bind(state_json).execute(self.pool()).await?;
        Ok(())
    }

    /// Replace the password hash (after a change or a rehash at new parameters).
    pub async fn set_password(&self, id: i64, hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1").bind(id).bind(hash).bind(now()).execute(self.pool()).await?;
        Ok(())
    }

    /// Start (or restart) TOTP enrolment with a new sealed secret: not enrolled until
    /// [`Store::confirm_totp`].
    pub async fn begin_totp(&self, id: i64, sealed: &str) -> Result<()> {
        sqlx::query("UPDATE users SET totp_sealed = $2, totp_enrolled = 0, totp_last_step = NULL WHERE id = $1 AND totp_enrolled = 0")
            .bind(id)
            .bind(sealed)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Mark enrolment done, with the step of the confirming code as the last one used.
    pub async fn confirm_totp(&self, id: i64, step: i64) -> Result<()> {
        sqlx::query("UPDATE users SET totp_enrolled = 1, totp_last_step = $2 WHERE id = $1").bind(id).bind(step).execute(self.pool()).await?;
        Ok(())
    }

    /// Accept TOTP step `step` for the account if it is later than the last one used (one
    /// statement: two replicas cannot both accept the same code). False when reused.
    pub async fn use_totp_step(&self, id: i64, step: i64) -> Result<bool> {
        let r = sqlx::query("UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)").bind(id).bind(step).execute(self.pool()).await?;
        Ok(r.rows_affected() == 1)
    }

    /// Change a role or a care unit.
    pub async fn set_role(&self, id: i64, role: &str, care_unit: Option<&str>) -> Result<()> {
        let r = sqlx::query("UPDATE users SET role = $2, care_unit = $3 WHERE id = $1").bind(id).bind(role).bind(care_unit).execute(self.pool()).await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    /// Disable (or enable) an account; disabling also ends its sessions.
    pub async fn set_disabled(&self, id: i64, disabled: bool) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        let r = sqlx::query("UPDATE users SET disabled = $2 WHERE id = $1").bind(id).bind(i64::from(disabled)).execute(&mut *tx).await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replace the account's recovery codes (hashes).
    pub async fn set_recovery_codes(&self, id: i64, hashes: &[String]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        for h in hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)").bind(id).bind(h).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The hashes of the account's unused recovery codes.
    pub async fn unused_recovery_codes(&self, id: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT code_hash FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL ORDER BY code_hash").bind(id).fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Spend a recovery code; false if it was already spent.
    pub async fn use_recovery_code(&self, id: i64, hash: &str) -> Result<bool> {
        let r = sqlx::query("UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL").bind(id).bind(hash).bind(now()).execute(self.pool()).await?;
        Ok(r.rows_affected() == 1)
    }

    /// Start a session.
    pub async fn create_session(&self, id_hash: &str, user_id: i64, stage: &str, source: &str) -> Result<()> {
        let t = now();
        sqlx::query("INSERT INTO sessions (id_hash, user_id, stage, created_at, last_seen_at, last_auth_at, source) VALUES ($1, $2, $3, $4, $4, $4, $5)")
            .bind(id_hash)
            .bind(user_id)
            .bind(stage)
            .bind(t)
            .bind(source)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The session with this id hash.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        let r = sqlx::query("SELECT user_id, stage, created_at, last_seen_at, last_auth_at FROM sessions WHERE id_hash = $1").bind(id_hash).fetch_optional(self.pool()).await?;
        r.map(|r| Ok(SessionRow { user_id: r.try_get(0)?, stage: r.try_get(1)?, created_at: r.try_get(2)?, last_seen_at: r.try_get(3)?, last_auth_at: r.try_get(4)? })).transpose()
    }

    /// Note activity on a session.
    pub async fn touch_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1").bind(id_hash).bind(now()).execute(self.pool()).await?;
        Ok(())
    }

    /// A factor was checked on this session now: raise it to `stage` and note the time.
    pub async fn authenticate_session(&self, id_hash: &str, stage: &str) -> Result<()> {
        let t = now();
        sqlx::query("UPDATE sessions SET stage = $2, last_auth_at = $3, last_seen_at = $3 WHERE id_hash = $1").bind(id_hash).bind(stage).bind(t).execute(self.pool()).await?;
        Ok(())
    }

    /// End one session.
    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(self.pool()).await?;
        Ok(())
    }

    /// Delete the sessions no request can use any more: a sign-in left at the password stage
    /// for longer than `pending_ns`, idle for longer than `idle_ns`, or older than
    /// `absolute_ns` (all against `now`, ns). Answers how many went.
    pub async fn purge_sessions(&self, now: i64, pending_ns: i64, idle_ns: i64, absolute_ns: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE (stage <> 'full' AND created_at < $1) OR last_seen_at < $2 OR created_at < $3")
            .bind(now.saturating_sub(pending_ns))
            .bind(now.saturating_sub(idle_ns))
            .bind(now.saturating_sub(absolute_ns))
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected())
    }

    /// End every session of a user (sign out everywhere); returns how many.
    pub async fn delete_user_sessions(&self, user_id: i64) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(self.pool()).await?.rows_affected())
    }

    /// Keep a setup token's hash, valid until `expires_at` (ns); earlier unused ones are
    /// withdrawn so only the latest printed link works.
    pub async fn create_setup_token(&self, token_hash: &str, expires_at: i64) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM setup_tokens WHERE used_at IS NULL").execute(&mut *tx).await?;
        sqlx::query("INSERT INTO setup_tokens (token_hash, expires_at) VALUES ($1, $2)").bind(token_hash).bind(expires_at).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Spend a setup token: true once, if it exists, is unexpired and no account exists yet.
    pub async fn use_setup_token(&self, token_hash: &str) -> Result<bool> {
        let t = now();
        let r = sqlx::query("UPDATE setup_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND NOT EXISTS (SELECT 1 FROM users)")
            .bind(token_hash)
            .bind(t)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected() == 1)
    }
}
