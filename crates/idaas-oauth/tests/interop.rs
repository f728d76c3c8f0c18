//! Interoperability with a certified OpenID Provider (panva's oidc-provider,
//! pinned in `interop/package.json`): every client authentication method,
//! JWT access tokens through resource indicators, introspection, revocation,
//! token exchange and the jwt-bearer user grant. (JWKS rotation has its own
//! test binary, hence its own provider: rotating keys here would disturb the
//! other tests running in parallel.)

mod support;

use std::sync::Arc;

use idaas_core::http::{Bytes, HttpClient, HyperClient, Method, SharedHttpClient};
use idaas_core::token::ACCESS_TOKEN_TYPE;
use idaas_oauth::jose::{Algorithm, SigningKey};
use idaas_oauth::*;
use serde_json::{Value, json};

fn http() -> SharedHttpClient {
    Arc::new(HyperClient::new(Default::default()).unwrap())
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn metadata() -> Arc<ProviderMetadata> {
    let p = support::provider();
    Discovery::new(http(), p.issuer()).metadata().await.unwrap()
}

async fn client(method: &str, auth: ClientAuth) -> OAuthClient {
    let p = support::provider();
    OAuthClient::from_metadata(http(), p.client(method, "id"), &*metadata().await, auth)
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

fn jwt_request() -> ClientCredentials {
    ClientCredentials::scope("api:read").resource(support::provider().resource())
}

async fn validator() -> JwtValidator {
    JwtValidator::for_issuer(http(), &*metadata().await, support::provider().resource()).unwrap()
}

#[tokio::test]
async fn every_client_authentication_method_gets_a_valid_jwt_access_token() {
    let p = support::provider();
    let validator = validator().await;
    let mut methods: Vec<(&str, ClientAuth, String)> = vec![
        (
            "basic",
            ClientAuth::basic(p.client("basic", "secret")),
            "client_secret_basic".into(),
        ),
        (
            "post",
            ClientAuth::post(p.client("post", "secret")),
            "client_secret_post".into(),
        ),
    ];
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        methods.push((
            "secret_jwt",
            ClientAuth::secret_jwt(p.client("secret_jwt", "secret"), alg).unwrap(),
            format!("client_secret_jwt {alg}"),
        ));
    }
    for (file, algs) in [
        (
            "rsa2048-pkcs8.pem",
            &[
                Algorithm::RS256,
                Algorithm::RS384,
                Algorithm::RS512,
                Algorithm::PS256,
                Algorithm::PS384,
                Algorithm::PS512,
            ][..],
        ),
        ("p256-pkcs8.pem", &[Algorithm::ES256]),
        ("p384-sec1.pem", &[Algorithm::ES384]),
        ("p521-pkcs8.pem", &[Algorithm::ES512]),
        ("ed25519-pkcs8.pem", &[Algorithm::EdDSA]),
    ] {
        for alg in algs {
            let key = SigningKey::from_pem(&fixture(file))
                .unwrap()
                .with_algorithm(*alg)
                .unwrap();
            methods.push((
                "private_key_jwt",
                ClientAuth::private_key_jwt(Arc::new(key)),
                format!("private_key_jwt {alg}"),
            ));
        }
    }
    for (method, auth, label) in methods {
        let client = client(method, auth).await;
        let token = client
            .client_credentials(&jwt_request())
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let credential = token.credential;
        assert_eq!(credential.token_type, "Bearer", "{label}");
        assert!(credential.expires_at.is_some(), "{label}");
        let claims = validator
            .validate(credential.access_token.expose_secret())
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(claims["client_id"], client.client_id(), "{label}");
        assert_eq!(claims["scope"], "api:read", "{label}");
    }
    assert_eq!(validator.jwks().fetch_count(), 1, "one JWKS fetch for all");
}

#[tokio::test]
async fn the_reference_raw_basic_encoding_fails_with_reserved_characters() {
    let p = support::provider();
    let raw = client("basic", ClientAuth::basic_raw(p.client("basic", "secret"))).await;
    let err = raw.client_credentials(&jwt_request()).await.unwrap_err();
    // oidc-provider refuses the unencoded header outright
    assert_eq!(
        err.oauth_code(),
        Some(&OAuthErrorCode::InvalidRequest),
        "{err}"
    );
    let Error::OAuth(e) = err else { unreachable!() };
    assert_eq!(e.status, 400);
    assert!(!e.to_string().contains(&p.client("basic", "secret")));
}

#[tokio::test]
async fn server_errors_map_to_typed_codes() {
    let p = support::provider();
    let wrong = client("post", ClientAuth::post("wrong")).await;
    let err = wrong.client_credentials(&jwt_request()).await.unwrap_err();
    assert_eq!(err.oauth_code(), Some(&OAuthErrorCode::InvalidClient));
    let ok = client("post", ClientAuth::post(p.client("post", "secret"))).await;
    let err = ok
        .client_credentials(&ClientCredentials::scope("api:read").resource("urn:unknown"))
        .await
        .unwrap_err();
    assert_eq!(
        err.oauth_code(),
        Some(&OAuthErrorCode::InvalidTarget),
        "{err}"
    );
    let err = ok
        .refresh(&"not-a-refresh-token".into(), None)
        .await
        .unwrap_err();
    assert_eq!(
        err.oauth_code(),
        Some(&OAuthErrorCode::InvalidGrant),
        "{err}"
    );
}

#[tokio::test]
async fn introspection_and_revocation_with_type_hints() {
    let p = support::provider();
    let client = client("post", ClientAuth::post(p.client("post", "secret"))).await;
    // an opaque token (no resource indicator) lives in the provider's store
    let token = client
        .client_credentials(&ClientCredentials::scope("api:read"))
        .await
        .unwrap()
        .credential
        .access_token;
    let info = client
        .introspect(&token, Some("access_token"))
        .await
        .unwrap();
    assert!(info.active);
    assert_eq!(info.claim_str("client_id"), Some("cc-post"));
    assert_eq!(info.claim_str("scope"), Some("api:read"));
    client.revoke(&token, Some("access_token")).await.unwrap();
    let info = client.introspect(&token, None).await.unwrap();
    assert!(!info.active, "revoked");
    // unknown tokens: inactive, and revoking one is not an error (RFC 7009 §2.2)
    assert!(
        !client
            .introspect(&"nope".into(), None)
            .await
            .unwrap()
            .active
    );
    client.revoke(&"nope".into(), None).await.unwrap();
}

#[tokio::test]
async fn token_exchange_with_subject_and_actor_and_a_public_client() {
    let p = support::provider();
    let service = client("post", ClientAuth::post(p.client("post", "secret"))).await;
    let subject = service
        .client_credentials(&ClientCredentials::scope("api:read api:write"))
        .await
        .unwrap()
        .credential
        .access_token;
    let actor = service
        .client_credentials(&jwt_request())
        .await
        .unwrap()
        .credential
        .access_token;
    let mut exchange = TokenExchange::new(subject.clone(), ACCESS_TOKEN_TYPE);
    exchange.scope = Some("api:read".into());
    exchange.audience = Some(p.resource());
    exchange.actor = Some((actor, idaas_core::token::JWT_TOKEN_TYPE.into()));
    let issued = service.token_exchange(&exchange).await.unwrap().credential;
    assert_eq!(issued.issued_token_type.as_deref(), Some(ACCESS_TOKEN_TYPE));
    assert_eq!(issued.scope.as_deref(), Some("api:read"));
    let info = service
        .introspect(&issued.access_token, None)
        .await
        .unwrap();
    assert!(info.active);

    let public = client("public", ClientAuth::None).await;
    let issued = public
        .token_exchange(&TokenExchange::new(subject, ACCESS_TOKEN_TYPE))
        .await
        .unwrap()
        .credential;
    assert_eq!(issued.issued_token_type.as_deref(), Some(ACCESS_TOKEN_TYPE));

    let bad = public
        .token_exchange(&TokenExchange::new("forged", ACCESS_TOKEN_TYPE))
        .await
        .unwrap_err();
    assert_eq!(
        bad.oauth_code(),
        Some(&OAuthErrorCode::InvalidGrant),
        "{bad}"
    );
}

#[tokio::test]
async fn jwt_bearer_user_grant_with_published_keys_and_refresh() {
    let p = support::provider();
    // our issuer's keys, in several of the accepted formats
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.pem"), fixture("p256-pkcs8.pem")).unwrap();
    std::fs::write(dir.path().join("b.pem"), fixture("rsa2048-pkcs1.pem")).unwrap();
    std::fs::write(dir.path().join("c.pem"), fixture("p384-sec1.pem")).unwrap();
    std::fs::write(dir.path().join("public.pem"), fixture("p256-public.pem")).unwrap();
    let keys = KeyDirectory::load(dir.path()).unwrap();
    assert_eq!(keys.keys().len(), 3);
    assert_eq!(
        keys.skipped().len(),
        1,
        "public material is not a signing key"
    );
    let our_issuer = "https://users.example.com";
    admin(
        "/admin/trust",
        json!({"issuer": our_issuer, "jwks": keys.jwk_set()}),
    )
    .await;

    let client = client("basic", ClientAuth::basic(p.client("basic", "secret"))).await;
    let mut assertion = UserAssertion::new("user-42")
        .scopes(["openid", "offline_access", "api:read"])
        .purposes(["identify-customer"]);
    assertion.identifier = Some(json!({"id": "+34600000000", "type": "phone_number"}));
    // every key signs (one is chosen at random per assertion)
    for _ in 0..6 {
        client
            .grant_user(&keys, our_issuer, &assertion)
            .await
            .unwrap();
    }
    let token = client
        .grant_user(&keys, our_issuer, &assertion)
        .await
        .unwrap()
        .credential;
    let info = client.introspect(&token.access_token, None).await.unwrap();
    assert!(info.active);
    assert_eq!(info.claim_str("sub"), Some("user-42"));

    let refresh = token
        .refresh_token
        .expect("offline_access gives a refresh token");
    let refreshed = client.refresh(&refresh, None).await.unwrap().credential;
    assert!(!refreshed.access_token.expose_secret().is_empty());

    // an issuer the provider does not trust
    let err = client
        .grant_user(&keys, "https://stranger.example.com", &assertion)
        .await
        .unwrap_err();
    assert_eq!(
        err.oauth_code(),
        Some(&OAuthErrorCode::InvalidGrant),
        "{err}"
    );
}
