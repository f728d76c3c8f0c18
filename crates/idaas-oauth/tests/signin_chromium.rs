//! End to end in a real browser: headless Chromium (through playwright-core,
//! `interop/chromium-login.mjs`) signs in at oidc-provider, lands on our
//! loopback listener, and sees our page; the session is established. Also
//! the FAPI-style flow: a pushed authorization request (RFC 9126) whose URL
//! carries only `client_id` and `request_uri`, and DPoP-bound tokens.
//!
//! Without Chromium the tests fail under `CI` and are skipped otherwise,
//! with a message saying so.

#[allow(dead_code)]
mod support;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idaas_oauth::dpop::{Dpop, DpopKey};
use idaas_oauth::jose::SigningKey;
use idaas_oauth::*;
use serde_json::Value;
use tokio::sync::oneshot;
use url::Url;

const LIMIT: Duration = Duration::from_secs(60);

fn chromium(test: &str) -> Option<PathBuf> {
    let path = PathBuf::from(
        std::env::var_os("IDAAS_CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into()),
    );
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "Chromium is required in CI (install the `chromium` package, or set IDAAS_CHROMIUM)"
    );
    // straight to the process's stderr: the harness captures eprintln! of a
    // passing test, and a skip must not read as a pass
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n*** SKIPPED {test}: no Chromium at {} (install `chromium` or set IDAAS_CHROMIUM); \
         this test did not run ***\n",
        path.display()
    );
    None
}

/// What a Chromium sign-in of alice through `flow` gave: the session, the
/// page she landed on, and the authorization URL she was sent to.
struct SignIn {
    session: Session,
    landing: Value,
    url: String,
}

async fn sign_in(client: &UserClient, flow: LoginFlow, chromium: PathBuf) -> SignIn {
    support::require_node();
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
    let (tx, rx) = oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let flow = flow.open_browser(false).timeout(LIMIT).on_url(move |url| {
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
        let url = url.to_owned();
        tokio::spawn(async move {
            let output = command.output().await.unwrap();
            let _ = tx.send((output, url));
        });
    });
    let session = tokio::time::timeout(LIMIT, client.login(&flow))
        .await
        .expect("the browser sign-in finished in time");
    let (output, url) = rx.await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let session = session.unwrap_or_else(|e| panic!("{e}; the browser said: {stderr}"));
    assert!(output.status.success(), "chromium-login failed: {stderr}");
    let landing: Value = serde_json::from_slice(&output.stdout).unwrap();
    let redirect = landing["url"].as_str().unwrap();
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.contains("/callback?"));
    assert_eq!(landing["title"], "Signed in");
    SignIn {
        session,
        landing,
        url,
    }
}

fn query(url: &str) -> Vec<(String, String)> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

#[tokio::test]
async fn headless_chromium_signs_in_through_the_loopback_listener() {
    let Some(chromium) = chromium("headless_chromium_signs_in_through_the_loopback_listener")
    else {
        return;
    };
    let client = support::user_client("native").await;
    let flow = LoginFlow::new()
        .scopes(["openid", "email", "organizations"])
        .par(Par::Never);
    let SignIn {
        session, landing, ..
    } = sign_in(&client, flow, chromium).await;
    let text = landing["text"].as_str().unwrap();
    assert!(text.contains("Signed in"), "{text}");
    assert!(text.contains("You can close this tab"), "{text}");

    let agent = session.agent();
    assert_eq!(agent.id(), "usr_alice");
    assert_eq!(agent.email(), Some("alice@example.com"));
    assert!(agent.is_owner_of("acme"));
    assert!(!agent.is_expired(Duration::from_secs(60)));
}

#[tokio::test]
async fn code_pkce_par_and_dpop_end_to_end_in_chromium() {
    let Some(chromium) = chromium("code_pkce_par_and_dpop_end_to_end_in_chromium") else {
        return;
    };
    let key = DpopKey::generate();
    // the client must push its requests and gets DPoP-bound tokens only
    let client = support::user_client("par_native")
        .await
        .with_dpop(Dpop::new(key.clone()));
    assert!(
        client.metadata().raw["pushed_authorization_request_endpoint"].is_string(),
        "the provider advertises PAR"
    );
    // offline_access: the provider issues a refresh token only after consent
    let flow = LoginFlow::new()
        .scopes(["openid", "email", "offline_access"])
        .param("prompt", "consent");
    let SignIn { session, url, .. } = sign_in(&client, flow, chromium).await;

    // the browser saw only the client and the pushed request's handle
    let names: Vec<String> = query(&url).into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["client_id", "request_uri"], "{url}");
    let request_uri = &query(&url)[1].1;
    assert!(
        request_uri.starts_with("urn:ietf:params:oauth:request_uri:"),
        "{url}"
    );

    let agent = &*session.agent();
    assert_eq!(agent.id(), "usr_alice");
    // the token works with proofs of the key (userinfo with Authorization: DPoP)
    let info = client.userinfo(agent).await.unwrap();
    assert_eq!(info.sub(), "usr_alice");
    assert_eq!(info.claim_str("email"), Some("alice@example.com"));
    // and only with them: the same client without the key is refused
    let thief = support::user_client("par_native").await;
    assert!(
        thief.userinfo(agent).await.is_err(),
        "a DPoP-bound token is no bearer token"
    );
    // the refreshed token is bound to the same key
    let refreshed = client.refresh(agent).await.unwrap();
    assert_ne!(
        refreshed.access_token().expose_secret(),
        agent.access_token().expose_secret()
    );
    assert_eq!(
        client.userinfo(&refreshed).await.unwrap().sub(),
        "usr_alice"
    );
    assert!(
        thief.refresh(agent).await.is_err(),
        "the refresh token is bound too"
    );
}

#[tokio::test]
async fn a_signed_request_object_front_channel_and_pushed_with_a_signed_response_in_chromium() {
    let Some(chromium) = chromium(
        "a_signed_request_object_front_channel_and_pushed_with_a_signed_response_in_chromium",
    ) else {
        return;
    };
    // the client must sign its requests with the key it registered
    let client = support::user_client("jar_native").await;
    let key = Arc::new(
        SigningKey::from_pem(&std::fs::read_to_string(support::fixture("p256-pkcs8.pem")).unwrap())
            .unwrap(),
    );
    for par in [Par::Never, Par::Always] {
        let flow = LoginFlow::new()
            .scopes(["openid", "email"])
            .request_object(key.clone())
            // pushed, the answer is signed too (JARM)
            .jarm(par == Par::Always)
            .par(par);
        let SignIn {
            session,
            url,
            landing,
        } = sign_in(&client, flow, chromium.clone()).await;
        let names: Vec<String> = query(&url).into_iter().map(|(k, _)| k).collect();
        let expected = match par {
            Par::Never => ["client_id", "request"],
            _ => ["client_id", "request_uri"],
        };
        assert_eq!(names, expected, "{par:?}: {url}");
        assert_eq!(session.agent().id(), "usr_alice", "{par:?}");
        let landing = Url::parse(landing["url"].as_str().unwrap()).unwrap();
        let names: Vec<String> = landing.query_pairs().map(|(k, _)| k.into_owned()).collect();
        let expected: &[&str] = match par {
            Par::Never => &["code", "state", "iss"],
            _ => &["response"],
        };
        assert_eq!(names, expected, "{par:?}: the callback {landing}");
    }
}
