//! [`Session`]: a signed-in [`Agent`] kept fresh — refreshed when its access
//! token is within a buffer of expiry (60 s by default), one refresh at a
//! time however many tasks ask, with callbacks and optional persistence.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use idaas_core::SecretString;

use crate::agent::Agent;
use crate::error::Error;
use crate::store::{StoreKey, StoredTokens, TokenStore};
use crate::user_client::UserClient;

/// Called with the new tokens after each successful refresh.
pub type OnRefresh = Arc<dyn Fn(&StoredTokens) + Send + Sync>;
/// Called with the error of each failed refresh (before it is returned).
pub type OnRefreshError = Arc<dyn Fn(&Error) + Send + Sync>;

/// How a session renews itself.
#[derive(Clone)]
pub struct SessionOptions {
    refresh_buffer: Duration,
    auto_refresh: bool,
    on_refresh: Option<OnRefresh>,
    on_refresh_error: Option<OnRefreshError>,
    store: Option<TokenStore>,
}

impl fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionOptions")
            .field("refresh_buffer", &self.refresh_buffer)
            .field("auto_refresh", &self.auto_refresh)
            .field("on_refresh", &self.on_refresh.is_some())
            .field("on_refresh_error", &self.on_refresh_error.is_some())
            .field("store", &self.store)
            .finish()
    }
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            refresh_buffer: DEFAULT_REFRESH_BUFFER,
            auto_refresh: true,
            on_refresh: None,
            on_refresh_error: None,
            store: None,
        }
    }
}

/// The default refresh buffer: renew when the access token has 60 s or less.
pub const DEFAULT_REFRESH_BUFFER: Duration = Duration::from_secs(60);

/// How long a refresh waits for another holder of the store's lock.
const STORE_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

impl SessionOptions {
    /// Renew when the access token expires within `buffer` (inclusive).
    pub fn refresh_buffer(mut self, buffer: Duration) -> Self {
        self.refresh_buffer = buffer;
        self
    }

    /// Whether [`Session::agent_fresh`] refreshes (default true). Off, it
    /// returns the agent even when expired.
    pub fn auto_refresh(mut self, on: bool) -> Self {
        self.auto_refresh = on;
        self
    }

    /// Called with the new tokens after each refresh (persist them here).
    pub fn on_refresh(mut self, callback: impl Fn(&StoredTokens) + Send + Sync + 'static) -> Self {
        self.on_refresh = Some(Arc::new(callback));
        self
    }

    /// Called with the error of a failed refresh.
    pub fn on_refresh_error(mut self, callback: impl Fn(&Error) + Send + Sync + 'static) -> Self {
        self.on_refresh_error = Some(Arc::new(callback));
        self
    }

    /// Saves the tokens to `store` at sign-in and after each refresh, and
    /// forgets them at logout. Refreshes then take the store's lock, so
    /// processes sharing it refresh one at a time and reuse each other's
    /// result (refresh tokens may rotate: each is spent once).
    pub fn store(mut self, store: TokenStore) -> Self {
        self.store = Some(store);
        self
    }

    /// The store, if any.
    pub fn stored_in(&self) -> Option<&TokenStore> {
        self.store.as_ref()
    }
}

struct Inner {
    client: UserClient,
    options: SessionOptions,
    current: RwLock<Arc<Agent>>,
    refreshing: tokio::sync::Mutex<()>,
    refreshes: AtomicU64,
    /// Refresh attempts finished so far (each under `refreshing`), and the
    /// latest failure: callers that waited for an attempt get its outcome
    /// rather than starting another.
    attempts: AtomicU64,
    last_failure: std::sync::Mutex<Option<SharedFailure>>,
}

/// What waiters learn of a failed refresh.
#[derive(Clone)]
struct SharedFailure {
    message: String,
    code: Option<crate::OAuthErrorCode>,
    retryable: bool,
}

