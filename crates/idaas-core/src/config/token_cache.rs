//! `tokenCache`'s behaviour keys: how the in-process token cache refreshes
//! (`tokenCache.redis`, the fleet-shared tier, has its own reader). Every
//! key is optional; absent keys keep what the code chose
//! (`FactoryOptions::cache`, by default the availability-first settings).
//! Unknown keys are ignored, as elsewhere in the file.
//!
//! ```json
//! "tokenCache": {
//!   "behavior": "AVAILABILITY_FIRST",
//!   "prefetch": "NON_BLOCKING",
//!   "stale": "UNTIL_EXPIRY",
//!   "refreshWindows": "LIFETIME_AWARE",
//!   "blockingWait": 5000,
//!   "failureBackoff": 1000,
//!   "maxFailureBackoff": 30000,
//!   "probeInterval": 500
//! }
//! ```
//!
//! The cache crate turns this into its options (`CacheOptions::configured`);
//! this layer only reads and checks it.

use std::ops::RangeInclusive;
use std::time::Duration;

use serde_json::{Map, Value};

use super::error::{ConfigError, FieldProblem};
use super::json::Fields;
use super::keys::{
    self, BEHAVIOR, BLOCKING_WAIT, FAILURE_BACKOFF, Key, MAX_FAILURE_BACKOFF, PREFETCH,
    PROBE_INTERVAL, REFRESH_WINDOWS, STALE,
};

/// The JSON path of this object.
pub const TOKEN_CACHE_PATH: &str = "tokenCache";

/// The allowed range of `blockingWait`, in milliseconds.
pub const BLOCKING_WAIT_RANGE_MS: RangeInclusive<u64> = 1..=60_000;
/// The allowed range of `failureBackoff` and `maxFailureBackoff`, in ms.
pub const FAILURE_BACKOFF_RANGE_MS: RangeInclusive<u64> = 1..=3_600_000;
/// The allowed range of `probeInterval`, in milliseconds.
pub const PROBE_INTERVAL_RANGE_MS: RangeInclusive<u64> = 10..=60_000;

/// `behavior`: the preset the other keys refine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheBehavior {
    /// `AVAILABILITY_FIRST`: the defaults (background refresh, the token
    /// served until its expiry less a margin through any refresh failure).
    AvailabilityFirst,
    /// `REFERENCE`: the reference SDK's (one caller blocks on the prefetch,
    /// STRICT past the stale time, its refresh windows).
    Reference,
}

/// `prefetch`: how a refresh in the prefetch window runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePrefetch {
    /// `NON_BLOCKING`: in the background; every caller returns at once.
    NonBlocking,
    /// `ONE_CALLER_BLOCKS`: the caller that starts it waits for it.
    OneCallerBlocks,
}

/// `stale`: what callers get past the stale time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStale {
    /// `UNTIL_EXPIRY`: the cached token at once until its expiry less the margin.
    UntilExpiry,
    /// `ALLOW`: callers wait for the refresh; on failure, the old token.
    Allow,
    /// `STRICT`: callers wait for the refresh and get its error.
    Strict,
}

/// `refreshWindows`: where a token's refresh points fall in its lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheRefreshWindows {
    /// `LIFETIME_AWARE`: short tokens refresh at half their lifetime; no
    /// token is served in its last second (at most 1/20 of its lifetime).
    LifetimeAware,
    /// `REFERENCE`: prefetch at 2/3, stale at 4/5 of the lifetime.
    Reference,
}

