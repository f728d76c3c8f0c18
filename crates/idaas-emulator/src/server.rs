//! The HTTP server: routing, shared state, counters.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use idaas_core::SecretString;
use idaas_core::clock::SharedClock;
use idaas_oauth::jose::{SigningKey, VerifyingKey, jwk_set, verifying_key};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::registry::Client;

/// A response the handlers build.
pub(crate) struct Reply {
    status: u16,
    body: Vec<u8>,
    html: bool,
    headers: Vec<(&'static str, String)>,
    /// Origins besides the emulator's a page's form may lead to (CSP
    /// `form-action` also governs the redirect after the POST).
    form_targets: Vec<String>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: serde_json::to_vec(&body).unwrap_or_default(),
            html: false,
            headers: Vec::new(),
            form_targets: Vec::new(),
        }
    }

    /// A `302 Found` to `location` (no body).
    pub(crate) fn redirect(location: String) -> Self {
        Self {
            status: 302,
            body: Vec::new(),
            html: true,
            headers: vec![("location", location)],
            form_targets: Vec::new(),
        }
    }

    /// Lets the page's form lead to `origin` too (the login page: its POST
    /// is answered by a redirect to the client).
    pub(crate) fn with_form_target(mut self, origin: String) -> Self {
        self.form_targets.push(origin);
        self
    }

    /// Adds a response header.
    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// An HTML page (served unframeable, with a CSP allowing no script).
    pub(crate) fn html(status: u16, body: String) -> Self {
        Self {
            status,
            body: body.into_bytes(),
            html: true,
            headers: Vec::new(),
            form_targets: Vec::new(),
        }
    }

    /// Adds a member to a JSON object body.
    pub(crate) fn add_member(&mut self, name: &str, value: Value) {
        if let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(&self.body) {
            map.insert(name.to_owned(), value);
            self.body = serde_json::to_vec(&Value::Object(map)).unwrap_or_default();
        }
    }
}

