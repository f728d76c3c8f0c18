//! What sign-in refuses, with tokens we sign ourselves: ID tokens with the
//! wrong nonce, audience, issuer, algorithm, `azp` or `sub`; a refresh that
//! answers for another subject; an expired session without a refresh token.
//! The provider here is a scripted transport (a real provider cannot be made
//! to misbehave this way); what a real provider rejects is tested in
//! `signin_interop.rs`. Also: the blocking client, and that every sign-in
//! future is `Send`.

#[allow(dead_code)]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use idaas_core::TransportError;
use idaas_core::http::{Bytes, HttpClient, HttpRequest, HttpResponse, HyperClient};
use idaas_oauth::authorize::AuthorizationRequest;
use idaas_oauth::jose::{Algorithm, JwtError, JwtHeader, SigningKey, b64url, jwk_set, sign_jwt};
use idaas_oauth::store::{StoreKey, StoredTokens};
use idaas_oauth::*;
use serde_json::{Value, json};

const ISS: &str = "https://idp.test";
const CLIENT: &str = "native-app";

/// The provider's answers: its JWKS, the token endpoint, userinfo.
#[derive(Debug)]
struct ScriptedIdp {
    jwks: Value,
    token: Mutex<Value>,
    userinfo: Mutex<Value>,
    token_calls: AtomicUsize,
    /// How long the token endpoint takes to answer.
    token_delay: Mutex<Duration>,
}

#[async_trait]
impl HttpClient for ScriptedIdp {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let body = match request.uri().path() {
            "/jwks" => self.jwks.clone(),
            "/token" => {
                self.token_calls.fetch_add(1, Ordering::SeqCst);
                let delay = *self.token_delay.lock().unwrap();
                tokio::time::sleep(delay).await;
                self.token.lock().unwrap().clone()
            }
            "/userinfo" => self.userinfo.lock().unwrap().clone(),
            other => panic!("unexpected request to {other}"),
        };
        // an OAuth error body (RFC 6749 §5.2) goes out as a 400
        let status = if body.get("error").is_some() {
            400
        } else {
            200
        };
        Ok(http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Bytes::from(body.to_string()))
            .unwrap())
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn provider_key() -> SigningKey {
    SigningKey::generate_p256().with_kid("idp-1")
}

fn idp(key: &SigningKey) -> Arc<ScriptedIdp> {
    Arc::new(ScriptedIdp {
        jwks: jwk_set([key]),
        token: Mutex::new(Value::Null),
        userinfo: Mutex::new(Value::Null),
        token_calls: AtomicUsize::new(0),
        token_delay: Mutex::new(Duration::ZERO),
    })
}

/// An ID token signed by `key`: standard claims, then `changes` (a null
/// removes the claim).
fn id_token(key: &SigningKey, changes: Value) -> String {
    let mut claims = json!({
        "iss": ISS, "aud": CLIENT, "sub": "usr_alice", "nonce": "n-1",
        "iat": now(), "exp": now() + 600, "email": "alice@example.com",
        "organizations": {"acme": {"scopes": ["owner"]}},
    });
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    sign_jwt(key, &JwtHeader::for_key(key, None), &claims).unwrap()
}

fn verifier(idp: Arc<ScriptedIdp>) -> IdTokenVerifier {
    IdTokenVerifier::with_jwks(RemoteJwks::new(idp, format!("{ISS}/jwks")), ISS, CLIENT)
}

fn client(idp: Arc<ScriptedIdp>) -> UserClient {
    let metadata = ProviderMetadata::from_json(
        json!({
            "issuer": ISS,
            "token_endpoint": format!("{ISS}/token"),
            "jwks_uri": format!("{ISS}/jwks"),
            "authorization_endpoint": format!("{ISS}/authorize"),
            "userinfo_endpoint": format!("{ISS}/userinfo"),
        })
        .to_string()
        .as_bytes(),
        ISS,
    )
    .unwrap();
    UserClient::from_metadata(idp, Arc::new(metadata), CLIENT, ClientAuth::None).unwrap()
}

fn stored(id_token: Option<String>, refresh: bool, expires_in: i64) -> StoredTokens {
    StoredTokens {
        key: StoreKey::new(ISS, CLIENT).scopes(["openid"]),
        access_token: "at-1".into(),
        refresh_token: refresh.then(|| "rt-1".into()),
        id_token: id_token.map(Into::into),
        expires_at: Some((now() as i64 + expires_in) as u64),
        scope: Some("openid".into()),
    }
}

