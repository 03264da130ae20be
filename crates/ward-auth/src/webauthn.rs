//! Passkeys (WebAuthn), behind the `webauthn` cargo feature: a thin wrapper over `webauthn-rs`
//! that fixes Ward's choices and keeps its errors free of detail.
//!
//! The ceremony is two round trips each, with server-side state in between:
//! - registration: [`Passkeys::start_registration`] gives the browser a challenge and the server
//!   a [`PasskeyRegistration`] to keep with the session; [`Passkeys::finish_registration`] checks
//!   the browser's answer against it and returns the [`Passkey`] to store with the user.
//! - authentication: [`Passkeys::start_authentication`] with the user's passkeys, then
//!   [`Passkeys::finish_authentication`]; on success store the updated passkeys
//!   ([`Passkeys::record_use`]: signature counter and backup state).
//!
//! The states serialise (feature `danger-allow-state-serialisation` of webauthn-rs) so that they
//! can live in the session row rather than in one replica's memory. They must be stored
//! server-side only, used once, and dropped after the ceremony: never sent to the client.
//!
//! User verification is required (a PIN or biometric on the authenticator), so a passkey is a
//! complete second factor on its own. The user handle is 16 random bytes kept with the user,
//! never the user name or e-mail (the handle is visible to the authenticator).
//!
//! webauthn-rs 0.6 verifies with RustCrypto (p256, p384, rsa, ed25519): no OpenSSL is needed
//! to build it.

pub use webauthn_rs::prelude::{
    CreationChallengeResponse, CredentialID, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url,
    Uuid,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

/// A WebAuthn step failed. The cause is kept for the audit trail as a category; the client is
/// told only that the passkey was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasskeyError {
    /// The relying party configuration is wrong (id not a suffix of the origin's host, bad URL).
    #[error("the passkey relying party configuration is invalid")]
    Configuration,
    /// The browser's answer did not verify against the challenge.
    #[error("the passkey was not accepted")]
    Rejected,
    /// No passkey to authenticate with.
    #[error("the user has no passkey")]
    NoPasskey,
}

/// The relying party: Ward's host name and origin.
pub struct Passkeys {
    inner: Webauthn,
}

impl std::fmt::Debug for Passkeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passkeys { .. }")
    }
}

impl Passkeys {
    /// A relying party for `rp_id` (the host name, e.g. `ward.hospital.example`) serving the
    /// web UI at `origin` (e.g. `https://ward.hospital.example:8443`), shown to users as
    /// `rp_name`. `any_port`: accept the origin's scheme and host on any port (a server that
    /// was not told the address its users open, on `localhost`); the relying party id, which
    /// the credentials are bound to, is the same either way.
    ///
    /// # Errors
    /// [`PasskeyError::Configuration`] if the origin does not parse or is not within `rp_id`.
    pub fn new(rp_id: &str, origin: &str, rp_name: &str, any_port: bool) -> Result<Self, PasskeyError> {
        let origin = Url::parse(origin).map_err(|_| PasskeyError::Configuration)?;
        let inner = WebauthnBuilder::new(rp_id, &origin)
            .map_err(|_| PasskeyError::Configuration)?
            .rp_name(rp_name)
            .allow_any_port(any_port)
            .build()
            .map_err(|_| PasskeyError::Configuration)?;
        Ok(Self { inner })
    }

    /// Begin registering a passkey for the user with `user_handle` (16 random bytes kept with
    /// the user). `existing` are the user's current credential ids, so the same authenticator
    /// is not registered twice.
    ///
    /// # Errors
    /// [`PasskeyError::Rejected`] if webauthn-rs refuses the request.
    pub fn start_registration(&self, user_handle: [u8; 16], user_name: &str, display_name: &str, existing: Vec<CredentialID>) -> Result<(CreationChallengeResponse, PasskeyRegistration), PasskeyError> {
        let exclude = (!existing.is_empty()).then_some(existing);
        self.inner.start_passkey_registration(Uuid::from_bytes(user_handle), user_name, display_name, exclude).map_err(|_| PasskeyError::Rejected)
    }

    /// Finish a registration with the browser's answer and the state kept from the start.
    ///
    /// # Errors
    /// [`PasskeyError::Rejected`] if the answer does not verify.
    pub fn finish_registration(&self, answer: &RegisterPublicKeyCredential, state: &PasskeyRegistration) -> Result<Passkey, PasskeyError> {
        self.inner.finish_passkey_registration(answer, state).map_err(|_| PasskeyError::Rejected)
    }

    /// Begin an authentication with the user's passkeys.
    ///
    /// # Errors
    /// [`PasskeyError::NoPasskey`] if `passkeys` is empty, [`PasskeyError::Rejected`] otherwise.
    pub fn start_authentication(&self, passkeys: &[Passkey]) -> Result<(RequestChallengeResponse, PasskeyAuthentication), PasskeyError> {
        if passkeys.is_empty() {
            return Err(PasskeyError::NoPasskey);
        }
        self.inner.start_passkey_authentication(passkeys).map_err(|_| PasskeyError::Rejected)
    }

