//! Reading, writing and detecting: the dispatch from a [`Format`] to its module.

use session_core::Session;

use crate::error::InteropError;
use crate::format::Format;
use crate::formats;
use crate::formats::layer_sqlite::Flavor;
use crate::options::WriteOptions;
use crate::report::{Exported, Imported};

/// Reads `bytes` as a session of `format`.
///
/// Text formats ignore leading and trailing ASCII whitespace. Malformed input gives
/// [`InteropError::Malformed`] (or [`InteropError::Unsupported`] for a version this crate does not know);
/// never a panic, never a session with garbage in it.
///
/// ```
/// use session_interop::{read, Format};
///
/// let err = read(Format::TelethonString, b"1not-a-session").unwrap_err();
/// assert!(err.to_string().contains("telethon-string"));
/// ```
pub fn read(format: Format, bytes: &[u8]) -> Result<Imported, InteropError> {
    let bytes = if format.is_text() {
        bytes.trim_ascii()
    } else {
        bytes
    };
    match format {
        Format::Tgsession => formats::tgsession::read(bytes),
        Format::TelethonString => formats::telethon_string::read(bytes),
        Format::TelethonSqlite => formats::telethon_sqlite::read(bytes),
        Format::PyrogramString => formats::pyrogram_string::read(bytes),
        Format::Pyrogram1String => formats::pyrogram_string::read_v1(bytes),
        Format::PyrogramSqlite => formats::pyrogram_sqlite::read(bytes),
        Format::GramjsString => formats::gramjs::read(bytes),
        Format::GotdJson => formats::gotd::read(bytes),
        Format::GrammersSqlite => formats::grammers_sqlite::read(bytes),
        Format::GrammersTl => formats::grammers_tl::read(bytes),
        Format::Layer => formats::layer::read(bytes),
        Format::LayerString => formats::layer::read_string(bytes),
        Format::FerogramString => formats::ferogram_string::read(bytes),
        Format::LayerSqlite => formats::layer_sqlite::read(Flavor::LayerClient, bytes),
        Format::FerogramSqlite => formats::layer_sqlite::read(Flavor::Ferogram, bytes),
        Format::Telethon2Sqlite => formats::telethon2_sqlite::read(bytes),
    }
}

/// Writes `session` in `format`, reporting in [`Exported::dropped`] whatever the format cannot hold.
///
/// Fails with [`InteropError::ReadOnly`] for a format that cannot be written and with
/// [`InteropError::MissingField`] when the format needs something the session lacks (Pyrogram's api id, say).
pub fn write(
    format: Format,
    session: &Session,
    options: &WriteOptions,
) -> Result<Exported, InteropError> {
    match format {
        Format::Tgsession => formats::tgsession::write(session),
        Format::TelethonString => formats::telethon_string::write(session),
        Format::TelethonSqlite => formats::telethon_sqlite::write(session, options.telethon_schema),
        Format::PyrogramString => formats::pyrogram_string::write(session),
        Format::PyrogramSqlite => formats::pyrogram_sqlite::write(session),
        Format::GramjsString => formats::gramjs::write(session),
        Format::GotdJson => formats::gotd::write(session),
        Format::GrammersSqlite => formats::grammers_sqlite::write(session),
        Format::FerogramString => formats::ferogram_string::write(session),
        Format::LayerSqlite => formats::layer_sqlite::write(Flavor::LayerClient, session),
        Format::FerogramSqlite => formats::layer_sqlite::write(Flavor::Ferogram, session),
        Format::Telethon2Sqlite => formats::telethon2_sqlite::write(session),
        Format::Pyrogram1String | Format::GrammersTl | Format::Layer | Format::LayerString => {
            Err(InteropError::ReadOnly(format))
        }
    }
}

/// Decides which format `bytes` are in, from their structure alone: every format's reader checks the input
/// completely (base64 alphabet and padding, decoded length, a plausible DC id, address and port, SQLite tables
/// and schema version, JSON shape, TL constructor ids, tgsession's magic), and exactly one must accept it.
///
/// When more than one does, this returns [`InteropError::Ambiguous`] naming them rather than guessing; when
/// none does, [`InteropError::Unsupported`] if the input is a known format in a version this crate does not
/// read (a Telethon file of schema 9, say), else [`InteropError::Unrecognized`].
///
/// ```
/// use session_interop::{detect, InteropError};
///
/// assert!(matches!(detect(b"hello"), Err(InteropError::Unrecognized { .. })));
/// ```
pub fn detect(bytes: &[u8]) -> Result<Format, InteropError> {
    read_any(bytes).map(|(format, _)| format)
}

/// [`detect`]s the format of `bytes` and reads them: the session and the format it was in.
pub fn read_any(bytes: &[u8]) -> Result<(Format, Imported), InteropError> {
    let mut accepted: Vec<(Format, Imported)> = Vec::new();
    let mut unsupported = None;
    for format in Format::ALL {
        match read(format, bytes) {
            Ok(imported) => accepted.push((format, imported)),
            Err(err @ InteropError::Unsupported { .. }) => unsupported = unsupported.or(Some(err)),
            Err(_) => {}
        }
    }
    match accepted.len() {
        // A file of a known format in a version this crate does not read says so, rather than "unknown".
        0 => Err(unsupported.unwrap_or_else(|| InteropError::Unrecognized {
            reason: describe(bytes),
        })),
        1 => Ok(accepted.remove(0)),
        _ => Err(InteropError::Ambiguous {
            candidates: accepted.into_iter().map(|(format, _)| format).collect(),
        }),
    }
}

/// What unrecognized input looks like, in a few words (never its content).
fn describe(bytes: &[u8]) -> String {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        "the input is empty".to_owned()
    } else if bytes.starts_with(crate::sqlite::HEADER) {
        "an SQLite database without the tables of any known library".to_owned()
    } else if let Some(text) = as_text(trimmed) {
        format!("{} characters of text", text.chars().count())
    } else {
        format!("{} bytes of binary data", bytes.len())
    }
}

/// `bytes` as text: UTF-8 without control characters other than whitespace.
fn as_text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok().filter(|text| {
        text.chars()
            .all(|c| !c.is_control() || c.is_ascii_whitespace())
    })
}
