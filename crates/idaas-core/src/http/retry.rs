//! Retries, on by default: exponential backoff with full jitter,
//! `Retry-After` honoured up to a cap, only for failures a retry can fix.
//!
//! [`HyperClient`](super::HyperClient) runs every request through the
//! [`RetryPolicy`] of its [`HttpOptions`](super::HttpOptions) (a request may
//! carry its own policy as an extension); [`RetryingClient`] gives any other
//! [`HttpClient`] the same loop. Both use [`RetryPolicy::run`].

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use rand::Rng;

use super::{HttpClient, HttpRequest, HttpResponse, StatusCode, header};
use crate::clock::{Clock, SystemClock};
use crate::error::TransportError;

/// When and how often to retry a request. The default is on: 3 attempts,
/// full-jitter backoff from 100 ms doubling to at most 2 s, a `Retry-After`
/// of up to 30 s waited for. [`RetryPolicy::none`] is one attempt.
///
/// ```
/// use std::time::Duration;
/// use idaas_core::http::{HttpOptions, HyperClient, RetryPolicy};
///
/// // on by default
/// assert_eq!(HttpOptions::default().retry.max_attempts, 3);
/// // one attempt only
/// let client = HyperClient::new(HttpOptions::default().with_retry(RetryPolicy::none()))?;
/// assert_eq!(client.options().retry.max_attempts, 1);
/// # Ok::<(), idaas_core::TransportError>(())
/// ```
///
/// Retried ([`RetryPolicy::is_retryable_response`],
/// [`TransportError::is_retryable`]): connect failures and timeouts, a
/// connection reset or closed before the response, the statuses 408, 425,
/// 429, 500, 502, 503 and 504, and an OAuth error body
/// `temporarily_unavailable` (any status) or `slow_down` with 429. Never
/// retried: an OAuth error `invalid_*` (whatever the status), other 4xx
/// (400, 401, 403 …), read timeouts (the server may have acted), TLS and URL
/// errors, oversize bodies, and a `Retry-After` longer than
/// [`RetryPolicy::max_retry_after`] (the response is returned at once).
///
/// Every attempt re-sends the same bytes: a client assertion (`jti`) is not
/// re-signed, so a server that saw the first attempt may refuse the second
/// as a replay (`invalid_client`, which ends the loop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (default 3; 1 = no retry).
    pub max_attempts: u32,
    /// The backoff before the second attempt is drawn from `0..=base_delay`,
    /// doubling each time (default 100 ms).
    pub base_delay: Duration,
    /// No backoff exceeds this (default 2 s).
    pub max_delay: Duration,
    /// The longest `Retry-After` waited for (default 30 s); a longer one
    /// ends the loop with that response.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Whether a response status is worth retrying: 408, 425, 429, 500, 502,
    /// 503, 504.
    pub fn is_retryable_status(status: StatusCode) -> bool {
        matches!(status.as_u16(), 408 | 425 | 429 | 500 | 502 | 503 | 504)
    }

    /// Whether a response is worth retrying: an OAuth error body decides
    /// first (`invalid_*` never, `temporarily_unavailable` always,
    /// `slow_down` with 429), then the status.
    pub fn is_retryable_response(response: &HttpResponse) -> bool {
        let status = response.status();
        if status.is_success() || status.is_redirection() {
            return false;
        }
        if let Some(error) =
            crate::error::OAuthError::from_response(status.as_u16(), response.body())
        {
            let code = error.code.as_str();
            if code.starts_with("invalid_") {
                return false;
            }
            if code == "temporarily_unavailable" {
                return true;
            }
            if code == "slow_down" {
                return status == StatusCode::TOO_MANY_REQUESTS;
            }
        }
        Self::is_retryable_status(status)
    }

    /// Parses a `Retry-After` value (RFC 9110 §10.2.3): delta-seconds, or an
    /// HTTP-date taken relative to `now` (a date in the past means at once).
    /// `None` if it is neither.
    pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
        let value = value.trim();
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            // An absurdly long number still means "a long time".
            return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
        }
        let at = httpdate::parse_http_date(value).ok()?;
        Some(at.duration_since(now).unwrap_or(Duration::ZERO))
    }

    /// The `Retry-After` of `response`, if it has a valid one.
    pub fn retry_after(response: &HttpResponse, now: SystemTime) -> Option<Duration> {
        let value = response.headers().get(header::RETRY_AFTER)?.to_str().ok()?;
        Self::parse_retry_after(value, now)
    }

    /// No retries: one attempt.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether this outcome of attempt number `attempt` (1-based) is of a
    /// kind to retry and attempts are left (the `Retry-After` cap aside).
    pub fn should_retry(
        &self,
        attempt: u32,
        outcome: &Result<HttpResponse, TransportError>,
    ) -> bool {
        attempt < self.max_attempts
            && match outcome {
                Ok(response) => Self::is_retryable_response(response),
                Err(error) => error.is_retryable(),
            }
    }

    /// The wait before the next attempt after this outcome of attempt
    /// number `attempt`, or `None` to stop and return it.
    pub fn next_wait(
        &self,
        attempt: u32,
        outcome: &Result<HttpResponse, TransportError>,
        now: SystemTime,
    ) -> Option<Duration> {
        if !self.should_retry(attempt, outcome) {
            return None;
        }
        let retry_after = outcome
            .as_ref()
            .ok()
            .and_then(|response| Self::retry_after(response, now));
        match retry_after {
            Some(wait) if wait > self.max_retry_after => None,
            other => Some(self.delay(attempt, other)),
        }
    }

    /// The backoff ceiling after attempt number `attempt` (1-based):
    /// `base_delay × 2^(attempt-1)`, never more than `max_delay`.
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(31);
        self.base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay)
    }

    /// The wait after attempt number `attempt` (1-based): the server's
    /// `Retry-After` if it sent one (at most `max_retry_after`), else a
    /// uniform draw from `0..=backoff_ceiling(attempt)` (full jitter).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        self.delay_with_jitter(attempt, retry_after, rand::rng().random::<f64>())
    }

    /// [`RetryPolicy::delay`] with the random draw given: `unit` in `0.0..=1.0`
    /// picks the point between zero and the ceiling.
    fn delay_with_jitter(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        unit: f64,
    ) -> Duration {
        match retry_after {
            Some(wait) => wait.min(self.max_retry_after),
            None => self.backoff_ceiling(attempt).mul_f64(unit.clamp(0.0, 1.0)),
        }
    }

    /// Sends `request` through `send` until it succeeds, fails for good or
    /// the attempts run out; returns the last outcome. The one retry loop of
    /// the transport.
    pub async fn run<F, Fut>(
        &self,
        request: HttpRequest,
        clock: &dyn Clock,
        send: F,
    ) -> Result<HttpResponse, TransportError>
    where
        F: Fn(HttpRequest) -> Fut + Send + Sync,
        Fut: Future<Output = Result<HttpResponse, TransportError>> + Send,
    {
        let mut attempt = 1;
        loop {
            let outcome = send(clone_request(&request)).await;
            let now = UNIX_EPOCH + clock.now();
            let Some(wait) = self.next_wait(attempt, &outcome, now) else {
                return outcome;
            };
            tracing::debug!(
                host = request.uri().host().unwrap_or_default(),
                attempt,
                status = outcome.as_ref().ok().map(|r| r.status().as_u16()),
                error = outcome.as_ref().err().map(tracing::field::display),
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "retrying request"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// An [`HttpClient`] that retries through a [`RetryPolicy`]: each attempt
/// re-sends the same request (its body is [`bytes::Bytes`], so cloning is
/// cheap), and the response or error of the last attempt is returned.
///
/// For `HttpClient` implementations of your own: [`HyperClient`](super::HyperClient)
/// already retries by its [`HttpOptions::retry`](super::HttpOptions::retry)
/// (wrapping it would multiply the attempts).
#[derive(Debug, Clone)]
pub struct RetryingClient<C> {
    inner: C,
    policy: RetryPolicy,
    clock: Arc<dyn Clock>,
}

impl<C: HttpClient> RetryingClient<C> {
    /// Wraps `inner`.
    pub fn new(inner: C, policy: RetryPolicy) -> Self {
        Self {
            inner,
            policy,
            clock: Arc::new(SystemClock),
        }
    }

    /// Reads the time for `Retry-After` dates from `clock` instead of the
    /// system clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The wrapped client.
    pub fn inner(&self) -> &C {
        &self.inner
    }
}

/// A copy of `request` for one attempt (extensions included).
fn clone_request(request: &HttpRequest) -> HttpRequest {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    copy
}

#[async_trait]
impl<C: HttpClient> HttpClient for RetryingClient<C> {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.policy
            .run(request, &*self.clock, |attempt| self.inner.execute(attempt))
            .await
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
        for status in [408, 425, 429, 500, 502, 503, 504] {
            assert!(p.should_retry(1, &response(status)), "{status}");
        }
        for status in [200, 301, 400, 401, 403, 404, 501] {
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
            max_retry_after: Duration::from_secs(30),
        };
        let ms = Duration::from_millis;
        assert_eq!(p.backoff_ceiling(1), ms(100));
        assert_eq!(p.backoff_ceiling(2), ms(200));
        assert_eq!(p.backoff_ceiling(3), ms(400));
        assert_eq!(p.backoff_ceiling(5), ms(1000), "capped");
        assert_eq!(p.backoff_ceiling(u32::MAX), ms(1000), "no overflow");
        // full jitter: anywhere from zero to the ceiling
        assert_eq!(p.delay_with_jitter(3, None, 0.0), Duration::ZERO);
        assert_eq!(p.delay_with_jitter(3, None, 0.5), ms(200));
        assert_eq!(p.delay_with_jitter(3, None, 1.0), ms(400));
        assert_eq!(p.delay_with_jitter(3, None, 7.0), ms(400), "clamped");
        for _ in 0..200 {
            assert!(p.delay(1, None) <= ms(100));
            assert!(p.delay(3, None) <= ms(400));
            assert!(p.delay(30, None) <= ms(1000));
        }
        // the random draws are spread, not pinned to the ceiling
        assert!((0..200).any(|_| p.delay(4, None) < ms(400)));
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(60))),
            Duration::from_secs(30)
        );
    }

    fn oauth(
        status: u16,
        code: &str,
        retry_after: Option<&str>,
    ) -> Result<HttpResponse, TransportError> {
        let mut r = HttpResponse::new(format!(r#"{{"error":"{code}"}}"#).into());
        *r.status_mut() = StatusCode::from_u16(status).unwrap();
        if let Some(v) = retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, v.parse().unwrap());
        }
        Ok(r)
    }

    #[test]
    fn oauth_error_bodies_decide_before_the_status() {
        let p = RetryPolicy::default();
        assert!(p.should_retry(1, &oauth(503, "temporarily_unavailable", None)));
        assert!(p.should_retry(1, &oauth(400, "temporarily_unavailable", None)));
        assert!(p.should_retry(1, &oauth(429, "slow_down", None)));
        // the device flow's slow_down (400) is the flow's to handle
        assert!(!p.should_retry(1, &oauth(400, "slow_down", None)));
        assert!(!p.should_retry(1, &oauth(400, "authorization_pending", None)));
        for code in [
            "invalid_client",
            "invalid_grant",
            "invalid_request",
            "invalid_scope",
        ] {
            for status in [400, 401, 500, 503] {
                assert!(
                    !p.should_retry(1, &oauth(status, code, None)),
                    "{code} {status}"
                );
            }
        }
        assert!(p.should_retry(1, &oauth(500, "server_error", None)));
        assert!(!p.should_retry(1, &oauth(401, "unauthorized_client", None)));
        assert!(!p.should_retry(1, &oauth(403, "access_denied", None)));
    }

    #[test]
    fn retry_after_beyond_the_cap_stops_the_loop() {
        let p = RetryPolicy::default();
        let now = SystemTime::now();
        assert_eq!(
            p.next_wait(1, &oauth(429, "slow_down", Some("2")), now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            p.next_wait(1, &oauth(503, "temporarily_unavailable", Some("30")), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(p.next_wait(1, &oauth(503, "x", Some("31")), now), None);
        assert_eq!(
            p.next_wait(3, &oauth(503, "x", Some("1")), now),
            None,
            "no attempt left"
        );
        assert_eq!(
            p.next_wait(1, &oauth(400, "invalid_client", None), now),
            None
        );
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            RetryPolicy::parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            RetryPolicy::parse_retry_after(" 0 ", now),
            Some(Duration::ZERO)
        );
        // Sun, 06 Nov 1994 08:49:37 GMT is 784111777
        assert_eq!(
            RetryPolicy::parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            RetryPolicy::parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            RetryPolicy::parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(RetryPolicy::parse_retry_after("soon", now), None);
        assert_eq!(RetryPolicy::parse_retry_after("", now), None);
        assert_eq!(RetryPolicy::parse_retry_after("1.5", now), None);
        let mut response = HttpResponse::new(Default::default());
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(
            RetryPolicy::retry_after(&response, now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            RetryPolicy::retry_after(&HttpResponse::new(Default::default()), now),
            None
        );
        assert_eq!(RetryPolicy::parse_retry_after("-5", now), None);
    }

    proptest::proptest! {
        #[test]
        fn retry_after_never_panics(value in "\\PC{0,40}") {
            let _ = RetryPolicy::parse_retry_after(&value, SystemTime::now());
        }

        #[test]
        fn delta_seconds_round_trip(secs in 0u64..=u64::from(u32::MAX), pad in " {0,2}") {
            let value = format!("{pad}{secs}{pad}");
            proptest::prop_assert_eq!(
                RetryPolicy::parse_retry_after(&value, SystemTime::now()),
                Some(Duration::from_secs(secs))
            );
        }

        #[test]
        fn http_dates_are_relative_to_now(now_secs in 0u64..4_000_000_000, ahead in 0u64..100_000) {
            let now = UNIX_EPOCH + Duration::from_secs(now_secs);
            let date = httpdate::fmt_http_date(now + Duration::from_secs(ahead));
            proptest::prop_assert_eq!(
                RetryPolicy::parse_retry_after(&date, now),
                Some(Duration::from_secs(ahead))
            );
        }

        #[test]
        fn delays_stay_within_the_ceiling(attempt in 1u32..64, unit in 0.0f64..=1.0) {
            let p = RetryPolicy::default();
            let wait = p.delay_with_jitter(attempt, None, unit);
            proptest::prop_assert!(wait <= p.backoff_ceiling(attempt));
            proptest::prop_assert!(wait <= p.max_delay);
        }
    }
}
