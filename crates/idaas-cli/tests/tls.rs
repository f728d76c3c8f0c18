//! `idaas token` end to end over TLS with a private CA: the emulator behind
//! a TLS terminator on 127.0.0.1 whose certificate comes from the test CA
//! (idaas-core/tests/fixtures/tls). `SSL_CERT_FILE`, `caCertificateFile`
//! in the config and `--ca-file` each make it succeed; without them the
//! error names the CA problem in words and says how to add a CA.

#[path = "../../idaas-core/tests/support/tls_acceptor.rs"]
mod tls_acceptor;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use idaas_emulator::{Client, Emulator};
use tokio::net::{TcpListener, TcpStream};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../idaas-core/tests/fixtures/tls")
        .join(name)
}

/// https on an ephemeral loopback port (the test CA's `127.0.0.1` leaf),
/// every connection forwarded to `backend` as is.
async fn terminate_tls(backend: u16) -> u16 {
    let acceptor = tls_acceptor::acceptor(&fixture("server.pem"), &fixture("server.key"));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(("127.0.0.1", backend)).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    port
}

/// Runs `idaas` with `args` and `env` (no inherited CA settings).
fn idaas(args: &[String], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idaas"));
    cmd.args(args)
        .env("CLI_SECRET", "cli-secret")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the idaas binary runs")
}

fn config(dir: &Path, name: &str, base: &str, backend: &str, ca: Option<&Path>) -> String {
    let file = dir.join(name);
    let mut config = serde_json::json!({
        "idaasInstanceId": "idaas_cli",
        "clientId": "cli-app",
        "issuer": base,
        "tokenEndpoint": format!("{base}{}", backend),
        "scope": "api.example.com|read",
        "authnConfiguration": {"authnMethod": "CLIENT_SECRET_BASIC", "clientSecretEnvVarName": "CLI_SECRET"}
    });
    if let Some(ca) = ca {
        config["httpConfiguration"] = serde_json::json!({"caCertificateFile": ca});
    }
    std::fs::write(&file, config.to_string()).unwrap();
    file.display().to_string()
}

fn assert_ok(out: &Output, how: &str) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{how}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout);
    assert_eq!(token.trim().split('.').count(), 3, "{how}: a JWT on stdout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_over_tls_from_a_private_ca_with_each_way_of_trusting_it() {
    let emulator = Emulator::builder()
        .client(Client::new("cli-app").with_secret("cli-secret"))
        .start()
        .await
        .unwrap();
    let backend_port: u16 = emulator
        .base_url()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let path = emulator
        .token_endpoint()
        .strip_prefix(emulator.base_url())
        .unwrap()
        .to_owned();
    let base = format!("https://127.0.0.1:{}", terminate_tls(backend_port).await);
    let dir = tempfile::tempdir().unwrap();
    let ca = fixture("ca.pem");
    let plain = config(dir.path(), "plain.json", &base, &path, None);
    let with_ca = config(dir.path(), "with-ca.json", &base, &path, Some(&ca));
    let token = |config: &str, extra: &[&str]| {
        let mut args: Vec<String> = ["token", "--config", config].map(String::from).to_vec();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };

    let results = tokio::task::spawn_blocking(move || {
        let ca = fixture("ca.pem");
        let ca_arg = ca.display().to_string();
        [
            (
                "SSL_CERT_FILE",
                idaas(&token(&plain, &[]), &[("SSL_CERT_FILE", &ca)]),
            ),
            ("caCertificateFile", idaas(&token(&with_ca, &[]), &[])),
            (
                "--ca-file",
                idaas(&token(&plain, &["--ca-file", &ca_arg]), &[]),
            ),
            ("no CA", idaas(&token(&plain, &[]), &[])),
        ]
    })
    .await
    .unwrap();
    for (how, out) in &results[..3] {
        assert_ok(out, how);
    }

    // no CA given: refused as a network/TLS failure, in words, with the fix
    let (_, refused) = &results[3];
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(3), "{stderr}");
    assert!(refused.stdout.is_empty());
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    assert!(
        !stderr.contains("UnknownIssuer") && !stderr.contains("OtherError"),
        "{stderr}"
    );
    for fix in ["SSL_CERT_FILE", "caCertificateFile"] {
        assert!(
            stderr.contains(fix),
            "the error says how to add a CA ({fix}): {stderr}"
        );
    }
}
