//! What the benches of this crate share: paired ratios and criterion's
//! estimates (included by `#[path]` from each bench).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The median over `rounds` rounds of time(ours batch) / time(peer batch),
/// the two batches of a round run back to back in alternating order, so
/// that drifts of the machine (frequency, the other tenant) hit both sides
/// alike. Batches last about `batch_time`.
pub(crate) fn paired_ratio(
    ours: &dyn Fn(),
    peer: &dyn Fn(),
    rounds: usize,
    batch_time: Duration,
) -> f64 {
    let batch = {
        let started = Instant::now();
        let mut n = 0u32;
        while started.elapsed() < batch_time {
            ours();
            n += 1;
        }
        n.max(1)
    };
    let time = |f: &dyn Fn()| {
        let started = Instant::now();
        for _ in 0..batch {
            f();
        }
        started.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..rounds)
        .map(|round| {
            if round % 2 == 0 {
                let a = time(ours);
                a / time(peer)
            } else {
                let b = time(peer);
                time(ours) / b
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[rounds / 2]
}

/// The cargo target directory of this bench run.
pub(crate) fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return dir.into();
    }
    let exe = std::env::current_exe().expect("bench executable path");
    exe.ancestors().nth(3).expect("target dir").to_owned()
}

/// Criterion's mean estimate of bench `id`, in ns.
pub(crate) fn mean_ns(target: &Path, id: &str) -> Option<f64> {
    let path = target.join("criterion").join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}
