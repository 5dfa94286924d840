//! Writing a [`Session`] as a layer-client or ferogram SQLite session.

use std::net::SocketAddr;

use rusqlite::{params, Connection};
use session_core::{AuthKey, PeerId, PeerKind, Session};

use super::{schema, Flavor};
use crate::error::InteropError;
use crate::formats::common::{self, Keeps};
use crate::formats::{addr, dc_merge, layer_records};
use crate::report::{Dropped, Exported};
use crate::sqlite;

/// One `dcs` row.
struct DcRow {
    id: i32,
    flags: u8,
    addr: String,
    auth_key: Option<AuthKey>,
    salt: i64,
    time_offset: i32,
}

/// Every row but the update state's and the token's, which come from the session as they are.
struct Rows<'a> {
    home: i32,
    dcs: &'a [DcRow],
    peers: &'a [PeerRow],
    channels: &'a [(i64, i32)],
    /// `(user_id, peer_id, msg_id)`, ferogram's only.
    min_peers: &'a [(i64, i64, i32)],
}

/// One `peers` row.
struct PeerRow {
    id: i64,
    hash: i64,
    is_channel: bool,
    is_chat: bool,
    channel_kind: Option<u8>,
}

/// Writes `session`; see the module documentation for what is dropped and refused.
pub(super) fn write(flavor: Flavor, session: &Session) -> Result<Exported, InteropError> {
    let format = flavor.format();
    let home = common::home_entry(format, session)?.id;
    let home = checked_dc_id(flavor, home)?;
    let ferogram = flavor == Flavor::Ferogram;
    let keeps = Keeps {
        update_state: true,
        channel_states: true,
        peers: true,
        salts: true,
        time_offsets: true,
        dc_flags: true,
        min_contexts: ferogram,
        logout_token: ferogram,
        ..Keeps::default()
    };
    let mut dropped = common::unkept(format, session, keeps);
    let dcs = dc_rows(flavor, session, &mut dropped)?;
    let peers = peer_rows(flavor, session, &mut dropped)?;
    let channels = channel_rows(flavor, session)?;
    let min_peers = if ferogram {
        min_peer_rows(flavor, session, &mut dropped)
    } else {
        Vec::new()
    };
    let rows = Rows {
        home,
        dcs: &dcs,
        peers: &peers,
        channels: &channels,
        min_peers: &min_peers,
    };

    let mut db = sqlite::create(format)?;
    schema::create(flavor, &db)?;
    insert(flavor, &mut db, session, &rows)
        .map_err(|err| sqlite::sqlite_error(format, "cannot fill the database", &err))?;
    let bytes = sqlite::to_bytes(format, &mut db)?;
    Ok(Exported { bytes, dropped })
}

fn unwritable(flavor: Flavor, reason: String) -> InteropError {
    InteropError::Unwritable {
        format: flavor.format(),
        reason,
    }
}

/// A DC id the reader accepts.
fn checked_dc_id(flavor: Flavor, id: i32) -> Result<i32, InteropError> {
    common::dc_id(flavor.format(), id.into())
        .map_err(|_| unwritable(flavor, format!("DC id {id} is not a Telegram DC")))
}

