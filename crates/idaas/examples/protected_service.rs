//! Two services that check the tokens they receive, against the embedded
//! emulator: `cargo run -p idaas --features axum --example protected_service`.
//!
//! - `projects` (axum) lets through only tokens for `api://projects` with
//!   `projects:read` (`RequireToken`), and reads the caller's `Principal`;
//! - `gateway` (axum) requires `api://gateway|gateway:use`, and calls
//!   `projects` with its own M2M token through `BearerAuth`, which injects
//!   `Authorization: Bearer …` and retries once after a 401.
//!
//! With a real IDaaS tenant, use its issuer and your services' audiences.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use idaas::guard::{BearerAuth, Principal, RequireToken, TokenVerifier};
use idaas::prelude::*;
use idaas::{SharedCredentialProvider, config::ClientConfig as Config};
use idaas_emulator::{Client, Emulator};
use tokio::net::TcpListener;
use tower::{Layer, Service, ServiceExt};

type Body = Full<Bytes>;

async fn provider(
    idp: &Emulator,
    client: &str,
    scope: &str,
) -> Result<SharedCredentialProvider, Box<dyn std::error::Error + Send + Sync>> {
    let config = Config::builder()
        .idaas_instance_id("idaas_example")
        .client_id(client)
        .issuer(idp.base_url())
        .token_endpoint(idp.token_endpoint())
        .scope(scope)
        .client_secret_basic(SecretSource::Value(format!("{client}-secret").into()))
        .build()?;
    let factory = CredentialProviderFactory::from_config(config, FactoryOptions::default()).await?;
    Ok(Arc::new(factory.provider().await?))
}

/// Serves `router` on an ephemeral loopback port; returns its base URL.
async fn serve(router: Router) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

async fn list_projects(principal: Principal) -> String {
    format!(
        "projects of {} (scopes {:?})",
        principal.client_id().unwrap_or("?"),
        principal.scopes()
    )
}

#[derive(Clone)]
struct Gateway {
    projects_url: String,
    /// an HTTP client that authenticates as the gateway
    client: BearerAuthClient,
}

type BearerAuthClient = idaas::guard::BearerAuthService<
    HttpClient<hyper_util::client::legacy::connect::HttpConnector, Body>,
>;

async fn via_gateway(principal: Principal, State(gateway): State<Gateway>) -> String {
    let request = http::Request::get(format!("{}/projects", gateway.projects_url))
        .body(Body::default())
        .expect("a valid request");
    let answer = match gateway.client.oneshot(request).await {
        Ok(response) => {
            let status = response.status();
            let body = response.into_body().collect().await.map(|b| b.to_bytes());
            format!(
                "{status} {}",
                String::from_utf8_lossy(&body.unwrap_or_default())
            )
        }
        Err(e) => format!("projects unreachable: {e}"),
    };
    format!(
        "gateway called by {}: {answer}",
        principal.client_id().unwrap_or("?")
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let idp = Emulator::builder()
        .client(Client::new("gateway").with_secret("gateway-secret"))
        .client(Client::new("caller").with_secret("caller-secret"))
        .start()
        .await?;

    // the projects service: tokens for api://projects with projects:read
    let verifier = TokenVerifier::from_issuer(idp.base_url(), "api://projects").await?;
    let projects = Router::new()
        .route("/projects", get(list_projects))
        .layer(RequireToken::new(verifier).scope("projects:read"));
    let projects_url = serve(projects).await?;

    // the gateway: its callers need gateway:use; it calls projects as itself
    let gateway_token = provider(&idp, "gateway", "api://projects|projects:read").await?;
    let http = HttpClient::builder(TokioExecutor::new()).build_http();
    let gateway = Gateway {
        projects_url: projects_url.clone(),
        client: BearerAuth::new(gateway_token).layer(http.clone()),
    };
    let verifier = TokenVerifier::from_issuer(idp.base_url(), "api://gateway").await?;
    let router = Router::new()
        .route("/", get(via_gateway))
        .layer(RequireToken::new(verifier).scope("gateway:use"))
        .with_state(gateway);
    let gateway_url = serve(router).await?;

    // a caller with a token for the gateway
    let caller = provider(&idp, "caller", "api://gateway|gateway:use").await?;
    let mut client = BearerAuth::new(caller).layer(http.clone());
    let request = http::Request::get(format!("{gateway_url}/")).body(Body::default())?;
    let response = client.ready().await?.call(request).await?;
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await?.to_bytes();
    println!("{}", String::from_utf8_lossy(&body));

    // without a token, and with the caller's token at the projects service
    let mut plain = http.clone();
    let request = http::Request::get(format!("{projects_url}/projects")).body(Body::default())?;
    let response = plain.ready().await?.call(request).await?;
    assert_eq!(response.status(), 401);
    println!(
        "no token: {} {:?}",
        response.status(),
        response.headers()["www-authenticate"]
    );
    let request = http::Request::get(format!("{projects_url}/projects")).body(Body::default())?;
    let response = client.ready().await?.call(request).await?;
    assert_eq!(
        response.status(),
        401,
        "a gateway token is not for projects"
    );
    println!(
        "wrong audience: {} {:?}",
        response.status(),
        response.headers()["www-authenticate"]
    );
    idp.stop().await;
    Ok(())
}
