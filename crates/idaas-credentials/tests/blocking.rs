//! The synchronous API: works from plain code, refuses inside a runtime.

use std::sync::Arc;

use idaas_core::config::{ClientConfig, MapEnv, SecretSource};
use idaas_credentials::FactoryOptions;
use idaas_credentials::blocking::BlockingCredentialProviderFactory;
use idaas_emulator::{Client, Emulator};

fn config(emulator: &Emulator) -> ClientConfig {
    ClientConfig::builder()
        .idaas_instance_id("i")
        .client_id("app")
        .issuer(emulator.base_url())
        .token_endpoint(emulator.token_endpoint())
        .scope("api|read")
        .client_secret_post(SecretSource::env("S"))
        .build()
        .unwrap()
}

fn options() -> FactoryOptions {
    FactoryOptions::default().with_env(Arc::new(MapEnv::new().with("S", "s")))
}

#[test]
fn blocking_calls_from_plain_code() {
    let server = tokio::runtime::Runtime::new().unwrap();
    let emulator = server
        .block_on(
            Emulator::builder()
                .client(Client::new("app").with_secret("s"))
                .start(),
        )
        .unwrap();
    let factory =
        BlockingCredentialProviderFactory::from_config(config(&emulator), options()).unwrap();
    let provider = factory.provider().unwrap();
    let first = provider.bearer_token().unwrap();
    let second = provider.bearer_token().unwrap();
    assert_eq!(first, second, "cached");
    assert_eq!(emulator.token_requests("app"), 1);
    provider.invalidate();
    assert_ne!(
        provider.bearer_token().unwrap(),
        first,
        "refetched after invalidate"
    );
    assert_eq!(emulator.token_requests("app"), 2);
}

#[tokio::test]
async fn inside_a_runtime_it_is_a_clear_error_not_a_panic() {
    let emulator = Emulator::builder()
        .client(Client::new("app").with_secret("s"))
        .start()
        .await
        .unwrap();
    let err =
        BlockingCredentialProviderFactory::from_config(config(&emulator), options()).unwrap_err();
    assert!(err.to_string().contains("inside an async runtime"), "{err}");
}
