//! Time-based one-time passwords (RFC 6238) as the second factor.
//!
//! HOTP (RFC 4226 §5) over HMAC-SHA1 from aws-lc-rs, 6 digits, 30-second steps counted from the
//! Unix epoch, and a tolerance of one step either side for clock drift (RFC 6238 §5.2). SHA-1 is
//! what every authenticator app implements; HMAC-SHA1 remains sound for this use.
//!
//! **A code is good once.** [`verify`] returns the time step it accepted; the caller stores it as
//! the account's last used step and passes it back next time, and a code of that step or an
//! earlier one is refused (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the
//! same OTP after the successful validation has been issued for the first OTP").
//!
//! Why our own and not `totp-rs`: with its `otpauth` and `gen_secret` features it brings `rand`,
//! `url`, and the RustCrypto `hmac`/`sha1`/`sha2` stack beside aws-lc-rs, which already provides
//! HMAC-SHA1; the algorithm is a few lines and is tested with the RFC's vectors.

use crate::{AuthError, RandomSource, encoding};
use aws_lc_rs::hmac;
use zeroize::Zeroizing;

/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Seconds per time step (RFC 6238's default X).
pub const STEP_SECONDS: i64 = 30;
/// Steps accepted before and after the current one.
pub const SKEW_STEPS: u64 = 1;
/// Secret length in bytes: 160 bits, the length RFC 4226 §4 recommends for HMAC-SHA1.
pub const SECRET_LEN: usize = 20;

/// A TOTP shared secret. Wiped on drop; `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl TotpSecret {
    /// A new random secret of [`SECRET_LEN`] bytes.
    ///
    /// # Errors
    /// [`AuthError::Random`] if the generator fails.
    pub fn generate(rng: &dyn RandomSource) -> Result<Self, AuthError> {
        let mut b = Zeroizing::new(vec![0u8; SECRET_LEN]);
        rng.fill(&mut b)?;
        Ok(Self(b))
    }

    /// A secret from raw bytes (for example decrypted from the store). At least 16 bytes
    /// (RFC 4226 §4: 128 bits minimum) and at most 64.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] outside those lengths.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, AuthError> {
        let bytes = Zeroizing::new(bytes);
        if !(16..=64).contains(&bytes.len()) {
            return Err(AuthError::Invalid("a TOTP secret has 16 to 64 bytes"));
        }
        Ok(Self(bytes))
    }

    /// A secret from its base32 form (as in an otpauth URI; case, spaces and padding ignored).
    ///
    /// # Errors
    /// [`AuthError::Invalid`] if it is not base32 or of a wrong length.
    pub fn from_base32(text: &str) -> Result<Self, AuthError> {
        let bytes = encoding::base32_decode(text).ok_or(AuthError::Invalid("a TOTP secret is base32"))?;
        Self::from_bytes(bytes)
    }

    /// The raw bytes, to encrypt and store.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The base32 form (RFC 4648, no padding), shown once at enrolment for manual entry.
    #[must_use]
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(encoding::base32(&self.0))
    }
}

/// HOTP (RFC 4226 §5.3): HMAC-SHA1 of the big-endian counter, dynamic truncation, modulo 10^digits.
fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    // Offset: the low 4 bits of the last byte; a SHA-1 tag has 20 bytes, so offset + 3 <= 18.
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let word = mac.get(offset..offset + 4).map_or(0, |w| u32::from_be_bytes([w[0] & 0x7f, w[1], w[2], w[3]]));
    word % 10u32.pow(digits)
}

fn format_code(value: u32, digits: u32) -> Zeroizing<String> {
    Zeroizing::new(format!("{value:0width$}", width = digits as usize))
}

/// The time step of `now` (Unix seconds), or `None` before the epoch.
#[must_use]
pub fn step_at(now: i64) -> Option<u64> {
    u64::try_from(now.checked_div(STEP_SECONDS)?).ok().filter(|_| now >= 0)
}

/// The code for step `step` (for tests and for showing a code during enrolment checks).
#[must_use]
pub fn code_for_step(secret: &TotpSecret, step: u64) -> Zeroizing<String> {
    format_code(hotp(secret.as_bytes(), step, DIGITS), DIGITS)
}

