//! Refresh-ahead token cache with single-flight refresh and stale-if-error.
//!
//! The cache decides how often the identity provider is called and how long
//! callers wait. A hit is one lock-free load and a coarse clock read; a
//! refresh runs once per expiry however many callers ask, before the value
//! goes stale, and its outcome — a failure too — is shared by all of them
//! instead of being retried one after another. See `docs/cache.md` for the
//! timeline of what callers see.
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
//! // the reference SDK's behaviour: past the stale time callers wait
//! let cache = CachedSupplier::new(CacheOptions::reference(), Arc::new(clock.clone()), move || {
//!     // the supplier: fetch a token, say when to refresh it
//!     let (now, i) = (c.now(), n.fetch_add(1, Ordering::SeqCst));
//!     async move {
//!         let expires_in = Duration::from_secs(3600);
//!         Ok::<_, SupplierError>(Refreshed {
//!             value: format!("token-{i}"),
//!             timing: Timing::for_token(now, now + expires_in, expires_in),
//!         })
//!     }
//! });
//! assert_eq!(*cache.get().await.unwrap(), "token-0"); // the first fetch
//! assert_eq!(*cache.get().await.unwrap(), "token-0"); // a hit
//! assert!(cache.try_hit().is_some());                 // the same, synchronously
//! clock.advance(Duration::from_secs(3000));           // past the stale time
//! assert_eq!(*cache.get().await.unwrap(), "token-1"); // waited for one refresh
//! assert_eq!(calls.load(Ordering::SeqCst), 2);
//! # });
//! ```
//!
//! - [`CachedSupplier`] — one value: its [`Timing`], the
//!   [`PrefetchStrategy`] and [`StaleBehavior`] in [`CacheOptions`];
//!   [`Cached`] hands the value out without copying it; [`Get`] is the
//!   future of a call.
//! - [`KeyedCache`] — one supplier per key (scope, audience), bounded, each
//!   entry living as long as its token, on `moka`.
//! - [`Timing::lifetime_aware`] — the default windows (half the lifetime
//!   ahead for short tokens, no token served in its last second);
//!   [`Timing::for_token`] — the reference SDK's; both with jitter that only
//!   ever moves a refresh earlier. [`CacheOptions::token_timing`] picks one.
//! - [`CacheError`] — the shared outcome of a failed refresh;
//!   [`SupplierError`] — what a supplier reports, with a `Retry-After` hint.
//! - [`coarse`] — the cheap real-time clock the hit path reads.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cached;
pub mod coarse;
mod configured;
mod error;
mod flight;
mod get;
mod hit_clock;
mod keyed;
mod options;
mod supplier;
mod timing;

pub use cached::Cached;
pub use error::{BoxError, CacheError, SupplierError};
pub use get::Get;
pub use keyed::KeyedCache;
pub use options::{CacheOptions, PrefetchStrategy, RefreshWindows, StaleBehavior};
pub use supplier::{CachedSupplier, Refreshed};
pub use timing::{EXPIRY_MARGIN, JITTER_SHARE, MAX_JITTER, SHORT_TOKEN_LEAD, Timing, Window};
