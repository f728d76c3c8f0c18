//! JWS verification and JWT claim checks, on `ring`.
//!
//! Every key type has an algorithm allow-list: `none` is never accepted, an
//! HMAC algorithm is never accepted with a public key (algorithm confusion),
//! and an RSA key never verifies an EC algorithm.

use std::time::Duration;

use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::{Map, Value};

use super::{Algorithm, b64url_decode};
use crate::SecretString;

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

#[derive(Clone)]
enum Material {
    Hmac(SecretString),
    Rsa { n: Vec<u8>, e: Vec<u8> },
    P256(Vec<u8>),
    P384(Vec<u8>),
    Ed25519(Vec<u8>),
}

/// A key that verifies signatures, with its `kid`.
#[derive(Clone)]
pub struct VerifyingKey {
    material: Material,
    kid: Option<String>,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kty", &self.key_type())
            .field("kid", &self.kid)
            .finish()
    }
}

fn b64_field(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, JwtError> {
    jwk.get(name)
        .and_then(Value::as_str)
        .and_then(b64url_decode)
        .ok_or_else(|| JwtError::Malformed(format!("JWK member {name} missing or not base64url")))
}

impl VerifyingKey {
    /// An HMAC key.
    pub fn hmac(secret: SecretString) -> Self {
        Self {
            material: Material::Hmac(secret),
            kid: None,
        }
    }

    /// An RSA public key from its big-endian modulus and exponent.
    pub fn rsa(n: Vec<u8>, e: Vec<u8>) -> Self {
        Self {
            material: Material::Rsa { n, e },
            kid: None,
        }
    }

    /// An EC P-256 public key (uncompressed point `04‖x‖y`).
    pub fn p256(point: Vec<u8>) -> Self {
        Self {
            material: Material::P256(point),
            kid: None,
        }
    }

    /// An EC P-384 public key (uncompressed point).
    pub fn p384(point: Vec<u8>) -> Self {
        Self {
            material: Material::P384(point),
            kid: None,
        }
    }

    /// An Ed25519 public key.
    pub fn ed25519(key: Vec<u8>) -> Self {
        Self {
            material: Material::Ed25519(key),
            kid: None,
        }
    }

    /// Sets the `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// A public JWK (RSA, EC P-256/P-384, OKP Ed25519). Private members and
    /// symmetric keys (`oct`) are refused.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JwtError> {
        let obj = jwk
            .as_object()
            .ok_or_else(|| JwtError::Malformed("a JWK must be an object".into()))?;
        if obj.contains_key("d") {
            return Err(JwtError::Malformed(
                "a public JWK must not carry the private member d".into(),
            ));
        }
        let key = match (
            obj.get("kty").and_then(Value::as_str),
            obj.get("crv").and_then(Value::as_str),
        ) {
            (Some("RSA"), _) => Self::rsa(b64_field(obj, "n")?, b64_field(obj, "e")?),
            (Some("EC"), Some(crv @ ("P-256" | "P-384"))) => {
                let (x, y) = (b64_field(obj, "x")?, b64_field(obj, "y")?);
                let size = if crv == "P-256" { 32 } else { 48 };
                if x.len() != size || y.len() != size {
                    return Err(JwtError::Malformed(format!(
                        "EC {crv} coordinates must be {size} bytes"
                    )));
                }
                let mut point = vec![4];
                point.extend(x);
                point.extend(y);
                if crv == "P-256" {
                    Self::p256(point)
                } else {
                    Self::p384(point)
                }
            }
            (Some("OKP"), Some("Ed25519")) => Self::ed25519(b64_field(obj, "x")?),
            (kty, crv) => {
                return Err(JwtError::Malformed(format!(
                    "unsupported JWK kty {kty:?} crv {crv:?}"
                )));
            }
        };
        Ok(match obj.get("kid").and_then(Value::as_str) {
            Some(kid) => key.with_kid(kid),
            None => key,
        })
    }

    /// `oct`, `RSA`, `EC` or `OKP`.
    pub fn key_type(&self) -> &'static str {
        match self.material {
            Material::Hmac(_) => "oct",
            Material::Rsa { .. } => "RSA",
            Material::P256(_) | Material::P384(_) => "EC",
            Material::Ed25519(_) => "OKP",
        }
    }

    /// Whether this key may verify `alg` (the allow-list).
    pub fn allows(&self, alg: Algorithm) -> bool {
        match self.material {
            Material::Hmac(_) => alg.is_hmac(),
            Material::Rsa { .. } => alg.is_rsa(),
            Material::P256(_) => alg == Algorithm::ES256,
            Material::P384(_) => alg == Algorithm::ES384,
            Material::Ed25519(_) => alg == Algorithm::EdDSA,
        }
    }

    fn verify(&self, alg: Algorithm, message: &[u8], sig: &[u8]) -> bool {
        match &self.material {
            Material::Hmac(secret) => {
                let h = match alg {
                    Algorithm::HS384 => ring::hmac::HMAC_SHA384,
                    Algorithm::HS512 => ring::hmac::HMAC_SHA512,
                    _ => ring::hmac::HMAC_SHA256,
                };
                let key = ring::hmac::Key::new(h, secret.expose_secret().as_bytes());
                ring::hmac::verify(&key, message, sig).is_ok()
            }
            Material::Rsa { n, e } => {
                let params = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                    _ => &signature::RSA_PSS_2048_8192_SHA512,
                };
                RsaPublicKeyComponents { n, e }
                    .verify(params, message, sig)
                    .is_ok()
            }
            Material::P256(point) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, sig)
                    .is_ok()
            }
            Material::P384(point) => {
                UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point)
                    .verify(message, sig)
                    .is_ok()
            }
            Material::Ed25519(key) => UnparsedPublicKey::new(&signature::ED25519, key)
                .verify(message, sig)
                .is_ok(),
        }
    }
}

