//! The credential layer's error.

use idaas_cache::CacheError;
use idaas_core::config::ConfigError;

/// Why a credential could not be obtained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid or names something unusable (an unset
    /// env var, a key that does not parse).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The token request failed (transport, OAuth error, bad response).
    #[error(transparent)]
    OAuth(#[from] idaas_oauth::Error),
    /// A source of client evidence failed: the OIDC token file, a cloud
    /// metadata service, a plugin. Names the source.
    #[error("{source_name}: {reason}")]
    Source {
        /// What was read (a file path, a metadata URL, a plugin name).
        source_name: String,
        /// What went wrong and what to do.
        reason: String,
    },
    /// The method or combination is not supported.
    #[error("{0}")]
    Unsupported(String),
    /// The cached refresh failed. Transparent, as the cache error is: the
    /// text and causes are the refresh's own error's (the supplier's).
    #[error(transparent)]
    Refresh(#[from] CacheError),
    /// A subject token or other argument is blank or invalid.
    #[error("{0}")]
    InvalidArgument(String),
}

impl Error {
    /// The authorization server's OAuth error behind this one, if any (also
    /// through a failed cache refresh): the server refused the credentials.
    pub fn oauth_error(&self) -> Option<&idaas_core::OAuthError> {
        match self {
            Self::OAuth(idaas_oauth::Error::OAuth(e)) => Some(e),
            Self::Refresh(cache) => cache
                .supplier_error()?
                .downcast_ref::<Error>()?
                .oauth_error(),
            _ => None,
        }
    }

    /// Whether this is a configuration or usage problem (fix the config or
    /// the call, not the network).
    pub fn is_config(&self) -> bool {
        match self {
            Self::Config(_) | Self::InvalidArgument(_) | Self::Unsupported(_) => true,
            Self::Refresh(cache) => cache
                .supplier_error()
                .and_then(|e| e.downcast_ref::<Error>())
                .is_some_and(Error::is_config),
            _ => false,
        }
    }

    pub(crate) fn source(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Source {
            source_name: name.into(),
            reason: reason.into(),
        }
    }
}
