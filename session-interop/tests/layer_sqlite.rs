//! layer-client 0.5.0 and ferogram-session 0.6.6 SQLite sessions: the real ferogram vector reads as the
//! vectors' account and writes back to the same rows, sessions both libraries can hold round trip, what they
//! cannot hold is reported, the two schemas are told apart, malformed databases are refused with the reason,
//! and truncated or mutated files never make the readers panic or return garbage.

mod support;

use std::collections::BTreeMap;

use proptest::prelude::*;
use rusqlite::{Connection, MAIN_DB};
use session_core::{AuthKey, DcEntry, DcFlags, MinContext, PeerId, PeerKind, Session, UpdateState};
use session_interop::{detect, read, write, Format, InteropError, WriteOptions};
use support::{
    assert_malformed, assert_mentions, assert_valid, full_session, peer, vector_key,
    vector_update_state, with_ferogram_extras, DROPPED_BY_ALL,
};

const VECTOR: &[u8] = include_bytes!("vectors/ferogram-session_0.6.6.sqlite");
/// The same account with a min peer, a community flag and a future auth token (ferogram made it too).
const EXTRAS: &[u8] = include_bytes!("vectors/ferogram-session_0.6.6_extras.sqlite");
const FEROGRAM: Format = Format::FerogramSqlite;
const LAYER: Format = Format::LayerSqlite;

/// The account of the ferogram vector (the same as its binary vector): DC 2 with both addresses, the key,
/// salt and clock offset; the update state; alice, the broadcast channel and the basic group.
fn vector_account() -> Session {
    let mut dc = DcEntry::new(2);
    dc.ipv4 = Some("149.154.167.51:443".parse().unwrap());
    dc.ipv6 = Some("[2001:67c:4e8:f002::a]:443".parse().unwrap());
    dc.auth_key = Some(vector_key());
    dc.server_salt = 0x0102_0304_0506_0708;
    dc.time_offset = -3;
    let mut session = Session::new();
    session.home_dc = Some(2);
    session.dcs.push(dc);
    session.update_state = Some(vector_update_state());
    session.peers = [
        (
            PeerId::User(123_456_789),
            peer(PeerKind::User, Some(-1_111_111_111_111_111_111), None, None),
        ),
        (
            PeerId::Channel(1_234_567_890),
            peer(
                PeerKind::Broadcast,
                Some(-3_333_333_333_333_333_333),
                None,
                None,
            ),
        ),
        (PeerId::Chat(4242), peer(PeerKind::Chat, None, None, None)),
    ]
    .into_iter()
    .collect();
    session
}

/// The account as layer-client can hold it: no basic group, no channel kind.
fn layer_account() -> Session {
    let mut session = vector_account();
    session.peers.remove(&PeerId::Chat(4242));
    if let Some(channel) = session.peers.get_mut(&PeerId::Channel(1_234_567_890)) {
        channel.kind = PeerKind::Channel;
    }
    session
}

fn write_as(format: Format, session: &Session) -> session_interop::Exported {
    write(format, session, &WriteOptions::default())
        .unwrap_or_else(|err| panic!("writing {format}: {err}"))
}

/// `bytes` (in WAL mode, as ferogram leaves its files, or not) opened in memory.
fn open(bytes: &[u8]) -> Connection {
    let mut image = bytes.to_vec();
    // An image in memory has no WAL: read and write it as a rollback-journal file.
    image[18] = 1;
    image[19] = 1;
    let mut db = Connection::open_in_memory().unwrap();
    db.deserialize_read_exact(MAIN_DB, &image[..], image.len(), false)
        .unwrap();
    db
}

/// `bytes` with `sql` applied.
fn edited(bytes: &[u8], sql: &str) -> Vec<u8> {
    let mut db = open(bytes);
    db.execute_batch(sql).unwrap();
    db.serialize(MAIN_DB).unwrap().to_vec()
}

