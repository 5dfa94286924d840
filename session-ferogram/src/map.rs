//! Between ferogram's `PersistedSession` and the tgsession [`Session`] (the rules are listed in the crate
//! documentation).

use std::collections::BTreeMap;
use std::fmt;
use std::net::{SocketAddr, SocketAddrV6};

use ferogram_session::{
    CachedMinPeer, CachedPeer, ChannelKind, DcEntry as FeroDc, DcFlags as FeroFlags,
    PersistedSession, UpdatesStateSnap,
};
use session_core::{
    AuthKey, ChunkedStore, DcEntry, DcFlags, LiteMap, LogoutToken, MinContext, Peer, PeerClass,
    PeerId, PeerKind, PeerMap, Session, UpdateState,
};

/// A ferogram session value the tgsession model cannot hold; nothing is stored when one is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unrepresentable(String);

impl fmt::Display for Unrepresentable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unrepresentable {}

/// The session to store for ferogram's `session`: what ferogram can express comes from it, the rest
/// (device, user, api id, usernames, phones, bot kinds, temporary keys, ...) from `base`, the stored session.
pub(crate) fn to_session(
    session: &PersistedSession,
    base: &Session,
) -> Result<Session, Unrepresentable> {
    Ok(Session {
        home_dc: home_dc(session.home_dc_id),
        dcs: dcs(&session.dcs, &base.dcs)?,
        test_mode: base.test_mode,
        user: base.user.clone(),
        update_state: update_state(&session.updates_state),
        peers: peers(&session.peers, &base.peers),
        device: base.device.clone(),
        min_contexts: min_contexts(&session.min_peers),
        logout_token: logout_token(session.future_auth_token.as_deref())?,
        api_id: base.api_id,
        takeout_id: base.takeout_id,
        created_at: base.created_at,
        updated_at: base.updated_at,
        unknown_sections: base.unknown_sections.clone(),
    })
}

/// ferogram's view of a stored session (no community flags).
pub(crate) fn from_session(session: &Session) -> PersistedSession {
    PersistedSession {
        home_dc_id: session.home_dc.unwrap_or(0),
        dcs: session.dcs.iter().flat_map(fero_dcs).collect(),
        updates_state: session
            .update_state
            .as_ref()
            .map(snapshot)
            .unwrap_or_default(),
        peers: session
            .peers
            .iter()
            .map(|(id, peer)| cached_peer(*id, peer))
            .collect(),
        min_peers: session
            .min_contexts
            .iter()
            .map(|(&user_id, context)| CachedMinPeer {
                user_id,
                peer_id: context.chat_id,
                msg_id: context.msg_id,
            })
            .collect(),
        future_auth_token: session
            .logout_token
            .as_ref()
            .map(|token| token.as_bytes().to_vec()),
    }
}

/// ferogram's min peers by user id; a user listed twice keeps its first listing.
fn min_contexts(min_peers: &[CachedMinPeer]) -> BTreeMap<i64, MinContext> {
    let mut contexts = BTreeMap::new();
    for min in min_peers {
        contexts.entry(min.user_id).or_insert(MinContext {
            chat_id: min.peer_id,
            msg_id: min.msg_id,
        });
    }
    contexts
}

/// ferogram's future auth token: none when absent or empty; longer than a logout token can be is refused.
fn logout_token(token: Option<&[u8]>) -> Result<Option<LogoutToken>, Unrepresentable> {
    match token {
        None | Some([]) => Ok(None),
        Some(bytes) => LogoutToken::new(bytes.to_vec()).map(Some).ok_or_else(|| {
            Unrepresentable(format!(
                "the future auth token is {} bytes, more than the {} a session keeps",
                bytes.len(),
                LogoutToken::MAX_LEN
            ))
        }),
    }
}

/// ferogram's home DC 0 (its default) is no home DC.
pub(crate) fn home_dc(dc_id: i32) -> Option<i32> {
    (dc_id != 0).then_some(dc_id)
}

/// One entry per ferogram entry, in ferogram's order.
pub(crate) fn dcs(entries: &[FeroDc], base: &[DcEntry]) -> Result<Vec<DcEntry>, Unrepresentable> {
    entries.iter().map(|entry| dc_entry(entry, base)).collect()
}

