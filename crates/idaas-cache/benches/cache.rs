//! Hit cost of the cached supplier and the keyed cache, beside the peers that
//! bound them — a bare `ArcSwap` guard load plus a clock read, and a `moka`
//! get — single-threaded and with 2 threads, in the same run; and the herd:
//! supplier calls per expiry with 1,000 concurrent callers. Figures go to
//! `target/bench/cache.json`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use criterion::{BenchmarkGroup, Criterion, measurement::WallTime};
use futures_util::FutureExt;
use idaas_cache::{CacheOptions, CachedSupplier, KeyedCache, Refreshed, SupplierError, Timing};
use idaas_core::clock::{self, ManualClock};

fn token_supplier(clock: clock::SharedClock, calls: Arc<AtomicU32>) -> CachedSupplier<String> {
    CachedSupplier::new(CacheOptions::default(), clock.clone(), move || {
        let now = clock.now();
        let calls = calls.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, SupplierError>(Refreshed {
                value: "x".repeat(900),
                timing: Timing::for_token(
                    now,
                    now + Duration::from_secs(3600),
                    Duration::from_secs(3600),
                ),
            })
        }
    })
}

/// Runs `op` `iters` times on each of `threads` threads at once; wall time.
fn parallel(threads: usize, iters: u64, op: impl Fn() + Sync) -> Duration {
    let barrier = std::sync::Barrier::new(threads);
    let started = std::sync::Mutex::new(None::<Instant>);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                started.lock().unwrap().get_or_insert_with(Instant::now);
                for _ in 0..iters {
                    op();
                }
            });
        }
    });
    started.lock().unwrap().unwrap().elapsed()
}

fn bench_both(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, op: &(dyn Fn() + Sync)) {
    group.bench_function(format!("{name}/1"), |b| b.iter(op));
    group.bench_function(format!("{name}/2"), |b| {
        b.iter_custom(|iters| parallel(2, iters, op))
    });
}

fn herd(runtime: &tokio::runtime::Runtime) -> u32 {
    let clock = ManualClock::at_secs(1_000);
    let calls = Arc::new(AtomicU32::new(0));
    let cache = token_supplier(Arc::new(clock.clone()), calls.clone());
    let mut per_expiry = 0;
    runtime.block_on(async {
        cache.get().await.unwrap();
        for _round in 0..10 {
            clock.advance(Duration::from_secs(3600)); // past expiry
            let before = calls.load(Ordering::SeqCst);
            let tasks: Vec<_> = (0..1000)
                .map(|_| {
                    let cache = cache.clone();
                    tokio::spawn(async move { cache.get().await.map(|v| v.len()) })
                })
                .collect();
            for t in tasks {
                t.await.unwrap().unwrap();
            }
            per_expiry = per_expiry.max(calls.load(Ordering::SeqCst) - before);
        }
    });
    per_expiry
}

fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return dir.into();
    }
    let exe = std::env::current_exe().expect("bench executable path");
    exe.ancestors().nth(3).expect("target dir").to_owned()
}

fn mean_ns(target: &Path, id: &str) -> Option<f64> {
    let text =
        std::fs::read_to_string(target.join("criterion").join(id).join("new/estimates.json"))
            .ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let supplier = token_supplier(clock::system(), calls.clone());
    runtime.block_on(supplier.get()).unwrap();
    let keyed: KeyedCache<&'static str, String> = KeyedCache::new(1000, Duration::from_secs(600));
    let keyed_supplier = keyed.supplier("api|read", || {
        token_supplier(clock::system(), calls.clone())
    });
    runtime.block_on(keyed_supplier.get()).unwrap();
    let swap = ArcSwap::from_pointee("x".repeat(900));
    let moka: moka::sync::Cache<&'static str, Arc<String>> = moka::sync::Cache::new(1000);
    moka.insert("api|read", Arc::new("x".repeat(900)));

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut group = c.benchmark_group("cache");
    bench_both(&mut group, "arcswap_load_instant_now", &|| {
        let guard = swap.load();
        black_box((guard.len(), Instant::now()));
    });
    bench_both(&mut group, "arcswap_load_system_now", &|| {
        let guard = swap.load();
        black_box((guard.len(), SystemTime::now()));
    });
    bench_both(&mut group, "moka_get", &|| {
        black_box(moka.get("api|read").map(|v| v.len()));
    });
    bench_both(&mut group, "supplier_hit", &|| {
        let v = supplier
            .get()
            .now_or_never()
            .expect("a hit is ready")
            .unwrap();
        black_box(v.len());
    });
    bench_both(&mut group, "supplier_try_hit", &|| {
        let v = supplier.try_hit().expect("a hit");
        black_box(v.len());
    });
    bench_both(&mut group, "keyed_hit", &|| {
        let s = keyed.get(&"api|read").expect("present");
        let v = s.get().now_or_never().expect("a hit is ready").unwrap();
        black_box(v.len());
    });
    group.finish();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "hits never called the supplier"
    );
    let per_expiry = herd(&runtime);
    c.final_summary();

    let target = target_dir();
    let get = |id: &str| mean_ns(&target, &format!("cache/{id}"));
    let mut out = serde_json::json!({ "herd_supplier_calls_per_expiry_1000_callers": per_expiry });
    for name in [
        "arcswap_load_instant_now",
        "arcswap_load_system_now",
        "moka_get",
        "supplier_hit",
        "supplier_try_hit",
        "keyed_hit",
    ] {
        if let (Some(one), Some(two)) = (get(&format!("{name}_1")), get(&format!("{name}_2"))) {
            // with 2 threads each iteration is 2 operations in parallel
            out[name] = serde_json::json!({
                "ns_per_op_1_thread": one,
                "ns_per_iter_2_threads": two,
                "aggregate_rate_2_threads_over_1": 2.0 * one / two,
            });
        }
    }
    if let (Some(hit), Some(floor)) = (get("supplier_hit_1"), get("arcswap_load_instant_now_1")) {
        out["supplier_hit_over_arcswap_instant"] = serde_json::json!(hit / floor);
    }
    if let (Some(hit), Some(floor)) = (get("supplier_hit_1"), get("arcswap_load_system_now_1")) {
        out["supplier_hit_over_arcswap_systemtime"] = serde_json::json!(hit / floor);
    }
    let dir = target.join("bench");
    std::fs::create_dir_all(&dir).expect("create target/bench");
    let json = serde_json::to_string_pretty(&out).unwrap();
    std::fs::write(dir.join("cache.json"), &json).expect("write cache.json");
    println!("{json}");
}