/// One row per address of each entry (entries of one endpoint merged first).
fn dc_rows(
    flavor: Flavor,
    session: &Session,
    dropped: &mut Vec<Dropped>,
) -> Result<Vec<DcRow>, InteropError> {
    let format = flavor.format();
    let (merged, conflicts) = dc_merge::merge(session.dcs.iter().cloned(), |a, b| {
        a.id == b.id && a.flags == b.flags
    });
    if conflicts > 0 {
        dropped.push(Dropped::new(
            format!("{conflicts} addresses, keys, salts or clock offsets of repeated DC entries"),
            format!("{} keeps one row per address of a DC", flavor.library()),
        ));
    }
    let mut rows = Vec::with_capacity(2 * merged.len());
    for entry in merged {
        let id = checked_dc_id(flavor, entry.id)?;
        if entry.flags.this_port_only {
            dropped.push(Dropped::new(
                format!("this-port-only flag of DC {id}"),
                format!("{} has no such DC flag", flavor.library()),
            ));
        }
        let servers = [
            entry.ipv4.map(SocketAddr::V4),
            entry.ipv6.map(SocketAddr::V6),
        ];
        if servers.iter().all(Option::is_none) {
            dropped.push(Dropped::new(
                format!("the entry of DC {id}, which has no address"),
                format!("{} keeps a DC by its address", flavor.library()),
            ));
            continue;
        }
        for server in servers.into_iter().flatten() {
            let server = addr::check_write(format, id, server)?;
            let text = match server {
                SocketAddr::V4(v4) => v4.to_string(),
                SocketAddr::V6(v6) => {
                    if v6.flowinfo() != 0 || v6.scope_id() != 0 {
                        dropped.push(Dropped::new(
                            format!("flow info and scope id of DC {id}'s IPv6 address"),
                            format!("{} keeps an address as `[ip]:port`", flavor.library()),
                        ));
                    }
                    format!("[{}]:{}", v6.ip(), v6.port())
                }
            };
            rows.push(DcRow {
                id,
                flags: layer_records::dc_flag_bits(entry.flags, server.is_ipv6()),
                addr: text,
                auth_key: entry.auth_key.clone(),
                salt: entry.server_salt,
                time_offset: entry.time_offset,
            });
        }
    }
    Ok(rows)
}

/// Counts of what the peer rows cannot hold.
#[derive(Default)]
struct Lost {
    bots: usize,
    hashless: usize,
    min: usize,
    usernames: usize,
    phones: usize,
    same_id: usize,
    chats: usize,
    kinds: usize,
}

impl Lost {
    fn report(self, flavor: Flavor, dropped: &mut Vec<Dropped>) {
        let library = flavor.library();
        for (count, what, why) in [
            (self.bots, "bot flag of {} peers", "it keeps no bot flag"),
            (
                self.hashless,
                "{} users and channels without an access hash",
                "it needs the hash",
            ),
            (
                self.min,
                "{} min peers",
                "a min access hash is not usable on its own",
            ),
            (
                self.usernames,
                "usernames of {} peers",
                "it keeps no usernames",
            ),
            (
                self.phones,
                "phone numbers of {} peers",
                "it keeps no phone numbers",
            ),
            (
                self.same_id,
                "{} peers whose bare id another peer has",
                "its peers are keyed by bare id",
            ),
            (
                self.chats,
                "{} basic groups",
                "it has no place for basic groups",
            ),
            (
                self.kinds,
                "kind of {} channels",
                "it does not record a channel's kind",
            ),
        ] {
            if count > 0 {
                dropped.push(Dropped::new(
                    what.replace("{}", &count.to_string()),
                    format!("{library}: {why}"),
                ));
            }
        }
    }
}

/// The peer rows, the first peer of each bare id winning.
fn peer_rows(
    flavor: Flavor,
    session: &Session,
    dropped: &mut Vec<Dropped>,
) -> Result<Vec<PeerRow>, InteropError> {
    let mut rows: Vec<PeerRow> = Vec::with_capacity(session.peers.len());
    let mut lost = Lost::default();
    for (&id, peer) in session.peers.iter() {
        if peer.kind.class() != id.class() || id.marked().is_none() {
            return Err(unwritable(
                flavor,
                format!("peer {id:?} is not a valid id of a {:?}", peer.kind),
            ));
        }
        lost.usernames += usize::from(peer.username.is_some());
        lost.phones += usize::from(peer.phone.is_some());
        let is_chat = peer.kind == PeerKind::Chat;
        let hash = match (is_chat, peer.access_hash) {
            (true, _) => 0,
            (false, _) if peer.min => {
                lost.min += 1;
                continue;
            }
            (false, Some(hash)) => hash,
            (false, None) => {
                lost.hashless += 1;
                continue;
            }
        };
        if is_chat && flavor == Flavor::LayerClient {
            lost.chats += 1;
            continue;
        }
        if rows.iter().any(|row| row.id == id.bare()) {
            lost.same_id += 1;
            continue;
        }
        lost.bots += usize::from(peer.kind == PeerKind::Bot);
        let mut channel_kind = layer_records::channel_kind_byte(peer.kind);
        if flavor == Flavor::LayerClient && channel_kind.take().is_some() {
            lost.kinds += 1;
        }
        rows.push(PeerRow {
            id: id.bare(),
            hash,
            is_channel: matches!(id, PeerId::Channel(_)),
            is_chat,
            channel_kind,
        });
    }
    lost.report(flavor, dropped);
    Ok(rows)
}

