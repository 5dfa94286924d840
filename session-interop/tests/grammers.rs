//! grammers' two formats: the 0.11 `SqliteSession` (read and write, checked against a file grammers made) and
//! the ≤ 0.7 TL session file (read only; inputs built here from the TL schema, since no file exists).

mod support;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use proptest::prelude::*;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, MAIN_DB};
use session_core::{AuthKey, DcEntry, DcFlags, Peer, PeerId, PeerKind, UpdateState, User};
use session_interop::{read, read_any, write, Format, InteropError, Session, WriteOptions};
use support::{assert_valid, usable, vector_update_state};

const VECTOR: &[u8] = include_bytes!("vectors/grammers-session_0.11.0.sqlite");

/// The fake inputs of `vectors/README.md`.
fn key() -> AuthKey {
    AuthKey::new(std::array::from_fn(|i| i as u8))
}

fn ipv4() -> SocketAddrV4 {
    "149.154.167.51:443".parse().unwrap()
}

fn ipv6() -> SocketAddrV6 {
    "[2001:67c:4e8:f002::a]:443".parse().unwrap()
}

fn peer(kind: PeerKind, access_hash: Option<i64>) -> Peer {
    Peer {
        kind,
        access_hash,
        ..Peer::default()
    }
}

fn user(id: i64, bot: bool) -> User {
    User {
        id,
        bot,
        username: None,
        dc: None,
    }
}

/// What the grammers vector holds: grammers keeps no usernames or phones.
fn vector_session() -> Session {
    Session {
        home_dc: Some(2),
        dcs: vec![DcEntry {
            ipv4: Some(ipv4()),
            ipv6: Some(ipv6()),
            auth_key: Some(key()),
            ..DcEntry::new(2)
        }],
        user: Some(user(123_456_789, false)),
        update_state: Some(vector_update_state()),
        peers: [
            (
                PeerId::User(123_456_789),
                peer(PeerKind::User, Some(-1_111_111_111_111_111_111)),
            ),
            (
                PeerId::User(987_654_321),
                peer(PeerKind::Bot, Some(2_222_222_222_222_222_222)),
            ),
            (PeerId::Chat(4242), peer(PeerKind::Chat, None)),
            (
                PeerId::Channel(1_234_567_890),
                peer(PeerKind::Broadcast, Some(-3_333_333_333_333_333_333)),
            ),
        ]
        .into_iter()
        .collect(),
        ..Session::default()
    }
}

// ---------------------------------------------------------------------------------------------------------
// The SQLite format.
// ---------------------------------------------------------------------------------------------------------

/// Opens a database file's bytes for inspection or change.
fn open_db(bytes: &[u8]) -> Connection {
    let mut db = Connection::open_in_memory().unwrap();
    db.deserialize_read_exact(MAIN_DB, bytes, bytes.len(), false)
        .unwrap();
    db
}

/// The vector with `sql` applied.
fn vector_with(sql: &str) -> Vec<u8> {
    let mut db = open_db(VECTOR);
    db.execute_batch(sql).unwrap();
    db.serialize(MAIN_DB).unwrap().to_vec()
}

/// Everything a database holds, as text: its schema, `user_version` and every table's rows in key order.
fn contents(bytes: &[u8]) -> Vec<String> {
    let db = open_db(bytes);
    let mut out = Vec::new();
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    out.push(format!("user_version {version}"));
    let mut tables = db
        .prepare("SELECT name, sql FROM sqlite_master ORDER BY name")
        .unwrap();
    let tables: Vec<(String, String)> = tables
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (name, sql) in tables {
        out.push(sql);
        let mut rows = db
            .prepare(&format!("SELECT * FROM {name} ORDER BY 1"))
            .unwrap();
        let columns = rows.column_count();
        let mut query = rows.query([]).unwrap();
        while let Some(row) = query.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|i| value_text(row.get_ref(i).unwrap()))
                .collect();
            out.push(format!("{name}: {}", values.join(", ")));
        }
    }
    out
}

