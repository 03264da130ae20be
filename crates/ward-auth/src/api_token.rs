//! API tokens for automation (scripts, SOAR, ticketing), on behalf of a user.
//!
//! A token is `ward_a_<16 hex public id>_<43 base64url secret>` (256 random bits), shaped like
//! the sensor tokens of `ward-server` so that secret scanners can recognise both. The store keeps
//! the public id and SHA-256 of the secret, never the token. A token has a set of scopes
//! (action, resource pairs), an expiry (at most a year) and can be revoked. What it may do is
//! always the intersection of its scopes with its owner's role *at the time of the request*: a
//! user who is demoted takes their tokens down with them.
//!
//! Tokens cannot hold scopes on tokens: a leaked token must not be able to mint its own
//! replacements.

use crate::rbac::{Action, Resource, Role, allowed};
use crate::{AuthError, RandomSource, encoding};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use zeroize::Zeroizing;

/// The prefix of every API token.
pub const PREFIX: &str = "ward_a_";
/// The longest lifetime, in seconds (365 days).
pub const MAX_LIFETIME: i64 = 365 * 86_400;
const PUBLIC_HEX: usize = 16;
const SECRET_CHARS: usize = 43;

/// One permission a token may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Scope {
    /// The action.
    pub action: Action,
    /// The resource.
    pub resource: Resource,
}

/// What the store keeps of a token. No secret in it: the secret is only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenRecord {
    /// The public id (16 hex digits), to look the token up and to name it in the audit trail.
    pub public_id: String,
    /// SHA-256 of the secret part, lower-case hex.
    pub secret_hash: String,
    /// The owning user's id (as the store names users).
    pub owner: String,
    /// What the token may do, before intersection with the owner's role.
    pub scopes: BTreeSet<Scope>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; the token is refused from then on.
    pub expires_at: i64,
    /// Unix seconds of revocation, if revoked.
    pub revoked_at: Option<i64>,
}

/// A freshly minted token: the text to show once, and the record to store.
pub struct NewApiToken {
    /// The whole token, for the user, once. Wiped on drop; not in `Debug`.
    pub token: Zeroizing<String>,
    /// What to store.
    pub record: ApiTokenRecord,
}

impl std::fmt::Debug for NewApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiToken").field("token", &"[redacted]").field("record", &self.record).finish()
    }
}

/// Why a token was refused. The client is only told "invalid token"; this goes to the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenRefusal {
    /// Not an API token's shape.
    Malformed,
    /// The secret does not match the stored hash (or no such token: the caller reports this).
    Unknown,
    /// Past its expiry.
    Expired,
    /// Revoked.
    Revoked,
}

/// A presented token split into its parts, shape checked.
pub struct PresentedToken {
    /// The public id, to look the record up.
    pub public_id: String,
    secret: Zeroizing<String>,
}

impl std::fmt::Debug for PresentedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresentedToken").field("public_id", &self.public_id).field("secret", &"[redacted]").finish()
    }
}

/// Make a token for `owner` (whose role is `owner_role`) with `scopes`, valid `lifetime`
/// seconds from `now`.
///
/// # Errors
/// [`AuthError::Invalid`] for no scope, a scope on tokens, a scope the owner's role does not
/// allow, or a lifetime outside 1 s to [`MAX_LIFETIME`]; [`AuthError::Random`] if the generator
/// fails.
pub fn mint(rng: &dyn RandomSource, owner: &str, owner_role: Role, scopes: BTreeSet<Scope>, now: i64, lifetime: i64) -> Result<NewApiToken, AuthError> {
    if scopes.is_empty() {
        return Err(AuthError::Invalid("a token needs at least one scope"));
    }
    if scopes.iter().any(|s| s.resource == Resource::Token) {
        return Err(AuthError::Invalid("a token cannot act on tokens"));
    }
    if scopes.iter().any(|s| !allowed(owner_role, s.action, s.resource)) {
        return Err(AuthError::Invalid("a token cannot do more than its owner's role allows"));
    }
    // What a browser session may only do right after its owner re-authenticated (account and
    // sensor changes, accepting a risk) is a person's act, never a script's. Exports are the
    // exception: the token's owner granted that scope explicitly, at a fresh sign-in.
    if scopes.iter().any(|s| s.action != Action::Export && crate::rbac::requires_reauth(s.action, s.resource)) {
        return Err(AuthError::Invalid("a token cannot hold a scope that needs a person's re-authentication (accounts, sensors, settings, accepting a risk)"));
    }
    if !(1..=MAX_LIFETIME).contains(&lifetime) {
        return Err(AuthError::Invalid("a token lives between one second and 365 days"));
    }
    let mut public = [0u8; PUBLIC_HEX / 2];
    rng.fill(&mut public)?;
    let mut secret = Zeroizing::new([0u8; 32]);
    rng.fill(secret.as_mut())?;
    let public_id = encoding::hex(&public);
    let secret = Zeroizing::new(encoding::b64url(secret.as_ref()));
    let record = ApiTokenRecord {
        public_id: public_id.clone(),
        secret_hash: crate::sha256_hex(secret.as_bytes()),
        owner: owner.to_owned(),
        scopes,
        created_at: now,
        expires_at: now.saturating_add(lifetime),
        revoked_at: None,
    };
    Ok(NewApiToken { token: Zeroizing::new(format!("{PREFIX}{public_id}_{}", secret.as_str())), record })
}

