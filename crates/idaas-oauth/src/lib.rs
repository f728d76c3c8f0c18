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
//!   `client_secret_jwt` (HS256/384/512), `private_key_jwt` (RS*, PS*,
//!   ES256/384/512, EdDSA; `kid`, `x5c`, `x5t#S256`);
//! - [`jose`] — keys parsed once (PEM, DER, JWK, X.509), JWS signing and
//!   verification with per-key algorithm allow-lists, JWK sets;
//! - [`OAuthClient`] — client credentials, refresh, token exchange,
//!   jwt-bearer (and the baikal-sdk user grant, [`UserAssertion`]),
//!   introspection, revocation;
//! - [`dpop`] — DPoP (RFC 9449): [`dpop::DpopKey`], proofs with `htu`,
//!   `ath` and the server's nonces; [`OAuthClient::with_dpop`] binds every
//!   grant's tokens to the key;
//! - [`mtls`] — mutual TLS (RFC 8705): `tls_client_auth`,
//!   `self_signed_tls_client_auth`, `mtls_endpoint_aliases`,
//!   certificate-bound tokens (`cnf.x5t#S256`);
//! - [`jar`] — signed request objects (RFC 9101) for the sign-in
//!   ([`LoginFlow::request_object`]);
//! - [`par`] — pushed authorization requests (RFC 9126) for the sign-in
//!   ([`LoginFlow::par`]: by default when the provider has a PAR endpoint);
//! - [`discovery`] — OpenID Connect / RFC 8414 metadata, cached;
//! - [`RemoteJwks`], [`JwtValidator`] — a server's keys, refetched on an
//!   unknown `kid` at most once per interval; JWT validation;
//! - [`KeyDirectory`] — our own keys from a directory, published as a JWK set;
//! - [`form`] — ordered, byte-exact form bodies;
//! - [`authorize`] — authorization URLs with PKCE S256, `state`, `nonce`;
//! - [`loopback`] — the RFC 8252 redirect listener on 127.0.0.1;
//! - [`store`] — tokens on disk per issuer, client, scopes and audiences,
//!   0600, atomic;
//! - [`device`] — the device authorization grant (RFC 8628);
//! - [`UserClient`] — user sign-in: code exchange with PKCE into an
//!   [`Agent`] whose ID token is verified by [`IdTokenVerifier`] (JWKS
//!   signature, algorithm allow-list, `iss`, `aud`, `azp`, `exp`, `nonce`),
//!   refresh with a subject check, client credentials, [`UserInfo`], the
//!   RP-initiated logout URL, revocation;
//! - [`Agent`] — the signed-in principal: tokens, claims, principal type,
//!   organizations and the `has_access` family (through `idaas-scope`);
//! - [`LoginFlow`] — the browser sign-in through the loopback listener;
//! - [`Session`] — an agent kept fresh: auto-refresh within a buffer, one
//!   refresh at a time, callbacks, optional [`store`];
//! - [`blocking`] — [`BlockingUserClient`] and [`BlockingSession`] with
//!   their own runtime.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod agent;
pub mod authorize;
pub mod blocking;
mod client;
mod client_auth;
pub mod device;
pub mod discovery;
pub mod dpop;
mod error;
mod fetch;
pub mod form;
mod grants;
mod id_token;
pub mod jar;
pub mod jose;
mod jwks;
mod key_directory;
mod login;
pub mod loopback;
pub mod mtls;
pub mod par;
mod response;
mod session;
pub mod store;
mod user_client;
mod user_grant;
mod userinfo;

pub use agent::{Agent, AgentKind, PrincipalType, parse_organizations};
pub use blocking::{BlockingSession, BlockingUserClient};
pub use client::{Introspection, OAuthClient};
pub use client_auth::{
    ASSERTION_LIFETIME, BasicEncoding, ClientAuth, JWT_BEARER_ASSERTION_TYPE, client_assertion,
};
pub use discovery::{Discovery, ProviderMetadata};
pub use error::{Error, IdTokenError, OAuthError, OAuthErrorCode};
pub use grants::{ClientCredentials, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT, TokenExchange};
pub use id_token::{DEFAULT_ID_TOKEN_ALGORITHMS, IdTokenClaims, IdTokenVerifier};
pub use idaas_core::SecretString;
pub use jwks::{JwtValidator, RemoteJwks};
pub use key_directory::KeyDirectory;
pub use login::{DEFAULT_LOGIN_TIMEOUT, LoginFlow, OnUrl};
pub use par::Par;
pub use response::{TokenResponse, parse_token_response};
pub use session::{DEFAULT_REFRESH_BUFFER, OnRefresh, OnRefreshError, Session, SessionOptions};
pub use user_client::{LogoutRequest, UserClient};
pub use user_grant::UserAssertion;
pub use userinfo::UserInfo;
