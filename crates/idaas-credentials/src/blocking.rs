//! The synchronous API, for callers without an async runtime: each factory
//! owns a small runtime (one worker thread) that runs its requests and its
//! background refreshes.

use std::path::Path;
use std::sync::Arc;

use idaas_core::config::ClientConfig;
use idaas_core::token::Credential;
use tokio::runtime::Runtime;

use crate::error::Error;
use crate::factory::{CredentialProviderFactory, FactoryOptions};
use crate::machine::IdaasCredentialProvider;
use crate::token::BearerToken;

fn outside_async() -> Result<(), Error> {
    idaas_core::blocking::outside_runtime().map_err(|_| {
        Error::InvalidArgument(
            "the blocking API was called inside an async runtime, where it would block a worker; \
             use the async API there (or call it from tokio::task::spawn_blocking)"
                .into(),
        )
    })
}

fn runtime() -> Result<Arc<Runtime>, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("idaas-blocking")
        .enable_all()
        .build()
        .map(Arc::new)
        .map_err(|e| Error::source("the blocking runtime", format!("cannot start: {e}")))
}

/// [`CredentialProviderFactory`] for synchronous code.
#[derive(Debug, Clone)]
pub struct BlockingCredentialProviderFactory {
    runtime: Arc<Runtime>,
    factory: CredentialProviderFactory,
}

/// A provider for synchronous code.
#[derive(Debug, Clone)]
pub struct BlockingCredentialProvider {
    runtime: Arc<Runtime>,
    provider: IdaasCredentialProvider,
}

impl BlockingCredentialProviderFactory {
    /// [`CredentialProviderFactory::init`], blocking.
    pub fn init() -> Result<Self, Error> {
        Self::from_config(ClientConfig::load(None)?, FactoryOptions::default())
    }

    /// [`CredentialProviderFactory::init_with`], blocking.
    pub fn init_with(path: &Path) -> Result<Self, Error> {
        Self::from_config(ClientConfig::load(Some(path))?, FactoryOptions::default())
    }

    /// [`CredentialProviderFactory::from_config`], blocking.
    pub fn from_config(config: ClientConfig, options: FactoryOptions) -> Result<Self, Error> {
        outside_async()?;
        let runtime = runtime()?;
        let factory = runtime.block_on(CredentialProviderFactory::from_config(config, options))?;
        Ok(Self { runtime, factory })
    }

    /// The provider of the configured scope.
    pub fn provider(&self) -> Result<BlockingCredentialProvider, Error> {
        outside_async()?;
        let provider = self.runtime.block_on(self.factory.provider())?;
        Ok(BlockingCredentialProvider {
            runtime: self.runtime.clone(),
            provider,
        })
    }

    /// The provider of `scope`.
    pub fn provider_for_scope(&self, scope: &str) -> Result<BlockingCredentialProvider, Error> {
        outside_async()?;
        let provider = self
            .runtime
            .block_on(self.factory.provider_for_scope(scope))?;
        Ok(BlockingCredentialProvider {
            runtime: self.runtime.clone(),
            provider,
        })
    }

    /// The async factory underneath.
    pub fn as_async(&self) -> &CredentialProviderFactory {
        &self.factory
    }
}

impl BlockingCredentialProvider {
    /// The current credential.
    pub fn credential(&self) -> Result<Arc<Credential>, Error> {
        outside_async()?;
        self.runtime.block_on(self.provider.credential())
    }

    /// The current access token. A cache hit is answered on the calling
    /// thread, without entering the runtime; only a refresh blocks on it.
    #[inline]
    pub fn bearer_token(&self) -> Result<BearerToken, Error> {
        outside_async()?;
        match self.provider.cached_token() {
            Some(token) => Ok(token),
            None => self.runtime.block_on(self.provider.bearer_token()),
        }
    }

    /// Forgets the cached credential.
    pub fn invalidate(&self) {
        self.provider.invalidate();
    }

    /// The async provider underneath (its times: `expires_at`, `refresh_at`…).
    pub fn as_async(&self) -> &IdaasCredentialProvider {
        &self.provider
    }
}
