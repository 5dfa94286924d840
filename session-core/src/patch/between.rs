//! [`Patch::between`]: the patch that turns one session into another.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::{Patch, UpdateCounters};
use crate::session::{Session, UpdateState};

impl Patch {
    /// The smallest patch that turns `old` into `new`: `old.apply(&Patch::between(&old, &new))` equals `new`
    /// in everything but [`unknown_sections`](Session::unknown_sections), which a patch never carries.
    ///
    /// Peers and channels are compared in one walk over both sorted lists. When the DC entries differ at
    /// all, the patch sets the whole new list (they are few, and their order matters).
    ///
    /// ```
    /// use session_core::{Patch, Session};
    ///
    /// let old = Session::new();
    /// let mut new = old.clone();
    /// new.home_dc = Some(4);
    /// let patch = Patch::between(&old, &new);
    /// let mut applied = old.clone();
    /// applied.apply(&patch);
    /// assert_eq!(applied, new);
    /// ```
    pub fn between(old: &Session, new: &Session) -> Patch {
        let mut patch = Patch::new();
        if old.home_dc != new.home_dc {
            patch.set_home_dc(new.home_dc);
        }
        if old.test_mode != new.test_mode {
            patch.set_test_mode(new.test_mode);
        }
        if old.api_id != new.api_id {
            patch.set_api_id(new.api_id);
        }
        if old.takeout_id != new.takeout_id {
            patch.set_takeout_id(new.takeout_id);
        }
        if old.created_at != new.created_at {
            patch.set_created_at(new.created_at);
        }
        if old.updated_at != new.updated_at {
            patch.set_updated_at(new.updated_at);
        }
        if old.user != new.user {
            patch.set_user(new.user.clone());
        }
        if old.device != new.device {
            patch.set_device(new.device.clone());
        }
        if old.logout_token != new.logout_token {
            patch.set_logout_token(new.logout_token.clone());
        }
        if old.dcs != new.dcs {
            patch.set_dcs(new.dcs.clone());
        }
        update_state(
            &mut patch,
            old.update_state.as_ref(),
            new.update_state.as_ref(),
        );
        diff_sorted(old.peers.iter(), new.peers.iter(), |id, peer| {
            patch.peers.insert(*id, peer.cloned());
        });
        diff_sorted(
            old.min_contexts.iter(),
            new.min_contexts.iter(),
            |user_id, context| {
                patch.min_contexts.insert(*user_id, context.copied());
            },
        );
        patch
    }
}

/// The update-state changes from `old` to `new`.
fn update_state(patch: &mut Patch, old: Option<&UpdateState>, new: Option<&UpdateState>) {
    let counters = |s: &UpdateState| UpdateCounters {
        pts: s.pts,
        qts: s.qts,
        date: s.date,
        seq: s.seq,
    };
    match (old, new) {
        (None, None) => {}
        (Some(_), None) => {
            patch.clear_update_state();
        }
        (None, Some(new)) => {
            patch.set_update_counters(counters(new));
            for (&channel, &pts) in &new.channels {
                patch.set_channel_pts(channel, pts);
            }
        }
        (Some(old), Some(new)) => {
            if counters(old) != counters(new) {
                patch.set_update_counters(counters(new));
            }
            let mut changes: BTreeMap<i64, Option<i32>> = BTreeMap::new();
            diff_sorted(old.channels.iter(), new.channels.iter(), |id, pts| {
                changes.insert(*id, pts.copied());
            });
            patch.channels.extend(changes);
        }
    }
}

/// Walks two maps sorted by key and calls `changed(key, new value)` for every key whose value differs:
/// `Some` for a key added or changed in `new`, `None` for a key `new` lacks.
fn diff_sorted<'a, K: Ord + 'a, V: PartialEq + 'a>(
    old: impl Iterator<Item = (&'a K, &'a V)>,
    new: impl Iterator<Item = (&'a K, &'a V)>,
    mut changed: impl FnMut(&'a K, Option<&'a V>),
) {
    let (mut old, mut new) = (old.peekable(), new.peekable());
    loop {
        let order = match (old.peek(), new.peek()) {
            (None, None) => return,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((old_key, _)), Some((new_key, _))) => old_key.cmp(new_key),
        };
        match order {
            Ordering::Less => {
                if let Some((key, _)) = old.next() {
                    changed(key, None);
                }
            }
            Ordering::Greater => {
                if let Some((key, value)) = new.next() {
                    changed(key, Some(value));
                }
            }
            Ordering::Equal => {
                if let (Some((_, before)), Some((key, after))) = (old.next(), new.next()) {
                    if before != after {
                        changed(key, Some(after));
                    }
                }
            }
        }
    }
}
