//! `idaas pam …` against the in-process emulator: every subcommand's
//! `--json` shape and exit codes.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use idaas_emulator::{Client, CloudAccountRole, CloudVendor, Emulator, OAuthProvider};
use serde_json::Value;

struct Setup {
    emulator: Arc<Emulator>,
    _dir: tempfile::TempDir,
    config: PathBuf,
}

async fn setup() -> Setup {
    let emulator = Emulator::builder()
        .client(Client::new("cli-app").with_secret("cli-secret"))
        .start()
        .await
        .unwrap();
    emulator.register_api_key("openai-prod", "sk-live-cli");
    emulator.register_oauth_client_credential("github-oauth", "gh-client", "gh-secret");
    emulator.register_jwt_provider("jwt-cp", "https://jwt.example.com");
    emulator.register_oauth_provider(OAuthProvider::m2m("cp-m2m", "files.read"));
    emulator.register_oauth_provider(OAuthProvider::user_federation(
        "cp-google",
        "drive.readonly",
        "https://accounts.example.com/auth",
    ));
    emulator.register_cloud_account_role(CloudAccountRole::new(
        "arn:aws:iam::5678:role/ci",
        CloudVendor::Aws,
        "5678",
    ));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        serde_json::json!({
            "idaasInstanceId": "idaas_cli",
            "clientId": "cli-app",
            "issuer": emulator.base_url(),
            "tokenEndpoint": emulator.token_endpoint(),
            "developerApiEndpoint": emulator.base_url(),
            "authnConfiguration": {"authnMethod": "CLIENT_SECRET_BASIC", "clientSecretEnvVarName": "CLI_SECRET"}
        })
        .to_string(),
    )
    .unwrap();
    Setup {
        emulator: Arc::new(emulator),
        _dir: dir,
        config,
    }
}

fn command(config: &PathBuf, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idaas"));
    cmd.arg("--json")
        .arg("pam")
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("CLOUD_IDAAS_CONFIG_PATH")
        .env("CLI_SECRET", "cli-secret");
    cmd
}

/// Runs `idaas --json pam --config FILE ARGS…` off the runtime's threads.
async fn pam(s: &Setup, args: &[&str]) -> (Option<i32>, Value) {
    let mut cmd = command(&s.config, args);
    let out: Output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: {e}: {} / {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), value)
}

/// `generate-jwt` for `svc-a` by `jwt-cp`, the audience to follow.
const GENERATE: [&str; 6] = [
    "generate-jwt",
    "--provider",
    "jwt-cp",
    "--subject",
    "svc-a",
    "--audience",
];

