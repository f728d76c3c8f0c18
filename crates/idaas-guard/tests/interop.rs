//! The verifier against a certified OpenID Provider (panva's oidc-provider):
//! its JWT access tokens (RS256 and ES256 resources) are accepted; tokens
//! wrong in one way each are refused behind `RequireToken` with the right
//! RFC 6750 answer; opaque tokens go through introspection, cached, and a
//! revoked one is refused once the cache lets go of it.

#[path = "../../idaas-oauth/tests/support/mod.rs"]
mod support;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use idaas_core::SecretString;
use idaas_core::clock::ManualClock;
use idaas_core::http::{HttpClient, HyperClient, Method, SharedHttpClient};
use idaas_guard::*;
use idaas_oauth::jose::{b64url, b64url_decode};
use idaas_oauth::{ClientAuth, ClientCredentials, Discovery, OAuthClient};
use serde_json::{Value, json};
use tower_service::Service;

fn http() -> SharedHttpClient {
    Arc::new(HyperClient::new(Default::default()).unwrap())
}

fn resource_rs() -> String {
    support::provider().info["resource_rs"]
        .as_str()
        .unwrap()
        .to_owned()
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

async fn client() -> OAuthClient {
    let p = support::provider();
    let meta = Discovery::new(http(), p.issuer()).metadata().await.unwrap();
    OAuthClient::from_metadata(
        http(),
        p.client("post", "id"),
        &meta,
        ClientAuth::post(p.client("post", "secret")),
    )
}

async fn jwt_for(resource: &str, scope: &str) -> String {
    let request = ClientCredentials::scope(scope).resource(resource);
    let token = client().await.client_credentials(&request).await.unwrap();
    token.credential.access_token.expose_secret().to_owned()
}

async fn verifier(audience: &str) -> TokenVerifier {
    TokenVerifier::from_issuer(support::provider().issuer(), audience)
        .await
        .unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn part(token: &str, i: usize) -> Value {
    let raw = b64url_decode(token.split('.').nth(i).unwrap()).unwrap();
    serde_json::from_slice(&raw).unwrap()
}

/// Valid RFC 9068 claims for the ES256 resource.
fn claims() -> Value {
    let p = support::provider();
    json!({
        "iss": p.issuer(), "sub": "svc", "aud": p.resource(), "client_id": "svc",
        "iat": now(), "exp": now() + 300, "jti": format!("jti-{}", now()), "scope": "api:read",
    })
}

/// A token signed by the provider's own ES256 key.
async fn signed(header: Value, claims: Value) -> String {
    let answer = admin(
        "/admin/sign",
        json!({"alg": "ES256", "header": header, "claims": claims}),
    )
    .await;
    answer["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn jwt_access_tokens_of_rs256_and_es256_resources_are_accepted() {
    let p = support::provider();
    for (resource, alg) in [(p.resource(), "ES256"), (resource_rs(), "RS256")] {
        let token = jwt_for(&resource, "api:read").await;
        assert_eq!(part(&token, 0)["alg"], alg);
        assert_eq!(part(&token, 0)["typ"], "at+jwt");
        let verifier = verifier(&resource).await;
        let principal = verifier.verify(&token).await.unwrap();
        assert_eq!(principal.client_id(), Some(p.client("post", "id").as_str()));
        assert_eq!(principal.subject(), Some(p.client("post", "id").as_str()));
        assert_eq!(principal.scopes(), ["api:read"]);
        assert_eq!(principal.token_kind(), TokenKind::Jwt);
        principal.require(&Requirement::scope("api:read")).unwrap();
        assert!(principal.require(&Requirement::scope("api:write")).is_err());
        // the token of one resource is not accepted by the other
        let other = if alg == "ES256" {
            resource_rs()
        } else {
            p.resource()
        };
        let err = self::verifier(&other)
            .await
            .verify(&token)
            .await
            .unwrap_err();
        assert_eq!(err.reason(), Some(Reason::WrongAudience), "{alg}");
        assert_eq!(verifier.jwks().unwrap().fetch_count(), 1);
    }
}

type Body = Full<Bytes>;

/// The protected service: answers with the principal's subject.
fn protected(
    layer: RequireToken,
) -> impl Service<Request<Body>, Response = Response<Body>, Error = Infallible, Future = impl Send> + Clone
{
    tower_layer::Layer::layer(
        &layer,
        tower::service_fn(|request: Request<Body>| async move {
            let principal = request.extensions().get::<Principal>().unwrap();
            let subject = principal.subject().unwrap_or_default().to_owned();
            Ok::<_, Infallible>(Response::new(Body::from(subject)))
        }),
    )
}

async fn call(
    service: &mut (impl Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone),
    authorization: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut request = Request::builder().uri("/projects");
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .unwrap();
    let response = service
        .call(request.body(Body::default()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body = serde_json::from_slice(&body)
        .unwrap_or(Value::String(String::from_utf8_lossy(&body).into_owned()));
    (status, challenge, body)
}

fn invalid_token(reason: Reason) -> String {
    format!(
        "Bearer realm=\"projects\", error=\"invalid_token\", error_description=\"{}\"",
        reason.description()
    )
}

#[tokio::test]
async fn refused_tokens_get_the_rfc6750_answer() {
    let p = support::provider();
    let layer = RequireToken::new(verifier(&p.resource()).await)
        .scope("api:read")
        .realm("projects");
    let mut service = protected(layer.clone());
    let good = jwt_for(&p.resource(), "api:read").await;

    // accepted: the handler sees the principal
    let (status, challenge, body) = call(&mut service, Some(&format!("Bearer {good}"))).await;
    assert_eq!((status, challenge), (StatusCode::OK, None));
    assert_eq!(body, p.client("post", "id"));

    // no token: 401, a challenge without an error code (RFC 6750 §3.1)
    let (status, challenge, body) = call(&mut service, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge.as_deref(), Some("Bearer realm=\"projects\""));
    assert_eq!(body, json!({}));
    // another scheme is no bearer token either
    let (status, challenge, _) = call(&mut service, Some("Basic YTpi")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge.as_deref(), Some("Bearer realm=\"projects\""));
    // a malformed header: 400 invalid_request
    let (status, challenge, body) = call(&mut service, Some("Bearer a b")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(challenge.unwrap().contains("error=\"invalid_request\""));
    assert_eq!(body["error"], "invalid_request");

    // valid, but the scope is missing: 403 insufficient_scope with the scope
    let writer = protected(layer.clone().scope("api:write"));
    let (status, challenge, body) =
        call(&mut writer.clone(), Some(&format!("Bearer {good}"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let challenge = challenge.unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.ends_with("scope=\"api:write\""), "{challenge}");
    assert_eq!(body["error"], "insufficient_scope");
    assert_eq!(body["scope"], "api:write");

    // wrong in one way each: 401 invalid_token with the reason
    let at = json!({"typ": "at+jwt"});
    let mut expired = claims();
    expired["exp"] = json!(now() - 3600);
    expired["iat"] = json!(now() - 4000);
    let mut foreign = claims();
    foreign["iss"] = json!("https://elsewhere.example.com");
    let mut elsewhere = claims();
    elsewhere["aud"] = json!("urn:someone:else");
    let mut anonymous = claims();
    anonymous.as_object_mut().unwrap().remove("sub");
    let (h, payload, signature) = {
        let mut parts = good.split('.');
        (
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
        )
    };
    let mut widened = part(&good, 1);
    widened["scope"] = json!("api:read api:write");
    let tampered = format!("{h}.{}.{signature}", b64url(widened.to_string().as_bytes()));
    let none_header = json!({"alg": "none", "typ": "at+jwt"});
    let none = format!("{}.{payload}.", b64url(none_header.to_string().as_bytes()));
    // HS256 "signed" with the provider's public key (algorithm confusion)
    let jwks = verifier(&p.resource()).await;
    let keys = jwks.jwks().unwrap().keys().await.unwrap();
    let public = keys.keys()[0].to_jwk().unwrap().to_string();
    let hs_header = json!({"alg": "HS256", "typ": "at+jwt", "kid": part(&good, 0)["kid"]});
    let input = format!("{}.{payload}", b64url(hs_header.to_string().as_bytes()));
    let mac = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, public.as_bytes()),
        input.as_bytes(),
    );
    let confused = format!("{input}.{}", b64url(mac.as_ref()));
    let cases = [
        (
            "expired",
            signed(at.clone(), expired).await,
            Reason::Expired,
        ),
        (
            "wrong iss",
            signed(at.clone(), foreign).await,
            Reason::WrongIssuer,
        ),
        (
            "wrong aud",
            signed(at.clone(), elsewhere).await,
            Reason::WrongAudience,
        ),
        (
            "no sub",
            signed(at.clone(), anonymous).await,
            Reason::MissingClaim,
        ),
        (
            "typ JWT",
            signed(json!({"typ": "JWT"}), claims()).await,
            Reason::WrongType,
        ),
        (
            "no typ",
            signed(json!({}), claims()).await,
            Reason::WrongType,
        ),
        ("tampered", tampered, Reason::BadSignature),
        ("alg none", none, Reason::AlgorithmNotAllowed),
        ("alg confusion", confused, Reason::AlgorithmNotAllowed),
        (
            "RS256 resource",
            jwt_for(&resource_rs(), "api:read").await,
            Reason::WrongAudience,
        ),
        ("not a JWT", "opaque-looking".into(), Reason::Malformed),
    ];
    for (label, token, reason) in cases {
        let (status, challenge, body) = call(&mut service, Some(&format!("Bearer {token}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{label}");
        assert_eq!(challenge.unwrap(), invalid_token(reason), "{label}");
        assert_eq!(body["error"], "invalid_token", "{label}");
        assert_eq!(body["error_description"], reason.description(), "{label}");
    }

    // the IdP that sends typ JWT is accepted when configured so
    let lenient = TokenVerifier::builder(p.issuer())
        .audience(p.resource())
        .typ(TypPolicy::AllowPlainJwt)
        .build()
        .await
        .unwrap();
    let plain = signed(json!({"typ": "JWT"}), claims()).await;
    assert_eq!(lenient.verify(&plain).await.unwrap().subject(), Some("svc"));
    // and an algorithm allow-list without ES256 refuses the ES256 token
    let rsa_only = TokenVerifier::builder(p.issuer())
        .audience(p.resource())
        .algorithms([idaas_oauth::jose::Algorithm::RS256])
        .build()
        .await
        .unwrap();
    let err = rsa_only.verify(&good).await.unwrap_err();
    assert_eq!(err.reason(), Some(Reason::AlgorithmNotAllowed));
}

#[tokio::test]
async fn a_replay_cache_accepts_each_jti_once() {
    let p = support::provider();
    let verifier = TokenVerifier::builder(p.issuer())
        .audience(p.resource())
        .replay_cache(1000)
        .build()
        .await
        .unwrap();
    let token = jwt_for(&p.resource(), "api:read").await;
    verifier.verify(&token).await.unwrap();
    let again = verifier.verify(&token).await.unwrap_err();
    assert_eq!(again.reason(), Some(Reason::Replayed));
    verifier
        .verify(&jwt_for(&p.resource(), "api:read").await)
        .await
        .unwrap();
}

#[tokio::test]
async fn opaque_tokens_are_introspected_cached_and_revocation_is_seen() {
    let p = support::provider();
    let start = Duration::from_secs(now());
    let clock = ManualClock::new(start);
    // an active answer kept at most 4 s, an inactive one 5 s: a revoked
    // token is refused within the negative-cache TTL of its revocation
    let cache = IntrospectionCache {
        ttl: Duration::from_secs(4),
        negative_ttl: Duration::from_secs(5),
        ..IntrospectionCache::default()
    };
    let verifier = TokenVerifier::builder(p.issuer())
        .audience(p.resource())
        .introspect_as(
            p.client("post", "id"),
            ClientAuth::post(p.client("post", "secret")),
        )
        .introspection_cache(cache)
        .clock(Arc::new(clock.clone()))
        .build()
        .await
        .unwrap();
    let client = client().await;
    let issued = client
        .client_credentials(&ClientCredentials::scope("api:read"))
        .await
        .unwrap();
    let token = issued.credential.access_token.expose_secret().to_owned();
    assert!(!token.contains('.'), "an opaque token");

    // twenty at once: one introspection (single flight)
    let all = futures_util::future::join_all((0..20).map(|_| verifier.verify(&token))).await;
    for principal in all {
        let principal = principal.unwrap();
        assert_eq!(principal.token_kind(), TokenKind::Opaque);
        assert_eq!(principal.client_id(), Some(p.client("post", "id").as_str()));
        assert_eq!(principal.scopes(), ["api:read"]);
    }
    assert_eq!(verifier.introspection_requests(), 1);

    client
        .revoke(&SecretString::from(token.clone()), Some("access_token"))
        .await
        .unwrap();
    // the active answer stands until the ttl…
    clock.advance(Duration::from_secs(3));
    verifier.verify(&token).await.unwrap();
    assert_eq!(verifier.introspection_requests(), 1);
    // …then, 4 s after the revocation (< the 5 s negative TTL), the server
    // is asked again and says inactive
    clock.advance(Duration::from_secs(1));
    let err = verifier.verify(&token).await.unwrap_err();
    assert_eq!(err.reason(), Some(Reason::Inactive));
    assert_eq!(err.status(), 401);
    assert_eq!(verifier.introspection_requests(), 2);
    // the inactive answer is cached for the negative ttl
    for _ in 0..10 {
        assert!(verifier.verify(&token).await.is_err());
    }
    assert_eq!(verifier.introspection_requests(), 2);
    clock.advance(Duration::from_secs(6));
    assert!(verifier.verify(&token).await.is_err());
    assert_eq!(verifier.introspection_requests(), 3);
    // an unknown token is inactive too
    let err = verifier.verify("never-issued").await.unwrap_err();
    assert_eq!(err.reason(), Some(Reason::Inactive));
}
