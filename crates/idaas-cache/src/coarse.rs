//! A cheap reading of the wall clock for hot paths.
//!
//! On Linux the kernel keeps a coarse copy of the real-time clock, updated on
//! every timer tick, that the vDSO hands out without reading the hardware
//! counter: a few nanoseconds instead of the ~20 of `SystemTime::now` or
//! `Instant::now`. It lags the precise clock by about its [`resolution`]
//! (1–4 ms) — more when a tick comes late, as on a busy virtual machine — so
//! the cache takes [`max_lag`] off every deadline it checks with it: a hit is
//! not served past its prefetch time. (In the last [`max_lag`] before it a
//! call takes the slow path, which reads the precise clock and still returns
//! the cached value at once.)
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
//! assert!(now <= after && now + idaas_cache::coarse::max_lag() >= before);
//! ```

use std::time::Duration;

/// Now, as a duration since the Unix epoch; at most [`resolution`] behind the
/// precise wall clock.
#[inline]
pub fn now() -> Duration {
    Duration::from_nanos(now_nanos())
}

/// The tick of [`now`]: how far it lags the precise wall clock when ticks
/// come on time (zero where [`now`] is the precise clock).
pub fn resolution() -> Duration {
    imp::resolution()
}

/// Allowance for ticks that come late (a tick delayed by a busy or
/// descheduled CPU); on a virtual machine lags of 1.5 ticks are common.
const LATE_TICK_SLACK: Duration = Duration::from_millis(50);

/// How far [`now`] is taken to lag the precise wall clock at most: its
/// [`resolution`] plus an allowance for late ticks (50 ms); zero where [`now`]
/// is the precise clock.
pub fn max_lag() -> Duration {
    let resolution = resolution();
    if resolution.is_zero() {
        Duration::ZERO
    } else {
        resolution + LATE_TICK_SLACK
    }
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

    #[inline]
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
        *RESOLUTION
            .get_or_init(|| Duration::from_nanos(nanos(clock_getres(ClockId::RealtimeCoarse))))
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
    fn lags_the_system_clock_by_at_most_max_lag() {
        assert!(
            resolution() <= Duration::from_millis(20),
            "{:?}",
            resolution()
        );
        for _ in 0..1000 {
            let before = SystemClock.now();
            let coarse = now();
            let after = SystemClock.now();
            // never ahead of the precise clock, never behind it by more than
            // the allowance
            assert!(coarse <= after, "{coarse:?} > {after:?}");
            assert!(coarse + max_lag() >= before, "{coarse:?} lags {before:?}");
        }
    }
}
