//! The resource-server side of idaas: verify the access tokens a service
//! receives, authorize with scopes, and (with feature `tower`) do both in
//! one layer — plus the client layer that sends tokens.
//!
//! ```
//! use std::sync::Arc;
//! use idaas_core::http::HyperClient;
//! use idaas_emulator::{Client, Emulator};
//! use idaas_guard::{Requirement, TokenVerifier};
//! use idaas_oauth::{ClientAuth, ClientCredentials, OAuthClient};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let idp = Emulator::builder()
//!     .client(Client::new("app").with_secret("s3cret"))
//!     .start()
//!     .await
//!     .unwrap();
//! // a client gets a token for the audience `api://projects`
//! let http = Arc::new(HyperClient::new(Default::default()).unwrap());
//! let client = OAuthClient::new(http, "app", idp.token_endpoint(), ClientAuth::basic("s3cret"));
//! let token = client
//!     .client_credentials(&ClientCredentials::scope("api://projects|projects:write"))
//!     .await
//!     .unwrap()
//!     .credential
//!     .access_token;
//!
//! // the service verifies it (discovery, JWKS, RFC 9068 checks)
//! let verifier = TokenVerifier::from_issuer(idp.base_url(), "api://projects").await.unwrap();
//! let principal = verifier.verify(token.expose_secret()).await.unwrap();
//! assert_eq!(principal.client_id(), Some("app"));
//! principal.require(&Requirement::scope("projects:write")).unwrap();
//! assert!(principal.require(&"users:read".into()).is_err());
//! # idp.stop().await;
//! # });
//! ```
//!
//! - [`TokenVerifier`] — built from an issuer (discovery) or a JWKS URI and
//!   audiences: JWT access tokens per RFC 9068 (`typ` `at+jwt`, the
//!   algorithm allow-list per key, `iss`, `aud`, `exp`/`nbf`/`iat` with
//!   leeway, `sub`, `client_id`, optional `jti` replay cache) against the
//!   issuer's JWKS ([`idaas_oauth::RemoteJwks`]: cache headers, lock-free
//!   hits, rate-limited single-flight refetch, stale while the IdP is down);
//!   opaque tokens by RFC 7662 introspection ([`IntrospectionCache`]:
//!   cached until `min(exp, ttl)`, negative cache, single flight);
//! - [`Principal`] — subject, client, scopes as a compiled
//!   [`ScopeSet`](idaas_scope::ScopeSet) (IDaaS `aud|value` items by
//!   value), organizations, raw claims; [`Requirement`] checks;
//! - [`ClientCertificate`] — certificate-bound tokens (RFC 8705 §3): a
//!   token with `cnf.x5t#S256` only with the TLS client certificate of that
//!   thumbprint (the server puts it into the request's extensions);
//! - [`dpop`] — DPoP-bound tokens (RFC 9449 §7): `Authorization: DPoP`
//!   with a proof of the request (`htm`, `htu`, `iat`, `jti` replay,
//!   `ath`, the key of `cnf.jkt`), [`TokenVerifier::verify_dpop`],
//!   `RequireToken::dpop`;
//! - [`Error`] — each refusal with its RFC 6750 §3 status, `error` code and
//!   `WWW-Authenticate` challenge; [`bearer_token`] and [`refusal`] for
//!   other frameworks;
//! - `tower` feature — `RequireToken` (server) and `BearerAuth`
//!   (client: inject, and retry once after a 401);
//! - `axum` feature — [`Principal`] as an extractor, [`Error`] as a
//!   response.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "axum")]
mod axum;
mod bearer;
mod binding;
mod challenge;
pub mod dpop;
mod error;
mod introspection;
mod principal;
mod replay;
#[cfg(feature = "tower")]
mod tower;
mod verifier;

pub use bearer::{bearer_token, refusal};
pub use binding::ClientCertificate;
pub use dpop::DpopRequest;
pub use error::{Error, Reason};
pub use introspection::IntrospectionCache;
pub use principal::{Principal, Requirement, TokenKind, effective_scopes};
#[cfg(feature = "tower")]
pub use tower::{BearerAuth, BearerAuthService, BoxError, RequireToken, RequireTokenService};
pub use verifier::{DEFAULT_ALGORITHMS, TokenVerifier, TypPolicy, VerifierBuilder};
