//! Reading a Telethon `.session` file: the version, the sessions row, the update state and the counts of what
//! is dropped (entities are [`super::entities`]' job).

use std::net::IpAddr;

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use session_core::{Session, UpdateState};

use super::schema::{Version, SPEC};
use super::FORMAT;
use super::{date, entities};
use crate::error::InteropError;
use crate::formats::{addr, common};
use crate::report::{Dropped, Imported};
use crate::sqlite::{self, Database};

/// Reads the file in `bytes`: its schema is checked before any row is read, the version table's alone before
/// the version is read (so another version is [`InteropError::Unsupported`] even when its tables differ).
pub(super) fn read(bytes: &[u8]) -> Result<Imported, InteropError> {
    let db = Database::open(FORMAT, bytes, &SPEC)?;
    let version = schema_version(&db)?;
    db.check(&SPEC)?;
    if version.has_tmp_auth_key() && !db.has_column("sessions", "tmp_auth_key") {
        return Err(malformed(
            "a schema 8 file whose sessions table has no tmp_auth_key column",
        ));
    }
    let mut dropped = Vec::new();
    let mut session = Session::new();
    read_sessions_row(&db, version, &mut session, &mut dropped)?;
    let entities = entities::read(&db)?;
    session.peers = entities.peers;
    session.user = entities.user;
    dropped.extend(entities.dropped);
    session.update_state = read_update_state(&db, &mut dropped)?;
    let sent_files: i64 = db
        .query_row("SELECT count(*) FROM sent_files", [], |row| row.get(0))
        .map_err(read_error("counting the sent_files rows"))?;
    if sent_files > 0 {
        dropped.push(Dropped::new(
            format!("{sent_files} rows of the sent-files cache"),
            "tgsession does not cache uploaded files",
        ));
    }
    Ok(Imported { session, dropped })
}

/// The schema version of Telethon 2, whose files are another format ([`Format::Telethon2Sqlite`]).
///
/// [`Format::Telethon2Sqlite`]: crate::Format::Telethon2Sqlite
const TELETHON_2: i64 = 10;

/// The one row of the `version` table, as a version this crate reads (Telethon 2's version is malformed
/// here, not unsupported: it is another format).
fn schema_version(db: &Connection) -> Result<Version, InteropError> {
    let mut stmt = db
        .prepare("SELECT version FROM version LIMIT 2")
        .map_err(read_error("reading the version table"))?;
    let numbers: Vec<i64> = stmt
        .query_map([], |row| row.get(0))
        .and_then(|rows| rows.collect())
        .map_err(read_error("reading the version table"))?;
    let [number] = numbers[..] else {
        let found = if numbers.is_empty() {
            "no row"
        } else {
            "more than one row"
        };
        return Err(malformed(format!(
            "the version table has {found} (must be 1)"
        )));
    };
    if number == TELETHON_2 {
        return Err(malformed(
            "schema version 10 is Telethon 2's (its tables differ from 1.x's): read it as telethon2-sqlite",
        ));
    }
    Version::from_number(number).ok_or_else(|| InteropError::Unsupported {
        format: FORMAT,
        reason: format!(
            "schema version {number}; this crate reads versions 7 and 8 (Telethon 1.36 and later), and \
             opening the file once with a current Telethon upgrades an older one"
        ),
    })
}

