//! The paired-sample harness of the cache benchmarks (shared by
//! `idaas-cache`'s `cache` bench and `idaas-credentials`' `provider` bench):
//! each op's samples are taken right after a sample of the floor (or of the
//! op on one thread, for the 2-thread runs), so ratios compare like with like
//! under the same machine load.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use criterion::{BenchmarkGroup, Criterion, measurement::WallTime};

/// Short criterion settings (the machine is shared): 0.5 s warm-up, 1 s
/// of measurement per benchmark, overridable on the command line.
pub(crate) fn short_criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1000))
        .configure_from_args()
}

/// The floor every hit path is compared with: an `ArcSwap` guard load and
/// `Instant::now`.
#[inline]
pub(crate) fn floor(swap: &ArcSwap<String>) {
    let guard = swap.load();
    black_box((guard.len(), Instant::now()));
}

/// Whether this is a full measurement whose figures are reported: not
/// `cargo test --benches` (each bench runs once) nor criterion's
/// `--profile-time`.
pub(crate) fn benching() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a.starts_with("--profile-time"))
}

/// Which measurement of an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Run {
    /// One thread.
    One,
    /// The floor, run right before each `One` sample.
    Floor,
    /// Two threads at once (ns per op of both together).
    Two,
    /// One thread, run right before each `Two` sample.
    OneBesideTwo,
    /// The floor on one thread, then on two (`FloorTwo`), run right before
    /// each `OneBesideTwo` sample: the floor's own scaling under the same
    /// machine load as the op's.
    FloorBesideTwo,
    /// The floor on two threads, paired with `FloorBesideTwo`.
    FloorTwo,
}

/// Every sample (operations, time) per (op, run), in order: the i-th sample
/// of a run and of its paired run were taken back to back.
#[derive(Default)]
pub(crate) struct Recorder {
    samples: Mutex<BTreeMap<(String, Run), Samples>>,
}

/// (operations, time) of each sample.
pub(crate) type Samples = Vec<(u64, Duration)>;

pub(crate) fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

impl Recorder {
    pub(crate) fn add(&self, name: &str, run: Run, ops: u64, took: Duration) {
        let mut samples = self.samples.lock().unwrap();
        samples
            .entry((name.to_owned(), run))
            .or_default()
            .push((ops, took));
    }

    pub(crate) fn ns_per_op_samples(&self, name: &str, run: Run) -> Vec<f64> {
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
    pub(crate) fn ns_per_op(&self, name: &str, run: Run) -> Option<f64> {
        median(self.ns_per_op_samples(name, run))
    }

    /// The 2-thread aggregate rate over the 1-thread rate: the op's, and
    /// the floor's in the same samples.
    pub(crate) fn scaling(&self, name: &str) -> (Option<f64>, Option<f64>) {
        (
            self.ratio(name, (Run::OneBesideTwo, Run::Two)),
            self.ratio(name, (Run::FloorBesideTwo, Run::FloorTwo)),
        )
    }

    /// Each op's figures for the JSON report (ops filtered out on the
    /// command line are left out).
    pub(crate) fn figures(&self, ops: &[&str]) -> serde_json::Map<String, serde_json::Value> {
        let mut figures = serde_json::Map::new();
        for &name in ops {
            let Some(one) = self.ns_per_op(name, Run::One) else {
                continue;
            };
            let (scaling, floor_scaling) = self.scaling(name);
            figures.insert(
                name.to_owned(),
                serde_json::json!({
                    "ns_per_op_1_thread": one,
                    "floor_ns_per_op_same_samples": self.ns_per_op(name, Run::Floor),
                    "over_floor": self.ratio(name, (Run::One, Run::Floor)),
                    "ns_per_op_2_threads_aggregate": self.ns_per_op(name, Run::Two),
                    "rate_2_threads_over_1": scaling,
                    "floor_rate_2_threads_over_1_same_samples": floor_scaling,
                }),
            );
        }
        figures
    }

    /// Median over paired samples of `ns(a) / ns(b)`.
    pub(crate) fn ratio(&self, name: &str, (a, b): (Run, Run)) -> Option<f64> {
        let a = self.ns_per_op_samples(name, a);
        let b = self.ns_per_op_samples(name, b);
        median(a.iter().zip(&b).map(|(a, b)| a / b).collect())
    }
}

/// Runs `op` `iters` times on each of `threads` threads at once; the wall
/// time from the common start to the last thread's end (thread start-up
/// excluded).
///
/// The threads meet at a spinning barrier, not `std::sync::Barrier`: a
/// futex barrier wakes the last sleeper tens of microseconds after the
/// first thread has started, and on this 2-vCPU VM that wake-up skew (not
/// the op) made the two threads' windows overlap by only 57–95 %, so the
/// wall span read 1.5–1.87× for a trivial op whose per-thread rates summed
/// to 1.91–1.93×. Spinning, both threads leave the barrier within
/// nanoseconds of each other when both are on a core; the span (the honest
/// aggregate: all the work over all the wall time it took) is kept.
pub(crate) fn parallel<F: Fn() + Sync>(threads: usize, iters: u64, op: &F) -> Duration {
    let arrived = AtomicUsize::new(0);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    spin_barrier(&arrived, threads);
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

/// Waits, spinning, until `threads` threads have arrived; yields to the OS
/// now and then so a thread that is not on a core gets one.
fn spin_barrier(arrived: &AtomicUsize, threads: usize) {
    arrived.fetch_add(1, Ordering::AcqRel);
    let mut spins = 0u32;
    while arrived.load(Ordering::Acquire) < threads {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(65_536) {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

pub(crate) fn run<F: Fn()>(iters: u64, op: &F) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        op();
    }
    start.elapsed()
}

/// `name/1`: one thread, each sample paired with a sample of the floor run
/// right before it (so both see the same machine load); `name/2`: two
/// threads, one op each per iteration, each sample paired with a
/// one-thread sample of the same op, and both with a 1- and a 2-thread
/// sample of the floor taken right before (its own scaling, same load).
pub(crate) fn bench_pair<F: Fn() + Sync, G: Fn() + Sync>(
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
            recorder.add(name, Run::FloorBesideTwo, iters, run(iters, floor));
            recorder.add(name, Run::FloorTwo, 2 * iters, parallel(2, iters, floor));
            recorder.add(name, Run::OneBesideTwo, iters, run(iters, &op));
            let took = parallel(2, iters, &op);
            recorder.add(name, Run::Two, 2 * iters, took);
            took
        })
    });
}

/// The workspace target directory: `CARGO_TARGET_DIR`, else `target/` beside
/// the `Cargo.lock` found walking up from this crate.
pub(crate) fn target_dir() -> PathBuf {
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
pub(crate) fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