#[tokio::test]
async fn id_tokens_failing_any_check_are_rejected() {
    let key = provider_key();
    let idp = idp(&key);
    let v = verifier(idp.clone());
    let ok = v
        .verify(&id_token(&key, json!({})), Some("n-1"))
        .await
        .unwrap();
    assert_eq!(ok.sub(), "usr_alice");

    let id_token_error = |e: Error, what: &str| match e {
        Error::IdToken(m) if m.to_string().contains(what) => {}
        other => panic!("expected an ID-token error about {what}, got {other}"),
    };
    let err = v.verify(&id_token(&key, json!({})), Some("n-2")).await;
    id_token_error(err.unwrap_err(), "nonce");
    let err = v
        .verify(&id_token(&key, json!({"nonce": null})), Some("n-1"))
        .await;
    id_token_error(err.unwrap_err(), "nonce");
    let err = v
        .verify(&id_token(&key, json!({"aud": ["other", CLIENT]})), None)
        .await;
    id_token_error(err.unwrap_err(), "azp");
    let err = v
        .verify(
            &id_token(&key, json!({"azp": "other", "aud": [CLIENT, "x"]})),
            None,
        )
        .await;
    id_token_error(err.unwrap_err(), "azp");
    let err = v.verify(&id_token(&key, json!({"sub": ""})), None).await;
    id_token_error(err.unwrap_err(), "sub");
    let err = v.verify(&id_token(&key, json!({"iat": null})), None).await;
    id_token_error(err.unwrap_err(), "iat");

    let err = v
        .verify(&id_token(&key, json!({"aud": "other-app"})), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Jwt(JwtError::WrongAudience { .. })),
        "{err}"
    );
    let err = v
        .verify(&id_token(&key, json!({"iss": "https://evil.test"})), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Jwt(JwtError::WrongIssuer { .. })),
        "{err}"
    );
    let expired = id_token(&key, json!({"exp": now() - 3600, "iat": now() - 7200}));
    let err = v.verify(&expired, None).await.unwrap_err();
    assert!(matches!(err, Error::Jwt(JwtError::Expired { .. })), "{err}");
    // a stored ID token outlives its exp, but nothing else is relaxed
    assert_eq!(v.verify_stored(&expired).await.unwrap().sub(), "usr_alice");
    let err = v
        .verify_stored(&id_token(&key, json!({"aud": "other-app"})))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Jwt(JwtError::WrongAudience { .. })),
        "{err}"
    );

    // algorithms: HMAC (keyed by a client secret) and none never pass
    let hmac = SigningKey::hmac_bytes(&[7u8; 32], Algorithm::HS256)
        .unwrap()
        .with_kid("idp-1");
    let err = v.verify(&id_token(&hmac, json!({})), None).await;
    id_token_error(err.unwrap_err(), "allow-list");
    let unsigned = {
        let t = id_token(&key, json!({}));
        let payload = t.split('.').nth(1).unwrap().to_owned();
        format!("{}.{payload}.", b64url(br#"{"alg":"none","kid":"idp-1"}"#))
    };
    let err = v.verify(&unsigned, None).await;
    id_token_error(err.unwrap_err(), "allow-list");
    let rs_only = verifier(idp.clone()).with_algorithms([Algorithm::RS256]);
    let err = rs_only.verify(&id_token(&key, json!({})), None).await;
    id_token_error(err.unwrap_err(), "ES256");
    // a key the provider does not publish, under its kid
    let impostor = SigningKey::generate_p256().with_kid("idp-1");
    let err = v
        .verify(&id_token(&impostor, json!({})), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Jwt(JwtError::BadSignature)), "{err}");
}

struct Counters {
    refreshed: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
}

fn counted() -> (SessionOptions, Counters) {
    let counters = Counters {
        refreshed: Arc::new(AtomicUsize::new(0)),
        failed: Arc::new(AtomicUsize::new(0)),
    };
    let (r, f) = (counters.refreshed.clone(), counters.failed.clone());
    let options = SessionOptions::default()
        .on_refresh(move |_| {
            r.fetch_add(1, Ordering::SeqCst);
        })
        .on_refresh_error(move |_| {
            f.fetch_add(1, Ordering::SeqCst);
        });
    (options, counters)
}

