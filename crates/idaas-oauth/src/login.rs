//! [`LoginFlow`]: the interactive sign-in of a native app (RFC 8252) — a
//! loopback listener, the authorization URL (PKCE S256, `state`, `nonce`;
//! pushed first when the provider has a PAR endpoint, RFC 9126) opened in
//! the browser or handed to the caller, the code exchange, and
//! the page the user sees only once the session is established.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use crate::error::Error;
use crate::jose::SigningKey;
use crate::loopback::{DefaultPages, LoopbackListener, Outcome, PageHandler, open_browser};
use crate::par::Par;
use crate::session::{Session, SessionOptions};
use crate::store::StoreKey;
use crate::user_client::UserClient;

/// Receives the authorization URL (to print, to show as a QR code, or to
/// drive a browser in tests).
pub type OnUrl = Arc<dyn Fn(&str) + Send + Sync>;

/// The settings of an interactive sign-in.
#[derive(Clone)]
pub struct LoginFlow {
    port: u16,
    path: String,
    scopes: Vec<String>,
    params: Vec<(String, String)>,
    timeout: Duration,
    open_browser: bool,
    on_url: Option<OnUrl>,
    pages: Arc<dyn PageHandler>,
    session: SessionOptions,
    par: Par,
    request_object: Option<Arc<SigningKey>>,
    jarm: bool,
}

impl fmt::Debug for LoginFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginFlow")
            .field("port", &self.port)
            .field("path", &self.path)
            .field("scopes", &self.scopes)
            .field("timeout", &self.timeout)
            .field("open_browser", &self.open_browser)
            .field("par", &self.par)
            .field("request_object", &self.request_object.is_some())
            .field("jarm", &self.jarm)
            .finish_non_exhaustive()
    }
}

/// The default time the user has to sign in.
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

impl Default for LoginFlow {
    fn default() -> Self {
        Self {
            port: 0,
            path: "/callback".into(),
            scopes: vec!["openid".into()],
            params: Vec::new(),
            timeout: DEFAULT_LOGIN_TIMEOUT,
            open_browser: true,
            on_url: None,
            pages: Arc::new(DefaultPages),
            session: SessionOptions::default(),
            par: Par::Auto,
            request_object: None,
            jarm: false,
        }
    }
}

impl LoginFlow {
    /// The default flow: an ephemeral port, `/callback`, scope `openid`,
    /// 300 s, the browser opened (`$BROWSER` first).
    pub fn new() -> Self {
        Self::default()
    }

    /// A fixed loopback port (0: ephemeral).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The redirect path on the loopback listener.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The scopes (must include `openid`; add `offline_access` for a refresh token).
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// An extra authorization parameter (`prompt`, `login_hint`, …).
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// How long to wait for the browser to come back.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether to open a browser (off for headless machines: the URL still
    /// goes to [`on_url`](Self::on_url), or to stderr).
    pub fn open_browser(mut self, open: bool) -> Self {
        self.open_browser = open;
        self
    }

    /// Receives the authorization URL. Without it, the URL is printed on
    /// stderr.
    pub fn on_url(mut self, callback: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.on_url = Some(Arc::new(callback));
        self
    }

    /// The pages shown at the end of the sign-in.
    pub fn pages(mut self, pages: impl PageHandler + 'static) -> Self {
        self.pages = Arc::new(pages);
        self
    }

    /// How the resulting session renews itself (and where it is stored).
    pub fn session(mut self, options: SessionOptions) -> Self {
        self.session = options;
        self
    }

    /// Whether to push the authorization request (RFC 9126): by default
    /// when the provider advertises a PAR endpoint.
    pub fn par(mut self, par: Par) -> Self {
        self.par = par;
        self
    }

    /// Sends the authorization parameters as a request object signed by
    /// `key` (JAR, RFC 9101; pushed too when PAR is on): the key the client
    /// registered with the provider (its `jwks`).
    pub fn request_object(mut self, key: Arc<SigningKey>) -> Self {
        self.request_object = Some(key);
        self
    }

    /// Asks for a signed authorization response (JARM, `response_mode=jwt`)
    /// and accepts only one that verifies with the provider's keys.
    pub fn jarm(mut self, jarm: bool) -> Self {
        self.jarm = jarm;
        self
    }

