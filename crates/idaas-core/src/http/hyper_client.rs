//! The default [`HttpClient`]: hyper 1 with rustls (ring), pooled keep-alive
//! connections, connect and read timeouts, a body cap, https enforcement.
//!
//! Timeouts: the connect timeout bounds each new connection (TCP connect and
//! TLS handshake together) inside the connector. The read timeout bounds the
//! rest of the exchange (sending the request, the response head and the whole
//! body) and starts when the request has a connection: at once for a pooled
//! one, when the handshake finishes for a new one. The connector reports
//! those moments through a task-local [`ConnectWatch`], so a slow connect is
//! always a [`TransportError::ConnectTimeout`] and a slow server always a
//! [`TransportError::ReadTimeout`] (the reference SDK confuses the two).

use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::Uri;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::time::Instant;
use tracing::Instrument;

use super::trust::{describe_tls_error, root_store};
use super::url_policy::check_request_uri;
use super::{HeaderValue, HttpClient, HttpOptions, HttpRequest, HttpResponse, header};
use crate::clock::SystemClock;
use crate::error::TransportError;

type Connector = TimeoutConnector<HttpsConnector<HttpConnector>>;

/// How long an unused pooled connection is kept open.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The most unused connections kept per host.
const POOL_MAX_IDLE_PER_HOST: usize = 16;

/// The default HTTP client. Cheap to clone: clones share the connection pool
/// and the options.
///
/// ```
/// use idaas_core::http::{HttpOptions, HyperClient};
///
/// let client = HyperClient::new(HttpOptions::default())?;
/// assert_eq!(client.options().max_body_bytes, 1024 * 1024);
/// # Ok::<(), idaas_core::TransportError>(())
/// ```
#[derive(Clone)]
pub struct HyperClient {
    client: Client<Connector, Full<Bytes>>,
    /// The same connector without a pool: for the one immediate re-send of a
    /// request whose pooled connection turned out to be closed.
    fresh: Client<Connector, Full<Bytes>>,
    options: Arc<HttpOptions>,
    user_agent: HeaderValue,
}