#[tokio::test]
async fn a_refresh_answering_for_another_subject_is_rejected() {
    let key = provider_key();
    let idp = idp(&key);
    let client = client(idp.clone());
    let (options, counters) = counted();
    let session = client
        .session(stored(Some(id_token(&key, json!({}))), true, 3600), options)
        .await
        .unwrap();
    assert_eq!(session.agent().id(), "usr_alice");
    assert!(session.agent().is_owner_of("acme"));

    // a new ID token for someone else
    *idp.token.lock().unwrap() = json!({
        "access_token": "at-2", "token_type": "Bearer", "expires_in": 600,
        "id_token": id_token(&key, json!({"sub": "usr_mallory", "nonce": null})),
    });
    let err = session.refresh().await.unwrap_err();
    assert!(
        matches!(&err, Error::SubjectMismatch { expected, actual } if expected == "usr_alice" && actual == "usr_mallory"),
        "{err}"
    );
    // no ID token, but userinfo names someone else
    *idp.token.lock().unwrap() =
        json!({"access_token": "at-3", "token_type": "Bearer", "expires_in": 600});
    *idp.userinfo.lock().unwrap() = json!({"sub": "usr_mallory"});
    let err = session.refresh().await.unwrap_err();
    assert!(matches!(err, Error::SubjectMismatch { .. }), "{err}");
    assert_eq!(counters.failed.load(Ordering::SeqCst), 2);
    assert_eq!(counters.refreshed.load(Ordering::SeqCst), 0);
    assert_eq!(session.agent().access_token().expose_secret(), "at-1");

    // the right user: renewed, and the ID token and refresh token are kept
    *idp.userinfo.lock().unwrap() = json!({"sub": "usr_alice"});
    let renewed = session.refresh().await.unwrap();
    assert_eq!(renewed.access_token().expose_secret(), "at-3");
    assert_eq!(renewed.id(), "usr_alice");
    assert!(renewed.tokens().id_token.is_some(), "the ID token is kept");
    assert_eq!(
        renewed
            .tokens()
            .refresh_token
            .as_ref()
            .unwrap()
            .expose_secret(),
        "rt-1"
    );
    assert!(renewed.is_owner_of("acme"));
    assert_eq!(counters.refreshed.load(Ordering::SeqCst), 1);
    assert_eq!(idp.token_calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_share_a_failed_refresh_instead_of_retrying_in_turn() {
    let key = provider_key();
    let idp = idp(&key);
    let client = client(idp.clone());
    let (options, counters) = counted();
    let agent = client
        .agent_from_tokens(stored(Some(id_token(&key, json!({}))), true, 3600))
        .await
        .unwrap();
    // a buffer longer than the token's life: every call wants a refresh
    let options = options.refresh_buffer(Duration::from_secs(7200));
    let session = Session::new(client, agent, options).unwrap();
    *idp.token.lock().unwrap() =
        json!({"error": "invalid_grant", "error_description": "the refresh token was revoked"});
    *idp.token_delay.lock().unwrap() = Duration::from_millis(200);

    let callers: Vec<_> = (0..20)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move { session.agent_fresh().await })
        })
        .collect();
    for caller in callers {
        let err = caller.await.unwrap().unwrap_err();
        assert_eq!(
            err.oauth_code(),
            Some(&OAuthErrorCode::InvalidGrant),
            "every caller gets the leader's error: {err}"
        );
        assert!(err.to_string().contains("revoked"), "{err}");
    }
    // one request for all twenty, not twenty failing ones in a row
    assert_eq!(idp.token_calls.load(Ordering::SeqCst), 1);
    assert_eq!(counters.failed.load(Ordering::SeqCst), 1);
    // a later call tries again
    *idp.token_delay.lock().unwrap() = Duration::ZERO;
    assert!(session.agent_fresh().await.is_err());
    assert_eq!(idp.token_calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_expired_session_without_a_refresh_token_is_token_expired() {
    let key = provider_key();
    let idp = idp(&key);
    let client = client(idp.clone());
    let (options, counters) = counted();
    let tokens = stored(Some(id_token(&key, json!({}))), false, -10);
    let err = client.session(tokens.clone(), options).await.unwrap_err();
    assert!(matches!(err, Error::TokenExpired), "{err}");
    assert_eq!(counters.failed.load(Ordering::SeqCst), 1);
    // auto-refresh off: the expired agent as is, no request
    let session = client
        .session(tokens, SessionOptions::default().auto_refresh(false))
        .await
        .unwrap();
    assert!(session.agent().is_expired(Duration::ZERO));
    assert_eq!(idp.token_calls.load(Ordering::SeqCst), 0);
    // tokens of another client are refused
    let mut foreign = stored(None, false, 600);
    foreign.key = StoreKey::new(ISS, "other");
    assert!(matches!(
        client.agent_from_tokens(foreign).await,
        Err(Error::Misconfigured(_))
    ));
}

#[tokio::test]
async fn the_blocking_client_refuses_to_run_inside_a_runtime() {
    let key = provider_key();
    let err = BlockingUserClient::new(client(idp(&key))).unwrap_err();
    assert!(matches!(err, Error::BlockingInAsyncContext), "{err}");
    assert!(err.to_string().contains("spawn_blocking"));
}

#[test]
fn the_blocking_client_works_without_a_runtime() {
    let key = provider_key();
    let idp = idp(&key);
    let blocking = BlockingUserClient::new(client(idp.clone())).unwrap();
    *idp.token.lock().unwrap() =
        json!({"access_token": "at-2", "token_type": "Bearer", "expires_in": 600});
    *idp.userinfo.lock().unwrap() = json!({"sub": "usr_alice"});
    let session = blocking
        .session_from_tokens(
            stored(Some(id_token(&key, json!({}))), true, 30),
            SessionOptions::default(),
        )
        .unwrap();
    assert_eq!(session.agent().id(), "usr_alice");
    assert_eq!(session.access_token().unwrap().expose_secret(), "at-2");

    // and against the real provider, over its own runtime's HTTP client
    let p = support::provider();
    let real = BlockingUserClient::discover(
        &p.issuer(),
        p.client("post", "id"),
        ClientAuth::post(p.client("post", "secret")),
    )
    .unwrap();
    let agent = real
        .client_credentials(&ClientCredentials::scope("api:read"))
        .unwrap();
    assert_eq!(agent.id(), "cc-post");
    assert!(agent.has_access("read", "api"));
}

fn assert_send<T: Send>(_: &T) {}
fn assert_send_sync<T: Send + Sync>() {}

#[tokio::test]
async fn every_sign_in_future_is_send() {
    assert_send_sync::<UserClient>();
    assert_send_sync::<Session>();
    assert_send_sync::<Agent>();
    assert_send_sync::<BlockingUserClient>();
    assert_send_sync::<BlockingSession>();
    let key = provider_key();
    let idp = idp(&key);
    let client = client(idp.clone());
    let agent = client
        .agent_from_tokens(stored(None, false, 600))
        .await
        .unwrap();
    let pending =
        AuthorizationRequest::new(format!("{ISS}/authorize"), CLIENT, "http://127.0.0.1/cb")
            .build()
            .unwrap();
    let session = Session::new(client.clone(), agent.clone(), SessionOptions::default()).unwrap();
    let code = SecretString::from("code");
    let flow = LoginFlow::new();
    let v = verifier(idp);
    // built, checked, dropped: never polled
    assert_send(&client.exchange_code(&code, &pending));
    assert_send(&client.login(&flow));
    assert_send(&client.device_login(&["openid"], |_| {}));
    assert_send(&client.client_credentials(&ClientCredentials::scope("x")));
    assert_send(&client.agent_from_tokens(stored(None, false, 1)));
    assert_send(&client.refresh(&agent));
    assert_send(&client.userinfo(&agent));
    assert_send(&client.revoke(&agent));
    assert_send(&client.session(stored(None, false, 1), SessionOptions::default()));
    let store = store::TokenStore::new("/nonexistent");
    let key = client.store_key(["openid"]);
    assert_send(&client.stored_session(&store, &key, SessionOptions::default()));
    let flow = LoginFlow::new().session(SessionOptions::default().store(store.clone()));
    assert_send(&client.resume(&flow));
    assert_send(&UserClient::discover(
        Arc::new(HyperClient::new(Default::default()).unwrap()),
        ISS,
        CLIENT,
        ClientAuth::None,
    ));
    assert_send(&session.agent_fresh());
    assert_send(&session.access_token());
    assert_send(&session.refresh());
    assert_send(&session.logout());
    assert_send(&v.verify("t", None));
    assert_send(&v.verify_stored("t"));
}
