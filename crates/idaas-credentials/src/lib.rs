//! IDaaS machine-to-machine credential providers, their factory and token
//! exchange, wire-compatible with the reference `cloud-idaas-core` SDK.
//!
//! ```no_run
//! use idaas_credentials::{CredentialProvider, CredentialProviderFactory};
//!
//! # async fn run() -> Result<(), idaas_credentials::Error> {
//! // CLOUD_IDAAS_CONFIG_PATH or ~/.cloud_idaas/client-config.json
//! let factory = CredentialProviderFactory::init().await?;
//! let provider = factory.provider().await?;
//! let token = provider.bearer_token().await?; // cached, refreshed ahead of expiry
//! # let _ = token; Ok(()) }
//! ```
//!
//! - [`CredentialProvider`] — the interface; [`StaticCredentialProvider`] for
//!   a credential obtained elsewhere;
//! - [`IdaasCredentialProvider`] — one scope's token by the configured
//!   `authnMethod`, behind the refresh-ahead cache;
//! - [`TokenExchangeProvider`] — RFC 8693 with the reference's parameters;
//! - [`CredentialProviderFactory`] — configuration to providers, one per scope;
//! - [`resource_authorization`] — the headers of a resource call:
//!   `Bearer`, or `DPoP` with a proof when `dpop` binds the tokens;
//! - [`evidence`] — the OIDC token file and the cloud metadata services;
//! - [`CredentialPlugin`] and [`PluginRegistry`] — `PLUGIN` providers;
//! - [`blocking`] — the same for synchronous callers.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod authn;
pub mod blocking;
mod error;
pub mod evidence;
mod exchange;
mod factory;
mod fleet;
mod human;
mod machine;
mod plugin;
mod provider;
mod resource;
mod token;

pub use authn::{ID_TOKEN_BEARER, PKCS7_BEARER, X509_JWT_BEARER};
pub use error::Error;
pub use exchange::TokenExchangeProvider;
pub use factory::{CredentialProviderFactory, FactoryOptions};
pub use human::{HUMAN_CREDENTIAL_CACHE_PATH_ENV, HumanPrompt, stderr_prompt};
pub use machine::{DEFAULT_LIFETIME, IdaasCredentialProvider};
pub use plugin::{
    ALIBABA_PLUGIN_NAME, AccessKey, AlibabaCloudPlugin, CredentialPlugin, GENERATE_OAUTH_TOKEN,
    PluginRegistry, acs3_authorization,
};
pub use provider::{CredentialProvider, SharedCredentialProvider, StaticCredentialProvider};
pub use resource::{
    DpopBinding, ResourceAuthorization, ResourceRetry, resource_authorization, resource_retry,
};
pub use token::{BearerToken, TokenFuture};
