//! Exit codes, the one map from typed errors to them, and how failures are
//! reported.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | ok |
//! | 1 | denied, inactive or invalid: `access_denied` (from every command), a token introspected inactive or validated false, a JWT that fails `--verify`, a device code nobody approved in time |
//! | 2 | usage or configuration: bad flags, a configuration that does not load, plain `http://` to a host that is not loopback, `invalid_scope`, `invalid_target`, `invalid_request`, an unsupported grant or token type, a CA file that does not parse, a client certificate or key that does not load |
//! | 3 | network or server: connect, TLS, timeouts, HTTP 5xx and 429, `server_error`, `temporarily_unavailable`, a body that is not the JSON expected, a token-store file another process keeps locked |
//! | 4 | credentials refused: `invalid_client`, `invalid_grant`, `unauthorized_client`, `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce` after the one retry, HTTP 401/403, a sign-in that must be redone |
//!
//! The SDK's error enums are `#[non_exhaustive]`: every variant known
//! today has its own arm below, and a fallback arm (commented) takes the
//! ones added later; the table test in `exit/tests.rs` has a row for each.

use std::process::ExitCode;

use idaas::TransportError;
use idaas::config::ConfigError;
use idaas::oauth::OAuthErrorCode;

use crate::output;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    /// Success.
    Ok = 0,
    /// A check said no: access denied, token inactive.
    Denied = 1,
    /// Bad usage or configuration.
    Usage = 2,
    /// The network or the server failed.
    Network = 3,
    /// The server refused our credentials.
    Auth = 4,
}

/// The exit codes as `idaas --help` prints them.
pub(crate) const HELP: &str = "Exit codes:
  0  ok
  1  denied, inactive or invalid (access_denied, an inactive token, a JWT that fails --verify)
  2  usage or configuration (bad flags or config, http:// to a non-loopback host,
     invalid_scope, invalid_target, a CA file or client certificate that does not load)
  3  network or server (connect, TLS, timeouts, HTTP 5xx/429, temporarily_unavailable,
     a response that is not the JSON expected, a token store locked by another process)
  4  credentials refused (invalid_client, invalid_grant, unauthorized_client, a refused
     DPoP proof, HTTP 401/403)";

impl Code {
    /// The process exit code.
    pub(crate) fn exit(self) -> ExitCode {
        ExitCode::from(self as u8)
    }
}

/// Any error the CLI gets from the SDK.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cause<'a> {
    /// The protocol layer.
    OAuth(&'a idaas::oauth::Error),
    /// The credential layer (configured clients, the cache).
    Credentials(&'a idaas::credentials::Error),
    /// The PAM client.
    Pam(&'a idaas::pam::Error),
    /// The transport.
    Transport(&'a TransportError),
    /// A configuration file or value.
    Config(&'a ConfigError),
}

impl<'a> From<&'a idaas::oauth::Error> for Cause<'a> {
    fn from(e: &'a idaas::oauth::Error) -> Self {
        Self::OAuth(e)
    }
}
impl<'a> From<&'a idaas::credentials::Error> for Cause<'a> {
    fn from(e: &'a idaas::credentials::Error) -> Self {
        Self::Credentials(e)
    }
}
impl<'a> From<&'a idaas::pam::Error> for Cause<'a> {
    fn from(e: &'a idaas::pam::Error) -> Self {
        Self::Pam(e)
    }
}
impl<'a> From<&'a TransportError> for Cause<'a> {
    fn from(e: &'a TransportError) -> Self {
        Self::Transport(e)
    }
}
impl<'a> From<&'a ConfigError> for Cause<'a> {
    fn from(e: &'a ConfigError) -> Self {
        Self::Config(e)
    }
}

/// The exit code of an OAuth error code (with the HTTP status it came with;
/// 0 when it came through a browser redirect).
pub(crate) fn oauth_code(code: &OAuthErrorCode, status: u16) -> Code {
    use OAuthErrorCode as C;
    match code {
        C::AccessDenied | C::UserBlocked | C::AccountLinkingRequired | C::ExpiredToken => {
            Code::Denied
        }
        // a server in trouble, whatever code it chose
        _ if status == 429 || status >= 500 => Code::Network,
        C::InvalidRequest
        | C::InvalidScope
        | C::InvalidTarget
        | C::UnsupportedGrantType
        | C::UnsupportedResponseType
        | C::UnsupportedTokenType => Code::Usage,
        C::InvalidClient
        | C::InvalidGrant
        | C::UnauthorizedClient
        | C::InvalidToken
        | C::InsufficientScope
        | C::LoginRequired
        | C::ConsentRequired
        | C::InteractionRequired
        | C::AccountSelectionRequired
        | C::SessionExpired => Code::Auth,
        // DPoP (RFC 9449): a proof refused, or a nonce still demanded after
        // the one retry with the server's nonce: the server refuses our request
        C::UseDpopNonce | C::InvalidDpopProof => Code::Auth,
        C::ServerError | C::TemporarilyUnavailable | C::SlowDown | C::AuthorizationPending => {
            Code::Network
        }
        // an unknown code: refused, unless the endpoint does not exist
        C::Other(_) if status == 404 => Code::Usage,
        C::Other(_) => Code::Auth,
        // (`OAuthErrorCode` is non-exhaustive) a code typed after this map
        // was written: as an unknown one
        _ => Code::Auth,
    }
}