impl fmt::Debug for HyperClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // HttpOptions holds no secret; the pool and TLS state are left out.
        f.debug_struct("HyperClient")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl HyperClient {
    /// A client with the given options.
    ///
    /// Fails if `options.user_agent` is not a valid header value. With
    /// `unsafe_ignore_ssl_cert` set, logs a warning: certificates are then
    /// not verified at all.
    pub fn new(options: HttpOptions) -> Result<Self, TransportError> {
        let user_agent = HeaderValue::from_str(&options.user_agent).map_err(|_| {
            TransportError::InvalidOptions {
                reason: format!(
                    "the User-Agent {:?} is not a valid header value; use visible ASCII characters",
                    options.user_agent
                ),
            }
        })?;
        let tls = tls_config(&options)?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(options.connect_timeout));
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let connector = TimeoutConnector {
            inner: https,
            timeout: options.connect_timeout,
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
            .build(connector.clone());
        let fresh = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        Ok(Self {
            client,
            fresh,
            options: Arc::new(options),
            user_agent,
        })
    }

    /// A client with the default [`HttpOptions`]: 5 s connect timeout, 10 s
    /// read timeout, 1 MiB body cap, certificates verified.
    pub fn default_client() -> Result<Self, TransportError> {
        Self::new(HttpOptions::default())
    }

    /// The options in force.
    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    /// One attempt: sends `request` (already checked) on a pooled
    /// connection, and once more at once on a fresh connection if the pooled
    /// one broke before any response byte (a server closing idle keep-alive
    /// connections as we reuse one).
    async fn attempt(
        &self,
        request: HttpRequest,
        host: &str,
    ) -> Result<HttpResponse, TransportError> {
        let (mut parts, body) = request.into_parts();
        if !parts.headers.contains_key(header::USER_AGENT) {
            parts
                .headers
                .insert(header::USER_AGENT, self.user_agent.clone());
        }
        let request = http::Request::from_parts(parts.clone(), Full::new(body.clone()));
        match self.send(&self.client, request, host).await {
            Err(Failure::StalePooled(error)) => {
                tracing::debug!(%error, "pooled connection closed before the response; re-sending on a fresh connection");
                let request = http::Request::from_parts(parts, Full::new(body));
                self.send(&self.fresh, request, host)
                    .await
                    .map_err(Failure::into_error)
            }
            other => other.map_err(Failure::into_error),
        }
    }

    /// Sends `request` through `client` within the connect and read timeouts.
    async fn send(
        &self,
        client: &Client<Connector, Full<Bytes>>,
        request: http::Request<Full<Bytes>>,
        host: &str,
    ) -> Result<HttpResponse, Failure> {
        let watch = Arc::new(ConnectWatch::default());
        let mut exchange =
            pin!(CONNECT_WATCH.scope(watch.clone(), self.exchange(client, request, host)));
        let started = Instant::now();
        let (connect_timeout, read_timeout) =
            (self.options.connect_timeout, self.options.read_timeout);
        loop {
            let deadline = read_deadline(started, watch.get(), connect_timeout, read_timeout);
            if let Ok(result) = tokio::time::timeout_at(deadline, exchange.as_mut()).await {
                return result.map_err(|(error, before_response)| {
                    // No connect started for this request: it went out on a
                    // pooled connection.
                    if before_response && watch.get() == ConnectPhase::Idle {
                        Failure::StalePooled(error)
                    } else {
                        Failure::Other(error)
                    }
                });
            }
            // A connect started or finished meanwhile moves the deadline on.
            if read_deadline(started, watch.get(), connect_timeout, read_timeout) <= Instant::now()
            {
                return Err(Failure::Other(TransportError::ReadTimeout {
                    host: host.to_owned(),
                    after: read_timeout,
                }));
            }
        }
    }

    /// The exchange itself: connect or reuse, send, read the capped body.
    /// An error says whether the connection broke before any response byte.
    async fn exchange(
        &self,
        client: &Client<Connector, Full<Bytes>>,
        request: http::Request<Full<Bytes>>,
        host: &str,
    ) -> Result<HttpResponse, (TransportError, bool)> {
        let response = client
            .request(request)
            .await
            .map_err(|e| (self.classify(&e, host), closed_before_response(&e)))?;
        let limit = self.options.max_body_bytes;
        let too_large = || TransportError::BodyTooLarge {
            host: host.to_owned(),
            limit,
        };
        let (parts, body) = response.into_parts();
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err((too_large(), false));
        }
        let body = Limited::new(body, limit)
            .collect()
            .await
            .map_err(|e| {
                if e.downcast_ref::<LengthLimitError>().is_some() {
                    too_large()
                } else {
                    TransportError::Protocol {
                        host: host.to_owned(),
                        reason: format!("reading the response body: {}", chain_text(&*e)),
                    }
                }
            })
            .map_err(|e| (e, false))?
            .to_bytes();
        Ok(http::Response::from_parts(parts, body))
    }

    /// Maps a hyper client error to what happened, by walking its causes.
    fn classify(&self, error: &hyper_util::client::legacy::Error, host: &str) -> TransportError {
        let host = host.to_owned();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(e) = cause {
            if let Some(t) = e.downcast_ref::<ConnectTimedOut>() {
                return TransportError::ConnectTimeout { host, after: t.0 };
            }
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                return TransportError::Tls {
                    host,
                    reason: describe_tls_error(tls),
                };
            }
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::TimedOut
                && error.is_connect()
            {
                return TransportError::ConnectTimeout {
                    host,
                    after: self.options.connect_timeout,
                };
            }
            cause = next_cause(e);
        }
        let reason = chain_text(error);
        if error.is_connect() {
            TransportError::Connect { host, reason }
        } else {
            TransportError::Protocol { host, reason }
        }
    }
}

