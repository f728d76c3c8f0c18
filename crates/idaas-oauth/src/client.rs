//! [`OAuthClient`]: a plain, storable client of one authorization server's
//! token, introspection and revocation endpoints.

use idaas_core::SecretString;
use idaas_core::clock::{self, SharedClock};
use idaas_core::http::{
    Bytes, HeaderMap, HeaderValue, HttpRequest, Method, SharedHttpClient, header,
};
use serde_json::Value;
use tracing::Instrument;

use crate::client_auth::ClientAuth;
use crate::discovery::ProviderMetadata;
use crate::dpop::{DPOP_HEADER, Dpop};
use crate::error::Error;
use crate::form::Form;
use crate::grants::{ClientCredentials, TokenExchange};
use crate::key_directory::KeyDirectory;
use crate::response::{TokenResponse, json_object, parse_token_response_for};
use crate::user_grant::UserAssertion;

/// A client of one authorization server. Clone it freely; store it in a
/// struct without spelling out any type parameter.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    http: SharedHttpClient,
    client_id: String,
    auth: ClientAuth,
    token_endpoint: String,
    assertion_audience: Option<String>,
    introspection_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    issuer: Option<String>,
    clock: SharedClock,
    dpop: Option<Dpop>,
    certificate_binding: Option<String>,
}

/// The answer of an introspection request (RFC 7662 §2.2).
#[derive(Debug, Clone)]
pub struct Introspection {
    /// Whether the token is active.
    pub active: bool,
    /// Every member, as sent.
    pub claims: serde_json::Map<String, Value>,
}

impl Introspection {
    /// A string member (`scope`, `client_id`, `sub`, `token_type`, …).
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

impl OAuthClient {
    /// A client of `token_endpoint` authenticating as `client_id` with `auth`.
    pub fn new(
        http: SharedHttpClient,
        client_id: impl Into<String>,
        token_endpoint: impl Into<String>,
        auth: ClientAuth,
    ) -> Self {
        Self {
            http,
            client_id: client_id.into(),
            auth,
            token_endpoint: token_endpoint.into(),
            assertion_audience: None,
            introspection_endpoint: None,
            revocation_endpoint: None,
            issuer: None,
            clock: clock::system(),
            dpop: None,
            certificate_binding: None,
        }
    }

    /// A client of the server described by `metadata`: its token,
    /// introspection and revocation endpoints and its issuer; their
    /// `mtls_endpoint_aliases` (RFC 8705 §5) when `auth` is one of the mTLS
    /// methods.
    pub fn from_metadata(
        http: SharedHttpClient,
        client_id: impl Into<String>,
        metadata: &ProviderMetadata,
        auth: ClientAuth,
    ) -> Self {
        let aliased;
        let metadata = if auth.uses_mtls() {
            aliased = metadata.mtls_aliased();
            &aliased
        } else {
            metadata
        };
        let mut client = Self::new(http, client_id, metadata.token_endpoint.clone(), auth);
        client.introspection_endpoint = metadata.introspection_endpoint.clone();
        client.revocation_endpoint = metadata.revocation_endpoint.clone();
        client.issuer = Some(metadata.issuer.clone());
        client
    }

    /// The authorization server's issuer (the `aud` of user assertions).
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The authorization server's issuer, if known.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The `aud` of client assertions, if not the token endpoint.
    pub fn with_assertion_audience(mut self, audience: impl Into<String>) -> Self {
        self.assertion_audience = Some(audience.into());
        self
    }

    /// The introspection endpoint (RFC 7662).
    pub fn with_introspection_endpoint(mut self, url: impl Into<String>) -> Self {
        self.introspection_endpoint = Some(url.into());
        self
    }

    /// The revocation endpoint (RFC 7009).
    pub fn with_revocation_endpoint(mut self, url: impl Into<String>) -> Self {
        self.revocation_endpoint = Some(url.into());
        self
    }

    /// The clock used for assertion times and `expires_at`.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Binds every token this client obtains to a DPoP key (RFC 9449): each
    /// token request carries a proof, a `use_dpop_nonce` answer is retried
    /// once with the server's nonce, and a token that comes back as
    /// `Bearer` instead of `DPoP` is refused (no silent downgrade).
    pub fn with_dpop(mut self, dpop: Dpop) -> Self {
        self.dpop = Some(dpop);
        self
    }

