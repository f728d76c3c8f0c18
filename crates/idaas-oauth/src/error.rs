//! The protocol layer's error.

use idaas_core::TransportError;
pub use idaas_core::error::{OAuthError, OAuthErrorCode};

use crate::jose::KeyError;

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
    /// The client is not set up for this operation.
    #[error("{0}")]
    Misconfigured(String),
}

impl Error {
    /// The OAuth error code, if the server sent one.
    pub fn oauth_code(&self) -> Option<&OAuthErrorCode> {
        match self {
            Self::OAuth(e) => Some(&e.code),
            _ => None,
        }
    }
}
