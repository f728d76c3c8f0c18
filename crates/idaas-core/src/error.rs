//! Errors shared by every layer: the OAuth error response (RFC 6749 §5.2),
//! transport failures and configuration errors.
//!
//! Each higher crate has its own error enum that wraps these; none of them ever
//! carries a secret or a token in its text.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

pub use crate::config::ConfigError;

/// Any error of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration could not be loaded or is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The request did not complete: connection, TLS, timeout, body limit.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The authorization server answered with an OAuth error.
    #[error(transparent)]
    OAuth(#[from] OAuthError),
}

/// A request that did not produce a usable HTTP response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The URL cannot be parsed or has no host.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The HTTP client could not be built from its options (for example a
    /// `User-Agent` that is not a valid header value).
    #[error("invalid HTTP client options: {reason}")]
    InvalidOptions {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A CA certificate file (`HttpOptions::ca_certificate_files`,
    /// `httpConfiguration.caCertificateFile`) cannot be read or does not
    /// parse. A configuration problem: nothing was sent.
    #[error("the CA certificate file {path:?} {reason}")]
    CaFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The client certificate or key of mutual TLS
    /// (`HttpOptions::client_identity`, `httpConfiguration.clientCertificateFile`
    /// / `clientKeyFile`) cannot be read, is not PEM, is of a key type TLS
    /// cannot sign with, or the key is not the certificate's. A
    /// configuration problem: nothing was sent.
    #[error("{origin} {reason}")]
    ClientCertificate {
        /// The file, variable or in-code value, in words.
        origin: String,
        /// What is wrong with it and what to do.
        reason: String,
    },
    /// Plain `http://` to a host that is not a loopback address.
    #[error(
        "refusing plain http to {host}: only https is allowed except for loopback addresses (use https://)"
    )]
    InsecureScheme {
        /// The host that was asked for.
        host: String,
    },
    /// No connection could be made within the connect timeout.
    #[error(
        "connecting to {host} timed out after {after:?}; check the endpoint or raise httpConfiguration.connectTimeout"
    )]
    ConnectTimeout {
        /// The host.
        host: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The connection failed (refused, DNS, reset).
    #[error("could not connect to {host}: {reason}")]
    Connect {
        /// The host.
        host: String,
        /// What went wrong.
        reason: String,
    },
    /// The TLS handshake failed (untrusted certificate, name mismatch, protocol).
    #[error("TLS with {host} failed: {reason}")]
    Tls {
        /// The host.
        host: String,
        /// What went wrong.
        reason: String,
    },
    /// The response (headers and body) did not arrive within the read timeout.
    #[error(
        "reading the response from {host} timed out after {after:?}; raise httpConfiguration.readTimeout if the server is slow"
    )]
    ReadTimeout {
        /// The host.
        host: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The response body exceeded the configured cap.
    #[error("response body from {host} exceeds the {limit}-byte limit")]
    BodyTooLarge {
        /// The host.
        host: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// The connection broke while the request or response was in flight.
    #[error("HTTP exchange with {host} failed: {reason}")]
    Protocol {
        /// The host.
        host: String,
        /// What went wrong.
        reason: String,
    },
}

impl TransportError {
    /// Whether a retry may succeed: connection failures and timeouts before a
    /// response. TLS, URL and body-size errors are permanent.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::ConnectTimeout { .. } | Self::Connect { .. } | Self::Protocol { .. }
        )
    }
}

