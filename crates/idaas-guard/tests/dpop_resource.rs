//! DPoP-bound tokens on the resource side (RFC 9449 §7) behind
//! `RequireToken::dpop`: a token oidc-provider bound to our key (`cnf.jkt`)
//! passes with `Authorization: DPoP` and a proof of that request; a replayed
//! proof, one for another URL, method or token, one signed by another key,
//! an old one, none at all, or the token sent as `Bearer`, are 401.

#[allow(dead_code)]
#[path = "../../idaas-oauth/tests/support/mod.rs"]
mod support;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use idaas_core::SecretString;
use idaas_core::http::HyperClient;
use idaas_guard::{DpopRequest, Error, Principal, Reason, RequireToken, TokenVerifier};
use idaas_oauth::dpop::{Dpop, DpopKey};
use idaas_oauth::{ClientAuth, ClientCredentials, Discovery, OAuthClient};
use tower_service::Service;

type Body = Full<Bytes>;

const ORIGIN: &str = "https://api.example.test";

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

/// A DPoP-bound JWT access token for the provider's resource, and its key.
async fn bound_token() -> (SecretString, Dpop) {
    let p = support::provider();
    let http = Arc::new(HyperClient::new(Default::default()).unwrap());
    let metadata = Discovery::new(http.clone(), p.issuer())
        .metadata()
        .await
        .unwrap();
    let dpop = Dpop::new(DpopKey::generate());
    let client = OAuthClient::from_metadata(
        http,
        p.client("dpop", "id"),
        &metadata,
        ClientAuth::basic(p.client("dpop", "secret")),
    )
    .with_dpop(dpop.clone());
    let token = client
        .client_credentials(&ClientCredentials::scope("api:read").resource(p.resource()))
        .await
        .unwrap();
    assert_eq!(token.credential.token_type, "DPoP");
    (token.credential.access_token, dpop)
}

async fn verifier() -> TokenVerifier {
    let p = support::provider();
    TokenVerifier::builder(p.issuer())
        .audience(p.resource())
        .build()
        .await
        .unwrap()
}

async fn call(
    service: &mut (impl Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone),
    method: Method,
    path: &str,
    headers: HeaderMap,
) -> (StatusCode, String) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::default())
        .unwrap();
    *request.headers_mut() = headers;
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .unwrap();
    let response = service.call(request).await.unwrap();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status(), challenge)
}

fn headers(dpop: &Dpop, method: &str, url: &str, token: &SecretString, at: Duration) -> HeaderMap {
    let mut headers = HeaderMap::new();
    dpop.resource_headers(method, url, token, at)
        .unwrap()
        .apply(&mut headers);
    headers
}

#[tokio::test]
async fn require_token_accepts_a_dpop_token_only_with_a_proof_of_the_request() {
    let (token, dpop) = bound_token().await;
    let layer = RequireToken::new(verifier().await)
        .scope("api:read")
        .dpop(ORIGIN);
    let mut service = tower_layer::Layer::layer(
        &layer,
        tower::service_fn(|request: Request<Body>| async move {
            assert!(request.extensions().get::<Principal>().is_some());
            Ok::<_, Infallible>(Response::new(Body::default()))
        }),
    );
    let url = format!("{ORIGIN}/projects");
    let good = headers(&dpop, "GET", &format!("{url}?page=2"), &token, now());
    let (status, _) = call(&mut service, Method::GET, "/projects?page=2", good.clone()).await;
    assert_eq!(status, StatusCode::OK);

    let refused =
        |what: &str| format!("DPoP error=\"invalid_dpop_proof\", error_description=\"{what}");
    let other_key = Dpop::new(DpopKey::generate());
    let other_token = SecretString::new("another-token");
    let mut mixed = headers(&dpop, "GET", &url, &other_token, now());
    mixed.insert(
        header::AUTHORIZATION,
        format!("DPoP {}", token.expose_secret()).parse().unwrap(),
    );
    let mut no_proof = good.clone();
    no_proof.remove("dpop");
    for (case, method, path, headers, answer) in [
        (
            "replayed",
            Method::GET,
            "/projects?page=2",
            good.clone(),
            refused("the DPoP proof was already used"),
        ),
        (
            "another URL",
            Method::GET,
            "/admin",
            headers(&dpop, "GET", &url, &token, now()),
            refused("the DPoP proof is for another URL"),
        ),
        (
            "another method",
            Method::DELETE,
            "/projects",
            headers(&dpop, "GET", &url, &token, now()),
            refused("the DPoP proof is for another method"),
        ),
        (
            "another key",
            Method::GET,
            "/projects",
            headers(&other_key, "GET", &url, &token, now()),
            refused("the DPoP proof is signed by another key"),
        ),
        (
            "another token",
            Method::GET,
            "/projects",
            mixed,
            refused("the DPoP proof is for another access token"),
        ),
        (
            "too old",
            Method::GET,
            "/projects",
            headers(&dpop, "GET", &url, &token, now() - Duration::from_secs(300)),
            refused("the DPoP proof is too old"),
        ),
        (
            "no proof",
            Method::GET,
            "/projects",
            no_proof,
            refused("the request has no DPoP header"),
        ),
    ] {
        let (status, challenge) = call(&mut service, method, path, headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}");
        assert!(challenge.starts_with(&answer), "{case}: {challenge}");
    }
    // the bound token as a bearer token
    let mut bearer = HeaderMap::new();
    bearer.insert(
        header::AUTHORIZATION,
        format!("Bearer {}", token.expose_secret()).parse().unwrap(),
    );
    let (status, challenge) = call(&mut service, Method::GET, "/projects", bearer).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        challenge.contains(Reason::DpopBound.description()),
        "{challenge}"
    );
}

#[tokio::test]
async fn the_verifier_checks_proofs_and_refuses_a_bound_token_without_one() {
    let (token, dpop) = bound_token().await;
    let verifier = verifier().await;
    let url = format!("{ORIGIN}/items");
    let proof = dpop
        .proof_header("POST", &url, Some(&token), now())
        .unwrap();
    let request = DpopRequest {
        proof: proof.to_str().unwrap(),
        method: "POST",
        url: &url,
    };
    let principal = verifier
        .verify_dpop(token.expose_secret(), &request)
        .await
        .unwrap();
    assert_eq!(
        principal.claims()["cnf"]["jkt"],
        dpop.key().thumbprint(),
        "bound to our key"
    );
    let e = verifier.verify(token.expose_secret()).await.unwrap_err();
    assert_eq!(e.reason(), Some(Reason::DpopBound));
    // a proof without ath (a token request's proof) does not do for a resource
    let without_ath = dpop.proof_header("POST", &url, None, now()).unwrap();
    let e = verifier
        .verify_dpop(
            token.expose_secret(),
            &DpopRequest {
                proof: without_ath.to_str().unwrap(),
                ..request
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidDpopProof(_)), "{e:?}");
    assert_eq!(e.code(), Some("invalid_dpop_proof"));
    assert_eq!(e.status(), 401);
}