async fn ok(s: &Setup, args: &[&str]) -> Value {
    let (code, value) = pam(s, args).await;
    assert_eq!(code, Some(0), "{args:?}: {value}");
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_and_the_jwt_lifecycle() {
    let s = setup().await;
    let v = ok(&s, &["get-api-key", "openai-prod"]).await;
    assert_eq!(v["api_key"], "sk-live-cli");
    assert_eq!(v["credential_identifier"], "openai-prod");
    let (code, v) = pam(&s, &["get-api-key", "github-oauth"]).await;
    assert_eq!(
        code,
        Some(1),
        "an OAuth client credential has no API key: {v}"
    );
    assert_eq!(v["api_key"], Value::Null);
    assert!(!v.to_string().contains("gh-secret"));
    let (code, v) = pam(&s, &["get-api-key", "missing"]).await;
    assert_eq!(code, Some(2), "{v}");
    assert_eq!(v["exit_code"], 2);

    let generated = ok(
        &s,
        &[
            &GENERATE[..],
            &[
                "https://api.example.com",
                "--claims",
                r#"{"team":"payments"}"#,
                "--derived-short-token",
            ][..],
        ]
        .concat(),
    )
    .await;
    let jwt = generated["jwt_content"]["jwt"].as_str().unwrap().to_owned();
    let short = generated["jwt_content"]["derived_short_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = generated["authentication_token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(jwt.split('.').count(), 3);
    assert_eq!(generated["consumer_id"], "svc-a");
    assert_eq!(generated["revoked"], false);

    assert_eq!(
        ok(&s, &["validate", &jwt]).await,
        serde_json::json!({"active": true})
    );
    let v = ok(&s, &["revoke", &jwt]).await;
    assert_eq!(v, serde_json::json!({"ok": true, "operation": "revoke"}));
    assert_eq!(
        pam(&s, &["validate", &jwt]).await,
        (Some(1), serde_json::json!({"active": false}))
    );
    assert_eq!(
        ok(&s, &["reinstate", &short]).await["operation"],
        "reinstate"
    );
    ok(&s, &["validate", &short]).await;
    let by_consumer = ["--consumer", "svc-a", "--provider", "jwt-cp"];
    let v = ok(&s, &[&["revoke-by-consumer"][..], &by_consumer].concat()).await;
    assert_eq!(v["operation"], "revoke-by-consumer");
    assert_eq!(pam(&s, &["validate", &jwt]).await.0, Some(1));
    ok(&s, &[&["reinstate-by-consumer"][..], &by_consumer].concat()).await;
    ok(&s, &["validate", &jwt]).await;

    let by_id = ok(
        &s,
        &["obtain-jwt", "--consumer", "svc-a", "--token-id", &id],
    )
    .await;
    assert_eq!(by_id["jwt"], jwt.as_str());
    let by_short = ok(&s, &["obtain-jwt-by-short-token", &short]).await;
    assert_eq!(by_short["jwt"], jwt.as_str());
    assert_eq!(by_short["derived_short_token"], short.as_str());
    assert_eq!(
        pam(&s, &["obtain-jwt-by-short-token", "st_forged"]).await.0,
        Some(2)
    );

    for _ in 0..2 {
        ok(&s, &[&GENERATE[..], &["a"]].concat()).await;
    }
    let page = ok(
        &s,
        &[&["list-tokens", "--max-results", "2"][..], &by_consumer].concat(),
    )
    .await;
    assert_eq!(page["tokens"].as_array().unwrap().len(), 2);
    assert_eq!(page["total_count"], 3);
    let next = page["next_token"].as_str().unwrap().to_owned();
    let rest = ok(
        &s,
        &[
            &["list-tokens", "--max-results", "2", "--next-token", &next][..],
            &by_consumer,
        ]
        .concat(),
    )
    .await;
    assert_eq!(rest["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_token"], Value::Null);
    let all = ok(
        &s,
        &[
            &["list-tokens", "--max-results", "1", "--all"][..],
            &by_consumer,
        ]
        .concat(),
    )
    .await;
    let ids: std::collections::HashSet<_> = all["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["authentication_token_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.contains(&id));
    assert_eq!(all["tokens"][0]["authentication_token_type"], "jwt");
    // usage errors: reserved audience, bad claims
    let reserved = [
        "generate-jwt",
        "--provider",
        "jwt-cp",
        "--subject",
        "s",
        "--audience",
        "urn:cloud:idaas:pam",
    ];
    assert_eq!(pam(&s, &reserved).await.0, Some(2));
    let bad_claims = [&reserved[..6], &["a", "--claims", "[1]"]].concat();
    assert_eq!(pam(&s, &bad_claims).await.0, Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_tokens_sessions_and_polling() {
    let s = setup().await;
    let v = ok(&s, &["fetch-oauth-token", "--provider", "cp-m2m"]).await;
    assert_eq!(v["access_token"].as_str().unwrap().split('.').count(), 3);
    assert_eq!(v["scope"], "files.read");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["authentication_token_type"], "oauth_access_token");
    assert_eq!(v["authorization_session"], Value::Null);

    let (code, v) = pam(&s, &["fetch-oauth-token", "--provider", "cp-google"]).await;
    assert_eq!(
        code,
        Some(2),
        "m2m asked of a user-federation provider: {v}"
    );
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("authorization_flow_mismatch")
    );
    assert_eq!(
        pam(
            &s,
            &["fetch-oauth-token", "--provider", "cp-m2m", "--flow", "3lo"]
        )
        .await
        .0,
        Some(2)
    );
    let pending = ok(
        &s,
        &[
            "fetch-oauth-token",
            "--provider",
            "cp-google",
            "--flow",
            "user_federation",
            "--param",
            "access_type=offline",
        ],
    )
    .await;
    assert_eq!(pending["access_token"], Value::Null);
    let session = &pending["authorization_session"];
    assert_eq!(session["session_status"], "pending");
    assert!(
        session["authorization_url"]
            .as_str()
            .unwrap()
            .contains("access_type=offline")
    );
    let uri = session["session_uri"].as_str().unwrap().to_owned();
    let v = ok(&s, &["get-authorization-session", &uri]).await;
    assert_eq!(v["session_status"], "pending");
    assert_eq!(v["credential_provider_identifier"], "cp-google");
    s.emulator
        .expire_authorization_session(session["session_id"].as_str().unwrap());
    let (code, v) = pam(&s, &["get-authorization-session", &uri]).await;
    assert_eq!(
        (code, v["session_status"].as_str()),
        (Some(1), Some("expired"))
    );

    // poll: the person authorizes once the URL is printed on stderr
    let mut cmd = command(
        &s.config,
        &[
            "poll-oauth-token",
            "--provider",
            "cp-google",
            "--interval-ms",
            "50",
        ],
    );
    let emulator = s.emulator.clone();
    let (out, url) = tokio::task::spawn_blocking(move || {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut url = String::new();
        for line in BufReader::new(child.stderr.take().unwrap()).lines() {
            let line = line.unwrap();
            if let Some((_, found)) = line.split_once("then wait here: ") {
                url = found.to_owned();
                let state = url
                    .split(['?', '&'])
                    .find_map(|p| p.strip_prefix("state="))
                    .unwrap();
                assert!(emulator.complete_authorization_session(state));
                break;
            }
        }
        (child.wait_with_output().unwrap(), url)
    })
    .await
    .unwrap();
    assert!(
        url.starts_with("https://accounts.example.com/auth?"),
        "{url}"
    );
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scope"], "drive.readonly");
    assert_eq!(v["access_token"].as_str().unwrap().split('.').count(), 3);

    // nobody authorizes: the poll gives up, exit 1
    let (code, v) = pam(
        &s,
        &[
            "poll-oauth-token",
            "--provider",
            "cp-google",
            "--force-authentication",
            "--interval-ms",
            "10",
            "--max-retries",
            "2",
        ],
    )
    .await;
    assert_eq!(code, Some(1), "{v}");
    assert!(v["error"].as_str().unwrap().contains("polling_timeout"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_credentials_and_failure_exit_codes() {
    let s = setup().await;
    let v = ok(
        &s,
        &[
            "cloud-credential",
            "--role",
            "arn:aws:iam::5678:role/ci",
            "--duration",
            "900",
        ],
    )
    .await;
    assert_eq!(v["cloud_account_vendor_type"], "aws");
    assert_eq!(v["cloud_account_id"], "5678");
    assert_eq!(v["credential"]["vendor"], "aws");
    assert!(
        v["credential"]["access_key_id"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
    assert!(
        !v["credential"]["secret_access_key"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        v["credential"]["session_token"]
            .as_str()
            .unwrap()
            .split('.')
            .count(),
        3
    );
    assert!(v["access_credential_expires_at"].as_u64().is_some());
    // the narrower scope is enough
    ok(
        &s,
        &[
            "cloud-credential",
            "--role",
            "arn:aws:iam::5678:role/ci",
            "--token-scope",
            "urn:cloud:idaas:pam|cloud_account:obtain_access_credential",
        ],
    )
    .await;
    let role = ["cloud-credential", "--role", "arn:aws:iam::5678:role/ci"];
    // the AWS credential_process shape, for ~/.aws/config
    let process = ok(
        &s,
        &[&role[..], &["--format", "aws-credential-process"]].concat(),
    )
    .await;
    assert_eq!(process["Version"], 1);
    for field in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(
            process[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}: {process}"
        );
    }
    // shell export lines with the variables the AWS tools read
    let mut cmd = command(&s.config, &[&role[..], &["--format", "env"]].concat());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let env = String::from_utf8_lossy(&out.stdout);
    for name in [
        "AWS_ACCESS_KEY_ID='ASIA",
        "AWS_SECRET_ACCESS_KEY='",
        "AWS_SESSION_TOKEN='",
    ] {
        assert!(
            env.lines()
                .any(|l| l.starts_with(&format!("export {name}"))),
            "{name}: {env}"
        );
    }
    assert_eq!(
        pam(&s, &[&role[..], &["--duration", "100"]].concat())
            .await
            .0,
        Some(2)
    );
    assert_eq!(
        pam(&s, &["cloud-credential", "--role", "unknown"]).await.0,
        Some(2)
    );
    // a token without the PAM scope: 403, exit 4
    let (code, v) = pam(
        &s,
        &[&role[..], &["--token-scope", "api.example.com|read"]].concat(),
    )
    .await;
    assert_eq!(code, Some(4), "{v}");
    // nothing listening: exit 3
    let (code, _) = pam(
        &s,
        &[&role[..], &["--endpoint", "http://127.0.0.1:1"]].concat(),
    )
    .await;
    assert_eq!(code, Some(3));
    // a bad client secret: the token request is refused, exit 4
    let mut cmd = command(&s.config, &["validate", "t"]);
    cmd.env("CLI_SECRET", "wrong");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    // no configuration: exit 2
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idaas"));
    cmd.args([
        "pam",
        "--config",
        "/nonexistent/config.json",
        "validate",
        "t",
    ]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // human output
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idaas"));
    cmd.args(["pam", "validate", "forged", "--config"])
        .arg(&s.config)
        .env("CLI_SECRET", "cli-secret");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "inactive");
}
