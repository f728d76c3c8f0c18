//! [`Get`]: the future of [`CachedSupplier::get`](crate::CachedSupplier::get),
//! ready on its first poll when the call was a hit.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::cached::Cached;
use crate::error::CacheError;

type Slow<T> = Pin<Box<dyn Future<Output = Result<Cached<T>, CacheError>> + Send>>;

/// The future of [`CachedSupplier::get`](crate::CachedSupplier::get).
///
/// On a hit it already holds the value — no allocation, ready on its first
/// poll; otherwise it drives the slow path (one boxed future). It owns what it
/// needs: `'static`, `Send` and `Unpin`, so it can be stored or spawned.
#[must_use = "futures do nothing unless polled"]
pub struct Get<T> {
    state: State<T>,
}

enum State<T> {
    Hit(Option<Cached<T>>),
    Slow(Slow<T>),
}

impl<T> Get<T> {
    #[inline]
    pub(crate) fn hit(value: Cached<T>) -> Self {
        Self {
            state: State::Hit(Some(value)),
        }
    }

    pub(crate) fn slow(
        future: impl Future<Output = Result<Cached<T>, CacheError>> + Send + 'static,
    ) -> Self {
        Self {
            state: State::Slow(Box::pin(future)),
        }
    }
}

impl<T> Future for Get<T> {
    type Output = Result<Cached<T>, CacheError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().state {
            State::Hit(value) => {
                Poll::Ready(Ok(value.take().expect("Get polled after completion")))
            }
            State::Slow(future) => future.as_mut().poll(cx),
        }
    }
}

impl<T> fmt::Debug for Get<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Hit(_) => "hit",
            State::Slow(_) => "refreshing",
        };
        f.debug_struct("Get").field("state", &state).finish()
    }
}
