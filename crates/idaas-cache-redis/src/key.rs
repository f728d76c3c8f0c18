//! [`CacheKey`]: what seals the shared entries (AES-256-GCM) and names them
//! (HMAC-SHA256), so that Redis holds neither a token nor which client or
//! scope an entry belongs to.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::aead::{self, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf::{self, HKDF_SHA256};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::Error;

/// The name of the environment variable holding the key by default.
pub const KEY_ENV: &str = "IDAAS_TOKEN_CACHE_KEY";

/// The first byte of every sealed entry: the format version.
const FORMAT: u8 = 1;
const NONCE_LEN: usize = aead::NONCE_LEN;
/// The prefix of every Redis key this crate writes.
pub const KEY_PREFIX: &str = "idaas:tc:";

/// What identifies one shared token: the same four values name the same
/// entry in every process of the fleet.
#[derive(Clone, PartialEq, Eq)]
pub struct EntryId {
    /// The token endpoint URL.
    pub token_endpoint: String,
    /// The client id.
    pub client_id: String,
    /// The scope as requested.
    pub scope: String,
    /// The audience, if it is not part of the scope (empty otherwise).
    pub audience: String,
}

impl fmt::Debug for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // not secret, but the point of the naming is not to spread them
        f.debug_struct("EntryId").finish_non_exhaustive()
    }
}

/// The fleet's key: seals entries and names them. Every process sharing
/// tokens must hold the same one; a process with another key neither finds
/// nor opens their entries.
///
/// Built from 32 random bytes ([`CacheKey::from_base64`], the
/// `IDAAS_TOKEN_CACHE_KEY` variable) or derived from a client secret
/// ([`CacheKey::from_client_secret`]), so that only holders of the credential
/// can read the token it buys. The two sub-keys (sealing, naming) are
/// derived from it with HKDF-SHA256. `Debug` shows nothing of it.
pub struct CacheKey {
    seal: LessSafeKey,
    names: hmac::Key,
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CacheKey([REDACTED])")
    }
}

/// The lengths `ring`'s HKDF expands to.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

impl CacheKey {
    /// From 32 key bytes.
    pub fn from_bytes(key: &[u8; 32]) -> Self {
        Self::derive(b"idaas token cache v1: random key", key)
    }

    /// From the base64 text of 32 bytes (standard or URL-safe alphabet,
    /// padded or not). `field` names where it came from, for the error.
    pub fn from_base64(field: &str, text: &str) -> Result<Self, Error> {
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| Error::InvalidKey {
                field: field.to_owned(),
                reason: "it is not valid base64".into(),
            })?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| Error::InvalidKey {
            field: field.to_owned(),
            reason: format!("it decodes to {} bytes, not 32", bytes.len()),
        })?;
        Ok(Self::from_bytes(&key))
    }

    /// Derived from a client secret with HKDF-SHA256: every process holding
    /// the secret derives the same key; nobody else can.
    pub fn from_client_secret(secret: &str) -> Self {
        Self::derive(b"idaas token cache v1: client secret", secret.as_bytes())
    }

    fn derive(salt: &[u8], ikm: &[u8]) -> Self {
        let prk = hkdf::Salt::new(HKDF_SHA256, salt).extract(ikm);
        let seal: UnboundKey = prk
            .expand(&[b"seal"], &AES_256_GCM)
            .expect("HKDF output of the AES-256 key length")
            .into();
        let mut name_key = [0u8; 32];
        prk.expand(&[b"names"], Len(32))
            .and_then(|okm| okm.fill(&mut name_key))
            .expect("HKDF output of 32 bytes");
        Self {
            seal: LessSafeKey::new(seal),
            names: hmac::Key::new(hmac::HMAC_SHA256, &name_key),
        }
    }

    /// The Redis key of an entry: `idaas:tc:` and the HMAC of its
    /// [`EntryId`] — the same in every process holding this key, and
    /// revealing nothing of the client or the scope.
    pub fn entry_name(&self, id: &EntryId) -> String {
        let mut ctx = hmac::Context::with_key(&self.names);
        for part in [&id.token_endpoint, &id.client_id, &id.scope, &id.audience] {
            // length-prefixed: ("ab", "c") and ("a", "bc") differ
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part.as_bytes());
        }
        let tag = ctx.sign();
        // in a hash tag: the entry, its lock and its channel share a Redis
        // Cluster slot, so one pipeline touches all three
        format!("{KEY_PREFIX}{{{}}}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// Seals `plaintext` for the entry `name` (bound to it: an entry copied
    /// under another name does not open): `1 ‖ nonce ‖ ciphertext ‖ tag`.
    pub fn seal(&self, name: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the system's random source");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
        out.push(FORMAT);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.seal
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(name.as_bytes()),
                &mut body,
            )
            .expect("AES-GCM sealing of a small entry");
        out.extend_from_slice(&body);
        zeroize_vec(body);
        out
    }

    /// Opens an entry sealed by [`seal`](Self::seal) under the same key and
    /// name; `None` for anything else (another key, another name, a
    /// truncated or altered value, another format).
    pub fn open(&self, name: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        let (&format, rest) = sealed.split_first()?;
        if format != FORMAT || rest.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return None;
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let len = self
            .seal
            .open_in_place(nonce, Aad::from(name.as_bytes()), &mut body)
            .ok()?
            .len();
        body.truncate(len);
        Some(body)
    }
}

