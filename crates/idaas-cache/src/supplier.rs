//! [`CachedSupplier`]: one cached value, refreshed ahead of its stale time
//! by a single flight whose outcome — success or failure — every waiter
//! shares.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use idaas_core::clock::SharedClock;

use crate::cached::{Cached, Slot};
use crate::error::{CacheError, SupplierError};
use crate::flight::{Flight, Inner, Join};
use crate::get::Get;
use crate::options::{CacheOptions, PrefetchStrategy, StaleBehavior};
use crate::timing::{Timing, Window};

/// A freshly supplied value and when to refresh it.
#[derive(Debug, Clone)]
pub struct Refreshed<T> {
    /// The value.
    pub value: T,
    /// Its prefetch, stale and expiry times (see [`Timing::for_token`]).
    pub timing: Timing,
}

/// A cached value that refreshes itself ahead of time.
///
/// What a call sees depends on where the clock is in the value's life (see
/// `docs/cache.md` for the timeline):
///
/// - **Fresh** (before `prefetch_at`): a hit — one `arc-swap` load and one
///   read of a coarse clock; no lock, no allocation, no write to shared
///   memory. The returned future is ready on its first poll.
/// - **Prefetch** (until `stale_at`): one refresh starts. With
///   [`PrefetchStrategy::OneCallerBlocks`] the caller that starts it waits for
///   it while everyone else gets the cached value at once; with
///   [`PrefetchStrategy::NonBlocking`] it runs in the background and every
///   caller returns at once. A failure here never reaches a caller.
/// - **Stale** (until `expires_at − margin`): with
///   [`StaleBehavior::UntilExpiry`] (the default) as Prefetch, in the
///   background: every caller gets the value at once. Otherwise callers wait
///   (at most [`CacheOptions::blocking_wait`]) for the single refresh in
///   flight and all get its outcome. If it fails, [`StaleBehavior::Strict`]
///   returns the error, [`StaleBehavior::Allow`] the old value — and, while
///   the outage lasts, answers with the old value at once and retries in the
///   background.
/// - **Expired**: callers wait for the refresh; the old value is never served.
///
/// After a failed refresh no new one starts until a jittered, doubling
/// backoff (or the supplier's `retry_after`) has passed while a valid value
/// is being served; meanwhile callers get it at once. Callers with no value
/// to be served get the remembered error at once, and one of them retries
/// every [`CacheOptions::probe_interval`]: recovery follows the provider,
/// not the backoff.
///
/// Refreshes run in their own tokio task: a caller that gives up (its future
/// dropped, or the wait limit reached) cancels nothing, and a panicking
/// supplier becomes [`CacheError::Panicked`] for its waiters, after which the
/// next call retries. Cheap to clone; clones share the value.
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

impl<T: Send + Sync + 'static> CachedSupplier<T> {
    /// A cache over `supply`, which fetches a value and its [`Timing`].
    ///
    /// `clock` is the wall clock the timings are compared with. On the
    /// system clock the hit path reads the kernel's coarse real-time clock
    /// instead (see [`crate::coarse`]); any other clock (a test clock) is
    /// read as is.
    pub fn new<F, Fut>(options: CacheOptions, clock: SharedClock, supply: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Refreshed<T>, SupplierError>> + Send + 'static,
    {
        let supply = Box::new(move || supply().boxed());
        Self {
            inner: Arc::new(Inner::new(options, clock, supply)),
        }
    }

    /// The cached value if it is fresh (before its prefetch time): the hit
    /// path, synchronous, with no lock, no allocation and no shared write.
    /// `None` means "call [`get`](Self::get)".
    #[inline]
    pub fn try_hit(&self) -> Option<Cached<T>> {
        let slot = self.inner.current.load();
        let hit = match slot.as_ref() {
            Some(entry) => self.inner.hit_clock.now_nanos() < entry.hit_deadline,
            None => false,
        };
        hit.then(|| Cached::new(slot))
    }

    /// The current value, refreshing it as its timing requires.
    ///
    /// A hit is decided when `get` is called and the future is ready on its
    /// first poll; only a refresh allocates (one boxed future). The future
    /// owns what it needs (`'static`) and is `Send`.
    #[inline]
    pub fn get(&self) -> Get<T> {
        match self.try_hit() {
            Some(hit) => Get::hit(hit),
            None => Get::slow(get_slow(self.inner.clone())),
        }
    }

    /// Drops the cached value (e.g. after a 401 from a resource server): the
    /// next callers share one refresh. After a recent failure, a provider
    /// that is down is still not hammered: one probe per
    /// [`CacheOptions::probe_interval`].
    pub fn invalidate(&self) {
        self.inner.current.store(None);
    }

    /// Drops the cached value if `rejected` says it is the one that was
    /// refused — so that many callers reporting the same rejected token cause
    /// one refresh, and a token refreshed meanwhile is kept. Returns whether
    /// it dropped the value.
    pub fn invalidate_if(&self, rejected: impl FnOnce(&T) -> bool) -> bool {
        let current = self.inner.current.load();
        let Some(entry) = current.as_ref() else {
            return false;
        };
        if !rejected(&entry.value) {
            return false;
        }
        let previous = self.inner.current.compare_and_swap(&current, None);
        previous.as_ref().is_some_and(|p| Arc::ptr_eq(p, entry))
    }

    /// The timing of the cached value, if there is one.
    pub fn timing(&self) -> Option<Timing> {
        self.inner.current.load().as_ref().map(|e| e.timing)
    }

    /// The options this cache runs with.
    pub fn options(&self) -> &CacheOptions {
        &self.inner.options
    }
}

