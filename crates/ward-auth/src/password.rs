//! Password storage (Argon2id, PHC strings) and the password policy.
//!
//! Parameters follow the OWASP Password Storage Cheat Sheet: Argon2id with m = 19456 KiB
//! (19 MiB), t = 2 iterations, p = 1 lane, a 16-byte random salt and a 32-byte output. The stored
//! form is the PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so the parameters
//! travel with each hash; [`needs_rehash`] tells when a stored hash was made with other
//! parameters and should be replaced at the next successful login.
//!
//! The policy follows NIST SP 800-63B and OWASP's Authentication Cheat Sheet: length (12 to 128
//! characters, counted as Unicode scalar values), no common password (the 20,000 most common,
//! see `knowledge/passwords/`), and not containing the user name. No composition rules.
//!
//! Passwords are normalised to Unicode NFKC before anything else (NIST SP 800-63B), so "é"
//! typed as one code point or as "e" plus a combining accent is the same password on every
//! keyboard.

use crate::AuthError;
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordVerifier, Version};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

/// Minimum length in characters (OWASP, NIST SP 800-63B allow 8 with MFA; Ward asks 12).
pub const MIN_LENGTH: usize = 12;
/// Maximum length in characters: long enough for passphrases, short enough to bound hashing.
pub const MAX_LENGTH: usize = 128;
/// Argon2 memory cost in KiB (OWASP: 19 MiB).
pub const M_COST_KIB: u32 = 19_456;
/// Argon2 iterations (OWASP: 2 with 19 MiB).
pub const T_COST: u32 = 2;
/// Argon2 lanes (OWASP: 1).
pub const P_COST: u32 = 1;
/// Salt length in bytes (RFC 9106 recommends 16).
pub const SALT_LEN: usize = 16;
/// Hash output length in bytes.
pub const OUTPUT_LEN: usize = 32;

/// Upper bounds on parameters read from a stored hash. A tampered or foreign hash asking for
/// gigabytes of memory must not let one login request exhaust the server.
const MAX_STORED_M_COST_KIB: u32 = 1 << 20; // 1 GiB
const MAX_STORED_T_COST: u32 = 16;
const MAX_STORED_P_COST: u32 = 16;

/// The list of common passwords, one per line, lower-case (Django's list, see its README).
const COMMON_PASSWORDS: &str = include_str!("../../../knowledge/passwords/common-passwords.txt");

/// A password rule that was not met. The message names the rule, never the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyViolation {
    /// Fewer than [`MIN_LENGTH`] characters.
    #[error("the password must have at least 12 characters")]
    TooShort,
    /// More than [`MAX_LENGTH`] characters.
    #[error("the password must have at most 128 characters")]
    TooLong,
    /// In the list of common passwords, or one of them followed by digits and symbols.
    #[error("the password is too common: it appears in a list of passwords used by many people")]
    Common,
    /// Contains the user name or, for an e-mail address, its local part (compared without case;
    /// names under 3 characters are not searched).
    #[error("the password must not contain the user name")]
    ContainsUsername,
}

/// The password as it is checked and hashed: NFKC.
fn normalise(password: &str) -> Zeroizing<String> {
    Zeroizing::new(password.nfkc().collect())
}

/// Check `password` against the policy for the account `username`.
///
/// # Errors
/// The first rule not met, in the order: length, user name, common password.
pub fn check_policy(password: &str, username: &str) -> Result<(), PolicyViolation> {
    let password = normalise(password);
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Err(PolicyViolation::TooShort);
    }
    if chars > MAX_LENGTH {
        return Err(PolicyViolation::TooLong);
    }
    let lower = Zeroizing::new(password.to_lowercase());
    if username_parts(username).any(|part| lower.contains(&part)) {
        return Err(PolicyViolation::ContainsUsername);
    }
    if is_common(&lower) {
        return Err(PolicyViolation::Common);
    }
    Ok(())
}

/// The forms of a user name a password must not contain, lower-case: the whole name and, for
/// an e-mail address, its local part. Forms shorter than 3 characters are skipped: a user
/// named "al" would otherwise forbid every password with "al" in it.
fn username_parts(username: &str) -> impl Iterator<Item = String> {
    let whole = username.trim().to_lowercase();
    let local = whole.split_once('@').map(|(l, _)| l.to_owned());
    std::iter::once(whole).chain(local).filter(|p| p.chars().count() >= 3)
}

/// Whether a lower-case password is common: in the list as it is, trimmed, or once digits and
/// symbols appended at its end are taken off ("qwertyuiop123!" is still "qwertyuiop").
fn is_common(lower: &str) -> bool {
    let trimmed = lower.trim();
    let stem = trimmed.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    COMMON_PASSWORDS.lines().any(|line| line == trimmed || (stem.chars().count() >= 4 && line == stem))
}

