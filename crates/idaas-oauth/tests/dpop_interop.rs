//! DPoP (RFC 9449) against oidc-provider: tokens of every grant bound to
//! the client's key (`cnf.jkt`), proofs the provider refuses (replayed,
//! for another URI, missing), the nonce dance with a provider that
//! demands nonces, refresh and userinfo of a DPoP-bound user session from
//! the device flow.

#[allow(dead_code)]
#[path = "support/browser.rs"]
mod browser;
#[allow(dead_code)]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use browser::Browser;
use idaas_core::TransportError;
use idaas_core::http::{
    Bytes, HttpClient, HttpRequest, HttpResponse, HyperClient, Method, SharedHttpClient, header,
};
use idaas_core::token::ACCESS_TOKEN_TYPE;
use idaas_oauth::dpop::{DPOP_NONCE_HEADER, Dpop, DpopKey};
use idaas_oauth::jose::Algorithm;
use idaas_oauth::*;
use tokio::sync::oneshot;

const LIMIT: Duration = Duration::from_secs(30);

/// The real transport, counting the requests it sends.
#[derive(Debug)]
struct Counting {
    inner: HyperClient,
    sent: AtomicUsize,
}

#[async_trait]
impl HttpClient for Counting {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.fetch_add(1, Ordering::SeqCst);
        self.inner.execute(request).await
    }
}

fn counting() -> Arc<Counting> {
    Arc::new(Counting {
        inner: HyperClient::new(Default::default()).unwrap(),
        sent: AtomicUsize::new(0),
    })
}

fn http() -> SharedHttpClient {
    Arc::new(HyperClient::new(Default::default()).unwrap())
}

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

async fn metadata() -> Arc<ProviderMetadata> {
    let p = support::provider();
    Discovery::new(http(), p.issuer()).metadata().await.unwrap()
}

async fn dpop_client(which: &str, http: SharedHttpClient, dpop: Option<Dpop>) -> OAuthClient {
    let p = support::provider();
    let client = OAuthClient::from_metadata(
        http,
        p.client(which, "id"),
        &*metadata().await,
        ClientAuth::basic(p.client(which, "secret")),
    );
    match dpop {
        Some(dpop) => client.with_dpop(dpop),
        None => client,
    }
}

/// Asserts that the provider bound `token` to `key` (its `cnf.jkt`).
async fn assert_bound(client: &OAuthClient, token: &SecretString, key: &DpopKey) {
    let info = client.introspect(token, None).await.unwrap();
    assert!(info.active, "{:?}", info.claims);
    assert_eq!(
        info.claims["cnf"]["jkt"].as_str(),
        Some(key.thumbprint()),
        "cnf.jkt is the key's thumbprint"
    );
}

#[tokio::test]
async fn client_credentials_tokens_are_bound_to_each_key_algorithm() {
    for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256] {
        let key = DpopKey::generate_for(alg).unwrap();
        let client = dpop_client("dpop", http(), Some(Dpop::new(key.clone()))).await;
        let token = client
            .client_credentials(&ClientCredentials::scope("api:read"))
            .await
            .unwrap_or_else(|e| panic!("{alg}: {e}"))
            .credential;
        assert_eq!(token.token_type, "DPoP", "{alg}");
        assert_bound(&client, &token.access_token, &key).await;
    }
    // the client is registered for DPoP-bound tokens: no proof, no token
    let plain = dpop_client("dpop", http(), None).await;
    let err = plain
        .client_credentials(&ClientCredentials::scope("api:read"))
        .await
        .unwrap_err();
    assert_eq!(
        err.oauth_code(),
        Some(&OAuthErrorCode::InvalidGrant),
        "{err}"
    );
}

/// A client credentials request of client `which` sent by hand with
/// `proof` as its DPoP header.
async fn raw_token_request(which: &str, proof: &SecretString) -> HttpResponse {
    let p = support::provider();
    let metadata = metadata().await;
    let mut form = form::Form::new();
    let mut headers = idaas_core::http::HeaderMap::new();
    ClientAuth::basic(p.client(which, "secret"))
        .apply(
            &p.client(which, "id"),
            &metadata.token_endpoint,
            now(),
            &mut form,
            &mut headers,
        )
        .unwrap();
    form.push("grant_type", "client_credentials");
    let mut request = http::Request::builder()
        .method(Method::POST)
        .uri(&metadata.token_endpoint)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("dpop", proof.expose_secret())
        .body(Bytes::from(form.encode()))
        .unwrap();
    request.headers_mut().extend(headers);
    http().execute(request).await.unwrap()
}