#[async_trait]
impl HttpClient for HyperClient {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let url = check_request_uri(request.uri())?;
        let host = url.host_str().unwrap_or_default().to_owned();
        // The path only: the query string may carry secrets.
        let span = tracing::info_span!(
            "http",
            method = %request.method(),
            host = %host,
            path = %url.path(),
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let policy = request
            .extensions()
            .get::<super::RetryPolicy>()
            .copied()
            .unwrap_or(self.options.retry);
        async {
            let started = Instant::now();
            let result = policy
                .run(request, &SystemClock, |attempt| {
                    self.attempt(attempt, &host)
                })
                .await;
            let span = tracing::Span::current();
            span.record(
                "duration_ms",
                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            );
            match &result {
                Ok(response) => {
                    span.record("status", response.status().as_u16());
                    tracing::debug!("response received");
                }
                Err(error) => tracing::debug!(%error, "request failed"),
            }
            result
        }
        .instrument(span)
        .await
    }
}

/// Why one send failed: on a pooled connection that broke before any
/// response byte (worth one immediate re-send on a fresh connection), or
/// otherwise.
enum Failure {
    StalePooled(TransportError),
    Other(TransportError),
}

impl Failure {
    fn into_error(self) -> TransportError {
        match self {
            Self::StalePooled(e) | Self::Other(e) => e,
        }
    }
}

/// Whether a request error means the connection closed or reset before any
/// response byte arrived (not a connect error, a timeout or a parse error).
fn closed_before_response(error: &hyper_util::client::legacy::Error) -> bool {
    if error.is_connect() {
        return false;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(h) = e.downcast_ref::<hyper::Error>()
            && (h.is_incomplete_message() || h.is_canceled())
        {
            return true;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            return matches!(
                io.kind(),
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof
            );
        }
        cause = next_cause(e);
    }
    false
}

/// The error `error` wraps. `io::Error::source` skips the error an
/// `io::Error` wraps (hyper-rustls wraps rustls errors in two of them), so
/// that one is taken from `get_ref`.
fn next_cause<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a (dyn std::error::Error + 'static)> {
    match error
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
    {
        Some(inner) => Some(inner),
        None => error.source(),
    }
}

fn chain_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// A TLS client configuration on the ring provider.
fn tls_config(options: &HttpOptions) -> Result<rustls::ClientConfig, TransportError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::InvalidOptions {
            reason: format!("no usable TLS protocol version: {e}"),
        })?;
    let builder = if options.unsafe_ignore_ssl_cert {
        tracing::warn!(
            "TLS certificate verification is disabled (unsafeIgnoreSslCert); never do this in production"
        );
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(danger::AcceptAnyCertificate(provider)))
    } else {
        builder.with_root_certificates(root_store(&options.ca_certificate_files)?)
    };
    let Some(identity) = &options.client_identity else {
        return Ok(builder.with_no_client_auth());
    };
    let loaded = identity
        .load(&crate::config::ProcessEnv)
        .map_err(|(_, e)| e)?;
    // `load` checked the key against the certificate with the same provider
    builder
        .with_client_auth_cert(loaded.chain, loaded.key)
        .map_err(|e| TransportError::ClientCertificate {
            origin: "the client certificate and key".into(),
            reason: format!("were refused by the TLS stack: {e}"),
        })
}

tokio::task_local! {
    /// The connect progress of the request being sent on this task.
    static CONNECT_WATCH: Arc<ConnectWatch>;
}

/// Where the connect of one request stands, as reported by the connector.
///
/// The legacy client starts a connect from inside the request future (so the
/// task-local is in scope) unless a pooled connection is ready at once. If
/// the pool wins a race against a connect already started, that connect may
/// still report later; the read deadline then moves on by at most the
/// connect timeout.
#[derive(Debug, Default)]
struct ConnectWatch(Mutex<ConnectPhase>);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ConnectPhase {
    /// No connect started: the request went out on a pooled connection.
    #[default]
    Idle,
    /// A connect started at this instant and has not finished.
    Connecting(Instant),
    /// A connect (TCP and TLS) finished at this instant.
    Connected(Instant),
}

impl ConnectWatch {
    fn get(&self) -> ConnectPhase {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, phase: ConnectPhase) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = phase;
    }
}

