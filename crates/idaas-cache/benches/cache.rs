//! Hit cost of the cached supplier and the keyed cache beside their peers —
//! the floor (a bare `ArcSwap` guard load plus `Instant::now`), the same load
//! with `SystemTime::now` and with the coarse clock, and a `moka` get — single
//! threaded and with 2 threads, all in the same run; and the herd: supplier
//! calls per expiry with 1,000 concurrent callers.
//!
//! `cargo bench -p idaas-cache --bench cache` (or `cargo xtask bench cache`).
//! Figures go to `target/bench/cache.json`: ns per op for each operation,
//! the aggregate 2-thread rate over the 1-thread rate, and each hit path's
//! ratio to the floor.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use futures_util::FutureExt;
use idaas_cache::{
    CacheOptions, CachedSupplier, KeyedCache, PrefetchStrategy, Refreshed, SupplierError, Timing,
    coarse,
};
use idaas_core::clock::{self, ManualClock, SharedClock};
use serde_json::json;

mod pairing;

use pairing::{Recorder, Run, bench_pair, floor, load_average, short_criterion, target_dir};

const TOKEN_LEN: usize = 900;
const KEY: &str = "api|read";

fn token_supplier(
    clock: SharedClock,
    calls: Arc<AtomicU32>,
    prefetch: PrefetchStrategy,
) -> CachedSupplier<String> {
    let options = CacheOptions::default().with_prefetch(prefetch);
    CachedSupplier::new(options, clock.clone(), move || {
        let now = clock.now();
        calls.fetch_add(1, Ordering::SeqCst);
        async move {
            let expires_in = Duration::from_secs(3600);
            Ok::<_, SupplierError>(Refreshed {
                value: "x".repeat(TOKEN_LEN),
                timing: Timing::for_token(now, now + expires_in, expires_in),
            })
        }
    })
}

/// 1,000 callers at each of 10 expiries: the most supplier calls one expiry caused.
fn herd(runtime: &tokio::runtime::Runtime, prefetch: PrefetchStrategy) -> u32 {
    let clock = ManualClock::at_secs(1_000);
    let calls = Arc::new(AtomicU32::new(0));
    let cache = token_supplier(Arc::new(clock.clone()), calls.clone(), prefetch);
    runtime.block_on(async {
        cache.get().await.unwrap();
        let mut worst = 0;
        for _ in 0..10 {
            clock.advance(Duration::from_secs(3600)); // past expiry
            let before = calls.load(Ordering::SeqCst);
            let tasks: Vec<_> = (0..1000)
                .map(|_| {
                    let cache = cache.clone();
                    tokio::spawn(async move { cache.get().await.map(|v| v.len()) })
                })
                .collect();
            for task in tasks {
                assert_eq!(task.await.unwrap().unwrap(), TOKEN_LEN);
            }
            worst = worst.max(calls.load(Ordering::SeqCst) - before);
        }
        worst
    })
}

const OPS: [&str; 7] = [
    "floor_arcswap_load_instant_now",
    "arcswap_load_system_time_now",
    "arcswap_load_coarse_now",
    "moka_get",
    "supplier_try_hit",
    "supplier_get",
    "keyed_get",
];

fn main() {
    let benching = pairing::benching();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let supplier = token_supplier(
        clock::system(),
        calls.clone(),
        PrefetchStrategy::OneCallerBlocks,
    );
    runtime.block_on(supplier.get()).unwrap();
    let keyed: KeyedCache<String, String> =
        KeyedCache::new(1000, Duration::from_secs(600), clock::system());
    let make = || {
        token_supplier(
            clock::system(),
            calls.clone(),
            PrefetchStrategy::OneCallerBlocks,
        )
    };
    runtime.block_on(keyed.get(KEY, make)).unwrap();
    let swap = ArcSwap::from_pointee("x".repeat(TOKEN_LEN));
    let moka: moka::sync::Cache<String, Arc<String>> = moka::sync::Cache::new(1000);
    moka.insert(KEY.to_owned(), Arc::new("x".repeat(TOKEN_LEN)));

    let load_before = load_average();
    let recorder = Recorder::default();
    let mut c = short_criterion();
    let mut group = c.benchmark_group("cache");
    let floor = || floor(&swap);
    bench_pair(&mut group, &recorder, OPS[0], &floor, floor);
    bench_pair(&mut group, &recorder, OPS[1], &floor, || {
        let guard = swap.load();
        black_box((guard.len(), SystemTime::now()));
    });
    bench_pair(&mut group, &recorder, OPS[2], &floor, || {
        let guard = swap.load();
        black_box((guard.len(), coarse::now()));
    });
    bench_pair(&mut group, &recorder, OPS[3], &floor, || {
        black_box(moka.get(KEY).map(|v| v.len()));
    });
    bench_pair(&mut group, &recorder, OPS[4], &floor, || {
        let token = supplier.try_hit().expect("a hit");
        black_box(token.len());
    });
    bench_pair(&mut group, &recorder, OPS[5], &floor, || {
        let token = supplier
            .get()
            .now_or_never()
            .expect("a hit is ready at once")
            .unwrap();
        black_box(token.len());
    });
    bench_pair(&mut group, &recorder, OPS[6], &floor, || {
        let token = keyed
            .get(KEY, || unreachable!("the key is cached"))
            .now_or_never()
            .expect("a hit is ready at once")
            .unwrap();
        black_box(token.len());
    });
    group.finish();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "hits never called the supplier"
    );
    let herd_blocking = herd(&runtime, PrefetchStrategy::OneCallerBlocks);
    let herd_background = herd(&runtime, PrefetchStrategy::NonBlocking);
    c.final_summary();
    if !benching {
        return;
    }

    let ops = recorder.figures(&OPS);
    let over_floor = |name: &str| json!(recorder.ratio(name, (Run::One, Run::Floor)));
    let scaling = |name: &str| json!(recorder.ratio(name, (Run::OneBesideTwo, Run::Two)));
    let out = json!({
        "unix_time": SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs(),
        "coarse_clock_resolution_ns": coarse::resolution().as_nanos() as u64,
        // other processes on the machine skew the 2-thread figures most
        "load_average_1_min": { "before": load_before, "after": load_average() },
        "ops": ops,
        "summary": {
            "supplier_try_hit_over_floor": over_floor("supplier_try_hit"),
            "supplier_get_over_floor": over_floor("supplier_get"),
            "keyed_get_over_floor": over_floor("keyed_get"),
            "moka_get_over_floor": over_floor("moka_get"),
            "supplier_try_hit_rate_2_threads_over_1": scaling("supplier_try_hit"),
            "supplier_get_rate_2_threads_over_1": scaling("supplier_get"),
            "floor_rate_2_threads_over_1": scaling(OPS[0]),
        },
        "targets": {
            "hit_over_floor_max": 1.2,
            "rate_2_threads_over_1_min": 1.8,
        },
        "herd_1000_callers_supplier_calls_per_expiry": {
            "one_caller_blocks": herd_blocking,
            "non_blocking": herd_background,
        },
    });
    let dir = target_dir().join("bench");
    std::fs::create_dir_all(&dir).expect("create target/bench");
    let json = serde_json::to_string_pretty(&out).unwrap();
    std::fs::write(dir.join("cache.json"), &json).expect("write target/bench/cache.json");
    println!("{json}");
    println!("written to {}", dir.join("cache.json").display());
}
