//! The authorization code flow over HTTP: the library's `LoginFlow` (its
//! loopback listener, PKCE, nonce, ID-token verification) against the
//! emulator's login page, a scripted browser fetching the page, submitting
//! the form and following the redirect; then the token endpoint's refusals
//! (wrong PKCE verifier, a reused code, another redirect URI or client).

use std::sync::Arc;

use bytes::Bytes;
use idaas_core::http::{HttpClient, HttpOptions, HyperClient, SharedHttpClient};
use idaas_emulator::{Client, Emulator, User};
use idaas_oauth::authorize::Pkce;
use idaas_oauth::jose::decode_jws;
use idaas_oauth::{ClientAuth, Error, LoginFlow, OAuthErrorCode, UserClient};
use serde_json::Value;

async fn emulator() -> Emulator {
    Emulator::builder()
        .client(Client::new("native").with_redirect_uri("http://127.0.0.1/callback"))
        .client(Client::new("other").with_redirect_uri("http://127.0.0.1/callback"))
        .user(
            User::new("alice")
                .with_name("Alice Demo")
                .with_email("alice@example.com"),
        )
        .user(User::new("bob"))
        .start()
        .await
        .unwrap()
}

fn http() -> SharedHttpClient {
    Arc::new(HyperClient::new(HttpOptions::default()).unwrap())
}

struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

async fn send(http: &SharedHttpClient, request: http::Request<Bytes>) -> Answer {
    let response = http.execute(request).await.unwrap();
    Answer {
        status: response.status().as_u16(),
        location: response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned()),
        body: String::from_utf8_lossy(response.body()).into_owned(),
    }
}

async fn get(http: &SharedHttpClient, url: &str) -> Answer {
    send(http, http::Request::get(url).body(Bytes::new()).unwrap()).await
}

async fn post_form(http: &SharedHttpClient, url: &str, body: String) -> Answer {
    let request = http::Request::post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from(body))
        .unwrap();
    send(http, request).await
}

/// The person: opens the login page, answers it, and returns where the
/// emulator sends the browser.
async fn answer_login_page(http: &SharedHttpClient, url: &str, form: &str) -> Answer {
    let page = get(http, url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let request = page
        .body
        .split("name=\"request\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page carries its request id");
    let base = &url[..url.find("/oauth2/").unwrap()];
    post_form(
        http,
        &format!("{base}/oauth2/authorize"),
        format!("request={request}&{form}"),
    )
    .await
}

fn query(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// Runs `LoginFlow` in a task; the person answers with `form`; returns
/// the flow's result and the page the browser landed on.
async fn sign_in(
    emulator: &Emulator,
    scopes: &[&str],
    form: &'static str,
) -> (Result<idaas_oauth::Session, Error>, Answer) {
    let client = UserClient::discover(http(), emulator.base_url(), "native", ClientAuth::None)
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let tx = std::sync::Mutex::new(Some(tx));
    let flow = LoginFlow::new()
        .scopes(scopes.iter().copied())
        .open_browser(false)
        .on_url(move |url| {
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(url.to_owned());
            }
        });
    let login = tokio::spawn(async move { client.login(&flow).await });
    let url = rx.await.unwrap();
    assert!(url.starts_with(&emulator.authorization_endpoint()), "{url}");
    let browser = http();
    let decided = answer_login_page(&browser, &url, form).await;
    assert_eq!(decided.status, 302, "{}", decided.body);
    let location = decided.location.unwrap();
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");
    let q = query(&location);
    assert_eq!(q["iss"], emulator.base_url(), "RFC 9207 iss");
    let landing = get(&browser, &location).await;
    (login.await.unwrap(), landing)
}

#[tokio::test]
async fn the_login_flow_signs_in_through_the_page_and_verifies_the_id_token() {
    let emulator = emulator().await;
    let (session, landing) = sign_in(
        &emulator,
        &["openid", "email", "profile", "offline_access"],
        "login=alice&decision=approve",
    )
    .await;
    let session = session.unwrap();
    assert!(landing.body.contains("Signed in"), "{}", landing.body);
    let agent = session.agent();
    assert_eq!(agent.id(), "alice");
    assert_eq!(agent.email(), Some("alice@example.com"));

    let tokens = agent.tokens();
    let id_token = tokens.id_token.as_ref().unwrap().expose_secret().to_owned();
    let claims = decode_jws(&id_token).unwrap().claims;
    assert_eq!(claims["iss"], emulator.base_url());
    assert_eq!(claims["aud"], "native");
    assert_eq!(claims["name"], "Alice Demo");
    for claim in ["nonce", "iat", "exp", "auth_time"] {
        assert!(claims.contains_key(claim), "{claim} in {claims:?}");
    }
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access: a refresh token"
    );

    let client = UserClient::discover(http(), emulator.base_url(), "native", ClientAuth::None)
        .await
        .unwrap();
    let info = client.userinfo(&agent).await.unwrap();
    assert_eq!(info.sub(), "alice");
    assert_eq!(info.claim_str("email"), Some("alice@example.com"));
    // refresh: a new ID token about the same person (verified by the library)
    let renewed = client.refresh(&agent).await.unwrap();
    assert_eq!(renewed.id(), "alice");
    assert_ne!(
        renewed.access_token().expose_secret(),
        agent.access_token().expose_secret()
    );
    let renewed_claims = decode_jws(renewed.tokens().id_token.as_ref().unwrap().expose_secret())
        .unwrap()
        .claims;
    assert_eq!(renewed_claims["auth_time"], claims["auth_time"]);
}

