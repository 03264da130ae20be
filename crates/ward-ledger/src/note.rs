//! Signed tree heads as C2SP checkpoints in signed notes, with Ed25519 keys.
//!
//! A checkpoint (C2SP `tlog-checkpoint`) is the note text
//!
//! ```text
//! <origin>\n<tree size, decimal>\n<root hash, standard base64>\n[extension lines\n]
//! ```
//!
//! and a signed note (C2SP `signed-note`) is that text, a blank line, and one line per
//! signature: `— <key name> <base64(key id (4 bytes) || signature)>`. For Ed25519 the key id
//! is the first four bytes of `SHA-256(name || 0x0A || 0x01 || public key)` and the signature
//! is over the note text, final newline included. A verifier key is written
//! `<name>+<key id, 8 hex digits>+<base64(0x01 || public key)>`; the private key file holds
//! `PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>`.

use crate::hash::{Hash, from_hex, to_hex};
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

/// The signature algorithm byte of Ed25519 in signed notes.
const ALG_ED25519: u8 = 0x01;
/// Longest signed note read (a checkpoint is about 200 bytes).
pub const MAX_NOTE: usize = 16 * 1024;
/// Most signature lines read on one note.
pub const MAX_SIGNATURES: usize = 64;

/// Why a key, note or checkpoint is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The text breaks the format; says which rule.
    #[error("malformed {what}: {why}")]
    Malformed {
        /// Key, note, checkpoint.
        what: &'static str,
        /// Which rule.
        why: &'static str,
    },
    /// No signature line is by the expected key.
    #[error("not signed by {expected} (signatures by key ids: {found})")]
    UnknownKey {
        /// The expected key, `name+keyid`.
        expected: String,
        /// Key ids of the signatures present.
        found: String,
    },
    /// A signature line names the expected key but does not verify.
    #[error("signature by {0} does not verify (the text was changed or the signature forged)")]
    BadSignature(String),
    /// The crypto library failed (key generation).
    #[error("cryptography failed: {0}")]
    Crypto(&'static str),
}

fn malformed(what: &'static str, why: &'static str) -> NoteError {
    NoteError::Malformed { what, why }
}

/// Key names may not be empty nor hold whitespace or '+'.
fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.len() > 256 || name.chars().any(|c| c.is_whitespace() || c == '+' || c.is_control()) {
        return Err(malformed("key", "the name must be non-empty, at most 256 bytes, without spaces or '+'"));
    }
    Ok(())
}

/// The signed-note key id of an Ed25519 key.
#[must_use]
pub fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The public half: what verification needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: [u8; 4],
    public: [u8; 32],
}

impl VerifierKey {
    /// A key from its name and Ed25519 public key.
    ///
    /// # Errors
    /// An invalid name.
    pub fn new(name: &str, public: [u8; 32]) -> Result<VerifierKey, NoteError> {
        check_name(name)?;
        Ok(VerifierKey { name: name.to_string(), id: key_id(name, &public), public })
    }

