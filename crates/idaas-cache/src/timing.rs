//! When a cached value should be refreshed: prefetch, stale and expiry times,
//! and the jitter that spreads refreshes of many processes.

use std::time::Duration;

use rand::Rng;

/// The moments in a cached value's life, as durations since the Unix epoch.
///
/// ```text
///  received     prefetch_at          stale_at            expires_at
///    |---- Fresh ----|---- Prefetch ------|------ Stale ------|---- Expired
/// ```
///
/// Always `prefetch_at ≤ stale_at ≤ expires_at` when built by
/// [`Timing::new`] or [`Timing::for_token`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// From here a refresh is started, while the value is still served.
    pub prefetch_at: Duration,
    /// From here callers wait for a fresh value.
    pub stale_at: Duration,
    /// The value is unusable from here (`None`: never expires).
    pub expires_at: Option<Duration>,
}

/// Where a moment falls in a value's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Before the prefetch time: served as is.
    Fresh,
    /// Between prefetch and stale time: served, and one refresh is started.
    Prefetch,
    /// Between stale time and expiry: callers wait for the refresh.
    Stale,
    /// At or after expiry: never served.
    Expired,
}

/// Jitter moves a refresh earlier by at most this share (1/10) of the lifetime…
pub const JITTER_SHARE: u32 = 10;
/// …and by at most this (the reference SDK's random window is 5 minutes).
pub const MAX_JITTER: Duration = Duration::from_secs(300);

impl Timing {
    /// The given times, put in order: `stale_at` no later than `expires_at`,
    /// `prefetch_at` no later than `stale_at`.
    pub fn new(prefetch_at: Duration, stale_at: Duration, expires_at: Option<Duration>) -> Self {
        let stale_at = expires_at.map_or(stale_at, |at| stale_at.min(at));
        Self {
            prefetch_at: prefetch_at.min(stale_at),
            stale_at,
            expires_at,
        }
    }

    /// A value that never needs refreshing.
    pub fn never() -> Self {
        Self {
            prefetch_at: Duration::MAX,
            stale_at: Duration::MAX,
            expires_at: None,
        }
    }

    /// The reference SDK's token timings — stale at `expires_at − expires_in/5`,
    /// prefetch at `expires_at − expires_in/3` — with a random jitter that
    /// moves both *earlier* by the same amount (up to a tenth of the lifetime,
    /// at most 5 minutes), so neither can pass the real expiry.
    ///
    /// `now` is when the token was received. A token whose `expires_in` is 0
    /// uses the time left until `expires_at` as its lifetime.
    ///
    /// ```
    /// use std::time::Duration;
    /// use idaas_cache::Timing;
    ///
    /// let s = Duration::from_secs;
    /// // a 60-second token received at t = 0
    /// let t = Timing::for_token(s(0), s(60), s(60));
    /// assert!(s(34) <= t.prefetch_at && t.prefetch_at <= s(40));
    /// assert!(s(42) <= t.stale_at && t.stale_at <= s(48));
    /// assert_eq!(t.expires_at, Some(s(60)));
    /// ```
    pub fn for_token(now: Duration, expires_at: Duration, expires_in: Duration) -> Self {
        let lifetime = Self::lifetime(now, expires_at, expires_in);
        let jitter = Self::jitter_for(lifetime, &mut rand::rng());
        Self::for_token_with_jitter(now, expires_at, expires_in, jitter)
    }

