//! The cache's windows, strategies and failure handling, on a manual clock
//! (and tokio's paused time where a wait is bounded): no sleeps for expiry.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::time::Duration;

use futures_util::FutureExt;
use idaas_cache::*;
use idaas_core::clock::{Clock, ManualClock};
use tokio::sync::Semaphore;

const S: fn(u64) -> Duration = Duration::from_secs;
const LIFETIME: u64 = 3600;

const OK: u8 = 0;
const FAIL: u8 = 1;
const PANIC: u8 = 2;

/// A supplier whose behaviour the test switches; counts its calls; can be
/// held at a gate until the test releases it.
#[derive(Clone)]
struct Script {
    clock: ManualClock,
    calls: Arc<AtomicU32>,
    mode: Arc<AtomicU8>,
    gate: Option<Arc<Semaphore>>,
    delay: Duration,
    retry_after: Option<Duration>,
}

impl Script {
    fn new(clock: &ManualClock) -> Self {
        Self {
            clock: clock.clone(),
            calls: Arc::default(),
            mode: Arc::default(),
            gate: None,
            delay: Duration::ZERO,
            retry_after: None,
        }
    }

    fn gated(mut self) -> (Self, Arc<Semaphore>) {
        let gate = Arc::new(Semaphore::new(0));
        self.gate = Some(gate.clone());
        (self, gate)
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    fn cache(&self, options: CacheOptions) -> CachedSupplier<String> {
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
                match s.mode.load(Ordering::SeqCst) {
                    FAIL => {
                        let e = SupplierError::new(std::io::Error::other(format!("idp down #{n}")));
                        Err(match s.retry_after {
                            Some(wait) => e.retry_after(wait),
                            None => e,
                        })
                    }
                    PANIC => panic!("supplier bug #{n}"),
                    _ => {
                        let now = s.clock.now();
                        Ok(Refreshed {
                            value: format!("token-{n}"),
                            timing: Timing::for_token_with_jitter(
                                now,
                                now + S(LIFETIME),
                                S(LIFETIME),
                                Duration::ZERO,
                            ),
                        })
                    }
                }
            }
        })
    }
}

fn options(prefetch: PrefetchStrategy, stale: StaleBehavior) -> CacheOptions {
    CacheOptions {
        prefetch,
        stale,
        ..CacheOptions::default()
    }
}

// With LIFETIME 3600 from t=0: prefetch at 2400, stale at 2880, expiry at 3600.
const IN_PREFETCH: u64 = 2500;
const IN_STALE: u64 = 3000;

async fn value(cache: &CachedSupplier<String>) -> Result<String, CacheError> {
    cache.get().await.map(|v| v.clone())
}

#[tokio::test]
async fn before_prefetch_every_call_is_a_hit() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    let cache = script.cache(CacheOptions::default());
    assert_eq!(value(&cache).await.unwrap(), "token-0");
    for t in [1, 100, 2399] {
        clock.set(S(t));
        assert_eq!(value(&cache).await.unwrap(), "token-0");
    }
    assert_eq!(script.calls(), 1);
}

#[tokio::test]
async fn prefetch_one_caller_blocks_others_get_the_cached_value() {
    for stale in [StaleBehavior::Strict, StaleBehavior::Allow] {
        let clock = ManualClock::at_secs(0);
        let (script, gate) = Script::new(&clock).gated();
        gate.add_permits(1);
        let cache = script.cache(options(PrefetchStrategy::OneCallerBlocks, stale));
        value(&cache).await.unwrap();
        clock.set(S(IN_PREFETCH));
        let leader = tokio::spawn({
            let cache = cache.clone();
            async move { value(&cache).await }
        });
        while script.calls() < 2 {
            tokio::task::yield_now().await;
        }
        // the refresh is held at the gate: everyone else gets the cached value at once
        for _ in 0..10 {
            let other = cache.get().now_or_never().expect("not blocked").unwrap();
            assert_eq!(*other, "token-0");
        }
        gate.add_permits(1);
        assert_eq!(
            leader.await.unwrap().unwrap(),
            "token-1",
            "the leader waited for the refresh"
        );
        assert_eq!(value(&cache).await.unwrap(), "token-1");
        assert_eq!(script.calls(), 2);
    }
}