    /// Parse `<name>+<hex key id>+<base64(0x01 || public key)>`; the id must match.
    ///
    /// # Errors
    /// What is wrong with the text.
    pub fn parse(text: &str) -> Result<VerifierKey, NoteError> {
        let text = text.trim_end_matches(['\n', '\r']);
        // Base64 may hold '+'; names and hex ids cannot, so the key is everything after the second.
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(malformed("verifier key", "expected name+keyid+key"));
        };
        check_name(name)?;
        let id = from_hex::<4>(id).ok_or(malformed("verifier key", "the key id is not 8 hex digits"))?;
        let raw = B64.decode(key).map_err(|_| malformed("verifier key", "the key is not base64"))?;
        let Some((&ALG_ED25519, public)) = raw.split_first() else {
            return Err(malformed("verifier key", "not an Ed25519 key"));
        };
        let public: [u8; 32] = public.try_into().map_err(|_| malformed("verifier key", "an Ed25519 key is 32 bytes"))?;
        let k = VerifierKey::new(name, public)?;
        if k.id != id {
            return Err(malformed("verifier key", "the key id does not match the name and key"));
        }
        Ok(k)
    }

    /// The text form.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(&self.public);
        format!("{}+{}+{}", self.name, to_hex(&self.id), B64.encode(raw))
    }

    /// The key's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `name+keyid`, how messages refer to the key.
    #[must_use]
    pub fn label(&self) -> String {
        format!("{}+{}", self.name, to_hex(&self.id))
    }

    /// Verify a signed note and return its text (up to and including its final newline).
    ///
    /// # Errors
    /// A malformed note, no signature by this key, or a signature that does not verify.
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let parsed = parse_note(note)?;
        let mut found = Vec::new();
        for sig in &parsed.signatures {
            if sig.name == self.name && sig.id == self.id {
                let key = UnparsedPublicKey::new(&ED25519, &self.public);
                return match key.verify(parsed.text.as_bytes(), &sig.signature) {
                    Ok(()) => Ok(parsed.text),
                    Err(_) => Err(NoteError::BadSignature(self.label())),
                };
            }
            found.push(format!("{}+{}", sig.name, to_hex(&sig.id)));
        }
        Err(NoteError::UnknownKey { expected: self.label(), found: if found.is_empty() { "none".into() } else { found.join(", ") } })
    }
}

/// The private half: signs checkpoints.
#[derive(Debug)]
pub struct SigningKey {
    verifier: VerifierKey,
    seed: [u8; 32],
    pair: Ed25519KeyPair,
}

impl SigningKey {
    /// A new random key.
    ///
    /// # Errors
    /// An invalid name, or no randomness.
    pub fn generate(name: &str) -> Result<SigningKey, NoteError> {
        let mut seed = [0u8; 32];
        aws_lc_rs::rand::fill(&mut seed).map_err(|_| NoteError::Crypto("no randomness"))?;
        SigningKey::from_seed(name, seed)
    }

    fn from_seed(name: &str, seed: [u8; 32]) -> Result<SigningKey, NoteError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|_| NoteError::Crypto("invalid Ed25519 seed"))?;
        let public: [u8; 32] = pair.public_key().as_ref().try_into().map_err(|_| NoteError::Crypto("public key length"))?;
        Ok(SigningKey { verifier: VerifierKey::new(name, public)?, seed, pair })
    }

    /// Parse `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`.
    ///
    /// # Errors
    /// What is wrong with the text (never the key material).
    pub fn parse(text: &str) -> Result<SigningKey, NoteError> {
        let text = text.trim_end_matches(['\n', '\r']);
        let mut parts = text.splitn(5, '+');
        let (Some("PRIVATE"), Some("KEY"), Some(name), Some(id), Some(key)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("private key", "expected PRIVATE+KEY+name+keyid+key"));
        };
        let id = from_hex::<4>(id).ok_or(malformed("private key", "the key id is not 8 hex digits"))?;
        let raw = B64.decode(key).map_err(|_| malformed("private key", "the key is not base64"))?;
        let Some((&ALG_ED25519, seed)) = raw.split_first() else {
            return Err(malformed("private key", "not an Ed25519 key"));
        };
        let seed: [u8; 32] = seed.try_into().map_err(|_| malformed("private key", "an Ed25519 seed is 32 bytes"))?;
        let k = SigningKey::from_seed(name, seed)?;
        if k.verifier.id != id {
            return Err(malformed("private key", "the key id does not match the name and key"));
        }
        Ok(k)
    }

    /// The text form of the private key (store it owner-only).
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(&self.seed);
        format!("PRIVATE+KEY+{}+{}+{}", self.verifier.name, to_hex(&self.verifier.id), B64.encode(raw))
    }

    /// The public half.
    #[must_use]
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// Sign a note text (which must end with a newline) into a signed note.
    #[must_use]
    pub fn sign(&self, text: &str) -> String {
        let sig = self.pair.sign(text.as_bytes());
        let mut blob = self.verifier.id.to_vec();
        blob.extend_from_slice(sig.as_ref());
        format!("{text}\n\u{2014} {} {}\n", self.verifier.name, B64.encode(blob))
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key id.
    pub id: [u8; 4],
    /// The signature bytes (after the key id).
    pub signature: Vec<u8>,
}