/// Why a code was refused. The client only ever sees [`crate::GENERIC_LOGIN_ERROR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TotpRefusal {
    /// Not six digits.
    Malformed,
    /// No step within the tolerance has this code.
    Wrong,
    /// The code is right but for a step already used (a replay, or a second login in the same
    /// 30 seconds).
    Reused,
    /// The clock is before the epoch.
    BadClock,
}

/// Check `code` at time `now` (Unix seconds) for an account whose last accepted step is
/// `last_used_step` (`None` if it never logged in with TOTP).
///
/// Returns the accepted step, which the caller stores as the new last used step *before*
/// completing the login. Spaces in the code are ignored ("123 456"). Each candidate step is
/// computed and compared in constant time, whatever matches.
///
/// # Errors
/// A [`TotpRefusal`] saying why.
pub fn verify(secret: &TotpSecret, code: &str, now: i64, last_used_step: Option<u64>) -> Result<u64, TotpRefusal> {
    let code: Zeroizing<String> = Zeroizing::new(code.chars().filter(|c| *c != ' ').collect());
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpRefusal::Malformed);
    }
    let current = step_at(now).ok_or(TotpRefusal::BadClock)?;
    let mut accepted = None;
    let mut reused = false;
    for step in current.saturating_sub(SKEW_STEPS)..=current.saturating_add(SKEW_STEPS) {
        let matches = crate::ct_eq(code_for_step(secret, step).as_bytes(), code.as_bytes());
        if matches {
            if last_used_step.is_some_and(|last| step <= last) {
                reused = true;
            } else if accepted.is_none() {
                accepted = Some(step);
            }
        }
    }
    match accepted {
        Some(step) => Ok(step),
        None if reused => Err(TotpRefusal::Reused),
        None => Err(TotpRefusal::Wrong),
    }
}

/// Percent-encode everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `otpauth://` URI an authenticator app reads at enrolment (the Key URI Format of Google
/// Authenticator, which the other apps follow): label `issuer:account`, the secret in base32,
/// and the parameters spelled out. It contains the secret: show it once, never log it.
#[must_use]
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> Zeroizing<String> {
    let issuer = percent_encode(issuer);
    Zeroizing::new(format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        account = percent_encode(account),
        secret = secret.to_base32().as_str(),
    ))
}

