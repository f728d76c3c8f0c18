//! The commands beyond `config check`: quickstart, token, scope, decode —
//! exit codes and `--json` shapes.

use std::process::{Command, Output};

use idaas_emulator::{Client, Emulator};

fn idaas(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idaas"));
    cmd.args(args).env_remove("CLOUD_IDAAS_CONFIG_PATH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the idaas binary runs")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn quickstart_walks_through_every_step() {
    let out = idaas(&["quickstart"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for step in [
        "client_secret_post",
        "from the cache",
        "private_key_jwt",
        "token exchange",
        "scope check",
        "All steps passed",
    ] {
        assert!(text.contains(step), "{step}: {text}");
    }
    let out = idaas(&["--json", "quickstart"], &[]);
    let v = json(&out);
    assert_eq!(v["ok"], true);
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 7);
    assert_eq!(
        steps[5]["data"]["validations"],
        serde_json::json!([true, false, true])
    );
    assert_eq!(steps[1]["data"]["same_token"], true);
    assert_eq!(steps[1]["data"]["token_requests"], 1);
    assert_eq!(
        steps[3]["data"]["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
}

#[test]
fn scope_check_exit_codes() {
    let granted = idaas(
        &[
            "scope",
            "check",
            "--scope",
            "projects:**",
            "read",
            "projects.tasks",
        ],
        &[],
    );
    assert_eq!(granted.status.code(), Some(0));
    let denied = idaas(
        &[
            "scope",
            "check",
            "--scope",
            "projects:*",
            "read",
            "projects.tasks",
        ],
        &[],
    );
    assert_eq!(denied.status.code(), Some(1));
    let out = idaas(
        &[
            "--json",
            "scope",
            "check",
            "--scope",
            "a:b:c",
            "--scope",
            "users:read",
            "read",
            "users",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["granted"], true);
    assert_eq!(v["malformed"].as_array().unwrap().len(), 1);
    assert_eq!(
        idaas(&["scope", "check", "read", "users"], &[])
            .status
            .code(),
        Some(2),
        "usage"
    );
}

#[test]
fn decode_shows_claims_and_rejects_garbage() {
    // {"alg":"none"}.{"sub":"u1","exp":4102444800}.
    let token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSIsImV4cCI6NDEwMjQ0NDgwMH0.";
    let out = idaas(&["--json", "decode", token], &[]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["claims"]["sub"], "u1");
    assert_eq!(v["verified"], false);
    let out = idaas(&["decode", token], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("exp: 4102444800 (in "));
    assert_eq!(idaas(&["decode", "not-a-jwt"], &[]).status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_from_a_config_file_and_auth_errors_exit_4() {
    let emulator = Emulator::builder()
        .client(Client::new("cli-app").with_secret("cli-secret"))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    std::fs::write(
        &file,
        serde_json::json!({
            "idaasInstanceId": "idaas_cli",
            "clientId": "cli-app",
            "issuer": emulator.base_url(),
            "tokenEndpoint": emulator.token_endpoint(),
            "scope": "api.example.com|read",
            "authnConfiguration": {"authnMethod": "CLIENT_SECRET_BASIC", "clientSecretEnvVarName": "CLI_SECRET"}
        })
        .to_string(),
    )
    .unwrap();
    let path = file.to_str().unwrap().to_owned();
    let ok = tokio::task::spawn_blocking({
        let path = path.clone();
        move || {
            idaas(
                &["--json", "token", "--config", &path],
                &[("CLI_SECRET", "cli-secret")],
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let v = json(&ok);
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["scope"], "api.example.com|read");
    assert_eq!(v["access_token"].as_str().unwrap().split('.').count(), 3);
    let subject = v["access_token"].as_str().unwrap().to_owned();
    let exchanged = tokio::task::spawn_blocking({
        let path = path.clone();
        move || {
            idaas(
                &[
                    "--json",
                    "exchange",
                    "--config",
                    &path,
                    "--subject-token",
                    &subject,
                    "--scope",
                    "pam.example.com|.all",
                ],
                &[("CLI_SECRET", "cli-secret")],
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(
        exchanged.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&exchanged.stderr)
    );
    assert_eq!(
        json(&exchanged)["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    let bad_subject = tokio::task::spawn_blocking({
        let path = path.clone();
        move || {
            idaas(
                &["exchange", "--config", &path, "--subject-token", "forged"],
                &[("CLI_SECRET", "cli-secret")],
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(
        bad_subject.status.code(),
        Some(4),
        "invalid_grant is an auth error"
    );
    let denied = tokio::task::spawn_blocking({
        let path = path.clone();
        move || idaas(&["token", "--config", &path], &[("CLI_SECRET", "wrong")])
    })
    .await
    .unwrap();
    assert_eq!(
        denied.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&denied.stderr)
    );
    assert!(String::from_utf8_lossy(&denied.stderr).contains("invalid_client"));
    let unset = tokio::task::spawn_blocking(move || idaas(&["token", "--config", &path], &[]))
        .await
        .unwrap();
    assert_eq!(unset.status.code(), Some(2));
    let port = emulator.base_url().rsplit(':').next().unwrap().to_owned();
    emulator.stop().await;
    // the server is gone: a network error
    let gone = tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.json");
        std::fs::write(
            &file,
            format!(
                r#"{{"idaasInstanceId":"i","clientId":"c","issuer":"http://127.0.0.1:{port}","tokenEndpoint":"http://127.0.0.1:{port}/oauth2/token",
                "authnConfiguration":{{"authnMethod":"CLIENT_SECRET_POST","clientSecretEnvVarName":"S"}}}}"#
            ),
        )
        .unwrap();
        idaas(&["token", "--config", file.to_str().unwrap()], &[("S", "s")])
    })
    .await
    .unwrap();
    assert_eq!(
        gone.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&gone.stderr)
    );
}

#[test]
fn jwks_publishes_public_keys_only() {
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../idaas-oauth/tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    for file in ["p256-pkcs8.pem", "ed25519-pkcs8.pem", "rsa2048-public.pem"] {
        std::fs::copy(fixtures.join(file), dir.path().join(file)).unwrap();
    }
    let out = idaas(&["jwks", "--keys", dir.path().to_str().unwrap()], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "the public key file is skipped");
    assert!(
        keys.iter()
            .all(|k| k.get("d").is_none() && k["kid"].is_string())
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped"));
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(
        idaas(&["jwks", "--keys", empty.path().to_str().unwrap()], &[])
            .status
            .code(),
        Some(2)
    );
}
