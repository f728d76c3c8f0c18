//! The clock the hit path reads: the kernel's coarse real-time clock when the
//! cache runs on the system clock, else the injected clock itself (tests).

use std::time::Duration;

use idaas_core::clock::SharedClock;

use crate::coarse;
use crate::timing::Timing;

/// A coarse clock ticking slower than this is not worth its speed: the
/// injected clock is read instead.
const MAX_COARSE_RESOLUTION: Duration = Duration::from_millis(20);

pub(crate) enum HitClock {
    /// [`coarse::now`], with every deadline moved [`coarse::max_lag`] earlier.
    Coarse { lag_nanos: u64 },
    /// The injected clock, read exactly.
    Injected(SharedClock),
}

#[inline]
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl HitClock {
    pub(crate) fn for_clock(clock: &SharedClock) -> Self {
        if clock.is_system() && coarse::resolution() <= MAX_COARSE_RESOLUTION {
            Self::Coarse {
                lag_nanos: nanos(coarse::max_lag()),
            }
        } else {
            Self::Injected(clock.clone())
        }
    }

    /// Now on this clock, in nanoseconds since the Unix epoch.
    #[inline]
    pub(crate) fn now_nanos(&self) -> u64 {
        match self {
            Self::Coarse { .. } => coarse::now_nanos(),
            Self::Injected(clock) => nanos(clock.now()),
        }
    }

    /// The reading of this clock before which a value with `timing` is a hit:
    /// the end of its fresh window, less the clock's lag, so the precise time
    /// is then still before it.
    pub(crate) fn hit_deadline(&self, timing: &Timing) -> u64 {
        let until = nanos(timing.fresh_until());
        match self {
            Self::Coarse { lag_nanos } => until.saturating_sub(*lag_nanos),
            Self::Injected(_) => until,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use idaas_core::clock::ManualClock;

    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn deadlines_allow_for_the_coarse_lag() {
        let timing = Timing::new(S(100), S(200), Some(S(300)));
        let coarse = HitClock::Coarse {
            lag_nanos: nanos(Duration::from_millis(54)),
        };
        assert_eq!(
            coarse.hit_deadline(&timing),
            nanos(S(100) - Duration::from_millis(54))
        );
        let manual = HitClock::Injected(Arc::new(ManualClock::at_secs(7)));
        assert_eq!(manual.hit_deadline(&timing), nanos(S(100)));
        assert_eq!(manual.now_nanos(), nanos(S(7)));
    }

    #[test]
    fn the_system_clock_gets_the_coarse_clock_others_are_read_as_is() {
        let system = HitClock::for_clock(&idaas_core::clock::system());
        if !coarse::resolution().is_zero() {
            assert!(matches!(system, HitClock::Coarse { .. }));
        }
        let manual: SharedClock = Arc::new(ManualClock::at_secs(7));
        assert!(matches!(
            HitClock::for_clock(&manual),
            HitClock::Injected(_)
        ));
    }
}
