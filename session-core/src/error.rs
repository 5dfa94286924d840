//! The one error type every storage returns.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

use crate::codec::CodecError;

/// The underlying cause of a [`StorageError`], as boxed by adapters.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong, in terms a caller can act on.
///
/// The list may grow, so match it with a wildcard arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A conditional write ([`crate::VersionedStorage::store_if`]) found the slot in another state than expected.
    /// Nothing was written; load the current value and try again.
    Conflict,
    /// The backend could not be reached (connection refused, server gone, network down).
    Unavailable,
    /// The backend did not answer in time. For a write this may leave its outcome unknown (the server may
    /// have applied it, or may still apply it after the call returned): [`StorageError::outcome_unknown`]
    /// says when it does; then load the slot to find out.
    Timeout,
    /// The backend refused the credentials or the operation (authentication, authorization, file permissions).
    PermissionDenied,
    /// The storage is configured wrongly: a bad URL, a missing bucket, table or directory, a path that is a directory.
    Config,
    /// Stored data could not be understood: a truncated, damaged or foreign blob.
    Corrupt,
    /// The value is larger than the backend accepts.
    TooLarge,
    /// The backend has no room left: a full disk, an exhausted quota, a Redis server at `maxmemory`, a
    /// PostgreSQL server out of disk. Even a small value fails, and trying again fails until someone frees
    /// space, so it is not retryable; nothing was written.
    StorageFull,
    /// The backend cannot do what was asked (a feature it lacks, or a format version this build cannot read).
    Unsupported,
    /// The caller passed an invalid argument (a bad slot name, an invalid session field).
    InvalidInput,
    /// Another holder has the slot's lease ([`crate::LeaseStorage`]);
    /// [`StorageError::lease_held`] says who, and for how long. Nothing was changed.
    Held,
    /// A write or renewal was made under a lease that is no longer the slot's (it was taken over, released
    /// or broken): nothing was written. The caller must stop using the session and acquire the lease again.
    Fenced,
    /// Anything else; the source says more.
    Other,
}

impl ErrorKind {
    /// A short lower-case name for the kind, as used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Conflict => "conflict",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Timeout => "timeout",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::Config => "configuration error",
            ErrorKind::Corrupt => "corrupt data",
            ErrorKind::TooLarge => "too large",
            ErrorKind::StorageFull => "storage full",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Held => "lease held",
            ErrorKind::Fenced => "fenced",
            ErrorKind::Other => "other error",
        }
    }
}

