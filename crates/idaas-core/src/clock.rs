//! Time as the SDK sees it: wall-clock Unix time for token expiry, behind a
//! trait so tests can move time by hand instead of sleeping.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current wall-clock time.
pub trait Clock: Send + Sync + Debug + 'static {
    /// Now, as a duration since the Unix epoch.
    fn now(&self) -> Duration;

    /// Now, in whole Unix seconds.
    fn now_secs(&self) -> u64 {
        self.now().as_secs()
    }

    /// Whether this is the real system clock, so hot paths may read a cheaper
    /// source of the same time instead (the token cache's hit check reads the
    /// kernel's coarse real-time clock and allows for its resolution). Any
    /// other clock (a test clock, a skew-corrected one) is read through
    /// [`Clock::now`].
    fn is_system(&self) -> bool {
        false
    }
}

/// The system's real-time clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
    }

    fn is_system(&self) -> bool {
        true
    }
}

/// A clock that only moves when told to: deterministic tests of expiry.
///
/// Clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock stopped at `since_epoch`.
    pub fn new(since_epoch: Duration) -> Self {
        let clock = Self::default();
        clock.set(since_epoch);
        clock
    }

    /// A clock stopped at the given Unix second.
    pub fn at_secs(secs: u64) -> Self {
        Self::new(Duration::from_secs(secs))
    }

    /// Sets the time.
    pub fn set(&self, since_epoch: Duration) {
        let nanos = u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.store(nanos, Ordering::SeqCst);
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

/// A shared clock handle, as stored by clients and caches.
pub type SharedClock = Arc<dyn Clock>;

/// The default shared clock: [`SystemClock`].
pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::at_secs(1_000);
        let shared = clock.clone();
        assert_eq!(shared.now_secs(), 1_000);
        clock.advance(Duration::from_millis(1_500));
        assert_eq!(shared.now(), Duration::from_millis(1_001_500));
        clock.set(Duration::from_secs(5));
        assert_eq!(shared.now_secs(), 5);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now_secs() > 1_577_836_800);
    }
}

/// A Unix time as RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ` (civil from days,
/// H. Hinnant's algorithm, proleptic Gregorian). The one date formatter of
/// the workspace.
pub fn rfc3339_utc(unix: u64) -> String {
    let days = i64::try_from(unix / 86_400).unwrap_or(i64::MAX / 2);
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod rfc3339_tests {
    use super::rfc3339_utc;

    #[test]
    fn dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_796_246_260), "2026-12-02T21:17:40Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(4_102_444_800), "2100-01-01T00:00:00Z");
    }
}
