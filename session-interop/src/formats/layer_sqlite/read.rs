//! Reading a layer-client or ferogram SQLite session into a [`Session`].

use std::collections::BTreeMap;

use rusqlite::types::ValueRef;
use rusqlite::Row;
use session_core::{
    DcEntry, LogoutToken, MinContext, Peer, PeerClass, PeerId, PeerKind, PeerMap, Session,
    UpdateState,
};

use super::{schema, Flavor};
use crate::error::InteropError;
use crate::formats::{addr, common, layer_records};
use crate::report::{Dropped, Imported};
use crate::sqlite::{self, Database};

/// What SQLite's errors while reading rows say was going on.
const READING: &str = "cannot read the session";

/// Reads the database file in `bytes`.
pub(super) fn read(flavor: Flavor, bytes: &[u8]) -> Result<Imported, InteropError> {
    let db = schema::open(flavor, bytes)?;
    let reader = Reader {
        flavor,
        db: &db,
        format: flavor.format(),
    };
    let mut dropped = Vec::new();
    let (home_dc, logout_token) = reader.meta(&mut dropped)?;
    let dcs = reader.dcs(&mut dropped)?;
    let update_state = reader.update_state()?;
    let peers = reader.peers(&mut dropped)?;
    let min_contexts = if db.has_table("min_peers") {
        reader.min_contexts(&mut dropped)?
    } else {
        BTreeMap::new()
    };
    let session = Session {
        home_dc,
        dcs,
        update_state,
        peers,
        min_contexts,
        logout_token,
        ..Session::default()
    };
    Ok(Imported { session, dropped })
}

/// The open file and its flavor.
struct Reader<'a> {
    flavor: Flavor,
    db: &'a Database,
    format: crate::format::Format,
}

