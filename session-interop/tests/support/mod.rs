//! What the format tests share: the vectors' account (`vectors/README.md`), a session with every field set,
//! the checks every session a reader returns must pass, and byte mutations for the property tests.
// Each test crate that includes this module uses a different part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use proptest::prelude::*;
use session_core::{
    AuthKey, DcEntry, DcFlags, DeviceInfo, LogoutToken, MinContext, Peer, PeerId, PeerKind,
    Session, TempAuthKey, UpdateState, User,
};
use session_interop::{read, write, Dropped, Format, InteropError, WriteOptions};

// ------------------------------------------------------------------ the vectors' account

/// The vectors' auth key: the bytes 00 01 02 .. ff.
pub(crate) fn vector_key() -> AuthKey {
    AuthKey::new(std::array::from_fn(|i| i as u8))
}

/// DC 2 at 149.154.167.51:443 with the vectors' key, the one DC every vector holds.
pub(crate) fn vector_dc() -> DcEntry {
    let mut dc = dc_at(2, "149.154.167.51:443".parse().unwrap());
    dc.auth_key = Some(vector_key());
    dc
}

/// The session every string vector holds: [`vector_dc`] as the home DC.
pub(crate) fn vector_session() -> Session {
    let mut session = Session::new();
    session.home_dc = Some(2);
    session.dcs.push(vector_dc());
    session
}

/// The vectors' logged-in user: 123456789, not a bot.
pub(crate) fn vector_user() -> User {
    User {
        id: 123_456_789,
        bot: false,
        username: None,
        dc: None,
    }
}

/// The vectors' update state, with channel 1234567890 at pts 555.
pub(crate) fn vector_update_state() -> UpdateState {
    UpdateState {
        pts: 100,
        qts: 7,
        date: 1_700_000_000,
        seq: 42,
        channels: BTreeMap::from([(1_234_567_890, 555)]),
    }
}

/// A peer from its fields (not min).
pub(crate) fn peer(
    kind: PeerKind,
    access_hash: Option<i64>,
    username: Option<&str>,
    phone: Option<&str>,
) -> Peer {
    Peer {
        kind,
        access_hash,
        username: username.map(Into::into),
        phone: phone.map(Into::into),
        min: false,
    }
}

/// The vectors' peers: user alice, bot bob, basic group 4242 and broadcast channel 1234567890.
pub(crate) fn vector_peers() -> Vec<(PeerId, Peer)> {
    vector_peers_as(PeerKind::Bot, PeerKind::Broadcast)
}

/// The vectors' peers with the kinds given to the bot and the channel (formats that cannot tell a bot from a
/// user or a broadcast channel from other channels read them as `User` and `Channel`).
pub(crate) fn vector_peers_as(bot: PeerKind, channel: PeerKind) -> Vec<(PeerId, Peer)> {
    vec![
        (
            PeerId::User(123_456_789),
            peer(
                PeerKind::User,
                Some(-1_111_111_111_111_111_111),
                Some("alice_test"),
                Some("15550001111"),
            ),
        ),
        (
            PeerId::User(987_654_321),
            peer(bot, Some(2_222_222_222_222_222_222), Some("bob_bot"), None),
        ),
        (PeerId::Chat(4242), peer(PeerKind::Chat, None, None, None)),
        (
            PeerId::Channel(1_234_567_890),
            peer(
                channel,
                Some(-3_333_333_333_333_333_333),
                Some("mychannel"),
                None,
            ),
        ),
    ]
}

/// `session` with what ferogram's extras vectors add to the account (`vectors/README.md`): bob seen in
/// message 77 of the channel, and the fake token 0x5a × 16.
pub(crate) fn with_ferogram_extras(mut session: Session) -> Session {
    session.min_contexts.insert(
        987_654_321,
        MinContext {
            chat_id: 1_234_567_890,
            msg_id: 77,
        },
    );
    session.logout_token = LogoutToken::new(vec![0x5a; 16]);
    session
}

/// A logout token no output may show: [`full_session`]'s.
pub(crate) const SECRET_TOKEN: &[u8] = b"SECRET-LOGOUT-TOKEN-0123456789";

