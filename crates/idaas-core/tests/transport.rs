//! The transport against small servers on 127.0.0.1 that misbehave on purpose:
//! timeouts, oversize bodies, retryable and final statuses, redirects,
//! keep-alive, https enforcement, TLS, and no secret in logs.
//!
//! Every server listens on an ephemeral loopback port and dies with its
//! test's runtime; every timeout is a few hundred milliseconds.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use idaas_core::TransportError;
use idaas_core::http::{
    Bytes, HttpClient, HttpOptions, HttpRequest, HyperClient, Method, RetryPolicy, RetryingClient,
    header,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the test server does with one request.
#[derive(Clone)]
enum Reply {
    /// Send these bytes (a complete HTTP response).
    Raw(Vec<u8>),
    /// Send these bytes, then stall without finishing the response.
    Stall(Vec<u8>),
    /// Never answer.
    Silence,
    /// Close the connection without answering.
    Close,
}

fn response(status: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut text = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    Reply::Raw(text.into_bytes())
}

struct Server {
    base: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

/// A raw HTTP/1.1 server on an ephemeral loopback port; `replies[i]` answers
/// the i-th request (the last one repeats). It stops with the test's runtime.
async fn serve(replies: Vec<Reply>) -> Server {
    serve_with(replies, None).await
}

/// [`serve`], over TLS with the test certificate if `tls` is set.
async fn serve_with(replies: Vec<Reply>, tls: Option<tokio_rustls::TlsAcceptor>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base = format!("{scheme}://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (c, r) = (connections.clone(), requests.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            c.fetch_add(1, Ordering::SeqCst);
            let (replies, r) = (replies.clone(), r.clone());
            match tls.clone() {
                None => drop(tokio::spawn(handle(stream, replies, r))),
                Some(acceptor) => drop(tokio::spawn(async move {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        handle(stream, replies, r).await;
                    }
                })),
            }
        }
    });
    Server {
        base,
        connections,
        requests,
    }
}