impl SharedFailure {
    fn of(error: &Error) -> Self {
        Self {
            message: error.to_string(),
            code: error.oauth_code().cloned(),
            retryable: error.is_retryable(),
        }
    }

    fn error(self) -> Error {
        Error::RefreshFailed {
            message: self.message,
            code: self.code,
            retryable: self.retryable,
        }
    }
}

/// A signed-in agent and the client that renews it. Cheap to clone; clones
/// share the agent and the refresh lock.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("agent", &self.agent())
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session over `agent`, saved to the options' store if any.
    pub fn new(client: UserClient, agent: Agent, options: SessionOptions) -> Result<Self, Error> {
        if let Some(store) = &options.store {
            store.save(agent.tokens())?;
        }
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                options,
                current: RwLock::new(Arc::new(agent)),
                refreshing: tokio::sync::Mutex::new(()),
                refreshes: AtomicU64::new(0),
                attempts: AtomicU64::new(0),
                last_failure: std::sync::Mutex::new(None),
            }),
        })
    }

    /// The current agent, as is (no refresh).
    pub fn agent(&self) -> Arc<Agent> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The client.
    pub fn client(&self) -> &UserClient {
        &self.inner.client
    }

    /// How many times this session renewed its tokens (by a refresh, or by
    /// taking the newer tokens another process stored).
    pub fn refresh_count(&self) -> u64 {
        self.inner.refreshes.load(Ordering::Relaxed)
    }

    /// The agent, refreshed first when its access token expires within the
    /// buffer (and auto-refresh is on). Concurrent callers share one refresh.
    pub async fn agent_fresh(&self) -> Result<Arc<Agent>, Error> {
        let options = &self.inner.options;
        let agent = self.agent();
        if !options.auto_refresh || !agent.is_expired(options.refresh_buffer) {
            return Ok(agent);
        }
        let attempts = self.inner.attempts.load(Ordering::Acquire);
        let _guard = self.inner.refreshing.lock().await;
        let current = self.agent();
        if !Arc::ptr_eq(&agent, &current) || !current.is_expired(options.refresh_buffer) {
            return Ok(current); // another task refreshed while we waited
        }
        self.shared_failure(attempts)?;
        self.refresh_locked(&current).await
    }

    /// The failure of the attempt that ran while this caller waited, if one
    /// ran (`attempts` is the count it saw before waiting) and failed.
    fn shared_failure(&self, attempts: u64) -> Result<(), Error> {
        if self.inner.attempts.load(Ordering::Acquire) == attempts {
            return Ok(());
        }
        // an attempt that succeeded changed the agent, which the caller
        // checked first: one that ran and left it is a failure
        match self.last_failure().clone() {
            Some(failure) => Err(failure.error()),
            None => Ok(()),
        }
    }

    fn last_failure(&self) -> std::sync::MutexGuard<'_, Option<SharedFailure>> {
        self.inner
            .last_failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh access token (see [`Session::agent_fresh`]).
    pub async fn access_token(&self) -> Result<SecretString, Error> {
        Ok(self.agent_fresh().await?.access_token().clone())
    }

    /// Refreshes now, whatever the expiry. Callers that were waiting for
    /// another refresh get its result instead of refreshing again, and so
    /// do sessions whose store already holds newer tokens.
    pub async fn refresh(&self) -> Result<Arc<Agent>, Error> {
        let before = self.agent();
        let attempts = self.inner.attempts.load(Ordering::Acquire);
        let _guard = self.inner.refreshing.lock().await;
        let agent = self.agent();
        if !Arc::ptr_eq(&before, &agent) {
            return Ok(agent);
        }
        self.shared_failure(attempts)?;
        self.refresh_locked(&agent).await
    }

    /// New tokens for `agent`: with a store, under its file lock — and when
    /// another process stored newer tokens meanwhile, those (re-verified)
    /// instead of a refresh that would spend a rotated refresh token twice.
    async fn renew(&self, agent: &Agent) -> Result<Agent, Error> {
        let client = &self.inner.client;
        let Some(store) = &self.inner.options.store else {
            return client.refresh(agent).await;
        };
        let ours = agent.tokens();
        let _lock = store.lock(&ours.key, STORE_LOCK_TIMEOUT).await?;
        if let Some(stored) = store.load(&ours.key)?
            && stored.access_token != ours.access_token
            && stored.expires_at >= ours.expires_at
        {
            let adopted = client.agent_from_tokens(stored).await?;
            if adopted.id() != agent.id() {
                return Err(Error::SubjectMismatch {
                    expected: agent.id().to_owned(),
                    actual: adopted.id().to_owned(),
                });
            }
            return Ok(adopted);
        }
        let renewed = client.refresh(agent).await?;
        store.save(renewed.tokens())?;
        Ok(renewed)
    }

    async fn refresh_locked(&self, agent: &Agent) -> Result<Arc<Agent>, Error> {
        let options = &self.inner.options;
        let result = self.renew(agent).await;
        if let Err(e) = &result {
            *self.last_failure() = Some(SharedFailure::of(e));
        }
        // counted once its outcome is known (a cancelled attempt is not):
        // callers that saw the old count while waiting take this outcome
        self.inner.attempts.fetch_add(1, Ordering::AcqRel);
        match result {
            Ok(renewed) => {
                self.inner.refreshes.fetch_add(1, Ordering::Relaxed);
                let renewed = Arc::new(renewed);
                *self
                    .inner
                    .current
                    .write()
                    .unwrap_or_else(|p| p.into_inner()) = renewed.clone();
                if let Some(callback) = &options.on_refresh {
                    callback(renewed.tokens());
                }
                Ok(renewed)
            }
            Err(e) => {
                tracing::warn!(issuer = %self.inner.client.issuer(), error = %e, "session refresh failed");
                if let Some(callback) = &options.on_refresh_error {
                    callback(&e);
                }
                Err(e)
            }
        }
    }

    /// Signs out locally: revokes the refresh and access tokens at the
    /// provider and forgets them in the store. (For the provider's own
    /// session, send the browser to [`UserClient::logout_url`].)
    pub async fn logout(&self) -> Result<(), Error> {
        let agent = self.agent();
        let revoked = self.inner.client.revoke(&agent).await;
        if let Some(store) = &self.inner.options.store {
            store.clear(&agent.tokens().key)?;
        }
        revoked
    }
}

