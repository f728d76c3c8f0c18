//! Pushed authorization requests (RFC 9126) and request objects (RFC 9101)
//! at oidc-provider's PAR endpoint, without a browser: a client that must
//! sign its requests is refused an unsigned one, one signed by another key
//! and one whose claims were altered after signing; its signed request is
//! accepted and the browser would carry only the `request_uri`. Signed
//! authorization responses (JARM, `response_mode=jwt`) through the scripted
//! browser: the listener takes the provider's, turns away an altered and
//! an unsigned one. (The full sign-ins are in signin_chromium.rs.)

#[allow(dead_code)]
#[path = "support/browser.rs"]
mod browser;
#[allow(dead_code)]
mod support;

use browser::Browser;
use idaas_core::http::HttpClient;
use idaas_oauth::authorize::PendingAuthorization;
use idaas_oauth::jose::{SigningKey, b64url, b64url_decode};
use idaas_oauth::loopback::{DefaultPages, LoopbackListener};
use idaas_oauth::*;

fn pending(client: &UserClient) -> PendingAuthorization {
    client
        .authorization_request("http://127.0.0.1:8400/callback", ["openid"])
        .unwrap()
        .build()
        .unwrap()
}

fn registered_key() -> SigningKey {
    SigningKey::from_pem(&std::fs::read_to_string(support::fixture("p256-pkcs8.pem")).unwrap())
        .unwrap()
}

fn refused(result: Result<PendingAuthorization, Error>, what: &str) -> Error {
    let e = result.expect_err(what);
    assert!(e.oauth_code().is_some(), "{what}: {e}");
    e
}

#[tokio::test]
async fn only_a_request_object_signed_by_the_registered_key_is_accepted() {
    let client = support::user_client("jar_native").await;
    refused(
        client
            .push_authorization(pending(&client), Par::Always)
            .await,
        "an unsigned request",
    );
    let other = SigningKey::generate_p256();
    let by_other = client.sign_authorization(pending(&client), &other).unwrap();
    refused(
        client.push_authorization(by_other, Par::Always).await,
        "signed by another key",
    );

    // claims altered after signing: another redirect_uri, same signature
    let mut altered = client
        .sign_authorization(pending(&client), &registered_key())
        .unwrap();
    let jwt = altered.params[1].1.clone();
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64url_decode(parts[1]).unwrap()).unwrap();
    claims["redirect_uri"] = "http://127.0.0.1:9999/callback".into();
    altered.params[1].1 = format!(
        "{}.{}.{}",
        parts[0],
        b64url(claims.to_string().as_bytes()),
        parts[2]
    );
    refused(
        client.push_authorization(altered, Par::Always).await,
        "altered after signing",
    );

    let signed = client
        .sign_authorization(pending(&client), &registered_key())
        .unwrap();
    let request = &signed.params[1].1;
    let header: serde_json::Value =
        serde_json::from_slice(&b64url_decode(request.split('.').next().unwrap()).unwrap())
            .unwrap();
    assert_eq!(header["typ"], "oauth-authz-req+jwt");
    let pushed = client.push_authorization(signed, Par::Auto).await.unwrap();
    let query: Vec<(String, String)> = pushed.url.query_pairs().into_owned().collect();
    assert_eq!(query[0], ("client_id".into(), client.client_id().into()));
    assert_eq!(query[1].0, "request_uri");
    assert_eq!(query.len(), 2);
}

#[tokio::test]
async fn a_client_that_must_push_is_refused_in_the_front_channel() {
    // Par::Never for a client registered with require_pushed_authorization_requests:
    // nothing is pushed (the provider's metadata does not require it for all)…
    let client = support::user_client("par_native").await;
    let front = client
        .push_authorization(pending(&client), Par::Never)
        .await
        .unwrap();
    assert!(front.url.query_pairs().any(|(k, _)| k == "code_challenge"));
    // …and the provider sends the browser back with invalid_request
    let get = http::Request::builder()
        .uri(front.url.as_str())
        .body(idaas_core::http::Bytes::new())
        .unwrap();
    let answer = client.http().execute(get).await.unwrap();
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        answer.status().is_redirection() && location.contains("error=invalid_request"),
        "{} {location}",
        answer.status()
    );
    // pushed, it is accepted (a public client: client_id is its authentication)
    let pushed = client
        .push_authorization(pending(&client), Par::Always)
        .await
        .unwrap();
    assert!(
        pushed.params[1]
            .1
            .starts_with("urn:ietf:params:oauth:request_uri:")
    );
}

#[tokio::test]
async fn a_signed_authorization_response_is_verified_and_an_altered_one_refused() {
    let client = support::user_client("native").await;
    let listener = LoopbackListener::bind(0, "/callback")
        .await
        .unwrap()
        .with_jarm(client.jarm_validator().unwrap());
    let pending = client
        .authorization_request(listener.redirect_uri(), ["openid", "email"])
        .unwrap()
        .param("response_mode", "jwt")
        .param("prompt", "consent")
        .build()
        .unwrap();
    let account = &support::provider().info["accounts"]["usr_alice"];
    let (login, password) = (
        account["login"].as_str().unwrap().to_owned(),
        account["password"].as_str().unwrap().to_owned(),
    );
    let (url, redirect, state) = (
        pending.url.to_string(),
        listener.redirect_uri().to_owned(),
        pending.state.clone(),
    );
    let browser = tokio::spawn(async move {
        // the provider's answer, not yet delivered: ?response=<JWT>
        let answer = Browser::new(&login, &password)
            .drive(&url, &redirect, false)
            .await
            .url;
        let response = answer
            .query_pairs()
            .find(|(k, _)| k == "response")
            .expect("a signed response")
            .1
            .into_owned();
        let deliver = |query: String| {
            let target = format!("{redirect}?{query}");
            async move {
                Browser::new("", "")
                    .drive(&target, "http://never", false)
                    .await
            }
        };
        // its claims altered (another code), the signature kept
        let parts: Vec<&str> = response.split('.').collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&b64url_decode(parts[1]).unwrap()).unwrap();
        assert!(claims["code"].is_string() && claims["state"] == state.as_str());
        claims["code"] = "an-attackers-code".into();
        let altered = format!(
            "{}.{}.{}",
            parts[0],
            b64url(claims.to_string().as_bytes()),
            parts[2]
        );
        let refused = deliver(format!("response={altered}")).await;
        assert_eq!(refused.status, 400);
        assert!(
            refused.body.contains("not signed by the provider"),
            "{}",
            refused.body
        );
        // unsigned parameters with the right state: refused too
        let unsigned = deliver(format!("code=an-attackers-code&state={state}")).await;
        assert_eq!(unsigned.status, 400);
        // the provider's own
        let accepted = deliver(answer.query().unwrap().to_owned()).await;
        assert_eq!(accepted.status, 200, "{}", accepted.body);
    });
    let callback = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        listener.wait(
            &pending.state,
            std::time::Duration::from_secs(60),
            &DefaultPages,
        ),
    )
    .await
    .expect("in time")
    .unwrap();
    browser.await.unwrap();
    assert_eq!(
        callback.iss.as_deref(),
        Some(client.issuer()),
        "the response's iss"
    );
    let agent = client
        .exchange_code(&callback.code, &pending)
        .await
        .unwrap();
    assert_eq!(agent.id(), "usr_alice");
}