    /// The `x5t#S256` of the client certificate this client presents
    /// ([`crate::mtls::identity_thumbprint`]): a token response whose JWT
    /// access token is bound (`cnf.x5t#S256`, RFC 8705 §3.1) to another
    /// certificate is refused.
    pub fn with_certificate_binding(mut self, thumbprint: impl Into<String>) -> Self {
        self.certificate_binding = Some(thumbprint.into());
        self
    }

    /// The DPoP key and nonces, when tokens are DPoP-bound.
    pub fn dpop(&self) -> Option<&Dpop> {
        self.dpop.as_ref()
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The token endpoint.
    pub fn token_endpoint(&self) -> &str {
        &self.token_endpoint
    }

    /// Client credentials grant (RFC 6749 §4.4).
    pub async fn client_credentials(
        &self,
        request: &ClientCredentials,
    ) -> Result<TokenResponse, Error> {
        let mut grant = Form::new();
        grant.push("grant_type", "client_credentials");
        request.append_to(&mut grant);
        self.token("client_credentials", grant).await
    }

    /// Refresh token grant (RFC 6749 §6).
    pub async fn refresh(
        &self,
        refresh_token: &SecretString,
        scope: Option<&str>,
    ) -> Result<TokenResponse, Error> {
        let mut grant = Form::new();
        grant.push("grant_type", "refresh_token");
        grant.push_secret("refresh_token", refresh_token);
        grant.push_opt("scope", scope);
        self.token("refresh_token", grant).await
    }

    /// Token exchange (RFC 8693); `issued_token_type` is in the credential.
    pub async fn token_exchange(&self, request: &TokenExchange) -> Result<TokenResponse, Error> {
        let mut grant = Form::new();
        request.append_fields(&mut grant);
        self.token("token-exchange", grant).await
    }

    /// JWT bearer grant (RFC 7523 §2.1) with a signed assertion.
    pub async fn jwt_bearer(
        &self,
        assertion: &SecretString,
        scope: Option<&str>,
    ) -> Result<TokenResponse, Error> {
        let mut grant = Form::new();
        grant.push("grant_type", crate::grants::JWT_BEARER_GRANT);
        grant.push_secret("assertion", assertion);
        grant.push_opt("scope", scope);
        self.token("jwt-bearer", grant).await
    }

    /// The baikal-sdk user grant: a jwt-bearer request whose assertion, signed
    /// by a key of `keys` chosen at random, says that our `issuer` vouches
    /// for the user of `assertion`, for the authorization server's issuer
    /// (the assertion's `aud`). Scopes and purposes travel in the assertion.
    pub async fn grant_user(
        &self,
        keys: &KeyDirectory,
        issuer: &str,
        assertion: &UserAssertion,
    ) -> Result<TokenResponse, Error> {
        if issuer.is_empty() {
            return Err(Error::Misconfigured(
                "the user grant needs our own issuer (the assertion's iss)".into(),
            ));
        }
        let key = keys.choose().ok_or_else(|| {
            Error::Misconfigured("the user grant needs at least one private key".into())
        })?;
        let audience = self.issuer.as_deref().ok_or_else(|| {
            Error::Misconfigured(
                "the user grant needs the authorization server's issuer (use from_metadata or with_issuer)"
                    .into(),
            )
        })?;
        let signed = assertion.sign(key, issuer, audience, self.clock.now())?;
        self.jwt_bearer(&signed, None).await
    }

    /// A token request with the given grant fields, after the client's
    /// authentication fields. For callers that need an exact field order.
    pub async fn token(
        &self,
        grant_name: &'static str,
        grant: Form,
    ) -> Result<TokenResponse, Error> {
        let endpoint = &self.token_endpoint;
        // RFC 6749 §5.1: a response without `scope` granted the requested one
        let requested_scope = grant.get("scope").map(str::to_owned);
        let mut nonce_retried = false;
        loop {
            // a fresh client assertion per attempt: its jti is single-use
            let (form, mut headers) = self.authenticated(endpoint, |f| {
                f.append(grant.clone());
            })?;
            if let Some(dpop) = &self.dpop {
                let proof = dpop.proof_header("POST", endpoint, None, self.clock.now())?;
                headers.insert(DPOP_HEADER, proof);
            }
            let response = self.post(endpoint, grant_name, form, headers).await?;
            if let Some(dpop) = &self.dpop
                && dpop.needs_retry(endpoint, &response)
                && !std::mem::replace(&mut nonce_retried, true)
            {
                continue;
            }
            let mut token = parse_token_response_for(
                endpoint,
                &response,
                self.clock.now(),
                self.dpop.is_some(),
            )?;
            if token.credential.scope.is_none() {
                token.credential.scope = requested_scope;
            }
            if let (Some(ours), Some(bound)) =
                (&self.certificate_binding, &token.certificate_thumbprint)
                && ours != bound
            {
                return Err(Error::InvalidResponse {
                    endpoint: endpoint.clone(),
                    reason: "the access token is bound (cnf.x5t#S256) to another client certificate than the one this client presents".into(),
                });
            }
            return Ok(token);
        }
    }

    /// Token introspection (RFC 7662).
    pub async fn introspect(
        &self,
        token: &SecretString,
        token_type_hint: Option<&str>,
    ) -> Result<Introspection, Error> {
        let endpoint = self
            .introspection_endpoint
            .clone()
            .ok_or_else(|| Error::Misconfigured("no introspection endpoint configured".into()))?;
        let (form, headers) = self.authenticated(&endpoint, |f| {
            f.push_secret("token", token);
            f.push_opt("token_type_hint", token_type_hint);
        })?;
        let response = self.post(&endpoint, "introspection", form, headers).await?;
        let claims = json_object(&endpoint, &response)?;
        let active = match claims.get("active") {
            Some(Value::Bool(b)) => *b,
            _ => {
                return Err(Error::InvalidResponse {
                    endpoint,
                    reason: "`active` must be a boolean".into(),
                });
            }
        };
        Ok(Introspection { active, claims })
    }

    /// Token revocation (RFC 7009). An unknown token is not an error.
    pub async fn revoke(
        &self,
        token: &SecretString,
        token_type_hint: Option<&str>,
    ) -> Result<(), Error> {
        let endpoint = self
            .revocation_endpoint
            .clone()
            .ok_or_else(|| Error::Misconfigured("no revocation endpoint configured".into()))?;
        let (form, headers) = self.authenticated(&endpoint, |f| {
            f.push_secret("token", token);
            f.push_opt("token_type_hint", token_type_hint);
        })?;
        let response = self.post(&endpoint, "revocation", form, headers).await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(crate::response::error_from(&endpoint, &response))
        }
    }