/// The enrolment URI as a QR code in an SVG document (black on white, quiet zone, at least
/// 240 px), to embed in the enrolment page.
///
/// # Errors
/// [`AuthError::Invalid`] if the URI is too long for a QR code.
pub fn qr_svg(uri: &str) -> Result<Zeroizing<String>, AuthError> {
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| AuthError::Invalid("the enrolment URI does not fit in a QR code"))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    Ok(Zeroizing::new(svg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::CountingRandom;

    /// The RFC's SHA-1 seed: the ASCII string "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec()).expect("20 bytes")
    }

    /// RFC 4226 Appendix D: HOTP values for counters 0 to 9.
    #[test]
    fn rfc4226_appendix_d() {
        let expected = [755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871, 520_489];
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(hotp(b"12345678901234567890", counter as u64, 6), *want, "counter {counter}");
        }
    }

    /// RFC 6238 Appendix B, the SHA-1 rows (8 digits in the RFC; 6 digits are the low six).
    #[test]
    fn rfc6238_appendix_b_sha1() {
        let rows: [(i64, u64, u32); 6] = [
            (59, 0x1, 94_287_082),
            (1_111_111_109, 0x0235_23EC, 7_081_804),
            (1_111_111_111, 0x0235_23ED, 14_050_471),
            (1_234_567_890, 0x0273_EF07, 89_005_924),
            (2_000_000_000, 0x03F9_40AA, 69_279_037),
            (20_000_000_000, 0x27BC_86AA, 65_353_130),
        ];
        for (time, step, eight) in rows {
            assert_eq!(step_at(time), Some(step), "T for {time}");
            assert_eq!(hotp(b"12345678901234567890", step, 8), eight, "time {time}");
            assert_eq!(code_for_step(&rfc_secret(), step).as_str(), format!("{:06}", eight % 1_000_000));
            assert_eq!(verify(&rfc_secret(), &format!("{:06}", eight % 1_000_000), time, None), Ok(step));
        }
    }

    #[test]
    fn skew_of_one_step_either_side_and_no_more() {
        let s = rfc_secret();
        let now = 1_234_567_890;
        let t = step_at(now).expect("step");
        assert_eq!(verify(&s, &code_for_step(&s, t - 1), now, None), Ok(t - 1));
        assert_eq!(verify(&s, &code_for_step(&s, t + 1), now, None), Ok(t + 1));
        assert_eq!(verify(&s, &code_for_step(&s, t - 2), now, None), Err(TotpRefusal::Wrong));
        assert_eq!(verify(&s, &code_for_step(&s, t + 2), now, None), Err(TotpRefusal::Wrong));
    }

    #[test]
    fn a_code_is_good_once() {
        let s = rfc_secret();
        let now = 1_234_567_890;
        let code = code_for_step(&s, step_at(now).expect("step"));
        let used = verify(&s, &code, now, None).expect("first use");
        assert_eq!(verify(&s, &code, now, Some(used)), Err(TotpRefusal::Reused));
        assert_eq!(verify(&s, &code, now + 20, Some(used)), Err(TotpRefusal::Reused));
        // An older step's code after a newer one was used is refused too.
        let next = code_for_step(&s, used + 1);
        assert_eq!(verify(&s, &next, now + 30, Some(used)), Ok(used + 1));
        assert_eq!(verify(&s, &code, now + 30, Some(used + 1)), Err(TotpRefusal::Reused));
    }

    #[test]
    fn malformed_codes_and_clocks() {
        let s = rfc_secret();
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６", "-12345"] {
            assert_eq!(verify(&s, bad, 59, None), Err(TotpRefusal::Malformed), "{bad}");
        }
        let code = code_for_step(&s, 1);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(verify(&s, &spaced, 59, None), Ok(1));
        assert_eq!(verify(&s, "123456", -1, None), Err(TotpRefusal::BadClock));
        assert_eq!(step_at(-31), None);
        assert_eq!(verify(&s, "000000", i64::MAX, None).err(), Some(TotpRefusal::Wrong));
    }

    #[test]
    fn secrets_generate_round_trip_and_hide() {
        let s = TotpSecret::generate(&CountingRandom::new(0)).expect("secret");
        assert_eq!(s.as_bytes().len(), SECRET_LEN);
        let b32 = s.to_base32();
        assert_eq!(b32.len(), 32);
        assert_eq!(TotpSecret::from_base32(&b32.to_lowercase()).expect("parse"), s);
        assert_eq!(format!("{s:?}"), "TotpSecret([redacted])");
        assert!(TotpSecret::from_bytes(vec![1; 15]).is_err());
        assert!(TotpSecret::from_base32("not base32!").is_err());
    }

    #[test]
    fn enrolment_uri_and_qr() {
        let s = rfc_secret();
        let uri = otpauth_uri(&s, "Ward St. Mary", "alice@icu");
        assert_eq!(
            uri.as_str(),
            "otpauth://totp/Ward%20St.%20Mary:alice%40icu?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Ward%20St.%20Mary&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&uri).expect("qr");
        assert!(svg.contains("<svg"), "an SVG document");
        assert!(svg.contains("#000000") && svg.contains("#ffffff"));
        assert!(!svg.contains("GEZDGNBV"), "the secret is in the picture, not in the text");
        assert!(qr_svg(&"x".repeat(5000)).is_err());
    }

    proptest::proptest! {
        /// Untrusted codes, secrets and clocks: any input, no panic.
        #[test]
        fn any_input_is_safe(code in "\\PC{0,12}", text in "\\PC{0,80}", now in proptest::num::i64::ANY, last in proptest::option::of(proptest::num::u64::ANY)) {
            let _ = verify(&rfc_secret(), &code, now, last);
            let _ = TotpSecret::from_base32(&text);
        }
    }
}
