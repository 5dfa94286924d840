//! What each `SessionBackend` call changes: in ferogram's view (with the semantics of ferogram's own
//! backends) and, as a [`Patch`], in the stored session.

use ferogram_session::{CachedPeer, DcEntry as FeroDc, PersistedSession, UpdateStateChange};
use session_core::{Patch, PeerClass, PeerId, Session};
use zeroize::Zeroize;

use crate::map::{self, Unrepresentable};

/// A call of the client, as the worker receives it.
#[derive(Debug)]
pub(crate) enum Op {
    /// `save`: the whole session.
    Save(Box<PersistedSession>),
    /// `delete`.
    Delete,
    /// `update_dc`.
    UpdateDc(Box<FeroDc>),
    /// `set_home_dc`.
    SetHomeDc(i32),
    /// `apply_update_state`.
    UpdateState(UpdateStateChange),
    /// `cache_peer`.
    CachePeer(CachedPeer),
}

/// The change to ferogram's view, made once the stored session has changed.
#[derive(Debug)]
pub(crate) enum ViewChange {
    /// There is no session any more.
    Clear,
    /// The view becomes this session.
    Replace(Box<PersistedSession>),
    /// The DC list becomes this one.
    Dcs(Vec<FeroDc>),
    /// The home DC becomes this one.
    HomeDc(i32),
    /// The update state becomes this one.
    UpdateState(ferogram_session::UpdatesStateSnap),
    /// The peer at this index is replaced (or, with `None`, the peer is appended).
    Peer(Option<usize>, CachedPeer),
}

impl ViewChange {
    /// Applies the change; a granular change of no session starts from ferogram's default session, as
    /// ferogram's own backends do.
    pub(crate) fn apply(self, view: &mut Option<PersistedSession>) {
        let session = match self {
            ViewChange::Clear => {
                view.take().as_mut().map(wipe);
                return;
            }
            ViewChange::Replace(session) => {
                view.replace(*session).as_mut().map(wipe);
                return;
            }
            _ => view.get_or_insert_with(PersistedSession::default),
        };
        match self {
            ViewChange::Clear | ViewChange::Replace(_) => {}
            ViewChange::Dcs(dcs) => {
                let mut old = std::mem::replace(&mut session.dcs, dcs);
                old.iter_mut().for_each(wipe_dc);
            }
            ViewChange::HomeDc(dc) => session.home_dc_id = dc,
            ViewChange::UpdateState(state) => session.updates_state = state,
            ViewChange::Peer(Some(index), peer) => session.peers[index] = peer,
            ViewChange::Peer(None, peer) => session.peers.push(peer),
        }
    }
}

/// The stored change and the view change of `op` (`Delete` changes nothing stored here: the worker
/// deletes the slot), given the current view and the
/// stored session.
pub(crate) fn plan(
    op: Op,
    view: Option<&PersistedSession>,
    stored: &Session,
) -> Result<(Patch, ViewChange), Unrepresentable> {
    let default = PersistedSession::default();
    let current = view.unwrap_or(&default);
    let mut patch = Patch::new();
    let change = match op {
        Op::Save(session) => {
            patch = Patch::between(stored, &map::to_session(&session, stored)?);
            ViewChange::Replace(session)
        }
        Op::Delete => ViewChange::Clear,
        Op::UpdateDc(entry) => {
            // ferogram: replace the first entry of the same DC and address family, or append.
            let mut dcs = current.dcs.clone();
            match dcs
                .iter_mut()
                .find(|dc| dc.dc_id == entry.dc_id && dc.is_ipv6() == entry.is_ipv6())
            {
                Some(existing) => *existing = *entry,
                None => dcs.push(*entry),
            }
            patch.set_dcs(map::dcs(&dcs, &stored.dcs)?);
            ViewChange::Dcs(dcs)
        }
        Op::SetHomeDc(dc) => {
            patch.set_home_dc(map::home_dc(dc));
            ViewChange::HomeDc(dc)
        }
        Op::UpdateState(change) => {
            let mut state = current.updates_state.clone();
            change.apply_to(&mut state);
            let before = Session {
                update_state: stored.update_state.clone(),
                ..Session::default()
            };
            let after = Session {
                update_state: map::update_state(&state),
                ..Session::default()
            };
            patch = Patch::between(&before, &after);
            ViewChange::UpdateState(state)
        }
        Op::CachePeer(peer) => {
            // ferogram: replace the first peer with the same bare id (of any kind), or append.
            let index = current.peers.iter().position(|p| p.id == peer.id);
            // The listings of this id afterwards: the new peer takes the place of the first one (or is
            // the only one), the later ones stay.
            let listings: Vec<&CachedPeer> = std::iter::once(&peer)
                .chain(
                    current
                        .peers
                        .iter()
                        .enumerate()
                        .filter(|(i, p)| p.id == peer.id && Some(*i) != index)
                        .map(|(_, p)| p),
                )
                .collect();
            for class in [PeerClass::User, PeerClass::Chat, PeerClass::Channel] {
                let id = PeerId::new(class, peer.id);
                let new = listings
                    .iter()
                    .find(|p| map::class(p) == class)
                    .map(|p| map::peer(p, &stored.peers).1);
                if new.as_ref() != stored.peers.get(&id) {
                    match new {
                        Some(new) => patch.upsert_peer(id, new),
                        None => patch.remove_peer(id),
                    };
                }
            }
            ViewChange::Peer(index, peer)
        }
    };
    Ok((patch, change))
}

/// Zeroizes the auth keys and the future auth token of a session about to be dropped.
pub(crate) fn wipe(session: &mut PersistedSession) {
    session.dcs.iter_mut().for_each(wipe_dc);
    if let Some(token) = &mut session.future_auth_token {
        token.zeroize();
    }
}

fn wipe_dc(dc: &mut FeroDc) {
    if let Some(key) = &mut dc.auth_key {
        key.zeroize();
    }
}
