//! The keyed cache: one supplier and one refresh per key.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use idaas_cache::*;
use idaas_core::clock::ManualClock;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_supplier_and_one_refresh_per_key() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    let keyed: KeyedCache<String, String> = KeyedCache::new(100, S(600), Arc::new(clock.clone()));
    let built = Arc::new(AtomicU32::new(0));
    let run = |keyed: KeyedCache<String, String>| {
        let tasks: Vec<_> = (0..1000)
            .map(|i| {
                let (keyed, script, built) = (keyed.clone(), script.clone(), built.clone());
                tokio::spawn(async move {
                    let key = format!("aud|scope-{}", i % 4);
                    let make = || {
                        built.fetch_add(1, Ordering::SeqCst);
                        script.cache(CacheOptions::reference())
                    };
                    keyed.get(key.as_str(), make).await.map(|v| v.clone())
                })
            })
            .collect::<Vec<_>>();
        async move {
            for task in tasks {
                task.await.unwrap().unwrap();
            }
        }
    };
    run(keyed.clone()).await;
    assert_eq!(built.load(Ordering::SeqCst), 4, "one supplier per key");
    assert_eq!(script.calls(), 4, "one fetch per key");
    assert_eq!(keyed.len(), 4);
    // all expire: one refresh per key
    clock.set(S(EXPIRED));
    run(keyed.clone()).await;
    assert_eq!(built.load(Ordering::SeqCst), 4);
    assert_eq!(script.calls(), 8);
}

#[tokio::test]
async fn invalidating_a_key_keeps_its_supplier() {
    let clock = ManualClock::at_secs(0);
    let script = Script::new(&clock);
    let keyed: KeyedCache<String, String> = KeyedCache::new(100, S(600), Arc::new(clock.clone()));
    let make = || script.cache(CacheOptions::reference());
    assert_eq!(*keyed.get("a|read", make).await.unwrap(), "token-0");
    let supplier = keyed.existing("a|read").expect("cached");
    assert_eq!(*supplier.try_hit().expect("a hit"), "token-0");
    keyed.invalidate("a|read");
    assert!(supplier.try_hit().is_none(), "the value is gone");
    assert_eq!(*keyed.get("a|read", make).await.unwrap(), "token-1");
    assert_eq!(*supplier.try_hit().expect("the same supplier"), "token-1");
    keyed.remove("a|read");
    assert!(keyed.existing("a|read").is_none());
    assert!(keyed.is_empty());
    assert_eq!(script.calls(), 2);
}
