//! [`Patch`]: a change to a [`Session`], small enough to persist as one journal record, cheap to build up
//! change by change, and applied with [`Session::apply`].

mod apply;
mod between;

use std::collections::BTreeMap;

use crate::session::{DcEntry, DeviceInfo, LogoutToken, MinContext, Peer, PeerId, Session, User};

/// What identifies a DC entry within a session for a [`Patch`]: its id, and whether it is a media-only or a
/// CDN endpoint (Telegram lists those apart from the main endpoint of the same DC). The other flags are
/// properties of an entry, not part of its identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DcKey {
    /// The DC id.
    pub id: i32,
    /// Whether the entry is the DC's media-only endpoint.
    pub media_only: bool,
    /// Whether the entry is a CDN endpoint.
    pub cdn: bool,
}

impl DcKey {
    /// The key of `entry`.
    pub fn of(entry: &DcEntry) -> DcKey {
        DcKey {
            id: entry.id,
            media_only: entry.flags.media_only,
            cdn: entry.flags.cdn,
        }
    }
}

/// A change to the session's DC entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DcChange {
    /// Replaces the first entry with the same [`DcKey`], or appends the entry if there is none.
    Upsert(DcEntry),
    /// Removes every entry with this key.
    Remove(DcKey),
    /// Replaces the whole list of entries.
    Set(Vec<DcEntry>),
}

/// The common update-state counters, without the per-channel pts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpdateCounters {
    /// The common message box's pts.
    pub pts: i32,
    /// The secret-chat qts.
    pub qts: i32,
    /// The date of the last update, in Unix seconds.
    pub date: i32,
    /// The sequence number.
    pub seq: i32,
}

/// A change to a [`Session`]: fields set or cleared, DC entries upserted or removed, update counters and
/// per-channel pts set or removed, peers upserted or removed.
///
/// Build one change by change (each method records the change; a later change of the same thing replaces
/// an earlier one), then apply it with [`Session::apply`]. Applying a patch has the effect of applying its
/// changes one by one, in the order they were made, and [`merge`](Self::merge) composes two patches.
///
/// Within one patch, changes apply in this order: the scalar fields (the logout token among them), the user,
/// the device, the DC changes (in the order they were made), the update counters (or the removal of the
/// whole update state), the channel pts, the peers, and last the min contexts.
///
/// ```
/// use session_core::{Patch, Peer, PeerId, PeerKind, Session};
///
/// let mut session = Session::new();
/// let mut patch = Patch::new();
/// patch.set_home_dc(Some(2));
/// patch.upsert_peer(PeerId::User(42), Peer { kind: PeerKind::User, access_hash: Some(7), ..Peer::default() });
/// patch.set_channel_pts(1234, 99);
/// session.apply(&patch);
/// assert_eq!(session.home_dc, Some(2));
/// assert_eq!(session.peers.get(&PeerId::User(42)).and_then(|p| p.access_hash), Some(7));
/// assert_eq!(session.update_state.unwrap().channels[&1234], 99);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Patch {
    pub(crate) home_dc: Option<Option<i32>>,
    pub(crate) test_mode: Option<bool>,
    pub(crate) api_id: Option<Option<i32>>,
    pub(crate) takeout_id: Option<Option<i64>>,
    pub(crate) created_at: Option<Option<i64>>,
    pub(crate) updated_at: Option<Option<i64>>,
    pub(crate) user: Option<Option<User>>,
    pub(crate) device: Option<Option<DeviceInfo>>,
    pub(crate) logout_token: Option<Option<LogoutToken>>,
    pub(crate) dcs: Vec<DcChange>,
    /// Remove the whole update state (channels included) before the counters and channels below.
    pub(crate) clear_state: bool,
    /// Set the common update counters (creating the update state if there is none).
    pub(crate) counters: Option<UpdateCounters>,
    /// Create an empty update state if there is none (a channel's pts was set), before the channels below.
    pub(crate) create_state: bool,
    /// Channel pts set (`Some`) or removed (`None`), by channel id.
    pub(crate) channels: BTreeMap<i64, Option<i32>>,
    /// Peers upserted (`Some`) or removed (`None`), by id.
    pub(crate) peers: BTreeMap<PeerId, Option<Peer>>,
    /// Min contexts set (`Some`) or removed (`None`), by user id.
    pub(crate) min_contexts: BTreeMap<i64, Option<MinContext>>,
}

