//! `tokenCache.redis`: the fleet-shared token cache on Redis (crate
//! `idaas-cache-redis`). Only this key of `tokenCache` is read here; the
//! other `tokenCache` keys have their own reader.
//!
//! ```json
//! "tokenCache": { "redis": { "url": "rediss://cache.internal:6380", "keyEnvVarName": "IDAAS_TOKEN_CACHE_KEY", "getTimeout": 50, "countInProcessHits": false } }
//! ```

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use super::error::{ConfigError, FieldProblem};
use super::keys::normalise;
use super::redis_url::{check_url, redact_url};

/// The JSON path of this object.
pub const TOKEN_CACHE_REDIS_PATH: &str = "tokenCache.redis";
/// The default environment variable holding the sealing key.
pub const DEFAULT_KEY_ENV_VAR_NAME: &str = "IDAAS_TOKEN_CACHE_KEY";
/// The allowed range of `getTimeout`, in milliseconds.
pub const GET_TIMEOUT_RANGE_MS: std::ops::RangeInclusive<u64> = 1..=10_000;

/// `tokenCache.redis`: where the fleet's Redis is and where its key is.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisCacheConfig {
    /// `url`: `redis://[user:password@]host[:port][/db]`, `rediss://…`
    /// (TLS, trusting what `httpConfiguration` trusts), or a Sentinel or
    /// Cluster URL ([`RedisUrl`](super::RedisUrl)).
    pub url: String,
    /// `keyEnvVarName` (default `IDAAS_TOKEN_CACHE_KEY`): the variable
    /// holding the 32-byte base64 sealing key. Unset, a client-secret
    /// credential derives the key from its secret.
    pub key_env_var_name: String,
    /// `getTimeout` in ms (default 50): the most a Redis read may add to a call.
    pub get_timeout: Duration,
    /// `countInProcessHits` (default `false`): count in-process cache hits
    /// in the provider's fleet counters, at a small cost to every hit.
    pub count_in_process_hits: bool,
}

impl fmt::Debug for RedisCacheConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCacheConfig")
            .field("url", &redact_url(&self.url))
            .field("key_env_var_name", &self.key_env_var_name)
            .field("get_timeout", &self.get_timeout)
            .field("count_in_process_hits", &self.count_in_process_hits)
            .finish()
    }
}

impl RedisCacheConfig {
    /// A configuration for `url` (checked; `path` names it in the error),
    /// with the default key variable and timeout.
    pub fn new(path: &str, url: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            url: check_url(path, url)?,
            key_env_var_name: DEFAULT_KEY_ENV_VAR_NAME.to_owned(),
            get_timeout: Duration::from_millis(50),
            count_in_process_hits: false,
        })
    }

    /// `tokenCache.redis` of a parsed configuration document, if present.
    pub(crate) fn read(root: &Map<String, Value>) -> Result<Option<Self>, ConfigError> {
        let Some(cache) = find(root, "token_cache") else {
            return Ok(None);
        };
        let Value::Object(cache) = cache else {
            // the shape of `tokenCache` itself is checked by its own reader
            return Ok(None);
        };
        let Some(redis) = find(cache, "redis") else {
            return Ok(None);
        };
        let redis = match redis {
            Value::Null => return Ok(None),
            Value::Object(o) => o,
            other => return Err(wrong_type(TOKEN_CACHE_REDIS_PATH, "an object", other)),
        };
        let url_path = format!("{TOKEN_CACHE_REDIS_PATH}.url");
        let url = match find(redis, "url") {
            None | Some(Value::Null) => {
                return Err(ConfigError::field(
                    url_path,
                    FieldProblem::Missing,
                    "missing; set it to the fleet's Redis, e.g. rediss://cache.internal:6380",
                ));
            }
            Some(Value::String(s)) => s.clone(),
            Some(other) => return Err(wrong_type(&url_path, "a string", other)),
        };
        let mut config = Self::new(&url_path, &url)?;
        let key_path = format!("{TOKEN_CACHE_REDIS_PATH}.keyEnvVarName");
        match find(redis, "key_env_var_name") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.trim().is_empty() => {
                return Err(ConfigError::field(
                    key_path,
                    FieldProblem::Empty,
                    "is empty; name the environment variable holding the key, or leave it out",
                ));
            }
            Some(Value::String(s)) => config.key_env_var_name = s.trim().to_owned(),
            Some(other) => return Err(wrong_type(&key_path, "a string", other)),
        }
        let timeout_path = format!("{TOKEN_CACHE_REDIS_PATH}.getTimeout");
        match find(redis, "get_timeout") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) => {
                let ms = n
                    .as_u64()
                    .filter(|ms| GET_TIMEOUT_RANGE_MS.contains(ms))
                    .ok_or_else(|| {
                        ConfigError::field(
                            &timeout_path,
                            FieldProblem::OutOfRange,
                            format!(
                                "{n} is not a whole number of milliseconds in {}..={}",
                                GET_TIMEOUT_RANGE_MS.start(),
                                GET_TIMEOUT_RANGE_MS.end()
                            ),
                        )
                    })?;
                config.get_timeout = Duration::from_millis(ms);
            }
            Some(other) => {
                return Err(wrong_type(
                    &timeout_path,
                    "a whole number of milliseconds",
                    other,
                ));
            }
        }
        let count_path = format!("{TOKEN_CACHE_REDIS_PATH}.countInProcessHits");
        match find(redis, "count_in_process_hits") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => config.count_in_process_hits = *b,
            Some(other) => return Err(wrong_type(&count_path, "true or false", other)),
        }
        Ok(Some(config))
    }
}