/// A session with every field set: the vector DC (with IPv6, salt, clock offset, a temporary key and flags),
/// a second DC with its own key and salt, a bot user with a username and a DC, update state, the vectors'
/// peers, two min contexts, the logout token [`SECRET_TOKEN`], api id, takeout id, device info and times.
/// Test mode is off (Pyrogram's DC table depends on it).
pub(crate) fn full_session() -> Session {
    let mut home = vector_dc();
    home.ipv6 = Some("[2001:67c:4e8:f002::a]:443".parse().unwrap());
    home.server_salt = 77;
    home.time_offset = -3;
    home.temp_auth_key = Some(TempAuthKey {
        key: AuthKey::new([9; 256]),
        expires_at: 1_700_086_400,
    });
    home.flags = DcFlags {
        is_static: true,
        ..DcFlags::default()
    };
    let mut other = dc_at(4, "149.154.167.91:443".parse().unwrap());
    other.auth_key = Some(AuthKey::new([4; 256]));
    other.server_salt = 5;
    let mut session = Session::new();
    session.home_dc = Some(2);
    session.dcs = vec![home, other];
    session.user = Some(User {
        bot: true,
        username: Some("alice_test".into()),
        dc: Some(4),
        ..vector_user()
    });
    session.update_state = Some(vector_update_state());
    session.peers = vector_peers().into_iter().collect();
    session.min_contexts = BTreeMap::from([
        (
            555_000_111,
            MinContext {
                chat_id: 1_234_567_890,
                msg_id: 77,
            },
        ),
        (
            555_000_222,
            MinContext {
                chat_id: 4242,
                msg_id: 3,
            },
        ),
    ]);
    session.logout_token = LogoutToken::new(SECRET_TOKEN.to_vec());
    session.api_id = Some(12345);
    session.takeout_id = Some(99);
    session.device = Some(DeviceInfo::default());
    session.created_at = Some(1_600_000_000);
    session.updated_at = Some(1_700_000_000);
    session
}

/// A DC entry of `id` with `addr` as its IPv4 or IPv6 address.
pub(crate) fn dc_at(id: i32, addr: SocketAddr) -> DcEntry {
    let mut dc = DcEntry::new(id);
    match addr {
        SocketAddr::V4(v4) => dc.ipv4 = Some(v4),
        SocketAddr::V6(v6) => dc.ipv6 = Some(v6),
    }
    dc
}

/// Sessions of one DC as the string formats hold them: an id of 1 to 255, an IPv4 address (first octet 1 to
/// 223, so a usable one) or an IPv6 address whose first segment is in `v6_first`, a port in `ports`, and a
/// key of any bytes.
pub(crate) fn any_string_session(
    v6_first: std::ops::RangeInclusive<u16>,
    ports: std::ops::RangeInclusive<u16>,
) -> impl Strategy<Value = Session> {
    let v4 =
        (1u8..=223, any::<[u8; 3]>()).prop_map(|(first, [b, c, d])| IpAddr::from([first, b, c, d]));
    let v6 = (v6_first, any::<[u16; 7]>())
        .prop_map(|(first, [b, c, d, e, f, g, h])| IpAddr::from([first, b, c, d, e, f, g, h]));
    (
        1i32..=255,
        prop_oneof![v4, v6],
        ports,
        proptest::collection::vec(any::<u8>(), AuthKey::LEN),
    )
        .prop_map(|(id, ip, port, key)| {
            let mut dc = dc_at(id, SocketAddr::new(ip, port));
            dc.auth_key = AuthKey::from_slice(&key);
            let mut session = Session::new();
            session.home_dc = Some(id);
            session.dcs.push(dc);
            session
        })
}

// ------------------------------------------------------------------ what readers and writers report

/// Whether some entry of `dropped` mentions `text` in what was dropped.
pub(crate) fn mentions(dropped: &[Dropped], text: &str) -> bool {
    dropped.iter().any(|entry| entry.what.contains(text))
}

