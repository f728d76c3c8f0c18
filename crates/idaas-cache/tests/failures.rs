//! Failed refreshes: kept values, STRICT and ALLOW past the stale time, the
//! negative cache with its backoff and `Retry-After`, shared failures.

mod common;

use std::time::Duration;

use common::*;
use idaas_cache::*;
use idaas_core::clock::{Clock, ManualClock};

#[tokio::test]
async fn a_failure_before_the_stale_time_keeps_the_value_and_is_retried_later() {
    for prefetch in STRATEGIES {
        for stale in BEHAVIORS {
            let clock = ManualClock::at_secs(0);
            let script = Script::new(&clock);
            let cache = script.cache(options(prefetch, stale));
            value(&cache).await.unwrap();
            script.set(FAIL);
            clock.set(S(IN_PREFETCH));
            for _ in 0..20 {
                assert_eq!(value(&cache).await.unwrap(), "token-0", "never an error");
                tokio::task::yield_now().await;
            }
            assert_eq!(script.calls(), 2, "one failed refresh, then the backoff");
            // the first backoff is at most 1 s: then one retry
            script.set(OK);
            clock.advance(S(1));
            for _ in 0..100 {
                if value(&cache).await.unwrap() != "token-0" {
                    break;
                }
                tokio::task::yield_now().await;
            }
            assert_eq!(
                value(&cache).await.unwrap(),
                "token-2",
                "{prefetch:?} {stale:?}"
            );
            assert_eq!(script.calls(), 3);
        }
    }
}

#[tokio::test]
async fn past_the_stale_time_strict_fails_allow_serves_the_old_value_until_it_expires() {
    for prefetch in STRATEGIES {
        let clock = ManualClock::at_secs(0);
        let script = Script::new(&clock);
        let strict = script.cache(options(prefetch, StaleBehavior::Strict));
        value(&strict).await.unwrap();
        script.set(FAIL);
        clock.set(S(IN_STALE));
        let err = value(&strict).await.unwrap_err();
        assert!(matches!(err, CacheError::Refresh(_)), "{err}");
        assert!(err.to_string().contains("idp down #1"), "{err}");
        assert!(err.supplier_error().is_some());

        let clock = ManualClock::at_secs(0);
        let script = Script::new(&clock);
        let allow = script.cache(options(prefetch, StaleBehavior::Allow));
        value(&allow).await.unwrap();
        script.set(FAIL);
        for t in [IN_STALE, 3200, 3599] {
            clock.set(S(t));
            assert_eq!(value(&allow).await.unwrap(), "token-0", "at {t}");
        }
        clock.set(S(EXPIRED));
        let err = value(&allow).await.unwrap_err();
        assert!(
            matches!(err, CacheError::Refresh(_)),
            "never served after its expiry: {err}"
        );
    }
}

