//! Writing a Telethon `.session` file: Telethon's tables, one sessions row, entities and update state.

use rusqlite::{params, Connection};
use session_core::{Session, UpdateState};

use super::entities::{self, Row};
use super::schema::Version;
use super::FORMAT;
use crate::error::InteropError;
use crate::formats::common::{self, Keeps, MAX_DC_ID};
use crate::report::{Dropped, Exported};
use crate::sqlite;

/// What a Telethon file holds besides the home DC's address and key.
fn keeps() -> Keeps {
    Keeps {
        takeout_id: true,
        ..Keeps::account()
    }
}

/// Writes `session` as a file of schema `version`.
pub(super) fn write(session: &Session, version: Version) -> Result<Exported, InteropError> {
    let (dc, mut dropped) = common::home_dc(FORMAT, session)?;
    if !(1..=MAX_DC_ID).contains(&i64::from(dc.id)) {
        return Err(InteropError::Unwritable {
            format: FORMAT,
            reason: format!("DC id {} is not a Telegram DC (1 to {MAX_DC_ID})", dc.id),
        });
    }
    let addr = common::home_addr(FORMAT, dc, true, &mut dropped)?;
    let (entity_rows, entity_dropped) = entities::rows(session);
    dropped.extend(entity_dropped);
    let state_rows = session
        .update_state
        .as_ref()
        .map(|state| update_state_rows(state, &mut dropped))
        .unwrap_or_default();
    dropped.extend(common::unkept(FORMAT, session, keeps()));

    let mut db = sqlite::create(FORMAT)?;
    let tx = db.transaction().map_err(write_error)?;
    create_tables(&tx, version)?;
    let key: &[u8] = dc.auth_key.as_ref().map_or(&[], |key| &key.as_bytes()[..]);
    let address = addr.ip().to_string();
    if version.has_tmp_auth_key() {
        tx.execute(
            "INSERT INTO sessions VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                dc.id,
                address,
                addr.port(),
                key,
                session.takeout_id,
                &[] as &[u8]
            ],
        )
    } else {
        tx.execute(
            "INSERT INTO sessions VALUES (?1, ?2, ?3, ?4, ?5)",
            params![dc.id, address, addr.port(), key, session.takeout_id],
        )
    }
    .map_err(write_error)?;
    insert_entities(&tx, &entity_rows)?;
    let mut insert = tx
        .prepare("INSERT INTO update_state VALUES (?1, ?2, ?3, ?4, ?5)")
        .map_err(write_error)?;
    for row in &state_rows {
        insert.execute(*row).map_err(write_error)?;
    }
    drop(insert);
    tx.commit().map_err(write_error)?;
    let bytes = sqlite::to_bytes(FORMAT, &mut db)?;
    Ok(Exported { bytes, dropped })
}

/// Telethon's tables for `version`, and the version row.
fn create_tables(db: &Connection, version: Version) -> Result<(), InteropError> {
    for ddl in version.ddl() {
        db.execute(ddl, []).map_err(write_error)?;
    }
    db.execute("INSERT INTO version VALUES (?1)", [version.number()])
        .map_err(write_error)?;
    Ok(())
}

fn insert_entities(db: &Connection, rows: &[Row]) -> Result<(), InteropError> {
    let mut insert = db
        .prepare("INSERT INTO entities VALUES (?1, ?2, ?3, ?4, NULL, NULL)")
        .map_err(write_error)?;
    for row in rows {
        insert
            .execute(params![row.id, row.hash, row.username, row.phone])
            .map_err(write_error)?;
    }
    Ok(())
}

/// The update_state rows: the account's (id 0), then one per channel with its pts (channel ids that cannot be
/// a row id, 0 or negative, are reported dropped).
fn update_state_rows(state: &UpdateState, dropped: &mut Vec<Dropped>) -> Vec<[i64; 5]> {
    let account = [0, state.pts, state.qts, state.date, state.seq].map(i64::from);
    let channels = state.channels.iter().filter(|(&id, _)| id > 0);
    let rows: Vec<[i64; 5]> = std::iter::once(account)
        .chain(channels.map(|(&id, &pts)| [id, pts.into(), 0, 0, 0]))
        .collect();
    let invalid = state.channels.len() + 1 - rows.len();
    if invalid > 0 {
        dropped.push(Dropped::new(
            format!("update state of {invalid} channels with an id of 0 or less"),
            "Telethon stores a channel's state under its (positive) id",
        ));
    }
    rows
}

/// Maps a failed SQLite call on the new in-memory database to [`InteropError::Unwritable`].
fn write_error(err: rusqlite::Error) -> InteropError {
    InteropError::Unwritable {
        format: FORMAT,
        reason: format!("SQLite failed to build the file: {err}"),
    }
}
