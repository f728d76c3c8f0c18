//! A fleet-shared (L2) token cache on Redis: one identity-provider request
//! per token lifetime for a whole fleet, and nothing lost when Redis fails.
//!
//! The in-process cache (`idaas_cache::CachedSupplier`) stays the first
//! tier: a hit never touches Redis. Its supplier calls [`FleetTier::fetch`]
//! instead of the IdP: the shared entry is taken when fresh; otherwise one
//! process of the fleet takes a lock (`SET NX PX`, a random fencing value),
//! asks the IdP, stores the sealed entry for the token's remaining lifetime,
//! releases its lock (compare-and-delete) and publishes; the others wait for
//! that, at most one lease (two when the holder dies and another process
//! takes its lock over). Redis down, slow or refusing makes it call the
//! IdP as if there were no fleet tier, with one WARN per outage.
//!
//! ```no_run
//! use std::time::Duration;
//! use idaas_cache_redis::{CacheKey, EntryId, FleetCache, FleetOptions};
//! use idaas_core::token::Credential;
//!
//! # async fn ask_the_idp() -> Result<Credential, std::io::Error> { Ok(Credential::bearer("token", Some(3600))) }
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let options = FleetOptions::new("url", "redis://127.0.0.1:6379")?
//!     .with_lease(Duration::from_secs(20));
//! let key = CacheKey::from_base64("IDAAS_TOKEN_CACHE_KEY", &std::env::var("IDAAS_TOKEN_CACHE_KEY")?)?;
//! let fleet = FleetCache::new(options, key, idaas_core::clock::system())?;
//! let tier = fleet.tier(&EntryId {
//!     token_endpoint: "https://idp.example/token".into(),
//!     client_id: "app".into(),
//!     scope: "api|read".into(),
//!     audience: String::new(),
//! });
//! // the in-process cache's supplier: the shared token, or one IdP request for the fleet
//! let credential = tier.fetch(ask_the_idp).await?;
//! println!("{:?}", fleet.counters().snapshot());
//! # Ok(()) }
//! ```
//!
//! - [`FleetCache`] — one per process: connection, key, [`FleetCounters`].
//! - [`FleetTier`] — one per token ([`EntryId`]): the protocol.
//! - [`CacheKey`] — sealing (AES-256-GCM) and naming (HMAC-SHA256) of
//!   entries, from `IDAAS_TOKEN_CACHE_KEY` or a client secret.
//! - [`FleetOptions`] — URL, timeouts, lease, TLS trust.
//! - `server` — a throwaway `redis-server` for tests and benches
//!   (feature `test-server`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod counters;
mod entry;
mod error;
mod key;
mod link;
mod options;
#[cfg(feature = "test-server")]
pub mod server;
mod tier;

pub use counters::{CounterSnapshot, FleetCounters};
pub use error::Error;
pub use key::{CacheKey, EntryId, KEY_ENV, KEY_PREFIX};
pub use options::{DEFAULT_GET_TIMEOUT, DEFAULT_LEASE, FleetOptions, URL_ENV};
pub use tier::{FleetCache, FleetTier};
