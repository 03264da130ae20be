//! Sensor tokens: `ward_s_<16 hex public id>_<43 base64url secret>`. 256 random bits from the
//! system's generator; the store keeps the public id and a SHA-256 of the secret, so a copy of
//! the database does not hold a usable token. Checked in constant time, refused when expired or
//! revoked, and only ever for the sensor named in it.
//!
//! Automation tokens (`ward_a_…`, made and checked by [`ward_auth::api_token`]) act for a
//! person: scripts, a SOAR or a ticketing system reading findings or acknowledging them. A
//! token carries scopes (`resource.action`); a request through it may do only what the scopes
//! *and* its owner's role allow at the time of the request, so demoting or disabling a person
//! takes their tokens down too. Tokens never hold scopes on tokens nor what needs a person's
//! re-authentication (accounts, sensors, settings, accepting a risk).

use std::collections::BTreeSet;
use ward_auth::api_token::{self, ApiTokenRecord, Scope, TokenRefusal};
use ward_auth::{Action, Resource, Role};
use ward_store::Store;

/// The store's `kind` of automation tokens.
pub const AUTOMATION: &str = "automation";
const NS: i64 = 1_000_000_000;

const PREFIX: &str = "ward_s_";

/// Why a token was refused (for the audit trail; the client is told only "invalid token").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a Ward sensor token at all.
    Malformed,
    /// No such token, or the secret does not match.
    Unknown,
    /// Past its expiry.
    Expired,
    /// Revoked.
    Revoked,
}

fn random(n: usize) -> Result<Vec<u8>, crate::ServerError> {
    let mut b = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| crate::ServerError::Tls("the system random generator failed".into()))?;
    Ok(b)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn b64url(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(b.len() * 4 / 3 + 2);
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        let chars = c.len() + 1;
        for i in 0..chars {
            out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn secret_hash(secret: &str) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes()).as_ref())
}

/// Make a token for `sensor`, valid for `days`; returns the token (shown once) and its public id.
pub async fn mint(store: &Store, sensor: &str, days: u32) -> Result<(String, String), crate::ServerError> {
    if sensor.is_empty() || sensor.len() > 64 || !sensor.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
        return Err(crate::ServerError::Invalid("a sensor name is 1 to 64 letters, digits, '-', '_' or '.'".into()));
    }
    let public = hex(&random(8)?);
    let secret = b64url(&random(32)?);
    let expires = ward_store::now().saturating_add(i64::from(days).saturating_mul(86_400_000_000_000));
    store.create_token(&public, &secret_hash(&secret), "sensor", sensor, expires).await?;
    Ok((format!("{PREFIX}{public}_{secret}"), public))
}

/// The sensor a bearer token acts for, or why it is refused. Also returns the public id (for
/// the audit trail) when the token had the right shape.
pub async fn verify(store: &Store, token: &str) -> Result<(Result<String, Refusal>, Option<String>), crate::ServerError> {
    let Some(rest) = token.strip_prefix(PREFIX) else { return Ok((Err(Refusal::Malformed), None)) };
    let Some((public, secret)) = rest.split_once('_') else { return Ok((Err(Refusal::Malformed), None)) };
    if public.len() != 16 || !public.bytes().all(|b| b.is_ascii_hexdigit()) || secret.len() != 43 {
        return Ok((Err(Refusal::Malformed), None));
    }
    let Some(row) = store.token(public).await? else { return Ok((Err(Refusal::Unknown), Some(public.to_string()))) };
    let ok = aws_lc_rs::constant_time::verify_slices_are_equal(row.secret_hash.as_bytes(), secret_hash(secret).as_bytes()).is_ok();
    let verdict = if !ok || row.kind != "sensor" {
        Err(Refusal::Unknown)
    } else if row.revoked_at.is_some() {
        Err(Refusal::Revoked)
    } else if row.expires_at <= ward_store::now() {
        Err(Refusal::Expired)
    } else {
        store.touch_token(public).await?;
        Ok(row.subject)
    };
    Ok((verdict, Some(public.to_string())))
}

/// A scope's name: `resource.action` (`finding.acknowledge`).
#[must_use]
pub fn scope_name(s: &Scope) -> String {
    format!("{}.{}", s.resource.as_str(), s.action.as_str())
}

/// Scopes from their names; `Err` names the first one that is not a scope.
pub fn parse_scopes<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<BTreeSet<Scope>, String> {
    names
        .into_iter()
        .map(|n| {
            let (r, a) = n.split_once('.').ok_or_else(|| n.to_string())?;
            match (Resource::parse(r), Action::parse(a)) {
                (Some(resource), Some(action)) => Ok(Scope { action, resource }),
                _ => Err(n.to_string()),
            }
        })
        .collect()
}

/// The scopes a role may put on a token, by name: what the role may do, less tokens and what
/// needs a person's re-authentication (exports excepted).
#[must_use]
pub fn grantable(role: Role) -> Vec<Scope> {
    let mut out = Vec::new();
    for resource in Resource::ALL {
        for action in Action::ALL {
            let person_only = action != Action::Export && ward_auth::rbac::requires_reauth(action, resource);
            if resource != Resource::Token && !person_only && ward_auth::allowed(role, action, resource) {
                out.push(Scope { action, resource });
            }
        }
    }
    out
}

/// A new automation token, as shown once to its maker.
#[derive(Debug)]
pub struct NewAutomationToken {
    /// The whole token (shown once; never logged).
    pub token: zeroize::Zeroizing<String>,
    /// Its public id.
    pub public_id: String,
    /// Expiry (ns since the epoch).
    pub expires_at: i64,
    /// Its scopes, by name.
    pub scopes: Vec<String>,
}

