//! [`PamClient`] and its transport: the builder, headers, paths, the 401
//! refresh-and-retry, and the mapping of answers to [`Error`]. The
//! operations are in `api_keys`, `jwt_tokens`, `oauth_tokens` and `sts`.

use std::sync::Arc;

use idaas_core::config::PAM_SCOPE;
use idaas_core::http::{Bytes, HttpRequest, HttpResponse, Method, SharedHttpClient, header};
// a path segment: only unreserved characters stay
use idaas_core::percent::encode as segment;
use idaas_credentials::{CredentialProviderFactory, SharedCredentialProvider};
use idaas_oauth::form::encode_component;
use rand::RngCore;
use serde_json::{Map, Value};
use tracing::Instrument;

use crate::error::Error;

/// The developer API version.
pub const API_VERSION: &str = "2022-02-25";

/// A client of the PAM developer API. Cheap to clone; store it as is.
#[derive(Debug, Clone)]
pub struct PamClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    base_url: String,
    instance_id: String,
    http: SharedHttpClient,
    credentials: SharedCredentialProvider,
}

/// Builds a [`PamClient`].
#[derive(Debug, Default)]
#[must_use]
pub struct PamClientBuilder {
    endpoint: Option<String>,
    instance_id: Option<String>,
    http: Option<SharedHttpClient>,
    credentials: Option<SharedCredentialProvider>,
}

impl PamClientBuilder {
    /// `developerApiEndpoint` (https URL or host; http only on loopback).
    pub fn developer_api_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The IDaaS instance id.
    pub fn idaas_instance_id(mut self, id: impl Into<String>) -> Self {
        self.instance_id = Some(id.into());
        self
    }

    /// Where bearer tokens come from (e.g. a static provider after a token exchange).
    pub fn credential_provider(mut self, provider: SharedCredentialProvider) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// The HTTP client (default: a new `HyperClient`).
    pub fn http_client(mut self, http: SharedHttpClient) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<PamClient, Error> {
        let missing = |what: &str| {
            Error::InvalidArgument(format!("{what} is required to build a PAM client"))
        };
        let endpoint = self
            .endpoint
            .ok_or_else(|| missing("developerApiEndpoint"))?;
        let base_url = normalise(&endpoint);
        idaas_core::http::check_url(&base_url)?;
        let http = match self.http {
            Some(http) => http,
            None => Arc::new(idaas_core::http::HyperClient::default_client()?),
        };
        Ok(PamClient {
            inner: Arc::new(Inner {
                base_url,
                instance_id: self.instance_id.ok_or_else(|| missing("idaasInstanceId"))?,
                http,
                credentials: self
                    .credentials
                    .ok_or_else(|| missing("a credential provider"))?,
            }),
        })
    }
}

fn normalise(endpoint: &str) -> String {
    let endpoint = endpoint.trim().trim_end_matches('/');
    if endpoint.starts_with("https://") || endpoint.starts_with("http://") {
        endpoint.to_owned()
    } else {
        format!("https://{endpoint}")
    }
}

fn nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn require(value: &str, name: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::InvalidArgument(format!("{name} is required")));
    }
    Ok(())
}

/// One call: operation phrase, action, method, path, query, body, bearer?
pub(crate) struct Call<'a> {
    pub(crate) phrase: &'static str,
    pub(crate) action: &'static str,
    pub(crate) method: Method,
    pub(crate) path: &'a str,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Value>,
    pub(crate) bearer: bool,
}

impl<'a> Call<'a> {
    /// A POST of a JSON body to `path`.
    pub(crate) fn post(
        (phrase, action): (&'static str, &'static str),
        path: &'a str,
        body: Value,
        bearer: bool,
    ) -> Self {
        Self {
            phrase,
            action,
            method: Method::POST,
            path,
            query: vec![],
            body: Some(body),
            bearer,
        }
    }
}

/// `user-agent`: the shape of the Alibaba Cloud OpenAPI runtime's (OS, arch,
/// runtime, `TeaDSL/2`) with this crate in place of the Python runtime, plus `$ALIBABA_CLOUD_USER_AGENT` when set.
fn user_agent() -> String {
    let base = format!(
        "AlibabaCloud ({}; {}) Rust idaas-pam/{} TeaDSL/2",
        std::env::consts::OS,
        std::env::consts::ARCH,
        env!("CARGO_PKG_VERSION")
    );
    match std::env::var("ALIBABA_CLOUD_USER_AGENT") {
        Ok(extra) if !extra.trim().is_empty() => format!("{base} {extra}"),
        _ => base,
    }
}

impl PamClient {
    /// A builder.
    pub fn builder() -> PamClientBuilder {
        PamClientBuilder::default()
    }

    /// From a credential factory: its `developerApiEndpoint`, instance id,
    /// HTTP client, and the provider of the PAM scope `urn:cloud:idaas:pam|.all`.
    pub async fn from_factory(factory: &CredentialProviderFactory) -> Result<Self, Error> {
        let config = factory.config();
        let endpoint = config.developer_api_endpoint.clone().ok_or_else(|| {
            Error::InvalidArgument("developerApiEndpoint is not configured".into())
        })?;
        let provider = factory.provider_for_scope(PAM_SCOPE).await?;
        Self::builder()
            .developer_api_endpoint(endpoint)
            .idaas_instance_id(config.idaas_instance_id.clone())
            .http_client(factory.http_client())
            .credential_provider(Arc::new(provider))
            .build()
    }

