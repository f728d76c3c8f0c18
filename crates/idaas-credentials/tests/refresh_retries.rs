//! The transport's default retries happen inside one cache refresh: 1,000
//! callers waiting on a refresh against a failing IdP cause one request
//! sequence (at most 3 requests), not 1,000. The IdP is a purpose-built
//! token endpoint on 127.0.0.1 that answers the first request and then
//! follows a script.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use idaas_core::clock::{Clock, ManualClock, SharedClock};
use idaas_core::config::{ClientConfig, SecretSource};
use tokio::net::TcpListener;

#[path = "support/loopback.rs"]
mod loopback;

/// A token endpoint: request 0 gets a token valid for an hour, request n
/// (n ≥ 1) gets `later(n)`. Returns its URL and request counter.
async fn idp(later: fn(usize) -> (&'static str, &'static str)) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                while loopback::next_request(&mut stream, &mut buf).await {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    let (status, body) = if n == 0 {
                        (
                            "200 OK",
                            r#"{"access_token":"first","token_type":"Bearer","expires_in":3600}"#,
                        )
                    } else {
                        later(n)
                    };
                    if !loopback::respond(&mut stream, status, body).await {
                        return;
                    }
                }
            });
        }
    });
    (url, count)
}

const DOWN: (&str, &str) = (
    "503 Service Unavailable",
    r#"{"error":"temporarily_unavailable"}"#,
);

/// A provider whose first token is fetched, then expired by the clock, and
/// 1,000 callers at once; returns their outcomes.
async fn thousand_callers_after_expiry(url: &str) -> Vec<Result<String, String>> {
    let clock = ManualClock::at_secs(idaas_core::clock::SystemClock.now_secs());
    let shared: SharedClock = Arc::new(clock.clone());
    let config = ClientConfig::builder()
        .idaas_instance_id("idaas_test")
        .client_id("app")
        .issuer(url.trim_end_matches("/token"))
        .token_endpoint(url)
        .scope("api.example.com|read")
        .client_secret_post(SecretSource::env("S"))
        .build()
        .unwrap();
    let factory = idaas_test_support::factory(config, Some(shared)).await;
    let provider = factory.provider().await.unwrap();
    clock.advance(Duration::from_secs(3601)); // expired
    idaas_test_support::thousand_callers(&provider).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_idp_during_a_refresh_sees_one_request_sequence() {
    let (url, count) = idp(|_| DOWN).await;
    let outcomes = thousand_callers_after_expiry(&url).await;
    assert!(outcomes.iter().all(Result::is_err), "the token expired");
    assert!(
        outcomes[0]
            .as_ref()
            .unwrap_err()
            .contains("temporarily_unavailable"),
        "{:?}",
        outcomes[0]
    );
    let refreshes = count.load(Ordering::SeqCst) - 1;
    assert!(
        (1..=3).contains(&refreshes),
        "{refreshes} requests for 1,000 callers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idp_that_recovers_within_the_retries_serves_every_waiter() {
    let (url, count) = idp(|n| match n {
        1 | 2 => DOWN,
        _ => (
            "200 OK",
            r#"{"access_token":"second","token_type":"Bearer","expires_in":3600}"#,
        ),
    })
    .await;
    let outcomes = thousand_callers_after_expiry(&url).await;
    assert!(
        outcomes.iter().all(|o| o.as_deref() == Ok("second")),
        "{:?}",
        outcomes.iter().find(|o| o.as_deref() != Ok("second"))
    );
    assert_eq!(count.load(Ordering::SeqCst), 4, "1 + 2 × 503 + 200");
}
