//! `--cert`/`--key` with `--auth-method tls_client_auth` and
//! `self_signed_tls_client_auth` against oidc-provider's mutual TLS
//! listener (RFC 8705): the token is bound to our certificate; without the
//! certificate the method is a usage error, with a wrong one the provider
//! refuses the client.

#[path = "../../idaas-oauth/tests/support/mod.rs"]
mod support;

use std::process::{Command, Output};

use idaas_core::config::ProcessEnv;
use idaas_core::http::ClientIdentity;

fn idaas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_idaas"))
        .args(args)
        .env_remove("IDAAS_CLIENT_SECRET")
        .output()
        .expect("the idaas binary runs")
}

fn fixture(name: &str) -> String {
    support::tls_fixture(name).display().to_string()
}

fn mtls(path: &[&str]) -> String {
    let mut v = &support::provider().info["mtls"];
    for p in path {
        v = &v[p];
    }
    v.as_str().unwrap().to_owned()
}

/// `client-credentials` as client `which` presenting `certificate`.
fn client_credentials(which: &str, method: &str, certificate: Option<&str>) -> Output {
    let (issuer, id, resource, ca) = (
        mtls(&["issuer"]),
        mtls(&["clients", which, "id"]),
        mtls(&["resource"]),
        fixture("ca.pem"),
    );
    let mut args = vec![
        "--json",
        "client-credentials",
        "--issuer",
        &issuer,
        "--client-id",
        &id,
        "--auth-method",
        method,
        "--scope",
        "api:read",
        "--resource",
        &resource,
        "--ca-file",
        &ca,
    ];
    let files = certificate.map(|name| {
        (
            fixture(&format!("{name}.pem")),
            fixture(&format!("{name}.key")),
        )
    });
    if let Some((cert, key)) = &files {
        args.extend_from_slice(&["--cert", cert, "--key", key]);
    }
    idaas(&args)
}

#[test]
fn client_credentials_by_certificate_get_bound_tokens() {
    for (which, method, certificate) in [
        ("pki", "tls_client_auth", "client"),
        ("self_signed", "self_signed_tls_client_auth", "self-signed"),
    ] {
        let out = client_credentials(which, method, Some(certificate));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{method}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let token = body["access_token"].as_str().unwrap();
        let ours = idaas_oauth::mtls::identity_thumbprint(
            &ClientIdentity::from_files(
                support::tls_fixture(&format!("{certificate}.pem")),
                support::tls_fixture(&format!("{certificate}.key")),
            ),
            &ProcessEnv,
        )
        .unwrap();
        assert_eq!(
            idaas_oauth::mtls::bound_thumbprint(token),
            Some(ours),
            "{method}"
        );
    }
}

#[test]
fn a_missing_or_wrong_certificate_fails() {
    let out = client_credentials("pki", "tls_client_auth", None);
    assert_eq!(out.status.code(), Some(2), "usage");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("needs --cert FILE --key FILE"), "{stderr}");

    let out = client_credentials("pki", "tls_client_auth", Some("client-other"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid_client"), "{stderr}");
    assert_ne!(out.status.code(), Some(0));

    // a key that is not the certificate's: a usage error naming the file
    let (cert, key) = (fixture("client.pem"), fixture("self-signed.key"));
    let out = idaas(&[
        "client-credentials",
        "--issuer",
        &mtls(&["issuer"]),
        "--client-id",
        "mtls-pki",
        "--auth-method",
        "tls_client_auth",
        "--cert",
        &cert,
        "--key",
        &key,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("self-signed.key") && stderr.contains("does not match"),
        "{stderr}"
    );
}
