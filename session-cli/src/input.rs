//! Reading a [`Source`] into a session: the format named with `--from`, or detected from the content.

use std::fmt;

use session_interop::{read, read_any, Format, Imported};
use zeroize::Zeroizing;

use crate::error::{CliError, ReadAs};
use crate::redact::protect_session;
use crate::source::Source;

/// A session read from a source. `Debug` shows the raw bytes by their length only (the session's own `Debug`
/// shows auth keys by their id).
pub(crate) struct Loaded {
    /// The format it was read as.
    pub(crate) format: Format,
    /// The session and what reading it dropped.
    pub(crate) imported: Imported,
    /// The source's bytes, exactly as read.
    pub(crate) raw: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("format", &self.format)
            .field("imported", &self.imported)
            .field("raw", &format_args!("<{} bytes>", self.raw.len()))
            .finish()
    }
}

/// Reads `source` as `from`, or, without it, as the source's own format (tgsession for backends) or the one
/// [`read_any`] detects. Any reader failure is an input error naming the source. The session's auth keys are
/// handed to the output guard, which never prints them in hex or base64.
pub(crate) async fn load(source: &Source, from: Option<Format>) -> Result<Loaded, CliError> {
    let raw = source.bytes().await?;
    let (read, how) = match (from, source.known_format()) {
        (Some(format), _) => (
            read(format, &raw).map(|imported| (format, imported)),
            ReadAs::Named,
        ),
        (None, Some(format)) => (
            read(format, &raw).map(|imported| (format, imported)),
            ReadAs::Stored,
        ),
        (None, None) => (read_any(&raw), ReadAs::Detected),
    };
    let (format, imported) =
        read.map_err(|err| CliError::unreadable(err, &source.describe(), how))?;
    protect_session(&imported.session);
    Ok(Loaded {
        format,
        imported,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_raw_bytes_by_length_only() {
        let mut session = session_core::Session::new();
        session.home_dc = Some(2);
        let raw = session.encode().unwrap();
        let loaded = Loaded {
            format: Format::Tgsession,
            imported: read(Format::Tgsession, &raw).unwrap(),
            raw: Zeroizing::new(vec![0xA5; 256]),
        };
        let shown = format!("{loaded:?}");
        assert!(shown.contains("raw: <256 bytes>"), "{shown}");
        assert!(!shown.contains("165"), "{shown}");
    }
}
