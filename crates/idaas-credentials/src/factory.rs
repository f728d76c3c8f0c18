//! [`CredentialProviderFactory`]: from configuration to providers, one per
//! scope, with the first token fetched at start so misconfiguration fails fast.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use idaas_cache::CacheOptions;
use idaas_core::clock::{self, SharedClock};
use idaas_core::config::{
    AuthnMethod, ClientConfig, ConfigError, DPOP_KEY_FILE_PATH, Environment, FieldProblem,
    IdentityType, ProcessEnv, ScopeSpec,
};
use idaas_core::http::{HttpOptions, HyperClient, SharedHttpClient};
use idaas_oauth::dpop::{Dpop, DpopKey};
use tokio::sync::Mutex;

use crate::authn::Authenticator;
use crate::error::Error;
use crate::exchange::TokenExchangeProvider;
use crate::machine::{IdaasCredentialProvider, Requester};
use crate::plugin::PluginRegistry;

/// Builds and hands out the credential providers of one configuration.
///
/// A plain value, not a process-wide singleton: keep it where the
/// application keeps its clients. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CredentialProviderFactory {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Arc<ClientConfig>,
    http: SharedHttpClient,
    env: Arc<dyn Environment>,
    clock: SharedClock,
    plugins: PluginRegistry,
    cache_options: CacheOptions,
    metadata_url: Option<String>,
    human_prompt: crate::human::HumanPrompt,
    fleet: crate::fleet::Fleet,
    dpop: Option<crate::DpopBinding>,
    providers: Mutex<HashMap<String, IdaasCredentialProvider>>,
    exchanges: Mutex<HashMap<String, TokenExchangeProvider>>,
}

/// Everything a factory can be given besides the configuration.
///
/// Built from [`FactoryOptions::default`] with its `with_…` methods (new
/// settings may come, so it cannot be written as a struct literal outside
/// this crate); the fields stay readable and assignable.
///
/// ```
/// use idaas_cache::CacheOptions;
/// use idaas_credentials::FactoryOptions;
///
/// let options = FactoryOptions::default().with_cache(CacheOptions::reference());
/// assert_eq!(options.cache, CacheOptions::reference());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FactoryOptions {
    /// The HTTP client (default: a `HyperClient` with the configured timeouts).
    pub http: Option<SharedHttpClient>,
    /// Where secrets' environment variables are read (default: the process).
    pub env: Arc<dyn Environment>,
    /// The clock (default: the system clock).
    pub clock: SharedClock,
    /// Registered `PLUGIN` providers.
    pub plugins: PluginRegistry,
    /// Cache settings (default: availability first, [`CacheOptions::default`]);
    /// the configuration file's `tokenCache` keys are applied on top.
    pub cache: CacheOptions,
    /// Base URL of the cloud metadata service for `PKCS7` (default: the
    /// real one of the configured environment); for tests.
    pub metadata_url: Option<String>,
    /// How a `HUMAN` identity is told to sign in (default: two lines on stderr).
    pub human_prompt: crate::human::HumanPrompt,
}

impl Default for FactoryOptions {
    fn default() -> Self {
        Self {
            http: None,
            env: Arc::new(ProcessEnv),
            clock: clock::system(),
            plugins: PluginRegistry::new(),
            cache: CacheOptions::default(),
            metadata_url: None,
            human_prompt: crate::human::stderr_prompt(),
        }
    }
}

impl FactoryOptions {
    /// Sets [`http`](Self::http): the client every request goes through.
    pub fn with_http(mut self, http: SharedHttpClient) -> Self {
        self.http = Some(http);
        self
    }

    /// Sets [`env`](Self::env).
    pub fn with_env(mut self, env: Arc<dyn Environment>) -> Self {
        self.env = env;
        self
    }

    /// Sets [`clock`](Self::clock).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Sets [`plugins`](Self::plugins).
    pub fn with_plugins(mut self, plugins: PluginRegistry) -> Self {
        self.plugins = plugins;
        self
    }