/// Asserts that some entry of `dropped` mentions each of `texts`.
pub(crate) fn assert_mentions(dropped: &[Dropped], texts: &[&str]) {
    for text in texts {
        assert!(
            mentions(dropped, text),
            "nothing about {text:?} in {dropped:#?}"
        );
    }
}

/// What every writer of another library's format reports dropped from [`full_session`]: the home DC's
/// temporary key, salt, clock offset and flags are kept by none of the string formats and Telethon's and
/// Pyrogram's files, nor are device info and times by any.
pub(crate) const DROPPED_BY_ALL: [&str; 7] = [
    "temporary auth key of DC 2",
    "server salt of DC 2",
    "clock offset of DC 2",
    "flags of DC 2",
    "device info",
    "creation time",
    "update time",
];

/// Writes [`full_session`] in test mode as the string format `format`, which keeps the home DC's address and
/// key alone: the string must be `vector` (which holds the same address and key), and everything else must be
/// reported dropped.
pub(crate) fn assert_only_the_home_dc_is_kept(format: Format, vector: &[u8]) {
    let mut session = full_session();
    session.test_mode = true;
    let exported = write(format, &session, &WriteOptions::default()).unwrap();
    assert_eq!(&exported.bytes[..], vector);
    assert_mentions(&exported.dropped, &DROPPED_BY_ALL);
    assert_mentions(
        &exported.dropped,
        &[
            "auth key of DC 4",
            "address of DC 4",
            "IPv6 address of DC 2",
            "logged-in user",
            "logged-in user's DC (4)",
            "update state",
            "update state of 1 channels",
            "4 cached peers",
            "2 min-peer contexts",
            "logout token",
            "api id",
            "test-mode flag",
            "takeout id",
        ],
    );
}

/// Asserts `result` is [`InteropError::Malformed`] for `format` with a reason containing `reason`.
pub(crate) fn assert_malformed<T: std::fmt::Debug>(
    result: Result<T, InteropError>,
    format: Format,
    reason: &str,
) {
    match result {
        Err(InteropError::Malformed {
            format: got,
            reason: text,
        }) => {
            assert_eq!(got, format);
            assert!(text.contains(reason), "`{reason}` not in `{text}`");
        }
        other => panic!("expected Malformed ({reason}), got {other:?}"),
    }
}

/// Asserts that `err` is of a kind readers give for bad input, and that its message quotes no base64 of
/// the vectors' key.
pub(crate) fn assert_input_error(err: &InteropError) {
    assert!(
        matches!(
            err,
            InteropError::Malformed { .. } | InteropError::Unsupported { .. }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    for leak in ["AAECAwQF", "AAECAwQFBgcI"] {
        assert!(!text.contains(leak), "{text}");
    }
}

// ------------------------------------------------------------------ what every reader promises

/// Whether a client could connect to `ip`, as every reader checks: loopback and private addresses are fine;
/// the unspecified address, `0.0.0.0/8`, broadcast and multicast are not.
pub(crate) fn usable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets()[0] != 0 && !v4.is_broadcast() && !v4.is_multicast(),
        IpAddr::V6(v6) => !v6.is_unspecified() && !v6.is_multicast(),
    }
}

/// The checks every reader promises about a session it returns, home DC or not: plausible DC ids; addresses
/// a client can connect to, with a port that is not 0; keys that are not all zeros; peers stored under marked
/// ids of their own class, phone numbers of digits; positive user ids, api ids and channel ids; min contexts of
/// positive user and message ids in a chat whose id is not 0.
pub(crate) fn assert_valid(session: &Session) {
    assert!(session
        .home_dc
        .is_none_or(|home| (1..=10_100).contains(&home)));
    for dc in &session.dcs {
        assert!((1..=10_100).contains(&dc.id), "DC id {}", dc.id);
        for addr in [dc.ipv4.map(SocketAddr::V4), dc.ipv6.map(SocketAddr::V6)]
            .into_iter()
            .flatten()
        {
            assert!(addr.port() != 0 && usable(addr.ip()), "{addr}");
        }
        assert!(dc
            .auth_key
            .as_ref()
            .is_none_or(|key| key.as_bytes().iter().any(|&b| b != 0)));
    }
    for (id, peer) in session.peers.iter() {
        assert_eq!(peer.kind.class(), id.class(), "{id:?}");
        assert!(id.marked().is_some(), "{id:?}");
        assert!(peer.phone.as_deref().is_none_or(|phone| {
            !phone.is_empty() && phone.bytes().all(|b| b.is_ascii_digit())
        }));
    }
    assert!(session.user.as_ref().is_none_or(|user| user.id > 0));
    assert!(session.api_id.is_none_or(|id| id > 0));
    if let Some(state) = &session.update_state {
        assert!(state.channels.keys().all(|&id| id > 0));
    }
    for (&user, context) in &session.min_contexts {
        assert!(user > 0 && context.msg_id > 0, "{user}: {context:?}");
    }
}

