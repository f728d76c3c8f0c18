//! [`CachedSupplier`]: one cached value, refreshed ahead of staleness by a
//! single flight whose outcome — success or failure — every waiter shares.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::{ArcSwapOption, Guard};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Either, Shared};
use idaas_core::clock::SharedClock;
use rand::Rng;

use crate::error::{CacheError, SupplierError};
use crate::timing::Timing;

/// A freshly supplied value and when to refresh it.
#[derive(Debug, Clone)]
pub struct Refreshed<T> {
    /// The value.
    pub value: T,
    /// Its prefetch, stale and expiry times.
    pub timing: Timing,
}

/// How a refresh in the prefetch window runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrefetchStrategy {
    /// One caller runs the refresh and waits for it; the others keep getting
    /// the cached value (the reference SDK's default).
    #[default]
    OneCallerBlocks,
    /// The refresh runs in a background task; every caller returns at once.
    NonBlocking,
}

/// What callers get when a refresh fails after the stale time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StaleBehavior {
    /// The error (the reference SDK's default for tokens).
    #[default]
    Strict,
    /// The old value, while it has not expired; the refresh is retried later.
    Allow,
}

/// Settings of a [`CachedSupplier`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheOptions {
    /// Refresh strategy in the prefetch window.
    pub prefetch: PrefetchStrategy,
    /// Behaviour when a refresh fails past the stale time.
    pub stale: StaleBehavior,
    /// The longest a caller waits for a refresh (the reference: 5 s).
    pub blocking_wait: Duration,
    /// After a failure, the first retry waits up to this (doubling, jittered).
    pub failure_backoff: Duration,
    /// The longest wait between retries after failures.
    pub max_failure_backoff: Duration,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            prefetch: PrefetchStrategy::OneCallerBlocks,
            stale: StaleBehavior::Strict,
            blocking_wait: Duration::from_secs(5),
            failure_backoff: Duration::from_secs(1),
            max_failure_backoff: Duration::from_secs(30),
        }
    }
}

type SupplyFn<T> =
    dyn Fn() -> BoxFuture<'static, Result<Refreshed<T>, SupplierError>> + Send + Sync + 'static;

struct Entry<T> {
    value: T,
    timing: Timing,
    /// `timing.prefetch_at` on the monotonic clock, when the cache runs on
    /// the system clock: the hit path then reads `Instant::now`, the
    /// cheapest clock there is.
    prefetch_deadline: Option<Instant>,
}

type Outcome<T> = Result<Arc<Entry<T>>, CacheError>;
type Flight<T> = Shared<Pin<Box<dyn Future<Output = Outcome<T>> + Send>>>;

/// The last failure: answered at once until `retry_at`.
struct Failure {
    error: CacheError,
    retry_at: Duration,
    consecutive: u32,
}

struct Inner<T> {
    current: ArcSwapOption<Entry<T>>,
    flight: Mutex<Option<Flight<T>>>,
    failure: Mutex<Option<Failure>>,
    supply: Box<SupplyFn<T>>,
    clock: SharedClock,
    options: CacheOptions,
}

/// A cached value that refreshes itself ahead of time.
///
/// - Before `prefetch_at`: a hit — one lock-free load and a clock read, no
///   allocation, no shared write.
/// - Between `prefetch_at` and `stale_at`: one refresh starts (per the
///   [`PrefetchStrategy`]); callers keep getting the cached value.
/// - From `stale_at`: callers wait (at most `blocking_wait`) for the single
///   refresh in flight and all get its outcome.
/// - A failed refresh is remembered for a jittered, growing backoff (or the
///   supplier's `retry_after`): meanwhile callers get the still-valid value,
///   or the remembered error at once — never a queue of retries.
///
/// Refreshes run in their own task: a caller that gives up does not cancel
/// them, and a panicking supplier becomes an error, after which the next call
/// retries. Cheap to clone (clones share the value).
pub struct CachedSupplier<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for CachedSupplier<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for CachedSupplier<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let timing = self.inner.current.load().as_ref().map(|e| e.timing);
        f.debug_struct("CachedSupplier")
            .field("options", &self.inner.options)
            .field("timing", &timing)
            .finish_non_exhaustive()
    }
}

/// A cached value handed out without copying it. Hold it briefly (do not
/// keep it across long awaits): it pins the value it points at.
pub struct Cached<T>(CachedInner<T>);

enum CachedInner<T> {
    Guard(Guard<Option<Arc<Entry<T>>>>),
    Owned(Arc<Entry<T>>),
}