/// When the read timeout of a request started at `started` expires, given
/// where its connect stands. While connecting, the deadline lies past the
/// connect timeout, so a slow connect always ends as a connect timeout.
fn read_deadline(
    started: Instant,
    phase: ConnectPhase,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Instant {
    match phase {
        ConnectPhase::Idle => started + read_timeout,
        ConnectPhase::Connecting(since) => since + connect_timeout + read_timeout,
        ConnectPhase::Connected(at) => at + read_timeout,
    }
}

/// The marker error of a connect (TCP + TLS) that ran out of time.
#[derive(Debug)]
struct ConnectTimedOut(Duration);

impl fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connect timed out after {:?}", self.0)
    }
}

impl std::error::Error for ConnectTimedOut {}

/// Bounds the whole connect (TCP and TLS handshake) by a timeout and reports
/// its progress to the request's [`ConnectWatch`].
#[derive(Clone)]
struct TimeoutConnector<C> {
    inner: C,
    timeout: Duration,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<C> tower_service::Service<Uri> for TimeoutConnector<C>
where
    C: tower_service::Service<Uri> + Send + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let timeout = self.timeout;
        let watch = CONNECT_WATCH.try_with(Arc::clone).ok();
        if let Some(watch) = &watch {
            watch.set(ConnectPhase::Connecting(Instant::now()));
        }
        let connecting = self.inner.call(uri);
        Box::pin(async move {
            match tokio::time::timeout(timeout, connecting).await {
                Ok(Ok(connection)) => {
                    if let Some(watch) = watch {
                        watch.set(ConnectPhase::Connected(Instant::now()));
                    }
                    Ok(connection)
                }
                // A failed connect fails the request itself (the phase stays
                // `Connecting`, whose deadline lies beyond the error).
                Ok(Err(error)) => Err(error.into()),
                Err(_) => Err(Box::new(ConnectTimedOut(timeout)) as BoxError),
            }
        })
    }
}

mod danger {
    use std::sync::Arc;

    use rustls::DigitallySignedStruct;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

    /// Accepts any server certificate: `unsafeIgnoreSslCert`. Signatures are
    /// still checked so the handshake itself is sound.
    #[derive(Debug)]
    pub(super) struct AcceptAnyCertificate(pub Arc<CryptoProvider>);

    impl ServerCertVerifier for AcceptAnyCertificate {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_deadline_starts_when_the_connection_is_ready() {
        let t0 = Instant::now();
        let (connect, read) = (Duration::from_secs(5), Duration::from_secs(10));
        let ms = Duration::from_millis;
        // pooled connection: from the start
        assert_eq!(
            read_deadline(t0, ConnectPhase::Idle, connect, read),
            t0 + read
        );
        // connecting: beyond the connect timeout, so that one fires first
        assert_eq!(
            read_deadline(t0, ConnectPhase::Connecting(t0 + ms(3)), connect, read),
            t0 + ms(3) + connect + read
        );
        // connected: from the end of the handshake
        assert_eq!(
            read_deadline(t0, ConnectPhase::Connected(t0 + ms(700)), connect, read),
            t0 + ms(700) + read
        );
    }

    #[test]
    fn an_invalid_user_agent_is_an_options_error() {
        let err = HyperClient::new(HttpOptions {
            user_agent: "bad\nagent".into(),
            ..HttpOptions::default()
        })
        .unwrap_err();
        assert!(
            matches!(err, TransportError::InvalidOptions { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("User-Agent"), "{err}");
    }

    #[test]
    fn both_tls_modes_build() {
        for unsafe_ignore_ssl_cert in [false, true] {
            let client = HyperClient::new(HttpOptions {
                unsafe_ignore_ssl_cert,
                ..HttpOptions::default()
            })
            .unwrap();
            assert_eq!(
                client.options().unsafe_ignore_ssl_cert,
                unsafe_ignore_ssl_cert
            );
        }
        assert!(HyperClient::default_client().is_ok());
    }
}
