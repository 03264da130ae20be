//! Browser sessions and CSRF tokens.
//!
//! Following the OWASP Session Management Cheat Sheet: a session id is 256 random bits (43
//! base64url characters), made anew at every login and privilege change (no fixation), kept by
//! the store only as its SHA-256 (like the sensor tokens of `ward-server`: a copy of the
//! database holds no usable session), and carried in a `__Host-` cookie that is `Secure`,
//! `HttpOnly`, `SameSite=Strict` and scoped to `/` of this host only. A session ends after
//! 30 minutes without a request (idle timeout) and 12 hours after login whatever happens
//! (absolute timeout, a clinical shift). Sensitive actions (user management, risk acceptance,
//! exports, token minting) need a password or second-factor check within the last 5 minutes.
//!
//! CSRF: `SameSite=Strict` already keeps the cookie off cross-site requests; as defence in depth
//! every state-changing request also carries a token that is HMAC-SHA256 of the session id under
//! a server key (OWASP's "signed double-submit" / HMAC CSRF token), checked in constant time. It
//! needs no storage and dies with the session.

use crate::{AuthError, RandomSource, encoding};
use aws_lc_rs::hmac;
use zeroize::Zeroizing;

/// Seconds without activity after which a session ends.
pub const IDLE_TIMEOUT: i64 = 30 * 60;
/// Seconds after login after which a session ends regardless of activity.
pub const ABSOLUTE_TIMEOUT: i64 = 12 * 60 * 60;
/// Seconds since the last authentication within which a sensitive action needs no new check.
pub const REAUTH_WINDOW: i64 = 5 * 60;
/// The session cookie's name. The `__Host-` prefix makes browsers refuse it unless it is
/// `Secure`, has `Path=/` and no `Domain` (RFC 6265bis §4.1.3.2).
pub const COOKIE_NAME: &str = "__Host-ward_session";
/// Random bytes in a session id.
pub const SESSION_BYTES: usize = 32;
const TOKEN_CHARS: usize = 43;
const CSRF_LABEL: &[u8] = b"ward-csrf-v1:";

/// A session id as the browser holds it. Wiped on drop; `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(Zeroizing<String>);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

impl SessionToken {
    /// A new session id of 256 random bits.
    ///
    /// # Errors
    /// [`AuthError::Random`] if the generator fails.
    pub fn generate(rng: &dyn RandomSource) -> Result<Self, AuthError> {
        let mut raw = Zeroizing::new([0u8; SESSION_BYTES]);
        rng.fill(raw.as_mut())?;
        Ok(Self(Zeroizing::new(encoding::b64url(raw.as_ref()))))
    }

    /// A session id received from a client, if it has the right shape (43 base64url characters
    /// encoding 32 bytes). Shape only: whether it exists is the store's question.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != TOKEN_CHARS {
            return None;
        }
        let bytes = Zeroizing::new(encoding::b64url_decode(text)?);
        (bytes.len() == SESSION_BYTES).then(|| Self(Zeroizing::new(text.to_owned())))
    }

    /// The session id found in a `Cookie` request header, if any has the right shape.
    #[must_use]
    pub fn from_cookie_header(header: &str) -> Option<Self> {
        header.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(name, _)| *name == COOKIE_NAME).and_then(|(_, value)| Self::parse(value.trim()))
    }

    /// The value to put in the cookie (secret: only for the `Set-Cookie` header).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the store keeps and looks sessions up by: SHA-256 of the id, lower-case hex.
    #[must_use]
    pub fn storage_hash(&self) -> String {
        crate::sha256_hex(self.0.as_bytes())
    }
}

/// The `Set-Cookie` value that gives the browser its session. No `Max-Age`: the cookie dies with
/// the browser, and the server enforces the timeouts whatever the browser keeps.
#[must_use]
pub fn session_cookie(token: &SessionToken) -> Zeroizing<String> {
    Zeroizing::new(format!("{COOKIE_NAME}={}; Path=/; Secure; HttpOnly; SameSite=Strict", token.as_str()))
}

/// The `Set-Cookie` value that removes the session cookie (logout, expiry).
#[must_use]
pub fn clear_session_cookie() -> String {
    format!("{COOKIE_NAME}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The times the store keeps with a session, Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionTimes {
    /// When the session was made (the login).
    pub created_at: i64,
    /// The last request seen on it.
    pub last_seen_at: i64,
    /// The last time the user proved who they are (login or re-authentication).
    pub last_auth_at: i64,
}

/// Why a session is no longer valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expiry {
    /// No request for [`IDLE_TIMEOUT`].
    Idle,
    /// [`ABSOLUTE_TIMEOUT`] since login.
    Absolute,
    /// Its times are in the future: a clock went backwards or the row was altered.
    FromTheFuture,
}

