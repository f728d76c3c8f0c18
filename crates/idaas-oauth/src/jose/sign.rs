//! Compact JWS of JSON claims.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{KeyError, SigningKey, b64url};

/// Extra JOSE header members beside `alg` and `typ`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JwtHeader {
    /// `typ` (the reference SDK sends `JWT`; `None` leaves it out).
    pub typ: Option<String>,
    /// `kid`.
    pub kid: Option<String>,
    /// `x5c`: base64 (not url) DER certificates, leaf first.
    pub x5c: Option<Vec<String>>,
    /// `x5t#S256`: base64url SHA-256 of the leaf certificate's DER.
    pub x5t_s256: Option<String>,
}

impl JwtHeader {
    /// The header of an assertion signed by `key`: `typ: JWT`, `kid` (the
    /// key's own id, else its RFC 7638 thumbprint; none for HMAC keys), and
    /// `x5c` / `x5t#S256` of `chain` when a certificate is configured.
    pub fn for_key(key: &SigningKey, chain: Option<&super::CertificateChain>) -> Self {
        let kid = key
            .kid()
            .map(str::to_owned)
            .or_else(|| super::public_jwk(key).and_then(|j| j["kid"].as_str().map(str::to_owned)));
        Self {
            typ: Some("JWT".into()),
            kid,
            x5c: chain.map(super::CertificateChain::x5c),
            x5t_s256: chain.map(super::CertificateChain::x5t_s256),
        }
    }
}

/// Signs `claims` (any JSON object) with `key`: `header.payload.signature`.
///
/// The header is `{"alg":…,"typ":…}` followed by `kid`, `x5c`, `x5t#S256`
/// when set, in that order.
pub fn sign_jwt(
    key: &SigningKey,
    header: &JwtHeader,
    claims: &impl Serialize,
) -> Result<String, KeyError> {
    let mut h = Map::new();
    h.insert("alg".into(), Value::String(key.algorithm().as_str().into()));
    if let Some(typ) = &header.typ {
        h.insert("typ".into(), Value::String(typ.clone()));
    }
    if let Some(kid) = &header.kid {
        h.insert("kid".into(), Value::String(kid.clone()));
    }
    if let Some(x5c) = &header.x5c {
        h.insert("x5c".into(), Value::from(x5c.clone()));
    }
    if let Some(t) = &header.x5t_s256 {
        h.insert("x5t#S256".into(), Value::String(t.clone()));
    }
    let header_json =
        serde_json::to_vec(&Value::Object(h)).map_err(|e| KeyError::Signing(e.to_string()))?;
    let claims_json = serde_json::to_vec(claims).map_err(|e| KeyError::Signing(e.to_string()))?;
    let mut token = b64url(&header_json);
    token.push('.');
    token.push_str(&b64url(&claims_json));
    let signature = key.sign(token.as_bytes())?;
    token.push('.');
    token.push_str(&b64url(&signature));
    Ok(token)
}
