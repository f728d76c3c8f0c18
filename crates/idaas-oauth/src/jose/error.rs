//! [`JwtError`]: why a token was rejected, shared by key parsing, JWS
//! decoding and the claim checks.

/// Why a token was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three base64url parts of JSON objects.
    #[error("malformed JWT: {0}")]
    Malformed(String),
    /// `alg` is `none`, unknown, or not allowed for the key.
    #[error("algorithm {alg:?} is not accepted for a {key} key")]
    AlgorithmNotAllowed {
        /// The token's `alg`.
        alg: String,
        /// The key type.
        key: &'static str,
    },
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// `exp` has passed (beyond the leeway).
    #[error("token expired at {exp}")]
    Expired {
        /// The `exp` claim.
        exp: u64,
    },
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not valid before {nbf}")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: u64,
    },
    /// `iat` is in the future (beyond the leeway).
    #[error("token issued in the future ({iat})")]
    IssuedInFuture {
        /// The `iat` claim.
        iat: u64,
    },
    /// `iss` is not the expected issuer.
    #[error("wrong issuer {found:?}, expected {expected:?}")]
    WrongIssuer {
        /// The token's issuer.
        found: Option<String>,
        /// The expected issuer.
        expected: String,
    },
    /// `aud` does not contain the expected audience.
    #[error("audience does not include {expected:?}")]
    WrongAudience {
        /// The expected audience.
        expected: String,
    },
    /// A required claim is absent or has the wrong type.
    #[error("claim {0} is missing or not a number/string as required")]
    MissingClaim(&'static str),
    /// No key matches the token's `kid`.
    #[error("no key with kid {0:?}")]
    UnknownKey(Option<String>),
}
