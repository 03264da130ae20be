//! Fuzz entry point shared by the cargo-fuzz target `auth_inputs` and the test that runs its
//! seed corpus as ordinary tests: everything a client can send to the sign-in code — cookie
//! headers, session ids, API tokens, TOTP codes, recovery codes, CSRF tokens, passwords and
//! user names — read without a panic, and only the right value accepted.

use crate::api_token;
use crate::recovery;
use crate::session::{CsrfKey, SessionToken};
use crate::totp::{self, TotpSecret};

/// A fixed time inside the TOTP tolerance window tests use.
const NOW: i64 = 1_700_000_000;

/// Properties on arbitrary client input:
/// - a cookie header yields a session id only if it carries a well-formed `__Host-ward_session`,
///   and that id parses on its own;
/// - an API token parses only with its exact shape;
/// - a TOTP code is accepted only if it is the code of a step within the tolerance;
/// - a recovery code matches only a stored hash made from the same code;
/// - a CSRF token verifies only if it is the session's own token;
/// - the password policy answers for any text (hashing is not fuzzed: it is slow by design).
pub fn auth_inputs(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(t) = SessionToken::from_cookie_header(&text) {
        assert!(text.contains(crate::session::COOKIE_NAME));
        assert!(SessionToken::parse(t.as_str()).is_some(), "an id taken from a cookie parses alone");
    }
    if let Some(t) = SessionToken::parse(&text) {
        assert_eq!(t.as_str(), text, "a parsed session id is the input itself");
    }
    if let Ok(p) = api_token::parse(&text) {
        assert!(text.starts_with("ward_a_") && text.contains(&p.public_id));
    }
    let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec()).ok();
    if let Some(secret) = &secret
        && let Ok(step) = totp::verify(secret, &text, NOW, None)
    {
        let current = totp::step_at(NOW).unwrap_or(0);
        assert!(step + 1 >= current && step <= current + 1, "accepted only within the tolerance");
        let digits: String = text.chars().filter(|c| *c != ' ').collect();
        assert_eq!(totp::code_for_step(secret, step).as_str(), digits, "only the step's own code");
    }
    let stored = vec!["0".repeat(64)];
    assert_eq!(recovery::find(&text, &stored), None, "no input hashes to all zeroes");
    let key = CsrfKey::from_bytes(&[7u8; CsrfKey::LEN]);
    if let Some(session) = SessionToken::parse(&"A".repeat(43)) {
        let good = key.token(&session);
        assert_eq!(key.verify(&session, &text), text == good.as_str(), "only the session's own CSRF token");
    }
    let _ = crate::password::check_policy(&text, "admin");
    let (name, pw) = text.split_once('\n').unwrap_or((&text, ""));
    let _ = crate::password::check_policy(pw, name);
}
