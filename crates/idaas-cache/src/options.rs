//! How a [`CachedSupplier`](crate::CachedSupplier) refreshes: strategy in the
//! prefetch window, behaviour past the stale time, the refresh windows,
//! waits, backoff and the recovery probe.

use std::time::Duration;

use crate::timing::Timing;

/// How a refresh in the prefetch window runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrefetchStrategy {
    /// One caller runs the refresh and waits for it; the others keep getting
    /// the cached value at once (the reference SDK's default).
    OneCallerBlocks,
    /// The refresh runs in a background task; every caller returns at once
    /// (the default).
    #[default]
    NonBlocking,
}

/// What callers get past the stale time, and when a refresh fails there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StaleBehavior {
    /// Callers wait for the refresh and get its error if it fails (the
    /// reference SDK's choice for tokens).
    Strict,
    /// Callers wait for the refresh; if it fails they get the old value while
    /// it has not expired, and from then on at once while the refresh is
    /// retried in the background after the backoff.
    Allow,
    /// The default: the old value, at once, until it expires — the stale
    /// time only starts a background refresh (if none is running and no
    /// backoff holds), nobody waits while a valid value exists, and a
    /// failed refresh never reaches a caller before the expiry.
    #[default]
    UntilExpiry,
}

/// Where a token's refresh points fall in its lifetime (see
/// [`CacheOptions::token_timing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefreshWindows {
    /// The reference SDK's: prefetch at 2/3, stale at 4/5 of the lifetime,
    /// served to the last instant ([`Timing::for_token`]).
    Reference,
    /// The default ([`Timing::lifetime_aware`]): short tokens prefetch at
    /// half their lifetime (so a 2 s-slow identity provider still lands a
    /// 5-second token before it expires), and no value is served in the last
    /// [`EXPIRY_MARGIN`](crate::EXPIRY_MARGIN) (at most 1/20 of the lifetime)
    /// before its expiry.
    #[default]
    LifetimeAware,
}

/// Settings of a [`CachedSupplier`](crate::CachedSupplier).
///
/// The default puts availability first: background refresh-ahead
/// ([`PrefetchStrategy::NonBlocking`]), the cached value served until its
/// expiry through any refresh failure ([`StaleBehavior::UntilExpiry`]),
/// lifetime-aware refresh points, a 5-second wait limit, and a recovery probe
/// every 500 ms while callers have no valid value.
/// [`CacheOptions::reference`] is the reference SDK's behaviour.
///
/// Built from either with the `with_…` methods (new settings may come, so
/// it cannot be written as a struct literal outside this crate); the fields
/// stay readable and assignable.
///
/// ```
/// use std::time::Duration;
/// use idaas_cache::{CacheOptions, StaleBehavior};
///
/// let options = CacheOptions::default()
///     .with_stale(StaleBehavior::Allow)
///     .with_blocking_wait(Duration::from_secs(2));
/// assert_eq!(options.stale, StaleBehavior::Allow);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheOptions {
    /// Refresh strategy in the prefetch window.
    pub prefetch: PrefetchStrategy,
    /// Behaviour past the stale time.
    pub stale: StaleBehavior,
    /// Where a token's refresh points fall ([`CacheOptions::token_timing`]).
    pub windows: RefreshWindows,
    /// The longest a caller waits for a refresh (the reference: 5 s).
    pub blocking_wait: Duration,
    /// After a failure, the first retry waits between half this and this;
    /// each further consecutive failure doubles it. Holds while a valid
    /// value is served; see [`probe_interval`](Self::probe_interval).
    pub failure_backoff: Duration,
    /// The longest backoff between retries.
    pub max_failure_backoff: Duration,
    /// The longest a supplier's `retry_after` hint is honoured.
    pub max_retry_after: Duration,
    /// While callers have no value they may be served (none yet, expired,
    /// invalidated, or stale under [`StaleBehavior::Strict`]), a failure is
    /// retried — by a caller, single-flight — once this has passed since it,
    /// instead of after the backoff: recovery follows the identity provider.
    pub probe_interval: Duration,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            prefetch: PrefetchStrategy::NonBlocking,
            stale: StaleBehavior::UntilExpiry,
            windows: RefreshWindows::LifetimeAware,
            blocking_wait: Duration::from_secs(5),
            failure_backoff: Duration::from_secs(1),
            max_failure_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
            probe_interval: Duration::from_millis(500),
        }
    }
}

