//! The loopback redirect listener of native apps (RFC 8252 §7.3): binds
//! 127.0.0.1, accepts only the redirect path with the expected `state`,
//! ignores stray requests (favicon, scanners) and answers with a page the
//! application can replace.

use std::time::Duration;

use idaas_core::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use url::Url;

use crate::authorize::state_matches;
use crate::error::{Error, OAuthError, OAuthErrorCode};
use crate::jwks::JwtValidator;

/// What the authorization server sent back to the redirect URI.
#[derive(Debug, Clone)]
pub struct Callback {
    /// The authorization code.
    pub code: SecretString,
    /// `iss` (RFC 9207), when the server sends it.
    pub iss: Option<String>,
}

/// How a sign-in ended, for the page shown to the user.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// The code arrived.
    Success,
    /// The server reported an error.
    Failure {
        /// `error`.
        error: &'a str,
        /// `error_description`.
        description: Option<&'a str>,
    },
}

/// What the browser gets.
#[derive(Debug, Clone)]
pub enum Page {
    /// An HTML page.
    Html(String),
    /// A redirect (e.g. to the application's own "you are signed in" page).
    Redirect(String),
}

/// Chooses the page shown at the end of a sign-in.
pub trait PageHandler: Send + Sync {
    /// The page for `outcome`.
    fn page(&self, outcome: &Outcome<'_>) -> Page;
}

/// A small, clean page: "Signed in — you can close this tab", or the error.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultPages;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>body{{font-family:system-ui,sans-serif;\
         display:flex;min-height:90vh;align-items:center;justify-content:center;color:#222}}\
         main{{max-width:32rem;text-align:center}}h1{{font-weight:600}}</style></head>\
         <body><main><h1>{title}</h1><p>{body}</p></main></body></html>"
    )
}

impl PageHandler for DefaultPages {
    fn page(&self, outcome: &Outcome<'_>) -> Page {
        match outcome {
            Outcome::Success => Page::Html(html(
                "Signed in",
                "You can close this tab and return to the application.",
            )),
            Outcome::Failure { error, description } => Page::Html(html(
                "Sign-in failed",
                &escape(&format!(
                    "{error}{}",
                    description.map(|d| format!(": {d}")).unwrap_or_default()
                )),
            )),
        }
    }
}

/// A listener on 127.0.0.1 for one redirect.
#[derive(Debug)]
pub struct LoopbackListener {
    listener: TcpListener,
    path: String,
    redirect_uri: String,
    /// JARM: callbacks must be a `response` JWT verified by this.
    jarm: Option<JwtValidator>,
}

/// How long a single connection may take to send its request line.
const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections read at once; further ones wait in the listen backlog.
const MAX_CONCURRENT_READS: usize = 16;

