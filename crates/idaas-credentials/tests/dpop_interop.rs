//! The credential providers with `dpop` (RFC 9449) against oidc-provider,
//! whose `dpop-client` only gets DPoP-bound tokens: the factory's provider
//! and token exchange get tokens bound to the configured key (`cnf.jkt`),
//! the cache hands them out with `token_type` DPoP, and
//! `resource_authorization` signs resource calls with that key.

#[allow(dead_code)]
#[path = "../../idaas-oauth/tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use idaas_core::SecretString;
use idaas_core::config::{
    ClientConfig, DPOP_KEY_FILE_PATH, DpopConfig, FieldProblem, MapEnv, ScopeSpec,
};
use idaas_core::http::{HeaderMap, HeaderValue, HyperClient, SharedHttpClient, StatusCode};
use idaas_core::token::ACCESS_TOKEN_TYPE;
use idaas_credentials::*;
use idaas_oauth::dpop::{DPOP_NONCE_HEADER, DpopKey, access_token_hash};
use idaas_oauth::jose::{VerifyingKey, decode_jws, jwk_thumbprint};
use idaas_oauth::{ClientAuth, Discovery, OAuthClient};

const SECRET_VAR: &str = "IDAAS_DPOP_SECRET";

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../idaas-oauth/tests/fixtures")
        .join(name)
}

fn http() -> SharedHttpClient {
    Arc::new(HyperClient::new(Default::default()).unwrap())
}

/// The `dpop-client` of the provider as an IDaaS configuration (by the
/// builder), with `dpop` as given.
fn config(dpop: Option<DpopConfig>) -> ClientConfig {
    let p = support::provider();
    let issuer = p.issuer();
    let mut builder = ClientConfig::builder()
        .idaas_instance_id("interop")
        .client_id(p.client("dpop", "id"))
        .issuer(&issuer)
        .token_endpoint(format!("{issuer}/token"))
        .scope(p.info["idaas_scope"].as_str().unwrap())
        .client_secret_basic(idaas_core::config::SecretSource::env(SECRET_VAR));
    if let Some(dpop) = dpop {
        builder = builder.dpop(dpop);
    }
    builder.build().unwrap()
}

fn options() -> FactoryOptions {
    let secret = support::provider().client("dpop", "secret");
    FactoryOptions::default().with_env(Arc::new(
        [(SECRET_VAR, secret)].into_iter().collect::<MapEnv>(),
    ))
}

async fn introspection_client() -> OAuthClient {
    let p = support::provider();
    let meta = Discovery::new(http(), p.issuer()).metadata().await.unwrap();
    OAuthClient::from_metadata(
        http(),
        p.client("dpop", "id"),
        &meta,
        ClientAuth::basic(p.client("dpop", "secret")),
    )
}

