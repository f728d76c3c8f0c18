//! Client of the IDaaS PAM developer API: API keys and JWT authentication
//! tokens and their lifecycle, fetched with the workload's own bearer token
//! instead of long-lived secrets.
//!
//! ```no_run
//! use idaas_credentials::CredentialProviderFactory;
//! use idaas_pam::PamClient;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let factory = CredentialProviderFactory::init().await?;
//! let pam = PamClient::from_factory(&factory).await?; // scope urn:cloud:idaas:pam|.all
//! if let Some(key) = pam.get_api_key("openai-prod").await? {
//!     // key.expose_secret() where the key must leave the process
//! #   let _ = key;
//! }
//! # Ok(()) }
//! ```
//!
//! Every operation sends the developer API's method, path, headers and fields
//! (`../shared/spec/idaas-pam.md`); arguments the API would reject (missing
//! fields, the reserved audience prefix `urn:cloud:idaas`) fail before any
//! request; a 401 refreshes the bearer token once and retries once; API
//! errors are [`Error::Api`] with the HTTP status, code, message and request id.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod error;
mod model;

pub use client::{API_VERSION, PamClient, PamClientBuilder, RESERVED_AUDIENCE_PREFIX};
pub use error::Error;
pub use model::{
    AuthenticationToken, GenerateJwt, JwtAuthenticationToken, JwtContent, TokenFilter, TokenPage,
};