/// The value of `key` in any spelling (`keyEnvVarName`, `key_env_var_name`).
pub(super) fn find<'a>(object: &'a Map<String, Value>, snake: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| normalise(k) == snake)
        .map(|(_, v)| v)
}

pub(super) fn wrong_type(path: &str, expected: &str, found: &Value) -> ConfigError {
    let kind = super::json::kind_of(found);
    ConfigError::field(
        path,
        FieldProblem::WrongType,
        format!("expected {expected}, found {kind}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::token_cache::tests::with;

    #[test]
    fn reads_the_redis_object_in_any_spelling() {
        let c = with(r#"{"redis":{"url":"rediss://u:pw@cache:6380/1","key_env_var_name":"K","getTimeout":80},"other":1}"#)
            .unwrap();
        let r = c.token_cache_redis.unwrap();
        assert_eq!(r.url, "rediss://u:pw@cache:6380/1");
        assert_eq!(r.key_env_var_name, "K");
        assert_eq!(r.get_timeout, Duration::from_millis(80));
        assert!(!format!("{r:?}").contains("pw@"), "{r:?}");
        let d = with(r#"{"redis":{"url":"redis://127.0.0.1"}}"#).unwrap();
        let d = d.token_cache_redis.unwrap();
        assert_eq!(d.key_env_var_name, DEFAULT_KEY_ENV_VAR_NAME);
        assert_eq!(d.get_timeout, Duration::from_millis(50));
        assert!(!d.count_in_process_hits);
        let counted = with(r#"{"redis":{"url":"redis://h","countInProcessHits":true}}"#).unwrap();
        assert!(counted.token_cache_redis.unwrap().count_in_process_hits);
        assert!(
            with(r#"{"maxEntries": 5}"#)
                .unwrap()
                .token_cache_redis
                .is_none()
        );
        assert!(
            with(r#"{"redis": null}"#)
                .unwrap()
                .token_cache_redis
                .is_none()
        );
    }

    #[test]
    fn errors_name_the_field() {
        for (cache, path, problem) in [
            (
                r#"{"redis":"redis://h"}"#,
                "tokenCache.redis",
                FieldProblem::WrongType,
            ),
            (
                r#"{"redis":{}}"#,
                "tokenCache.redis.url",
                FieldProblem::Missing,
            ),
            (
                r#"{"redis":{"url":5}}"#,
                "tokenCache.redis.url",
                FieldProblem::WrongType,
            ),
            (
                r#"{"redis":{"url":"https://h"}}"#,
                "tokenCache.redis.url",
                FieldProblem::InvalidUrl,
            ),
            (
                r#"{"redis":{"url":"redis://"}}"#,
                "tokenCache.redis.url",
                FieldProblem::InvalidUrl,
            ),
            (
                r#"{"redis":{"url":"redis://h/x"}}"#,
                "tokenCache.redis.url",
                FieldProblem::InvalidUrl,
            ),
            (
                r#"{"redis":{"url":"redis://h","keyEnvVarName":" "}}"#,
                "tokenCache.redis.keyEnvVarName",
                FieldProblem::Empty,
            ),
            (
                r#"{"redis":{"url":"redis://h","keyEnvVarName":1}}"#,
                "tokenCache.redis.keyEnvVarName",
                FieldProblem::WrongType,
            ),
            (
                r#"{"redis":{"url":"redis://h","countInProcessHits":"yes"}}"#,
                "tokenCache.redis.countInProcessHits",
                FieldProblem::WrongType,
            ),
            (
                r#"{"redis":{"url":"redis://h","getTimeout":0}}"#,
                "tokenCache.redis.getTimeout",
                FieldProblem::OutOfRange,
            ),
            (
                r#"{"redis":{"url":"redis://h","getTimeout":"50"}}"#,
                "tokenCache.redis.getTimeout",
                FieldProblem::WrongType,
            ),
        ] {
            let e = with(cache).unwrap_err();
            assert_eq!(e.field_path(), Some(path), "{cache}: {e}");
            assert_eq!(e.problem(), Some(problem), "{cache}: {e}");
        }
        let e = with(r#"{"redis":{"url":"http://u:hunter2@h"}}"#).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
