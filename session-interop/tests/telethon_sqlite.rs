//! Telethon SQLite `.session` files: the real Telethon 1.45 (schema 8) vector reads as the vectors' account with
//! its peers, user and update state; what we write has Telethon's exact tables in schema 7 or 8 and reads
//! back the same; other schema versions are unsupported, broken files malformed; everything a file cannot
//! hold is reported; and no mutated file makes the reader panic or return garbage.

mod support;

use std::collections::BTreeMap;

use proptest::prelude::*;
use rusqlite::types::Value;
use rusqlite::{Connection, MAIN_DB};
use session_core::{AuthKey, Peer, PeerId, PeerKind, Session, UpdateState, User};
use session_interop::{read, write, Exported, Format, InteropError, TelethonSchema, WriteOptions};
use support::{
    assert_malformed, assert_mentions, assert_plausible, dc_at, full_session, mentions, mutate,
    peer, vector_peers_as, vector_session, vector_update_state, vector_user, DROPPED_BY_ALL,
};

const VECTOR: &[u8] = include_bytes!("vectors/telethon_v8.session");
const FORMAT: Format = Format::TelethonSqlite;
const SCHEMAS: [TelethonSchema; 2] = [TelethonSchema::V7, TelethonSchema::V8];

/// The session the vector holds (from the vectors' README): Telethon does not know the bot and the channel's
/// kind.
fn vector_file_session() -> Session {
    let mut session = vector_session();
    session.user = Some(vector_user());
    session.update_state = Some(vector_update_state());
    session.peers = vector_peers_as(PeerKind::User, PeerKind::Channel)
        .into_iter()
        .collect();
    session
}

fn write_file(session: &Session, schema: TelethonSchema) -> Result<Exported, InteropError> {
    write(
        FORMAT,
        session,
        &WriteOptions::new().with_telethon_schema(schema),
    )
}

/// The database in `bytes`, writable in memory.
fn open(bytes: &[u8]) -> Connection {
    let mut db = Connection::open_in_memory().unwrap();
    db.deserialize_read_exact(MAIN_DB, bytes, bytes.len(), false)
        .unwrap();
    db
}

/// The vector with `sql` applied.
fn edited(sql: &str) -> Vec<u8> {
    let mut db = open(VECTOR);
    db.execute_batch(sql).unwrap();
    db.serialize(MAIN_DB).unwrap().to_vec()
}

