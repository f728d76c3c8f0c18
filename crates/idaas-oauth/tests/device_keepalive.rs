//! The device flow against a token endpoint that closes idle keep-alive
//! connections at the poll interval, as Node-based providers do: the poll
//! goes out on a connection the server is closing. 20 concurrent flows with
//! `slow_down` all succeed. Time is scaled 1:100 (a 6 s poll is 60 ms) so
//! the test stays fast; the server's idle timeout is the scaled interval,
//! and a request arriving on a connection idle that long is read and
//! answered by closing the connection (the race, made certain).
//! A second test: a token endpoint that is down for a while is transient
//! to the flow, until the code expires.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idaas_core::http::{HttpOptions, HyperClient, RetryPolicy};
use idaas_oauth::{ClientAuth, Error, OAuthClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SCALE: u32 = 100;
/// The poll interval after one `slow_down` (1 s + 5 s), scaled.
const IDLE: Duration = Duration::from_millis(6_000 / SCALE as u64);

#[derive(Default)]
struct State {
    next_code: AtomicUsize,
    polls: Mutex<HashMap<String, usize>>,
    requests: AtomicUsize,
    /// Requests read on a connection idle for [`IDLE`], and dropped.
    dropped: AtomicUsize,
    connections: AtomicUsize,
    /// Polls answered 503 before the endpoint "comes back".
    outage: AtomicUsize,
}

async fn serve(state: Arc<State>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            state.connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(connection(stream, state.clone()));
        }
    });
    base
}

/// Serves one keep-alive connection: a request that arrives once it has
/// been idle for [`IDLE`] is read and answered by closing it.
async fn connection(mut stream: TcpStream, state: Arc<State>) {
    let mut buf = Vec::new();
    let mut answered: Option<std::time::Instant> = None;
    loop {
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 2048];
            // closed for good a while later (a request in between is dropped)
            let idle = if buf.is_empty() {
                IDLE * 2
            } else {
                Duration::from_secs(5)
            };
            match tokio::time::timeout(idle, stream.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => return, // idle (or gone): close
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let length: usize = head
            .to_ascii_lowercase()
            .lines()
            .find_map(|l| l.strip_prefix("content-length:").map(str::to_owned))
            .map_or(0, |v| v.trim().parse().unwrap());
        while buf.len() < end + length {
            let mut chunk = [0u8; 2048];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = String::from_utf8_lossy(&buf[end..end + length]).to_string();
        buf.drain(..end + length);
        if answered.is_some_and(|at| at.elapsed() >= IDLE) {
            state.dropped.fetch_add(1, Ordering::SeqCst);
            return;
        }
        state.requests.fetch_add(1, Ordering::SeqCst);
        let (status, json) = answer(&head, &body, &state);
        let text = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{json}",
            json.len()
        );
        if stream.write_all(text.as_bytes()).await.is_err() {
            return;
        }
        answered = Some(std::time::Instant::now());
    }
}

fn answer(head: &str, body: &str, state: &State) -> (&'static str, String) {
    if head.starts_with("POST /device ") {
        let n = state.next_code.fetch_add(1, Ordering::SeqCst);
        let json = serde_json::json!({
            "device_code": format!("dc-{n}"),
            "user_code": format!("U-{n}"),
            "verification_uri": "https://idp.example/device",
            "expires_in": 600,
            "interval": 1,
        });
        return ("200 OK", json.to_string());
    }
    if state
        .outage
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return ("503 Service Unavailable", String::new());
    }
    // our codes (dc-N) need no percent-decoding
    let code = body
        .split('&')
        .find_map(|pair| pair.strip_prefix("device_code="))
        .unwrap_or_default()
        .to_owned();
    let poll = {
        let mut polls = state.polls.lock().unwrap();
        let n = polls.entry(code.clone()).or_default();
        *n += 1;
        *n
    };
    match poll {
        1 => ("400 Bad Request", r#"{"error":"slow_down"}"#.into()),
        2 => (
            "400 Bad Request",
            r#"{"error":"authorization_pending"}"#.into(),
        ),
        _ => (
            "200 OK",
            format!(r#"{{"access_token":"at-{code}","token_type":"Bearer","expires_in":300}}"#),
        ),
    }
}

fn client(base: &str, retry: RetryPolicy) -> OAuthClient {
    let http = Arc::new(HyperClient::new(HttpOptions::default().with_retry(retry)).unwrap());
    OAuthClient::new(
        http,
        "device-app",
        format!("{base}/token"),
        ClientAuth::None,
    )
}

async fn scaled_sleep(d: Duration) {
    tokio::time::sleep(d / SCALE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_device_flows_survive_a_server_closing_idle_connections() {
    let state = Arc::new(State::default());
    let base = serve(state.clone()).await;
    // Retries off, and the codes expire right after the third poll (1 s +
    // 6 s + 6 s): a poll lost to a closing connection would time the flow
    // out. Only the immediate re-send on a fresh connection saves it.
    let client = client(&base, RetryPolicy::none());
    let flows: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            let base = base.clone();
            tokio::spawn(async move {
                let authorization = client
                    .device_authorization(&format!("{base}/device"), Some("openid"))
                    .await?;
                let authorization = idaas_oauth::device::DeviceAuthorization {
                    expires_in: 13,
                    ..authorization
                };
                client.poll_device_token(&authorization, scaled_sleep).await
            })
        })
        .collect();
    for flow in flows {
        let token = flow.await.unwrap().unwrap();
        assert!(
            token
                .credential
                .access_token
                .expose_secret()
                .starts_with("at-dc-")
        );
    }
    // 20 authorizations + 3 polls each
    assert_eq!(state.requests.load(Ordering::SeqCst), 80);
    // how often the race happened (typically 5-15 of the 40 later polls;
    // under heavy load fewer, so it is reported, not asserted)
    eprintln!(
        "{} polls met a closing connection",
        state.dropped.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn a_token_endpoint_down_for_a_while_does_not_end_the_flow() {
    let state = Arc::new(State::default());
    let base = serve(state.clone()).await;
    let client = client(&base, RetryPolicy::default());
    let authorization = client
        .device_authorization(&format!("{base}/device"), None)
        .await
        .unwrap();
    // 7 polls answered 503: the first poll's 3 attempts, the second's 3,
    // and one of the third; the flow goes on
    state.outage.store(7, Ordering::SeqCst);
    let token = client
        .poll_device_token(&authorization, scaled_sleep)
        .await
        .unwrap();
    assert_eq!(token.credential.access_token.expose_secret(), "at-dc-0");
    // an endpoint that never comes back ends with the code's expiry
    let authorization = client
        .device_authorization(&format!("{base}/device"), None)
        .await
        .unwrap();
    let short = idaas_oauth::device::DeviceAuthorization {
        expires_in: 3,
        ..authorization
    };
    state.outage.store(usize::MAX, Ordering::SeqCst);
    let err = client
        .poll_device_token(&short, scaled_sleep)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
}
