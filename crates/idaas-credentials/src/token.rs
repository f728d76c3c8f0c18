//! [`BearerToken`]: the access token a provider hands out, borrowed from its
//! cache without copying it; [`TokenFuture`]: the future of
//! `bearer_token()`, ready at once on a cache hit.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use idaas_cache::Cached;
use idaas_core::SecretString;
use idaas_core::token::Credential;

use crate::error::Error;

/// The current access token of a provider, with the credential it belongs to.
///
/// Handed out without copying the token: on a cache hit it *borrows* the
/// cached credential through a lock-free guard (nothing is allocated, no
/// reference count shared with other threads is touched), which is what
/// keeps hits as cheap as the cache itself and scaling across cores. The
/// lifetime story: it keeps the credential it points at alive, and each
/// thread has a few cheap guard slots (more held at once fall back to a
/// reference count), so hold it for a request, not for the life of the
/// program — [`to_secret`](Self::to_secret) copies the token out when it
/// must be kept. It is `Send` and `'static`: it can be held across an
/// `.await`.
///
/// Never prints the secret: its `Debug` shows `BearerToken(***)`, and it has
/// no `Display`.
pub struct BearerToken {
    inner: Inner,
}

enum Inner {
    /// Borrowed from a provider's cache.
    Cached(Cached<Arc<Credential>>),
    /// A credential shared by reference count (a static provider, a
    /// provider without a cache of its own).
    Shared(Arc<Credential>),
}

impl BearerToken {
    pub(crate) fn cached(cached: Cached<Arc<Credential>>) -> Self {
        Self {
            inner: Inner::Cached(cached),
        }
    }

    /// The token of `credential`.
    pub fn shared(credential: Arc<Credential>) -> Self {
        Self {
            inner: Inner::Shared(credential),
        }
    }

    /// The credential this token belongs to (its expiry, scope, type).
    pub fn credential(&self) -> &Credential {
        match &self.inner {
            Inner::Cached(cached) => cached,
            Inner::Shared(shared) => shared,
        }
    }

    /// The token itself, to put in an `Authorization: Bearer` header.
    pub fn expose_secret(&self) -> &str {
        self.credential().access_token.expose_secret()
    }

    /// The token as an owned secret (a copy), to keep beyond a request.
    pub fn to_secret(&self) -> SecretString {
        self.credential().access_token.clone()
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(***)")
    }
}

/// Compares the tokens in constant time.
impl PartialEq for BearerToken {
    fn eq(&self, other: &Self) -> bool {
        self.credential().access_token == other.credential().access_token
    }
}

impl Eq for BearerToken {}

/// Compares the tokens in constant time.
impl PartialEq<SecretString> for BearerToken {
    fn eq(&self, other: &SecretString) -> bool {
        self.credential().access_token == *other
    }
}

impl From<BearerToken> for SecretString {
    fn from(token: BearerToken) -> Self {
        token.to_secret()
    }
}

type Slow<'a> = Pin<Box<dyn Future<Output = Result<BearerToken, Error>> + Send + 'a>>;

/// The future of `bearer_token()`.
///
/// On a cache hit it already holds the token: no allocation, ready on its
/// first poll (the hit was decided when `bearer_token()` was called).
/// Otherwise it drives the provider's refresh (one boxed future). `Send` and
/// `Unpin`.
#[must_use = "futures do nothing unless polled"]
pub struct TokenFuture<'a> {
    state: State<'a>,
}

enum State<'a> {
    Ready(Option<BearerToken>),
    Pending(Slow<'a>),
}

impl<'a> TokenFuture<'a> {
    /// A future ready with `token`.
    pub fn ready(token: BearerToken) -> Self {
        Self {
            state: State::Ready(Some(token)),
        }
    }

    /// A future that runs `slow` (a refresh).
    pub fn pending(slow: impl Future<Output = Result<BearerToken, Error>> + Send + 'a) -> Self {
        Self {
            state: State::Pending(Box::pin(slow)),
        }
    }
}

impl Future for TokenFuture<'_> {
    type Output = Result<BearerToken, Error>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().state {
            State::Ready(token) => Poll::Ready(Ok(token
                .take()
                .expect("TokenFuture polled after completion"))),
            State::Pending(slow) => slow.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for TokenFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Ready(_) => "ready",
            State::Pending(_) => "refreshing",
        };
        f.debug_struct("TokenFuture")
            .field("state", &state)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_token_and_compares_it() {
        let token = BearerToken::shared(Arc::new(Credential::bearer("s3cr3t", Some(10))));
        assert_eq!(format!("{token:?}"), "BearerToken(***)");
        assert_eq!(token.expose_secret(), "s3cr3t");
        assert_eq!(token, SecretString::from("s3cr3t"));
        assert_eq!(token.credential().expires_at, Some(10));
        let other = BearerToken::shared(Arc::new(Credential::bearer("other", None)));
        assert_ne!(token, other);
        assert_eq!(SecretString::from(token).expose_secret(), "s3cr3t");
        let ready = TokenFuture::ready(other);
        assert!(format!("{ready:?}").contains("ready"));
    }
}
