//! The device authorization grant (RFC 8628): a person approves on another
//! device while the client polls, honouring `interval` and `slow_down`.

use std::future::Future;
use std::time::Duration;

use idaas_core::SecretString;
use serde::Deserialize;

use crate::client::OAuthClient;
use crate::error::{Error, OAuthErrorCode};
use crate::form::Form;
use crate::response::{TokenResponse, json_object};

/// `urn:ietf:params:oauth:grant-type:device_code`.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The answer of the device authorization endpoint (RFC 8628 §3.2).
#[derive(Clone, Deserialize)]
pub struct DeviceAuthorization {
    /// `device_code` (secret: it redeems the token).
    pub device_code: SecretString,
    /// `user_code`, shown to the person.
    pub user_code: String,
    /// Where the person goes.
    pub verification_uri: String,
    /// The same with the code filled in (for a QR code).
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    /// Lifetime of the codes, seconds.
    pub expires_in: u64,
    /// Polling interval, seconds (default 5).
    #[serde(default = "default_interval")]
    pub interval: u64,
}

fn default_interval() -> u64 {
    5
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// What one poll decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollStep {
    /// Not approved yet: wait this long and poll again.
    Wait(Duration),
}

/// The next wait after an `authorization_pending` (same interval) or a
/// `slow_down` (interval + 5 s, RFC 8628 §3.5); `None` for any other error.
pub fn next_interval(current: Duration, code: &OAuthErrorCode) -> Option<Duration> {
    match code {
        OAuthErrorCode::AuthorizationPending => Some(current),
        OAuthErrorCode::SlowDown => Some(current + Duration::from_secs(5)),
        _ => None,
    }
}

/// Whether a poll error leaves the flow alive: failures a retry may fix
/// that are not one of the device flow's own codes.
fn transient(error: &Error) -> bool {
    error.is_retryable()
}

impl OAuthClient {
    /// Starts a device authorization at `endpoint`.
    pub async fn device_authorization(
        &self,
        endpoint: &str,
        scope: Option<&str>,
    ) -> Result<DeviceAuthorization, Error> {
        let mut form = Form::new();
        form.push_opt("scope", scope);
        let response = self
            .authenticated_post(endpoint, "device_authorization", form)
            .await?;
        let map = json_object(endpoint, &response)?;
        serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| Error::InvalidResponse {
            endpoint: endpoint.to_owned(),
            reason: format!("not a device authorization response: {e}"),
        })
    }

    /// Polls the token endpoint until the person approves, sleeping with
    /// `sleep` between polls (tokio's sleep in production; tests pass their
    /// own). `authorization_pending` keeps polling, `slow_down` adds 5 s,
    /// `access_denied` and `expired_token` end the flow, and so does the
    /// codes' expiry. A poll that fails in a way a retry may fix (after the
    /// transport's own retries: a connection failure, a 5xx,
    /// `temporarily_unavailable`) is transient: polling goes on at the same
    /// pace until the device code expires, since the person may already
    /// have approved.
    pub async fn poll_device_token<S, F>(
        &self,
        authorization: &DeviceAuthorization,
        sleep: S,
    ) -> Result<TokenResponse, Error>
    where
        S: Fn(Duration) -> F + Send + Sync,
        F: Future<Output = ()> + Send,
    {
        let mut interval = Duration::from_secs(authorization.interval.max(1));
        let mut waited = Duration::ZERO;
        let lifetime = Duration::from_secs(authorization.expires_in);
        loop {
            if waited >= lifetime {
                return Err(Error::Timeout(format!(
                    "the device code expired after {lifetime:?} without approval; start again"
                )));
            }
            sleep(interval).await;
            waited += interval;
            let mut grant = Form::new();
            grant
                .push("grant_type", DEVICE_CODE_GRANT)
                .push_secret("device_code", &authorization.device_code);
            match self.token("device_code", grant).await {
                Ok(token) => return Ok(token),
                Err(error) => {
                    if let Some(next) = error.oauth_code().and_then(|c| next_interval(interval, c))
                    {
                        interval = next;
                    } else if transient(&error) {
                        tracing::warn!(%error, "device poll failed; polling again until the code expires");
                    } else {
                        return Err(error);
                    }
                }
            }
        }
    }

    /// The whole device flow: start, hand the codes to `prompt` (show the
    /// user code, the URL, a QR code), poll until approved.
    pub async fn device_flow(
        &self,
        endpoint: &str,
        scope: Option<&str>,
        prompt: impl FnOnce(&DeviceAuthorization) + Send,
    ) -> Result<TokenResponse, Error> {
        let authorization = self.device_authorization(endpoint, scope).await?;
        prompt(&authorization);
        self.poll_device_token(&authorization, tokio::time::sleep)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_down_adds_five_seconds_and_pending_keeps_the_pace() {
        let s = Duration::from_secs;
        assert_eq!(
            next_interval(s(5), &OAuthErrorCode::AuthorizationPending),
            Some(s(5))
        );
        assert_eq!(next_interval(s(5), &OAuthErrorCode::SlowDown), Some(s(10)));
        assert_eq!(next_interval(s(5), &OAuthErrorCode::AccessDenied), None);
        assert_eq!(next_interval(s(5), &OAuthErrorCode::ExpiredToken), None);
    }
}