/// A note split into its text and its signatures (not yet verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note<'a> {
    /// The signed text, final newline included.
    pub text: &'a str,
    /// The signature lines.
    pub signatures: Vec<NoteSignature>,
}

/// Split a signed note. Strict: UTF-8 without control characters other than newline, a text
/// ending with a newline, a blank line, then at least one well-formed signature line.
///
/// # Errors
/// Which rule is broken.
pub fn parse_note(note: &str) -> Result<Note<'_>, NoteError> {
    const W: &str = "note";
    if note.len() > MAX_NOTE {
        return Err(malformed(W, "longer than 16 KiB"));
    }
    if note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(malformed(W, "control characters"));
    }
    let Some(split) = note.rfind("\n\n") else { return Err(malformed(W, "no blank line before the signatures")) };
    let text = &note[..=split];
    let sigs = &note[split + 2..];
    if !sigs.ends_with('\n') {
        return Err(malformed(W, "the last signature line does not end with a newline"));
    }
    let mut signatures = Vec::new();
    for line in sigs[..sigs.len() - 1].split('\n') {
        if signatures.len() >= MAX_SIGNATURES {
            return Err(malformed(W, "too many signatures"));
        }
        let Some(rest) = line.strip_prefix("\u{2014} ") else { return Err(malformed(W, "a signature line does not start with an em dash")) };
        let Some((name, b64)) = rest.split_once(' ') else { return Err(malformed(W, "a signature line has no signature")) };
        check_name(name).map_err(|_| malformed(W, "a signature's key name is invalid"))?;
        let blob = B64.decode(b64).map_err(|_| malformed(W, "a signature is not base64"))?;
        if blob.len() < 5 {
            return Err(malformed(W, "a signature is too short"));
        }
        let (id, signature) = blob.split_at(4);
        let id: [u8; 4] = id.try_into().map_err(|_| malformed(W, "key id"))?;
        signatures.push(NoteSignature { name: name.to_string(), id, signature: signature.to_vec() });
    }
    if signatures.is_empty() {
        return Err(malformed(W, "no signature"));
    }
    Ok(Note { text, signatures })
}

/// A tree head: which log, how many entries, and the root over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line (its unique name, e.g. `ward.example.org/ledger`).
    pub origin: String,
    /// Number of entries.
    pub size: u64,
    /// RFC 9162 root hash over them.
    pub root: Hash,
    /// Extension lines (none are written; kept when read so the signature covers them).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text of this checkpoint.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut s = format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root));
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parse a checkpoint's note text (not a signed note: see [`open_checkpoint`]).
    ///
    /// # Errors
    /// Which rule is broken.
    pub fn parse_text(text: &str) -> Result<Checkpoint, NoteError> {
        const W: &str = "checkpoint";
        let Some(body) = text.strip_suffix('\n') else { return Err(malformed(W, "does not end with a newline")) };
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
            return Err(malformed(W, "needs an origin, a size and a root hash line"));
        };
        if origin.is_empty() {
            return Err(malformed(W, "empty origin"));
        }
        if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) || (size.len() > 1 && size.starts_with('0')) {
            return Err(malformed(W, "the size is not a decimal number without leading zeros"));
        }
        let size: u64 = size.parse().map_err(|_| malformed(W, "the size does not fit 64 bits"))?;
        let raw = B64.decode(root).map_err(|_| malformed(W, "the root hash is not base64"))?;
        let root: Hash = raw.try_into().map_err(|_| malformed(W, "the root hash is not 32 bytes"))?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(malformed(W, "empty extension line"));
        }
        Ok(Checkpoint { origin: origin.to_string(), size, root, extensions })
    }

    /// Sign into a signed note.
    #[must_use]
    pub fn sign(&self, key: &SigningKey) -> String {
        key.sign(&self.to_text())
    }
}

