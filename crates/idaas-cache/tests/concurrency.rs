//! Single flight under load, cancelled callers, panics, runtime shutdown,
//! invalidation.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use futures_util::FutureExt;
use idaas_cache::*;
use idaas_core::clock::ManualClock;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_callers_at_expiry_cause_one_call() {
    for prefetch in STRATEGIES {
        let clock = ManualClock::at_secs(0);
        let (script, gate) = Script::new(&clock).gated();
        gate.add_permits(1);
        let cache = script.cache(options(prefetch, StaleBehavior::Strict));
        value(&cache).await.unwrap();
        clock.set(S(EXPIRED));
        let tasks: Vec<_> = (0..10_000)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { value(&cache).await })
            })
            .collect();
        script.until_calls(2).await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_racing_a_landing_refresh_do_not_start_another() {
    // no gate: refreshes land while callers are still deciding
    for round in 0..20 {
        let clock = ManualClock::at_secs(0);
        let script = Script::new(&clock);
        let cache = script.cache(CacheOptions::reference());
        value(&cache).await.unwrap();
        clock.set(S(EXPIRED));
        let tasks: Vec<_> = (0..500)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { value(&cache).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), "token-1");
        }
        assert_eq!(script.calls(), 2, "round {round}");
    }
}

#[tokio::test]
async fn a_dropped_caller_does_not_cancel_the_refresh() {
    let clock = ManualClock::at_secs(0);
    let (script, gate) = Script::new(&clock).gated();
    let cache = script.cache(CacheOptions::reference());
    let mut first = Box::pin(cache.get());
    assert!((&mut first).now_or_never().is_none(), "waiting at the gate");
    let second = tokio::spawn({
        let cache = cache.clone();
        async move { value(&cache).await }
    });
    script.until_calls(1).await;
    drop(first);
    gate.add_permits(1);
    assert_eq!(
        second.await.unwrap().unwrap(),
        "token-0",
        "the other waiter still gets it"
    );
    assert_eq!(value(&cache).await.unwrap(), "token-0");
    assert_eq!(script.calls(), 1);
}

#[tokio::test]
async fn a_dropped_prefetch_leader_does_not_cancel_the_refresh() {
    let clock = ManualClock::at_secs(0);
    let (script, gate) = Script::new(&clock).gated();
    gate.add_permits(1);
    let cache = script.cache(CacheOptions::reference());
    value(&cache).await.unwrap();
    clock.set(S(IN_PREFETCH));
    let mut leader = Box::pin(cache.get());
    assert!((&mut leader).now_or_never().is_none(), "the leader waits");
    drop(leader);
    script.until_calls(2).await;
    assert_eq!(at_once(&cache).unwrap(), "token-0");
    gate.add_permits(1);
    for _ in 0..100 {
        if at_once(&cache).unwrap() == "token-1" {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(at_once(&cache).unwrap(), "token-1");
    assert_eq!(script.calls(), 2);
}

#[tokio::test]
async fn a_panicking_supplier_is_an_error_for_its_waiters_and_the_next_call_retries() {
    let clock = ManualClock::at_secs(0);
    let (script, gate) = Script::new(&clock).gated();
    let cache = script.cache(CacheOptions::reference());
    script.set(PANIC);
    let waiters: Vec<_> = (0..100)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { value(&cache).await })
        })
        .collect();
    script.until_calls(1).await;
    gate.add_permits(1);
    for waiter in waiters {
        let err = waiter.await.unwrap().unwrap_err();
        assert!(
            matches!(&err, CacheError::Panicked(m) if m.contains("supplier bug #0")),
            "{err}"
        );
    }
    assert_eq!(script.calls(), 1);
    script.set(OK);
    gate.add_permits(1);
    assert_eq!(
        value(&cache).await.unwrap(),
        "token-1",
        "no backoff after a panic"
    );
}

#[test]
fn a_runtime_shut_down_mid_refresh_does_not_wedge_the_cache() {
    let clock = ManualClock::at_secs(0);
    let (script, gate) = Script::new(&clock).gated();
    let cache = script.cache(CacheOptions::reference());
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    first.block_on(async {
        let mut waiting = Box::pin(cache.get());
        assert!((&mut waiting).now_or_never().is_none());
        script.until_calls(1).await;
    });
    drop(first); // the refresh task is dropped at the gate
    gate.add_permits(10);
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    second.block_on(async {
        assert_eq!(value(&cache).await.unwrap(), "token-1", "a new refresh");
    });
    assert_eq!(script.calls(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidate_refreshes_once() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    let cache = script.cache(CacheOptions::reference());
    value(&cache).await.unwrap();
    cache.invalidate();
    assert!(cache.try_hit().is_none());
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
async fn many_reports_of_the_same_rejected_token_cause_one_refresh() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    let cache = script.cache(CacheOptions::reference());
    let rejected = value(&cache).await.unwrap();
    let dropped = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (cache, rejected, dropped) = (cache.clone(), rejected.clone(), dropped.clone());
            tokio::spawn(async move {
                // a resource server said 401 to `rejected`
                if cache.invalidate_if(|token| *token == rejected) {
                    dropped.fetch_add(1, Ordering::SeqCst);
                }
                value(&cache).await
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), "token-1");
    }
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        1,
        "only the rejected token was dropped"
    );
    assert_eq!(script.calls(), 2);
}

#[tokio::test]
async fn invalidating_during_an_outage_keeps_the_backoff() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    let cache = script.cache(CacheOptions::reference());
    value(&cache).await.unwrap();
    script.set(FAIL);
    cache.invalidate();
    assert!(value(&cache).await.is_err());
    for _ in 0..10 {
        cache.invalidate();
        assert!(value(&cache).await.is_err());
    }
    assert_eq!(script.calls(), 2, "one try, then the backoff holds");
}

#[test]
fn a_refresh_asked_of_a_closed_runtime_is_an_error_not_a_deadlock() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    let cache = script.cache(CacheOptions::reference());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let handle = runtime.handle().clone();
    drop(runtime); // closed: a task spawned now is dropped inside `spawn`
    let (done, outcome) = std::sync::mpsc::channel();
    let caller = cache.clone();
    std::thread::spawn(move || {
        let _context = handle.enter();
        let _ = done.send(at_once(&caller).map_err(|e| e.to_string()));
    });
    let result = outcome
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the call returned (no deadlock)");
    assert!(result.unwrap_err().contains("runtime shut down"));
    // and the cache is not wedged: a live runtime refreshes
    let live = tokio::runtime::Runtime::new().unwrap();
    assert_eq!(live.block_on(value(&cache)).unwrap(), "token-0");
}