#[tokio::test]
async fn a_denial_comes_back_as_access_denied() {
    let emulator = emulator().await;
    let (result, landing) = sign_in(&emulator, &["openid"], "login=alice&decision=deny").await;
    match result {
        Err(Error::OAuth(e)) => assert_eq!(e.code, OAuthErrorCode::AccessDenied, "{e:?}"),
        other => panic!("{other:?}"),
    }
    assert!(landing.body.contains("access_denied"), "{}", landing.body);
}

/// An authorization request by hand; returns the code (approved by alice).
async fn code_for(
    http: &SharedHttpClient,
    emulator: &Emulator,
    client_id: &str,
    redirect: &str,
    pkce: &Pkce,
) -> String {
    let mut url = url::Url::parse(&emulator.authorization_endpoint()).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("scope", "openid")
        .append_pair("state", "s-1")
        .append_pair("code_challenge", pkce.challenge())
        .append_pair("code_challenge_method", "S256");
    let answer = answer_login_page(http, url.as_str(), "login=bob&decision=approve").await;
    let q = query(&answer.location.expect("redirected"));
    assert_eq!(q["state"], "s-1");
    q["code"].clone()
}

async fn redeem(
    http: &SharedHttpClient,
    emulator: &Emulator,
    client_id: &str,
    code: &str,
    redirect: &str,
    verifier: &str,
) -> (u16, Value) {
    let body = format!(
        "grant_type=authorization_code&client_id={client_id}&code={code}&redirect_uri={}&code_verifier={verifier}",
        idaas_oauth::form::encode_component(redirect)
    );
    let answer = post_form(http, &emulator.token_endpoint(), body).await;
    (answer.status, serde_json::from_str(&answer.body).unwrap())
}

fn invalid_grant(status: u16, body: &Value, saying: &str) {
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let description = body["error_description"].as_str().unwrap();
    assert!(description.contains(saying), "{description}");
}

