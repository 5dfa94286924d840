//! Running sled calls that wait for the disk without blocking the async executor.

use session_core::{ErrorKind, StorageError};
use tokio::task::JoinError;

use crate::error::BACKEND;

/// Runs `work` on Tokio's blocking thread pool when called inside a Tokio runtime, and on the calling
/// thread otherwise (then it blocks that thread, as any synchronous sled call does).
///
/// Dropping the returned future does not stop `work`: a write that has started finishes.
pub(crate) async fn run_blocking<T, F>(action: &str, work: F) -> Result<T, StorageError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime
            .spawn_blocking(work)
            .await
            .map_err(|err| task_failed(err, action)),
        Err(_) => Ok(work()),
    }
}

/// The error of a blocking task that panicked or was cancelled by a runtime shutdown.
fn task_failed(err: JoinError, action: &str) -> StorageError {
    let why = if err.is_panic() {
        "sled panicked"
    } else {
        "the async runtime is shutting down"
    };
    StorageError::new(ErrorKind::Other, BACKEND, format!("cannot {action}: {why}")).with_source(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_inline_without_a_runtime() {
        let thread = std::thread::current().id();
        let ran_on = poll_to_completion(run_blocking("test", move || std::thread::current().id()));
        assert_eq!(ran_on.unwrap(), thread);
    }

    #[tokio::test]
    async fn runs_on_the_blocking_pool_inside_a_runtime() {
        let thread = std::thread::current().id();
        let ran_on = run_blocking("test", move || std::thread::current().id()).await;
        assert_ne!(ran_on.unwrap(), thread);
    }

    #[tokio::test]
    async fn a_panic_becomes_an_error() {
        let err = run_blocking("store slot \"a\"", || -> () { panic!("boom") })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other);
        assert_eq!(
            err.to_string(),
            "sled: other error: cannot store slot \"a\": sled panicked"
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
