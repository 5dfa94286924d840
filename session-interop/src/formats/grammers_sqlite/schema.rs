//! The tables of a grammers 0.11 `SqliteSession`, exactly as grammers creates them, and the version check.

use rusqlite::Connection;

use super::FORMAT;
use crate::error::InteropError;
use crate::sqlite::{self, Column, Database, Presence, Spec, Table};

/// The `PRAGMA user_version` of grammers-session 0.11.
const VERSION: i64 = 1;

/// Every table, with the statement that creates it (byte for byte what grammers writes, so that
/// `sqlite_master` matches a file grammers made).
const TABLES: [(&str, &str); 5] = [
    (
        "dc_home",
        "CREATE TABLE dc_home (
                dc_id INTEGER NOT NULL,
                PRIMARY KEY(dc_id))",
    ),
    (
        "dc_option",
        "CREATE TABLE dc_option (
                dc_id INTEGER NOT NULL,
                ipv4 TEXT NOT NULL,
                ipv6 TEXT NOT NULL,
                auth_key BLOB,
                PRIMARY KEY (dc_id))",
    ),
    (
        "peer_info",
        "CREATE TABLE peer_info (
                peer_id INTEGER NOT NULL,
                hash INTEGER,
                subtype INTEGER,
                PRIMARY KEY (peer_id))",
    ),
    (
        "update_state",
        "CREATE TABLE update_state (
                pts INTEGER NOT NULL,
                qts INTEGER NOT NULL,
                date INTEGER NOT NULL,
                seq INTEGER NOT NULL)",
    ),
    (
        "channel_state",
        "CREATE TABLE channel_state (
                peer_id INTEGER NOT NULL,
                pts INTEGER NOT NULL,
                PRIMARY KEY (peer_id))",
    ),
];

/// The tables as the reader checks them: [`TABLES`]' columns with the types SQLite reports for them.
/// `dc_option` and `peer_info` are grammers' own names: a file without them is some other database.
pub(super) const SPEC: Spec = Spec {
    tables: &[
        Table::new(
            "dc_home",
            Presence::Required,
            &[Column::new("dc_id", "INTEGER")],
        ),
        Table::new(
            "dc_option",
            Presence::Identifying,
            &[
                Column::new("dc_id", "INTEGER"),
                Column::new("ipv4", "TEXT"),
                Column::new("ipv6", "TEXT"),
                Column::new("auth_key", "BLOB"),
            ],
        ),
        Table::new(
            "peer_info",
            Presence::Identifying,
            &[
                Column::new("peer_id", "INTEGER"),
                Column::new("hash", "INTEGER"),
                Column::new("subtype", "INTEGER"),
            ],
        ),
        Table::new(
            "update_state",
            Presence::Required,
            &[
                Column::new("pts", "INTEGER"),
                Column::new("qts", "INTEGER"),
                Column::new("date", "INTEGER"),
                Column::new("seq", "INTEGER"),
            ],
        ),
        Table::new(
            "channel_state",
            Presence::Required,
            &[
                Column::new("peer_id", "INTEGER"),
                Column::new("pts", "INTEGER"),
            ],
        ),
    ],
    triggers: &[],
};

/// Opens `bytes` as a grammers session of the version this module reads: grammers' identifying tables (else
/// [`InteropError::Malformed`]), `user_version` 1 (else [`InteropError::Unsupported`]; it is in the file's
/// header, not in a row), then exactly grammers' tables and columns.
pub(super) fn open(bytes: &[u8]) -> Result<Database, InteropError> {
    let db = Database::open(FORMAT, bytes, &SPEC)?;
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|err| sqlite::sqlite_error(FORMAT, "cannot read the user_version", &err))?;
    if version != VERSION {
        return Err(InteropError::Unsupported {
            format: FORMAT,
            reason: format!("user_version {version} (this crate reads grammers 0.11's {VERSION})"),
        });
    }
    db.check(&SPEC)?;
    Ok(db)
}

/// Creates grammers' tables in the empty database `db` and sets its `user_version`.
pub(super) fn create(db: &Connection) -> Result<(), InteropError> {
    for (name, ddl) in TABLES {
        db.execute_batch(ddl).map_err(|err| {
            sqlite::sqlite_error(FORMAT, &format!("cannot create the `{name}` table"), &err)
        })?;
    }
    db.pragma_update(None, "user_version", VERSION)
        .map_err(|err| sqlite::sqlite_error(FORMAT, "cannot set the user_version", &err))
}
