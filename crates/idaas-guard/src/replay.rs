//! The optional `jti` replay cache: a JWT id is accepted once, and
//! remembered until the token's `exp` (plus the leeway).

use std::time::{Duration, Instant};

use crate::error::{Error, Reason};

type Key = (String, String);

/// Remembers the `jti`s of accepted tokens, each until its `exp`.
#[derive(Debug)]
pub(crate) struct ReplayCache {
    /// (issuer, jti) → how long to remember it.
    seen: moka::sync::Cache<Key, Duration>,
}

struct UntilExp;

impl moka::Expiry<Key, Duration> for UntilExp {
    fn expire_after_create(&self, _: &Key, keep: &Duration, _: Instant) -> Option<Duration> {
        Some(*keep)
    }
}

impl ReplayCache {
    pub(crate) fn new(capacity: u64) -> Self {
        Self {
            seen: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .expire_after(UntilExp)
                .build(),
        }
    }

    /// `Ok` the first time `jti` of `issuer` is seen (atomically: of two
    /// concurrent uses one wins); a token without a `jti` is refused.
    pub(crate) fn first_use(
        &self,
        issuer: &str,
        jti: Option<&str>,
        exp: u64,
        now: Duration,
        leeway: Duration,
    ) -> Result<(), Error> {
        let jti = jti.ok_or(Error::InvalidToken(Reason::MissingClaim))?;
        let keep = Duration::from_secs(exp).saturating_sub(now) + leeway;
        let entry = self
            .seen
            .entry((issuer.to_owned(), jti.to_owned()))
            .or_insert(keep);
        if entry.is_fresh() {
            Ok(())
        } else {
            Err(Error::InvalidToken(Reason::Replayed))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_is_accepted_once_per_issuer() {
        let cache = ReplayCache::new(100);
        let now = Duration::from_secs(1000);
        let leeway = Duration::from_secs(60);
        cache
            .first_use("iss", Some("a"), 2000, now, leeway)
            .unwrap();
        let again = cache.first_use("iss", Some("a"), 2000, now, leeway);
        assert_eq!(again.unwrap_err().reason(), Some(Reason::Replayed));
        cache
            .first_use("other", Some("a"), 2000, now, leeway)
            .unwrap();
        let none = cache.first_use("iss", None, 2000, now, leeway);
        assert_eq!(none.unwrap_err().reason(), Some(Reason::MissingClaim));
    }
}
