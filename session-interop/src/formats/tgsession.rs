//! tgsession's own binary format: `session-core`'s codec.

use session_core::{CodecError, Session};
use zeroize::Zeroizing;

use crate::error::InteropError;
use crate::format::Format;
use crate::report::{Exported, Imported};

/// Decodes a tgsession file. It holds everything a [`Session`] does, so nothing is dropped.
pub(crate) fn read(bytes: &[u8]) -> Result<Imported, InteropError> {
    match Session::decode(bytes) {
        Ok(session) => Ok(Imported {
            session,
            dropped: Vec::new(),
        }),
        Err(err @ CodecError::UnsupportedVersion { .. }) => Err(InteropError::Unsupported {
            format: Format::Tgsession,
            reason: err.to_string(),
        }),
        Err(err) => Err(InteropError::malformed(Format::Tgsession, err.to_string())),
    }
}

/// Encodes `session`; nothing is dropped.
pub(crate) fn write(session: &Session) -> Result<Exported, InteropError> {
    let bytes = session.encode().map_err(|err| InteropError::Unwritable {
        format: Format::Tgsession,
        reason: err.to_string(),
    })?;
    Ok(Exported {
        bytes: Zeroizing::new(bytes),
        dropped: Vec::new(),
    })
}
