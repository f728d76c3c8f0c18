//! Trust roots over real TLS on 127.0.0.1: a server whose certificate comes
//! from a private test CA (tests/fixtures/tls) is refused with words that say
//! how to add a CA, and trusted once the CA is given through
//! `HttpOptions::ca_certificate_files`, `httpConfiguration.caCertificateFile`
//! or `SSL_CERT_FILE`.

#[path = "support/tls_acceptor.rs"]
mod tls_acceptor;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idaas_core::TransportError;
use idaas_core::config::{ClientConfig, FieldProblem, ProcessEnv};
use idaas_core::http::{Bytes, HttpClient, HttpOptions, HttpRequest, HyperClient, Method};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// An https server on an ephemeral loopback port presenting `cert`/`key`,
/// answering every request `200 ok`; returns its port and request counter.
async fn serve(cert: &str, key: &str) -> (u16, Arc<AtomicUsize>) {
    let acceptor = tls_acceptor::acceptor(&fixture(cert), &fixture(key));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, counter) = (acceptor.clone(), counter.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut chunk = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, requests)
}

fn get(url: &str) -> HttpRequest {
    http::Request::builder()
        .method(Method::GET)
        .uri(url)
        .body(Bytes::new())
        .unwrap()
}

fn options(ca_files: Vec<PathBuf>) -> HttpOptions {
    HttpOptions::default()
        .with_connect_timeout(Duration::from_secs(3))
        .with_read_timeout(Duration::from_secs(3))
        .with_ca_certificate_files(ca_files)
}

