//! The default [`HttpClient`]: hyper 1 with rustls (ring), pooled keep-alive
//! connections, connect and read timeouts, a body cap, https enforcement.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::Uri;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tracing::Instrument;

use super::{HttpClient, HttpOptions, HttpRequest, HttpResponse, check_url, header};
use crate::error::TransportError;

type Connector = TimeoutConnector<HttpsConnector<HttpConnector>>;

/// The default HTTP client. Cheap to clone: clones share the connection pool.
#[derive(Clone)]
pub struct HyperClient {
    client: Client<Connector, Full<Bytes>>,
    options: Arc<HttpOptions>,
}

impl fmt::Debug for HyperClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperClient")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl HyperClient {
    /// A client with the given options.
    pub fn new(options: HttpOptions) -> Result<Self, TransportError> {
        let tls = tls_config(options.unsafe_ignore_ssl_cert)?;
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
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(16)
            .build(connector);
        Ok(Self {
            client,
            options: Arc::new(options),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    async fn send(&self, request: HttpRequest, host: &str) -> Result<HttpResponse, TransportError> {
        let (mut parts, body) = request.into_parts();
        if !parts.headers.contains_key(header::USER_AGENT) {
            let value = header::HeaderValue::from_str(&self.options.user_agent).map_err(|_| {
                TransportError::InvalidUrl {
                    url: parts.uri.to_string(),
                    reason: "the configured User-Agent is not a valid header value".into(),
                }
            })?;
            parts.headers.insert(header::USER_AGENT, value);
        }
        let request = http::Request::from_parts(parts, Full::new(body));
        let limit = self.options.max_body_bytes;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| classify(&e, host))?;
            let (parts, body) = response.into_parts();
            let declared = parts
                .headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|len| len > limit as u64) {
                return Err(TransportError::BodyTooLarge {
                    host: host.to_owned(),
                    limit,
                });
            }
            let body = Limited::new(body, limit)
                .collect()
                .await
                .map_err(|e| {
                    if e.downcast_ref::<LengthLimitError>().is_some() {
                        TransportError::BodyTooLarge {
                            host: host.to_owned(),
                            limit,
                        }
                    } else {
                        TransportError::Protocol {
                            host: host.to_owned(),
                            reason: format!("reading the response body: {e}"),
                        }
                    }
                })?
                .to_bytes();
            Ok(http::Response::from_parts(parts, body))
        };
        // The connector enforces the connect timeout itself; the read timeout
        // bounds the rest of the exchange.
        let budget = self.options.connect_timeout + self.options.read_timeout;
        match tokio::time::timeout(budget, exchange).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::ReadTimeout {
                host: host.to_owned(),
                after: self.options.read_timeout,
            }),
        }
    }
}

#[async_trait]
impl HttpClient for HyperClient {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let url = check_url(&request.uri().to_string())?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let span = tracing::info_span!(
            "http",
            method = %request.method(),
            host = %host,
            path = %url.path(),
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        async {
            let started = Instant::now();
            let result = self.send(request, &host).await;
            let span = tracing::Span::current();
            span.record("duration_ms", started.elapsed().as_millis() as u64);
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

/// Maps a hyper client error to what happened, by walking its sources.
fn classify(error: &hyper_util::client::legacy::Error, host: &str) -> TransportError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(t) = e.downcast_ref::<ConnectTimedOut>() {
            return TransportError::ConnectTimeout {
                host: host.to_owned(),
                after: t.0,
            };
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return TransportError::Tls {
                host: host.to_owned(),
                reason: tls.to_string(),
            };
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(tls) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                return TransportError::Tls {
                    host: host.to_owned(),
                    reason: tls.to_string(),
                };
            }
            if io.kind() == std::io::ErrorKind::TimedOut && error.is_connect() {
                return TransportError::ConnectTimeout {
                    host: host.to_owned(),
                    after: Duration::ZERO,
                };
            }
        }
        source = e.source();
    }
    let reason = chain_text(error);
    if error.is_connect() {
        TransportError::Connect {
            host: host.to_owned(),
            reason,
        }
    } else {
        TransportError::Protocol {
            host: host.to_owned(),
            reason,
        }
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
fn tls_config(unsafe_ignore_ssl_cert: bool) -> Result<rustls::ClientConfig, TransportError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Tls {
            host: String::new(),
            reason: e.to_string(),
        })?;
    let config = if unsafe_ignore_ssl_cert {
        tracing::warn!(
            "TLS certificate verification is disabled (unsafeIgnoreSslCert); never do this in production"
        );
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(danger::AcceptAnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(root_store())
            .with_no_client_auth()
    };
    Ok(config)
}

#[cfg(not(feature = "native-roots"))]
fn root_store() -> rustls::RootCertStore {
    rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

#[cfg(feature = "native-roots")]
fn root_store() -> rustls::RootCertStore {
    let mut store = rustls::RootCertStore::empty();
    let loaded = rustls_native_certs::load_native_certs();
    for error in &loaded.errors {
        tracing::warn!(%error, "could not load a native root certificate");
    }
    let (added, ignored) = store.add_parsable_certificates(loaded.certs);
    tracing::debug!(added, ignored, "loaded native root certificates");
    store
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

/// Bounds the whole connect (TCP and TLS handshake) by a timeout.
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
        let connecting = self.inner.call(uri);
        Box::pin(async move {
            match tokio::time::timeout(timeout, connecting).await {
                Ok(result) => result.map_err(Into::into),
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
