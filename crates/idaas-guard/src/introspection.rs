//! Opaque tokens through RFC 7662 introspection: answers cached until
//! `min(exp, ttl)`, inactive tokens in a negative cache (short TTL), one
//! request per token at a time (single flight).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idaas_core::SecretString;
use idaas_core::clock::SharedClock;
use idaas_oauth::OAuthClient;
use serde_json::Value;
use tokio::sync::OnceCell;
use zeroize::Zeroize;

use crate::error::{Error, Reason, from_oauth};
use crate::principal::{Principal, TokenKind};

/// A cache key holding the token: compared and hashed as bytes, wiped on
/// drop, never printed.
#[derive(Clone, PartialEq, Eq)]
struct TokenKey(Box<str>);

impl Hash for TokenKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

// lookups by the token itself, without copying it into a key
impl std::borrow::Borrow<str> for TokenKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Drop for TokenKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// A cached answer and until when (our clock) it stands.
#[derive(Clone)]
struct Entry {
    outcome: Result<Principal, Reason>,
    until: Duration,
}

/// How many answers are stored between two sweeps of the expired ones.
const SWEEP_EVERY: u64 = 256;

type Flight = Arc<OnceCell<Result<Entry, Error>>>;

/// How introspection answers are cached.
#[derive(Debug, Clone, Copy)]
pub struct IntrospectionCache {
    /// The longest an active answer is kept (default 60 s; never past the
    /// token's `exp`).
    pub ttl: Duration,
    /// How long an inactive answer is kept (default 5 s): a revoked token is
    /// refused without a request for that long, and a token revoked after an
    /// active answer is refused at most `ttl` later.
    pub negative_ttl: Duration,
    /// The most tokens kept (default 10,000).
    pub capacity: u64,
}

impl Default for IntrospectionCache {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(60),
            negative_ttl: Duration::from_secs(5),
            capacity: 10_000,
        }
    }
}

pub(crate) struct Introspector {
    client: OAuthClient,
    settings: IntrospectionCache,
    cache: quick_cache::sync::Cache<TokenKey, Entry>,
    /// Answers stored since the last sweep of expired ones.
    inserts: AtomicU64,
    flights: Mutex<HashMap<TokenKey, Flight>>,
    requests: AtomicU64,
}

impl std::fmt::Debug for Introspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Introspector")
            .field("client_id", &self.client.client_id())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// What the verifier's checks need from the introspection answer.
pub(crate) struct Expect<'a> {
    pub issuer: &'a str,
    pub audiences: &'a [String],
    pub clock: &'a SharedClock,
    pub leeway: Duration,
}

impl Introspector {
    pub(crate) fn new(client: OAuthClient, settings: IntrospectionCache) -> Self {
        let capacity = usize::try_from(settings.capacity).unwrap_or(usize::MAX);
        Self {
            client,
            settings,
            cache: quick_cache::sync::Cache::new(capacity.max(1)),
            inserts: AtomicU64::new(0),
            flights: Mutex::new(HashMap::new()),
            requests: Default::default(),
        }
    }

    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The principal of an opaque `token`, from the cache or the server.
    pub(crate) async fn verify(
        &self,
        token: &str,
        expect: &Expect<'_>,
    ) -> Result<Principal, Error> {
        if let Some(entry) = self.cache.get(token)
            && expect.clock.now() < entry.until
        {
            return entry.outcome.map_err(Error::InvalidToken);
        }
        let key = TokenKey(token.into());
        let flight = {
            let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
            flights.entry(key.clone()).or_default().clone()
        };
        let result = flight
            .get_or_init(|| async {
                let entry = self.introspect(token, expect).await;
                if let Ok(entry) = &entry {
                    self.store(key.clone(), entry.clone(), expect.clock.now());
                }
                entry
            })
            .await
            .clone();
        {
            let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
            if flights.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                flights.remove(&key);
            }
        }
        result.and_then(|entry| entry.outcome.map_err(Error::InvalidToken))
    }

    /// Caches `entry`; every [`SWEEP_EVERY`] stores, drops the expired
    /// answers (their tokens are wiped) instead of waiting for eviction.
    fn store(&self, key: TokenKey, entry: Entry, now: Duration) {
        self.cache.insert(key, entry);
        if self.inserts.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.cache.retain(|_, e| now < e.until);
        }
    }

    async fn introspect(&self, token: &str, expect: &Expect<'_>) -> Result<Entry, Error> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let secret = SecretString::from(token.to_owned());
        let answer = self
            .client
            .introspect(&secret, Some("access_token"))
            .await
            .map_err(from_oauth)?;
        let now = expect.clock.now();
        let negative = |reason| Entry {
            outcome: Err(reason),
            until: now + self.settings.negative_ttl,
        };
        if !answer.active {
            return Ok(negative(Reason::Inactive));
        }
        let claims = answer.claims;
        if let Some(reason) = check(&claims, expect, now) {
            return Ok(negative(reason));
        }
        let exp = claims.get("exp").and_then(Value::as_u64);
        let mut until = now + self.settings.ttl;
        if let Some(exp) = exp {
            until = until.min(Duration::from_secs(exp));
        }
        let principal = Principal::new(claims, TokenKind::Opaque, expect.audiences, &["client_id"])
            .map_err(|e| e.reason().map_or(e.clone(), Error::InvalidToken));
        match principal {
            Ok(p) => Ok(Entry {
                outcome: Ok(p),
                until,
            }),
            Err(Error::InvalidToken(reason)) => Ok(negative(reason)),
            Err(e) => Err(e),
        }
    }
}

/// The checks of an active answer: not a refresh token, not expired, our
/// issuer and audience when it names them.
fn check(
    claims: &serde_json::Map<String, Value>,
    expect: &Expect<'_>,
    now: Duration,
) -> Option<Reason> {
    if claims.get("token_type").and_then(Value::as_str) == Some("refresh_token") {
        return Some(Reason::WrongType);
    }
    if let Some(exp) = claims.get("exp").and_then(Value::as_u64)
        && now.as_secs() >= exp.saturating_add(expect.leeway.as_secs())
    {
        return Some(Reason::Expired);
    }
    if let Some(iss) = claims.get("iss")
        && iss.as_str() != Some(expect.issuer)
    {
        return Some(Reason::WrongIssuer);
    }
    let ours = |a: &Value| {
        a.as_str()
            .is_some_and(|a| expect.audiences.iter().any(|x| x == a))
    };
    match claims.get("aud") {
        None => None,
        Some(Value::Array(list)) if list.iter().any(ours) => None,
        Some(single) if ours(single) => None,
        Some(_) => Some(Reason::WrongAudience),
    }
}
