//! Writing a [`Session`] as a grammers 0.11 `SqliteSession`.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use rusqlite::{params, Connection};
use session_core::{AuthKey, PeerId, PeerKind, Session};

use super::{schema, subtype, FORMAT, SELF_PLACEHOLDER};
use crate::error::InteropError;
use crate::formats::addr;
use crate::formats::common::{self, Keeps};
use crate::formats::dc_merge;
use crate::report::{Dropped, Exported};
use crate::sqlite;

/// The port of the placeholder addresses of a DC that has no address at all.
const DEFAULT_PORT: u16 = 443;

/// One `dc_option` row.
struct DcRow {
    id: i32,
    ipv4: String,
    ipv6: String,
    auth_key: Option<AuthKey>,
}

/// One `peer_info` row.
struct PeerRow {
    id: i64,
    hash: Option<i64>,
    subtype: Option<i64>,
}

/// Writes `session`; see the module documentation for what is dropped and refused.
pub(super) fn write(session: &Session) -> Result<Exported, InteropError> {
    let mut dropped = common::unkept(FORMAT, session, Keeps::account());
    let home_dc = session
        .home_dc
        .map(|id| checked_dc_id(id.into()))
        .transpose()?;
    let dcs = dc_rows(session, &mut dropped)?;
    let peers = peer_rows(session, &mut dropped)?;
    let channels = channel_rows(session)?;

    let mut db = sqlite::create(FORMAT)?;
    schema::create(&db)?;
    insert(&mut db, session, home_dc, &dcs, &peers, &channels)
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

/// A DC id the reader accepts.
fn checked_dc_id(id: i64) -> Result<i32, InteropError> {
    common::dc_id(FORMAT, id).map_err(|_| unwritable(format!("DC id {id} is not a Telegram DC")))
}

/// One row per DC id: entries of the same id merge (the first set address of each family and the first
/// key win; later differing ones are reported).
fn dc_rows(session: &Session, dropped: &mut Vec<Dropped>) -> Result<Vec<DcRow>, InteropError> {
    let (merged, conflicts) = dc_merge::merge(session.dcs.iter().cloned(), |a, b| a.id == b.id);
    if conflicts > 0 {
        dropped.push(Dropped::new(
            format!("{conflicts} addresses, keys, salts or clock offsets of repeated DC entries"),
            "grammers keeps one row per DC id",
        ));
    }
    let mut rows = Vec::with_capacity(merged.len());
    for entry in merged {
        let id = checked_dc_id(entry.id.into())?;
        let set = [
            entry.ipv4.map(SocketAddr::V4),
            entry.ipv6.map(SocketAddr::V6),
        ];
        for server in set.into_iter().flatten() {
            addr::check_write(FORMAT, id, server)?;
        }
        let port = set
            .into_iter()
            .flatten()
            .map(|server| server.port())
            .next()
            .unwrap_or(DEFAULT_PORT);
        let ipv4 = entry
            .ipv4
            .unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port))
            .to_string();
        let ipv6 = match entry.ipv6 {
            Some(addr) => {
                if addr.flowinfo() != 0 || addr.scope_id() != 0 {
                    dropped.push(Dropped::new(
                        format!("flow info and scope id of DC {id}'s IPv6 address"),
                        "grammers keeps an address as `[ip]:port`",
                    ));
                }
                format!("[{}]:{}", addr.ip(), addr.port())
            }
            None => format!("[::]:{port}"),
        };
        rows.push(DcRow {
            id,
            ipv4,
            ipv6,
            auth_key: entry.auth_key,
        });
    }
    rows.sort_by_key(|row| row.id);
    Ok(rows)
}

/// The marked id of `id`, refusing ids grammers cannot hold.
fn marked(id: PeerId) -> Result<i64, InteropError> {
    match id.marked() {
        Some(SELF_PLACEHOLDER) => Err(unwritable(format!(
            "user id {SELF_PLACEHOLDER} is grammers' placeholder for the logged-in user"
        ))),
        Some(marked) => Ok(marked),
        None => Err(unwritable(format!("{id:?} has no Bot API marked id"))),
    }
}

/// The logged-in user, as the id and kind of its peer row.
#[derive(Clone, Copy)]
struct Me {
    id: PeerId,
    kind: PeerKind,
}

