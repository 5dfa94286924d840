//! Telethon 2 SQLite sessions (schema 10): the vector made by Telethon 2's own session code reads as the
//! vectors' account and writes back to the same rows, it is told apart from Telethon 1.x files, what it cannot
//! hold is reported, malformed databases are refused with the reason, and truncated or mutated files never
//! make the reader panic or return garbage.

mod support;

use proptest::prelude::*;
use rusqlite::{Connection, MAIN_DB};
use session_core::{AuthKey, DcEntry, Session, User};
use session_interop::{detect, read, write, Format, InteropError, WriteOptions};
use support::{
    assert_malformed, assert_mentions, assert_valid, full_session, vector_dc, vector_update_state,
    vector_user,
};

const VECTOR: &[u8] = include_bytes!("vectors/telethon2_v10.session");
const FORMAT: Format = Format::Telethon2Sqlite;

/// The vector's account: DC 2 with both addresses and the key, DC 4 by its address, the user (home DC 2,
/// username alice_test) and the update state.
fn vector_account() -> Session {
    let mut home = vector_dc();
    home.ipv6 = Some("[2001:67c:4e8:f002::a]:443".parse().unwrap());
    let mut other = DcEntry::new(4);
    other.ipv4 = Some("149.154.167.91:443".parse().unwrap());
    let mut session = Session::new();
    session.home_dc = Some(2);
    session.dcs = vec![home, other];
    session.user = Some(User {
        username: Some("alice_test".into()),
        dc: Some(2),
        ..vector_user()
    });
    session.update_state = Some(vector_update_state());
    session
}

fn write_file(session: &Session) -> session_interop::Exported {
    write(FORMAT, session, &WriteOptions::default()).unwrap()
}

fn open(bytes: &[u8]) -> Connection {
    let mut db = Connection::open_in_memory().unwrap();
    db.deserialize_read_exact(MAIN_DB, bytes, bytes.len(), false)
        .unwrap();
    db
}

/// `bytes` with `sql` applied.
fn edited(bytes: &[u8], sql: &str) -> Vec<u8> {
    let mut db = open(bytes);
    db.execute_batch(sql).unwrap();
    db.serialize(MAIN_DB).unwrap().to_vec()
}

/// The schema and every row, as text.
fn contents(bytes: &[u8]) -> Vec<String> {
    let db = open(bytes);
    let mut out: Vec<String> = Vec::new();
    for sql in [
        "SELECT type, name, sql FROM sqlite_master ORDER BY name",
        "SELECT * FROM version",
        "SELECT * FROM datacenter ORDER BY id",
        "SELECT * FROM user",
        "SELECT * FROM state",
        "SELECT * FROM channelstate ORDER BY id",
    ] {
        let mut statement = db.prepare(sql).unwrap();
        let columns = statement.column_count();
        let mut rows = statement.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            out.push(values.join(", "));
        }
    }
    out
}

#[test]
fn the_vector_reads_as_the_vectors_account() {
    let imported = read(FORMAT, VECTOR).unwrap();
    assert_eq!(imported.session, vector_account());
    assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);
    assert_eq!(detect(VECTOR).unwrap(), FORMAT);
}

#[test]
fn writing_what_was_read_gives_the_vectors_schema_and_rows() {
    let written = write_file(&vector_account());
    assert!(written.dropped.is_empty(), "{:?}", written.dropped);
    assert_eq!(contents(&written.bytes), contents(VECTOR));
}

#[test]
fn telethon_1_and_2_files_are_told_apart() {
    let telethon1 = include_bytes!("vectors/telethon_v8.session");
    assert_eq!(detect(telethon1).unwrap(), Format::TelethonSqlite);
    assert_malformed(read(FORMAT, telethon1), FORMAT, "no `datacenter` table");
    assert_malformed(
        read(Format::TelethonSqlite, VECTOR),
        Format::TelethonSqlite,
        "read it as telethon2-sqlite",
    );
    let version_11 = edited(VECTOR, "UPDATE version SET version = 11");
    assert!(matches!(
        read(FORMAT, &version_11),
        Err(InteropError::Unsupported { .. })
    ));
    assert!(matches!(
        detect(&version_11),
        Err(InteropError::Unsupported { .. })
    ));
}

#[test]
fn what_telethon_2_cannot_hold_is_reported() {
    let written = write_file(&full_session());
    assert_mentions(
        &written.dropped,
        &[
            "4 cached peers",
            "logged-in user's DC (4)",
            "api id",
            "takeout id",
            "temporary auth key of DC 2",
            "server salt of DC 2",
            "clock offset of DC 2",
            "flags of DC 2",
            "device info",
        ],
    );
    let back = read(FORMAT, &written.bytes).unwrap().session;
    assert_valid(&back);
    let user = back.user.unwrap();
    assert!(user.bot);
    assert_eq!(user.username.as_deref(), Some("alice_test"));
    assert_eq!((user.dc, back.home_dc), (Some(2), Some(2)));
    assert_eq!(back.dcs.len(), 2);
    assert_eq!(back.update_state, Some(vector_update_state()));

    // Without a user, Telethon 2 connects to DC 2: another home DC is reported, DC 2 reads back as home.
    let mut no_user = vector_account();
    no_user.user = None;
    let written = write_file(&no_user);
    assert!(written.dropped.is_empty(), "{:?}", written.dropped);
    assert_eq!(read(FORMAT, &written.bytes).unwrap().session, no_user);
    no_user.home_dc = Some(4);
    assert_mentions(&write_file(&no_user).dropped, &["home DC 4"]);
}