/// [`assert_valid`], a home DC with an entry, and an address in every entry: what the readers of the formats
/// that keep the DC a client is on (Telethon, Pyrogram, GramJS, gotd) always give.
pub(crate) fn assert_plausible(session: &Session) {
    assert_valid(session);
    let home = session.home_dc.expect("a home DC");
    assert!(
        session.dcs.iter().any(|dc| dc.id == home),
        "no entry for DC {home}"
    );
    for dc in &session.dcs {
        assert!(
            dc.ipv4.is_some() || dc.ipv6.is_some(),
            "DC {} has no address",
            dc.id
        );
    }
}

/// What a string reader returns for `bytes`, when it accepts them, must pass [`assert_plausible`] and write
/// back to a string that reads the same (or, for a session without a key, to Telethon's empty string).
pub(crate) fn check_string_accepted(format: Format, bytes: &[u8]) {
    if let Ok(imported) = read(format, bytes) {
        assert_plausible(&imported.session);
        let written = write(format, &imported.session, &WriteOptions::default()).unwrap();
        if written.bytes.is_empty() {
            assert_eq!(imported.session.home_auth_key(), None);
        } else {
            assert_eq!(
                read(format, &written.bytes).unwrap().session,
                imported.session
            );
        }
    }
}

/// Writes `session` as the string format `format`, which must hold all of it: nothing is dropped, the string
/// reads back as `session`, and the string cut short is never read as garbage. Returns the string.
pub(crate) fn assert_string_round_trip(format: Format, session: &Session) -> Vec<u8> {
    let exported = write(format, session, &WriteOptions::default()).unwrap();
    assert!(exported.dropped.is_empty(), "{:?}", exported.dropped);
    assert_eq!(read(format, &exported.bytes).unwrap().session, *session);
    check_string_accepted(format, &exported.bytes[..exported.bytes.len() - 5]);
    exported.bytes.to_vec()
}

/// Every prefix and every suffix of `vector` (a string session) is rejected.
pub(crate) fn assert_every_truncation_is_rejected(format: Format, vector: &[u8]) {
    for end in 0..vector.len() {
        assert!(read(format, &vector[..end]).is_err(), "{end}");
        assert!(read(format, &vector[end + 1..]).is_err(), "{end}");
    }
}

// ------------------------------------------------------------------ mutations

/// `bytes` with each `(offset, byte)` edit applied (offsets wrap around the length).
pub(crate) fn mutate(bytes: &[u8], edits: &[(usize, u8)]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if out.is_empty() {
        return out;
    }
    let len = out.len();
    for &(offset, byte) in edits {
        out[offset % len] = byte;
    }
    out
}

/// Edits for [`mutate`] of a string session of `len` characters: up to three bytes set to anything, or one
/// character (never the leading version character) swapped for another of `alphabet`, which keeps the text
/// decodable and so reaches the field checks.
pub(crate) fn string_edits(
    len: usize,
    alphabet: &'static [u8],
) -> impl Strategy<Value = Vec<(usize, u8)>> {
    prop_oneof![
        proptest::collection::vec((0..len, any::<u8>()), 1..4),
        (1..len, proptest::sample::select(alphabet)).prop_map(|edit| vec![edit]),
    ]
}

/// Up to seven edits for [`mutate`].
pub(crate) fn edits() -> impl Strategy<Value = Vec<(usize, u8)>> {
    proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)
}
