//! The exit-code map end to end: a scripted provider answers each failure
//! a real network brings, and `idaas` exits as docs/cli.md says. The
//! default retries as `idaas token` sees them: 2 × 503 then 200 is a
//! success after 3 requests, a 429 with `Retry-After` is waited for, an
//! `invalid_client` is one request. Also: a closed stdout (EPIPE → 0,
//! quietly), a full disk (ENOSPC → 3, one line), usage errors under
//! `--json`.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;
use support::{Reply, idaas, serve, serve_in_turn};

/// `idaas token --config …` (client `c`, `client_secret_post`) against a
/// token endpoint answering `replies` in turn; the server, to count what
/// it saw.
fn token_in_turn(replies: Vec<Reply>) -> (std::process::Output, support::Server) {
    let server = serve_in_turn(vec![("/token", replies)]);
    let dir = tempfile::tempdir().unwrap();
    let config = support::config_file(dir.path(), &server.base, "T_SECRET");
    let out = idaas(
        &["token", "--config", config.to_str().unwrap()],
        None,
        &[("T_SECRET", "s")],
    );
    (out, server)
}

fn granted() -> Reply {
    Reply::json(
        200,
        json!({"access_token": "at-after-retries", "token_type": "Bearer", "expires_in": 600}),
    )
}

fn assert_token(out: &std::process::Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{what}: {stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "at-after-retries",
        "{what}"
    );
}