/// The Argon2id hasher with the parameters this crate writes.
fn hasher() -> Result<Argon2<'static>, AuthError> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, Some(OUTPUT_LEN)).map_err(|_| AuthError::Hashing)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hash `password` for storage with a fresh salt from `rng`; returns the PHC string.
///
/// The policy is not checked here (an administrator reset may use a generated password):
/// call [`check_policy`] first for user-chosen passwords.
///
/// # Errors
/// [`AuthError::Random`] if no salt could be drawn, [`AuthError::Invalid`] for a password over
/// [`MAX_LENGTH`] characters, [`AuthError::Hashing`] if Argon2 fails.
pub fn hash(password: &str, rng: &dyn crate::RandomSource) -> Result<String, AuthError> {
    let password = normalise(password);
    if password.chars().count() > MAX_LENGTH {
        return Err(AuthError::Invalid("password longer than the maximum"));
    }
    let mut salt = [0u8; SALT_LEN];
    rng.fill(&mut salt)?;
    let phc = argon2::PasswordHasher::hash_password_with_salt(&hasher()?, password.as_bytes(), &salt).map_err(|_| AuthError::Hashing)?;
    Ok(phc.to_string())
}

/// Parse a stored hash and check it is Argon2id with parameters inside our bounds.
fn parse_stored(phc: &str) -> Result<(PasswordHash, Params), AuthError> {
    let parsed = PasswordHash::new(phc).map_err(|_| AuthError::MalformedHash("not a PHC string"))?;
    if parsed.algorithm.as_str() != "argon2id" {
        return Err(AuthError::MalformedHash("not Argon2id"));
    }
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err(AuthError::MalformedHash("salt or hash missing"));
    }
    let params = Params::try_from(&parsed).map_err(|_| AuthError::MalformedHash("unreadable parameters"))?;
    if params.m_cost() > MAX_STORED_M_COST_KIB || params.t_cost() > MAX_STORED_T_COST || params.p_cost() > MAX_STORED_P_COST {
        return Err(AuthError::MalformedHash("parameters above the accepted bounds"));
    }
    Ok((parsed, params))
}

/// Whether `password` matches the stored PHC string `phc`. The comparison of the hash outputs
/// is constant-time (argon2's `Output` compares with `subtle`).
///
/// Over-long passwords are hashed like any other and simply do not match: the time taken does
/// not reveal that a length rule was hit.
///
/// # Errors
/// [`AuthError::MalformedHash`] when `phc` cannot be used; a wrong password is `Ok(false)`.
pub fn verify(password: &str, phc: &str) -> Result<bool, AuthError> {
    let (parsed, _) = parse_stored(phc)?;
    let verifier = Argon2::default();
    Ok(verifier.verify_password(normalise(password).as_bytes(), &parsed).is_ok())
}

/// A PHC string with the current parameters and a fixed salt, for [`verify_dummy`].
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$m0mE3MiXrTNe8Ui3K3wYPx4iW4xHnELKHHnXJ0vW9oU";

/// Spend the time of one verification when the user does not exist, so the response time does
/// not tell an attacker which user names are real. Always returns `false`.
#[must_use]
pub fn verify_dummy(password: &str) -> bool {
    let _ = verify(password, DUMMY_HASH);
    false
}

