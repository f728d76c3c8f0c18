//! `identityType: HUMAN`: a person signs in through the device flow; the
//! credential is kept in a file (0600) and refreshed with its refresh token,
//! so the person signs in again only when that fails. A refresh holds the
//! file's advisory lock (the token store's) and re-reads the file first, so
//! processes sharing it spend a rotating refresh token once.

use std::path::PathBuf;
use std::sync::Arc;

use idaas_core::clock::SharedClock;
use idaas_core::config::{ClientConfig, Environment, ScopeSpec};
use idaas_core::http::SharedHttpClient;
use idaas_core::token::Credential;
use idaas_oauth::device::DeviceAuthorization;
use idaas_oauth::store::{StoreKey, StoredTokens, load_file, lock_file, prepare_dir, save_file};
use idaas_oauth::{ClientAuth, OAuthClient};

use crate::error::Error;

/// The environment variable naming the human credential cache file.
pub const HUMAN_CREDENTIAL_CACHE_PATH_ENV: &str = "CLOUD_IDAAS_HUMAN_CREDENTIAL_CACHE_PATH";

/// Shows the person what to do: the URL and code (a QR code, a spinner…).
#[derive(Clone)]
pub struct HumanPrompt(Arc<dyn Fn(&DeviceAuthorization) + Send + Sync>);

impl HumanPrompt {
    /// A prompt calling `show`.
    pub fn new(show: impl Fn(&DeviceAuthorization) + Send + Sync + 'static) -> Self {
        Self(Arc::new(show))
    }

    fn show(&self, authorization: &DeviceAuthorization) {
        (self.0)(authorization)
    }
}

impl std::fmt::Debug for HumanPrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HumanPrompt")
    }
}

/// The default prompt: two lines on stderr.
pub fn stderr_prompt() -> HumanPrompt {
    HumanPrompt::new(|auth: &DeviceAuthorization| {
        eprintln!(
            "To sign in, open {} and enter the code {}",
            auth.verification_uri, auth.user_code
        );
        if let Some(complete) = &auth.verification_uri_complete {
            eprintln!("(or open {complete})");
        }
    })
}

/// The device-flow sign-in of a person.
#[derive(Debug, Clone)]
pub(crate) struct HumanFlow {
    issuer: String,
    client_id: String,
    device_endpoint: String,
    token_endpoint: String,
    cache_path: PathBuf,
    prompt: HumanPrompt,
}

/// Refresh a stored token this long before it expires.
const REFRESH_MARGIN: u64 = 60;

