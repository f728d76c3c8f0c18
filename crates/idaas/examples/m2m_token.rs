//! An M2M token by client secret, then from the cache, against the embedded
//! emulator: `cargo run -p idaas --example m2m_token`.
//!
//! With a real IDaaS tenant, drop the emulator and use
//! `CredentialProviderFactory::init()` with your `client-config.json`.

use idaas::prelude::*;
use idaas_emulator::{Client, Emulator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder()
        .client(Client::new("example-app").with_secret("example-secret"))
        .start()
        .await?;
    let config = ClientConfig::builder()
        .idaas_instance_id("idaas_example")
        .client_id("example-app")
        .issuer(emulator.base_url())
        .token_endpoint(emulator.token_endpoint())
        .scope("api.example.com|read:file")
        .client_secret_basic(SecretSource::Value("example-secret".into()))
        .build()?;
    let factory = CredentialProviderFactory::from_config(config, FactoryOptions::default()).await?;
    let provider = factory.provider().await?;
    let credential = provider.credential().await?;
    println!(
        "token type {}, expires in {} s",
        credential.token_type, credential.expires_in
    );
    let again = provider.bearer_token().await?;
    assert_eq!(&again, &credential.access_token);
    println!(
        "second call served from the cache; token requests: {}",
        emulator.token_requests("example-app")
    );
    emulator.stop().await;
    Ok(())
}
