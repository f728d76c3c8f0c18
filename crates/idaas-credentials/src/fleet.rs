//! The fleet-shared token cache (`tokenCache.redis`, feature `redis`):
//! between the in-process cache and the token endpoint, the providers ask
//! the fleet's Redis first (crate `idaas-cache-redis`). Without the feature,
//! or unconfigured, [`FleetHook::fetch`] is the plain request.

use idaas_core::token::Credential;

use crate::error::Error;

#[cfg(feature = "redis")]
pub(crate) use imp::{Fleet, FleetHook};

#[cfg(not(feature = "redis"))]
pub(crate) use off::{Fleet, FleetHook};

#[cfg(feature = "redis")]
mod imp {
    use idaas_cache_redis::{
        CacheKey, CounterSnapshot, EntryId, FleetCache, FleetCounters, FleetOptions, FleetTier,
    };
    use idaas_core::clock::SharedClock;
    use idaas_core::config::{
        ClientConfig, ConfigError, Environment, FieldProblem, IdentityType, RedisCacheConfig,
        ScopeSpec, TOKEN_CACHE_REDIS_PATH,
    };

    use super::*;

    /// The process's fleet cache, if one is configured.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct Fleet(Option<FleetCache>);

    impl Fleet {
        /// From `tokenCache.redis`, overridden by `IDAAS_TOKEN_CACHE_URL`;
        /// none for a person's sign-in (`identityType: HUMAN`). Fails only on
        /// configuration (a bad URL or key); Redis is not contacted here.
        pub(crate) fn from_config(
            config: &ClientConfig,
            env: &dyn Environment,
            clock: SharedClock,
        ) -> Result<Self, Error> {
            if config.authn.identity_type == IdentityType::Human {
                return Ok(Self(None));
            }
            let settings = match env.non_blank(idaas_cache_redis::URL_ENV) {
                Some(url) => {
                    let mut from_env = RedisCacheConfig::new(idaas_cache_redis::URL_ENV, &url)?;
                    if let Some(file) = &config.token_cache_redis {
                        from_env.key_env_var_name = file.key_env_var_name.clone();
                        from_env.get_timeout = file.get_timeout;
                        from_env.count_in_process_hits = file.count_in_process_hits;
                    }
                    from_env
                }
                None => match &config.token_cache_redis {
                    Some(file) => file.clone(),
                    None => return Ok(Self(None)),
                },
            };
            let field = format!("{TOKEN_CACHE_REDIS_PATH}.keyEnvVarName");
            let key_error = |problem, e: idaas_cache_redis::Error| {
                Error::Config(ConfigError::Field {
                    path: field.clone(),
                    problem,
                    reason: e.to_string(),
                })
            };
            let key = match env.non_blank(&settings.key_env_var_name) {
                Some(text) => CacheKey::from_base64(&settings.key_env_var_name, &text)
                    .map_err(|e| key_error(FieldProblem::WrongType, e))?,
                None => match config.authn.method.client_secret() {
                    Some(secret) => {
                        let secret = secret.resolve(env, config.authn.method.secret_field())?;
                        CacheKey::from_client_secret(secret.expose_secret())
                    }
                    None => {
                        return Err(key_error(
                            FieldProblem::EnvVarNotSet,
                            idaas_cache_redis::Error::MissingKey {
                                field: settings.key_env_var_name.clone(),
                            },
                        ));
                    }
                },
            };
            let mut options = FleetOptions::new(TOKEN_CACHE_REDIS_PATH, &settings.url)
                .map_err(|e| match e {
                    idaas_cache_redis::Error::Config(c) => Error::Config(c),
                    other => Error::InvalidArgument(other.to_string()),
                })?
                .with_get_timeout(settings.get_timeout)
                .with_l1_hit_counting(settings.count_in_process_hits)
                // a dead lock holder is replaced after two token request timeouts
                .with_lease(config.http.read_timeout * 2);
            options.danger_accept_invalid_certs = config.http.unsafe_ignore_ssl_cert;
            let cache = FleetCache::new(options, key, clock).map_err(|e| match e {
                idaas_cache_redis::Error::Config(c) => Error::Config(c),
                other => Error::InvalidArgument(other.to_string()),
            })?;
            Ok(Self(Some(cache)))
        }

