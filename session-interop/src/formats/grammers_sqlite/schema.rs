//! The tables of a grammers 0.11 `SqliteSession`, exactly as grammers creates them, and the version check.

use rusqlite::Connection;

use super::FORMAT;
use crate::error::InteropError;
use crate::sqlite;

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

/// Checks that `db` is a grammers session of the version this module reads: it must have grammers' tables
/// (else [`InteropError::Malformed`]) and `user_version` 1 (else [`InteropError::Unsupported`]).
pub(super) fn check(db: &Connection) -> Result<(), InteropError> {
    // `dc_option` and `peer_info` are grammers' own names: without them the file is some other database.
    for name in ["dc_option", "peer_info"] {
        if !sqlite::has_table(FORMAT, db, name)? {
            return Err(InteropError::malformed(
                FORMAT,
                format!("no `{name}` table: not a grammers session"),
            ));
        }
    }
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|err| sqlite::sqlite_error(FORMAT, "cannot read the user_version", &err))?;
    if version != VERSION {
        return Err(InteropError::Unsupported {
            format: FORMAT,
            reason: format!("user_version {version} (this crate reads grammers 0.11's {VERSION})"),
        });
    }
    for (name, _) in TABLES {
        if !sqlite::has_table(FORMAT, db, name)? {
            return Err(InteropError::malformed(
                FORMAT,
                format!("no `{name}` table"),
            ));
        }
    }
    Ok(())
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
