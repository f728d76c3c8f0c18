//! Redis URLs of `tokenCache.redis.url`: one server, a Sentinel-managed
//! primary, or a Redis Cluster — checked, parsed, and shown without their
//! password.
//!
//! | form | what it reaches |
//! |---|---|
//! | `redis://[user:password@]host[:port][/db]` | one Redis or Valkey server (`rediss://`: TLS) |
//! | `redis+sentinel://[user:password@]host[:port][,host[:port]…]/service[/db]` | the primary that the Sentinels (default port 26379) name for `service`, found again after a failover (`rediss+sentinel://`: TLS to the primary) |
//! | `redis+cluster://[user:password@]host[:port][,host[:port]…]` | a Redis Cluster through any of these seed nodes (`rediss+cluster://`: TLS) |
//!
//! The user and password are the data nodes' (primary, cluster nodes); the
//! Sentinels are asked without credentials.

use super::error::{ConfigError, FieldProblem};

/// The default port of a Redis server or cluster node.
pub const REDIS_PORT: u16 = 6379;
/// The default port of a Sentinel.
pub const SENTINEL_PORT: u16 = 26379;

/// A parsed Redis URL.
#[derive(Clone, PartialEq, Eq)]
pub enum RedisUrl {
    /// One server: the URL as given (the client parses it).
    Server(String),
    /// A primary found through Sentinels.
    Sentinel {
        /// TLS to the primary (`rediss+sentinel://`).
        tls: bool,
        /// The Sentinels.
        sentinels: Vec<(String, u16)>,
        /// The monitored service (the master name).
        service: String,
        /// The database number.
        db: u16,
        /// The primary's user and password, if any.
        credentials: Option<(String, String)>,
    },
    /// A Redis Cluster.
    Cluster {
        /// TLS to every node (`rediss+cluster://`).
        tls: bool,
        /// The seed nodes.
        nodes: Vec<(String, u16)>,
        /// The nodes' user and password, if any.
        credentials: Option<(String, String)>,
    },
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Server(url) => f.debug_tuple("Server").field(&redact_url(url)).finish(),
            Self::Sentinel {
                tls,
                sentinels,
                service,
                db,
                credentials,
            } => f
                .debug_struct("Sentinel")
                .field("tls", tls)
                .field("sentinels", sentinels)
                .field("service", service)
                .field("db", db)
                .field("user", &credentials.as_ref().map(|(user, _)| user))
                .finish_non_exhaustive(),
            Self::Cluster {
                tls,
                nodes,
                credentials,
            } => f
                .debug_struct("Cluster")
                .field("tls", tls)
                .field("nodes", nodes)
                .field("user", &credentials.as_ref().map(|(user, _)| user))
                .finish_non_exhaustive(),
        }
    }
}

impl RedisUrl {
    /// Parses and checks `url`; errors name `path` and never show a password.
    pub fn parse(path: &str, url: &str) -> Result<Self, ConfigError> {
        let bad = |reason: String| ConfigError::field(path, FieldProblem::InvalidUrl, reason);
        let url = url.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(bad(format!("{} is not a URL", redact_url(url))));
        };
        let (tls, topology) = match scheme {
            "redis" | "rediss" => return check_server(path, url).map(Self::Server),
            "redis+sentinel" => (false, Topology::Sentinel),
            "rediss+sentinel" => (true, Topology::Sentinel),
            "redis+cluster" => (false, Topology::Cluster),
            "rediss+cluster" => (true, Topology::Cluster),
            other => {
                return Err(bad(format!(
                    "scheme {other:?} is not supported; use redis:// or rediss:// (one server), redis+sentinel:// or redis+cluster:// (and their rediss+ forms)"
                )));
            }
        };
        let (authority, path_part) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let (credentials, hosts) = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                let decode = |s: &str| {
                    percent_decode(s).ok_or_else(|| {
                        bad(format!(
                            "{}: the user or password is not valid percent-encoding",
                            redact_url(url)
                        ))
                    })
                };
                (Some((decode(user)?, decode(password)?)), hosts)
            }
            None => (None, authority),
        };
        let default_port = match topology {
            Topology::Sentinel => SENTINEL_PORT,
            Topology::Cluster => REDIS_PORT,
        };
        let nodes = hosts
            .split(',')
            .map(|node| parse_node(node, default_port))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|why| bad(format!("{}: {why}", redact_url(url))))?;
        match topology {
            Topology::Sentinel => {
                let mut parts = path_part.split('/').filter(|p| !p.is_empty());
                let service = parts.next().ok_or_else(|| {
                    bad(format!(
                        "{} names no service: add the Sentinels' master name, e.g. /mymaster",
                        redact_url(url)
                    ))
                })?;
                let db = match parts.next() {
                    None => 0,
                    Some(db) => db.parse::<u16>().map_err(|_| {
                        bad(format!(
                            "the path part {db:?} must be a database number (e.g. /0)"
                        ))
                    })?,
                };
                if let Some(extra) = parts.next() {
                    return Err(bad(format!(
                        "unexpected path part {extra:?}: the path is /service[/db]"
                    )));
                }
                Ok(Self::Sentinel {
                    tls,
                    sentinels: nodes,
                    service: service.to_owned(),
                    db,
                    credentials,
                })
            }
            Topology::Cluster => {
                if !path_part.is_empty() {
                    return Err(bad(
                        "a Redis Cluster has one database: remove the path".to_owned()
                    ));
                }
                Ok(Self::Cluster {
                    tls,
                    nodes,
                    credentials,
                })
            }
        }
    }
}

