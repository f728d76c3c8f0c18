//! Faults a test (or a demo) switches on while the emulator runs: a slow
//! token endpoint, or one that is down. What a real IdP does on a bad day,
//! on loopback, so the SDK's cache and retries can be tested against the
//! emulator rather than a hand-written server.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::server::Reply;

/// The token endpoint's switched-on faults (none by default).
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Milliseconds every token request waits before it is answered.
    token_delay_ms: AtomicU64,
    /// While set, every token request is answered `503 temporarily_unavailable`.
    token_endpoint_down: AtomicBool,
    /// Every request the token endpoint received, whatever its answer.
    token_endpoint_requests: AtomicU64,
}

impl Faults {
    pub(crate) fn set_token_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.token_delay_ms.store(ms, Ordering::SeqCst);
    }

    pub(crate) fn set_token_endpoint_down(&self, down: bool) {
        self.token_endpoint_down.store(down, Ordering::SeqCst);
    }

    pub(crate) fn token_endpoint_requests(&self) -> u64 {
        self.token_endpoint_requests.load(Ordering::SeqCst)
    }

    /// Counts the request, waits the configured delay, then the 503 if the endpoint is down, or
    /// `None`: answer the request normally.
    pub(crate) async fn token_request(&self) -> Option<Reply> {
        self.token_endpoint_requests.fetch_add(1, Ordering::SeqCst);
        let delay = self.token_delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        self.token_endpoint_down.load(Ordering::SeqCst).then(|| {
            crate::token_endpoint::oauth_error(
                503,
                "temporarily_unavailable",
                "the emulator's token endpoint is switched off (Emulator::set_token_endpoint_down)",
            )
        })
    }
}
