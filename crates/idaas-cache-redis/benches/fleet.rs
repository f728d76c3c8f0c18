//! What the fleet tier costs, each figure paired with its peer in the same
//! run (`cargo xtask bench cache`):
//!
//! - **L1 hit with in-process hit counting on** — the in-process hit plus
//!   the fleet's per-thread hit counter (`countInProcessHits`) — against the
//!   plain `CachedSupplier::try_hit` (by default hits are not counted and a
//!   provider's hit with the fleet tier is measured by the `provider` bench);
//! - **L2 hit** — a cold process joining a warm fleet: `FleetTier::fetch`
//!   finds the sealed shared entry (GET + AES-256-GCM open + parse) —
//!   against a raw `redis` GET of the same entry on the same connection kind
//!   (goal ≤ 1.5×);
//! - **a token request** to the emulator on loopback (client credentials,
//!   secret post) against that L2 hit (goal: the L2 hit ≥ 20× faster), and
//!   the same request to the certified OpenID Provider (`oidc-provider`, from
//!   `interop/`, client secret basic) when node and `interop/node_modules`
//!   are there.
//!
//! Pairing: the two sides of each ratio run in alternating rounds of the
//! same size; the reported ratio is the median of the per-round ratios, so
//! machine load hits both sides alike. Criterion reports each op's absolute
//! time besides. The bench starts its own `redis-server` on loopback (the
//! `test-server` feature) and the emulator; without `redis-server` on PATH
//! it says so and measures nothing.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use idaas_cache::{CacheOptions, CachedSupplier, Refreshed, Timing};
use idaas_cache_redis::server::RedisServer;
use idaas_cache_redis::{CacheKey, EntryId, FleetCache, FleetOptions, FleetTier};
use idaas_core::clock;
use idaas_core::http::{HttpOptions, HyperClient};
use idaas_core::token::Credential;
use idaas_emulator::{Client, Emulator};
use idaas_oauth::{ClientAuth, ClientCredentials, OAuthClient};
use tokio::runtime::Runtime;

#[path = "../../idaas-oauth/tests/support/mod.rs"]
#[allow(dead_code, unreachable_pub)]
mod op;

const CLIENT_ID: &str = "bench-fleet-app";
const SECRET: &str = "bench-fleet-secret";
const SCOPE: &str = "api.bench.example|read:file";

struct Peers {
    /// A client of oidc-provider, when it can run here.
    op: Option<OAuthClient>,
    _redis: RedisServer,
    _emulator: Emulator,
    rt: Runtime,
    idp: OAuthClient,
    tier: FleetTier,
    fleet: FleetCache,
    raw: redis::aio::MultiplexedConnection,
    entry: String,
}

