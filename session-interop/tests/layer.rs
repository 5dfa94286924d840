//! layer / ferogram sessions: the version-8 file ferogram made, every version 1 to 8 built here from the
//! layout in FORMATS.md, the string form, what is reported as dropped, and malformed input.

mod support;

use std::collections::BTreeMap;

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use proptest::prelude::*;
use session_core::{
    AuthKey, DcEntry, DcFlags, LogoutToken, MinContext, Peer, PeerId, PeerKind, UpdateState,
};
use session_interop::{read, read_any, write, Format, InteropError, Session, WriteOptions};
use support::{assert_valid, with_ferogram_extras};

const VECTOR: &[u8] = include_bytes!("vectors/ferogram-session_0.6.6_v8.bin");
/// The same account with a min peer, a community flag and a future auth token (ferogram made it too).
const EXTRAS: &[u8] = include_bytes!("vectors/ferogram-session_0.6.6_v8_extras.bin");

/// A layer file's content, written by [`LayerFile::encode`] in any version.
#[derive(Clone)]
struct LayerFile {
    home: i32,
    dcs: Vec<Dc>,
    state: [i32; 4],
    channels: Vec<(i64, i32)>,
    peers: Vec<PeerRecord>,
    min_peers: Vec<(i64, i64, i32)>,
    token: Option<Vec<u8>>,
}

#[derive(Clone)]
struct Dc {
    id: i32,
    key: Option<[u8; 256]>,
    salt: i64,
    offset: i32,
    addr: String,
    /// ipv6 1, media 2, tcpo 4, cdn 8, static 16 (written from version 3 on).
    flags: u8,
}

#[derive(Clone)]
struct PeerRecord {
    id: i64,
    hash: i64,
    /// 0 user, 1 channel, 2 chat.
    kind: u8,
    /// 0xFF none (written from version 6 on).
    channel_kind: u8,
    /// Written in version 8.
    community: u8,
}

impl LayerFile {
    /// The file in `version`: version 1 has no version byte; flags from 3, min peers from 4, channel kinds
    /// from 6, the token from 7, the community flag in 8.
    fn encode(&self, version: u8) -> Vec<u8> {
        let mut out = Vec::new();
        if version >= 2 {
            out.push(version);
        }
        out.extend_from_slice(&self.home.to_le_bytes());
        out.push(self.dcs.len() as u8);
        for dc in &self.dcs {
            out.extend_from_slice(&dc.id.to_le_bytes());
            match &dc.key {
                Some(key) => {
                    out.push(1);
                    out.extend_from_slice(key);
                }
                None => out.push(0),
            }
            out.extend_from_slice(&dc.salt.to_le_bytes());
            out.extend_from_slice(&dc.offset.to_le_bytes());
            out.push(dc.addr.len() as u8);
            out.extend_from_slice(dc.addr.as_bytes());
            if version >= 3 {
                out.push(dc.flags);
            }
        }
        for value in self.state {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&(self.channels.len() as u16).to_le_bytes());
        for (id, pts) in &self.channels {
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&pts.to_le_bytes());
        }
        out.extend_from_slice(&(self.peers.len() as u16).to_le_bytes());
        for peer in &self.peers {
            out.extend_from_slice(&peer.id.to_le_bytes());
            out.extend_from_slice(&peer.hash.to_le_bytes());
            out.push(peer.kind);
            if version >= 6 {
                out.push(peer.channel_kind);
            }
            if version >= 8 {
                out.push(peer.community);
            }
        }
        if version >= 4 {
            out.extend_from_slice(&(self.min_peers.len() as u16).to_le_bytes());
            for (user, peer, msg) in &self.min_peers {
                out.extend_from_slice(&user.to_le_bytes());
                out.extend_from_slice(&peer.to_le_bytes());
                out.extend_from_slice(&msg.to_le_bytes());
            }
        }
        if version >= 7 {
            match &self.token {
                Some(token) => {
                    out.push(1);
                    out.extend_from_slice(&(token.len() as u16).to_le_bytes());
                    out.extend_from_slice(token);
                }
                None => out.push(0),
            }
        }
        out
    }
}

