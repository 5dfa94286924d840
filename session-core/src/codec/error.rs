//! Why a byte string is not a valid encoded session.

use thiserror::Error;

/// Why bytes could not be decoded into a [`Session`](crate::Session), or a session could not be encoded.
///
/// Converts into a [`StorageError`](crate::StorageError) of kind [`Corrupt`](crate::ErrorKind::Corrupt)
/// ([`Unsupported`](crate::ErrorKind::Unsupported) for [`UnsupportedVersion`](Self::UnsupportedVersion)).
/// Messages never contain key material.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The data ends before the session does.
    #[error("the data ends early: it is a truncated session")]
    Truncated,
    /// The data does not start with the tgsession magic: it is something else (another library's session
    /// file, a text string, random bytes).
    #[error("not a tgsession session: the data does not start with the tgsession magic bytes")]
    BadMagic,
    /// The CRC-32C over the encoding does not match: the data was damaged after it was written.
    #[error(
        "checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the data is damaged"
    )]
    ChecksumMismatch {
        /// The checksum found in the data.
        stored: u32,
        /// The checksum of the data as read.
        computed: u32,
    },
    /// The data was written by a newer format version than this build reads. It is not lost: upgrade.
    #[error(
        "session format version {found} is newer than this build can read (up to {supported}): upgrade tgsession"
    )]
    UnsupportedVersion {
        /// The version in the data.
        found: u16,
        /// The newest version this build reads.
        supported: u16,
    },
    /// A value is too large for the format: only [`Session::encode`](crate::Session::encode) returns it (a
    /// string over 65,535 bytes, more than `u32::MAX` entries). Decoding reports a length or count that the
    /// input cannot hold as [`Truncated`](Self::Truncated).
    #[error("{what} is too large: the limit is {limit}")]
    LimitExceeded {
        /// What was too large.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// A field holds a value the format does not allow.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field, as named in `docs/FORMAT.md`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl CodecError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> CodecError {
        CodecError::InvalidField {
            field,
            reason: reason.into(),
        }
    }
}
