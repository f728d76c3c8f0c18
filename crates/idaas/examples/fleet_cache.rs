//! A fleet sharing one token through Redis: run it against a local
//! `redis-server` (default `redis://127.0.0.1:6379`, or `IDAAS_TOKEN_CACHE_URL`).
//!
//! ```text
//! redis-server --port 6379 --save '' &
//! cargo run -p idaas --example fleet_cache
//! ```
//!
//! It starts the embedded emulator as the IdP, then four "processes" (four
//! factories, each with its own in-process cache and Redis connection, as
//! four pods would have) that all ask for a token: the emulator sees one
//! request, and each factory's counters say who asked and who shared.

use idaas::config::{MapEnv, RedisCacheConfig};
use idaas::prelude::*;
use idaas_emulator::{Client, Emulator};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url =
        std::env::var("IDAAS_TOKEN_CACHE_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let emulator = Emulator::builder()
        .client(Client::new("app_fleet").with_secret("fleet-secret"))
        .start()
        .await?;
    let config = ClientConfig::builder()
        .idaas_instance_id("idaas_example")
        .client_id("app_fleet")
        .issuer(emulator.base_url())
        .token_endpoint(emulator.token_endpoint())
        .scope("api.example.com|read:file")
        .client_secret_post(SecretSource::env("FLEET_SECRET"))
        // the sealing key is derived from the client secret (no IDAAS_TOKEN_CACHE_KEY set)
        .token_cache_redis(RedisCacheConfig::new("url", &url)?)
        .build()?;
    let env = Arc::new(MapEnv::new().with("FLEET_SECRET", "fleet-secret"));
    let mut pods = Vec::new();
    for _ in 0..4 {
        let options = FactoryOptions::default().with_env(env.clone());
        pods.push(CredentialProviderFactory::from_config(config.clone(), options).await?);
    }
    for (i, pod) in pods.iter().enumerate() {
        let provider = pod.provider().await?;
        provider.bearer_token().await?;
        println!("pod {i}: {:?}", provider.fleet_counters());
    }
    println!(
        "token requests the IdP saw: {} (without Redis: 4)",
        emulator.token_requests("app_fleet")
    );
    Ok(())
}