fn key_bytes() -> [u8; 256] {
    std::array::from_fn(|i| i as u8)
}

fn peer_record(id: i64, hash: i64, kind: u8, channel_kind: u8) -> PeerRecord {
    PeerRecord {
        id,
        hash,
        kind,
        channel_kind,
        community: 0,
    }
}

/// What ferogram wrote into the vector: DC 2 twice (IPv4 with the key, first salt 0x0102030405060708 and
/// offset -3; IPv6 without), the update state, and three peers (ferogram left out the bot).
fn vector_file() -> LayerFile {
    LayerFile {
        home: 2,
        dcs: vec![
            Dc {
                id: 2,
                key: Some(key_bytes()),
                salt: 0x0102_0304_0506_0708,
                offset: -3,
                addr: "149.154.167.51:443".into(),
                flags: 0,
            },
            Dc {
                id: 2,
                key: None,
                salt: 0,
                offset: 0,
                addr: "[2001:67c:4e8:f002::a]:443".into(),
                flags: 1,
            },
        ],
        state: [100, 7, 1_700_000_000, 42],
        channels: vec![(1_234_567_890, 555)],
        peers: vec![
            peer_record(123_456_789, -1_111_111_111_111_111_111, 0, 0xFF),
            peer_record(1_234_567_890, -3_333_333_333_333_333_333, 1, 0),
            peer_record(4242, 0, 2, 0xFF),
        ],
        min_peers: Vec::new(),
        token: None,
    }
}

fn peer(kind: PeerKind, access_hash: Option<i64>) -> Peer {
    Peer {
        kind,
        access_hash,
        ..Peer::default()
    }
}

/// The session every version of [`vector_file`] reads as; before version 6 the channel's kind is unknown.
fn expected(version: u8) -> Session {
    let channel_kind = if version >= 6 {
        PeerKind::Broadcast
    } else {
        PeerKind::Channel
    };
    Session {
        home_dc: Some(2),
        dcs: vec![DcEntry {
            ipv4: Some("149.154.167.51:443".parse().unwrap()),
            ipv6: Some("[2001:67c:4e8:f002::a]:443".parse().unwrap()),
            auth_key: Some(AuthKey::new(key_bytes())),
            server_salt: 0x0102_0304_0506_0708,
            time_offset: -3,
            ..DcEntry::new(2)
        }],
        update_state: Some(UpdateState {
            pts: 100,
            qts: 7,
            date: 1_700_000_000,
            seq: 42,
            channels: BTreeMap::from([(1_234_567_890, 555)]),
        }),
        peers: [
            (
                PeerId::User(123_456_789),
                peer(PeerKind::User, Some(-1_111_111_111_111_111_111)),
            ),
            (
                PeerId::Channel(1_234_567_890),
                peer(channel_kind, Some(-3_333_333_333_333_333_333)),
            ),
            (PeerId::Chat(4242), peer(PeerKind::Chat, None)),
        ]
        .into_iter()
        .collect(),
        ..Session::default()
    }
}

fn read_layer(bytes: &[u8]) -> Result<session_interop::Imported, InteropError> {
    read(Format::Layer, bytes)
}

#[test]
fn the_vector_reads_as_the_fake_account() {
    let imported = read_layer(VECTOR).unwrap();
    assert_eq!(imported.session, expected(8));
    assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);
    assert_eq!(read_any(VECTOR).unwrap().0, Format::Layer);
}

