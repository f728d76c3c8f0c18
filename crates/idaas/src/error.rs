//! [`Error`]: any error of the layers this build of the facade has, so one
//! `?` takes the error of every facade call. Each variant is the layer's own
//! error, unchanged; the text and the causes are the layer's (a variant adds
//! no text of its own), and [`Error::chain`] prints them all, each once.

use std::fmt;

pub use idaas_core::error::Chain;

/// Any error of the idaas layers compiled into this facade.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Configuration, transport, or an OAuth error response (`idaas-core`).
    Core(idaas_core::Error),
    /// The token cache.
    #[cfg(feature = "cache")]
    Cache(idaas_cache::CacheError),
    /// The OAuth 2.0 / OpenID Connect layer.
    #[cfg(feature = "oauth")]
    OAuth(idaas_oauth::Error),
    /// The credential providers and their factory.
    #[cfg(feature = "credentials")]
    Credentials(idaas_credentials::Error),
    /// The PAM developer API client.
    #[cfg(feature = "pam")]
    Pam(idaas_pam::Error),
    /// The resource-server side.
    #[cfg(feature = "guard")]
    Guard(idaas_guard::Error),
    /// The fleet-shared cache's setup.
    #[cfg(feature = "redis")]
    CacheRedis(idaas_cache_redis::Error),
}

/// A result with the facade's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The layer's error this one holds.
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        match self {
            Self::Core(e) => e,
            #[cfg(feature = "cache")]
            Self::Cache(e) => e,
            #[cfg(feature = "oauth")]
            Self::OAuth(e) => e,
            #[cfg(feature = "credentials")]
            Self::Credentials(e) => e,
            #[cfg(feature = "pam")]
            Self::Pam(e) => e,
            #[cfg(feature = "guard")]
            Self::Guard(e) => e,
            #[cfg(feature = "redis")]
            Self::CacheRedis(e) => e,
        }
    }

    /// The error and every cause under it, `outer: cause: root`, each once.
    pub fn chain(&self) -> Chain<'_> {
        Chain(self)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.inner(), f)
    }
}

/// Transparent: the causes are the layer's error's own.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner().source()
    }
}

macro_rules! from_layer {
    ($($(#[$cfg:meta])* $variant:ident($error:ty) $(via $through:ty)?;)*) => {$(
        $(#[$cfg])*
        impl From<$error> for Error {
            fn from(e: $error) -> Self {
                Self::$variant($(<$through>::from)?(e))
            }
        }
    )*};
}

from_layer! {
    Core(idaas_core::Error);
    Core(idaas_core::config::ConfigError) via idaas_core::Error;
    Core(idaas_core::TransportError) via idaas_core::Error;
    Core(idaas_core::OAuthError) via idaas_core::Error;
    #[cfg(feature = "cache")] Cache(idaas_cache::CacheError);
    #[cfg(feature = "oauth")] OAuth(idaas_oauth::Error);
    #[cfg(feature = "credentials")] Credentials(idaas_credentials::Error);
    #[cfg(feature = "pam")] Pam(idaas_pam::Error);
    #[cfg(feature = "guard")] Guard(idaas_guard::Error);
    #[cfg(feature = "redis")] CacheRedis(idaas_cache_redis::Error);
}