/// The rows of every table of a ferogram file, as text, in key order.
fn rows(bytes: &[u8]) -> Vec<String> {
    let db = open(bytes);
    let mut out = Vec::new();
    for (table, order) in [
        ("meta", "key"),
        ("dcs", "dc_id, flags"),
        ("update_state", "id"),
        ("channel_pts", "channel_id"),
        ("peers", "id"),
        ("min_peers", "user_id"),
    ] {
        let mut statement = db
            .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .unwrap();
        let columns = statement.column_count();
        let mut found = statement.query([]).unwrap();
        while let Some(row) = found.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            out.push(format!("{table}: {}", values.join(", ")));
        }
    }
    out
}

#[test]
fn the_ferogram_vector_reads_as_the_vectors_account() {
    let imported = read(FEROGRAM, VECTOR).unwrap();
    assert_eq!(imported.session, vector_account());
    assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);
    assert_eq!(detect(VECTOR).unwrap(), FEROGRAM);
    // The same account as ferogram's binary file of the same inputs.
    let binary = read(
        Format::Layer,
        include_bytes!("vectors/ferogram-session_0.6.6_v8.bin"),
    )
    .unwrap()
    .session;
    assert_eq!(binary.dcs, imported.session.dcs);
    assert_eq!(binary.update_state, imported.session.update_state);
}

#[test]
fn writing_what_was_read_gives_the_vectors_rows() {
    let session = read(FEROGRAM, VECTOR).unwrap().session;
    let written = write_as(FEROGRAM, &session);
    assert!(written.dropped.is_empty(), "{:?}", written.dropped);
    let (ours, theirs) = (rows(&written.bytes), rows(VECTOR));
    // Every row the same but DC 2's IPv6 one, which gets the entry's key, salt and offset as well (ferogram
    // left them on the IPv4 row alone, the one it had connected through).
    let v6 = |row: &&String| row.starts_with("dcs: Integer(2), Integer(1)");
    let without =
        |all: &[String]| -> Vec<String> { all.iter().filter(|row| !v6(row)).cloned().collect() };
    assert_eq!(without(&ours), without(&theirs));
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(read(FEROGRAM, &written.bytes).unwrap().session, session);
}

#[test]
fn layer_client_files_hold_no_basic_group_or_channel_kind() {
    let written = write_as(LAYER, &vector_account());
    assert_mentions(&written.dropped, &["1 basic groups", "kind of 1 channels"]);
    assert_eq!(written.dropped.len(), 2, "{:?}", written.dropped);
    assert_eq!(detect(&written.bytes).unwrap(), LAYER);
    let back = read(LAYER, &written.bytes).unwrap();
    assert_eq!(back.session, layer_account());
    assert!(back.dropped.is_empty());
    let again = write_as(LAYER, &back.session);
    assert!(again.dropped.is_empty(), "{:?}", again.dropped);
}

#[test]
fn each_schema_is_refused_by_the_other_reader() {
    assert_malformed(read(LAYER, VECTOR), LAYER, "unexpected table `min_peers`");
    let without_min_peers = edited(VECTOR, "DROP TABLE min_peers");
    assert_malformed(
        read(LAYER, &without_min_peers),
        LAYER,
        "unexpected column `is_chat`",
    );
    let layer = write_as(LAYER, &layer_account());
    assert_malformed(
        read(FEROGRAM, &layer.bytes),
        FEROGRAM,
        "no `is_chat` column",
    );
    // A ferogram file whose peers came from an older ferogram (no kind or community columns, no min peers).
    let older = edited(
        VECTOR,
        "DROP TABLE min_peers; ALTER TABLE peers DROP COLUMN is_community;
         ALTER TABLE peers DROP COLUMN channel_kind;",
    );
    let mut expected = layer_account();
    expected
        .peers
        .insert(PeerId::Chat(4242), peer(PeerKind::Chat, None, None, None));
    assert_eq!(read(FEROGRAM, &older).unwrap().session, expected);
    assert_eq!(detect(&older).unwrap(), FEROGRAM);
}

