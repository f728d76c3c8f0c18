//! JOSE: JWS signing with keys parsed once and kept, on `ring`.
//!
//! - [`Algorithm`] — the JWS algorithms and their key types;
//! - [`SigningKey`] — an HMAC secret or a private key (PEM: PKCS#8, PKCS#1
//!   RSA, SEC1 EC), parsed once; signing reuses the parsed key;
//! - [`sign_jwt`] — a compact JWS of a header and JSON claims.

mod algorithm;
mod key;
mod sign;

pub use algorithm::Algorithm;
pub use key::{KeyError, SigningKey};
pub use sign::{JwtHeader, sign_jwt};

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
