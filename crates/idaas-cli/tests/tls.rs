//! `idaas token` end to end over TLS with a private CA: the emulator behind
//! a TLS terminator on 127.0.0.1, and oidc-provider's https issuer
//! (interop/, announced under "mtls"), both with a certificate from the
//! test CA (idaas-core/tests/fixtures/tls). `SSL_CERT_FILE`,
//! `caCertificateFile` in the config and `--ca-file` each make it succeed;
//! without them the error names the CA problem in words and says how to
//! add a CA.

#[path = "../../idaas-oauth/tests/support/mod.rs"]
mod provider;
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

/// An https provider and the client-secret client `idaas token` uses there.
struct Target {
    issuer: String,
    token_endpoint: String,
    client_id: String,
    secret: String,
    scope: String,
}

/// Runs `idaas --json` with `args` and `env` (no inherited CA settings; the
/// client secret in `$CLI_SECRET`).
fn idaas(target: &Target, args: &[String], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idaas"));
    cmd.arg("--json")
        .args(args)
        .env("CLI_SECRET", &target.secret)
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

/// A client-config.json for `target` (`client_secret_basic`), trusting `ca`
/// by `httpConfiguration.caCertificateFile` if given.
fn config(dir: &Path, name: &str, target: &Target, ca: Option<&Path>) -> String {
    let file = dir.join(name);
    let mut config = serde_json::json!({
        "idaasInstanceId": "idaas_cli",
        "clientId": target.client_id,
        "issuer": target.issuer,
        "tokenEndpoint": target.token_endpoint,
        "scope": target.scope,
        "authnConfiguration": {"authnMethod": "CLIENT_SECRET_BASIC", "clientSecretEnvVarName": "CLI_SECRET"}
    });
    if let Some(ca) = ca {
        config["httpConfiguration"] = serde_json::json!({"caCertificateFile": ca});
    }
    std::fs::write(&file, config.to_string()).unwrap();
    file.display().to_string()
}

/// `idaas token --config …` against `target` four ways: trusting the test
/// CA by `SSL_CERT_FILE`, by `caCertificateFile`, by `--ca-file`, and not
/// at all.
fn token_each_way(target: &Target) -> Vec<(&'static str, Output)> {
    let dir = tempfile::tempdir().unwrap();
    let ca = fixture("ca.pem");
    let ca_arg = ca.display().to_string();
    let plain = config(dir.path(), "plain.json", target, None);
    let with_ca = config(dir.path(), "with-ca.json", target, Some(&ca));
    let token = |config: &str, extra: &[&str]| {
        let mut args: Vec<String> = ["token", "--config", config].map(String::from).to_vec();
        args.extend(extra.iter().map(|s| s.to_string()));
        idaas(target, &args, &[])
    };
    let by_env = {
        let args: Vec<String> = ["token", "--config", &plain].map(String::from).to_vec();
        idaas(target, &args, &[("SSL_CERT_FILE", &ca)])
    };
    vec![
        ("SSL_CERT_FILE", by_env),
        ("caCertificateFile", token(&with_ca, &[])),
        ("--ca-file", token(&plain, &["--ca-file", &ca_arg])),
        ("no CA", token(&plain, &[])),
    ]
}

/// The first three ways printed a token granted `target.scope`; the last
/// was refused as a TLS failure (exit 3), in words, saying how to add a CA.
fn assert_trusted_only_when_told(target: &Target, results: &[(&str, Output)]) {
    for (how, out) in &results[..3] {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{how}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{how}: {e}: {:?}", out.stdout));
        assert!(
            token["access_token"]
                .as_str()
                .is_some_and(|t| !t.is_empty()),
            "{how}: {token}"
        );
        assert!(
            token["token_type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
            "{how}: {token}"
        );
        assert_eq!(token["scope"], target.scope.as_str(), "{how}: {token}");
    }

    // no CA given: refused as a network/TLS failure, in words, with the fix
    let (_, refused) = &results[3];
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(3), "{stderr}");
    let failure: serde_json::Value = serde_json::from_slice(&refused.stdout)
        .unwrap_or_else(|e| panic!("{e}: {:?}", refused.stdout));
    assert_eq!(failure["exit_code"], 3, "{failure}");
    assert!(failure.get("access_token").is_none(), "{failure}");
    for text in [stderr.as_ref(), failure["error"].as_str().unwrap()] {
        assert!(
            text.contains("TLS with") && text.to_lowercase().contains("certificate"),
            "{text}"
        );
        assert!(
            !text.contains("UnknownIssuer") && !text.contains("OtherError"),
            "no debug form: {text}"
        );
        for fix in ["SSL_CERT_FILE", "caCertificateFile"] {
            assert!(
                text.contains(fix),
                "the error says how to add a CA ({fix}): {text}"
            );
        }
    }
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
    let target = Target {
        token_endpoint: format!("{base}{path}"),
        issuer: base,
        client_id: "cli-app".into(),
        secret: "cli-secret".into(),
        scope: "api.example.com|read".into(),
    };
    let (target, results) = tokio::task::spawn_blocking(move || {
        let results = token_each_way(&target);
        (target, results)
    })
    .await
    .unwrap();
    assert_trusted_only_when_told(&target, &results);
    // the emulator's tokens are JWTs
    let token: serde_json::Value = serde_json::from_slice(&results[0].1.stdout).unwrap();
    assert_eq!(
        token["access_token"].as_str().unwrap().split('.').count(),
        3
    );
}

/// The same against a certified OpenID Provider: oidc-provider's https
/// issuer (`https://localhost:…`, the test CA's leaf), a client
/// authenticating by `client_secret_basic`.
#[test]
fn token_from_oidc_provider_over_tls_with_each_way_of_trusting_its_ca() {
    let p = provider::provider();
    let mtls = &p.info["mtls"];
    let issuer = mtls["issuer"].as_str().unwrap().to_owned();
    assert!(issuer.starts_with("https://localhost:"), "{issuer}");
    let member = |name: &str| mtls["clients"]["secret"][name].as_str().unwrap().to_owned();
    let target = Target {
        token_endpoint: format!("{issuer}/token"),
        issuer,
        client_id: member("id"),
        secret: member("secret"),
        scope: p.info["idaas_scope"].as_str().unwrap().to_owned(),
    };
    let results = token_each_way(&target);
    assert_trusted_only_when_told(&target, &results);
}
