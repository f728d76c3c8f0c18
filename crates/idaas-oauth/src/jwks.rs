//! A server's JWK set, fetched and cached, refetched when a token names an
//! unknown `kid` — at most once per interval, so a flood of tokens with
//! made-up key ids cannot make us hammer the server — and JWT validation
//! against it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use idaas_core::clock::{self, SharedClock};
use idaas_core::http::SharedHttpClient;
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use crate::discovery::ProviderMetadata;
use crate::error::Error;
use crate::fetch::get;
use crate::jose::{JwkSet, JwtError, Validation, decode_jws, verify_decoded};
use crate::response::json_object;

#[derive(Debug, Default)]
struct State {
    /// When the last fetch was attempted (success or not).
    attempted_at: Option<Duration>,
}

/// A fetched set: read without a lock on the hot path.
#[derive(Debug)]
struct Snapshot {
    keys: Arc<JwkSet>,
    fetched_at: Duration,
    /// How long this set is used: the response's `Cache-Control: max-age`
    /// within [`min_refetch_interval`, `max_age`], else `max_age`.
    max_age: Duration,
}

impl Snapshot {
    fn knows(&self, kid: Option<&str>) -> bool {
        kid.is_none_or(|k| {
            self.keys.contains_kid(k) || self.keys.keys().iter().any(|key| key.kid().is_none())
        })
    }

    fn fresh(&self, now: Duration) -> bool {
        now.saturating_sub(self.fetched_at) < self.max_age
    }
}

/// The `max-age` of a `Cache-Control` header (`no-store` and `no-cache`
/// count as 0).
fn cache_max_age(headers: &idaas_core::http::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(idaas_core::http::header::CACHE_CONTROL)?
        .to_str()
        .ok()?;
    let mut max_age = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(secs) = lower.strip_prefix("max-age=") {
            max_age = secs.trim_matches('"').parse().ok().map(Duration::from_secs);
        }
    }
    max_age
}

#[derive(Debug)]
struct Inner {
    http: SharedHttpClient,
    uri: String,
    clock: SharedClock,
    max_age: Duration,
    min_refetch_interval: Duration,
    /// The current set, read lock-free.
    current: ArcSwapOption<Snapshot>,
    /// Held by the one fetch in flight (single flight).
    state: Mutex<State>,
    fetches: AtomicU64,
}

/// The JWK set at a `jwks_uri`, cached. Cheap to clone (clones share the
/// cache); concurrent callers share one fetch.
///
/// - The set is fetched on first use and again once older than its
///   response's `Cache-Control: max-age`, bounded by `max_age` (1 hour by
///   default) above and the refetch interval below.
/// - A token whose `kid` is in the current set is served without a lock;
///   while a refresh is in flight, callers whose `kid` the old set knows get
///   the old set instead of waiting; when a fetch fails the old set is kept
///   (stale while the server is down).
/// - A token whose `kid` is not in the set triggers a refetch (key
///   rotation), but only when the last fetch attempt is at least
///   `min_refetch_interval` old (30 s by default); otherwise the token is
///   rejected with [`JwtError::UnknownKey`] without any request.
#[derive(Debug, Clone)]
pub struct RemoteJwks {
    inner: Arc<Inner>,
}

impl RemoteJwks {
    /// The key set at `jwks_uri`.
    pub fn new(http: SharedHttpClient, jwks_uri: impl Into<String>) -> Self {
        Self::build(
            http,
            jwks_uri.into(),
            clock::system(),
            Duration::from_secs(3600),
            Duration::from_secs(30),
        )
    }