        /// The hook of one scope's provider. DPoP-bound tokens are shared
        /// only between holders of the same key (`dpop_jkt`, its
        /// thumbprint, is part of the entry).
        pub(crate) fn hook(
            &self,
            config: &ClientConfig,
            scope: &ScopeSpec,
            dpop_jkt: Option<&str>,
        ) -> FleetHook {
            let tier = self.0.as_ref().map(|cache| {
                cache.tier(&EntryId {
                    token_endpoint: config.token_endpoint.clone(),
                    client_id: match dpop_jkt {
                        Some(jkt) => format!("{}#dpop-jkt={jkt}", config.client_id),
                        None => config.client_id.clone(),
                    },
                    scope: scope.as_str().to_owned(),
                    audience: scope.audience().to_owned(),
                })
            });
            let l1_hits = tier
                .as_ref()
                .map(|tier| tier.counters())
                .filter(|counters| counters.counts_l1_hits())
                .cloned();
            FleetHook { tier, l1_hits }
        }
    }

    /// One provider's way to the token endpoint: through the fleet tier when
    /// one is configured.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct FleetHook {
        tier: Option<FleetTier>,
        /// Set only when in-process hits are counted: otherwise a hit pays
        /// one not-taken branch, as without a fleet tier.
        l1_hits: Option<FleetCounters>,
    }

    impl FleetHook {
        /// The shared credential, or `request`'s.
        pub(crate) async fn fetch<F, Fut>(&self, request: F) -> Result<Credential, Error>
        where
            F: FnOnce() -> Fut,
            Fut: std::future::Future<Output = Result<Credential, Error>>,
        {
            match &self.tier {
                Some(tier) => tier.fetch(request).await,
                None => request().await,
            }
        }

        /// Counts an in-process hit (when a fleet tier is configured and
        /// counts them: `countInProcessHits`).
        #[inline]
        pub(crate) fn l1_hit(&self) {
            if let Some(counters) = &self.l1_hits {
                counters.l1_hit();
            }
        }

        /// The counters of the process's fleet cache, if one is configured.
        pub(crate) fn counters(&self) -> Option<CounterSnapshot> {
            self.tier.as_ref().map(|tier| tier.counters().snapshot())
        }
    }
}

#[cfg(not(feature = "redis"))]
mod off {
    use idaas_core::clock::SharedClock;
    use idaas_core::config::{ClientConfig, Environment, ScopeSpec};

    use super::*;

    /// No fleet cache (the `redis` feature is off).
    #[derive(Debug, Clone, Default)]
    pub(crate) struct Fleet;

    impl Fleet {
        /// Nothing to build; `tokenCache.redis` is ignored.
        pub(crate) fn from_config(
            config: &ClientConfig,
            _env: &dyn Environment,
            _clock: SharedClock,
        ) -> Result<Self, Error> {
            if config.token_cache_redis.is_some() {
                tracing::warn!(
                    "tokenCache.redis is configured but this build has no `redis` feature: tokens are not shared"
                );
            }
            Ok(Self)
        }

        /// The plain hook.
        pub(crate) fn hook(
            &self,
            _config: &ClientConfig,
            _scope: &ScopeSpec,
            _dpop_jkt: Option<&str>,
        ) -> FleetHook {
            FleetHook
        }
    }

    /// The plain way to the token endpoint.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct FleetHook;

    impl FleetHook {
        /// `request`'s credential.
        pub(crate) async fn fetch<F, Fut>(&self, request: F) -> Result<Credential, Error>
        where
            F: FnOnce() -> Fut,
            Fut: std::future::Future<Output = Result<Credential, Error>>,
        {
            request().await
        }

        /// Nothing to count.
        #[inline]
        pub(crate) fn l1_hit(&self) {}
    }
}
