//! Reading a grammers 0.11 `SqliteSession` into a [`Session`].

use std::collections::BTreeMap;
use std::net::SocketAddr;

use rusqlite::Row;
use session_core::{DcEntry, Peer, PeerId, PeerMap, Session, UpdateState, User};

use super::{schema, subtype, FORMAT, SELF_PLACEHOLDER};
use crate::error::InteropError;
use crate::formats::{addr, common};
use crate::report::{Dropped, Imported};
use crate::sqlite::{self, Database};

/// Reads the database file in `bytes`.
pub(super) fn read(bytes: &[u8]) -> Result<Imported, InteropError> {
    let db = schema::open(bytes)?;
    let mut dropped = Vec::new();
    let (peers, user) = peers(&db, &mut dropped)?;
    let session = Session {
        home_dc: home_dc(&db)?,
        dcs: dc_options(&db)?,
        user,
        update_state: update_state(&db)?,
        peers,
        ..Session::default()
    };
    Ok(Imported { session, dropped })
}

/// What SQLite's errors while reading rows say was going on.
const READING: &str = "cannot read the session";

/// Column `index` of `row` as a `T`; a value of another type (or out of `T`'s range) is malformed.
fn column<T: rusqlite::types::FromSql>(row: &Row<'_>, index: usize) -> Result<T, InteropError> {
    row.get(index)
        .map_err(|err| sqlite::sqlite_error(FORMAT, "a value of the wrong type", &err))
}

/// At most one row of a single-row table.
fn at_most_one<T>(mut rows: Vec<T>, table: &str) -> Result<Option<T>, InteropError> {
    if rows.len() > 1 {
        return Err(InteropError::malformed(
            FORMAT,
            format!("{} rows in `{table}` (at most one)", rows.len()),
        ));
    }
    Ok(rows.pop())
}

fn home_dc(db: &Database) -> Result<Option<i32>, InteropError> {
    let ids = db.rows("SELECT dc_id FROM dc_home", READING, |row| {
        common::dc_id(FORMAT, column(row, 0)?)
    })?;
    at_most_one(ids, "dc_home")
}

fn dc_options(db: &Database) -> Result<Vec<DcEntry>, InteropError> {
    // Sorted here rather than by `ORDER BY`: a query never makes SQLite sort (see `crate::sqlite`).
    let mut dcs = db.rows(
        "SELECT dc_id, ipv4, ipv6, auth_key FROM dc_option",
        READING,
        |row| {
            let mut dc = DcEntry::new(common::dc_id(FORMAT, column(row, 0)?)?);
            for (index, ipv6) in [(1, false), (2, true)] {
                if let Some(server) = address(&column::<String>(row, index)?, ipv6)? {
                    addr::set(&mut dc, server);
                }
            }
            let key = row
                .get_ref(3)
                .and_then(|value| Ok(value.as_blob_or_null()?))
                .map_err(|err| {
                    sqlite::sqlite_error(FORMAT, "an auth key that is not a blob", &err)
                })?;
            dc.auth_key = key
                .map(|key| common::auth_key(FORMAT, key))
                .transpose()?
                .flatten();
            Ok(dc)
        },
    )?;
    dcs.sort_by_key(|dc| dc.id);
    Ok(dcs)
}

/// An `ipv4` (`ipv6` false) or `ipv6` column: `None` for the unspecified address a writer puts where a DC
/// has no address of that family; any other address must be one a client can connect to.
fn address(text: &str, ipv6: bool) -> Result<Option<SocketAddr>, InteropError> {
    let server = addr::parse(FORMAT, text)?;
    if server.is_ipv6() != ipv6 {
        let (wanted, column) = if ipv6 {
            ("IPv6", "ipv6")
        } else {
            ("IPv4", "ipv4")
        };
        return Err(InteropError::malformed(
            FORMAT,
            format!("an address that is not {wanted} in the `{column}` column"),
        ));
    }
    if server.ip().is_unspecified() {
        return Ok(None);
    }
    addr::check_read(FORMAT, server.ip())?;
    Ok(Some(server))
}

/// The peers and the logged-in user.
fn peers(
    db: &Database,
    dropped: &mut Vec<Dropped>,
) -> Result<(PeerMap, Option<User>), InteropError> {
    let mut user = None;
    let mut placeholders = 0_usize;
    let mut peers = Vec::new();
    let all = db.rows(
        "SELECT peer_id, hash, subtype FROM peer_info",
        READING,
        |row| {
            Ok((
                column::<i64>(row, 0)?,
                column::<Option<i64>>(row, 1)?,
                column::<Option<i64>>(row, 2)?,
            ))
        },
    )?;
    for (marked, hash, bits) in all {
        if marked == SELF_PLACEHOLDER {
            placeholders += 1;
            continue;
        }
        let id = PeerId::from_marked(marked).ok_or_else(|| {
            InteropError::malformed(FORMAT, format!("peer id {marked} is not a marked id"))
        })?;
        let (kind, is_self) = subtype::kind(id.class(), bits).ok_or_else(|| {
            let bits = bits.map_or_else(|| "NULL".to_owned(), |bits| bits.to_string());
            InteropError::malformed(
                FORMAT,
                format!("subtype {bits} on peer {marked}, which does not fit its class"),
            )
        })?;
        let access_hash = common::access_hash(FORMAT, id, hash)?;
        if is_self {
            let me = User {
                id: id.bare(),
                bot: kind == session_core::PeerKind::Bot,
                username: None,
                dc: None,
            };
            if user.replace(me).is_some() {
                return Err(InteropError::malformed(
                    FORMAT,
                    "two rows are marked as the logged-in user",
                ));
            }
            if access_hash.is_none() {
                continue;
            }
        }
        let peer = Peer {
            kind,
            access_hash,
            ..Peer::default()
        };
        peers.push((id, peer));
    }
    if placeholders > 0 {
        dropped.push(Dropped::new(
            "the logged-in user's placeholder row (peer id 2^40)",
            "it holds no user id; the logged-in user is the row marked with subtype bit 1",
        ));
    }
    Ok((peers.into_iter().collect(), user))
}

fn update_state(db: &Database) -> Result<Option<UpdateState>, InteropError> {
    let states = db.rows(
        "SELECT pts, qts, date, seq FROM update_state",
        READING,
        |row| {
            Ok((
                column(row, 0)?,
                column(row, 1)?,
                column(row, 2)?,
                column(row, 3)?,
            ))
        },
    )?;
    let state = at_most_one(states, "update_state")?;
    let channels = db.rows("SELECT peer_id, pts FROM channel_state", READING, |row| {
        let id: i64 = column(row, 0)?;
        if PeerId::Channel(id).marked().is_none() {
            return Err(InteropError::malformed(
                FORMAT,
                format!("channel_state for {id}, which is not a channel id"),
            ));
        }
        Ok((id, column(row, 1)?))
    })?;
    if state.is_none() && channels.is_empty() {
        return Ok(None);
    }
    let (pts, qts, date, seq) = state.unwrap_or_default();
    Ok(Some(UpdateState {
        pts,
        qts,
        date,
        seq,
        channels: channels.into_iter().collect::<BTreeMap<_, _>>(),
    }))
}
