//! Token exchange (RFC 8693), then a static provider holding the exchanged
//! token, which the PAM client uses to fetch an API key:
//! `cargo run -p idaas --example token_exchange`.

use std::sync::Arc;

use idaas::SharedCredentialProvider;
use idaas::prelude::*;
use idaas::token::ACCESS_TOKEN_TYPE;
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
        .client_secret_post(SecretSource::Value("example-secret".into()))
        .build()?;
    let factory = CredentialProviderFactory::from_config(config, FactoryOptions::default()).await?;
    let subject = factory.provider().await?.bearer_token().await?.to_secret();
    let exchange = factory
        .token_exchange_provider_for_scope("urn:cloud:idaas:pam|.all")
        .await?;
    let issued = exchange
        .credential(&subject, ACCESS_TOKEN_TYPE, None)
        .await?;
    println!(
        "issued a {}",
        issued.issued_token_type.as_deref().unwrap_or("token")
    );
    let for_pam: SharedCredentialProvider = Arc::new(StaticCredentialProvider::new(issued));

    // the PAM client takes the exchanged token as its bearer token
    emulator.register_api_key("openai-prod", "sk-example-123");
    let pam = idaas::pam::PamClient::builder()
        .developer_api_endpoint(emulator.base_url())
        .idaas_instance_id("idaas_example")
        .credential_provider(for_pam)
        .build()?;
    let api_key = pam
        .api_key("openai-prod")
        .await?
        .ok_or("the credential has no API key")?;
    println!(
        "PAM API key of openai-prod: {} characters (a secret: never printed by Debug)",
        api_key.expose_secret().len()
    );
    assert_eq!(api_key.expose_secret(), "sk-example-123");
    emulator.stop().await;
    Ok(())
}