/// Whether a session with `times` is still valid at `now`. On `Ok`, the caller updates
/// `last_seen_at` to `now`.
///
/// # Errors
/// The [`Expiry`] that ended it; the caller deletes the session and clears the cookie.
pub fn check_session(times: &SessionTimes, now: i64) -> Result<(), Expiry> {
    // A minute of grace for clocks of several replicas that disagree slightly.
    const FUTURE_GRACE: i64 = 60;
    if times.created_at > now.saturating_add(FUTURE_GRACE) || times.last_seen_at > now.saturating_add(FUTURE_GRACE) {
        return Err(Expiry::FromTheFuture);
    }
    if now.saturating_sub(times.created_at) >= ABSOLUTE_TIMEOUT {
        return Err(Expiry::Absolute);
    }
    if now.saturating_sub(times.last_seen_at) >= IDLE_TIMEOUT {
        return Err(Expiry::Idle);
    }
    Ok(())
}

/// Whether the user authenticated recently enough (within [`REAUTH_WINDOW`]) for a sensitive
/// action; if not, ask for the password or a second-factor code first.
#[must_use]
pub fn reauth_fresh(now: i64, last_auth_at: i64) -> bool {
    last_auth_at <= now && now.saturating_sub(last_auth_at) < REAUTH_WINDOW
}

/// The server's CSRF key: 256 bits, made at first start and kept in the data directory (or
/// given by configuration to every replica). Wiped on drop; `Debug` does not show it.
pub struct CsrfKey(hmac::Key);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey([redacted])")
    }
}

impl CsrfKey {
    /// Key length in bytes.
    pub const LEN: usize = 32;

    /// A new random key; returns it and its bytes to persist.
    ///
    /// # Errors
    /// [`AuthError::Random`] if the generator fails.
    pub fn generate(rng: &dyn RandomSource) -> Result<(Self, Zeroizing<[u8; Self::LEN]>), AuthError> {
        let mut raw = Zeroizing::new([0u8; Self::LEN]);
        rng.fill(raw.as_mut())?;
        Ok((Self::from_bytes(&raw), raw))
    }

