//! `io::Error`s, the error type of ferogram's `SessionBackend`.

use std::io;

use session_core::{ErrorKind, StorageError};

/// The storage error as an `io::Error` of the closest kind, with the storage error inside (its message
/// never holds key bytes).
pub(crate) fn io_error(err: StorageError) -> io::Error {
    let kind = match err.kind() {
        ErrorKind::Timeout => io::ErrorKind::TimedOut,
        ErrorKind::PermissionDenied => io::ErrorKind::PermissionDenied,
        ErrorKind::StorageFull => io::ErrorKind::StorageFull,
        ErrorKind::Corrupt => io::ErrorKind::InvalidData,
        ErrorKind::InvalidInput | ErrorKind::Config => io::ErrorKind::InvalidInput,
        ErrorKind::TooLarge => io::ErrorKind::FileTooLarge,
        ErrorKind::Unsupported => io::ErrorKind::Unsupported,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, err)
}

/// The worker thread is gone (it panicked, or its runtime could not run).
pub(crate) fn stopped() -> io::Error {
    io::Error::other("the tgsession session thread has stopped; nothing was stored")
}
