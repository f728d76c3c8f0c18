//! Mutual TLS (RFC 8705) client certificates over real TLS on 127.0.0.1: a
//! server that requires a certificate from the test client CA sees ours when
//! `HttpOptions::client_identity` (files, memory or client-config.json) holds
//! it, refuses us without one, and every bad file fails the client's build
//! in words naming the file and the problem.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use idaas_core::TransportError;
use idaas_core::config::{ClientConfig, FieldProblem, MapEnv};
use idaas_core::http::{
    Bytes, ClientIdentity, HttpClient, HttpOptions, HttpRequest, HyperClient, Method,
};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

fn leaf(name: &str) -> CertificateDer<'static> {
    CertificateDer::pem_file_iter(fixture(name))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
}

/// An https server (server.pem) that requires a client certificate issued by
/// client-ca.pem and answers with the fixture name of the one it got.
async fn serve() -> u16 {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(leaf("client-ca.pem")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let certs = CertificateDer::pem_file_iter(fixture("server.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(fixture("server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let peer = tls.get_ref().1.peer_certificates().map(|c| c[0].clone());
                let name = ["client.pem", "client-other.pem"]
                    .into_iter()
                    .find(|n| peer.as_ref() == Some(&leaf(n)))
                    .unwrap_or("unknown");
                let mut head = Vec::new();
                let mut chunk = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{name}",
                    name.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

fn get(port: u16) -> HttpRequest {
    http::Request::builder()
        .method(Method::GET)
        .uri(format!("https://localhost:{port}/token"))
        .body(Bytes::new())
        .unwrap()
}

fn options(identity: Option<ClientIdentity>) -> HttpOptions {
    HttpOptions::default()
        .with_connect_timeout(Duration::from_secs(3))
        .with_read_timeout(Duration::from_secs(3))
        .with_ca_certificate_files(vec![fixture("ca.pem")])
        .with_client_identity(identity)
        .with_retry(idaas_core::http::RetryPolicy::none())
}

async fn presented(identity: Option<ClientIdentity>) -> Result<String, TransportError> {
    let port = serve().await;
    let client = HyperClient::new(options(identity))?;
    let response = client.execute(get(port)).await?;
    Ok(String::from_utf8(response.body().to_vec()).unwrap())
}

#[tokio::test]
async fn the_server_sees_the_certificate_from_files_or_memory() {
    let files = ClientIdentity::from_files(fixture("client.pem"), fixture("client.key"));
    assert_eq!(presented(Some(files)).await.unwrap(), "client.pem");
    let memory = ClientIdentity::from_pem(
        std::fs::read_to_string(fixture("client-other.pem")).unwrap(),
        std::fs::read_to_string(fixture("client-other.key")).unwrap(),
    );
    assert_eq!(presented(Some(memory)).await.unwrap(), "client-other.pem");
}

#[tokio::test]
async fn without_a_certificate_the_server_refuses_the_handshake() {
    let err = presented(None).await.unwrap_err();
    assert!(
        matches!(
            err,
            TransportError::Tls { .. }
                | TransportError::Connect { .. }
                | TransportError::Protocol { .. }
        ),
        "{err:?}"
    );
}

/// `HyperClient::new` with `cert`/`key`: its error text.
fn build_error(identity: ClientIdentity) -> String {
    let err = HyperClient::new(options(Some(identity))).unwrap_err();
    assert!(
        matches!(err, TransportError::ClientCertificate { .. }),
        "{err:?}"
    );
    err.to_string()
}

#[test]
fn bad_files_fail_the_build_naming_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let missing = dir.path().join("missing.pem");
    let key = fixture("client.key");
    for (identity, words) in [
        (
            ClientIdentity::from_files(&missing, &key),
            vec!["client certificate file", "missing.pem", "cannot be read"],
        ),
        (
            ClientIdentity::from_files(&garbage, &key),
            vec!["garbage.pem", "holds no PEM certificate"],
        ),
        (
            ClientIdentity::from_files(fixture("client.pem"), &garbage),
            vec!["client key file", "garbage.pem", "holds no PEM private key"],
        ),
        (
            ClientIdentity::from_files(fixture("client.pem"), fixture("self-signed.key")),
            vec!["self-signed.key", "does not match", "client.pem"],
        ),
        (
            ClientIdentity::from_files(fixture("p521.pem"), fixture("p521.key")),
            vec!["p521.key", "key type TLS cannot sign with", "P-256"],
        ),
        (
            ClientIdentity::from_pem("", "x"),
            vec![
                "client certificate given in code",
                "holds no PEM certificate",
            ],
        ),
    ] {
        let text = build_error(identity);
        for word in words {
            assert!(text.contains(word), "{word:?} in {text}");
        }
        assert!(!text.contains("MII"), "no PEM text in {text}");
    }
}

fn config(http: serde_json::Value) -> Result<ClientConfig, idaas_core::config::ConfigError> {
    ClientConfig::from_json_str(
        &serde_json::json!({
            "idaasInstanceId": "i", "clientId": "c", "issuer": "https://i.example",
            "tokenEndpoint": "https://i.example/token",
            "authnConfiguration": { "authnMethod": "CLIENT_SECRET_POST", "clientSecretEnvVarName": "S" },
            "httpConfiguration": http,
        })
        .to_string(),
    )
}

#[test]
fn the_configuration_takes_files_or_variables_and_names_the_field_at_fault() {
    let env = MapEnv::new()
        .with("S", "secret")
        .with(
            "CERT_PEM",
            std::fs::read_to_string(fixture("client.pem")).unwrap(),
        )
        .with(
            "KEY_PEM",
            std::fs::read_to_string(fixture("client.key")).unwrap(),
        );
    let files = config(serde_json::json!({
        "clientCertificateFile": fixture("client.pem"), "client_key_file": fixture("client.key"),
    }))
    .unwrap();
    files.check_environment(&env).unwrap();
    assert_eq!(
        HttpOptions::from(&files.http).client_identity,
        Some(ClientIdentity::from_files(
            fixture("client.pem"),
            fixture("client.key")
        ))
    );
    let redacted = files.to_redacted_json().to_string();
    assert!(
        redacted.contains("client.key") && !redacted.contains("BEGIN"),
        "{redacted}"
    );
    let vars = config(serde_json::json!({
        "clientCertificateEnvVarName": "CERT_PEM", "clientKeyEnvVarName": "KEY_PEM",
    }))
    .unwrap();
    vars.check_environment(&env).unwrap();
    let redacted = vars.to_redacted_json().to_string();
    assert!(
        redacted.contains("KEY_PEM") && !redacted.contains("BEGIN"),
        "{redacted}"
    );

    for (http, path, problem) in [
        (
            serde_json::json!({ "clientCertificateFile": "/c.pem" }),
            "httpConfiguration.clientKeyFile",
            FieldProblem::Missing,
        ),
        (
            serde_json::json!({ "clientKeyEnvVarName": "KEY_PEM" }),
            "httpConfiguration.clientCertificateFile",
            FieldProblem::Missing,
        ),
        (
            serde_json::json!({ "clientCertificateFile": " ", "clientKeyFile": "/k" }),
            "httpConfiguration.clientCertificateFile",
            FieldProblem::Empty,
        ),
        (
            serde_json::json!({ "clientCertificateFile": "/c", "clientCertificateEnvVarName": "CERT_PEM", "clientKeyFile": "/k" }),
            "httpConfiguration.clientCertificateEnvVarName",
            FieldProblem::Unsupported,
        ),
        (
            serde_json::json!({ "clientCertificateFile": 5, "clientKeyFile": "/k" }),
            "httpConfiguration.clientCertificateFile",
            FieldProblem::WrongType,
        ),
    ] {
        let e = config(http.clone()).unwrap_err();
        assert_eq!(e.field_path(), Some(path), "{http}: {e}");
        assert_eq!(e.problem(), Some(problem), "{http}: {e}");
    }

    for (http, path, problem, words) in [
        (
            serde_json::json!({ "clientCertificateFile": fixture("client.pem"), "clientKeyFile": fixture("self-signed.key") }),
            "httpConfiguration.clientKeyFile",
            FieldProblem::InvalidFile,
            "does not match",
        ),
        (
            serde_json::json!({ "clientCertificateFile": "/nonexistent/c.pem", "clientKeyFile": fixture("client.key") }),
            "httpConfiguration.clientCertificateFile",
            FieldProblem::InvalidFile,
            "/nonexistent/c.pem",
        ),
        (
            serde_json::json!({ "clientCertificateEnvVarName": "UNSET_PEM", "clientKeyEnvVarName": "KEY_PEM" }),
            "httpConfiguration.clientCertificateEnvVarName",
            FieldProblem::EnvVarNotSet,
            "UNSET_PEM",
        ),
    ] {
        let e = config(http.clone())
            .unwrap()
            .check_environment(&env)
            .unwrap_err();
        assert_eq!(e.field_path(), Some(path), "{http}: {e}");
        assert_eq!(e.problem(), Some(problem), "{http}: {e}");
        assert!(e.to_string().contains(words), "{words} in {e}");
    }
}
