//! Client of the IDaaS PAM developer API: API keys, OAuth access tokens of
//! credential providers (machine-to-machine or after a person authorizes),
//! JWT authentication tokens and their lifecycle, and temporary cloud-role
//! STS credentials — fetched with the workload's own bearer token instead of
//! long-lived secrets.
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

/// The transport (headers, paths, errors, 401 retry), API keys and JWT tokens.
mod client;
mod error;
/// JWT authentication tokens and their records.
mod model;
/// OAuth tokens: what they take and return.
mod oauth_model;
/// OAuth tokens: fetch (m2m, user federation), sessions, polling.
mod oauth_tokens;
/// Cloud-account role STS credentials: the operation.
mod sts;
/// Cloud-account role STS credentials: the types.
mod sts_model;

pub use client::{API_VERSION, PamClient, PamClientBuilder, RESERVED_AUDIENCE_PREFIX};
pub use error::Error;
pub use model::{
    AuthenticationToken, GenerateJwt, JwtAuthenticationToken, JwtContent, TokenFilter, TokenPage,
};
pub use oauth_model::{
    AuthorizationFlow, AuthorizationSession, FetchOAuthToken, MAX_SCOPE_LEN,
    OAuthAccessTokenContent, OAuthAuthenticationToken, OAuthAuthorizationSession, PollOptions,
    SessionStatus,
};
pub use sts_model::{
    AlibabaCloudStsToken, AwsStsToken, CloudAccountRoleCredential, MAX_ROLE_DURATION_SECS,
    MIN_ROLE_DURATION_SECS, RoleAccessCredential, StsCredential, TencentCloudStsToken,
};
