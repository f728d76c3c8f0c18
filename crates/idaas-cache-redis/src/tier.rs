//! [`FleetCache`] and [`FleetTier`]: the shared tier between a process's
//! in-process cache and the identity provider, and its single flight across
//! the fleet (see `docs/cache.md` for the sequence).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idaas_core::clock::SharedClock;
use idaas_core::token::Credential;
use rand::RngCore;
use tracing::{Instrument, field};

use crate::counters::FleetCounters;
use crate::entry::Entry;
use crate::error::Error;
use crate::key::{CacheKey, EntryId};
use crate::link::{COMPARE_AND_DELETE, Link, Unavailable, next_message};
use crate::options::FleetOptions;

/// One process's handle on the fleet cache: the Redis connection, the key,
/// the counters. Build one per process (per Redis) and take a
/// [`FleetTier`] per token from it. Cheap to clone.
#[derive(Clone)]
pub struct FleetCache {
    shared: Arc<Shared>,
}

struct Shared {
    link: Arc<Link>,
    key: CacheKey,
    clock: SharedClock,
}

impl fmt::Debug for FleetCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FleetCache")
            .field("options", self.shared.link.options())
            .field("counters", &self.shared.link.counters.snapshot())
            .finish_non_exhaustive()
    }
}

impl FleetCache {
    /// A fleet cache on the Redis of `options`, sealing under `key`.
    ///
    /// Connects lazily: an unreachable Redis is not an error here (nor
    /// later). Must be called inside a tokio runtime.
    pub fn new(options: FleetOptions, key: CacheKey, clock: SharedClock) -> Result<Self, Error> {
        let counters = FleetCounters::new(options.count_l1_hits);
        let link = Link::new(options, counters)?;
        Ok(Self {
            shared: Arc::new(Shared {
                link: Arc::new(link),
                key,
                clock,
            }),
        })
    }

    /// The tier of one token (one client, scope and audience).
    pub fn tier(&self, id: &EntryId) -> FleetTier {
        let name = self.shared.key.entry_name(id);
        FleetTier {
            shared: self.shared.clone(),
            lock: format!("{name}:lock"),
            channel: format!("{name}:ready"),
            name,
            unopenable_logged: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The counters of every tier of this cache.
    pub fn counters(&self) -> &FleetCounters {
        &self.shared.link.counters
    }

    /// Whether Redis is currently in use (`false` during an outage).
    pub fn is_available(&self) -> bool {
        self.shared.link.usable()
    }
}

/// The shared tier of one token: what an in-process cache calls on a miss
/// or a refresh-ahead instead of the identity provider.
///
/// [`fetch`](Self::fetch) takes the shared entry when it is fresh; else one
/// process in the fleet (the lock holder) calls the IdP and shares the
/// result, the others wait for it. Redis never makes it fail: when Redis is
/// down, slow or refuses, it calls the IdP as if there were no fleet tier.
#[derive(Clone)]
pub struct FleetTier {
    shared: Arc<Shared>,
    name: String,
    lock: String,
    channel: String,
    unopenable_logged: Arc<AtomicBool>,
}

impl fmt::Debug for FleetTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FleetTier")
            .field("entry", &self.name)
            .finish_non_exhaustive()
    }
}

/// What a read of the shared entry found.
enum Found {
    Fresh(Credential),
    /// Missing, due for a refresh, or not ours.
    Nothing,
}

impl FleetTier {
    /// The counters of the cache this tier belongs to.
    pub fn counters(&self) -> &FleetCounters {
        &self.shared.link.counters
    }

    /// The Redis key of the entry (an HMAC: it names no client or scope).
    pub fn entry_name(&self) -> &str {
        &self.name
    }

    /// A fresh credential: the shared one, or from `idp` — called at most
    /// once, by at most one process of the fleet per refresh while Redis
    /// works, and by this process alone when it does not. Only `idp`'s error
    /// is ever returned.
    pub async fn fetch<F, Fut, E>(&self, idp: F) -> Result<Credential, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Credential, E>>,
    {
        let link = &self.shared.link;
        if !link.usable() {
            return self.alone(idp).await;
        }
        match self.read().await {
            Err(Unavailable) => return self.alone(idp).await,
            Ok(Found::Fresh(credential)) => return Ok(credential),
            Ok(Found::Nothing) => {}
        }
        let fence = fence();
        match self.try_lock(&fence).await {
            Err(Unavailable) => return self.alone(idp).await,
            Ok(Lock::Ours) => return self.lead(idp, fence).await,
            Ok(Lock::HeldBy(holder)) => self.wait(idp, holder).await,
        }
    }

