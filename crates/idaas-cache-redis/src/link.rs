//! [`Link`]: the connection to Redis — one server, the primary that
//! Sentinels name, or a Redis Cluster — and what an outage does to it: one
//! WARN, callers skipping Redis, a background probe until it answers again
//! (after a Sentinel failover, the probe finds the new primary).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use idaas_core::config::RedisUrl;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig, PubSub};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{Cmd, ConnectionAddr, FromRedisValue, Pipeline, RedisFuture, TlsMode, Value};

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
    backend: Backend,
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
    pub(crate) fn new(options: FleetOptions, counters: FleetCounters) -> Result<Self, Error> {
        let bad = |e: redis::RedisError| Error::InvalidUrl {
            field: options.field().to_owned(),
            reason: format!("{}: {e}", redacted(options.url())),
        };
        let certificates = || redis::TlsCertificates {
            client_tls: None,
            root_cert: options.ca_pem.clone(),
        };
        let tls_mode = if options.danger_accept_invalid_certs {
            TlsMode::Insecure
        } else {
            TlsMode::Secure
        };
        let parsed = RedisUrl::parse(options.field(), options.url())?;
        let backend = match parsed {
            RedisUrl::Server(url) => {
                let client = if options.is_tls() {
                    let mut url = url;
                    if options.danger_accept_invalid_certs && !url.contains("#insecure") {
                        url.push_str("#insecure");
                    }
                    redis::Client::build_with_tls(url.as_str(), certificates()).map_err(bad)?
                } else {
                    redis::Client::open(url.as_str()).map_err(bad)?
                };
                let conn = manager(&client, &options).map_err(bad)?;
                Backend::Server { client, conn }
            }
            RedisUrl::Sentinel {
                tls,
                sentinels,
                service,
                db,
                credentials,
            } => {
                let addrs = sentinels
                    .into_iter()
                    .map(|(host, port)| ConnectionAddr::Tcp(host, port));
                let mut builder =
                    SentinelClientBuilder::new(addrs, service, SentinelServerType::Master)
                        .map_err(bad)?
                        .set_client_to_redis_db(i64::from(db));
                if let Some((user, password)) = credentials {
                    if !user.is_empty() {
                        builder = builder.set_client_to_redis_username(user);
                    }
                    builder = builder.set_client_to_redis_password(password);
                }
                if tls {
                    builder = builder
                        .set_client_to_redis_tls_mode(tls_mode)
                        .set_client_to_redis_certificates(certificates());
                }
                Backend::Sentinel {
                    sentinel: tokio::sync::Mutex::new(builder.build().map_err(bad)?),
                    primary: RwLock::new(None),
                }
            }
            RedisUrl::Cluster {
                tls,
                nodes,
                credentials,
            } => {
                let scheme = if tls { "rediss" } else { "redis" };
                let seeds: Vec<String> = nodes
                    .iter()
                    .map(|(host, port)| match host.contains(':') {
                        true => format!("{scheme}://[{host}]:{port}"),
                        false => format!("{scheme}://{host}:{port}"),
                    })
                    .collect();
                let mut builder = ClusterClient::builder(seeds.clone())
                    .connection_timeout(options.connect_timeout)
                    .response_timeout(options.connect_timeout)
                    .retries(1);
                if let Some((user, password)) = &credentials {
                    if !user.is_empty() {
                        builder = builder.username(user);
                    }
                    builder = builder.password(password);
                }
                if tls {
                    builder = builder.tls(tls_mode).certs(certificates());
                }
                // published messages reach every node of a cluster: the
                // waiters subscribe on the first seed
                let mut pubsub = redis::Client::open(seeds[0].as_str()).map_err(bad)?;
                if let Some((user, password)) = credentials {
                    let mut info = pubsub.get_connection_info().clone();
                    let redis_info = info.redis_settings().clone();
                    let redis_info = match user.is_empty() {
                        true => redis_info,
                        false => redis_info.set_username(user),
                    }
                    .set_password(password);
                    info = info.set_redis_settings(redis_info);
                    pubsub = redis::Client::open(info).map_err(bad)?;
                }
                Backend::Cluster {
                    client: builder.build().map_err(bad)?,
                    conn: tokio::sync::OnceCell::new(),
                    pubsub,
                }
            }
        };
        Ok(Self {
            backend,
            options,
            down: AtomicBool::new(false),
            counters,
        })
    }

    pub(crate) fn options(&self) -> &FleetOptions {
        &self.options
    }

    /// Whether callers should try Redis at all (not in an outage).
    pub(crate) fn usable(&self) -> bool {
        !self.down.load(Ordering::Acquire)
    }

    /// Runs `cmd` within `limit`.
    pub(crate) async fn query<T: FromRedisValue>(
        self: &Arc<Self>,
        what: &'static str,
        cmd: &Cmd,
        limit: Duration,
    ) -> Result<T, Unavailable> {
        let outcome = tokio::time::timeout(limit, async {
            let mut conn = self.connection().await?;
            cmd.query_async::<T>(&mut conn).await
        })
        .await;
        self.settle(what, limit, outcome)
    }

    /// Runs a pipeline (one round trip) within `limit`.
    pub(crate) async fn pipeline<T: FromRedisValue>(
        self: &Arc<Self>,
        what: &'static str,
        pipe: &Pipeline,
        limit: Duration,
    ) -> Result<T, Unavailable> {
        let outcome = tokio::time::timeout(limit, async {
            let mut conn = self.connection().await?;
            pipe.query_async::<T>(&mut conn).await
        })
        .await;
        self.settle(what, limit, outcome)
    }

    /// The connection to use now: connected (or found, for Sentinel) on
    /// first use, within the caller's limit.
    async fn connection(&self) -> redis::RedisResult<Conn> {
        match &self.backend {
            Backend::Server { conn, .. } => Ok(Conn::Manager(conn.clone())),
            Backend::Sentinel { sentinel, primary } => {
                if let Some(p) = read(primary) {
                    return Ok(Conn::Manager(p.conn));
                }
                // one lookup at a time; whoever waited finds its result
                let mut sentinel = sentinel.lock().await;
                if let Some(p) = read(primary) {
                    return Ok(Conn::Manager(p.conn));
                }
                let client = sentinel.async_get_client().await?;
                let conn = manager(&client, &self.options)?;
                *primary.write().unwrap_or_else(|p| p.into_inner()) = Some(Primary {
                    client,
                    conn: conn.clone(),
                });
                Ok(Conn::Manager(conn))
            }
            Backend::Cluster { client, conn, .. } => conn
                .get_or_try_init(|| client.get_async_connection())
                .await
                .cloned()
                .map(Conn::Cluster),
        }
    }

    /// The client whose connections receive the fleet's publishes.
    async fn pubsub_client(&self) -> redis::RedisResult<redis::Client> {
        match &self.backend {
            Backend::Server { client, .. } => Ok(client.clone()),
            Backend::Sentinel { primary, .. } => {
                if read(primary).is_none() {
                    self.connection().await?;
                }
                read(primary).map(|p| p.client).ok_or_else(|| {
                    redis::RedisError::from((
                        redis::ErrorKind::Io,
                        "the Sentinels named no primary",
                    ))
                })
            }
            Backend::Cluster { pubsub, .. } => Ok(pubsub.clone()),
        }
    }

    /// A subscription to `channel` on its own connection.
    pub(crate) async fn subscribe(self: &Arc<Self>, channel: &str) -> Result<PubSub, Unavailable> {
        let limit = self.options.get_timeout.max(Duration::from_millis(200));
        let outcome = tokio::time::timeout(limit, async {
            let mut sub = self.pubsub_client().await?.get_async_pubsub().await?;
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
        if let Backend::Sentinel { primary, .. } = &self.backend {
            // perhaps a failover: ask the Sentinels again on the next use
            *primary.write().unwrap_or_else(|p| p.into_inner()) = None;
        }
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
            let ping = tokio::time::timeout(self.options.connect_timeout, async {
                let mut conn = self.connection().await?;
                redis::cmd("PING").query_async::<String>(&mut conn).await
            })
            .await;
            if !matches!(ping, Ok(Ok(_)))
                && let Backend::Sentinel { primary, .. } = &self.backend
            {
                *primary.write().unwrap_or_else(|p| p.into_inner()) = None;
            }
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

/// How the link reaches Redis.
enum Backend {
    /// One server.
    Server {
        client: redis::Client,
        conn: ConnectionManager,
    },
    /// The primary the Sentinels name, looked up on first use and again
    /// after a failure.
    Sentinel {
        sentinel: tokio::sync::Mutex<SentinelClient>,
        primary: RwLock<Option<Primary>>,
    },
    /// A cluster: the client follows slot moves and node failures itself.
    Cluster {
        client: ClusterClient,
        conn: tokio::sync::OnceCell<ClusterConnection>,
        pubsub: redis::Client,
    },
}

/// The primary found through Sentinel.
#[derive(Clone)]
struct Primary {
    client: redis::Client,
    conn: ConnectionManager,
}

fn read(primary: &RwLock<Option<Primary>>) -> Option<Primary> {
    primary.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// A reconnecting connection to one server.
fn manager(
    client: &redis::Client,
    options: &FleetOptions,
) -> redis::RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(options.connect_timeout))
        .set_response_timeout(Some(options.connect_timeout))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(200));
    ConnectionManager::new_lazy_with_config(client.clone(), config)
}

/// One server's connection or a cluster's, behind one interface.
#[derive(Clone)]
enum Conn {
    Manager(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Manager(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Manager(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Manager(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}
