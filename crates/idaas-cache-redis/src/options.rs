//! [`FleetOptions`]: where Redis is and how long each step may take.

use std::fmt;
use std::time::Duration;

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
    /// A read on the caller's path (`GET`, `SET NX`) gives up after this
    /// (default 50 ms): the most a Redis outage adds to a call.
    pub get_timeout: Duration,
    /// How long a refresh lock is held at most (default 20 s, ≈ 2 × the
    /// token request timeout): a holder that dies is replaced after it.
    /// Waiters wait at most this long, then ask the IdP themselves.
    pub lease: Duration,
    /// Writes off the caller's path (the entry, the unlock, the publish)
    /// give up after this (default 1 s).
    pub write_timeout: Duration,
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
}

impl fmt::Debug for FleetOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FleetOptions")
            .field("url", &redacted(&self.url))
            .field("get_timeout", &self.get_timeout)
            .field("lease", &self.lease)
            .field(
                "danger_accept_invalid_certs",
                &self.danger_accept_invalid_certs,
            )
            .finish_non_exhaustive()
    }
}

/// A URL with its password (if any) replaced, for logs and `Debug`.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("REDACTED"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<unparsable>".into(),
    }
}

impl FleetOptions {
    /// Options for `url` (`redis://[user:password@]host[:port][/db]` or
    /// `rediss://…` for TLS), checked; `field` names where the URL came from,
    /// for the error (e.g. `tokenCache.redis.url`).
    pub fn new(field: &str, url: &str) -> Result<Self, Error> {
        let bad = |reason: String| Error::InvalidUrl {
            field: field.to_owned(),
            reason,
        };
        let parsed = url::Url::parse(url.trim())
            .map_err(|e| bad(format!("{} is not a URL ({e})", redacted(url))))?;
        match parsed.scheme() {
            "redis" | "rediss" => {}
            other => {
                return Err(bad(format!(
                    "scheme {other:?} is not supported; use redis:// or rediss:// (TLS) to a single server"
                )));
            }
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(bad(format!("{} has no host", redacted(url))));
        }
        let path = parsed.path().trim_start_matches('/');
        if !path.is_empty() && path.parse::<u16>().is_err() {
            return Err(bad(format!(
                "the path {path:?} must be a database number (e.g. /0)"
            )));
        }
        Ok(Self {
            url: url.trim().to_owned(),
            field: field.to_owned(),
            get_timeout: DEFAULT_GET_TIMEOUT,
            lease: DEFAULT_LEASE,
            write_timeout: Duration::from_secs(1),
            poll_interval: Duration::from_millis(100),
            probe_interval: Duration::from_secs(1),
            danger_accept_invalid_certs: false,
            ca_pem: None,
        })
    }

    /// The URL (with its password: do not log it; see [`redacted`]).
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
        let e = FleetOptions::new("u", "redis+sentinel://h").unwrap_err();
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
