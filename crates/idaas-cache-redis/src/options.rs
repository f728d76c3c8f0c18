//! [`FleetOptions`]: where Redis is and how long each step may take.

use std::fmt;
use std::time::Duration;

use idaas_core::config::{check_redis_url, redact_url as redacted};

use crate::error::Error;

/// The environment variable naming the Redis URL (overrides the file).
pub const URL_ENV: &str = "IDAAS_TOKEN_CACHE_URL";
/// Default limit of a read on the caller's path (`GET`, `SET NX`).
pub const DEFAULT_GET_TIMEOUT: Duration = Duration::from_millis(50);
/// Default lock lease: twice the default token request (read) timeout, 10 s.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(20);

/// How the fleet tier reaches Redis.
#[derive(Clone)]
pub struct FleetOptions {
    url: String,
    field: String,
    /// Each Redis round trip on the caller's path (`GET`, `SET NX`, the
    /// share-unlock-publish pipeline) gives up after this (default 50 ms):
    /// the most a Redis outage adds to a call.
    pub get_timeout: Duration,
    /// How long a refresh lock is held at most (default 20 s, ≈ 2 × the
    /// token request timeout): a holder that dies is replaced after it.
    /// Waiters wait at most this long, then ask the IdP themselves.
    pub lease: Duration,
    /// Connecting, and the background probe's `PING`, give up after this
    /// (default 1 s). Off the caller's path.
    pub connect_timeout: Duration,
    /// While waiting for another process's refresh, the shared entry is
    /// re-read at least this often, besides on its publish (default 100 ms).
    pub poll_interval: Duration,
    /// While Redis is unreachable, it is probed this often in the background
    /// (default 1 s); callers skip it meanwhile.
    pub probe_interval: Duration,
    /// `rediss://`: accept any certificate (the transport's
    /// `unsafeIgnoreSslCert`); only for tests.
    pub danger_accept_invalid_certs: bool,
    /// `rediss://`: PEM roots to trust instead of the system's.
    pub ca_pem: Option<Vec<u8>>,
    /// Count in-process (L1) hits in [`CounterSnapshot::l1_hits`] (default
    /// off). Counting costs the hit path a thread-local slot update (≈ 3 ns,
    /// about a sixth of a hit: docs/benchmarks.md); off, a hit with the fleet
    /// tier costs what a hit without it costs and `l1_hits` is `None`.
    ///
    /// [`CounterSnapshot::l1_hits`]: crate::CounterSnapshot::l1_hits
    pub count_l1_hits: bool,
}

impl fmt::Debug for FleetOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FleetOptions")
            .field("url", &redacted(&self.url))
            .field("get_timeout", &self.get_timeout)
            .field("lease", &self.lease)
            .field("count_l1_hits", &self.count_l1_hits)
            .field(
                "danger_accept_invalid_certs",
                &self.danger_accept_invalid_certs,
            )
            .finish_non_exhaustive()
    }
}

impl FleetOptions {
    /// Options for `url` (`redis://[user:password@]host[:port][/db]` or
    /// `rediss://…` for TLS), checked; `field` names where the URL came from,
    /// for the error (e.g. `tokenCache.redis.url`).
    pub fn new(field: &str, url: &str) -> Result<Self, Error> {
        let url = check_redis_url(field, url)?;
        Ok(Self {
            url,
            field: field.to_owned(),
            get_timeout: DEFAULT_GET_TIMEOUT,
            lease: DEFAULT_LEASE,
            connect_timeout: Duration::from_secs(1),
            poll_interval: Duration::from_millis(100),
            probe_interval: Duration::from_secs(1),
            danger_accept_invalid_certs: false,
            ca_pem: None,
            count_l1_hits: false,
        })
    }

    /// The URL (with its password: do not log it; see `idaas_core::config::redact_url`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the URL came from.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// Sets [`get_timeout`](Self::get_timeout).
    pub fn with_get_timeout(mut self, timeout: Duration) -> Self {
        self.get_timeout = timeout;
        self
    }

    /// Sets [`lease`](Self::lease).
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sets [`count_l1_hits`](Self::count_l1_hits).
    pub fn with_l1_hit_counting(mut self, count: bool) -> Self {
        self.count_l1_hits = count;
        self
    }

    /// Sets [`poll_interval`](Self::poll_interval).
    pub fn with_poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// Sets [`probe_interval`](Self::probe_interval).
    pub fn with_probe_interval(mut self, every: Duration) -> Self {
        self.probe_interval = every;
        self
    }

    pub(crate) fn is_tls(&self) -> bool {
        self.url.starts_with("rediss://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_errors_name_the_field() {
        assert!(FleetOptions::new("f", "redis://127.0.0.1:6379").is_ok());
        assert!(FleetOptions::new("f", "rediss://user:pw@cache.example:6380/2").is_ok());
        for bad in ["http://x", "redis://", "not a url", "redis://h/db"] {
            let e = FleetOptions::new("tokenCache.redis.url", bad).unwrap_err();
            assert!(e.to_string().starts_with("tokenCache.redis.url: "), "{e}");
        }
        assert!(FleetOptions::new("f", "redis+sentinel://s1,s2:26380/primary/1").is_ok());
        assert!(FleetOptions::new("f", "rediss+cluster://n1:7000,n2:7001").is_ok());
        let e = FleetOptions::new("u", "redis+sentinel://h").unwrap_err();
        assert!(matches!(e, Error::Config(_)));
        assert!(e.to_string().contains("names no service"), "{e}");
        let e = FleetOptions::new("u", "memcached://h").unwrap_err();
        assert!(e.to_string().contains("not supported"), "{e}");
    }

    #[test]
    fn passwords_never_shown() {
        let o = FleetOptions::new("f", "redis://u:hunter2@h:1").unwrap();
        assert!(!format!("{o:?}").contains("hunter2"));
        let e = FleetOptions::new("f", "redis://u:hunter2@h:1/x").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