#[test]
fn layer_client_s_own_version_3_file_reads_as_the_fake_account() {
    // Made by layer-client 0.5.0 (its `BinaryFileBackend` writes version 3): DC 2's IPv4 record and the
    // update state; no peers (see vectors/README.md).
    let bytes = include_bytes!("vectors/layer-client_0.5.0.bin");
    assert_eq!(bytes[0], 3);
    let mut file = vector_file();
    file.dcs.truncate(1);
    file.peers.clear();
    assert_eq!(
        file.encode(3),
        bytes,
        "the layout of version 3 is layer-client's"
    );
    let imported = read_layer(bytes).unwrap();
    let mut session = expected(3);
    session.dcs[0].ipv6 = None;
    session.peers.clear();
    assert_eq!(imported.session, session);
    assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);
}

#[test]
fn the_test_writer_writes_the_vector_byte_for_byte() {
    // The layout the tests build every other version from matches what ferogram wrote.
    assert_eq!(vector_file().encode(8), VECTOR);
}

#[test]
fn every_version_reads_and_is_detected() {
    for version in 1..=8 {
        let bytes = vector_file().encode(version);
        let imported = read_layer(&bytes).unwrap_or_else(|err| panic!("v{version}: {err}"));
        assert_eq!(imported.session, expected(version), "v{version}");
        assert!(imported.dropped.is_empty(), "v{version}");
        assert_eq!(read_any(&bytes).unwrap().0, Format::Layer, "v{version}");
    }
}

#[test]
fn a_version_1_file_whose_first_byte_looks_like_a_version_is_version_1() {
    for home in 1..=8 {
        let file = LayerFile {
            home,
            ..vector_file()
        };
        let bytes = file.encode(1);
        assert_eq!(bytes[0], home as u8);
        let session = read_layer(&bytes).unwrap().session;
        assert_eq!(session.home_dc, Some(home), "home DC {home}");
        assert_eq!(session.peers, expected(1).peers);

        // With no DCs at all, too.
        let empty = LayerFile {
            home,
            dcs: Vec::new(),
            ..vector_file()
        };
        assert!(read_layer(&empty.encode(1)).unwrap().session.dcs.is_empty());
    }
}

#[test]
fn unknown_versions_are_unsupported() {
    for version in [0, 9, 200, 255] {
        let mut bytes = vector_file().encode(8);
        bytes[0] = version;
        match read_layer(&bytes) {
            Err(err @ InteropError::Unsupported { .. }) => {
                assert!(
                    err.to_string().contains(&format!("version {version}")),
                    "{err}"
                )
            }
            other => panic!("version {version}: {other:?}"),
        }
    }
}

#[test]
fn min_peers_and_the_token_are_kept_and_community_flags_and_conflicts_reported() {
    let mut file = vector_file();
    file.min_peers = vec![(5, -100, 1), (6, -1_000_000_000_001, 2)];
    file.token = Some(vec![0xAA; 40]);
    file.peers[1].community = 1;
    // A second IPv4 record for DC 2 with another address: one entry cannot hold both.
    file.dcs.push(Dc {
        addr: "1.2.3.4:443".into(),
        ..file.dcs[1].clone()
    });
    file.dcs[2].flags = 0;
    let imported = read_layer(&file.encode(8)).unwrap();
    let dropped: Vec<&str> = imported.dropped.iter().map(|d| d.what.as_str()).collect();
    assert_eq!(
        dropped,
        [
            "1 values of repeated DC records",
            "community flag of 1 peers"
        ]
    );
    let mut session = expected(8);
    session.min_contexts = BTreeMap::from([
        (
            5,
            MinContext {
                chat_id: -100,
                msg_id: 1,
            },
        ),
        (
            6,
            MinContext {
                chat_id: -1_000_000_000_001,
                msg_id: 2,
            },
        ),
    ]);
    session.logout_token = LogoutToken::new(vec![0xAA; 40]);
    assert_eq!(imported.session, session);
    assert!(!format!("{:?}", imported.dropped).contains("170"));
    assert!(!format!("{imported:?}").to_lowercase().contains("aaaa"));
}

