//! The tables of a Telethon 2 `SqliteSession` (version 10), exactly as Telethon 2 creates them, and the
//! version check.

use rusqlite::Connection;

use super::FORMAT;
use crate::error::InteropError;
use crate::sqlite::{self, Column, Database, Presence, Spec, Table};

/// The schema version of Telethon 2.
const VERSION: i64 = 10;

/// Every table, with the statement that creates it (the text `sqlite_master` holds for Telethon 2's files).
const TABLES: [(&str, &str); 5] = [
    (
        "version",
        "CREATE TABLE version (
                version integer primary key
            )",
    ),
    (
        "datacenter",
        "CREATE TABLE datacenter(
                id integer primary key,
                ipv4_addr text,
                ipv6_addr text,
                auth blob
            )",
    ),
    (
        "user",
        "CREATE TABLE user(
                id integer primary key,
                dc integer not null,
                bot integer not null,
                username text
            )",
    ),
    (
        "state",
        "CREATE TABLE state(
                pts integer not null,
                qts integer not null,
                date integer not null,
                seq integer not null
            )",
    ),
    (
        "channelstate",
        "CREATE TABLE channelstate(
                id integer primary key,
                pts integer not null
            )",
    ),
];

/// The tables as the reader checks them. `version` and `datacenter` identify a file (Telethon 1.x files have
/// the first, not the second).
pub(super) const SPEC: Spec = Spec {
    tables: &[
        Table::new(
            "version",
            Presence::Identifying,
            &[Column::new("version", "INTEGER")],
        ),
        Table::new(
            "datacenter",
            Presence::Identifying,
            &[
                Column::new("id", "INTEGER"),
                Column::new("ipv4_addr", "TEXT"),
                Column::new("ipv6_addr", "TEXT"),
                Column::new("auth", "BLOB"),
            ],
        ),
        Table::new(
            "user",
            Presence::Required,
            &[
                Column::new("id", "INTEGER"),
                Column::new("dc", "INTEGER"),
                Column::new("bot", "INTEGER"),
                Column::new("username", "TEXT"),
            ],
        ),
        Table::new(
            "state",
            Presence::Required,
            &[
                Column::new("pts", "INTEGER"),
                Column::new("qts", "INTEGER"),
                Column::new("date", "INTEGER"),
                Column::new("seq", "INTEGER"),
            ],
        ),
        Table::new(
            "channelstate",
            Presence::Required,
            &[Column::new("id", "INTEGER"), Column::new("pts", "INTEGER")],
        ),
    ],
    triggers: &[],
};

/// Opens `bytes` as a Telethon 2 session: its identifying tables (else [`InteropError::Malformed`]), one
/// version row of 10 (another number is [`InteropError::Unsupported`]), then exactly its tables and columns.
pub(super) fn open(bytes: &[u8]) -> Result<Database, InteropError> {
    let db = Database::open(FORMAT, bytes, &SPEC)?;
    let versions = db.rows(
        "SELECT version FROM version",
        "cannot read the version",
        |row| sqlite::value::<i64>(FORMAT, row, 0),
    )?;
    match versions[..] {
        [VERSION] => {}
        [other] => {
            return Err(InteropError::Unsupported {
                format: FORMAT,
                reason: format!("schema version {other} (this crate reads Telethon 2's {VERSION})"),
            })
        }
        _ => {
            return Err(InteropError::malformed(
                FORMAT,
                format!("the version table has {} rows (must be 1)", versions.len()),
            ))
        }
    }
    db.check(&SPEC)?;
    Ok(db)
}

/// Creates Telethon 2's tables in the empty database `db`, with its version row.
pub(super) fn create(db: &Connection) -> Result<(), InteropError> {
    for (name, ddl) in TABLES {
        db.execute_batch(ddl).map_err(|err| {
            sqlite::sqlite_error(FORMAT, &format!("cannot create the `{name}` table"), &err)
        })?;
    }
    db.execute("INSERT INTO version VALUES (?1)", [VERSION])
        .map_err(|err| sqlite::sqlite_error(FORMAT, "cannot write the version", &err))?;
    Ok(())
}
