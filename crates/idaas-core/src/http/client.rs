//! The [`HttpClient`] trait every idaas client sends through, and the
//! [`HttpOptions`] of its default implementation, [`HyperClient`].

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

#[cfg(doc)]
use super::HyperClient;
use super::{ClientIdentity, HttpRequest, HttpResponse, RetryPolicy};
use crate::error::TransportError;

/// Sends one HTTP request and returns the complete response.
///
/// Any status is a response, not an error: callers map 4xx/5xx themselves.
/// Implementations must not follow redirects (token and JWKS requests never
/// do) and must not log bodies, secrets or tokens.
#[async_trait]
pub trait HttpClient: Send + Sync + Debug {
    /// Sends `request` and reads the whole response body.
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// A shared, type-erased HTTP client, as stored by every idaas client.
pub type SharedHttpClient = Arc<dyn HttpClient>;

#[async_trait]
impl<C: HttpClient + ?Sized> HttpClient for Arc<C> {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).execute(request).await
    }
}

/// Settings of [`HyperClient`].
///
/// Built from [`HttpOptions::default`] with its `with_…` methods (new
/// settings may come, so it cannot be written as a struct literal outside
/// this crate); the fields stay readable and assignable.
///
/// ```
/// use std::time::Duration;
/// use idaas_core::http::{HttpOptions, RetryPolicy};
///
/// let options = HttpOptions::default()
///     .with_read_timeout(Duration::from_secs(3))
///     .with_retry(RetryPolicy::none());
/// assert_eq!(options.read_timeout, Duration::from_secs(3));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpOptions {
    /// Time allowed to establish the TCP connection and TLS session.
    pub connect_timeout: Duration,
    /// Time allowed, after the request was sent, for the whole response.
    pub read_timeout: Duration,
    /// The largest response body accepted, in bytes (1 MiB by default).
    pub max_body_bytes: usize,
    /// The `User-Agent` header value.
    pub user_agent: String,
    /// Skip certificate verification. Dangerous: only for test servers; a
    /// `tracing` WARN is logged each time a client is built with it.
    pub unsafe_ignore_ssl_cert: bool,
    /// PEM files of extra CA certificates to trust (one or many certificates
    /// each), for an IdP whose certificate comes from a private CA. They are
    /// added to the default roots (the operating system store, which honours
    /// `SSL_CERT_FILE`/`SSL_CERT_DIR`, and the bundled Mozilla roots); a file
    /// that cannot be read or parsed fails [`HyperClient::new`] with
    /// [`TransportError::CaFile`] naming it.
    pub ca_certificate_files: Vec<std::path::PathBuf>,
    /// The client certificate chain and key for mutual TLS (RFC 8705),
    /// presented to servers that ask for one. Read and checked by
    /// [`HyperClient::new`] (environment variables from the process); a
    /// problem fails it with [`TransportError::ClientCertificate`] naming
    /// the file or variable.
    pub client_identity: Option<ClientIdentity>,
    /// How failed requests are retried: on by default (see [`RetryPolicy`]);
    /// [`RetryPolicy::none`] for one attempt. A request carrying a
    /// `RetryPolicy` in its extensions uses that one instead.
    pub retry: RetryPolicy,
}

/// The default response body cap: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_millis(5_000),
            read_timeout: Duration::from_millis(10_000),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            user_agent: crate::USER_AGENT.to_owned(),
            unsafe_ignore_ssl_cert: false,
            ca_certificate_files: Vec::new(),
            client_identity: None,
            retry: RetryPolicy::default(),
        }
    }
}

impl HttpOptions {
    /// Sets [`connect_timeout`](Self::connect_timeout).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`read_timeout`](Self::read_timeout).
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Sets [`max_body_bytes`](Self::max_body_bytes).
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets [`user_agent`](Self::user_agent).
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets [`unsafe_ignore_ssl_cert`](Self::unsafe_ignore_ssl_cert).
    /// Dangerous: only for test servers.
    pub fn with_unsafe_ignore_ssl_cert(mut self, ignore: bool) -> Self {
        self.unsafe_ignore_ssl_cert = ignore;
        self
    }

    /// Sets [`ca_certificate_files`](Self::ca_certificate_files) (replacing
    /// any set before).
    pub fn with_ca_certificate_files(
        mut self,
        files: impl IntoIterator<Item = impl Into<std::path::PathBuf>>,
    ) -> Self {
        self.ca_certificate_files = files.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`client_identity`](Self::client_identity) (`None`: no client
    /// certificate).
    pub fn with_client_identity(mut self, identity: impl Into<Option<ClientIdentity>>) -> Self {
        self.client_identity = identity.into();
        self
    }

    /// Sets [`retry`](Self::retry).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

impl From<&crate::config::HttpConfig> for HttpOptions {
    fn from(config: &crate::config::HttpConfig) -> Self {
        Self {
            connect_timeout: config.connect_timeout,
            read_timeout: config.read_timeout,
            unsafe_ignore_ssl_cert: config.unsafe_ignore_ssl_cert,
            ca_certificate_files: config.ca_certificate_file.iter().cloned().collect(),
            client_identity: config.client_identity.clone(),
            ..Self::default()
        }
    }
}
