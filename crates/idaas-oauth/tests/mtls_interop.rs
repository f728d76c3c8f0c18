//! Mutual TLS (RFC 8705) against oidc-provider over https: the provider's
//! second listener (its `mtls_endpoint_aliases`) asks for client
//! certificates; `tls_client_auth` (subject DN of a certificate from the
//! client CA) and `self_signed_tls_client_auth` (the certificate in the
//! client's registered JWKS) get tokens bound to the certificate
//! (`cnf.x5t#S256`), and a wrong certificate, or the plain endpoint, is
//! refused.

mod support;

use std::sync::Arc;

use idaas_core::config::ProcessEnv;
use idaas_core::http::{ClientIdentity, HttpOptions, HyperClient, SharedHttpClient};
use idaas_oauth::{
    ClientAuth, ClientCredentials, Discovery, Error, OAuthClient, OAuthErrorCode, ProviderMetadata,
    mtls,
};

fn mtls_info(member: &str) -> String {
    support::provider().info["mtls"][member]
        .as_str()
        .unwrap()
        .to_owned()
}

fn identity(name: &str) -> ClientIdentity {
    ClientIdentity::from_files(
        support::tls_fixture(&format!("{name}.pem")),
        support::tls_fixture(&format!("{name}.key")),
    )
}

/// An HTTP client trusting the test CA, presenting `certificate` (a
/// fixture's name) if any.
fn http(certificate: Option<&str>) -> SharedHttpClient {
    Arc::new(
        HyperClient::new(
            HttpOptions::default()
                .with_ca_certificate_files(vec![support::tls_fixture("ca.pem")])
                .with_client_identity(certificate.map(identity))
                .with_retry(idaas_core::http::RetryPolicy::none()),
        )
        .unwrap(),
    )
}

async fn metadata() -> Arc<ProviderMetadata> {
    Discovery::new(http(None), mtls_info("issuer"))
        .metadata()
        .await
        .unwrap()
}

fn thumbprint(name: &str) -> String {
    mtls::identity_thumbprint(&identity(name), &ProcessEnv).unwrap()
}

/// The client `which` (`pki`, `self_signed`) presenting `certificate`.
async fn client(which: &str, certificate: &str, auth: ClientAuth) -> OAuthClient {
    let id = support::provider().info["mtls"]["clients"][which]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    OAuthClient::from_metadata(http(Some(certificate)), id, &*metadata().await, auth)
}

fn request() -> ClientCredentials {
    ClientCredentials::scope("api:read").resource(mtls_info("resource"))
}

#[tokio::test]
async fn tls_client_auth_gets_a_token_bound_to_the_certificate() {
    let client = client("pki", "client", ClientAuth::TlsClientAuth)
        .await
        .with_certificate_binding(thumbprint("client"));
    // the aliases, not the plain endpoints (which ask for no certificate)
    assert!(
        client
            .token_endpoint()
            .starts_with(&mtls_info("alias_origin")),
        "{}",
        client.token_endpoint()
    );
    let token = client.client_credentials(&request()).await.unwrap();
    assert_eq!(token.credential.token_type, "Bearer");
    assert_eq!(
        token.certificate_thumbprint.as_deref(),
        Some(thumbprint("client").as_str())
    );
    assert_eq!(
        mtls::bound_thumbprint(token.credential.access_token.expose_secret()),
        token.certificate_thumbprint
    );
    // an opaque token (no resource indicator) is bound as well: introspection
    // and revocation through their aliases, authenticated the same way
    let opaque = client
        .client_credentials(&ClientCredentials::scope("api:read"))
        .await
        .unwrap();
    assert_eq!(
        opaque.certificate_thumbprint, None,
        "not a JWT: nothing to read"
    );
    let access_token = &opaque.credential.access_token;
    let introspection = client.introspect(access_token, None).await.unwrap();
    assert!(introspection.active);
    assert_eq!(
        introspection.claims["cnf"]["x5t#S256"],
        thumbprint("client").as_str()
    );
    client
        .revoke(access_token, Some("access_token"))
        .await
        .unwrap();
    let after = client.introspect(access_token, None).await.unwrap();
    assert!(!after.active, "revoked");
}

#[tokio::test]
async fn self_signed_tls_client_auth_gets_a_token_bound_to_the_certificate() {
    let client = client(
        "self_signed",
        "self-signed",
        ClientAuth::SelfSignedTlsClientAuth,
    )
    .await
    .with_certificate_binding(thumbprint("self-signed"));
    let token = client.client_credentials(&request()).await.unwrap();
    assert_eq!(
        token.certificate_thumbprint.as_deref(),
        Some(thumbprint("self-signed").as_str())
    );
    assert_ne!(thumbprint("self-signed"), thumbprint("client"));
}

fn assert_invalid_client(result: Result<idaas_oauth::TokenResponse, Error>, case: &str) {
    match result {
        Err(Error::OAuth(e)) => assert_eq!(e.code, OAuthErrorCode::InvalidClient, "{case}: {e}"),
        other => panic!("{case}: {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_certificate_or_the_plain_endpoint_is_refused() {
    for (which, certificate, auth, case) in [
        (
            "pki",
            "client-other",
            ClientAuth::TlsClientAuth,
            "another subject of the same CA",
        ),
        (
            "pki",
            "self-signed",
            ClientAuth::TlsClientAuth,
            "a certificate the CA did not issue",
        ),
        (
            "self_signed",
            "client",
            ClientAuth::SelfSignedTlsClientAuth,
            "a certificate not in the client's JWKS",
        ),
    ] {
        let client = client(which, certificate, auth).await;
        assert_invalid_client(client.client_credentials(&request()).await, case);
    }
    // the issuer's own token endpoint asks for no certificate: without the
    // alias the right certificate is never sent
    let meta = metadata().await;
    let plain = OAuthClient::new(
        http(Some("client")),
        "mtls-pki",
        meta.token_endpoint.clone(),
        ClientAuth::TlsClientAuth,
    );
    assert_invalid_client(
        plain.client_credentials(&request()).await,
        "the plain endpoint",
    );
    // a token bound to another certificate than the one we say we present
    let mismatched = client("pki", "client", ClientAuth::TlsClientAuth)
        .await
        .with_certificate_binding(thumbprint("self-signed"));
    let e = mismatched.client_credentials(&request()).await.unwrap_err();
    assert!(
        matches!(&e, Error::InvalidResponse { reason, .. } if reason.contains("another client certificate")),
        "{e:?}"
    );
}

#[tokio::test]
async fn device_authorization_authenticates_by_certificate_at_its_alias() {
    let user = idaas_oauth::UserClient::from_metadata(
        http(Some("client")),
        metadata().await,
        "mtls-pki",
        ClientAuth::TlsClientAuth,
    )
    .unwrap();
    let endpoint = user
        .metadata()
        .device_authorization_endpoint
        .clone()
        .unwrap();
    assert!(
        endpoint.starts_with(&mtls_info("alias_origin")),
        "{endpoint}"
    );
    assert_eq!(
        user.oauth().token_endpoint(),
        format!("{}/token", mtls_info("alias_origin"))
    );
    let started = user
        .oauth()
        .device_authorization(&endpoint, Some("openid"))
        .await
        .unwrap();
    assert!(!started.user_code.is_empty());
    // the same request from a certificate the provider does not know
    let intruder = client("pki", "client-other", ClientAuth::TlsClientAuth).await;
    let e = intruder
        .device_authorization(&endpoint, Some("openid"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::OAuth(o) if o.code == OAuthErrorCode::InvalidClient),
        "{e:?}"
    );
}
