//! Machine-to-machine and user identity for Rust.
//!
//! `idaas` is the stable facade over the layered `idaas-*` crates: it
//! re-exports their public API under one import path and implements nothing
//! itself.
//!
//! An M2M token by client secret, from an IDaaS configuration, cached and
//! refreshed ahead of its expiry (here against the embedded emulator, so the
//! example runs anywhere; with a real tenant, drop the emulator and call
//! [`CredentialProviderFactory::init`] with your `client-config.json`):
//!
//! ```
//! # #[cfg(feature = "credentials")]
//! # #[tokio::main]
//! # async fn main() -> Result<(), idaas::Error> {
//! use idaas::prelude::*;
//! # use idaas_emulator::{Client, Emulator};
//! # let emulator = Emulator::builder()
//! #     .client(Client::new("app_example").with_secret("example-secret"))
//! #     .start()
//! #     .await
//! #     .expect("the emulator starts");
//! # let issuer = emulator.base_url().to_owned();
//! # let token_endpoint = emulator.token_endpoint().to_owned();
//!
//! let config = ClientConfig::builder()
//!     .idaas_instance_id("idaas_example")
//!     .client_id("app_example")
//!     .issuer(&issuer)
//!     .token_endpoint(&token_endpoint)
//!     .scope("api.example.com|read:file")
//!     .client_secret_basic(SecretSource::Value("example-secret".into()))
//!     .build()?;
//! // fetches the first token now: a misconfiguration fails here, naming the field
//! let factory = CredentialProviderFactory::from_config(config, FactoryOptions::default()).await?;
//! let provider: Provider = factory.provider().await?; // nameable, storable
//! let token = provider.bearer_token().await?; // a BearerToken: never printed
//! assert_eq!(provider.bearer_token().await?, token); // a hit: no allocation, no copy
//! // the cache's times, for metrics: refreshed in the background from refresh_at
//! assert!(provider.refresh_at() < provider.expires_at());
//!
//! // local authorization decisions, no network call
//! let scopes = ScopeSet::new(["projects:**", "users:read"]);
//! assert!(scopes.allows("delete", "projects.tasks.comments"));
//! assert!(!scopes.allows("write", "users"));
//! # assert_eq!(emulator.token_requests("app_example"), 1);
//! # Ok(()) }
//! # #[cfg(not(feature = "credentials"))]
//! # fn main() {}
//! ```
//!
//! What is here (each optional layer behind the feature of the same name;
//! the default features give all of them):
//!
//! - [`config`], [`token`], [`secret`], [`http`], [`clock`] and the shared
//!   errors — the core, always present;
//! - [`CredentialProviderFactory`] and the providers of every IDaaS
//!   `authnMethod`, token exchange, static credentials, and [`blocking`]
//!   for synchronous code (feature `credentials`);
//! - [`oauth`] — OAuth 2.0 / OpenID Connect: client authentication, JOSE,
//!   grants, discovery, JWT validation, user sign-in flows (feature `oauth`);
//! - [`pam`] — the PAM developer API client (feature `pam`);
//! - [`scope`] — `resource:action` scopes and organization roles (feature
//!   `scope`);
//! - [`cache`] — the refresh-ahead token cache (feature `cache`);
//! - `guard` — the resource-server side: verify incoming access tokens
//!   (RFC 9068 JWTs, RFC 7662 introspection), authorize with scopes, the
//!   `RequireToken` and `BearerAuth` tower layers (feature `guard`; the
//!   axum extractor with feature `axum`);
//! - `cache_redis` — the fleet-shared token cache on Redis behind
//!   `tokenCache.redis` (feature `redis`);
//! - [`Error`] — any error of the layers above: every call's error converts
//!   into it with `?` (as in the example), and [`Error::chain`] prints it
//!   with its causes, each once;
//! - [`prelude`] — the names most programs need.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// docs.rs (`--cfg docsrs`, nightly) marks each feature-gated item with its feature
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;

pub use error::{Chain, Error, Result};
/// The core layer's error (configuration, transport, OAuth error response);
/// [`Error::Core`] holds it.
pub use idaas_core::Error as CoreError;
pub use idaas_core::config;
pub use idaas_core::{OAuthError, SecretString, TransportError, clock, http, secret, token};

/// IDaaS M2M credential providers, their factory and token exchange.
#[cfg(feature = "credentials")]
#[cfg_attr(docsrs, doc(cfg(feature = "credentials")))]
pub use idaas_credentials as credentials;
/// The provider the factory hands out: one scope's token behind the
/// refresh-ahead cache, with inherent methods (`bearer_token`, `credential`,
/// `expires_at`, `refresh_at`, `stale_at`…) — no trait import needed.
#[cfg(feature = "credentials")]
#[cfg_attr(docsrs, doc(cfg(feature = "credentials")))]
pub use idaas_credentials::IdaasCredentialProvider as Provider;
#[cfg(feature = "credentials")]
#[cfg_attr(docsrs, doc(cfg(feature = "credentials")))]
pub use idaas_credentials::{
    BearerToken, CredentialProvider, CredentialProviderFactory, FactoryOptions,
    SharedCredentialProvider, StaticCredentialProvider, TokenExchangeProvider, TokenFuture,
};

/// The same providers for synchronous code (an internal runtime; a clear
/// error when called inside an async runtime).
#[cfg(feature = "credentials")]
#[cfg_attr(docsrs, doc(cfg(feature = "credentials")))]
pub use idaas_credentials::blocking;

/// The names most programs need: `use idaas::prelude::*;`.
pub mod prelude {
    pub use crate::config::{ClientConfig, SecretSource};
    #[cfg(feature = "scope")]
    pub use crate::scope::ScopeSet;
    #[cfg(feature = "credentials")]
    pub use crate::{
        CredentialProvider, CredentialProviderFactory, FactoryOptions, Provider,
        StaticCredentialProvider,
    };
}

/// The PAM developer API client: API keys, OAuth and JWT authentication tokens.
#[cfg(feature = "pam")]
#[cfg_attr(docsrs, doc(cfg(feature = "pam")))]
pub use idaas_pam as pam;

/// The token cache: refresh-ahead, single-flight, stale-if-error.
#[cfg(feature = "cache")]
#[cfg_attr(docsrs, doc(cfg(feature = "cache")))]
pub use idaas_cache as cache;
/// The fleet-shared (L2) token cache on Redis (feature `redis`).
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use idaas_cache_redis as cache_redis;
/// The resource-server side: token verification, scopes, tower layers.
#[cfg(feature = "guard")]
#[cfg_attr(docsrs, doc(cfg(feature = "guard")))]
pub use idaas_guard as guard;
/// OAuth 2.0 / OpenID Connect: client authentication, JOSE, grants, user flows.
#[cfg(feature = "oauth")]
#[cfg_attr(docsrs, doc(cfg(feature = "oauth")))]
pub use idaas_oauth as oauth;
/// Scope evaluation: `resource:action` scopes, wildcards, organization roles.
#[cfg(feature = "scope")]
#[cfg_attr(docsrs, doc(cfg(feature = "scope")))]
pub use idaas_scope as scope;