#[test]
fn ferogram_s_min_peers_and_future_auth_token_are_read_and_its_community_flags_reported() {
    let imported = read(FEROGRAM, EXTRAS).unwrap();
    assert_eq!(imported.session, with_ferogram_extras(vector_account()));
    let dropped: Vec<&str> = imported.dropped.iter().map(|d| d.what.as_str()).collect();
    assert_eq!(dropped, ["community flag of 1 peers"]);
    assert_eq!(detect(EXTRAS).unwrap(), FEROGRAM);
    // The same as ferogram's binary file of the same inputs.
    let binary = read(
        Format::Layer,
        include_bytes!("vectors/ferogram-session_0.6.6_v8_extras.bin"),
    )
    .unwrap()
    .session;
    assert_eq!(binary.min_contexts, imported.session.min_contexts);
    assert_eq!(binary.logout_token, imported.session.logout_token);
    let shown = format!("{imported:?}").to_lowercase();
    assert!(
        !shown.contains("5a5a") && !shown.contains("zzzz"),
        "{shown}"
    );

    let unknown = edited(VECTOR, "INSERT INTO meta VALUES ('something_new', 1);");
    let imported = read(FEROGRAM, &unknown).unwrap();
    assert_eq!(imported.session, vector_account());
    let dropped: Vec<&str> = imported.dropped.iter().map(|d| d.what.as_str()).collect();
    assert_eq!(dropped, ["1 meta values of unknown keys"]);
}

#[test]
fn ferogram_files_are_written_with_their_min_peers_and_token() {
    let session = read(FEROGRAM, EXTRAS).unwrap().session;
    let written = write_as(FEROGRAM, &session);
    assert!(written.dropped.is_empty(), "{:?}", written.dropped);
    let back = read(FEROGRAM, &written.bytes).unwrap();
    assert_eq!(back.session, with_ferogram_extras(vector_account()));
    assert!(back.dropped.is_empty(), "{:?}", back.dropped);
    // The min_peers and meta rows are ferogram's own (its community flag was reported on reading).
    let only = |all: Vec<String>| -> Vec<String> {
        all.into_iter()
            .filter(|row| row.starts_with("min_peers") || row.starts_with("meta"))
            .collect()
    };
    let ours = only(rows(&written.bytes));
    assert_eq!(ours, only(rows(EXTRAS)));
    assert_eq!(ours.len(), 3, "{ours:?}");
}

#[test]
fn layer_client_files_have_no_place_for_min_peers_or_a_token() {
    let written = write_as(LAYER, &with_ferogram_extras(vector_account()));
    assert_mentions(
        &written.dropped,
        &[
            "1 basic groups",
            "kind of 1 channels",
            "1 min-peer contexts",
            "logout token",
        ],
    );
    assert_eq!(written.dropped.len(), 4, "{:?}", written.dropped);
    assert!(!written.bytes.windows(16).any(|window| window == [0x5a; 16]));
    assert!(!format!("{written:?}").to_lowercase().contains("5a5a"));
    assert_eq!(
        read(LAYER, &written.bytes).unwrap().session,
        layer_account()
    );
}

#[test]
fn min_contexts_a_reader_would_refuse_are_reported_not_written() {
    let mut session = with_ferogram_extras(vector_account());
    for (user, chat_id, msg_id) in [(5, 0, 1), (-6, 1, 1), (7, 1, 0), (8, -9, 3)] {
        session
            .min_contexts
            .insert(user, MinContext { chat_id, msg_id });
    }
    let written = write_as(FEROGRAM, &session);
    let dropped: Vec<&str> = written.dropped.iter().map(|d| d.what.as_str()).collect();
    assert_eq!(
        dropped,
        ["2 min-peer contexts with a user or message id that is not positive"]
    );
    let back = read(FEROGRAM, &written.bytes).unwrap().session;
    let users: Vec<i64> = back.min_contexts.keys().copied().collect();
    // User 5 was seen in the account's own chat (peer id 0), as ferogram records `inputPeerSelf`.
    assert_eq!(users, [5, 8, 987_654_321]);
}