impl<T> Deref for Cached<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match &self.0 {
            CachedInner::Guard(guard) => {
                &guard
                    .as_ref()
                    .expect("a hit guard always holds an entry")
                    .value
            }
            CachedInner::Owned(entry) => &entry.value,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Cached<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T> Cached<T> {
    /// The times of this value.
    pub fn timing(&self) -> Timing {
        match &self.0 {
            CachedInner::Guard(guard) => {
                guard.as_ref().map(|e| e.timing).unwrap_or(Timing::never())
            }
            CachedInner::Owned(entry) => entry.timing,
        }
    }
}

impl<T: Send + Sync + 'static> CachedSupplier<T> {
    /// A cache over `supply`, which produces a value and its timing.
    pub fn new<F, Fut>(options: CacheOptions, clock: SharedClock, supply: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Refreshed<T>, SupplierError>> + Send + 'static,
    {
        Self {
            inner: Arc::new(Inner {
                current: ArcSwapOption::empty(),
                flight: Mutex::new(None),
                failure: Mutex::new(None),
                supply: Box::new(move || supply().boxed()),
                clock,
                options,
            }),
        }
    }

    /// The cached value if it is before its prefetch time: the hit path,
    /// synchronous, with no lock, allocation or shared write.
    #[inline]
    pub fn try_hit(&self) -> Option<Cached<T>> {
        let guard = self.inner.current.load();
        let fresh = guard
            .as_ref()
            .is_some_and(|entry| match entry.prefetch_deadline {
                Some(deadline) => Instant::now() < deadline,
                None => self.inner.clock.now() < entry.timing.prefetch_at,
            });
        fresh.then(|| Cached(CachedInner::Guard(guard)))
    }

    /// The current value, refreshing it as its timing requires.
    ///
    /// A hit is decided when `get` is called and the returned future is
    /// ready at once; only a refresh allocates its (boxed) future.
    pub fn get(&self) -> impl Future<Output = Result<Cached<T>, CacheError>> + Send + '_ {
        match self.try_hit() {
            Some(hit) => Either::Left(std::future::ready(Ok(hit))),
            None => Either::Right(Box::pin(self.get_slow())),
        }
    }

    async fn get_slow(&self) -> Result<Cached<T>, CacheError> {
        let now = self.inner.clock.now();
        let guard = self.inner.current.load();
        if let Some(entry) = guard.as_ref() {
            if now < entry.timing.prefetch_at {
                return Ok(Cached(CachedInner::Guard(guard)));
            }
            if now < entry.timing.stale_at && !entry.timing.is_expired(now) {
                return self.prefetch(guard, now).await;
            }
        }
        drop(guard);
        self.refresh_past_stale(now).await
    }

    /// Drops the cached value (e.g. after a 401 from the resource server):
    /// the next call refreshes once, however many callers make it.
    pub fn invalidate(&self) {
        self.inner.current.store(None);
        *self.inner.failure.lock().expect("failure lock") = None;
    }

    /// The timing of the cached value, if any.
    pub fn timing(&self) -> Option<Timing> {
        self.inner.current.load().as_ref().map(|e| e.timing)
    }

    async fn prefetch(
        &self,
        guard: Guard<Option<Arc<Entry<T>>>>,
        now: Duration,
    ) -> Result<Cached<T>, CacheError> {
        if self.failure_pending(now).is_some() {
            return Ok(Cached(CachedInner::Guard(guard)));
        }
        match self.inner.options.prefetch {
            PrefetchStrategy::NonBlocking => {
                // The refresh runs in its own task; nobody waits for it here.
                let _background = self.start_flight();
                Ok(Cached(CachedInner::Guard(guard)))
            }
            PrefetchStrategy::OneCallerBlocks => {
                let Some(flight) = self.start_flight_if_idle() else {
                    return Ok(Cached(CachedInner::Guard(guard)));
                };
                drop(guard);
                // This caller leads: it waits for the refresh, bounded, and
                // falls back to the still-valid value on failure.
                match tokio::time::timeout(self.inner.options.blocking_wait, flight).await {
                    Ok(Ok(entry)) => Ok(Cached(CachedInner::Owned(entry))),
                    _ => self.current_or_error(now, None),
                }
            }
        }
    }

    async fn refresh_past_stale(&self, now: Duration) -> Result<Cached<T>, CacheError> {
        if let Some(error) = self.failure_pending(now) {
            return self.current_or_error(now, Some(error));
        }
        let flight = self.start_flight();
        match tokio::time::timeout(self.inner.options.blocking_wait, flight).await {
            Ok(Ok(entry)) => Ok(Cached(CachedInner::Owned(entry))),
            Ok(Err(error)) => self.current_or_error(now, Some(error)),
            Err(_) => self.current_or_error(
                now,
                Some(CacheError::Timeout(self.inner.options.blocking_wait)),
            ),
        }
    }