/// Split a presented token (the `Authorization: Bearer` value) into its public id and secret.
///
/// # Errors
/// [`TokenRefusal::Malformed`] when it does not have a token's shape.
pub fn parse(token: &str) -> Result<PresentedToken, TokenRefusal> {
    let rest = token.strip_prefix(PREFIX).ok_or(TokenRefusal::Malformed)?;
    let (public, secret) = rest.split_once('_').ok_or(TokenRefusal::Malformed)?;
    if public.len() != PUBLIC_HEX || !public.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(TokenRefusal::Malformed);
    }
    // The secret's alphabet includes '_', so split at the first '_' after the id only.
    if secret.len() != SECRET_CHARS || encoding::b64url_decode(secret).is_none_or(|b| b.len() != 32) {
        return Err(TokenRefusal::Malformed);
    }
    Ok(PresentedToken { public_id: public.to_owned(), secret: Zeroizing::new(secret.to_owned()) })
}

/// Whether the presented token matches `record` and is usable at `now` (constant-time
/// comparison of the hashes).
///
/// # Errors
/// The [`TokenRefusal`]: `Unknown` when the secret or id does not match, then `Revoked`, then
/// `Expired`.
pub fn check(record: &ApiTokenRecord, presented: &PresentedToken, now: i64) -> Result<(), TokenRefusal> {
    let hash = crate::sha256_hex(presented.secret.as_bytes());
    if !crate::ct_eq(hash.as_bytes(), record.secret_hash.as_bytes()) || presented.public_id != record.public_id {
        return Err(TokenRefusal::Unknown);
    }
    if record.revoked_at.is_some() {
        return Err(TokenRefusal::Revoked);
    }
    if now >= record.expires_at {
        return Err(TokenRefusal::Expired);
    }
    Ok(())
}

/// Whether a checked token may do `action` on `resource`, given its owner's role now: the
/// token must carry the scope *and* the role must allow it.
#[must_use]
pub fn authorize(record: &ApiTokenRecord, owner_role_now: Role, action: Action, resource: Resource) -> bool {
    record.scopes.contains(&Scope { action, resource }) && allowed(owner_role_now, action, resource)
}