#[test]
fn ferogram_s_min_peers_and_future_auth_token_are_read_into_the_session() {
    let mut file = vector_file();
    file.min_peers = vec![(987_654_321, 1_234_567_890, 77)];
    file.token = Some(vec![0x5a; 16]);
    file.peers[1].community = 1;
    assert_eq!(
        file.encode(8),
        EXTRAS,
        "the layout of the extras is ferogram's"
    );
    let text = URL_SAFE_NO_PAD.encode(EXTRAS);
    for (format, bytes) in [
        (Format::Layer, EXTRAS.to_vec()),
        (Format::LayerString, text.into_bytes()),
    ] {
        let imported = read(format, &bytes).unwrap();
        assert_eq!(
            imported.session,
            with_ferogram_extras(expected(8)),
            "{format}"
        );
        let dropped: Vec<&str> = imported.dropped.iter().map(|d| d.what.as_str()).collect();
        assert_eq!(dropped, ["community flag of 1 peers"], "{format}");
        assert_eq!(read_any(&bytes).unwrap().0, format);
        let shown = format!("{imported:?}").to_lowercase();
        assert!(
            !shown.contains("5a5a") && !shown.contains("zzzz"),
            "{shown}"
        );
    }
}

#[test]
fn a_user_listed_twice_keeps_its_first_min_peer_and_the_other_is_reported() {
    let mut file = vector_file();
    // User 4 was seen in the account's own chat: ferogram records `inputPeerSelf` as peer id 0.
    file.min_peers = vec![(5, 10, 1), (4, 0, 2), (5, 12, 3)];
    let imported = read_layer(&file.encode(8)).unwrap();
    let contexts: Vec<(i64, i64, i32)> = imported
        .session
        .min_contexts
        .iter()
        .map(|(&user, context)| (user, context.chat_id, context.msg_id))
        .collect();
    assert_eq!(contexts, [(4, 0, 2), (5, 10, 1)]);
    let dropped: Vec<&str> = imported.dropped.iter().map(|d| d.what.as_str()).collect();
    assert_eq!(dropped, ["1 repeated min-peer references"]);
}

#[test]
fn an_empty_token_is_none_and_one_too_long_is_reported_by_its_length_only() {
    let mut file = vector_file();
    file.token = Some(Vec::new());
    let imported = read_layer(&file.encode(7)).unwrap();
    assert_eq!(imported.session.logout_token, None);
    assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);

    file.token = Some(vec![0xC3; LogoutToken::MAX_LEN]);
    let imported = read_layer(&file.encode(7)).unwrap();
    assert_eq!(
        imported.session.logout_token,
        LogoutToken::new(vec![0xC3; LogoutToken::MAX_LEN])
    );

    file.token = Some(vec![0xC3; LogoutToken::MAX_LEN + 1]);
    let imported = read_layer(&file.encode(8)).unwrap();
    assert_eq!(imported.session.logout_token, None);
    assert_eq!(imported.session, expected(8));
    assert_eq!(imported.dropped.len(), 1);
    assert_eq!(imported.dropped[0].what, "future auth token of 1025 bytes");
    let shown = imported.dropped[0].to_string().to_lowercase();
    assert!(shown.contains("1024"), "{shown}");
    assert!(!shown.contains("c3") && !shown.contains("195"), "{shown}");
}

#[test]
fn endpoints_with_other_flags_stay_their_own_entries() {
    let mut file = vector_file();
    file.dcs.push(Dc {
        id: 2,
        key: None,
        salt: 0,
        offset: 0,
        addr: "149.154.167.222:443".into(),
        flags: 2 | 4 | 8 | 16,
    });
    let session = read_layer(&file.encode(3)).unwrap().session;
    assert_eq!(session.dcs.len(), 2);
    assert_eq!(session.dcs[0], expected(3).dcs[0]);
    assert_eq!(
        session.dcs[1].flags,
        DcFlags {
            media_only: true,
            tcpo_only: true,
            cdn: true,
            is_static: true,
            this_port_only: false,
        }
    );
    assert_eq!(
        session.dcs[1].ipv4,
        Some("149.154.167.222:443".parse().unwrap())
    );
}

