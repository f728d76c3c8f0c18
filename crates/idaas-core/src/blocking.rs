//! The one guard of the blocking APIs (`idaas_credentials::blocking`,
//! `idaas_oauth::blocking`): each runs its futures on a private runtime, which
//! on a thread that already drives a tokio runtime would block that
//! runtime's worker (or panic in `block_on`). They call [`outside_runtime`]
//! first and turn its error into their own.

/// The blocking API was called on a thread that runs an async runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a blocking API was called inside an async runtime")]
pub struct InsideRuntime;

/// `Ok` when the calling thread drives no tokio runtime, so blocking on a
/// private one is safe.
pub fn outside_runtime() -> Result<(), InsideRuntime> {
    match tokio::runtime::Handle::try_current() {
        Ok(_) => Err(InsideRuntime),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_a_runtime_is_refused_outside_is_not() {
        assert_eq!(outside_runtime(), Ok(()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(
            runtime.block_on(async { outside_runtime() }),
            Err(InsideRuntime)
        );
        let _entered = runtime.enter();
        assert_eq!(outside_runtime(), Err(InsideRuntime));
    }
}
