//! Reading a Pyrogram (schema 3) or Kurigram (schema 7) file.

use std::collections::BTreeMap;

use rusqlite::types::ValueRef;
use session_core::{AuthKey, DcEntry, PeerId, Session, UpdateState};

use super::peers;
use super::schema::SPEC;
use crate::error::InteropError;
use crate::format::Format;
use crate::formats::{addr, common, pyrogram};
use crate::report::{Dropped, Imported};
use crate::sqlite::{self, Database};

const FORMAT: Format = Format::PyrogramSqlite;

/// The schema versions this reader knows: Pyrogram 2.0's and Kurigram's.
const VERSIONS: [i64; 2] = [3, 7];

/// Reads a Pyrogram or Kurigram session file: its schema is checked before any row is read, the tables other
/// than the identifying ones (the version table among them) only after the version is read (so another
/// version is [`InteropError::Unsupported`] even when its other tables differ).
pub(crate) fn read(bytes: &[u8]) -> Result<Imported, InteropError> {
    let db = Database::open(FORMAT, bytes, &SPEC)?;
    let version = version(&db)?;
    if !VERSIONS.contains(&version) {
        return Err(InteropError::Unsupported {
            format: FORMAT,
            reason: format!(
                "schema version {version}; this crate reads versions 3 (Pyrogram 2.0) and 7 (Kurigram)"
            ),
        });
    }
    db.check(&SPEC)?;
    let (mut session, mut dropped) = session_row(&db)?;
    let (peers, peers_dropped) = peers::read(&db)?;
    session.peers = peers;
    dropped.extend(peers_dropped);
    session.update_state = update_state(&db)?;
    Ok(Imported { session, dropped })
}

/// The error for a failed query: SQLite's message names tables and columns, never values.
pub(super) fn query_error(err: rusqlite::Error) -> InteropError {
    sqlite::sqlite_error(FORMAT, "cannot read the session", &err)
}

