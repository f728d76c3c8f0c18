//! Compact JWS: decoding (size cap, three base64url parts of JSON
//! objects, `crit`), signature verification with a [`VerifyingKey`], and
//! [`verify_jwt`]: decode, verify and check the claims in one call. `none`
//! is never accepted.

use std::time::Duration;

use serde_json::{Map, Value};

use super::claims::Validation;
use super::error::JwtError;
use super::public_key::VerifyingKey;
use super::{Algorithm, b64url_decode};

/// The longest compact JWS accepted (64 KiB): longer input is rejected
/// before any decoding.
pub const MAX_JWT_LEN: usize = 64 * 1024;

/// A decoded, not yet verified JWS.
#[derive(Debug, Clone)]
pub struct Jws<'a> {
    /// The header.
    pub header: Map<String, Value>,
    /// The payload as JSON claims.
    pub claims: Map<String, Value>,
    signing_input: &'a str,
    signature: Vec<u8>,
    /// The signed header's `alg`, when it names one we implement: read once
    /// at decoding, not once per candidate key (and unaffected by later
    /// edits of `header`, which the signature does not cover).
    algorithm: Option<Algorithm>,
    /// Whether the signed header has `crit`.
    critical: bool,
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

    /// Verifies the signature with `key`, enforcing its allow-list. A
    /// header with `crit` members is refused (none is understood, RFC 7515
    /// §4.1.11).
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), JwtError> {
        if self.critical {
            return Err(JwtError::Malformed(
                "the header lists critical extensions (crit) this verifier does not understand"
                    .into(),
            ));
        }
        let alg = match self.algorithm {
            Some(alg) if key.allows(alg) => alg,
            _ => {
                return Err(JwtError::AlgorithmNotAllowed {
                    alg: self.alg().unwrap_or("").to_owned(),
                    key: key.key_type(),
                });
            }
        };
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
    if token.len() > MAX_JWT_LEN {
        return Err(JwtError::Malformed(format!(
            "longer than {MAX_JWT_LEN} bytes"
        )));
    }
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
    let header = json_object(h, "header")?;
    let algorithm = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(|alg| alg.parse().ok());
    let critical = header.contains_key("crit");
    Ok(Jws {
        header,
        claims: json_object(p, "payload")?,
        signing_input: &token[..h.len() + 1 + p.len()],
        signature,
        algorithm,
        critical,
    })
}

/// Decodes, verifies with the key of matching `kid` among `keys` (any key
/// that allows the token's `alg` when the token has no `kid`), and
/// validates the claims.
pub fn verify_jwt(
    token: &str,
    keys: &[VerifyingKey],
    validation: &Validation,
    now: Duration,
) -> Result<Map<String, Value>, JwtError> {
    let jws = decode_jws(token)?;
    verify_decoded(&jws, keys)?;
    validation.check(&jws.claims, now)?;
    Ok(jws.claims)
}

/// Verifies the signature of a decoded JWS with the key its `kid` names
/// among `keys` (every key, when it names none).
pub fn verify_decoded(jws: &Jws<'_>, keys: &[VerifyingKey]) -> Result<(), JwtError> {
    // keys with the token's kid; failing that, keys published without one
    let named: Vec<&VerifyingKey> = match jws.kid() {
        None => keys.iter().collect(),
        Some(kid) => {
            let exact: Vec<_> = keys.iter().filter(|k| k.kid() == Some(kid)).collect();
            if exact.is_empty() {
                keys.iter().filter(|k| k.kid().is_none()).collect()
            } else {
                exact
            }
        }
    };
    let mut candidates = named.into_iter().peekable();
    if candidates.peek().is_none() {
        return Err(JwtError::UnknownKey(jws.kid().map(str::to_owned)));
    }
    let mut last = JwtError::BadSignature;
    for key in candidates {
        match jws.verify(key) {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
}
