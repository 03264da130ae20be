//! The authentication and authorization core of `ward server`: password hashing and policy,
//! TOTP second factor, recovery codes, login throttling, sessions and CSRF tokens, the role
//! policy, and scoped API tokens.
//!
//! This crate is pure on purpose: it opens no socket or file and reads no clock. Every function
//! that needs the time takes `now` as Unix seconds; every function that needs randomness takes a
//! [`RandomSource`] (the server passes [`SystemRandomSource`], tests pass a fixed one). Storage
//! is the caller's: this crate says what to store (hashes, counters, the last used TOTP step) and
//! checks what it is given back.
//!
//! Secrets never appear in `Debug` output or error messages: the types that hold one implement
//! `Debug` by hand and print `[redacted]`, and wipe their bytes on drop where practical.
//!
//! It deliberately does not know about HTTP, the store, or users' records; the server maps its
//! outcomes to generic client messages ("invalid username, password or code") and writes the
//! precise reason to the audit trail.
#![deny(missing_docs)]

pub mod api_token;
pub mod fuzzing;
pub mod password;
pub mod rbac;
pub mod recovery;
pub mod session;
pub mod throttle;
pub mod totp;
#[cfg(feature = "webauthn")]
pub mod webauthn;

mod encoding;

pub use rbac::{Action, Resource, Role, allowed};



/// The message a client sees for any failed login step, whatever the real reason: wrong user,
/// wrong password, wrong code, locked account. The precise reason goes to the audit trail.
pub const GENERIC_LOGIN_ERROR: &str = "invalid username, password or code";

/// Errors of this crate. None of them carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The random source failed; nothing secret was produced.
    #[error("the system random generator failed")]
    Random,
    /// A stored password hash could not be read (not a PHC string, not Argon2id, or parameters
    /// outside the bounds this crate accepts).
    #[error("stored password hash is malformed: {0}")]
    MalformedHash(&'static str),
    /// The password hasher failed on valid input (should not happen; reported, never a panic).
    #[error("password hashing failed")]
    Hashing,
    /// A password did not meet the policy.
    #[error(transparent)]
    Policy(#[from] password::PolicyViolation),
    /// A value given by the caller is outside what the function accepts.
    #[error("invalid argument: {0}")]
    Invalid(&'static str),
}

/// A source of cryptographically secure random bytes.
///
/// The server uses [`SystemRandomSource`]; tests may implement it with fixed bytes to make
/// outputs reproducible. An implementation must fill the whole buffer or fail.
pub trait RandomSource {
    /// Fill `buf` with random bytes.
    ///
    /// # Errors
    /// [`AuthError::Random`] when the generator fails; `buf` must then not be used.
    fn fill(&self, buf: &mut [u8]) -> Result<(), AuthError>;
}

/// The operating system's generator through aws-lc-rs (the one crypto library of the tree).
#[derive(Debug, Default)]
pub struct SystemRandomSource(aws_lc_rs::rand::SystemRandom);

impl SystemRandomSource {
    /// A handle on the system generator.
    #[must_use]
    pub fn new() -> Self {
        Self(aws_lc_rs::rand::SystemRandom::new())
    }
}

impl RandomSource for SystemRandomSource {
    fn fill(&self, buf: &mut [u8]) -> Result<(), AuthError> {
        aws_lc_rs::rand::SecureRandom::fill(&self.0, buf).map_err(|_| AuthError::Random)
    }
}

/// Convert the store's Unix nanoseconds (`ward_store::now()`) to the Unix seconds used here.
#[must_use]
pub const fn unix_seconds_from_nanos(nanos: i64) -> i64 {
    nanos.div_euclid(1_000_000_000)
}

/// SHA-256 of `data` as lower-case hex: the stored form of high-entropy secrets (session ids,
/// recovery codes, API token secrets), like the sensor tokens of `ward-server`.
#[must_use]
pub fn sha256_hex(data: &[u8]) -> String {
    encoding::hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data).as_ref())
}

/// Constant-time equality of two byte strings (the length is not secret).
#[must_use]
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

#[cfg(test)]
pub(crate) mod testing {
    use super::{AuthError, RandomSource};
    use std::cell::Cell;

    /// A deterministic byte source for tests: a counter, never the same byte twice in a row.
    pub struct CountingRandom(pub Cell<u8>);

    impl CountingRandom {
        pub fn new(start: u8) -> Self {
            Self(Cell::new(start))
        }
    }

    impl RandomSource for CountingRandom {
        fn fill(&self, buf: &mut [u8]) -> Result<(), AuthError> {
            for b in buf {
                *b = self.0.get();
                self.0.set(self.0.get().wrapping_add(1));
            }
            Ok(())
        }
    }

    /// A byte source that always fails.
    pub struct BrokenRandom;

    impl RandomSource for BrokenRandom {
        fn fill(&self, _buf: &mut [u8]) -> Result<(), AuthError> {
            Err(AuthError::Random)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha256_known_answer() {
        // FIPS 180-2 appendix B.1: SHA-256("abc").
        assert_eq!(super::sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn nanos_to_seconds() {
        assert_eq!(super::unix_seconds_from_nanos(1_700_000_000_999_999_999), 1_700_000_000);
        assert_eq!(super::unix_seconds_from_nanos(-1), -1);
    }

    #[test]
    fn system_random_fills() {
        use super::RandomSource;
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        super::SystemRandomSource::new().fill(&mut a).ok();
        super::SystemRandomSource::new().fill(&mut b).ok();
        assert_ne!(a, b);
    }
}