impl LoopbackListener {
    /// Binds `127.0.0.1:port` (0: an ephemeral port) for redirects to `path`.
    pub async fn bind(port: u16, path: &str) -> Result<Self, Error> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|source| Error::Io {
                action: "listen on",
                path: format!("127.0.0.1:{port}"),
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| Error::Io {
                action: "read the address of",
                path: format!("127.0.0.1:{port}"),
                source,
            })?
            .port();
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        Ok(Self {
            redirect_uri: format!("http://127.0.0.1:{port}{path}"),
            listener,
            path,
            jarm: None,
        })
    }

    /// Accepts only signed authorization responses (JARM,
    /// `response_mode=jwt`): the parameters are the claims of the
    /// `response` JWT, verified by `validator` (the provider's keys, its
    /// issuer, our client id as audience, `exp`); a callback without one,
    /// or with one that does not verify, is turned away like a foreign
    /// `state`.
    pub fn with_jarm(mut self, validator: JwtValidator) -> Self {
        self.jarm = Some(validator);
        self
    }

    /// `http://127.0.0.1:<port><path>`: register this as the redirect URI.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Waits for the redirect carrying `expected_state`, at most `timeout`,
    /// and answers it with the success page at once. Other paths get a 404
    /// and requests with another `state` a 400; both leave the listener
    /// waiting.
    pub async fn wait(
        &self,
        expected_state: &str,
        timeout: Duration,
        pages: &dyn PageHandler,
    ) -> Result<Callback, Error> {
        let (callback, reply) = self.accept(expected_state, timeout, pages).await?;
        reply.send(&pages.page(&Outcome::Success)).await;
        Ok(callback)
    }

    /// Like [`wait`](Self::wait), but leaves the browser waiting for the
    /// page until [`PendingReply::send`]: show success only once the code
    /// has been exchanged. An `error` redirect is answered (with the
    /// failure page) and returned as the OAuth error.
    pub async fn accept(
        &self,
        expected_state: &str,
        timeout: Duration,
        pages: &dyn PageHandler,
    ) -> Result<(Callback, PendingReply), Error> {
        tokio::time::timeout(timeout, self.accept_loop(expected_state, pages))
            .await
            .map_err(|_| {
                Error::Timeout(format!(
                    "no sign-in response on {} within {timeout:?}",
                    self.redirect_uri
                ))
            })?
    }

    async fn accept_loop(
        &self,
        expected_state: &str,
        pages: &dyn PageHandler,
    ) -> Result<(Callback, PendingReply), Error> {
        // Connections are read concurrently: a browser's speculative
        // preconnect, or a local scanner, that opens a socket and sends
        // nothing must not hold up the real redirect behind it.
        let mut reading = JoinSet::new();
        loop {
            let (mut stream, target) = tokio::select! {
                accepted = self.listener.accept(), if reading.len() < MAX_CONCURRENT_READS => {
                    if let Ok((mut stream, _)) = accepted {
                        reading.spawn(async move {
                            let target = read_request_target(&mut stream).await;
                            (stream, target)
                        });
                    }
                    continue;
                }
                Some(read) = reading.join_next(), if !reading.is_empty() => match read {
                    Ok(read) => read,
                    Err(_) => continue,
                },
            };
            let Some(target) = target else {
                continue;
            };
            let Ok(url) = Url::parse(&format!("http://127.0.0.1{target}")) else {
                respond(&mut stream, 400, &Page::Html(html("Bad request", ""))).await;
                continue;
            };
            if url.path() != self.path {
                respond(&mut stream, 404, &Page::Html(html("Not found", ""))).await;
                continue;
            }
            let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            if let Some(validator) = &self.jarm {
                match signed_parameters(validator, &pairs).await {
                    Some(signed) => pairs = signed,
                    None => {
                        tracing::debug!(redirect_uri = %self.redirect_uri, "callback without a verified signed response ignored");
                        respond(
                            &mut stream,
                            400,
                            &Page::Html(html(
                                "Unexpected response",
                                "This sign-in response is not signed by the provider.",
                            )),
                        )
                        .await;
                        continue;
                    }
                }
            }
            let param = |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            };
            if !param("state").is_some_and(|s| state_matches(expected_state, &s)) {
                tracing::debug!(redirect_uri = %self.redirect_uri, "callback with a foreign state ignored");
                respond(
                    &mut stream,
                    400,
                    &Page::Html(html(
                        "Unexpected response",
                        "This sign-in response does not belong to the waiting application.",
                    )),
                )
                .await;
                continue;
            }
            if let Some(error) = param("error") {
                let description = param("error_description");
                let outcome = Outcome::Failure {
                    error: &error,
                    description: description.as_deref(),
                };
                respond(&mut stream, 200, &pages.page(&outcome)).await;
                return Err(Error::OAuth(OAuthError {
                    code: OAuthErrorCode::parse(&error),
                    description,
                    uri: param("error_uri"),
                    status: 0,
                }));
            }
            let Some(code) = param("code") else {
                respond(
                    &mut stream,
                    400,
                    &Page::Html(html("Bad request", "No authorization code.")),
                )
                .await;
                continue;
            };
            return Ok((
                Callback {
                    code: code.into(),
                    iss: param("iss"),
                },
                PendingReply { stream },
            ));
        }
    }
}

/// The parameters of a JARM callback: the claims of its one `response`
/// JWT, once verified (string claims; `iss` included), or `None`.
async fn signed_parameters(
    validator: &JwtValidator,
    pairs: &[(String, String)],
) -> Option<Vec<(String, String)>> {
    let [(name, response)] = pairs else {
        return None;
    };
    if name != "response" {
        return None;
    }
    match validator.validate(response).await {
        Ok(claims) => Some(
            claims
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                .collect(),
        ),
        Err(e) => {
            tracing::debug!(error = %e, "signed authorization response refused");
            None
        }
    }
}

/// The browser's connection of an accepted callback, waiting for its page.
#[derive(Debug)]
pub struct PendingReply {
    stream: TcpStream,
}

impl PendingReply {
    /// Sends `page` (status 200, or 302 for a redirect) and closes.
    pub async fn send(mut self, page: &Page) {
        respond(&mut self.stream, 200, page).await;
    }
}

/// The request target of a `GET` request line, or `None` for anything else.
async fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let read = async {
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Some(())
    };
    tokio::time::timeout(REQUEST_READ_TIMEOUT, read)
        .await
        .ok()??;
    let text = String::from_utf8_lossy(&buf);
    let mut parts = text.lines().next()?.split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) if target.starts_with('/') => Some(target.to_owned()),
        _ => None,
    }
}

async fn respond(stream: &mut TcpStream, status: u16, page: &Page) {
    let reason = match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let text = match page {
        Page::Html(body) => format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: text/html; charset=utf-8\r\ncache-control: no-store\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ),
        Page::Redirect(location) => format!(
            "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        ),
    };
    let _ = stream.write_all(text.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Opens `url` in the user's browser: `$BROWSER` if set, else the
/// platform's opener. Returns whether a browser was started; print the URL
/// too, for headless machines.
pub fn open_browser(url: &str) -> bool {
    let (program, args): (String, Vec<String>) = match std::env::var("BROWSER") {
        Ok(browser) if !browser.trim().is_empty() => (browser, vec![url.to_owned()]),
        _ if cfg!(target_os = "macos") => ("open".into(), vec![url.to_owned()]),
        _ if cfg!(windows) => (
            "cmd".into(),
            vec!["/C".into(), "start".into(), String::new(), url.to_owned()],
        ),
        _ => ("xdg-open".into(), vec![url.to_owned()]),
    };
    std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}