/// Everything the handlers share.
pub(crate) struct State {
    pub base_url: String,
    pub signing_key: SigningKey,
    verifying: VerifyingKey,
    pub clock: SharedClock,
    pub token_lifetime: Duration,
    clients: Mutex<HashMap<String, Client>>,
    access_keys: HashMap<String, SecretString>,
    pub(crate) devices: crate::device::DeviceGrants,
    pub(crate) device_interval: u64,
    pub(crate) refresh_tokens: crate::device::RefreshTokens,
    pub(crate) users: Vec<crate::registry::User>,
    pub(crate) sign_ins: crate::authorize::SignIns,
    pub(crate) pam_state: crate::pam::PamState,
    /// The verification page's form token (CSRF).
    pub(crate) page_token: SecretString,
    counters: Mutex<HashMap<String, u64>>,
    pub(crate) faults: crate::faults::Faults,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl State {
    pub(crate) fn new(
        base_url: String,
        signing_key: SigningKey,
        clock: SharedClock,
        token_lifetime: Duration,
        clients: Vec<Client>,
        access_keys: HashMap<String, SecretString>,
    ) -> Self {
        let verifying =
            verifying_key(&signing_key).expect("the emulator signs with an asymmetric key");
        Self {
            base_url,
            signing_key,
            verifying,
            clock,
            token_lifetime,
            clients: Mutex::new(clients.into_iter().map(|c| (c.id.clone(), c)).collect()),
            access_keys,
            devices: Default::default(),
            device_interval: crate::device::DEVICE_INTERVAL,
            refresh_tokens: Default::default(),
            users: Vec::new(),
            sign_ins: Default::default(),
            pam_state: Default::default(),
            page_token: idaas_oauth::authorize::random_token(32).into(),
            counters: Mutex::new(HashMap::new()),
            faults: Default::default(),
        }
    }

    pub(crate) fn token_endpoint(&self) -> String {
        format!("{}/oauth2/token", self.base_url)
    }

    pub(crate) fn verifying_key(&self) -> VerifyingKey {
        self.verifying.clone()
    }

    pub(crate) fn client(&self, id: &str) -> Option<Client> {
        self.clients.lock().expect("clients lock").get(id).cloned()
    }

    pub(crate) fn access_key_secret(&self, id: &str) -> Option<SecretString> {
        self.access_keys.get(id).cloned()
    }

    pub(crate) fn register(&self, client: Client) {
        self.clients
            .lock()
            .expect("clients lock")
            .insert(client.id.clone(), client);
    }

    pub(crate) fn count(&self, client_id: &str) {
        *self
            .counters
            .lock()
            .expect("counters lock")
            .entry(client_id.to_owned())
            .or_default() += 1;
    }

    pub(crate) fn token_requests(&self, client_id: &str) -> u64 {
        self.counters
            .lock()
            .expect("counters lock")
            .get(client_id)
            .copied()
            .unwrap_or(0)
    }

    fn discovery(&self) -> Reply {
        let base = &self.base_url;
        Reply::json(
            200,
            json!({
                "issuer": base,
                "authorization_endpoint": format!("{base}/oauth2/authorize"),
                "token_endpoint": self.token_endpoint(),
                "userinfo_endpoint": format!("{base}/oauth2/userinfo"),
                "device_authorization_endpoint": format!("{base}/oauth2/device_authorization"),
                "jwks_uri": format!("{base}/oauth2/jwks"),
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "grant_types_supported": [
                    "authorization_code",
                    "refresh_token",
                    "client_credentials",
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                    "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "urn:ietf:params:oauth:grant-type:device_code"
                ],
                "code_challenge_methods_supported": ["S256"],
                "authorization_response_iss_parameter_supported": true,
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "claims_supported": ["sub", "name", "email", "email_verified", "nonce", "auth_time"],
                "subject_types_supported": ["public"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"
                ],
                "id_token_signing_alg_values_supported": [self.signing_key.algorithm().as_str()],
                "request_parameter_supported": false,
                "request_uri_parameter_supported": false,
            }),
        )
    }

    async fn route(self: Arc<Self>, request: Request<Incoming>) -> Reply {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let headers = request.headers().clone();
        let query = request.uri().query().unwrap_or("").to_owned();
        let authorization = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = match Limited::new(request.into_body(), 64 * 1024).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                return crate::token_endpoint::oauth_error(
                    413,
                    "invalid_request",
                    "request body too large",
                );
            }
        };
        if method == http::Method::POST && path == "/" && headers.contains_key("x-acs-action") {
            return self.open_api(&query, &headers, &body);
        }
        if path.starts_with("/v2/")
            && let Some(reply) = self.pam(
                method.as_str(),
                &path,
                &query,
                authorization.as_deref(),
                &body,
            )
        {
            return reply;
        }
        let body = String::from_utf8_lossy(&body);
        match (method.as_str(), path.as_str()) {
            ("POST", "/oauth2/token") => match self.faults.token_request().await {
                Some(fault) => fault,
                None => self.token(&body, authorization.as_deref()),
            },
            ("POST", "/oauth2/device_authorization") => {
                self.device(&body, authorization.as_deref())
            }
            (
                "GET",
                "/.well-known/openid-configuration" | "/.well-known/oauth-authorization-server",
            ) => self.discovery(),
            ("GET", "/oauth2/authorize") => self.login_page(&query),
            ("POST", "/oauth2/authorize") => self.login_decision(&headers, &body),
            ("GET" | "POST", "/oauth2/userinfo") => self.userinfo(authorization.as_deref()),
            ("GET", "/device") => self.verification_form(&query),
            ("POST", "/device") => self.verification_decision(&headers, &body),
            ("GET", "/oauth2/jwks") => Reply::json(200, jwk_set([&self.signing_key])),
            _ => Reply::json(
                404,
                json!({"error": "not_found", "error_description": format!("{method} {path}")}),
            ),
        }
    }
}

/// Serves `state` on `listener` until `stop` turns true.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let state = state.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = state.clone();
                async move {
                    let reply = state.route(request).await;
                    let mut response = Response::builder()
                        .status(reply.status)
                        .header(http::header::CACHE_CONTROL, "no-store");
                    for (name, value) in &reply.headers {
                        response = response.header(*name, value);
                    }
                    response = if reply.html {
                        response
                            .header(http::header::CONTENT_TYPE, "text/html; charset=utf-8")
                            .header("x-frame-options", "DENY")
                            .header(
                                "content-security-policy",
                                format!(
                                    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'{}; frame-ancestors 'none'",
                                    reply.form_targets.iter().map(|o| format!(" {o}")).collect::<String>()
                                ),
                            )
                    } else {
                        response.header(http::header::CONTENT_TYPE, "application/json")
                    };
                    let response = response
                        .body(Full::new(Bytes::from(reply.body)))
                        .expect("a valid response");
                    Ok::<_, Infallible>(response)
                }
            });
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stop.changed() => connection.as_mut().graceful_shutdown(),
            }
        });
    }
}

/// The local address a listener is bound to.
pub(crate) fn local(listener: &TcpListener) -> std::io::Result<SocketAddr> {
    listener.local_addr()
}
