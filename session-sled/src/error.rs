//! The one place where sled errors become [`StorageError`]s.

use std::io;
use std::path::Path;

use session_core::{ErrorKind, StorageError};

/// The backend name carried by every error of this crate.
pub(crate) const BACKEND: &str = "sled";

/// What sled's `Display` says when another handle holds the database's file lock. sled 0.34 reports the lock
/// as an `Io` error of kind `Other` whose text starts like this; the text is the only way to tell it apart.
const LOCK_MESSAGE: &str = "could not acquire lock";

/// Whether `err` says that another handle (in this process or another one) holds the database's file lock.
pub(crate) fn is_lock_held(err: &sled::Error) -> bool {
    match err {
        sled::Error::Io(io) => {
            io.kind() == io::ErrorKind::WouldBlock || io.to_string().contains(LOCK_MESSAGE)
        }
        _ => false,
    }
}

/// Converts a sled error raised while doing `action` (a phrase such as `store slot "main"`) into a
/// [`StorageError`] whose kind says what a caller can do about it, keeping the sled error as its source.
pub(crate) fn map_sled_error(err: sled::Error, action: &str) -> StorageError {
    let (kind, why) = classify(&err);
    StorageError::new(kind, BACKEND, format!("cannot {action}: {why}")).with_source(err)
}

/// Converts an I/O error raised by the adapter itself while doing `action` on `path` (as in
/// `cannot {action} {path}`) into a [`StorageError`] classified like sled's I/O errors, keeping it as source.
pub(crate) fn io_error(err: io::Error, action: &str, path: &Path) -> StorageError {
    let (kind, why) = classify_io(err.kind());
    StorageError::new(
        kind,
        BACKEND,
        format!("cannot {action} {}: {why}", path.display()),
    )
    .with_source(err)
}

/// The kind and a short reason for `err`.
pub(crate) fn classify(err: &sled::Error) -> (ErrorKind, &'static str) {
    match err {
        sled::Error::Io(_) if is_lock_held(err) => (
            ErrorKind::Unavailable,
            "the database is locked by another open handle or process",
        ),
        sled::Error::Io(io) => classify_io(io.kind()),
        sled::Error::Corruption { .. } => (ErrorKind::Corrupt, "sled detected corrupted data"),
        sled::Error::Unsupported(_) => (
            ErrorKind::Unsupported,
            "sled does not support this use or configuration of the database",
        ),
        sled::Error::CollectionNotFound(_) => (ErrorKind::Config, "the tree no longer exists"),
        sled::Error::ReportableBug(_) => (ErrorKind::Other, "sled hit an internal bug"),
    }
}

/// The kind and a short reason for an I/O error of `kind` raised inside sled.
fn classify_io(kind: io::ErrorKind) -> (ErrorKind, &'static str) {
    use io::ErrorKind as Io;
    match kind {
        Io::NotADirectory | Io::IsADirectory | Io::AlreadyExists | Io::InvalidInput => (
            ErrorKind::Config,
            "the database path is not a usable sled directory",
        ),
        other => ErrorKind::of_io(other),
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    fn kind_of(err: sled::Error) -> ErrorKind {
        map_sled_error(err, "test").kind()
    }

    fn io(kind: io::ErrorKind) -> sled::Error {
        sled::Error::Io(io::Error::new(kind, "test"))
    }

    #[test]
    fn every_sled_variant_has_a_kind() {
        assert_eq!(
            kind_of(sled::Error::Corruption { at: None, bt: () }),
            ErrorKind::Corrupt
        );
        assert_eq!(
            kind_of(sled::Error::Unsupported("x".into())),
            ErrorKind::Unsupported
        );
        assert_eq!(
            kind_of(sled::Error::CollectionNotFound(sled::IVec::from("t"))),
            ErrorKind::Config
        );
        assert_eq!(
            kind_of(sled::Error::ReportableBug("x".into())),
            ErrorKind::Other
        );
    }

    #[test]
    fn io_kinds_are_mapped() {
        let cases = [
            (io::ErrorKind::NotFound, ErrorKind::Config),
            (io::ErrorKind::NotADirectory, ErrorKind::Config),
            (io::ErrorKind::PermissionDenied, ErrorKind::PermissionDenied),
            (
                io::ErrorKind::ReadOnlyFilesystem,
                ErrorKind::PermissionDenied,
            ),
            (io::ErrorKind::StorageFull, ErrorKind::StorageFull),
            (io::ErrorKind::QuotaExceeded, ErrorKind::StorageFull),
            (io::ErrorKind::TimedOut, ErrorKind::Timeout),
            (io::ErrorKind::InvalidData, ErrorKind::Corrupt),
            (io::ErrorKind::Unsupported, ErrorKind::Unsupported),
            (io::ErrorKind::BrokenPipe, ErrorKind::Other),
        ];
        for (io_kind, expected) in cases {
            assert_eq!(kind_of(io(io_kind)), expected, "{io_kind:?}");
        }
    }

    #[test]
    fn a_held_lock_is_unavailable_and_retryable() {
        let err = sled::Error::Io(io::Error::other(
            "could not acquire lock on \"/x/db\": WouldBlock",
        ));
        assert!(is_lock_held(&err));
        let mapped = map_sled_error(err, "open the database");
        assert_eq!(mapped.kind(), ErrorKind::Unavailable);
        assert!(mapped.is_retryable());
        assert!(!is_lock_held(&io(io::ErrorKind::NotFound)));
    }

    #[test]
    fn message_names_the_action_and_source_is_kept() {
        let err = map_sled_error(io(io::ErrorKind::PermissionDenied), "store slot \"a\"");
        assert_eq!(err.backend(), "sled");
        assert_eq!(
            err.to_string(),
            "sled: permission denied: cannot store slot \"a\": permission denied"
        );
        let source = err.source().and_then(|s| s.downcast_ref::<sled::Error>());
        assert!(matches!(source, Some(sled::Error::Io(_))));
    }
}