impl UserClient {
    /// A session from stored tokens: the agent is rebuilt (its ID token
    /// verified again) and, with auto-refresh on, refreshed right away when
    /// its access token is within the buffer of expiry.
    pub async fn session(
        &self,
        tokens: StoredTokens,
        options: SessionOptions,
    ) -> Result<Session, Error> {
        let agent = self.agent_from_tokens(tokens).await?;
        let session = Session::new(self.clone(), agent, options)?;
        session.agent_fresh().await?;
        Ok(session)
    }

    /// The session stored under `key` in `store`, if any (`key` must be of
    /// this issuer + client; see [`UserClient::store_key`], or
    /// [`UserClient::resume`] for the session of a [`LoginFlow`](crate::LoginFlow)).
    pub async fn stored_session(
        &self,
        store: &TokenStore,
        key: &StoreKey,
        options: SessionOptions,
    ) -> Result<Option<Session>, Error> {
        if key.issuer() != self.issuer() || key.client_id() != self.client_id() {
            return Err(Error::Misconfigured(format!(
                "store key of {} / {}, not of this client ({} / {})",
                key.issuer(),
                key.client_id(),
                self.issuer(),
                self.client_id()
            )));
        }
        match store.load(key)? {
            Some(tokens) => Ok(Some(self.session(tokens, options).await?)),
            None => Ok(None),
        }
    }
}