/// `tokenCache`'s behaviour keys; `None` for each key left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenCacheConfig {
    /// `behavior`: `AVAILABILITY_FIRST` or `REFERENCE`, applied first.
    pub behavior: Option<CacheBehavior>,
    /// `prefetch`: `NON_BLOCKING` or `ONE_CALLER_BLOCKS`.
    pub prefetch: Option<CachePrefetch>,
    /// `stale`: `UNTIL_EXPIRY`, `ALLOW` or `STRICT`.
    pub stale: Option<CacheStale>,
    /// `refreshWindows`: `LIFETIME_AWARE` or `REFERENCE`.
    pub refresh_windows: Option<CacheRefreshWindows>,
    /// `blockingWait` (ms): the longest a caller waits for a refresh.
    pub blocking_wait: Option<Duration>,
    /// `failureBackoff` (ms): the first retry delay after a failed refresh.
    pub failure_backoff: Option<Duration>,
    /// `maxFailureBackoff` (ms): the longest retry delay.
    pub max_failure_backoff: Option<Duration>,
    /// `probeInterval` (ms): how often a caller without a valid token
    /// retries a failing identity provider.
    pub probe_interval: Option<Duration>,
}

impl TokenCacheConfig {
    /// Whether no key is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `tokenCache` of a parsed configuration document (empty if absent).
    pub(crate) fn read(root: &Map<String, Value>) -> Result<Self, ConfigError> {
        let Some((_, cache)) = root
            .iter()
            .find(|(k, _)| keys::normalise(k) == "token_cache")
        else {
            return Ok(Self::default());
        };
        let cache = match cache {
            Value::Null => return Ok(Self::default()),
            Value::Object(o) => o,
            other => {
                return Err(ConfigError::field(
                    TOKEN_CACHE_PATH,
                    FieldProblem::WrongType,
                    format!("expected an object, found {}", super::json::kind_of(other)),
                ));
            }
        };
        let f = Fields::collect(cache, keys::TOKEN_CACHE, Some(TOKEN_CACHE_PATH))?;
        use CacheBehavior as B;
        use CachePrefetch as P;
        use CacheRefreshWindows as W;
        use CacheStale as S;
        let config = Self {
            behavior: f.enumerated(
                BEHAVIOR,
                &[
                    ("AVAILABILITY_FIRST", B::AvailabilityFirst),
                    ("REFERENCE", B::Reference),
                ],
            )?,
            prefetch: f.enumerated(
                PREFETCH,
                &[
                    ("NON_BLOCKING", P::NonBlocking),
                    ("ONE_CALLER_BLOCKS", P::OneCallerBlocks),
                ],
            )?,
            stale: f.enumerated(
                STALE,
                &[
                    ("UNTIL_EXPIRY", S::UntilExpiry),
                    ("ALLOW", S::Allow),
                    ("STRICT", S::Strict),
                ],
            )?,
            refresh_windows: f.enumerated(
                REFRESH_WINDOWS,
                &[
                    ("LIFETIME_AWARE", W::LifetimeAware),
                    ("REFERENCE", W::Reference),
                ],
            )?,
            blocking_wait: millis(&f, BLOCKING_WAIT, BLOCKING_WAIT_RANGE_MS)?,
            failure_backoff: millis(&f, FAILURE_BACKOFF, FAILURE_BACKOFF_RANGE_MS)?,
            max_failure_backoff: millis(&f, MAX_FAILURE_BACKOFF, FAILURE_BACKOFF_RANGE_MS)?,
            probe_interval: millis(&f, PROBE_INTERVAL, PROBE_INTERVAL_RANGE_MS)?,
        };
        if let (Some(first), Some(max)) = (config.failure_backoff, config.max_failure_backoff)
            && max < first
        {
            return Err(ConfigError::field(
                format!("{TOKEN_CACHE_PATH}.{}", MAX_FAILURE_BACKOFF.camel),
                FieldProblem::OutOfRange,
                format!(
                    "{} ms is less than failureBackoff ({} ms); make it at least that",
                    max.as_millis(),
                    first.as_millis()
                ),
            ));
        }
        Ok(config)
    }
}