/// Verify a signed checkpoint with `key` and return it.
///
/// # Errors
/// A malformed note or checkpoint, or no valid signature by `key`.
pub fn open_checkpoint(note: &str, key: &VerifierKey) -> Result<Checkpoint, NoteError> {
    Checkpoint::parse_text(key.open(note)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_checkpoint_verifies_and_tampering_fails() {
        let key = SigningKey::generate("ward.test/ledger").expect("key");
        let cp = Checkpoint { origin: "ward.test/ledger".into(), size: 42, root: [7; 32], extensions: vec![] };
        let note = cp.sign(&key);
        assert!(note.starts_with("ward.test/ledger\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n\u{2014} ward.test/ledger "));
        assert_eq!(open_checkpoint(&note, key.verifier()), Ok(cp.clone()));
        let tampered = note.replacen("\n42\n", "\n43\n", 1);
        assert_eq!(open_checkpoint(&tampered, key.verifier()), Err(NoteError::BadSignature(key.verifier().label())));
        let other = SigningKey::generate("ward.test/ledger").expect("key");
        assert!(matches!(open_checkpoint(&cp.sign(&other), key.verifier()), Err(NoteError::UnknownKey { .. })));
    }

    #[test]
    fn key_texts_round_trip_and_ids_are_checked() {
        let key = SigningKey::generate("ward.test").expect("key");
        let again = SigningKey::parse(&key.to_text()).expect("private key parses");
        assert_eq!(again.verifier(), key.verifier());
        let v = VerifierKey::parse(&key.verifier().to_text()).expect("verifier parses");
        assert_eq!(&v, key.verifier());
        let t = key.verifier().to_text();
        let renamed = t.replacen("ward.test", "ward.evil", 1);
        assert!(VerifierKey::parse(&renamed).is_err());
        assert!(VerifierKey::parse("a+b").is_err());
        assert!(SigningKey::parse("PRIVATE+KEY+x").is_err());
    }

    /// The example of Go's golang.org/x/mod/sumdb/note (the signed-note reference
    /// implementation): same keys, same key id, and byte-for-byte the same signed note
    /// (Ed25519 signatures are deterministic). Any Go-ecosystem verifier reads our notes.
    #[test]
    fn matches_the_go_sumdb_note_reference_example() {
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
        let want = format!("{text}\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n");
        let signer = SigningKey::parse(skey).expect("Go private key parses");
        assert_eq!(signer.verifier().to_text(), vkey);
        assert_eq!(signer.sign(text), want);
        let verifier = VerifierKey::parse(vkey).expect("Go verifier key parses");
        assert_eq!(verifier.open(&want), Ok(text));
        // A key whose base64 holds a '+' (transparency-dev/formats tests).
        assert!(VerifierKey::parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6").is_ok());
    }

    #[test]
    fn key_id_follows_the_signed_note_rule() {
        // First four bytes of SHA-256("name\n\x01" || public key).
        let public = [0u8; 32];
        let mut data = b"example.com/log\n\x01".to_vec();
        data.extend_from_slice(&public);
        let d = Sha256::digest(&data);
        assert_eq!(key_id("example.com/log", &public), [d[0], d[1], d[2], d[3]]);
    }

    #[test]
    fn malformed_checkpoints_are_refused() {
        for bad in ["", "o\n1\n", "o\n01\nAAAA\n", "o\n1\nAAAA\n", "\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n", "o\n-1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n"] {
            assert!(Checkpoint::parse_text(bad).is_err(), "{bad:?}");
        }
        assert!(parse_note("o\n1\nx\n\n").is_err());
        assert!(parse_note("o\n1\nx\n\n- k AAAAAAA=\n").is_err());
    }
}
