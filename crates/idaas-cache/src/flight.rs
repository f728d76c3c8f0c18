//! The shared state behind a [`CachedSupplier`](crate::CachedSupplier): the
//! stored value, the single refresh in flight and the remembered failure.
//!
//! A refresh runs in its own tokio task and is shared (`futures::Shared`) by
//! every caller that waits for it, so all of them get its one outcome —
//! success or error — and a caller that gives up cancels nothing. The task
//! itself stores the value, records a failure and clears the flight slot, in
//! that order and under the state lock, so a caller that finds no flight also
//! finds its outcome. A guard clears the slot if the task is dropped without
//! finishing (its runtime shut down), so nothing stays wedged.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use idaas_core::clock::SharedClock;
use rand::Rng;
use tracing::Instrument;

use crate::cached::{Entry, Slot};
use crate::error::{CacheError, SupplierError};
use crate::hit_clock::{HitClock, nanos};
use crate::options::{CacheOptions, StaleBehavior};
use crate::supplier::Refreshed;
use crate::timing::Window;

pub(crate) type SupplyFn<T> =
    dyn Fn() -> BoxFuture<'static, Result<Refreshed<T>, SupplierError>> + Send + Sync + 'static;

pub(crate) type Outcome<T> = Result<Arc<Entry<T>>, CacheError>;

/// A refresh in flight, awaited by any number of callers.
pub(crate) type Flight<T> = Shared<BoxFuture<'static, Outcome<T>>>;

pub(crate) struct Inner<T> {
    pub(crate) current: ArcSwapOption<Entry<T>>,
    pub(crate) hit_clock: HitClock,
    pub(crate) clock: SharedClock,
    pub(crate) options: CacheOptions,
    supply: Box<SupplyFn<T>>,
    /// A refresh is in flight (mirrors `state.flight`, for lock-free checks).
    refreshing: AtomicBool,
    /// Wall-clock nanos before which no refresh starts after a failure
    /// (mirrors `state.failure`, for lock-free checks; 0: none).
    retry_at: AtomicU64,
    /// Consecutive failed refreshes (mirrors `state.failure`).
    failures: AtomicU32,
    generation: AtomicU64,
    /// The flight being spawned (under the state lock; 0: none) and the last
    /// flight whose task was dropped unfinished: a task dropped inside
    /// `spawn` (its runtime closing) must not take the lock its spawner holds.
    spawning: AtomicU64,
    dropped: AtomicU64,
    state: Mutex<State<T>>,
}

struct State<T> {
    flight: Option<(u64, Flight<T>)>,
    failure: Option<Failure>,
    flights_started: u64,
}

/// The last failure: answered at once until `retry_at` while a value is
/// served, until `failed_at + probe_interval` while none is.
struct Failure {
    error: CacheError,
    failed_at: Duration,
    retry_at: Duration,
    consecutive: u32,
}

/// What a caller that needs a refresh gets.
pub(crate) enum Join<T> {
    /// Wait for this refresh (just started, or already running).
    Wait(Flight<T>),
    /// Another refresh landed since the caller looked, and its value is
    /// still before its stale time: use it.
    Fresh(Slot<T>),
    /// A recent failure is remembered (or no refresh can start): answer with it.
    Failed(CacheError),
}