    pub(crate) fn path(&self, rest: &str) -> String {
        format!("/v2/{}{rest}", segment(&self.inner.instance_id))
    }

    async fn send(&self, call: &Call<'_>) -> Result<HttpResponse, Error> {
        let mut url = format!("{}{}", self.inner.base_url, call.path);
        if !call.query.is_empty() {
            let query: Vec<String> = call
                .query
                .iter()
                .map(|(k, v)| format!("{k}={}", encode_component(v)))
                .collect();
            url.push('?');
            url.push_str(&query.join("&"));
        }
        let mut response = self.attempt(call, &url).await?;
        if response.status() == 401 && call.bearer {
            // the token may have been revoked or rotated: one refresh, one retry
            self.inner.credentials.invalidate();
            response = self.attempt(call, &url).await?;
        }
        Ok(response)
    }

    async fn attempt(&self, call: &Call<'_>, url: &str) -> Result<HttpResponse, Error> {
        let mut builder = http::Request::builder()
            .method(call.method.clone())
            .uri(url)
            .header(header::ACCEPT, "application/json")
            .header(header::DATE, httpdate_now())
            .header(header::USER_AGENT, user_agent())
            .header("x-acs-signature-nonce", nonce())
            // declared although nothing is signed: the bearer token authenticates
            .header("x-acs-signature-method", "HMAC-SHA1")
            .header("x-acs-signature-version", "1.0")
            .header("x-acs-version", API_VERSION)
            .header("x-acs-action", call.action);
        if call.bearer {
            let token = self.inner.credentials.bearer_token().await?;
            let mut value = http::HeaderValue::from_str(&format!(
                "Bearer {}",
                token.expose_secret()
            ))
            .map_err(|_| {
                Error::InvalidArgument("the bearer token is not a valid header value".into())
            })?;
            value.set_sensitive(true);
            builder = builder.header(header::AUTHORIZATION, value);
        }
        let body = match &call.body {
            Some(body) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json; charset=utf-8");
                Bytes::from(serde_json::to_vec(body).unwrap_or_default())
            }
            None => Bytes::new(),
        };
        let request: HttpRequest = builder
            .body(body)
            .map_err(|e| Error::InvalidArgument(format!("invalid request: {e}")))?;
        // the transport's span inside this one times it and records the status
        let span = tracing::info_span!(
            "pam",
            endpoint = %self.inner.base_url,
            operation = call.phrase,
            action = call.action,
        );
        Ok(self.inner.http.execute(request).instrument(span).await?)
    }

    /// A call whose JSON body is the answer (status exactly 200).
    pub(crate) async fn json(&self, call: Call<'_>) -> Result<Map<String, Value>, Error> {
        let response = self.send(&call).await?;
        check(call.phrase, &response, false)?;
        match serde_json::from_slice(response.body()) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(Error::InvalidResponse {
                operation: call.phrase,
                reason: "the body is not a JSON object".into(),
            }),
        }
    }

    /// A POST of a JSON body to `/v2/{instance}{rest}` whose JSON body is the answer.
    pub(crate) async fn post(
        &self,
        (phrase, action): (&'static str, &'static str),
        rest: &str,
        body: Value,
        bearer: bool,
    ) -> Result<Map<String, Value>, Error> {
        let path = self.path(rest);
        self.json(Call::post((phrase, action), &path, body, bearer))
            .await
    }

    /// An authorised GET of `/v2/{instance}{rest}?query` whose JSON body is the answer.
    pub(crate) async fn get(
        &self,
        (phrase, action): (&'static str, &'static str),
        rest: &str,
        query: Vec<(&'static str, String)>,
    ) -> Result<Map<String, Value>, Error> {
        let path = self.path(rest);
        self.json(Call {
            phrase,
            action,
            method: Method::GET,
            path: &path,
            query,
            body: None,
            bearer: true,
        })
        .await
    }

    /// A call whose body is ignored: any 2xx, 204 included, is success
    /// (the reference's insistence on exactly 200 is defect 6 of the spec).
    pub(crate) async fn no_content(&self, call: Call<'_>) -> Result<(), Error> {
        let response = self.send(&call).await?;
        check(call.phrase, &response, true)
    }
}

fn httpdate_now() -> String {
    // RFC 1123, as the reference runtime sends
    httpdate::fmt_http_date(std::time::SystemTime::now())
}

/// Maps an answer other than 200 (any 2xx with `any_success`) to [`Error::Api`],
/// by the HTTP status (the reference read it from the body: defect 1).
fn check(operation: &'static str, response: &HttpResponse, any_success: bool) -> Result<(), Error> {
    let status = response.status().as_u16();
    if status == 200 || (any_success && response.status().is_success()) {
        return Ok(());
    }
    let body: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let code = text("error");
    Err(Error::Api {
        operation,
        status,
        code: if code.is_empty() {
            "unknown".into()
        } else {
            code
        },
        message: text("error_description"),
        request_id: {
            let id = text("request_id");
            if id.is_empty() { "-".into() } else { id }
        },
    })
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    operation: &'static str,
    map: Map<String, Value>,
) -> Result<T, Error> {
    serde_json::from_value(Value::Object(map)).map_err(|e| Error::InvalidResponse {
        operation,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_segments() {
        assert_eq!(segment("idaas_x/y z*~"), "idaas_x%2Fy%20z%2A~");
        assert!(httpdate_now().ends_with(" GMT"));
        assert_eq!(
            normalise("eiam-developerapi.example.com/"),
            "https://eiam-developerapi.example.com"
        );
    }
}