    /// After a failed or slow refresh: the old value where the stale
    /// behaviour allows it, else the error.
    fn current_or_error(
        &self,
        now: Duration,
        error: Option<CacheError>,
    ) -> Result<Cached<T>, CacheError> {
        let guard = self.inner.current.load();
        let usable = guard.as_ref().is_some_and(|entry| {
            let before_stale = now < entry.timing.stale_at;
            let allowed = self.inner.options.stale == StaleBehavior::Allow;
            !entry.timing.is_expired(now) && (before_stale || allowed)
        });
        match (usable, error) {
            (true, _) => Ok(Cached(CachedInner::Guard(guard))),
            (false, Some(error)) => Err(error),
            (false, None) => Err(CacheError::Timeout(self.inner.options.blocking_wait)),
        }
    }

    /// The remembered failure, while its retry time has not come.
    fn failure_pending(&self, now: Duration) -> Option<CacheError> {
        let failure = self.inner.failure.lock().expect("failure lock");
        failure
            .as_ref()
            .filter(|f| now < f.retry_at)
            .map(|f| f.error.clone())
    }

    fn start_flight_if_idle(&self) -> Option<Flight<T>> {
        let mut slot = self.inner.flight.lock().expect("flight lock");
        if slot.is_some() {
            return None;
        }
        let flight = self.launch();
        *slot = Some(flight.clone());
        Some(flight)
    }

    /// The refresh in flight, or a new one.
    fn start_flight(&self) -> Flight<T> {
        let mut slot = self.inner.flight.lock().expect("flight lock");
        if let Some(flight) = slot.as_ref() {
            return flight.clone();
        }
        let flight = self.launch();
        *slot = Some(flight.clone());
        flight
    }

    /// Spawns the refresh task. The task stores the outcome, clears the
    /// flight slot and records failures itself, so it completes whether or
    /// not anyone still waits for it.
    fn launch(&self) -> Flight<T> {
        let inner = self.inner.clone();
        let task = tokio::spawn(async move {
            let supplied = AssertUnwindSafe((inner.supply)()).catch_unwind().await;
            let now = inner.clock.now();
            let outcome = match supplied {
                Ok(Ok(refreshed)) => {
                    let prefetch_deadline = inner.clock.is_system().then(|| {
                        let until = refreshed.timing.prefetch_at.saturating_sub(now);
                        let capped = until.min(Duration::from_secs(100 * 365 * 86_400));
                        Instant::now() + capped
                    });
                    let entry = Arc::new(Entry {
                        value: refreshed.value,
                        timing: refreshed.timing,
                        prefetch_deadline,
                    });
                    inner.current.store(Some(entry.clone()));
                    *inner.failure.lock().expect("failure lock") = None;
                    Ok(entry)
                }
                Ok(Err(failure)) => {
                    let error = CacheError::Refresh(Arc::from(failure.error));
                    inner.remember_failure(now, error.clone(), failure.retry_after);
                    Err(error)
                }
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".to_owned());
                    // A panic is a bug, not an outage: no backoff, the next call retries.
                    Err(CacheError::Panicked(message))
                }
            };
            *inner.flight.lock().expect("flight lock") = None;
            outcome
        });
        let joined: Pin<Box<dyn Future<Output = Outcome<T>> + Send>> = Box::pin(async move {
            task.await
                .unwrap_or_else(|e| Err(CacheError::Panicked(e.to_string())))
        });
        joined.shared()
    }
}

impl<T> Inner<T> {
    fn remember_failure(&self, now: Duration, error: CacheError, retry_after: Option<Duration>) {
        let mut failure = self.failure.lock().expect("failure lock");
        let consecutive = failure.as_ref().map_or(1, |f| f.consecutive + 1);
        let wait = retry_after.unwrap_or_else(|| {
            let exp = consecutive.saturating_sub(1).min(16);
            let ceiling = self
                .options
                .failure_backoff
                .saturating_mul(1 << exp)
                .min(self.options.max_failure_backoff);
            // jitter within the upper half so a retry never comes immediately
            let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
            Duration::from_nanos(rand::rng().random_range(nanos / 2..=nanos))
        });
        tracing::warn!(%error, retry_in_ms = wait.as_millis() as u64, "cache refresh failed");
        *failure = Some(Failure {
            error,
            retry_at: now + wait,
            consecutive,
        });
    }
}
