//! Refresh-ahead token cache with single-flight refresh and stale-if-error.
//!
//! The cache decides how often the identity provider is called and how long
//! callers wait. A hit is a lock-free load and a clock read; a refresh runs
//! once per expiry however many callers ask, and its failure is shared by all
//! of them instead of being retried one after another. See `docs/cache.md`
//! for the timeline of what callers see.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::time::Duration;
//! use idaas_cache::{CacheOptions, CachedSupplier, Refreshed, SupplierError, Timing};
//! use idaas_core::clock::{Clock, ManualClock};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let clock = ManualClock::at_secs(1_000);
//! let calls = Arc::new(AtomicU32::new(0));
//! let (c, n) = (clock.clone(), calls.clone());
//! let cache = CachedSupplier::new(CacheOptions::default(), Arc::new(clock.clone()), move || {
//!     let (now, n) = (c.now(), n.clone());
//!     async move {
//!         let i = n.fetch_add(1, Ordering::SeqCst);
//!         let expires_at = now + Duration::from_secs(3600);
//!         Ok::<_, SupplierError>(Refreshed {
//!             value: format!("token-{i}"),
//!             timing: Timing::for_token(now, expires_at, Duration::from_secs(3600)),
//!         })
//!     }
//! });
//! assert_eq!(*cache.get().await.unwrap(), "token-0");
//! assert_eq!(*cache.get().await.unwrap(), "token-0"); // a hit
//! clock.advance(Duration::from_secs(3000));            // past stale time
//! assert_eq!(*cache.get().await.unwrap(), "token-1");
//! assert_eq!(calls.load(Ordering::SeqCst), 2);
//! # });
//! ```
//!
//! - [`CachedSupplier`] — one value, its [`Timing`], the [`PrefetchStrategy`]
//!   and [`StaleBehavior`];
//! - [`KeyedCache`] — one supplier per key, bounded, on `moka`;
//! - [`Timing::for_token`] — the reference SDK's windows with jitter that
//!   only moves refreshes earlier.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod keyed;
mod supplier;
mod timing;

pub use error::{BoxError, CacheError, SupplierError};
pub use keyed::{KeyedCache, SharedKeyedCache};
pub use supplier::{
    CacheOptions, Cached, CachedSupplier, PrefetchStrategy, Refreshed, StaleBehavior,
};
pub use timing::{JITTER_SHARE, MAX_JITTER, Timing};
