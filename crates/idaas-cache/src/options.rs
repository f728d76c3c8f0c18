//! How a [`CachedSupplier`](crate::CachedSupplier) refreshes: strategy in the
//! prefetch window, behaviour past the stale time, waits and backoff.

use std::time::Duration;

/// How a refresh in the prefetch window runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrefetchStrategy {
    /// One caller runs the refresh and waits for it; the others keep getting
    /// the cached value at once (the reference SDK's default).
    #[default]
    OneCallerBlocks,
    /// The refresh runs in a background task; every caller returns at once.
    NonBlocking,
}

/// What callers get when a refresh fails after the stale time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StaleBehavior {
    /// The error (the reference SDK's choice for tokens).
    #[default]
    Strict,
    /// The old value, while it has not expired; the refresh is retried in
    /// the background after the backoff.
    Allow,
}

/// Settings of a [`CachedSupplier`](crate::CachedSupplier).
///
/// The default is the credential factory's: one-caller-blocks, STRICT, a
/// 5-second blocking wait (spec §8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheOptions {
    /// Refresh strategy in the prefetch window.
    pub prefetch: PrefetchStrategy,
    /// Behaviour when a refresh fails past the stale time.
    pub stale: StaleBehavior,
    /// The longest a caller waits for a refresh (the reference: 5 s).
    pub blocking_wait: Duration,
    /// After a failure, the first retry waits between half this and this;
    /// each further consecutive failure doubles it.
    pub failure_backoff: Duration,
    /// The longest backoff between retries.
    pub max_failure_backoff: Duration,
    /// The longest a supplier's `retry_after` hint is honoured.
    pub max_retry_after: Duration,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            prefetch: PrefetchStrategy::OneCallerBlocks,
            stale: StaleBehavior::Strict,
            blocking_wait: Duration::from_secs(5),
            failure_backoff: Duration::from_secs(1),
            max_failure_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl CacheOptions {
    /// The backoff after `consecutive` failures (1 for the first), before
    /// jitter: `failure_backoff · 2^(consecutive−1)`, at most
    /// `max_failure_backoff`.
    pub fn backoff_ceiling(&self, consecutive: u32) -> Duration {
        let doublings = consecutive.saturating_sub(1).min(20);
        self.failure_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_failure_backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_ceiling() {
        let o = CacheOptions::default();
        let got: Vec<u64> = (1..=8).map(|n| o.backoff_ceiling(n).as_secs()).collect();
        assert_eq!(got, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(o.backoff_ceiling(u32::MAX), Duration::from_secs(30));
    }
}
