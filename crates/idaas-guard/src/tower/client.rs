//! [`BearerAuth`]: a tower layer that sends every request with
//! `Authorization: Bearer <token>` from a credential provider (or, for a
//! DPoP-bound token, `Authorization: DPoP <token>` and a `DPoP` proof of
//! the request), and after a 401 gets a fresh token — or uses the DPoP
//! nonce the server asked for — and tries once more.

use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use http::{Request, Response, StatusCode};
use idaas_credentials::{
    ResourceRetry, SharedCredentialProvider, resource_authorization, resource_retry,
};
use tower_layer::Layer;
use tower_service::Service;

/// The error of [`BearerAuthService`]: the provider's or the inner
/// service's.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Injects the provider's token (`Bearer`, or `DPoP` with a proof of the
/// request when the provider's tokens are DPoP-bound: the request URI must
/// then be absolute); on a 401 from the resource server retries once —
/// with a new proof carrying the nonce the server asked for
/// (`DPoP error="use_dpop_nonce"`), else with a new token after
/// invalidating the cached one (never more: the second answer is returned
/// whatever it is).
///
/// The request body must be `Clone` to be sent twice (`Full<Bytes>`,
/// `String`, `Bytes`…).
#[derive(Debug, Clone)]
pub struct BearerAuth {
    provider: SharedCredentialProvider,
}

impl BearerAuth {
    /// Tokens from `provider`.
    pub fn new(provider: SharedCredentialProvider) -> Self {
        Self { provider }
    }
}

impl<S> Layer<S> for BearerAuth {
    type Service = BearerAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerAuthService {
            inner,
            provider: self.provider.clone(),
        }
    }
}

/// The service of [`BearerAuth`].
#[derive(Debug, Clone)]
pub struct BearerAuthService<S> {
    inner: S,
    provider: SharedCredentialProvider,
}

async fn authorized<B>(
    provider: &SharedCredentialProvider,
    mut request: Request<B>,
) -> Result<Request<B>, BoxError> {
    // `Bearer`, or `DPoP` and a proof of this request for a DPoP-bound token
    let method = request.method().as_str().to_owned();
    let url = request.uri().to_string();
    resource_authorization(provider.as_ref(), &method, &url)
        .await?
        .apply(request.headers_mut());
    Ok(request)
}

impl<S, B, RB> Service<Request<B>> for BearerAuthService<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Clone + Send + 'static,
    RB: Send + 'static,
{
    type Response = Response<RB>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Response<RB>, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let provider = self.provider.clone();
        Box::pin(async move {
            let first = authorized(&provider, request.clone()).await?;
            let response = inner.call(first).await.map_err(Into::into)?;
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            let url = request.uri().to_string();
            match resource_retry(
                provider.as_ref(),
                &url,
                response.status(),
                response.headers(),
            ) {
                ResourceRetry::SameToken => tracing::debug!(
                    "the resource server asked for a DPoP nonce; retrying once with it"
                ),
                _ => tracing::debug!(
                    "the resource server answered 401; retrying once with a new token"
                ),
            }
            let second = authorized(&provider, request).await?;
            std::future::poll_fn(|cx| inner.poll_ready(cx))
                .await
                .map_err(Into::into)?;
            inner.call(second).await.map_err(Into::into)
        })
    }
}
