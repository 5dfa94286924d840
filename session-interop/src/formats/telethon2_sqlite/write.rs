//! Writing a [`Session`] as a Telethon 2 `SqliteSession`.

use rusqlite::{params, Connection};
use session_core::{AuthKey, PeerId, Session};

use super::{schema, DEFAULT_DC, FORMAT};
use crate::error::InteropError;
use crate::formats::common::{self, Keeps};
use crate::formats::{addr, dc_merge};
use crate::report::{Dropped, Exported};
use crate::sqlite;

/// One `datacenter` row.
struct DcRow {
    id: i32,
    ipv4: Option<String>,
    ipv6: Option<String>,
    auth: Option<AuthKey>,
}

/// The `user` row: id, DC, bot flag, username.
type UserRow = (i64, i32, bool, Option<String>);

/// Writes `session`; see the module documentation for what is dropped and refused.
pub(super) fn write(session: &Session) -> Result<Exported, InteropError> {
    let keeps = Keeps {
        user: true,
        user_dc: true,
        user_username: true,
        update_state: true,
        channel_states: true,
        ..Keeps::default()
    };
    let mut dropped = common::unkept(FORMAT, session, keeps);
    let dcs = dc_rows(session, &mut dropped)?;
    let user = user_row(session, &mut dropped)?;
    let channels = channel_rows(session)?;

    let mut db = sqlite::create(FORMAT)?;
    schema::create(&db)?;
    insert(&mut db, session, &dcs, user.as_ref(), &channels)
        .map_err(|err| sqlite::sqlite_error(FORMAT, "cannot fill the database", &err))?;
    let bytes = sqlite::to_bytes(FORMAT, &mut db)?;
    Ok(Exported { bytes, dropped })
}

fn unwritable(reason: String) -> InteropError {
    InteropError::Unwritable {
        format: FORMAT,
        reason,
    }
}

fn checked_dc_id(id: i32) -> Result<i32, InteropError> {
    common::dc_id(FORMAT, id.into())
        .map_err(|_| unwritable(format!("DC id {id} is not a Telegram DC")))
}

/// One row per DC id, entries of one id merged.
fn dc_rows(session: &Session, dropped: &mut Vec<Dropped>) -> Result<Vec<DcRow>, InteropError> {
    let (merged, conflicts) = dc_merge::merge(session.dcs.iter().cloned(), |a, b| a.id == b.id);
    if conflicts > 0 {
        dropped.push(Dropped::new(
            format!("{conflicts} addresses, keys, salts or clock offsets of repeated DC entries"),
            "Telethon 2 keeps one row per DC id",
        ));
    }
    let mut rows = Vec::with_capacity(merged.len());
    for entry in merged {
        let id = checked_dc_id(entry.id)?;
        let ipv4 = entry
            .ipv4
            .map(|v4| addr::check_write(FORMAT, id, v4.into()).map(|_| v4.to_string()))
            .transpose()?;
        let ipv6 = match entry.ipv6 {
            Some(v6) => {
                addr::check_write(FORMAT, id, v6.into())?;
                if v6.flowinfo() != 0 || v6.scope_id() != 0 {
                    dropped.push(Dropped::new(
                        format!("flow info and scope id of DC {id}'s IPv6 address"),
                        "Telethon 2 keeps an address as `ip:port`",
                    ));
                }
                Some(format!("{}:{}", v6.ip(), v6.port()))
            }
            None => None,
        };
        rows.push(DcRow {
            id,
            ipv4,
            ipv6,
            auth: entry.auth_key,
        });
    }
    rows.sort_by_key(|row| row.id);
    Ok(rows)
}

/// The user row, whose DC is the home DC (see the module documentation).
fn user_row(
    session: &Session,
    dropped: &mut Vec<Dropped>,
) -> Result<Option<UserRow>, InteropError> {
    let Some(user) = &session.user else {
        if let Some(home) = session.home_dc.filter(|&home| home != DEFAULT_DC) {
            dropped.push(Dropped::new(
                format!("home DC {home}"),
                "Telethon 2 keeps the home DC as the logged-in user's; without a user it connects to DC 2",
            ));
        }
        return Ok(None);
    };
    if PeerId::User(user.id).marked().is_none() {
        return Err(unwritable(format!(
            "user id {} is not a Telegram user id",
            user.id
        )));
    }
    let dc = session
        .home_dc
        .or(user.dc)
        .ok_or(InteropError::MissingField {
            format: FORMAT,
            field: "home DC",
            hint: None,
        })?;
    if let Some(own) = user.dc.filter(|&own| own != dc) {
        dropped.push(Dropped::new(
            format!("logged-in user's DC ({own})"),
            "Telethon 2 keeps the home DC as the logged-in user's DC",
        ));
    }
    Ok(Some((
        user.id,
        checked_dc_id(dc)?,
        user.bot,
        user.username.clone(),
    )))
}

/// The `channelstate` rows.
fn channel_rows(session: &Session) -> Result<Vec<(i64, i32)>, InteropError> {
    let Some(state) = &session.update_state else {
        return Ok(Vec::new());
    };
    state
        .channels
        .iter()
        .map(|(&id, &pts)| match PeerId::Channel(id).marked() {
            Some(_) => Ok((id, pts)),
            None => Err(unwritable(format!(
                "the update state has channel id {id}, which is not a channel id"
            ))),
        })
        .collect()
}

fn insert(
    db: &mut Connection,
    session: &Session,
    dcs: &[DcRow],
    user: Option<&UserRow>,
    channels: &[(i64, i32)],
) -> rusqlite::Result<()> {
    let tx = db.transaction()?;
    {
        let mut insert = tx.prepare("INSERT INTO datacenter VALUES (?1, ?2, ?3, ?4)")?;
        for dc in dcs {
            let auth = dc.auth.as_ref().map(|key| &key.as_bytes()[..]);
            insert.execute(params![dc.id, dc.ipv4, dc.ipv6, auth])?;
        }
        let mut insert = tx.prepare("INSERT INTO channelstate VALUES (?1, ?2)")?;
        for (id, pts) in channels {
            insert.execute(params![id, pts])?;
        }
    }
    if let Some((id, dc, bot, username)) = user {
        tx.execute(
            "INSERT INTO user VALUES (?1, ?2, ?3, ?4)",
            params![id, dc, bot, username],
        )?;
    }
    if let Some(state) = &session.update_state {
        tx.execute(
            "INSERT INTO state VALUES (?1, ?2, ?3, ?4)",
            params![state.pts, state.qts, state.date, state.seq],
        )?;
    }
    tx.commit()
}
