//! [`CacheOptions`] from the configuration file's `tokenCache` keys
//! ([`TokenCacheConfig`], read and checked by `idaas-core`).

use idaas_core::config::{
    CacheBehavior, CachePrefetch, CacheRefreshWindows, CacheStale, TokenCacheConfig,
};

use crate::options::{CacheOptions, PrefetchStrategy, RefreshWindows, StaleBehavior};

impl CacheOptions {
    /// These options with the file's `tokenCache` keys applied: `behavior`
    /// first (the whole preset: [`CacheOptions::default`] or
    /// [`CacheOptions::reference`]), then each other key present. Keys left
    /// out keep these options' values.
    ///
    /// ```
    /// use idaas_cache::{CacheOptions, StaleBehavior};
    /// use idaas_core::config::{CacheBehavior, CacheStale, TokenCacheConfig};
    ///
    /// let file = TokenCacheConfig {
    ///     behavior: Some(CacheBehavior::Reference),
    ///     stale: Some(CacheStale::Allow),
    ///     ..TokenCacheConfig::default()
    /// };
    /// let o = CacheOptions::default().configured(&file);
    /// assert_eq!(o.stale, StaleBehavior::Allow);
    /// assert_eq!(o.prefetch, CacheOptions::reference().prefetch);
    /// ```
    pub fn configured(self, file: &TokenCacheConfig) -> Self {
        let mut o = match file.behavior {
            None => self,
            Some(CacheBehavior::AvailabilityFirst) => Self::default(),
            Some(CacheBehavior::Reference) => Self::reference(),
        };
        if let Some(prefetch) = file.prefetch {
            o.prefetch = match prefetch {
                CachePrefetch::NonBlocking => PrefetchStrategy::NonBlocking,
                CachePrefetch::OneCallerBlocks => PrefetchStrategy::OneCallerBlocks,
            };
        }
        if let Some(stale) = file.stale {
            o.stale = match stale {
                CacheStale::UntilExpiry => StaleBehavior::UntilExpiry,
                CacheStale::Allow => StaleBehavior::Allow,
                CacheStale::Strict => StaleBehavior::Strict,
            };
        }
        if let Some(windows) = file.refresh_windows {
            o.windows = match windows {
                CacheRefreshWindows::LifetimeAware => RefreshWindows::LifetimeAware,
                CacheRefreshWindows::Reference => RefreshWindows::Reference,
            };
        }
        o.blocking_wait = file.blocking_wait.unwrap_or(o.blocking_wait);
        o.failure_backoff = file.failure_backoff.unwrap_or(o.failure_backoff);
        o.max_failure_backoff = file.max_failure_backoff.unwrap_or(o.max_failure_backoff);
        o.probe_interval = file.probe_interval.unwrap_or(o.probe_interval);
        // a file setting only the first backoff above the code's ceiling
        o.max_failure_backoff = o.max_failure_backoff.max(o.failure_backoff);
        o
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_file_refines_the_code_and_leaves_the_rest() {
        let code = CacheOptions {
            blocking_wait: Duration::from_secs(2),
            ..CacheOptions::reference()
        };
        assert_eq!(code.configured(&TokenCacheConfig::default()), code);
        let file = TokenCacheConfig {
            prefetch: Some(CachePrefetch::NonBlocking),
            probe_interval: Some(Duration::from_millis(200)),
            failure_backoff: Some(Duration::from_secs(60)),
            ..TokenCacheConfig::default()
        };
        let o = code.configured(&file);
        assert_eq!(o.prefetch, PrefetchStrategy::NonBlocking);
        assert_eq!(o.stale, StaleBehavior::Strict, "kept from the code");
        assert_eq!(
            o.blocking_wait,
            Duration::from_secs(2),
            "kept from the code"
        );
        assert_eq!(o.probe_interval, Duration::from_millis(200));
        assert_eq!(o.max_failure_backoff, Duration::from_secs(60));
        let preset = TokenCacheConfig {
            behavior: Some(CacheBehavior::AvailabilityFirst),
            ..TokenCacheConfig::default()
        };
        assert_eq!(code.configured(&preset), CacheOptions::default());
        let reference = TokenCacheConfig {
            behavior: Some(CacheBehavior::Reference),
            refresh_windows: Some(CacheRefreshWindows::LifetimeAware),
            stale: Some(CacheStale::UntilExpiry),
            ..TokenCacheConfig::default()
        };
        let o = CacheOptions::default().configured(&reference);
        assert_eq!(o.prefetch, PrefetchStrategy::OneCallerBlocks);
        assert_eq!(o.windows, RefreshWindows::LifetimeAware);
        assert_eq!(o.stale, StaleBehavior::UntilExpiry);
    }
}