impl Patch {
    /// An empty patch: applying it changes nothing.
    pub fn new() -> Patch {
        Patch::default()
    }

    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Patch::default()
    }

    /// Sets (or, with `None`, clears) the home DC.
    pub fn set_home_dc(&mut self, dc: Option<i32>) -> &mut Self {
        self.home_dc = Some(dc);
        self
    }

    /// Sets the test-mode flag.
    pub fn set_test_mode(&mut self, test_mode: bool) -> &mut Self {
        self.test_mode = Some(test_mode);
        self
    }

    /// Sets or clears the api id.
    pub fn set_api_id(&mut self, api_id: Option<i32>) -> &mut Self {
        self.api_id = Some(api_id);
        self
    }

    /// Sets or clears the takeout id.
    pub fn set_takeout_id(&mut self, takeout_id: Option<i64>) -> &mut Self {
        self.takeout_id = Some(takeout_id);
        self
    }

    /// Sets or clears the creation time (Unix seconds).
    pub fn set_created_at(&mut self, at: Option<i64>) -> &mut Self {
        self.created_at = Some(at);
        self
    }

    /// Sets or clears the last-change time (Unix seconds).
    pub fn set_updated_at(&mut self, at: Option<i64>) -> &mut Self {
        self.updated_at = Some(at);
        self
    }

    /// Sets or clears the logged-in user.
    pub fn set_user(&mut self, user: Option<User>) -> &mut Self {
        self.user = Some(user);
        self
    }

    /// Sets or clears the device info.
    pub fn set_device(&mut self, device: Option<DeviceInfo>) -> &mut Self {
        self.device = Some(device);
        self
    }

    /// Replaces the DC entry with the same [`DcKey`] (or adds it): its addresses, keys, salt and offset.
    pub fn upsert_dc(&mut self, entry: DcEntry) -> &mut Self {
        let key = DcKey::of(&entry);
        let earlier = self
            .dcs
            .iter_mut()
            .find(|change| matches!(change, DcChange::Upsert(e) if DcKey::of(e) == key));
        match earlier {
            // Replacing the earlier upsert where it stands keeps the entries' order what applying both
            // upserts one after the other would give.
            Some(change) => *change = DcChange::Upsert(entry),
            None => self.dcs.push(DcChange::Upsert(entry)),
        }
        self
    }

    /// Replaces the whole list of DC entries (and forgets earlier DC changes of this patch).
    pub fn set_dcs(&mut self, dcs: Vec<DcEntry>) -> &mut Self {
        self.dcs = vec![DcChange::Set(dcs)];
        self
    }

    /// Removes the DC entries with `key` (and forgets earlier changes of them in this patch).
    pub fn remove_dc(&mut self, key: DcKey) -> &mut Self {
        self.dcs
            .retain(|change| !matches!(change_key(change), Some(changed) if changed == key));
        self.dcs.push(DcChange::Remove(key));
        self
    }

    /// Sets the common update counters (creating the update state if the session has none).
    pub fn set_update_counters(&mut self, counters: UpdateCounters) -> &mut Self {
        self.counters = Some(counters);
        self
    }

    /// Removes the whole update state, channel pts included; channel changes made after this call apply
    /// to a new, empty update state.
    pub fn clear_update_state(&mut self) -> &mut Self {
        self.clear_state = true;
        self.counters = None;
        self.create_state = false;
        self.channels.clear();
        self
    }

    /// Sets the pts of channel `channel` (a bare id).
    pub fn set_channel_pts(&mut self, channel: i64, pts: i32) -> &mut Self {
        self.create_state = true;
        self.channels.insert(channel, Some(pts));
        self
    }

    /// Forgets the pts of channel `channel` (a session without update state stays without).
    pub fn remove_channel(&mut self, channel: i64) -> &mut Self {
        self.channels.insert(channel, None);
        self
    }

    /// Adds or replaces the cached peer `id`.
    pub fn upsert_peer(&mut self, id: PeerId, peer: Peer) -> &mut Self {
        self.peers.insert(id, Some(peer));
        self
    }

    /// Adds or replaces many cached peers at once.
    pub fn upsert_peers(&mut self, peers: impl IntoIterator<Item = (PeerId, Peer)>) -> &mut Self {
        for (id, peer) in peers {
            self.peers.insert(id, Some(peer));
        }
        self
    }

    /// Removes the cached peer `id`.
    pub fn remove_peer(&mut self, id: PeerId) -> &mut Self {
        self.peers.insert(id, None);
        self
    }

    /// Sets (or, with `None`, clears) the logout token.
    pub fn set_logout_token(&mut self, token: Option<LogoutToken>) -> &mut Self {
        self.logout_token = Some(token);
        self
    }

    /// Sets where the min user `user_id` was seen.
    pub fn set_min_context(&mut self, user_id: i64, context: MinContext) -> &mut Self {
        self.min_contexts.insert(user_id, Some(context));
        self
    }

    /// Removes the min context of `user_id`.
    pub fn remove_min_context(&mut self, user_id: i64) -> &mut Self {
        self.min_contexts.insert(user_id, None);
        self
    }

    /// Adds the changes of `later` to this patch, as if `later` were applied after it: afterwards, applying
    /// this one patch has the effect of applying both, in order.
    pub fn merge(&mut self, later: Patch) -> &mut Self {
        let Patch {
            home_dc,
            test_mode,
            api_id,
            takeout_id,
            created_at,
            updated_at,
            user,
            device,
            logout_token,
            dcs,
            clear_state,
            counters,
            create_state,
            channels,
            peers,
            min_contexts,
        } = later;
        overwrite(&mut self.home_dc, home_dc);
        overwrite(&mut self.test_mode, test_mode);
        overwrite(&mut self.api_id, api_id);
        overwrite(&mut self.takeout_id, takeout_id);
        overwrite(&mut self.created_at, created_at);
        overwrite(&mut self.updated_at, updated_at);
        overwrite(&mut self.user, user);
        overwrite(&mut self.device, device);
        overwrite(&mut self.logout_token, logout_token);
        for change in dcs {
            match change {
                DcChange::Upsert(entry) => self.upsert_dc(entry),
                DcChange::Remove(key) => self.remove_dc(key),
                DcChange::Set(dcs) => self.set_dcs(dcs),
            };
        }
        if clear_state {
            self.clear_update_state();
        }
        overwrite(&mut self.counters, counters);
        self.create_state |= create_state;
        self.channels.extend(channels);
        self.peers.extend(peers);
        self.min_contexts.extend(min_contexts);
        self
    }

    /// The number of peers the patch upserts or removes.
    pub fn peer_changes(&self) -> usize {
        self.peers.len()
    }

    /// The peer changes, in id order: `Some` upserts, `None` removes.
    pub fn peers(&self) -> impl Iterator<Item = (&PeerId, Option<&Peer>)> {
        self.peers.iter().map(|(id, peer)| (id, peer.as_ref()))
    }

    /// The DC changes, in the order they apply.
    pub fn dc_changes(&self) -> &[DcChange] {
        &self.dcs
    }
}

/// The key a DC change concerns (`None` for a change of the whole list).
fn change_key(change: &DcChange) -> Option<DcKey> {
    match change {
        DcChange::Upsert(entry) => Some(DcKey::of(entry)),
        DcChange::Remove(key) => Some(*key),
        DcChange::Set(_) => None,
    }
}

/// `later`, if set, replaces `earlier`.
fn overwrite<T>(earlier: &mut Option<T>, later: Option<T>) {
    if later.is_some() {
        *earlier = later;
    }
}

impl Session {
    /// Applies `patch` (see [`Patch`] for the order of its changes). Each peer change is a binary search
    /// and, for a new or removed peer, a move within one chunk of the [`PeerMap`](crate::PeerMap), so a
    /// batch of changes costs about the same in a cache of 100,000 peers as in a small one.
    pub fn apply(&mut self, patch: &Patch) {
        apply::apply(self, patch);
    }
}
