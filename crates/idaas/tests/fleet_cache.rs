//! `tokenCache.redis` end to end: the configuration file's section (or
//! `IDAAS_TOKEN_CACHE_URL`) makes factories of one client share one token
//! request through a real `redis-server`.
#![cfg(feature = "redis")]

use std::sync::Arc;

use idaas::cache_redis::server::RedisServer;
use idaas::config::{ClientConfig, MapEnv};
use idaas::prelude::*;
use idaas_emulator::{Client, Emulator};

fn config_json(emulator: &Emulator, redis: Option<&str>) -> String {
    let cache = redis
        .map(|url| {
            format!(
                r#","tokenCache":{{"redis":{{"url":"{url}","keyEnvVarName":"FLEET_KEY","countInProcessHits":true}}}}"#
            )
        })
        .unwrap_or_default();
    format!(
        r#"{{"idaasInstanceId":"i","clientId":"app","issuer":"{}","tokenEndpoint":"{}","scope":"api|read",
            "authnConfiguration":{{"authnMethod":"CLIENT_SECRET_POST","clientSecretEnvVarName":"S"}}{cache}}}"#,
        emulator.base_url(),
        emulator.token_endpoint()
    )
}

async fn pods(config: &ClientConfig, env: MapEnv, n: usize) -> Vec<CredentialProviderFactory> {
    let env = Arc::new(env);
    let mut out = Vec::new();
    for _ in 0..n {
        let options = FactoryOptions::default().with_env(env.clone());
        out.push(
            CredentialProviderFactory::from_config(config.clone(), options)
                .await
                .unwrap(),
        );
    }
    out
}

async fn emulator() -> Emulator {
    Emulator::builder()
        .client(Client::new("app").with_secret("s"))
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_file_section_shares_one_request() {
    let redis = RedisServer::start().unwrap();
    let emulator = emulator().await;
    let config = ClientConfig::from_json_str(&config_json(&emulator, Some(&redis.url()))).unwrap();
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // 32 bytes
    let env = MapEnv::new().with("S", "s").with("FLEET_KEY", key);
    let pods = pods(&config, env, 3).await;
    let mut tokens = Vec::new();
    for pod in &pods {
        let provider = pod.provider().await.unwrap();
        tokens.push(provider.bearer_token().await.unwrap());
        tokens.push(provider.bearer_token().await.unwrap());
    }
    assert!(tokens.windows(2).all(|w| w[0] == w[1]), "one token for all");
    assert_eq!(emulator.token_requests("app"), 1);
    let counters: Vec<_> = futures_counters(&pods).await;
    assert_eq!(counters.iter().map(|c| c.idp_requests).sum::<u64>(), 1);
    assert_eq!(counters.iter().map(|c| c.l2_hits).sum::<u64>(), 2);
    // counted when asked for (`countInProcessHits`)
    assert!(
        counters.iter().all(|c| c.l1_hits >= Some(1)),
        "{counters:?}"
    );
}

async fn futures_counters(
    pods: &[CredentialProviderFactory],
) -> Vec<idaas::cache_redis::CounterSnapshot> {
    let mut out = Vec::new();
    for pod in pods {
        out.push(pod.provider().await.unwrap().fleet_counters().unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_url_enables_it_with_a_key_from_the_client_secret() {
    let redis = RedisServer::start().unwrap();
    let emulator = emulator().await;
    let config = ClientConfig::from_json_str(&config_json(&emulator, None)).unwrap();
    let env = MapEnv::new()
        .with("S", "s")
        .with("IDAAS_TOKEN_CACHE_URL", redis.url());
    let pods = pods(&config, env, 2).await;
    assert_eq!(emulator.token_requests("app"), 1);
    let shared = pods[1].provider().await.unwrap().fleet_counters().unwrap();
    assert_eq!((shared.l2_hits, shared.idp_requests), (1, 0));
    // in-process hits are not counted unless asked for
    let provider = pods[1].provider().await.unwrap();
    provider.bearer_token().await.unwrap();
    assert_eq!(provider.fleet_counters().unwrap().l1_hits, None);
}

#[tokio::test]
async fn a_bad_key_or_url_is_a_configuration_error_naming_the_field() {
    let emulator = emulator().await;
    let config =
        ClientConfig::from_json_str(&config_json(&emulator, Some("redis://127.0.0.1:1"))).unwrap();
    let env = Arc::new(MapEnv::new().with("S", "s").with("FLEET_KEY", "c2hvcnQ="));
    let e = CredentialProviderFactory::from_config(config, FactoryOptions::default().with_env(env))
        .await
        .unwrap_err();
    assert!(e.is_config());
    assert!(
        e.to_string().contains("tokenCache.redis.keyEnvVarName"),
        "{e}"
    );
    let config = ClientConfig::from_json_str(&config_json(&emulator, None)).unwrap();
    let env = Arc::new(
        MapEnv::new()
            .with("S", "s")
            .with("IDAAS_TOKEN_CACHE_URL", "http://x"),
    );
    let e = CredentialProviderFactory::from_config(config, FactoryOptions::default().with_env(env))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("IDAAS_TOKEN_CACHE_URL"), "{e}");
}
