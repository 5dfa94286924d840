//! [`Session::apply`](crate::Session::apply): a patch's changes, in the documented order.

use std::collections::BTreeMap;

use super::{DcChange, DcKey, Patch};
use crate::session::{Peer, PeerId, PeerMap, Session};

pub(super) fn apply(s: &mut Session, p: &Patch) {
    assign(&mut s.home_dc, p.home_dc);
    if let Some(test_mode) = p.test_mode {
        s.test_mode = test_mode;
    }
    assign(&mut s.api_id, p.api_id);
    assign(&mut s.takeout_id, p.takeout_id);
    assign(&mut s.created_at, p.created_at);
    assign(&mut s.updated_at, p.updated_at);
    if let Some(user) = &p.user {
        s.user = user.clone();
    }
    if let Some(device) = &p.device {
        s.device = device.clone();
    }
    if let Some(token) = &p.logout_token {
        s.logout_token = token.clone();
    }
    for change in &p.dcs {
        match change {
            DcChange::Upsert(entry) => {
                let key = DcKey::of(entry);
                match s.dcs.iter_mut().find(|dc| DcKey::of(dc) == key) {
                    Some(dc) => *dc = entry.clone(),
                    None => s.dcs.push(entry.clone()),
                }
            }
            DcChange::Remove(key) => s.dcs.retain(|dc| DcKey::of(dc) != *key),
            DcChange::Set(dcs) => s.dcs.clone_from(dcs),
        }
    }
    if p.clear_state {
        s.update_state = None;
    }
    if let Some(c) = p.counters {
        let state = s.update_state.get_or_insert_with(Default::default);
        (state.pts, state.qts, state.date, state.seq) = (c.pts, c.qts, c.date, c.seq);
    }
    if p.create_state {
        s.update_state.get_or_insert_with(Default::default);
    }
    if let Some(state) = &mut s.update_state {
        for (&channel, &pts) in &p.channels {
            match pts {
                Some(pts) => state.channels.insert(channel, pts),
                None => state.channels.remove(&channel),
            };
        }
    }
    if !p.peers.is_empty() {
        merge_peers(&mut s.peers, &p.peers);
    }
    for (&user_id, &context) in &p.min_contexts {
        match context {
            Some(context) => s.min_contexts.insert(user_id, context),
            None => s.min_contexts.remove(&user_id),
        };
    }
}

/// `value`, if set, replaces `field`.
fn assign<T: Copy>(field: &mut Option<T>, value: Option<Option<T>>) {
    if let Some(value) = value {
        *field = value;
    }
}

/// Applies the peer changes to the cache, one by one: each is a binary search, and an insertion or
/// removal moves the entries of one chunk of the [`PeerMap`], so a batch costs the same wherever its ids
/// fall in a large cache.
fn merge_peers(peers: &mut PeerMap, changes: &BTreeMap<PeerId, Option<Peer>>) {
    for (id, change) in changes {
        match change {
            Some(peer) => {
                peers.insert(*id, peer.clone());
            }
            None => {
                peers.remove(id);
            }
        }
    }
}
