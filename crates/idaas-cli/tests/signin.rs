//! `idaas login`, `userinfo`, `logout-url` and `device` against
//! oidc-provider: the binary prints the authorization URL (or the device
//! code), the scripted browser signs in (and approves the code), and the
//! session goes to the token store (or the token to stdout).

#[allow(dead_code)]
#[path = "../../idaas-oauth/tests/support/browser.rs"]
mod browser;
#[path = "support/mod.rs"]
mod cli_support;
#[allow(dead_code)]
#[path = "../../idaas-oauth/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use browser::Browser;

fn idaas(store: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_idaas"));
    command
        .args(args)
        .env("IDAAS_TOKEN_STORE_DIR", store)
        .env("BROWSER", "/bin/false")
        .env_remove("IDAAS_CLIENT_SECRET");
    command
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn login_then_userinfo_and_logout_url() {
    let p = support::provider();
    let issuer = p.issuer();
    let client_id = p.client("native", "id");
    let account = &p.info["accounts"]["usr_alice"];
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("tokens");
    let common = [
        "--issuer",
        issuer.as_str(),
        "--client-id",
        client_id.as_str(),
    ];

    // nothing stored yet: an authentication failure with advice
    let out = idaas(&store, &[&["--json", "userinfo"][..], &common].concat())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        json(&out)["error"]
            .as_str()
            .unwrap()
            .contains("idaas login")
    );

    let port = free_port();
    let port_arg = port.to_string();
    let mut args = vec!["--json", "login", "--no-browser", "--port", &port_arg];
    args.extend_from_slice(&common);
    args.extend_from_slice(&[
        "--scope",
        "openid",
        "--scope",
        "email",
        "--scope",
        "organizations",
    ]);
    let mut child = idaas(&store, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.trim().strip_prefix("http://") {
                let _ = tx.send(format!("http://{url}"));
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("idaas login printed the authorization URL");
    let redirect = format!("http://127.0.0.1:{port}/callback");
    // oidc-provider advertises PAR: the parameters (redirect_uri with our
    // port, PKCE…) were pushed, the URL carries only their request_uri
    assert!(
        url.contains("request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A")
            && !url.contains("code_challenge"),
        "{url}"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let landing = runtime.block_on(async {
        Browser::new(
            account["login"].as_str().unwrap(),
            account["password"].as_str().unwrap(),
        )
        .drive(&url, &redirect, true)
        .await
    });
    assert!(landing.body.contains("Signed in"), "{landing:?}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let signed_in = json(&out);
    assert_eq!(signed_in["sub"], "usr_alice");
    assert_eq!(signed_in["email"], "alice@example.com");
    assert_eq!(signed_in["organizations"][0]["id"], "acme");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("eyJ"),
        "no token on stdout"
    );

    let out = idaas(&store, &[&["--json", "userinfo"][..], &common].concat())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let info = json(&out);
    assert_eq!(info["sub"], "usr_alice");
    assert_eq!(info["email"], "alice@example.com");
    // tokens are stored per scope set: the login's scopes find it (any
    // order), others do not
    let with_scopes = |scopes: &[&str]| {
        let mut args = vec!["--json", "userinfo"];
        args.extend_from_slice(&common);
        for scope in scopes {
            args.extend_from_slice(&["--scope", scope]);
        }
        idaas(&store, &args).output().unwrap()
    };
    let out = with_scopes(&["organizations", "openid", "email"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(json(&out)["sub"], "usr_alice");
    let out = with_scopes(&["openid"]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(
        json(&out)["error"]
            .as_str()
            .unwrap()
            .contains("with scopes")
    );

    let out = idaas(
        &store,
        &[
            &["--json", "logout-url"][..],
            &common,
            &[
                "--post-logout-redirect-uri",
                "http://127.0.0.1:9/logged-out",
                "--state",
                "s-1",
            ],
        ]
        .concat(),
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let logout = json(&out);
    assert_eq!(logout["id_token_hint"], true);
    let url = url::Url::parse(logout["url"].as_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "s-1");
    assert_eq!(q["client_id"], client_id);
    assert!(q["id_token_hint"].starts_with("eyJ"));

    // usage errors: exit 2
    let out = idaas(&store, &["login", "--client-id", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // an unreachable issuer: exit 3
    let dead = format!("http://127.0.0.1:{}", free_port());
    let out = idaas(&store, &["userinfo", "--issuer", &dead, "--client-id", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
}

#[test]
fn device_sign_in_approved_by_the_scripted_browser() {
    let p = support::provider();
    let issuer = p.issuer();
    let client_id = p.client("native", "id");
    let account = &p.info["accounts"]["usr_bob"];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let metadata = cli_support::discover(&issuer);
    let device_endpoint = metadata
        .raw
        .get("device_authorization_endpoint")
        .and_then(|v| v.as_str())
        .expect("oidc-provider offers the device flow")
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    let mut child = idaas(
        dir.path(),
        &[
            "--json",
            "device",
            "--device-endpoint",
            &device_endpoint,
            "--token-endpoint",
            &metadata.token_endpoint,
            "--client-id",
            &client_id,
            "--scope",
            "openid email",
            "--no-qr",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // under --json, the code comes as one JSON line on stderr
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && let (Some(u), Some(c)) =
                    (v["verification_uri"].as_str(), v["user_code"].as_str())
            {
                let _ = tx.send((u.to_owned(), c.to_owned()));
            }
        }
    });
    let (uri, code) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("idaas device showed the URL and the code");
    // the person opens the URL on another device and enters the code
    let landing = runtime.block_on(async {
        let url = format!("{uri}?user_code={code}");
        Browser::new(
            account["login"].as_str().unwrap(),
            account["password"].as_str().unwrap(),
        )
        .drive(&url, &format!("{uri}/never"), false)
        .await
    });
    assert!(landing.body.contains("Device signed in"), "{landing:?}");
    // bounded: a client that never sees the approval is killed and the test fails
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let token = json(&out);
    assert!(
        token["access_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(token["token_type"], "Bearer");
}