/// A column value as SQL-like text: `NULL`, `42`, `'text'`, `x'00ff'`.
fn value_text(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => "NULL".to_owned(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => r.to_string(),
        ValueRef::Text(t) => format!("'{}'", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!(
            "x'{}'",
            b.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
    }
}

fn write_sqlite(session: &Session) -> session_interop::Exported {
    write(Format::GrammersSqlite, session, &WriteOptions::default()).unwrap()
}

fn read_sqlite(bytes: &[u8]) -> Result<session_interop::Imported, InteropError> {
    read(Format::GrammersSqlite, bytes)
}

#[test]
fn the_vector_reads_as_the_fake_account() {
    let imported = read_sqlite(VECTOR).unwrap();
    assert_eq!(imported.session, vector_session());
    assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);
    assert_eq!(detect(VECTOR), Format::GrammersSqlite);
}

fn detect(bytes: &[u8]) -> Format {
    session_interop::detect(bytes).unwrap()
}

#[test]
fn writing_what_was_read_gives_the_vectors_tables_row_for_row() {
    let imported = read_sqlite(VECTOR).unwrap();
    let written = write_sqlite(&imported.session);
    assert!(written.dropped.is_empty(), "{:?}", written.dropped);
    let expected = contents(VECTOR);
    assert!(expected.len() > 10, "the vector has its rows: {expected:?}");
    assert_eq!(contents(&written.bytes), expected);
    assert_eq!(
        read_sqlite(&written.bytes).unwrap().session,
        imported.session
    );
}

/// Sessions that use everything grammers can keep, each of which must read back exactly.
fn keepable_sessions() -> Vec<Session> {
    let full = vector_session();
    let mut many_dcs = full.clone();
    many_dcs.dcs = vec![
        DcEntry {
            ipv4: Some("149.154.175.53:443".parse().unwrap()),
            ..DcEntry::new(1)
        },
        many_dcs.dcs[0].clone(),
        // IPv6 only: the writer puts 0.0.0.0 in the NOT NULL ipv4 column, which reads back as no address.
        DcEntry {
            ipv6: Some("[2001:b28:f23d:f001::a]:80".parse().unwrap()),
            auth_key: Some(AuthKey::new([9; 256])),
            ..DcEntry::new(3)
        },
        // No address at all, only a key.
        DcEntry {
            auth_key: Some(AuthKey::new([4; 256])),
            ..DcEntry::new(4)
        },
        DcEntry {
            ipv4: Some("149.154.171.5:5222".parse().unwrap()),
            ..DcEntry::new(10_002)
        },
    ];
    let mut kinds = full.clone();
    kinds.user = Some(user(777, true));
    kinds.peers = [
        (PeerId::User(1), peer(PeerKind::User, Some(1))),
        (PeerId::User(2), peer(PeerKind::User, None)),
        (PeerId::User(777), peer(PeerKind::Bot, Some(-5))),
        (PeerId::Chat(999_999_999_999), peer(PeerKind::Chat, None)),
        (PeerId::Channel(1), peer(PeerKind::Channel, Some(0))),
        (
            PeerId::Channel(2),
            peer(PeerKind::Megagroup, Some(i64::MIN)),
        ),
        (
            PeerId::Channel(3),
            peer(PeerKind::Gigagroup, Some(i64::MAX)),
        ),
        (PeerId::Channel(4), peer(PeerKind::Broadcast, None)),
    ]
    .into_iter()
    .collect();
    // The logged-in user need not be a cached peer.
    let mut self_not_cached = full.clone();
    self_not_cached.peers.remove(&PeerId::User(123_456_789));
    // Channel states without an account state read back with a zero account state.
    let mut channels_only = full.clone();
    channels_only.update_state = Some(UpdateState {
        channels: BTreeMap::from([(1, 2), (3, -4)]),
        ..UpdateState::default()
    });
    let empty = Session::default();
    vec![full, many_dcs, kinds, self_not_cached, channels_only, empty]
}

#[test]
fn sessions_grammers_can_hold_read_back_exactly_and_nothing_is_reported() {
    for session in keepable_sessions() {
        let written = write_sqlite(&session);
        assert!(written.dropped.is_empty(), "{:?}", written.dropped);
        let imported = read_sqlite(&written.bytes).unwrap();
        assert_eq!(imported.session, session);
        assert!(imported.dropped.is_empty());
        assert_eq!(detect(&written.bytes), Format::GrammersSqlite);
    }
}

#[test]
fn missing_addresses_are_written_as_unspecified_placeholders() {
    let session = &keepable_sessions()[1];
    let rows = contents(&write_sqlite(session).bytes);
    for row in [
        "dc_option: 3, '0.0.0.0:80', '[2001:b28:f23d:f001::a]:80', x'0909",
        "dc_option: 4, '0.0.0.0:443', '[::]:443', x'0404",
        "dc_option: 1, '149.154.175.53:443', '[::]:443', NULL",
    ] {
        assert!(rows.iter().any(|r| r.starts_with(row)), "{row}: {rows:#?}");
    }
}

#[test]
fn what_grammers_cannot_hold_is_reported() {
    let mut session = vector_session();
    session.test_mode = true;
    session.api_id = Some(12345);
    session.takeout_id = Some(1);
    session.created_at = Some(1);
    session.user = Some(User {
        username: Some("alice_test".into()),
        dc: Some(2),
        ..user(123_456_789, false)
    });
    session.dcs[0].server_salt = 5;
    session.dcs[0].time_offset = -3;
    session.dcs[0].flags = DcFlags {
        is_static: true,
        ..DcFlags::default()
    };
    session.dcs[0].ipv6 = Some(SocketAddrV6::new(ipv6().ip().to_owned(), 443, 0, 3));
    // A second entry for DC 2 with another address, which one row cannot hold.
    session.dcs.push(DcEntry {
        ipv4: Some("1.2.3.4:443".parse().unwrap()),
        ..DcEntry::new(2)
    });
    for (_, peer) in session.peers.iter_mut() {
        peer.username = Some("x".into());
        peer.min = true;
    }
    session.peers.insert(
        PeerId::User(123_456_789),
        Peer {
            phone: Some("15550001111".into()),
            ..peer(PeerKind::Bot, Some(1))
        },
    );
    session
        .peers
        .insert(PeerId::Chat(4242), peer(PeerKind::Chat, Some(77)));

    let written = write_sqlite(&session);
    let dropped: Vec<String> = written.dropped.iter().map(|d| d.what.clone()).collect();
    for expected in [
        "logged-in user's username",
        "logged-in user's DC (2)",
        "api id",
        "test-mode flag",
        "takeout id",
        "creation time",
        "server salt of DC 2",
        "clock offset of DC 2",
        "flags of DC 2",
        "1 addresses, keys, salts or clock offsets of repeated DC entries",
        "flow info and scope id of DC 2's IPv6 address",
        "usernames of 2 peers",
        "phone numbers of 1 peers",
        "min flags of 2 peers",
        "access hashes of 1 basic groups",
        "peer kind of the logged-in user's peer entry",
    ] {
        assert!(
            dropped.iter().any(|d| d == expected),
            "{expected} missing from {dropped:#?}"
        );
    }
    assert_eq!(dropped.len(), 16, "{dropped:#?}");

    // The logged-in user's peer entry without a hash adds nothing to the user: its row reads back as the
    // user only, which is reported.
    let mut hashless = vector_session();
    hashless
        .peers
        .insert(PeerId::User(123_456_789), peer(PeerKind::User, None));
    let written_hashless = write_sqlite(&hashless);
    assert_eq!(written_hashless.dropped.len(), 1);
    assert!(written_hashless.dropped[0].what.contains("no access hash"));
    // What was kept reads back.
    let back = read_sqlite(&written.bytes).unwrap().session;
    assert_eq!(back.dcs[0].ipv4, Some(ipv4()));
    assert_eq!(back.user, Some(user(123_456_789, false)));
    assert_eq!(
        back.peers.get(&PeerId::User(123_456_789)),
        Some(&peer(PeerKind::User, Some(1)))
    );
    assert_eq!(
        back.peers.get(&PeerId::Chat(4242)),
        Some(&peer(PeerKind::Chat, None))
    );
}

/// A change to a session, for tables of cases.
type Change = fn(&mut Session);

#[test]
fn values_grammers_cannot_represent_are_refused() {
    let cases: Vec<(&str, Change)> = vec![
        ("DC id 0", |s| s.dcs[0].id = 0),
        ("home DC 20000", |s| s.home_dc = Some(20_000)),
        ("port 0", |s| {
            s.dcs[0].ipv4 = Some("1.2.3.4:0".parse().unwrap())
        }),
        ("an address in 0.0.0.0/8", |s| {
            s.dcs[0].ipv4 = Some("0.1.2.3:443".parse().unwrap())
        }),
        // It would read back as no address at all.
        ("the unspecified address", |s| {
            s.dcs[0].ipv4 = Some("0.0.0.0:443".parse().unwrap())
        }),
        ("a multicast address", |s| {
            s.dcs[0].ipv6 = Some("[ff02::1]:443".parse().unwrap())
        }),
        ("a basic group id with no marked form", |s| {
            s.peers
                .insert(PeerId::Chat(1_000_000_000_000), peer(PeerKind::Chat, None));
        }),
        ("the placeholder id", |s| {
            s.peers
                .insert(PeerId::User(1 << 40), peer(PeerKind::User, Some(1)));
        }),
        ("a user id of 0", |s| s.user = Some(user(0, false))),
        ("a kind of another class", |s| {
            s.peers
                .insert(PeerId::User(5), peer(PeerKind::Megagroup, Some(1)));
        }),
        ("a negative channel id", |s| {
            if let Some(state) = &mut s.update_state {
                state.channels.insert(-5, 1);
            }
        }),
    ];
    for (name, change) in cases {
        let mut session = vector_session();
        change(&mut session);
        match write(Format::GrammersSqlite, &session, &WriteOptions::default()) {
            Err(InteropError::Unwritable { format, .. }) => {
                assert_eq!(format, Format::GrammersSqlite, "{name}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn other_versions_are_unsupported_and_name_the_version() {
    let bytes = vector_with("PRAGMA user_version = 2;");
    match read_sqlite(&bytes) {
        Err(err @ InteropError::Unsupported { .. }) => {
            assert!(err.to_string().contains("user_version 2"), "{err}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        read_any(&bytes),
        Err(InteropError::Unsupported { .. })
    ));
}

#[test]
fn malformed_databases_are_refused() {
    let cases = [
        ("no peer_info", "DROP TABLE peer_info;"),
        ("no channel_state", "DROP TABLE channel_state;"),
        ("two home DCs", "INSERT INTO dc_home VALUES (4);"),
        ("home DC 0", "UPDATE dc_home SET dc_id = 0;"),
        ("DC id 0", "UPDATE dc_option SET dc_id = 0;"),
        ("a bad address", "UPDATE dc_option SET ipv4 = 'nowhere';"),
        ("port 0", "UPDATE dc_option SET ipv4 = '1.2.3.4:0';"),
        (
            "an address in 0.0.0.0/8",
            "UPDATE dc_option SET ipv4 = '0.1.2.3:443';",
        ),
        (
            "the broadcast address",
            "UPDATE dc_option SET ipv4 = '255.255.255.255:443';",
        ),
        (
            "a multicast address",
            "UPDATE dc_option SET ipv6 = '[ff02::1]:443';",
        ),
        ("IPv4 in ipv6", "UPDATE dc_option SET ipv6 = '1.2.3.4:443';"),
        ("IPv6 in ipv4", "UPDATE dc_option SET ipv4 = '[::1]:443';"),
        ("an address as a number", "UPDATE dc_option SET ipv4 = 5;"),
        (
            "a short key",
            "UPDATE dc_option SET auth_key = substr(auth_key, 2);",
        ),
        ("a key as text", "UPDATE dc_option SET auth_key = 'key';"),
        (
            "peer id 0",
            "UPDATE peer_info SET peer_id = 0 WHERE peer_id = 4242 * -1;",
        ),
        (
            "a gap id",
            "UPDATE peer_info SET peer_id = -1000000000000 WHERE peer_id = -4242;",
        ),
        (
            "a hash as text",
            "UPDATE peer_info SET hash = 'x' WHERE peer_id = 987654321;",
        ),
        (
            "a group with a hash",
            "UPDATE peer_info SET hash = 5 WHERE peer_id = -4242;",
        ),
        (
            "a group marked as self",
            "UPDATE peer_info SET subtype = 1 WHERE peer_id = -4242;",
        ),
        (
            "a megagroup user",
            "UPDATE peer_info SET subtype = 4 WHERE peer_id = 987654321;",
        ),
        (
            "a bot channel",
            "UPDATE peer_info SET subtype = 2 WHERE peer_id = -1001234567890;",
        ),
        (
            "two self rows",
            "UPDATE peer_info SET subtype = 3 WHERE peer_id = 987654321;",
        ),
        (
            "two update states",
            "INSERT INTO update_state VALUES (1, 2, 3, 4);",
        ),
        ("a pts beyond i32", "UPDATE update_state SET pts = 1 << 40;"),
        ("a channel id of 0", "UPDATE channel_state SET peer_id = 0;"),
    ];
    for (name, sql) in cases {
        match read_sqlite(&vector_with(sql)) {
            Err(InteropError::Malformed { format, reason }) => {
                assert_eq!(format, Format::GrammersSqlite, "{name}");
                assert!(!reason.contains("0001020304"), "{name}: {reason}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    for (name, bytes) in [
        ("not SQLite", &b"hello"[..]),
        ("Telethon", include_bytes!("vectors/telethon_v8.session")),
        (
            "Pyrogram",
            include_bytes!("vectors/pyrogram_2.0.106.session"),
        ),
    ] {
        assert!(
            matches!(read_sqlite(bytes), Err(InteropError::Malformed { .. })),
            "{name}"
        );
    }
}

#[test]
fn the_self_placeholder_row_is_reported_and_a_hashless_self_row_is_only_the_user() {
    let bytes = vector_with(
        "INSERT INTO peer_info VALUES (1 << 40, 5, 1);
         UPDATE peer_info SET hash = NULL WHERE peer_id = 123456789;",
    );
    let imported = read_sqlite(&bytes).unwrap();
    assert_eq!(imported.dropped.len(), 1, "{:?}", imported.dropped);
    assert!(imported.dropped[0].what.contains("2^40"));
    let mut expected = vector_session();
    expected.peers.remove(&PeerId::User(123_456_789));
    assert_eq!(imported.session, expected);
}

#[test]
fn null_and_zero_subtypes_are_plain_users_and_channels_of_unknown_kind() {
    let bytes = vector_with(
        "UPDATE peer_info SET subtype = NULL WHERE peer_id = 987654321;
         UPDATE peer_info SET subtype = 0 WHERE peer_id = -1001234567890;
         UPDATE peer_info SET subtype = 0 WHERE peer_id = -4242;",
    );
    let session = read_sqlite(&bytes).unwrap().session;
    assert_eq!(
        session.peers[&PeerId::User(987_654_321)].kind,
        PeerKind::User
    );
    assert_eq!(
        session.peers[&PeerId::Channel(1_234_567_890)].kind,
        PeerKind::Channel
    );
    assert_eq!(session.peers[&PeerId::Chat(4242)].kind, PeerKind::Chat);
}

// ---------------------------------------------------------------------------------------------------------
// The TL format (grammers ≤ 0.7).
// ---------------------------------------------------------------------------------------------------------

/// A little TL writer, from the schema in FORMATS.md.
mod tl {
    pub(crate) const SESSION: u32 = 0xa73e_b8ce;
    pub(crate) const DATA_CENTER: u32 = 0x756d_16b6;
    pub(crate) const USER: u32 = 0x672f_428d;
    pub(crate) const UPDATE_STATE: u32 = 0xd0ca_dcc1;
    pub(crate) const CHANNEL_STATE: u32 = 0xc2b0_f8cd;
    pub(crate) const VECTOR: u32 = 0x1cb5_c415;
    pub(crate) const BOOL_TRUE: u32 = 0x9972_75b5;
    pub(crate) const BOOL_FALSE: u32 = 0xbc79_9737;

    #[derive(Default)]
    pub(crate) struct Writer(pub(crate) Vec<u8>);

    impl Writer {
        pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
            self.0.extend_from_slice(&v.to_le_bytes());
            self
        }

        pub(crate) fn i32(&mut self, v: i32) -> &mut Self {
            self.0.extend_from_slice(&v.to_le_bytes());
            self
        }

        pub(crate) fn i64(&mut self, v: i64) -> &mut Self {
            self.0.extend_from_slice(&v.to_le_bytes());
            self
        }

        pub(crate) fn raw(&mut self, bytes: &[u8]) -> &mut Self {
            self.0.extend_from_slice(bytes);
            self
        }

        pub(crate) fn bool(&mut self, v: bool) -> &mut Self {
            self.u32(if v { BOOL_TRUE } else { BOOL_FALSE })
        }

        /// TL `bytes`: short or long length form, zero padding to a multiple of 4.
        pub(crate) fn bytes(&mut self, data: &[u8]) -> &mut Self {
            let header = if data.len() < 254 {
                self.0.push(data.len() as u8);
                1
            } else {
                self.0.push(254);
                self.0
                    .extend_from_slice(&(data.len() as u32).to_le_bytes()[..3]);
                4
            };
            self.0.extend_from_slice(data);
            let padding = (4 - (header + data.len()) % 4) % 4;
            self.0.extend(std::iter::repeat_n(0, padding));
            self
        }

        pub(crate) fn vector(&mut self, count: u32) -> &mut Self {
            self.u32(VECTOR).u32(count)
        }
    }

    /// One `dataCenter`. IPv4: the four octets `a.b.c.d` in this order in the file (network order), which
    /// is the little-endian `int` `i32::from_le_bytes([a, b, c, d])`. IPv6: the 16 octets in order.
    pub(crate) fn data_center(
        w: &mut Writer,
        id: i32,
        ipv4: Option<[u8; 4]>,
        ipv6: Option<[u8; 16]>,
        port: i32,
        key: Option<&[u8]>,
    ) {
        let flags = u32::from(ipv4.is_some())
            | u32::from(ipv6.is_some()) << 1
            | u32::from(key.is_some()) << 2;
        w.u32(DATA_CENTER).u32(flags).i32(id);
        if let Some(ip) = ipv4 {
            w.i32(i32::from_le_bytes(ip));
        }
        if let Some(ip) = ipv6 {
            w.raw(&ip);
        }
        w.i32(port);
        if let Some(key) = key {
            w.bytes(key);
        }
    }
}

/// A TL session: DC 2 (IPv4 + IPv6, port 443, the key), DC 4 (IPv4 only, no key), the user and the state.
fn tl_sample(user: Option<(i64, i32, bool)>, state: bool) -> Vec<u8> {
    let mut w = tl::Writer::default();
    let flags = u32::from(user.is_some()) | u32::from(state) << 1;
    w.u32(tl::SESSION).u32(flags).vector(2);
    let key: Vec<u8> = (0..=255).collect();
    tl::data_center(
        &mut w,
        2,
        Some([149, 154, 167, 51]),
        Some(ipv6().ip().octets()),
        443,
        Some(&key),
    );
    tl::data_center(&mut w, 4, Some([149, 154, 167, 91]), None, 443, None);
    if let Some((id, dc, bot)) = user {
        w.u32(tl::USER).i64(id).i32(dc).bool(bot);
    }
    if state {
        w.u32(tl::UPDATE_STATE)
            .i32(100)
            .i32(7)
            .i32(1_700_000_000)
            .i32(42);
        w.vector(1)
            .u32(tl::CHANNEL_STATE)
            .i64(1_234_567_890)
            .i32(555);
    }
    w.0
}

fn tl_expected(user: Option<(i64, i32, bool)>, state: bool) -> Session {
    Session {
        home_dc: user.map(|(_, dc, _)| dc),
        dcs: vec![
            DcEntry {
                ipv4: Some(ipv4()),
                ipv6: Some(ipv6()),
                auth_key: Some(key()),
                ..DcEntry::new(2)
            },
            DcEntry {
                ipv4: Some("149.154.167.91:443".parse().unwrap()),
                ..DcEntry::new(4)
            },
        ],
        user: user.map(|(id, dc, bot)| User {
            dc: Some(dc),
            ..self::user(id, bot)
        }),
        update_state: state.then(vector_update_state),
        ..Session::default()
    }
}

fn read_tl(bytes: &[u8]) -> Result<session_interop::Imported, InteropError> {
    read(Format::GrammersTl, bytes)
}

#[test]
fn a_tl_session_reads_with_its_dcs_user_and_vector_update_state() {
    let me = Some((123_456_789, 2, false));
    let bytes = tl_sample(me, true);
    // The IPv4 address is in the file as its octets in network order: 149 154 167 51.
    let at = 4 + 4 + 8 + 4 + 4 + 4;
    assert_eq!(bytes[at..at + 4], [0x95, 0x9a, 0xa7, 0x33]);
    let imported = read_tl(&bytes).unwrap();
    assert_eq!(imported.session, tl_expected(me, true));
    assert!(imported.dropped.is_empty());
    assert_eq!(
        imported.session.home_auth_key().unwrap().id().to_string(),
        "32d1586ea457dfc8"
    );
    assert_eq!(read_any(&bytes).unwrap().0, Format::GrammersTl);
    // What grammers 0.11 can hold of it writes and reads back (the user's DC is reported).
    let written = write_sqlite(&imported.session);
    assert_eq!(written.dropped.len(), 1, "{:?}", written.dropped);
    let back = read_sqlite(&written.bytes).unwrap().session;
    assert_eq!(back.dcs, imported.session.dcs);
    assert_eq!(back.user, Some(user(123_456_789, false)));
}

#[test]
fn tl_sessions_without_user_or_state_and_bot_sessions() {
    for (user, state) in [
        (None, false),
        (None, true),
        (Some((42, 4, true)), false),
        (Some((1, 10_002, false)), true),
    ] {
        let session = read_tl(&tl_sample(user, state)).unwrap().session;
        assert_eq!(session, tl_expected(user, state), "{user:?} {state}");
    }
}

#[test]
fn a_tl_session_with_no_dcs_is_empty() {
    let mut w = tl::Writer::default();
    w.u32(tl::SESSION).u32(0).vector(0);
    assert_eq!(read_tl(&w.0).unwrap().session, Session::default());
}

/// A session of one DC (id 2, IPv4 only unless `addresses` is false, port 443) with `key`.
fn tl_one_dc(addresses: bool, key: Option<&[u8]>) -> Vec<u8> {
    let mut w = tl::Writer::default();
    w.u32(tl::SESSION).u32(0).vector(1);
    let ipv4 = addresses.then_some([1, 2, 3, 4]);
    tl::data_center(&mut w, 2, ipv4, None, 443, key);
    w.0
}

/// `sample` with the bytes at `at` replaced by `with`.
fn patched(at: usize, with: &[u8]) -> Vec<u8> {
    let mut bytes = tl_sample(Some((123_456_789, 2, false)), true);
    bytes[at..at + with.len()].copy_from_slice(with);
    bytes
}

#[test]
fn malformed_tl_sessions_are_refused() {
    let sample = tl_sample(Some((123_456_789, 2, false)), true);
    // Offsets in the sample: session ctor 0, flags 4, vector 8, count 12, DC 2 at 16 (ctor, flags 20, id 24,
    // ipv4 28, ipv6 32, port 48, key 52..312), DC 4 at 312 (flags 316, id 320, ipv4 324, port 328), user at
    // 332 (id 336, dc 344, bool 348), state at 352 (pts 356 .. seq 368, vector 372, count 376, channel ctor
    // 380, id 384, pts 392), end 396.
    assert_eq!(sample.len(), 396);
    let mut trailing = sample.clone();
    trailing.push(0);
    // A 253-byte short-form string is followed by 2 padding bytes, which must be zero.
    let mut nonzero_padding = tl_one_dc(true, Some(&[7; 253]));
    let last = nonzero_padding.len() - 1;
    nonzero_padding[last] = 1;

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("wrong session constructor", patched(0, &[0; 4])),
        ("unknown session flag", patched(4, &[4, 0, 0, 0])),
        ("not a Vector", patched(8, &[0; 4])),
        ("absurd count", patched(12, &[0xff; 4])),
        ("count one too many", patched(12, &[3, 0, 0, 0])),
        ("wrong DC constructor", patched(16, &[0; 4])),
        ("unknown DC flag", patched(20, &[0x0f, 0, 0, 0])),
        ("DC id 0", patched(24, &[0; 4])),
        ("port 0", patched(48, &[0; 4])),
        ("an IPv4 address in 0.0.0.0/8", patched(28, &[0, 1, 2, 3])),
        ("the IPv4 broadcast address", patched(28, &[0xff; 4])),
        ("a multicast IPv6 address", patched(32, &[0xff; 16])),
        ("the unspecified IPv6 address", patched(32, &[0; 16])),
        ("port 65536", patched(48, &[0, 0, 1, 0])),
        ("negative port", patched(48, &[0xff; 4])),
        ("length byte 255", patched(52, &[255])),
        (
            "a key length running into the next DC",
            patched(52, &[254, 255, 0, 0]),
        ),
        ("DC with no address", tl_one_dc(false, None)),
        ("short-form key", tl_one_dc(true, Some(&[7; 200]))),
        ("key of 257 bytes", tl_one_dc(true, Some(&[7; 257]))),
        ("the same DC twice", patched(320, &[2, 0, 0, 0])),
        ("wrong user constructor", patched(332, &[0; 4])),
        ("user id 0", patched(336, &[0; 8])),
        ("user DC 0", patched(344, &[0; 4])),
        ("not a Bool", patched(348, &[1, 0, 0, 0])),
        ("wrong state constructor", patched(352, &[0; 4])),
        ("wrong channel constructor", patched(380, &[0; 4])),
        ("negative channel id", patched(384, &[0xff; 8])),
        ("trailing bytes", trailing),
        ("non-zero padding", nonzero_padding),
    ];
    for (name, bytes) in cases {
        match read_tl(&bytes) {
            Err(InteropError::Malformed { format, .. }) => {
                assert_eq!(format, Format::GrammersTl, "{name}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    for len in 0..sample.len() {
        assert!(read_tl(&sample[..len]).is_err(), "truncated to {len}");
    }
    let mut two_channels = tl_sample(None, true);
    let count_at = two_channels.len() - 20;
    two_channels[count_at] = 2;
    two_channels.extend_from_within(two_channels.len() - 16..);
    assert!(
        read_tl(&two_channels).is_err(),
        "the same channel listed twice"
    );
}

#[test]
fn tl_octets_are_in_network_order() {
    let mut w = tl::Writer::default();
    w.u32(tl::SESSION).u32(0).vector(1);
    tl::data_center(
        &mut w,
        5,
        Some([10, 20, 30, 40]),
        Some(Ipv6Addr::LOCALHOST.octets()),
        8443,
        None,
    );
    let dc = &read_tl(&w.0).unwrap().session.dcs[0];
    assert_eq!(
        dc.ipv4,
        Some(SocketAddrV4::new(Ipv4Addr::new(10, 20, 30, 40), 8443))
    );
    assert_eq!(
        dc.ipv6,
        Some(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 8443, 0, 0))
    );
}

// ---------------------------------------------------------------------------------------------------------
// Properties: no input makes a reader panic, and whatever reads is a valid session.
// ---------------------------------------------------------------------------------------------------------

/// Reads `bytes` as `format`: whatever reads must pass [`assert_valid`].
fn check(format: Format, bytes: &[u8]) {
    if let Ok(imported) = read(format, bytes) {
        assert_valid(&imported.session);
    }
}

/// Up to `max` positions to change and the bits to flip there.
fn flips(max: usize) -> impl Strategy<Value = Vec<(prop::sample::Index, u8)>> {
    prop::collection::vec((any::<prop::sample::Index>(), 1..=255u8), 1..max)
}

fn mutate(mut bytes: Vec<u8>, flips: Vec<(prop::sample::Index, u8)>) -> Vec<u8> {
    let len = bytes.len();
    for (at, xor) in flips {
        bytes[at.index(len)] ^= xor;
    }
    bytes
}

/// A session grammers can hold completely: unique DC ids with usable addresses, peers of every kind, the
/// logged-in user (a cached peer with a hash, or not cached), update state.
fn keepable_session() -> impl Strategy<Value = Session> {
    use prop::collection::{btree_map, vec};
    use prop::option::of;

    let addr_v4 = (any::<[u8; 4]>(), 1..=u16::MAX)
        .prop_filter("a usable address", |(ip, _)| {
            usable(Ipv4Addr::from(*ip).into())
        })
        .prop_map(|(ip, port)| SocketAddrV4::new(ip.into(), port));
    let addr_v6 = (any::<[u8; 16]>(), 1..=u16::MAX)
        .prop_filter("a usable address", |(ip, _)| {
            usable(Ipv6Addr::from(*ip).into())
        })
        .prop_map(|(ip, port)| SocketAddrV6::new(ip.into(), port, 0, 0));
    let key = vec(any::<u8>(), 256).prop_map(|bytes| AuthKey::from_slice(&bytes).unwrap());
    let dcs =
        btree_map(1..=10_100_i32, (of(addr_v4), of(addr_v6), of(key)), 0..5).prop_map(|dcs| {
            dcs.into_iter()
                .map(|(id, (ipv4, ipv6, auth_key))| DcEntry {
                    ipv4,
                    ipv6,
                    auth_key,
                    ..DcEntry::new(id)
                })
                .collect::<Vec<_>>()
        });
    let kinds = PeerKind::ALL;
    let cached_peer = (
        prop::sample::select(kinds.to_vec()),
        // Below 10^12, the first id with no marked form as a basic group (and below 2^40).
        1..1_000_000_000_000_i64,
        of(any::<i64>()),
    )
        .prop_map(|(kind, id, hash)| {
            let id = PeerId::new(kind.class(), id);
            let access_hash = if kind == PeerKind::Chat { None } else { hash };
            (id, peer(kind, access_hash))
        });
    let state = (
        any::<[i32; 4]>(),
        btree_map(1..(1_i64 << 50), any::<i32>(), 0..4),
    )
        .prop_map(|([pts, qts, date, seq], channels)| UpdateState {
            pts,
            qts,
            date,
            seq,
            channels,
        });
    let me = (1..(1_i64 << 40), any::<bool>(), any::<bool>(), any::<i64>());
    (
        of(1..=10_100_i32),
        dcs,
        vec(cached_peer, 0..12),
        of(me),
        of(state),
    )
        .prop_map(|(home_dc, dcs, peers, me, update_state)| {
            let mut session = Session {
                home_dc,
                dcs,
                update_state,
                peers: peers.into_iter().collect(),
                ..Session::default()
            };
            if let Some((id, bot, cached, hash)) = me {
                session.user = Some(user(id, bot));
                let kind = if bot { PeerKind::Bot } else { PeerKind::User };
                if cached {
                    session
                        .peers
                        .insert(PeerId::User(id), peer(kind, Some(hash)));
                } else {
                    session.peers.remove(&PeerId::User(id));
                }
            }
            session
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn sessions_grammers_can_hold_round_trip(session in keepable_session()) {
        let written = write_sqlite(&session);
        prop_assert!(written.dropped.is_empty(), "{:?}", written.dropped);
        prop_assert_eq!(read_sqlite(&written.bytes).unwrap().session, session);
    }

    #[test]
    fn truncated_sqlite_files_never_panic(cut in any::<prop::sample::Index>()) {
        let written = write_sqlite(&keepable_sessions()[1]);
        for bytes in [VECTOR, &written.bytes[..]] {
            check(Format::GrammersSqlite, &bytes[..cut.index(bytes.len())]);
        }
    }

    #[test]
    fn mutated_sqlite_files_never_panic(flips in flips(8)) {
        check(Format::GrammersSqlite, &mutate(VECTOR.to_vec(), flips));
    }

    #[test]
    fn truncated_tl_files_are_errors(cut in any::<prop::sample::Index>()) {
        let sample = tl_sample(Some((123_456_789, 2, false)), true);
        prop_assert!(read_tl(&sample[..cut.index(sample.len())]).is_err());
    }

    #[test]
    fn mutated_tl_files_never_panic(flips in flips(4)) {
        check(Format::GrammersTl, &mutate(tl_sample(Some((1, 2, true)), true), flips));
    }

    #[test]
    fn random_tl_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = tl::SESSION.to_le_bytes().to_vec();
        bytes.extend_from_slice(&body);
        check(Format::GrammersTl, &bytes);
    }
}

/// session-grammers' differential test runs grammers' `SqliteSession` over `VECTOR` against
/// `GrammersSession` over this crate's import of it, committed there: the two must stay the same session.
#[test]
fn the_grammers_bridge_vector_is_the_import_of_the_grammers_vector() {
    let imported =
        include_bytes!("../../session-grammers/tests/vectors/grammers-session_0.11.0.tgs");
    let committed = Session::decode(imported).unwrap();
    assert_eq!(
        committed,
        read(Format::GrammersSqlite, VECTOR).unwrap().session
    );
}
