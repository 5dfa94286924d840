//! [`Session::apply`](crate::Session::apply): a patch's changes, in the documented order.

use std::collections::BTreeMap;

use litemap::LiteMap;

use super::{DcChange, DcKey, Patch};
use crate::session::{Peer, PeerId, Session};

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
}

/// `value`, if set, replaces `field`.
fn assign<T: Copy>(field: &mut Option<T>, value: Option<Option<T>>) {
    if let Some(value) = value {
        *field = value;
    }
}

/// Applies the sorted peer changes to the sorted cache: existing ids are replaced in place (binary
/// searches), removals are dropped in one pass, and new ids are merged in with one backward pass
/// ([`insert_sorted`]), however many there are.
fn merge_peers(peers: &mut LiteMap<PeerId, Peer>, changes: &BTreeMap<PeerId, Option<Peer>>) {
    let mut store = std::mem::take(peers).into_tuple_vec();
    let mut removals = false;
    let mut added: Vec<(PeerId, Peer)> = Vec::new();
    for (id, change) in changes {
        match (store.binary_search_by(|(key, _)| key.cmp(id)), change) {
            (Ok(at), Some(peer)) => store[at].1 = peer.clone(),
            (Ok(_), None) => removals = true,
            (Err(_), Some(peer)) => added.push((*id, peer.clone())),
            (Err(_), None) => {}
        }
    }
    if removals {
        store.retain(|(id, _)| !matches!(changes.get(id), Some(None)));
    }
    if !added.is_empty() {
        insert_sorted(&mut store, added);
    }
    *peers = LiteMap::from_sorted_store_unchecked(store);
}

/// Inserts `added` (sorted, ids not in `store`) into the sorted `store` in one backward pass: the vector
/// grows by `added.len()` placeholder entries, then, from the end, each place takes the larger of the last
/// unplaced old entry (moved by a swap, which leaves the placeholder behind) and the last unplaced new entry.
/// The pass stops as soon as every new entry is placed, so the entries before the first insertion point
/// never move; each entry after it moves exactly once, and nothing is allocated but the placeholders.
fn insert_sorted(store: &mut Vec<(PeerId, Peer)>, added: Vec<(PeerId, Peer)>) {
    let old_len = store.len();
    store.resize_with(old_len + added.len(), || (PeerId::User(0), Peer::default()));
    let mut next_old = old_len;
    let mut write = store.len();
    for new in added.into_iter().rev() {
        while next_old > 0 && store[next_old - 1].0 > new.0 {
            next_old -= 1;
            write -= 1;
            store.swap(next_old, write);
        }
        write -= 1;
        store[write] = new;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::PeerKind;

    fn peer(hash: i64) -> Peer {
        Peer {
            kind: PeerKind::User,
            access_hash: Some(hash),
            ..Peer::default()
        }
    }

    #[test]
    fn the_peer_merge_equals_changing_one_by_one() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut peers: LiteMap<PeerId, Peer> =
            (0..5_000).map(|i| (PeerId::User(i * 3), peer(i))).collect();
        for round in 0..40 {
            let mut changes = BTreeMap::new();
            let count = if round % 10 == 9 {
                3_000
            } else {
                rng.usize(0..200)
            };
            for _ in 0..count {
                let id = PeerId::User(rng.i64(-10..16_000));
                let change = rng.bool().then(|| peer(rng.i64(..)));
                changes.insert(id, change);
            }
            let mut expected = peers.clone();
            for (id, change) in &changes {
                match change {
                    Some(peer) => {
                        expected.insert(*id, peer.clone());
                    }
                    None => {
                        expected.remove(id);
                    }
                }
            }
            merge_peers(&mut peers, &changes);
            assert_eq!(peers, expected);
        }
    }
}
