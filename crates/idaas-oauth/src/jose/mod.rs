//! JOSE: JWS signing and verification with keys parsed once and kept.
//!
//! Backends per algorithm, chosen by measurement: `ring` for ECDSA P-256 /
//! P-384, Ed25519, HMAC and RSA verification; OpenSSL for RSA signing (about
//! twice as fast as `ring`'s) and for P-521 (ES512, which `ring` lacks,
//! through `josekit`). `josekit` also imports private JWKs.
//!
//! - [`Algorithm`] — the JWS algorithms and their key types;
//! - [`SigningKey`] — an HMAC secret or a private key (PEM or DER: PKCS#8,
//!   PKCS#1 RSA, SEC1 EC; or a private JWK), parsed once;
//! - [`VerifyingKey`] — a public key (JWK, SPKI, PKCS#1, X.509) with its
//!   algorithm allow-list; [`JwkSet`] — a server's key set;
//! - [`CertificateChain`] — `x5c` / `x5t#S256` for assertion headers;
//! - [`sign_jwt`] — a compact JWS of a header and JSON claims;
//! - [`verify_jwt`] — signature (with a per-key-type algorithm allow-list)
//!   and claims (`iss`, `aud`, `exp`, `nbf`, `iat`, with leeway);
//! - [`public_jwk`], [`jwk_set`] — our public keys as JWKs, `kid` = RFC 7638 thumbprint.

mod algorithm;
mod asn1;
mod cert;
mod claims;
mod error;
mod jwk;
mod jws;
mod key;
mod public_key;
mod sign;

pub use algorithm::Algorithm;
pub use cert::CertificateChain;
pub use claims::Validation;
pub use error::JwtError;
pub use jwk::{JwkSet, MAX_JWKS_KEYS, jwk_set, jwk_thumbprint, public_jwk, verifying_key};
pub use jws::{Jws, MAX_JWT_LEN, decode_jws, verify_decoded, verify_jwt};
pub use key::{KeyError, SigningKey};
pub use public_key::VerifyingKey;
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
