//! The tower layers with real parts on both sides: the emulator issues the
//! tokens, a real credential provider caches them, `RequireToken` checks
//! them. `BearerAuth` retries once after a 401 and never loops; the axum
//! extractor; every public future is `Send`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use idaas_core::config::{ClientConfig, SecretSource};
use idaas_credentials::{CredentialProviderFactory, FactoryOptions, SharedCredentialProvider};
use idaas_emulator::{Client, Emulator};
use idaas_guard::*;
use tower_layer::Layer;
use tower_service::Service;

type Body = Full<Bytes>;
const AUDIENCE: &str = "api://projects";

async fn emulator() -> Emulator {
    Emulator::builder()
        .client(Client::new("caller").with_secret("caller-secret"))
        .start()
        .await
        .unwrap()
}

async fn provider(idp: &Emulator) -> SharedCredentialProvider {
    let config = ClientConfig::builder()
        .idaas_instance_id("idaas_test")
        .client_id("caller")
        .issuer(idp.base_url())
        .token_endpoint(idp.token_endpoint())
        .scope(format!("{AUDIENCE}|projects:write"))
        .client_secret_basic(SecretSource::Value("caller-secret".into()))
        .build()
        .unwrap();
    let factory = CredentialProviderFactory::from_config(config, FactoryOptions::default())
        .await
        .unwrap();
    Arc::new(factory.provider().await.unwrap())
}

/// A resource server behind `layer` counting the requests that reach it
/// (before the layer) and that pass it.
fn server(
    layer: RequireToken,
    reached: Arc<AtomicUsize>,
    passed: Arc<AtomicUsize>,
) -> impl Service<Request<Body>, Response = Response<Body>, Error = Infallible, Future = impl Send>
+ Clone
+ Send
+ 'static {
    let protected = layer.layer(tower::service_fn(move |request: Request<Body>| {
        let passed = passed.clone();
        async move {
            passed.fetch_add(1, Ordering::SeqCst);
            let principal = request.extensions().get::<Principal>().unwrap();
            Ok::<_, Infallible>(Response::new(Body::from(
                principal.client_id().unwrap().to_owned(),
            )))
        }
    }));
    tower::service_fn(move |request: Request<Body>| {
        reached.fetch_add(1, Ordering::SeqCst);
        let mut protected = protected.clone();
        async move { protected.call(request).await }
    })
}

async fn send<S>(service: &mut S) -> Response<Body>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = BoxError>,
{
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .unwrap();
    let request = Request::builder()
        .uri("/projects")
        .body(Body::from("payload"))
        .unwrap();
    service.call(request).await.unwrap()
}

#[tokio::test]
async fn bearer_auth_gets_a_new_token_after_a_401_and_retries_once() {
    let idp = emulator().await;
    // one-time tokens: the second use of a cached token is refused
    let verifier = TokenVerifier::builder(idp.base_url())
        .audience(AUDIENCE)
        .replay_cache(100)
        .build()
        .await
        .unwrap();
    let (reached, passed) = (Arc::default(), Arc::default());
    let layer = RequireToken::new(verifier).scope("projects:write");
    let mut client = BearerAuth::new(provider(&idp).await).layer(server(
        layer,
        Arc::clone(&reached),
        Arc::clone(&passed),
    ));
    let issued = idp.token_requests("caller");
    let response = send(&mut client).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(idp.token_requests("caller"), issued, "the cached token");
    // the cached token again: refused (replayed), a new token, one retry
    let response = send(&mut client).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(reached.load(Ordering::SeqCst), 3);
    assert_eq!(passed.load(Ordering::SeqCst), 2);
    assert_eq!(idp.token_requests("caller"), issued + 1);
    idp.stop().await;
}

#[tokio::test]
async fn bearer_auth_never_loops_on_a_server_that_always_refuses() {
    let idp = emulator().await;
    let verifier = TokenVerifier::builder(idp.base_url())
        .audience("api://someone-else")
        .build()
        .await
        .unwrap();
    let (reached, passed) = (Arc::new(AtomicUsize::new(0)), Arc::default());
    let layer = RequireToken::new(verifier);
    let mut client =
        BearerAuth::new(provider(&idp).await).layer(server(layer, Arc::clone(&reached), passed));
    let issued = idp.token_requests("caller");
    let response = send(&mut client).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()[header::WWW_AUTHENTICATE]
        .to_str()
        .unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert_eq!(
        reached.load(Ordering::SeqCst),
        2,
        "the request and one retry"
    );
    assert_eq!(idp.token_requests("caller"), issued + 1);
    idp.stop().await;
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn the_axum_extractor_takes_the_verified_principal_or_answers_500() {
    use axum_core::extract::FromRequestParts;
    use axum_core::response::IntoResponse;

    let idp = emulator().await;
    let verifier = TokenVerifier::from_issuer(idp.base_url(), AUDIENCE)
        .await
        .unwrap();
    let token = provider(&idp).await.bearer_token().await.unwrap();
    let principal = verifier.verify(token.expose_secret()).await.unwrap();
    let (mut parts, ()) = Request::new(()).into_parts();
    let err = Principal::from_request_parts(&mut parts, &())
        .await
        .unwrap_err();
    assert_eq!(
        err.into_response().status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    parts.extensions.insert(principal);
    let got = Principal::from_request_parts(&mut parts, &())
        .await
        .unwrap();
    assert_eq!(got.client_id(), Some("caller"));
    assert_eq!(got.scopes(), ["projects:write"]);
    let forbidden = got.require(&"projects.tasks:delete".into()).unwrap_err();
    let response = forbidden.into_response();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("scope=\"projects.tasks:delete\"")
    );
    idp.stop().await;
}

#[test]
fn every_public_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_stored<T: Send + Sync + Clone + 'static>() {}
    assert_stored::<TokenVerifier>();
    assert_stored::<Principal>();
    assert_stored::<RequireToken>();
    assert_stored::<BearerAuth>();
    assert_stored::<Error>();
    let builder = TokenVerifier::builder("https://idp").audience("a");
    assert_send(&builder);
    assert_send(&builder.build());
    assert_send(&TokenVerifier::from_issuer("https://idp", "a"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let verifier = rt.block_on(
        TokenVerifier::builder("https://idp")
            .audience("a")
            .jwks_uri("https://idp/jwks")
            .build(),
    );
    let verifier = verifier.unwrap();
    assert_send(&verifier.verify("t"));
    assert_stored::<ClientCertificate>();
    let certificate = ClientCertificate::from_der(b"a certificate");
    assert_send(&verifier.verify_with_certificate("t", Some(&certificate)));
    let proof = DpopRequest {
        proof: "p",
        method: "GET",
        url: "https://api/x",
    };
    assert_send(&verifier.verify_dpop("t", &proof));
    let layer = RequireToken::new(verifier);
    let headers = http::HeaderMap::new();
    assert_send(&layer.check(&headers));
    assert_send(&layer.check_with_certificate(&headers, Some(&certificate)));
    let request = http::Request::new(());
    assert_send(&layer.check_request(&request));
    // the services' futures are BoxFuture: Send by their type
}
