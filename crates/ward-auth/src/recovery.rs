//! One-time recovery codes, for a user who lost the TOTP device.
//!
//! Ten codes of ten characters from Crockford's base32 alphabet (no I, L, O, U), 5 bits each:
//! 50 bits per code, shown once as `xxxxx-xxxxx`. Only their SHA-256 is stored: with 50 bits of
//! entropy per code and login throttling in front, a fast hash is enough (unlike passwords,
//! there is no dictionary to try). A code is consumed on use: [`find`] tells which stored entry
//! matched and the caller deletes it in the same transaction that completes the login.

use crate::{AuthError, RandomSource};
use zeroize::Zeroizing;

/// How many codes a user gets.
pub const COUNT: usize = 10;
/// Characters per code (5 bits each: 50 bits).
pub const CODE_CHARS: usize = 10;
/// Crockford's base32 alphabet, lower-case.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Domain separation, so a recovery code's hash cannot be confused with another secret's.
const HASH_PREFIX: &[u8] = b"ward-recovery-v1:";

/// A fresh set: the codes to show once, and the hashes to store (same order).
pub struct RecoveryCodes {
    /// The codes for the user, formatted `xxxxx-xxxxx`. Wiped on drop; never logged.
    pub shown: Vec<Zeroizing<String>>,
    /// Lower-case hex SHA-256 of each normalised code: what the store keeps.
    pub stored: Vec<String>,
}

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryCodes").field("shown", &format_args!("[{} redacted]", self.shown.len())).field("stored", &self.stored).finish()
    }
}

/// Make [`COUNT`] new codes. Generating a new set replaces the old one entirely.
///
/// # Errors
/// [`AuthError::Random`] if the generator fails.
pub fn generate(rng: &dyn RandomSource) -> Result<RecoveryCodes, AuthError> {
    let mut shown = Vec::with_capacity(COUNT);
    let mut stored = Vec::with_capacity(COUNT);
    for _ in 0..COUNT {
        let mut raw = Zeroizing::new([0u8; CODE_CHARS]);
        rng.fill(raw.as_mut())?;
        // 32 divides 256, so the low five bits of a uniform byte are uniform.
        let code: Zeroizing<String> = Zeroizing::new(raw.iter().map(|b| char::from(ALPHABET[usize::from(b & 31)])).collect());
        stored.push(hash_normalised(&code));
        shown.push(Zeroizing::new(format!("{}-{}", &code[..5], &code[5..])));
    }
    Ok(RecoveryCodes { shown, stored })
}

/// A code as typed, in canonical form: case ignored, dashes and spaces dropped, and Crockford's
/// look-alikes read as digits (`i`, `l` → `1`, `o` → `0`). `None` if it cannot be a code.
fn normalise(input: &str) -> Option<Zeroizing<String>> {
    let mut out = Zeroizing::new(String::with_capacity(CODE_CHARS));
    for c in input.chars() {
        let c = match c.to_ascii_lowercase() {
            '-' | ' ' => continue,
            'i' | 'l' => '1',
            'o' => '0',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || out.len() >= CODE_CHARS {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_CHARS).then_some(out)
}

fn hash_normalised(code: &str) -> String {
    let mut input = Zeroizing::new(HASH_PREFIX.to_vec());
    input.extend_from_slice(code.as_bytes());
    crate::sha256_hex(&input)
}

/// Which of the `stored` hashes the typed `input` matches, if any. Every stored hash is
/// compared, in constant time, whether or not an earlier one matched. The caller deletes the
/// matching entry (the code is then spent) and records the use in the audit trail.
#[must_use]
pub fn find(input: &str, stored: &[String]) -> Option<usize> {
    let candidate = hash_normalised(&normalise(input)?);
    let mut found = None;
    for (i, h) in stored.iter().enumerate() {
        if crate::ct_eq(h.as_bytes(), candidate.as_bytes()) && found.is_none() {
            found = Some(i);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SystemRandomSource;

    #[test]
    fn ten_codes_of_fifty_bits_each_used_once() {
        let set = generate(&SystemRandomSource::new()).expect("codes");
        assert_eq!(set.shown.len(), COUNT);
        assert_eq!(set.stored.len(), COUNT);
        let mut stored = set.stored.clone();
        for code in &set.shown {
            assert_eq!(code.len(), CODE_CHARS + 1);
            assert_eq!(code.as_bytes()[5], b'-');
            assert!(!stored.iter().any(|h| h == code.as_str()), "stored form is a hash");
            let i = find(code, &stored).expect("valid once");
            stored.remove(i);
            assert_eq!(find(code, &stored), None, "consumed");
        }
        assert!(stored.is_empty());
    }

    #[test]
    fn typing_variations_are_accepted() {
        let stored = vec![hash_normalised("01abcdefgh"), hash_normalised("1100zzzzzz")];
        assert_eq!(find("01ABC-DEFGH", &stored), Some(0));
        assert_eq!(find(" 01abc defgh ", &stored), Some(0));
        assert_eq!(find("ilOOz-zzzzz", &stored), Some(1), "look-alikes read as digits");
        assert_eq!(find("01abc-defgj", &stored), None);
        for bad in ["", "01abc-defg", "01abc-defghh", "01abc_defgh", "01abc-défgh", "uuuuu-uuuuu"] {
            assert_eq!(find(bad, &stored), None, "{bad}");
        }
    }

    #[test]
    fn codes_do_not_repeat_and_debug_hides_them() {
        let set = generate(&SystemRandomSource::new()).expect("codes");
        let mut uniq: Vec<&str> = set.shown.iter().map(|c| c.as_str()).collect();
        uniq.sort_unstable();
        uniq.dedup();
        assert_eq!(uniq.len(), COUNT);
        let dbg = format!("{set:?}");
        assert!(set.shown.iter().all(|c| !dbg.contains(c.as_str())));
    }

    #[test]
    fn generator_failure_is_an_error() {
        assert!(generate(&crate::testing::BrokenRandom).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_input_is_safe(s in "\\PC{0,40}") {
            let _ = find(&s, &[hash_normalised("0000000000")]);
        }
    }
}
