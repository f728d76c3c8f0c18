//! [`UserClient`]: user sign-in against one OpenID Provider — the
//! authorization request, the code exchange into a verified [`Agent`],
//! refresh with a subject check, client credentials, userinfo, the
//! RP-initiated logout URL and revocation.

use std::sync::Arc;

use idaas_core::SecretString;
use idaas_core::clock::{self, SharedClock};
use idaas_core::http::SharedHttpClient;
use idaas_core::token::Credential;
use url::Url;

use crate::agent::{Agent, AgentKind};
use crate::authorize::{AuthorizationRequest, PendingAuthorization};
use crate::client::OAuthClient;
use crate::client_auth::ClientAuth;
use crate::device::DeviceAuthorization;
use crate::discovery::{Discovery, ProviderMetadata};
use crate::dpop::Dpop;
use crate::error::{Error, IdTokenError};
use crate::fetch::Authorization;
use crate::form::Form;
use crate::grants::ClientCredentials;
use crate::id_token::IdTokenVerifier;
use crate::jwks::JwtValidator;
use crate::store::{StoreKey, StoredTokens};
use crate::userinfo::UserInfo;

/// A client of one OpenID Provider for user sign-in. A plain struct: clone
/// it, store it, share it between tasks.
///
/// ```no_run
/// use std::sync::Arc;
/// use idaas_core::http::HyperClient;
/// use idaas_oauth::store::TokenStore;
/// use idaas_oauth::{ClientAuth, LoginFlow, SessionOptions, UserClient};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let http = Arc::new(HyperClient::new(Default::default())?);
/// let client =
///     UserClient::discover(http, "https://idp.example.com", "my-app", ClientAuth::None).await?;
/// let flow = LoginFlow::new()
///     .scopes(["openid", "email", "offline_access"])
///     .session(SessionOptions::default().store(TokenStore::default_location()?));
/// let session = match client.resume(&flow).await? {
///     Some(session) => session, // signed in before: the stored tokens
///     None => client.login(&flow).await?,
/// };
/// let agent = session.agent_fresh().await?; // refreshed within 60 s of expiry
/// if agent.has_access_in("acme", "read", "projects.tasks") {
///     println!("hello {}", agent.email().unwrap_or(agent.id()));
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct UserClient {
    http: SharedHttpClient,
    metadata: Arc<ProviderMetadata>,
    oauth: OAuthClient,
    verifier: IdTokenVerifier,
    clock: SharedClock,
}

/// The RP-initiated logout request (OpenID Connect RP-Initiated Logout 1.0).
#[derive(Debug, Clone, Default)]
pub struct LogoutRequest<'a> {
    /// `id_token_hint`: the ID token of the session to end.
    pub id_token_hint: Option<&'a SecretString>,
    /// `post_logout_redirect_uri`: where the provider sends the browser back.
    pub post_logout_redirect_uri: Option<&'a str>,
    /// `state`, returned with the redirect.
    pub state: Option<&'a str>,
}

impl UserClient {
    /// Discovers `issuer` and builds the client of `client_id`
    /// (`ClientAuth::None` for a public native app).
    pub async fn discover(
        http: SharedHttpClient,
        issuer: &str,
        client_id: impl Into<String>,
        auth: ClientAuth,
    ) -> Result<Self, Error> {
        let metadata = Discovery::new(http.clone(), issuer).metadata().await?;
        Self::from_metadata(http, metadata, client_id, auth)
    }

    /// The client of the provider described by `metadata` (its
    /// `mtls_endpoint_aliases` when `auth` is one of the mTLS methods).
    pub fn from_metadata(
        http: SharedHttpClient,
        metadata: Arc<ProviderMetadata>,
        client_id: impl Into<String>,
        auth: ClientAuth,
    ) -> Result<Self, Error> {
        let client_id = client_id.into();
        // PAR, device authorization and userinfo read these too
        let metadata = if auth.uses_mtls() {
            Arc::new(metadata.mtls_aliased())
        } else {
            metadata
        };
        let oauth = OAuthClient::from_metadata(http.clone(), client_id.clone(), &metadata, auth);
        let verifier = IdTokenVerifier::for_issuer(http.clone(), &metadata, client_id)?;
        Ok(Self {
            http,
            metadata,
            oauth,
            verifier,
            clock: clock::system(),
        })
    }