/// The `channel_pts` rows.
fn channel_rows(flavor: Flavor, session: &Session) -> Result<Vec<(i64, i32)>, InteropError> {
    let Some(state) = &session.update_state else {
        return Ok(Vec::new());
    };
    state
        .channels
        .iter()
        .map(|(&id, &pts)| match PeerId::Channel(id).marked() {
            Some(_) => Ok((id, pts)),
            None => Err(unwritable(
                flavor,
                format!("the update state has channel id {id}, which is not a channel id"),
            )),
        })
        .collect()
}

/// The `min_peers` rows of a ferogram file: every min context whose ids a reader accepts (the others are
/// reported).
fn min_peer_rows(
    flavor: Flavor,
    session: &Session,
    dropped: &mut Vec<Dropped>,
) -> Vec<(i64, i64, i32)> {
    let (rows, invalid): (Vec<_>, Vec<_>) = session
        .min_contexts
        .iter()
        .map(|(&user, context)| (user, context.chat_id, context.msg_id))
        .partition(|&(user, _, message)| layer_records::min_peer_ok(user, message));
    if !invalid.is_empty() {
        dropped.push(Dropped::new(
            format!(
                "{} min-peer contexts with a user or message id that is not positive",
                invalid.len()
            ),
            format!(
                "{}: a min peer needs a positive user and message id",
                flavor.library()
            ),
        ));
    }
    rows
}

fn insert(
    flavor: Flavor,
    db: &mut Connection,
    session: &Session,
    rows: &Rows<'_>,
) -> rusqlite::Result<()> {
    let tx = db.transaction()?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('home_dc_id', ?1)",
        [rows.home],
    )?;
    if flavor == Flavor::Ferogram {
        if let Some(token) = &session.logout_token {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('future_auth_token', ?1)",
                [token.as_bytes()],
            )?;
        }
    }
    {
        let mut insert = tx.prepare(
            "INSERT INTO dcs (dc_id, flags, addr, auth_key, first_salt, time_offset) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for dc in rows.dcs {
            let key = dc.auth_key.as_ref().map(|key| &key.as_bytes()[..]);
            insert.execute(params![
                dc.id,
                dc.flags,
                dc.addr,
                key,
                dc.salt,
                dc.time_offset
            ])?;
        }
        let mut insert = match flavor {
            Flavor::LayerClient => {
                tx.prepare("INSERT INTO peers (id, access_hash, is_channel) VALUES (?1, ?2, ?3)")?
            }
            Flavor::Ferogram => tx.prepare(
                "INSERT INTO peers (id, access_hash, is_channel, is_chat, channel_kind, is_community) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 0)",
            )?,
        };
        for peer in rows.peers {
            match flavor {
                Flavor::LayerClient => {
                    insert.execute(params![peer.id, peer.hash, peer.is_channel])?
                }
                Flavor::Ferogram => insert.execute(params![
                    peer.id,
                    peer.hash,
                    peer.is_channel,
                    peer.is_chat,
                    peer.channel_kind
                ])?,
            };
        }
        let mut insert = tx.prepare("INSERT INTO channel_pts (channel_id, pts) VALUES (?1, ?2)")?;
        for (id, pts) in rows.channels {
            insert.execute(params![id, pts])?;
        }
        if flavor == Flavor::Ferogram {
            let mut insert =
                tx.prepare("INSERT INTO min_peers (user_id, peer_id, msg_id) VALUES (?1, ?2, ?3)")?;
            for (user, peer, message) in rows.min_peers {
                insert.execute(params![user, peer, message])?;
            }
        }
    }
    if let Some(state) = &session.update_state {
        tx.execute(
            "INSERT INTO update_state (id, pts, qts, date, seq) VALUES (1, ?1, ?2, ?3, ?4)",
            params![state.pts, state.qts, state.date, state.seq],
        )?;
    }
    tx.commit()
}
