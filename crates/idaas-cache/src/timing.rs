//! When a cached value should be refreshed: prefetch, stale and expiry times,
//! and the jitter that spreads refreshes of many processes.

use std::time::Duration;

use rand::Rng;

/// The moments in a cached value's life, as durations since the Unix epoch.
///
/// ```text
///  received     prefetch_at          stale_at      expires_at − margin  expires_at
///    |---- Fresh ----|---- Prefetch ------|------ Stale ------|---- Expired ---|
/// ```
///
/// Always `prefetch_at ≤ stale_at ≤ expires_at − margin` when built by
/// [`Timing::new`], [`Timing::for_token`] or [`Timing::lifetime_aware`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// From here a refresh is started, while the value is still served.
    pub prefetch_at: Duration,
    /// From here callers wait for a fresh value.
    pub stale_at: Duration,
    /// The value's real expiry (`None`: never expires).
    pub expires_at: Option<Duration>,
    /// The value is not served in this last stretch before `expires_at`
    /// (a token must still be valid when it reaches the resource server).
    pub margin: Duration,
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
/// [`Timing::lifetime_aware`] serves no token in its last second (at most a
/// twentieth of its lifetime).
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(1);
/// [`Timing::lifetime_aware`] prefetches a token at least half its lifetime
/// before expiry, up to this lead (a third of the lifetime beyond).
pub const SHORT_TOKEN_LEAD: Duration = Duration::from_secs(30);

impl Timing {
    /// The given times, put in order: `stale_at` no later than `expires_at`,
    /// `prefetch_at` no later than `stale_at`.
    pub fn new(prefetch_at: Duration, stale_at: Duration, expires_at: Option<Duration>) -> Self {
        let stale_at = expires_at.map_or(stale_at, |at| stale_at.min(at));
        Self {
            prefetch_at: prefetch_at.min(stale_at),
            stale_at,
            expires_at,
            margin: Duration::ZERO,
        }
    }

    /// These times with `margin`: the value is not served in the last
    /// `margin` before its expiry (the stale and prefetch times are moved
    /// no later than that).
    pub fn with_margin(self, margin: Duration) -> Self {
        let served = self.expires_at.map(|at| at.saturating_sub(margin));
        let mut t = Self::new(self.prefetch_at, self.stale_at, served);
        t.expires_at = self.expires_at;
        t.margin = margin;
        t
    }

    /// The last moment the value is served: `expires_at − margin`.
    pub fn served_until(&self) -> Option<Duration> {
        self.expires_at.map(|at| at.saturating_sub(self.margin))
    }

    /// A value that never needs refreshing.
    pub fn never() -> Self {
        Self {
            prefetch_at: Duration::MAX,
            stale_at: Duration::MAX,
            expires_at: None,
            margin: Duration::ZERO,
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

    /// The default token timings, lifetime-aware (modelled on the AWS SDKs,
    /// whose refresh point is a share of a short credential's lifetime, not
    /// a fixed lead): with `L` the lifetime and `j` the jitter of
    /// [`Timing::for_token`],
    ///
    /// - prefetch at `expires_at − max(L/3, min(L/2, 30 s)) − j` — half the
    ///   lifetime ahead for tokens up to a minute, so a 2 s-slow identity
    ///   provider still lands a 5-second token in time; the reference's
    ///   third for long ones;
    /// - stale at `expires_at − L/5 − j`, as the reference;
    /// - served until `expires_at − min(1 s, L/20)` ([`EXPIRY_MARGIN`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use idaas_cache::Timing;
    ///
    /// let s = Duration::from_secs;
    /// let t = Timing::lifetime_aware_with_jitter(s(0), s(5), s(5), Duration::ZERO);
    /// assert_eq!(t.prefetch_at, Duration::from_millis(2500));
    /// assert_eq!(t.served_until(), Some(Duration::from_millis(4750)));
    /// let t = Timing::lifetime_aware_with_jitter(s(0), s(3600), s(3600), Duration::ZERO);
    /// assert_eq!((t.prefetch_at, t.stale_at), (s(2400), s(2880)));
    /// assert_eq!(t.served_until(), Some(s(3599)));
    /// ```
    pub fn lifetime_aware(now: Duration, expires_at: Duration, expires_in: Duration) -> Self {
        let lifetime = Self::lifetime(now, expires_at, expires_in);
        let jitter = Self::jitter_for(lifetime, &mut rand::rng());
        Self::lifetime_aware_with_jitter(now, expires_at, expires_in, jitter)
    }

    /// [`Timing::lifetime_aware`] with a given jitter (deterministic, for tests).
    pub fn lifetime_aware_with_jitter(
        now: Duration,
        expires_at: Duration,
        expires_in: Duration,
        jitter: Duration,
    ) -> Self {
        let lifetime = Self::lifetime(now, expires_at, expires_in);
        let lead = (lifetime / 3).max((lifetime / 2).min(SHORT_TOKEN_LEAD));
        let prefetch = expires_at.saturating_sub(lead).saturating_sub(jitter);
        let stale = expires_at
            .saturating_sub(lifetime / 5)
            .saturating_sub(jitter);
        let margin = EXPIRY_MARGIN.min(lifetime / 20);
        Self::new(prefetch.max(now), stale.max(now), Some(expires_at)).with_margin(margin)
    }

    fn lifetime(now: Duration, expires_at: Duration, expires_in: Duration) -> Duration {
        if expires_in.is_zero() {
            expires_at.saturating_sub(now)
        } else {
            expires_in
        }
    }

    /// Whether the value may no longer be served at `now` (at or past
    /// `expires_at − margin`).
    pub fn is_expired(&self, now: Duration) -> bool {
        self.served_until().is_some_and(|at| now >= at)
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
        self.served_until().map_or(until, |at| until.min(at))
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
            margin: S(5),
        };
        assert_eq!(t.fresh_until(), S(55));
    }

    #[test]
    fn lifetime_aware_windows_land_a_short_token_from_a_slow_idp_in_time() {
        let mut rng = rand::rng();
        // a refresh taking 2 s, started at the latest prefetch time, lands
        // before the token stops being served — for every jitter
        for lifetime in [5u64, 10, 30, 60] {
            for _ in 0..200 {
                let (now, l) = (S(1000), S(lifetime));
                let jitter = Timing::jitter_for(l, &mut rng);
                let t = Timing::lifetime_aware_with_jitter(now, now + l, l, jitter);
                assert!(t.prefetch_at + S(2) < t.served_until().unwrap(), "{t:?}");
                assert!(t.prefetch_at <= t.stale_at && t.stale_at <= t.served_until().unwrap());
                assert!(t.margin <= l / 20 && t.margin <= EXPIRY_MARGIN);
                assert_eq!(t.window(now + l - t.margin), Window::Expired);
            }
        }
        // long tokens keep the reference's points, but not its last second
        let t = Timing::lifetime_aware_with_jitter(S(0), S(3600), S(3600), S(0));
        let r = Timing::for_token_with_jitter(S(0), S(3600), S(3600), S(0));
        assert_eq!((t.prefetch_at, t.stale_at), (r.prefetch_at, r.stale_at));
        assert_eq!(t.window(S(3599)), Window::Expired);
        assert_eq!(r.window(S(3599)), Window::Stale);
        // the reference would start a 5-second token's refresh 1.67 s ahead
        let r = Timing::for_token_with_jitter(S(0), S(5), S(5), S(0));
        assert!(r.prefetch_at + S(2) > S(5));
    }
}
