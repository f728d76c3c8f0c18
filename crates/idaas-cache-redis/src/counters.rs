//! [`FleetCounters`]: what the two tiers did, readable at any time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Counters of one fleet cache (all its tiers), cheap to clone and to read.
///
/// `l1_hits` is counted by whoever serves the in-process cache (the
/// credential provider calls [`FleetCounters::l1_hit`]); the others by the
/// fleet tier itself.
#[derive(Debug, Clone, Default)]
pub struct FleetCounters {
    cells: Arc<Cells>,
}

#[derive(Debug, Default)]
struct Cells {
    l1_hits: Striped,
    l2_hits: AtomicU64,
    idp_requests: AtomicU64,
    lock_waits: AtomicU64,
    l2_errors: AtomicU64,
}

/// A snapshot of [`FleetCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CounterSnapshot {
    /// Calls answered by the in-process cache.
    pub l1_hits: u64,
    /// In-process misses answered by a shared entry (no IdP request).
    pub l2_hits: u64,
    /// Token requests this process sent to the identity provider.
    pub idp_requests: u64,
    /// Times this process waited for another process's refresh.
    pub lock_waits: u64,
    /// Redis operations that failed or timed out.
    pub l2_errors: u64,
}

impl FleetCounters {
    /// Counts a hit of the in-process cache (contention-free: striped by thread).
    #[inline]
    pub fn l1_hit(&self) {
        self.cells.l1_hits.add();
    }

    pub(crate) fn l2_hit(&self) {
        self.cells.l2_hits.fetch_add(1, Relaxed);
    }

    pub(crate) fn idp_request(&self) {
        self.cells.idp_requests.fetch_add(1, Relaxed);
    }

    pub(crate) fn lock_wait(&self) {
        self.cells.lock_waits.fetch_add(1, Relaxed);
    }

    pub(crate) fn l2_error(&self) {
        self.cells.l2_errors.fetch_add(1, Relaxed);
    }

    /// The counts so far.
    pub fn snapshot(&self) -> CounterSnapshot {
        let c = &self.cells;
        CounterSnapshot {
            l1_hits: c.l1_hits.sum(),
            l2_hits: c.l2_hits.load(Relaxed),
            idp_requests: c.idp_requests.load(Relaxed),
            lock_waits: c.lock_waits.load(Relaxed),
            l2_errors: c.l2_errors.load(Relaxed),
        }
    }
}

const STRIPES: usize = 16;

/// A counter in cache-line-sized stripes, so threads counting hits at once
/// do not bounce one line between cores.
#[derive(Debug, Default)]
struct Striped([Padded; STRIPES]);

#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded(AtomicU64);

thread_local! {
    static STRIPE: usize = {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        (NEXT.fetch_add(1, Relaxed) as usize) % STRIPES
    };
}

impl Striped {
    #[inline]
    fn add(&self) {
        let i = STRIPE.with(|i| *i);
        self.0[i].0.fetch_add(1, Relaxed);
    }

    fn sum(&self) -> u64 {
        self.0.iter().map(|p| p.0.load(Relaxed)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_many_threads() {
        let c = FleetCounters::default();
        std::thread::scope(|s| {
            for _ in 0..8 {
                let c = c.clone();
                s.spawn(move || (0..1000).for_each(|_| c.l1_hit()));
            }
        });
        c.l2_hit();
        c.idp_request();
        c.idp_request();
        c.lock_wait();
        c.l2_error();
        let s = c.snapshot();
        assert_eq!(
            s,
            CounterSnapshot {
                l1_hits: 8000,
                l2_hits: 1,
                idp_requests: 2,
                lock_waits: 1,
                l2_errors: 1
            }
        );
    }
}