/// The exit code of an HTTP status that came without a usable body.
fn http_status(status: u16) -> Code {
    match status {
        401 | 403 => Code::Auth,
        400 | 404 | 405 => Code::Usage,
        _ => Code::Network,
    }
}

fn transport(e: &TransportError) -> Code {
    match e {
        TransportError::InvalidUrl { .. }
        | TransportError::InvalidOptions { .. }
        | TransportError::CaFile { .. }
        | TransportError::ClientCertificate { .. }
        | TransportError::InsecureScheme { .. } => Code::Usage,
        TransportError::ConnectTimeout { .. }
        | TransportError::Connect { .. }
        | TransportError::Tls { .. }
        | TransportError::ReadTimeout { .. }
        | TransportError::BodyTooLarge { .. }
        | TransportError::Protocol { .. } => Code::Network,
        // (non-exhaustive) a newer variant: a request that did not complete
        _ => Code::Network,
    }
}

/// The one map from an error to its exit code.
pub(crate) fn exit_code(cause: Cause<'_>) -> Code {
    use idaas::oauth::Error as O;
    match cause {
        Cause::Transport(e) => transport(e),
        Cause::Config(_) => Code::Usage,
        Cause::OAuth(e) => match e {
            O::Transport(t) => transport(t),
            O::OAuth(e) => oauth_code(&e.code, e.status),
            O::UnexpectedStatus { status, .. } => http_status(*status),
            O::InvalidResponse { .. } => Code::Network,
            O::Key(_)
            | O::Io { .. }
            | O::InvalidUrl { .. }
            | O::Misconfigured(_)
            | O::BlockingInAsyncContext => Code::Usage,
            O::Timeout(_) | O::Jwt(_) => Code::Denied,
            // another process's refresh holds the session's file: retry later
            O::StoreLocked { .. } => Code::Network,
            O::IdToken(_) | O::SubjectMismatch { .. } | O::TokenExpired => Code::Auth,
            O::RefreshFailed {
                code: Some(code), ..
            } => oauth_code(code, 400),
            O::RefreshFailed { retryable, .. } => {
                if *retryable {
                    Code::Network
                } else {
                    Code::Auth
                }
            }
            // (non-exhaustive) a newer variant
            _ => Code::Network,
        },
        Cause::Credentials(e) => {
            use idaas::credentials::Error as C;
            match e {
                C::Config(_) | C::Unsupported(_) | C::InvalidArgument(_) => Code::Usage,
                C::OAuth(e) => exit_code(Cause::OAuth(e)),
                C::Source { .. } => Code::Network,
                C::Refresh(cache) => match supplier(cache) {
                    Some(inner) => exit_code(Cause::Credentials(inner)),
                    None => cached(cache),
                },
                // (non-exhaustive) a newer variant
                _ => Code::Network,
            }
        }
        Cause::Pam(e) => {
            use idaas::pam::Error as P;
            match e {
                P::InvalidArgument(_) | P::Callback(_) => Code::Usage,
                P::Api { code, .. } if code == "access_denied" => Code::Denied,
                P::Api { status, .. } => http_status(*status),
                P::Authorization { code, .. } if code == "authorization_flow_mismatch" => {
                    Code::Usage
                }
                P::Authorization { .. } => Code::Denied,
                P::InvalidResponse { .. } => Code::Network,
                P::Transport(t) => transport(t),
                P::Credential(e) => exit_code(Cause::Credentials(e)),
                // (non-exhaustive) a newer variant
                _ => Code::Network,
            }
        }
    }
}

/// A cache failure that is not a credential error of the refresh.
fn cached(cache: &idaas::cache::CacheError) -> Code {
    use idaas::cache::CacheError as E;
    match cache {
        E::NoRuntime => Code::Usage,
        // a supplier error of another type, a panic, a wait that ran out, a
        // value expired on arrival, a runtime that shut down
        E::Refresh(_) | E::Panicked(_) | E::Timeout(_) | E::ExpiredValue | E::Cancelled => {
            Code::Network
        }
        // (non-exhaustive) a newer variant
        _ => Code::Network,
    }
}

