//! The loopback listener: the right redirect completes the flow; strays and
//! wrong states are answered and ignored; errors and timeouts end it.

use std::sync::Arc;
use std::time::Duration;

use idaas_core::http::{Bytes, HttpClient, HttpOptions, HyperClient};
use idaas_oauth::authorize::AuthorizationRequest;
use idaas_oauth::loopback::{DefaultPages, LoopbackListener, Outcome, Page, PageHandler};
use idaas_oauth::{Error, OAuthErrorCode};

async fn get(url: &str) -> (u16, String, Option<String>) {
    let client = HyperClient::new(HttpOptions::default()).unwrap();
    let response = client
        .execute(http::Request::get(url).body(Bytes::new()).unwrap())
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        response.status().as_u16(),
        String::from_utf8_lossy(response.body()).into_owned(),
        location,
    )
}

#[tokio::test]
async fn strays_and_wrong_states_do_not_end_the_flow() {
    let listener = Arc::new(LoopbackListener::bind(0, "/callback").await.unwrap());
    let redirect = listener.redirect_uri().to_owned();
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/callback"));
    let pending = AuthorizationRequest::new("https://idp.example.com/authorize", "app", &redirect)
        .build()
        .unwrap();
    let state = pending.state.clone();
    let waiting = {
        let listener = listener.clone();
        let state = state.clone();
        tokio::spawn(async move {
            listener
                .wait(&state, Duration::from_secs(10), &DefaultPages)
                .await
        })
    };
    let base = redirect.trim_end_matches("/callback").to_owned();
    let (status, _, _) = get(&format!("{base}/favicon.ico")).await;
    assert_eq!(status, 404);
    let (status, body, _) = get(&format!("{redirect}?code=stolen&state=wrong")).await;
    assert_eq!(status, 400);
    assert!(body.contains("does not belong"));
    let (status, _, _) = get(&format!("{redirect}?code=stolen")).await;
    assert_eq!(status, 400, "no state at all");
    assert!(!waiting.is_finished(), "still waiting after strays");
    let (status, body, _) = get(&format!(
        "{redirect}?code=the-code&state={state}&iss=https%3A%2F%2Fidp"
    ))
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("Signed in"), "{body}");
    let callback = waiting.await.unwrap().unwrap();
    assert_eq!(callback.code.expose_secret(), "the-code");
    assert_eq!(callback.iss.as_deref(), Some("https://idp"));
}

struct RedirectPages;

impl PageHandler for RedirectPages {
    fn page(&self, outcome: &Outcome<'_>) -> Page {
        match outcome {
            Outcome::Success => Page::Redirect("https://app.example.com/welcome".into()),
            Outcome::Failure { error, .. } => Page::Html(format!("custom failure page: {error}")),
        }
    }
}

#[tokio::test]
async fn errors_end_the_flow_through_the_page_handler() {
    let listener = Arc::new(LoopbackListener::bind(0, "cb").await.unwrap());
    let redirect = listener.redirect_uri().to_owned();
    let waiting = {
        let listener = listener.clone();
        tokio::spawn(async move {
            listener
                .wait("s1", Duration::from_secs(10), &RedirectPages)
                .await
        })
    };
    let (_, body, _) = get(&format!(
        "{redirect}?error=access_denied&error_description=no%20%3Cb%3E&state=s1"
    ))
    .await;
    assert!(body.contains("custom failure page: access_denied"));
    let err = waiting.await.unwrap().unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.code == OAuthErrorCode::AccessDenied),
        "{err:?}"
    );

    let listener = Arc::new(LoopbackListener::bind(0, "cb").await.unwrap());
    let redirect = listener.redirect_uri().to_owned();
    let waiting = {
        let listener = listener.clone();
        tokio::spawn(async move {
            listener
                .wait("s2", Duration::from_secs(10), &RedirectPages)
                .await
        })
    };
    let (status, _, location) = get(&format!("{redirect}?code=c&state=s2")).await;
    assert_eq!(status, 302);
    assert_eq!(location.as_deref(), Some("https://app.example.com/welcome"));
    assert!(waiting.await.unwrap().is_ok());
}

#[tokio::test]
async fn the_default_error_page_escapes_html_and_a_silent_flow_times_out() {
    let listener = Arc::new(LoopbackListener::bind(0, "/cb").await.unwrap());
    let redirect = listener.redirect_uri().to_owned();
    let waiting = {
        let listener = listener.clone();
        tokio::spawn(async move {
            listener
                .wait("s", Duration::from_secs(10), &DefaultPages)
                .await
        })
    };
    let (_, body, _) = get(&format!(
        "{redirect}?error=x&error_description=%3Cscript%3E&state=s"
    ))
    .await;
    assert!(body.contains("&lt;script&gt;") && !body.contains("<script>"));
    assert!(waiting.await.unwrap().is_err());

    let listener = LoopbackListener::bind(0, "/cb").await.unwrap();
    let err = listener
        .wait("s", Duration::from_millis(200), &DefaultPages)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
}

#[tokio::test]
async fn a_silent_connection_does_not_hold_up_the_redirect() {
    use tokio::io::AsyncWriteExt;
    let listener = Arc::new(LoopbackListener::bind(0, "/callback").await.unwrap());
    let redirect = listener.redirect_uri().to_owned();
    let waiting = {
        let listener = listener.clone();
        tokio::spawn(async move {
            listener
                .wait("the-state", Duration::from_secs(10), &DefaultPages)
                .await
        })
    };
    let addr = redirect
        .trim_start_matches("http://")
        .trim_end_matches("/callback")
        .to_owned();
    // a speculative preconnect: opened first, never sends a byte
    let opened = std::time::Instant::now();
    let mut silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // a half-sent request too
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /callback?code=x").await.unwrap();
    // the signal that both are being read: a stray request on a later
    // connection is answered (connections are accepted in order, so the
    // listener took the two first and reads them while it answers this one)
    let (stray, _, _) = get(&format!("http://{addr}/not-the-callback")).await;
    assert_eq!(stray, 404);
    let (status, body, _) = get(&format!("{redirect}?code=the-code&state=the-state")).await;
    // a listener reading one connection at a time would answer only after
    // giving up on both (2 s each)
    assert!(
        opened.elapsed() < Duration::from_secs(2),
        "the redirect waited for the silent connections: {:?}",
        opened.elapsed()
    );
    assert_eq!(status, 200);
    assert!(body.contains("Signed in"), "{body}");
    let callback = waiting.await.unwrap().unwrap();
    assert_eq!(callback.code.expose_secret(), "the-code");
    // once the flow is over, the connections still being read are closed
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(1), silent.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
}