#[test]
fn token_succeeds_after_two_503s_in_three_requests() {
    let (out, server) = token_in_turn(vec![
        Reply::json(503, json!({"error": "temporarily_unavailable"})),
        Reply::text(503, ""),
        granted(),
    ]);
    assert_token(&out, "2 × 503 then 200");
    assert_eq!(server.arrivals("/token").len(), 3, "exactly 3 requests");
    assert!(
        server
            .bodies("/token")
            .iter()
            .all(|b| b.contains("grant_type=client_credentials")),
        "the same request each time"
    );
    // a server that stays down: 3 attempts, then exit 3 (network or server)
    let (out, server) = token_in_turn(vec![Reply::text(503, "")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("HTTP 503"), "{stderr}");
    assert_eq!(server.arrivals("/token").len(), 3, "at most 3 attempts");
}

#[test]
fn token_waits_for_retry_after_of_a_429() {
    let (out, server) = token_in_turn(vec![
        Reply::text(429, "").header("Retry-After", "2"),
        granted(),
    ]);
    assert_token(&out, "429 Retry-After: 2 then 200");
    let arrivals = server.arrivals("/token");
    assert_eq!(arrivals.len(), 2, "one retry");
    let waited = arrivals[1] - arrivals[0];
    assert!(
        waited >= Duration::from_secs(2),
        "the second request {waited:?} after the first"
    );
}

#[test]
fn token_refused_by_invalid_client_is_one_request() {
    let (out, server) = token_in_turn(vec![
        Reply::json(
            400,
            json!({"error": "invalid_client", "error_description": "unknown client"}),
        ),
        granted(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "credentials refused: {stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("invalid_client"), "{stderr}");
    assert_eq!(server.arrivals("/token").len(), 1, "never retried");
}

fn client_credentials(token: Reply) -> (std::process::Output, String) {
    let server = serve(vec![("/token", token)]);
    let out = support::client_credentials(&["--json"], &server.base, "s", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stderr)
}

#[test]
fn token_endpoint_failures_exit_as_documented() {
    let error = |status, code: &str| {
        Reply::json(
            status,
            json!({"error": code, "error_description": "scripted"}),
        )
    };
    let cases: Vec<(&str, Reply, i32)> = vec![
        (
            "503 temporarily_unavailable",
            error(503, "temporarily_unavailable"),
            3,
        ),
        ("500 with invalid_client", error(500, "invalid_client"), 3),
        ("429 with an OAuth body", error(429, "slow_down"), 3),
        ("503 without a body", Reply::text(503, ""), 3),
        ("502 HTML", Reply::text(502, "<html>bad gateway</html>"), 3),
        ("200 not JSON", Reply::text(200, "<html>login</html>"), 3),
        ("invalid_client", error(401, "invalid_client"), 4),
        ("invalid_grant", error(400, "invalid_grant"), 4),
        ("unauthorized_client", error(400, "unauthorized_client"), 4),
        ("access_denied", error(400, "access_denied"), 1),
        ("invalid_scope", error(400, "invalid_scope"), 2),
        ("invalid_target", error(400, "invalid_target"), 2),
    ];
    for (what, reply, expected) in cases {
        let (out, stderr) = client_credentials(reply);
        assert_eq!(out.status.code(), Some(expected), "{what}: {stderr}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{what}: {e}: {:?}", out.stdout));
        assert_eq!(v["exit_code"], expected, "{what}");
        assert!(!stderr.contains("backoff"), "{what}: {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    }
}

#[test]
fn network_and_usage_failures_exit_as_documented() {
    // nobody listens: connect refused → 3
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = format!("http://127.0.0.1:{port}");
    let run = |issuer: &str| {
        idaas(
            &["client-credentials", "--issuer", issuer, "--client-id", "c"],
            None,
            &[],
        )
    };
    assert_eq!(run(&refused).status.code(), Some(3));
    // plain http to a host that is not loopback is a usage error, before any request
    let out = run("http://idp.example.com");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("https"));
    // a flag clap refuses, under --json: {"error", "exit_code": 2}
    let out = idaas(&["--json", "token", "--no-such-flag"], None, &[]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exit_code"], 2);
    assert!(
        v["error"].as_str().unwrap().contains("--no-such-flag"),
        "{v}"
    );
    // help lists the exit codes
    let out = idaas(&["--help"], None, &[]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("Exit codes:") && help.contains("4  credentials refused"),
        "{help}"
    );
}

fn token_server() -> support::Server {
    serve(vec![(
        "/token",
        Reply::json(
            200,
            json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 600}),
        ),
    )])
}

/// `idaas client-credentials` of the token server, which prints a token.
fn token_command(server: &support::Server) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_idaas"));
    command
        .args(["client-credentials", "--issuer", &server.base])
        .args(["--client-id", "c", "--client-secret", "s"]);
    command
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let server = token_server();
    let mut child = token_command(&server)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -c0`: the reader is gone before the token is written
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "quietly: {stderr}");

    // and `idaas token | head -c0` through a real shell pipeline
    let dir = tempfile::tempdir().unwrap();
    let config = support::config_file(dir.path(), &server.base, "P_SECRET");
    let script = format!(
        "P_SECRET=s {} token --config {} | head -c0; echo ${{PIPESTATUS[0]}}",
        env!("CARGO_BIN_EXE_idaas"),
        config.display()
    );
    let out = Command::new("bash").args(["-c", &script]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn a_full_disk_exits_3_with_one_line() {
    let server = token_server();
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not on Linux
    };
    let out = token_command(&server)
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot write the output"), "{stderr}");
}

#[test]
fn a_ca_file_that_does_not_parse_is_a_usage_error() {
    let server = token_server();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("not-a-ca.pem");
    std::fs::write(&bad, "this is no certificate\n").unwrap();
    let bad = bad.to_str().unwrap();
    let cc = |extra: &[&str]| {
        let mut args = vec![
            "client-credentials",
            "--issuer",
            &server.base,
            "--client-id",
            "c",
        ];
        args.extend(extra);
        support::idaas(&args, None, &[])
    };
    let out = cc(&["--ca-file", bad]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not-a-ca.pem"), "names the file: {stderr}");
    // the same for a command that reads a configuration
    let config = support::config_file(dir.path(), &server.base, "C_SECRET");
    let out = support::idaas(
        &[
            "token",
            "--config",
            config.to_str().unwrap(),
            "--ca-file",
            bad,
        ],
        None,
        &[("C_SECRET", "s")],
    );
    assert_eq!(out.status.code(), Some(2));
    // --insecure warns loudly, once per client
    let out = cc(&["--client-secret", "s", "--insecure"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("WARNING: --insecure"), "{stderr}");
}
