//! [`Link`]: the connection to Redis, and what an outage does to it — one
//! WARN, callers skipping Redis, a background probe until it answers again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSub};
use redis::{Cmd, FromRedisValue, Pipeline};

use crate::counters::FleetCounters;
use crate::error::Error;
use idaas_core::config::redact_url as redacted;

use crate::options::FleetOptions;

/// Deletes the lock only if it still holds our fencing value.
pub(crate) const COMPARE_AND_DELETE: &str = r#"
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
"#;

/// One process's connection to the fleet's Redis.
pub(crate) struct Link {
    client: redis::Client,
    conn: ConnectionManager,
    options: FleetOptions,
    /// In an outage: callers skip Redis; the probe clears it.
    down: AtomicBool,
    pub counters: FleetCounters,
}

/// A Redis operation that did not happen (failed, refused or timed out);
/// already counted and logged.
#[derive(Debug)]
pub(crate) struct Unavailable;

impl Link {
    /// A lazily connecting link (no I/O here; needs a tokio runtime).
    pub fn new(options: FleetOptions, counters: FleetCounters) -> Result<Self, Error> {
        let bad = |e: redis::RedisError| Error::InvalidUrl {
            field: options.field().to_owned(),
            reason: format!("{}: {e}", redacted(options.url())),
        };
        let client = if options.is_tls() {
            let mut url = options.url().to_owned();
            if options.danger_accept_invalid_certs && !url.contains("#insecure") {
                url.push_str("#insecure");
            }
            redis::Client::build_with_tls(
                url.as_str(),
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: options.ca_pem.clone(),
                },
            )
            .map_err(bad)?
        } else {
            redis::Client::open(options.url()).map_err(bad)?
        };
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.connect_timeout))
            .set_response_timeout(Some(options.connect_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config).map_err(bad)?;
        Ok(Self {
            client,
            conn,
            options,
            down: AtomicBool::new(false),
            counters,
        })
    }

    pub fn options(&self) -> &FleetOptions {
        &self.options
    }

    /// Whether callers should try Redis at all (not in an outage).
    pub fn usable(&self) -> bool {
        !self.down.load(Ordering::Acquire)
    }

    /// Runs `cmd` within `limit`.
    pub async fn query<T: FromRedisValue>(
        self: &Arc<Self>,
        what: &'static str,
        cmd: &Cmd,
        limit: Duration,
    ) -> Result<T, Unavailable> {
        let mut conn = self.conn.clone();
        let outcome = tokio::time::timeout(limit, cmd.query_async::<T>(&mut conn)).await;
        self.settle(what, limit, outcome)
    }

    /// Runs a pipeline (one round trip) within `limit`.
    pub async fn pipeline<T: FromRedisValue>(
        self: &Arc<Self>,
        what: &'static str,
        pipe: &Pipeline,
        limit: Duration,
    ) -> Result<T, Unavailable> {
        let mut conn = self.conn.clone();
        let outcome = tokio::time::timeout(limit, pipe.query_async::<T>(&mut conn)).await;
        self.settle(what, limit, outcome)
    }

    /// A subscription to `channel` on its own connection.
    pub async fn subscribe(self: &Arc<Self>, channel: &str) -> Result<PubSub, Unavailable> {
        let limit = self.options.get_timeout.max(Duration::from_millis(200));
        let outcome = tokio::time::timeout(limit, async {
            let mut sub = self.client.get_async_pubsub().await?;
            sub.subscribe(channel).await?;
            Ok(sub)
        })
        .await;
        self.settle("subscribe", limit, outcome)
    }

    fn settle<T>(
        self: &Arc<Self>,
        what: &'static str,
        limit: Duration,
        outcome: Result<redis::RedisResult<T>, tokio::time::error::Elapsed>,
    ) -> Result<T, Unavailable> {
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                self.failed(what, &e.to_string());
                Err(Unavailable)
            }
            Err(_) => {
                self.failed(what, &format!("no answer within {limit:?}"));
                Err(Unavailable)
            }
        }
    }

    /// One failure: counted; the first of an outage is logged and starts
    /// the background probe.
    fn failed(self: &Arc<Self>, what: &'static str, why: &str) {
        self.counters.l2_error();
        if self.down.swap(true, Ordering::AcqRel) {
            return;
        }
        tracing::warn!(
            redis = %redacted(self.options.url()),
            operation = what,
            error = why,
            "the fleet token cache (Redis) is unavailable: tokens are fetched by this process alone until it answers again"
        );
        let link = self.clone();
        tokio::spawn(async move { link.probe().await });
    }

    /// Until Redis answers a PING: then callers use it again.
    async fn probe(self: Arc<Self>) {
        loop {
            tokio::time::sleep(self.options.probe_interval).await;
            let mut conn = self.conn.clone();
            let ping = tokio::time::timeout(
                self.options.connect_timeout,
                redis::cmd("PING").query_async::<String>(&mut conn),
            )
            .await;
            if matches!(ping, Ok(Ok(_))) {
                self.down.store(false, Ordering::Release);
                tracing::info!(
                    redis = %redacted(self.options.url()),
                    "the fleet token cache (Redis) answers again: tokens are shared"
                );
                return;
            }
        }
    }
}

/// Waits for the next message on `sub`, at most `limit`; `false` if the
/// subscription ended (then the caller only polls).
pub(crate) async fn next_message(sub: &mut PubSub, limit: Duration) -> bool {
    match tokio::time::timeout(limit, sub.on_message().next()).await {
        Ok(Some(_)) | Err(_) => true,
        Ok(None) => false,
    }
}
