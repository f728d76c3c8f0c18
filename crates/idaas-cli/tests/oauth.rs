//! The generic OAuth commands against the certified OpenID Provider
//! (oidc-provider, started by the interop harness) and the emulator.

#[path = "../../idaas-oauth/tests/support/mod.rs"]
mod support;

use std::process::{Command, Output};

use idaas_emulator::{Client, Emulator};

fn idaas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_idaas"))
        .args(args)
        .env_remove("IDAAS_CLIENT_SECRET")
        .output()
        .expect("the idaas binary runs")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {} / {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn client_credentials_introspect_revoke_against_oidc_provider() {
    let p = support::provider();
    let issuer = p.issuer();
    let secret = p.client("post", "secret");
    let id = p.client("post", "id");
    let common = [
        "--issuer",
        issuer.as_str(),
        "--client-id",
        id.as_str(),
        "--client-secret",
        secret.as_str(),
    ];
    let with = |cmd: &str, extra: &[&str]| {
        let mut args = vec!["--json", cmd];
        args.extend_from_slice(&common);
        args.extend_from_slice(&["--auth-method", "client_secret_post"]);
        args.extend_from_slice(extra);
        idaas(&args)
    };
    let out = with("client-credentials", &["--scope", "api:read"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = json(&out)["access_token"].as_str().unwrap().to_owned();
    let out = with("introspect", &[&token, "--hint", "access_token"]);
    assert_eq!(out.status.code(), Some(0));
    let info = json(&out);
    assert_eq!(info["active"], true);
    assert_eq!(info["client_id"], id.as_str());
    let out = with("revoke", &[&token]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["revoked"], true);
    let out = with("introspect", &[&token]);
    assert_eq!(out.status.code(), Some(1), "inactive after revocation");
    // with a resource indicator the provider issues a JWT access token
    let resource = p.resource();
    let out = with(
        "client-credentials",
        &["--scope", "api:read", "--resource", &resource],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json(&out)["access_token"]
            .as_str()
            .unwrap()
            .split('.')
            .count(),
        3
    );
    // a wrong secret is an authentication error
    let out = idaas(&[
        "client-credentials",
        "--issuer",
        &issuer,
        "--client-id",
        &id,
        "--client-secret",
        "wrong",
        "--auth-method",
        "client_secret_post",
        "--scope",
        "api:read",
    ]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // usage errors
    let out = idaas(&[
        "client-credentials",
        "--issuer",
        &issuer,
        "--client-id",
        &id,
        "--auth-method",
        "client_secret_post",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_against_the_emulator_by_discovery() {
    let emulator = Emulator::builder()
        .client(Client::new("app").with_secret("s"))
        .start()
        .await
        .unwrap();
    let issuer = emulator.base_url().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        idaas(&[
            "--json",
            "client-credentials",
            "--issuer",
            &issuer,
            "--client-id",
            "app",
            "--client-secret",
            "s",
            "--scope",
            "api|read",
        ])
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["scope"], "api|read");
    assert_eq!(emulator.token_requests("app"), 1);
}