/// Make an automation token for `owner_id` (whose role is `owner_role`), for `label`, with
/// `scopes` (names), valid `days`. `Err(Ok(text))`: the request is wrong (the text says why);
/// `Err(Err(e))`: the server failed.
pub async fn mint_automation(store: &Store, owner_id: i64, owner_role: Role, label: &str, scopes: &[String], days: u32) -> Result<NewAutomationToken, Result<String, crate::ServerError>> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 80 || label.chars().any(char::is_control) {
        return Err(Ok("a label is 1 to 80 characters saying what the token is for".into()));
    }
    if !(1..=365).contains(&days) {
        return Err(Ok("a token lives 1 to 365 days".into()));
    }
    let scopes = parse_scopes(scopes.iter().map(String::as_str)).map_err(|n| Ok(format!("not a scope: {n} (scopes are resource.action, as in finding.read)")))?;
    let now = crate::auth::now_s();
    let minted = api_token::mint(&ward_auth::SystemRandomSource::new(), &owner_id.to_string(), owner_role, scopes, now, i64::from(days) * 86_400).map_err(|e| match e {
        ward_auth::AuthError::Invalid(why) => Ok(why.to_string()),
        other => Err(crate::ServerError::Io(other.to_string())),
    })?;
    let r = &minted.record;
    let names: Vec<String> = r.scopes.iter().map(scope_name).collect();
    let expires_at = r.expires_at.saturating_mul(NS);
    store.create_scoped_token(&r.public_id, &r.secret_hash, AUTOMATION, &r.owner, Some(&names.join(" ")), Some(label), expires_at).await.map_err(|e| Err(e.into()))?;
    Ok(NewAutomationToken { token: minted.token, public_id: r.public_id.clone(), expires_at, scopes: names })
}

/// A checked automation token: its public id, its owner's id and its scopes.
#[derive(Debug, Clone)]
pub struct AutomationGrant {
    /// The token's public id.
    pub public_id: String,
    /// The owning user's id.
    pub owner_id: i64,
    /// What the token may do (before intersection with the owner's role now).
    pub scopes: BTreeSet<Scope>,
}

/// Check a presented automation token. The outer `Result` is the server's failure; the inner
/// one the verdict; the `Option` the public id when the token had the right shape.
pub async fn verify_automation(store: &Store, token: &str) -> Result<(Result<AutomationGrant, TokenRefusal>, Option<String>), crate::ServerError> {
    let presented = match api_token::parse(token) {
        Ok(p) => p,
        Err(r) => return Ok((Err(r), None)),
    };
    let public = presented.public_id.clone();
    let row = match store.token(&public).await? {
        Some(r) if r.kind == AUTOMATION => r,
        _ => return Ok((Err(TokenRefusal::Unknown), Some(public))),
    };
    let (Some(scopes), Ok(owner_id)) = (row.scopes.as_deref().and_then(|s| parse_scopes(s.split_whitespace()).ok()), row.subject.parse::<i64>()) else {
        return Ok((Err(TokenRefusal::Unknown), Some(public)));
    };
    let record = ApiTokenRecord {
        public_id: row.public_id,
        secret_hash: row.secret_hash,
        owner: row.subject,
        scopes,
        created_at: 0,
        expires_at: row.expires_at / NS,
        revoked_at: row.revoked_at.map(|t| t / NS),
    };
    if let Err(r) = api_token::check(&record, &presented, crate::auth::now_s()) {
        return Ok((Err(r), Some(public)));
    }
    store.touch_token(&public).await?;
    Ok((Ok(AutomationGrant { public_id: public.clone(), owner_id, scopes: record.scopes }), Some(public)))
}

#[cfg(test)]
mod tests {
    /// base64url without padding, RFC 4648 §5 test vectors.
    #[test]
    fn base64url_vectors() {
        for (i, o) in [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")] {
            assert_eq!(super::b64url(i.as_bytes()), o);
        }
        assert_eq!(super::b64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(super::b64url(&[0u8; 32]).len(), 43);
    }

    /// Scope names round-trip; anything else is named as not a scope.
    #[test]
    fn scope_names() {
        let s = super::parse_scopes(["finding.read", "finding.acknowledge", "audit.export"]).expect("scopes");
        let names: Vec<String> = s.iter().map(super::scope_name).collect();
        assert_eq!(super::parse_scopes(names.iter().map(String::as_str)).expect("again"), s);
        assert_eq!(super::parse_scopes(["finding.read", "finding"]), Err("finding".to_string()));
        assert_eq!(super::parse_scopes(["finding.fly"]), Err("finding.fly".to_string()));
    }

    /// What a role may grant: its own rights, never tokens, never a person-only act; an
    /// auditor may grant only reads and the audit exports; a clinician only reads.
    #[test]
    fn grantable_scopes() {
        use ward_auth::{Action, Resource, Role};
        for role in Role::ALL {
            for s in super::grantable(role) {
                assert!(ward_auth::allowed(role, s.action, s.resource));
                assert_ne!(s.resource, Resource::Token);
                assert!(s.action == Action::Export || !ward_auth::rbac::requires_reauth(s.action, s.resource));
            }
        }
        assert!(super::grantable(Role::Clinician).iter().all(|s| s.action == Action::Read));
        let admin = super::grantable(Role::Administrator);
        assert!(!admin.iter().any(|s| s.resource == Resource::User && s.action == Action::Create));
        assert!(admin.iter().any(|s| s.resource == Resource::Finding && s.action == Action::Acknowledge));
    }
}
