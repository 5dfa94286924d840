//! Property tests of patches: `Patch::between` turns any session into any other, a patch is its changes
//! applied one by one, and merging two patches is applying them in turn.

mod support;

use proptest::collection::vec;
use proptest::prelude::*;
use session_core::{DcKey, Patch, Peer, PeerId, PeerKind, Session, UpdateCounters};
use support::{dc_entry, device, session, user};

/// One change a client could make.
#[derive(Clone, Debug)]
enum Change {
    HomeDc(Option<i32>),
    TestMode(bool),
    ApiId(Option<i32>),
    User(Option<session_core::User>),
    Device(Option<session_core::DeviceInfo>),
    UpsertDc(session_core::DcEntry),
    RemoveDc(i32, bool),
    SetDcs(Vec<session_core::DcEntry>),
    Counters([i32; 4]),
    ClearState,
    ChannelPts(i64, i32),
    RemoveChannel(i64),
    UpsertPeer(usize, i64, Option<i64>),
    RemovePeer(usize, i64),
}

fn change() -> impl Strategy<Value = Change> {
    // Small id ranges, so that changes meet the session's entries and each other.
    prop_oneof![
        proptest::option::of(1..6i32).prop_map(Change::HomeDc),
        any::<bool>().prop_map(Change::TestMode),
        proptest::option::of(any::<i32>()).prop_map(Change::ApiId),
        proptest::option::of(user()).prop_map(Change::User),
        proptest::option::of(device()).prop_map(Change::Device),
        dc_entry().prop_map(|mut dc| {
            dc.id = dc.id.rem_euclid(4);
            Change::UpsertDc(dc)
        }),
        (0..4i32, any::<bool>()).prop_map(|(id, media)| Change::RemoveDc(id, media)),
        vec(dc_entry(), 0..3).prop_map(Change::SetDcs),
        any::<[i32; 4]>().prop_map(Change::Counters),
        Just(Change::ClearState),
        (0..8i64, any::<i32>()).prop_map(|(id, pts)| Change::ChannelPts(id, pts)),
        (0..8i64).prop_map(Change::RemoveChannel),
        (
            0..PeerKind::ALL.len(),
            0..16i64,
            proptest::option::of(any::<i64>())
        )
            .prop_map(|(kind, id, hash)| Change::UpsertPeer(kind, id, hash)),
        (0..PeerKind::ALL.len(), 0..16i64).prop_map(|(kind, id)| Change::RemovePeer(kind, id)),
    ]
}

/// The patch of `changes`.
fn patch_of(changes: &[Change]) -> Patch {
    let mut patch = Patch::new();
    for change in changes.iter().cloned() {
        match change {
            Change::HomeDc(dc) => patch.set_home_dc(dc),
            Change::TestMode(on) => patch.set_test_mode(on),
            Change::ApiId(id) => patch.set_api_id(id),
            Change::User(user) => patch.set_user(user),
            Change::Device(device) => patch.set_device(device),
            Change::UpsertDc(dc) => patch.upsert_dc(dc),
            Change::RemoveDc(id, media_only) => patch.remove_dc(DcKey {
                id,
                media_only,
                cdn: false,
            }),
            Change::SetDcs(dcs) => patch.set_dcs(dcs),
            Change::Counters([pts, qts, date, seq]) => patch.set_update_counters(UpdateCounters {
                pts,
                qts,
                date,
                seq,
            }),
            Change::ClearState => patch.clear_update_state(),
            Change::ChannelPts(id, pts) => patch.set_channel_pts(id, pts),
            Change::RemoveChannel(id) => patch.remove_channel(id),
            Change::UpsertPeer(kind, id, access_hash) => {
                let kind = PeerKind::ALL[kind];
                patch.upsert_peer(
                    PeerId::new(kind.class(), id),
                    Peer {
                        kind,
                        access_hash,
                        ..Peer::default()
                    },
                )
            }
            Change::RemovePeer(kind, id) => {
                patch.remove_peer(PeerId::new(PeerKind::ALL[kind].class(), id))
            }
        };
    }
    patch
}

/// A session whose peers and channels use the small id ranges the changes use.
fn small_session() -> impl Strategy<Value = Session> {
    (session(), vec(change(), 0..20)).prop_map(|(mut session, changes)| {
        session.apply(&patch_of(&changes));
        session
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn between_turns_one_session_into_the_other(old in small_session(), new in small_session()) {
        let patch = Patch::between(&old, &new);
        let mut applied = old.clone();
        applied.apply(&patch);
        prop_assert_eq!(&applied, &new);
        prop_assert!(Patch::between(&new, &new).is_empty());
    }

    #[test]
    fn a_patch_is_its_changes_applied_one_by_one(
        session in small_session(),
        changes in vec(change(), 0..30),
    ) {
        let mut one_by_one = session.clone();
        for change in &changes {
            one_by_one.apply(&patch_of(std::slice::from_ref(change)));
        }
        let mut at_once = session;
        at_once.apply(&patch_of(&changes));
        prop_assert_eq!(at_once, one_by_one);
    }

    #[test]
    fn merging_patches_is_applying_them_in_turn(
        session in small_session(),
        first in vec(change(), 0..20),
        second in vec(change(), 0..20),
    ) {
        let (first, second) = (patch_of(&first), patch_of(&second));
        let mut in_turn = session.clone();
        in_turn.apply(&first);
        in_turn.apply(&second);
        let mut merged = first;
        merged.merge(second);
        let mut at_once = session;
        at_once.apply(&merged);
        prop_assert_eq!(at_once, in_turn);
    }
}