#[test]
fn channel_kinds_and_an_empty_state() {
    let mut file = vector_file();
    file.state = [0; 4];
    file.channels.clear();
    file.peers = vec![
        peer_record(1, 10, 1, 0),
        peer_record(2, 20, 1, 1),
        peer_record(3, 30, 1, 2),
        peer_record(4, 40, 1, 0xFF),
    ];
    let session = read_layer(&file.encode(6)).unwrap().session;
    assert_eq!(session.update_state, None, "an all-zero state is no state");
    let kinds: Vec<PeerKind> = session.peers.values().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            PeerKind::Broadcast,
            PeerKind::Megagroup,
            PeerKind::Gigagroup,
            PeerKind::Channel
        ]
    );
}

#[test]
fn the_string_form_reads_the_same_and_only_unpadded_url_safe_base64() {
    let text = URL_SAFE_NO_PAD.encode(VECTOR);
    let imported = read(Format::LayerString, format!("{text}\n").as_bytes()).unwrap();
    assert_eq!(imported.session, expected(8));
    assert_eq!(read_any(text.as_bytes()).unwrap().0, Format::LayerString);
    let v1 = URL_SAFE_NO_PAD.encode(vector_file().encode(1));
    assert_eq!(
        read(Format::LayerString, v1.as_bytes()).unwrap().session,
        expected(1)
    );

    let padded = URL_SAFE.encode(VECTOR);
    assert!(padded.ends_with('='));
    for bad in [
        padded,
        text.replace('-', "+"),
        text[..text.len() - 1].to_owned(),
    ] {
        match read(Format::LayerString, bad.as_bytes()) {
            Err(InteropError::Malformed { format, .. }) => assert_eq!(format, Format::LayerString),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn layer_formats_are_read_only() {
    for format in [Format::Layer, Format::LayerString] {
        assert!(matches!(
            write(format, &expected(8), &WriteOptions::default()),
            Err(InteropError::ReadOnly(_))
        ));
    }
}

#[test]
fn malformed_files_are_refused() {
    let with = |change: &dyn Fn(&mut LayerFile)| {
        let mut file = vector_file();
        change(&mut file);
        file.encode(8)
    };
    let mut trailing = VECTOR.to_vec();
    trailing.push(0);
    let mut has_key_2 = VECTOR.to_vec();
    has_key_2[10] = 2;
    let mut bad_token_flag = VECTOR.to_vec();
    *bad_token_flag.last_mut().unwrap() = 2;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("trailing byte", trailing),
        ("key flag 2", has_key_2),
        ("token flag 2", bad_token_flag),
        ("home DC 0 (read as version 1)", with(&|f| f.home = 0)),
        ("DC id 0", with(&|f| f.dcs[1].id = 0)),
        ("DC id 20000", with(&|f| f.dcs[1].id = 20_000)),
        (
            "an address without a port",
            with(&|f| f.dcs[0].addr = "1.2.3.4".into()),
        ),
        ("port 0", with(&|f| f.dcs[0].addr = "1.2.3.4:0".into())),
        (
            "an address in 0.0.0.0/8",
            with(&|f| f.dcs[0].addr = "0.1.2.3:443".into()),
        ),
        (
            "the broadcast address",
            with(&|f| f.dcs[0].addr = "255.255.255.255:443".into()),
        ),
        (
            "a multicast IPv6 address",
            with(&|f| f.dcs[1].addr = "[ff02::1]:443".into()),
        ),
        ("empty address", with(&|f| f.dcs[0].addr.clear())),
        ("not UTF-8", {
            let mut bytes = VECTOR.to_vec();
            bytes[0x118] = 0xff;
            bytes
        }),
        ("IPv6 flag on IPv4", with(&|f| f.dcs[0].flags = 1)),
        ("no IPv6 flag on IPv6", with(&|f| f.dcs[1].flags = 0)),
        ("unknown DC flag", with(&|f| f.dcs[0].flags = 32)),
        ("channel id 0", with(&|f| f.channels[0].0 = 0)),
        (
            "the same channel twice",
            with(&|f| f.channels.push((1_234_567_890, 1))),
        ),
        ("peer type 3", with(&|f| f.peers[0].kind = 3)),
        ("peer id 0", with(&|f| f.peers[0].id = 0)),
        ("negative peer id", with(&|f| f.peers[0].id = -5)),
        (
            "basic group id too large",
            with(&|f| f.peers[2].id = 1_000_000_000_000),
        ),
        ("basic group with a hash", with(&|f| f.peers[2].hash = 5)),
        (
            "user with a channel kind",
            with(&|f| f.peers[0].channel_kind = 0),
        ),
        (
            "unknown channel kind",
            with(&|f| f.peers[1].channel_kind = 3),
        ),
        ("community flag 2", with(&|f| f.peers[1].community = 2)),
        (
            "the same peer twice",
            with(&|f| f.peers.push(f.peers[0].clone())),
        ),
        (
            "min peer with user 0",
            with(&|f| f.min_peers.push((0, 1, 1))),
        ),
        (
            "min peer with message 0",
            with(&|f| f.min_peers.push((1, 1, 0))),
        ),
    ];
    for (name, bytes) in cases {
        match read_layer(&bytes) {
            Err(InteropError::Malformed { format, reason }) => {
                assert_eq!(format, Format::Layer, "{name}");
                assert!(!reason.contains("149.154"), "{name}: {reason}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    for len in 0..VECTOR.len() {
        assert!(read_layer(&VECTOR[..len]).is_err(), "truncated to {len}");
    }
}

#[test]
fn counts_larger_than_the_input_fail_before_reading() {
    for (at, count) in [
        (5, 0xFF_u16),
        (0x168, 0xFFFF),
        (0x176, 0xFFFF),
        (0x1b1, 0xFFFF),
    ] {
        let mut bytes = VECTOR.to_vec();
        if at == 5 {
            bytes[5] = count as u8;
        } else {
            bytes[at..at + 2].copy_from_slice(&count.to_le_bytes());
        }
        let err = read_layer(&bytes).unwrap_err().to_string();
        assert!(err.contains("cannot fit"), "count at {at:#x}: {err}");
    }
}

/// Reads `bytes` as `format`: whatever reads must pass [`assert_valid`].
fn check(format: Format, bytes: &[u8]) {
    if let Ok(imported) = read(format, bytes) {
        assert_valid(&imported.session);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn truncated_files_are_errors(version in 1..=8u8, cut in any::<prop::sample::Index>()) {
        let bytes = vector_file().encode(version);
        let cut = cut.index(bytes.len());
        prop_assert!(read_layer(&bytes[..cut]).is_err());
        let text = URL_SAFE_NO_PAD.encode(&bytes[..cut]);
        prop_assert!(read(Format::LayerString, text.as_bytes()).is_err());
    }

    #[test]
    fn mutated_files_never_panic(
        version in 1..=8u8,
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1..=255u8), 1..4),
    ) {
        let mut bytes = vector_file().encode(version);
        let len = bytes.len();
        for (at, xor) in flips {
            bytes[at.index(len)] ^= xor;
        }
        check(Format::Layer, &bytes);
        check(Format::LayerString, URL_SAFE_NO_PAD.encode(&bytes).as_bytes());
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check(Format::Layer, &bytes);
    }

    #[test]
    fn random_text_never_panics(text in "[A-Za-z0-9_=+/-]{0,600}") {
        check(Format::LayerString, text.as_bytes());
    }
}