#[tokio::test]
async fn a_private_ca_is_refused_in_words_that_say_how_to_add_it() {
    let (port, requests) = serve("server.pem", "server.key").await;
    let client = HyperClient::new(options(Vec::new())).unwrap();
    let err = client
        .execute(get(&format!("https://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    let TransportError::Tls { reason, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(
        reason.contains("not issued by a trusted certificate authority"),
        "{err}"
    );
    for hint in ["SSL_CERT_FILE", "caCertificateFile"] {
        assert!(err.to_string().contains(hint), "{hint} in {err}");
    }
    assert!(!err.to_string().contains("UnknownIssuer)"), "{err}");
    assert_eq!(requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_ca_file_adds_the_private_ca() {
    let (port, requests) = serve("server.pem", "server.key").await;
    let client = HyperClient::new(options(vec![fixture("ca.pem")])).unwrap();
    for host in ["127.0.0.1", "localhost"] {
        let ok = client
            .execute(get(&format!("https://{host}:{port}/token")))
            .await
            .unwrap();
        assert_eq!(ok.body().as_ref(), b"ok");
    }
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_pem_file_may_hold_many_certificates_and_several_files_add_up() {
    let (port, _) = serve("server.pem", "server.key").await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle.pem");
    let mut text = std::fs::read_to_string(fixture("other-ca.pem")).unwrap();
    text.push_str("some comment between blocks\n");
    text.push_str(&std::fs::read_to_string(fixture("ca.pem")).unwrap());
    std::fs::write(&bundle, text).unwrap();
    assert_eq!(idaas_core::http::check_ca_file(&bundle).unwrap(), 2);
    for files in [
        vec![bundle.clone()],
        vec![fixture("other-ca.pem"), fixture("ca.pem")],
    ] {
        let client = HyperClient::new(options(files)).unwrap();
        let ok = client
            .execute(get(&format!("https://127.0.0.1:{port}/")))
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
    }
    // an unrelated CA alone does not help
    let client = HyperClient::new(options(vec![fixture("other-ca.pem")])).unwrap();
    let err = client
        .execute(get(&format!("https://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Tls { .. }), "{err:?}");
}

#[test]
fn a_ca_file_that_does_not_parse_is_a_typed_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let broken = dir.path().join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let missing = dir.path().join("missing.pem");
    for (path, words) in [
        (&garbage, "no PEM certificate"),
        (&broken, "does not parse"),
        (&missing, "cannot be read"),
    ] {
        let err = HyperClient::new(options(vec![path.clone()])).unwrap_err();
        match &err {
            TransportError::CaFile { path: named, .. } => assert_eq!(named, path),
            other => panic!("{other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains(&*path.to_string_lossy()), "{text}");
        assert!(text.contains(words), "{words} in {text}");
    }
}

#[tokio::test]
async fn a_ca_served_as_the_server_certificate_is_named_in_words() {
    let (port, _) = serve("ca-as-server.pem", "ca-as-server.key").await;
    let client = HyperClient::new(options(vec![fixture("ca-as-server.pem")])).unwrap();
    let err = client
        .execute(get(&format!("https://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("presents a CA certificate as its own certificate"),
        "{text}"
    );
    assert!(!text.contains("OtherError"), "{text}");
}

fn config_json(ca: Option<&Path>) -> String {
    let mut http = serde_json::json!({});
    if let Some(ca) = ca {
        http["caCertificateFile"] = ca.to_string_lossy().into();
    }
    serde_json::json!({
        "idaasInstanceId": "idaas-test",
        "clientId": "app",
        "issuer": "https://127.0.0.1/",
        "tokenEndpoint": "https://127.0.0.1/token",
        "scope": "api|read",
        "authnConfiguration": {
            "identityType": "CLIENT",
            "authnMethod": "CLIENT_SECRET_POST",
            "clientSecretEnvVarName": "PATH"
        },
        "httpConfiguration": http
    })
    .to_string()
}

#[tokio::test]
async fn ca_certificate_file_in_the_config_reaches_the_transport() {
    let (port, _) = serve("server.pem", "server.key").await;
    let config = ClientConfig::from_json_str(&config_json(Some(&fixture("ca.pem")))).unwrap();
    assert_eq!(config.http.ca_certificate_file, Some(fixture("ca.pem")));
    config.check_environment(&ProcessEnv).unwrap();
    let redacted = config.to_redacted_json();
    assert_eq!(
        redacted["httpConfiguration"]["caCertificateFile"],
        fixture("ca.pem").to_string_lossy().as_ref()
    );
    let client = HyperClient::new(HttpOptions::from(&config.http)).unwrap();
    let ok = client
        .execute(get(&format!("https://127.0.0.1:{port}/")))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[test]
fn ca_certificate_file_is_validated_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "nope").unwrap();
    let config = ClientConfig::from_json_str(&config_json(Some(&garbage))).unwrap();
    let err = config.check_environment(&ProcessEnv).unwrap_err();
    assert_eq!(
        err.field_path(),
        Some("httpConfiguration.caCertificateFile")
    );
    assert_eq!(err.problem(), Some(FieldProblem::InvalidFile));
    assert!(err.to_string().contains("garbage.pem"), "{err}");
    let err = ClientConfig::from_json_str(&config_json(Some(Path::new(" ")))).unwrap_err();
    assert_eq!(
        err.field_path(),
        Some("httpConfiguration.caCertificateFile")
    );
    let wrong_type = config_json(None).replace(
        "\"httpConfiguration\":{}",
        "\"httpConfiguration\":{\"caCertificateFile\":5}",
    );
    let err = ClientConfig::from_json_str(&wrong_type).unwrap_err();
    assert_eq!(
        err.field_path(),
        Some("httpConfiguration.caCertificateFile")
    );
}

/// The child half of [`ssl_cert_file_is_honoured`]: runs only when re-executed
/// with `SSL_CERT_FILE` set (changing the environment of this multi-threaded
/// test process would be a data race).
#[tokio::test]
async fn child_with_ssl_cert_file() {
    let Ok(port) = std::env::var("IDAAS_TLS_TEST_PORT") else {
        return;
    };
    let client = HyperClient::new(options(Vec::new())).unwrap();
    let ok = client
        .execute(get(&format!("https://127.0.0.1:{port}/")))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn ssl_cert_file_is_honoured() {
    let (port, requests) = serve("server.pem", "server.key").await;
    let run = move |with_ca: bool| {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args(["--exact", "child_with_ssl_cert_file", "--test-threads=1"])
            .env("IDAAS_TLS_TEST_PORT", port.to_string());
        if with_ca {
            child.env("SSL_CERT_FILE", fixture("ca.pem"));
        } else {
            child.env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR");
        }
        child.output()
    };
    let (with, without) = tokio::task::spawn_blocking(move || (run(true), run(false)))
        .await
        .unwrap();
    let (with, without) = (with.unwrap(), without.unwrap());
    assert!(
        with.status.success(),
        "{}",
        String::from_utf8_lossy(&with.stdout)
    );
    assert!(!without.status.success(), "the CA is needed");
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

/// Collects formatted log lines.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn unsafe_ignore_ssl_cert_warns_each_time_a_client_is_built() {
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        for _ in 0..2 {
            HyperClient::new(HttpOptions::default().with_unsafe_ignore_ssl_cert(true)).unwrap();
        }
        HyperClient::new(HttpOptions::default()).unwrap();
    });
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text.matches("WARN").count(),
        2,
        "one warning per unsafe client: {text}"
    );
    assert!(text.contains("unsafeIgnoreSslCert"), "{text}");
}
