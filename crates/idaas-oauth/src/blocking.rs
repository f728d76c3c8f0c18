//! Blocking variants of [`UserClient`] and [`Session`] for programs without
//! an async runtime: each owns (a share of) a private current-thread tokio
//! runtime. Called on a thread that already runs a runtime they fail with
//! [`Error::BlockingInAsyncContext`] instead of panicking or deadlocking.

use std::future::Future;
use std::sync::Arc;

use idaas_core::SecretString;
use idaas_core::http::{HyperClient, SharedHttpClient};
use tokio::runtime::{Builder, Runtime};
use url::Url;

use crate::agent::Agent;
use crate::authorize::{AuthorizationRequest, PendingAuthorization};
use crate::client_auth::ClientAuth;
use crate::device::DeviceAuthorization;
use crate::error::Error;
use crate::grants::ClientCredentials;
use crate::login::LoginFlow;
use crate::session::{Session, SessionOptions};
use crate::store::{StoreKey, StoredTokens, TokenStore};
use crate::user_client::{LogoutRequest, UserClient};
use crate::userinfo::UserInfo;

#[derive(Debug, Clone)]
struct Blocker(Arc<Runtime>);

impl Blocker {
    fn new() -> Result<Self, Error> {
        idaas_core::blocking::outside_runtime().map_err(|_| Error::BlockingInAsyncContext)?;
        Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| Self(Arc::new(rt)))
            .map_err(|e| Error::Misconfigured(format!("cannot start the I/O runtime: {e}")))
    }

    fn run<T>(&self, future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        idaas_core::blocking::outside_runtime().map_err(|_| Error::BlockingInAsyncContext)?;
        self.0.block_on(future)
    }
}

/// The blocking [`UserClient`]. A plain struct; clones share the runtime.
#[derive(Debug, Clone)]
pub struct BlockingUserClient {
    inner: UserClient,
    blocker: Blocker,
}

/// The blocking [`Session`].
#[derive(Debug, Clone)]
pub struct BlockingSession {
    inner: Session,
    blocker: Blocker,
}

impl BlockingUserClient {
    /// Discovers `issuer` over the default HTTP client and builds the
    /// client of `client_id`.
    pub fn discover(
        issuer: &str,
        client_id: impl Into<String>,
        auth: ClientAuth,
    ) -> Result<Self, Error> {
        let blocker = Blocker::new()?;
        let http: SharedHttpClient = {
            let _entered = blocker.0.enter();
            Arc::new(HyperClient::new(Default::default())?)
        };
        let inner = blocker.run(UserClient::discover(http, issuer, client_id, auth))?;
        Ok(Self { inner, blocker })
    }

    /// Wraps an async client (built outside any runtime, or whose HTTP
    /// client works on any runtime).
    pub fn new(inner: UserClient) -> Result<Self, Error> {
        Ok(Self {
            inner,
            blocker: Blocker::new()?,
        })
    }

    /// The async client inside.
    pub fn as_async(&self) -> &UserClient {
        &self.inner
    }

    fn session(&self, inner: Session) -> BlockingSession {
        BlockingSession {
            inner,
            blocker: self.blocker.clone(),
        }
    }

    /// See [`UserClient::authorization_request`].
    pub fn authorization_request<I, S>(
        &self,
        redirect_uri: &str,
        scopes: I,
    ) -> Result<AuthorizationRequest, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.inner.authorization_request(redirect_uri, scopes)
    }

    /// See [`UserClient::exchange_code`].
    pub fn exchange_code(
        &self,
        code: &SecretString,
        pending: &PendingAuthorization,
    ) -> Result<Agent, Error> {
        self.blocker.run(self.inner.exchange_code(code, pending))
    }

    /// See [`UserClient::login`].
    pub fn login(&self, flow: &LoginFlow) -> Result<BlockingSession, Error> {
        let session = self.blocker.run(self.inner.login(flow))?;
        Ok(self.session(session))
    }

    /// See [`UserClient::session`].
    pub fn session_from_tokens(
        &self,
        tokens: StoredTokens,
        options: SessionOptions,
    ) -> Result<BlockingSession, Error> {
        let session = self.blocker.run(self.inner.session(tokens, options))?;
        Ok(self.session(session))
    }

    /// See [`UserClient::stored_session`].
    pub fn stored_session(
        &self,
        store: &TokenStore,
        key: &StoreKey,
        options: SessionOptions,
    ) -> Result<Option<BlockingSession>, Error> {
        let session = self
            .blocker
            .run(self.inner.stored_session(store, key, options))?;
        Ok(session.map(|s| self.session(s)))
    }

    /// See [`UserClient::resume`].
    pub fn resume(&self, flow: &LoginFlow) -> Result<Option<BlockingSession>, Error> {
        let session = self.blocker.run(self.inner.resume(flow))?;
        Ok(session.map(|s| self.session(s)))
    }

    /// See [`UserClient::store_key`].
    pub fn store_key<I: IntoIterator<Item = S>, S: Into<String>>(&self, scopes: I) -> StoreKey {
        self.inner.store_key(scopes)
    }

    /// See [`UserClient::device_login`].
    pub fn device_login(
        &self,
        scopes: &[&str],
        prompt: impl FnOnce(&DeviceAuthorization) + Send,
    ) -> Result<Agent, Error> {
        self.blocker.run(self.inner.device_login(scopes, prompt))
    }

    /// See [`UserClient::client_credentials`].
    pub fn client_credentials(&self, request: &ClientCredentials) -> Result<Agent, Error> {
        self.blocker.run(self.inner.client_credentials(request))
    }

    /// See [`UserClient::userinfo`].
    pub fn userinfo(&self, agent: &Agent) -> Result<UserInfo, Error> {
        self.blocker.run(self.inner.userinfo(agent))
    }

    /// See [`UserClient::logout_url`].
    pub fn logout_url(&self, request: &LogoutRequest<'_>) -> Result<Url, Error> {
        self.inner.logout_url(request)
    }

    /// See [`UserClient::revoke`].
    pub fn revoke(&self, agent: &Agent) -> Result<(), Error> {
        self.blocker.run(self.inner.revoke(agent))
    }
}

impl BlockingSession {
    /// The async session inside.
    pub fn as_async(&self) -> &Session {
        &self.inner
    }

    /// See [`Session::agent`].
    pub fn agent(&self) -> Arc<Agent> {
        self.inner.agent()
    }

    /// See [`Session::agent_fresh`].
    pub fn agent_fresh(&self) -> Result<Arc<Agent>, Error> {
        self.blocker.run(self.inner.agent_fresh())
    }

    /// See [`Session::access_token`].
    pub fn access_token(&self) -> Result<SecretString, Error> {
        self.blocker.run(self.inner.access_token())
    }

    /// See [`Session::refresh`].
    pub fn refresh(&self) -> Result<Arc<Agent>, Error> {
        self.blocker.run(self.inner.refresh())
    }

    /// See [`Session::logout`].
    pub fn logout(&self) -> Result<(), Error> {
        self.blocker.run(self.inner.logout())
    }
}
