//! [`RequireToken`]: a tower layer that lets through only requests with a
//! valid bearer token meeting its requirements, with the [`Principal`] in
//! the request's extensions.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::bearer::{Presented, bearer_token, presented_token, refusal};
use crate::binding::ClientCertificate;
use crate::dpop::DpopRequest;
use crate::error::Error;
use crate::principal::{Principal, Requirement};
use crate::verifier::TokenVerifier;

/// Requires a valid bearer token (and scopes) on every request.
///
/// - no token: 401 with `WWW-Authenticate: Bearer realm="…"`;
/// - a malformed `Authorization` header: 400 `invalid_request`;
/// - a refused token: 401 `invalid_token` (also a certificate-bound token,
///   `cnf.x5t#S256`, without the [`ClientCertificate`] of that thumbprint
///   in the request's extensions: RFC 8705 §3, see [`ClientCertificate`]);
/// - a valid token lacking a requirement: 403 `insufficient_scope` with the
///   `scope` needed;
/// - the issuer unreachable with nothing cached: 503.
///
/// With [`RequireToken::dpop`], `Authorization: DPoP` with a `DPoP` proof
/// is accepted too (RFC 9449 §7, see [`crate::dpop`]; a refused proof: 401
/// `invalid_dpop_proof`), and a DPoP-bound token sent as `Bearer` is 401
/// `invalid_token`.
///
/// Otherwise the request goes on with its [`Principal`] in the extensions.
#[derive(Debug, Clone)]
pub struct RequireToken {
    verifier: TokenVerifier,
    requirements: Arc<[Requirement]>,
    realm: Option<Arc<str>>,
    dpop_origin: Option<Arc<str>>,
}

impl RequireToken {
    /// Requires a token `verifier` accepts.
    pub fn new(verifier: TokenVerifier) -> Self {
        Self {
            verifier,
            requirements: Arc::new([]),
            realm: None,
            dpop_origin: None,
        }
    }

    /// Also requires a scope (`projects:write` hierarchically, see
    /// [`Requirement::Scope`]).
    pub fn scope(self, scope: impl Into<String>) -> Self {
        self.require(Requirement::scope(scope))
    }

    /// Also requires `requirement`.
    pub fn require(mut self, requirement: Requirement) -> Self {
        let mut list = self.requirements.to_vec();
        list.push(requirement);
        self.requirements = list.into();
        self
    }

    /// The `realm` of the challenges.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into().into());
        self
    }

    /// Accepts DPoP-bound tokens (`Authorization: DPoP` and a proof) on
    /// requests that clients address at `origin` (`https://api.example.com`,
    /// as the clients see it, before any proxy): a proof's `htu` must be
    /// `origin` + the request's path.
    pub fn dpop(mut self, origin: impl Into<String>) -> Self {
        self.dpop_origin = Some(origin.into().trim_end_matches('/').into());
        self
    }

    /// The principal of a request (method, URI, headers and the
    /// [`ClientCertificate`] in its extensions, if any), or why it is
    /// refused: what the layer checks.
    pub async fn check_request<B>(&self, request: &Request<B>) -> Result<Principal, Error>
    where
        B: Sync,
    {
        self.check_parts(
            request.method(),
            request.uri(),
            request.headers(),
            request.extensions().get::<ClientCertificate>(),
        )
        .await
    }

    async fn check_parts(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        certificate: Option<&ClientCertificate>,
    ) -> Result<Principal, Error> {
        let principal = match presented_token(headers, self.dpop_origin.is_some())? {
            Presented::Bearer(token) => {
                self.verifier
                    .verify_presented(token, certificate, None)
                    .await?
            }
            Presented::Dpop { token, proof } => {
                let origin = self.dpop_origin.as_deref().unwrap_or_default();
                let url = format!("{origin}{}", uri.path());
                let request = DpopRequest {
                    proof,
                    method: method.as_str(),
                    url: &url,
                };
                self.verifier
                    .verify_presented(token, certificate, Some(&request))
                    .await?
            }
        };
        principal.require_all(self.requirements.iter())?;
        Ok(principal)
    }

    /// The principal of a request's headers, or why it is refused (a
    /// certificate-bound token is refused: see [`Self::check_with_certificate`]).
    pub async fn check(&self, headers: &http::HeaderMap) -> Result<Principal, Error> {
        self.check_with_certificate(headers, None).await
    }

    /// [`Self::check`] for a request that came with the TLS client
    /// certificate `certificate`, if any.
    pub async fn check_with_certificate(
        &self,
        headers: &http::HeaderMap,
        certificate: Option<&ClientCertificate>,
    ) -> Result<Principal, Error> {
        let token = bearer_token(headers)?;
        let principal = self
            .verifier
            .verify_with_certificate(token, certificate)
            .await?;
        principal.require_all(self.requirements.iter())?;
        Ok(principal)
    }
}

impl<S> Layer<S> for RequireToken {
    type Service = RequireTokenService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireTokenService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`RequireToken`].
#[derive(Debug, Clone)]
pub struct RequireTokenService<S> {
    inner: S,
    layer: RequireToken,
}

impl<S, B, RB> Service<Request<B>> for RequireTokenService<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    RB: From<Bytes> + 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<RB>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // the ready service goes with this request; a clone stays
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            let certificate = request.extensions().get::<ClientCertificate>();
            match layer
                .check_parts(
                    request.method(),
                    request.uri(),
                    request.headers(),
                    certificate,
                )
                .await
            {
                Ok(principal) => {
                    request.extensions_mut().insert(principal);
                    inner.call(request).await
                }
                Err(error) => {
                    tracing::debug!(status = error.status(), reason = %error, "request refused");
                    Ok(refusal(&error, layer.realm.as_deref()))
                }
            }
        })
    }
}
