//! The PAM client's error.

use idaas_core::TransportError;

/// Why a PAM call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument the API would reject; no request was sent.
    #[error("{0}")]
    InvalidArgument(String),
    /// The developer API answered with an error.
    #[error(
        "PAM API {operation} failed: HTTP {status}, {code}: {message} (request id {request_id})"
    )]
    Api {
        /// The operation's phrase, e.g. `obtain credential`.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// `error` of the body (`unknown` if absent).
        code: String,
        /// `error_description`.
        message: String,
        /// `request_id`.
        request_id: String,
    },
    /// A success response without the fields the operation returns.
    #[error("PAM API {operation}: unexpected response ({reason})")]
    InvalidResponse {
        /// The operation.
        operation: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The OAuth authorization did not end with a token, or the flow asked
    /// for does not match the credential provider. `code` is one of
    /// `authorization_flow_mismatch`, `polling_timeout`,
    /// `authorization_session_expired`, `authorization_failed`, or the code
    /// the server gave a failed session.
    #[error("OAuth authorization: {code}: {message}")]
    Authorization {
        /// What went wrong, machine-readable.
        code: String,
        /// What went wrong and what to do.
        message: String,
    },
    /// The caller's authorization-URL callback failed; polling did not start.
    #[error("the authorization URL callback failed")]
    Callback(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The request did not complete.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The bearer token could not be obtained (the credential error is the
    /// [`source`](std::error::Error::source)).
    #[error("no bearer token for the PAM API")]
    Credential(#[from] idaas_credentials::Error),
}

impl Error {
    pub(crate) fn authorization(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Authorization {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The machine-readable code of an API or authorization error.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } | Self::Authorization { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}
