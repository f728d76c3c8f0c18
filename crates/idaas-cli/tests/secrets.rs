//! Secrets off argv: every secret-bearing argument takes the value itself
//! (the old form), `-` (stdin), `@FILE` and an `--…-env VAR` form, and the
//! token commands read stdin when the token is omitted. A scripted server
//! records what arrived, so each form is checked by what was sent.
//! Also: the logs at trace level carry no secret; `-vv` shows the
//! transport spans (endpoint, status, duration).

mod support;

use serde_json::json;
use support::{Reply, Server, idaas, serve};

fn server() -> Server {
    serve(vec![
        (
            "/token",
            Reply::json(
                200,
                json!({"access_token": "at-issued", "token_type": "Bearer", "expires_in": 600}),
            ),
        ),
        ("/introspect", Reply::json(200, json!({"active": true}))),
        ("/revoke", Reply::json(200, json!({}))),
        ("/v2/*", Reply::json(200, json!({"active": true}))),
    ])
}

/// One way of giving a secret: extra args, stdin, env.
type Form = (Vec<String>, Option<String>, Vec<(String, String)>);

/// A secret argument: its flag (none for a positional token), its `-env` flag, a value.
struct Secret<'a> {
    flag: Option<&'a str>,
    env_flag: &'a str,
    value: &'a str,
}

/// A positional token (`--token-env`, else stdin).
fn positional(value: &str) -> Secret<'_> {
    Secret {
        flag: None,
        env_flag: "--token-env",
        value,
    }
}

/// The forms of one secret, each carrying `value`.
fn forms(secret: &Secret, dir: &std::path::Path) -> Vec<Form> {
    let Secret {
        flag,
        env_flag,
        value,
    } = *secret;
    let file = dir.join(format!("secret{}", env_flag.len()));
    std::fs::write(&file, format!("{value}\n")).unwrap();
    let given = |v: String| match flag {
        Some(flag) => vec![flag.to_owned(), v],
        None => vec![v],
    };
    let mut all = vec![
        (given(value.to_owned()), None, vec![]),
        (given("-".into()), Some(format!("{value}\n")), vec![]),
        (given(format!("@{}", file.display())), None, vec![]),
        (
            vec![env_flag.to_owned(), "THE_SECRET".into()],
            None,
            vec![("THE_SECRET".to_owned(), value.to_owned())],
        ),
    ];
    if flag.is_none() {
        // a token argument left out is read from stdin
        all.push((vec![], Some(value.to_owned()), vec![]));
    }
    all
}

fn run(args: &[String], stdin: Option<&str>, env: &[(String, String)]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    idaas(&args, stdin, &env)
}