fn peers() -> Option<Peers> {
    let redis = match RedisServer::start() {
        Ok(redis) => redis,
        Err(e) => {
            eprintln!(
                "fleet bench: redis-server could not be started ({e}); install the Debian package redis-server (or set REDIS_SERVER) to measure the fleet tier"
            );
            return None;
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let emulator = rt
        .block_on(
            Emulator::builder()
                .client(Client::new(CLIENT_ID).with_secret(SECRET))
                .token_lifetime(Duration::from_secs(3600))
                .start(),
        )
        .expect("emulator starts");
    let http = Arc::new(HyperClient::new(HttpOptions::default()).expect("transport"));
    let idp = OAuthClient::new(
        http,
        CLIENT_ID,
        emulator.token_endpoint(),
        ClientAuth::SecretPost {
            secret: SECRET.into(),
        },
    );
    let options = FleetOptions::new("bench", &redis.url()).expect("redis url");
    // the Redis connection manager spawns its tasks on the current runtime
    let fleet = {
        let _runtime = rt.enter();
        FleetCache::new(options, CacheKey::from_bytes(&[7; 32]), clock::system())
            .expect("fleet cache")
    };
    let tier = fleet.tier(&EntryId {
        token_endpoint: emulator.token_endpoint(),
        client_id: CLIENT_ID.into(),
        scope: SCOPE.into(),
        audience: String::new(),
    });
    let entry = tier.entry_name().to_owned();
    let raw = rt.block_on(async {
        // warm the fleet: one IdP request writes the sealed entry
        let idp = idp.clone();
        tier.fetch(|| async move {
            idp.client_credentials(&ClientCredentials::scope(SCOPE))
                .await
                .map(|r| r.credential)
        })
        .await
        .expect("first token");
        redis::Client::open(redis.url())
            .expect("redis client")
            .get_multiplexed_async_connection()
            .await
            .expect("raw connection")
    });
    let op = rt.block_on(oidc_provider_client(http_for_op()));
    Some(Peers {
        op,
        _redis: redis,
        _emulator: emulator,
        rt,
        idp,
        tier,
        fleet,
        raw,
        entry,
    })
}

fn http_for_op() -> Arc<HyperClient> {
    Arc::new(HyperClient::new(HttpOptions::default()).expect("transport"))
}

/// A client-credentials client of oidc-provider (client secret basic), if
/// node and the interop peer are installed; else why not, on stderr.
async fn oidc_provider_client(http: Arc<HyperClient>) -> Option<OAuthClient> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let installed = root.join("interop/node_modules/oidc-provider").is_dir();
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !(installed && node) {
        eprintln!(
            "fleet bench: no oidc-provider row (needs node and `npm ci --prefix interop`, which cargo xtask bench does)"
        );
        return None;
    }
    let p = op::provider();
    let metadata = idaas_oauth::Discovery::new(http.clone(), p.issuer())
        .metadata()
        .await
        .expect("oidc-provider discovery");
    let client = OAuthClient::from_metadata(
        http,
        p.client("basic", "id"),
        &metadata,
        ClientAuth::basic(p.client("basic", "secret")),
    );
    client
        .client_credentials(&ClientCredentials::scope("api:read"))
        .await
        .expect("a token from oidc-provider");
    Some(client)
}

impl Peers {
    async fn op_token_request(&self) {
        let op = self.op.as_ref().expect("the oidc-provider peer");
        let response = op
            .client_credentials(&ClientCredentials::scope("api:read"))
            .await
            .expect("token");
        black_box(response);
    }

    async fn l2_hit(&self) {
        let credential = self
            .tier
            .fetch(|| async { Err::<Credential, _>("the identity provider was asked") })
            .await
            .expect("an L2 hit, not an IdP request");
        black_box(credential);
    }

    async fn raw_get(&self) {
        let mut conn = self.raw.clone();
        let value: Option<Vec<u8>> = redis::cmd("GET")
            .arg(&self.entry)
            .query_async(&mut conn)
            .await
            .expect("GET");
        black_box(value.expect("the entry exists"));
    }

    async fn token_request(&self) {
        let response = self
            .idp
            .client_credentials(&ClientCredentials::scope(SCOPE))
            .await
            .expect("token");
        black_box(response);
    }
}

/// A warm in-process cache, as a provider holds it.
fn warm_l1(rt: &Runtime) -> CachedSupplier<Arc<Credential>> {
    let l1 = CachedSupplier::new(CacheOptions::default(), clock::system(), || async {
        let now = clock::system().now();
        let credential = Credential::bearer("bench-token", Some(3600));
        Ok(Refreshed {
            value: Arc::new(credential),
            timing: Timing::for_token(
                now,
                now + Duration::from_secs(3600),
                Duration::from_secs(3600),
            ),
        })
    });
    rt.block_on(l1.get()).expect("warm");
    l1
}

/// The median over `rounds` of (time of `a` ÷ time of `b`), each round
/// `batch` runs of each, `a` first in even rounds and `b` first in odd ones
/// (whichever runs second finds the caches warmed by the first).
fn paired(rounds: usize, batch: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> f64 {
    let timed = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        (0..batch).for_each(|_| f());
        start.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..rounds)
        .map(|round| {
            if round % 2 == 0 {
                let ta = timed(&mut a);
                ta / timed(&mut b)
            } else {
                let tb = timed(&mut b);
                timed(&mut a) / tb
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn benching() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn fleet(c: &mut Criterion) {
    let Some(p) = peers() else { return };
    let l1 = warm_l1(&p.rt);
    let counters = p.fleet.counters();

    let mut group = c.benchmark_group("fleet");
    group.bench_function("l1 hit (plain try_hit)", |b| {
        b.iter(|| black_box(l1.try_hit()))
    });
    group.bench_function("l1 hit, hits counted", |b| {
        b.iter(|| {
            let hit = l1.try_hit();
            counters.l1_hit();
            black_box(hit)
        })
    });
    group.bench_function("raw redis GET", |b| b.iter(|| p.rt.block_on(p.raw_get())));
    group.bench_function("l2 hit (FleetTier::fetch)", |b| {
        b.iter(|| p.rt.block_on(p.l2_hit()))
    });
    group.bench_function("token request to the emulator", |b| {
        b.iter(|| p.rt.block_on(p.token_request()))
    });
    if p.op.is_some() {
        group.bench_function("token request to oidc-provider", |b| {
            b.iter(|| p.rt.block_on(p.op_token_request()))
        });
    }
    group.finish();

    if !benching() {
        return;
    }
    let l1_ratio = paired(
        41,
        200_000,
        || {
            let hit = l1.try_hit();
            counters.l1_hit();
            black_box(hit);
        },
        || {
            black_box(l1.try_hit());
        },
    );
    let l2_ratio = paired(
        41,
        200,
        || p.rt.block_on(p.l2_hit()),
        || p.rt.block_on(p.raw_get()),
    );
    let idp_ratio = paired(
        21,
        50,
        || p.rt.block_on(p.token_request()),
        || p.rt.block_on(p.l2_hit()),
    );
    let op_ratio = p.op.as_ref().map(|_| {
        paired(
            21,
            20,
            || p.rt.block_on(p.op_token_request()),
            || p.rt.block_on(p.l2_hit()),
        )
    });
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into());
    let figures = serde_json::json!({
        "l1_hit_counted_vs_try_hit": l1_ratio,
        "l2_hit_vs_raw_redis_get": l2_ratio,
        "token_request_vs_l2_hit": idp_ratio,
        "oidc_provider_token_request_vs_l2_hit": op_ratio,
        "load_average": load,
        "pairing": "median of per-round ratios, alternating rounds in the same run",
    });
    println!("fleet figures: {figures}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join("fleet.json"), figures.to_string());
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .configure_from_args();
    fleet(&mut c);
    c.final_summary();
}