#[test]
fn an_empty_token_is_none_and_one_too_long_is_reported_by_its_length_only() {
    let empty = edited(
        VECTOR,
        "INSERT INTO meta VALUES ('future_auth_token', x'');",
    );
    let imported = read(FEROGRAM, &empty).unwrap();
    assert_eq!(imported.session, vector_account());
    assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);

    let long = edited(
        VECTOR,
        "INSERT INTO meta VALUES ('future_auth_token', zeroblob(1025));",
    );
    let imported = read(FEROGRAM, &long).unwrap();
    assert_eq!(imported.session, vector_account());
    let dropped: Vec<String> = imported.dropped.iter().map(ToString::to_string).collect();
    assert_eq!(dropped.len(), 1);
    assert!(
        dropped[0].starts_with("future auth token of 1025 bytes (") && dropped[0].contains("1024"),
        "{dropped:?}"
    );
}

#[test]
fn what_the_files_cannot_hold_is_reported_on_writing() {
    let mut session = full_session();
    let mut hashless = peer(PeerKind::User, None, None, None);
    hashless.min = false;
    session.peers.insert(PeerId::User(5), hashless);
    let mut min = peer(PeerKind::User, Some(9), None, None);
    min.min = true;
    session.peers.insert(PeerId::User(6), min);
    session.peers.insert(
        PeerId::Channel(123_456_789),
        peer(PeerKind::Channel, Some(1), None, None),
    );
    for format in [FEROGRAM, LAYER] {
        let written = write_as(format, &session);
        assert_mentions(
            &written.dropped,
            &[
                "temporary auth key of DC 2",
                "device info",
                "creation time",
                "update time",
                "logged-in user",
                "api id",
                "takeout id",
                "bot flag of 1 peers",
                "usernames of 3 peers",
                "phone numbers of 1 peers",
                "1 users and channels without an access hash",
                "1 min peers",
            ],
        );
        let back = read(format, &written.bytes).unwrap().session;
        assert_valid(&back);
        // Salts, clock offsets, flags and both DCs are kept.
        assert_eq!(back.dcs.len(), 2);
        assert_eq!((back.dcs[0].server_salt, back.dcs[0].time_offset), (77, -3));
        assert!(back.dcs[0].flags.is_static);
        assert_eq!(back.update_state, Some(vector_update_state()));
    }
    // Channel 123456789 shares alice's bare id, which is the table's key: the second of the two is dropped.
    let written = write_as(FEROGRAM, &session);
    assert!(!DROPPED_BY_ALL[1..4]
        .iter()
        .any(|kept| written.dropped.iter().any(|d| d.what.contains(kept))));
    assert_mentions(&written.dropped, &["peers whose bare id another peer has"]);
}

#[test]
fn sessions_the_files_cannot_hold_are_refused() {
    let mut no_home = vector_account();
    no_home.home_dc = None;
    for format in [FEROGRAM, LAYER] {
        assert!(matches!(
            write(format, &no_home, &WriteOptions::default()),
            Err(InteropError::MissingField { .. })
        ));
        let mut bad = vector_account();
        bad.dcs[0].ipv4 = Some("0.0.0.0:443".parse().unwrap());
        assert!(matches!(
            write(format, &bad, &WriteOptions::default()),
            Err(InteropError::Unwritable { .. })
        ));
        let mut wrong_kind = vector_account();
        wrong_kind.peers.insert(
            PeerId::User(7),
            peer(PeerKind::Broadcast, Some(1), None, None),
        );
        assert!(matches!(
            write(format, &wrong_kind, &WriteOptions::default()),
            Err(InteropError::Unwritable { .. })
        ));
    }
}

#[test]
fn an_entry_without_an_address_is_reported_not_written() {
    let mut session = vector_account();
    let mut bare = DcEntry::new(4);
    bare.auth_key = Some(AuthKey::new([4; 256]));
    session.dcs.push(bare);
    let written = write_as(FEROGRAM, &session);
    assert_mentions(
        &written.dropped,
        &["the entry of DC 4, which has no address"],
    );
    assert_eq!(
        read(FEROGRAM, &written.bytes).unwrap().session,
        vector_account()
    );
}

