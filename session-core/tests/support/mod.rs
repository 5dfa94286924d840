//! Proptest strategies for sessions, shared by the property tests of the codec and of patches.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use session_core::{
    AuthKey, DcEntry, DcFlags, DeviceInfo, LiteMap, Peer, PeerId, PeerKind, Session, TempAuthKey,
    UpdateState, User,
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

pub(crate) fn peers() -> impl Strategy<Value = LiteMap<PeerId, Peer>> {
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
                    username,
                    phone,
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
    )
        .prop_map(
            |(
                (home_dc, dcs, test_mode, user, update_state),
                (peers, device, api_id, takeout_id, created_at, updated_at),
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
                ..Session::default()
            },
        )
}
