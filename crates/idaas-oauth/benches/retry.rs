//! What the default retry layer costs a token round trip on loopback: a
//! client-credentials request to a keep-alive server on 127.0.0.1, by the
//! same `OAuthClient` over `HyperClient` with the default `RetryPolicy`
//! and with `RetryPolicy::none()`, in the same run. Criterion means of
//! both, and the median of paired batches (alternating order, so drifts of
//! the shared machine hit both sides alike), go to
//! `target/bench/retry.json` as `retries_on_over_off`.

#[path = "support/figures.rs"]
mod figures;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::Criterion;
use idaas_core::SecretString;
use idaas_core::http::{HttpOptions, HyperClient, RetryPolicy};
use idaas_oauth::{ClientAuth, ClientCredentials, OAuthClient};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const BODY: &str = r#"{"access_token":"at-bench","token_type":"Bearer","expires_in":3600,"scope":"api.example.com|read"}"#;

/// An HTTP/1.1 keep-alive server answering every request with `BODY`.
async fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::with_capacity(4096);
                let mut chunk = [0u8; 4096];
                loop {
                    // one request: the head, then content-length bytes
                    let (head_end, length) = loop {
                        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                            let length = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse::<usize>().ok())
                                .unwrap_or(0);
                            break (end + 4, length);
                        }
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    while buf.len() < head_end + length {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..head_end + length);
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: no-store\r\ncontent-length: {}\r\n\r\n{BODY}",
                        BODY.len()
                    );
                    if stream.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://127.0.0.1:{port}/token")
}

fn client(endpoint: &str, retry: RetryPolicy) -> OAuthClient {
    let http = HyperClient::new(HttpOptions::default().with_retry(retry)).unwrap();
    OAuthClient::new(
        Arc::new(http),
        "bench-app",
        endpoint,
        ClientAuth::SecretPost {
            secret: SecretString::from("bench-secret".to_owned()),
        },
    )
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let endpoint = rt.block_on(serve());
    let on = client(&endpoint, RetryPolicy::default());
    let off = client(&endpoint, RetryPolicy::none());
    let request = ClientCredentials::scope("api.example.com|read");
    let round_trip = |c: &OAuthClient| {
        let token = rt.block_on(c.client_credentials(&request)).unwrap();
        black_box(token);
    };
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args();
    {
        let mut group = c.benchmark_group("token_round_trip");
        group.bench_function("retries_on", |b| b.iter(|| round_trip(&on)));
        group.bench_function("retries_off", |b| b.iter(|| round_trip(&off)));
        group.finish();
    }
    let paired = figures::paired_ratio(
        &|| round_trip(&on),
        &|| round_trip(&off),
        301,
        Duration::from_millis(2),
    );
    c.final_summary();
    let target = figures::target_dir();
    let on_ns = figures::mean_ns(&target, "token_round_trip/retries_on");
    let off_ns = figures::mean_ns(&target, "token_round_trip/retries_off");
    let figures = json!({
        "token_round_trip": {
            "retries_on_ns": on_ns,
            "retries_off_ns": off_ns,
            "retries_on_over_off": on_ns.zip(off_ns).map(|(a, b)| a / b),
            "paired_retries_on_over_off": paired,
        }
    });
    let out = target.join("bench");
    std::fs::create_dir_all(&out).expect("create target/bench");
    let text = serde_json::to_string_pretty(&figures).unwrap();
    std::fs::write(out.join("retry.json"), &text).expect("write retry.json");
    println!("{text}");
}