/// The provider's `cnf.jkt` of `token`.
async fn bound_to(token: &SecretString) -> String {
    let info = introspection_client()
        .await
        .introspect(token, None)
        .await
        .unwrap();
    assert!(info.active, "{:?}", info.claims);
    info.claims["cnf"]["jkt"].as_str().unwrap().to_owned()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn a_key_file_binds_the_providers_tokens_and_signs_resource_calls() {
    let key_file = fixture("p256-pkcs8.pem");
    let key = DpopKey::from_file(&key_file).unwrap();
    let factory = CredentialProviderFactory::from_config(
        config(Some(DpopConfig::key_file(&key_file))),
        options(),
    )
    .await
    .unwrap();
    let provider = factory.provider().await.unwrap();
    let credential = provider.credential().await.unwrap();
    assert_eq!(credential.token_type, "DPoP");
    assert_eq!(bound_to(&credential.access_token).await, key.thumbprint());
    assert_eq!(provider.dpop().unwrap().thumbprint(), key.thumbprint());
    // the cache hands out the same DPoP token
    let again = provider.bearer_token().await.unwrap();
    assert_eq!(again.credential().token_type, "DPoP");
    assert_eq!(
        again.expose_secret(),
        credential.access_token.expose_secret()
    );

    // a resource call, through the provider interface
    let shared: SharedCredentialProvider = Arc::new(provider.clone());
    let url = "https://API.example.com:443/v1/../items?page=2";
    let headers = resource_authorization(shared.as_ref(), "GET", url)
        .await
        .unwrap();
    assert_eq!(
        headers.authorization.to_str().unwrap(),
        format!("DPoP {}", credential.access_token.expose_secret())
    );
    assert!(headers.authorization.is_sensitive());
    let proof = headers.proof.clone().unwrap();
    let jws = decode_jws(proof.to_str().unwrap()).unwrap();
    assert_eq!(jws.header["typ"], "dpop+jwt");
    assert_eq!(
        jwk_thumbprint(&jws.header["jwk"]).unwrap(),
        key.thumbprint()
    );
    jws.verify(&VerifyingKey::from_jwk(&jws.header["jwk"]).unwrap())
        .unwrap();
    assert_eq!(jws.claims["htm"], "GET");
    assert_eq!(jws.claims["htu"], "https://api.example.com/items");
    assert_eq!(
        jws.claims["ath"],
        access_token_hash(credential.access_token.expose_secret())
    );
    assert!(jws.claims["iat"].as_u64().unwrap().abs_diff(now()) < 60);
    let mut map = HeaderMap::new();
    headers.apply(&mut map);
    assert!(map.contains_key("dpop") && map.contains_key("authorization"));

    // token exchange by the same factory: bound to the same key
    let exchange = factory.token_exchange_provider().await.unwrap();
    let exchanged = exchange
        .credential(&credential.access_token, ACCESS_TOKEN_TYPE, None)
        .await
        .unwrap();
    assert_eq!(exchanged.token_type, "DPoP");
    assert_eq!(bound_to(&exchanged.access_token).await, key.thumbprint());
}

#[tokio::test]
async fn dpop_true_generates_a_key_per_factory_and_without_dpop_the_client_gets_nothing() {
    let mut thumbprints = Vec::new();
    for _ in 0..2 {
        let factory = CredentialProviderFactory::from_config(
            config(Some(DpopConfig::generated())),
            options(),
        )
        .await
        .unwrap();
        let provider = factory.provider().await.unwrap();
        let jkt = provider.dpop().unwrap().thumbprint().to_owned();
        let token = provider.credential().await.unwrap();
        assert_eq!(bound_to(&token.access_token).await, jkt);
        thumbprints.push(jkt);
    }
    assert_ne!(thumbprints[0], thumbprints[1], "one key per factory");

    // the client is registered for DPoP-bound tokens only
    let err = CredentialProviderFactory::from_config(config(None), options())
        .await
        .unwrap_err();
    assert!(err.oauth_error().is_some(), "{err}");
}

#[tokio::test]
async fn an_unreadable_or_non_pem_key_file_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("dpop.pem");
    std::fs::write(&not_pem, "not a key").unwrap();
    for path in [not_pem, dir.path().join("missing.pem")] {
        let err = CredentialProviderFactory::from_config(
            config(Some(DpopConfig::key_file(&path))),
            options(),
        )
        .await
        .unwrap_err();
        let Error::Config(config_error) = &err else {
            panic!("{err:?}");
        };
        assert_eq!(config_error.field_path(), Some(DPOP_KEY_FILE_PATH), "{err}");
        assert_eq!(
            config_error.problem(),
            Some(FieldProblem::InvalidFile),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_resource_servers_nonce_is_used_with_the_same_token_other_401s_get_a_new_one() {
    let factory =
        CredentialProviderFactory::from_config(config(Some(DpopConfig::generated())), options())
            .await
            .unwrap();
    let scope = support::provider().info["idaas_scope"]
        .as_str()
        .unwrap()
        .to_owned();
    let provider = factory.provider_for_scope(&scope).await.unwrap();
    assert_eq!(provider.scope(), &ScopeSpec::parse(&scope).unwrap());
    let url = "https://rs.example/api";
    let first = provider.credential().await.unwrap();

    let mut asks = HeaderMap::new();
    asks.insert(DPOP_NONCE_HEADER, HeaderValue::from_static("rs-nonce-1"));
    asks.insert(
        "www-authenticate",
        HeaderValue::from_static(r#"DPoP error="use_dpop_nonce", algs="ES256""#),
    );
    assert_eq!(
        resource_retry(&provider, url, StatusCode::UNAUTHORIZED, &asks),
        ResourceRetry::SameToken
    );
    assert!(provider.timing().is_some(), "the token is kept");
    let proof = resource_authorization(&provider, "POST", url)
        .await
        .unwrap()
        .proof
        .unwrap();
    let claims = decode_jws(proof.to_str().unwrap()).unwrap().claims;
    assert_eq!(claims["nonce"], "rs-nonce-1");
    // the same nonce again is no reason to retry: the token is refused
    assert_eq!(
        resource_retry(&provider, url, StatusCode::UNAUTHORIZED, &asks),
        ResourceRetry::NewToken
    );
    assert!(provider.timing().is_none(), "the token was invalidated");
    let second = provider.credential().await.unwrap();
    assert_ne!(
        second.access_token.expose_secret(),
        first.access_token.expose_secret()
    );
    assert_eq!(
        resource_retry(&provider, url, StatusCode::OK, &HeaderMap::new()),
        ResourceRetry::No
    );
}
