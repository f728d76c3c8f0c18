//! The machine provider: a token for one scope by the configured method,
//! behind the refresh-ahead cache.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use idaas_cache::{CacheOptions, CachedSupplier, Refreshed, SupplierError, Timing};
use idaas_core::clock::SharedClock;
use idaas_core::config::{ClientConfig, Environment, ScopeSpec};
use idaas_core::http::SharedHttpClient;
use idaas_core::token::Credential;
use idaas_oauth::OAuthClient;
use idaas_oauth::form::Form;

use crate::authn::Authenticator;
use crate::error::Error;
use crate::provider::CredentialProvider;
use crate::token::{BearerToken, TokenFuture};

/// Lifetime assumed for a token whose response carries no expiry at all.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// What a token request needs, shared by the machine and exchange providers.
#[derive(Debug)]
pub(crate) struct Requester {
    pub config: Arc<ClientConfig>,
    pub scope: ScopeSpec,
    pub auth: Authenticator,
    pub http: SharedHttpClient,
    pub env: Arc<dyn Environment>,
    pub clock: SharedClock,
    /// The fleet-shared tier between the cache and the endpoint (`tokenCache.redis`).
    pub fleet: crate::fleet::FleetHook,
    /// The DPoP key every token request proves (`dpop`), if configured.
    pub dpop: Option<crate::DpopBinding>,
}

impl Requester {
    /// Posts the client's authentication, then `grant` fields.
    pub(crate) async fn request(
        &self,
        grant: Form,
        grant_name: &'static str,
    ) -> Result<Credential, Error> {
        let endpoint = &self.config.token_endpoint;
        let (auth, mut form) = self
            .auth
            .prepare(
                &self.config.client_id,
                endpoint,
                self.env.as_ref(),
                self.clock.now(),
            )
            .await?;
        form.append(grant);
        let mut client = OAuthClient::new(
            self.http.clone(),
            self.config.client_id.clone(),
            endpoint.clone(),
            auth,
        )
        .with_clock(self.clock.clone());
        if let Some(binding) = &self.dpop {
            client = client.with_dpop(binding.dpop().clone());
        }
        Ok(client.token(grant_name, form).await?.credential)
    }

    async fn fetch(&self) -> Result<Credential, Error> {
        match &self.auth {
            Authenticator::Plugin(plugin) => return plugin.fetch(&self.config, &self.scope).await,
            Authenticator::Human(flow) => {
                return flow.fetch(&self.scope, &self.http, &self.clock).await;
            }
            _ => {}
        }
        let mut grant = Form::new();
        grant
            .push("grant_type", "client_credentials")
            .push("scope", self.scope.as_str());
        self.request(grant, "client_credentials").await
    }
}

/// When to refresh a token: from the server's `expires_at` (IDaaS) or
/// `expires_in`, by the cache's [`RefreshWindows`](idaas_cache::RefreshWindows).
/// An `expires_at` already past by our clock (clock skew) falls back to
/// `expires_in`, so a skewed clock cannot make every call refetch; with
/// neither, [`DEFAULT_LIFETIME`].
pub(crate) fn token_timing(
    options: &CacheOptions,
    now: Duration,
    credential: &Credential,
) -> Timing {
    let expires_in = Duration::from_secs(credential.expires_in);
    let expires_at = credential
        .expires_at
        .map(Duration::from_secs)
        .filter(|at| *at > now);
    match (expires_at, expires_in.is_zero()) {
        (Some(at), _) => options.token_timing(now, at, expires_in),
        (None, false) => options.token_timing(now, now + expires_in, expires_in),
        (None, true) => options.token_timing(now, now + DEFAULT_LIFETIME, DEFAULT_LIFETIME),
    }
}

/// The token of one scope, behind the refresh-ahead cache — the provider
/// the factory hands out, re-exported by the facade as `idaas::Provider`.
///
/// Its methods are inherent: no trait import is needed to call them, and
/// [`bearer_token`](Self::bearer_token) answers a cache hit synchronously,
/// without allocating or writing shared memory. As an
/// `Arc<dyn CredentialProvider>` it behaves the same. The cache's times are
/// readable for metrics ([`expires_at`](Self::expires_at),
/// [`refresh_at`](Self::refresh_at), [`stale_at`](Self::stale_at)). Cheap to
/// clone; clones share the cache.
#[derive(Debug, Clone)]
pub struct IdaasCredentialProvider {
    requester: Arc<Requester>,
    cache: CachedSupplier<Arc<Credential>>,
}

fn system_time(since_epoch: Duration) -> SystemTime {
    UNIX_EPOCH + since_epoch
}

impl IdaasCredentialProvider {
    pub(crate) fn new(requester: Requester, options: CacheOptions) -> Self {
        let requester = Arc::new(requester);
        let r = requester.clone();
        let clock = requester.clock.clone();
        let cache = CachedSupplier::new(options, clock, move || {
            let r = r.clone();
            async move {
                let credential = r
                    .fleet
                    .fetch(|| r.fetch())
                    .await
                    .map_err(SupplierError::new)?;
                let timing = token_timing(&options, r.clock.now(), &credential);
                Ok(Refreshed {
                    value: Arc::new(credential),
                    timing,
                })
            }
        });
        Self { requester, cache }
    }