fn dc_entry(fero: &FeroDc, base: &[DcEntry]) -> Result<DcEntry, Unrepresentable> {
    let mut entry = DcEntry::new(fero.dc_id);
    match parse_addr(fero)? {
        None => {}
        Some(SocketAddr::V4(addr)) => entry.ipv4 = Some(addr),
        Some(SocketAddr::V6(addr)) => entry.ipv6 = Some(addr),
    }
    let bits = fero.flags;
    entry.flags = DcFlags {
        media_only: bits.contains(FeroFlags::MEDIA_ONLY),
        cdn: bits.contains(FeroFlags::CDN),
        tcpo_only: bits.contains(FeroFlags::TCPO_ONLY),
        is_static: bits.contains(FeroFlags::STATIC),
        this_port_only: false,
    };
    entry.auth_key = fero.auth_key.map(AuthKey::new);
    entry.server_salt = fero.first_salt;
    entry.time_offset = fero.time_offset;
    // What ferogram cannot express comes from the stored entry of the same endpoint.
    if let Some(old) = base.iter().find(|old| same_endpoint(old, &entry)) {
        entry.flags.this_port_only = old.flags.this_port_only;
        if let (Some(new), Some(old_v6)) = (&mut entry.ipv6, old.ipv6) {
            // Flow info and scope id, which ferogram's address text leaves out.
            *new = old_v6;
        }
        if old.auth_key == entry.auth_key {
            entry.temp_auth_key.clone_from(&old.temp_auth_key);
        }
    }
    Ok(entry)
}

/// ferogram's address text: empty for none, else `ip:port` or `[ip]:port`.
fn parse_addr(entry: &FeroDc) -> Result<Option<SocketAddr>, Unrepresentable> {
    if entry.addr.is_empty() {
        return Ok(None);
    }
    entry.addr.parse().map(Some).map_err(|_| {
        Unrepresentable(format!(
            "DC {}: the address {:?} is not an ip:port",
            entry.dc_id, entry.addr
        ))
    })
}

/// Whether `old` is the stored entry `new` (just built from ferogram's) stands for: same DC, same kind of
/// endpoint, same address (IPv6 compared by address and port).
fn same_endpoint(old: &DcEntry, new: &DcEntry) -> bool {
    let v6 = |addr: &Option<SocketAddrV6>| addr.map(|a| (*a.ip(), a.port()));
    old.id == new.id
        && old.flags.media_only == new.flags.media_only
        && old.flags.cdn == new.flags.cdn
        && match (new.ipv4, new.ipv6) {
            (Some(v4), _) => old.ipv4 == Some(v4),
            (None, Some(_)) => v6(&old.ipv6) == v6(&new.ipv6),
            (None, None) => old.ipv4.is_none() && old.ipv6.is_none(),
        }
}

/// ferogram keeps one address per entry: an entry with both addresses is two ferogram entries.
fn fero_dcs(entry: &DcEntry) -> Vec<FeroDc> {
    let mut flags = FeroFlags::NONE;
    for (set, flag) in [
        (entry.flags.media_only, FeroFlags::MEDIA_ONLY),
        (entry.flags.tcpo_only, FeroFlags::TCPO_ONLY),
        (entry.flags.cdn, FeroFlags::CDN),
        (entry.flags.is_static, FeroFlags::STATIC),
    ] {
        if set {
            flags.set(flag);
        }
    }
    let make = |addr: String, flags: FeroFlags| FeroDc {
        dc_id: entry.id,
        addr,
        auth_key: entry.auth_key.as_ref().map(|key| *key.as_bytes()),
        first_salt: entry.server_salt,
        time_offset: entry.time_offset,
        flags,
    };
    let mut out = Vec::with_capacity(2);
    if let Some(v4) = entry.ipv4 {
        out.push(make(v4.to_string(), flags));
    }
    if let Some(v6) = entry.ipv6 {
        out.push(make(
            format!("[{}]:{}", v6.ip(), v6.port()),
            flags | FeroFlags::IPV6,
        ));
    }
    if out.is_empty() {
        out.push(make(String::new(), flags));
    }
    out
}

