//! `BearerAuth` with a DPoP-bound provider (`dpop` in the configuration,
//! tokens from oidc-provider's DPoP-only client): every request carries
//! `Authorization: DPoP <token>` and a proof of that request (`htm`, `htu`,
//! `ath`, signed by the key the token is bound to); a resource server's
//! nonce request is answered once with the same token, another 401 once
//! with a new token.

#[allow(dead_code)]
#[path = "../../idaas-oauth/tests/support/mod.rs"]
mod support;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use idaas_core::config::{ClientConfig, DpopConfig, SecretSource};
use idaas_credentials::{CredentialProviderFactory, FactoryOptions, IdaasCredentialProvider};
use idaas_guard::BearerAuth;
use idaas_oauth::dpop::access_token_hash;
use idaas_oauth::jose::{VerifyingKey, decode_jws, jwk_thumbprint};
use serde_json::Value;
use tower::ServiceExt;
use tower_layer::Layer;

type Body = Full<Bytes>;

async fn dpop_provider() -> IdaasCredentialProvider {
    let p = support::provider();
    let issuer = p.issuer();
    let config = ClientConfig::builder()
        .idaas_instance_id("interop")
        .client_id(p.client("dpop", "id"))
        .issuer(&issuer)
        .token_endpoint(format!("{issuer}/token"))
        .scope(p.info["idaas_scope"].as_str().unwrap())
        .client_secret_basic(SecretSource::Value(p.client("dpop", "secret").into()))
        .dpop(DpopConfig::generated())
        .build()
        .unwrap();
    let factory = CredentialProviderFactory::from_config(config, FactoryOptions::default())
        .await
        .unwrap();
    factory.provider().await.unwrap()
}

/// What the resource server saw of one request: the token and the proof's
/// claims (checked against the header's key and the token).
#[derive(Debug, Clone)]
struct Seen {
    token: String,
    jkt: String,
    claims: serde_json::Map<String, Value>,
}

fn read(request: &Request<Body>) -> Seen {
    let authorization = request.headers()[header::AUTHORIZATION].to_str().unwrap();
    let token = authorization
        .strip_prefix("DPoP ")
        .unwrap_or_else(|| panic!("not a DPoP authorization: {authorization}"))
        .to_owned();
    let proof = request.headers()["dpop"].to_str().unwrap();
    let jws = decode_jws(proof).unwrap();
    jws.verify(&VerifyingKey::from_jwk(&jws.header["jwk"]).unwrap())
        .unwrap();
    assert_eq!(jws.header["typ"], "dpop+jwt");
    assert_eq!(jws.claims["ath"], access_token_hash(&token));
    Seen {
        jkt: jwk_thumbprint(&jws.header["jwk"]).unwrap(),
        claims: jws.claims.clone(),
        token,
    }
}

/// A resource server answering each request with the next of `answers`
/// (status, extra headers) and recording what it saw.
fn server(
    answers: Vec<(StatusCode, Vec<(&'static str, &'static str)>)>,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> impl tower_service::Service<
    Request<Body>,
    Response = Response<Body>,
    Error = Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static {
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    tower::service_fn(move |request: Request<Body>| {
        let (answers, seen) = (answers.clone(), seen.clone());
        async move {
            seen.lock().unwrap().push(read(&request));
            let (status, headers) = answers
                .lock()
                .unwrap()
                .next()
                .expect("one answer per request");
            let mut response = Response::builder().status(status);
            for (name, value) in headers {
                response = response.header(name, value);
            }
            Ok::<_, Infallible>(response.body(Body::default()).unwrap())
        }
    })
}

fn request() -> Request<Body> {
    Request::post("https://RS.example:443/v1/items?page=2")
        .body(Body::from("{}"))
        .unwrap()
}

#[tokio::test]
async fn dpop_requests_are_proven_and_a_nonce_request_is_answered_with_the_same_token() {
    let provider = dpop_provider().await;
    let jkt = provider.dpop().unwrap().thumbprint().to_owned();
    let seen = Arc::default();
    let nonce_request = vec![
        ("dpop-nonce", "rs-nonce-7"),
        (
            "www-authenticate",
            r#"DPoP error="use_dpop_nonce", algs="ES256""#,
        ),
    ];
    let client = BearerAuth::new(Arc::new(provider.clone())).layer(server(
        vec![
            (StatusCode::UNAUTHORIZED, nonce_request),
            (StatusCode::OK, vec![]),
        ],
        Arc::clone(&seen),
    ));
    let response = client.oneshot(request()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "one retry");
    for s in &seen {
        assert_eq!(s.jkt, jkt, "signed by the provider's key");
        assert_eq!(s.claims["htm"], "POST");
        assert_eq!(s.claims["htu"], "https://rs.example/v1/items");
    }
    assert!(seen[0].claims.get("nonce").is_none());
    assert_eq!(seen[1].claims["nonce"], "rs-nonce-7");
    assert_eq!(seen[0].token, seen[1].token, "the same token");
    assert_ne!(seen[0].claims["jti"], seen[1].claims["jti"]);
}

#[tokio::test]
async fn another_401_gets_a_new_dpop_token_once() {
    let provider = dpop_provider().await;
    let seen = Arc::default();
    let client = BearerAuth::new(Arc::new(provider)).layer(server(
        vec![
            (
                StatusCode::UNAUTHORIZED,
                vec![("www-authenticate", r#"DPoP error="invalid_token""#)],
            ),
            (StatusCode::UNAUTHORIZED, vec![]),
        ],
        Arc::clone(&seen),
    ));
    let response = client.oneshot(request()).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "never loops");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_ne!(seen[0].token, seen[1].token, "a new token after the 401");
    assert_eq!(seen[0].jkt, seen[1].jkt, "bound to the same key");
}
