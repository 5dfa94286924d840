//! The two Telethon schema versions this crate reads and writes, with the exact DDL Telethon uses.

use crate::options::TelethonSchema;
use crate::sqlite::{Column, Presence, Spec, Table};

/// A Telethon SQLite schema version this crate handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Version {
    /// Schema 7 (Telethon 1.36 to 1.42; later versions upgrade it on open).
    V7,
    /// Schema 8 (Telethon 1.43 and later): adds `sessions.tmp_auth_key`.
    V8,
}

/// Builds the `sessions` table's DDL: the columns both versions share, then `$last`.
macro_rules! sessions_ddl {
    ($last:literal) => {
        concat!(
            "CREATE TABLE sessions (\n",
            "                    dc_id integer primary key,\n",
            "                    server_address text,\n",
            "                    port integer,\n",
            "                    auth_key blob,\n",
            $last,
            "\n                )"
        )
    };
}

const VERSION_DDL: &str = "CREATE TABLE version (version integer primary key)";

const SESSIONS_V7_DDL: &str = sessions_ddl!("                    takeout_id integer");

const SESSIONS_V8_DDL: &str =
    sessions_ddl!("                    takeout_id integer,\n                    tmp_auth_key blob");

const ENTITIES_DDL: &str = concat!(
    "CREATE TABLE entities (\n",
    "                    id integer primary key,\n",
    "                    hash integer not null,\n",
    "                    username text,\n",
    "                    phone integer,\n",
    "                    name text,\n",
    "                    date integer\n",
    "                )"
);

const SENT_FILES_DDL: &str = concat!(
    "CREATE TABLE sent_files (\n",
    "                    md5_digest blob,\n",
    "                    file_size integer,\n",
    "                    type integer,\n",
    "                    id integer,\n",
    "                    hash integer,\n",
    "                    primary key(md5_digest, file_size, type)\n",
    "                )"
);

const UPDATE_STATE_DDL: &str = concat!(
    "CREATE TABLE update_state (\n",
    "                    id integer primary key,\n",
    "                    pts integer,\n",
    "                    qts integer,\n",
    "                    date integer,\n",
    "                    seq integer\n",
    "                )"
);

/// The tables and columns of schemas 7 and 8 (which adds `sessions.tmp_auth_key`, so it is optional here and
/// the reader requires it of schema 8 files), as SQLite reports their declared types. Telethon creates no
/// triggers; `sent_files`' primary key gives it an index of SQLite's own. Only the version table identifies
/// a file: it is checked when the file is opened, the others once the version is known to be one of these.
pub(super) const SPEC: Spec = Spec {
    tables: &[
        Table::new(
            "version",
            Presence::Identifying,
            &[Column::new("version", "INTEGER")],
        ),
        Table::new(
            "sessions",
            Presence::Required,
            &[
                Column::new("dc_id", "INTEGER"),
                Column::new("server_address", "TEXT"),
                Column::new("port", "INTEGER"),
                Column::new("auth_key", "BLOB"),
                Column::new("takeout_id", "INTEGER"),
                Column::optional("tmp_auth_key", "BLOB"),
            ],
        ),
        Table::new(
            "entities",
            Presence::Required,
            &[
                Column::new("id", "INTEGER"),
                Column::new("hash", "INTEGER"),
                Column::new("username", "TEXT"),
                Column::new("phone", "INTEGER"),
                Column::new("name", "TEXT"),
                Column::new("date", "INTEGER"),
            ],
        ),
        Table::new(
            "sent_files",
            Presence::Required,
            &[
                Column::new("md5_digest", "BLOB"),
                Column::new("file_size", "INTEGER"),
                Column::new("type", "INTEGER"),
                Column::new("id", "INTEGER"),
                Column::new("hash", "INTEGER"),
            ],
        ),
        Table::new(
            "update_state",
            Presence::Required,
            &[
                Column::new("id", "INTEGER"),
                Column::new("pts", "INTEGER"),
                Column::new("qts", "INTEGER"),
                Column::new("date", "INTEGER"),
                Column::new("seq", "INTEGER"),
            ],
        ),
    ],
    triggers: &[],
};

impl Version {
    /// The version for a number stored in the `version` table, if this crate handles it.
    pub(super) fn from_number(number: i64) -> Option<Version> {
        match number {
            7 => Some(Version::V7),
            8 => Some(Version::V8),
            _ => None,
        }
    }

    /// The number stored in the `version` table.
    pub(super) fn number(self) -> i64 {
        match self {
            Version::V7 => 7,
            Version::V8 => 8,
        }
    }

    /// The `CREATE TABLE` statements, in the order Telethon runs them (so `sqlite_master` reads the same).
    pub(super) fn ddl(self) -> [&'static str; 5] {
        let sessions = match self {
            Version::V7 => SESSIONS_V7_DDL,
            Version::V8 => SESSIONS_V8_DDL,
        };
        [
            VERSION_DDL,
            sessions,
            ENTITIES_DDL,
            SENT_FILES_DDL,
            UPDATE_STATE_DDL,
        ]
    }

    /// Whether the `sessions` table has the `tmp_auth_key` column.
    pub(super) fn has_tmp_auth_key(self) -> bool {
        self == Version::V8
    }
}

impl From<TelethonSchema> for Version {
    fn from(schema: TelethonSchema) -> Version {
        match schema {
            TelethonSchema::V7 => Version::V7,
            TelethonSchema::V8 => Version::V8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_8_only_adds_the_temporary_key_column() {
        assert_eq!(
            SESSIONS_V8_DDL.replace(",\n                    tmp_auth_key blob", ""),
            SESSIONS_V7_DDL
        );
        assert_eq!(Version::V7.ddl()[2..], Version::V8.ddl()[2..]);
        for version in [Version::V7, Version::V8] {
            assert_eq!(Version::from_number(version.number()), Some(version));
        }
        assert_eq!(Version::from_number(6), None);
        assert_eq!(Version::from_number(9), None);
    }
}