/// ferogram's all-zero state without channels (its default) is no update state; a channel listed twice
/// keeps the pts of its first listing (the one ferogram reads).
pub(crate) fn update_state(snap: &UpdatesStateSnap) -> Option<UpdateState> {
    let mut channels = BTreeMap::new();
    for &(id, pts) in &snap.channels {
        channels.entry(id).or_insert(pts);
    }
    let state = UpdateState {
        pts: snap.pts,
        qts: snap.qts,
        date: snap.date,
        seq: snap.seq,
        channels,
    };
    (state != UpdateState::default()).then_some(state)
}

fn snapshot(state: &UpdateState) -> UpdatesStateSnap {
    UpdatesStateSnap {
        pts: state.pts,
        qts: state.qts,
        date: state.date,
        seq: state.seq,
        channels: state.channels.iter().map(|(id, pts)| (*id, *pts)).collect(),
    }
}

/// The peer map: a peer listed twice in the same class keeps its first listing (the one ferogram restores).
fn peers(list: &[CachedPeer], base: &PeerMap) -> PeerMap {
    let mut entries: Vec<(PeerId, Peer)> = list.iter().map(|p| peer(p, base)).collect();
    // Stable: of equal ids, the first listed stays first and is the one kept.
    entries.sort_by_key(|(id, _)| *id);
    entries.dedup_by_key(|(id, _)| *id);
    LiteMap::from_sorted_store_unchecked(ChunkedStore::from(entries))
}

/// The id space ferogram's flags put a peer in: a basic group if `is_chat`, a channel if `is_channel` or
/// `is_community` (a community is addressed as a channel), else a user.
pub(crate) fn class(peer: &CachedPeer) -> PeerClass {
    if peer.is_chat {
        PeerClass::Chat
    } else if peer.is_channel || peer.is_community {
        PeerClass::Channel
    } else {
        PeerClass::User
    }
}

/// One peer, keeping from the stored peer of the same id what ferogram does not know.
pub(crate) fn peer(fero: &CachedPeer, base: &PeerMap) -> (PeerId, Peer) {
    let class = class(fero);
    let id = PeerId::new(class, fero.id);
    let old = base.get(&id);
    let access_hash = (fero.access_hash != 0).then_some(fero.access_hash);
    let kind = match class {
        PeerClass::User if old.is_some_and(|old| old.kind == PeerKind::Bot) => PeerKind::Bot,
        PeerClass::User => PeerKind::User,
        PeerClass::Chat => PeerKind::Chat,
        PeerClass::Channel => match fero.channel_kind {
            Some(ChannelKind::Broadcast) => PeerKind::Broadcast,
            Some(ChannelKind::Megagroup) => PeerKind::Megagroup,
            Some(ChannelKind::Gigagroup) => PeerKind::Gigagroup,
            None => PeerKind::Channel,
        },
    };
    let peer = Peer {
        kind,
        access_hash,
        username: old.and_then(|old| old.username.clone()),
        phone: old.and_then(|old| old.phone.clone()),
        min: old.is_some_and(|old| old.min && old.access_hash == access_hash),
    };
    (id, peer)
}

