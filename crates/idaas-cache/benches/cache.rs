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

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use criterion::{BenchmarkGroup, Criterion, measurement::WallTime};
use futures_util::FutureExt;
use idaas_cache::{
    CacheOptions, CachedSupplier, KeyedCache, PrefetchStrategy, Refreshed, SupplierError, Timing,
    coarse,
};
use idaas_core::clock::{self, ManualClock, SharedClock};
use serde_json::json;

const TOKEN_LEN: usize = 900;
const KEY: &str = "api|read";

fn token_supplier(
    clock: SharedClock,
    calls: Arc<AtomicU32>,
    prefetch: PrefetchStrategy,
) -> CachedSupplier<String> {
    let options = CacheOptions {
        prefetch,
        ..CacheOptions::default()
    };
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

/// Which measurement of an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Run {
    /// One thread.
    One,
    /// The floor, run right before each `One` sample.
    Floor,
    /// Two threads at once (ns per op of both together).
    Two,
    /// One thread, run right before each `Two` sample.
    OneBesideTwo,
}

/// Every sample (operations, time) per (op, run), in order: the i-th sample
/// of a run and of its paired run were taken back to back.
#[derive(Default)]
struct Recorder {
    samples: Mutex<BTreeMap<(String, Run), Samples>>,
}

/// (operations, time) of each sample.
type Samples = Vec<(u64, Duration)>;

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

impl Recorder {
    fn add(&self, name: &str, run: Run, ops: u64, took: Duration) {
        let mut samples = self.samples.lock().unwrap();
        samples
            .entry((name.to_owned(), run))
            .or_default()
            .push((ops, took));
    }

    fn ns_per_op_samples(&self, name: &str, run: Run) -> Vec<f64> {
        let samples = self.samples.lock().unwrap();
        samples
            .get(&(name.to_owned(), run))
            .map(|s| {
                s.iter()
                    .map(|(ops, took)| took.as_nanos() as f64 / *ops as f64)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Median wall-clock ns per operation over the samples (all threads
    /// together for `Two`): robust to bursts of load from other processes.
    fn ns_per_op(&self, name: &str, run: Run) -> Option<f64> {
        median(self.ns_per_op_samples(name, run))
    }

    /// Median over paired samples of `ns(a) / ns(b)`.
    fn ratio(&self, name: &str, (a, b): (Run, Run)) -> Option<f64> {
        let a = self.ns_per_op_samples(name, a);
        let b = self.ns_per_op_samples(name, b);
        median(a.iter().zip(&b).map(|(a, b)| a / b).collect())
    }
}

/// Runs `op` `iters` times on each of `threads` threads at once; the wall
/// time from the common start to the last thread's end (thread start-up
/// excluded).
fn parallel<F: Fn() + Sync>(threads: usize, iters: u64, op: &F) -> Duration {
    let barrier = Barrier::new(threads);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        op();
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let start = spans.iter().map(|s| s.0).min().unwrap();
    let end = spans.iter().map(|s| s.1).max().unwrap();
    end - start
}

fn run<F: Fn()>(iters: u64, op: &F) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        op();
    }
    start.elapsed()
}

/// `name/1`: one thread, each sample paired with a sample of the floor run
/// right before it (so both see the same machine load); `name/2`: two
/// threads, one op each per iteration, each sample paired with a
/// one-thread sample of the same op.
fn bench_pair<F: Fn() + Sync, G: Fn()>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    recorder: &Recorder,
    name: &str,
    floor: &G,
    op: F,
) {
    group.bench_function(format!("{name}/1"), |b| {
        b.iter_custom(|iters| {
            recorder.add(name, Run::Floor, iters, run(iters, floor));
            let took = run(iters, &op);
            recorder.add(name, Run::One, iters, took);
            took
        })
    });
    group.bench_function(format!("{name}/2"), |b| {
        b.iter_custom(|iters| {
            recorder.add(name, Run::OneBesideTwo, iters, run(iters, &op));
            let took = parallel(2, iters, &op);
            recorder.add(name, Run::Two, 2 * iters, took);
            took
        })
    });
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

/// The workspace target directory: `CARGO_TARGET_DIR`, else `target/` beside
/// the `Cargo.lock` found walking up from this crate.
fn target_dir() -> PathBuf {
    let manifest = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let manifest = Path::new(&manifest);
    let root = manifest
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or(manifest);
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => dir.into(),
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// The 1-minute load average (Linux), to tell a quiet run from a busy one.
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
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
    // figures only from a full measurement: not in `cargo test --benches`
    // (each bench runs once) nor with criterion's `--profile-time`
    let args: Vec<String> = std::env::args().collect();
    let benching = args.iter().any(|a| a == "--bench")
        && !args.iter().any(|a| a.starts_with("--profile-time"));
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
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .configure_from_args();
    let mut group = c.benchmark_group("cache");
    let floor = || {
        let guard = swap.load();
        black_box((guard.len(), Instant::now()));
    };
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

    let mut ops = serde_json::Map::new();
    for name in OPS {
        let Some(one) = recorder.ns_per_op(name, Run::One) else {
            continue; // filtered out on the command line
        };
        ops.insert(
            name.to_owned(),
            json!({
                "ns_per_op_1_thread": one,
                "floor_ns_per_op_same_samples": recorder.ns_per_op(name, Run::Floor),
                "over_floor": recorder.ratio(name, (Run::One, Run::Floor)),
                "ns_per_op_2_threads_aggregate": recorder.ns_per_op(name, Run::Two),
                "rate_2_threads_over_1": recorder.ratio(name, (Run::OneBesideTwo, Run::Two)),
            }),
        );
    }
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
