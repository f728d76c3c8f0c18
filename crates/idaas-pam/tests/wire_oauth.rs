//! On the wire: OAuth authentication tokens (v1 and v2), authorization
//! sessions and the polling helper.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idaas_pam::{AuthorizationFlow, Error, FetchOAuthToken, PollOptions, SessionStatus};
use serde_json::{Value, json};
use support::{Capture, assert_full_record, assert_request, record_with};

const FETCH: &str = "/authenticationTokens/_/actions/fetchOAuthAccessToken";
const SESSION_URI: &str = "urn:ietf:params:oauth:request_uri:oas_1";

fn token_answer() -> Value {
    record_with(
        "at_1",
        json!({"oauthAccessTokenContent": {"accessTokenValue": "ya29.tok", "tokenType": "Bearer", "scope": "a b"}}),
    )
}

fn session_answer() -> Value {
    json!({"oauthAuthorizationSession": {
        "sessionId": "oas_1", "sessionUri": SESSION_URI,
        "authorizationUrl": "https://accounts.example.com/auth?state=oas_1", "sessionStatus": "pending",
    }})
}

fn session_status(status: &str) -> Value {
    json!({"sessionId": "oas_1", "sessionUri": SESSION_URI, "sessionStatus": status})
}

fn user_federation() -> FetchOAuthToken {
    FetchOAuthToken {
        scope: Some("a b".into()),
        force_authentication: Some(true),
        custom_parameters: Some(BTreeMap::from([("access_type".into(), "offline".into())])),
        ..FetchOAuthToken::new("cp id", AuthorizationFlow::UserFederation)
    }
}

#[tokio::test]
#[allow(deprecated)]
async fn fetch_oauth_authentication_token_v1() {
    let server = Capture::start().await;
    let pam = server.client();
    server.reply(200, token_answer());
    let token = pam
        .fetch_oauth_authentication_token("cp id", Some("a b"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.expose_secret(), "ya29.tok");
    let r = server.take_one();
    assert_request(&r, "POST", FETCH, "FetchOAuthAuthenticationToken", true);
    assert_eq!(
        r.body_text(),
        r#"{"credentialProviderIdentifier":"cp id","scope":"a b"}"#
    );
    // a session instead of a token: nothing to return
    server.reply(200, session_answer());
    assert!(
        pam.fetch_oauth_authentication_token("cp", None)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        server.take_one().body_text(),
        r#"{"credentialProviderIdentifier":"cp"}"#
    );
}

#[tokio::test]
async fn fetch_oauth_authentication_token_v2() {
    let server = Capture::start().await;
    let pam = server.client();
    server.reply(200, token_answer());
    let token = pam
        .fetch_oauth_authentication_token_v2(&FetchOAuthToken {
            authorization_flow: AuthorizationFlow::M2m,
            ..user_federation()
        })
        .await
        .unwrap();
    let r = server.take_one();
    assert_request(&r, "POST", FETCH, "FetchOAuthAuthenticationToken", true);
    // the observed body; the flow itself is not sent
    assert_eq!(
        r.body_text(),
        r#"{"credentialProviderIdentifier":"cp id","customParameters":{"access_type":"offline"},"forceAuthentication":true,"scope":"a b"}"#
    );
    assert_full_record(&token.record, "at_1");
    assert!(token.has_access_token_content() && !token.has_authorization_session());
    let content = token.oauth_access_token_content.unwrap();
    assert_eq!(content.access_token_value.expose_secret(), "ya29.tok");
    assert_eq!(content.token_type.as_deref(), Some("Bearer"));
    assert_eq!(content.scope.as_deref(), Some("a b"));

    // optional fields absent
    server.reply(
        200,
        json!({"oauthAccessTokenContent": {"accessTokenValue": "t2"}}),
    );
    let token = pam
        .fetch_oauth_authentication_token_v2(&FetchOAuthToken::new("cp", AuthorizationFlow::M2m))
        .await
        .unwrap();
    assert_eq!(token.access_token().unwrap().expose_secret(), "t2");
    let content = token.oauth_access_token_content.unwrap();
    assert_eq!((content.token_type, content.scope), (None, None));
    assert_eq!(token.record.consumer_id, None);

    // user federation: the session
    server.reply(200, session_answer());
    let pending = pam
        .fetch_oauth_authentication_token_v2(&user_federation())
        .await
        .unwrap();
    let session = pending.oauth_authorization_session.unwrap();
    assert_eq!(session.session_id.as_deref(), Some("oas_1"));
    assert_eq!(session.session_uri.as_deref(), Some(SESSION_URI));
    assert_eq!(session.session_status, Some(SessionStatus::Pending));
    assert!(session.authorization_url.unwrap().contains("state=oas_1"));
    assert!(pending.oauth_access_token_content.is_none());

    // m2m asked, the provider needs a person
    server.reply(200, session_answer());
    let err = pam
        .fetch_oauth_authentication_token_v2(&FetchOAuthToken::new("cp", AuthorizationFlow::M2m))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("authorization_flow_mismatch"), "{err}");
}

