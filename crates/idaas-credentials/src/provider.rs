//! The provider interface and the static provider.

use std::sync::Arc;

use async_trait::async_trait;
use idaas_core::token::Credential;

use crate::error::Error;
use crate::token::{BearerToken, TokenFuture};

/// Hands out the current credential of a workload.
///
/// Implement [`credential`](Self::credential) (an `async fn` under
/// `#[async_trait]`); a provider with a cache also implements
/// [`cached_token`](Self::cached_token), its synchronous hit path, which
/// [`bearer_token`](Self::bearer_token) tries first.
#[async_trait]
pub trait CredentialProvider: Send + Sync + std::fmt::Debug {
    /// The current credential (refreshed as needed).
    async fn credential(&self) -> Result<Arc<Credential>, Error>;

    /// The current token if it can be handed out now, without waiting or
    /// allocating (a cache hit); `None` means "call
    /// [`bearer_token`](Self::bearer_token)". The default has no cache.
    fn cached_token(&self) -> Option<BearerToken> {
        None
    }

    /// The access token of the current credential: on a hit the future is
    /// ready at once and allocates nothing (see [`TokenFuture`]).
    fn bearer_token(&self) -> TokenFuture<'_> {
        match self.cached_token() {
            Some(token) => TokenFuture::ready(token),
            None => {
                TokenFuture::pending(
                    async move { Ok(BearerToken::shared(self.credential().await?)) },
                )
            }
        }
    }

    /// Forgets the cached credential (e.g. after a 401 from a resource
    /// server); the next call fetches a new one, once.
    fn invalidate(&self) {}

    /// The DPoP key the provider's tokens are bound to (`dpop` in the
    /// configuration), for the proofs of resource calls
    /// ([`resource_authorization`](crate::resource_authorization)). The
    /// default has none.
    fn dpop(&self) -> Option<&crate::DpopBinding> {
        None
    }
}

/// A shared provider.
pub type SharedCredentialProvider = Arc<dyn CredentialProvider>;

/// A provider of one fixed credential: no refresh, no expiry check (the
/// reference SDK's static provider, e.g. for a token from a token exchange).
#[derive(Debug, Clone)]
pub struct StaticCredentialProvider {
    credential: Arc<Credential>,
}

impl StaticCredentialProvider {
    /// Wraps `credential`.
    pub fn new(credential: Credential) -> Self {
        Self {
            credential: Arc::new(credential),
        }
    }
}

#[async_trait]
impl CredentialProvider for StaticCredentialProvider {
    async fn credential(&self) -> Result<Arc<Credential>, Error> {
        Ok(self.credential.clone())
    }

    fn cached_token(&self) -> Option<BearerToken> {
        Some(BearerToken::shared(self.credential.clone()))
    }
}