    /// Sets [`cache`](Self::cache).
    pub fn with_cache(mut self, cache: CacheOptions) -> Self {
        self.cache = cache;
        self
    }

    /// Sets [`metadata_url`](Self::metadata_url).
    pub fn with_metadata_url(mut self, url: impl Into<String>) -> Self {
        self.metadata_url = Some(url.into());
        self
    }

    /// Sets [`human_prompt`](Self::human_prompt).
    pub fn with_human_prompt(mut self, prompt: crate::human::HumanPrompt) -> Self {
        self.human_prompt = prompt;
        self
    }
}

impl CredentialProviderFactory {
    /// Loads the configuration as the reference does (`CLOUD_IDAAS_CONFIG_PATH`,
    /// else `~/.cloud_idaas/client-config.json`) and fetches the first token.
    pub async fn init() -> Result<Self, Error> {
        Self::from_config(ClientConfig::load(None)?, FactoryOptions::default()).await
    }

    /// [`CredentialProviderFactory::init`] with an explicit file.
    pub async fn init_with(path: &Path) -> Result<Self, Error> {
        Self::from_config(ClientConfig::load(Some(path))?, FactoryOptions::default()).await
    }

    /// From a configuration: checks the environment it names, builds the
    /// default-scope provider and fetches its first token. Any failure is
    /// returned and leaves nothing half-initialised.
    pub async fn from_config(config: ClientConfig, options: FactoryOptions) -> Result<Self, Error> {
        config.check_environment(options.env.as_ref())?;
        // the file's `tokenCache` keys refine what the code chose
        let mut cache_options = options.cache.configured(&config.token_cache);
        if config.authn.identity_type == IdentityType::Human {
            // a person needs minutes, not the 5 s a machine refresh may take
            cache_options.blocking_wait = cache_options
                .blocking_wait
                .max(std::time::Duration::from_secs(900));
        }
        let http = match options.http {
            Some(http) => http,
            None => Arc::new(
                HyperClient::new(HttpOptions::from(&config.http))
                    .map_err(idaas_oauth::Error::from)?,
            ),
        };
        if options.plugins.get(crate::ALIBABA_PLUGIN_NAME).is_err() {
            options.plugins.register(
                crate::ALIBABA_PLUGIN_NAME,
                Arc::new(crate::AlibabaCloudPlugin::new(
                    http.clone(),
                    options.env.clone(),
                    options.clock.clone(),
                )),
            );
        }
        let fleet =
            crate::fleet::Fleet::from_config(&config, options.env.as_ref(), options.clock.clone())?;
        let dpop = dpop_binding(&config, options.clock.clone())?;
        let factory = Self {
            inner: Arc::new(Inner {
                fleet,
                dpop,
                config: Arc::new(config),
                http,
                env: options.env,
                clock: options.clock,
                plugins: options.plugins,
                cache_options,
                human_prompt: options.human_prompt,
                metadata_url: options.metadata_url,
                providers: Mutex::new(HashMap::new()),
                exchanges: Mutex::new(HashMap::new()),
            }),
        };
        factory.provider().await?;
        Ok(factory)
    }

    /// The configuration in force.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The HTTP client providers use (for clients built on this factory, e.g. PAM).
    pub fn http_client(&self) -> SharedHttpClient {
        self.inner.http.clone()
    }

    /// The provider of the configured scope.
    pub async fn provider(&self) -> Result<IdaasCredentialProvider, Error> {
        let scope = self.inner.config.scope.clone();
        self.provider_for(scope).await
    }

    /// The provider of `scope` (`audience|value …`), built and its first
    /// token fetched on first use; shared afterwards. Keyed by the exact string.
    pub async fn provider_for_scope(&self, scope: &str) -> Result<IdaasCredentialProvider, Error> {
        let scope =
            ScopeSpec::parse(scope).map_err(|e| Error::InvalidArgument(format!("scope: {e}")))?;
        self.provider_for(scope).await
    }

