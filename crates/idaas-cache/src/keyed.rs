//! [`KeyedCache`]: one [`CachedSupplier`] per key (scope, audience), bounded
//! in size, with the same single-flight guarantee per key.

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use crate::supplier::CachedSupplier;

/// A bounded map from keys to cached suppliers, on `moka`.
///
/// A key's supplier is built once (concurrent first callers share it) and
/// evicted when the map is full or the key goes unused for `idle`. Hold the
/// returned supplier where lookups are hot: a `moka` get costs ~100 ns, a
/// supplier hit a few.
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
            .finish()
    }
}

impl<K, T> KeyedCache<K, T>
where
    K: Hash + Eq + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    /// At most `capacity` keys; a key unused for `idle` is dropped.
    pub fn new(capacity: u64, idle: Duration) -> Self {
        Self {
            map: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_idle(idle)
                .build(),
        }
    }

    /// The supplier of `key`, built by `make` on first use (once, even under
    /// concurrent first calls).
    pub fn supplier(&self, key: K, make: impl FnOnce() -> CachedSupplier<T>) -> CachedSupplier<T> {
        self.map.get_with(key, make)
    }

    /// The supplier of `key`, if built.
    pub fn get(&self, key: &K) -> Option<CachedSupplier<T>> {
        self.map.get(key)
    }

    /// Drops `key`'s supplier.
    pub fn remove(&self, key: &K) {
        self.map.invalidate(key);
    }

    /// The number of keys (approximate while evictions are pending).
    pub fn len(&self) -> u64 {
        self.map.run_pending_tasks();
        self.map.entry_count()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A shared keyed cache.
pub type SharedKeyedCache<K, T> = Arc<KeyedCache<K, T>>;
