//! `idaas verify`: an emulator-issued access token checked as a resource
//! server would, with exit codes 0 (accepted) and 1 (refused).

use std::process::Command;
use std::sync::Arc;

use idaas_core::http::HyperClient;
use idaas_emulator::{Client, Emulator};
use idaas_oauth::{ClientAuth, ClientCredentials, OAuthClient};

fn verify(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_idaas"))
        .arg("verify")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[tokio::test]
async fn verify_accepts_refuses_and_prints_the_principal() {
    let idp = Emulator::builder()
        .client(Client::new("app").with_secret("s3cret"))
        .start()
        .await
        .unwrap();
    let http = Arc::new(HyperClient::new(Default::default()).unwrap());
    let client = OAuthClient::new(
        http,
        "app",
        idp.token_endpoint(),
        ClientAuth::basic("s3cret"),
    );
    let token = client
        .client_credentials(&ClientCredentials::scope("api://svc|projects:**"))
        .await
        .unwrap()
        .credential
        .access_token;
    let token = token.expose_secret().to_owned();
    let issuer = idp.base_url().to_owned();
    let base = ["--issuer", &issuer, "--audience", "api://svc"];
    let run = |extra: &[&str]| {
        let mut args = vec![token.as_str()];
        args.extend_from_slice(&base);
        args.extend_from_slice(extra);
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            verify(&args.iter().map(String::as_str).collect::<Vec<_>>())
        })
    };
    let (code, out) = run(&["--require", "projects.tasks:write", "--json"])
        .await
        .unwrap();
    assert_eq!(code, 0, "{out}");
    let principal: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(principal["client_id"], "app");
    assert_eq!(principal["scopes"], serde_json::json!(["projects:**"]));
    let (code, out) = run(&["--require", "users:read", "--json"]).await.unwrap();
    assert_eq!(code, 1);
    let refusal: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(refusal["error"], "insufficient_scope");
    let (code, _) = run(&["--audience", "api://other"]).await.unwrap();
    assert_eq!(code, 0, "any of the audiences");
    let (code, out) = run(&[]).await.unwrap();
    assert_eq!(code, 0);
    assert!(out.starts_with("valid: subject app"), "{out}");
    let (code, _) = tokio::task::spawn_blocking(move || {
        verify(&["x.y.z", "--issuer", &issuer, "--audience", "api://svc"])
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "a malformed token");
    idp.stop().await;
}
