//! Client of the IDaaS PAM developer API: API keys, OAuth access tokens of
//! credential providers (machine-to-machine or after a person authorizes),
//! JWT authentication tokens and their lifecycle, and temporary cloud-role
//! STS credentials — fetched with the workload's own bearer token instead of
//! long-lived secrets.
//!
//! ```
//! use idaas_pam::{AuthorizationFlow, FetchOAuthToken, PamClient, StsCredential};
//! # use std::sync::Arc;
//! # use idaas_core::config::{ClientConfig, MapEnv, SecretSource};
//! # use idaas_credentials::{CredentialProviderFactory, FactoryOptions};
//! # use idaas_emulator::{Client, CloudAccountRole, CloudVendor, Emulator, OAuthProvider};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! # let emulator = Emulator::builder().client(Client::new("app").with_secret("s")).start().await.unwrap();
//! # emulator.register_api_key("openai-prod", "sk-live");
//! # emulator.register_oauth_provider(OAuthProvider::m2m("github-app", "repo"));
//! # emulator.register_cloud_account_role(CloudAccountRole::new("arn:aws:iam::1:role/ci", CloudVendor::Aws, "1"));
//! # let config = ClientConfig::builder().idaas_instance_id("idaas_1").client_id("app")
//! #     .issuer(emulator.base_url()).token_endpoint(emulator.token_endpoint())
//! #     .developer_api_endpoint(emulator.base_url()).client_secret_post(SecretSource::env("S"))
//! #     .build().unwrap();
//! # let options = FactoryOptions::default().with_env(Arc::new(MapEnv::new().with("S", "s")));
//! // `CredentialProviderFactory::init()` reads the configuration file
//! let factory = CredentialProviderFactory::from_config(config, options).await?;
//! let pam = PamClient::from_factory(&factory).await?; // scope urn:cloud:idaas:pam|.all
//!
//! // an API key: a SecretString, read with expose_secret() where it must leave the process
//! let key = pam.api_key("openai-prod").await?.expect("an API key credential");
//! assert_eq!(key.expose_secret(), "sk-live");
//!
//! // an OAuth access token of a credential provider
//! let token = pam
//!     .fetch_oauth_authentication_token_v2(&FetchOAuthToken::new("github-app", AuthorizationFlow::M2m))
//!     .await?;
//! assert!(token.access_token().is_some());
//!
//! // temporary cloud credentials of a role
//! let role = pam.obtain_cloud_account_role_access_credential("arn:aws:iam::1:role/ci", Some(900)).await?;
//! assert!(matches!(role.cloud_account_role_access_credential.sts(), Some(StsCredential::Aws(_))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! | operation | method |
//! |---|---|
//! | API keys | [`PamClient::api_key`] |
//! | OAuth tokens | [`PamClient::fetch_oauth_authentication_token_v2`] (and the deprecated v1), [`PamClient::oauth_authorization_session`], [`PamClient::poll_oauth_authentication_token`] (user federation end to end) |
//! | JWT tokens | [`PamClient::generate_jwt_authentication_token`], [`PamClient::obtain_jwt_authentication_token`], [`PamClient::obtain_jwt_authentication_token_by_derived_short_token`], [`PamClient::list_authentication_tokens`], [`PamClient::authentication_tokens`] (a stream) |
//! | their lifecycle | [`PamClient::validate_authentication_token`], [`PamClient::revoke_authentication_token`], [`PamClient::reinstate_authentication_token`], and `…_by_consumer` |
//! | cloud roles | [`PamClient::obtain_cloud_account_role_access_credential`] |
//!
//! Every operation sends the developer API's method, path, headers and fields
//! as the reference Python SDK sends them (and the public API reference of
//! IDaaS PAM lists them); arguments the API would reject (missing
//! fields, the reserved audience prefix `urn:cloud:idaas`, a scope over
//! [`MAX_SCOPE_LEN`] characters, a role duration outside 900..=43200 s) fail
//! before any request with [`Error::InvalidArgument`] naming the argument; a
//! 401 refreshes the bearer token once and retries once; API errors are
//! [`Error::Api`] with the HTTP status, code, message and request id. Every
//! secret in an answer is a `SecretString`, never shown by `Debug`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// API keys: the operation.
mod api_keys;
mod error;
/// JWT authentication tokens: the operations.
mod jwt_tokens;
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
/// The client, its builder and transport (headers, paths, errors, 401 retry).
mod transport;

pub use error::Error;
pub use jwt_tokens::RESERVED_AUDIENCE_PREFIX;
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
pub use transport::{API_VERSION, PamClient, PamClientBuilder};
