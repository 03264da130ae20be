//! Sensor tokens: `ward_s_<16 hex public id>_<43 base64url secret>`. 256 random bits from the
//! system's generator; the store keeps the public id and a SHA-256 of the secret, so a copy of
//! the database does not hold a usable token. Checked in constant time, refused when expired or
//! revoked, and only ever for the sensor named in it.

use ward_store::Store;

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
}
