//! User sign-in against oidc-provider, driven by a scripted browser (our
//! HTTP client with a cookie jar, submitting the provider's login and
//! consent forms): authorization code + PKCE through our loopback listener,
//! refresh, stored sessions, userinfo, RP-initiated logout, revocation, the
//! device flow, and the checks a hostile or confused callback meets.

#[path = "support/browser.rs"]
mod browser;
#[allow(dead_code)]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use browser::{Browser, Landing};
use idaas_core::http::{HyperClient, SharedHttpClient};
use idaas_oauth::loopback::{DefaultPages, LoopbackListener};
use idaas_oauth::store::TokenStore;
use idaas_oauth::*;
use tokio::sync::oneshot;
use url::Url;

const SCOPES: [&str; 4] = ["openid", "email", "organizations", "offline_access"];
/// Every network wait here is bounded by this.
const LIMIT: Duration = Duration::from_secs(30);

fn http() -> SharedHttpClient {
    Arc::new(HyperClient::new(Default::default()).unwrap())
}

async fn native_client() -> UserClient {
    let p = support::provider();
    UserClient::discover(
        http(),
        &p.issuer(),
        p.client("native", "id"),
        ClientAuth::None,
    )
    .await
    .unwrap()
}

fn account(sub: &str) -> (String, String) {
    let a = &support::provider().info["accounts"][sub];
    (
        a["login"].as_str().unwrap().to_owned(),
        a["password"].as_str().unwrap().to_owned(),
    )
}