/// How long a refresh waits for another process's refresh of the same file.
const LOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl HumanFlow {
    pub(crate) fn new(
        config: &ClientConfig,
        env: &dyn Environment,
        prompt: HumanPrompt,
    ) -> Result<Self, Error> {
        let device_endpoint = config
            .device_authorization_endpoint
            .clone()
            .ok_or_else(|| {
                Error::Unsupported("identityType HUMAN needs deviceAuthorizationEndpoint".into())
            })?;
        let client_id = config.authn.human_authenticate_client_id.clone();
        let cache_path = match env.non_blank(HUMAN_CREDENTIAL_CACHE_PATH_ENV) {
            Some(path) => PathBuf::from(path),
            None => {
                let home = env
                    .non_blank("HOME")
                    .or_else(|| env.non_blank("USERPROFILE"))
                    .ok_or_else(|| {
                        Error::Unsupported(format!(
                            "no home directory; set {HUMAN_CREDENTIAL_CACHE_PATH_ENV}"
                        ))
                    })?;
                PathBuf::from(home).join(".cloud_idaas").join(format!(
                    "human_credential_{}_{}.json",
                    config.idaas_instance_id, client_id
                ))
            }
        };
        Ok(Self {
            issuer: config.issuer.clone(),
            client_id,
            device_endpoint,
            token_endpoint: config.token_endpoint.clone(),
            cache_path,
            prompt,
        })
    }

    fn to_credential(stored: &StoredTokens) -> Credential {
        let mut credential = Credential::bearer(stored.access_token.clone(), stored.expires_at);
        credential.refresh_token = stored.refresh_token.clone();
        credential.id_token = stored.id_token.clone();
        credential.scope = stored.scope.clone();
        credential
    }

    /// The cache's key for tokens of `scope`.
    fn key(&self, scope: &ScopeSpec) -> StoreKey {
        StoreKey::new(self.issuer.clone(), self.client_id.clone()).scopes([scope.as_str()])
    }

    fn store(
        &self,
        key: StoreKey,
        credential: &Credential,
        previous_refresh: Option<&idaas_core::SecretString>,
    ) -> Result<(), Error> {
        if let Some(dir) = self.cache_path.parent() {
            // created 0700 (`~/.cloud_idaas` included); an existing one is
            // checked, never chmodded
            prepare_dir(dir)?;
        }
        let tokens = StoredTokens {
            key,
            access_token: credential.access_token.clone(),
            refresh_token: credential
                .refresh_token
                .clone()
                .or_else(|| previous_refresh.cloned()),
            id_token: credential.id_token.clone(),
            expires_at: credential.expires_at,
            scope: credential.scope.clone(),
        };
        Ok(save_file(&self.cache_path, &tokens)?)
    }

    /// The stored sign-in of this issuer and client (another's refresh
    /// token must never reach our token endpoint); unreadable is none.
    fn stored(&self) -> Option<StoredTokens> {
        load_file(&self.cache_path)
            .unwrap_or_else(|e| {
                tracing::warn!(%e, "ignoring the human credential cache");
                None
            })
            .filter(|t| t.issuer() == self.issuer && t.client_id() == self.client_id)
    }

    /// The stored access token, when it is for `key` (the scope it was
    /// asked for) and not about to expire.
    fn load(&self, key: &StoreKey, now: u64) -> Option<Credential> {
        self.stored()
            .filter(|t| &t.key == key && t.expires_at.is_some_and(|at| at > now + REFRESH_MARGIN))
            .map(|t| Self::to_credential(&t))
    }

    /// Renews with the stored refresh token under the cache file's advisory
    /// lock, re-reading it first: another process that refreshed meanwhile
    /// left a valid token (taken as is) or a rotated refresh token (spent
    /// instead of the one it replaced, which the provider would take as
    /// reuse and answer by revoking the whole grant). `None`: no refresh
    /// token, or it was refused; the person signs in again.
    async fn refresh_locked(
        &self,
        client: &OAuthClient,
        key: &StoreKey,
        scope: &ScopeSpec,
        clock: &SharedClock,
    ) -> Result<Option<Credential>, Error> {
        if self.stored().and_then(|t| t.refresh_token).is_none() {
            return Ok(None);
        }
        if let Some(dir) = self.cache_path.parent() {
            prepare_dir(dir)?;
        }
        let _lock = lock_file(&self.cache_path, LOCK_TIMEOUT).await?;
        if let Some(valid) = self.load(key, clock.now_secs()) {
            return Ok(Some(valid));
        }
        let Some(refresh) = self.stored().and_then(|t| t.refresh_token) else {
            return Ok(None);
        };
        match client.refresh(&refresh, Some(scope.as_str())).await {
            Ok(token) => {
                self.store(key.clone(), &token.credential, Some(&refresh))?;
                Ok(Some(token.credential))
            }
            Err(e) => {
                tracing::info!(%e, "refresh failed; signing in again");
                Ok(None)
            }
        }
    }

    /// A valid stored credential, a refreshed one, or a new sign-in.
    pub(crate) async fn fetch(
        &self,
        scope: &ScopeSpec,
        http: &SharedHttpClient,
        clock: &SharedClock,
    ) -> Result<Credential, Error> {
        let client = OAuthClient::new(
            http.clone(),
            self.client_id.clone(),
            self.token_endpoint.clone(),
            ClientAuth::None,
        )
        .with_clock(clock.clone());
        let now = clock.now_secs();
        let key = self.key(scope);
        if let Some(stored) = self.load(&key, now) {
            return Ok(stored);
        }
        if let Some(token) = self.refresh_locked(&client, &key, scope, clock).await? {
            return Ok(token);
        }
        let prompt = self.prompt.clone();
        let token = client
            .device_flow(&self.device_endpoint, Some(scope.as_str()), move |auth| {
                prompt.show(auth)
            })
            .await?;
        self.store(key, &token.credential, None)?;
        Ok(token.credential)
    }
}
