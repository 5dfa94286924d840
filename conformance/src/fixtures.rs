//! Sample sessions of realistic shapes, for tests and benchmarks of any storage.
//!
//! All keys are fake and deterministic; the same call always returns the same session.

use std::net::{Ipv6Addr, SocketAddrV4, SocketAddrV6};

use session_core::{
    AuthKey, DcEntry, DcFlags, DeviceInfo, LogoutToken, MinContext, Peer, PeerId, PeerKind,
    Session, TempAuthKey, UpdateState, User,
};

/// The key of the shared test vectors: the bytes `00 01 02 … ff` (key id `32d1586ea457dfc8`).
pub fn sample_key() -> AuthKey {
    AuthKey::new(std::array::from_fn(|i| i as u8))
}

/// A freshly logged-in account: the home DC 2 with a key, four more DC options without keys, the user and
/// the update state. About what every client saves after login.
pub fn auth_only() -> Session {
    let mut session = Session::new();
    session.home_dc = Some(2);
    let mut home = DcEntry::new(2);
    home.ipv4 = Some(SocketAddrV4::new([149, 154, 167, 51].into(), 443));
    home.auth_key = Some(sample_key());
    home.server_salt = 0x1234_5678_9abc_def0;
    home.time_offset = -2;
    session.dcs.push(home);
    let others: [(i32, [u8; 4]); 4] = [
        (1, [149, 154, 175, 53]),
        (3, [149, 154, 175, 100]),
        (4, [149, 154, 167, 92]),
        (5, [91, 108, 56, 130]),
    ];
    for (id, ip) in others {
        let mut dc = DcEntry::new(id);
        dc.ipv4 = Some(SocketAddrV4::new(ip.into(), 443));
        session.dcs.push(dc);
    }
    session.user = Some(User {
        id: 123_456_789,
        bot: false,
        username: Some("alice_test".into()),
        dc: Some(2),
    });
    session.update_state = Some(UpdateState {
        pts: 100,
        qts: 7,
        date: 1_700_000_000,
        seq: 42,
        channels: Default::default(),
    });
    session
}

/// [`auth_only`] plus `peers` cached peers (70% users with 5–32 character usernames, 20% channels, 10% basic
/// groups) and the update state of 100 channels.
pub fn with_peers(peers: usize) -> Session {
    let mut session = auth_only();
    let mut rng = fastrand::Rng::with_seed(0x7467_7365_7373);
    let mut cache = Vec::with_capacity(peers);
    for i in 0..peers {
        let bare = 1_000_000 + i as i64 * 7;
        let (id, peer) = match i % 10 {
            0..=6 => {
                let len = rng.usize(5..=32);
                let username: String = std::iter::once(rng.lowercase())
                    .chain((1..len).map(|_| rng.alphanumeric()))
                    .collect();
                let peer = Peer {
                    kind: if i % 50 == 0 {
                        PeerKind::Bot
                    } else {
                        PeerKind::User
                    },
                    access_hash: Some(rng.i64(..)),
                    username: Some(username.into()),
                    phone: None,
                    min: false,
                };
                (PeerId::User(bare), peer)
            }
            7 | 8 => {
                let peer = Peer {
                    kind: if i % 20 == 7 {
                        PeerKind::Broadcast
                    } else {
                        PeerKind::Megagroup
                    },
                    access_hash: Some(rng.i64(..)),
                    username: None,
                    phone: None,
                    min: false,
                };
                (PeerId::Channel(bare), peer)
            }
            _ => (
                PeerId::Chat(bare),
                Peer {
                    kind: PeerKind::Chat,
                    ..Peer::default()
                },
            ),
        };
        cache.push((id, peer));
    }
    // Collecting sorts once and fills the peer map's chunks in order.
    session.peers = cache.into_iter().collect();
    if let Some(state) = session.update_state.as_mut() {
        for c in 0..100 {
            state
                .channels
                .insert(1_000_000 + c * 70 + 7, rng.i32(1..1_000_000));
        }
    }
    session
}

/// A session with every field of the model set, including a temporary key, IPv6, all DC flags, a device and
/// peers of every kind.
pub fn full() -> Session {
    let mut session = auth_only();
    session.test_mode = true;
    session.api_id = Some(12345);
    session.takeout_id = Some(-77);
    session.created_at = Some(1_700_000_000);
    session.updated_at = Some(1_700_000_600);
    let mut media = DcEntry::new(2);
    media.ipv6 = Some(SocketAddrV6::new(
        Ipv6Addr::new(0x2001, 0x67c, 0x4e8, 0xf002, 0, 0, 0, 0xa),
        443,
        0,
        0,
    ));
    media.ipv4 = Some(SocketAddrV4::new([149, 154, 167, 151].into(), 443));
    media.flags = DcFlags {
        media_only: true,
        cdn: true,
        tcpo_only: true,
        is_static: true,
        this_port_only: true,
    };
    media.auth_key = Some(sample_key());
    media.temp_auth_key = Some(TempAuthKey {
        key: AuthKey::new([0x5a; 256]),
        expires_at: 1_700_086_400,
    });
    media.server_salt = -1;
    media.time_offset = 3;
    session.dcs.push(media);
    if let Some(user) = session.user.as_mut() {
        user.bot = true;
    }
    if let Some(state) = session.update_state.as_mut() {
        state.channels.insert(1_234_567_890, 555);
    }
    session.device = Some(DeviceInfo {
        device_model: "Desktop".into(),
        system_version: "Linux 6.1".into(),
        app_version: "1.0.0".into(),
        system_lang_code: "en-US".into(),
        lang_pack: "tdesktop".into(),
        lang_code: "en".into(),
    });
    let kinds = [
        (PeerId::User(123_456_789), PeerKind::User),
        (PeerId::User(987_654_321), PeerKind::Bot),
        (PeerId::Chat(4242), PeerKind::Chat),
        (PeerId::Channel(1_234_567_890), PeerKind::Broadcast),
        (PeerId::Channel(1_234_567_891), PeerKind::Megagroup),
        (PeerId::Channel(1_234_567_892), PeerKind::Gigagroup),
        (PeerId::Channel(1_234_567_893), PeerKind::Channel),
    ];
    for (n, (id, kind)) in kinds.into_iter().enumerate() {
        let n = n as i64;
        session.peers.insert(
            id,
            Peer {
                kind,
                access_hash: (kind != PeerKind::Chat).then_some(-1_111_111_111_111_111_111 + n),
                username: Some(format!("peer_{n}").into()),
                phone: (kind == PeerKind::User).then(|| "15550001111".into()),
                min: n % 2 == 1,
            },
        );
    }
    session
}

/// [`auth_only`] plus what a client keeps about logins: min contexts (one with the smallest user id, one in a
/// channel) and a logout token.
pub fn login_state() -> Session {
    let mut session = auth_only();
    session.min_contexts.insert(
        i64::MIN,
        MinContext {
            chat_id: -1,
            msg_id: 1,
        },
    );
    session.min_contexts.insert(
        777_000,
        MinContext {
            chat_id: 1_234_567_890,
            msg_id: i32::MAX,
        },
    );
    session.logout_token = LogoutToken::new(b"logout-token-0123456789".to_vec());
    session
}