    /// Finish an authentication; returns the credential id that was used.
    /// Then call [`Passkeys::record_use`] and store the passkeys it changed.
    ///
    /// # Errors
    /// [`PasskeyError::Rejected`] if the answer does not verify (wrong signature, challenge,
    /// origin, or no user verification).
    pub fn finish_authentication(&self, answer: &PublicKeyCredential, state: &PasskeyAuthentication, passkeys: &mut [Passkey]) -> Result<CredentialID, PasskeyError> {
        let result = self.inner.finish_passkey_authentication(answer, state).map_err(|_| PasskeyError::Rejected)?;
        Self::record_use(passkeys, &result);
        Ok(result.cred_id().clone())
    }

    /// Update the stored passkey that was used (signature counter, backup state); returns
    /// whether any changed and must be written back.
    pub fn record_use(passkeys: &mut [Passkey], result: &webauthn_rs::prelude::AuthenticationResult) -> bool {
        let mut changed = false;
        for passkey in passkeys {
            changed |= passkey.update_credential(result) == Some(true);
        }
        changed
    }
}

/// The text a credential is stored and looked up by: its id in base64url.
#[must_use]
pub fn credential_text(id: &CredentialID) -> String {
    crate::encoding::b64url(id)
}

/// A new user handle: 16 random bytes, as 32 hex digits for the store.
///
/// # Errors
/// [`crate::AuthError::Random`] when the generator fails.
pub fn new_handle(rng: &dyn crate::RandomSource) -> Result<String, crate::AuthError> {
    let mut b = [0u8; 16];
    rng.fill(&mut b)?;
    Ok(crate::encoding::hex(&b))
}

/// A stored user handle's bytes; `None` unless exactly 32 hex digits.
#[must_use]
pub fn parse_handle(hex: &str) -> Option<[u8; 16]> {
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_and_credential_text() {
        struct Fixed;
        impl crate::RandomSource for Fixed {
            fn fill(&self, buf: &mut [u8]) -> Result<(), crate::AuthError> {
                buf.iter_mut().enumerate().for_each(|(i, b)| *b = u8::try_from(i).unwrap_or(0) * 17);
                Ok(())
            }
        }
        let h = new_handle(&Fixed).expect("handle");
        assert_eq!(h, "00112233445566778899aabbccddeeff");
        assert_eq!(parse_handle(&h), Some([0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]));
        for bad in ["", "0011", "zz112233445566778899aabbccddeeff", "00112233445566778899aabbccddeeff00", "é0112233445566778899aabbccddeef"] {
            assert_eq!(parse_handle(bad), None, "{bad}");
        }
        assert_eq!(credential_text(&vec![0xfb, 0xff, 0x01]), "-_8B");
    }

    #[test]
    fn relying_party_must_contain_the_origin() {
        assert!(Passkeys::new("ward.hospital.example", "https://ward.hospital.example:8443", "Ward", false).is_ok());
        assert_eq!(Passkeys::new("hospital.example", "https://evil.example", "Ward", false).err(), Some(PasskeyError::Configuration));
        assert_eq!(Passkeys::new("ward.hospital.example", "not a url", "Ward", false).err(), Some(PasskeyError::Configuration));
    }

    #[test]
    fn registration_challenge_and_serialisable_state() {
        let rp = Passkeys::new("ward.hospital.example", "https://ward.hospital.example", "Ward", false).expect("rp");
        let (challenge, state) = rp.start_registration([7; 16], "alice", "Alice A.", Vec::new()).expect("start");
        let json = serde_json::to_value(&challenge).expect("challenge json");
        assert_eq!(json["publicKey"]["rp"]["id"], "ward.hospital.example");
        assert_eq!(json["publicKey"]["authenticatorSelection"]["userVerification"], "required");
        let stored = serde_json::to_string(&state).expect("state serialises for the session row");
        let _back: PasskeyRegistration = serde_json::from_str(&stored).expect("state reads back");
        assert_eq!(format!("{rp:?}"), "Passkeys { .. }");
    }

    #[test]
    fn authentication_needs_a_passkey_and_rejects_garbage() {
        let rp = Passkeys::new("ward.hospital.example", "https://ward.hospital.example", "Ward", false).expect("rp");
        assert_eq!(rp.start_authentication(&[]).err(), Some(PasskeyError::NoPasskey));
        let (_, state) = rp.start_registration([1; 16], "bob", "Bob", Vec::new()).expect("start");
        let forged = serde_json::json!({
            "id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
            "response": { "attestationObject": "AAAA", "clientDataJSON": "AAAA" }
        });
        let answer: RegisterPublicKeyCredential = serde_json::from_value(forged).expect("shape");
        assert_eq!(rp.finish_registration(&answer, &state).err(), Some(PasskeyError::Rejected));
    }
}