/// Runs `base + form` for every form of the secret and checks that `path`
/// received `needle`.
fn check_forms(
    server: &Server,
    base: &[&str],
    secret: &Secret,
    path: &str,
    needle: &str,
    extra_env: &[(&str, &str)],
) {
    let dir = tempfile::tempdir().unwrap();
    for (form, stdin, mut env) in forms(secret, dir.path()) {
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let before = server.bodies(path).len();
        let mut args: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        args.extend(form.clone());
        let out = run(&args, stdin.as_deref(), &env);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{form:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bodies = server.bodies(path);
        assert!(
            bodies[before..].iter().any(|b| b.contains(needle)),
            "{base:?} {form:?}: {path} got {bodies:?}"
        );
    }
}

#[test]
fn client_secret_forms() {
    let server = server();
    let base = [
        "client-credentials",
        "--issuer",
        &server.base,
        "--client-id",
        "c",
        "--auth-method",
        "client_secret_post",
    ];
    check_forms(
        &server,
        &base,
        &Secret {
            flag: Some("--client-secret"),
            env_flag: "--client-secret-env",
            value: "-s3cr3t",
        },
        "/token",
        "client_secret=-s3cr3t",
        &[],
    );
    // and the $IDAAS_CLIENT_SECRET default
    let out = idaas(&base, None, &[("IDAAS_CLIENT_SECRET", "from-env")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        server
            .bodies("/token")
            .last()
            .unwrap()
            .contains("client_secret=from-env")
    );
}

#[test]
fn token_argument_forms() {
    let server = server();
    for (command, path) in [("introspect", "/introspect"), ("revoke", "/revoke")] {
        let base = [command, "--issuer", &server.base, "--client-id", "c"];
        check_forms(
            &server,
            &base,
            &positional("tok-1"),
            path,
            "token=tok-1",
            &[],
        );
    }
    let base = ["refresh", "--issuer", &server.base, "--client-id", "c"];
    check_forms(
        &server,
        &base,
        &Secret {
            flag: Some("--refresh-token"),
            env_flag: "--refresh-token-env",
            value: "rt-1",
        },
        "/token",
        "refresh_token=rt-1",
        &[],
    );
}

#[test]
fn subject_token_and_pam_token_forms() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let config = support::config_file(dir.path(), &server.base, "S_SECRET");
    let config = config.to_str().unwrap();
    let secret = [("S_SECRET", "s")];
    let base = ["exchange", "--config", config];
    check_forms(
        &server,
        &base,
        &Secret {
            flag: Some("--subject-token"),
            env_flag: "--subject-token-env",
            value: "st-1",
        },
        "/token",
        "subject_token=st-1",
        &secret,
    );
    let validate = "/v2/idaas_s/authenticationTokens/_/actions/validate";
    let base = ["pam", "--config", config, "validate"];
    check_forms(
        &server,
        &base,
        &positional("jwt-1"),
        validate,
        "jwt-1",
        &secret,
    );
}

#[test]
fn decode_reads_stdin_files_and_env() {
    // {"alg":"none"}.{"sub":"u1"}.
    let token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSJ9.";
    let dir = tempfile::tempdir().unwrap();
    for (form, stdin, env) in forms(&positional(token), dir.path()) {
        let mut args = vec!["--json".to_owned(), "decode".to_owned()];
        args.extend(form.clone());
        let out = run(&args, stdin.as_deref(), &env);
        assert_eq!(out.status.code(), Some(0), "{form:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["claims"]["sub"], "u1", "{form:?}");
    }
    // a token near the 64 KiB JWT cap (argv would show it to `ps`): stdin takes it
    let big = format!(
        "eyJhbGciOiJub25lIn0.{}.",
        base64url(&format!("{{\"pad\":\"{}\"}}", "x".repeat(45_000)))
    );
    let out = idaas(&["--json", "decode"], Some(&big), &[]);
    assert_eq!(out.status.code(), Some(0));
    // an unset variable and an empty stdin are usage errors naming the input
    let out = idaas(&["decode", "--token-env", "NOT_SET_ANYWHERE"], None, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOT_SET_ANYWHERE"));
    let out = idaas(&["decode"], Some(""), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard input is empty"));
}

fn base64url(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn logs_show_spans_and_no_secret() {
    let server = server();
    let secret = "cs-known-secret-42";
    let cc = |level: &[&str], env: &[(&str, &str)]| {
        support::client_credentials(level, &server.base, secret, env)
    };
    let out = cc(&["-vv"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let span = stderr
        .lines()
        .find(|l| l.contains("oauth") && l.contains("/token") && l.contains("close"))
        .unwrap_or_else(|| panic!("a closed oauth span for /token: {stderr}"));
    assert!(
        span.contains("status=200") && span.contains("duration_ms="),
        "{span}"
    );
    assert!(
        stderr.contains("http") && stderr.contains("path=/token"),
        "{stderr}"
    );
    for (level, env) in [
        (vec!["--log-level", "trace"], vec![]),
        (vec!["--json", "-vvv"], vec![]),
        (vec![], vec![("RUST_LOG", "trace")]),
    ] {
        let out = cc(&level, &env);
        assert_eq!(out.status.code(), Some(0), "{level:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.lines().count() > 2, "{level:?} logs: {stderr}");
        assert!(
            !stderr.contains(secret),
            "{level:?}: the secret in the logs"
        );
        assert!(
            !stderr.contains("at-issued"),
            "{level:?}: the token in the logs"
        );
        if level.contains(&"--json") {
            for line in stderr.lines() {
                serde_json::from_str::<serde_json::Value>(line)
                    .unwrap_or_else(|e| panic!("{e}: {line}"));
            }
        }
    }
    // a 100 KB opaque token through stdin
    let big = "t".repeat(100_000);
    let out = idaas(
        &["introspect", "--issuer", &server.base, "--client-id", "c"],
        Some(&big),
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        server
            .bodies("/introspect")
            .iter()
            .any(|b| b.contains(&big))
    );
    // the other token commands at trace level: no token in the logs
    for command in ["introspect", "revoke"] {
        let out = idaas(
            &[
                "--log-level",
                "trace",
                command,
                "--issuer",
                &server.base,
                "--client-id",
                "c",
                "--client-secret",
                secret,
                "tok-known-7",
            ],
            None,
            &[],
        );
        assert_eq!(out.status.code(), Some(0), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains(secret) && !stderr.contains("tok-known-7"),
            "{command}: {stderr}"
        );
    }
}
