//! Pyrogram and Kurigram: the string sessions (2.x and 1.x) and the SQLite files, against the vectors made
//! by Pyrogram 2.0.106, files built here in Kurigram's layout, and broken inputs.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use proptest::prelude::*;
use rusqlite::{Connection, MAIN_DB};
use session_core::{DcEntry, Peer, PeerId, PeerKind, Session, UpdateState, User};
use session_interop::{detect, read, write, Format, InteropError, WriteOptions};

use support::{
    assert_input_error, assert_mentions, assert_plausible, edits, full_session, mentions, mutate,
    vector_dc, vector_key, vector_peers, vector_session, vector_user, DROPPED_BY_ALL,
};

const STRING: &str = include_str!("vectors/pyrogram_2.0.106_string.txt");
const SQLITE: &[u8] = include_bytes!("vectors/pyrogram_2.0.106.session");

/// What the string vector holds: DC 2 (address from the DC table), the key, api id 12345, user 123456789.
fn string_session() -> Session {
    let mut session = vector_session();
    session.api_id = Some(12345);
    session.user = Some(vector_user());
    session
}

/// What the SQLite vector holds: the string's session plus the four peers.
fn sqlite_session() -> Session {
    let mut session = string_session();
    session.peers = vector_peers().into_iter().collect();
    session
}

fn write_opts(
    format: Format,
    session: &Session,
) -> Result<session_interop::Exported, InteropError> {
    write(format, session, &WriteOptions::default())
}

/// A Pyrogram 2 string from its fields.
fn v2_string(dc: u8, api_id: u32, test: u8, key: &[u8], user_id: u64, bot: u8) -> String {
    let mut raw = vec![dc];
    raw.extend_from_slice(&api_id.to_be_bytes());
    raw.push(test);
    raw.extend_from_slice(key);
    raw.extend_from_slice(&user_id.to_be_bytes());
    raw.push(bot);
    URL_SAFE_NO_PAD.encode(raw)
}

fn key_bytes() -> Vec<u8> {
    vector_key().as_bytes().to_vec()
}

// ---------------------------------------------------------------------------------------------------------
// String sessions
// ---------------------------------------------------------------------------------------------------------

#[test]
fn the_string_vector_reads_as_the_session_pyrogram_was_given() {
    let imported = read(Format::PyrogramString, STRING.as_bytes()).unwrap();
    assert_eq!(imported.session, string_session());
    assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);
    // A string pasted into a file with a newline (or padded with spaces) reads the same.
    let padded = format!("  {}\n", STRING.trim_end());
    assert_eq!(
        read(Format::PyrogramString, padded.as_bytes())
            .unwrap()
            .session,
        string_session()
    );
    assert_eq!(detect(STRING.as_bytes()).unwrap(), Format::PyrogramString);
}

#[test]
fn the_string_vector_writes_back_byte_for_byte() {
    let imported = read(Format::PyrogramString, STRING.as_bytes()).unwrap();
    let written = write_opts(Format::PyrogramString, &imported.session).unwrap();
    assert!(written.dropped.is_empty(), "{:?}", written.dropped);
    assert_eq!(&written.bytes[..], STRING.trim_end().as_bytes());
    assert_eq!(written.bytes.len(), 362);
}

#[test]
fn test_mode_takes_the_test_servers_address() {
    let text = v2_string(2, 12345, 1, &key_bytes(), 7, 1);
    let session = read(Format::PyrogramString, text.as_bytes())
        .unwrap()
        .session;
    assert!(session.test_mode);
    assert_eq!(
        session.dcs[0].ipv4,
        Some("149.154.167.40:443".parse().unwrap())
    );
    assert!(session.user.as_ref().unwrap().bot);
    let written = write_opts(Format::PyrogramString, &session).unwrap();
    assert_eq!(&written.bytes[..], text.as_bytes());
}