#[test]
fn sessions_telethon_2_cannot_hold_are_refused() {
    let mut homeless = vector_account();
    homeless.home_dc = None;
    homeless.user = Some(vector_user());
    assert!(matches!(
        write(FORMAT, &homeless, &WriteOptions::default()),
        Err(InteropError::MissingField { .. })
    ));
    let mut bad = vector_account();
    bad.dcs[1].ipv4 = Some("0.0.0.0:443".parse().unwrap());
    assert!(matches!(
        write(FORMAT, &bad, &WriteOptions::default()),
        Err(InteropError::Unwritable { .. })
    ));
}

#[test]
fn malformed_databases_are_refused_with_the_reason() {
    for (sql, reason) in [
        ("INSERT INTO version VALUES (12)", "2 rows"),
        (
            "UPDATE datacenter SET ipv4_addr = '2001:db8::1:443' WHERE id = 2",
            "not IPv4",
        ),
        (
            "UPDATE datacenter SET ipv6_addr = '149.154.167.51:443' WHERE id = 2",
            "not IPv6",
        ),
        (
            "UPDATE datacenter SET ipv4_addr = '0.0.0.0:443' WHERE id = 2",
            "0.0.0.0/8",
        ),
        (
            "UPDATE datacenter SET ipv4_addr = '149.154.167.51' WHERE id = 2",
            "not `ip:port`",
        ),
        (
            "UPDATE datacenter SET auth = x'01' WHERE id = 2",
            "an auth key of 1 bytes",
        ),
        (
            "UPDATE datacenter SET auth = 'key' WHERE id = 2",
            "not a blob",
        ),
        ("UPDATE datacenter SET id = 0 WHERE id = 4", "DC id 0"),
        ("UPDATE user SET bot = 2", "bot flag 2"),
        ("UPDATE user SET id = -1", "user id -1"),
        ("UPDATE user SET dc = 0", "DC id 0"),
        (
            "INSERT INTO user VALUES (5, 2, 0, NULL)",
            "2 rows in `user`",
        ),
        ("INSERT INTO state VALUES (1, 2, 3, 4)", "2 rows in `state`"),
        ("UPDATE state SET pts = 1 << 40", "beyond 32 bits"),
        (
            "INSERT INTO channelstate VALUES (-5, 1)",
            "not a channel id",
        ),
        (
            "CREATE TABLE entities (id integer)",
            "unexpected table `entities`",
        ),
        (
            "ALTER TABLE user ADD COLUMN phone text",
            "unexpected column `phone`",
        ),
    ] {
        assert_malformed(read(FORMAT, &edited(VECTOR, sql)), FORMAT, reason);
    }
}

#[test]
fn empty_keys_are_no_keys_and_channels_alone_are_a_state() {
    let bytes = edited(
        VECTOR,
        "UPDATE datacenter SET auth = x'' WHERE id = 2; DELETE FROM state;",
    );
    let session = read(FORMAT, &bytes).unwrap().session;
    assert_eq!(session.dcs[0].auth_key, None);
    let state = session.update_state.unwrap();
    assert_eq!((state.pts, state.channels.len()), (0, 1));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn sessions_telethon_2_holds_round_trip(
        ids in prop::collection::btree_set(1..=10_100i32, 1..4),
        key in prop::collection::vec(any::<u8>(), 256),
        ports in any::<[u16; 2]>(),
        user in prop::option::of((1..=(1i64 << 40) - 1, any::<bool>(), prop::option::of("[a-z]{5,10}"))),
    ) {
        let mut session = Session::new();
        for (index, id) in ids.into_iter().enumerate() {
            let mut dc = DcEntry::new(id);
            dc.ipv4 = Some(format!("149.154.167.{}:{}", index + 1, ports[0].max(1)).parse().unwrap());
            dc.ipv6 = Some(format!("[2001:db8::{}]:{}", index + 1, ports[1].max(1)).parse().unwrap());
            dc.auth_key = (index == 0).then(|| AuthKey::from_slice(&key)).flatten();
            session.dcs.push(dc);
        }
        session.home_dc = Some(session.dcs[0].id);
        session.user = user.map(|(id, bot, username)| User { id, bot, username, dc: session.home_dc });
        if session.user.is_none() && session.home_dc != Some(2) {
            session.home_dc = session.dcs.iter().any(|dc| dc.id == 2).then_some(2);
        }
        session.update_state = Some(vector_update_state());
        let written = write_file(&session);
        prop_assert!(written.dropped.is_empty(), "{:?}", written.dropped);
        prop_assert_eq!(read(FORMAT, &written.bytes).unwrap().session, session);
    }

    #[test]
    fn truncated_files_never_panic(cut in any::<prop::sample::Index>()) {
        if let Ok(imported) = read(FORMAT, &VECTOR[..cut.index(VECTOR.len())]) {
            assert_valid(&imported.session);
        }
    }

    #[test]
    fn mutated_files_never_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), 1..=255u8), 1..8)) {
        let mut bytes = VECTOR.to_vec();
        let len = bytes.len();
        for (at, xor) in flips {
            bytes[at.index(len)] ^= xor;
        }
        if let Ok(imported) = read(FORMAT, &bytes) {
            assert_valid(&imported.session);
        }
    }
}