/// The peer rows, the logged-in user's marked with the user-self bit (and added when it is not a peer).
fn peer_rows(session: &Session, dropped: &mut Vec<Dropped>) -> Result<Vec<PeerRow>, InteropError> {
    let me = session.user.as_ref().map(|user| Me {
        id: PeerId::User(user.id),
        kind: if user.bot {
            PeerKind::Bot
        } else {
            PeerKind::User
        },
    });
    let mut rows = Vec::with_capacity(session.peers.len() + 1);
    let mut lost = Lost::default();
    for (&id, peer) in session.peers.iter() {
        if peer.kind.class() != id.class() {
            return Err(unwritable(format!(
                "peer {id:?} is stored as a {:?}",
                peer.kind
            )));
        }
        let is_self = me.is_some_and(|me| me.id == id);
        let kind = match me {
            Some(me) if is_self => {
                lost.self_kind |= peer.kind != me.kind;
                lost.hashless_self |= peer.access_hash.is_none();
                me.kind
            }
            _ => peer.kind,
        };
        let hash = if kind == PeerKind::Chat {
            lost.chat_hashes += usize::from(peer.access_hash.is_some_and(|hash| hash != 0));
            Some(0)
        } else {
            peer.access_hash
        };
        lost.usernames += usize::from(peer.username.is_some());
        lost.phones += usize::from(peer.phone.is_some());
        lost.min_flags += usize::from(peer.min);
        rows.push(PeerRow {
            id: marked(id)?,
            hash,
            subtype: subtype::bits(kind, is_self),
        });
    }
    if let Some(me) = me.filter(|me| !session.peers.contains_key(&me.id)) {
        rows.push(PeerRow {
            id: marked(me.id)?,
            hash: None,
            subtype: subtype::bits(me.kind, true),
        });
    }
    lost.report(dropped);
    Ok(rows)
}

/// Counts of per-peer values `peer_info` has no column for.
#[derive(Default)]
struct Lost {
    usernames: usize,
    phones: usize,
    min_flags: usize,
    chat_hashes: usize,
    self_kind: bool,
    hashless_self: bool,
}

impl Lost {
    fn report(self, dropped: &mut Vec<Dropped>) {
        let why = "grammers keeps a peer's id, access hash and kind only";
        for (count, what) in [
            (self.usernames, "usernames"),
            (self.phones, "phone numbers"),
            (self.min_flags, "min flags"),
        ] {
            if count > 0 {
                dropped.push(Dropped::new(format!("{what} of {count} peers"), why));
            }
        }
        if self.chat_hashes > 0 {
            dropped.push(Dropped::new(
                format!("access hashes of {} basic groups", self.chat_hashes),
                "grammers stores 0 as a basic group's hash",
            ));
        }
        if self.self_kind {
            dropped.push(Dropped::new(
                "peer kind of the logged-in user's peer entry",
                "it disagrees with the logged-in user's bot flag, which is written instead",
            ));
        }
        if self.hashless_self {
            dropped.push(Dropped::new(
                "the logged-in user's peer entry, which has no access hash",
                "grammers' row for it is read back as the logged-in user only",
            ));
        }
    }
}

/// The `channel_state` rows.
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
    home_dc: Option<i32>,
    dcs: &[DcRow],
    peers: &[PeerRow],
    channels: &[(i64, i32)],
) -> rusqlite::Result<()> {
    let tx = db.transaction()?;
    if let Some(home) = home_dc {
        tx.execute("INSERT INTO dc_home (dc_id) VALUES (?1)", [home])?;
    }
    {
        let mut insert = tx.prepare(
            "INSERT INTO dc_option (dc_id, ipv4, ipv6, auth_key) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for dc in dcs {
            let key = dc.auth_key.as_ref().map(|key| &key.as_bytes()[..]);
            insert.execute(params![dc.id, dc.ipv4, dc.ipv6, key])?;
        }
        let mut insert =
            tx.prepare("INSERT INTO peer_info (peer_id, hash, subtype) VALUES (?1, ?2, ?3)")?;
        for peer in peers {
            insert.execute(params![peer.id, peer.hash, peer.subtype])?;
        }
        let mut insert = tx.prepare("INSERT INTO channel_state (peer_id, pts) VALUES (?1, ?2)")?;
        for (id, pts) in channels {
            insert.execute(params![id, pts])?;
        }
    }
    if let Some(state) = &session.update_state {
        tx.execute(
            "INSERT INTO update_state (pts, qts, date, seq) VALUES (?1, ?2, ?3, ?4)",
            params![state.pts, state.qts, state.date, state.seq],
        )?;
    }
    tx.commit()
}
