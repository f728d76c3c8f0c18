//! A local emulator of the IDaaS token endpoint, for demos, tests and
//! offline work. A test double with real checks — secrets compared, client
//! assertions and federated tokens verified against registered keys — not an
//! identity provider product.
//!
//! ```
//! use idaas_emulator::{Client, Emulator};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let emulator = Emulator::builder()
//!     .client(Client::new("app").with_secret("s3cret"))
//!     .start()
//!     .await
//!     .unwrap();
//! assert!(emulator.token_endpoint().starts_with("http://127.0.0.1:"));
//! assert_eq!(emulator.token_requests("app"), 0);
//! emulator.stop().await;
//! # });
//! ```
//!
//! Endpoints: `POST /oauth2/token` (client credentials and token exchange,
//! every IDaaS client authentication method), `POST /` with `x-acs-action:
//! GenerateOauthToken` (the Alibaba Cloud OpenAPI of the `PLUGIN` method,
//! ACS3-HMAC-SHA256 verified with registered AccessKeys), `GET
//! /.well-known/openid-configuration`, `GET /oauth2/jwks`. Access tokens are
//! ES256 JWTs signed by the emulator's key. Requests are counted per client.
//! Faults can be switched on while it runs: a slow token endpoint
//! ([`Emulator::set_token_delay`]) or one that is down
//! ([`Emulator::set_token_endpoint_down`]: 503 `temporarily_unavailable`).
//! `GET /device` is the device flow's verification page (enter the code,
//! approve or deny; `POST /device` with the page's form token).
//! The authorization code flow: `GET /oauth2/authorize` shows a login page
//! (pick a registered [`User`], approve or deny; PKCE S256 required,
//! redirect URIs registered per client, loopback ones on any port), the
//! token endpoint redeems the code once (`grant_type=authorization_code`,
//! bound to client, redirect URI and verifier, 60 s) for an access token,
//! an ES256 ID token (`iss`, `aud`, `sub`, `nonce`, `iat`, `exp`,
//! `auth_time`) and, with `offline_access`, a refresh token;
//! `GET /oauth2/userinfo` answers for the user.
//! PKCS7 attested documents are verified as PKCS#7 SignedData against the
//! trusted cloud signer ([`CloudSigner`] plays the cloud in tests); PCA
//! client certificates are path-validated to the trusted private CA
//! ([`PrivateCa`] issues them in tests).
//!
//! The PAM developer API (`/v2/{instanceId}/…`): API keys (and `oauth_client`
//! credentials, which have none), JWT authentication
//! tokens (generate, obtain by id or derived short token, list with
//! `nextToken` paging, validate, revoke and reinstate, by token or consumer),
//! OAuth credential providers (m2m, and user federation with authorization
//! sessions a test completes with [`Emulator::complete_authorization_session`]),
//! cloud-account role STS credentials; authorised by this emulator's tokens
//! carrying `urn:cloud:idaas:pam|.all` (or, for STS credentials,
//! `urn:cloud:idaas:pam|cloud_account:obtain_access_credential`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod attestation;
mod authorize;
mod code_grant;
mod device;
mod faults;
mod html;
mod jwt_bearer;
mod openapi;
mod pam;
mod private_ca;
mod registry;
mod server;
mod token_endpoint;
mod verification_page;
mod x509;

use std::sync::Arc;
use std::time::Duration;

use idaas_core::clock::{self, SharedClock};
use idaas_oauth::jose::{SigningKey, VerifyingKey};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use attestation::{CloudSigner, SIGNING_TIME_TOLERANCE, verify_document};
pub use pam::oauth_tokens::OAuthProvider;
pub use pam::sts::{CloudAccountRole, CloudVendor};
pub use private_ca::PrivateCa;
pub use registry::{Client, FederatedCredential, User};

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {reason}")]
    Bind {
        /// The port asked for (0: any).
        port: u16,
        /// The I/O error.
        reason: String,
    },
}

/// Configures an emulator.
#[derive(Debug, Default)]
#[must_use]
pub struct EmulatorBuilder {
    port: u16,
    clients: Vec<Client>,
    token_lifetime: Option<Duration>,
    clock: Option<SharedClock>,
    access_keys: std::collections::HashMap<String, idaas_core::SecretString>,
    device_interval: Option<u64>,
    users: Vec<registry::User>,
}

impl EmulatorBuilder {
    /// Listen on this port of 127.0.0.1 (default: an ephemeral one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Registers a client.
    pub fn client(mut self, client: Client) -> Self {
        self.clients.push(client);
        self
    }

    /// Registers a person who can sign in on the login page (the
    /// authorization code flow); the page offers them in this order.
    pub fn user(mut self, user: User) -> Self {
        self.users.push(user);
        self
    }

    /// Registers an Alibaba Cloud AccessKey for the OpenAPI
    /// `GenerateOauthToken` action (the `PLUGIN` method).
    pub fn access_key(
        mut self,
        id: impl Into<String>,
        secret: impl Into<idaas_core::SecretString>,
    ) -> Self {
        self.access_keys.insert(id.into(), secret.into());
        self
    }

    /// The device-flow polling interval it asks for, seconds (default 5).
    pub fn device_interval(mut self, seconds: u64) -> Self {
        self.device_interval = Some(seconds);
        self
    }