#[test]
fn malformed_databases_are_refused_with_the_reason() {
    for (sql, reason) in [
        ("DELETE FROM meta", "the meta table is empty"),
        (
            "UPDATE meta SET value = 0 WHERE key = 'home_dc_id'",
            "DC id 0",
        ),
        (
            "UPDATE dcs SET flags = 64 WHERE flags = 0",
            "unknown DC flag bits",
        ),
        (
            "UPDATE dcs SET flags = 3 WHERE flags = 0",
            "IPv6 flag does not match",
        ),
        (
            "UPDATE dcs SET addr = '0.0.0.0:443' WHERE flags = 0",
            "0.0.0.0/8",
        ),
        (
            "UPDATE dcs SET addr = 'nowhere' WHERE flags = 0",
            "not `ip:port`",
        ),
        (
            "UPDATE dcs SET auth_key = x'0102' WHERE flags = 0",
            "an auth key of 2 bytes",
        ),
        (
            "UPDATE dcs SET auth_key = 'text' WHERE flags = 0",
            "not a blob",
        ),
        ("UPDATE dcs SET time_offset = 1 << 40", "beyond 32 bits"),
        (
            "PRAGMA ignore_check_constraints = ON; UPDATE update_state SET id = 2",
            "of id 1",
        ),
        ("UPDATE update_state SET pts = 'x'", "wrong type"),
        ("INSERT INTO channel_pts VALUES (-5, 1)", "not a channel id"),
        (
            "UPDATE peers SET is_chat = 1 WHERE is_channel = 1",
            "both a channel and a basic group",
        ),
        (
            "UPDATE peers SET is_channel = 2 WHERE id = 123456789",
            "is_channel 2",
        ),
        (
            "UPDATE peers SET channel_kind = 7 WHERE is_channel = 1",
            "channel kind 7",
        ),
        (
            "UPDATE peers SET channel_kind = 0 WHERE id = 123456789",
            "channel kind 0 on User",
        ),
        (
            "UPDATE peers SET access_hash = 5 WHERE is_chat = 1",
            "basic group -4242 has an access hash",
        ),
        (
            "UPDATE peers SET id = 0 WHERE id = 123456789",
            "0 is not a valid User id",
        ),
        ("INSERT INTO min_peers VALUES (5, 6, 0)", "min peer"),
        ("INSERT INTO min_peers VALUES (5, 6, 1 << 40)", "min peer"),
        ("INSERT INTO min_peers VALUES (0, 6, 1)", "min peer"),
        ("INSERT INTO min_peers VALUES (5, 6, 'x')", "wrong type"),
        (
            "INSERT INTO meta VALUES ('future_auth_token', 'text')",
            "a future auth token that is not a blob",
        ),
        ("CREATE TABLE extra (x)", "unexpected table `extra`"),
        (
            "ALTER TABLE dcs ADD COLUMN extra INTEGER",
            "unexpected column `extra`",
        ),
    ] {
        let bytes = edited(VECTOR, sql);
        assert_malformed(read(FEROGRAM, &bytes), FEROGRAM, reason);
    }
    assert_malformed(read(FEROGRAM, b"SQLite format 3\0"), FEROGRAM, "");
    assert_malformed(
        read(LAYER, b"not a database"),
        LAYER,
        "not an SQLite database",
    );
}

#[test]
fn an_all_zero_update_state_is_none_and_channels_alone_are_a_state() {
    let zero = edited(
        VECTOR,
        "UPDATE update_state SET pts = 0, qts = 0, date = 0, seq = 0; DELETE FROM channel_pts;",
    );
    assert_eq!(read(FEROGRAM, &zero).unwrap().session.update_state, None);
    let channels_only = edited(VECTOR, "DELETE FROM update_state");
    let state = read(FEROGRAM, &channels_only).unwrap().session.update_state;
    assert_eq!(
        state,
        Some(UpdateState {
            channels: BTreeMap::from([(1_234_567_890, 555)]),
            ..UpdateState::default()
        })
    );
}

