//! Proptest strategies for sessions, shared by the property tests of the codec and of patches.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use session_core::{
    AuthKey, DcEntry, DcFlags, DcKey, DeviceInfo, LogoutToken, MinContext, Patch, Peer, PeerId,
    PeerKind, PeerMap, Session, TempAuthKey, UpdateCounters, UpdateState, User,
};

pub(crate) fn auth_key() -> impl Strategy<Value = AuthKey> {
    vec(any::<u8>(), AuthKey::LEN).prop_map(|bytes| AuthKey::from_slice(&bytes).expect("256 bytes"))
}

pub(crate) fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_]{0,32}",
        any::<String>().prop_map(|s| s.chars().take(40).collect()),
    ]
}

pub(crate) fn dc_entry() -> impl Strategy<Value = DcEntry> {
    (
        (any::<i32>(), any::<[bool; 5]>()),
        proptest::option::of((any::<u32>(), any::<u16>())),
        proptest::option::of((any::<u128>(), any::<u16>(), any::<u32>(), any::<u32>())),
        proptest::option::of(auth_key()),
        proptest::option::of((auth_key(), any::<i64>())),
        (any::<i64>(), any::<i32>()),
    )
        .prop_map(
            |((id, f), v4, v6, auth_key, temp, (server_salt, time_offset))| DcEntry {
                id,
                ipv4: v4.map(|(ip, port)| SocketAddrV4::new(Ipv4Addr::from(ip), port)),
                ipv6: v6.map(|(ip, port, flow, scope)| {
                    SocketAddrV6::new(Ipv6Addr::from(ip), port, flow, scope)
                }),
                flags: DcFlags {
                    media_only: f[0],
                    cdn: f[1],
                    tcpo_only: f[2],
                    is_static: f[3],
                    this_port_only: f[4],
                },
                auth_key,
                temp_auth_key: temp.map(|(key, expires_at)| TempAuthKey { key, expires_at }),
                server_salt,
                time_offset,
            },
        )
}

pub(crate) fn user() -> impl Strategy<Value = User> {
    (
        any::<i64>(),
        any::<bool>(),
        proptest::option::of(text()),
        proptest::option::of(any::<i32>()),
    )
        .prop_map(|(id, bot, username, dc)| User {
            id,
            bot,
            username,
            dc,
        })
}

pub(crate) fn update_state() -> impl Strategy<Value = UpdateState> {
    (
        any::<[i32; 4]>(),
        btree_map(any::<i64>(), any::<i32>(), 0..8),
    )
        .prop_map(|(n, channels)| UpdateState {
            pts: n[0],
            qts: n[1],
            date: n[2],
            seq: n[3],
            channels,
        })
}

pub(crate) fn device() -> impl Strategy<Value = DeviceInfo> {
    vec(text(), 6).prop_map(|t| DeviceInfo {
        device_model: t[0].clone(),
        system_version: t[1].clone(),
        app_version: t[2].clone(),
        system_lang_code: t[3].clone(),
        lang_pack: t[4].clone(),
        lang_code: t[5].clone(),
    })
}

pub(crate) fn peers() -> impl Strategy<Value = PeerMap> {
    vec(
        (
            0..PeerKind::ALL.len(),
            any::<i64>(),
            proptest::option::of(any::<i64>()),
            proptest::option::of(text()),
            proptest::option::of("[0-9]{5,15}"),
            any::<bool>(),
        ),
        0..24,
    )
    .prop_map(|entries| {
        entries
            .into_iter()
            .map(|(k, id, access_hash, username, phone, min)| {
                let kind = PeerKind::ALL[k];
                let peer = Peer {
                    kind,
                    access_hash,
                    username: username.map(Into::into),
                    phone: phone.map(Into::into),
                    min,
                };
                (PeerId::new(kind.class(), id), peer)
            })
            .collect()
    })
}

pub(crate) fn session() -> impl Strategy<Value = Session> {
    (
        (
            proptest::option::of(any::<i32>()),
            vec(dc_entry(), 0..4),
            any::<bool>(),
            proptest::option::of(user()),
            proptest::option::of(update_state()),
        ),
        (
            peers(),
            proptest::option::of(device()),
            proptest::option::of(any::<i32>()),
            proptest::option::of(any::<i64>()),
            proptest::option::of(any::<i64>()),
            proptest::option::of(any::<i64>()),
        ),
        (min_contexts(), proptest::option::of(logout_token())),
    )
        .prop_map(
            |(
                (home_dc, dcs, test_mode, user, update_state),
                (peers, device, api_id, takeout_id, created_at, updated_at),
                (min_contexts, logout_token),
            )| Session {
                home_dc,
                dcs,
                test_mode,
                user,
                update_state,
                peers,
                device,
                api_id,
                takeout_id,
                created_at,
                updated_at,
                min_contexts,
                logout_token,
                ..Session::default()
            },
        )
}

pub(crate) fn min_contexts() -> impl Strategy<Value = std::collections::BTreeMap<i64, MinContext>> {
    btree_map(
        any::<i64>(),
        (any::<i64>(), any::<i32>()).prop_map(|(chat_id, msg_id)| MinContext { chat_id, msg_id }),
        0..4,
    )
}

pub(crate) fn logout_token() -> impl Strategy<Value = LogoutToken> {
    vec(any::<u8>(), 1..64).prop_map(|bytes| LogoutToken::new(bytes).expect("1 to 63 bytes"))
}

/// One change a client could make.
#[derive(Clone, Debug)]
pub(crate) enum Change {
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
    LogoutToken(Option<LogoutToken>),
    MinContext(i64, Option<(i64, i32)>),
}

pub(crate) fn change() -> impl Strategy<Value = Change> {
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
        proptest::option::of(logout_token()).prop_map(Change::LogoutToken),
        (0..8i64, proptest::option::of(any::<(i64, i32)>()))
            .prop_map(|(user, context)| Change::MinContext(user, context)),
    ]
}

/// The patch of `changes`.
pub(crate) fn patch_of(changes: &[Change]) -> Patch {
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
            Change::LogoutToken(token) => patch.set_logout_token(token),
            Change::MinContext(user, Some((chat_id, msg_id))) => {
                patch.set_min_context(user, MinContext { chat_id, msg_id })
            }
            Change::MinContext(user, None) => patch.remove_min_context(user),
        };
    }
    patch
}

/// A session whose peers and channels use the small id ranges the changes use.
pub(crate) fn small_session() -> impl Strategy<Value = Session> {
    (session(), vec(change(), 0..20)).prop_map(|(mut session, changes)| {
        session.apply(&patch_of(&changes));
        session
    })
}