    async fn provider_for(&self, scope: ScopeSpec) -> Result<IdaasCredentialProvider, Error> {
        let mut providers = self.inner.providers.lock().await;
        if let Some(provider) = providers.get(scope.as_str()) {
            return Ok(provider.clone());
        }
        let provider =
            IdaasCredentialProvider::new(self.requester(scope.clone())?, self.inner.cache_options);
        provider.credential().await?;
        providers.insert(scope.as_str().to_owned(), provider.clone());
        Ok(provider)
    }

    /// The token-exchange provider of the configured scope.
    pub async fn token_exchange_provider(&self) -> Result<TokenExchangeProvider, Error> {
        let scope = self.inner.config.scope.clone();
        self.exchange_for(scope).await
    }

    /// The token-exchange provider of `scope`.
    pub async fn token_exchange_provider_for_scope(
        &self,
        scope: &str,
    ) -> Result<TokenExchangeProvider, Error> {
        let scope =
            ScopeSpec::parse(scope).map_err(|e| Error::InvalidArgument(format!("scope: {e}")))?;
        self.exchange_for(scope).await
    }

    async fn exchange_for(&self, scope: ScopeSpec) -> Result<TokenExchangeProvider, Error> {
        if self.inner.config.authn.method() == AuthnMethod::Plugin {
            return Err(Error::Unsupported(
                "Unsupported authentication method: PLUGIN for token exchange".into(),
            ));
        }
        let mut exchanges = self.inner.exchanges.lock().await;
        if let Some(provider) = exchanges.get(scope.as_str()) {
            return Ok(provider.clone());
        }
        let provider = TokenExchangeProvider::new(self.requester(scope.clone())?);
        exchanges.insert(scope.as_str().to_owned(), provider.clone());
        Ok(provider)
    }

    fn requester(&self, scope: ScopeSpec) -> Result<Requester, Error> {
        let inner = &self.inner;
        let auth = if inner.config.authn.identity_type == IdentityType::Human {
            Authenticator::Human(crate::human::HumanFlow::new(
                &inner.config,
                inner.env.as_ref(),
                inner.human_prompt.clone(),
            )?)
        } else {
            Authenticator::from_config(
                &inner.config.authn.method,
                &inner.config.idaas_instance_id,
                &inner.env,
                &inner.http,
                &inner.clock,
                &inner.plugins,
                inner.metadata_url.as_deref(),
            )?
        };
        let jkt = inner.dpop.as_ref().map(crate::DpopBinding::thumbprint);
        Ok(Requester {
            fleet: inner.fleet.hook(&inner.config, &scope, jkt),
            dpop: inner.dpop.clone(),
            config: inner.config.clone(),
            scope,
            auth,
            http: inner.http.clone(),
            env: inner.env.clone(),
            clock: inner.clock.clone(),
        })
    }
}

/// The DPoP key of `dpop` in the configuration: read from `keyFile`, else
/// generated (ES256) for this process; shared by every provider of the
/// factory, with the nonces their servers send.
fn dpop_binding(
    config: &ClientConfig,
    clock: SharedClock,
) -> Result<Option<crate::DpopBinding>, Error> {
    let Some(dpop) = &config.dpop else {
        return Ok(None);
    };
    let key = match &dpop.key_file {
        None => DpopKey::generate(),
        Some(path) => DpopKey::from_file(path).map_err(|e| {
            Error::Config(ConfigError::Field {
                path: DPOP_KEY_FILE_PATH.into(),
                problem: FieldProblem::InvalidFile,
                reason: format!(
                    "{e}; give a PEM private key (ES256, EdDSA or RS256) at {}",
                    path.display()
                ),
            })
        })?,
    };
    Ok(Some(crate::DpopBinding::new(Dpop::new(key), clock)))
}