impl ErrorKind {
    /// The kind of a local I/O failure, with a short reason, for adapters that work on files: one table, so
    /// that the same condition is the same kind everywhere (a full disk is [`StorageFull`](Self::StorageFull)
    /// in every adapter, a missing directory [`Config`](Self::Config), and so on).
    pub fn of_io(kind: std::io::ErrorKind) -> (ErrorKind, &'static str) {
        use std::io::ErrorKind as Io;
        match kind {
            Io::NotFound => (
                ErrorKind::Config,
                "a file or directory on the path does not exist",
            ),
            Io::PermissionDenied => (ErrorKind::PermissionDenied, "permission denied"),
            Io::ReadOnlyFilesystem => (ErrorKind::PermissionDenied, "the file system is read-only"),
            Io::IsADirectory => (ErrorKind::Config, "the path is a directory"),
            Io::NotADirectory => (
                ErrorKind::Config,
                "a component of the path is not a directory",
            ),
            Io::InvalidFilename => (ErrorKind::Config, "the file name is invalid or too long"),
            Io::StorageFull => (ErrorKind::StorageFull, "no space left on the device"),
            Io::QuotaExceeded => (ErrorKind::StorageFull, "the disk quota is exhausted"),
            Io::FileTooLarge => (
                ErrorKind::TooLarge,
                "the file would exceed the file system's size limit",
            ),
            Io::TimedOut => (ErrorKind::Timeout, "the file system timed out"),
            Io::Interrupted | Io::WouldBlock => {
                (ErrorKind::Unavailable, "the operation was interrupted")
            }
            Io::InvalidData | Io::UnexpectedEof => (ErrorKind::Corrupt, "a file is damaged"),
            Io::Unsupported => (
                ErrorKind::Unsupported,
                "the file system does not support the operation",
            ),
            _ => (ErrorKind::Other, "an I/O error occurred"),
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from a session storage: a [`kind`](Self::kind), the name of the backend, a message, and the
/// underlying error kept as [`source`](StdError::source).
///
/// The `Display` form is `"<backend>: <kind>: <message>"` (followed, for a write whose outcome is unknown,
/// by a sentence saying so: see [`outcome_unknown`](Self::outcome_unknown)); it never contains key material or credentials
/// (adapters redact them before building the message). The cause is not repeated in `Display`: walk
/// [`source`](StdError::source) (or use an error reporter such as `anyhow`'s `{:#}`) to print it.
///
/// ```
/// use session_core::{ErrorKind, StorageError};
///
/// let err = StorageError::new(ErrorKind::Unavailable, "redis", "connection refused by 127.0.0.1:6379");
/// assert!(err.is_retryable());
/// assert_eq!(err.to_string(), "redis: unavailable: connection refused by 127.0.0.1:6379");
/// ```
pub struct StorageError {
    kind: ErrorKind,
    backend: Cow<'static, str>,
    message: Cow<'static, str>,
    outcome_unknown: bool,
    source: Option<BoxError>,
}

/// What `Display` adds to an error of a write whose outcome is unknown.
const UNKNOWN_OUTCOME: &str = "the write may or may not have been applied (the server may still apply it \
    later); call load_versioned to see what the slot holds, and write with store_if over the version you \
    read so that nothing newer is overwritten";

impl StorageError {
    /// Builds an error of `kind` raised by `backend` (a short name such as `"file"` or `"redis"`).
    pub fn new(
        kind: ErrorKind,
        backend: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        StorageError {
            kind,
            backend: backend.into(),
            message: message.into(),
            outcome_unknown: false,
            source: None,
        }
    }

    /// Marks the error as that of a write whose outcome is unknown: the request may have reached the
    /// server, which may have applied it or may still apply it (a timeout, or a connection lost after the
    /// request was sent). `Display` then says so and how to find out.
    #[must_use]
    pub fn with_unknown_outcome(mut self) -> Self {
        self.outcome_unknown = true;
        self
    }

    /// [`with_unknown_outcome`](Self::with_unknown_outcome) when `maybe_applied` is true: for adapters, which
    /// know whether a failed call was a write and whether its request may have reached the server.
    #[must_use]
    pub fn with_unknown_outcome_if(self, maybe_applied: bool) -> Self {
        if maybe_applied {
            self.with_unknown_outcome()
        } else {
            self
        }
    }

    /// Whether this is the error of a write that may or may not have been applied (see
    /// [`with_unknown_outcome`](Self::with_unknown_outcome)). After such an error, call
    /// [`load_versioned`](crate::VersionedStorage::load_versioned) to see what the slot holds; a retry with
    /// [`store_if`](crate::VersionedStorage::store_if) over that version never overwrites a newer write.
    pub fn outcome_unknown(&self) -> bool {
        self.outcome_unknown
    }

    /// Attaches the underlying error, kept as [`source`](StdError::source).
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The backend that raised the error (`"file"`, `"sled"`, `"redis"`, `"memory"`, ...).
    pub fn backend(&self) -> &str {
        &self.backend
    }

    /// The human-readable message, without the backend name and kind.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether calling the same operation again, unchanged, may succeed: true for
    /// [`Unavailable`](ErrorKind::Unavailable) and [`Timeout`](ErrorKind::Timeout).
    ///
    /// A [`Conflict`](ErrorKind::Conflict) is not retryable as is: the caller must load the current value and
    /// version first.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Unavailable | ErrorKind::Timeout)
    }

    /// The codec error behind this error, if it was raised by decoding or encoding a [`crate::Session`].
    pub fn codec_error(&self) -> Option<&CodecError> {
        self.source.as_deref()?.downcast_ref::<CodecError>()
    }
}

impl fmt::Debug for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageError")
            .field("kind", &self.kind)
            .field("backend", &self.backend)
            .field("message", &self.message)
            .field("outcome_unknown", &self.outcome_unknown)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.backend, self.kind, self.message)?;
        if self.outcome_unknown {
            write!(f, "; {UNKNOWN_OUTCOME}")?;
        }
        Ok(())
    }
}

impl StdError for StorageError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

impl From<CodecError> for StorageError {
    /// A codec failure becomes [`ErrorKind::Corrupt`], except
    /// [`CodecError::UnsupportedVersion`], which becomes [`ErrorKind::Unsupported`]: the data may be fine, this
    /// build is too old to read it.
    fn from(err: CodecError) -> Self {
        let kind = match err {
            CodecError::UnsupportedVersion { .. } => ErrorKind::Unsupported,
            _ => ErrorKind::Corrupt,
        };
        StorageError::new(kind, "codec", err.to_string()).with_source(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_source_are_separate() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let err = StorageError::new(ErrorKind::PermissionDenied, "file", "cannot write /x")
            .with_source(io);
        assert_eq!(err.to_string(), "file: permission denied: cannot write /x");
        assert_eq!(err.source().unwrap().to_string(), "denied");
        assert!(!err.is_retryable());
    }

    #[test]
    fn an_unknown_outcome_is_said_in_display() {
        let err = StorageError::new(ErrorKind::Timeout, "redis", "cannot store slot \"a\"");
        assert!(!err.outcome_unknown());
        let err = err.with_unknown_outcome();
        assert!(err.outcome_unknown());
        let shown = err.to_string();
        assert!(
            shown.starts_with(
                "redis: timeout: cannot store slot \"a\"; the write may or may not have"
            ),
            "{shown}"
        );
        assert!(shown.contains("load_versioned"), "{shown}");
    }

    #[test]
    fn codec_errors_map_to_kinds() {
        let err = StorageError::from(CodecError::Truncated);
        assert_eq!(err.kind(), ErrorKind::Corrupt);
        assert_eq!(err.codec_error(), Some(&CodecError::Truncated));
        let err = StorageError::from(CodecError::UnsupportedVersion {
            found: 9,
            supported: 1,
        });
        assert_eq!(err.kind(), ErrorKind::Unsupported);
    }
}
