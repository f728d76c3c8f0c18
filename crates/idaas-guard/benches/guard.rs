//! The resource server's hot paths against their floor, in the same run:
//!
//! - verify + authorize a cached-JWKS ES256 access token (RFC 9068 checks,
//!   `Principal`, `require`) against `ring`'s ES256 verification of the same
//!   bytes plus `ScopeSet::allows` on a compiled set (paired ratio);
//! - an introspection cache hit (absolute);
//! - throughput of verify + authorize on two threads over one thread, beside
//!   the floor's own (paired rounds: a busy machine lowers both).
//!
//! The IdP is in-process (an `HttpClient` answering the JWKS and
//! introspection requests): only cache hits are measured. Figures go to
//! `target/bench/guard.json`.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use criterion::Criterion;
use futures_util::FutureExt;
use idaas_core::TransportError;
use idaas_core::http::{HttpClient, HttpRequest, HttpResponse};
use idaas_guard::{Requirement, TokenVerifier};
use idaas_oauth::jose::{JwtHeader, SigningKey, b64url_decode, jwk_set, public_jwk, sign_jwt};
use idaas_oauth::{ClientAuth, OAuthClient};
use idaas_scope::ScopeSet;
use serde_json::json;

const ISSUER: &str = "https://idp.bench";
const AUDIENCE: &str = "api://bench";
const OPAQUE: &str = "opaque-0123456789abcdefghijklmnopqrstuvwxyz";

/// The in-process IdP: its JWKS, and an active introspection answer.
#[derive(Debug)]
struct Idp {
    jwks: String,
}

