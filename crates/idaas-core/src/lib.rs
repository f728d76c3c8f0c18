//! The foundation every idaas crate stands on: configuration, errors, secrets,
//! token and credential types, the clock, and the HTTP transport.
//!
//! The transport (`http::HyperClient` on hyper + rustls, retries) and the
//! blocking APIs' runtime guard are behind the default feature `transport`;
//! without it this crate pulls no hyper, rustls or tokio.
//!
//! ```
//! use idaas_core::config::{AuthnMethod, ClientConfig};
//!
//! let json = r#"{
//!   "idaasInstanceId": "idaas_example",
//!   "clientId": "app_example",
//!   "issuer": "https://example.aliyunidaas.com/api/v2/iauths_system/oauth2",
//!   "tokenEndpoint": "https://example.aliyunidaas.com/api/v2/iauths_system/oauth2/token",
//!   "authnConfiguration": {
//!     "authnMethod": "CLIENT_SECRET_POST",
//!     "clientSecretEnvVarName": "EXAMPLE_CLIENT_SECRET"
//!   }
//! }"#;
//! let config = ClientConfig::from_json_str(json)?;
//! assert_eq!(config.authn.method(), AuthnMethod::ClientSecretPost);
//! assert_eq!(config.http.connect_timeout.as_millis(), 5000);
//! # Ok::<(), idaas_core::config::ConfigError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "transport")]
pub mod blocking;
pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod percent;
pub mod secret;
pub mod token;

pub use error::{Error, OAuthError, TransportError};
pub use secret::SecretString;

/// The `User-Agent` every idaas request carries: `idaas-rust/<version>`.
pub const USER_AGENT: &str = concat!("idaas-rust/", env!("CARGO_PKG_VERSION"));