#[tokio::test]
async fn prefetch_non_blocking_never_waits_longer_than_a_hit() {
    for stale in [StaleBehavior::Strict, StaleBehavior::Allow] {
        let clock = ManualClock::at_secs(0);
        let (script, gate) = Script::new(&clock).gated();
        gate.add_permits(1);
        let cache = script.cache(options(PrefetchStrategy::NonBlocking, stale));
        value(&cache).await.unwrap();
        clock.set(S(IN_PREFETCH));
        for _ in 0..100 {
            // resolves on its first poll: no caller waits
            let v = cache
                .get()
                .now_or_never()
                .expect("a hit never waits")
                .unwrap();
            assert_eq!(*v, "token-0");
        }
        while script.calls() < 2 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            script.calls(),
            2,
            "one background refresh however many callers"
        );
        gate.add_permits(1);
        for _ in 0..1000 {
            if value(&cache).await.unwrap() == "token-1" {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(value(&cache).await.unwrap(), "token-1");
    }
}

#[tokio::test]
async fn past_stale_callers_wait_for_the_new_value() {
    for prefetch in [
        PrefetchStrategy::OneCallerBlocks,
        PrefetchStrategy::NonBlocking,
    ] {
        for stale in [StaleBehavior::Strict, StaleBehavior::Allow] {
            let clock = ManualClock::at_secs(0);
            let script = Script::new(&clock);
            let cache = script.cache(options(prefetch, stale));
            value(&cache).await.unwrap();
            clock.set(S(IN_STALE));
            assert_eq!(
                value(&cache).await.unwrap(),
                "token-1",
                "{prefetch:?} {stale:?}"
            );
            clock.set(S(5000));
            assert_eq!(value(&cache).await.unwrap(), "token-1", "fresh again");
        }
    }
}

#[tokio::test]
async fn failure_before_stale_keeps_the_value_and_retries_later() {
    for prefetch in [
        PrefetchStrategy::OneCallerBlocks,
        PrefetchStrategy::NonBlocking,
    ] {
        let clock = ManualClock::at_secs(0);
        let script = Script::new(&clock);
        let cache = script.cache(options(prefetch, StaleBehavior::Strict));
        value(&cache).await.unwrap();
        script.set(FAIL);
        clock.set(S(IN_PREFETCH));
        for _ in 0..20 {
            assert_eq!(value(&cache).await.unwrap(), "token-0");
            tokio::task::yield_now().await;
        }
        let after_failure = script.calls();
        assert_eq!(
            after_failure, 2,
            "one failed refresh, then the failure is remembered"
        );
        // past the backoff (≤ 1 s at first) a retry happens
        script.set(OK);
        clock.advance(S(2));
        for _ in 0..100 {
            if value(&cache).await.unwrap() != "token-0" {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(value(&cache).await.unwrap(), "token-2", "{prefetch:?}");
    }
}

#[tokio::test]
async fn failure_after_stale_strict_errors_allow_serves_until_expiry() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    let strict = script.cache(options(
        PrefetchStrategy::OneCallerBlocks,
        StaleBehavior::Strict,
    ));
    value(&strict).await.unwrap();
    script.set(FAIL);
    clock.set(S(IN_STALE));
    let err = value(&strict).await.unwrap_err();
    assert!(matches!(err, CacheError::Refresh(_)), "{err}");
    assert!(err.to_string().contains("idp down"), "{err}");

    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    let allow = script.cache(options(
        PrefetchStrategy::OneCallerBlocks,
        StaleBehavior::Allow,
    ));
    value(&allow).await.unwrap();
    script.set(FAIL);
    for t in [IN_STALE, 3200, 3599] {
        clock.set(S(t));
        assert_eq!(value(&allow).await.unwrap(), "token-0", "at {t}");
    }
    clock.set(S(3600));
    assert!(
        value(&allow).await.is_err(),
        "never served after its real expiry"
    );
}

#[tokio::test]
async fn during_an_outage_a_valid_token_is_served_with_zero_errors() {
    for prefetch in [
        PrefetchStrategy::OneCallerBlocks,
        PrefetchStrategy::NonBlocking,
    ] {
        let clock = ManualClock::at_secs(0);
        let script = Script::new(&clock);
        let cache = script.cache(options(prefetch, StaleBehavior::Allow));
        value(&cache).await.unwrap();
        script.set(FAIL);
        let mut errors = 0;
        for t in (IN_PREFETCH..3600).step_by(7) {
            clock.set(S(t));
            if value(&cache).await.is_err() {
                errors += 1;
            }
        }
        assert_eq!(errors, 0, "{prefetch:?}");
        assert!(script.calls() > 2, "it kept retrying in the background");
        assert!(script.calls() < 200, "with backoff, not on every call");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_callers_at_expiry_cause_one_call() {
    let clock = ManualClock::at_secs(0);
    let (script, gate) = Script::new(&clock).gated();
    gate.add_permits(1);
    let cache = script.cache(CacheOptions::default());
    value(&cache).await.unwrap();
    clock.set(S(4000)); // expired
    let tasks: Vec<_> = (0..10_000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { value(&cache).await })
        })
        .collect();
    while script.calls() < 2 {
        tokio::task::yield_now().await;
    }
    gate.add_permits(1);
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), "token-1");
    }
    assert_eq!(
        script.calls(),
        2,
        "one initial fetch, one refresh for 10,000 callers"
    );
}

