//! What the fleet tests share: a fleet member (an in-process cache whose
//! supplier is the fleet tier, asking the emulator), the emulator's client,
//! and reading Redis directly.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use idaas_cache::{CacheOptions, CachedSupplier, Refreshed, SupplierError, Timing};
use idaas_cache_redis::{CacheKey, EntryId, FleetCache, FleetCounters, FleetOptions, FleetTier};
use idaas_core::clock;
use idaas_core::http::{HttpOptions, HyperClient};
use idaas_core::token::Credential;
use idaas_emulator::{Client, Emulator};
use idaas_oauth::{ClientAuth, ClientCredentials, OAuthClient};

pub(crate) const CLIENT_ID: &str = "fleet-app-7f3a";
pub(crate) const SECRET: &str = "fleet-secret-value";
pub(crate) const SCOPE: &str = "api.fleet.example|read:fleet-scope";

pub(crate) async fn emulator(lifetime: Duration) -> Emulator {
    Emulator::builder()
        .client(Client::new(CLIENT_ID).with_secret(SECRET))
        .token_lifetime(lifetime)
        .start()
        .await
        .expect("emulator starts")
}

pub(crate) fn entry_id(token_endpoint: &str) -> EntryId {
    EntryId {
        token_endpoint: token_endpoint.to_owned(),
        client_id: CLIENT_ID.to_owned(),
        scope: SCOPE.to_owned(),
        audience: String::new(),
    }
}

/// How a member is set up.
#[derive(Clone)]
pub(crate) struct Setup {
    pub redis_url: String,
    pub token_endpoint: String,
    pub key: [u8; 32],
    pub lease: Duration,
    /// Added before each IdP request (a slow IdP; the killed-holder test).
    pub idp_delay: Duration,
}

/// One process's two tiers.
#[derive(Clone)]
pub(crate) struct Member {
    pub l1: CachedSupplier<Arc<Credential>>,
    pub fleet: FleetCache,
    pub tier: FleetTier,
}

impl Member {
    pub(crate) fn new(setup: &Setup) -> Self {
        let options = FleetOptions::new("test", &setup.redis_url)
            .unwrap()
            .with_lease(setup.lease)
            .with_probe_interval(Duration::from_millis(200))
            .with_l1_hit_counting(true);
        let fleet =
            FleetCache::new(options, CacheKey::from_bytes(&setup.key), clock::system()).unwrap();
        let tier = fleet.tier(&entry_id(&setup.token_endpoint));
        let http = Arc::new(HyperClient::new(HttpOptions::default()).unwrap());
        let idp = OAuthClient::new(
            http,
            CLIENT_ID,
            setup.token_endpoint.clone(),
            ClientAuth::SecretPost {
                secret: SECRET.into(),
            },
        );
        let (t, delay) = (tier.clone(), setup.idp_delay);
        let options = CacheOptions::default().with_blocking_wait(Duration::from_secs(10));
        let l1 = CachedSupplier::new(options, clock::system(), move || {
            let (tier, idp) = (t.clone(), idp.clone());
            async move {
                let credential = tier
                    .fetch(|| async move {
                        if !delay.is_zero() {
                            tokio::time::sleep(delay).await;
                        }
                        idp.client_credentials(&ClientCredentials::scope(SCOPE))
                            .await
                            .map(|r| r.credential)
                    })
                    .await
                    .map_err(SupplierError::new)?;
                let now = clock::system().now();
                let expires_at = Duration::from_secs(credential.expires_at.expect("expiry"));
                let timing =
                    Timing::for_token(now, expires_at, Duration::from_secs(credential.expires_in));
                Ok(Refreshed {
                    value: Arc::new(credential),
                    timing,
                })
            }
        });
        Self { l1, fleet, tier }
    }

    pub(crate) fn counters(&self) -> &FleetCounters {
        self.fleet.counters()
    }

    /// What a provider does: the L1 hit, else the L1's refresh (which
    /// consults the fleet tier).
    pub(crate) async fn token(&self) -> Result<String, idaas_cache::CacheError> {
        if let Some(hit) = self.l1.try_hit() {
            self.counters().l1_hit();
            return Ok(hit.access_token.expose_secret().to_owned());
        }
        Ok(self.l1.get().await?.access_token.expose_secret().to_owned())
    }
}

/// Every key and value in Redis.
pub(crate) async fn dump(url: &str) -> Vec<(String, Vec<u8>)> {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut keys: Vec<String> = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .query_async(&mut conn)
            .await
            .unwrap();
        keys.extend(batch);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    let mut out = Vec::new();
    for key in keys {
        let value: Option<Vec<u8>> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap_or(None);
        out.push((key, value.unwrap_or_default()));
    }
    out
}

/// Asserts no key or value holds any of `clear` (as bytes).
pub(crate) fn assert_nothing_in_clear(dump: &[(String, Vec<u8>)], clear: &[&str]) {
    assert!(!dump.is_empty(), "the fleet wrote nothing to Redis");
    for (key, value) in dump {
        for c in clear {
            assert!(!key.contains(c), "key {key} reveals {c:?}");
            assert!(
                !value.windows(c.len()).any(|w| w == c.as_bytes()),
                "the value of {key} holds {c:?} in clear"
            );
        }
    }
}

/// `tasks` callers on every member, started together, until `run` is over:
/// the errors and the tokens they saw.
pub(crate) async fn drive(
    members: &[Member],
    tasks: usize,
    run: Duration,
) -> (u64, BTreeSet<String>) {
    let end = Instant::now() + run;
    let mut handles = Vec::new();
    for m in members {
        for _ in 0..tasks {
            let m = m.clone();
            handles.push(tokio::spawn(async move {
                let (mut errors, mut seen) = (0u64, BTreeSet::new());
                loop {
                    match m.token().await {
                        Ok(t) => {
                            seen.insert(t);
                        }
                        Err(e) => {
                            eprintln!("caller error: {e}");
                            errors += 1;
                        }
                    }
                    if Instant::now() >= end {
                        return (errors, seen);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }));
        }
    }
    let (mut errors, mut seen) = (0, BTreeSet::new());
    for h in handles {
        let (e, s) = h.await.unwrap();
        errors += e;
        seen.extend(s);
    }
    (errors, seen)
}
