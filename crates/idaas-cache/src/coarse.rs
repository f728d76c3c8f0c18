//! A cheap reading of the wall clock for hot paths.
//!
//! On Linux the kernel keeps a coarse copy of the real-time clock, updated on
//! every timer tick, that the vDSO hands out without reading the hardware
//! counter: a few nanoseconds instead of the ~20 of `SystemTime::now` or
//! `Instant::now`. It lags the precise clock by at most its [`resolution`]
//! (1–4 ms), which the cache takes off every deadline it checks with it, so a
//! value is never served as a hit past its prefetch time.
//!
//! It is the same clock as `SystemTime` (wall time, which keeps counting while
//! the machine sleeps, unlike the monotonic clock behind `Instant`), so token
//! expiry computed from `SystemTime` compares with it directly. Elsewhere it
//! is `SystemTime::now` itself, with a resolution of zero.
//!
//! ```
//! use std::time::{SystemTime, UNIX_EPOCH};
//!
//! let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
//! let now = idaas_cache::coarse::now();
//! let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
//! assert!(now <= after && now + idaas_cache::coarse::resolution() >= before);
//! ```

use std::time::Duration;

/// Now, as a duration since the Unix epoch; at most [`resolution`] behind the
/// precise wall clock.
#[inline]
pub fn now() -> Duration {
    Duration::from_nanos(now_nanos())
}

/// How far [`now`] may lag the precise wall clock.
pub fn resolution() -> Duration {
    imp::resolution()
}

/// [`now`] in nanoseconds since the Unix epoch.
#[inline]
pub(crate) fn now_nanos() -> u64 {
    imp::now_nanos()
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use std::sync::OnceLock;
    use std::time::Duration;

    use rustix::time::{ClockId, Timespec, clock_getres, clock_gettime};

    fn nanos(ts: Timespec) -> u64 {
        let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
        let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
        secs.saturating_mul(1_000_000_000).saturating_add(nanos)
    }

    #[inline]
    pub(super) fn now_nanos() -> u64 {
        nanos(clock_gettime(ClockId::RealtimeCoarse))
    }

    pub(super) fn resolution() -> Duration {
        static RESOLUTION: OnceLock<Duration> = OnceLock::new();
        *RESOLUTION.get_or_init(|| Duration::from_nanos(nanos(clock_getres(ClockId::RealtimeCoarse))))
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod imp {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    #[inline]
    pub(super) fn now_nanos() -> u64 {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    }

    pub(super) fn resolution() -> Duration {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idaas_core::clock::{Clock, SystemClock};

    #[test]
    fn lags_the_system_clock_by_at_most_its_resolution() {
        assert!(resolution() <= Duration::from_millis(100), "{:?}", resolution());
        for _ in 0..1000 {
            let before = SystemClock.now();
            let coarse = now();
            let after = SystemClock.now();
            // never ahead of the precise clock, never behind it by more than
            // its resolution
            assert!(coarse <= after, "{coarse:?} > {after:?}");
            assert!(coarse + resolution() >= before, "{coarse:?} lags {before:?}");
        }
    }
}
