//! Between grammers' types and the tgsession [`Session`] model: what each trait method reads from the
//! session in memory, and the [`Patch`] each setter makes.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::sync::LazyLock;

use grammers_session::types::{
    ChannelKind, ChannelState, DcOption, PeerAuth, PeerId as GPeerId, PeerInfo,
    PeerKind as GPeerKind, UpdateState, UpdatesState,
};
use grammers_session::SessionData;
use session_core::{
    AuthKey, DcEntry, DcKey, Patch, Peer, PeerId, PeerKind, Session, UpdateCounters, User,
};

/// What grammers answers for an empty session: its default home DC and its statically known DC options,
/// taken from grammers itself ([`SessionData::default`]) so they follow the version in use.
struct Defaults {
    home_dc: i32,
    dc_options: HashMap<i32, DcOption>,
}

static DEFAULTS: LazyLock<Defaults> = LazyLock::new(|| {
    let data = SessionData::default();
    Defaults {
        home_dc: data.home_dc,
        dc_options: data.dc_options,
    }
});

/// The port used for an address the stored entry lacks when no other port is known.
const DEFAULT_PORT: u16 = 443;

/// The home DC, or grammers' default for a session without one.
pub(crate) fn home_dc(session: &Session) -> i32 {
    session.home_dc.unwrap_or(DEFAULTS.home_dc)
}

/// The key of the entry grammers' `DcOption` for `id` corresponds to: the DC's main endpoint (neither
/// media-only nor CDN).
fn main_key(id: i32) -> DcKey {
    DcKey {
        id,
        media_only: false,
        cdn: false,
    }
}

/// The stored main entry of DC `id`, if any.
fn main_entry(session: &Session, id: i32) -> Option<&DcEntry> {
    session
        .dcs
        .iter()
        .find(|entry| DcKey::of(entry) == main_key(id))
}

/// `dc_option(id)`: the stored main entry of the DC, else grammers' statically known option.
///
/// An address family the stored entry lacks (a session imported from a library that keeps IPv4 only) is
/// answered with grammers' known address of that DC in production, else with the unspecified address on
/// the entry's other port (as session-interop's grammers writer writes it).
pub(crate) fn dc_option(session: &Session, id: i32) -> Option<DcOption> {
    let Some(entry) = main_entry(session, id) else {
        return DEFAULTS.dc_options.get(&id).cloned();
    };
    let known = DEFAULTS.dc_options.get(&id).filter(|_| !session.test_mode);
    let port = entry
        .ipv4
        .map(|addr| addr.port())
        .or(entry.ipv6.map(|addr| addr.port()))
        .unwrap_or(DEFAULT_PORT);
    let ipv4 = entry.ipv4.unwrap_or_else(|| match known {
        Some(option) => option.ipv4,
        None => SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port),
    });
    let ipv6 = entry.ipv6.unwrap_or_else(|| match known {
        Some(option) => option.ipv6,
        None => SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0),
    });
    Some(DcOption {
        id,
        ipv4,
        ipv6,
        auth_key: entry.auth_key.as_ref().map(|key| *key.as_bytes()),
    })
}

/// `set_dc_option`: the DC's main entry with grammers' addresses and key. What grammers does not know
/// (flags, clock offset) is kept; the server salt and a temporary key belong to the permanent key, so they
/// are kept only while the key stays the same.
pub(crate) fn set_dc_option(session: &Session, option: &DcOption) -> Patch {
    let mut entry = main_entry(session, option.id)
        .cloned()
        .unwrap_or_else(|| DcEntry::new(option.id));
    let key = option.auth_key.map(AuthKey::new);
    if entry.auth_key != key {
        entry.temp_auth_key = None;
        entry.server_salt = 0;
    }
    entry.auth_key = key;
    entry.ipv4 = Some(option.ipv4);
    entry.ipv6 = Some(option.ipv6);
    let mut patch = Patch::new();
    patch.upsert_dc(entry);
    patch
}

/// The tgsession id of a grammers peer id; `None` for grammers' placeholder of the logged-in user.
pub(crate) fn peer_id(id: GPeerId) -> Option<PeerId> {
    let bare = id.bare_id()?;
    Some(match id.kind() {
        GPeerKind::User => PeerId::User(bare),
        GPeerKind::Chat => PeerId::Chat(bare),
        GPeerKind::Channel => PeerId::Channel(bare),
    })
}

/// `peer(PeerId::self_user())`: the logged-in user, if known.
pub(crate) fn self_peer(session: &Session) -> Option<PeerInfo> {
    let me = session.user.as_ref()?;
    peer_info(session, PeerId::User(me.id))
}

/// The access hash grammers may use: a min hash is only valid together with the message it came with, so
/// it is not offered (grammers itself never caches one).
fn usable_hash(peer: &Peer) -> Option<PeerAuth> {
    peer.access_hash
        .filter(|_| !peer.min)
        .map(PeerAuth::from_hash)
}

/// `peer(id)`: the cached peer as grammers' `SqliteSession` reads its row back.
///
/// A user's `bot` and `is_self` are both known (`Some`) when the user is a bot or the logged-in user, and
/// both unknown otherwise, exactly as `SqliteSession`'s subtype bits give them.
pub(crate) fn peer_info(session: &Session, id: PeerId) -> Option<PeerInfo> {
    let stored = session.peers.get(&id);
    match id {
        PeerId::User(bare) => {
            let me = session.user.as_ref().filter(|me| me.id == bare);
            let bot = match (stored, me) {
                (Some(peer), _) => peer.kind == PeerKind::Bot,
                (None, Some(me)) => me.bot,
                (None, None) => return None,
            };
            let is_self = me.is_some();
            let (bot, is_self) = if bot || is_self {
                (Some(bot), Some(is_self))
            } else {
                (None, None)
            };
            Some(PeerInfo::User {
                id: bare,
                auth: stored.and_then(usable_hash),
                bot,
                is_self,
            })
        }
        PeerId::Chat(bare) => stored.map(|_| PeerInfo::Chat { id: bare }),
        PeerId::Channel(bare) => stored.map(|peer| PeerInfo::Channel {
            id: bare,
            auth: usable_hash(peer),
            kind: channel_kind(peer.kind),
        }),
    }
}

