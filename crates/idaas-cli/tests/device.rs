//! `idaas device`: the code is shown (one JSON line on stderr under
//! `--json`; plain lines, no QR code and no spinner when stderr is not a
//! terminal), a person approves, the token is printed; then `idaas refresh`
//! renews it with the refresh token.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use idaas_emulator::{Client, Emulator};

async fn run_device(approve: bool, json: bool) -> (Option<i32>, String, String, Emulator) {
    let emulator = Emulator::builder()
        .client(Client::new("cli-public"))
        .device_interval(1)
        .start()
        .await
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_idaas"))
        .args(if json { &["--json"][..] } else { &[] })
        .args([
            "device",
            "--device-endpoint",
            &emulator.device_authorization_endpoint(),
            "--token-endpoint",
            &emulator.token_endpoint(),
            "--client-id",
            "cli-public",
            "--scope",
            "openid api|read",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (code_tx, code_rx) = std::sync::mpsc::channel();
    // read stderr to the end (the code first, then the QR code and the spinner)
    let reader = std::thread::spawn(move || {
        let mut shown = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap_or_default();
            if let Some(code) = line.strip_prefix("and enter the code:  ") {
                let _ = code_tx.send(code.trim().to_owned());
            }
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && let Some(code) = v["user_code"].as_str()
            {
                let _ = code_tx.send(code.to_owned());
            }
            shown.push_str(&line);
            shown.push('\n');
        }
        shown
    });
    let code = tokio::task::spawn_blocking(move || {
        code_rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("a code is shown")
    })
    .await
    .unwrap();
    if approve {
        assert!(emulator.approve_device(&code));
    } else {
        assert!(emulator.deny_device(&code));
    }
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let shown = reader.join().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        shown,
        emulator,
    )
}

fn refresh(issuer: &str, refresh_token: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_idaas"))
        .args([
            "--json",
            "refresh",
            "--issuer",
            issuer,
            "--client-id",
            "cli-public",
            "--refresh-token",
            refresh_token,
        ])
        .env_remove("IDAAS_CLIENT_SECRET")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved_sign_in_prints_the_token() {
    let (status, stdout, shown, emulator) = run_device(true, true).await;
    assert_eq!(status, Some(0), "{stdout}");
    let first_line: serde_json::Value =
        serde_json::from_str(shown.lines().next().unwrap()).unwrap();
    assert!(
        first_line["verification_uri"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:"),
        "{shown}"
    );
    for field in ["verification_uri_complete", "expires_in", "interval"] {
        assert!(!first_line[field].is_null(), "{field}: {shown}");
    }
    assert!(
        !shown.contains('█') && !shown.contains('▀') && !shown.contains('\r'),
        "no QR code, no spinner into a pipe: {shown}"
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["scope"], "openid api|read");
    let first = v["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();

    // `idaas refresh` (public client, endpoints by discovery): a new access
    // token and a rotated refresh token; the used one is then refused (exit 4)
    let issuer = emulator.base_url().to_owned();
    let (renewed, replayed) = tokio::task::spawn_blocking(move || {
        let renewed = refresh(&issuer, &first);
        (renewed, refresh(&issuer, &first))
    })
    .await
    .unwrap();
    assert_eq!(
        renewed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&renewed.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&renewed.stdout).unwrap();
    assert_ne!(r["access_token"], v["access_token"]);
    assert!(r["refresh_token"].is_string());
    assert_ne!(r["refresh_token"], v["refresh_token"]);
    assert_eq!(replayed.status.code(), Some(4));
    let e: serde_json::Value = serde_json::from_slice(&replayed.stdout).unwrap();
    assert!(
        e["error"].as_str().unwrap().contains("invalid_grant"),
        "{e}"
    );
    assert_eq!(e["exit_code"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_sign_in_exits_1() {
    let (status, stdout, _, _emulator) = run_device(false, true).await;
    assert_eq!(status, Some(1));
    assert!(stdout.contains("access_denied"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipe_gets_plain_lines() {
    let (status, stdout, shown, _emulator) = run_device(true, false).await;
    assert_eq!(status, Some(0), "{shown}");
    assert!(
        shown.contains("To sign in, open http://127.0.0.1:"),
        "{shown}"
    );
    assert!(
        shown.contains("waiting for approval…\nsigned in\n"),
        "{shown}"
    );
    assert!(!shown.contains('\r') && !shown.contains('▀'), "{shown}");
    assert!(!stdout.trim().is_empty());
}