/// Reads the one sessions row into `session`'s home DC and takeout id.
fn read_sessions_row(
    db: &Connection,
    version: Version,
    session: &mut Session,
    dropped: &mut Vec<Dropped>,
) -> Result<(), InteropError> {
    let sql = if version.has_tmp_auth_key() {
        "SELECT dc_id, server_address, port, auth_key, takeout_id, tmp_auth_key FROM sessions"
    } else {
        "SELECT dc_id, server_address, port, auth_key, takeout_id FROM sessions"
    };
    let doing = "reading the sessions table";
    let mut stmt = db.prepare(sql).map_err(read_error(doing))?;
    let mut rows = stmt.query([]).map_err(read_error(doing))?;
    let mut found = None;
    while let Some(row) = rows.next().map_err(read_error(doing))? {
        if found.is_some() {
            return Err(malformed(
                "the sessions table has more than one row (must be 1)",
            ));
        }
        let dc_id = common::dc_id(FORMAT, row.get(0).map_err(read_error(doing))?)?;
        let ip = server_address(row.get_ref(1).map_err(read_error(doing))?)?;
        let port: i64 = row.get(2).map_err(read_error(doing))?;
        let mut dc = addr::entry(dc_id, addr::server(FORMAT, ip, port)?);
        dc.auth_key = match row.get_ref(3).map_err(read_error(doing))? {
            ValueRef::Null => None,
            ValueRef::Blob([]) => None,
            ValueRef::Blob(key) => common::auth_key(FORMAT, key)?,
            _ => return Err(malformed("the auth_key column is not a blob")),
        };
        session.takeout_id = row.get(4).map_err(read_error(doing))?;
        if version.has_tmp_auth_key() {
            let tmp = row.get_ref(5).map_err(read_error(doing))?;
            if !matches!(tmp, ValueRef::Null | ValueRef::Blob([])) {
                dropped.push(Dropped::new(
                    format!("temporary auth key of DC {dc_id}"),
                    "Telethon does not record when it expires; the client creates a new one when it connects",
                ));
            }
        }
        found = Some(dc);
    }
    let dc = found.ok_or_else(|| {
        malformed("the sessions table has no row (the client never connected: there is nothing to import)")
    })?;
    session.home_dc = Some(dc.id);
    session.dcs.push(dc);
    Ok(())
}

/// The `server_address` column: an IPv4 or IPv6 address as text.
fn server_address(value: ValueRef<'_>) -> Result<IpAddr, InteropError> {
    match value {
        ValueRef::Text(text) => addr::ip_text(FORMAT, text),
        _ => Err(malformed(
            "the server_address column is not an IPv4 or IPv6 address",
        )),
    }
}

/// The update_state rows: id 0 is the account, the others are channels. The numbers are integers; the date
/// may be a float too (see [`date`]), and must be set: Telethon cannot load a NULL one.
fn read_update_state(
    db: &Connection,
    dropped: &mut Vec<Dropped>,
) -> Result<Option<UpdateState>, InteropError> {
    let doing = "reading the update_state table";
    let mut stmt = db
        .prepare("SELECT id, pts, qts, date, seq FROM update_state")
        .map_err(read_error(doing))?;
    let mut rows = stmt.query([]).map_err(read_error(doing))?;
    let mut state = None::<UpdateState>;
    let mut unused_channel_fields = 0usize;
    while let Some(row) = rows.next().map_err(read_error(doing))? {
        let number = |index, column| -> Result<i32, InteropError> {
            int32(column, row.get(index).map_err(read_error(doing))?)
        };
        let id: i64 = row.get(0).map_err(read_error(doing))?;
        let pts = number(1, "pts")?;
        let qts = number(2, "qts")?;
        let date = date::read(
            "an update_state date",
            row.get_ref(3).map_err(read_error(doing))?,
        )?
        .ok_or_else(|| malformed("an update_state date is NULL"))?;
        let seq = number(4, "seq")?;
        let state = state.get_or_insert_with(UpdateState::default);
        if id == 0 {
            state.pts = pts;
            state.qts = qts;
            state.date = date;
            state.seq = seq;
        } else if id > 0 {
            state.channels.insert(id, pts);
            if [qts, date, seq] != [0; 3] {
                unused_channel_fields += 1;
            }
        } else {
            return Err(malformed(
                "an update_state row with a negative id (must be 0 or a channel id)",
            ));
        }
    }
    if unused_channel_fields > 0 {
        dropped.push(Dropped::new(
            format!("qts, date and seq of {unused_channel_fields} channel update states"),
            "a channel's update state is its pts only",
        ));
    }
    Ok(state)
}

fn int32(column: &str, value: i64) -> Result<i32, InteropError> {
    i32::try_from(value).map_err(|_| {
        malformed(format!(
            "an update_state {column} beyond the 32-bit range MTProto uses"
        ))
    })
}

fn malformed(reason: impl Into<String>) -> InteropError {
    InteropError::malformed(FORMAT, reason)
}

/// Maps a failed SQLite call while `doing` something to [`InteropError::Malformed`] (the file is not what a
/// Telethon file must be: a missing column, a value of the wrong type, a corrupt page).
pub(super) fn read_error(doing: &'static str) -> impl Fn(rusqlite::Error) -> InteropError {
    move |err| sqlite::sqlite_error(FORMAT, doing, &err)
}