impl<T: Send + Sync + 'static> Inner<T> {
    pub(crate) fn new(options: CacheOptions, clock: SharedClock, supply: Box<SupplyFn<T>>) -> Self {
        Self {
            current: ArcSwapOption::empty(),
            hit_clock: HitClock::for_clock(&clock),
            clock,
            options,
            supply,
            refreshing: AtomicBool::new(false),
            retry_at: AtomicU64::new(0),
            failures: AtomicU32::new(0),
            generation: AtomicU64::new(0),
            spawning: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            state: Mutex::new(State {
                flight: None,
                failure: None,
                flights_started: 0,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State<T>> {
        // no code that can panic runs under this lock; recover regardless
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a refresh is running or a failure is being backed off, read
    /// without the lock (a hint: the decision is made under the lock).
    pub(crate) fn busy_or_backing_off(&self, now: Duration) -> bool {
        self.refreshing.load(Ordering::Acquire)
            || nanos(now) < self.retry_at.load(Ordering::Acquire)
    }

    /// Whether the last refresh failed (and none succeeded since).
    pub(crate) fn in_outage(&self) -> bool {
        self.failures.load(Ordering::Acquire) > 0
    }

    /// Joins the refresh in flight, or starts one. `seen` is the generation
    /// of the value the caller looked at (0: none).
    pub(crate) fn join_or_start(self: &Arc<Self>, seen: u64) -> Join<T> {
        let mut state = self.state();
        if let Some((_, flight)) = &state.flight {
            return Join::Wait(flight.clone());
        }
        self.start(&mut state, seen)
    }

    /// Starts a refresh unless one is running (`None`).
    pub(crate) fn start_if_idle(self: &Arc<Self>, seen: u64) -> Option<Join<T>> {
        let mut state = self.state();
        if state.flight.is_some() {
            return None;
        }
        Some(self.start(&mut state, seen))
    }

    fn start(self: &Arc<Self>, state: &mut State<T>, seen: u64) -> Join<T> {
        let now = self.clock.now();
        let current = self.current.load();
        let changed = current.as_ref().is_some_and(|entry| {
            entry.generation != seen && now < entry.timing.stale_at && !entry.timing.is_expired(now)
        });
        if changed {
            return Join::Fresh(current);
        }
        if let Some(failure) = &state.failure {
            // the long backoff only while callers are served a value; without
            // one, a caller probes the provider once per probe interval
            let serving = current
                .as_ref()
                .is_some_and(|entry| self.serves(&entry.timing, now));
            let retry_at = if serving {
                failure.retry_at
            } else {
                failure.retry_at.min(
                    failure
                        .failed_at
                        .saturating_add(self.options.probe_interval),
                )
            };
            if now < retry_at {
                return Join::Failed(failure.error.clone());
            }
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Join::Failed(CacheError::NoRuntime);
        };
        state.flights_started += 1;
        let id = state.flights_started;
        self.spawning.store(id, Ordering::SeqCst);
        let flight = self.launch(&runtime, id);
        self.spawning.store(0, Ordering::SeqCst);
        if self.dropped.load(Ordering::SeqCst) == id {
            // the runtime is shutting down: the task was dropped unstarted
            return Join::Failed(CacheError::Cancelled);
        }
        state.flight = Some((id, flight.clone()));
        self.refreshing.store(true, Ordering::Release);
        Join::Wait(flight)
    }

    /// Whether a value with `timing` is handed to callers at `now`.
    fn serves(&self, timing: &crate::timing::Timing, now: Duration) -> bool {
        match timing.window(now) {
            Window::Fresh | Window::Prefetch => true,
            Window::Stale => self.options.stale != StaleBehavior::Strict,
            Window::Expired => false,
        }
    }

    /// Spawns the refresh task; its outcome is shared by every waiter.
    fn launch(self: &Arc<Self>, runtime: &tokio::runtime::Handle, id: u64) -> Flight<T> {
        // made before the task so that even a task dropped before its first
        // poll (its runtime shutting down) clears the slot
        let landing = Landing {
            inner: self.clone(),
            id,
            landed: false,
        };
        let span = tracing::debug_span!("idaas_cache.refresh", flight = id);
        let task = runtime.spawn(
            async move {
                let supplied = AssertUnwindSafe(async { (landing.inner.supply)().await })
                    .catch_unwind()
                    .await;
                landing.land(supplied)
            }
            .instrument(span),
        );
        let joined = async move {
            match task.await {
                Ok(outcome) => outcome,
                Err(e) if e.is_panic() => {
                    Err(CacheError::Panicked(panic_message(&*e.into_panic())))
                }
                Err(_) => Err(CacheError::Cancelled),
            }
        };
        boxed(joined).shared()
    }

    fn backoff(&self, consecutive: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(hint) = retry_after {
            return hint.min(self.options.max_retry_after);
        }
        // jittered within the upper half: spread, but never an immediate retry
        let ceiling = nanos(self.options.backoff_ceiling(consecutive));
        Duration::from_nanos(rand::rng().random_range(ceiling / 2..=ceiling))
    }
}

fn boxed<T>(
    future: impl Future<Output = Outcome<T>> + Send + 'static,
) -> BoxFuture<'static, Outcome<T>> {
    Box::pin(future)
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Lands a refresh's outcome; clears the flight slot even if the task is
/// dropped before it lands.
struct Landing<T: Send + Sync + 'static> {
    inner: Arc<Inner<T>>,
    id: u64,
    landed: bool,
}

enum Record {
    Success,
    Failure(CacheError, Option<Duration>),
    /// A panic is a bug, not an outage: no backoff, the next call retries.
    Panic,
}

impl<T: Send + Sync + 'static> Landing<T> {
    fn land(
        mut self,
        supplied: Result<Result<Refreshed<T>, SupplierError>, Box<dyn Any + Send>>,
    ) -> Outcome<T> {
        let inner = self.inner.clone();
        let inner = &*inner;
        let now = inner.clock.now();
        let (outcome, record) = match supplied {
            Ok(Ok(refreshed)) if refreshed.timing.is_expired(now) => {
                let error = CacheError::ExpiredValue;
                (Err(error.clone()), Record::Failure(error, None))
            }
            Ok(Ok(refreshed)) => {
                let entry = Arc::new(Entry {
                    hit_deadline: inner.hit_clock.hit_deadline(&refreshed.timing),
                    timing: refreshed.timing,
                    value: refreshed.value,
                    generation: inner.generation.fetch_add(1, Ordering::AcqRel) + 1,
                });
                inner.current.store(Some(entry.clone()));
                tracing::debug!(generation = entry.generation, "cached value refreshed");
                (Ok(entry), Record::Success)
            }
            Ok(Err(failure)) => {
                let error = CacheError::Refresh(Arc::from(failure.error));
                (
                    Err(error.clone()),
                    Record::Failure(error, failure.retry_after),
                )
            }
            Err(panic) => (
                Err(CacheError::Panicked(panic_message(&*panic))),
                Record::Panic,
            ),
        };
        let mut state = inner.state();
        let backed_off = match record {
            Record::Success => {
                state.failure = None;
                inner.failures.store(0, Ordering::Release);
                inner.retry_at.store(0, Ordering::Release);
                None
            }
            Record::Failure(error, retry_after) => {
                let consecutive = state.failure.as_ref().map_or(1, |f| f.consecutive + 1);
                let wait = inner.backoff(consecutive, retry_after);
                state.failure = Some(Failure {
                    error,
                    failed_at: now,
                    retry_at: now + wait,
                    consecutive,
                });
                inner.failures.store(consecutive, Ordering::Release);
                inner.retry_at.store(nanos(now + wait), Ordering::Release);
                Some((consecutive, wait))
            }
            Record::Panic => None,
        };
        clear_flight(inner, &mut state, self.id);
        drop(state);
        self.landed = true;
        // logged outside the lock
        match (&outcome, backed_off) {
            (Err(error), Some((consecutive, wait))) => tracing::warn!(
                %error,
                consecutive,
                retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "cache refresh failed"
            ),
            (Err(error), None) => {
                tracing::error!(%error, "cache supplier panicked; the next call retries")
            }
            (Ok(_), _) => {}
        }
        outcome
    }
}

impl<T: Send + Sync + 'static> Drop for Landing<T> {
    fn drop(&mut self) {
        if !self.landed {
            self.inner.dropped.store(self.id, Ordering::SeqCst);
            if self.inner.spawning.load(Ordering::SeqCst) == self.id {
                return; // dropped inside `spawn`: the spawner never registers it
            }
            let mut state = self.inner.state();
            clear_flight(&self.inner, &mut state, self.id);
        }
    }
}

fn clear_flight<T: Send + Sync + 'static>(inner: &Inner<T>, state: &mut State<T>, id: u64) {
    if state
        .flight
        .as_ref()
        .is_some_and(|(running, _)| *running == id)
    {
        state.flight = None;
        inner.refreshing.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use futures_util::FutureExt;
    use idaas_core::clock::{Clock, ManualClock};

    use super::*;
    use crate::timing::Timing;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn inner(clock: &ManualClock, calls: &Arc<AtomicU32>) -> Arc<Inner<u32>> {
        let (clock2, calls) = (clock.clone(), calls.clone());
        let supply: Box<SupplyFn<u32>> = Box::new(move || {
            let now = clock2.now();
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok(Refreshed {
                    value: n,
                    timing: Timing::for_token_with_jitter(now, now + S(100), S(100), S(0)),
                })
            }
            .boxed()
        });
        Arc::new(Inner::new(
            CacheOptions::reference(),
            Arc::new(clock.clone()),
            supply,
        ))
    }

    async fn land(inner: &Arc<Inner<u32>>, seen: u64) -> Arc<Entry<u32>> {
        match inner.join_or_start(seen) {
            Join::Wait(flight) => flight.await.unwrap(),
            _ => panic!("expected a refresh"),
        }
    }

    #[tokio::test]
    async fn a_caller_that_saw_an_older_value_takes_the_new_one_instead_of_refreshing() {
        let clock = ManualClock::at_secs(0);
        let calls = Arc::new(AtomicU32::new(0));
        let inner = inner(&clock, &calls);
        let first = land(&inner, 0).await;
        clock.set(S(90)); // past the stale time (80)
        // two callers saw `first` stale; the first of them refreshes…
        let second = land(&inner, first.generation).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // …and the other, arriving after it landed, gets its value
        match inner.join_or_start(first.generation) {
            Join::Fresh(slot) => {
                assert_eq!(slot.as_ref().unwrap().generation, second.generation);
            }
            _ => panic!("expected the landed value"),
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2, "no second refresh");
        // a caller that saw the current value and finds it stale does refresh
        clock.set(S(200));
        land(&inner, second.generation).await;
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn only_one_refresh_is_in_flight() {
        let clock = ManualClock::at_secs(0);
        let calls = Arc::new(AtomicU32::new(0));
        let inner = inner(&clock, &calls);
        let Join::Wait(a) = inner.join_or_start(0) else {
            panic!("expected a refresh")
        };
        let Join::Wait(b) = inner.join_or_start(0) else {
            panic!("expected to join it")
        };
        assert!(inner.start_if_idle(0).is_none(), "busy");
        assert!(inner.busy_or_backing_off(clock.now()));
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        assert!(Arc::ptr_eq(&a, &b), "both got the one outcome");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(
            !inner.busy_or_backing_off(clock.now()),
            "the slot is cleared"
        );
    }
}