/// Whether a stored hash should be replaced by one with the current algorithm and parameters
/// (checked after a successful [`verify`], when the password is at hand). A hash that cannot be
/// read also needs replacing.
#[must_use]
pub fn needs_rehash(phc: &str) -> bool {
    let Ok((parsed, params)) = parse_stored(phc) else { return true };
    parsed.version != Some(u32::from(Version::V0x13))
        || params.m_cost() != M_COST_KIB
        || params.t_cost() != T_COST
        || params.p_cost() != P_COST
        || parsed.hash.map(|h| h.len()) != Some(OUTPUT_LEN)
        || parsed.salt.map(|s| s.len()) != Some(SALT_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{BrokenRandom, CountingRandom};

    const GOOD: &str = "correct horse battery staple";

    #[test]
    fn hash_is_argon2id_phc_with_owasp_parameters() {
        let phc = hash(GOOD, &CountingRandom::new(7)).expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains(GOOD));
        assert!(verify(GOOD, &phc).expect("verify"));
        assert!(!verify("correct horse battery stapler", &phc).expect("verify"));
        assert!(!needs_rehash(&phc));
    }

    #[test]
    fn unicode_forms_of_the_same_password_match() {
        let composed = "caf\u{e9} au lait, s'il vous pla\u{ee}t";
        let decomposed = "cafe\u{301} au lait, s'il vous plai\u{302}t";
        assert_ne!(composed, decomposed);
        let phc = hash(composed, &CountingRandom::new(3)).expect("hash");
        assert!(verify(decomposed, &phc).expect("verify"));
        assert!(!verify("cafe au lait, s'il vous plait", &phc).expect("verify"));
        assert_eq!(check_policy("e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}", "x"), Err(PolicyViolation::TooShort), "7 characters once composed");
    }

    #[test]
    fn salts_differ_so_hashes_differ() {
        let a = hash(GOOD, &CountingRandom::new(1)).expect("hash");
        let b = hash(GOOD, &CountingRandom::new(2)).expect("hash");
        assert_ne!(a, b);
    }

    #[test]
    fn broken_random_is_an_error_not_a_weak_salt() {
        assert_eq!(hash(GOOD, &BrokenRandom), Err(AuthError::Random));
    }

    #[test]
    fn older_parameters_need_rehash_and_still_verify() {
        let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8192, 1, 1, Some(32)).expect("params"));
        let phc = argon2::PasswordHasher::hash_password_with_salt(&weak, GOOD.as_bytes(), b"0123456789abcdef").expect("hash").to_string();
        assert!(verify(GOOD, &phc).expect("verify"));
        assert!(needs_rehash(&phc));
    }

    #[test]
    fn other_algorithms_and_garbage_are_refused() {
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::new(M_COST_KIB, T_COST, P_COST, Some(32)).expect("params"));
        let phc = argon2::PasswordHasher::hash_password_with_salt(&argon2i, GOOD.as_bytes(), b"0123456789abcdef").expect("hash").to_string();
        assert_eq!(verify(GOOD, &phc), Err(AuthError::MalformedHash("not Argon2id")));
        assert!(needs_rehash(&phc));
        for bad in ["", "$argon2id$", "plaintext", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA", "$bcrypt$xx"] {
            assert!(verify(GOOD, bad).is_err(), "{bad}");
            assert!(needs_rehash(bad), "{bad}");
        }
    }

    #[test]
    fn huge_stored_parameters_are_refused_before_hashing() {
        let phc = "$argon2id$v=19$m=4194304,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$m0mE3MiXrTNe8Ui3K3wYPx4iW4xHnELKHHnXJ0vW9oU";
        assert_eq!(verify(GOOD, phc), Err(AuthError::MalformedHash("parameters above the accepted bounds")));
    }

    #[test]
    fn dummy_hash_is_well_formed_and_current() {
        assert!(parse_stored(DUMMY_HASH).is_ok());
        assert!(!needs_rehash(DUMMY_HASH));
        assert!(!verify_dummy(GOOD));
    }

    #[test]
    fn policy_rules() {
        assert_eq!(check_policy(GOOD, "alice"), Ok(()));
        assert_eq!(check_policy("short", "alice"), Err(PolicyViolation::TooShort));
        assert_eq!(check_policy("ñandú-ñandú", "alice"), Err(PolicyViolation::TooShort), "11 characters, 15 bytes");
        assert_eq!(check_policy("ñandú-ñandú!", "alice"), Ok(()), "12 characters count, not bytes");
        assert_eq!(check_policy(&"x".repeat(129), "alice"), Err(PolicyViolation::TooLong));
        assert_eq!(check_policy(&"xy".repeat(64), "alice"), Ok(()));
        assert_eq!(check_policy("my name is ALICE, hi", "alice"), Err(PolicyViolation::ContainsUsername));
        assert_eq!(check_policy("hello from j.doe again", "J.Doe@Hospital.example"), Err(PolicyViolation::ContainsUsername), "local part of an e-mail");
        assert_eq!(check_policy("always calm at night", "al"), Ok(()), "names under 3 characters are not searched");
        assert_eq!(check_policy("always calm at night", "  "), Ok(()));
        assert_eq!(check_policy("1qaz2wsx3edc", "alice"), Err(PolicyViolation::Common));
        assert_eq!(check_policy("QwertyUiop123!!", "alice"), Err(PolicyViolation::Common), "common stem plus digits");
        assert_eq!(check_policy("password1234", "alice"), Err(PolicyViolation::Common));
        assert_eq!(check_policy("1234567891011", "alice"), Err(PolicyViolation::Common), "all digits, in the list");
        assert_eq!(check_policy("some quiet river 42", "alice"), Ok(()));
    }

    #[test]
    fn policy_errors_never_echo_the_password() {
        let secret = "qwertyuiop123!!";
        let err = check_policy(secret, "bob").expect_err("common");
        assert!(!err.to_string().contains(secret));
        assert!(!format!("{err:?}").contains(secret));
        assert!(!AuthError::from(err).to_string().contains(secret));
    }

    #[test]
    fn bundled_list_is_the_real_one() {
        assert!(COMMON_PASSWORDS.lines().count() >= 19_000);
        assert!(COMMON_PASSWORDS.lines().any(|l| l == "123456"));
        assert!(COMMON_PASSWORDS.lines().all(|l| l == l.to_lowercase()), "list must be lower-case to match");
    }
}
