//! A hostile server: ESC/OSC/CSI/C1/bidi sequences and a 100 KB
//! description in every server-text field (OAuth error, PAM error, device
//! authorization). Whatever the command and mode, the CLI's stdout and
//! stderr hold no raw control character and no line over the cap.

mod support;

use serde_json::json;
use support::{Reply, idaas, raw_control, serve};

/// 1,000 characters per field, a few fields per line, 4,000 at most.
const LINE_LIMIT: usize = 4_000;

fn hostile(tag: &str) -> String {
    format!(
        "{tag}\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31m\u{9b}1m\u{202e}txt\u{2066}\r\n\u{7f}{}",
        "A".repeat(100_000)
    )
}

fn assert_clean(what: &str, out: &std::process::Output) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        if let Some(c) = raw_control(&text) {
            panic!(
                "{what}: raw {c:?} on {stream}: {}",
                &text[..text.len().min(300)]
            );
        }
        for line in text.lines() {
            assert!(
                line.chars().count() <= LINE_LIMIT,
                "{what}: a {}-character line on {stream}",
                line.chars().count()
            );
        }
    }
    let all = String::from_utf8_lossy(&out.stderr);
    assert!(
        all.contains("more bytes)"),
        "{what}: the cap is said: {all}"
    );
}

fn oauth_error() -> Reply {
    Reply::json(
        400,
        json!({"error": hostile("invalid_client"), "error_description": hostile("d"), "error_uri": hostile("u")}),
    )
}

#[test]
fn oauth_errors_are_escaped_and_capped() {
    let server = serve(vec![
        ("/token", oauth_error()),
        ("/introspect", oauth_error()),
    ]);
    for json in [false, true] {
        let before: &[&str] = if json { &["--json"] } else { &[] };
        let out = support::client_credentials(before, &server.base, "s", &[]);
        assert_eq!(out.status.code(), Some(4), "{out:?}");
        assert_clean("client-credentials", &out);
        if json {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["exit_code"], 4);
        }
        let mut args: Vec<&str> = if json { vec!["--json"] } else { vec![] };
        args.extend([
            "introspect",
            "--issuer",
            &server.base,
            "--client-id",
            "c",
            "tok",
        ]);
        let out = idaas(&args, None, &[]);
        assert_clean("introspect", &out);
    }
}

#[test]
fn device_authorization_fields_are_escaped_and_capped() {
    let server = serve(vec![
        (
            "/device",
            Reply::json(
                200,
                json!({
                    "device_code": "dc",
                    "user_code": hostile("code"),
                    "verification_uri": format!("http://127.0.0.1/{}", hostile("uri")),
                    "verification_uri_complete": format!("http://127.0.0.1/{}", hostile("complete")),
                    "expires_in": 60,
                    "interval": 1,
                }),
            ),
        ),
        (
            "/token",
            Reply::json(
                400,
                json!({"error": "access_denied", "error_description": hostile("denied")}),
            ),
        ),
    ]);
    let device = format!("{}/device", server.base);
    let token = format!("{}/token", server.base);
    for json in [false, true] {
        let mut args: Vec<&str> = if json { vec!["--json"] } else { vec![] };
        args.extend([
            "device",
            "--device-endpoint",
            &device,
            "--token-endpoint",
            &token,
        ]);
        args.extend(["--client-id", "c"]);
        let out = idaas(&args, None, &[]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert_clean("device", &out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("\\u{1b}]0;pwned"),
            "escaped, not dropped: {}",
            &stderr[..400]
        );
    }
}

#[test]
fn pam_errors_are_escaped_and_capped() {
    let server = serve(vec![
        (
            "/token",
            Reply::json(
                200,
                json!({"access_token": "at", "token_type": "Bearer", "expires_in": 600}),
            ),
        ),
        (
            "/v2/*",
            Reply::json(
                400,
                json!({"error": hostile("Bad"), "error_description": hostile("d"), "request_id": hostile("r")}),
            ),
        ),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let config = support::config_file(dir.path(), &server.base, "H_SECRET");
    let config = config.to_str().unwrap();
    for json in [false, true] {
        let mut args: Vec<&str> = if json { vec!["--json"] } else { vec![] };
        args.extend(["pam", "--config", config, "get-api-key", "k"]);
        let out = idaas(&args, None, &[("H_SECRET", "s")]);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        assert_clean("pam get-api-key", &out);
    }
}