/// Revoke at `now` (idempotent: the first revocation time is kept).
pub fn revoke(record: &mut ApiTokenRecord, now: i64) {
    record.revoked_at.get_or_insert(now);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SystemRandomSource;

    fn scopes(pairs: &[(Action, Resource)]) -> BTreeSet<Scope> {
        pairs.iter().map(|&(action, resource)| Scope { action, resource }).collect()
    }

    fn analyst_token(now: i64) -> NewApiToken {
        let s = scopes(&[(Action::Read, Resource::Finding), (Action::Comment, Resource::Finding)]);
        mint(&SystemRandomSource::new(), "u-17", Role::SecurityAnalyst, s, now, 86_400).expect("mint")
    }

    #[test]
    fn mint_parse_check_round_trip() {
        let t = analyst_token(1_000);
        assert!(t.token.starts_with("ward_a_"));
        assert_eq!(t.token.len(), 7 + 16 + 1 + 43);
        assert!(!t.token.contains(&t.record.secret_hash));
        let p = parse(&t.token).expect("shape");
        assert_eq!(p.public_id, t.record.public_id);
        assert_eq!(check(&t.record, &p, 1_000), Ok(()));
        assert_eq!(check(&t.record, &p, 1_000 + 86_399), Ok(()));
        assert_eq!(check(&t.record, &p, 1_000 + 86_400), Err(TokenRefusal::Expired));
    }

    #[test]
    fn wrong_secret_revoked_and_malformed() {
        let t = analyst_token(0);
        let other = analyst_token(0);
        let p = parse(&other.token).expect("shape");
        assert_eq!(check(&t.record, &p, 1), Err(TokenRefusal::Unknown));
        let mut rec = t.record.clone();
        revoke(&mut rec, 5);
        revoke(&mut rec, 9);
        assert_eq!(rec.revoked_at, Some(5));
        assert_eq!(check(&rec, &parse(&t.token).expect("shape"), 6), Err(TokenRefusal::Revoked));
        let good = t.token.as_str();
        for bad in ["", "ward_s_0123456789abcdef_x", &good[..good.len() - 1], &format!("{good}A"), &good.replace("ward_a_", "ward_b_"), &good.to_uppercase()] {
            assert_eq!(parse(bad).err(), Some(TokenRefusal::Malformed), "{bad}");
        }
    }

    #[test]
    fn scopes_are_intersected_with_the_owner_role_now() {
        let t = analyst_token(0);
        assert!(authorize(&t.record, Role::SecurityAnalyst, Action::Read, Resource::Finding));
        assert!(!authorize(&t.record, Role::SecurityAnalyst, Action::Resolve, Resource::Finding), "not in the scopes");
        assert!(authorize(&t.record, Role::Clinician, Action::Read, Resource::Finding));
        assert!(!authorize(&t.record, Role::Clinician, Action::Comment, Resource::Finding), "owner demoted: role no longer allows it");
        assert!(!authorize(&t.record, Role::Auditor, Action::Comment, Resource::Finding));
    }

    #[test]
    fn minting_refuses_overreach() {
        let rng = SystemRandomSource::new();
        let bad = |role, pairs: &[(Action, Resource)], life| mint(&rng, "u", role, scopes(pairs), 0, life).err();
        assert!(bad(Role::Clinician, &[(Action::Export, Resource::Asset)], 60).is_some(), "beyond the role");
        assert!(bad(Role::Administrator, &[(Action::Create, Resource::Token)], 60).is_some(), "tokens on tokens");
        assert!(bad(Role::Administrator, &[], 60).is_some(), "no scope");
        assert!(bad(Role::Administrator, &[(Action::Create, Resource::User)], 60).is_some(), "account changes are a person's act");
        assert!(bad(Role::Administrator, &[(Action::AcceptRisk, Resource::Finding)], 60).is_some(), "so is accepting a risk");
        assert!(bad(Role::Administrator, &[(Action::Update, Resource::Sensor)], 60).is_some());
        assert!(bad(Role::SecurityAnalyst, &[(Action::Export, Resource::Finding), (Action::Acknowledge, Resource::Finding)], 60).is_none(), "exports and triage may be automated");
        assert!(bad(Role::Administrator, &[(Action::Read, Resource::Asset)], 0).is_some());
        assert!(bad(Role::Administrator, &[(Action::Read, Resource::Asset)], MAX_LIFETIME + 1).is_some());
        assert!(bad(Role::Administrator, &[(Action::Read, Resource::Asset)], MAX_LIFETIME).is_none());
        assert!(matches!(mint(&crate::testing::BrokenRandom, "u", Role::Auditor, scopes(&[(Action::Read, Resource::Audit)]), 0, 60), Err(AuthError::Random)));
    }

    #[test]
    fn nothing_secret_in_debug() {
        let t = analyst_token(0);
        let secret = t.token[PREFIX.len() + PUBLIC_HEX + 1..].to_owned();
        assert_eq!(secret.len(), SECRET_CHARS);
        assert!(!format!("{t:?}").contains(&secret));
        assert!(!format!("{:?}", parse(&t.token).expect("shape")).contains(&secret));
    }

    #[test]
    fn records_serialise_for_the_store() {
        let t = analyst_token(0);
        let json = serde_json::to_string(&t.record).expect("json");
        assert!(json.contains("\"action\":\"read\",\"resource\":\"finding\""), "{json}");
        let back: ApiTokenRecord = serde_json::from_str(&json).expect("back");
        assert_eq!(back, t.record);
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "ward_a_\\PC{0,80}") {
            let _ = parse(&s);
        }
    }
}