    /// The key from its persisted bytes.
    #[must_use]
    pub fn from_bytes(raw: &[u8; Self::LEN]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, raw))
    }

    fn message(session: &SessionToken) -> Zeroizing<Vec<u8>> {
        let mut m = Zeroizing::new(CSRF_LABEL.to_vec());
        m.extend_from_slice(session.as_str().as_bytes());
        m
    }

    /// The CSRF token for `session`: base64url of HMAC-SHA256(key, label ‖ session id). Put it
    /// in forms and in an `X-CSRF-Token` header of htmx requests.
    #[must_use]
    pub fn token(&self, session: &SessionToken) -> String {
        encoding::b64url(hmac::sign(&self.0, &Self::message(session)).as_ref())
    }

    /// Whether `presented` is the CSRF token of `session` (constant-time).
    #[must_use]
    pub fn verify(&self, session: &SessionToken, presented: &str) -> bool {
        let Some(tag) = encoding::b64url_decode(presented) else { return false };
        hmac::verify(&self.0, &Self::message(session), &tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SystemRandomSource;
    use crate::testing::CountingRandom;

    #[test]
    fn ids_are_256_bits_and_stored_hashed() {
        let t = SessionToken::generate(&SystemRandomSource::new()).expect("id");
        assert_eq!(t.as_str().len(), 43);
        assert_eq!(SessionToken::parse(t.as_str()), Some(t.clone()));
        let h = t.storage_hash();
        assert_eq!(h.len(), 64);
        assert_ne!(h, t.as_str());
        assert_ne!(SessionToken::generate(&SystemRandomSource::new()).expect("id"), t);
        assert_eq!(format!("{t:?}"), "SessionToken([redacted])");
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in ["", "abc", &"A".repeat(42), &"A".repeat(44), &format!("{}!", "A".repeat(42)), &format!("{}B", "A".repeat(42))] {
            assert_eq!(SessionToken::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn cookie_attributes_and_parsing() {
        let t = SessionToken::generate(&CountingRandom::new(0)).expect("id");
        let set = session_cookie(&t);
        assert_eq!(set.as_str(), format!("__Host-ward_session={}; Path=/; Secure; HttpOnly; SameSite=Strict", t.as_str()));
        let header = format!("theme=dark; __Host-ward_session={} ; other=1", t.as_str());
        assert_eq!(SessionToken::from_cookie_header(&header), Some(t.clone()));
        assert_eq!(SessionToken::from_cookie_header("ward_session=abc; __Host-ward_session=short"), None);
        assert_eq!(SessionToken::from_cookie_header(&format!("x__Host-ward_session={}", t.as_str())), None);
        assert!(clear_session_cookie().ends_with("Max-Age=0"));
    }

    #[test]
    fn idle_and_absolute_timeouts() {
        let login = 1_000_000;
        let fresh = SessionTimes { created_at: login, last_seen_at: login, last_auth_at: login };
        assert_eq!(check_session(&fresh, login), Ok(()));
        assert_eq!(check_session(&fresh, login + IDLE_TIMEOUT - 1), Ok(()));
        assert_eq!(check_session(&fresh, login + IDLE_TIMEOUT), Err(Expiry::Idle));
        let busy = SessionTimes { last_seen_at: login + ABSOLUTE_TIMEOUT - 10, ..fresh };
        assert_eq!(check_session(&busy, login + ABSOLUTE_TIMEOUT - 1), Ok(()));
        assert_eq!(check_session(&busy, login + ABSOLUTE_TIMEOUT), Err(Expiry::Absolute));
        assert_eq!(check_session(&fresh, login - 3600), Err(Expiry::FromTheFuture));
        assert_eq!(check_session(&fresh, i64::MAX), Err(Expiry::Absolute));
        assert_eq!(check_session(&SessionTimes { created_at: i64::MIN, last_seen_at: i64::MIN, last_auth_at: 0 }, i64::MAX), Err(Expiry::Absolute));
    }

    #[test]
    fn reauthentication_window() {
        assert!(reauth_fresh(1_000, 1_000));
        assert!(reauth_fresh(1_000 + REAUTH_WINDOW - 1, 1_000));
        assert!(!reauth_fresh(1_000 + REAUTH_WINDOW, 1_000));
        assert!(!reauth_fresh(1_000, 2_000), "an authentication in the future does not count");
        assert!(!reauth_fresh(i64::MAX, i64::MIN));
    }

    #[test]
    fn csrf_tokens_are_bound_to_the_session_and_the_key() {
        let rng = SystemRandomSource::new();
        let (key, raw) = CsrfKey::generate(&rng).expect("key");
        let a = SessionToken::generate(&rng).expect("id");
        let b = SessionToken::generate(&rng).expect("id");
        let ta = key.token(&a);
        assert_eq!(ta.len(), 43);
        assert!(key.verify(&a, &ta));
        assert!(!key.verify(&b, &ta), "another session's token");
        let (other_key, _) = CsrfKey::generate(&rng).expect("key");
        assert!(!other_key.verify(&a, &ta), "another server key");
        assert!(CsrfKey::from_bytes(&raw).verify(&a, &ta), "same key from its stored bytes");
        for bad in ["", "x", &ta[..42], "!!!!", &format!("{ta}A")] {
            assert!(!key.verify(&a, bad), "{bad}");
        }
        assert_eq!(format!("{key:?}"), "CsrfKey([redacted])");
    }

    /// Known answer: the HMAC is SHA-256 over the label and the id, as
    /// `openssl dgst -sha256 -mac HMAC -macopt hexkey:0b0b… -binary | base64` computes it.
    #[test]
    fn csrf_token_known_answer() {
        let key = CsrfKey::from_bytes(&[0x0b; 32]);
        let session = SessionToken::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").expect("shape");
        assert_eq!(key.token(&session), CSRF_KNOWN_ANSWER);
    }

    const CSRF_KNOWN_ANSWER: &str = "P2F3IxY44SUDDJCEHB8nWgdAuwdASLnx2PpnV6pQNOw";

    proptest::proptest! {
        /// Untrusted cookie headers and CSRF tokens: any text, no panic, and only the real
        /// token verifies.
        #[test]
        fn any_header_or_token_is_safe(header in "\\PC{0,120}", presented in "\\PC{0,60}") {
            let _ = SessionToken::from_cookie_header(&header);
            let key = CsrfKey::from_bytes(&[9; 32]);
            let session = SessionToken::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").expect("shape");
            proptest::prop_assert!(!key.verify(&session, &presented) || presented == key.token(&session));
        }
    }
}
