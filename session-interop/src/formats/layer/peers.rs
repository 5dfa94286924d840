//! layer's peer records and min-peer references.

use std::collections::BTreeMap;

use session_core::{MinContext, Peer, PeerClass, PeerId, PeerKind, PeerMap};

use super::Layout;
use crate::error::InteropError;
use crate::formats::cursor::Cursor;
use crate::formats::{common, layer_records};
use crate::report::Dropped;

/// `channel_kind` of a peer that is not a channel, or of a channel of unknown kind.
const NO_KIND: u8 = 0xFF;

/// Reads the peer count and records; reports the peers whose community flag is set.
pub(super) fn read(
    cursor: &mut Cursor<'_>,
    layout: Layout,
    dropped: &mut Vec<Dropped>,
) -> Result<PeerMap, InteropError> {
    let count = cursor.u16("the peer count")?.into();
    let min_len = 8 + 8 + 1 + usize::from(layout.channel_kind()) + usize::from(layout.community());
    let count = cursor.count(count, min_len, "peers")?;
    let mut peers = Vec::with_capacity(count);
    let mut communities = 0_usize;
    for _ in 0..count {
        let (id, peer, community) = record(cursor, layout)?;
        communities += usize::from(community);
        peers.push((id, peer));
    }
    peers.sort_unstable_by_key(|(id, _)| *id);
    if let Some(pair) = peers.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(cursor.error(format_args!("peer {:?} is listed twice", pair[0].0)));
    }
    layer_records::communities_dropped(communities, dropped);
    Ok(peers.into_iter().collect())
}

/// One peer record: its id, the peer and whether its community flag is set.
fn record(cursor: &mut Cursor<'_>, layout: Layout) -> Result<(PeerId, Peer, bool), InteropError> {
    let bare = cursor.i64("a peer id")?;
    let hash = cursor.i64("an access hash")?;
    let class = match cursor.u8("a peer type")? {
        0 => PeerClass::User,
        1 => PeerClass::Channel,
        2 => PeerClass::Chat,
        other => return Err(cursor.error(format_args!("peer type {other} (must be 0, 1 or 2)"))),
    };
    let channel_kind = if layout.channel_kind() {
        cursor.u8("a channel kind")?
    } else {
        NO_KIND
    };
    let community = if layout.community() {
        match cursor.u8("a community flag")? {
            0 => false,
            1 => true,
            other => {
                return Err(cursor.error(format_args!("community flag {other} (must be 0 or 1)")))
            }
        }
    } else {
        false
    };
    let id = PeerId::new(class, bare);
    if id.marked().is_none() {
        return Err(cursor.error(format_args!("{bare} is not a valid {class:?} id")));
    }
    let recorded = (channel_kind != NO_KIND).then_some(channel_kind);
    let kind = match (class, recorded) {
        (PeerClass::User, None) => Some(PeerKind::User),
        (PeerClass::Chat, None) => Some(PeerKind::Chat),
        (PeerClass::Channel, recorded) => layer_records::channel_kind(recorded),
        _ => None,
    }
    .ok_or_else(|| {
        cursor.error(format_args!(
            "channel kind {channel_kind} on a {class:?} peer"
        ))
    })?;
    let access_hash = common::access_hash(cursor.format(), id, Some(hash))?;
    let peer = Peer {
        kind,
        access_hash,
        ..Peer::default()
    };
    Ok((id, peer, community))
}

/// Reads the min-peer references (a user seen only as a min user, in a message of a chat), checks them and
/// returns them as min contexts by user id.
pub(super) fn min_contexts(
    cursor: &mut Cursor<'_>,
    dropped: &mut Vec<Dropped>,
) -> Result<BTreeMap<i64, MinContext>, InteropError> {
    let count = cursor.u16("the min-peer count")?.into();
    let count = cursor.count(count, 8 + 8 + 4, "min peers")?;
    let mut references = Vec::with_capacity(count);
    for _ in 0..count {
        let user = cursor.i64("a min peer's user id")?;
        let peer = cursor.i64("a min peer's chat id")?;
        let message = cursor.i32("a min peer's message id")?;
        if !layer_records::min_peer_ok(user, message) {
            return Err(cursor.error("a min peer whose user id or message id is not positive"));
        }
        references.push((user, peer, message));
    }
    Ok(layer_records::min_contexts(references, dropped))
}