fn millis(
    f: &Fields<'_>,
    key: Key,
    range: RangeInclusive<u64>,
) -> Result<Option<Duration>, ConfigError> {
    let Some(ms) = f.millis(key)? else {
        return Ok(None);
    };
    if !range.contains(&ms) {
        return Err(ConfigError::field(
            format!("{TOKEN_CACHE_PATH}.{}", key.camel),
            FieldProblem::OutOfRange,
            format!(
                "{ms} ms is outside the allowed range {}..={} ms",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(Some(Duration::from_millis(ms)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::ClientConfig;

    /// A minimal configuration with `tokenCache` set to `cache`.
    pub(crate) fn with(cache: &str) -> Result<ClientConfig, ConfigError> {
        ClientConfig::from_json_str(&format!(
            r#"{{"idaasInstanceId":"i","clientId":"c","issuer":"https://i.example","tokenEndpoint":"https://i.example/token",
                "authnConfiguration":{{"authnMethod":"CLIENT_SECRET_POST","clientSecretEnvVarName":"S"}},
                "tokenCache":{cache}}}"#
        ))
    }

    #[test]
    fn reads_every_key_in_any_spelling_beside_redis() {
        let c = with(
            r#"{"behavior":"REFERENCE","prefetch":"NON_BLOCKING","stale":"ALLOW",
                "refresh_windows":"LIFETIME_AWARE","blockingWait":2000,"failureBackoff":500,
                "MaxFailureBackoff":8000,"probeInterval":250,"redis":{"url":"redis://h"},"other":1}"#,
        )
        .unwrap();
        let t = c.token_cache;
        assert_eq!(t.behavior, Some(CacheBehavior::Reference));
        assert_eq!(t.prefetch, Some(CachePrefetch::NonBlocking));
        assert_eq!(t.stale, Some(CacheStale::Allow));
        assert_eq!(t.refresh_windows, Some(CacheRefreshWindows::LifetimeAware));
        assert_eq!(t.blocking_wait, Some(Duration::from_secs(2)));
        assert_eq!(t.failure_backoff, Some(Duration::from_millis(500)));
        assert_eq!(t.max_failure_backoff, Some(Duration::from_secs(8)));
        assert_eq!(t.probe_interval, Some(Duration::from_millis(250)));
        assert!(c.token_cache_redis.is_some());
        assert!(
            with(r#"{"redis":{"url":"redis://h"}}"#)
                .unwrap()
                .token_cache
                .is_empty()
        );
        assert!(with("null").unwrap().token_cache.is_empty());
    }

    #[test]
    fn errors_name_the_field() {
        for (cache, path, problem) in [
            ("[]", "tokenCache", FieldProblem::WrongType),
            (
                r#"{"behavior":"FAST"}"#,
                "tokenCache.behavior",
                FieldProblem::UnknownValue,
            ),
            (
                r#"{"prefetch":1}"#,
                "tokenCache.prefetch",
                FieldProblem::WrongType,
            ),
            (
                r#"{"stale":"strict"}"#,
                "tokenCache.stale",
                FieldProblem::UnknownValue,
            ),
            (
                r#"{"refreshWindows":"AWS"}"#,
                "tokenCache.refreshWindows",
                FieldProblem::UnknownValue,
            ),
            (
                r#"{"blockingWait":0}"#,
                "tokenCache.blockingWait",
                FieldProblem::OutOfRange,
            ),
            (
                r#"{"blockingWait":"5s"}"#,
                "tokenCache.blockingWait",
                FieldProblem::WrongType,
            ),
            (
                r#"{"probeInterval":5}"#,
                "tokenCache.probeInterval",
                FieldProblem::OutOfRange,
            ),
            (
                r#"{"failureBackoff":2000,"maxFailureBackoff":1000}"#,
                "tokenCache.maxFailureBackoff",
                FieldProblem::OutOfRange,
            ),
            (
                r#"{"stale":"STRICT","STALE":"ALLOW"}"#,
                "tokenCache.stale",
                FieldProblem::Duplicate,
            ),
        ] {
            let e = with(cache).unwrap_err();
            assert_eq!(e.field_path(), Some(path), "{cache}: {e}");
            assert_eq!(e.problem(), Some(problem), "{cache}: {e}");
        }
    }
}
