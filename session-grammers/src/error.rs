//! [`GrammersSessionError`]: what a [`GrammersSession`](crate::GrammersSession) method can fail with.

use session_core::StorageError;

/// The error of every [`grammers_session::Session`] method of a [`GrammersSession`](crate::GrammersSession).
///
/// It never holds key bytes: storage errors print their kind, backend and message only.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GrammersSessionError {
    /// The storage failed to persist (or load) the session. The change is kept in memory and the next
    /// flush retries it; see [`StorageError::kind`] and [`StorageError::is_retryable`].
    #[error("session storage: {0}")]
    Storage(#[from] StorageError),
    /// A thread panicked while it changed the session in memory, so its state cannot be trusted.
    #[error("session lock is poisoned (a thread panicked while changing the session)")]
    Poisoned,
}

impl GrammersSessionError {
    /// The storage error, if this is one.
    pub fn storage(&self) -> Option<&StorageError> {
        match self {
            GrammersSessionError::Storage(error) => Some(error),
            GrammersSessionError::Poisoned => None,
        }
    }
}
