//! [`KeyedCache`]: one [`CachedSupplier`] per key (scope, audience), bounded
//! in size, each entry living as long as its token, with the same
//! single-flight guarantee per key.

use std::fmt;
use std::hash::Hash;
use std::time::{Duration, Instant};

use idaas_core::clock::SharedClock;
use moka::{Equivalent, Expiry};

use crate::coarse;
use crate::get::Get;
use crate::supplier::CachedSupplier;

/// A bounded map from keys to cached suppliers, on `moka`.
///
/// - A key's supplier is built once, even when many tasks ask for a new key
///   at the same moment (`moka`'s `get_with` coalesces them), so each key
///   keeps the supplier's guarantee: one refresh in flight, its outcome
///   shared.
/// - An entry lives until its token expires, plus `grace`; every lookup
///   extends it to the current token's expiry (a used key is refreshed ahead
///   of expiry, so it stays). A key with no value yet, or whose value never
///   expires, lives `grace` after its last lookup. Past `capacity` keys the
///   least used are evicted.
///
/// A lookup is a `moka` get (~100–200 ns and a reference-count write), not a
/// hit path: a provider keeps the [`CachedSupplier`] it got and calls that.
pub struct KeyedCache<K, T> {
    map: moka::sync::Cache<K, CachedSupplier<T>>,
}

impl<K, T> Clone for KeyedCache<K, T> {
    fn clone(&self) -> Self {
        Self {
            map: self.map.clone(),
        }
    }
}

impl<K, T> fmt::Debug for KeyedCache<K, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedCache")
            .field("entries", &self.map.entry_count())
            .finish_non_exhaustive()
    }
}

/// How long an entry lives: until its token expires, plus the grace.
struct TokenLifetime {
    clock: SharedClock,
    grace: Duration,
}

impl TokenLifetime {
    fn of<T: Send + Sync + 'static>(&self, supplier: &CachedSupplier<T>) -> Duration {
        let Some(expires_at) = supplier.timing().and_then(|t| t.expires_at) else {
            return self.grace;
        };
        // runs on every lookup: on the system clock the coarse clock is
        // plenty for eviction (it may keep an entry a few ms longer)
        let now = if self.clock.is_system() {
            coarse::now()
        } else {
            self.clock.now()
        };
        expires_at.saturating_sub(now).saturating_add(self.grace)
    }
}

impl<K, T: Send + Sync + 'static> Expiry<K, CachedSupplier<T>> for TokenLifetime {
    fn expire_after_create(
        &self,
        _key: &K,
        value: &CachedSupplier<T>,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(self.of(value))
    }

    fn expire_after_read(
        &self,
        _key: &K,
        value: &CachedSupplier<T>,
        _read_at: Instant,
        _duration_until_expiry: Option<Duration>,
        _last_modified_at: Instant,
    ) -> Option<Duration> {
        Some(self.of(value))
    }

    fn expire_after_update(
        &self,
        _key: &K,
        value: &CachedSupplier<T>,
        _updated_at: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        Some(self.of(value))
    }
}

impl<K, T> KeyedCache<K, T>
where
    K: Hash + Eq + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    /// At most `capacity` keys; an entry lives until its token expires plus
    /// `grace` (see the type's documentation). `clock` is the wall clock the
    /// tokens' expiry is compared with.
    pub fn new(capacity: u64, grace: Duration, clock: SharedClock) -> Self {
        Self {
            map: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .expire_after(TokenLifetime { clock, grace })
                .build(),
        }
    }

    /// The supplier of `key`, built by `make` on first use — once, even under
    /// concurrent first calls.
    pub fn supplier<Q>(
        &self,
        key: &Q,
        make: impl FnOnce() -> CachedSupplier<T>,
    ) -> CachedSupplier<T>
    where
        Q: Equivalent<K> + ToOwned<Owned = K> + Hash + ?Sized,
    {
        self.map.get_with_by_ref(key, make)
    }

    /// The value of `key`: its supplier's [`get`](CachedSupplier::get),
    /// building the supplier with `make` on first use.
    pub fn get<Q>(&self, key: &Q, make: impl FnOnce() -> CachedSupplier<T>) -> Get<T>
    where
        Q: Equivalent<K> + ToOwned<Owned = K> + Hash + ?Sized,
    {
        self.supplier(key, make).get()
    }

    /// The supplier of `key`, if it is cached.
    pub fn existing<Q>(&self, key: &Q) -> Option<CachedSupplier<T>>
    where
        Q: Equivalent<K> + Hash + ?Sized,
    {
        self.map.get(key)
    }

    /// Drops `key`'s value (after its token was rejected) but keeps its
    /// supplier, so the next callers of that key share one refresh.
    pub fn invalidate<Q>(&self, key: &Q)
    where
        Q: Equivalent<K> + Hash + ?Sized,
    {
        if let Some(supplier) = self.map.get(key) {
            supplier.invalidate();
        }
    }

    /// Forgets `key` and its supplier.
    pub fn remove<Q>(&self, key: &Q)
    where
        Q: Equivalent<K> + Hash + ?Sized,
    {
        self.map.invalidate(key);
    }

    /// The number of keys, after pending evictions have run.
    pub fn len(&self) -> u64 {
        self.map.run_pending_tasks();
        self.map.entry_count()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use idaas_core::clock::{Clock, ManualClock};

    use super::*;
    use crate::{CacheOptions, Refreshed, SupplierError, Timing};

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn supplier(clock: &ManualClock, lifetime: Option<u64>) -> CachedSupplier<u32> {
        let c = clock.clone();
        CachedSupplier::new(
            CacheOptions::reference(),
            Arc::new(clock.clone()),
            move || {
                let now = c.now();
                async move {
                    let timing = match lifetime {
                        Some(secs) => Timing::for_token(now, now + S(secs), S(secs)),
                        None => Timing::never(),
                    };
                    Ok::<_, SupplierError>(Refreshed { value: 7, timing })
                }
            },
        )
    }

    #[tokio::test]
    async fn an_entry_lives_as_long_as_its_token_plus_grace() {
        let clock = ManualClock::at_secs(1_000);
        let life = TokenLifetime {
            clock: Arc::new(clock.clone()),
            grace: S(60),
        };
        let token = supplier(&clock, Some(3600));
        assert_eq!(life.of(&token), S(60), "no value yet: the grace only");
        token.get().await.unwrap();
        assert_eq!(life.of(&token), S(3600 + 60));
        clock.advance(S(600));
        assert_eq!(life.of(&token), S(3000 + 60), "counts down with the token");
        clock.advance(S(10_000));
        assert_eq!(life.of(&token), S(60), "expired: the grace only");
        let forever = supplier(&clock, None);
        forever.get().await.unwrap();
        assert_eq!(
            life.of(&forever),
            S(60),
            "a value that never expires: idle grace"
        );
    }

    #[tokio::test]
    async fn the_map_is_bounded() {
        let clock = ManualClock::at_secs(0);
        let keyed: KeyedCache<String, u32> = KeyedCache::new(16, S(600), Arc::new(clock.clone()));
        for i in 0..200 {
            keyed.supplier(format!("aud|scope-{i}").as_str(), || {
                supplier(&clock, Some(3600))
            });
        }
        assert!(keyed.len() <= 16, "{}", keyed.len());
        assert!(!keyed.is_empty());
    }
}
