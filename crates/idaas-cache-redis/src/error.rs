//! The crate's error: only configuration problems. Nothing that happens to
//! Redis at run time is an error a caller sees (see `docs/cache.md`).

/// Why a fleet cache could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is invalid (the error names it).
    #[error(transparent)]
    Config(#[from] idaas_core::config::ConfigError),
    /// The Redis URL is not one this crate connects to.
    #[error("{field}: {reason}")]
    InvalidUrl {
        /// The setting at fault (`tokenCache.redis.url`, `IDAAS_TOKEN_CACHE_URL`, …).
        field: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The sealing key is not 32 bytes of base64.
    #[error(
        "{field}: the token cache key must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`); {reason}"
    )]
    InvalidKey {
        /// Where the key came from (the environment variable's name).
        field: String,
        /// What is wrong (never the key itself).
        reason: String,
    },
    /// No key is configured and none can be derived from the credential.
    #[error(
        "{field}: the environment variable is not set, and the credential is not a client secret to derive the token cache key from; set it to 32 random bytes in base64"
    )]
    MissingKey {
        /// The environment variable's name.
        field: String,
    },
}
