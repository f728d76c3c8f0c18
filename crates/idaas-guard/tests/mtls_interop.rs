//! Certificate-bound tokens (RFC 8705 §3) behind `RequireToken`: a token
//! oidc-provider bound to our TLS client certificate (`tls_client_auth` at
//! its mTLS alias) passes only on a request whose `ClientCertificate`
//! extension is that certificate; another one, or none, is 401
//! `invalid_token`.

#[path = "../../idaas-oauth/tests/support/mod.rs"]
mod support;

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use idaas_core::http::{ClientIdentity, HttpOptions, HyperClient, SharedHttpClient};
use idaas_guard::{ClientCertificate, Principal, Reason, RequireToken, TokenVerifier};
use idaas_oauth::{ClientAuth, ClientCredentials, Discovery, OAuthClient};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tower_service::Service;

type Body = Full<Bytes>;

fn mtls(member: &str) -> String {
    support::provider().info["mtls"][member]
        .as_str()
        .unwrap()
        .to_owned()
}

fn http(certificate: Option<&str>) -> SharedHttpClient {
    Arc::new(
        HyperClient::new(
            HttpOptions::default()
                .with_ca_certificate_files(vec![support::tls_fixture("ca.pem")])
                .with_client_identity(certificate.map(|name| {
                    ClientIdentity::from_files(
                        support::tls_fixture(&format!("{name}.pem")),
                        support::tls_fixture(&format!("{name}.key")),
                    )
                })),
        )
        .unwrap(),
    )
}

/// The certificate a TLS server would take from the handshake.
fn presented(name: &str) -> ClientCertificate {
    let leaf = CertificateDer::pem_file_iter(support::tls_fixture(&format!("{name}.pem")))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    ClientCertificate::from_der(leaf.as_ref())
}

async fn call(
    service: &mut (impl Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone),
    token: &str,
    certificate: Option<ClientCertificate>,
) -> (StatusCode, String) {
    let mut request = Request::builder()
        .uri("/projects")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::default())
        .unwrap();
    if let Some(certificate) = certificate {
        request.extensions_mut().insert(certificate);
    }
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .unwrap();
    let response = service.call(request).await.unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, challenge)
}

#[tokio::test]
async fn a_bound_token_passes_only_with_its_certificate() {
    let metadata = Discovery::new(http(None), mtls("issuer"))
        .metadata()
        .await
        .unwrap();
    let client_id = support::provider().info["mtls"]["clients"]["pki"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = OAuthClient::from_metadata(
        http(Some("client")),
        client_id,
        &metadata,
        ClientAuth::TlsClientAuth,
    );
    let token = client
        .client_credentials(&ClientCredentials::scope("api:read").resource(mtls("resource")))
        .await
        .unwrap();
    let token = token.credential.access_token.expose_secret().to_owned();

    let verifier = TokenVerifier::builder(mtls("issuer"))
        .audience(mtls("resource"))
        .http(http(None))
        .build()
        .await
        .unwrap();
    let layer = RequireToken::new(verifier.clone()).scope("api:read");
    let mut service = tower_layer::Layer::layer(
        &layer,
        tower::service_fn(|request: Request<Body>| async move {
            let principal = request.extensions().get::<Principal>().unwrap();
            Ok::<_, Infallible>(Response::new(Body::from(
                principal.client_id().unwrap_or_default().to_owned(),
            )))
        }),
    );
    let (status, _) = call(&mut service, &token, Some(presented("client"))).await;
    assert_eq!(status, StatusCode::OK);
    let mismatch = format!(
        "error=\"invalid_token\", error_description=\"{}\"",
        Reason::CertificateMismatch.description()
    );
    for certificate in [Some(presented("client-other")), None] {
        let (status, challenge) = call(&mut service, &token, certificate.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{certificate:?}");
        assert!(challenge.contains(&mismatch), "{challenge}");
    }
    // the verifier alone: `verify` has no certificate, so it refuses a bound token
    let e = verifier.verify(&token).await.unwrap_err();
    assert_eq!(e.reason(), Some(Reason::CertificateMismatch));
    let ok = verifier
        .verify_with_certificate(&token, Some(&presented("client")))
        .await
        .unwrap();
    assert_eq!(ok.client_id(), Some("mtls-pki"));
}
