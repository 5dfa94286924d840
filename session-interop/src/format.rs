//! The session formats this crate knows, by name.

use std::fmt;
use std::str::FromStr;

use crate::error::InteropError;

/// A session format of some Telegram library (or tgsession's own).
///
/// Each format has a stable short [name](Format::name) used on the command line (`--to telethon-string`) and in
/// messages. Some formats can only be read ([`Format::can_write`] says which).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Format {
    /// tgsession's own binary format (`session-core`'s codec).
    Tgsession,
    /// Telethon's `StringSession`: `1` + URL-safe base64 of DC, IPv4 or IPv6 address, port and auth key.
    TelethonString,
    /// Telethon 1.x's SQLite `.session` file, schema 7 or 8 (Telethon 2's is [`Format::Telethon2Sqlite`]).
    TelethonSqlite,
    /// Pyrogram 2 / Kurigram string session (271 bytes: DC, api id, test mode, key, user id, bot flag).
    PyrogramString,
    /// Pyrogram 1.x string session (263 or 267 bytes; no api id). Read only.
    Pyrogram1String,
    /// Pyrogram 2 (schema 3) or Kurigram (schema 7) SQLite `.session` file; written as schema 3.
    PyrogramSqlite,
    /// GramJS / teleproto `StringSession`: `1` + standard base64 of DC, address text, port and auth key.
    GramjsString,
    /// gotd/td's JSON session (version 1).
    GotdJson,
    /// grammers-session 0.11 `SqliteSession`.
    GrammersSqlite,
    /// grammers-session ≤ 0.7 TL-serialized session file. Read only.
    GrammersTl,
    /// layer / ferogram binary session file (versions 1 to 8: layer-client 0.5 writes 3, ferogram 0.6.6
    /// writes 8). Read only.
    Layer,
    /// layer / ferogram string session (the binary form in URL-safe base64 without padding). Read only.
    LayerString,
    /// ferogram's portable `StringSession` (ferogram-session 0.6.6): `encode()`'s version 2 (read and
    /// written) and `encode_v1()`'s version 1 (read).
    FerogramString,
    /// layer-client 0.5.0's SQLite session (`SqliteBackend`; `peers` without ferogram's columns).
    LayerSqlite,
    /// ferogram-session 0.6.6's SQLite session (`SqliteBackend` / `LibSqlBackend`).
    FerogramSqlite,
    /// Telethon 2's SQLite `.session` file (`SqliteSession`, schema version 10).
    Telethon2Sqlite,
}

impl Format {
    /// Every format, in the order [`detect`](crate::detect) tries them.
    pub const ALL: [Format; 16] = [
        Format::Tgsession,
        Format::TelethonString,
        Format::TelethonSqlite,
        Format::PyrogramString,
        Format::Pyrogram1String,
        Format::PyrogramSqlite,
        Format::GramjsString,
        Format::GotdJson,
        Format::GrammersSqlite,
        Format::GrammersTl,
        Format::Layer,
        Format::LayerString,
        Format::FerogramString,
        Format::LayerSqlite,
        Format::FerogramSqlite,
        Format::Telethon2Sqlite,
    ];

    /// The format's short name, as accepted by [`FromStr`] and shown by [`Display`](fmt::Display).
    pub fn name(self) -> &'static str {
        match self {
            Format::Tgsession => "tgsession",
            Format::TelethonString => "telethon-string",
            Format::TelethonSqlite => "telethon-sqlite",
            Format::PyrogramString => "pyrogram-string",
            Format::Pyrogram1String => "pyrogram1-string",
            Format::PyrogramSqlite => "pyrogram-sqlite",
            Format::GramjsString => "gramjs-string",
            Format::GotdJson => "gotd-json",
            Format::GrammersSqlite => "grammers-sqlite",
            Format::GrammersTl => "grammers-tl",
            Format::Layer => "layer",
            Format::LayerString => "layer-string",
            Format::FerogramString => "ferogram-string",
            Format::LayerSqlite => "layer-sqlite",
            Format::FerogramSqlite => "ferogram-sqlite",
            Format::Telethon2Sqlite => "telethon2-sqlite",
        }
    }

    /// A human description: the library and the kind of file.
    pub fn description(self) -> &'static str {
        match self {
            Format::Tgsession => "tgsession binary session",
            Format::TelethonString => "Telethon StringSession",
            Format::TelethonSqlite => "Telethon SQLite session file",
            Format::PyrogramString => "Pyrogram 2 / Kurigram string session",
            Format::Pyrogram1String => "Pyrogram 1.x string session",
            Format::PyrogramSqlite => "Pyrogram / Kurigram SQLite session file",
            Format::GramjsString => "GramJS / teleproto StringSession",
            Format::GotdJson => "gotd/td JSON session",
            Format::GrammersSqlite => "grammers 0.11 SqliteSession",
            Format::GrammersTl => "grammers <= 0.7 TL session file",
            Format::Layer => "layer / ferogram binary session",
            Format::LayerString => "layer / ferogram string session",
            Format::FerogramString => "ferogram portable StringSession",
            Format::LayerSqlite => "layer-client 0.5 SQLite session",
            Format::FerogramSqlite => "ferogram SQLite session",
            Format::Telethon2Sqlite => "Telethon 2 SQLite session file",
        }
    }

    /// Whether this crate can write the format (the others are read only).
    pub fn can_write(self) -> bool {
        !matches!(
            self,
            Format::Pyrogram1String | Format::GrammersTl | Format::Layer | Format::LayerString
        )
    }

    /// Whether the format is text (a string session or JSON) rather than a binary file. Readers of text
    /// formats ignore leading and trailing ASCII whitespace, such as the newline a file ends with.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Format::TelethonString
                | Format::PyrogramString
                | Format::Pyrogram1String
                | Format::GramjsString
                | Format::GotdJson
                | Format::LayerString
                | Format::FerogramString
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = InteropError;

    /// Parses a [name](Format::name), ignoring ASCII case; `_` may stand for `-`.
    fn from_str(name: &str) -> Result<Format, InteropError> {
        let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
        Format::ALL
            .into_iter()
            .find(|format| format.name() == wanted)
            .ok_or_else(|| InteropError::UnknownFormat {
                name: name.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for format in Format::ALL {
            assert_eq!(format.name().parse::<Format>().unwrap(), format);
            assert_eq!(format.to_string(), format.name());
        }
        let mut names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Format::ALL.len());
        assert_eq!(
            "Telethon_String".parse::<Format>().unwrap(),
            Format::TelethonString
        );
        assert!("telethon".parse::<Format>().is_err());
    }
}
