//! The protocol layer's error.

use idaas_core::TransportError;
pub use idaas_core::error::{OAuthError, OAuthErrorCode};

use crate::jose::{JwtError, KeyError};

/// Why a protocol operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request did not complete (connect, TLS, timeout, body cap).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The server answered with an OAuth error (RFC 6749 §5.2); its code is
    /// typed in [`OAuthError::code`].
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    /// The server answered with a status that is neither success nor an
    /// OAuth error body (a redirect, an HTML error page).
    #[error("{endpoint} answered HTTP {status} without an OAuth error body{}", location.as_ref().map(|l| format!(" (redirect to {l}; redirects are not followed)")).unwrap_or_default())]
    UnexpectedStatus {
        /// The endpoint called.
        endpoint: String,
        /// The status.
        status: u16,
        /// The `Location` header of a redirect.
        location: Option<String>,
    },
    /// A success response that is not what the protocol requires.
    #[error("invalid response from {endpoint}: {reason}")]
    InvalidResponse {
        /// The endpoint called.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A key could not sign, or is unusable.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A user flow did not finish in time (sign-in, device approval).
    #[error("{0}")]
    Timeout(String),
    /// The advisory lock of a token-store file stayed held (by a refresh in
    /// another process, or another session of this one) for the whole
    /// wait: nothing was sent; retrying later may succeed.
    #[error(
        "token store: {path} stayed locked for {after:?} (a refresh in another process is stuck?); retry, or remove the file if no idaas process runs"
    )]
    StoreLocked {
        /// The lock file.
        path: String,
        /// How long was waited.
        after: std::time::Duration,
    },
    /// A JWT was rejected (signature, algorithm, claims, unknown key).
    #[error("JWT rejected: {0}")]
    Jwt(JwtError),
    /// A file, directory or socket operation failed: a key file, the token
    /// store, the sign-in's loopback listener.
    #[error("cannot {action} {path}")]
    Io {
        /// What was being done (`read`, `create`, `lock`, `listen on`…).
        action: &'static str,
        /// The file, directory or address.
        path: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// A configured or published URL does not parse.
    #[error("{what} {url:?} is not a URL")]
    InvalidUrl {
        /// Which URL (`issuer`, `authorization endpoint`…).
        what: &'static str,
        /// The text given.
        url: String,
        /// Why it does not parse.
        #[source]
        source: url::ParseError,
    },
    /// The client is not set up for this operation.
    #[error("{0}")]
    Misconfigured(String),
    /// An ID token passed the JWT checks but not the OpenID Connect ones
    /// (algorithm allow-list, `nonce`, `azp`, `sub`, claim shapes): which
    /// one is typed in [`IdTokenError`].
    #[error("ID token rejected: {0}; sign in again")]
    IdToken(IdTokenError),
    /// A refresh or userinfo answer names another user than the session's.
    #[error(
        "the server answered for subject {actual:?} but the session belongs to {expected:?}; the session was not updated, sign in again"
    )]
    SubjectMismatch {
        /// The session's subject.
        expected: String,
        /// The subject the server answered for.
        actual: String,
    },
    /// The refresh that another caller of the same session ran while this
    /// one waited for it failed: its outcome is shared with every waiter
    /// instead of each waiter trying again in turn.
    #[error("{message}")]
    RefreshFailed {
        /// The leader's error, as it displayed.
        message: String,
        /// Its OAuth error code, if the server sent one.
        code: Option<OAuthErrorCode>,
        /// Whether retrying later may succeed (see [`Error::is_retryable`]).
        retryable: bool,
    },
    /// The access token is expired (or about to be) and cannot be renewed.
    #[error("the access token expired and there is no refresh token; sign in again")]
    TokenExpired,
    /// A blocking client was called on a thread that runs an async runtime.
    #[error(
        "the blocking client was called inside an async runtime (it would block the runtime's thread); use the async UserClient there, or call it from spawn_blocking"
    )]
    BlockingInAsyncContext,
}

/// Which OpenID Connect check an ID token failed (OpenID Connect Core
/// §3.1.3.7), as [`Error::IdToken`] holds it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenError {
    /// The token response carries no `id_token`.
    #[error("the token response has no id_token (was `openid` granted?)")]
    Missing,
    /// Its `alg` is not in the verifier's allow-list.
    #[error("it is signed with {alg:?}, which is not in the allow-list ({allowed})")]
    AlgorithmNotAllowed {
        /// The token's `alg` (`none` when absent).
        alg: String,
        /// The allow-list, comma-separated.
        allowed: String,
    },
    /// `iat` is absent or not a number.
    #[error("it has no numeric iat")]
    NoIssuedAt,
    /// A nonce was sent with the authorization request; the token has none.
    #[error("it carries no nonce, but one was sent")]
    NoNonce,
    /// Its nonce is not the one sent.
    #[error("its nonce is not the one sent with the authorization request")]
    WrongNonce,
    /// `azp` names another client.
    #[error("azp {azp:?} is not this client ({client_id:?})")]
    WrongAuthorizedParty {
        /// The token's `azp`.
        azp: String,
        /// This client's id.
        client_id: String,
    },
    /// Several audiences and no `azp`.
    #[error("it has several audiences and no azp")]
    NoAuthorizedParty,
    /// `azp` is not a string.
    #[error("azp is not a string")]
    AuthorizedPartyNotString,
    /// `sub` is absent or empty.
    #[error("sub is missing or empty")]
    NoSubject,
    /// A member of the `organizations` claim has a member of the wrong type.
    #[error("organization {organization:?}: {problem}")]
    Organization {
        /// The organization id.
        organization: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl Error {
    /// Whether retrying the same request later may succeed: transport
    /// failures that are retryable, and `server_error`,
    /// `temporarily_unavailable`, `slow_down`, `authorization_pending`, a
    /// token-store lock that stayed held.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(e) => e.is_retryable(),
            Self::StoreLocked { .. } => true,
            Self::OAuth(e) => matches!(
                e.code,
                OAuthErrorCode::ServerError
                    | OAuthErrorCode::TemporarilyUnavailable
                    | OAuthErrorCode::SlowDown
                    | OAuthErrorCode::AuthorizationPending
            ),
            Self::UnexpectedStatus { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            Self::RefreshFailed { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// The OAuth error code, if the server sent one.
    pub fn oauth_code(&self) -> Option<&OAuthErrorCode> {
        match self {
            Self::OAuth(e) => Some(&e.code),
            Self::RefreshFailed { code, .. } => code.as_ref(),
            _ => None,
        }
    }
}
