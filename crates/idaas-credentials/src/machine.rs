//! The machine provider: a token for one scope by the configured method,
//! behind the refresh-ahead cache.

use std::sync::Arc;
use std::time::Duration;

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
        let client = OAuthClient::new(
            self.http.clone(),
            self.config.client_id.clone(),
            endpoint.clone(),
            auth,
        )
        .with_clock(self.clock.clone());
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
/// `expires_in`. An `expires_at` already past by our clock (clock skew)
/// falls back to `expires_in`, so a skewed clock cannot make every call
/// refetch; with neither, [`DEFAULT_LIFETIME`].
pub(crate) fn token_timing(now: Duration, credential: &Credential) -> Timing {
    let expires_in = Duration::from_secs(credential.expires_in);
    let expires_at = credential
        .expires_at
        .map(Duration::from_secs)
        .filter(|at| *at > now);
    match (expires_at, expires_in.is_zero()) {
        (Some(at), _) => Timing::for_token(now, at, expires_in),
        (None, false) => Timing::for_token(now, now + expires_in, expires_in),
        (None, true) => Timing::for_token(now, now + DEFAULT_LIFETIME, DEFAULT_LIFETIME),
    }
}

/// The token of one scope, cached with the reference SDK's timings (stale at
/// 80 %, prefetch at 67 % of the lifetime), STRICT, one caller refreshing.
#[derive(Debug, Clone)]
pub struct IdaasCredentialProvider {
    requester: Arc<Requester>,
    cache: CachedSupplier<Arc<Credential>>,
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
                let timing = token_timing(r.clock.now(), &credential);
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

    /// What the fleet-shared cache did (`tokenCache.redis`; `None` when
    /// not configured): in-process hits, shared hits, IdP requests, waits
    /// for another process, Redis errors.
    #[cfg(feature = "redis")]
    pub fn fleet_counters(&self) -> Option<idaas_cache_redis::CounterSnapshot> {
        self.requester.fleet.counters()
    }
}

#[async_trait]
impl CredentialProvider for IdaasCredentialProvider {
    async fn credential(&self) -> Result<Arc<Credential>, Error> {
        if let Some(hit) = self.cache.try_hit() {
            self.requester.fleet.l1_hit();
            return Ok((*hit).clone());
        }
        Ok((*self.cache.get().await?).clone())
    }

    fn invalidate(&self) {
        self.cache.invalidate();
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
        let t = token_timing(now, &credential(Some(1_003_600), 3600));
        assert_eq!(t.expires_at, Some(S(1_003_600)));
        assert!(t.prefetch_at > now && t.stale_at < S(1_003_600));
        // the server's clock is behind ours: expires_at already past
        let skewed = token_timing(now, &credential(Some(999_000), 3600));
        assert_eq!(skewed.expires_at, Some(now + S(3600)));
        assert!(skewed.prefetch_at > now, "no refetch on every call");
        let standard = token_timing(now, &credential(None, 60));
        assert_eq!(standard.expires_at, Some(now + S(60)));
        let bare = token_timing(now, &credential(None, 0));
        assert_eq!(bare.expires_at, Some(now + DEFAULT_LIFETIME));
    }
}
