//! `idaas config check`: exit codes, field-named errors, redaction, `--json`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/config")
        .join(name)
}

fn idaas(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idaas"));
    cmd.args(args)
        .env_remove("CLOUD_IDAAS_CONFIG_PATH")
        .env_remove("IDAAS_CLIENT_SECRET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the idaas binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_valid_config_prints_redacted_and_exits_0() {
    let file = example("client-secret-post.json");
    let out = idaas(
        &["config", "check", file.to_str().unwrap()],
        &[("IDAAS_CLIENT_SECRET", "SUPER-SECRET-VALUE")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("configuration is valid (CLIENT_SECRET_POST authentication)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"clientSecretEnvVarName\": \"IDAAS_CLIENT_SECRET\""),
        "{stdout}"
    );
    assert!(!stdout.contains("SUPER-SECRET-VALUE"));
}

#[test]
fn json_output_has_a_stable_shape() {
    let file = example("private-key-jwt.json");
    let out = idaas(
        &["--json", "config", "check", file.to_str().unwrap()],
        &[("IDAAS_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(
        v["config"]["authnConfiguration"]["authnMethod"],
        "PRIVATE_KEY_JWT"
    );
    assert_eq!(v["config"]["httpConfiguration"]["connectTimeout"], 5000);
}

#[test]
fn a_missing_env_var_exits_2_naming_the_field() {
    let file = example("client-secret-post.json");
    let out = idaas(&["config", "check", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("authnConfiguration.clientSecretEnvVarName: environment variable IDAAS_CLIENT_SECRET is not set"),
        "{stderr}"
    );
    let out = idaas(&["--json", "config", "check", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exit_code"], 2);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("clientSecretEnvVarName")
    );
}

#[test]
fn config_path_comes_from_the_environment_and_bad_files_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"clientId": 5}"#).unwrap();
    let out = idaas(
        &["config", "check"],
        &[("CLOUD_IDAAS_CONFIG_PATH", bad.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("clientId: expected a string, found a number"),
        "{}",
        text(&out.stderr)
    );
    let out = idaas(&["config", "check", "/nonexistent/idaas.json"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not found at /nonexistent/idaas.json"));
}

#[test]
fn usage_errors_exit_2() {
    let out = idaas(&["config", "frobnicate"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn url_userinfo_is_redacted_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    std::fs::write(
        &file,
        serde_json::json!({
            "idaasInstanceId": "idaas_u",
            "clientId": "c",
            "issuer": "https://alice:pw-in-url@idp.example.com/api/v2/iauths_system/oauth2",
            "tokenEndpoint": "https://alice:pw-in-url@idp.example.com/api/v2/iauths_system/oauth2/token",
            "developerApiEndpoint": "https://bob:key-in-url@eiam-developerapi.example.com",
            "authnConfiguration": {"authnMethod": "CLIENT_SECRET_POST", "clientSecretEnvVarName": "U_SECRET"}
        })
        .to_string(),
    )
    .unwrap();
    for json in [false, true] {
        let mut args = if json { vec!["--json"] } else { vec![] };
        args.extend(["config", "check", file.to_str().unwrap()]);
        let out = idaas(&args, &[("U_SECRET", "s")]);
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(
            !all.contains("pw-in-url") && !all.contains("key-in-url"),
            "{all}"
        );
        assert!(all.contains("https://***@idp.example.com"), "{all}");
    }
}
