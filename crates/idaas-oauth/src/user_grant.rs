//! The baikal-sdk user grant: a jwt-bearer (RFC 7523) assertion about a
//! user, signed by our own issuer's key, carrying the scopes and purposes.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::SecretString;
use crate::client_auth::random_jti;
use crate::error::Error;
use crate::jose::{JwtHeader, SigningKey, sign_jwt};

/// What a user assertion says. Scopes and purposes travel only inside the
/// assertion (the token request carries just `grant_type` and `assertion`).
#[derive(Debug, Clone, PartialEq)]
pub struct UserAssertion {
    /// `sub`: the user.
    pub sub: String,
    /// Scopes, space-joined into `scope` (empty list → `""`).
    pub scopes: Vec<String>,
    /// Purposes, space-joined into the singular `purpose` claim.
    pub purposes: Vec<String>,
    /// `authorization_id`, sent when non-empty.
    pub authorization_id: Option<String>,
    /// `identifier` (any JSON, usually `{"id": …, "type": "phone_number"}`),
    /// sent when not null, `false`, `0`, or empty.
    pub identifier: Option<Value>,
    /// `acr`, sent when non-empty.
    pub acr: Option<String>,
    /// `authentication_context`, sent when not empty.
    pub authentication_context: Option<Value>,
    /// `exp - iat` (3600 s by default, as the reference).
    pub lifetime: Duration,
}

impl UserAssertion {
    /// An assertion about `sub` with no scopes or purposes yet.
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            sub: sub.into(),
            scopes: Vec::new(),
            purposes: Vec::new(),
            authorization_id: None,
            identifier: None,
            acr: None,
            authentication_context: None,
            lifetime: Duration::from_secs(3600),
        }
    }

    /// Sets the scopes.
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the purposes.
    pub fn purposes<S: Into<String>>(mut self, purposes: impl IntoIterator<Item = S>) -> Self {
        self.purposes = purposes.into_iter().map(Into::into).collect();
        self
    }

    fn build<'a>(&'a self, issuer: &'a str, audience: &'a str, now: Duration) -> Claims<'a> {
        let iat = now.as_secs();
        Claims {
            sub: &self.sub,
            active: true,
            scope: self.scopes.join(" "),
            purpose: self.purposes.join(" "),
            exp: iat.saturating_add(self.lifetime.as_secs()),
            iat,
            iss: issuer,
            aud: audience,
            authorization_id: self.authorization_id.as_deref().filter(|a| !a.is_empty()),
            identifier: self.identifier.as_ref().filter(|v| truthy(v)),
            acr: self.acr.as_deref().filter(|a| !a.is_empty()),
            authentication_context: self.authentication_context.as_ref().filter(|v| truthy(v)),
            jti: random_jti(),
        }
    }

    /// The claims as JSON text, in the reference's member order: `sub`,
    /// `active`, `scope`, `purpose`, `exp`, `iat`, `iss`, `aud`,
    /// `authorization_id`, `identifier`, `acr`, `authentication_context`,
    /// and `jti` (which the reference lacks; it makes replays detectable).
    pub fn claims(&self, issuer: &str, audience: &str, now: Duration) -> Value {
        serde_json::to_value(self.build(issuer, audience, now)).expect("claims serialize")
    }

    /// The signed assertion: header `{"alg","typ":"JWT","kid"}` (`kid` = the
    /// key's RFC 7638 thumbprint, as published by
    /// [`KeyDirectory::jwk_set`](crate::KeyDirectory::jwk_set)), `iss` =
    /// our issuer, `aud` = the authorization server's issuer.
    pub fn sign(
        &self,
        key: &SigningKey,
        issuer: &str,
        audience: &str,
        now: Duration,
    ) -> Result<SecretString, Error> {
        let header = JwtHeader::for_key(key, None);
        Ok(SecretString::new(sign_jwt(
            key,
            &header,
            &self.build(issuer, audience, now),
        )?))
    }
}

/// Python truthiness of a JSON value, as the reference tests it.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    active: bool,
    scope: String,
    purpose: String,
    exp: u64,
    iat: u64,
    iss: &'a str,
    aud: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorization_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identifier: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acr: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authentication_context: Option<&'a Value>,
    jti: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{b64url_decode, decode_jws};

    #[test]
    fn claims_in_the_reference_order_with_jti() {
        let key = SigningKey::generate_p256();
        let mut a = UserAssertion::new("tel:+34600000000")
            .scopes(["userinfo", "atlas"])
            .purposes(["identify-customer"]);
        a.identifier = Some(serde_json::json!({"id": "+34600000000", "type": "phone_number"}));
        a.authorization_id = Some(String::new());
        let jwt = a
            .sign(
                &key,
                "https://us.example.com",
                "https://auth.example.com",
                Duration::from_secs(1_000),
            )
            .unwrap();
        let payload = jwt.expose_secret().split('.').nth(1).unwrap();
        let text = String::from_utf8(b64url_decode(payload).unwrap()).unwrap();
        assert!(
            text.starts_with(r#"{"sub":"tel:+34600000000","active":true,"scope":"userinfo atlas","purpose":"identify-customer","exp":4600,"iat":1000,"iss":"https://us.example.com","aud":"https://auth.example.com","identifier":{"id":"+34600000000","type":"phone_number"},"jti":""#),
            "{text}"
        );
        let jws = decode_jws(jwt.expose_secret()).unwrap();
        assert_eq!(jws.alg(), Some("ES256"));
        assert!(jws.kid().is_some());
        assert_eq!(jws.header["typ"], "JWT");
        let empty = UserAssertion::new("u").claims("i", "a", Duration::ZERO);
        assert_eq!(empty["scope"], "");
        assert_eq!(empty["purpose"], "");
    }
}