#[test]
fn malformed_strings_are_refused_with_the_reason() {
    let key = key_bytes();
    let good = v2_string(2, 12345, 0, &key, 123_456_789, 0);
    assert!(read(Format::PyrogramString, good.as_bytes()).is_ok());
    let cases: Vec<(String, &str)> = vec![
        (v2_string(0, 12345, 0, &key, 1, 0), "DC id 0"),
        (v2_string(6, 12345, 0, &key, 1, 0), "DC id 6"),
        (v2_string(4, 12345, 1, &key, 1, 0), "test DCs 1 to 3"),
        (v2_string(2, 0, 0, &key, 1, 0), "api id 0"),
        (v2_string(2, 1 << 31, 0, &key, 1, 0), "api id"),
        (v2_string(2, 12345, 2, &key, 1, 0), "test-mode flag is 2"),
        (v2_string(2, 12345, 0, &key, 1, 7), "bot flag is 7"),
        (v2_string(2, 12345, 0, &key, 0, 0), "user id 0"),
        (v2_string(2, 12345, 0, &key, u64::MAX, 0), "user id"),
        (v2_string(2, 12345, 0, &[0; 256], 1, 0), "all-zero"),
        (good.clone() + "AA", "bytes decoded"),
        (good[..good.len() - 2].to_owned(), "bytes decoded"),
        (good.clone() + "=", "base64"),
        (good.replace('-', "+"), "alphabet"),
        (String::new(), "bytes decoded"),
    ];
    for (text, reason) in cases {
        let err = read(Format::PyrogramString, text.as_bytes()).unwrap_err();
        assert_input_error(&err);
        assert!(err.to_string().contains(reason), "{reason}: {err}");
    }
}

/// Pyrogram 1.x strings: `dc, test_mode, key, user_id (u32 or u64), is_bot`.
fn v1_string(wide: bool, user_id: u64) -> String {
    let mut raw = vec![4, 0];
    raw.extend_from_slice(&key_bytes());
    if wide {
        raw.extend_from_slice(&user_id.to_be_bytes());
    } else {
        raw.extend_from_slice(&u32::try_from(user_id).unwrap().to_be_bytes());
    }
    raw.push(1);
    URL_SAFE_NO_PAD.encode(raw)
}

#[test]
fn pyrogram_1_strings_read_in_both_lengths_and_are_not_written() {
    for (wide, chars) in [(false, 351), (true, 356)] {
        let text = v1_string(wide, 555);
        assert_eq!(text.len(), chars);
        let session = read(Format::Pyrogram1String, text.as_bytes())
            .unwrap()
            .session;
        assert_eq!(session.home_dc, Some(4));
        assert_eq!(
            session.dcs[0].ipv4,
            Some("149.154.167.91:443".parse().unwrap())
        );
        assert_eq!(session.auth_key(4), Some(&vector_key()));
        assert_eq!(session.api_id, None);
        assert_eq!(
            session.user,
            Some(User {
                id: 555,
                bot: true,
                username: None,
                dc: None
            })
        );
        let err = read(Format::PyrogramString, text.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("pyrogram1-string"), "{err}");
        assert_eq!(detect(text.as_bytes()).unwrap(), Format::Pyrogram1String);
    }
    assert!(read(Format::Pyrogram1String, v1_string(false, 0).as_bytes()).is_err());
    assert!(read(Format::Pyrogram1String, STRING.as_bytes()).is_err());
    assert!(matches!(
        write_opts(Format::Pyrogram1String, &string_session()),
        Err(InteropError::ReadOnly(Format::Pyrogram1String))
    ));
}

#[test]
fn a_v1_session_needs_an_api_id_to_become_a_v2_string() {
    let mut session = read(Format::Pyrogram1String, v1_string(true, 555).as_bytes())
        .unwrap()
        .session;
    match write_opts(Format::PyrogramString, &session) {
        Err(InteropError::MissingField {
            format,
            field,
            hint,
        }) => {
            assert_eq!((format, field), (Format::PyrogramString, "api id"));
            assert!(hint.unwrap().contains("my.telegram.org"));
        }
        other => panic!("{other:?}"),
    }
    session.api_id = Some(777);
    let written = write_opts(Format::PyrogramString, &session).unwrap();
    let again = read(Format::PyrogramString, &written.bytes)
        .unwrap()
        .session;
    assert_eq!(again.api_id, Some(777));
    assert_eq!(again.user, session.user);
}

