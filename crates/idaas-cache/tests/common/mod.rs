//! A scripted supplier for the cache tests: counts its calls, succeeds, fails
//! or panics as the test says, and can be held at a gate.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::time::Duration;

use idaas_cache::*;
use idaas_core::clock::{Clock, ManualClock};
use tokio::sync::Semaphore;

pub(crate) const S: fn(u64) -> Duration = Duration::from_secs;

/// Tokens live this long; with no jitter, from t = 0:
/// prefetch at 2400, stale at 2880, expiry at 3600.
pub(crate) const LIFETIME: u64 = 3600;
pub(crate) const IN_FRESH: u64 = 2399;
pub(crate) const IN_PREFETCH: u64 = 2500;
pub(crate) const IN_STALE: u64 = 3000;
pub(crate) const EXPIRED: u64 = 3600;

pub(crate) const OK: u8 = 0;
pub(crate) const FAIL: u8 = 1;
pub(crate) const PANIC: u8 = 2;
pub(crate) const EXPIRED_VALUE: u8 = 3;

pub(crate) const STRATEGIES: [PrefetchStrategy; 2] = [
    PrefetchStrategy::OneCallerBlocks,
    PrefetchStrategy::NonBlocking,
];
pub(crate) const BEHAVIORS: [StaleBehavior; 3] = [
    StaleBehavior::Strict,
    StaleBehavior::Allow,
    StaleBehavior::UntilExpiry,
];

#[derive(Clone)]
pub(crate) struct Script {
    pub clock: ManualClock,
    calls: Arc<AtomicU32>,
    mode: Arc<AtomicU8>,
    gate: Option<Arc<Semaphore>>,
    pub delay: Duration,
    pub retry_after: Option<Duration>,
}

impl Script {
    pub(crate) fn new(clock: &ManualClock) -> Self {
        Self {
            clock: clock.clone(),
            calls: Arc::default(),
            mode: Arc::default(),
            gate: None,
            delay: Duration::ZERO,
            retry_after: None,
        }
    }

    /// Every call waits for a permit of the returned gate.
    pub(crate) fn gated(mut self) -> (Self, Arc<Semaphore>) {
        let gate = Arc::new(Semaphore::new(0));
        self.gate = Some(gate.clone());
        (self, gate)
    }

    pub(crate) fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    pub(crate) fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    /// Yields until the supplier has been called `n` times in all.
    pub(crate) async fn until_calls(&self, n: u32) {
        for _ in 0..100_000 {
            if self.calls() >= n {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the supplier was called {} times, not {n}", self.calls());
    }

    pub(crate) fn cache(&self, options: CacheOptions) -> CachedSupplier<String> {
        let script = self.clone();
        CachedSupplier::new(options, Arc::new(self.clock.clone()), move || {
            let s = script.clone();
            async move {
                let n = s.calls.fetch_add(1, Ordering::SeqCst);
                if let Some(gate) = &s.gate {
                    gate.acquire().await.unwrap().forget();
                }
                if !s.delay.is_zero() {
                    tokio::time::sleep(s.delay).await;
                }
                let now = s.clock.now();
                match s.mode.load(Ordering::SeqCst) {
                    FAIL => {
                        let e = SupplierError::new(std::io::Error::other(format!("idp down #{n}")));
                        Err(match s.retry_after {
                            Some(wait) => e.retry_after(wait),
                            None => e,
                        })
                    }
                    PANIC => panic!("supplier bug #{n}"),
                    EXPIRED_VALUE => Ok(Refreshed {
                        value: format!("token-{n}"),
                        timing: Timing::new(now, now, Some(now)),
                    }),
                    _ => Ok(Refreshed {
                        value: format!("token-{n}"),
                        timing: Timing::for_token_with_jitter(
                            now,
                            now + S(LIFETIME),
                            S(LIFETIME),
                            Duration::ZERO,
                        ),
                    }),
                }
            }
        })
    }
}

pub(crate) fn options(prefetch: PrefetchStrategy, stale: StaleBehavior) -> CacheOptions {
    CacheOptions::reference()
        .with_prefetch(prefetch)
        .with_stale(stale)
}

pub(crate) async fn value(cache: &CachedSupplier<String>) -> Result<String, CacheError> {
    cache.get().await.map(|v| v.clone())
}

/// The value if the call completes on its first poll (it did not wait).
pub(crate) fn at_once(cache: &CachedSupplier<String>) -> Result<String, CacheError> {
    use futures_util::FutureExt;
    cache
        .get()
        .now_or_never()
        .expect("the call completed at once")
        .map(|v| v.clone())
}
