//! When a cached value should be refreshed: prefetch, stale and expiry times,
//! and the jitter that spreads refreshes of many processes.

use std::time::Duration;

use rand::Rng;

/// The three moments in a cached value's life, as Unix times.
///
/// ```text
///  issued        prefetch_at        stale_at        expires_at
///    |---- hit ------|---- refresh ahead ---|--- must refresh ---|--- expired
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// From here a refresh is started, while the value is still served.
    pub prefetch_at: Duration,
    /// From here callers wait for a fresh value.
    pub stale_at: Duration,
    /// The value is unusable from here (`None`: never expires).
    pub expires_at: Option<Duration>,
}

/// How much earlier jitter may move a refresh: at most this share of the
/// lifetime, and at most [`MAX_JITTER`].
pub const JITTER_SHARE: u32 = 10;
/// The largest jitter (the reference SDK's window is 5 minutes).
pub const MAX_JITTER: Duration = Duration::from_secs(300);

impl Timing {
    /// A value that never needs refreshing.
    pub fn never() -> Self {
        Self {
            prefetch_at: Duration::MAX,
            stale_at: Duration::MAX,
            expires_at: None,
        }
    }

    /// The reference SDK's token timings — stale at `expires_at − expires_in/5`,
    /// prefetch at `expires_at − expires_in/3` — with jitter that moves both
    /// *earlier* by the same random amount (up to a tenth of the lifetime, at
    /// most 5 minutes), so neither can pass the real expiry.
    ///
    /// `now` is when the token was received. A token whose `expires_in` is 0
    /// uses the time left until `expires_at` as its lifetime.
    pub fn for_token(now: Duration, expires_at: Duration, expires_in: Duration) -> Self {
        let jitter = Self::jitter_for(expires_in, &mut rand::rng());
        Self::for_token_with_jitter(now, expires_at, expires_in, jitter)
    }

    /// A random jitter for a lifetime.
    pub fn jitter_for(lifetime: Duration, rng: &mut impl Rng) -> Duration {
        let ceiling = (lifetime / JITTER_SHARE).min(MAX_JITTER);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rng.random_range(0..=nanos))
    }

    /// [`Timing::for_token`] with a given jitter (for tests).
    pub fn for_token_with_jitter(
        now: Duration,
        expires_at: Duration,
        expires_in: Duration,
        jitter: Duration,
    ) -> Self {
        let lifetime = if expires_in.is_zero() {
            expires_at.saturating_sub(now)
        } else {
            expires_in
        };
        let stale = expires_at
            .saturating_sub(lifetime / 5)
            .saturating_sub(jitter);
        let prefetch = expires_at
            .saturating_sub(lifetime / 3)
            .saturating_sub(jitter);
        Self {
            prefetch_at: prefetch.max(now).min(expires_at),
            stale_at: stale.max(now).min(expires_at),
            expires_at: Some(expires_at),
        }
    }

    /// Whether the value may still be served at `now`.
    pub fn is_expired(&self, now: Duration) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
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
        for lifetime in [1u64, 2, 60, 600, 1500, 3600, 86_400] {
            for _ in 0..500 {
                let now = S(10_000);
                let expires_at = now + S(lifetime);
                let jitter = Timing::jitter_for(S(lifetime), &mut rng);
                let t = Timing::for_token_with_jitter(now, expires_at, S(lifetime), jitter);
                let plain =
                    Timing::for_token_with_jitter(now, expires_at, S(lifetime), Duration::ZERO);
                assert!(t.prefetch_at <= plain.prefetch_at && t.stale_at <= plain.stale_at);
                assert!(t.prefetch_at <= t.stale_at, "{lifetime}");
                assert!(t.stale_at < expires_at || lifetime < 5, "{lifetime}: {t:?}");
                assert!(t.prefetch_at >= now);
            }
        }
        // a 60-second token: prefetch in 34..=40 s, stale in 42..=48 s, expiry at 60 s
        for _ in 0..1000 {
            let t = Timing::for_token(S(0), S(60), S(60));
            assert!(t.prefetch_at >= S(34) && t.prefetch_at <= S(40), "{t:?}");
            assert!(t.stale_at >= S(42) && t.stale_at <= S(48), "{t:?}");
        }
    }

    #[test]
    fn expires_in_zero_uses_time_left() {
        let t = Timing::for_token_with_jitter(S(100), S(400), Duration::ZERO, Duration::ZERO);
        assert_eq!(t.stale_at, S(340));
        assert_eq!(t.prefetch_at, S(300));
    }
}