impl Reader<'_> {
    fn malformed(&self, reason: impl Into<String>) -> InteropError {
        InteropError::malformed(self.format, reason)
    }

    fn value<T: rusqlite::types::FromSql>(
        &self,
        row: &Row<'_>,
        index: usize,
    ) -> Result<T, InteropError> {
        sqlite::value(self.format, row, index)
    }

    /// A 0-or-1 flag column.
    fn flag(&self, row: &Row<'_>, index: usize, name: &str) -> Result<bool, InteropError> {
        match self.value::<i64>(row, index)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(self.malformed(format!("{name} {other} (must be 0 or 1)"))),
        }
    }

    /// A 32-bit counter.
    fn int32(&self, row: &Row<'_>, index: usize, name: &str) -> Result<i32, InteropError> {
        let number: i64 = self.value(row, index)?;
        i32::try_from(number)
            .map_err(|_| self.malformed(format!("{name} {number} is beyond 32 bits")))
    }

    /// The home DC and ferogram's future auth token (as the logout token), reporting unknown keys.
    fn meta(
        &self,
        dropped: &mut Vec<Dropped>,
    ) -> Result<(Option<i32>, Option<LogoutToken>), InteropError> {
        let mut home = None;
        let mut token = None;
        let mut rows = 0_usize;
        let mut unknown = 0_usize;
        self.db
            .for_each_row("SELECT key, value FROM meta", READING, |row| {
                rows += 1;
                let key = match row.get_ref(0) {
                    Ok(ValueRef::Text(key)) => key,
                    _ => return Err(self.malformed("a meta key that is not text")),
                };
                match key {
                    b"home_dc_id" => {
                        home = Some(common::dc_id(self.format, self.value(row, 1)?)?);
                    }
                    b"future_auth_token" => match row.get_ref(1) {
                        Ok(ValueRef::Blob(bytes)) => {
                            token = layer_records::logout_token(bytes, dropped);
                        }
                        _ => return Err(self.malformed("a future auth token that is not a blob")),
                    },
                    _ => unknown += 1,
                }
                Ok(())
            })?;
        if rows == 0 {
            return Err(self.malformed(format!(
                "the meta table is empty: {} saved no session in this file",
                self.flavor.library()
            )));
        }
        if unknown > 0 {
            dropped.push(Dropped::new(
                format!("{unknown} meta values of unknown keys"),
                format!("{} 0.6.6 writes no such key", self.flavor.library()),
            ));
        }
        Ok((home, token))
    }

    /// The DC rows, merged into entries.
    fn dcs(&self, dropped: &mut Vec<Dropped>) -> Result<Vec<DcEntry>, InteropError> {
        let records = self.db.rows(
            "SELECT dc_id, flags, addr, auth_key, first_salt, time_offset FROM dcs",
            READING,
            |row| self.dc_record(row),
        )?;
        Ok(layer_records::merge_dcs(records, dropped))
    }

    fn dc_record(&self, row: &Row<'_>) -> Result<DcEntry, InteropError> {
        let id = common::dc_id(self.format, self.value(row, 0)?)?;
        let bits: i64 = self.value(row, 1)?;
        let server = addr::socket_addr(self.format, &self.value::<String>(row, 2)?)?;
        let bits = u8::try_from(bits).map_err(|_| self.malformed(format!("DC flags {bits}")))?;
        let flags = layer_records::dc_flags(bits, server.is_ipv6())
            .map_err(|reason| self.malformed(reason))?;
        let auth_key = match row.get_ref(3) {
            Ok(ValueRef::Null) => None,
            Ok(ValueRef::Blob(key)) => common::auth_key(self.format, key)?,
            _ => return Err(self.malformed("an auth key that is not a blob")),
        };
        let mut entry = DcEntry {
            flags,
            auth_key,
            server_salt: self.value(row, 4)?,
            time_offset: self.int32(row, 5, "a time offset")?,
            ..DcEntry::new(id)
        };
        addr::set(&mut entry, server);
        Ok(entry)
    }

    /// The update state and its channels; `None` when all zero without channels.
    fn update_state(&self) -> Result<Option<UpdateState>, InteropError> {
        let mut state = UpdateState::default();
        let mut rows = 0_usize;
        self.db.for_each_row(
            "SELECT id, pts, qts, date, seq FROM update_state",
            READING,
            |row| {
                rows += 1;
                if rows > 1 || self.value::<i64>(row, 0)? != 1 {
                    return Err(self.malformed("update_state must have one row, of id 1, at most"));
                }
                state.pts = self.int32(row, 1, "a pts")?;
                state.qts = self.int32(row, 2, "a qts")?;
                state.date = self.int32(row, 3, "a date")?;
                state.seq = self.int32(row, 4, "a seq")?;
                Ok(())
            },
        )?;
        let channels = self
            .db
            .rows("SELECT channel_id, pts FROM channel_pts", READING, |row| {
                let id: i64 = self.value(row, 0)?;
                if PeerId::Channel(id).marked().is_none() {
                    return Err(
                        self.malformed(format!("channel_pts for {id}, which is not a channel id"))
                    );
                }
                Ok((id, self.int32(row, 1, "a channel pts")?))
            })?;
        state.channels = channels.into_iter().collect::<BTreeMap<_, _>>();
        Ok((state != UpdateState::default()).then_some(state))
    }

    /// The peers; ferogram's community flags are reported.
    fn peers(&self, dropped: &mut Vec<Dropped>) -> Result<PeerMap, InteropError> {
        let has = |column| self.db.has_column("peers", column);
        let sql = format!(
            "SELECT id, access_hash, is_channel, {}, {}, {} FROM peers",
            if has("is_chat") { "is_chat" } else { "0" },
            if has("channel_kind") {
                "channel_kind"
            } else {
                "NULL"
            },
            if has("is_community") {
                "is_community"
            } else {
                "0"
            },
        );
        let mut communities = 0_usize;
        let peers = self.db.rows(&sql, READING, |row| {
            let (id, peer, community) = self.peer(row)?;
            communities += usize::from(community);
            Ok((id, peer))
        })?;
        layer_records::communities_dropped(communities, dropped);
        Ok(peers.into_iter().collect())
    }

    /// One peer row: the id, the peer and whether its community flag is set.
    fn peer(&self, row: &Row<'_>) -> Result<(PeerId, Peer, bool), InteropError> {
        let bare: i64 = self.value(row, 0)?;
        let hash: i64 = self.value(row, 1)?;
        let is_channel = self.flag(row, 2, "is_channel")?;
        let is_chat = self.flag(row, 3, "is_chat")?;
        let channel_kind: Option<i64> = self.value(row, 4)?;
        let community = self.flag(row, 5, "is_community")?;
        let class = match (is_channel, is_chat) {
            (false, false) => PeerClass::User,
            (true, false) => PeerClass::Channel,
            (false, true) => PeerClass::Chat,
            (true, true) => {
                return Err(
                    self.malformed(format!("peer {bare} is both a channel and a basic group"))
                )
            }
        };
        let id = PeerId::new(class, bare);
        if id.marked().is_none() {
            return Err(self.malformed(format!("{bare} is not a valid {class:?} id")));
        }
        let recorded = channel_kind.map(|kind| u8::try_from(kind).unwrap_or(u8::MAX));
        let kind = match (class, recorded) {
            (PeerClass::User, None) => Some(PeerKind::User),
            (PeerClass::Chat, None) => Some(PeerKind::Chat),
            (PeerClass::Channel, recorded) => layer_records::channel_kind(recorded),
            _ => None,
        }
        .ok_or_else(|| {
            self.malformed(format!(
                "channel kind {} on {class:?} peer {bare}",
                channel_kind.unwrap_or_default()
            ))
        })?;
        let peer = Peer {
            kind,
            access_hash: common::access_hash(self.format, id, Some(hash))?,
            ..Peer::default()
        };
        Ok((id, peer, community))
    }

    /// The min-peer rows (a user seen only as a min user, in a message of a chat), checked, as min contexts
    /// by user id.
    fn min_contexts(
        &self,
        dropped: &mut Vec<Dropped>,
    ) -> Result<BTreeMap<i64, MinContext>, InteropError> {
        let references = self.db.rows(
            "SELECT user_id, peer_id, msg_id FROM min_peers",
            READING,
            |row| {
                let [user, peer, message] = [0, 1, 2].map(|index| self.value::<i64>(row, index));
                let (user, peer, message) = (user?, peer?, message?);
                match i32::try_from(message) {
                    Ok(message) if layer_records::min_peer_ok(user, message) => {
                        Ok((user, peer, message))
                    }
                    _ => {
                        Err(self
                            .malformed("a min peer whose user id or message id is not positive"))
                    }
                }
            },
        )?;
        Ok(layer_records::min_contexts(references, dropped))
    }
}
