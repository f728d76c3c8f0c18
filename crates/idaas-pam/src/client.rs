//! [`PamClient`]: the transport of the developer API and its operations.

use std::sync::Arc;

use futures_util::Stream;
use idaas_core::SecretString;
use idaas_core::config::PAM_SCOPE;
use idaas_core::http::{Bytes, HttpRequest, HttpResponse, Method, SharedHttpClient, header};
// a path segment: only unreserved characters stay
use idaas_core::percent::encode as segment;
use idaas_credentials::{CredentialProviderFactory, SharedCredentialProvider};
use idaas_oauth::form::encode_component;
use rand::RngCore;
use serde_json::{Map, Value, json};
use tracing::Instrument;

use crate::error::Error;
use crate::model::{
    AuthenticationToken, GenerateJwt, JwtAuthenticationToken, JwtContent, TokenFilter, TokenPage,
};

/// The developer API version.
pub const API_VERSION: &str = "2022-02-25";
/// The reserved audience prefix generated JWTs may not use.
pub const RESERVED_AUDIENCE_PREFIX: &str = "urn:cloud:idaas";

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
struct Call<'a> {
    phrase: &'static str,
    action: &'static str,
    method: Method,
    path: &'a str,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    bearer: bool,
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

    fn path(&self, rest: &str) -> String {
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
    async fn json(&self, call: Call<'_>) -> Result<Map<String, Value>, Error> {
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
        self.json(Call {
            phrase,
            action,
            method: Method::POST,
            path: &path,
            query: vec![],
            body: Some(body),
            bearer,
        })
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
    async fn no_content(&self, call: Call<'_>) -> Result<(), Error> {
        let response = self.send(&call).await?;
        check(call.phrase, &response, true)
    }

    /// `ObtainCredential`: the API key of a credential, or `None` for a
    /// credential without one (an OAuth client).
    pub async fn get_api_key(
        &self,
        credential_identifier: &str,
    ) -> Result<Option<SecretString>, Error> {
        require(credential_identifier, "credential_identifier")?;
        let map = self
            .get(
                ("obtain credential", "ObtainCredential"),
                "/credentials/_/actions/obtain",
                vec![("credentialIdentifier", credential_identifier.to_owned())],
            )
            .await?;
        Ok(map
            .get("credentialContent")
            .and_then(|c| c.get("apiKeyContent"))
            .and_then(|c| c.get("apiKey"))
            .and_then(Value::as_str)
            .map(SecretString::from))
    }

    /// `GenerateJwtAuthenticationToken`.
    pub async fn generate_jwt_authentication_token(
        &self,
        request: &GenerateJwt,
    ) -> Result<JwtAuthenticationToken, Error> {
        require(
            &request.credential_provider_identifier,
            "credential_provider_identifier",
        )?;
        require(&request.subject, "subject")?;
        if request.audiences.is_empty() {
            return Err(Error::InvalidArgument(
                "at least one audience is required".into(),
            ));
        }
        if let Some(reserved) = request
            .audiences
            .iter()
            .find(|a| a.starts_with(RESERVED_AUDIENCE_PREFIX))
        {
            return Err(Error::InvalidArgument(format!(
                "audience {reserved:?} uses the reserved prefix {RESERVED_AUDIENCE_PREFIX}"
            )));
        }
        let mut body = Map::new();
        body.insert("audiences".into(), json!(request.audiences));
        body.insert(
            "credentialProviderIdentifier".into(),
            json!(request.credential_provider_identifier),
        );
        if let Some(claims) = &request.custom_claims {
            body.insert("customClaims".into(), Value::Object(claims.clone()));
        }
        if let Some(expiration) = request.expiration {
            body.insert("expiration".into(), json!(expiration));
        }
        if request.include_derived_short_token {
            body.insert("includeDerivedShortToken".into(), json!(true));
        }
        if let Some(issuer) = &request.issuer {
            body.insert("issuer".into(), json!(issuer));
        }
        body.insert("subject".into(), json!(request.subject));
        let map = self
            .post(
                (
                    "generate JWT authentication token",
                    "GenerateJwtAuthenticationToken",
                ),
                "/authenticationTokens/_/actions/generateJwt",
                Value::Object(body),
                true,
            )
            .await?;
        parse("generate JWT authentication token", map)
    }

    /// `ObtainJwtAuthenticationToken`: the JWT of a token by its id.
    pub async fn obtain_jwt_authentication_token(
        &self,
        consumer_id: &str,
        authentication_token_id: &str,
    ) -> Result<JwtContent, Error> {
        require(consumer_id, "consumer_id")?;
        require(authentication_token_id, "authentication_token_id")?;
        let body =
            json!({"authenticationTokenId": authentication_token_id, "consumerId": consumer_id});
        let map = self
            .post(
                (
                    "obtain JWT authentication token",
                    "ObtainJwtAuthenticationToken",
                ),
                "/authenticationTokens/_/actions/obtainJwt",
                body,
                true,
            )
            .await?;
        jwt_content("obtain JWT authentication token", map)
    }

    /// `ObtainJwtAuthenticationTokenByDerivedShortToken` (no bearer token: a consumer call).
    pub async fn obtain_jwt_authentication_token_by_derived_short_token(
        &self,
        derived_short_token: &SecretString,
    ) -> Result<JwtContent, Error> {
        require(derived_short_token.expose_secret(), "derived_short_token")?;
        let map = self
            .post(
                (
                    "obtain JWT authentication token by derived short token",
                    "ObtainJwtAuthenticationTokenByDerivedShortToken",
                ),
                "/authenticationTokens/_/actions/obtainJwtByDerivedShortToken",
                json!({"derivedShortToken": derived_short_token.expose_secret()}),
                false,
            )
            .await?;
        jwt_content(
            "obtain JWT authentication token by derived short token",
            map,
        )
    }

    /// `ListAuthenticationTokens`: one page.
    pub async fn list_authentication_tokens(
        &self,
        consumer_id: &str,
        credential_provider_identifier: &str,
        filter: &TokenFilter,
        next_token: Option<&str>,
    ) -> Result<TokenPage, Error> {
        require(consumer_id, "consumer_id")?;
        require(
            credential_provider_identifier,
            "credential_provider_identifier",
        )?;
        let mut query = vec![
            ("consumerId", consumer_id.to_owned()),
            (
                "credentialProviderIdentifier",
                credential_provider_identifier.to_owned(),
            ),
        ];
        if let Some(expired) = filter.expired {
            query.push(("expired", expired.to_string()));
        }
        if let Some(max) = filter.max_results {
            query.push(("maxResults", max.to_string()));
        }
        if let Some(token) = next_token {
            query.push(("nextToken", token.to_owned()));
        }
        if let Some(revoked) = filter.revoked {
            query.push(("revoked", revoked.to_string()));
        }
        let map = self
            .get(
                ("list authentication tokens", "ListAuthenticationTokens"),
                "/authenticationTokens",
                query,
            )
            .await?;
        parse("list authentication tokens", map)
    }

    /// Every token of a consumer and provider, page after page.
    pub fn authentication_tokens<'a>(
        &'a self,
        consumer_id: &'a str,
        credential_provider_identifier: &'a str,
        filter: TokenFilter,
    ) -> impl Stream<Item = Result<AuthenticationToken, Error>> + Send + 'a {
        use futures_util::StreamExt;
        enum State {
            Start,
            Next(String),
            Done,
        }
        futures_util::stream::unfold(State::Start, move |state| {
            let filter = filter.clone();
            async move {
                let next = match state {
                    State::Done => return None,
                    State::Start => None,
                    State::Next(token) => Some(token),
                };
                let page = self
                    .list_authentication_tokens(
                        consumer_id,
                        credential_provider_identifier,
                        &filter,
                        next.as_deref(),
                    )
                    .await;
                Some(match page {
                    Ok(page) => {
                        let state = match page.next_token.filter(|t| !t.is_empty()) {
                            Some(token) => State::Next(token),
                            None => State::Done,
                        };
                        (
                            futures_util::stream::iter(page.entities.into_iter().map(Ok))
                                .left_stream(),
                            state,
                        )
                    }
                    Err(e) => (
                        futures_util::stream::iter(vec![Err(e)]).right_stream(),
                        State::Done,
                    ),
                })
            }
        })
        .flatten()
    }

    /// `ValidateAuthenticationToken` (no bearer token): whether a JWT or
    /// derived short token is active.
    pub async fn validate_authentication_token(&self, token: &SecretString) -> Result<bool, Error> {
        self.validate_authentication_token_with_hint(token, None)
            .await
    }

    /// [`Self::validate_authentication_token`] with a `token_type_hint`
    /// (the API currently needs none).
    pub async fn validate_authentication_token_with_hint(
        &self,
        token: &SecretString,
        token_type_hint: Option<&str>,
    ) -> Result<bool, Error> {
        let map = self
            .post(
                (
                    "validate authentication token",
                    "ValidateAuthenticationToken",
                ),
                "/authenticationTokens/_/actions/validate",
                token_body(token, token_type_hint)?,
                false,
            )
            .await?;
        map.get("active")
            .and_then(Value::as_bool)
            .ok_or(Error::InvalidResponse {
                operation: "validate authentication token",
                reason: "no boolean `active`".into(),
            })
    }

    async fn lifecycle(
        &self,
        phrase: &'static str,
        action: &'static str,
        rest: &str,
        body: Value,
    ) -> Result<(), Error> {
        let path = self.path(rest);
        self.no_content(Call {
            phrase,
            action,
            method: Method::POST,
            path: &path,
            query: vec![],
            body: Some(body),
            bearer: true,
        })
        .await
    }

    async fn by_token(
        &self,
        phrase: &'static str,
        action: &'static str,
        rest: &str,
        token: &SecretString,
        token_type_hint: Option<&str>,
    ) -> Result<(), Error> {
        let body = token_body(token, token_type_hint)?;
        self.lifecycle(phrase, action, rest, body).await
    }

    async fn by_consumer(
        &self,
        phrase: &'static str,
        action: &'static str,
        rest: &str,
        consumer_id: &str,
        credential_provider_identifier: &str,
    ) -> Result<(), Error> {
        require(consumer_id, "consumer_id")?;
        require(
            credential_provider_identifier,
            "credential_provider_identifier",
        )?;
        let body = json!({"consumerId": consumer_id, "credentialProviderIdentifier": credential_provider_identifier});
        self.lifecycle(phrase, action, rest, body).await
    }

    /// `RevokeAuthenticationToken`: by the JWT or its derived short token.
    pub async fn revoke_authentication_token(&self, token: &SecretString) -> Result<(), Error> {
        self.revoke_authentication_token_with_hint(token, None)
            .await
    }

    /// [`Self::revoke_authentication_token`] with a `token_type_hint`
    /// (the API currently needs none).
    pub async fn revoke_authentication_token_with_hint(
        &self,
        token: &SecretString,
        token_type_hint: Option<&str>,
    ) -> Result<(), Error> {
        self.by_token(
            "revoke authentication token",
            "RevokeAuthenticationToken",
            "/authenticationTokens/_/actions/revoke",
            token,
            token_type_hint,
        )
        .await
    }

    /// `ReinstateAuthenticationToken`: by the JWT or its derived short token.
    pub async fn reinstate_authentication_token(&self, token: &SecretString) -> Result<(), Error> {
        self.reinstate_authentication_token_with_hint(token, None)
            .await
    }

    /// [`Self::reinstate_authentication_token`] with a `token_type_hint`
    /// (the API currently needs none).
    pub async fn reinstate_authentication_token_with_hint(
        &self,
        token: &SecretString,
        token_type_hint: Option<&str>,
    ) -> Result<(), Error> {
        self.by_token(
            "reinstate authentication token",
            "ReinstateAuthenticationToken",
            "/authenticationTokens/_/actions/reinstate",
            token,
            token_type_hint,
        )
        .await
    }

    /// `RevokeAuthenticationTokenByConsumer`: every token of a consumer and provider.
    pub async fn revoke_authentication_token_by_consumer(
        &self,
        consumer_id: &str,
        credential_provider_identifier: &str,
    ) -> Result<(), Error> {
        let rest = "/authenticationTokens/_/actions/revokeByConsumer";
        let (phrase, action) = (
            "revoke authentication token by consumer",
            "RevokeAuthenticationTokenByConsumer",
        );
        self.by_consumer(
            phrase,
            action,
            rest,
            consumer_id,
            credential_provider_identifier,
        )
        .await
    }

    /// `ReinstateAuthenticationTokenByConsumer`: every token of a consumer and provider.
    pub async fn reinstate_authentication_token_by_consumer(
        &self,
        consumer_id: &str,
        credential_provider_identifier: &str,
    ) -> Result<(), Error> {
        let rest = "/authenticationTokens/_/actions/reinstateByConsumer";
        let (phrase, action) = (
            "reinstate authentication token by consumer",
            "ReinstateAuthenticationTokenByConsumer",
        );
        self.by_consumer(
            phrase,
            action,
            rest,
            consumer_id,
            credential_provider_identifier,
        )
        .await
    }
}

/// `{"token", "token_type_hint"}`: the hint is snake_case on the wire, unlike
/// every other field of the API, and left out when `None`.
fn token_body(token: &SecretString, token_type_hint: Option<&str>) -> Result<Value, Error> {
    require(token.expose_secret(), "token")?;
    let mut body = json!({"token": token.expose_secret()});
    if let Some(hint) = token_type_hint {
        require(hint, "token_type_hint")?;
        body["token_type_hint"] = json!(hint);
    }
    Ok(body)
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

fn jwt_content(operation: &'static str, mut map: Map<String, Value>) -> Result<JwtContent, Error> {
    let content = map.remove("jwtContent").ok_or(Error::InvalidResponse {
        operation,
        reason: "no jwtContent".into(),
    })?;
    serde_json::from_value(content).map_err(|e| Error::InvalidResponse {
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
