//! The provider interface and the static provider.

use std::sync::Arc;

use async_trait::async_trait;
use idaas_core::SecretString;
use idaas_core::token::Credential;

use crate::error::Error;

/// Hands out the current credential of a workload.
#[async_trait]
pub trait CredentialProvider: Send + Sync + std::fmt::Debug {
    /// The current credential (refreshed as needed).
    async fn credential(&self) -> Result<Arc<Credential>, Error>;

    /// The access token of the current credential.
    async fn bearer_token(&self) -> Result<SecretString, Error> {
        Ok(self.credential().await?.access_token.clone())
    }

    /// Forgets the cached credential (e.g. after a 401 from a resource
    /// server); the next call fetches a new one, once.
    fn invalidate(&self) {}
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
}