/// The `error` code of an OAuth 2.0 error response, as a type.
///
/// Covers RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC 8628 §3.5,
/// RFC 7009, RFC 9449, OpenID Connect Core §3.1.2.6 and the AuthPI IdP's own codes;
/// any other code is kept verbatim in [`OAuthErrorCode::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_client`
    InvalidClient,
    /// `invalid_grant`
    InvalidGrant,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_grant_type`
    UnsupportedGrantType,
    /// `invalid_scope`
    InvalidScope,
    /// `access_denied`
    AccessDenied,
    /// `unsupported_response_type`
    UnsupportedResponseType,
    /// `server_error`
    ServerError,
    /// `temporarily_unavailable`
    TemporarilyUnavailable,
    /// `invalid_token`
    InvalidToken,
    /// `insufficient_scope`
    InsufficientScope,
    /// `authorization_pending` (device flow: keep polling)
    AuthorizationPending,
    /// `slow_down` (device flow: poll 5 s slower)
    SlowDown,
    /// `expired_token` (device flow: the code expired)
    ExpiredToken,
    /// `unsupported_token_type` (revocation)
    UnsupportedTokenType,
    /// `invalid_target` (RFC 8707 / RFC 8693)
    InvalidTarget,
    /// `login_required` (OIDC: `prompt=none` and nobody is signed in)
    LoginRequired,
    /// `consent_required` (OIDC: `prompt=none` and consent is missing)
    ConsentRequired,
    /// `interaction_required` (OIDC: `prompt=none` and the user must act)
    InteractionRequired,
    /// `account_selection_required` (OIDC)
    AccountSelectionRequired,
    /// `session_expired` (AuthPI IdP)
    SessionExpired,
    /// `user_blocked` (AuthPI IdP)
    UserBlocked,
    /// `account_linking_required` (AuthPI IdP)
    AccountLinkingRequired,
    /// `use_dpop_nonce` (RFC 9449 §8: send the proof again with the
    /// server's `DPoP-Nonce`)
    UseDpopNonce,
    /// `invalid_dpop_proof` (RFC 9449 §5: the DPoP proof was refused)
    InvalidDpopProof,
    /// Any other code, verbatim.
    Other(String),
}

impl OAuthErrorCode {
    /// Parses an `error` value.
    pub fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "access_denied" => Self::AccessDenied,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            "invalid_token" => Self::InvalidToken,
            "insufficient_scope" => Self::InsufficientScope,
            "authorization_pending" => Self::AuthorizationPending,
            "slow_down" => Self::SlowDown,
            "expired_token" => Self::ExpiredToken,
            "unsupported_token_type" => Self::UnsupportedTokenType,
            "invalid_target" => Self::InvalidTarget,
            "login_required" => Self::LoginRequired,
            "consent_required" => Self::ConsentRequired,
            "interaction_required" => Self::InteractionRequired,
            "account_selection_required" => Self::AccountSelectionRequired,
            "session_expired" => Self::SessionExpired,
            "user_blocked" => Self::UserBlocked,
            "account_linking_required" => Self::AccountLinkingRequired,
            "use_dpop_nonce" => Self::UseDpopNonce,
            "invalid_dpop_proof" => Self::InvalidDpopProof,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::InvalidTarget => "invalid_target",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::AccountSelectionRequired => "account_selection_required",
            Self::SessionExpired => "session_expired",
            Self::UserBlocked => "user_blocked",
            Self::AccountLinkingRequired => "account_linking_required",
            Self::UseDpopNonce => "use_dpop_nonce",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::Other(code) => code,
        }
    }

    /// A hint on what to do about this error, for messages.
    fn advice(&self) -> &'static str {
        match self {
            Self::InvalidClient => "check the client id and its credentials",
            Self::InvalidGrant => "the grant, code or assertion was rejected; obtain a new one",
            Self::InvalidScope => "request only scopes the client is allowed",
            Self::UnauthorizedClient => "enable this grant type for the client",
            Self::UnsupportedGrantType => "the server does not support this grant type",
            Self::AccessDenied => "the user or policy denied the request",
            Self::ServerError | Self::TemporarilyUnavailable => "retry later",
            Self::SlowDown => "poll less often",
            Self::ExpiredToken => "start the flow again",
            Self::LoginRequired
            | Self::ConsentRequired
            | Self::InteractionRequired
            | Self::AccountSelectionRequired
            | Self::SessionExpired => "sign in again interactively (without prompt=none)",
            Self::UserBlocked => "the account is blocked; contact the administrator",
            Self::AccountLinkingRequired => "link the account at the provider first",
            Self::InvalidDpopProof => {
                "the DPoP proof was refused: check the key's algorithm and the clocks"
            }
            _ => "",
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth 2.0 error response (RFC 6749 §5.2) with the HTTP status it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The `error` code.
    pub code: OAuthErrorCode,
    /// `error_description`, if the server sent one.
    pub description: Option<String>,
    /// `error_uri`, if the server sent one.
    pub uri: Option<String>,
    /// The HTTP status of the response.
    pub status: u16,
}

#[derive(Deserialize)]
struct WireOAuthError {
    error: String,
    error_description: Option<String>,
    error_uri: Option<String>,
}

impl OAuthError {
    /// Parses an RFC 6749 §5.2 error body. `None` if the body is not a JSON
    /// object with a string `error` member.
    pub fn from_response(status: u16, body: &[u8]) -> Option<Self> {
        let wire: WireOAuthError = serde_json::from_slice(body).ok()?;
        Some(Self {
            code: OAuthErrorCode::parse(&wire.error),
            description: wire.error_description.filter(|d| !d.is_empty()),
            uri: wire.error_uri.filter(|u| !u.is_empty()),
            status,
        })
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "authorization server returned {} (HTTP {})",
            self.code, self.status
        )?;
        if let Some(description) = &self.description {
            write!(f, ": {description}")?;
        }
        let advice = self.code.advice();
        if !advice.is_empty() {
            write!(f, "; {advice}")?;
        }
        Ok(())
    }
}

impl std::error::Error for OAuthError {}

/// An error and every cause under it on one line, `outer: cause: root`: the
/// way to print an error of this SDK, whose texts do not repeat their
/// [`source`](std::error::Error::source) (so each cause is printed once).
///
/// ```
/// use idaas_core::error::Chain;
/// let io = std::io::Error::other("disk on fire");
/// assert_eq!(Chain(&io).to_string(), "disk on fire");
/// ```
#[derive(Clone, Copy)]
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc6749_error_body() {
        let body = br#"{"error":"invalid_client","error_description":"bad secret","error_uri":"https://e/x"}"#;
        let e = OAuthError::from_response(401, body).unwrap();
        assert_eq!(e.code, OAuthErrorCode::InvalidClient);
        assert_eq!(e.description.as_deref(), Some("bad secret"));
        assert_eq!(e.uri.as_deref(), Some("https://e/x"));
        assert_eq!(
            e.to_string(),
            "authorization server returned invalid_client (HTTP 401): bad secret; check the client id and its credentials"
        );
    }

    #[test]
    fn error_without_description_keeps_the_code() {
        // The reference SDK turns this into a null code (defect 7); we keep it.
        let e = OAuthError::from_response(400, br#"{"error":"slow_down"}"#).unwrap();
        assert_eq!(e.code, OAuthErrorCode::SlowDown);
        assert_eq!(e.description, None);
    }

    #[test]
    fn unknown_codes_round_trip_and_garbage_is_none() {
        assert_eq!(OAuthErrorCode::parse("weird").as_str(), "weird");
        for code in [
            "invalid_request",
            "expired_token",
            "invalid_target",
            "insufficient_scope",
            "login_required",
            "consent_required",
            "interaction_required",
            "account_selection_required",
            "session_expired",
            "user_blocked",
            "account_linking_required",
        ] {
            let parsed = OAuthErrorCode::parse(code);
            assert!(
                !matches!(parsed, OAuthErrorCode::Other(_)),
                "{code} is typed"
            );
            assert_eq!(parsed.as_str(), code);
        }
        assert!(OAuthError::from_response(500, b"<html>").is_none());
        assert!(OAuthError::from_response(500, br#"{"error":5}"#).is_none());
        assert!(OAuthError::from_response(500, b"").is_none());
    }
}
