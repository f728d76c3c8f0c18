//! What callers see in each window of a value's life, for both prefetch
//! strategies and both stale behaviours, with a healthy supplier. Time is a
//! manual clock: no sleeps.

mod common;

use common::*;
use futures_util::FutureExt;
use idaas_cache::*;
use idaas_core::clock::ManualClock;

#[tokio::test]
async fn fresh_every_call_is_a_hit() {
    for prefetch in STRATEGIES {
        for stale in BEHAVIORS {
            let clock = ManualClock::at_secs(0);
            let script = Script::new(&clock);
            let cache = script.cache(options(prefetch, stale));
            assert!(cache.try_hit().is_none(), "nothing cached yet");
            assert_eq!(value(&cache).await.unwrap(), "token-0");
            for t in [0, 1, 100, IN_FRESH] {
                clock.set(S(t));
                assert_eq!(at_once(&cache).unwrap(), "token-0");
                assert_eq!(*cache.try_hit().expect("a hit"), "token-0");
            }
            assert_eq!(script.calls(), 1, "{prefetch:?} {stale:?}");
        }
    }
}

#[tokio::test]
async fn prefetch_one_caller_refreshes_the_others_get_the_cached_value_at_once() {
    for stale in BEHAVIORS {
        let clock = ManualClock::at_secs(0);
        let (script, gate) = Script::new(&clock).gated();
        gate.add_permits(1);
        let cache = script.cache(options(PrefetchStrategy::OneCallerBlocks, stale));
        value(&cache).await.unwrap();
        clock.set(S(IN_PREFETCH));
        assert!(cache.try_hit().is_none(), "past the prefetch time");
        let leader = tokio::spawn({
            let cache = cache.clone();
            async move { value(&cache).await }
        });
        script.until_calls(2).await;
        // the refresh is held at the gate: everyone else gets the cached value
        for _ in 0..100 {
            assert_eq!(at_once(&cache).unwrap(), "token-0");
        }
        assert!(!leader.is_finished(), "the leader waits for its refresh");
        gate.add_permits(1);
        assert_eq!(leader.await.unwrap().unwrap(), "token-1");
        assert_eq!(at_once(&cache).unwrap(), "token-1");
        assert_eq!(
            script.calls(),
            2,
            "one refresh, started before the stale time"
        );
    }
}

#[tokio::test]
async fn prefetch_non_blocking_no_caller_waits_longer_than_a_hit() {
    for stale in BEHAVIORS {
        let clock = ManualClock::at_secs(0);
        let (script, gate) = Script::new(&clock).gated();
        gate.add_permits(1);
        let cache = script.cache(options(PrefetchStrategy::NonBlocking, stale));
        value(&cache).await.unwrap();
        clock.set(S(IN_PREFETCH));
        // every call, the first included, completes on its first poll
        for _ in 0..1000 {
            assert_eq!(at_once(&cache).unwrap(), "token-0");
        }
        script.until_calls(2).await;
        for _ in 0..1000 {
            assert_eq!(at_once(&cache).unwrap(), "token-0");
        }
        assert_eq!(
            script.calls(),
            2,
            "one background refresh for 2,000 callers"
        );
        gate.add_permits(1);
        for _ in 0..1000 {
            if at_once(&cache).unwrap() == "token-1" {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(at_once(&cache).unwrap(), "token-1");
        assert_eq!(script.calls(), 2);
    }
}

/// Past `at`, every caller waits for the one refresh and gets its value.
async fn callers_wait_for_one_refresh(at: u64, behaviors: &[StaleBehavior]) {
    for prefetch in STRATEGIES {
        for &stale in behaviors {
            let clock = ManualClock::at_secs(0);
            let (script, gate) = Script::new(&clock).gated();
            gate.add_permits(1);
            let cache = script.cache(options(prefetch, stale));
            value(&cache).await.unwrap();
            clock.set(S(at));
            let waiters: Vec<_> = (0..50)
                .map(|_| {
                    let cache = cache.clone();
                    tokio::spawn(async move { value(&cache).await })
                })
                .collect();
            script.until_calls(2).await;
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            assert!(waiters.iter().all(|w| !w.is_finished()), "they wait");
            assert!(
                cache.get().now_or_never().is_none(),
                "a new caller waits too"
            );
            gate.add_permits(1);
            for waiter in waiters {
                assert_eq!(
                    waiter.await.unwrap().unwrap(),
                    "token-1",
                    "{prefetch:?} {stale:?}"
                );
            }
            assert_eq!(script.calls(), 2, "{prefetch:?} {stale:?}");
            // the new value is fresh again
            clock.set(S(at + 10));
            assert_eq!(at_once(&cache).unwrap(), "token-1");
        }
    }
}

#[tokio::test]
async fn stale_callers_wait_for_the_one_refresh() {
    // (UntilExpiry does not wait while the value is valid: below)
    callers_wait_for_one_refresh(IN_STALE, &BEHAVIORS[..2]).await;
}

#[tokio::test]
async fn until_expiry_stale_callers_get_the_valid_value_at_once_and_one_background_refresh() {
    for prefetch in STRATEGIES {
        let clock = ManualClock::at_secs(0);
        let (script, gate) = Script::new(&clock).gated();
        gate.add_permits(1);
        let cache = script.cache(options(prefetch, StaleBehavior::UntilExpiry));
        value(&cache).await.unwrap();
        clock.set(S(IN_STALE));
        for _ in 0..50 {
            assert_eq!(at_once(&cache).unwrap(), "token-0", "{prefetch:?}");
        }
        script.until_calls(2).await;
        assert_eq!(at_once(&cache).unwrap(), "token-0", "the refresh hangs");
        gate.add_permits(1);
        for _ in 0..1000 {
            if at_once(&cache).unwrap() == "token-1" {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(at_once(&cache).unwrap(), "token-1");
        assert_eq!(script.calls(), 2, "{prefetch:?}: one refresh");
    }
}

#[tokio::test]
async fn expired_callers_wait_for_the_one_refresh() {
    callers_wait_for_one_refresh(EXPIRED, &BEHAVIORS).await;
    callers_wait_for_one_refresh(EXPIRED * 10, &BEHAVIORS).await;
}

#[tokio::test]
async fn the_prefetch_really_refreshes_before_the_stale_time() {
    // the reference SDK's prefetch never refreshes early: its double check
    // looks at staleness only
    for prefetch in STRATEGIES {
        let clock = ManualClock::at_secs(0);
        let script = Script::new(&clock);
        let cache = script.cache(options(prefetch, StaleBehavior::Strict));
        value(&cache).await.unwrap();
        clock.set(S(IN_PREFETCH));
        for _ in 0..5 {
            value(&cache).await.unwrap();
            tokio::task::yield_now().await;
        }
        assert_eq!(script.calls(), 2, "{prefetch:?}");
        clock.set(S(IN_STALE));
        assert_eq!(
            at_once(&cache).unwrap(),
            "token-1",
            "nobody waits at the stale time"
        );
    }
}

#[tokio::test]
async fn the_windows_follow_the_timing() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    let cache = script.cache(CacheOptions::reference());
    let v = cache.get().await.unwrap();
    let t = v.timing();
    assert_eq!(cache.timing(), Some(t));
    assert_eq!(t.window(S(IN_FRESH)), Window::Fresh);
    assert_eq!(t.window(S(IN_PREFETCH)), Window::Prefetch);
    assert_eq!(t.window(S(IN_STALE)), Window::Stale);
    assert_eq!(t.window(S(EXPIRED)), Window::Expired);
}
