//! [`FleetCounters`]: what the two tiers did, readable at any time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Counters of one fleet cache (all its tiers), cheap to clone and to read.
///
/// `l1_hits` is counted by whoever serves the in-process cache (the
/// credential provider calls [`FleetCounters::l1_hit`] when
/// [`counts_l1_hits`](Self::counts_l1_hits)); the others by the fleet tier
/// itself. [`Default`] counts everything.
#[derive(Debug, Clone)]
pub struct FleetCounters {
    cells: Arc<Cells>,
}

impl Default for FleetCounters {
    fn default() -> Self {
        Self::new(true)
    }
}

#[derive(Debug, Default)]
struct Cells {
    count_l1_hits: bool,
    l1_hits: Striped,
    l2_hits: AtomicU64,
    idp_requests: AtomicU64,
    lock_waits: AtomicU64,
    l2_errors: AtomicU64,
}

/// A snapshot of [`FleetCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CounterSnapshot {
    /// Calls answered by the in-process cache; `None` unless counting them
    /// was asked for (`FleetOptions::count_l1_hits`: it costs the hit path).
    pub l1_hits: Option<u64>,
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
    /// Counters; `count_l1_hits` says whether in-process hits are counted
    /// (whether the snapshot reports them).
    pub fn new(count_l1_hits: bool) -> Self {
        Self {
            cells: Arc::new(Cells {
                count_l1_hits,
                ..Cells::default()
            }),
        }
    }

    /// Whether in-process hits are counted: callers skip
    /// [`l1_hit`](Self::l1_hit) when not.
    pub fn counts_l1_hits(&self) -> bool {
        self.cells.count_l1_hits
    }

    /// Counts a hit of the in-process cache (contention-free: a slot per thread).
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
            l1_hits: c.count_l1_hits.then(|| c.l1_hits.sum()),
            l2_hits: c.l2_hits.load(Relaxed),
            idp_requests: c.idp_requests.load(Relaxed),
            lock_waits: c.lock_waits.load(Relaxed),
            l2_errors: c.l2_errors.load(Relaxed),
        }
    }
}

/// A hit counter with one slot per counting thread: a thread adds to its own
/// slot with a plain load and store (it is the slot's only writer, so no
/// locked read-modify-write and no cache line shared between cores); a
/// snapshot sums the slots. Each thread keeps its slots, the counter it used
/// last first, so the hit path is a thread-local read, a comparison and the
/// add.
#[derive(Debug)]
struct Striped {
    id: u64,
    slots: std::sync::Mutex<Vec<Arc<AtomicU64>>>,
}

impl Default for Striped {
    fn default() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Self {
            id: NEXT_ID.fetch_add(1, Relaxed),
            slots: std::sync::Mutex::new(Vec::new()),
        }
    }
}

thread_local! {
    /// This thread's slot of each counter it counted on, the last one first.
    static SLOTS: std::cell::RefCell<Vec<(u64, Arc<AtomicU64>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl Striped {
    #[inline]
    fn add(&self) {
        SLOTS.with(|slots| {
            let mut slots = slots.borrow_mut();
            if slots.first().is_none_or(|(id, _)| *id != self.id) {
                self.bring_to_front(&mut slots);
            }
            let cell = &slots[0].1;
            cell.store(cell.load(Relaxed) + 1, Relaxed);
        });
    }

    /// This thread's slot of this counter first in `slots`, registered on
    /// the thread's first hit.
    #[cold]
    fn bring_to_front(&self, slots: &mut Vec<(u64, Arc<AtomicU64>)>) {
        match slots.iter().position(|(id, _)| *id == self.id) {
            Some(i) => slots.swap(0, i),
            None => {
                slots.push((self.id, self.slot_for_this_thread()));
                let last = slots.len() - 1;
                slots.swap(0, last);
            }
        }
    }

    #[cold]
    fn slot_for_this_thread(&self) -> Arc<AtomicU64> {
        let slot = Arc::new(AtomicU64::new(0));
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(slot.clone());
        slot
    }

    fn sum(&self) -> u64 {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .map(|slot| slot.load(Relaxed))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_alternating_between_counters_keeps_one_slot_each() {
        let (a, b) = (FleetCounters::default(), FleetCounters::default());
        for _ in 0..1000 {
            a.l1_hit();
            b.l1_hit();
            b.l1_hit();
        }
        assert_eq!(a.snapshot().l1_hits, Some(1000));
        assert_eq!(b.snapshot().l1_hits, Some(2000));
        assert_eq!(a.cells.l1_hits.slots.lock().unwrap().len(), 1);
        assert_eq!(b.cells.l1_hits.slots.lock().unwrap().len(), 1);
    }

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
                l1_hits: Some(8000),
                l2_hits: 1,
                idp_requests: 2,
                lock_waits: 1,
                l2_errors: 1
            }
        );
    }

    #[test]
    fn hits_not_asked_for_are_not_reported() {
        let c = FleetCounters::new(false);
        assert!(!c.counts_l1_hits());
        c.idp_request();
        assert_eq!(c.snapshot().l1_hits, None);
        assert_eq!(c.snapshot().idp_requests, 1);
    }
}
