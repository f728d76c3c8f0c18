//! A server's JWK set, fetched and cached, refetched when a token names an
//! unknown `kid` — at most once per interval, so a flood of tokens with
//! made-up key ids cannot make us hammer the server — and JWT validation
//! against it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use idaas_core::clock::{self, SharedClock};
use idaas_core::http::SharedHttpClient;
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use crate::discovery::ProviderMetadata;
use crate::error::Error;
use crate::fetch::get_json;
use crate::jose::{JwkSet, JwtError, Validation, decode_jws, verify_decoded};

#[derive(Debug, Default)]
struct State {
    keys: Option<Arc<JwkSet>>,
    fetched_at: Duration,
    /// When the last fetch was attempted (success or not).
    attempted_at: Option<Duration>,
}

#[derive(Debug)]
struct Inner {
    http: SharedHttpClient,
    uri: String,
    clock: SharedClock,
    max_age: Duration,
    min_refetch_interval: Duration,
    state: Mutex<State>,
    fetches: AtomicU64,
}

/// The JWK set at a `jwks_uri`, cached. Cheap to clone (clones share the
/// cache); concurrent callers share one fetch.
///
/// - The set is fetched on first use and again once older than `max_age`
///   (1 hour by default).
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
        let mut state = inner.state.lock().await;
        let now = inner.clock.now();
        if let Some(keys) = &state.keys {
            let fresh = now.saturating_sub(state.fetched_at) < inner.max_age;
            let known = kid.is_none_or(|k| {
                keys.contains_kid(k) || keys.keys().iter().any(|key| key.kid().is_none())
            });
            let throttled = state
                .attempted_at
                .is_some_and(|at| now.saturating_sub(at) < inner.min_refetch_interval);
            if fresh && (known || throttled) {
                return Ok(keys.clone());
            }
            if !fresh && throttled {
                // expired, but a fetch was just attempted (and failed)
                return Ok(keys.clone());
            }
        }
        state.attempted_at = Some(now);
        inner.fetches.fetch_add(1, Ordering::Relaxed);
        match get_json(&inner.http, &inner.uri, "jwks")
            .await
            .and_then(|raw| {
                JwkSet::from_value(&Value::Object(raw)).map_err(|e| Error::InvalidResponse {
                    endpoint: inner.uri.clone(),
                    reason: e.to_string(),
                })
            }) {
            Ok(set) => {
                for reason in set.skipped() {
                    tracing::debug!(jwks_uri = %inner.uri, reason, "JWK left out");
                }
                let set = Arc::new(set);
                state.keys = Some(set.clone());
                state.fetched_at = now;
                Ok(set)
            }
            Err(e) => match &state.keys {
                // keep serving the old set; the caller's kid stays unknown
                Some(keys) => {
                    tracing::warn!(jwks_uri = %inner.uri, error = %e, "JWKS refetch failed; keeping the cached set");
                    Ok(keys.clone())
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