fn cached_peer(id: PeerId, peer: &Peer) -> CachedPeer {
    CachedPeer {
        id: id.bare(),
        access_hash: peer.access_hash.unwrap_or(0),
        is_channel: id.class() == PeerClass::Channel,
        is_chat: id.class() == PeerClass::Chat,
        channel_kind: match peer.kind {
            PeerKind::Broadcast => Some(ChannelKind::Broadcast),
            PeerKind::Megagroup => Some(ChannelKind::Megagroup),
            PeerKind::Gigagroup => Some(ChannelKind::Gigagroup),
            _ => None,
        },
        is_community: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dc(id: i32, addr: &str, flags: FeroFlags, key: Option<u8>) -> FeroDc {
        FeroDc {
            dc_id: id,
            addr: addr.to_owned(),
            auth_key: key.map(|b| [b; 256]),
            first_salt: 77,
            time_offset: -3,
            flags,
        }
    }

    #[test]
    fn an_entry_with_two_addresses_is_two_ferogram_entries_and_comes_back_as_two() {
        let mut entry = DcEntry::new(2);
        entry.ipv4 = Some("149.154.167.51:443".parse().unwrap());
        entry.ipv6 = Some("[2001:67c:4e8:f002::a]:443".parse().unwrap());
        entry.auth_key = Some(AuthKey::new([9; 256]));
        entry.flags.this_port_only = true;
        let stored = Session {
            dcs: vec![entry],
            ..Session::default()
        };
        let view = from_session(&stored);
        assert_eq!(view.dcs.len(), 2);
        assert_eq!(view.dcs[0].addr, "149.154.167.51:443");
        assert!(!view.dcs[0].is_ipv6());
        assert_eq!(view.dcs[1].addr, "[2001:67c:4e8:f002::a]:443");
        assert!(view.dcs[1].is_ipv6());
        let back = to_session(&view, &stored).unwrap();
        assert_eq!(back.dcs.len(), 2);
        assert!(back.dcs.iter().all(|dc| dc.flags.this_port_only));
        assert_eq!(back.auth_key(2), Some(&AuthKey::new([9; 256])));
    }

    #[test]
    fn an_address_that_is_no_socket_address_is_refused_and_an_empty_one_is_no_address() {
        let mut session = PersistedSession {
            dcs: vec![dc(1, "", FeroFlags::NONE, None)],
            ..PersistedSession::default()
        };
        let stored = to_session(&session, &Session::default()).unwrap();
        assert_eq!(stored.dcs[0].ipv4, None);
        assert_eq!(from_session(&stored).dcs[0].addr, "");
        session
            .dcs
            .push(dc(2, "dc2.example:443", FeroFlags::NONE, None));
        let err = to_session(&session, &Session::default()).unwrap_err();
        assert!(err.to_string().contains("DC 2"), "{err}");
    }

    #[test]
    fn what_ferogram_does_not_know_is_kept_from_the_stored_session() {
        let mut base = Session {
            api_id: Some(12345),
            ..Session::default()
        };
        base.peers.insert(
            PeerId::User(5),
            Peer {
                kind: PeerKind::Bot,
                access_hash: Some(50),
                username: Some("robot".into()),
                phone: None,
                min: true,
            },
        );
        let view = from_session(&base);
        assert_eq!(view.peers[0].access_hash, 50);
        let same = to_session(&view, &base).unwrap();
        assert_eq!(same, base);
        // A new access hash is no min hash any more; the name stays.
        let mut changed = view.clone();
        changed.peers[0].access_hash = 51;
        let stored = to_session(&changed, &base).unwrap();
        let peer = &stored.peers[&PeerId::User(5)];
        assert_eq!(
            (peer.kind, peer.access_hash, peer.min),
            (PeerKind::Bot, Some(51), false)
        );
        assert_eq!(peer.username.as_deref(), Some("robot"));
    }

    #[test]
    fn communities_are_channels_and_zero_hashes_are_no_hashes() {
        let community = CachedPeer {
            id: 9,
            access_hash: 99,
            is_channel: false,
            is_chat: false,
            channel_kind: None,
            is_community: true,
        };
        let min_channel = CachedPeer {
            id: 10,
            access_hash: 0,
            is_channel: true,
            is_chat: false,
            channel_kind: None,
            is_community: false,
        };
        let session = PersistedSession {
            peers: vec![community, min_channel],
            ..PersistedSession::default()
        };
        let stored = to_session(&session, &Session::default()).unwrap();
        assert_eq!(stored.peers[&PeerId::Channel(9)].access_hash, Some(99));
        assert_eq!(stored.peers[&PeerId::Channel(10)].access_hash, None);
        let view = from_session(&stored);
        assert!(view.peers.iter().all(|p| p.is_channel && !p.is_community));
        assert_eq!(view.peers[1].access_hash, 0);
    }

    #[test]
    fn the_first_listing_of_a_channel_or_peer_wins() {
        let peer = |hash| CachedPeer {
            id: 1,
            access_hash: hash,
            is_channel: false,
            is_chat: false,
            channel_kind: None,
            is_community: false,
        };
        let session = PersistedSession {
            peers: vec![peer(1), peer(2)],
            updates_state: UpdatesStateSnap {
                channels: vec![(4, 40), (4, 41)],
                ..UpdatesStateSnap::default()
            },
            ..PersistedSession::default()
        };
        let stored = to_session(&session, &Session::default()).unwrap();
        assert_eq!(stored.peers.len(), 1);
        assert_eq!(stored.peers[&PeerId::User(1)].access_hash, Some(1));
        assert_eq!(stored.update_state.unwrap().channels[&4], 40);
    }
}