    /// Lifetime of issued tokens (default 3600 s).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = Some(lifetime);
        self
    }

    /// The clock for `iat`/`exp` (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Binds 127.0.0.1 and starts serving in the background.
    pub async fn start(self) -> Result<Emulator, Error> {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .map_err(|e| Error::Bind {
                port: self.port,
                reason: e.to_string(),
            })?;
        let addr = server::local(&listener).map_err(|e| Error::Bind {
            port: self.port,
            reason: e.to_string(),
        })?;
        let base_url = format!("http://{addr}");
        let key = SigningKey::generate_p256();
        let mut state = server::State::new(
            base_url.clone(),
            key,
            self.clock.unwrap_or_else(clock::system),
            self.token_lifetime.unwrap_or(Duration::from_secs(3600)),
            self.clients,
            self.access_keys,
        );
        state.users = self.users;
        if let Some(interval) = self.device_interval {
            state.device_interval = interval;
        }
        let state = Arc::new(state);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, state.clone(), stopped));
        Ok(Emulator {
            base_url,
            state,
            stop,
            task: Some(task),
        })
    }
}

/// A running emulator. Stops when [`Emulator::stop`] is called or it is dropped.
#[derive(Debug)]
pub struct Emulator {
    base_url: String,
    state: Arc<server::State>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl Emulator {
    /// Configures an emulator.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// An emulator with no client, on an ephemeral port.
    pub async fn start() -> Result<Self, Error> {
        Self::builder().start().await
    }

    /// `http://127.0.0.1:<port>`: also the issuer of its tokens.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `<base>/oauth2/token`.
    pub fn token_endpoint(&self) -> String {
        self.state.token_endpoint()
    }

    /// The key that verifies the tokens it issues.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.state.verifying_key()
    }

    /// Every token request from now on waits `delay` before it is answered
    /// (`Duration::ZERO`: none, the default): a slow identity provider.
    pub fn set_token_delay(&self, delay: Duration) {
        self.state.faults.set_token_delay(delay);
    }

    /// While `down`, every token request (after the delay, if any) is
    /// answered `503` with `error=temporarily_unavailable`: an identity
    /// provider in an outage. `false` brings it back.
    pub fn set_token_endpoint_down(&self, down: bool) {
        self.state.faults.set_token_endpoint_down(down);
    }

    /// Every request the token endpoint received, whatever it answered
    /// (the 503s of [`Emulator::set_token_endpoint_down`] included);
    /// [`Emulator::token_requests`] counts one client's authenticated ones.
    pub fn token_endpoint_requests(&self) -> u64 {
        self.state.faults.token_endpoint_requests()
    }

    /// Registers (or replaces) a client while running.
    pub fn register(&self, client: Client) {
        self.state.register(client);
    }

    /// `<base>/oauth2/authorize`: the login page of the authorization code flow.
    pub fn authorization_endpoint(&self) -> String {
        format!("{}/oauth2/authorize", self.base_url)
    }

    /// `<base>/oauth2/userinfo`.
    pub fn userinfo_endpoint(&self) -> String {
        format!("{}/oauth2/userinfo", self.base_url)
    }

    /// `<base>/oauth2/device_authorization`.
    pub fn device_authorization_endpoint(&self) -> String {
        format!("{}/oauth2/device_authorization", self.base_url)
    }

    /// The person approves the device code shown as `user_code`; false if unknown.
    pub fn approve_device(&self, user_code: &str) -> bool {
        self.state
            .decide_device(user_code, device::Decision::Approved)
    }

    /// The person denies `user_code`; false if unknown.
    pub fn deny_device(&self, user_code: &str) -> bool {
        self.state
            .decide_device(user_code, device::Decision::Denied)
    }

    /// Registers an API key under a PAM credential identifier.
    pub fn register_api_key(
        &self,
        credential_identifier: impl Into<String>,
        api_key: impl Into<String>,
    ) {
        self.state
            .pam_state
            .api_keys
            .lock()
            .expect("pam lock")
            .insert(credential_identifier.into(), api_key.into());
    }

    /// Registers an `oauth_client` credential (no API key: `api_key` finds none).
    pub fn register_oauth_client_credential(
        &self,
        credential_identifier: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) {
        self.state
            .pam_state
            .oauth_clients
            .lock()
            .expect("pam lock")
            .insert(
                credential_identifier.into(),
                (client_id.into(), client_secret.into()),
            );
    }

    /// Registers a JWT credential provider with its default issuer.
    pub fn register_jwt_provider(&self, identifier: impl Into<String>, issuer: impl Into<String>) {
        self.state
            .pam_state
            .providers
            .lock()
            .expect("pam lock")
            .insert(identifier.into(), issuer.into());
    }

    /// Registers (or replaces) an OAuth credential provider of the PAM API.
    pub fn register_oauth_provider(&self, provider: OAuthProvider) {
        self.state.register_oauth_provider(provider);
    }

    /// Registers (or replaces) a cloud-account role for STS credentials.
    pub fn register_cloud_account_role(&self, role: CloudAccountRole) {
        self.state.register_role(role);
    }

    /// The person authorizes: the pending session `session_id` (the `state`
    /// of its authorization URL) completes and its access token is issued;
    /// false if there is no such pending session.
    pub fn complete_authorization_session(&self, session_id: &str) -> bool {
        self.state.complete_session(session_id)
    }

    /// The upstream provider refuses: the pending session fails with `code`
    /// and `description`; false if there is no such pending session.
    pub fn fail_authorization_session(
        &self,
        session_id: &str,
        code: &str,
        description: &str,
    ) -> bool {
        self.state
            .end_session(session_id, Some((code.into(), description.into())))
    }

    /// The pending session runs out of time; false if there is no such pending session.
    pub fn expire_authorization_session(&self, session_id: &str) -> bool {
        self.state.end_session(session_id, None)
    }

    /// The next poll for `user_code` is answered `slow_down`; false if unknown.
    pub fn slow_down_device(&self, user_code: &str) -> bool {
        self.state.slow_down_device(user_code)
    }

    /// How many token requests named `client_id` so far.
    pub fn token_requests(&self, client_id: &str) -> u64 {
        self.state.token_requests(client_id)
    }

    /// Stops serving and waits for the server task.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}