impl CacheOptions {
    /// The reference Python SDK's behaviour (`cloud-idaas-core`): one caller blocks on the
    /// prefetch, STRICT past the stale time, the reference windows; waits,
    /// backoff and probe as the default.
    pub fn reference() -> Self {
        Self {
            prefetch: PrefetchStrategy::OneCallerBlocks,
            stale: StaleBehavior::Strict,
            windows: RefreshWindows::Reference,
            ..Self::default()
        }
    }

    /// Sets [`prefetch`](Self::prefetch).
    pub const fn with_prefetch(mut self, prefetch: PrefetchStrategy) -> Self {
        self.prefetch = prefetch;
        self
    }

    /// Sets [`stale`](Self::stale).
    pub const fn with_stale(mut self, stale: StaleBehavior) -> Self {
        self.stale = stale;
        self
    }

    /// Sets [`windows`](Self::windows).
    pub const fn with_windows(mut self, windows: RefreshWindows) -> Self {
        self.windows = windows;
        self
    }

    /// Sets [`blocking_wait`](Self::blocking_wait).
    pub const fn with_blocking_wait(mut self, wait: Duration) -> Self {
        self.blocking_wait = wait;
        self
    }

    /// Sets [`failure_backoff`](Self::failure_backoff).
    pub const fn with_failure_backoff(mut self, backoff: Duration) -> Self {
        self.failure_backoff = backoff;
        self
    }

    /// Sets [`max_failure_backoff`](Self::max_failure_backoff).
    pub const fn with_max_failure_backoff(mut self, backoff: Duration) -> Self {
        self.max_failure_backoff = backoff;
        self
    }

    /// Sets [`max_retry_after`](Self::max_retry_after).
    pub const fn with_max_retry_after(mut self, limit: Duration) -> Self {
        self.max_retry_after = limit;
        self
    }

    /// Sets [`probe_interval`](Self::probe_interval).
    pub const fn with_probe_interval(mut self, interval: Duration) -> Self {
        self.probe_interval = interval;
        self
    }

    /// The backoff after `consecutive` failures (1 for the first), before
    /// jitter: `failure_backoff · 2^(consecutive−1)`, at most
    /// `max_failure_backoff`.
    pub fn backoff_ceiling(&self, consecutive: u32) -> Duration {
        let doublings = consecutive.saturating_sub(1).min(20);
        self.failure_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_failure_backoff)
    }

    /// The timing of a token received at `now`, expiring at `expires_at`
    /// after a lifetime of `expires_in` (0: the time left), by these
    /// options' [`RefreshWindows`].
    pub fn token_timing(
        &self,
        now: Duration,
        expires_at: Duration,
        expires_in: Duration,
    ) -> Timing {
        match self.windows {
            RefreshWindows::Reference => Timing::for_token(now, expires_at, expires_in),
            RefreshWindows::LifetimeAware => Timing::lifetime_aware(now, expires_at, expires_in),
        }
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

    #[test]
    fn the_default_puts_availability_first_the_reference_is_one_call_away() {
        let d = CacheOptions::default();
        assert_eq!(d.prefetch, PrefetchStrategy::NonBlocking);
        assert_eq!(d.stale, StaleBehavior::UntilExpiry);
        assert!(d.probe_interval <= Duration::from_secs(1));
        let r = CacheOptions::reference();
        assert_eq!(
            (r.prefetch, r.stale, r.windows),
            (
                PrefetchStrategy::OneCallerBlocks,
                StaleBehavior::Strict,
                RefreshWindows::Reference
            )
        );
        let s = Duration::from_secs;
        assert_eq!(r.token_timing(s(0), s(60), s(60)).margin, Duration::ZERO);
        assert!(d.token_timing(s(0), s(60), s(60)).margin > Duration::ZERO);
    }
}
