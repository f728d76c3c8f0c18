//! On the system clock the hit path reads the coarse real-time clock: it must
//! agree with the timing (no hit once the prefetch time has passed).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use idaas_cache::*;
use idaas_core::clock::{self, Clock, SystemClock};

const S: fn(u64) -> Duration = Duration::from_secs;

#[tokio::test]
async fn the_hit_path_follows_the_prefetch_time() {
    for (prefetch_from_now, hit) in [(Some(S(3000)), true), (None, false)] {
        let calls = Arc::new(AtomicU32::new(0));
        let counter = calls.clone();
        let cache = CachedSupplier::new(CacheOptions::reference(), clock::system(), move || {
            let now = SystemClock.now();
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                // None: the prefetch time is already past
                let prefetch_at = prefetch_from_now.map_or(now - S(1), |d| now + d);
                Ok::<_, SupplierError>(Refreshed {
                    value: n,
                    timing: Timing::new(prefetch_at, now + S(3500), Some(now + S(3600))),
                })
            }
        });
        assert!(cache.try_hit().is_none(), "empty");
        assert_eq!(*cache.get().await.unwrap(), 0);
        assert_eq!(cache.try_hit().is_some(), hit, "{prefetch_from_now:?}");
    }
}
