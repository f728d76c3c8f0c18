//! [`Cached`]: a cached value handed out without copying it.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use arc_swap::Guard;

use crate::timing::Timing;

/// One stored value with its times.
pub(crate) struct Entry<T> {
    pub(crate) value: T,
    pub(crate) timing: Timing,
    /// [`HitClock`](crate::hit_clock::HitClock) reading before which a call is a hit.
    pub(crate) hit_deadline: u64,
    /// Which refresh stored it (1, 2, …): tells a caller whether the value
    /// changed since it looked.
    pub(crate) generation: u64,
}

pub(crate) type Slot<T> = Guard<Option<Arc<Entry<T>>>>;

/// A cached value, borrowed from the cache without copying it; derefs to `T`.
///
/// On a hit it is an `arc-swap` guard: taking it wrote nothing to memory
/// other threads read (no reference count, no lock), which is what keeps hits
/// scaling across cores. The trade-off: it pins the value it points at, and
/// each thread has only a few cheap guard slots (more fall back to a
/// reference count), so hold it briefly — copy out what you keep, do not
/// store it or hold many at once. After a refresh the caller gets the new
/// value by reference count instead (the slow path allocates anyway).
pub struct Cached<T> {
    slot: Slot<T>,
}

impl<T> Cached<T> {
    /// Wraps a loaded slot that holds an entry.
    #[inline]
    pub(crate) fn new(slot: Slot<T>) -> Self {
        debug_assert!(slot.is_some(), "a Cached always holds a value");
        Self { slot }
    }

    /// Wraps a freshly refreshed entry.
    pub(crate) fn owned(entry: Arc<Entry<T>>) -> Self {
        Self {
            slot: Guard::from_inner(Some(entry)),
        }
    }

    #[inline]
    fn entry(&self) -> &Entry<T> {
        self.slot.as_deref().expect("a Cached always holds a value")
    }

    /// The times of this value.
    pub fn timing(&self) -> Timing {
        self.entry().timing
    }
}

impl<T> Deref for Cached<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.entry().value
    }
}

impl<T: fmt::Debug> fmt::Debug for Cached<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}
