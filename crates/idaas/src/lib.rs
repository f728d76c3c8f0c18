//! Machine-to-machine and user identity for Rust.
//!
//! `idaas` is the stable facade over the layered `idaas-*` crates: it
//! re-exports their public API under one import path and implements nothing
//! itself.
//!
//! ```
//! use idaas::config::{ClientConfig, SecretSource};
//!
//! let config = ClientConfig::builder()
//!     .idaas_instance_id("idaas_example")
//!     .client_id("app_example")
//!     .issuer("https://idp.example.com/oidc")
//!     .token_endpoint("https://idp.example.com/oidc/token")
//!     .scope("api.example.com|read:file")
//!     .client_secret_basic(SecretSource::env("IDAAS_CLIENT_SECRET"))
//!     .build()?;
//! assert_eq!(config.scope.audience(), "api.example.com");
//! # Ok::<(), idaas::config::ConfigError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use idaas_core::config;
pub use idaas_core::{Error, OAuthError, SecretString, TransportError, clock, http, secret, token};

/// IDaaS M2M credential providers, their factory and token exchange.
pub use idaas_credentials as credentials;
pub use idaas_credentials::{
    CredentialProvider, CredentialProviderFactory, FactoryOptions, SharedCredentialProvider,
    StaticCredentialProvider, TokenExchangeProvider,
};

/// The same providers for synchronous code (an internal runtime; a clear
/// error when called inside an async runtime).
pub use idaas_credentials::blocking;

/// The names most programs need: `use idaas::prelude::*;`.
pub mod prelude {
    pub use crate::config::{ClientConfig, SecretSource};
    pub use crate::scope::ScopeSet;
    pub use crate::{
        CredentialProvider, CredentialProviderFactory, FactoryOptions, StaticCredentialProvider,
    };
}

/// The PAM developer API client: API keys, JWT authentication tokens.
pub use idaas_pam as pam;

/// The token cache: refresh-ahead, single-flight, stale-if-error.
pub use idaas_cache as cache;
/// OAuth 2.0 / OpenID Connect: client authentication, JOSE, grants.
pub use idaas_oauth as oauth;
/// Scope evaluation: `resource:action` scopes, wildcards, organization roles.
pub use idaas_scope as scope;