/// A decoded, not yet verified JWS.
#[derive(Debug, Clone)]
pub struct Jws<'a> {
    /// The header.
    pub header: Map<String, Value>,
    /// The payload as JSON claims.
    pub claims: Map<String, Value>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

impl Jws<'_> {
    /// The `alg` header.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// The `kid` header.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// Verifies the signature with `key`, enforcing its allow-list.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), JwtError> {
        let alg_text = self.alg().unwrap_or("");
        let alg: Algorithm = alg_text
            .parse()
            .map_err(|_| JwtError::AlgorithmNotAllowed {
                alg: alg_text.to_owned(),
                key: key.key_type(),
            })?;
        if !key.allows(alg) {
            return Err(JwtError::AlgorithmNotAllowed {
                alg: alg_text.to_owned(),
                key: key.key_type(),
            });
        }
        if key.verify(alg, self.signing_input.as_bytes(), &self.signature) {
            Ok(())
        } else {
            Err(JwtError::BadSignature)
        }
    }
}

fn json_object(part: &str, what: &str) -> Result<Map<String, Value>, JwtError> {
    let bytes = b64url_decode(part)
        .ok_or_else(|| JwtError::Malformed(format!("{what} is not base64url")))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Malformed(format!("{what} is not a JSON object"))),
    }
}

/// Splits and decodes a compact JWS (no verification yet).
pub fn decode_jws(token: &str) -> Result<Jws<'_>, JwtError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed(
            "expected three dot-separated parts".into(),
        ));
    };
    let signature =
        b64url_decode(s).ok_or_else(|| JwtError::Malformed("signature is not base64url".into()))?;
    Ok(Jws {
        header: json_object(h, "header")?,
        claims: json_object(p, "payload")?,
        signing_input: &token[..h.len() + 1 + p.len()],
        signature,
    })
}

/// What a valid token's claims must satisfy.
#[derive(Debug, Clone)]
pub struct Validation {
    /// Required `iss`.
    pub issuer: Option<String>,
    /// Required member of `aud`.
    pub audience: Option<String>,
    /// Clock skew allowed on `exp`, `nbf`, `iat` (default 60 s).
    pub leeway: Duration,
    /// Whether `exp` must be present (default true).
    pub require_exp: bool,
}

impl Default for Validation {
    fn default() -> Self {
        Self {
            issuer: None,
            audience: None,
            leeway: Duration::from_secs(60),
            require_exp: true,
        }
    }
}

fn number(claims: &Map<String, Value>, name: &'static str) -> Result<Option<u64>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .map(Some)
            .ok_or(JwtError::MissingClaim(name)),
    }
}

impl Validation {
    /// Checks `iss`, `aud`, `exp`, `nbf`, `iat` at `now`.
    pub fn check(&self, claims: &Map<String, Value>, now: Duration) -> Result<(), JwtError> {
        let now = now.as_secs();
        let leeway = self.leeway.as_secs();
        match number(claims, "exp")? {
            Some(exp) if now >= exp.saturating_add(leeway) => {
                return Err(JwtError::Expired { exp });
            }
            None if self.require_exp => return Err(JwtError::MissingClaim("exp")),
            _ => {}
        }
        if let Some(nbf) = number(claims, "nbf")?
            && nbf > now.saturating_add(leeway)
        {
            return Err(JwtError::NotYetValid { nbf });
        }
        if let Some(iat) = number(claims, "iat")?
            && iat > now.saturating_add(leeway)
        {
            return Err(JwtError::IssuedInFuture { iat });
        }
        if let Some(expected) = &self.issuer {
            let found = claims.get("iss").and_then(Value::as_str);
            if found != Some(expected.as_str()) {
                return Err(JwtError::WrongIssuer {
                    found: found.map(str::to_owned),
                    expected: expected.clone(),
                });
            }
        }
        if let Some(expected) = &self.audience {
            let ok = match claims.get("aud") {
                Some(Value::String(a)) => a == expected,
                Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(expected)),
                _ => false,
            };
            if !ok {
                return Err(JwtError::WrongAudience {
                    expected: expected.clone(),
                });
            }
        }
        Ok(())
    }
}

/// Decodes, verifies with the key of matching `kid` among `keys` (any key
/// when the token has no `kid`), and validates the claims.
pub fn verify_jwt(
    token: &str,
    keys: &[VerifyingKey],
    validation: &Validation,
    now: Duration,
) -> Result<Map<String, Value>, JwtError> {
    let jws = decode_jws(token)?;
    let candidates: Vec<&VerifyingKey> = match jws.kid() {
        Some(kid) => keys.iter().filter(|k| k.kid() == Some(kid)).collect(),
        None => keys.iter().collect(),
    };
    if candidates.is_empty() {
        return Err(JwtError::UnknownKey(jws.kid().map(str::to_owned)));
    }
    let mut last = JwtError::BadSignature;
    let mut verified = false;
    for key in candidates {
        match jws.verify(key) {
            Ok(()) => {
                verified = true;
                break;
            }
            Err(e) => last = e,
        }
    }
    if !verified {
        return Err(last);
    }
    validation.check(&jws.claims, now)?;
    Ok(jws.claims)
}
