//! Turning I/O failures into [`StorageError`]s that name the path.

use std::io;
use std::path::Path;

use session_core::{ErrorKind, StorageError};

/// The backend name in every error of this crate.
pub(crate) const BACKEND: &str = "file";

/// The one place that maps an [`io::Error`] to a [`StorageError`]: `action` says what was being done
/// ("read", "create the temporary file", ...) and `path` what it was done to; both go into the message, the
/// `io::Error` becomes the source.
///
/// `NotFound` maps to [`ErrorKind::Config`]: callers handle the "no session stored" case themselves, so a
/// `NotFound` that reaches this function means a directory on the path is missing.
///
/// A full disk or exhausted quota maps to [`ErrorKind::StorageFull`]: it is not [`ErrorKind::TooLarge`] (even a
/// tiny value fails, and a smaller value would not help) and not retryable as is (trying again fails until
/// someone frees space). Only a file above the file system's size limit (`EFBIG`) is [`ErrorKind::TooLarge`].
pub(crate) fn io_error(err: io::Error, action: &str, path: &Path) -> StorageError {
    let (kind, problem) = match err.kind() {
        io::ErrorKind::NotFound => (ErrorKind::Config, "a directory on the path does not exist"),
        other => ErrorKind::of_io(other),
    };
    StorageError::new(
        kind,
        BACKEND,
        format!("cannot {action} {}: {problem}", path.display()),
    )
    .with_source(err)
}

/// A [`ErrorKind::Config`] error raised without an underlying I/O error.
pub(crate) fn config_error(message: String) -> StorageError {
    StorageError::new(ErrorKind::Config, BACKEND, message)
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    fn kind_of(io_kind: io::ErrorKind) -> ErrorKind {
        io_error(io::Error::from(io_kind), "write", Path::new("/x/a.session")).kind()
    }

    #[test]
    fn maps_every_relevant_io_kind() {
        let cases = [
            (io::ErrorKind::NotFound, ErrorKind::Config),
            (io::ErrorKind::PermissionDenied, ErrorKind::PermissionDenied),
            (
                io::ErrorKind::ReadOnlyFilesystem,
                ErrorKind::PermissionDenied,
            ),
            (io::ErrorKind::IsADirectory, ErrorKind::Config),
            (io::ErrorKind::NotADirectory, ErrorKind::Config),
            (io::ErrorKind::InvalidFilename, ErrorKind::Config),
            (io::ErrorKind::StorageFull, ErrorKind::StorageFull),
            (io::ErrorKind::QuotaExceeded, ErrorKind::StorageFull),
            (io::ErrorKind::FileTooLarge, ErrorKind::TooLarge),
            (io::ErrorKind::TimedOut, ErrorKind::Timeout),
            (io::ErrorKind::Unsupported, ErrorKind::Unsupported),
            (io::ErrorKind::Interrupted, ErrorKind::Unavailable),
            (io::ErrorKind::BrokenPipe, ErrorKind::Other),
        ];
        for (io_kind, expected) in cases {
            assert_eq!(kind_of(io_kind), expected, "{io_kind:?}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn os_error_codes_map_like_their_kinds() {
        // EPERM, EACCES, EROFS, ENOSPC, EDQUOT, EISDIR as the Linux kernel reports them.
        let cases = [
            (1, ErrorKind::PermissionDenied),
            (13, ErrorKind::PermissionDenied),
            (30, ErrorKind::PermissionDenied),
            (28, ErrorKind::StorageFull),
            (122, ErrorKind::StorageFull),
            (21, ErrorKind::Config),
        ];
        for (errno, expected) in cases {
            let err = io_error(
                io::Error::from_raw_os_error(errno),
                "write",
                Path::new("/x"),
            );
            assert_eq!(err.kind(), expected, "errno {errno}");
        }
    }

    #[test]
    fn message_names_action_and_path_and_keeps_the_source() {
        let err = io_error(
            io::Error::from(io::ErrorKind::PermissionDenied),
            "create the temporary file",
            Path::new("/srv/sessions/.bot.session.tmp"),
        );
        assert_eq!(err.backend(), "file");
        assert_eq!(
            err.message(),
            "cannot create the temporary file /srv/sessions/.bot.session.tmp: permission denied"
        );
        let source = err.source().expect("io error kept as source");
        assert_eq!(
            source.downcast_ref::<io::Error>().map(io::Error::kind),
            Some(io::ErrorKind::PermissionDenied)
        );
    }
}
