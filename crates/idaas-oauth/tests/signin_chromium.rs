//! End to end in a real browser: headless Chromium (through playwright-core,
//! `interop/chromium-login.mjs`) signs in at oidc-provider, lands on our
//! loopback listener, and sees our page; the session is established.
//!
//! Without Chromium the test fails under `CI` and is skipped otherwise, with
//! a message saying so.

#[allow(dead_code)]
mod support;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idaas_core::http::HyperClient;
use idaas_oauth::*;
use serde_json::Value;
use tokio::sync::oneshot;

const LIMIT: Duration = Duration::from_secs(60);

fn chromium() -> Option<PathBuf> {
    let path = PathBuf::from(
        std::env::var_os("IDAAS_CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into()),
    );
    path.is_file().then_some(path)
}

#[tokio::test]
async fn headless_chromium_signs_in_through_the_loopback_listener() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is required in CI (install the `chromium` package, or set IDAAS_CHROMIUM)"
        );
        eprintln!(
            "SKIPPED headless_chromium_signs_in_through_the_loopback_listener: no Chromium at /usr/bin/chromium (set IDAAS_CHROMIUM)"
        );
        return;
    };
    let p = support::provider();
    let interop = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop");
    assert!(
        interop.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run `npm ci --prefix interop`"
    );
    let account = &p.info["accounts"]["usr_alice"];
    let (login, password) = (
        account["login"].as_str().unwrap().to_owned(),
        account["password"].as_str().unwrap().to_owned(),
    );
    let client = UserClient::discover(
        Arc::new(HyperClient::new(Default::default()).unwrap()),
        &p.issuer(),
        p.client("native", "id"),
        ClientAuth::None,
    )
    .await
    .unwrap();

    let (tx, rx) = oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let flow = LoginFlow::new()
        .scopes(["openid", "email", "organizations"])
        .open_browser(false)
        .timeout(LIMIT)
        .on_url(move |url| {
            let tx = tx.lock().unwrap().take().unwrap();
            let mut command = tokio::process::Command::new("node");
            command
                .arg(interop.join("chromium-login.mjs"))
                .args([url, &login, &password])
                .env("IDAAS_CHROMIUM", &chromium)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true);
            tokio::spawn(async move {
                let output = command.output().await.unwrap();
                let _ = tx.send(output);
            });
        });
    let session = tokio::time::timeout(LIMIT, client.login(&flow))
        .await
        .expect("the browser sign-in finished in time");
    let output = rx.await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let session = session.unwrap_or_else(|e| panic!("{e}; the browser said: {stderr}"));
    assert!(output.status.success(), "chromium-login failed: {stderr}");
    let landing: Value = serde_json::from_slice(&output.stdout).unwrap();

    let redirect = landing["url"].as_str().unwrap();
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.contains("/callback?"));
    assert_eq!(landing["title"], "Signed in");
    let text = landing["text"].as_str().unwrap();
    assert!(text.contains("Signed in"), "{text}");
    assert!(text.contains("You can close this tab"), "{text}");

    let agent = session.agent();
    assert_eq!(agent.id(), "usr_alice");
    assert_eq!(agent.email(), Some("alice@example.com"));
    assert!(agent.is_owner_of("acme"));
    assert!(!agent.is_expired(Duration::from_secs(60)));
}
