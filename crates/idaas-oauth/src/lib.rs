//! OAuth 2.0 and OpenID Connect protocol: client authentication, JOSE,
//! grants, introspection and revocation.
//!
//! ```no_run
//! use std::sync::Arc;
//! use idaas_core::http::HyperClient;
//! use idaas_oauth::{ClientAuth, ClientCredentials, OAuthClient};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let http = Arc::new(HyperClient::new(Default::default())?);
//! let client = OAuthClient::new(
//!     http,
//!     "my-client",
//!     "https://idp.example.com/oauth2/token",
//!     ClientAuth::basic("s3cret"),
//! );
//! let token = client
//!     .client_credentials(&ClientCredentials::scope("api.example.com|read"))
//!     .await?;
//! println!("expires at {:?}", token.credential.expires_at);
//! # Ok(()) }
//! ```
//!
//! - [`ClientAuth`] — none, `client_secret_basic` (RFC 6749 §2.3.1 encoding,
//!   or the reference SDK's raw form), `client_secret_post`,
//!   `client_secret_jwt`, `private_key_jwt`;
//! - [`jose`] — keys parsed once, compact JWS signing on `ring`;
//! - [`OAuthClient`] — client credentials, refresh, token exchange,
//!   jwt-bearer, introspection, revocation;
//! - [`form`] — ordered, byte-exact form bodies;
//! - [`authorize`] — authorization URLs with PKCE S256, `state`, `nonce`;
//! - [`loopback`] — the RFC 8252 redirect listener on 127.0.0.1;
//! - [`store`] — tokens on disk per issuer and client, 0600, atomic;
//! - [`device`] — the device authorization grant (RFC 8628).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod authorize;
mod client;
mod client_auth;
pub mod device;
mod error;
pub mod form;
mod grants;
pub mod jose;
pub mod loopback;
mod response;
pub mod store;

pub use client::{Introspection, OAuthClient};
pub use client_auth::{
    ASSERTION_LIFETIME, BasicEncoding, ClientAuth, JWT_BEARER_ASSERTION_TYPE, client_assertion,
    random_jti,
};
pub use error::{Error, OAuthError, OAuthErrorCode};
pub use grants::{ClientCredentials, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT, TokenExchange};
pub use idaas_core::SecretString;
pub use response::{TokenResponse, parse_token_response};