#[tokio::test]
async fn allow_during_an_outage_answers_at_once_and_retries_in_the_background() {
    let clock = ManualClock::at_secs(0);
    let (script, gate) = Script::new(&clock).gated();
    gate.add_permits(1);
    let cache = script.cache(options(
        PrefetchStrategy::OneCallerBlocks,
        StaleBehavior::Allow,
    ));
    value(&cache).await.unwrap();
    script.set(FAIL);
    clock.set(S(IN_STALE));
    gate.add_permits(1);
    assert_eq!(
        value(&cache).await.unwrap(),
        "token-0",
        "the first failure, waited for"
    );
    assert_eq!(script.calls(), 2);
    // past the backoff the retry hangs at the gate: callers do not wait for it
    clock.advance(S(1));
    for _ in 0..100 {
        assert_eq!(at_once(&cache).unwrap(), "token-0");
    }
    script.until_calls(3).await;
    script.set(OK);
    gate.add_permits(1);
    for _ in 0..100 {
        if at_once(&cache).unwrap() == "token-2" {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(
        at_once(&cache).unwrap(),
        "token-2",
        "recovered in the background"
    );
    assert_eq!(script.calls(), 3);
}

#[tokio::test]
async fn during_an_outage_a_valid_token_is_served_with_zero_errors() {
    for prefetch in STRATEGIES {
        for stale in BEHAVIORS {
            let clock = ManualClock::at_secs(0);
            let script = Script::new(&clock);
            let cache = script.cache(options(prefetch, stale));
            value(&cache).await.unwrap();
            script.set(FAIL);
            // ALLOW: until the token really expires; STRICT: until its stale
            // time, after which STRICT means the error by definition
            let end = match stale {
                StaleBehavior::Allow | StaleBehavior::UntilExpiry => EXPIRED,
                StaleBehavior::Strict => 2880,
            };
            let mut errors = 0;
            for ms in (IN_FRESH * 1000..end * 1000).step_by(250) {
                clock.set(Duration::from_millis(ms));
                if value(&cache).await.is_err() {
                    errors += 1;
                }
                tokio::task::yield_now().await;
            }
            assert_eq!(errors, 0, "{prefetch:?} {stale:?}");
            let calls = script.calls();
            assert!(calls > 10, "it kept retrying: {calls}");
            // at most one try per backoff period (≥ 15 s once it is at its ceiling)
            let window = end - IN_FRESH;
            assert!(
                calls < 2 + 5 + u32::try_from(window / 15).unwrap(),
                "{calls} tries in {window} s"
            );
        }
    }
}

#[tokio::test]
async fn the_backoff_doubles_with_jitter_up_to_its_ceiling() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    script.set(FAIL);
    // the backoff as it holds while a value is served: no probes here
    let cache = script.cache(no_probe());
    let mut at = Duration::ZERO;
    for (n, ceiling) in [1u64, 2, 4, 8, 16, 30, 30].into_iter().enumerate() {
        let calls = script.calls();
        assert!(value(&cache).await.is_err());
        assert_eq!(script.calls(), calls + 1, "one try");
        // before half the ceiling: answered from the negative cache
        clock.set(at + Duration::from_millis(ceiling * 500 - 1));
        let err = value(&cache).await.unwrap_err();
        assert!(
            err.to_string().contains(&format!("#{n}")),
            "the same error: {err}"
        );
        assert_eq!(
            script.calls(),
            calls + 1,
            "no retry before half the backoff"
        );
        // by the ceiling: the next try is allowed
        at += Duration::from_secs(ceiling);
        clock.set(at);
    }
}

#[tokio::test]
async fn retry_after_is_honoured_and_capped() {
    let clock = ManualClock::at_secs(0);
    let mut script = Script::new(&clock);
    script.retry_after = Some(S(30));
    script.set(FAIL);
    let cache = script.cache(no_probe());
    assert!(value(&cache).await.is_err());
    clock.set(S(29));
    assert!(value(&cache).await.is_err());
    assert_eq!(script.calls(), 1, "no retry before Retry-After");
    script.set(OK);
    clock.set(S(30));
    assert_eq!(value(&cache).await.unwrap(), "token-1");

    let clock = ManualClock::at_secs(0);
    let mut script = Script::new(&clock);
    script.retry_after = Some(S(86_400));
    script.set(FAIL);
    let cache = script.cache(no_probe().with_max_retry_after(S(60)));
    assert!(value(&cache).await.is_err());
    script.set(OK);
    clock.set(S(59));
    assert!(value(&cache).await.is_err());
    clock.set(S(60));
    assert_eq!(
        value(&cache).await.unwrap(),
        "token-1",
        "a day-long Retry-After is capped"
    );
}

#[tokio::test(start_paused = true)]
async fn a_thousand_waiters_share_one_failure_within_the_wait_limit() {
    let clock = ManualClock::at_secs(0);
    let mut script = Script::new(&clock);
    script.delay = Duration::from_millis(1500);
    script.set(FAIL);
    let cache = script.cache(CacheOptions::reference().with_blocking_wait(S(2)));
    let started = tokio::time::Instant::now();
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { (value(&cache).await, tokio::time::Instant::now()) })
        })
        .collect();
    for task in tasks {
        let (result, at) = task.await.unwrap();
        assert!(matches!(result, Err(CacheError::Refresh(_))), "{result:?}");
        assert!(at - started <= S(2), "{:?}", at - started);
    }
    assert_eq!(script.calls(), 1, "the waiters shared the leader's failure");
    // and right after, the failure is answered at once from the negative cache
    let before = tokio::time::Instant::now();
    assert!(matches!(at_once(&cache), Err(CacheError::Refresh(_))));
    assert_eq!(tokio::time::Instant::now(), before);
    assert_eq!(script.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_supplier_times_out_every_waiter_together() {
    let clock = ManualClock::at_secs(0);
    let mut script = Script::new(&clock);
    script.delay = S(60);
    let cache = script.cache(CacheOptions::reference().with_blocking_wait(S(2)));
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
    // the refresh went on and lands for the next caller
    tokio::time::sleep(S(60)).await;
    assert_eq!(at_once(&cache).unwrap(), "token-0");
    assert_eq!(script.calls(), 1);
}

#[tokio::test]
async fn a_supplier_returning_an_expired_value_is_a_failure() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    script.set(EXPIRED_VALUE);
    let cache = script.cache(CacheOptions::reference());
    assert!(matches!(value(&cache).await, Err(CacheError::ExpiredValue)));
    assert!(matches!(value(&cache).await, Err(CacheError::ExpiredValue)));
    assert_eq!(script.calls(), 1, "backed off, not hammered");
}

