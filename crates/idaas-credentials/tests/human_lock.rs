//! Two processes refreshing one human credential spend its refresh token
//! once, against oidc-provider's refresh-token rotation and reuse detection
//! (a rotated refresh token presented again revokes the whole grant, so a
//! second spend would force the person to sign in again).
//!
//! The processes are this test binary run again (`child_refreshes_once`,
//! ignored unless run as a child); they start at the same instant, and a
//! child that would have to ask the person fails.

#[allow(dead_code)]
#[path = "../../idaas-oauth/tests/support/browser.rs"]
mod browser;
#[allow(dead_code)]
#[path = "../../idaas-oauth/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use browser::Browser;
use idaas_core::config::{ClientConfig, IdentityType, MapEnv, SecretSource};
use idaas_credentials::*;

const CHILD_ISSUER: &str = "IDAAS_TEST_CHILD_ISSUER";
const CHILD_CACHE: &str = "IDAAS_TEST_CHILD_CACHE";
const CHILD_START_MS: &str = "IDAAS_TEST_CHILD_START_MS";
/// Every wait here is bounded by this.
const LIMIT: Duration = Duration::from_secs(60);

fn config(issuer: &str) -> ClientConfig {
    ClientConfig::builder()
        .idaas_instance_id("idaas_test")
        .client_id("human-app")
        .issuer(issuer)
        .token_endpoint(format!("{issuer}/token"))
        .device_authorization_endpoint(format!("{issuer}/device/auth"))
        .identity_type(IdentityType::Human)
        .human_authenticate_client_id("human-app")
        .scope("urn:idaas:interop:human|read")
        .client_secret_post(SecretSource::env("UNUSED"))
        .build()
        .unwrap()
}

fn options(cache: &Path, prompt: HumanPrompt) -> FactoryOptions {
    FactoryOptions::default()
        .with_env(Arc::new(MapEnv::new().with("UNUSED", "x").with(
            HUMAN_CREDENTIAL_CACHE_PATH_ENV,
            cache.display().to_string(),
        )))
        .with_human_prompt(prompt)
}

fn no_sign_in() -> HumanPrompt {
    HumanPrompt::new(|_| panic!("asked the person to sign in again: the refresh token was refused"))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Marks the cached access token expired, as hours later.
fn expire(cache: &Path) -> serde_json::Value {
    let mut stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cache).unwrap()).unwrap();
    stored["expires_at"] = (now_ms() / 1000).into();
    // rewritten in place: the file keeps its 0600
    std::fs::write(cache, serde_json::to_vec(&stored).unwrap()).unwrap();
    stored
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_refreshing_one_human_credential_spend_the_refresh_token_once() {
    let p = support::provider();
    let issuer = p.issuer();
    let (sub, account) = p.info["accounts"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    let (login, password) = (
        account["login"].as_str().unwrap().to_owned(),
        account["password"].as_str().unwrap().to_owned(),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("human.json");

    // the person signs in once (the scripted browser approves the code)
    let prompts = Arc::new(AtomicUsize::new(0));
    let prompt = {
        let prompts = prompts.clone();
        HumanPrompt::new(move |auth| {
            prompts.fetch_add(1, Ordering::SeqCst);
            let url = auth.verification_uri_complete.clone().unwrap();
            let stop = format!("{}/never", auth.verification_uri);
            let (login, password) = (login.clone(), password.clone());
            tokio::spawn(async move {
                Browser::new(&login, &password)
                    .drive(&url, &stop, false)
                    .await
            });
        })
    };
    let factory = CredentialProviderFactory::from_config(config(&issuer), options(&cache, prompt))
        .await
        .unwrap();
    let first = tokio::time::timeout(LIMIT, factory.provider().await.unwrap().credential())
        .await
        .expect("signed in in time")
        .unwrap();
    assert_eq!(prompts.load(Ordering::SeqCst), 1);
    assert!(
        first.refresh_token.is_some(),
        "oidc-provider issued a refresh token for {sub}"
    );

    // hours later two processes need a token at the same instant
    let before = expire(&cache);
    let start = now_ms() + 1500;
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "child_refreshes_once",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ISSUER, &issuer)
                .env(CHILD_CACHE, &cache)
                .env(CHILD_START_MS, start.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let tokens: Vec<String> = children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "a child failed: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            stdout
                .split("ACCESS_TOKEN=")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or_else(|| panic!("the child printed no token: {stdout}"))
                .to_owned()
        })
        .collect();
    // one refreshed; the other found its token in the file instead of
    // spending the same refresh token (which would have revoked the grant)
    assert_eq!(tokens[0], tokens[1], "one refresh, its token shared");
    assert_ne!(tokens[0], before["access_token"].as_str().unwrap());
    let after: serde_json::Value = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
    assert_ne!(
        after["refresh_token"], before["refresh_token"],
        "rotated once"
    );
    // and the grant is alive: the rotated refresh token works once more
    expire(&cache);
    let again =
        CredentialProviderFactory::from_config(config(&issuer), options(&cache, no_sign_in()))
            .await
            .unwrap();
    let renewed = again.provider().await.unwrap().credential().await.unwrap();
    assert_ne!(renewed.access_token.expose_secret(), tokens[0]);
    assert_eq!(
        prompts.load(Ordering::SeqCst),
        1,
        "the person signed in once"
    );
}

/// One of the two processes above; skipped unless run by it.
#[tokio::test]
#[ignore = "run as a child process by the test above"]
async fn child_refreshes_once() {
    let issuer = std::env::var(CHILD_ISSUER).expect("run by the parent test");
    let cache = std::path::PathBuf::from(std::env::var(CHILD_CACHE).unwrap());
    let start: u64 = std::env::var(CHILD_START_MS).unwrap().parse().unwrap();
    tokio::time::sleep(Duration::from_millis(start.saturating_sub(now_ms()))).await;
    let factory =
        CredentialProviderFactory::from_config(config(&issuer), options(&cache, no_sign_in()))
            .await
            .unwrap();
    let credential = tokio::time::timeout(LIMIT, factory.provider().await.unwrap().credential())
        .await
        .expect("a token in time")
        .unwrap();
    println!("ACCESS_TOKEN={}", credential.access_token.expose_secret());
}