    /// A random jitter for a lifetime: uniform in `[0, min(lifetime/10, 5 min)]`.
    pub fn jitter_for(lifetime: Duration, rng: &mut impl Rng) -> Duration {
        let ceiling = (lifetime / JITTER_SHARE).min(MAX_JITTER);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rng.random_range(0..=nanos))
    }

    /// [`Timing::for_token`] with a given jitter (deterministic, for tests).
    /// The jitter only ever moves times earlier, never before `now`.
    pub fn for_token_with_jitter(
        now: Duration,
        expires_at: Duration,
        expires_in: Duration,
        jitter: Duration,
    ) -> Self {
        let lifetime = Self::lifetime(now, expires_at, expires_in);
        let stale = expires_at
            .saturating_sub(lifetime / 5)
            .saturating_sub(jitter);
        let prefetch = expires_at
            .saturating_sub(lifetime / 3)
            .saturating_sub(jitter);
        Self::new(prefetch.max(now), stale.max(now), Some(expires_at))
    }

    fn lifetime(now: Duration, expires_at: Duration, expires_in: Duration) -> Duration {
        if expires_in.is_zero() {
            expires_at.saturating_sub(now)
        } else {
            expires_in
        }
    }

    /// Whether the value may still be served at `now`.
    pub fn is_expired(&self, now: Duration) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// Where `now` falls in the value's life.
    pub fn window(&self, now: Duration) -> Window {
        if self.is_expired(now) {
            Window::Expired
        } else if now >= self.stale_at {
            Window::Stale
        } else if now >= self.prefetch_at {
            Window::Prefetch
        } else {
            Window::Fresh
        }
    }

    /// The end of the `Fresh` window, whatever order the fields are in.
    pub(crate) fn fresh_until(&self) -> Duration {
        let until = self.prefetch_at.min(self.stale_at);
        self.expires_at.map_or(until, |at| until.min(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn reference_timings_without_jitter() {
        let t = Timing::for_token_with_jitter(S(1000), S(4600), S(3600), Duration::ZERO);
        assert_eq!(t.stale_at, S(4600 - 720));
        assert_eq!(t.prefetch_at, S(4600 - 1200));
        assert_eq!(t.expires_at, Some(S(4600)));
    }

    #[test]
    fn jitter_only_moves_earlier_and_never_past_expiry() {
        let mut rng = rand::rng();
        for lifetime in [1u64, 2, 5, 60, 600, 1500, 3600, 86_400] {
            for _ in 0..500 {
                let now = S(10_000);
                let expires_at = now + S(lifetime);
                let jitter = Timing::jitter_for(S(lifetime), &mut rng);
                let t = Timing::for_token_with_jitter(now, expires_at, S(lifetime), jitter);
                let plain =
                    Timing::for_token_with_jitter(now, expires_at, S(lifetime), Duration::ZERO);
                assert!(t.prefetch_at <= plain.prefetch_at && t.stale_at <= plain.stale_at);
                assert!(t.prefetch_at <= t.stale_at, "{lifetime}");
                assert!(t.stale_at < expires_at, "{lifetime}: {t:?}");
                assert!(t.prefetch_at >= now);
                // the jitter is bounded: at most a tenth of the lifetime, 5 minutes
                assert!(plain.stale_at - t.stale_at <= (S(lifetime) / 10).min(MAX_JITTER));
            }
        }
    }

    #[test]
    fn a_sixty_second_token_refreshes_well_before_it_expires() {
        for _ in 0..1000 {
            let t = Timing::for_token(S(0), S(60), S(60));
            assert!(t.prefetch_at >= S(34) && t.prefetch_at <= S(40), "{t:?}");
            assert!(t.stale_at >= S(42) && t.stale_at <= S(48), "{t:?}");
            assert_eq!(t.window(S(33)), Window::Fresh);
            assert_eq!(t.window(S(41)), Window::Prefetch);
            assert_eq!(t.window(S(59)), Window::Stale);
            assert_eq!(t.window(S(60)), Window::Expired);
        }
    }

    #[test]
    fn the_reference_jitter_would_serve_expired_tokens_ours_cannot() {
        // the reference adds 300..600 s to the stale time: for a 60-second token
        // that is 5 minutes after expiry; ours is before expiry for any jitter
        for jitter in [0, 1, 3, 6] {
            let t = Timing::for_token_with_jitter(S(0), S(60), S(60), S(jitter));
            assert!(t.stale_at < S(60));
        }
        // even an absurd jitter only clamps to "now", never past expiry
        let t = Timing::for_token_with_jitter(S(0), S(60), S(60), S(10_000));
        assert_eq!((t.prefetch_at, t.stale_at), (S(0), S(0)));
    }

    #[test]
    fn expires_in_zero_uses_time_left() {
        let t = Timing::for_token_with_jitter(S(100), S(400), Duration::ZERO, Duration::ZERO);
        assert_eq!(t.stale_at, S(340));
        assert_eq!(t.prefetch_at, S(300));
    }

    #[test]
    fn new_orders_the_times() {
        let t = Timing::new(S(50), S(40), Some(S(30)));
        assert_eq!((t.prefetch_at, t.stale_at), (S(30), S(30)));
        assert_eq!(t.fresh_until(), S(30));
        let t = Timing::new(S(10), S(20), None);
        assert_eq!(t.window(S(5)), Window::Fresh);
        assert_eq!(t.window(S(15)), Window::Prefetch);
        assert_eq!(t.window(S(1_000_000)), Window::Stale);
        assert_eq!(Timing::never().window(S(u64::MAX / 2)), Window::Fresh);
    }

    #[test]
    fn fresh_until_tolerates_unordered_fields() {
        let t = Timing {
            prefetch_at: S(100),
            stale_at: S(80),
            expires_at: Some(S(60)),
        };
        assert_eq!(t.fresh_until(), S(60));
    }
}