#[test]
fn the_string_writer_needs_a_user_and_a_key_and_a_table_dc() {
    let mut no_user = string_session();
    no_user.user = None;
    assert!(matches!(
        write_opts(Format::PyrogramString, &no_user),
        Err(InteropError::MissingField {
            field: "logged-in user",
            ..
        })
    ));
    let mut no_key = string_session();
    no_key.dcs[0].auth_key = None;
    assert!(matches!(
        write_opts(Format::PyrogramString, &no_key),
        Err(InteropError::MissingField { .. })
    ));
    assert!(matches!(
        write_opts(Format::PyrogramString, &Session::new()),
        Err(InteropError::MissingField {
            field: "home DC",
            ..
        })
    ));
    let mut far = string_session();
    far.home_dc = Some(300);
    far.dcs[0].id = 300;
    assert!(matches!(
        write_opts(Format::PyrogramString, &far),
        Err(InteropError::Unwritable { .. })
    ));
    let mut bad_user = string_session();
    bad_user.user.as_mut().unwrap().id = -5;
    assert!(matches!(
        write_opts(Format::PyrogramString, &bad_user),
        Err(InteropError::Unwritable { .. })
    ));
    let mut bad_api = string_session();
    bad_api.api_id = Some(-1);
    assert!(matches!(
        write_opts(Format::PyrogramString, &bad_api),
        Err(InteropError::Unwritable { .. })
    ));
}

#[test]
fn the_string_writer_reports_everything_it_drops() {
    let mut session = full_session();
    session.dcs[0].ipv4 = Some("10.1.2.3:8443".parse().unwrap());
    let written = write_opts(Format::PyrogramString, &session).unwrap();
    assert_mentions(
        &written.dropped,
        &[
            "address 10.1.2.3:8443 of DC 2",
            "IPv6 address of DC 2",
            "auth key of DC 4",
            "address of DC 4",
            "logged-in user's DC (4)",
            "logged-in user's username",
            "update state",
            "cached peers",
            "takeout id",
        ],
    );
    assert_mentions(&written.dropped, &DROPPED_BY_ALL);
    assert!(!mentions(&written.dropped, "api id"));
    let again = read(Format::PyrogramString, &written.bytes)
        .unwrap()
        .session;
    assert_eq!(again.home_auth_key(), Some(&vector_key()));
    assert_eq!(
        again.dcs[0].ipv4,
        Some("149.154.167.51:443".parse().unwrap())
    );
}

proptest! {
    #[test]
    fn string_truncations_and_mutations_never_panic(cut in 0usize..400, changes in edits()) {
        let vector = STRING.trim_end().as_bytes();
        check_string(&vector[..cut.min(vector.len())]);
        check_string(&mutate(vector, &changes));
        let written = write_opts(Format::PyrogramString, &full_session()).unwrap();
        check_string(&mutate(&written.bytes, &changes));
    }

    #[test]
    fn sqlite_truncations_and_mutations_never_panic(cut in 0usize..SQLITE.len(), changes in edits()) {
        check_sqlite(&SQLITE[..cut]);
        check_sqlite(&mutate(SQLITE, &changes));
        let written = write_opts(Format::PyrogramSqlite, &full_session()).unwrap();
        check_sqlite(&mutate(&written.bytes, &changes));
    }
}

/// Reads `bytes` as both string formats: an error of the input kind, or a plausible session that writes
/// back and reads again unchanged.
fn check_string(bytes: &[u8]) {
    for format in [Format::PyrogramString, Format::Pyrogram1String] {
        match read(format, bytes) {
            Err(err) => assert_input_error(&err),
            Ok(imported) => {
                assert_plausible(&imported.session);
                if format == Format::PyrogramString {
                    let written = write_opts(format, &imported.session).unwrap();
                    assert_eq!(
                        read(format, &written.bytes).unwrap().session,
                        imported.session
                    );
                }
            }
        }
    }
}

