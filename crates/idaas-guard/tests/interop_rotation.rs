//! Signing-key rotation at a certified OpenID Provider (oidc-provider):
//! the verifier accepts tokens of the new `kid` after one JWKS refetch, and
//! 1,000 requests with unknown `kid`s cause at most one refetch per
//! interval. Its own binary, so its own provider (rotation would disturb
//! the other tests).

#[path = "../../idaas-oauth/tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use idaas_core::clock::ManualClock;
use idaas_core::http::{HttpClient, HyperClient, Method, SharedHttpClient};
use idaas_guard::{Reason, TokenVerifier};
use idaas_oauth::jose::{b64url, b64url_decode};
use idaas_oauth::{ClientAuth, ClientCredentials, Discovery, OAuthClient, RemoteJwks};
use serde_json::{Value, json};

fn http() -> SharedHttpClient {
    Arc::new(HyperClient::new(Default::default()).unwrap())
}

/// `token` with its header's `kid` replaced.
fn with_kid(token: &str, kid: &str) -> String {
    let mut parts = token.split('.');
    let mut header: Value =
        serde_json::from_slice(&b64url_decode(parts.next().unwrap()).unwrap()).unwrap();
    header["kid"] = json!(kid);
    format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        parts.next().unwrap(),
        parts.next().unwrap()
    )
}

fn kid(token: &str) -> String {
    let header = b64url_decode(token.split('.').next().unwrap()).unwrap();
    let header: Value = serde_json::from_slice(&header).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_costs_one_refetch_and_unknown_kids_at_most_one_per_interval() {
    let p = support::provider();
    let meta = Discovery::new(http(), p.issuer()).metadata().await.unwrap();
    let clock = ManualClock::at_secs(1_000);
    let jwks = RemoteJwks::new(http(), meta.jwks_uri.clone().unwrap())
        .with_clock(Arc::new(clock.clone()))
        .with_min_refetch_interval(Duration::from_secs(30));
    let verifier = TokenVerifier::builder(p.issuer())
        .audience(p.resource())
        .jwks(jwks.clone())
        .build()
        .await
        .unwrap();
    let client = OAuthClient::from_metadata(
        http(),
        p.client("post", "id"),
        &meta,
        ClientAuth::post(p.client("post", "secret")),
    );
    let request = ClientCredentials::scope("api:read").resource(p.resource());
    let token = |c: OAuthClient| {
        let request = request.clone();
        async move {
            let issued = c.client_credentials(&request).await.unwrap();
            issued.credential.access_token.expose_secret().to_owned()
        }
    };
    let before = token(client.clone()).await;
    verifier.verify(&before).await.unwrap();
    assert_eq!(jwks.fetch_count(), 1);

    // the provider rotates; the new kid is fetched once the interval allows
    let request_rotation = http::Request::builder()
        .method(Method::POST)
        .uri(format!("{}/admin/rotate", p.issuer()))
        .body(Bytes::new())
        .unwrap();
    assert!(
        http()
            .execute(request_rotation)
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let after = token(client.clone()).await;
    assert_ne!(kid(&after), kid(&before));
    clock.advance(Duration::from_secs(31));
    let principal = verifier.verify(&after).await.unwrap();
    assert_eq!(principal.scopes(), ["api:read"]);
    assert_eq!(jwks.fetch_count(), 2, "one refetch for the new key");
    verifier.verify(&before).await.unwrap();
    assert_eq!(jwks.fetch_count(), 2, "the old key is still published");

    // 1,000 requests with made-up kids, in three intervals, concurrently:
    // at most one refetch per interval
    for round in 0..3u64 {
        clock.advance(Duration::from_secs(31));
        let forged: Vec<String> = (0..1000)
            .map(|i| with_kid(&after, &format!("made-up-{round}-{i}")))
            .collect();
        let tasks: Vec<_> = forged
            .into_iter()
            .map(|t| {
                let v = verifier.clone();
                tokio::spawn(async move { v.verify(&t).await })
            })
            .collect();
        for task in tasks {
            let err = task.await.unwrap().unwrap_err();
            assert_eq!(err.reason(), Some(Reason::UnknownKey));
        }
        assert_eq!(jwks.fetch_count(), 3 + round, "round {round}");
    }
    // and a flood within the interval costs nothing
    for i in 0..1000 {
        let err = verifier.verify(&with_kid(&after, &format!("x{i}"))).await;
        assert_eq!(err.unwrap_err().reason(), Some(Reason::UnknownKey));
    }
    assert_eq!(jwks.fetch_count(), 5);
}
