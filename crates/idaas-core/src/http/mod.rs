//! The HTTP transport: our own [`HttpClient`] trait, so no HTTP-client crate
//! leaks into public types, and its default implementation on hyper + rustls.
//! Without the crate's `transport` feature only the pure parts are here: the
//! URL policy ([`check_endpoint`] and friends) and the description of a
//! client certificate ([`ClientIdentity`]), which the configuration needs.
//!
//! Requests and responses are the plain [`http`] crate types with a
//! [`Bytes`] body: identity requests are small forms and JSON documents.
//!
//! - [`HyperClient`] — pooled keep-alive connections, connect and read
//!   timeouts, a response body cap, `User-Agent: idaas-rust/<version>`,
//!   https required except for loopback hosts, a `tracing` span per request;
//!   trusts the OS store (`SSL_CERT_FILE`/`SSL_CERT_DIR`), the bundled
//!   Mozilla roots and any [`HttpOptions::ca_certificate_files`]; presents
//!   the [`HttpOptions::client_identity`] (a [`ClientIdentity`]) to servers
//!   that ask for a client certificate (mutual TLS, RFC 8705).
//! - [`RetryPolicy`] — retries, on by default in [`HttpOptions::retry`]: 3
//!   attempts, full-jitter exponential backoff (100 ms base, 2 s cap),
//!   `Retry-After` up to 30 s, for connect errors, resets, 408, 425, 429,
//!   500, 502, 503, 504 and `temporarily_unavailable`; never for 400, 401,
//!   403 or `invalid_*`. A request whose pooled keep-alive connection fails
//!   before any response byte is re-sent at once on a fresh connection,
//!   which does not count as an attempt.

pub use bytes::Bytes;
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};

#[cfg(feature = "transport")]
mod client;
mod client_identity;
#[cfg(feature = "transport")]
mod hyper_client;
#[cfg(feature = "transport")]
mod identity_check;
#[cfg(feature = "transport")]
mod retry;
#[cfg(feature = "transport")]
mod trust;
mod url_policy;

#[cfg(feature = "transport")]
pub use client::{DEFAULT_MAX_BODY_BYTES, HttpClient, HttpOptions, SharedHttpClient};
pub use client_identity::{ClientIdentity, IdentityPart, PemSource};
#[cfg(feature = "transport")]
pub use hyper_client::HyperClient;
#[cfg(feature = "transport")]
pub use retry::{RetryPolicy, RetryingClient};
#[cfg(feature = "transport")]
pub use trust::check_ca_file;
pub use url_policy::{check_endpoint, check_url, is_loopback_host, is_metadata_host};

/// A request: method, URL, headers and a complete body.
pub type HttpRequest = http::Request<Bytes>;
/// A response: status, headers and the complete (capped) body.
pub type HttpResponse = http::Response<Bytes>;