    /// POSTs `fields` to `endpoint` after the client's authentication.
    pub(crate) async fn authenticated_post(
        &self,
        endpoint: &str,
        operation: &'static str,
        fields: Form,
    ) -> Result<idaas_core::http::HttpResponse, Error> {
        let (form, headers) = self.authenticated(endpoint, |f| {
            f.append(fields);
        })?;
        self.post(endpoint, operation, form, headers).await
    }

    pub(crate) fn authenticated(
        &self,
        endpoint: &str,
        fields: impl FnOnce(&mut Form),
    ) -> Result<(Form, HeaderMap), Error> {
        let mut form = Form::new();
        let mut headers = HeaderMap::new();
        let audience = self.assertion_audience.as_deref().unwrap_or(endpoint);
        self.auth.apply(
            &self.client_id,
            audience,
            self.clock.now(),
            &mut form,
            &mut headers,
        )?;
        fields(&mut form);
        Ok((form, headers))
    }

    pub(crate) async fn post(
        &self,
        endpoint: &str,
        operation: &'static str,
        form: Form,
        headers: HeaderMap,
    ) -> Result<idaas_core::http::HttpResponse, Error> {
        let mut request: HttpRequest = http::Request::builder()
            .method(Method::POST)
            .uri(endpoint)
            .body(Bytes::from(form.encode()))
            .map_err(|e| Error::Misconfigured(format!("invalid endpoint {endpoint:?}: {e}")))?;
        *request.headers_mut() = headers;
        request.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        request
            .headers_mut()
            .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        // what the call is; the transport's span inside it times the
        // exchange and records its status
        let span = tracing::info_span!(
            "oauth",
            operation,
            endpoint = %endpoint,
            client_id = %self.client_id,
            auth = self.auth.method_name(),
        );
        Ok(self.http.execute(request).instrument(span).await?)
    }
}