#[async_trait]
impl HttpClient for Idp {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let body = if request.uri().path() == "/jwks" {
            self.jwks.clone()
        } else {
            json!({"active": true, "client_id": "caller", "sub": "caller",
                "scope": "projects:read projects:write", "exp": 4_000_000_000u64})
            .to_string()
        };
        Ok(http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Bytes::from(body))
            .unwrap())
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The median over rounds of time(ours) / time(peer), batches of about a
/// millisecond run back to back in alternating order.
fn paired_ratio(ours: &dyn Fn(), peer: &dyn Fn()) -> f64 {
    let started = Instant::now();
    let mut batch = 0u32;
    while started.elapsed() < Duration::from_millis(1) {
        ours();
        batch += 1;
    }
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        (0..batch).for_each(|_| f());
        t.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..61)
        .map(|round| {
            if round % 2 == 0 {
                time(ours) / time(peer)
            } else {
                let p = time(peer);
                time(ours) / p
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

/// Operations per second of `f` on `threads` threads for `window`.
fn throughput(threads: usize, window: Duration, f: &(dyn Fn() + Sync)) -> f64 {
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let started = Instant::now();
                    let mut n = 0u64;
                    while started.elapsed() < window {
                        f();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    total as f64 / window.as_secs_f64()
}

/// The median over rounds of (rate on 2 threads) / (rate on 1 thread) for
/// `ours` and for `floor`, windows run back to back in alternating order so
/// that the machine's load moves both sides alike; also the median rates.
fn scaling(ours: &(dyn Fn() + Sync), floor: &(dyn Fn() + Sync)) -> [f64; 6] {
    let window = Duration::from_millis(150);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..7 {
        let measure = |f: &(dyn Fn() + Sync)| {
            let (one, two) = if round % 2 == 0 {
                let one = throughput(1, window, f);
                (one, throughput(2, window, f))
            } else {
                let two = throughput(2, window, f);
                (throughput(1, window, f), two)
            };
            [one, two, two / one]
        };
        a.push(measure(ours));
        b.push(measure(floor));
    }
    let median = |rows: &[[f64; 3]], i: usize| {
        let mut v: Vec<f64> = rows.iter().map(|r| r[i]).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    [
        median(&a, 0),
        median(&a, 1),
        median(&a, 2),
        median(&b, 0),
        median(&b, 1),
        median(&b, 2),
    ]
}

/// The 1-minute load average (other work on the machine), where known.
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split(' ').next()?.parse().ok()
}

fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return dir.into();
    }
    let exe = std::env::current_exe().expect("bench executable path");
    exe.ancestors().nth(3).expect("target dir").to_owned()
}

fn mean_ns(target: &std::path::Path, id: &str) -> Option<f64> {
    let path = target.join("criterion").join(id).join("new/estimates.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

fn main() {
    let key = SigningKey::generate_p256().with_kid("bench-key");
    let idp: Arc<Idp> = Arc::new(Idp {
        jwks: jwk_set([&key]).to_string(),
    });
    let header = JwtHeader {
        typ: Some("at+jwt".into()),
        kid: Some("bench-key".into()),
        ..JwtHeader::default()
    };
    let claims = json!({"iss": ISSUER, "sub": "caller", "aud": AUDIENCE, "client_id": "caller",
        "iat": now(), "exp": now() + 3600, "jti": "bench", "scope": "projects:read projects:write"});
    let token = sign_jwt(&key, &header, &claims).unwrap();
    let introspection = OAuthClient::new(
        idp.clone(),
        "rs",
        format!("{ISSUER}/token"),
        ClientAuth::None,
    )
    .with_introspection_endpoint(format!("{ISSUER}/introspect"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let verifier = runtime
        .block_on(
            TokenVerifier::builder(ISSUER)
                .audience(AUDIENCE)
                .http(idp.clone())
                .jwks_uri(format!("{ISSUER}/jwks"))
                .introspection(introspection)
                .build(),
        )
        .unwrap();
    // warm both caches; afterwards every call completes on its first poll
    runtime.block_on(verifier.verify(&token)).unwrap();
    runtime.block_on(verifier.verify(OPAQUE)).unwrap();
    let requirement = Requirement::scope("projects:write");
    let ours = || {
        let principal = verifier
            .verify(black_box(&token))
            .now_or_never()
            .unwrap()
            .unwrap();
        principal.require(&requirement).unwrap();
    };
    let hit = || {
        let principal = verifier
            .verify(black_box(OPAQUE))
            .now_or_never()
            .unwrap()
            .unwrap();
        black_box(principal);
    };

    // the floor: ring's ES256 verification of the same bytes, and allows()
    let jwk = public_jwk(&key).unwrap();
    let coord = |c: &str| b64url_decode(jwk[c].as_str().unwrap()).unwrap();
    let mut point = vec![4u8];
    point.extend(coord("x"));
    point.extend(coord("y"));
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = b64url_decode(signature).unwrap();
    let public = ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_FIXED,
        point.clone(),
    );
    let set = ScopeSet::from_scope_string("projects:read projects:write");
    let floor = || {
        public
            .verify(black_box(input.as_bytes()), black_box(&signature))
            .unwrap();
        assert!(set.allows(black_box("write"), black_box("projects")));
    };

    let load_before = load_average();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
        .configure_from_args();
    let mut group = c.benchmark_group("guard");
    group.bench_function("verify_authorize_es256", |b| b.iter(ours));
    group.bench_function("ring_es256_allows", |b| b.iter(floor));
    group.bench_function("introspection_hit", |b| b.iter(hit));
    group.finish();
    c.final_summary();

    let ratio = paired_ratio(&ours, &floor);
    let [one, two, scale, floor_one, floor_two, floor_scale] = scaling(&ours, &floor);
    let target = target_dir();
    let figures = json!({
        "verify_authorize_es256_ns": mean_ns(&target, "guard/verify_authorize_es256"),
        "ring_es256_allows_ns": mean_ns(&target, "guard/ring_es256_allows"),
        "paired_verify_over_ring": ratio,
        "introspection_hit_ns": mean_ns(&target, "guard/introspection_hit"),
        "ops_per_s_1_thread": one,
        "ops_per_s_2_threads": two,
        "two_threads_over_one": scale,
        "floor_ops_per_s_1_thread": floor_one,
        "floor_ops_per_s_2_threads": floor_two,
        "floor_two_threads_over_one": floor_scale,
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    });
    let out = target.join("bench");
    std::fs::create_dir_all(&out).expect("create target/bench");
    let json = serde_json::to_string_pretty(&figures).unwrap();
    std::fs::write(out.join("guard.json"), &json).expect("write guard.json");
    println!("{json}");
}