    fn build(
        http: SharedHttpClient,
        uri: String,
        clock: SharedClock,
        max_age: Duration,
        min_refetch_interval: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                http,
                uri,
                clock,
                max_age,
                min_refetch_interval,
                current: ArcSwapOption::empty(),
                state: Mutex::new(State::default()),
                fetches: AtomicU64::new(0),
            }),
        }
    }

    fn rebuild(
        self,
        clock: Option<SharedClock>,
        max_age: Option<Duration>,
        interval: Option<Duration>,
    ) -> Self {
        let i = &self.inner;
        Self::build(
            i.http.clone(),
            i.uri.clone(),
            clock.unwrap_or_else(|| i.clock.clone()),
            max_age.unwrap_or(i.max_age),
            interval.unwrap_or(i.min_refetch_interval),
        )
    }

    /// The clock for the cache's times (a fresh, empty cache).
    pub fn with_clock(self, clock: SharedClock) -> Self {
        self.rebuild(Some(clock), None, None)
    }

    /// How long a fetched set is used before it is fetched again.
    pub fn with_max_age(self, max_age: Duration) -> Self {
        self.rebuild(None, Some(max_age), None)
    }

    /// The least time between two fetches caused by unknown key ids.
    pub fn with_min_refetch_interval(self, interval: Duration) -> Self {
        self.rebuild(None, None, Some(interval))
    }

    /// The `jwks_uri`.
    pub fn uri(&self) -> &str {
        &self.inner.uri
    }

    /// How many fetches were made (for monitoring and tests).
    pub fn fetch_count(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// The current key set, fetched when missing or older than `max_age`.
    pub async fn keys(&self) -> Result<Arc<JwkSet>, Error> {
        self.keys_for(None).await
    }

    /// The key set to verify a token naming `kid`: the cached set if it has
    /// that key, else a refetched one when the rate limit allows.
    pub async fn keys_for(&self, kid: Option<&str>) -> Result<Arc<JwkSet>, Error> {
        let inner = &self.inner;
        let current = inner.current.load_full();
        if let Some(snap) = &current
            && snap.knows(kid)
            && snap.fresh(inner.clock.now())
        {
            return Ok(snap.keys.clone());
        }
        let mut state = match inner.state.try_lock() {
            Ok(state) => state,
            // a fetch is in flight: the old set serves the kids it knows
            Err(_) => match &current {
                Some(snap) if snap.knows(kid) => return Ok(snap.keys.clone()),
                _ => inner.state.lock().await,
            },
        };
        let now = inner.clock.now();
        // the fetch we may have waited for could have brought the key
        let current = inner.current.load_full();
        if let Some(snap) = &current {
            let throttled = state
                .attempted_at
                .is_some_and(|at| now.saturating_sub(at) < inner.min_refetch_interval);
            let fresh = snap.fresh(now);
            if fresh && snap.knows(kid) {
                return Ok(snap.keys.clone());
            }
            if throttled {
                // unknown kid within the interval, or expired and a fetch
                // was just attempted (and failed): no request
                return Ok(snap.keys.clone());
            }
        }
        state.attempted_at = Some(now);
        inner.fetches.fetch_add(1, Ordering::Relaxed);
        let fetched = get(&inner.http, &inner.uri, "jwks")
            .await
            .and_then(|response| {
                let raw = json_object(&inner.uri, &response)?;
                let set = JwkSet::from_value(&Value::Object(raw)).map_err(|e| {
                    Error::InvalidResponse {
                        endpoint: inner.uri.clone(),
                        reason: e.to_string(),
                    }
                })?;
                Ok((set, cache_max_age(response.headers())))
            });
        match fetched {
            Ok((set, header_age)) => {
                for reason in set.skipped() {
                    tracing::debug!(jwks_uri = %inner.uri, reason, "JWK left out");
                }
                let set = Arc::new(set);
                let max_age = header_age
                    .map(|age| age.clamp(inner.min_refetch_interval, inner.max_age))
                    .unwrap_or(inner.max_age);
                inner.current.store(Some(Arc::new(Snapshot {
                    keys: set.clone(),
                    fetched_at: now,
                    max_age,
                })));
                Ok(set)
            }
            Err(e) => match &current {
                // keep serving the old set; the caller's kid stays unknown
                Some(snap) => {
                    tracing::warn!(jwks_uri = %inner.uri, error = %e, "JWKS refetch failed; keeping the cached set");
                    Ok(snap.keys.clone())
                }
                None => Err(e),
            },
        }
    }
}

/// Validates JWTs (access tokens, ID tokens, assertions) signed by a server's
/// keys: signature with the per-key algorithm allow-list, then `iss`, `aud`,
/// `exp`, `nbf`, `iat` with leeway.
#[derive(Debug, Clone)]
pub struct JwtValidator {
    jwks: RemoteJwks,
    validation: Validation,
    clock: SharedClock,
}

impl JwtValidator {
    /// A validator of tokens signed by the keys of `jwks`.
    pub fn new(jwks: RemoteJwks, validation: Validation) -> Self {
        Self {
            jwks,
            validation,
            clock: clock::system(),
        }
    }

    /// A validator of tokens issued by the server of `metadata` for
    /// `audience`.
    pub fn for_issuer(
        http: SharedHttpClient,
        metadata: &ProviderMetadata,
        audience: impl Into<String>,
    ) -> Result<Self, Error> {
        let jwks_uri = metadata.jwks_uri.clone().ok_or_else(|| {
            Error::Misconfigured(format!("{} publishes no jwks_uri", metadata.issuer))
        })?;
        Ok(Self::new(
            RemoteJwks::new(http, jwks_uri),
            Validation {
                issuer: Some(metadata.issuer.clone()),
                audience: Some(audience.into()),
                ..Validation::default()
            },
        ))
    }

    /// The clock for `exp`/`nbf`/`iat` checks (not the key cache's).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The key set.
    pub fn jwks(&self) -> &RemoteJwks {
        &self.jwks
    }

    /// The claim rules.
    pub fn validation(&self) -> &Validation {
        &self.validation
    }

    /// Verifies and validates `token`, returning its claims.
    pub async fn validate(&self, token: &str) -> Result<Map<String, Value>, Error> {
        let jws = decode_jws(token)?;
        let keys = self.jwks.keys_for(jws.kid()).await?;
        verify_decoded(&jws, keys.keys())?;
        self.validation.check(&jws.claims, self.clock.now())?;
        Ok(jws.claims)
    }
}

impl From<JwtError> for Error {
    fn from(e: JwtError) -> Self {
        Error::Jwt(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idaas_core::http::{HeaderMap, HeaderValue, header};

    fn age(value: &str) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_str(value).unwrap());
        cache_max_age(&headers)
    }

    #[test]
    fn cache_control_max_age() {
        assert_eq!(age("public, max-age=600"), Some(Duration::from_secs(600)));
        assert_eq!(age("Max-Age=\"60\""), Some(Duration::from_secs(60)));
        assert_eq!(age("no-store"), Some(Duration::ZERO));
        assert_eq!(age("max-age=600, no-cache"), Some(Duration::ZERO));
        assert_eq!(age("public"), None);
        assert_eq!(age("max-age=soon"), None);
        assert_eq!(cache_max_age(&HeaderMap::new()), None);
    }
}
