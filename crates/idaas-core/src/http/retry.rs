//! Opt-in retries: exponential backoff with full jitter, `Retry-After`
//! honoured, only for failures a retry can fix.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use rand::Rng;

use super::{HttpClient, HttpRequest, HttpResponse, StatusCode, header};
use crate::error::TransportError;

/// When and how often to retry a request.
///
/// Retried: connection failures (refused, connect timeout, a connection that
/// broke before a response) and the statuses 429, 502, 503 and 504. Never
/// retried: other 4xx, 500, read timeouts (the server may have acted), TLS
/// and URL errors, oversize bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (default 3).
    pub max_attempts: u32,
    /// The backoff before the second attempt is drawn from `0..=base_delay`,
    /// doubling each time (default 200 ms).
    pub base_delay: Duration,
    /// No wait exceeds this, `Retry-After` included (default 10 s).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// Whether a response status is worth retrying.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// Parses `Retry-After`: delta-seconds or an HTTP-date, relative to `now`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

impl RetryPolicy {
    /// No retries: one attempt.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether this outcome of attempt number `attempt` (1-based) should be retried.
    pub fn should_retry(
        &self,
        attempt: u32,
        outcome: &Result<HttpResponse, TransportError>,
    ) -> bool {
        attempt < self.max_attempts
            && match outcome {
                Ok(response) => is_retryable_status(response.status()),
                Err(error) => error.is_retryable(),
            }
    }

    /// The wait after attempt number `attempt` (1-based): the server's
    /// `Retry-After` if it sent one, else full jitter over
    /// `base_delay × 2^(attempt-1)`; never more than `max_delay`.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        let exp = attempt.saturating_sub(1).min(20);
        let ceiling = self.base_delay.saturating_mul(1 << exp).min(self.max_delay);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }
}

/// An [`HttpClient`] that retries through a [`RetryPolicy`].
#[derive(Debug, Clone)]
pub struct RetryingClient<C> {
    inner: C,
    policy: RetryPolicy,
}

impl<C: HttpClient> RetryingClient<C> {
    /// Wraps `inner`.
    pub fn new(inner: C, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }

    /// The policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

fn clone_request(request: &HttpRequest) -> HttpRequest {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

#[async_trait]
impl<C: HttpClient> HttpClient for RetryingClient<C> {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut attempt = 1;
        loop {
            let outcome = self.inner.execute(clone_request(&request)).await;
            if !self.policy.should_retry(attempt, &outcome) {
                return outcome;
            }
            let retry_after = outcome.as_ref().ok().and_then(|r| {
                r.headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now()))
            });
            let wait = self.policy.delay(attempt, retry_after);
            tracing::debug!(
                attempt,
                wait_ms = wait.as_millis() as u64,
                "retrying request to {}",
                request.uri().host().unwrap_or("")
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16) -> Result<HttpResponse, TransportError> {
        let mut r = HttpResponse::new(Default::default());
        *r.status_mut() = StatusCode::from_u16(status).unwrap();
        Ok(r)
    }

    #[test]
    fn retries_only_what_a_retry_can_fix() {
        let p = RetryPolicy::default();
        for status in [429, 502, 503, 504] {
            assert!(p.should_retry(1, &response(status)), "{status}");
        }
        for status in [200, 301, 400, 401, 403, 404, 500, 501] {
            assert!(!p.should_retry(1, &response(status)), "{status}");
        }
        assert!(!p.should_retry(3, &response(503)), "3 attempts by default");
        let refused = Err(TransportError::Connect {
            host: "h".into(),
            reason: "refused".into(),
        });
        assert!(p.should_retry(1, &refused));
        let read = Err(TransportError::ReadTimeout {
            host: "h".into(),
            after: Duration::from_secs(1),
        });
        assert!(!p.should_retry(1, &read));
        assert!(!RetryPolicy::none().should_retry(1, &response(503)));
    }

    #[test]
    fn backoff_is_full_jitter_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        for _ in 0..200 {
            assert!(p.delay(1, None) <= Duration::from_millis(100));
            assert!(p.delay(3, None) <= Duration::from_millis(400));
            assert!(p.delay(30, None) <= Duration::from_millis(1000));
        }
        // full jitter: some draws land well below the ceiling
        assert!((0..200).any(|_| p.delay(4, None) < Duration::from_millis(400)));
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(60))),
            Duration::from_millis(1000)
        );
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        // Sun, 06 Nov 1994 08:49:37 GMT is 784111777
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }
}
