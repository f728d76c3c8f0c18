//! Fixtures shared by the idaas crates' integration tests: a dev-only crate
//! (`publish = false`, in no library's normal dependencies), so setup that
//! several crates' tests need is written once (rustls' `rustls-test` is the
//! model).
//!
//! - [`factory`]: the credential factory of a configuration whose client
//!   secret is read from [`SECRET_VAR`], set to [`SECRET`];
//! - [`thousand_callers`]: 1,000 concurrent `bearer_token()` calls on one
//!   provider, and what each got.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::sync::Arc;

use idaas_core::clock::SharedClock;
use idaas_core::config::{ClientConfig, MapEnv};
use idaas_credentials::{CredentialProviderFactory, FactoryOptions, IdaasCredentialProvider};

/// The environment variable a fixture configuration names for its secret.
pub const SECRET_VAR: &str = "S";
/// The secret [`factory`] puts in [`SECRET_VAR`].
pub const SECRET: &str = "s";

/// The factory of `config` (which reads its secret from [`SECRET_VAR`]), on
/// `clock` (the system clock when `None`). Panics when the factory cannot
/// start: the first token is fetched here.
pub async fn factory(
    config: ClientConfig,
    clock: Option<SharedClock>,
) -> CredentialProviderFactory {
    let mut options =
        FactoryOptions::default().with_env(Arc::new(MapEnv::new().with(SECRET_VAR, SECRET)));
    if let Some(clock) = clock {
        options.clock = clock;
    }
    CredentialProviderFactory::from_config(config, options)
        .await
        .expect("the fixture's factory starts")
}

/// 1,000 callers of `provider.bearer_token()` at once: [`callers`].
pub async fn thousand_callers(provider: &IdaasCredentialProvider) -> Vec<Result<String, String>> {
    callers(provider, 1000).await
}

/// `n` callers of `provider.bearer_token()` at once (each its own task);
/// what each got: the token's text, or the error's.
pub async fn callers(provider: &IdaasCredentialProvider, n: usize) -> Vec<Result<String, String>> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let provider = provider.clone();
            tokio::spawn(async move {
                provider
                    .bearer_token()
                    .await
                    .map(|t| t.expose_secret().to_owned())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.expect("a caller task does not panic"));
    }
    outcomes
}
