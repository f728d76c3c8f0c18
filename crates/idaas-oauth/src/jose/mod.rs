//! JOSE: JWS signing with keys parsed once and kept, on `ring`.
//!
//! - [`Algorithm`] — the JWS algorithms and their key types;
//! - [`SigningKey`] — an HMAC secret or a private key (PEM: PKCS#8, PKCS#1
//!   RSA, SEC1 EC), parsed once; signing reuses the parsed key;
//! - [`sign_jwt`] — a compact JWS of a header and JSON claims;
//! - [`verify_jwt`] — signature (with a per-key-type algorithm allow-list)
//!   and claims (`iss`, `aud`, `exp`, `nbf`, `iat`, with leeway);
//! - [`public_jwk`], [`jwk_set`] — our public keys as JWKs, `kid` = RFC 7638 thumbprint.

mod algorithm;
mod jwk;
mod key;
mod sign;
mod verify;

pub use algorithm::Algorithm;
pub use jwk::{jwk_set, jwk_thumbprint, public_jwk, verifying_key};
pub use key::{KeyError, SigningKey};
pub use sign::{JwtHeader, sign_jwt};
pub use verify::{Jws, JwtError, Validation, VerifyingKey, decode_jws, verify_jwt};

/// Base64url without padding (RFC 7515 §2).
pub fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding.
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
}