#[tokio::test(start_paused = true)]
async fn a_thousand_waiters_share_one_failure_within_the_wait_limit() {
    let clock = ManualClock::at_secs(0);
    let mut script = Script::new(&clock);
    script.delay = Duration::from_millis(1500);
    script.set(FAIL);
    let cache = script.cache(CacheOptions {
        blocking_wait: S(2),
        ..CacheOptions::default()
    });
    let started = tokio::time::Instant::now();
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { (value(&cache).await, tokio::time::Instant::now()) })
        })
        .collect();
    for task in tasks {
        let (result, at) = task.await.unwrap();
        assert!(matches!(result, Err(CacheError::Refresh(_))));
        assert!(
            at - started <= Duration::from_millis(2100),
            "{:?}",
            at - started
        );
    }
    assert_eq!(
        script.calls(),
        1,
        "waiters share the leader's failure, no retries"
    );
    // and right after, the failure is answered at once from the negative cache
    let before = tokio::time::Instant::now();
    assert!(value(&cache).await.is_err());
    assert_eq!(tokio::time::Instant::now(), before);
    assert_eq!(script.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_supplier_times_out_every_waiter_together() {
    let clock = ManualClock::at_secs(0);
    let mut script = Script::new(&clock);
    script.delay = S(60);
    let cache = script.cache(CacheOptions {
        blocking_wait: S(2),
        ..CacheOptions::default()
    });
    let started = tokio::time::Instant::now();
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { value(&cache).await })
        })
        .collect();
    for task in tasks {
        assert!(matches!(task.await.unwrap(), Err(CacheError::Timeout(_))));
    }
    assert!(tokio::time::Instant::now() - started <= Duration::from_millis(2100));
    assert_eq!(script.calls(), 1);
}

#[tokio::test]
async fn a_dropped_caller_does_not_cancel_the_refresh() {
    let clock = ManualClock::at_secs(0);
    let (script, gate) = Script::new(&clock).gated();
    let cache = script.cache(CacheOptions::default());
    let mut first = Box::pin(cache.get());
    assert!((&mut first).now_or_never().is_none(), "waiting at the gate");
    drop(first);
    gate.add_permits(1);
    let v = value(&cache).await.unwrap();
    assert_eq!(
        v, "token-0",
        "the dropped caller's refresh completed and is shared"
    );
    assert_eq!(script.calls(), 1);
}

#[tokio::test]
async fn a_panicking_supplier_is_an_error_and_the_next_call_retries() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    let cache = script.cache(CacheOptions::default());
    script.set(PANIC);
    let err = value(&cache).await.unwrap_err();
    assert!(
        matches!(&err, CacheError::Panicked(m) if m.contains("supplier bug #0")),
        "{err}"
    );
    script.set(OK);
    assert_eq!(value(&cache).await.unwrap(), "token-1");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let clock = ManualClock::at_secs(0);
    let mut script = Script::new(&clock);
    script.retry_after = Some(S(30));
    script.set(FAIL);
    let cache = script.cache(CacheOptions::default());
    assert!(value(&cache).await.is_err());
    clock.set(S(29));
    assert!(value(&cache).await.is_err());
    assert_eq!(script.calls(), 1, "no retry before Retry-After");
    script.set(OK);
    clock.set(S(30));
    assert_eq!(value(&cache).await.unwrap(), "token-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidate_refreshes_once() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    let cache = script.cache(CacheOptions::default());
    value(&cache).await.unwrap();
    cache.invalidate();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { value(&cache).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), "token-1");
    }
    assert_eq!(script.calls(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_cache_builds_one_supplier_and_one_refresh_per_key() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    let keyed: KeyedCache<String, String> = KeyedCache::new(100, S(600));
    let built = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (keyed, script, built) = (keyed.clone(), script.clone(), built.clone());
            tokio::spawn(async move {
                let key = format!("aud|scope-{}", i % 2);
                let supplier = keyed.supplier(key, || {
                    built.fetch_add(1, Ordering::SeqCst);
                    script.cache(CacheOptions::default())
                });
                value(&supplier).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(built.load(Ordering::SeqCst), 2);
    assert_eq!(script.calls(), 2, "one fetch per key");
    assert_eq!(keyed.len(), 2);
}

#[test]
fn futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let clock = ManualClock::at_secs(0);
    let cache = Script::new(&clock).cache(CacheOptions::default());
    assert_send(&cache.get());
}

#[tokio::test]
async fn on_the_system_clock_the_hit_path_follows_the_prefetch_time() {
    use idaas_core::clock::{self, SystemClock};
    for (prefetch_in_past, hit) in [(false, true), (true, false)] {
        let calls = Arc::new(AtomicU32::new(0));
        let counter = calls.clone();
        let cache = CachedSupplier::new(CacheOptions::default(), clock::system(), move || {
            let now = SystemClock.now();
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                let prefetch_at = if prefetch_in_past {
                    now - S(1)
                } else {
                    now + S(3000)
                };
                Ok::<_, SupplierError>(Refreshed {
                    value: n,
                    timing: Timing {
                        prefetch_at,
                        stale_at: now + S(3500),
                        expires_at: Some(now + S(3600)),
                    },
                })
            }
        });
        assert!(cache.try_hit().is_none(), "empty");
        assert_eq!(*cache.get().await.unwrap(), 0);
        assert_eq!(
            cache.try_hit().is_some(),
            hit,
            "prefetch in the past: {prefetch_in_past}"
        );
    }
}