    /// The key a sign-in with this flow is stored under: the client's
    /// issuer and id, the flow's scopes and its `audience`/`resource`
    /// parameters.
    pub fn store_key(&self, client: &UserClient) -> StoreKey {
        client.store_key(&self.scopes).audiences(
            self.params
                .iter()
                .filter(|(k, _)| crate::authorize::names_an_audience(k))
                .map(|(_, v)| v.clone()),
        )
    }
}

impl UserClient {
    /// The session a [`login`](Self::login) with `flow` stored, if its
    /// store holds one for the flow's [key](LoginFlow::store_key): the ID
    /// token is verified again and the tokens refreshed when near expiry.
    /// A flow without a store ([`SessionOptions::store`]) is a
    /// configuration error.
    pub async fn resume(&self, flow: &LoginFlow) -> Result<Option<Session>, Error> {
        let store = flow.session.stored_in().ok_or_else(|| {
            Error::Misconfigured(
                "resuming a sign-in needs a token store: set one with SessionOptions::store".into(),
            )
        })?;
        self.stored_session(store, &flow.store_key(self), flow.session.clone())
            .await
    }

    /// Signs a user in through the browser: listens on 127.0.0.1, sends the
    /// browser to the provider, waits for the redirect with our `state`
    /// (foreign ones are turned away while we keep waiting), checks `iss`
    /// when the provider sends it (RFC 9207), exchanges the code with the
    /// PKCE verifier, verifies the ID token and only then shows the
    /// success page — or the failure page with what went wrong.
    pub async fn login(&self, flow: &LoginFlow) -> Result<Session, Error> {
        let span = tracing::info_span!(
            "sign_in",
            issuer = %self.issuer(),
            client_id = %self.client_id(),
            redirect_uri = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        let result = self.login_steps(flow).instrument(span.clone()).await;
        span.record(
            "outcome",
            if result.is_ok() {
                "signed_in"
            } else {
                "failed"
            },
        );
        result
    }

    async fn login_steps(&self, flow: &LoginFlow) -> Result<Session, Error> {
        let mut listener = LoopbackListener::bind(flow.port, &flow.path).await?;
        let mut request =
            self.authorization_request(listener.redirect_uri(), flow.scopes.clone())?;
        if flow.jarm {
            listener = listener.with_jarm(self.jarm_validator()?);
            request = request.param("response_mode", "jwt");
        }
        for (name, value) in &flow.params {
            request = request.param(name.clone(), value.clone());
        }
        let mut pending = request.build()?;
        if let Some(key) = &flow.request_object {
            pending = self.sign_authorization(pending, key)?;
        }
        let pending = self.push_authorization(pending, flow.par).await?;
        tracing::Span::current().record("redirect_uri", listener.redirect_uri());
        let url = pending.url.to_string();
        match &flow.on_url {
            Some(callback) => callback(&url),
            None => eprintln!("To sign in, open this URL in a browser:\n\n  {url}\n"),
        }
        if flow.open_browser && !open_browser(&url) {
            tracing::info!("no browser could be started; open the URL by hand");
        }
        let (callback, reply) = listener
            .accept(&pending.state, flow.timeout, flow.pages.as_ref())
            .await?;
        let result = match callback.iss.as_deref() {
            Some(iss) if iss != self.issuer() => Err(Error::InvalidResponse {
                endpoint: listener.redirect_uri().to_owned(),
                reason: format!(
                    "the callback names issuer {iss:?}, not {:?} (possible mix-up attack)",
                    self.issuer()
                ),
            }),
            _ => self.exchange_code(&callback.code, &pending).await,
        }
        .and_then(|agent| Session::new(self.clone(), agent, flow.session.clone()));
        let page = match &result {
            Ok(_) => flow.pages.page(&Outcome::Success),
            Err(e) => {
                let code = e.oauth_code().map(|c| c.to_string());
                let message = e.to_string();
                flow.pages.page(&Outcome::Failure {
                    error: code.as_deref().unwrap_or("sign_in_failed"),
                    description: Some(&message),
                })
            }
        };
        reply.send(&page).await;
        result
    }
}
