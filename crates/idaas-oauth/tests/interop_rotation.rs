//! JWKS rotation against a certified OpenID Provider (panva's
//! oidc-provider): the provider's signing keys are rotated mid-test; the
//! validator follows with one refetch, and a flood of unknown key ids causes
//! none. Its own binary, so its own provider.

mod support;

use std::sync::Arc;
use std::time::Duration;

use idaas_core::clock::ManualClock;
use idaas_core::http::{Bytes, HttpClient, HyperClient, Method, SharedHttpClient};
use idaas_oauth::jose::{JwtError, Validation, b64url, b64url_decode};
use idaas_oauth::*;
use serde_json::{Value, json};

fn http() -> SharedHttpClient {
    Arc::new(HyperClient::new(Default::default()).unwrap())
}

async fn admin(path: &str, body: Value) -> Value {
    let p = support::provider();
    let request = http::Request::builder()
        .method(Method::POST)
        .uri(format!("{}{path}", p.issuer()))
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap();
    let response = http().execute(request).await.unwrap();
    assert!(response.status().is_success(), "{path}: {response:?}");
    serde_json::from_slice(response.body()).unwrap()
}

/// The header of `token` with another `kid`, same payload and signature.
fn forged_token(token: &str) -> String {
    let mut parts = token.split('.');
    let header: Value =
        serde_json::from_slice(&b64url_decode(parts.next().unwrap()).unwrap()).unwrap();
    let mut header = header.as_object().unwrap().clone();
    header.insert("kid".into(), json!("made-up"));
    format!(
        "{}.{}.{}",
        b64url(Value::Object(header).to_string().as_bytes()),
        parts.next().unwrap(),
        parts.next().unwrap()
    )
}

#[tokio::test]
async fn jwks_rotation_is_followed_and_unknown_kids_are_rate_limited() {
    let p = support::provider();
    let meta = Discovery::new(http(), p.issuer()).metadata().await.unwrap();
    let clock = ManualClock::at_secs(1_000);
    let jwks = RemoteJwks::new(http(), meta.jwks_uri.clone().unwrap())
        .with_clock(Arc::new(clock.clone()))
        .with_min_refetch_interval(Duration::from_secs(30));
    let validator = JwtValidator::new(
        jwks.clone(),
        Validation {
            issuer: Some(meta.issuer.clone()),
            audience: Some(p.resource()),
            ..Validation::default()
        },
    );
    let client = OAuthClient::from_metadata(
        http(),
        p.client("post", "id"),
        &meta,
        ClientAuth::post(p.client("post", "secret")),
    );
    let request = ClientCredentials::scope("api:read").resource(p.resource());
    let before = client.client_credentials(&request).await.unwrap();
    let before = before.credential.access_token;
    validator.validate(before.expose_secret()).await.unwrap();
    assert_eq!(jwks.fetch_count(), 1);

    // a token naming a kid nobody published, within the interval: no fetch
    clock.advance(Duration::from_secs(5));
    let forged = forged_token(before.expose_secret());
    for _ in 0..20 {
        let err = validator.validate(&forged).await.unwrap_err();
        assert!(matches!(err, Error::Jwt(JwtError::UnknownKey(_))), "{err}");
    }
    assert_eq!(
        jwks.fetch_count(),
        1,
        "a flood of unknown kids causes no fetch"
    );

    // the provider rotates; new tokens carry the new kid
    admin("/admin/rotate", json!({})).await;
    let after = client.client_credentials(&request).await.unwrap();
    let after = after.credential.access_token;
    assert_ne!(
        idaas_oauth::jose::decode_jws(after.expose_secret())
            .unwrap()
            .kid(),
        idaas_oauth::jose::decode_jws(before.expose_secret())
            .unwrap()
            .kid(),
    );
    // still inside the interval: the new kid is not fetched yet
    assert!(validator.validate(after.expose_secret()).await.is_err());
    assert_eq!(jwks.fetch_count(), 1);
    clock.advance(Duration::from_secs(30));
    validator.validate(after.expose_secret()).await.unwrap();
    assert_eq!(jwks.fetch_count(), 2, "one refetch for the rotated key");
    // the old key stays published: old tokens still verify, without a fetch
    validator.validate(before.expose_secret()).await.unwrap();
    // the forged kid: one refetch once the interval passed, then none
    clock.advance(Duration::from_secs(31));
    for _ in 0..5 {
        assert!(validator.validate(&forged).await.is_err());
    }
    assert_eq!(jwks.fetch_count(), 3);
}