/// grammers' channel kind of a stored kind (`None`: unknown).
fn channel_kind(kind: PeerKind) -> Option<ChannelKind> {
    match kind {
        PeerKind::Broadcast => Some(ChannelKind::Broadcast),
        PeerKind::Megagroup => Some(ChannelKind::Megagroup),
        PeerKind::Gigagroup => Some(ChannelKind::Gigagroup),
        PeerKind::User | PeerKind::Bot | PeerKind::Chat | PeerKind::Channel => None,
    }
}

/// The stored kind of a grammers channel kind. The model has no "community" kind: it is stored as a
/// channel of unknown kind, which is also what `SqliteSession` reads its own community rows back as.
fn stored_channel_kind(kind: Option<ChannelKind>) -> PeerKind {
    match kind {
        Some(ChannelKind::Broadcast) => PeerKind::Broadcast,
        Some(ChannelKind::Megagroup) => PeerKind::Megagroup,
        Some(ChannelKind::Gigagroup) => PeerKind::Gigagroup,
        Some(ChannelKind::Community) | None => PeerKind::Channel,
    }
}

/// Adds `cache_peer(info)` to `patch`, with `session` the state before it (and before `patch`, which
/// the caller applies to `session` after each peer so that peers of one batch merge in order).
///
/// As in grammers, the new information extends what is cached ([`PeerInfo::extend_info`]): a field the
/// new information does not know keeps its cached value. What grammers does not know of a stored peer
/// (username, phone, a min access hash it has no new hash for) is kept.
pub(crate) fn cache_peer(session: &Session, info: &PeerInfo, patch: &mut Patch) {
    let Some(id) = peer_id(info.id()) else {
        return;
    };
    let merged = match peer_info(session, id) {
        Some(mut cached) => {
            cached.extend_info(info);
            cached
        }
        None => info.clone(),
    };
    let mut peer = session.peers.get(&id).cloned().unwrap_or_default();
    match merged {
        PeerInfo::User {
            id: bare,
            auth,
            bot,
            is_self,
        } => {
            let bot = bot == Some(true);
            peer.kind = if bot { PeerKind::Bot } else { PeerKind::User };
            set_hash(&mut peer, auth);
            let me = session.user.as_ref().filter(|me| me.id == bare);
            match is_self {
                Some(true) => {
                    let mut user = me.cloned().unwrap_or_else(|| User {
                        id: bare,
                        ..User::default()
                    });
                    user.bot = bot;
                    patch.set_user(Some(user));
                }
                Some(false) if me.is_some() => {
                    patch.set_user(None);
                }
                Some(false) | None => {}
            }
        }
        PeerInfo::Chat { .. } => peer.kind = PeerKind::Chat,
        PeerInfo::Channel { auth, kind, .. } => {
            peer.kind = stored_channel_kind(kind);
            set_hash(&mut peer, auth);
        }
    }
    patch.upsert_peer(id, peer);
}

/// A new access hash replaces the stored one (and is not a min one); no new hash keeps the stored one.
fn set_hash(peer: &mut Peer, auth: Option<PeerAuth>) {
    if let Some(auth) = auth {
        peer.access_hash = Some(auth.hash());
        peer.min = false;
    }
}

/// `updates_state()`: the stored update state (all zero without one), channels in id order.
pub(crate) fn updates_state(session: &Session) -> UpdatesState {
    let Some(state) = &session.update_state else {
        return UpdatesState::default();
    };
    UpdatesState {
        pts: state.pts,
        qts: state.qts,
        date: state.date,
        seq: state.seq,
        channels: state
            .channels
            .iter()
            .map(|(&id, &pts)| ChannelState { id, pts })
            .collect(),
    }
}

/// `set_update_state(update)`: `All` replaces the whole state (channels included); `Primary` and
/// `Secondary` set their counters and keep the others; `Channel` sets one channel's pts.
pub(crate) fn set_update_state(session: &Session, update: &UpdateState) -> Patch {
    let mut patch = Patch::new();
    let current = session.update_state.as_ref();
    let counter = |get: fn(&session_core::UpdateState) -> i32| current.map_or(0, get);
    match update {
        UpdateState::All(state) => {
            patch.clear_update_state();
            patch.set_update_counters(UpdateCounters {
                pts: state.pts,
                qts: state.qts,
                date: state.date,
                seq: state.seq,
            });
            for channel in &state.channels {
                patch.set_channel_pts(channel.id, channel.pts);
            }
        }
        UpdateState::Primary { pts, date, seq } => {
            patch.set_update_counters(UpdateCounters {
                pts: *pts,
                qts: counter(|state| state.qts),
                date: *date,
                seq: *seq,
            });
        }
        UpdateState::Secondary { qts } => {
            patch.set_update_counters(UpdateCounters {
                pts: counter(|state| state.pts),
                qts: *qts,
                date: counter(|state| state.date),
                seq: counter(|state| state.seq),
            });
        }
        UpdateState::Channel { id, pts } => {
            patch.set_channel_pts(*id, *pts);
        }
    }
    patch
}
