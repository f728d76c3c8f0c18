//! The commands beyond `config check`: quickstart, token, exchange, scope,
//! decode (and `--verify`), jwks, emulator — exit codes and `--json` shapes.

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
    // no scope at all: a caller without scopes is denied, not a usage error
    let none = idaas(&["scope", "check", "read", "users"], &[]);
    assert_eq!(none.status.code(), Some(1));
}

#[test]
fn scope_check_understands_audiences_and_names_malformed_parts() {
    let check = |args: &[&str]| {
        let mut all = vec!["--json", "scope", "check"];
        all.extend_from_slice(args);
        idaas(&all, &[])
    };
    let scope = ["--scope", "api.example.com|files:read"];
    let with = |extra: &[&str]| {
        let mut args = scope.to_vec();
        args.extend_from_slice(extra);
        check(&args)
    };
    let granted = with(&["--audience", "api.example.com", "read", "files"]);
    assert_eq!(granted.status.code(), Some(0), "{granted:?}");
    assert_eq!(json(&granted)["granted"], true);
    let other = with(&["--audience", "other.example.com", "read", "files"]);
    assert_eq!(other.status.code(), Some(1));
    assert_eq!(
        json(&other)["other_audience"][0],
        "api.example.com|files:read"
    );
    let unsaid = with(&["read", "files"]);
    assert_eq!(unsaid.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unsaid.stderr).contains("--audience api.example.com"));
    for (action, resource, part) in [
        ("read", "users..x", "empty segment"),
        ("read write", "users", "whitespace"),
        ("read", "", "resource is empty"),
    ] {
        let out = check(&["--scope", "users:read", action, resource]);
        assert_eq!(out.status.code(), Some(2), "{action} {resource}");
        let v = json(&out);
        assert!(v["error"].as_str().unwrap().contains(part), "{v}");
    }
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
    assert!(String::from_utf8_lossy(&out.stdout).contains("exp: 2100-01-01T00:00:00Z (in "));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decode_verify_checks_the_signature_with_the_issuers_keys() {
    let emulator = Emulator::builder()
        .client(Client::new("cli-app").with_secret("cli-secret"))
        .start()
        .await
        .unwrap();
    let other = Emulator::builder().start().await.unwrap();
    let token = idaas::oauth::OAuthClient::new(
        std::sync::Arc::new(idaas::http::HyperClient::new(Default::default()).unwrap()),
        "cli-app",
        emulator.token_endpoint(),
        idaas::oauth::ClientAuth::basic("cli-secret"),
    )
    .client_credentials(&idaas::oauth::ClientCredentials::scope(
        "api.example.com|read",
    ))
    .await
    .unwrap()
    .credential
    .access_token
    .expose_secret()
    .to_owned();
    let issuer = emulator.base_url().to_owned();
    let impostor = other.base_url().to_owned();
    let (good, wrong_aud, wrong_issuer, tampered, unverified) =
        tokio::task::spawn_blocking(move || {
            let verify = |token: &str, issuer: &str, extra: &[&str]| {
                let mut args = vec!["--json", "decode", token, "--verify", "--issuer", issuer];
                args.extend_from_slice(extra);
                idaas(&args, &[])
            };
            let mut parts: Vec<&str> = token.split('.').collect();
            let forged = idaas::oauth::jose::b64url(br#"{"sub":"admin","exp":4102444800}"#);
            parts[1] = &forged;
            let tampered = parts.join(".");
            (
                verify(&token, &issuer, &["--audience", "api.example.com"]),
                verify(&token, &issuer, &["--audience", "other.example.com"]),
                verify(&token, &impostor, &[]),
                verify(&tampered, &issuer, &[]),
                idaas(&["--json", "decode", &tampered], &[]),
            )
        })
        .await
        .unwrap();
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let v = json(&good);
    assert_eq!(v["verified"], true);
    assert_eq!(v["claims"]["client_id"], "cli-app");
    for (name, out) in [
        ("wrong audience", &wrong_aud),
        ("another issuer's keys", &wrong_issuer),
        ("tampered claims", &tampered),
    ] {
        assert_eq!(out.status.code(), Some(1), "{name}");
        let v = json(out);
        assert_eq!(v["verified"], false, "{name}");
        assert!(
            v["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{name}"
        );
    }
    // without --verify the forged claims are shown, marked unverified
    assert_eq!(unverified.status.code(), Some(0));
    assert_eq!(json(&unverified)["claims"]["sub"], "admin");
    assert_eq!(json(&unverified)["verified"], false);
    // --verify needs --issuer
    assert_eq!(
        idaas(&["decode", "a.b.c", "--verify"], &[]).status.code(),
        Some(2)
    );
}

#[test]
fn the_emulator_command_serves_until_interrupted() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_idaas"))
        .args([
            "--json",
            "emulator",
            "--client-id",
            "shell-app",
            "--client-secret",
            "shell-secret",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let announced: serde_json::Value = serde_json::from_str(&line).unwrap();
    let base = announced["base_url"].as_str().unwrap();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert_eq!(announced["client_id"], "shell-app");
    let out = idaas(
        &[
            "--json",
            "client-credentials",
            "--issuer",
            base,
            "--client-id",
            "shell-app",
            "--client-secret",
            "shell-secret",
            "--scope",
            "api|read",
        ],
        &[],
    );
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    // bounded: a server that ignores the interrupt is killed and the test fails
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(interrupted, "SIGINT was sent");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["token_type"], "Bearer");
    let status = status.expect("the emulator stops within 10 s of Ctrl-C");
    assert_eq!(status.code(), Some(0), "Ctrl-C stops it cleanly");
}