// ---------------------------------------------------------------------------------------------------------

/// Reads `bytes` as `format`: whatever reads must pass [`assert_valid`].
fn check(format: Format, bytes: &[u8]) {
    if let Ok(imported) = read(format, bytes) {
        assert_valid(&imported.session);
    }
}

/// A session both libraries hold completely: DCs with usable addresses, keys, salts, offsets and flags (no
/// this-port-only); users and channels of unknown kind with hashes; update state.
fn keepable_session() -> impl Strategy<Value = Session> {
    use prop::collection::{btree_map, vec};
    use prop::option::of;
    let v4 = (1u8..=223, any::<[u8; 3]>(), 1..=u16::MAX)
        .prop_map(|(a, [b, c, d], port)| std::net::SocketAddrV4::new([a, b, c, d].into(), port));
    let key = vec(any::<u8>(), 256).prop_map(|bytes| AuthKey::from_slice(&bytes).unwrap());
    let dc = (
        of(v4),
        of(key),
        any::<i64>(),
        any::<i32>(),
        any::<[bool; 4]>(),
    )
        .prop_map(
            |(ipv4, key, salt, offset, [media_only, cdn, tcpo_only, is_static])| {
                let mut dc = DcEntry::new(1);
                dc.ipv4 = ipv4.or(Some("149.154.167.51:443".parse().unwrap()));
                dc.ipv6 = Some("[2001:67c:4e8:f002::a]:443".parse().unwrap());
                dc.auth_key = key;
                dc.server_salt = salt;
                dc.time_offset = offset;
                dc.flags = DcFlags {
                    media_only,
                    cdn,
                    tcpo_only,
                    is_static,
                    this_port_only: false,
                };
                dc
            },
        );
    let peers = btree_map(1..=(1i64 << 40) - 1, (any::<bool>(), any::<i64>()), 0..6);
    let channels = btree_map(1..=(1i64 << 40) - 1, any::<i32>(), 0..3);
    (
        btree_map(1..=10_100_i32, dc, 1..4),
        peers,
        any::<[i32; 4]>(),
        channels,
    )
        .prop_map(|(dcs, peers, [pts, qts, date, seq], channels)| {
            let mut session = Session::new();
            session.dcs = dcs
                .into_iter()
                .map(|(id, mut dc)| {
                    dc.id = id;
                    dc
                })
                .collect();
            session.home_dc = Some(session.dcs[0].id);
            session.peers = peers
                .into_iter()
                .map(|(bare, (channel, hash))| {
                    let (id, kind) = if channel {
                        (PeerId::Channel(bare), PeerKind::Channel)
                    } else {
                        (PeerId::User(bare), PeerKind::User)
                    };
                    (id, peer(kind, Some(hash), None, None))
                })
                .collect();
            let state = UpdateState {
                pts,
                qts,
                date,
                seq,
                channels,
            };
            session.update_state = (state != UpdateState::default()).then_some(state);
            session
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn sessions_both_libraries_hold_round_trip(session in keepable_session()) {
        for format in [FEROGRAM, LAYER] {
            let written = write_as(format, &session);
            prop_assert!(written.dropped.is_empty(), "{format}: {:?}", written.dropped);
            prop_assert_eq!(&read(format, &written.bytes).unwrap().session, &session);
            prop_assert_eq!(detect(&written.bytes).unwrap(), format);
        }
    }

    #[test]
    fn truncated_files_never_panic(cut in any::<prop::sample::Index>()) {
        let layer = write_as(LAYER, &layer_account());
        for (format, bytes) in [(FEROGRAM, VECTOR), (LAYER, &layer.bytes[..])] {
            check(format, &bytes[..cut.index(bytes.len())]);
        }
    }

    #[test]
    fn mutated_files_never_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), 1..=255u8), 1..8)) {
        let mut bytes = VECTOR.to_vec();
        let len = bytes.len();
        for (at, xor) in flips {
            bytes[at.index(len)] ^= xor;
        }
        check(FEROGRAM, &bytes);
        check(LAYER, &bytes);
    }
}