/// `name` when `table` has that column, else `NULL`: a select-list item for a column some files lack.
pub(super) fn optional(db: &Database, table: &str, name: &'static str) -> &'static str {
    if db.has_column(table, name) {
        name
    } else {
        "NULL"
    }
}

/// Runs `sql` and collects its rows, each made by `map`.
fn query_rows<T>(
    db: &Database,
    sql: &str,
    mut map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, InteropError> {
    db.rows(sql, "cannot read the session", |row| {
        map(row).map_err(query_error)
    })
}

/// The one row of `version`.
fn version(db: &Database) -> Result<i64, InteropError> {
    let numbers = query_rows(db, "SELECT number FROM version LIMIT 2", |row| row.get(0))?;
    match numbers[..] {
        [number] => Ok(number),
        [] => Err(InteropError::malformed(
            FORMAT,
            "the version table is empty",
        )),
        _ => Err(InteropError::malformed(
            FORMAT,
            "the version table has several rows",
        )),
    }
}

/// The `sessions` row as stored.
struct SessionRow {
    dc_id: i64,
    api_id: Option<i64>,
    test_mode: Option<i64>,
    auth_key: Result<Option<AuthKey>, InteropError>,
    date: Option<i64>,
    user_id: Option<i64>,
    is_bot: Option<i64>,
    server_address: Option<String>,
    port: Option<i64>,
}

/// The session the one `sessions` row describes, and its dropped `date`.
fn session_row(db: &Database) -> Result<(Session, Vec<Dropped>), InteropError> {
    let sql = format!(
        "SELECT dc_id, {}, test_mode, auth_key, {}, user_id, is_bot, {}, {} FROM sessions",
        optional(db, "sessions", "api_id"),
        optional(db, "sessions", "date"),
        optional(db, "sessions", "server_address"),
        optional(db, "sessions", "port"),
    );
    let mut rows = query_rows(db, &sql, |row| {
        let auth_key = match row.get_ref(3)? {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(bytes) => common::auth_key(FORMAT, bytes),
            _ => Err(InteropError::malformed(
                FORMAT,
                "sessions.auth_key is not a blob",
            )),
        };
        Ok(SessionRow {
            dc_id: row.get(0)?,
            api_id: row.get(1)?,
            test_mode: row.get(2)?,
            auth_key,
            date: row.get(4)?,
            user_id: row.get(5)?,
            is_bot: row.get(6)?,
            server_address: row.get(7)?,
            port: row.get(8)?,
        })
    })?;
    let row = match rows.len() {
        1 => rows.remove(0),
        0 => {
            return Err(InteropError::malformed(
                FORMAT,
                "the sessions table is empty",
            ))
        }
        _ => {
            return Err(InteropError::malformed(
                FORMAT,
                "the sessions table has several rows",
            ))
        }
    };
    let flag = |what, value: Option<i64>| {
        value
            .map(|value| pyrogram::flag(FORMAT, what, value))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    let test_mode = flag("sessions.test_mode", row.test_mode)?;
    let bot = flag("sessions.is_bot", row.is_bot)?;
    let mut entry = home_entry(&row, test_mode)?;
    entry.auth_key = row.auth_key?;
    let mut session = common::home_session(entry);
    session.test_mode = test_mode;
    session.api_id = row
        .api_id
        .map(|id| pyrogram::api_id(FORMAT, id))
        .transpose()?;
    // Pyrogram treats a user id of 0 like NULL: not logged in.
    session.user = match row.user_id {
        None | Some(0) => None,
        Some(id) => Some(pyrogram::user(FORMAT, id, bot)?),
    };
    let mut dropped = Vec::new();
    if row.date.is_some_and(|date| date != 0) {
        dropped.push(Dropped::new(
            "the session's date (sessions.date)",
            "a Session has no place for it",
        ));
    }
    Ok((session, dropped))
}

/// The home DC's entry: Kurigram's own address when the row has one, else the DC table's.
fn home_entry(row: &SessionRow, test_mode: bool) -> Result<DcEntry, InteropError> {
    match (&row.server_address, row.port) {
        (None, None) => pyrogram::table_entry(FORMAT, test_mode, row.dc_id),
        (Some(address), Some(port)) => {
            let ip = addr::ip_text(FORMAT, address.as_bytes())?;
            let id = common::dc_id(FORMAT, row.dc_id)?;
            Ok(addr::entry(id, addr::server(FORMAT, ip, port)?))
        }
        _ => Err(InteropError::malformed(
            FORMAT,
            "sessions.server_address and port must be both set or both NULL",
        )),
    }
}

/// Kurigram's update state: row 0 is the account's, any other row a channel's pts (bare id, or a marked
/// channel id). `None` when the file has no such table or no rows.
fn update_state(db: &Database) -> Result<Option<UpdateState>, InteropError> {
    if !db.has_table("update_state") {
        return Ok(None);
    }
    type StateRow = (i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
    let rows: Vec<StateRow> = query_rows(
        db,
        "SELECT id, pts, qts, date, seq FROM update_state",
        |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        },
    )?;
    if rows.is_empty() {
        return Ok(None);
    }
    // A file with channel rows but no account row gets an account state of zeros, which holds the channels.
    let mut state = UpdateState::default();
    let mut channels = BTreeMap::new();
    for (id, pts, qts, date, seq) in rows {
        if id == 0 {
            state.pts = int32("pts", pts)?;
            state.qts = int32("qts", qts)?;
            state.date = int32("date", date)?;
            state.seq = int32("seq", seq)?;
        } else if channels
            .insert(channel_id(id)?, int32("pts", pts)?)
            .is_some()
        {
            return Err(InteropError::malformed(
                FORMAT,
                format!("the update state of channel {id} is there twice"),
            ));
        }
    }
    state.channels = channels;
    Ok(Some(state))
}

/// A bare channel id from an update-state row id: a positive bare id or a marked channel id.
fn channel_id(id: i64) -> Result<i64, InteropError> {
    if id > 0 {
        return Ok(id);
    }
    match PeerId::from_marked(id) {
        Some(PeerId::Channel(bare)) => Ok(bare),
        _ => Err(InteropError::malformed(
            FORMAT,
            format!("update state row {id} is not a channel"),
        )),
    }
}

/// An update-state number, which must be set and fit in 32 bits.
fn int32(what: &str, value: Option<i64>) -> Result<i32, InteropError> {
    let value = value
        .ok_or_else(|| InteropError::malformed(FORMAT, format!("update state {what} is NULL")))?;
    i32::try_from(value).map_err(|_| {
        InteropError::malformed(
            FORMAT,
            format!("update state {what} {value} is out of range"),
        )
    })
}
