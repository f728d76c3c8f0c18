//! Signed request objects (JAR, RFC 9101): the authorization parameters as
//! a JWT signed by the client's key, so the provider knows they come from
//! the client unaltered — in the front channel or pushed (RFC 9126).

use std::time::Duration;

use serde_json::{Map, Value};

use crate::authorize::{PendingAuthorization, random_token};
use crate::error::Error;
use crate::jose::{JwtHeader, SigningKey, sign_jwt};
use crate::user_client::UserClient;

/// The `typ` of a request object (RFC 9101 §10.8).
pub const REQUEST_OBJECT_TYPE: &str = "oauth-authz-req+jwt";
/// How long a request object is valid.
pub const REQUEST_OBJECT_LIFETIME: Duration = Duration::from_secs(300);

/// Signs `params` into a request object for `audience` (the provider's
/// issuer) at Unix time `now`: every parameter as a string claim, `iss`
/// and `client_id` the client, `aud`, `iat`, `nbf`, `exp` and a fresh
/// `jti`; header `typ` `oauth-authz-req+jwt`, `kid` of the key.
pub fn sign_request_object(
    key: &SigningKey,
    params: &[(String, String)],
    client_id: &str,
    audience: &str,
    now: Duration,
) -> Result<String, Error> {
    let mut claims = Map::new();
    for (name, value) in params {
        if claims
            .insert(name.clone(), Value::from(value.as_str()))
            .is_some()
        {
            return Err(Error::Misconfigured(format!(
                "the authorization parameter {name:?} is given twice; a request object holds each once"
            )));
        }
    }
    let iat = now.as_secs();
    for (name, value) in [
        ("iss", Value::from(client_id)),
        ("client_id", Value::from(client_id)),
        ("aud", Value::from(audience)),
        ("iat", Value::from(iat)),
        ("nbf", Value::from(iat)),
        ("exp", Value::from(iat + REQUEST_OBJECT_LIFETIME.as_secs())),
        ("jti", Value::from(random_token(16))),
    ] {
        claims.insert(name.into(), value);
    }
    let header = JwtHeader {
        typ: Some(REQUEST_OBJECT_TYPE.into()),
        ..JwtHeader::for_key(key, None)
    };
    Ok(sign_jwt(key, &header, &Value::Object(claims))?)
}

impl UserClient {
    /// Replaces `pending`'s parameters by a request object signed with
    /// `key` (RFC 9101): the URL (and a later push) carry only `client_id`
    /// and `request`.
    pub fn sign_authorization(
        &self,
        pending: PendingAuthorization,
        key: &SigningKey,
    ) -> Result<PendingAuthorization, Error> {
        let request = sign_request_object(
            key,
            &pending.params,
            self.client_id(),
            self.issuer(),
            self.clock().now(),
        )?;
        self.with_front_channel(
            pending,
            vec![
                ("client_id".to_owned(), self.client_id().to_owned()),
                ("request".to_owned(), request),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{VerifyingKey, decode_jws, public_jwk};

    #[test]
    fn a_request_object_holds_every_parameter_once_and_is_signed() {
        let key = SigningKey::generate_p256();
        let params: Vec<(String, String)> = [("response_type", "code"), ("state", "s-1")]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let now = Duration::from_secs(1_700_000_000);
        let jwt =
            sign_request_object(&key, &params, "app", "https://idp.example.com", now).unwrap();
        let jws = decode_jws(&jwt).unwrap();
        assert_eq!(jws.header["typ"], REQUEST_OBJECT_TYPE);
        assert!(jws.header["kid"].is_string());
        jws.verify(&VerifyingKey::from_jwk(&public_jwk(&key).unwrap()).unwrap())
            .unwrap();
        let c = &jws.claims;
        assert_eq!(
            (c["response_type"].as_str(), c["state"].as_str()),
            (Some("code"), Some("s-1"))
        );
        assert_eq!(
            (c["iss"].as_str(), c["client_id"].as_str()),
            (Some("app"), Some("app"))
        );
        assert_eq!(c["aud"], "https://idp.example.com");
        assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 300);
        assert!(c["jti"].as_str().is_some_and(|j| j.len() >= 16));

        let twice = [params.clone(), params].concat();
        let e =
            sign_request_object(&key, &twice, "app", "https://idp.example.com", now).unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
    }
}