/// The credential error a cached refresh failed with.
fn supplier(cache: &idaas::cache::CacheError) -> Option<&idaas::credentials::Error> {
    cache.supplier_error()?.downcast_ref()
}

/// What to tell the user about an error: its text with every server-supplied
/// field capped and escaped, and nothing a one-shot command cannot act on
/// (no "retried after a backoff", no "(HTTP 0)").
pub(crate) fn message(cause: Cause<'_>) -> String {
    use idaas::oauth::Error as O;
    match cause {
        Cause::OAuth(O::OAuth(e)) => oauth_error(e),
        Cause::OAuth(O::UnexpectedStatus {
            endpoint,
            status,
            location,
        }) => format!(
            "{} answered HTTP {status} without an OAuth error body{}",
            output::field(endpoint),
            location
                .as_deref()
                .map(|l| format!(
                    " (redirect to {}; redirects are not followed)",
                    output::field(l)
                ))
                .unwrap_or_default()
        ),
        Cause::OAuth(O::InvalidResponse { endpoint, reason }) => format!(
            "invalid response from {}: {}",
            output::field(endpoint),
            output::field(reason)
        ),
        Cause::Credentials(idaas::credentials::Error::OAuth(e)) => message(Cause::OAuth(e)),
        Cause::Credentials(idaas::credentials::Error::Refresh(cache)) => match supplier(cache) {
            Some(inner) => message(Cause::Credentials(inner)),
            None => output::field(&cache.to_string()),
        },
        Cause::Pam(idaas::pam::Error::Api {
            operation,
            status,
            code,
            message,
            request_id,
        }) => format!(
            "PAM API {operation} failed: HTTP {status}, {}: {} (request id {})",
            output::field(code),
            output::field(message),
            output::field(request_id)
        ),
        Cause::Pam(idaas::pam::Error::Authorization { code, message }) => format!(
            "OAuth authorization: {}: {}",
            output::field(code),
            output::field(message)
        ),
        Cause::Pam(idaas::pam::Error::Credential(e)) => {
            format!("no bearer token for the PAM API: {}", message(e.into()))
        }
        Cause::Pam(idaas::pam::Error::Transport(t)) => output::field(&t.to_string()),
        // the SDK's texts leave their causes to `source()`: print the chain
        Cause::OAuth(e) => output::field(&idaas::Chain(e).to_string()),
        Cause::Credentials(e) => output::field(&idaas::Chain(e).to_string()),
        Cause::Pam(e) => output::field(&idaas::Chain(e).to_string()),
        Cause::Transport(e) => output::field(&e.to_string()),
        Cause::Config(e) => format!("invalid configuration: {}", output::field(&e.to_string())),
    }
}

/// An OAuth error response: code, capped description, advice; the HTTP
/// status only when there was one (an error redirected through the
/// browser has none).
fn oauth_error(e: &idaas::OAuthError) -> String {
    let mut shown = e.clone();
    shown.description = e.description.as_deref().map(output::field);
    shown.code = OAuthErrorCode::parse(&output::field(e.code.as_str()));
    let text = shown.to_string();
    if e.status == 0 {
        let code = shown.code.as_str();
        text.replacen(&format!("{code} (HTTP 0)"), code, 1)
            .replacen("authorization server returned", "the sign-in ended with", 1)
    } else {
        text
    }
}

/// A failed command: its exit code and what to tell the user.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The exit code.
    pub code: Code,
    /// The message for stderr.
    pub message: String,
    /// Print the message as JSON (`{"error": …}`) on stdout too.
    pub json: bool,
}

impl Failure {
    /// A failure with the given code.
    pub(crate) fn new(code: Code, message: impl Into<String>, json: bool) -> Self {
        Self {
            code,
            message: message.into(),
            json,
        }
    }

    /// A usage or configuration failure.
    pub(crate) fn usage(message: impl Into<String>, json: bool) -> Self {
        Self::new(Code::Usage, message, json)
    }

    /// The failure of an SDK error: its code by [`exit_code`], its text by [`message`].
    pub(crate) fn of<'a>(cause: impl Into<Cause<'a>>, json: bool) -> Self {
        let cause = cause.into();
        Self::new(exit_code(cause), message(cause), json)
    }

    /// Writes the failure: `idaas: <message>` on stderr, and a JSON object on
    /// stdout in `--json` mode (a closed stdout does not change the exit code).
    pub(crate) fn report(&self) {
        let message = output::line(&self.message);
        if self.json {
            use std::io::Write;
            let value = serde_json::json!({ "error": message, "exit_code": self.code as u8 });
            let _ = writeln!(std::io::stdout().lock(), "{}", output::json_line(&value));
        }
        output::err(format_args!("idaas: {message}"));
    }
}

#[cfg(test)]
mod tests;
