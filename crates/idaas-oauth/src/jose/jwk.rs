//! Public JWKs of our own keys, with RFC 7638 thumbprints as `kid`.

use ring::digest;
use serde_json::{Value, json};

use super::{SigningKey, VerifyingKey, b64url};

/// The public JWK of a signing key (`None` for HMAC keys), with `kid` = its
/// RFC 7638 thumbprint, `alg` and `use: sig`.
pub fn public_jwk(key: &SigningKey) -> Option<Value> {
    let (kty, members) = key.public_members()?;
    let thumbprint = thumbprint(kty, &members);
    let mut jwk = serde_json::Map::new();
    jwk.insert("kty".into(), json!(kty));
    for (name, value) in &members {
        jwk.insert((*name).into(), json!(value));
    }
    jwk.insert("kid".into(), json!(thumbprint));
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
fn thumbprint(kty: &str, members: &[(&'static str, String)]) -> String {
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
