//! Running blocking backend calls (file system, embedded databases) without blocking the async executor.

use tokio::task::JoinError;

use crate::error::{ErrorKind, StorageError};

/// Runs `work` on Tokio's blocking thread pool when called inside a Tokio runtime, and on the calling
/// thread otherwise (then it blocks that thread, as any synchronous call does). For adapters whose backend
/// API is synchronous, such as the file system or sled.
///
/// Dropping the returned future does not stop `work`: a write that has started finishes. If `work` panics
/// or the runtime shuts down first, the result is an [`ErrorKind::Other`] error from `backend` saying that
/// it could not `action`.
///
/// ```
/// # tokio::runtime::Builder::new_multi_thread().build().unwrap().block_on(async {
/// let len = session_core::run_blocking("file", "read my.session", || 42).await?;
/// assert_eq!(len, 42);
/// # Ok::<(), session_core::StorageError>(())
/// # }).unwrap();
/// ```
pub async fn run_blocking<T, F>(
    backend: &'static str,
    action: &str,
    work: F,
) -> Result<T, StorageError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime
            .spawn_blocking(work)
            .await
            .map_err(|err| task_failed(err, backend, action)),
        Err(_) => Ok(work()),
    }
}

/// The error of a blocking task that panicked or was cancelled by a runtime shutdown.
fn task_failed(err: JoinError, backend: &'static str, action: &str) -> StorageError {
    let why = if err.is_panic() {
        "the blocking task panicked"
    } else {
        "the async runtime is shutting down"
    };
    StorageError::new(ErrorKind::Other, backend, format!("cannot {action}: {why}")).with_source(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_inline_without_a_runtime() {
        let thread = std::thread::current().id();
        let ran_on = poll_to_completion(run_blocking("test", "test", move || {
            std::thread::current().id()
        }));
        assert_eq!(ran_on.unwrap(), thread);
    }

    #[tokio::test]
    async fn runs_on_the_blocking_pool_inside_a_runtime() {
        let thread = std::thread::current().id();
        let ran_on = run_blocking("test", "test", move || std::thread::current().id()).await;
        assert_ne!(ran_on.unwrap(), thread);
    }

    #[tokio::test]
    async fn a_panic_becomes_an_error() {
        let err = run_blocking("sled", "store slot \"a\"", || -> () { panic!("boom") })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other);
        assert_eq!(
            err.to_string(),
            "sled: other error: cannot store slot \"a\": the blocking task panicked"
        );
    }

    /// Polls `future` to completion on this thread without any runtime.
    fn poll_to_completion<F: std::future::Future>(future: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut future = std::pin::pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
        }
    }
}