fn rows(db: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut stmt = db.prepare(sql).unwrap();
    let columns = stmt.column_count();
    stmt.query_map([], |row| (0..columns).map(|i| row.get(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

const SCHEMA_SQL: &str = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid";

#[test]
fn the_vector_reads_as_the_vectors_account() {
    let imported = read(FORMAT, VECTOR).unwrap();
    assert_eq!(imported.session, vector_file_session());
    let dropped: Vec<&str> = imported.dropped.iter().map(|d| d.what.as_str()).collect();
    assert_eq!(
        dropped,
        [
            "names of 4 entities",
            "dates of 5 entities",
            "1 rows of the sent-files cache"
        ]
    );
}

#[test]
fn written_files_read_back_the_same_session_in_both_schemas() {
    let session = vector_file_session();
    for schema in SCHEMAS {
        let exported = write_file(&session, schema).unwrap();
        assert!(exported.dropped.is_empty(), "{:?}", exported.dropped);
        let imported = read(FORMAT, &exported.bytes).unwrap();
        assert_eq!(imported.session, session, "{schema:?}");
        assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);
    }
}

#[test]
fn schema_8_files_have_exactly_telethons_tables_and_rows() {
    let exported = write_file(&vector_file_session(), TelethonSchema::V8).unwrap();
    let ours = open(&exported.bytes);
    let telethon = open(VECTOR);
    assert_eq!(rows(&ours, SCHEMA_SQL), rows(&telethon, SCHEMA_SQL));
    for sql in [
        "SELECT * FROM version",
        "SELECT dc_id, server_address, port, auth_key, takeout_id, tmp_auth_key, typeof(tmp_auth_key) FROM sessions",
        "SELECT id, hash, username, phone, typeof(phone) FROM entities ORDER BY id",
        "SELECT * FROM update_state ORDER BY id",
        "PRAGMA user_version",
    ] {
        assert_eq!(rows(&ours, sql), rows(&telethon, sql), "{sql}");
    }
}

#[test]
fn schema_7_is_the_default_and_lacks_only_the_temporary_key_column() {
    let exported = write(FORMAT, &vector_file_session(), &WriteOptions::default()).unwrap();
    let ours = open(&exported.bytes);
    let v8_schema: Vec<_> = rows(&open(VECTOR), SCHEMA_SQL)
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|value| match value {
                    Value::Text(sql) => {
                        Value::Text(sql.replace(",\n                    tmp_auth_key blob", ""))
                    }
                    other => other,
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(rows(&ours, SCHEMA_SQL), v8_schema);
    assert_eq!(
        rows(&ours, "SELECT version FROM version"),
        [[Value::Integer(7)]]
    );
}

#[test]
fn other_schema_versions_are_unsupported_and_named() {
    for version in [1, 6, 9] {
        let bytes = edited(&format!("UPDATE version SET version = {version}"));
        match read(FORMAT, &bytes) {
            Err(InteropError::Unsupported { format, reason }) => {
                assert_eq!(format, FORMAT);
                assert!(
                    reason.contains(&format!("schema version {version}")),
                    "{reason}"
                );
            }
            other => panic!("version {version}: {other:?}"),
        }
    }
}

#[test]
fn a_temporary_key_is_reported_dropped() {
    let bytes = edited("UPDATE sessions SET tmp_auth_key = zeroblob(256)");
    let imported = read(FORMAT, &bytes).unwrap();
    assert_mentions(&imported.dropped, &["temporary auth key of DC 2"]);
    assert_eq!(imported.session.dcs[0].temp_auth_key, None);
}

#[test]
fn a_missing_key_reads_as_none_and_writes_as_an_empty_blob() {
    for sql in [
        "UPDATE sessions SET auth_key = NULL",
        "UPDATE sessions SET auth_key = x''",
        "UPDATE sessions SET auth_key = zeroblob(256)",
    ] {
        let session = read(FORMAT, &edited(sql)).unwrap().session;
        assert_eq!(session.dcs[0].auth_key, None, "{sql}");
        let exported = write_file(&session, TelethonSchema::V7).unwrap();
        assert!(exported.dropped.is_empty());
        let written = open(&exported.bytes);
        let key = rows(
            &written,
            "SELECT typeof(auth_key), length(auth_key) FROM sessions",
        );
        assert_eq!(key, [[Value::Text("blob".into()), Value::Integer(0)]]);
        assert_eq!(read(FORMAT, &exported.bytes).unwrap().session, session);
    }
}

#[test]
fn ipv6_addresses_and_takeout_ids_are_kept() {
    let mut session = vector_file_session();
    session.dcs[0].ipv4 = None;
    session.dcs[0].ipv6 = Some("[2001:67c:4e8:f002::a]:443".parse().unwrap());
    session.takeout_id = Some(99);
    for schema in SCHEMAS {
        let exported = write_file(&session, schema).unwrap();
        assert!(exported.dropped.is_empty());
        let address = rows(
            &open(&exported.bytes),
            "SELECT server_address, takeout_id FROM sessions",
        );
        assert_eq!(
            address,
            [[
                Value::Text("2001:67c:4e8:f002::a".into()),
                Value::Integer(99)
            ]]
        );
        assert_eq!(read(FORMAT, &exported.bytes).unwrap().session, session);
    }
}

#[test]
fn float_dates_as_telethon_writes_them_read_as_whole_seconds() {
    // Telethon stores an update state's date as `datetime.timestamp()`, a float: a channel's state, stamped with
    // the time of saving, keeps its fraction and SQLite stores it as a REAL in the integer column. Entity dates
    // are integers (or NULL), but a float reads too.
    let bytes = edited(
        "UPDATE update_state SET date = 1700000000.75 WHERE id = 0;
         UPDATE update_state SET date = 1795471096.533902 WHERE id = 1234567890;
         UPDATE entities SET date = 1700000001.5 WHERE id = 123456789;
         UPDATE entities SET date = NULL WHERE id = 987654321;",
    );
    let db = open(&bytes);
    let real = || vec![Value::Text("real".into())];
    assert_eq!(
        rows(&db, "SELECT typeof(date) FROM update_state ORDER BY id"),
        [real(), real()]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT typeof(date) FROM entities WHERE id = 123456789"
        ),
        [real()]
    );
    let imported = read(FORMAT, &bytes).unwrap();
    // The account's date is truncated toward zero: 1700000000.75 is 1700000000.
    assert_eq!(imported.session, vector_file_session());
    let dropped: Vec<&str> = imported.dropped.iter().map(|d| d.what.as_str()).collect();
    assert_eq!(
        dropped,
        [
            "names of 4 entities",
            "dates of 4 entities",
            "qts, date and seq of 1 channel update states",
            "1 rows of the sent-files cache"
        ]
    );
    // A written file with the same floats reads back the same session.
    for schema in SCHEMAS {
        let written = write_file(&imported.session, schema).unwrap();
        let mut db = open(&written.bytes);
        db.execute_batch("UPDATE update_state SET date = date + 0.25")
            .unwrap();
        let floats = db.serialize(MAIN_DB).unwrap().to_vec();
        assert_eq!(read(FORMAT, &floats).unwrap().session, imported.session);
    }
}

#[test]
fn malformed_files_are_rejected_with_the_reason() {
    let cases = [
        ("DELETE FROM sessions", "no row"),
        (
            "INSERT INTO sessions VALUES (4, '149.154.167.91', 443, x'', NULL, x'')",
            "more than one row",
        ),
        ("UPDATE sessions SET dc_id = 0", "DC id 0"),
        (
            "UPDATE sessions SET server_address = 'example.org'",
            "not an IPv4 or IPv6",
        ),
        (
            "UPDATE sessions SET server_address = '0.0.0.0'",
            "0.0.0.0/8",
        ),
        (
            "UPDATE sessions SET server_address = NULL",
            "not an IPv4 or IPv6",
        ),
        ("UPDATE sessions SET port = 0", "port 0"),
        ("UPDATE sessions SET port = 70000", "port 70000"),
        ("UPDATE sessions SET port = '443x'", "port"),
        (
            "UPDATE sessions SET auth_key = x'0102'",
            "auth key of 2 bytes",
        ),
        ("UPDATE sessions SET auth_key = 'text'", "not a blob"),
        (
            "ALTER TABLE sessions DROP COLUMN tmp_auth_key",
            "tmp_auth_key",
        ),
        ("INSERT INTO version VALUES (9)", "more than one row"),
        ("DROP TABLE entities", "no `entities` table"),
        ("DROP TABLE update_state", "no `update_state` table"),
        ("DROP TABLE sessions", "no `sessions` table"),
        (
            "INSERT INTO entities VALUES (-1000000000000, 1, NULL, NULL, NULL, NULL)",
            "marked",
        ),
        (
            "UPDATE entities SET hash = 5 WHERE id = -4242",
            "basic group",
        ),
        ("UPDATE entities SET hash = 0 WHERE id = 0", "self row"),
        (
            "UPDATE entities SET phone = 'abc' WHERE id = 123456789",
            "phone",
        ),
        (
            "UPDATE entities SET phone = -5 WHERE id = 123456789",
            "phone",
        ),
        (
            "UPDATE entities SET username = x'00ff' WHERE id = 123456789",
            "username",
        ),
        (
            "INSERT INTO update_state VALUES (-5, 1, 0, 0, 0)",
            "negative id",
        ),
        (
            "UPDATE update_state SET pts = 4294967296 WHERE id = 0",
            "32-bit",
        ),
        (
            "UPDATE update_state SET date = NULL WHERE id = 0",
            "update_state",
        ),
        (
            "UPDATE update_state SET date = 3e9 WHERE id = 0",
            "an update_state date is not a date in the 32-bit range",
        ),
        (
            "UPDATE update_state SET date = 9e999 WHERE id = 1234567890",
            "an update_state date is not a date in the 32-bit range",
        ),
        (
            "UPDATE update_state SET date = 'soon' WHERE id = 0",
            "an update_state date is not a number",
        ),
        (
            "UPDATE entities SET date = 'yesterday' WHERE id = 123456789",
            "an entity date is not a number",
        ),
        (
            "UPDATE entities SET date = -1e10 WHERE id = 123456789",
            "an entity date is not a date in the 32-bit range",
        ),
    ];
    for (sql, reason) in cases {
        let result = read(FORMAT, &edited(sql));
        match &result {
            Err(InteropError::Malformed { reason: text, .. }) => {
                assert!(text.contains(reason), "{sql}: `{reason}` not in `{text}`")
            }
            other => panic!("{sql}: expected Malformed, got {other:?}"),
        }
    }
    assert_malformed(
        read(FORMAT, b"not a database"),
        FORMAT,
        "not an SQLite database",
    );
    let pyrogram = include_bytes!("vectors/pyrogram_2.0.106.session");
    assert_malformed(read(FORMAT, pyrogram), FORMAT, "version");
    let grammers = include_bytes!("vectors/grammers-session_0.11.0.sqlite");
    assert_malformed(read(FORMAT, grammers), FORMAT, "no `version` table");
}

#[test]
fn what_a_telethon_file_cannot_hold_is_reported() {
    let mut session = full_session();
    session.test_mode = true;
    for schema in SCHEMAS {
        let exported = write_file(&session, schema).unwrap();
        assert_mentions(
            &exported.dropped,
            &[
                "auth key of DC 4",
                "address of DC 4",
                "IPv6 address of DC 2",
                "logged-in user's bot flag",
                "logged-in user's DC (4)",
                "logged-in user's username",
                "kinds of 2 peers",
                "api id",
                "test-mode flag",
            ],
        );
        assert_mentions(&exported.dropped, &DROPPED_BY_ALL);
        for kept in ["takeout id", "update state", "logged-in user"] {
            assert!(
                exported.dropped.iter().all(|entry| entry.what != kept),
                "{kept}"
            );
        }
        for kept in ["cached peers", "channels"] {
            assert!(
                !mentions(&exported.dropped, kept),
                "{kept}: {:?}",
                exported.dropped
            );
        }
        let back = read(FORMAT, &exported.bytes).unwrap().session;
        assert_eq!(back.takeout_id, Some(99));
        assert_eq!(back.update_state, session.update_state);
        assert_eq!(back.user.map(|user| user.id), Some(123_456_789));
        let bob = back.peers.get(&PeerId::User(987_654_321)).unwrap();
        assert_eq!(bob.kind, PeerKind::User);
    }
}

#[test]
fn peers_telethon_cannot_store_are_counted_not_mangled() {
    let mut session = vector_session();
    session.peers = [
        (
            PeerId::User(1),
            peer(PeerKind::User, Some(1), Some("MiXeD"), Some("+15550001111")),
        ),
        (
            PeerId::User(2),
            Peer {
                min: true,
                ..peer(PeerKind::User, Some(2), None, None)
            },
        ),
        (
            PeerId::Channel(3),
            peer(PeerKind::Megagroup, None, None, None),
        ),
        (PeerId::Chat(4), peer(PeerKind::Chat, Some(4), None, None)),
        (
            PeerId::Chat(2_000_000_000_000),
            peer(PeerKind::Chat, None, None, None),
        ),
    ]
    .into_iter()
    .collect();
    session.update_state = Some(UpdateState {
        channels: BTreeMap::from([(0, 1), (-7, 2), (8, 3)]),
        ..UpdateState::default()
    });
    let exported = write_file(&session, TelethonSchema::V8).unwrap();
    assert_mentions(
        &exported.dropped,
        &[
            "phone numbers of 1 peers",
            "1 min peers",
            "1 users and channels without an access hash",
            "access hashes of 1 basic groups",
            "1 peers whose id has no Bot API marked form",
            "update state of 2 channels",
        ],
    );
    let back = read(FORMAT, &exported.bytes).unwrap().session;
    let ids: Vec<PeerId> = back.peers.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [PeerId::User(1), PeerId::Chat(4)]);
    let user = back.peers.get(&PeerId::User(1)).unwrap();
    assert_eq!(
        (user.username.as_deref(), user.phone.as_deref()),
        (Some("mixed"), None)
    );
    assert_eq!(back.peers.get(&PeerId::Chat(4)).unwrap().access_hash, None);
    assert_eq!(
        back.update_state.unwrap().channels,
        BTreeMap::from([(8, 3)])
    );
}

#[test]
fn sessions_a_telethon_file_cannot_hold_are_refused() {
    assert!(matches!(
        write_file(&Session::new(), TelethonSchema::V7),
        Err(InteropError::MissingField {
            field: "home DC",
            ..
        })
    ));
    let mut no_address = vector_session();
    no_address.dcs[0].ipv4 = None;
    assert!(matches!(
        write_file(&no_address, TelethonSchema::V7),
        Err(InteropError::MissingField { .. })
    ));
    let mut bad_dc = vector_session();
    bad_dc.home_dc = Some(0);
    bad_dc.dcs[0].id = 0;
    assert!(matches!(
        write_file(&bad_dc, TelethonSchema::V7),
        Err(InteropError::Unwritable { .. })
    ));
    let mut test_dc = vector_session();
    test_dc.home_dc = Some(10_002);
    test_dc.dcs[0].id = 10_002;
    let exported = write_file(&test_dc, TelethonSchema::V7).unwrap();
    assert_eq!(read(FORMAT, &exported.bytes).unwrap().session, test_dc);
}

/// What a reader returns must pass the checks and write back, in both schemas, to a file that reads the same.
fn check_accepted(bytes: &[u8]) {
    if let Ok(imported) = read(FORMAT, bytes) {
        assert_plausible(&imported.session);
        for schema in SCHEMAS {
            let written = write_file(&imported.session, schema).unwrap();
            assert_eq!(
                read(FORMAT, &written.bytes).unwrap().session,
                imported.session
            );
        }
    }
}

fn any_peer() -> impl Strategy<Value = (PeerId, Peer)> {
    let username = proptest::option::of("[a-z][a-z0-9_]{3,31}");
    let phone = proptest::option::of("[1-9][0-9]{5,14}");
    (
        0u8..3,
        1i64..=999_999_999_999,
        any::<i64>(),
        username,
        phone,
    )
        .prop_map(|(class, id, hash, username, phone)| {
            let (id, kind, access_hash) = match class {
                0 => (PeerId::User(id), PeerKind::User, Some(hash)),
                1 => (PeerId::Chat(id), PeerKind::Chat, None),
                _ => (PeerId::Channel(id), PeerKind::Channel, Some(hash)),
            };
            let peer = Peer {
                kind,
                access_hash,
                username: username.map(Into::into),
                phone: phone.map(Into::into),
                min: false,
            };
            (id, peer)
        })
}

fn any_session() -> impl Strategy<Value = Session> {
    let addr = prop_oneof![
        Just(
            "149.154.167.51:443"
                .parse::<std::net::SocketAddr>()
                .unwrap()
        ),
        Just("[2001:b28:f23d:f001::a]:443".parse().unwrap()),
        Just("127.0.0.1:1".parse().unwrap()),
    ];
    let state = proptest::option::of((
        any::<[i32; 4]>(),
        proptest::collection::btree_map(1i64..=i64::MAX, any::<i32>(), 0..4),
    ));
    (
        1i32..=10_100,
        addr,
        proptest::option::of(any::<u8>()),
        proptest::option::of(1i64..=i64::MAX),
        proptest::option::of(any::<i64>()),
        state,
        proptest::collection::vec(any_peer(), 0..12),
    )
        .prop_map(|(id, addr, key, user, takeout, state, peers)| {
            let mut dc = dc_at(id, addr);
            dc.auth_key = key.map(|byte| AuthKey::new([byte | 1; 256]));
            let mut session = Session::new();
            session.home_dc = Some(id);
            session.dcs.push(dc);
            session.user = user.map(|id| User {
                id,
                bot: false,
                username: None,
                dc: None,
            });
            session.takeout_id = takeout;
            session.update_state = state.map(|([pts, qts, date, seq], channels)| UpdateState {
                pts,
                qts,
                date,
                seq,
                channels,
            });
            session.peers = peers.into_iter().collect();
            session
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn mutated_files_never_panic_and_never_give_garbage(
        edits in proptest::collection::vec((0usize..VECTOR.len(), any::<u8>()), 1..8)
    ) {
        check_accepted(&mutate(VECTOR, &edits));
    }

    #[test]
    fn mutated_headers_and_schema_pages_never_panic(
        edits in proptest::collection::vec((0usize..4096, any::<u8>()), 1..4)
    ) {
        check_accepted(&mutate(VECTOR, &edits));
    }

    #[test]
    fn truncated_files_never_panic(end in 0usize..VECTOR.len()) {
        check_accepted(&VECTOR[..end]);
    }

    #[test]
    fn written_files_read_back_the_same(session in any_session(), v8 in any::<bool>()) {
        let schema = if v8 { TelethonSchema::V8 } else { TelethonSchema::V7 };
        let exported = write_file(&session, schema).unwrap();
        prop_assert!(exported.dropped.is_empty(), "{:?}", exported.dropped);
        prop_assert_eq!(read(FORMAT, &exported.bytes).unwrap().session, session);
        check_accepted(&exported.bytes[..exported.bytes.len() / 2]);
    }
}
