//! The default retry policy against servers on 127.0.0.1 that fail on
//! purpose: 503s, a 429 with `Retry-After`, a final `invalid_client`, and a
//! server that closes keep-alive connections just as they are reused.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use idaas_core::http::{Bytes, HttpClient, HttpOptions, HttpRequest, HyperClient, Method};
use idaas_core::http::{RetryPolicy, header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with a request, by its number on its connection
/// (0-based).
#[derive(Clone, Copy)]
enum Act {
    /// Answer with this status line, extra header lines and body.
    Reply(&'static str, &'static str, &'static str),
    /// Read the request, then close the connection without a byte.
    Drop,
}

struct Server {
    base: String,
    /// When each request arrived, and on which connection (by number).
    seen: Arc<Mutex<Vec<(Instant, usize)>>>,
}

impl Server {
    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

async fn serve(script: fn(usize) -> Act) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut connection = 0;
        while let Ok((stream, _)) = listener.accept().await {
            connection += 1;
            tokio::spawn(handle(stream, connection, script, log.clone()));
        }
    });
    Server { base, seen }
}

async fn handle(
    mut stream: TcpStream,
    connection: usize,
    script: fn(usize) -> Act,
    log: Arc<Mutex<Vec<(Instant, usize)>>>,
) {
    let mut buf = Vec::new();
    for on_connection in 0.. {
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 2048];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        while buf.len() < end + length {
            let mut chunk = [0u8; 2048];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..end + length);
        log.lock().unwrap().push((Instant::now(), connection));
        match script(on_connection) {
            Act::Drop => return,
            Act::Reply(status, headers, body) => {
                let text = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\ncontent-type: application/json\r\n{headers}\r\n{body}",
                    body.len()
                );
                if stream.write_all(text.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn post(url: &str) -> HttpRequest {
    http::Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Bytes::from_static(b"grant_type=client_credentials"))
        .unwrap()
}

const TOKEN: &str = r#"{"access_token":"at","token_type":"Bearer","expires_in":60}"#;

#[tokio::test]
async fn two_503_then_200_succeeds_in_three_requests() {
    let server = serve(|n| match n {
        0 | 1 => Act::Reply(
            "503 Service Unavailable",
            "",
            r#"{"error":"temporarily_unavailable"}"#,
        ),
        _ => Act::Reply("200 OK", "", TOKEN),
    })
    .await;
    let client = HyperClient::new(HttpOptions::default()).unwrap();
    let ok = client
        .execute(post(&format!("{}/token", server.base)))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn retry_after_is_waited_for() {
    let server = serve(|n| match n {
        0 => Act::Reply(
            "429 Too Many Requests",
            "retry-after: 2\r\n",
            r#"{"error":"slow_down"}"#,
        ),
        _ => Act::Reply("200 OK", "", TOKEN),
    })
    .await;
    let client = HyperClient::new(HttpOptions::default()).unwrap();
    let ok = client
        .execute(post(&format!("{}/token", server.base)))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[1].0 - seen[0].0 >= Duration::from_secs(2),
        "second request {:?} after the first",
        seen[1].0 - seen[0].0
    );
}

#[tokio::test]
async fn invalid_client_is_sent_once() {
    let server = serve(|_| {
        Act::Reply(
            "400 Bad Request",
            "",
            r#"{"error":"invalid_client","error_description":"bad secret"}"#,
        )
    })
    .await;
    let client = HyperClient::new(HttpOptions::default()).unwrap();
    let r = client
        .execute(post(&format!("{}/token", server.base)))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // give a wrongly scheduled retry the time to show up
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn retries_can_be_turned_off_per_client_and_per_request() {
    let server = serve(|_| Act::Reply("503 Service Unavailable", "", "")).await;
    let off = HyperClient::new(HttpOptions::default().with_retry(RetryPolicy::none())).unwrap();
    assert_eq!(off.execute(post(&server.base)).await.unwrap().status(), 503);
    assert_eq!(server.count(), 1);
    let on = HyperClient::new(HttpOptions::default()).unwrap();
    let mut once = post(&server.base);
    once.extensions_mut().insert(RetryPolicy::none());
    assert_eq!(on.execute(once).await.unwrap().status(), 503);
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn a_pooled_connection_closed_under_the_request_is_resent_on_a_fresh_one() {
    // The second request on every connection is read and answered by
    // closing it: the connection the client reused was being closed by the
    // server.
    let server = serve(|n| {
        if n % 2 == 1 {
            Act::Drop
        } else {
            Act::Reply("200 OK", "", TOKEN)
        }
    })
    .await;
    // one attempt only: the re-send on a fresh connection is not an attempt
    let client = HyperClient::new(HttpOptions::default().with_retry(RetryPolicy::none())).unwrap();
    for _ in 0..5 {
        let ok = client.execute(post(&server.base)).await.unwrap();
        assert_eq!(ok.status(), 200);
    }
    // conn 1: ok, dropped → conn 2 (fresh, not pooled): ok; conn 3: ok,
    // dropped → conn 4: ok; conn 5: ok
    let seen = server.seen.lock().unwrap().clone();
    let connections: Vec<usize> = seen.iter().map(|(_, c)| *c).collect();
    assert_eq!(connections, [1, 1, 2, 3, 3, 4, 5], "{seen:?}");
}

#[tokio::test]
async fn a_fresh_connection_that_closes_is_an_attempt() {
    // Drop everything: with retries off, exactly one request is sent (a
    // fresh connection's failure is not re-sent for free).
    let server = serve(|_| Act::Drop).await;
    let client = HyperClient::new(HttpOptions::default().with_retry(RetryPolicy::none())).unwrap();
    let err = client.execute(post(&server.base)).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(server.count(), 1);
    // with the default policy: three attempts
    let client = HyperClient::new(HttpOptions::default()).unwrap();
    client.execute(post(&server.base)).await.unwrap_err();
    assert_eq!(server.count(), 4);
}