/// Reads `bytes` as a Pyrogram file: an error of the input kind, or a plausible session that writes back
/// (unless it lacks the api id or user a written file needs).
fn check_sqlite(bytes: &[u8]) {
    match read(Format::PyrogramSqlite, bytes) {
        Err(err) => assert_input_error(&err),
        Ok(imported) => {
            assert_plausible(&imported.session);
            // A file Pyrogram made before logging in (NULL api id or user) reads but cannot be written.
            match write_opts(Format::PyrogramSqlite, &imported.session) {
                Ok(written) => assert_plausible(
                    &read(Format::PyrogramSqlite, &written.bytes)
                        .unwrap()
                        .session,
                ),
                Err(InteropError::MissingField { .. }) => {
                    assert!(imported.session.api_id.is_none() || imported.session.user.is_none())
                }
                Err(err) => panic!("a session read from a file does not write back: {err}"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// SQLite files
// ---------------------------------------------------------------------------------------------------------

#[test]
fn the_sqlite_vector_reads_as_the_session_pyrogram_was_given() {
    let imported = read(Format::PyrogramSqlite, SQLITE).unwrap();
    assert_eq!(imported.session, sqlite_session());
    assert_mentions(
        &imported.dropped,
        &["sessions.date", "last-update times of 4 peers"],
    );
    assert_eq!(imported.dropped.len(), 2, "{:?}", imported.dropped);
    assert_eq!(detect(SQLITE).unwrap(), Format::PyrogramSqlite);
}

/// The file's schema (every table, index and trigger, as SQL text) and rows, with `last_update_on` left out.
fn dump(bytes: &[u8]) -> Vec<String> {
    let mut db = Connection::open_in_memory().unwrap();
    db.deserialize_read_exact(MAIN_DB, bytes, bytes.len(), true)
        .unwrap();
    let mut lines = Vec::new();
    let queries = [
        "SELECT type || ' ' || name || ' ' || sql FROM sqlite_master ORDER BY name",
        "SELECT 'version ' || number FROM version",
        "SELECT 'session ' || dc_id || ' ' || api_id || ' ' || test_mode || ' ' || hex(auth_key) || ' ' || \
         user_id || ' ' || is_bot FROM sessions",
        "SELECT 'peer ' || id || ' ' || access_hash || ' ' || type || ' ' || ifnull(username, '-') || ' ' || \
         ifnull(phone_number, '-') FROM peers ORDER BY id",
    ];
    for sql in queries {
        let mut statement = db.prepare(sql).unwrap();
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .unwrap();
        lines.extend(rows.map(Result::unwrap));
    }
    lines
}

/// The current Unix time in seconds.
fn unix_now() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

/// `sessions.date` and every `peers.last_update_on` of a file, which [`dump`] leaves out.
fn times(bytes: &[u8]) -> Vec<i64> {
    let mut db = Connection::open_in_memory().unwrap();
    db.deserialize_read_exact(MAIN_DB, bytes, bytes.len(), true)
        .unwrap();
    let mut statement = db
        .prepare("SELECT date FROM sessions UNION ALL SELECT last_update_on FROM peers")
        .unwrap();
    let times = statement.query_map([], |row| row.get(0)).unwrap();
    times.map(Result::unwrap).collect()
}

#[test]
fn the_sqlite_writer_reproduces_pyrogram_s_schema_and_rows() {
    let imported = read(Format::PyrogramSqlite, SQLITE).unwrap();
    let before = unix_now();
    let written = write_opts(Format::PyrogramSqlite, &imported.session).unwrap();
    let after = unix_now();
    assert!(written.dropped.is_empty(), "{:?}", written.dropped);
    assert_eq!(dump(&written.bytes), dump(SQLITE));
    // Like Pyrogram, the writer stamps the session and every peer with the time of saving: Pyrogram takes a
    // username whose peer row is more than eight hours old for expired.
    let stamps = times(&written.bytes);
    assert_eq!(stamps.len(), 1 + 4, "{stamps:?}");
    for stamp in stamps {
        assert!(
            (before - 5..=after + 5).contains(&stamp),
            "{stamp} is not the time of writing ({before} to {after})"
        );
    }
    let again = read(Format::PyrogramSqlite, &written.bytes).unwrap();
    assert_eq!(again.session, imported.session);
    assert_eq!(
        again.dropped, imported.dropped,
        "the times, as in the vector"
    );
    let rewritten = write_opts(Format::PyrogramSqlite, &again.session).unwrap();
    assert_eq!(
        dump(&rewritten.bytes),
        dump(&written.bytes),
        "only the times depend on when the file is written"
    );
}

#[test]
fn a_string_session_becomes_a_file_and_back() {
    let from_string = read(Format::PyrogramString, STRING.as_bytes())
        .unwrap()
        .session;
    let file = write_opts(Format::PyrogramSqlite, &from_string).unwrap();
    let from_file = read(Format::PyrogramSqlite, &file.bytes).unwrap().session;
    assert_eq!(from_file, from_string);
    let string = write_opts(Format::PyrogramString, &from_file).unwrap();
    assert_eq!(&string.bytes[..], STRING.trim_end().as_bytes());
}

#[test]
fn the_sqlite_writer_needs_the_api_id_and_the_user() {
    let mut session = Session::new();
    session.home_dc = Some(5);
    let mut dc = DcEntry::new(5);
    dc.ipv4 = Some("91.108.56.130:443".parse().unwrap());
    session.dcs.push(dc);
    let missing = |session: &Session| match write_opts(Format::PyrogramSqlite, session) {
        Err(InteropError::MissingField { field, .. }) => field,
        other => panic!("expected MissingField, got {other:?}"),
    };
    assert_eq!(missing(&session), "api id");
    session.api_id = Some(12345);
    assert_eq!(missing(&session), "logged-in user");
    session.user = Some(User {
        id: 42,
        bot: true,
        username: None,
        dc: None,
    });
    let written = write_opts(Format::PyrogramSqlite, &session).unwrap();
    let again = read(Format::PyrogramSqlite, &written.bytes)
        .unwrap()
        .session;
    assert_eq!(again, session);
}

#[test]
fn the_sqlite_writer_reports_what_its_peers_table_cannot_hold() {
    let mut session = full_session();
    let extra = [
        (
            PeerId::User(5),
            Peer {
                kind: PeerKind::User,
                access_hash: Some(1),
                min: true,
                ..Peer::default()
            },
        ),
        (
            PeerId::User(6),
            Peer {
                kind: PeerKind::User,
                ..Peer::default()
            },
        ),
        (
            PeerId::Channel(7),
            Peer {
                kind: PeerKind::Channel,
                access_hash: Some(2),
                ..Peer::default()
            },
        ),
        (
            PeerId::Channel(8),
            Peer {
                kind: PeerKind::Gigagroup,
                access_hash: Some(3),
                ..Peer::default()
            },
        ),
        (
            PeerId::Chat(2_000_000_000_000),
            Peer {
                kind: PeerKind::Chat,
                ..Peer::default()
            },
        ),
        (
            PeerId::Chat(9),
            Peer {
                kind: PeerKind::Chat,
                access_hash: Some(4),
                ..Peer::default()
            },
        ),
        (
            PeerId::User(10),
            Peer {
                kind: PeerKind::User,
                access_hash: Some(5),
                username: Some("Carol".into()),
                phone: Some("555 1234".into()),
                ..Peer::default()
            },
        ),
    ];
    for (id, peer) in extra {
        session.peers.insert(id, peer);
    }
    let written = write_opts(Format::PyrogramSqlite, &session).unwrap();
    assert_mentions(
        &written.dropped,
        &[
            "1 peers with min access hashes",
            "1 users and channels without an access hash",
            "1 channels of unknown subtype",
            "1 gigagroup subtypes",
            "1 peers whose ids have no marked",
            "1 access hashes of basic groups",
            "1 phone numbers that are not digits",
            "1 letter case of usernames",
            "update state",
            "auth key of DC 4",
            "IPv6 address of DC 2",
            "logged-in user's DC (4)",
        ],
    );
    let again = read(Format::PyrogramSqlite, &written.bytes)
        .unwrap()
        .session;
    assert_eq!(again.peers.len(), session.peers.len() - 3);
    assert_eq!(
        again.peers.get(&PeerId::Channel(7)).unwrap().kind,
        PeerKind::Broadcast
    );
    assert_eq!(
        again.peers.get(&PeerId::Channel(8)).unwrap().kind,
        PeerKind::Megagroup
    );
    let carol = again.peers.get(&PeerId::User(10)).unwrap();
    assert_eq!(
        (carol.username.as_deref(), carol.phone.as_deref()),
        (Some("carol"), None)
    );

    let mut wrong_class = Session::new();
    wrong_class.api_id = Some(12345);
    wrong_class.user = session.user.clone();
    wrong_class.home_dc = Some(2);
    wrong_class.dcs.push(vector_dc());
    wrong_class.peers.insert(
        PeerId::User(1),
        Peer {
            kind: PeerKind::Megagroup,
            ..Peer::default()
        },
    );
    assert!(matches!(
        write_opts(Format::PyrogramSqlite, &wrong_class),
        Err(InteropError::Unwritable { .. })
    ));
}

/// A Kurigram (schema 7) file: its own address, a `usernames` table and an update state.
fn kurigram_file(extra_sql: &str) -> Vec<u8> {
    let mut db = Connection::open_in_memory().unwrap();
    db.execute_batch(
        "CREATE TABLE sessions (dc_id INTEGER PRIMARY KEY, server_address TEXT, port INTEGER, api_id INTEGER,
             test_mode INTEGER, auth_key BLOB, date INTEGER NOT NULL, user_id INTEGER, is_bot INTEGER);
         CREATE TABLE peers (id INTEGER PRIMARY KEY, access_hash INTEGER, type INTEGER NOT NULL,
             phone_number TEXT, last_update_on INTEGER NOT NULL DEFAULT 0);
         CREATE TABLE usernames (id INTEGER, username TEXT);
         CREATE TABLE update_state (id INTEGER PRIMARY KEY, pts INTEGER, qts INTEGER, date INTEGER, seq INTEGER);
         CREATE TABLE version (number INTEGER PRIMARY KEY);
         INSERT INTO version VALUES (7);
         INSERT INTO peers VALUES (123456789, -1111111111111111111, 'user', '+15550001111', 0);
         INSERT INTO peers VALUES (-1001234567890, -3333333333333333333, 'supergroup', NULL, 0);
         INSERT INTO usernames VALUES (123456789, 'alice_test');
         INSERT INTO usernames VALUES (123456789, 'alice_alt');
         INSERT INTO usernames VALUES (-1001234567890, 'mygroup');
         INSERT INTO usernames VALUES (42, 'nobody');
         INSERT INTO update_state VALUES (0, 100, 7, 1700000000, 42);
         INSERT INTO update_state VALUES (1234567890, 555, NULL, NULL, NULL);",
    )
    .unwrap();
    db.execute(
        "INSERT INTO sessions VALUES (2, '2001:67c:4e8:f002::a', 443, 12345, 0, ?1, 1700000000, 123456789, 0)",
        [&key_bytes()],
    )
    .unwrap();
    db.execute_batch(extra_sql).unwrap();
    db.serialize(MAIN_DB).unwrap().to_vec()
}

#[test]
fn a_kurigram_file_reads_with_its_address_usernames_and_update_state() {
    let imported = read(Format::PyrogramSqlite, &kurigram_file("")).unwrap();
    let session = imported.session;
    assert_eq!(session.home_dc, Some(2));
    assert_eq!(session.dcs.len(), 1);
    assert_eq!(session.dcs[0].ipv4, None);
    assert_eq!(
        session.dcs[0].ipv6,
        Some("[2001:67c:4e8:f002::a]:443".parse().unwrap())
    );
    assert_eq!(session.home_auth_key(), Some(&vector_key()));
    let alice = session.peers.get(&PeerId::User(123_456_789)).unwrap();
    assert_eq!(alice.username.as_deref(), Some("alice_test"));
    assert_eq!(alice.phone.as_deref(), Some("15550001111"));
    let group = session.peers.get(&PeerId::Channel(1_234_567_890)).unwrap();
    assert_eq!(
        (group.kind, group.username.as_deref()),
        (PeerKind::Megagroup, Some("mygroup"))
    );
    assert_eq!(
        session.update_state,
        Some(UpdateState {
            pts: 100,
            qts: 7,
            date: 1_700_000_000,
            seq: 42,
            channels: [(1_234_567_890, 555)].into_iter().collect(),
        })
    );
    assert_mentions(
        &imported.dropped,
        &[
            "sessions.date",
            "1 usernames beyond",
            "1 usernames of ids missing",
        ],
    );
    // Written as Pyrogram 2.0, the IPv6 address and update state are reported lost.
    let written = write_opts(Format::PyrogramSqlite, &session).unwrap();
    assert_mentions(&written.dropped, &["IPv6 address of DC 2", "update state"]);
}

#[test]
fn kurigram_update_state_may_name_channels_by_marked_id() {
    let bytes = kurigram_file("UPDATE update_state SET id = -1001234567890 WHERE id = 1234567890;");
    let state = read(Format::PyrogramSqlite, &bytes)
        .unwrap()
        .session
        .update_state
        .unwrap();
    assert_eq!(state.channels.get(&1_234_567_890), Some(&555));
    let twice = kurigram_file("INSERT INTO update_state VALUES (-1001234567890, 1, 0, 0, 0);");
    assert!(read(Format::PyrogramSqlite, &twice).is_err());
}

#[test]
fn a_kurigram_address_must_be_one_a_client_can_connect_to() {
    let cases = [
        ("server_address = '0.0.0.0'", "0.0.0.0/8"),
        ("server_address = '::'", "unspecified"),
        ("server_address = '224.0.0.1'", "multicast"),
        ("server_address = '255.255.255.255'", "broadcast"),
        (
            "server_address = 'example.org'",
            "not an IPv4 or IPv6 address",
        ),
        (
            "server_address = '[2001:67c:4e8:f002::a]'",
            "not an IPv4 or IPv6 address",
        ),
        ("port = 0", "port 0"),
        ("port = 70000", "port 70000"),
        ("port = NULL", "both set or both NULL"),
    ];
    for (change, reason) in cases {
        let bytes = kurigram_file(&format!("UPDATE sessions SET {change};"));
        let err = read(Format::PyrogramSqlite, &bytes).unwrap_err();
        assert_input_error(&err);
        assert!(err.to_string().contains(reason), "{change}: {err}");
    }
    // A local test server is fine.
    let local = kurigram_file("UPDATE sessions SET server_address = '127.0.0.1', port = 8443;");
    let session = read(Format::PyrogramSqlite, &local).unwrap().session;
    assert_eq!(session.dcs[0].ipv4, Some("127.0.0.1:8443".parse().unwrap()));
}

#[test]
fn other_schema_versions_are_unsupported_and_named() {
    for version in [2, 4, 6, 8] {
        let bytes = kurigram_file(&format!("UPDATE version SET number = {version};"));
        match read(Format::PyrogramSqlite, &bytes) {
            Err(InteropError::Unsupported { format, reason }) => {
                assert_eq!(format, Format::PyrogramSqlite);
                assert!(reason.contains(&format!("version {version}")), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_schema_3_file_without_api_id_reads() {
    let mut db = Connection::open_in_memory().unwrap();
    db.execute_batch(
        "CREATE TABLE sessions (dc_id INTEGER PRIMARY KEY, test_mode INTEGER, auth_key BLOB,
             date INTEGER NOT NULL, user_id INTEGER, is_bot INTEGER);
         CREATE TABLE peers (id INTEGER PRIMARY KEY, access_hash INTEGER, type INTEGER NOT NULL,
             username TEXT, phone_number TEXT, last_update_on INTEGER NOT NULL DEFAULT 0);
         CREATE TABLE version (number INTEGER PRIMARY KEY);
         INSERT INTO version VALUES (3);
         INSERT INTO sessions VALUES (1, NULL, NULL, 0, 0, NULL);",
    )
    .unwrap();
    let bytes = db.serialize(MAIN_DB).unwrap().to_vec();
    let session = read(Format::PyrogramSqlite, &bytes).unwrap().session;
    assert_eq!(session.home_dc, Some(1));
    assert_eq!(
        session.dcs[0].ipv4,
        Some("149.154.175.53:443".parse().unwrap())
    );
    assert_eq!(
        (session.api_id, &session.user, session.test_mode),
        (None, &None, false)
    );
    assert_eq!(session.home_auth_key(), None);
}

/// The vector with `sql` applied.
fn altered_vector(sql: &str) -> Vec<u8> {
    let mut db = Connection::open_in_memory().unwrap();
    db.deserialize_read_exact(MAIN_DB, SQLITE, SQLITE.len(), false)
        .unwrap();
    db.execute_batch(sql).unwrap();
    db.serialize(MAIN_DB).unwrap().to_vec()
}

#[test]
fn malformed_files_are_refused_with_the_reason() {
    let cases = [
        (
            "UPDATE peers SET type = 'robot' WHERE id = 987654321",
            "unknown type",
        ),
        (
            "UPDATE peers SET type = 'channel' WHERE id = 987654321",
            "does not fit its id",
        ),
        (
            "UPDATE peers SET access_hash = 5 WHERE id = -4242",
            "basic group -4242 has an access hash",
        ),
        (
            "UPDATE peers SET phone_number = 'call me' WHERE id = 123456789",
            "not digits",
        ),
        (
            "INSERT INTO peers VALUES (-1000000000000, 1, 'channel', NULL, NULL, 0)",
            "not a marked peer id",
        ),
        (
            "UPDATE sessions SET auth_key = x'0102'",
            "auth key of 2 bytes",
        ),
        ("UPDATE sessions SET auth_key = 'text'", "not a blob"),
        ("UPDATE sessions SET dc_id = 9", "DC id 9"),
        (
            "UPDATE sessions SET test_mode = 1, dc_id = 5",
            "DC id 5 is not one of Telegram's test DCs",
        ),
        ("UPDATE sessions SET test_mode = 3", "test_mode is 3"),
        ("UPDATE sessions SET is_bot = -1", "is_bot is -1"),
        ("UPDATE sessions SET user_id = -7", "user id -7"),
        ("UPDATE sessions SET api_id = 0", "api id 0"),
        ("UPDATE sessions SET api_id = 'abc'", "cannot read"),
        (
            "INSERT INTO sessions VALUES (3, 1, 0, NULL, 0, NULL, NULL)",
            "several rows",
        ),
        ("DELETE FROM sessions", "sessions table is empty"),
        ("DELETE FROM version", "version table is empty"),
        ("DROP TABLE peers", "no `peers` table"),
        ("DROP TABLE version", "no `version` table"),
    ];
    for (sql, reason) in cases {
        let err = read(Format::PyrogramSqlite, &altered_vector(sql)).unwrap_err();
        assert_input_error(&err);
        assert!(err.to_string().contains(reason), "{sql}: {err}");
    }
    for bytes in [
        &b""[..],
        b"SQLite format 3\0",
        &SQLITE[..100],
        STRING.as_bytes(),
    ] {
        assert_input_error(&read(Format::PyrogramSqlite, bytes).unwrap_err());
    }
}

#[test]
fn a_zero_user_id_in_a_file_means_not_logged_in() {
    let bytes = altered_vector("UPDATE sessions SET user_id = 0, is_bot = NULL");
    let session = read(Format::PyrogramSqlite, &bytes).unwrap().session;
    assert_eq!(session.user, None);
    assert!(matches!(
        write_opts(Format::PyrogramString, &session),
        Err(InteropError::MissingField {
            field: "logged-in user",
            ..
        })
    ));
}