#[tokio::test]
async fn the_token_endpoint_enforces_pkce_single_use_and_bindings() {
    let emulator = emulator().await;
    let http = http();
    let redirect = "http://127.0.0.1:45678/callback";
    let pkce = Pkce::new();
    let verifier = pkce.verifier().expose_secret().to_owned();

    // a wrong verifier is refused, and the code is spent
    let code = code_for(&http, &emulator, "native", redirect, &pkce).await;
    let wrong = Pkce::new();
    let (status, body) = redeem(
        &http,
        &emulator,
        "native",
        &code,
        redirect,
        wrong.verifier().expose_secret(),
    )
    .await;
    invalid_grant(status, &body, "code_challenge");
    let (status, _) = redeem(&http, &emulator, "native", &code, redirect, &verifier).await;
    assert_eq!(status, 400, "one attempt per code");

    // the right verifier: tokens once, then the code is refused
    let code = code_for(&http, &emulator, "native", redirect, &pkce).await;
    let (status, body) = redeem(&http, &emulator, "native", &code, redirect, &verifier).await;
    assert_eq!(status, 200, "{body}");
    let id = decode_jws(body["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(id.claims["sub"], "bob");
    assert!(!id.claims.contains_key("nonce"), "none was sent");
    assert!(body["refresh_token"].is_null(), "no offline_access");
    let (status, body) = redeem(&http, &emulator, "native", &code, redirect, &verifier).await;
    invalid_grant(status, &body, "already used");

    // bound to its redirect URI and client
    let code = code_for(&http, &emulator, "native", redirect, &pkce).await;
    let other_port = "http://127.0.0.1:45679/callback";
    let (status, body) = redeem(&http, &emulator, "native", &code, other_port, &verifier).await;
    invalid_grant(status, &body, "redirect_uri");
    let code = code_for(&http, &emulator, "native", redirect, &pkce).await;
    let (status, body) = redeem(&http, &emulator, "other", &code, redirect, &verifier).await;
    invalid_grant(status, &body, "another client");
}

#[tokio::test]
async fn bad_requests_are_shown_or_redirected_never_to_an_unregistered_uri() {
    let emulator = emulator().await;
    let http = http();
    let base = emulator.authorization_endpoint();
    let challenge = Pkce::new().challenge().to_owned();
    // an unregistered redirect URI: an error page, no redirect
    let evil = format!(
        "{base}?response_type=code&client_id=native&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&code_challenge={challenge}&code_challenge_method=S256"
    );
    let answer = get(&http, &evil).await;
    assert_eq!((answer.status, answer.location), (400, None));
    assert!(answer.body.contains("not registered"), "{}", answer.body);
    // no PKCE: back to the client with invalid_request
    let answer = get(
        &http,
        &format!("{base}?response_type=code&client_id=native&redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Fcallback&state=%3Cx%3E"),
    )
    .await;
    let q = query(&answer.location.unwrap());
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(q["state"], "<x>");
    // what the page echoes is escaped; a forged or replayed POST is refused
    let page = get(
        &http,
        &format!("{base}?response_type=code&client_id=native&redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Fcallback&scope=%3Cscript%3E&code_challenge={challenge}&code_challenge_method=S256"),
    )
    .await;
    assert!(!page.body.contains("<script>") && page.body.contains("&lt;script&gt;"));
    assert_eq!(page.status, 200);
    let forged = post_form(
        &http,
        &base,
        "request=guess&login=alice&decision=approve".into(),
    )
    .await;
    assert_eq!((forged.status, forged.location), (400, None));
    // an unknown user: the page again with the problem, the request still open
    let request = page
        .body
        .split("name=\"request\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let unknown = post_form(
        &http,
        &base,
        format!("request={request}&login=mallory&decision=approve"),
    )
    .await;
    assert_eq!(unknown.status, 200);
    assert!(unknown.body.contains("No demo user"), "{}", unknown.body);
    let approved = post_form(
        &http,
        &base,
        format!("request={request}&login=alice&decision=approve"),
    )
    .await;
    assert_eq!(approved.status, 302);
    let replayed = post_form(
        &http,
        &base,
        format!("request={request}&login=alice&decision=approve"),
    )
    .await;
    assert_eq!((replayed.status, replayed.location), (400, None));
}
