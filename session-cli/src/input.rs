//! Reading a [`Source`] into a session: the format named with `--from`, or detected from the content.

use session_interop::{read, read_any, Format, Imported};
use zeroize::Zeroizing;

use crate::error::{CliError, ReadAs};
use crate::source::Source;

/// A session read from a source.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// The format it was read as.
    pub(crate) format: Format,
    /// The session and what reading it dropped.
    pub(crate) imported: Imported,
    /// The source's bytes, exactly as read.
    pub(crate) raw: Zeroizing<Vec<u8>>,
}

/// Reads `source` as `from`, or, without it, as the source's own format (tgsession for backends) or the one
/// [`read_any`] detects. Any reader failure is an input error naming the source.
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
    Ok(Loaded {
        format,
        imported,
        raw,
    })
}