#[tokio::test]
async fn oauth_authorization_session() {
    let server = Capture::start().await;
    let pam = server.client();
    server.reply(
        200,
        json!({
            "instanceId": "idaas_x/y", "sessionId": "oas_1", "sessionUri": SESSION_URI,
            "sessionStatus": "failed", "credentialProviderIdentifier": "cp", "consumerType": "application",
            "consumerId": "app", "creatorType": "application", "creatorId": "app",
            "authorizationUrl": "https://a.example.com", "expirationTime": 1_795_000_600_000u64,
            "authenticationTokenId": "at_9", "errorCode": "access_denied", "errorDescription": "the user said no",
        }),
    );
    let s = pam.oauth_authorization_session(SESSION_URI).await.unwrap();
    let r = server.take_one();
    assert_request(
        &r,
        "POST",
        "/oauthAuthorizationSessions/_/actions/get",
        "GetOAuthAuthorizationSession",
        true,
    );
    assert_eq!(
        r.body_text(),
        format!(r#"{{"sessionUri":"{SESSION_URI}"}}"#)
    );
    assert_eq!(s.instance_id.as_deref(), Some("idaas_x/y"));
    assert_eq!(s.session_id.as_deref(), Some("oas_1"));
    assert_eq!(s.session_uri.as_deref(), Some(SESSION_URI));
    assert_eq!(s.session_status, Some(SessionStatus::Failed));
    assert_eq!(s.credential_provider_identifier.as_deref(), Some("cp"));
    assert_eq!(s.consumer_type.as_deref(), Some("application"));
    assert_eq!(s.consumer_id.as_deref(), Some("app"));
    assert_eq!(s.creator_type.as_deref(), Some("application"));
    assert_eq!(s.creator_id.as_deref(), Some("app"));
    assert_eq!(
        s.authorization_url.as_deref(),
        Some("https://a.example.com")
    );
    assert_eq!(s.expiration_time, Some(1_795_000_600_000));
    assert_eq!(s.authentication_token_id.as_deref(), Some("at_9"));
    assert_eq!(s.error_code.as_deref(), Some("access_denied"));
    assert_eq!(s.error_description.as_deref(), Some("the user said no"));

    server.reply(200, json!({"sessionStatus": "something_new"}));
    let s = pam.oauth_authorization_session(SESSION_URI).await.unwrap();
    assert_eq!(s.session_status, Some(SessionStatus::Unknown));
    assert_eq!((s.session_id, s.error_code), (None, None));
}

/// A sleep that records what it was asked for and returns at once.
fn recording_sleep() -> (
    Arc<Mutex<Vec<Duration>>>,
    impl Fn(Duration) -> std::future::Ready<()> + Send + Sync,
) {
    let slept: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let record = slept.clone();
    (slept, move |d| {
        record.lock().unwrap().push(d);
        std::future::ready(())
    })
}

#[tokio::test]
async fn poll_oauth_authentication_token_until_completed() {
    let server = Capture::start().await;
    let pam = server.client();
    server.reply(200, session_answer());
    server.reply(200, session_status("pending"));
    server.reply(200, session_status("callback_received"));
    server.reply(200, session_status("completed"));
    server.reply(200, token_answer());
    let (slept, sleep) = recording_sleep();
    let shown = Arc::new(Mutex::new(Vec::<String>::new()));
    let show = shown.clone();
    let token = pam
        .poll_oauth_authentication_token_with_sleep(
            &user_federation(),
            move |url| {
                show.lock().unwrap().push(url.to_owned());
                Ok(())
            },
            PollOptions::default(),
            sleep,
        )
        .await
        .unwrap();
    assert_eq!(token.access_token().unwrap().expose_secret(), "ya29.tok");
    assert_eq!(
        *shown.lock().unwrap(),
        ["https://accounts.example.com/auth?state=oas_1"],
        "the URL is handed over once"
    );
    assert_eq!(*slept.lock().unwrap(), vec![Duration::from_secs(3); 3]);
    let requests = server.requests();
    let actions: Vec<_> = requests
        .iter()
        .map(|r| r.header("x-acs-action").unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "FetchOAuthAuthenticationToken",
            "GetOAuthAuthorizationSession",
            "GetOAuthAuthorizationSession",
            "GetOAuthAuthorizationSession",
            "FetchOAuthAuthenticationToken"
        ]
    );
    assert!(
        requests[0]
            .body_text()
            .contains(r#""forceAuthentication":true"#)
    );
    // the second fetch must not force a new authorization
    assert_eq!(
        requests[4].body_text(),
        r#"{"credentialProviderIdentifier":"cp id","customParameters":{"access_type":"offline"},"scope":"a b"}"#
    );
}

#[tokio::test]
async fn poll_returns_an_immediate_token_without_the_callback() {
    let server = Capture::start().await;
    let pam = server.client();
    server.reply(200, token_answer());
    let (slept, sleep) = recording_sleep();
    let token = pam
        .poll_oauth_authentication_token_with_sleep(
            &user_federation(),
            |_| panic!("no authorization needed"),
            PollOptions::default(),
            sleep,
        )
        .await
        .unwrap();
    assert!(token.has_access_token_content());
    assert!(slept.lock().unwrap().is_empty());
    assert_eq!(server.requests().len(), 1);
}

async fn poll_error(replies: &[Value], options: PollOptions) -> (Error, usize) {
    let server = Capture::start().await;
    let pam = server.client();
    server.reply(200, session_answer());
    for reply in replies {
        server.reply(200, reply.clone());
    }
    let (_slept, sleep) = recording_sleep();
    let err = pam
        .poll_oauth_authentication_token_with_sleep(&user_federation(), |_| Ok(()), options, sleep)
        .await
        .unwrap_err();
    (err, server.requests().len())
}

#[tokio::test]
async fn poll_ends_on_failure_expiry_retries_and_deadline() {
    let failed =
        json!({"sessionStatus": "failed", "errorCode": "access_denied", "errorDescription": "no"});
    let (err, _) = poll_error(&[failed], PollOptions::default()).await;
    assert_eq!(err.code(), Some("access_denied"));
    assert!(err.to_string().contains("no"));
    let (err, _) = poll_error(
        &[json!({"sessionStatus": "failed"})],
        PollOptions::default(),
    )
    .await;
    assert_eq!(err.code(), Some("authorization_failed"));
    let (err, _) = poll_error(&[session_status("expired")], PollOptions::default()).await;
    assert_eq!(err.code(), Some("authorization_session_expired"));

    let pending = vec![session_status("pending"); 5];
    let retries = PollOptions {
        max_retries: 4,
        ..PollOptions::default()
    };
    let (err, requests) = poll_error(&pending, retries).await;
    assert_eq!(err.code(), Some("polling_timeout"));
    assert!(err.to_string().contains("after 4 retries"), "{err}");
    assert_eq!(requests, 1 + 4, "one fetch, four polls");

    // 10 s at 3 s a poll: the fourth poll would start after the deadline
    let deadline = PollOptions {
        timeout: Duration::from_secs(10),
        ..PollOptions::default()
    };
    let (err, requests) = poll_error(&pending, deadline).await;
    assert_eq!(err.code(), Some("polling_timeout"));
    assert!(err.to_string().contains("after 10 seconds"), "{err}");
    assert_eq!(requests, 1 + 3);
}

#[tokio::test]
async fn poll_fails_when_the_callback_fails_or_no_token_follows() {
    let server = Capture::start().await;
    let pam = server.client();
    server.reply(200, session_answer());
    let err = pam
        .poll_oauth_authentication_token_with_sleep(
            &user_federation(),
            |_| Err("no browser".into()),
            PollOptions::default(),
            |_| std::future::ready(()),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Callback(_)), "{err:?}");
    assert_eq!(
        server.requests().len(),
        1,
        "no polling after the callback failed"
    );

    server.clear();
    server.reply(200, session_answer());
    server.reply(200, session_status("completed"));
    server.reply(200, json!({}));
    let err = pam
        .poll_oauth_authentication_token_with_sleep(
            &user_federation(),
            |_| Ok(()),
            PollOptions::default(),
            |_| std::future::ready(()),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no access token was returned"),
        "{err}"
    );

    // neither a token nor a usable session: no callback, no polling
    for answer in [
        json!({}),
        json!({"oauthAuthorizationSession": {"sessionUri": SESSION_URI}}),
    ] {
        server.clear();
        server.reply(200, answer);
        let err = pam
            .poll_oauth_authentication_token_with_sleep(
                &user_federation(),
                |_| panic!("nothing to authorize"),
                PollOptions::default(),
                |_| std::future::ready(()),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidResponse { .. }), "{err:?}");
        assert_eq!(server.requests().len(), 1);
    }
}
