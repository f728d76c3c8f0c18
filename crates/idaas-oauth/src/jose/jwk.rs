//! Public JWKs of our own keys, with RFC 7638 thumbprints as `kid`.

use ring::digest;
use serde_json::{Value, json};

use super::{JwtError, SigningKey, VerifyingKey, b64url};

/// The public JWK of a signing key (`None` for HMAC keys), with `kid` = the
/// key's own id when it has one, else its RFC 7638 thumbprint; `alg` and
/// `use: sig`.
pub fn public_jwk(key: &SigningKey) -> Option<Value> {
    let (kty, members) = key.public_members()?;
    let kid = key
        .kid()
        .map(str::to_owned)
        .unwrap_or_else(|| thumbprint(kty, &members));
    let mut jwk = serde_json::Map::new();
    jwk.insert("kty".into(), json!(kty));
    for (name, value) in &members {
        jwk.insert((*name).into(), json!(value));
    }
    jwk.insert("kid".into(), json!(kid));
    jwk.insert("alg".into(), json!(key.algorithm().as_str()));
    jwk.insert("use".into(), json!("sig"));
    Some(Value::Object(jwk))
}

/// The RFC 7638 thumbprint of a public JWK (RSA, EC, OKP), `None` when a
/// required member is missing.
pub fn jwk_thumbprint(jwk: &Value) -> Option<String> {
    let kty = jwk.get("kty")?.as_str()?;
    let required: &[&'static str] = match kty {
        "RSA" => &["e", "n"],
        "EC" => &["crv", "x", "y"],
        "OKP" => &["crv", "x"],
        _ => return None,
    };
    let members: Option<Vec<(&'static str, String)>> = required
        .iter()
        .map(|name| {
            jwk.get(*name)
                .and_then(Value::as_str)
                .map(|v| (*name, v.to_owned()))
        })
        .collect();
    Some(thumbprint(kty, &members?))
}

/// SHA-256 over the required members in lexicographic order, base64url.
pub(crate) fn thumbprint(kty: &str, members: &[(&'static str, String)]) -> String {
    let mut all: Vec<(&str, &str)> = members.iter().map(|(n, v)| (*n, v.as_str())).collect();
    all.push(("kty", kty));
    all.sort();
    let body: Vec<String> = all
        .iter()
        .map(|(n, v)| format!("{}:{}", json!(n), json!(v)))
        .collect();
    let canonical = format!("{{{}}}", body.join(","));
    b64url(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
}

/// The verifying half of a signing key, with its thumbprint `kid`.
pub fn verifying_key(key: &SigningKey) -> Option<VerifyingKey> {
    public_jwk(key).and_then(|jwk| VerifyingKey::from_jwk(&jwk).ok())
}

/// A JWK set of the public halves of `keys`.
pub fn jwk_set<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> Value {
    json!({ "keys": keys.into_iter().filter_map(public_jwk).collect::<Vec<_>>() })
}

/// The most keys a JWK set may hold; larger sets are refused.
pub const MAX_JWKS_KEYS: usize = 256;

/// A public JWK set (RFC 7517 §5) as verifying keys.
///
/// Keys this SDK cannot use for signature checks are left out, each with the
/// reason in [`JwkSet::skipped`]: encryption keys (`use: enc`), symmetric
/// keys (`oct` — a key set from a server never becomes an HMAC secret),
/// keys carrying private members, unsupported types or curves.
#[derive(Debug, Clone, Default)]
pub struct JwkSet {
    keys: Vec<VerifyingKey>,
    skipped: Vec<String>,
}

impl JwkSet {
    /// Parses the JSON text of a JWK set.
    pub fn from_json(bytes: &[u8]) -> Result<Self, JwtError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| JwtError::Malformed(format!("the JWK set is not JSON ({e})")))?;
        Self::from_value(&value)
    }

    /// Reads a JWK set from its JSON value.
    pub fn from_value(value: &Value) -> Result<Self, JwtError> {
        let list = value
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| JwtError::Malformed("a JWK set needs a keys array".into()))?;
        if list.len() > MAX_JWKS_KEYS {
            return Err(JwtError::Malformed(format!(
                "the JWK set has {} keys, more than {MAX_JWKS_KEYS}",
                list.len()
            )));
        }
        let mut set = Self::default();
        for (i, jwk) in list.iter().enumerate() {
            let label = jwk
                .get("kid")
                .and_then(Value::as_str)
                .map(|k| format!("key {k:?}"))
                .unwrap_or_else(|| format!("key #{i}"));
            match jwk.get("use").and_then(Value::as_str) {
                Some("sig") | None => {}
                Some(other) => {
                    set.skipped.push(format!("{label}: use {other:?}"));
                    continue;
                }
            }
            if jwk.get("kty").and_then(Value::as_str) == Some("oct") {
                set.skipped.push(format!("{label}: symmetric (oct)"));
                continue;
            }
            match VerifyingKey::from_jwk(jwk) {
                Ok(key) => set.keys.push(key),
                Err(e) => set.skipped.push(format!("{label}: {e}")),
            }
        }
        Ok(set)
    }

    /// A set of the given keys.
    pub fn from_keys(keys: Vec<VerifyingKey>) -> Self {
        Self {
            keys,
            skipped: Vec::new(),
        }
    }

    /// The usable keys.
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    /// Why each left-out key was left out.
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// Whether a key has this `kid`.
    pub fn contains_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid() == Some(kid))
    }

    /// The public JWK set JSON of the usable keys.
    pub fn to_value(&self) -> Value {
        json!({ "keys": self.keys.iter().filter_map(VerifyingKey::to_jwk).collect::<Vec<_>>() })
    }
}
