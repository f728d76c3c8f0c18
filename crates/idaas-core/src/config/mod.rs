//! The IDaaS client configuration: the reference SDK's `client-config.json`
//! schema, read from a file, the environment or a builder, and validated with
//! errors that name the JSON path of the offending field.
//!
//! - [`ClientConfig::load`] — explicit path > `CLOUD_IDAAS_CONFIG_PATH` >
//!   `~/.cloud_idaas/client-config.json`, then validation, then the secrets'
//!   environment variables are checked.
//! - [`ClientConfig::from_json_str`] — parse and validate text (no environment).
//! - [`ClientConfig::builder`] — typed programmatic configuration.
//!
//! Keys are accepted in camelCase and snake_case (any spelling the reference
//! normalises to the same name). `docs/configuration.md` lists every field and
//! every error.

mod builder;
mod dpop;
mod draft;
mod env;
mod error;
mod json;
mod keys;
mod load;
mod model;
mod redis_url;
mod scope;
mod token_cache;
mod token_cache_redis;

use std::path::Path;

pub use builder::ClientConfigBuilder;
pub use dpop::{DPOP_KEY_FILE_PATH, DPOP_PATH, DpopConfig};
pub use env::{Environment, MapEnv, ProcessEnv};
pub use error::{ConfigError, ConfigOrigin, FieldProblem};
pub use load::{CONFIG_PATH_ENV, DEFAULT_RELATIVE_PATH, MAX_CONFIG_BYTES, resolve_path};
pub use model::{
    AuthnConfig, AuthnMethod, AuthnMethodConfig, ClientConfig, DeployEnvironment, HttpConfig,
    IdentityType, KUBERNETES_TOKEN_PATH, OidcTokenFile, SecretSource, TIMEOUT_RANGE_MS,
};
pub use redis_url::{
    REDIS_PORT, RedisUrl, SENTINEL_PORT, check_url as check_redis_url, redact_url,
};
pub use scope::{DEFAULT_SCOPE, PAM_SCOPE, ScopeError, ScopeSpec};
pub use token_cache::{
    BLOCKING_WAIT_RANGE_MS, CacheBehavior, CachePrefetch, CacheRefreshWindows, CacheStale,
    FAILURE_BACKOFF_RANGE_MS, PROBE_INTERVAL_RANGE_MS, TOKEN_CACHE_PATH, TokenCacheConfig,
};
pub use token_cache_redis::{
    DEFAULT_KEY_ENV_VAR_NAME, GET_TIMEOUT_RANGE_MS, RedisCacheConfig, TOKEN_CACHE_REDIS_PATH,
};

impl ClientConfig {
    /// A builder for programmatic configuration.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder::default()
    }

    /// Parses and validates configuration text. Does not look at the
    /// environment; see [`ClientConfig::check_environment`].
    pub fn from_json_str(text: &str) -> Result<Self, ConfigError> {
        json::draft_from_str(text)?.validate()
    }

    /// Parses and validates an already-parsed JSON document.
    pub fn from_json_value(value: &serde_json::Value) -> Result<Self, ConfigError> {
        json::draft_from_value(value)?.validate()
    }

    /// Reads and validates a file, without checking the environment.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = load::read_file(path, ConfigOrigin::Explicit)?;
        Self::from_json_str(&text).map_err(|e| e.in_file(path))
    }

    /// Loads the configuration as the SDK does: the file from `explicit`, else
    /// `CLOUD_IDAAS_CONFIG_PATH`, else `~/.cloud_idaas/client-config.json`;
    /// validates it; and checks that the environment variables it names are set.
    pub fn load(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with(explicit, &ProcessEnv)
    }

    /// [`ClientConfig::load`] with an explicit environment.
    pub fn load_with(explicit: Option<&Path>, env: &dyn Environment) -> Result<Self, ConfigError> {
        let (path, origin) = resolve_path(explicit, env)?;
        let text = load::read_file(&path, origin)?;
        let config = Self::from_json_str(&text).map_err(|e| e.in_file(&path))?;
        config.check_environment(env)?;
        Ok(config)
    }
}