async fn handle<S>(mut stream: S, replies: Vec<Reply>, requests: Arc<Mutex<Vec<String>>>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = Vec::new();
    loop {
        // read one request head
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..head_end + length);
        let index = {
            let mut all = requests.lock().unwrap();
            all.push(head);
            all.len() - 1
        };
        match replies[index.min(replies.len() - 1)].clone() {
            Reply::Raw(bytes) => {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Reply::Stall(bytes) => {
                let _ = stream.write_all(&bytes).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            Reply::Silence => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            Reply::Close => return,
        }
    }
}

fn fast_options() -> HttpOptions {
    HttpOptions::default()
        .with_connect_timeout(Duration::from_millis(300))
        .with_read_timeout(Duration::from_millis(300))
}

fn get(url: &str) -> HttpRequest {
    http::Request::builder()
        .method(Method::GET)
        .uri(url)
        .body(Bytes::new())
        .unwrap()
}

#[tokio::test]
async fn a_handshake_that_never_completes_is_a_connect_timeout() {
    // A TCP listener that accepts and then says nothing: the TLS handshake of
    // an https request can never finish.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let client = HyperClient::new(fast_options()).unwrap();
    let started = Instant::now();
    let err = client
        .execute(get(&format!("https://127.0.0.1:{port}/token")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TransportError::ConnectTimeout { .. }),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        err.to_string().contains("connectTimeout"),
        "says what to do: {err}"
    );
}

#[tokio::test]
async fn a_slow_handshake_is_a_connect_timeout_even_with_a_shorter_read_timeout() {
    // The read timeout must not cut a connect short and be reported instead.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let client = HyperClient::new(
        HttpOptions::default()
            .with_connect_timeout(Duration::from_millis(400))
            .with_read_timeout(Duration::from_millis(100)),
    )
    .unwrap();
    let started = Instant::now();
    let err = client
        .execute(get(&format!("https://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(err, TransportError::ConnectTimeout { after, .. } if after == Duration::from_millis(400)),
        "{err:?}"
    );
    assert!(elapsed >= Duration::from_millis(390), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_read_timeout() {
    let server = serve(vec![Reply::Silence]).await;
    // A long connect timeout: the read timeout alone must end the wait.
    let client = HyperClient::new(
        HttpOptions::default()
            .with_connect_timeout(Duration::from_secs(3))
            .with_read_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let started = Instant::now();
    let err = client.execute(get(&server.base)).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(err, TransportError::ReadTimeout { after, .. } if after == Duration::from_millis(300)),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("readTimeout"),
        "says what to do: {err}"
    );
    assert!(elapsed >= Duration::from_millis(290), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn the_read_timeout_covers_the_body() {
    let head = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b".to_vec();
    let server = serve(vec![Reply::Stall(head)]).await;
    let client = HyperClient::new(fast_options()).unwrap();
    let started = Instant::now();
    let err = client.execute(get(&server.base)).await.unwrap_err();
    assert!(matches!(err, TransportError::ReadTimeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn the_read_timeout_restarts_on_a_pooled_connection() {
    // The first request opens the connection; the second reuses it and gets
    // the read timeout from its own start.
    let server = serve(vec![response("200 OK", &[], "a"), Reply::Silence]).await;
    let client = HyperClient::new(
        HttpOptions::default()
            .with_connect_timeout(Duration::from_secs(3))
            .with_read_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    client.execute(get(&server.base)).await.unwrap();
    let started = Instant::now();
    let err = client.execute(get(&server.base)).await.unwrap_err();
    assert!(matches!(err, TransportError::ReadTimeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_connection_closed_before_the_response_is_a_protocol_error() {
    let server = serve(vec![Reply::Close]).await;
    let client = HyperClient::new(fast_options()).unwrap();
    let err = client.execute(get(&server.base)).await.unwrap_err();
    assert!(matches!(err, TransportError::Protocol { .. }), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn retries_a_broken_connection() {
    let server = serve(vec![Reply::Close, response("200 OK", &[], "ok")]).await;
    // RetryingClient around a client that does not retry by itself
    let client = RetryingClient::new(
        HyperClient::new(fast_options().with_retry(RetryPolicy::none())).unwrap(),
        RetryPolicy {
            base_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        },
    );
    let ok = client.execute(get(&server.base)).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = HyperClient::new(fast_options()).unwrap();
    let err = client
        .execute(get(&format!("http://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Connect { .. }), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn oversize_bodies_are_rejected_with_and_without_content_length() {
    let big = "x".repeat(2048);
    let declared = response("200 OK", &[], &big);
    let mut chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..4 {
        write!(chunked, "200\r\n{}\r\n", "y".repeat(512)).unwrap();
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let server = serve(vec![declared, Reply::Raw(chunked)]).await;
    let client = HyperClient::new(fast_options().with_max_body_bytes(1024)).unwrap();
    for _ in 0..2 {
        let err = client.execute(get(&server.base)).await.unwrap_err();
        assert!(
            matches!(err, TransportError::BodyTooLarge { limit: 1024, .. }),
            "{err:?}"
        );
    }
    assert_eq!(server.request_count(), 2);
    // A body at the limit is fine.
    let exact = serve(vec![response("200 OK", &[], &"z".repeat(1024))]).await;
    let ok = client.execute(get(&exact.base)).await.unwrap();
    assert_eq!(ok.body().len(), 1024);
}

#[tokio::test]
async fn retries_503_honouring_retry_after() {
    let server = serve(vec![
        response("503 Service Unavailable", &[("retry-after", "1")], "busy"),
        response("200 OK", &[], "ok"),
    ])
    .await;
    // retries are on by default
    let client = HyperClient::new(fast_options()).unwrap();
    let started = Instant::now();
    let ok = client.execute(get(&server.base)).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.body().as_ref(), b"ok");
    assert_eq!(server.request_count(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited for Retry-After"
    );
}

#[tokio::test]
async fn gives_up_after_the_attempt_budget() {
    let server = serve(vec![response(
        "503 Service Unavailable",
        &[("retry-after", "0")],
        "",
    )])
    .await;
    let client = HyperClient::new(fast_options()).unwrap();
    let last = client.execute(get(&server.base)).await.unwrap();
    assert_eq!(last.status(), 503);
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn never_retries_400_401_403_or_404() {
    for status in [
        "400 Bad Request",
        "401 Unauthorized",
        "403 Forbidden",
        "404 Not Found",
    ] {
        let server = serve(vec![
            response(status, &[], "{}"),
            response("200 OK", &[], ""),
        ])
        .await;
        let client = HyperClient::new(fast_options()).unwrap();
        let r = client.execute(get(&server.base)).await.unwrap();
        assert_eq!(&r.status().to_string()[..3], &status[..3]);
        assert_eq!(server.request_count(), 1, "{status} is not retried");
    }
}

#[tokio::test]
async fn refuses_plain_http_to_a_non_loopback_host_without_connecting() {
    let client = HyperClient::new(fast_options()).unwrap();
    let started = Instant::now();
    let err = client
        .execute(get("http://example.com/token"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TransportError::InsecureScheme { host } if host == "example.com"),
        "{err:?}"
    );
    // Refused up front: no DNS lookup, no connect (either would take longer
    // or end in another error).
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "no network was touched"
    );
    let err = client
        .execute(get("http://10.1.2.3/token"))
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::InsecureScheme { .. }));
}

#[tokio::test]
async fn sends_the_user_agent_and_keeps_a_given_one() {
    let server = serve(vec![response("200 OK", &[], "")]).await;
    let client = HyperClient::new(fast_options()).unwrap();
    client.execute(get(&server.base)).await.unwrap();
    let mut custom = get(&server.base);
    custom
        .headers_mut()
        .insert(header::USER_AGENT, "mine/1".parse().unwrap());
    client.execute(custom).await.unwrap();
    let requests = server.requests.lock().unwrap().clone();
    let ua = |r: &str| {
        r.lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("user-agent: ")
                    .map(str::to_owned)
            })
            .unwrap()
    };
    assert_eq!(
        ua(&requests[0]),
        format!("idaas-rust/{}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(ua(&requests[1]), "mine/1");
}

#[tokio::test]
async fn does_not_follow_redirects() {
    let server = serve(vec![
        response("302 Found", &[("location", "/elsewhere")], ""),
        response("200 OK", &[], "followed"),
    ])
    .await;
    let client = HyperClient::new(fast_options()).unwrap();
    let r = client.execute(get(&server.base)).await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn reuses_connections() {
    let server = serve(vec![response("200 OK", &[], "a")]).await;
    let client = HyperClient::new(fast_options()).unwrap();
    for _ in 0..3 {
        client.execute(get(&server.base)).await.unwrap();
    }
    assert_eq!(server.request_count(), 3);
    assert_eq!(server.connections.load(Ordering::SeqCst), 1, "keep-alive");
}

/// Captures tracing output.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn spans_name_the_request_but_never_its_secrets() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = serve(vec![response(
        "200 OK",
        &[],
        "{\"access_token\":\"AT-SECRET\"}",
    )])
    .await;
    let client = HyperClient::new(fast_options()).unwrap();
    let request = http::Request::builder()
        .method(Method::POST)
        .uri(format!(
            "{}/oauth2/token?client_secret=QUERY-SECRET",
            server.base
        ))
        .header(header::AUTHORIZATION, "Basic SEADER-SECRET")
        .body(Bytes::from_static(b"client_secret=BODY-SECRET"))
        .unwrap();
    client.execute(request).await.unwrap();
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("path=/oauth2/token"), "{logs}");
    assert!(
        logs.contains("method=POST") && logs.contains("status=200"),
        "{logs}"
    );
    assert!(!logs.contains("SECRET"), "{logs}");
    let debug = format!("{client:?}");
    assert!(debug.contains("HyperClient") && !debug.contains("SECRET"));
}

/// A self-signed certificate for 127.0.0.1 and localhost (P-256, valid until
/// 2126), made for these tests only; its key protects nothing.
const TEST_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBsTCCAVigAwIBAgIUa5ca0HX21uWyOeZcP2bFZvHD1UEwCgYIKoZIzj0EAwIw
HzEdMBsGA1UEAwwUaWRhYXMgdHJhbnNwb3J0IHRlc3QwIBcNMjYxMTIzMDA1NTUx
WhgPMjEyNjEwMzAwMDU1NTFaMB8xHTAbBgNVBAMMFGlkYWFzIHRyYW5zcG9ydCB0
ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6c0eHAmc4M2xBC4eJVYnMfrH
LVfuaBvBSJ2uiJiCgRMGGJA0Dzzvq5iZXKRDlBjgL26q95iGuU4zaHoZ1o9r7aNw
MG4wDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMCB4AwEwYDVR0lBAwwCgYIKwYB
BQUHAwEwGgYDVR0RBBMwEYcEfwAAAYIJbG9jYWxob3N0MB0GA1UdDgQWBBTOBuW1
PPbvlnYmzj5cEZNu2t24QDAKBggqhkjOPQQDAgNHADBEAiBh9hDXifBWWkk9BAig
PCfyKJdbwOHtCRIpa0CzeJ35/QIgHpgRtBgl9+RrSgS4jlF5uqR4I4t0YuMuDuJm
70DHI5s=
-----END CERTIFICATE-----
";
const TEST_ONLY_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtKN4QFAWokqrsuZ1
ZXGZYhxGlGaitzbRZLMNUEJof7qhRANCAATpzR4cCZzgzbEELh4lVicx+sctV+5o
G8FIna6ImIKBEwYYkDQPPO+rmJlcpEOUGOAvbqr3mIa5TjNoehnWj2vt
-----END PRIVATE KEY-----
";

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    let cert = CertificateDer::from_pem_slice(TEST_CERT_PEM.as_bytes()).unwrap();
    let key = PrivateKeyDer::from_pem_slice(TEST_ONLY_KEY_PEM.as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_error() {
    let server = serve_with(vec![response("200 OK", &[], "ok")], Some(tls_acceptor())).await;
    let client = HyperClient::new(fast_options()).unwrap();
    let err = client.execute(get(&server.base)).await.unwrap_err();
    assert!(
        matches!(&err, TransportError::Tls { reason, .. } if reason.contains("certificate")),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn unsafe_ignore_ssl_cert_accepts_the_self_signed_certificate() {
    let server = serve_with(
        vec![response("200 OK", &[], "over tls")],
        Some(tls_acceptor()),
    )
    .await;
    let client = HyperClient::new(fast_options().with_unsafe_ignore_ssl_cert(true)).unwrap();
    for _ in 0..2 {
        let ok = client
            .execute(get(&format!("{}/token", server.base)))
            .await
            .unwrap();
        assert_eq!(ok.body().as_ref(), b"over tls");
    }
    assert_eq!(server.request_count(), 2);
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        1,
        "keep-alive over TLS"
    );
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_tls_error() {
    // A plain HTTP server answers the TLS ClientHello with a 400 in clear text.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut hello = [0u8; 512];
                let _ = s.read(&mut hello).await;
                let _ = s
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                    .await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    let client = HyperClient::new(fast_options()).unwrap();
    let err = client
        .execute(get(&format!("https://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Tls { .. }), "{err:?}");
}

#[test]
fn debug_shows_the_options_and_nothing_else() {
    let client =
        HyperClient::new(HttpOptions::default().with_unsafe_ignore_ssl_cert(true)).unwrap();
    let debug = format!("{client:?}");
    assert!(
        debug.starts_with("HyperClient { options: HttpOptions {"),
        "{debug}"
    );
    assert!(debug.contains("unsafe_ignore_ssl_cert: true"), "{debug}");
    // neither the pool, the connector nor the TLS configuration
    for internal in ["Pool", "Connector", "ClientConfig", "root", "Verifier"] {
        assert!(!debug.contains(internal), "{internal} in {debug}");
    }
    let retrying = RetryingClient::new(client, RetryPolicy::default());
    assert!(format!("{retrying:?}").contains("max_attempts: 3"));
}

#[test]
fn futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let client = HyperClient::default_client().unwrap();
    assert_send(&client.execute(get("https://example.com/")));
    let retrying = RetryingClient::new(client.clone(), RetryPolicy::default());
    assert_send(&retrying.execute(get("https://example.com/")));
    let shared: idaas_core::http::SharedHttpClient = Arc::new(retrying);
    assert_send(&shared.execute(get("https://example.com/")));
    fn assert_shareable<T: Send + Sync + Clone + 'static>(_: &T) {}
    assert_shareable(&client);
}