/// Everything but a hit.
async fn get_slow<T: Send + Sync + 'static>(inner: Arc<Inner<T>>) -> Result<Cached<T>, CacheError> {
    let now = inner.clock.now();
    let slot = inner.current.load();
    let (seen, window) = match slot.as_ref() {
        Some(entry) => (entry.generation, entry.timing.window(now)),
        None => (0, Window::Expired),
    };
    match window {
        // the hit clock is coarse: a few milliseconds before the prefetch time
        // land here, and are still hits
        Window::Fresh => Ok(Cached::new(slot)),
        Window::Prefetch => prefetch(&inner, slot, seen, now).await,
        Window::Stale
            if inner.options.stale == StaleBehavior::UntilExpiry
                || (inner.options.stale == StaleBehavior::Allow && inner.in_outage()) =>
        {
            // serve the still-valid value at once and refresh in the
            // background when no refresh runs and no backoff holds
            // (UntilExpiry always; Allow once an outage has begun)
            if !inner.busy_or_backing_off(now) {
                let _background = inner.start_if_idle(seen);
            }
            Ok(Cached::new(slot))
        }
        Window::Stale | Window::Expired => {
            drop(slot);
            match inner.join_or_start(seen) {
                Join::Wait(flight) => wait(&inner, flight).await,
                Join::Fresh(slot) => Ok(Cached::new(slot)),
                Join::Failed(error) => fallback(&inner, error),
            }
        }
    }
}

/// The prefetch window: the value is still good; start one refresh.
async fn prefetch<T: Send + Sync + 'static>(
    inner: &Arc<Inner<T>>,
    slot: Slot<T>,
    seen: u64,
    now: Duration,
) -> Result<Cached<T>, CacheError> {
    // lock-free: while a refresh runs or a failure is backed off, this is as
    // cheap as a hit
    if inner.busy_or_backing_off(now) {
        return Ok(Cached::new(slot));
    }
    match inner.options.prefetch {
        PrefetchStrategy::NonBlocking => {
            // the refresh runs in its own task; nobody waits for it here
            let _background = inner.start_if_idle(seen);
            Ok(Cached::new(slot))
        }
        PrefetchStrategy::OneCallerBlocks => match inner.start_if_idle(seen) {
            // this caller leads: it waits for the refresh (bounded) and falls
            // back to the still-valid value if it fails
            Some(Join::Wait(flight)) => {
                drop(slot);
                wait(inner, flight).await
            }
            Some(Join::Fresh(fresh)) => Ok(Cached::new(fresh)),
            Some(Join::Failed(_)) | None => Ok(Cached::new(slot)),
        },
    }
}

/// Waits for a refresh, at most the blocking wait limit.
async fn wait<T: Send + Sync + 'static>(
    inner: &Arc<Inner<T>>,
    flight: Flight<T>,
) -> Result<Cached<T>, CacheError> {
    let limit = inner.options.blocking_wait;
    match tokio::time::timeout(limit, flight).await {
        Ok(Ok(entry)) => Ok(Cached::owned(entry)),
        Ok(Err(error)) => fallback(inner, error),
        Err(_elapsed) => fallback(inner, CacheError::Timeout(limit)),
    }
}

/// After a failed or slow refresh: the current value where the stale
/// behaviour allows it (never an expired one), else the error.
fn fallback<T: Send + Sync + 'static>(
    inner: &Inner<T>,
    error: CacheError,
) -> Result<Cached<T>, CacheError> {
    let now = inner.clock.now();
    let slot = inner.current.load();
    let usable = slot
        .as_ref()
        .is_some_and(|entry| match entry.timing.window(now) {
            Window::Fresh | Window::Prefetch => true,
            Window::Stale => inner.options.stale != StaleBehavior::Strict,
            Window::Expired => false,
        });
    if usable {
        Ok(Cached::new(slot))
    } else {
        Err(error)
    }
}