    /// The clock for expiry and ID-token times.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.oauth = self.oauth.with_clock(clock.clone());
        self.verifier = self.verifier.with_clock(clock.clone());
        self.clock = clock;
        self
    }

    /// Binds the tokens of every grant to a DPoP key (RFC 9449): the
    /// authorization request carries `dpop_jkt`, token requests a proof,
    /// userinfo calls `Authorization: DPoP`. See [`OAuthClient::with_dpop`].
    pub fn with_dpop(mut self, dpop: Dpop) -> Self {
        self.oauth = self.oauth.with_dpop(dpop);
        self
    }

    /// Replaces the ID-token verifier (e.g. a narrower algorithm allow-list).
    pub fn with_id_token_verifier(mut self, verifier: IdTokenVerifier) -> Self {
        self.verifier = verifier;
        self
    }

    /// The provider's metadata.
    pub fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.metadata.issuer
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        self.oauth.client_id()
    }

    /// The underlying protocol client (token, introspection, revocation).
    pub fn oauth(&self) -> &OAuthClient {
        &self.oauth
    }

    /// The HTTP transport.
    pub fn http(&self) -> &SharedHttpClient {
        &self.http
    }

    /// An authorization request to the provider's `authorization_endpoint`
    /// returning to `redirect_uri`; `scopes` must include `openid`.
    pub fn authorization_request<I, S>(
        &self,
        redirect_uri: &str,
        scopes: I,
    ) -> Result<AuthorizationRequest, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let endpoint = self.authorization_endpoint()?.to_owned();
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        if !scopes.iter().any(|s| s == "openid") {
            return Err(Error::Misconfigured(
                "user sign-in needs the `openid` scope (an ID token proves who signed in)".into(),
            ));
        }
        let request =
            AuthorizationRequest::new(endpoint, self.client_id(), redirect_uri).scopes(scopes);
        Ok(match self.oauth.dpop() {
            // RFC 9449 §10: the code is bound to the key
            Some(dpop) => request.param("dpop_jkt", dpop.key().thumbprint()),
            None => request,
        })
    }

    fn authorization_endpoint(&self) -> Result<&str, Error> {
        self.metadata
            .authorization_endpoint
            .as_deref()
            .ok_or_else(|| {
                Error::Misconfigured(format!(
                    "{} publishes no authorization_endpoint",
                    self.metadata.issuer
                ))
            })
    }

    /// `pending` with the authorization parameters `params` instead of its
    /// own (a request object, a pushed request's handle): its URL is the
    /// provider's authorization endpoint (its own query kept) with them.
    pub(crate) fn with_front_channel(
        &self,
        mut pending: PendingAuthorization,
        params: Vec<(String, String)>,
    ) -> Result<PendingAuthorization, Error> {
        let endpoint = self.authorization_endpoint()?;
        let mut url = Url::parse(endpoint).map_err(|source| Error::InvalidUrl {
            what: "authorization endpoint",
            url: endpoint.to_owned(),
            source,
        })?;
        url.query_pairs_mut().extend_pairs(&params);
        pending.url = url;
        pending.params = params;
        Ok(pending)
    }

    /// The validator of the provider's signed authorization responses
    /// (JARM): its JWKS, its issuer, this client as audience, `exp`.
    pub fn jarm_validator(&self) -> Result<JwtValidator, Error> {
        Ok(
            JwtValidator::for_issuer(self.http.clone(), &self.metadata, self.client_id())?
                .with_clock(self.clock.clone()),
        )
    }

    /// The clock for expiry, ID-token and request-object times.
    pub(crate) fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Exchanges the authorization `code` (RFC 6749 §4.1.3) with the PKCE
    /// verifier of `pending`, then verifies the ID token, its `nonce`
    /// included. A replayed or foreign code is the provider's
    /// `invalid_grant`.
    pub async fn exchange_code(
        &self,
        code: &SecretString,
        pending: &PendingAuthorization,
    ) -> Result<Agent, Error> {
        let mut grant = Form::new();
        grant
            .push("grant_type", "authorization_code")
            .push_secret("code", code)
            .push("redirect_uri", pending.redirect_uri.as_str())
            .push_secret("code_verifier", pending.pkce.verifier());
        let response = self.oauth.token("authorization_code", grant).await?;
        let key = self
            .store_key(&pending.scopes)
            .audiences(pending.audiences.iter().cloned());
        self.user_agent(
            self.stored(key, response.credential, None),
            Some(&pending.nonce),
        )
        .await
    }

    /// The device authorization grant (RFC 8628) for a user: starts it at
    /// the provider's `device_authorization_endpoint`, hands the codes to
    /// `prompt`, polls until approved and verifies the ID token (there is
    /// no `nonce` in this flow). `scopes` must include `openid`.
    pub async fn device_login(
        &self,
        scopes: &[&str],
        prompt: impl FnOnce(&DeviceAuthorization) + Send,
    ) -> Result<Agent, Error> {
        if !scopes.contains(&"openid") {
            return Err(Error::Misconfigured(
                "user sign-in needs the `openid` scope (an ID token proves who signed in)".into(),
            ));
        }
        let endpoint = self
            .metadata
            .device_authorization_endpoint
            .as_deref()
            .ok_or_else(|| {
                Error::Misconfigured(format!(
                    "{} publishes no device_authorization_endpoint",
                    self.metadata.issuer
                ))
            })?;
        let response = self
            .oauth
            .device_flow(endpoint, Some(&scopes.join(" ")), prompt)
            .await?;
        let key = self.store_key(scopes.iter().copied());
        self.user_agent(self.stored(key, response.credential, None), None)
            .await
    }

    /// The user agent of fresh tokens: their ID token verified (with `nonce`
    /// when one was sent).
    async fn user_agent(&self, tokens: StoredTokens, nonce: Option<&str>) -> Result<Agent, Error> {
        let id_token = tokens
            .id_token
            .clone()
            .ok_or(Error::IdToken(IdTokenError::Missing))?;
        let claims = self
            .verifier
            .verify(id_token.expose_secret(), nonce)
            .await?;
        Agent::from_id_token(tokens, claims, self.clock.clone())
    }

    /// Client credentials (RFC 6749 §4.4): the agent of the client itself.
    pub async fn client_credentials(&self, request: &ClientCredentials) -> Result<Agent, Error> {
        let response = self.oauth.client_credentials(request).await?;
        let key = self.store_key(request.scope.iter().cloned()).audiences(
            request
                .resources
                .iter()
                .chain(request.audience.iter())
                .cloned(),
        );
        Ok(Agent::for_client(
            self.stored(key, response.credential, None),
            self.clock.clone(),
        ))
    }

    /// Rebuilds an agent from stored tokens: a stored ID token is verified
    /// again (signature, `iss`, `aud`, `azp`, `sub`; not its `exp`); tokens
    /// without one give a client agent.
    pub async fn agent_from_tokens(&self, tokens: StoredTokens) -> Result<Agent, Error> {
        if tokens.issuer() != self.metadata.issuer || tokens.client_id() != self.client_id() {
            return Err(Error::Misconfigured(format!(
                "the tokens belong to {} / {}, not to this client ({} / {})",
                tokens.issuer(),
                tokens.client_id(),
                self.metadata.issuer,
                self.client_id()
            )));
        }
        match &tokens.id_token {
            Some(id_token) => {
                let claims = self
                    .verifier
                    .verify_stored(id_token.expose_secret())
                    .await?;
                Agent::from_id_token(tokens, claims, self.clock.clone())
            }
            None => Ok(Agent::for_client(tokens, self.clock.clone())),
        }
    }

    /// Renews `agent`'s tokens with its refresh token. A new ID token is
    /// verified and must name the same `sub`; without one, the provider's
    /// userinfo must. The previous refresh token and ID token are kept when
    /// the answer has none.
    pub async fn refresh(&self, agent: &Agent) -> Result<Agent, Error> {
        let old = agent.tokens();
        let refresh_token = old.refresh_token.as_ref().ok_or(Error::TokenExpired)?;
        let response = self.oauth.refresh(refresh_token, None).await?;
        let tokens = self.stored(old.key.clone(), response.credential, Some(old));
        let fresh_id_token = response_has_new_id_token(old, &tokens);
        match (agent.kind(), fresh_id_token) {
            (_, true) => {
                let id_token = tokens.id_token.as_ref().expect("checked above");
                let claims = self.verifier.verify(id_token.expose_secret(), None).await?;
                if claims.sub() != agent.id() {
                    return Err(Error::SubjectMismatch {
                        expected: agent.id().to_owned(),
                        actual: claims.sub().to_owned(),
                    });
                }
                Agent::from_id_token(tokens, claims, self.clock.clone())
            }
            (AgentKind::User, false) => {
                let renewed = agent.with_tokens(tokens);
                self.userinfo(&renewed).await?;
                Ok(renewed)
            }
            (AgentKind::Client, false) => Ok(agent.with_tokens(tokens)),
        }
    }

    /// The provider's userinfo for `agent` (OIDC Core §5.3); its `sub` must
    /// be the agent's (§5.3.2), otherwise [`Error::SubjectMismatch`].
    pub async fn userinfo(&self, agent: &Agent) -> Result<UserInfo, Error> {
        let endpoint = self.metadata.userinfo_endpoint.as_deref().ok_or_else(|| {
            Error::Misconfigured(format!(
                "{} publishes no userinfo_endpoint",
                self.metadata.issuer
            ))
        })?;
        let token = agent.access_token();
        let auth = match self.oauth.dpop() {
            Some(dpop) => Authorization::Dpop(token, dpop, self.clock.now()),
            None => Authorization::Bearer(token),
        };
        let info = UserInfo::fetch(&self.http, endpoint, auth).await?;
        if info.sub() != agent.id() {
            return Err(Error::SubjectMismatch {
                expected: agent.id().to_owned(),
                actual: info.sub().to_owned(),
            });
        }
        Ok(info)
    }

    /// The RP-initiated logout URL: the provider's `end_session_endpoint`
    /// with `client_id`, and `id_token_hint`, `post_logout_redirect_uri`,
    /// `state` when given. No network call.
    pub fn logout_url(&self, request: &LogoutRequest<'_>) -> Result<Url, Error> {
        let endpoint = self
            .metadata
            .end_session_endpoint
            .as_deref()
            .ok_or_else(|| {
                Error::Misconfigured(format!(
                    "{} publishes no end_session_endpoint",
                    self.metadata.issuer
                ))
            })?;
        let mut url = Url::parse(endpoint).map_err(|e| Error::InvalidResponse {
            endpoint: self.metadata.issuer.clone(),
            reason: format!("end_session_endpoint {endpoint:?}: {e}"),
        })?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", self.client_id());
            if let Some(hint) = request.id_token_hint {
                q.append_pair("id_token_hint", hint.expose_secret());
            }
            if let Some(uri) = request.post_logout_redirect_uri {
                q.append_pair("post_logout_redirect_uri", uri);
            }
            if let Some(state) = request.state {
                q.append_pair("state", state);
            }
        }
        Ok(url)
    }

    /// Revokes `agent`'s refresh token, then its access token (RFC 7009),
    /// so that neither works after sign-out.
    pub async fn revoke(&self, agent: &Agent) -> Result<(), Error> {
        if let Some(refresh) = &agent.tokens().refresh_token {
            self.oauth.revoke(refresh, Some("refresh_token")).await?;
        }
        self.oauth
            .revoke(agent.access_token(), Some("access_token"))
            .await
    }

    /// The store key of this issuer + client for tokens asked for `scopes`
    /// (add audiences with [`StoreKey::audiences`]).
    pub fn store_key<I: IntoIterator<Item = S>, S: Into<String>>(&self, scopes: I) -> StoreKey {
        StoreKey::new(self.issuer(), self.client_id()).scopes(scopes)
    }

    /// A credential as stored tokens under `key`, keeping the previous
    /// refresh token, ID token and scope when the answer has none.
    fn stored(
        &self,
        key: StoreKey,
        credential: Credential,
        previous: Option<&StoredTokens>,
    ) -> StoredTokens {
        let keep = |new: Option<SecretString>, old: Option<&SecretString>| {
            new.filter(|t| !t.expose_secret().is_empty())
                .or_else(|| old.cloned())
        };
        StoredTokens {
            key,
            access_token: credential.access_token,
            refresh_token: keep(
                credential.refresh_token,
                previous.and_then(|p| p.refresh_token.as_ref()),
            ),
            id_token: keep(
                credential.id_token,
                previous.and_then(|p| p.id_token.as_ref()),
            ),
            expires_at: credential.expires_at,
            scope: credential
                .scope
                .or_else(|| previous.and_then(|p| p.scope.clone())),
        }
    }
}

/// Whether the refresh answer carried an ID token of its own.
fn response_has_new_id_token(old: &StoredTokens, new: &StoredTokens) -> bool {
    match (&old.id_token, &new.id_token) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(a), Some(b)) => a.expose_secret() != b.expose_secret(),
    }
}