fn error_of(response: &HttpResponse) -> (u16, String) {
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    (
        response.status().as_u16(),
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn the_provider_refuses_a_replayed_proof_and_a_proof_for_another_uri() {
    let metadata = metadata().await;
    let key = DpopKey::generate();
    let proof = key
        .proof("POST", &metadata.token_endpoint, None, None, now())
        .unwrap();
    let first = raw_token_request("dpop", &proof).await;
    assert_eq!(first.status(), 200, "{:?}", first.body());
    let replayed = raw_token_request("dpop", &proof).await;
    assert_eq!(
        error_of(&replayed),
        (400, "invalid_grant".into()),
        "{:?}",
        replayed.body()
    );

    let elsewhere = key
        .proof(
            "POST",
            metadata.userinfo_endpoint.as_deref().unwrap(),
            None,
            None,
            now(),
        )
        .unwrap();
    let response = raw_token_request("dpop", &elsewhere).await;
    assert_eq!(error_of(&response), (400, "invalid_dpop_proof".into()));
    let wrong_method = key
        .proof("GET", &metadata.token_endpoint, None, None, now())
        .unwrap();
    assert_eq!(
        error_of(&raw_token_request("dpop", &wrong_method).await),
        (400, "invalid_dpop_proof".into())
    );
    // the normalised htu is the one the provider compares: a query does not matter
    let with_query = key
        .proof(
            "POST",
            &format!("{}?x=1#f", metadata.token_endpoint),
            None,
            None,
            now(),
        )
        .unwrap();
    assert_eq!(raw_token_request("dpop", &with_query).await.status(), 200);
}

#[tokio::test]
async fn the_nonce_dance_retries_once_and_the_nonce_is_remembered() {
    let transport = counting();
    let dpop = Dpop::new(DpopKey::generate());
    let client = dpop_client("dpop_nonce", transport.clone(), Some(dpop.clone())).await;
    let first = client
        .client_credentials(&ClientCredentials::scope("api:read"))
        .await
        .unwrap()
        .credential;
    assert_eq!(first.token_type, "DPoP");
    assert_eq!(
        transport.sent.load(Ordering::SeqCst),
        2,
        "use_dpop_nonce, then the proof with the provider's nonce"
    );
    let endpoint = client.token_endpoint().to_owned();
    assert!(dpop.nonces().get(&endpoint).is_some());
    // the remembered nonce is sent at once
    client
        .client_credentials(&ClientCredentials::scope("api:read"))
        .await
        .unwrap();
    assert_eq!(transport.sent.load(Ordering::SeqCst), 3);

    // a proof without nonce: the provider says use_dpop_nonce and sends one
    let proof = dpop
        .key()
        .proof("POST", &endpoint, None, None, now())
        .unwrap();
    let response = raw_token_request("dpop_nonce", &proof).await;
    assert_eq!(error_of(&response), (400, "use_dpop_nonce".into()));
    assert!(response.headers().contains_key(DPOP_NONCE_HEADER));
}

#[tokio::test]
async fn token_exchange_and_jwt_bearer_tokens_are_bound_and_refresh_rebinds() {
    let p = support::provider();
    let key = DpopKey::generate_for(Algorithm::EdDSA).unwrap();
    let client = dpop_client("dpop", http(), Some(Dpop::new(key.clone()))).await;
    let subject = client
        .client_credentials(&ClientCredentials::scope("api:read"))
        .await
        .unwrap()
        .credential;
    let exchanged = client
        .token_exchange(&TokenExchange::new(
            subject.access_token.clone(),
            ACCESS_TOKEN_TYPE,
        ))
        .await
        .unwrap()
        .credential;
    assert_eq!(exchanged.token_type, "DPoP");
    assert_bound(&client, &exchanged.access_token, &key).await;

    // jwt-bearer: our issuer vouches for a user; offline_access gives a
    // refresh token
    let keys_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        keys_dir.path().join("issuer.pem"),
        jose::SigningKey::generate_p256_pem().expose_secret(),
    )
    .unwrap();
    let keys = KeyDirectory::load(keys_dir.path()).unwrap();
    let our_issuer = "https://dpop-users.example.com";
    let request = http::Request::builder()
        .method(Method::POST)
        .uri(format!("{}/admin/trust", p.issuer()))
        .header("content-type", "application/json")
        .body(Bytes::from(
            serde_json::json!({"issuer": our_issuer, "jwks": keys.jwk_set()}).to_string(),
        ))
        .unwrap();
    assert!(http().execute(request).await.unwrap().status().is_success());
    let assertion = UserAssertion::new("user-dpop").scopes(["openid", "offline_access"]);
    let granted = client
        .grant_user(&keys, our_issuer, &assertion)
        .await
        .unwrap()
        .credential;
    assert_eq!(granted.token_type, "DPoP");
    assert_bound(&client, &granted.access_token, &key).await;

    // refresh with DPoP: a new token bound to the same key
    let refresh = granted.refresh_token.expect("offline_access");
    let refreshed = client.refresh(&refresh, None).await.unwrap().credential;
    assert_eq!(refreshed.token_type, "DPoP");
    assert_ne!(
        refreshed.access_token.expose_secret(),
        granted.access_token.expose_secret()
    );
    assert_bound(&client, &refreshed.access_token, &key).await;
}

#[tokio::test]
async fn device_flow_with_dpop_then_userinfo_and_refresh_with_the_same_key_only() {
    let p = support::provider();
    let metadata = metadata().await;
    let key = DpopKey::generate();
    let client = UserClient::from_metadata(
        http(),
        metadata.clone(),
        p.client("dpop_native", "id"),
        ClientAuth::None,
    )
    .unwrap()
    .with_dpop(Dpop::new(key.clone()));
    let account = &p.info["accounts"]["usr_bob"];
    let (login, password) = (
        account["login"].as_str().unwrap().to_owned(),
        account["password"].as_str().unwrap().to_owned(),
    );
    let (tx, rx) = oneshot::channel();
    let scopes = ["openid", "email", "offline_access"];
    let agent = tokio::time::timeout(
        LIMIT,
        client.device_login(&scopes, move |authorization| {
            let url = authorization.verification_uri_complete.clone().unwrap();
            let stop = format!("{}/never", authorization.verification_uri);
            tokio::spawn(async move {
                let landing = Browser::new(&login, &password)
                    .drive(&url, &stop, false)
                    .await;
                let _ = tx.send(landing);
            });
        }),
    )
    .await
    .expect("approved in time")
    .unwrap();
    assert!(rx.await.unwrap().body.contains("Device signed in"));
    assert_eq!(agent.id(), "usr_bob");

    // userinfo takes the token only with a proof of the key
    let info = client.userinfo(&agent).await.unwrap();
    assert_eq!(info.claim_str("email"), Some("bob@example.com"));
    let bearer = http::Request::builder()
        .uri(metadata.userinfo_endpoint.as_deref().unwrap())
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", agent.access_token().expose_secret()),
        )
        .body(Bytes::new())
        .unwrap();
    let refused = http().execute(bearer).await.unwrap();
    assert_eq!(
        refused.status(),
        401,
        "a DPoP-bound token is no bearer token"
    );

    // refresh: the public client's refresh token is bound to the key too
    let renewed = client.refresh(&agent).await.unwrap();
    assert_eq!(renewed.id(), "usr_bob");
    assert_ne!(
        renewed.access_token().expose_secret(),
        agent.access_token().expose_secret()
    );
    let thief = UserClient::from_metadata(
        http(),
        metadata.clone(),
        p.client("dpop_native", "id"),
        ClientAuth::None,
    )
    .unwrap()
    .with_dpop(Dpop::new(DpopKey::generate()));
    let err = thief.refresh(&renewed).await.unwrap_err();
    assert_eq!(
        err.oauth_code(),
        Some(&OAuthErrorCode::InvalidGrant),
        "{err}"
    );
}
