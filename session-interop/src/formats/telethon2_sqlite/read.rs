//! Reading a Telethon 2 `SqliteSession` into a [`Session`].

use std::collections::BTreeMap;
use std::net::SocketAddr;

use rusqlite::types::ValueRef;
use rusqlite::Row;
use session_core::{DcEntry, PeerId, Session, UpdateState, User};

use super::{schema, DEFAULT_DC, FORMAT};
use crate::error::InteropError;
use crate::formats::{addr, common};
use crate::report::Imported;
use crate::sqlite::{self, Database};

/// What SQLite's errors while reading rows say was going on.
const READING: &str = "cannot read the session";

/// Reads the database file in `bytes`.
pub(super) fn read(bytes: &[u8]) -> Result<Imported, InteropError> {
    let db = schema::open(bytes)?;
    let dcs = datacenters(&db)?;
    let user = user(&db)?;
    let home_dc = match &user {
        Some(user) => user.dc,
        None => dcs
            .iter()
            .any(|dc| dc.id == DEFAULT_DC)
            .then_some(DEFAULT_DC),
    };
    let session = Session {
        home_dc,
        dcs,
        user,
        update_state: update_state(&db)?,
        ..Session::default()
    };
    Ok(Imported {
        session,
        dropped: Vec::new(),
    })
}

fn malformed(reason: impl Into<String>) -> InteropError {
    InteropError::malformed(FORMAT, reason)
}

fn value<T: rusqlite::types::FromSql>(row: &Row<'_>, index: usize) -> Result<T, InteropError> {
    sqlite::value(FORMAT, row, index)
}

fn int32(row: &Row<'_>, index: usize, name: &str) -> Result<i32, InteropError> {
    let number: i64 = value(row, index)?;
    i32::try_from(number).map_err(|_| malformed(format!("{name} {number} is beyond 32 bits")))
}

fn datacenters(db: &Database) -> Result<Vec<DcEntry>, InteropError> {
    // Rows come in key order (`id` is the rowid), without a sort.
    db.rows(
        "SELECT id, ipv4_addr, ipv6_addr, auth FROM datacenter",
        READING,
        |row| {
            let mut dc = DcEntry::new(common::dc_id(FORMAT, value(row, 0)?)?);
            for (index, ipv6) in [(1, false), (2, true)] {
                if let Some(text) = value::<Option<String>>(row, index)? {
                    let server = address(&text, ipv6)?;
                    addr::set(&mut dc, server);
                }
            }
            dc.auth_key = match row.get_ref(3) {
                Ok(ValueRef::Null | ValueRef::Blob([])) => None,
                Ok(ValueRef::Blob(key)) => common::auth_key(FORMAT, key)?,
                _ => return Err(malformed("an auth key that is not a blob")),
            };
            Ok(dc)
        },
    )
}

/// An `ipv4_addr` (`ipv6` false) or `ipv6_addr` column's address.
fn address(text: &str, ipv6: bool) -> Result<SocketAddr, InteropError> {
    let server = addr::socket_addr_unbracketed(FORMAT, text)?;
    if server.is_ipv6() != ipv6 {
        let (family, column) = if ipv6 {
            ("IPv6", "ipv6_addr")
        } else {
            ("IPv4", "ipv4_addr")
        };
        return Err(malformed(format!(
            "an address that is not {family} in the `{column}` column"
        )));
    }
    Ok(server)
}

fn user(db: &Database) -> Result<Option<User>, InteropError> {
    let mut users = db.rows("SELECT id, dc, bot, username FROM user", READING, |row| {
        let id: i64 = value(row, 0)?;
        if PeerId::User(id).marked().is_none() {
            return Err(malformed(format!("user id {id} is not a Telegram user id")));
        }
        let bot = match value::<i64>(row, 2)? {
            0 => false,
            1 => true,
            other => return Err(malformed(format!("bot flag {other} (must be 0 or 1)"))),
        };
        Ok(User {
            id,
            bot,
            username: value(row, 3)?,
            dc: Some(common::dc_id(FORMAT, value(row, 1)?)?),
        })
    })?;
    if users.len() > 1 {
        return Err(malformed(format!(
            "{} rows in `user` (at most one)",
            users.len()
        )));
    }
    Ok(users.pop())
}

fn update_state(db: &Database) -> Result<Option<UpdateState>, InteropError> {
    let mut states = db.rows("SELECT pts, qts, date, seq FROM state", READING, |row| {
        Ok(UpdateState {
            pts: int32(row, 0, "a pts")?,
            qts: int32(row, 1, "a qts")?,
            date: int32(row, 2, "a date")?,
            seq: int32(row, 3, "a seq")?,
            channels: BTreeMap::new(),
        })
    })?;
    if states.len() > 1 {
        return Err(malformed(format!(
            "{} rows in `state` (at most one)",
            states.len()
        )));
    }
    let channels = db.rows("SELECT id, pts FROM channelstate", READING, |row| {
        let id: i64 = value(row, 0)?;
        if PeerId::Channel(id).marked().is_none() {
            return Err(malformed(format!(
                "channelstate for {id}, which is not a channel id"
            )));
        }
        Ok((id, int32(row, 1, "a channel pts")?))
    })?;
    let state = states.pop();
    if state.is_none() && channels.is_empty() {
        return Ok(None);
    }
    let mut state = state.unwrap_or_default();
    state.channels = channels.into_iter().collect();
    Ok(Some(state))
}
