//! [`BearerAuth`]: a tower layer that sends every request with
//! `Authorization: Bearer <token>` from a credential provider, and after a
//! 401 gets a fresh token and tries once more.

use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use http::{HeaderValue, Request, Response, StatusCode, header};
use idaas_credentials::SharedCredentialProvider;
use tower_layer::Layer;
use tower_service::Service;

/// The error of [`BearerAuthService`]: the provider's or the inner
/// service's.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Injects the provider's bearer token; on a 401 from the resource server
/// invalidates the cached token and retries once with a new one (never
/// more: the second answer is returned whatever it is).
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
    let token = provider.bearer_token().await?;
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
        .map_err(|_| "the access token is not a valid header value")?;
    value.set_sensitive(true);
    request.headers_mut().insert(header::AUTHORIZATION, value);
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
            tracing::debug!("the resource server answered 401; retrying once with a new token");
            provider.invalidate();
            let second = authorized(&provider, request).await?;
            std::future::poll_fn(|cx| inner.poll_ready(cx))
                .await
                .map_err(Into::into)?;
            inner.call(second).await.map_err(Into::into)
        })
    }
}