enum Topology {
    Sentinel,
    Cluster,
}

fn parse_node(node: &str, default_port: u16) -> Result<(String, u16), String> {
    let node = node.trim();
    if node.is_empty() {
        return Err("an empty host in the host list".into());
    }
    let (host, port) = if let Some(v6) = node.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{node:?}: an IPv6 address misses its ']'"))?;
        (host, after.strip_prefix(':'))
    } else {
        match node.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (node, None),
        }
    };
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return Err(format!("{node:?} is not a host[:port]"));
    }
    let port = match port {
        None => default_port,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("{node:?}: the port must be 1..=65535"))?,
    };
    Ok((host.to_owned(), port))
}

fn percent_decode(s: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(s).decode_utf8().ok()?;
    // a `%` not followed by two hex digits is kept as is by the crate: refuse it
    let malformed = s.match_indices('%').any(|(i, _)| {
        !s.get(i + 1..i + 3)
            .is_some_and(|h| h.chars().all(|c| c.is_ascii_hexdigit()))
    });
    (!malformed).then(|| decoded.into_owned())
}

/// Checks a Redis URL of any form (see the module docs). Returns it
/// trimmed; errors name `path` and never show a password.
pub fn check_url(path: &str, url: &str) -> Result<String, ConfigError> {
    RedisUrl::parse(path, url)?;
    Ok(url.trim().to_owned())
}

/// `redis://` or `rediss://`: a host, an optional database number.
fn check_server(path: &str, url: &str) -> Result<String, ConfigError> {
    let bad = |reason: String| ConfigError::field(path, FieldProblem::InvalidUrl, reason);
    let parsed =
        url::Url::parse(url).map_err(|e| bad(format!("{} is not a URL ({e})", redact_url(url))))?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad(format!("{} has no host", redact_url(url))));
    }
    let db = parsed.path().trim_start_matches('/');
    if !db.is_empty() && db.parse::<u16>().is_err() {
        return Err(bad(format!(
            "the path {db:?} must be a database number (e.g. /0)"
        )));
    }
    Ok(url.to_owned())
}

/// A URL with its password replaced, for logs, errors and `Debug` (every
/// form above, and text that is no URL at all).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<unparsable URL>".into();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, _)) => match userinfo.split_once(':') {
            Some((user, _password)) => {
                format!("{scheme}://{user}:REDACTED@{}", &rest[userinfo.len() + 1..])
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_server_url_is_kept_as_given() {
        for url in [
            "redis://127.0.0.1:6379",
            "rediss://u:pw@cache.example:6380/2",
        ] {
            assert_eq!(
                RedisUrl::parse("p", url).unwrap(),
                RedisUrl::Server(url.into())
            );
        }
    }

    #[test]
    fn sentinel_urls_list_sentinels_service_and_db() {
        let u = RedisUrl::parse(
            "p",
            "redis+sentinel://:s%40cret@10.0.0.1,10.0.0.2:26380/mymaster/3",
        )
        .unwrap();
        assert_eq!(
            u,
            RedisUrl::Sentinel {
                tls: false,
                sentinels: vec![("10.0.0.1".into(), 26379), ("10.0.0.2".into(), 26380)],
                service: "mymaster".into(),
                db: 3,
                credentials: Some((String::new(), "s@cret".into())),
            }
        );
        assert!(!format!("{u:?}").contains("cret"), "{u:?}");
        let tls = RedisUrl::parse("p", "rediss+sentinel://s1/primary").unwrap();
        assert!(matches!(
            tls,
            RedisUrl::Sentinel {
                tls: true,
                db: 0,
                ..
            }
        ));
    }

    #[test]
    fn cluster_urls_list_seed_nodes() {
        let u = RedisUrl::parse("p", "redis+cluster://app:pw@n1:7000,n2:7001,[::1]:7002").unwrap();
        assert_eq!(
            u,
            RedisUrl::Cluster {
                tls: false,
                nodes: vec![
                    ("n1".into(), 7000),
                    ("n2".into(), 7001),
                    ("::1".into(), 7002)
                ],
                credentials: Some(("app".into(), "pw".into())),
            }
        );
    }

    #[test]
    fn bad_urls_name_the_field_and_hide_the_password() {
        for bad in [
            "http://x",
            "redis://",
            "not a url",
            "redis://h/db",
            "redis+sentinel://s1",
            "redis+sentinel://s1/m/x",
            "redis+sentinel://s1/m/0/extra",
            "redis+cluster://n1/0",
            "redis+cluster://n1,,n2",
            "redis+cluster://n1:0",
            "redis+cluster://n1:99999",
            "redis+cluster://u:hunter2@bad host",
            "redis+cluster://u:%zz@n1",
        ] {
            let e = RedisUrl::parse("tokenCache.redis.url", bad).unwrap_err();
            assert!(e.to_string().starts_with("tokenCache.redis.url: "), "{e}");
            assert_eq!(e.problem(), Some(FieldProblem::InvalidUrl), "{bad}");
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn redaction_covers_every_form() {
        assert_eq!(
            redact_url("redis://u:hunter2@h:1/0"),
            "redis://u:REDACTED@h:1/0"
        );
        assert_eq!(
            redact_url("redis+sentinel://:hunter2@a,b:2/m"),
            "redis+sentinel://:REDACTED@a,b:2/m"
        );
        assert_eq!(redact_url("redis://h:1"), "redis://h:1");
        assert_eq!(redact_url("garbage"), "<unparsable URL>");
    }
}