fn redirect_uri_of(authorization_url: &str) -> String {
    Url::parse(authorization_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned()
}

/// Signs `sub` in through [`UserClient::login`]; the scripted browser gets
/// the URL from `on_url`. Returns the session, the browser (with the
/// provider's session cookie) and the page our listener showed it.
async fn login(
    client: &UserClient,
    sub: &str,
    options: SessionOptions,
) -> (Session, Browser, Landing) {
    let (login, password) = account(sub);
    let (tx, rx) = oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    // front-channel parameters: the scripted browser reads redirect_uri
    // from the URL (pushed requests are covered in signin_chromium.rs)
    let flow = LoginFlow::new()
        .par(Par::Never)
        .scopes(SCOPES)
        .param("prompt", "consent")
        .open_browser(false)
        .timeout(LIMIT)
        .session(options)
        .on_url(move |url| {
            let url = url.to_owned();
            let tx = tx.lock().unwrap().take().unwrap();
            let (login, password) = (login.clone(), password.clone());
            tokio::spawn(async move {
                let mut browser = Browser::new(&login, &password);
                let landing = browser.drive(&url, &redirect_uri_of(&url), true).await;
                let _ = tx.send((browser, landing));
            });
        });
    let session = tokio::time::timeout(LIMIT, client.login(&flow))
        .await
        .expect("sign-in finished in time")
        .unwrap();
    let (browser, landing) = rx.await.unwrap();
    (session, browser, landing)
}

#[tokio::test]
async fn login_through_the_loopback_listener_gives_a_verified_agent() {
    let client = native_client().await;
    let (session, browser, landing) = login(&client, "usr_alice", SessionOptions::default()).await;
    assert_eq!(landing.status, 200);
    assert!(landing.body.contains("Signed in"), "{}", landing.body);
    assert!(browser.has_cookie("_session"), "the provider's session");

    let agent = session.agent();
    assert_eq!(agent.id(), "usr_alice");
    assert_eq!(agent.kind(), AgentKind::User);
    assert_eq!(agent.principal_type(), PrincipalType::User);
    assert_eq!(agent.email(), Some("alice@example.com"));
    assert_eq!(agent.email_verified(), Some(true));
    assert_eq!(agent.claims()["iss"], client.issuer());
    assert_eq!(agent.claims()["aud"], client.client_id());
    assert!(
        agent.tokens().refresh_token.is_some(),
        "offline_access granted"
    );
    let left = agent.expires_in().unwrap();
    assert!(left > 500 && left <= 600, "{left}");
    assert!(!agent.is_expired(Duration::from_secs(60)));
    assert!(agent.is_expired(Duration::from_secs(3600)));
    // organizations claim → the authpi helpers
    assert!(agent.is_owner_of("acme") && !agent.is_admin_of("acme"));
    assert!(agent.is_member_of("globex") && !agent.is_member_of("initech"));
    assert!(agent.has_access("delete", "projects.tasks"));
    assert!(agent.has_access_in("globex", "read", "users"));
    assert!(!agent.has_access_in("globex", "delete", "projects.tasks"));
    assert_eq!(agent.scopes_for("globex"), ["users:read"]);
    assert!(agent.scopes_for("initech").is_empty());
    // no secret in Debug
    let debug = format!("{session:?}");
    assert!(!debug.contains(agent.access_token().expose_secret()));
    assert!(
        !debug.contains(
            agent
                .tokens()
                .refresh_token
                .as_ref()
                .unwrap()
                .expose_secret()
        )
    );
}

#[tokio::test]
async fn refresh_stored_sessions_and_single_flight_auto_refresh() {
    let client = native_client().await;
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path().join("tokens"));
    let refreshed = Arc::new(AtomicUsize::new(0));
    let counter = refreshed.clone();
    let options = SessionOptions::default()
        .store(store.clone())
        .on_refresh(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
    let (session, _, _) = login(&client, "usr_bob", options).await;
    let first = session.agent();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = store.path_for(&client.store_key(SCOPES));
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "token files are private");
    }

    let renewed = session.refresh().await.unwrap();
    assert_eq!(renewed.id(), "usr_bob");
    assert_ne!(
        renewed.access_token().expose_secret(),
        first.access_token().expose_secret()
    );
    assert_eq!(refreshed.load(Ordering::SeqCst), 1);
    assert_eq!(session.refresh_count(), 1);
    assert!(
        renewed.is_member_of("acme"),
        "claims of the refreshed ID token"
    );

    // From the store, with a buffer longer than the token's life: every
    // access wants a refresh, yet eight concurrent callers share one.
    let stored = client
        .stored_session(
            &store,
            &client.store_key(SCOPES),
            SessionOptions::default()
                .auto_refresh(false)
                .refresh_buffer(Duration::from_secs(3600)),
        )
        .await
        .unwrap()
        .expect("the session was stored");
    // stored under its issuer, client and scopes: a sign-in asked for
    // other scopes (or audiences) is another one
    let narrower = client.store_key(["openid"]);
    let options = SessionOptions::default().auto_refresh(false);
    assert!(
        client
            .stored_session(&store, &narrower, options.clone())
            .await
            .unwrap()
            .is_none()
    );
    let to_an_api = client.store_key(SCOPES).audiences(["https://api.example"]);
    assert!(
        client
            .stored_session(&store, &to_an_api, options)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(stored.agent().id(), "usr_bob");
    assert_eq!(
        stored.agent().access_token().expose_secret(),
        renewed.access_token().expose_secret(),
        "the store has the refreshed tokens"
    );
    let eager = client
        .session(
            stored.agent().tokens().clone(),
            SessionOptions::default().refresh_buffer(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    assert_eq!(
        eager.refresh_count(),
        1,
        "refreshed at load: within the buffer"
    );
    // joined on one task: every call reads the agent before the first
    // refresh can finish, so exactly one refresh happens
    let (a, b, c, d, e, f, g, h) = tokio::join!(
        eager.agent_fresh(),
        eager.agent_fresh(),
        eager.agent_fresh(),
        eager.agent_fresh(),
        eager.agent_fresh(),
        eager.agent_fresh(),
        eager.agent_fresh(),
        eager.agent_fresh(),
    );
    let agents = [a, b, c, d, e, f, g, h].map(Result::unwrap);
    assert_eq!(eager.refresh_count(), 2, "eight callers, one refresh");
    assert!(agents.iter().all(|x| Arc::ptr_eq(x, &agents[0])));
    let fresh = eager.agent_fresh().await.unwrap();
    assert_eq!(fresh.id(), "usr_bob");
}

#[tokio::test]
async fn sessions_sharing_a_store_never_spend_a_rotated_refresh_token_twice() {
    let client = native_client().await;
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path().join("tokens"));
    let options = || SessionOptions::default().store(store.clone());
    let (a, _, _) = login(&client, "usr_bob", options()).await;
    // "another process": a session of its own over the same store,
    // resumed with the same flow settings
    let b = client
        .resume(&LoginFlow::new().scopes(SCOPES).session(options()))
        .await
        .unwrap()
        .expect("the login was stored under the flow's key");
    let original = a.agent();

    // a refreshes: the provider rotates the refresh token (public client)
    let a1 = a.refresh().await.unwrap();
    let rotated = a1.tokens().refresh_token.clone().unwrap();
    assert_ne!(
        rotated.expose_secret(),
        original
            .tokens()
            .refresh_token
            .as_ref()
            .unwrap()
            .expose_secret()
    );
    // b still holds the spent one: it takes a's stored tokens instead
    let b1 = b.refresh().await.unwrap();
    assert_eq!(
        b1.access_token().expose_secret(),
        a1.access_token().expose_secret()
    );
    // and refreshes for real with the rotated token next time
    let b2 = b.refresh().await.unwrap();
    assert_ne!(
        b2.access_token().expose_secret(),
        a1.access_token().expose_secret()
    );
    let a2 = a.refresh().await.unwrap();
    assert_eq!(
        a2.access_token().expose_secret(),
        b2.access_token().expose_secret()
    );
    assert!(client.userinfo(&a2).await.is_ok());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let lock = store
            .path_for(&client.store_key(SCOPES))
            .with_extension("lock");
        let mode = std::fs::metadata(lock).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // why it matters: the spent refresh token is refused by the provider
    // (which then revokes the whole grant, so this check comes last)
    let err = client.refresh(&original).await.unwrap_err();
    assert_eq!(
        err.oauth_code(),
        Some(&OAuthErrorCode::InvalidGrant),
        "{err}"
    );
}

#[tokio::test]
async fn userinfo_logout_url_and_revocation_at_the_provider() {
    let client = native_client().await;
    let (session, mut browser, _) = login(&client, "usr_alice", SessionOptions::default()).await;
    let agent = session.agent();

    let info = client.userinfo(&agent).await.unwrap();
    assert_eq!(info.sub(), "usr_alice");
    assert_eq!(info.claim_str("email"), Some("alice@example.com"));
    assert!(info.organizations().unwrap().is_owner_of("acme"));

    // RP-initiated logout: the provider accepts our URL, shows its sign-out
    // form, and sends the browser back with our state.
    let post_logout = "http://127.0.0.1:9/logged-out";
    let url = client
        .logout_url(&LogoutRequest {
            id_token_hint: agent.tokens().id_token.as_ref(),
            post_logout_redirect_uri: Some(post_logout),
            state: Some("bye-123"),
        })
        .unwrap();
    assert!(
        url.as_str()
            .starts_with(client.metadata().end_session_endpoint.as_deref().unwrap())
    );
    let landing = browser.drive(url.as_str(), post_logout, false).await;
    assert_eq!(landing.url.path(), "/logged-out", "{landing:?}");
    let state: Vec<_> = landing
        .url
        .query_pairs()
        .filter(|(k, _)| k == "state")
        .collect();
    assert_eq!(state[0].1, "bye-123");
    assert!(
        !browser.has_cookie("_session"),
        "the provider's session ended"
    );

    // a post-logout URI that is not registered is refused by the provider
    let bad = client
        .logout_url(&LogoutRequest {
            post_logout_redirect_uri: Some("http://evil.example/"),
            ..LogoutRequest::default()
        })
        .unwrap();
    let landing = Browser::new("", "")
        .drive(bad.as_str(), "http://evil.example", false)
        .await;
    assert_eq!(landing.status, 400, "{landing:?}");

    // revocation on logout: both tokens stop working
    session.logout().await.unwrap();
    let err = client.userinfo(&agent).await.unwrap_err();
    assert_eq!(
        err.oauth_code(),
        Some(&OAuthErrorCode::InvalidToken),
        "{err}"
    );
    let err = client.refresh(&agent).await.unwrap_err();
    assert_eq!(
        err.oauth_code(),
        Some(&OAuthErrorCode::InvalidGrant),
        "{err}"
    );
}

#[tokio::test]
async fn device_flow_approved_by_the_scripted_browser() {
    let client = native_client().await;
    let (login, password) = account("usr_bob");
    let (tx, rx) = oneshot::channel();
    let agent = tokio::time::timeout(
        LIMIT,
        client.device_login(&SCOPES, move |authorization| {
            let url = authorization
                .verification_uri_complete
                .clone()
                .expect("oidc-provider sends verification_uri_complete");
            let stop = format!("{}/never", authorization.verification_uri);
            tokio::spawn(async move {
                let landing = Browser::new(&login, &password)
                    .drive(&url, &stop, false)
                    .await;
                let _ = tx.send(landing);
            });
        }),
    )
    .await
    .expect("approved in time")
    .unwrap();
    assert_eq!(agent.id(), "usr_bob");
    assert!(agent.is_member_of("acme"));
    let landing = rx.await.unwrap();
    assert!(landing.body.contains("Device signed in"), "{landing:?}");
}

#[tokio::test]
async fn foreign_state_is_turned_away_and_a_replayed_code_is_invalid_grant() {
    let client = native_client().await;
    let listener = LoopbackListener::bind(0, "/callback").await.unwrap();
    let pending = client
        .authorization_request(listener.redirect_uri(), SCOPES)
        .unwrap()
        .param("prompt", "consent")
        .build()
        .unwrap();
    let (login, password) = account("usr_alice");
    let url = pending.url.to_string();
    let redirect = listener.redirect_uri().to_owned();
    let browser = tokio::spawn(async move {
        // a forged callback first: 400, and the listener keeps waiting
        let forged = format!("{redirect}?code=forged&state=not-the-state");
        let mut attacker = Browser::new("", "");
        let landing = attacker.drive(&forged, "http://never", false).await;
        assert_eq!(landing.status, 400);
        assert!(landing.body.contains("does not belong"));
        Browser::new(&login, &password)
            .drive(&url, &redirect, true)
            .await
    });
    let callback = listener
        .wait(&pending.state, LIMIT, &DefaultPages)
        .await
        .unwrap();
    assert_eq!(
        callback.iss.as_deref(),
        Some(client.issuer()),
        "RFC 9207 iss"
    );
    browser.await.unwrap();

    // the wrong nonce is caught on the provider's real ID token
    let mut other_nonce = pending.clone();
    other_nonce.nonce = "another-nonce".into();
    let err = client
        .exchange_code(&callback.code, &other_nonce)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdToken(IdTokenError::WrongNonce)),
        "{err}"
    );
    // that exchange used the code: a replay is the provider's invalid_grant
    let err = client
        .exchange_code(&callback.code, &pending)
        .await
        .unwrap_err();
    assert_eq!(
        err.oauth_code(),
        Some(&OAuthErrorCode::InvalidGrant),
        "{err}"
    );
}

