//! GET of a JSON document (discovery, JWKS), with a `tracing` span. The
//! transport never follows redirects; a redirect is an error here.

use std::time::Duration;

use idaas_core::SecretString;
use idaas_core::http::{Bytes, HeaderValue, HttpResponse, Method, SharedHttpClient, header};
use serde_json::{Map, Value};
use tracing::Instrument;

use crate::dpop::Dpop;
use crate::error::Error;
use crate::response::json_object;

/// GETs `url` and returns the response (any status).
pub(crate) async fn get(
    http: &SharedHttpClient,
    url: &str,
    operation: &'static str,
) -> Result<HttpResponse, Error> {
    get_with_bearer(http, url, operation, None).await
}

/// How a GET proves its access token.
#[derive(Clone, Copy)]
pub(crate) enum Authorization<'a> {
    /// No token.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(&'a SecretString),
    /// `Authorization: DPoP <token>` and a proof signed at Unix time
    /// `now`; a `use_dpop_nonce` challenge is answered once.
    Dpop(&'a SecretString, &'a Dpop, Duration),
}

/// GETs `url` with `Authorization: Bearer <token>` when a token is given.
pub(crate) async fn get_with_bearer(
    http: &SharedHttpClient,
    url: &str,
    operation: &'static str,
    bearer: Option<&SecretString>,
) -> Result<HttpResponse, Error> {
    let auth = bearer.map_or(Authorization::None, Authorization::Bearer);
    get_authorized(http, url, operation, auth).await
}

/// GETs `url` with the access token of `auth`.
pub(crate) async fn get_authorized(
    http: &SharedHttpClient,
    url: &str,
    operation: &'static str,
    auth: Authorization<'_>,
) -> Result<HttpResponse, Error> {
    let response = get_once(http, url, operation, auth).await?;
    match auth {
        Authorization::Dpop(_, dpop, _) if dpop.needs_retry(url, &response) => {
            get_once(http, url, operation, auth).await
        }
        _ => Ok(response),
    }
}

async fn get_once(
    http: &SharedHttpClient,
    url: &str,
    operation: &'static str,
    auth: Authorization<'_>,
) -> Result<HttpResponse, Error> {
    let mut request = http::Request::builder()
        .method(Method::GET)
        .uri(url)
        .body(Bytes::new())
        .map_err(|e| Error::Misconfigured(format!("invalid URL {url:?}: {e}")))?;
    request
        .headers_mut()
        .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    match auth {
        Authorization::None => {}
        Authorization::Bearer(token) => {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| {
                    Error::Misconfigured("the access token is not a valid header value".into())
                })?;
            value.set_sensitive(true);
            request.headers_mut().insert(header::AUTHORIZATION, value);
        }
        Authorization::Dpop(token, dpop, now) => {
            dpop.resource_headers("GET", url, token, now)?
                .apply(request.headers_mut());
        }
    }
    // the transport's span inside this one times it and records the status
    let span = tracing::info_span!("oauth", operation, endpoint = %url);
    Ok(http.execute(request).instrument(span).await?)
}

/// GETs `url` and returns its JSON object body.
pub(crate) async fn get_json(
    http: &SharedHttpClient,
    url: &str,
    operation: &'static str,
) -> Result<Map<String, Value>, Error> {
    let response = get(http, url, operation).await?;
    json_object(url, &response)
}