/// Overwrites a buffer that held plaintext before freeing it.
pub(crate) fn zeroize_vec(mut buffer: Vec<u8>) {
    buffer.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&buffer);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(scope: &str) -> EntryId {
        EntryId {
            token_endpoint: "https://idp.example/token".into(),
            client_id: "app".into(),
            scope: scope.into(),
            audience: String::new(),
        }
    }

    #[test]
    fn names_are_stable_per_key_and_reveal_nothing() {
        let a = CacheKey::from_bytes(&[7; 32]);
        let b = CacheKey::from_bytes(&[8; 32]);
        let name = a.entry_name(&id("api|read"));
        assert_eq!(name, a.entry_name(&id("api|read")));
        assert_ne!(name, a.entry_name(&id("api|write")));
        assert_ne!(name, b.entry_name(&id("api|read")));
        assert!(name.starts_with(KEY_PREFIX));
        for clear in ["app", "api", "read", "idp.example"] {
            assert!(!name.contains(clear), "{name}");
        }
    }

    #[test]
    fn length_prefixes_keep_fields_apart() {
        let k = CacheKey::from_bytes(&[1; 32]);
        let mut one = id("s");
        one.client_id = "ab".into();
        one.scope = "c".into();
        let mut two = id("s");
        two.client_id = "a".into();
        two.scope = "bc".into();
        assert_ne!(k.entry_name(&one), k.entry_name(&two));
    }

    #[test]
    fn seal_opens_only_under_the_same_key_and_name() {
        let a = CacheKey::from_bytes(&[7; 32]);
        let b = CacheKey::from_client_secret("secret");
        let sealed = a.seal("n1", b"token-value");
        assert!(!sealed.windows(5).any(|w| w == b"token"));
        assert_eq!(a.open("n1", &sealed).as_deref(), Some(&b"token-value"[..]));
        assert_eq!(a.open("n2", &sealed), None, "bound to its name");
        assert_eq!(b.open("n1", &sealed), None, "another key");
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(a.open("n1", &altered), None);
        assert_eq!(a.open("n1", &sealed[..10]), None);
        assert_eq!(a.open("n1", b""), None);
        // two seals of the same text differ (fresh nonce)
        assert_ne!(a.seal("n1", b"x"), a.seal("n1", b"x"));
    }

    #[test]
    fn keys_from_base64_and_secrets() {
        let text = STANDARD.encode([9u8; 32]);
        let k = CacheKey::from_base64("K", &text).unwrap();
        let same = CacheKey::from_bytes(&[9; 32]);
        assert_eq!(k.entry_name(&id("s")), same.entry_name(&id("s")));
        let url_safe = URL_SAFE_NO_PAD.encode([9u8; 32]);
        assert!(CacheKey::from_base64("K", &url_safe).is_ok());
        let short = CacheKey::from_base64("K", &STANDARD.encode([1u8; 16])).unwrap_err();
        assert!(short.to_string().contains("K: ") && short.to_string().contains("16 bytes"));
        assert!(CacheKey::from_base64("K", "not base64!").is_err());
        // a secret-derived key differs from the random-key derivation of the same bytes
        let s = CacheKey::from_client_secret("s3cret");
        assert_eq!(
            s.entry_name(&id("x")),
            CacheKey::from_client_secret("s3cret").entry_name(&id("x"))
        );
        assert_ne!(
            s.entry_name(&id("x")),
            CacheKey::from_client_secret("other").entry_name(&id("x"))
        );
        assert_eq!(format!("{s:?}"), "CacheKey([REDACTED])");
    }
}
