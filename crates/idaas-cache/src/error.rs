//! The cache's error — one refresh outcome shared by every waiter — and the
//! supplier's failure report.

use std::sync::Arc;
use std::time::Duration;

/// A boxed supplier error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why the cache could not hand out a value.
///
/// Cloneable: the outcome of one refresh is handed to every caller that
/// waited for it, and answered from the negative cache until the next retry.
/// Never carries the cached value (a token) in its text.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The supplier failed (every waiter of that refresh gets this same
    /// error; it is retried after a backoff, within a second while no valid
    /// value is cached). Transparent: its text and causes are the supplier
    /// error's, so a printed chain shows them once.
    #[error(transparent)]
    Refresh(Arc<dyn std::error::Error + Send + Sync + 'static>),
    /// The supplier panicked: a bug in the supplier. Not backed off: the next
    /// call retries.
    #[error("the value supplier panicked ({0}); the next call retries")]
    Panicked(String),
    /// No value arrived within the blocking wait limit; the refresh goes on.
    #[error(
        "no value within {0:?}: the refresh is still running (slow identity provider?); retry later or raise the blocking wait"
    )]
    Timeout(Duration),
    /// The supplier returned a value that had already expired.
    #[error(
        "the supplier returned a value that had already expired (expires_at ≤ now): check the system clock and the server's expires_in"
    )]
    ExpiredValue,
    /// A refresh was needed outside a tokio runtime.
    #[error(
        "refreshing the cached value needs a tokio runtime (with time enabled): call it from async code running on tokio"
    )]
    NoRuntime,
    /// The refresh task was cancelled because its tokio runtime shut down.
    #[error("the refresh was cancelled because its tokio runtime shut down; retry")]
    Cancelled,
}

impl CacheError {
    /// The supplier's own error, for [`CacheError::Refresh`]: downcast it to
    /// tell, e.g., an OAuth `invalid_client` from a timeout.
    pub fn supplier_error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            Self::Refresh(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

/// A failed refresh as the supplier reports it, with an optional hint of
/// when to retry (an HTTP `Retry-After`).
#[derive(Debug)]
pub struct SupplierError {
    /// What failed.
    pub error: BoxError,
    /// Do not retry before this long has passed (capped by
    /// [`CacheOptions::max_retry_after`](crate::CacheOptions::max_retry_after)).
    pub retry_after: Option<Duration>,
}

impl SupplierError {
    /// Wraps an error, without a retry hint.
    pub fn new(error: impl Into<BoxError>) -> Self {
        Self {
            error: error.into(),
            retry_after: None,
        }
    }

    /// Adds a retry hint.
    pub fn retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for SupplierError {
    fn from(error: E) -> Self {
        Self::new(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_failed() {
        let e = CacheError::Refresh(Arc::new(std::io::Error::other("idp down")));
        assert_eq!(e.to_string(), "idp down");
        assert!(e.supplier_error().is_some());
        // transparent: the supplier's causes, not the supplier again
        assert!(std::error::Error::source(&e).is_none());
        #[derive(Debug, thiserror::Error)]
        #[error("token endpoint failed")]
        struct Outer(#[source] std::io::Error);
        let deep = CacheError::Refresh(Arc::new(Outer(std::io::Error::other("cause"))));
        let source = std::error::Error::source(&deep).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("cause"), "{deep}");
        let t = CacheError::Timeout(Duration::from_secs(5));
        assert!(t.to_string().contains("5s"), "{t}");
        assert!(t.supplier_error().is_none());
        let s = SupplierError::from(std::io::Error::other("x")).retry_after(Duration::from_secs(3));
        assert_eq!(s.retry_after, Some(Duration::from_secs(3)));
    }
}