    /// Another process refreshes: wait for its entry (its publish wakes us;
    /// we also re-read every poll interval), taking over the lock if its
    /// lease runs out. The wait lasts at most one lease per holder and two
    /// holders: the one found first and, if it dies, the process that took
    /// the lock over from it — so a takeover near the end of our first
    /// lease does not send every waiter to the IdP at once.
    async fn wait<F, Fut, E>(&self, idp: F, first: Option<String>) -> Result<Credential, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Credential, E>>,
    {
        let link = &self.shared.link;
        let options = link.options();
        link.counters.lock_wait();
        let mut deadline = Instant::now() + options.lease;
        let mut holder = first;
        let mut extended = false;
        let mut subscription = link.subscribe(&self.channel).await.ok();
        let span = tracing::debug_span!("l2.wait", outcome = field::Empty);
        async {
            loop {
                match self.read().await {
                    Err(Unavailable) => {
                        tracing::Span::current().record("outcome", "redis unavailable");
                        return self.alone(idp).await;
                    }
                    Ok(Found::Fresh(credential)) => {
                        tracing::Span::current().record("outcome", "shared");
                        return Ok(credential);
                    }
                    Ok(Found::Nothing) => {}
                }
                let fence = fence();
                match self.try_lock(&fence).await {
                    Err(Unavailable) => return self.alone(idp).await,
                    Ok(Lock::Ours) => {
                        tracing::Span::current().record("outcome", "took over the lock");
                        return self.lead(idp, fence).await;
                    }
                    Ok(Lock::HeldBy(Some(now_held_by))) => {
                        let successor = holder.as_ref().is_some_and(|was| *was != now_held_by);
                        if successor && !extended {
                            // the first holder died and another took over:
                            // one more lease for that one's fetch
                            extended = true;
                            deadline = Instant::now() + options.lease;
                        }
                        holder = Some(now_held_by);
                    }
                    Ok(Lock::HeldBy(None)) => {}
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    tracing::Span::current().record("outcome", "lease over");
                    tracing::warn!(
                        lease = ?options.lease,
                        "no shared token within the lock lease: this process asks the identity provider itself"
                    );
                    return self.alone(idp).await;
                }
                let pause = options.poll_interval.min(left);
                let woken = match subscription.as_mut() {
                    Some(sub) => next_message(sub, pause).await,
                    None => false,
                };
                if !woken {
                    subscription = None;
                    tokio::time::sleep(pause).await;
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Holding the lock: fetch, then share, unlock and publish in one round
    /// trip (within the GET timeout: an outage costs no more here either).
    async fn lead<F, Fut, E>(&self, idp: F, fence: String) -> Result<Credential, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Credential, E>>,
    {
        let link = &self.shared.link;
        // The lock may be ours because its last holder has just shared its
        // entry and unlocked, after our read found nothing: its SET of the
        // entry came before its unlock, so reading now finds it.
        if let Ok(Found::Fresh(credential)) = self.read().await {
            let mut unlock = redis::pipe();
            self.unlock(&mut unlock, &fence);
            let _ = link
                .pipeline::<()>("unlock", &unlock, link.options().get_timeout)
                .await;
            return Ok(credential);
        }
        link.counters.idp_request();
        let span = tracing::debug_span!("l2.publish", outcome = field::Empty);
        let mut pipe = redis::pipe();
        let outcome = match idp().await {
            Ok(credential) => {
                let now = self.shared.clock.now();
                let entry = Entry::received(credential, now);
                if let Some(ttl) = entry.time_to_live(now) {
                    let sealed = self.shared.key.seal(&self.name, &entry.to_plain());
                    let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
                    pipe.cmd("SET")
                        .arg(&self.name)
                        .arg(sealed)
                        .arg("PX")
                        .arg(ttl_ms)
                        .ignore();
                }
                Ok(entry.credential)
            }
            Err(e) => Err(e),
        };
        // unlock only if still ours, then wake the waiters (on failure too:
        // one of them takes the lock and tries)
        self.unlock(&mut pipe, &fence);
        pipe.cmd("PUBLISH").arg(&self.channel).arg(1);
        let woke = link
            .pipeline::<(i64,)>("publish", &pipe, link.options().get_timeout)
            .instrument(span.clone())
            .await;
        match (&outcome, woke) {
            (Ok(_), Ok((n,))) => span.record("outcome", format!("shared, {n} woken").as_str()),
            (Err(_), Ok(_)) => span.record("outcome", "idp failed, unlocked"),
            (_, Err(_)) => span.record("outcome", "error"),
        };
        outcome
    }

    /// Adds to `pipe` the deletion of our lock, only if `fence` still holds
    /// it (a Lua compare-and-delete); its answer is ignored.
    fn unlock(&self, pipe: &mut redis::Pipeline, fence: &str) {
        pipe.cmd("EVAL")
            .arg(COMPARE_AND_DELETE)
            .arg(1)
            .arg(&self.lock)
            .arg(fence)
            .ignore();
    }

    /// Without the fleet: this process asks the IdP (its own in-process
    /// single flight keeps that to one request per refresh).
    async fn alone<F, Fut, E>(&self, idp: F) -> Result<Credential, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Credential, E>>,
    {
        self.shared.link.counters.idp_request();
        idp().await
    }

    /// `GET` the shared entry and judge it.
    async fn read(&self) -> Result<Found, Unavailable> {
        let link = &self.shared.link;
        let span = tracing::debug_span!("l2.get", outcome = field::Empty);
        let mut get = redis::cmd("GET");
        get.arg(&self.name);
        let value = link
            .query::<Option<Vec<u8>>>("get", &get, link.options().get_timeout)
            .instrument(span.clone())
            .await;
        let found = match value {
            Err(Unavailable) => {
                span.record("outcome", "error");
                return Err(Unavailable);
            }
            Ok(None) => {
                span.record("outcome", "miss");
                Found::Nothing
            }
            Ok(Some(sealed)) => match self.open(&sealed) {
                None => {
                    span.record("outcome", "unopenable");
                    Found::Nothing
                }
                Some(entry) if entry.is_fresh(self.shared.clock.now()) => {
                    span.record("outcome", "hit");
                    link.counters.l2_hit();
                    Found::Fresh(entry.credential)
                }
                Some(_) => {
                    span.record("outcome", "due");
                    Found::Nothing
                }
            },
        };
        Ok(found)
    }

    fn open(&self, sealed: &[u8]) -> Option<Entry> {
        let entry = self
            .shared
            .key
            .open(&self.name, sealed)
            .and_then(Entry::from_plain);
        if entry.is_none() && !self.unopenable_logged.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                entry = %self.name,
                "a shared token entry does not open under this process's token cache key (another key, or altered): ignored; check that the fleet shares IDAAS_TOKEN_CACHE_KEY"
            );
        }
        entry
    }

    /// `SET lock fence NX PX lease` and `GET lock` in one round trip: whether
    /// we hold it now, else whose fence it holds (`None`: it was released
    /// between the two commands).
    async fn try_lock(&self, fence: &str) -> Result<Lock, Unavailable> {
        let link = &self.shared.link;
        let lease_ms = u64::try_from(link.options().lease.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        // a pipeline, not `SET … NX GET` (Redis 7 only): Redis 6 and
        // Valkey answer it the same
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(&self.lock)
            .arg(fence)
            .arg("NX")
            .arg("PX")
            .arg(lease_ms)
            .cmd("GET")
            .arg(&self.lock);
        let span = tracing::debug_span!("l2.lock", outcome = field::Empty);
        let lock = link
            .pipeline::<(Option<String>, Option<String>)>("lock", &pipe, link.options().get_timeout)
            .instrument(span.clone())
            .await
            .map(|(set, holder)| match set {
                Some(_) => Lock::Ours,
                None => Lock::HeldBy(holder),
            });
        span.record(
            "outcome",
            match lock {
                Ok(Lock::Ours) => "acquired",
                Ok(Lock::HeldBy(_)) => "held by another process",
                Err(_) => "error",
            },
        );
        lock
    }
}

/// What a lock attempt found.
enum Lock {
    /// We hold it.
    Ours,
    /// Another process does (its fence, if it still held it a moment later).
    HeldBy(Option<String>),
}

/// A random fencing value: only its holder can release the lock.
fn fence() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