#[test]
fn outside_a_runtime_a_refresh_is_an_error_not_a_panic() {
    let clock = ManualClock::at_secs(0);
    let cache = Script::new(&clock).cache(CacheOptions::reference());
    assert!(matches!(at_once(&cache), Err(CacheError::NoRuntime)));
}

/// The reference options with the recovery probe pushed out of the way, to
/// see the backoff alone.
fn no_probe() -> CacheOptions {
    CacheOptions::reference().with_probe_interval(S(1_000_000))
}

#[tokio::test]
async fn without_a_valid_value_a_caller_probes_once_per_interval_not_per_backoff() {
    for options in [CacheOptions::default(), CacheOptions::reference()] {
        let clock = ManualClock::at_secs(0);
        let script = Script::new(&clock);
        let cache = script.cache(options);
        value(&cache).await.unwrap();
        script.set(FAIL);
        // an outage long enough to push the backoff to its 30 s ceiling
        // while the valid token is served (both serve it until the stale
        // time): few tries
        for s in IN_FRESH..2880 {
            clock.set(S(s));
            let _ = value(&cache).await;
            tokio::task::yield_now().await;
        }
        let served = script.calls();
        assert!(
            served < 2 + 5 + 480 / 15,
            "{options:?}: {served} tries while served"
        );
        // expired: one probe per 500 ms, single-flight, however many callers
        let mut errors = 0;
        for ms in (EXPIRED * 1000..EXPIRED * 1000 + 10_000).step_by(100) {
            clock.set(Duration::from_millis(ms));
            for _ in 0..10 {
                errors += usize::from(value(&cache).await.is_err());
            }
        }
        assert_eq!(
            errors, 1000,
            "{options:?}: a clear error when none is valid"
        );
        let probes = script.calls() - served;
        assert!(
            (19..=21).contains(&probes),
            "{options:?}: {probes} probes in 10 s"
        );
        // the provider recovers: the next probe, within 500 ms, gets a token
        script.set(OK);
        let healed = clock.now();
        let mut ms = 0;
        while value(&cache).await.is_err() {
            ms += 10;
            clock.set(healed + Duration::from_millis(ms));
        }
        assert!(
            ms <= 500,
            "{options:?}: recovered {ms} ms after the provider"
        );
    }
}