    /// The scope this provider serves.
    pub fn scope(&self) -> &ScopeSpec {
        &self.requester.scope
    }

    /// The DPoP key this provider's tokens are bound to (`dpop`), if any.
    pub fn dpop(&self) -> Option<&crate::DpopBinding> {
        self.requester.dpop.as_ref()
    }

    /// What the fleet-shared cache did (`tokenCache.redis`; `None` when
    /// not configured): in-process hits, shared hits, IdP requests, waits
    /// for another process, Redis errors.
    #[cfg(feature = "redis")]
    pub fn fleet_counters(&self) -> Option<idaas_cache_redis::CounterSnapshot> {
        self.requester.fleet.counters()
    }

    /// The access token: ready at once on a cache hit, else after the one
    /// shared refresh (see [`BearerToken`] for how long to hold it).
    #[inline]
    pub fn bearer_token(&self) -> TokenFuture<'static> {
        match self.cache.try_hit() {
            Some(hit) => {
                self.requester.fleet.l1_hit();
                TokenFuture::ready(BearerToken::cached(hit))
            }
            None => {
                let get = self.cache.get();
                TokenFuture::pending(async move { Ok(BearerToken::cached(get.await?)) })
            }
        }
    }

    /// The token if it is a cache hit now (synchronous, no allocation).
    #[inline]
    pub fn cached_token(&self) -> Option<BearerToken> {
        self.cache.try_hit().map(BearerToken::cached)
    }

    /// The current credential, shared.
    pub async fn credential(&self) -> Result<Arc<Credential>, Error> {
        if let Some(hit) = self.cache.try_hit() {
            self.requester.fleet.l1_hit();
            return Ok((*hit).clone());
        }
        Ok((*self.cache.get().await?).clone())
    }

    /// Forgets the cached credential (after a 401 from a resource server):
    /// the next callers share one refresh.
    pub fn invalidate(&self) {
        self.cache.invalidate();
    }

    /// The cached token's times (`None` before the first token or after
    /// [`invalidate`](Self::invalidate)).
    pub fn timing(&self) -> Option<Timing> {
        self.cache.timing()
    }

    /// When the cached token expires (the server's expiry).
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.timing()?.expires_at.map(system_time)
    }

    /// When the next refresh starts (the prefetch time; in the background
    /// by default).
    pub fn refresh_at(&self) -> Option<SystemTime> {
        self.timing().map(|t| system_time(t.prefetch_at))
    }

    /// The stale time: callers wait for a refresh from here under
    /// [`StaleBehavior::Strict`](idaas_cache::StaleBehavior::Strict) or
    /// `Allow`; by default the token is still served at once.
    pub fn stale_at(&self) -> Option<SystemTime> {
        self.timing().map(|t| system_time(t.stale_at))
    }

    /// The last moment the cached token is handed out: its expiry less the
    /// safety margin.
    pub fn served_until(&self) -> Option<SystemTime> {
        self.timing()?.served_until().map(system_time)
    }

    /// The cache settings this provider runs with.
    pub fn cache_options(&self) -> &CacheOptions {
        self.cache.options()
    }
}

#[async_trait]
impl CredentialProvider for IdaasCredentialProvider {
    async fn credential(&self) -> Result<Arc<Credential>, Error> {
        IdaasCredentialProvider::credential(self).await
    }

    #[inline]
    fn cached_token(&self) -> Option<BearerToken> {
        IdaasCredentialProvider::cached_token(self)
    }

    #[inline]
    fn bearer_token(&self) -> TokenFuture<'_> {
        IdaasCredentialProvider::bearer_token(self)
    }

    fn invalidate(&self) {
        IdaasCredentialProvider::invalidate(self);
    }

    fn dpop(&self) -> Option<&crate::DpopBinding> {
        IdaasCredentialProvider::dpop(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn credential(expires_at: Option<u64>, expires_in: u64) -> Credential {
        let mut c = Credential::bearer("t", expires_at);
        c.expires_in = expires_in;
        c
    }

    #[test]
    fn timing_follows_expires_at_then_expires_in_then_the_default() {
        let now = S(1_000_000);
        for o in [CacheOptions::reference(), CacheOptions::default()] {
            let t = token_timing(&o, now, &credential(Some(1_003_600), 3600));
            assert_eq!(t.expires_at, Some(S(1_003_600)));
            assert!(t.prefetch_at > now && t.stale_at < S(1_003_600));
            // the server's clock is behind ours: expires_at already past
            let skewed = token_timing(&o, now, &credential(Some(999_000), 3600));
            assert_eq!(skewed.expires_at, Some(now + S(3600)));
            assert!(skewed.prefetch_at > now, "no refetch on every call");
            let standard = token_timing(&o, now, &credential(None, 60));
            assert_eq!(standard.expires_at, Some(now + S(60)));
            let bare = token_timing(&o, now, &credential(None, 0));
            assert_eq!(bare.expires_at, Some(now + DEFAULT_LIFETIME));
        }
    }
}