#[tokio::test]
async fn a_wrong_password_never_reaches_the_listener() {
    let client = native_client().await;
    let (tx, rx) = oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    // front-channel parameters: the scripted browser reads redirect_uri
    // from the URL (pushed requests are covered in signin_chromium.rs)
    let flow = LoginFlow::new()
        .par(Par::Never)
        .scopes(["openid"])
        .open_browser(false)
        .timeout(Duration::from_secs(3))
        .on_url(move |url| {
            let url = url.to_owned();
            let tx = tx.lock().unwrap().take().unwrap();
            tokio::spawn(async move {
                let landing = Browser::new("alice@example.com", "wrong")
                    .drive(&url, &redirect_uri_of(&url), true)
                    .await;
                let _ = tx.send(landing);
            });
        });
    let err = client.login(&flow).await.unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err}");
    let landing = rx.await.unwrap();
    assert!(
        landing.body.contains("Invalid email or password"),
        "{landing:?}"
    );
    assert!(!landing.url.as_str().contains("/callback"));
}

#[tokio::test]
async fn prompt_none_without_a_provider_session_is_login_required() {
    let client = native_client().await;
    let (tx, rx) = oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    // front-channel parameters: the scripted browser reads redirect_uri
    // from the URL (pushed requests are covered in signin_chromium.rs)
    let flow = LoginFlow::new()
        .par(Par::Never)
        .param("prompt", "none")
        .open_browser(false)
        .timeout(LIMIT)
        .on_url(move |url| {
            let url = url.to_owned();
            let tx = tx.lock().unwrap().take().unwrap();
            tokio::spawn(async move {
                // a fresh browser: no session at the provider
                let landing = Browser::new("", "")
                    .drive(&url, &redirect_uri_of(&url), true)
                    .await;
                let _ = tx.send(landing);
            });
        });
    let err = client.login(&flow).await.unwrap_err();
    assert_eq!(
        err.oauth_code(),
        Some(&OAuthErrorCode::LoginRequired),
        "{err}"
    );
    let landing = rx.await.unwrap();
    assert!(landing.body.contains("Sign-in failed"), "{landing:?}");
    assert!(landing.body.contains("login_required"), "{landing:?}");
}

#[tokio::test]
async fn client_credentials_agent_has_no_id_token_and_uses_granted_scopes() {
    let p = support::provider();
    let client = UserClient::discover(
        http(),
        &p.issuer(),
        p.client("post", "id"),
        ClientAuth::post(p.client("post", "secret")),
    )
    .await
    .unwrap();
    let agent = client
        .client_credentials(&ClientCredentials::scope("api:read"))
        .await
        .unwrap();
    assert_eq!(agent.kind(), AgentKind::Client);
    assert_eq!(agent.id(), "cc-post");
    assert!(agent.tokens().id_token.is_none() && agent.claims().is_empty());
    assert!(agent.has_access("read", "api"), "granted scope api:read");
    assert!(!agent.has_access("write", "api"));
    assert!(agent.organizations().is_empty());
}
