//! The cache's error: what the supplier said, shared by every waiter.

use std::sync::Arc;
use std::time::Duration;

/// A boxed supplier error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why the cache could not hand out a value. Cloneable: one refresh failure
/// is handed to every caller that waited for it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The supplier failed; every waiter of that refresh gets this same error.
    #[error("refreshing the cached value failed: {0}")]
    Refresh(#[source] Arc<dyn std::error::Error + Send + Sync + 'static>),
    /// The supplier panicked; the next call retries.
    #[error("the value supplier panicked: {0}")]
    Panicked(String),
    /// No value arrived within the blocking wait limit.
    #[error("no value within {0:?}: the refresh is still running; retry later")]
    Timeout(Duration),
}

impl CacheError {
    /// The supplier's own error, for `Refresh`.
    pub fn supplier_error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            Self::Refresh(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

/// A failure the supplier reports, with an optional hint of when to retry
/// (an HTTP `Retry-After`).
#[derive(Debug)]
pub struct SupplierError {
    /// What failed.
    pub error: BoxError,
    /// Do not retry before this long has passed.
    pub retry_after: Option<Duration>,
}

impl SupplierError {
    /// Wraps an error without a retry hint.
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
