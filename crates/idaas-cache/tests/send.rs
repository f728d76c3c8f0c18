//! Compile-time checks: every public future is `Send`, the handles are
//! `Send + Sync` and can be stored in `'static` places.

use std::sync::Arc;
use std::time::Duration;

use idaas_cache::*;
use idaas_core::clock::ManualClock;

fn send<T: Send>(_: &T) {}
fn send_sync_static<T: Send + Sync + 'static>() {}
fn send_static_unpin<T: Send + Unpin + 'static>() {}

#[test]
fn public_futures_are_send_and_handles_send_sync() {
    send_sync_static::<CachedSupplier<String>>();
    send_sync_static::<KeyedCache<String, String>>();
    send_sync_static::<Cached<String>>();
    send_sync_static::<CacheError>();
    send_static_unpin::<Get<String>>();

    let clock: idaas_core::clock::SharedClock = Arc::new(ManualClock::at_secs(0));
    let cache = CachedSupplier::new(CacheOptions::reference(), clock.clone(), || async {
        Err::<Refreshed<String>, _>(SupplierError::new(std::io::Error::other("x")))
    });
    let get = cache.get();
    send(&get);
    drop(cache); // the future does not borrow the cache
    drop(get);

    let keyed: KeyedCache<String, String> =
        KeyedCache::new(10, Duration::from_secs(1), clock.clone());
    let make = || {
        CachedSupplier::new(CacheOptions::reference(), clock.clone(), || async {
            Err::<Refreshed<String>, _>(SupplierError::new(std::io::Error::other("x")))
        })
    };
    let get = keyed.get("k", make);
    send(&get);
    drop(keyed);
    drop(get);
}
