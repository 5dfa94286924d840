//! Round trips through the real libraries: what this crate writes must load in Telethon 1.45.0, Pyrogram
//! 2.0.106, GramJS (npm `telegram` 2.26.22) and ferogram-session 0.6.6 (crates.io) with the right DC, address, port, auth key, user and peers, and
//! what those libraries write must read back here as exactly the expected [`Session`].
//!
//! The libraries run offline, from the programs in `tests/reallibs/` (`libs.py` for Telethon and Pyrogram,
//! `gramjs.js` for GramJS, the Rust program `ferogram/` for ferogram), which build and load sessions with the libraries' own session classes from the
//! fake inputs of `tests/vectors/README.md`. `scripts/reallibs setup` installs the libraries into a temporary
//! directory and prints the variables these tests read; without them every test here fails and says how to
//! install them (the test command skips them, with the server tests, under `TGSESSION_SKIP_SERVER_TESTS=1`).

mod support;

mod reallibs {
    use std::fmt::Debug;
    use std::net::{Ipv6Addr, SocketAddrV4, SocketAddrV6};
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::{json, Map, Value};
    use session_core::{DcEntry, PeerId, PeerKind};
    use session_interop::{read, write, Dropped, Format, Session, TelethonSchema, WriteOptions};

    use crate::support::{
        vector_key, vector_peers_as, vector_update_state, vector_user, with_ferogram_extras,
    };

    /// How to get the libraries, for the message of a test that cannot find them.
    const INSTALL_HINT: &str = "these tests need the real Telethon, Pyrogram and GramJS: install them into a \
         temporary directory with `eval \"$(scripts/reallibs setup)\"` (from the workspace root; remove them \
         afterwards with `scripts/reallibs clean`), or run `scripts/reallibs test`, which does both around \
         this test; `--skip reallibs::` leaves these tests out";

    // ------------------------------------------------------------------ the fake inputs

    const DC_ID: i32 = 2;
    const IPV4: [u8; 4] = [149, 154, 167, 51];
    const IPV6: &str = "2001:67c:4e8:f002::a";
    const PORT: u16 = 443;
    const USER_ID: i64 = 123_456_789;
    const API_ID: i32 = 12345;
    const CHANNEL_ID: i64 = 1_234_567_890;

    fn key_hex() -> String {
        vector_key()
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn ipv4() -> SocketAddrV4 {
        SocketAddrV4::new(IPV4.into(), PORT)
    }

    fn ipv6() -> SocketAddrV6 {
        let ip: Ipv6Addr = IPV6.parse().expect("the IPv6 address of the vectors");
        SocketAddrV6::new(ip, PORT, 0, 0)
    }

    /// DC 2 with the vectors' key and the given addresses, as the home DC: all a string session holds.
    fn connection(ipv4: Option<SocketAddrV4>, ipv6: Option<SocketAddrV6>) -> Session {
        let mut dc = DcEntry::new(DC_ID);
        dc.ipv4 = ipv4;
        dc.ipv6 = ipv6;
        dc.auth_key = Some(vector_key());
        let mut session = Session::new();
        session.home_dc = Some(DC_ID);
        session.dcs.push(dc);
        session
    }

    /// The whole account of the vectors, which every writer is given (each reports what it cannot hold).
    fn account() -> Session {
        let mut session = connection(Some(ipv4()), None);
        session.user = Some(vector_user());
        session.api_id = Some(API_ID);
        session.update_state = Some(vector_update_state());
        session.peers = vector_peers_as(PeerKind::Bot, PeerKind::Broadcast)
            .into_iter()
            .collect();
        session
    }

    // ------------------------------------------------------------------ the installed libraries

    /// Where `scripts/reallibs setup` installed the libraries.
    struct Tools {
        python: PathBuf,
        node: PathBuf,
        node_modules: PathBuf,
        ferogram: PathBuf,
    }

    fn env_path(name: &str) -> PathBuf {
        match std::env::var_os(name) {
            Some(value) if !value.is_empty() => PathBuf::from(value),
            _ => panic!("{name} is not set: {INSTALL_HINT}"),
        }
    }

    fn tools() -> Tools {
        let tools = Tools {
            python: env_path("TGSESSION_REALLIBS_PYTHON"),
            node: env_path("TGSESSION_REALLIBS_NODE"),
            node_modules: env_path("TGSESSION_REALLIBS_NODE_MODULES"),
            ferogram: env_path("TGSESSION_REALLIBS_FEROGRAM"),
        };
        for path in [
            &tools.python,
            &tools.node,
            &tools.node_modules,
            &tools.ferogram,
        ] {
            assert!(
                path.exists(),
                "{} does not exist (removed by `scripts/reallibs clean`?): {INSTALL_HINT}",
                path.display()
            );
        }
        tools
    }

    fn program(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/reallibs")
            .join(name)
    }

    /// The command that runs the program of the library behind `format` (a name `libs.py` / `gramjs.js` /
    /// `ferogram/` know), with `action` (`make` or `load`) on `file`.
    fn library(tools: &Tools, action: &str, format: &str, file: &Path) -> Command {
        let mut command = if format.starts_with("ferogram") {
            Command::new(&tools.ferogram)
        } else if format.starts_with("gramjs") {
            let mut command = Command::new(&tools.node);
            command.arg(program("gramjs.js"));
            command.env("TGSESSION_REALLIBS_NODE_MODULES", &tools.node_modules);
            command
        } else {
            let mut command = Command::new(&tools.python);
            command.arg(program("libs.py"));
            command
        };
        command.args([action, format]).arg(file);
        command
    }

    /// Runs `command`; its standard output when it succeeds, else a panic with its standard error.
    fn run(what: &str, mut command: Command) -> String {
        let output = command
            .output()
            .unwrap_or_else(|err| panic!("{what}: cannot run {command:?}: {err}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{what} failed ({}):\n{stderr}",
            output.status
        );
        String::from_utf8(output.stdout).unwrap_or_else(|_| panic!("{what}: output is not UTF-8"))
    }

    /// The real library of `format` writes a session of the fake inputs to `file`.
    fn library_make(tools: &Tools, format: &str, file: &Path) {
        run(
            &format!("the real library's `make {format}`"),
            library(tools, "make", format, file),
        );
    }

    /// The real library of `format` loads `file` and tells what it sees.
    fn library_load(tools: &Tools, format: &str, file: &Path) -> Value {
        let what = format!("the real library's `load {format}`");
        let stdout = run(&what, library(tools, "load", format, file));
        serde_json::from_str(stdout.trim()).unwrap_or_else(|err| {
            panic!("{what}: output is not one JSON object ({err}):\n{stdout}")
        })
    }

    /// A temporary directory of one test, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(test: &str) -> Scratch {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "tgsession-reallibs-{}-{}-{test}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).expect("a scratch directory");
            Scratch(dir)
        }

        fn path(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    // ------------------------------------------------------------------ what a library must see

    /// What every library reports about the connection: DC, address, port and key.
    fn seen_connection(library: &str, address: &str) -> Map<String, Value> {
        let mut seen = Map::new();
        seen.insert("library".into(), json!(library));
        seen.insert("dc_id".into(), json!(DC_ID));
        seen.insert("server_address".into(), json!(address));
        seen.insert("port".into(), json!(PORT));
        seen.insert("auth_key".into(), json!(key_hex()));
        seen
    }

    /// What a library that keeps peers must find when it looks the vectors' peers up by marked id, username
    /// and phone number (`InputPeer` type, bare id, access hash).
    fn seen_peers(seen: &mut Map<String, Value>) {
        let mut by_id = Map::new();
        let mut by_username = Map::new();
        let mut by_phone = Map::new();
        for (id, peer) in vector_peers_as(PeerKind::User, PeerKind::Channel) {
            let marked = id.marked().expect("the vectors' ids have a marked form");
            let kind = match id {
                PeerId::User(_) => "user",
                PeerId::Chat(_) => "chat",
                PeerId::Channel(_) => "channel",
            };
            by_id.insert(
                marked.to_string(),
                json!({ "type": kind, "id": id.bare(), "access_hash": peer.access_hash }),
            );
            if let Some(username) = peer.username {
                by_username.insert(username.to_string(), json!(marked));
            }
            if let Some(phone) = peer.phone {
                by_phone.insert(phone.to_string(), json!(marked));
            }
        }
        seen.insert("peers_by_id".into(), Value::Object(by_id));
        seen.insert("peers_by_username".into(), Value::Object(by_username));
        seen.insert("peers_by_phone".into(), Value::Object(by_phone));
    }

    /// What Telethon must see in a StringSession (it does not keep a takeout id there).
    fn telethon_string_view(address: &str) -> Value {
        let mut seen = seen_connection("telethon 1.45.0", address);
        seen.insert("takeout_id".into(), Value::Null);
        Value::Object(seen)
    }

    /// What Telethon must see in an SQLite session of [`account`].
    fn telethon_sqlite_view() -> Value {
        let mut seen = seen_connection("telethon 1.45.0", "149.154.167.51");
        seen.insert("takeout_id".into(), Value::Null);
        seen.insert("user_id".into(), json!(USER_ID));
        seen_peers(&mut seen);
        seen.insert(
            "update_state".into(),
            json!({ "pts": 100, "qts": 7, "date": 1_700_000_000, "seq": 42 }),
        );
        seen.insert("channel_pts".into(), json!({ CHANNEL_ID.to_string(): 555 }));
        Value::Object(seen)
    }

    /// What Pyrogram must see in a session of [`account`]: the address is Pyrogram's own for DC 2.
    fn pyrogram_view(with_peers: bool) -> Value {
        let mut seen = seen_connection("pyrogram 2.0.106", "149.154.167.51");
        seen.insert("api_id".into(), json!(API_ID));
        seen.insert("test_mode".into(), json!(false));
        seen.insert("user_id".into(), json!(USER_ID));
        seen.insert("is_bot".into(), json!(false));
        if with_peers {
            seen_peers(&mut seen);
        }
        Value::Object(seen)
    }

    fn gramjs_view() -> Value {
        Value::Object(seen_connection("telegram 2.26.22", "149.154.167.51"))
    }

    /// Compares what the library saw with what it must see, field by field, and fails listing every field
    /// that differs (fields missing on either side included).
    fn assert_seen(format: &str, seen: &Value, expected: &Value) {
        let empty = Map::new();
        let seen_map = seen.as_object().unwrap_or(&empty);
        let expected_map = expected.as_object().expect("an expected JSON object");
        let mut fields: Vec<&String> = seen_map.keys().chain(expected_map.keys()).collect();
        fields.sort();
        fields.dedup();
        let mismatches: Vec<String> = fields
            .into_iter()
            .filter_map(|field| {
                let got = seen_map.get(field).unwrap_or(&Value::Null);
                let want = expected_map.get(field).unwrap_or(&Value::Null);
                (got != want || seen_map.contains_key(field) != expected_map.contains_key(field))
                    .then(|| format!("  {field}: the library saw {got}, expected {want}"))
            })
            .collect();
        assert!(
            mismatches.is_empty(),
            "{format}: the real library loaded our file but sees other values:\n{}",
            mismatches.join("\n")
        );
    }

    /// Writes `session` as `format` with `options` into `file` and prints what the writer dropped.
    fn write_file(format: Format, session: &Session, options: &WriteOptions, file: &Path) {
        let exported =
            write(format, session, options).unwrap_or_else(|err| panic!("writing {format}: {err}"));
        for dropped in &exported.dropped {
            println!("{format} writer dropped: {dropped}");
        }
        std::fs::write(file, &*exported.bytes).expect("the written session saved");
    }

    /// Our writer's `format` output for [`account`] (or `session`) loads in the real library as `expected`.
    fn ours_load_in_library(
        test: &str,
        (format, options): (Format, WriteOptions),
        session: &Session,
        (library_format, file_name): (&str, &str),
        expected: &Value,
    ) {
        let tools = tools();
        let scratch = Scratch::new(test);
        let file = scratch.path(file_name);
        write_file(format, session, &options, &file);
        let seen = library_load(&tools, library_format, &file);
        assert_seen(&format!("{format} ({test})"), &seen, expected);
    }

    // ------------------------------------------------------------------ what we must read

    /// Compares two sessions field by field, so that a failure names the fields that differ.
    fn session_diff(got: &Session, want: &Session) -> Vec<String> {
        fn field<T: Debug + PartialEq>(out: &mut Vec<String>, name: &str, got: &T, want: &T) {
            if got != want {
                out.push(format!("  {name}: read {got:?}, expected {want:?}"));
            }
        }
        let mut out = Vec::new();
        field(&mut out, "home_dc", &got.home_dc, &want.home_dc);
        field(&mut out, "dcs", &got.dcs, &want.dcs);
        field(&mut out, "test_mode", &got.test_mode, &want.test_mode);
        field(&mut out, "user", &got.user, &want.user);
        field(
            &mut out,
            "update_state",
            &got.update_state,
            &want.update_state,
        );
        let ids: std::collections::BTreeSet<&PeerId> =
            got.peers.keys().chain(want.peers.keys()).collect();
        for id in ids {
            field(
                &mut out,
                &format!("peers[{id:?}]"),
                &got.peers.get(id),
                &want.peers.get(id),
            );
        }
        field(
            &mut out,
            "min_contexts",
            &got.min_contexts,
            &want.min_contexts,
        );
        // Shown by length only (`LogoutToken`'s `Debug`).
        field(
            &mut out,
            "logout_token",
            &got.logout_token,
            &want.logout_token,
        );
        field(&mut out, "device", &got.device, &want.device);
        field(&mut out, "api_id", &got.api_id, &want.api_id);
        field(&mut out, "takeout_id", &got.takeout_id, &want.takeout_id);
        field(&mut out, "created_at", &got.created_at, &want.created_at);
        field(&mut out, "updated_at", &got.updated_at, &want.updated_at);
        out
    }

    /// The real library writes `library_format` into `file_name`; our reader of `format` must give exactly
    /// `expected`, and report as dropped one entry per group of `dropped` keywords (for each group, an entry
    /// whose `what` contains every keyword of the group, case-insensitively), nothing else.
    fn library_output_reads_as(
        test: &str,
        (library_format, file_name): (&str, &str),
        format: Format,
        expected: &Session,
        dropped: &[&[&str]],
    ) {
        let tools = tools();
        let scratch = Scratch::new(test);
        let file = scratch.path(file_name);
        library_make(&tools, library_format, &file);
        let bytes = std::fs::read(&file).expect("the library's session file");
        let imported = read(format, &bytes).unwrap_or_else(|err| {
            panic!("{format}: our reader rejects what the real library wrote: {err}")
        });
        let diff = session_diff(&imported.session, expected);
        assert!(
            diff.is_empty(),
            "{format}: our reader reads the real library's session differently:\n{}",
            diff.join("\n")
        );
        assert_eq!(imported.session, *expected, "{format}");
        assert_dropped(format, &imported.dropped, dropped);
    }

    fn assert_dropped(format: Format, got: &[Dropped], groups: &[&[&str]]) {
        let texts: Vec<String> = got.iter().map(|d| d.what.to_lowercase()).collect();
        let unmatched: Vec<&&[&str]> = groups
            .iter()
            .filter(|group| {
                !texts
                    .iter()
                    .any(|text| group.iter().all(|word| text.contains(word)))
            })
            .collect();
        assert!(
            unmatched.is_empty() && texts.len() == groups.len(),
            "{format}: our reader reports as dropped {got:?}; expected one entry for each of {groups:?} \
             (missing: {unmatched:?})"
        );
    }

    // ------------------------------------------------------------------ our writers, the libraries load

    #[test]
    fn telethon_loads_our_telethon_string_ipv4() {
        ours_load_in_library(
            "telethon-string-ipv4",
            (Format::TelethonString, WriteOptions::default()),
            &account(),
            ("telethon-string", "session.txt"),
            &telethon_string_view("149.154.167.51"),
        );
    }

    #[test]
    fn telethon_loads_our_telethon_string_ipv6() {
        ours_load_in_library(
            "telethon-string-ipv6",
            (Format::TelethonString, WriteOptions::default()),
            &connection(None, Some(ipv6())),
            ("telethon-string", "session.txt"),
            &telethon_string_view(IPV6),
        );
    }

    #[test]
    fn telethon_loads_our_telethon_sqlite_schema_7() {
        ours_load_in_library(
            "telethon-sqlite-v7",
            (
                Format::TelethonSqlite,
                WriteOptions::default().with_telethon_schema(TelethonSchema::V7),
            ),
            &account(),
            ("telethon-sqlite", "account.session"),
            &telethon_sqlite_view(),
        );
    }

    #[test]
    fn telethon_loads_our_telethon_sqlite_schema_8() {
        ours_load_in_library(
            "telethon-sqlite-v8",
            (
                Format::TelethonSqlite,
                WriteOptions::default().with_telethon_schema(TelethonSchema::V8),
            ),
            &account(),
            ("telethon-sqlite", "account.session"),
            &telethon_sqlite_view(),
        );
    }

    #[test]
    fn pyrogram_loads_our_pyrogram_string() {
        ours_load_in_library(
            "pyrogram-string",
            (Format::PyrogramString, WriteOptions::default()),
            &account(),
            ("pyrogram-string", "session.txt"),
            &pyrogram_view(false),
        );
    }

    #[test]
    fn pyrogram_loads_our_pyrogram_sqlite() {
        ours_load_in_library(
            "pyrogram-sqlite",
            (Format::PyrogramSqlite, WriteOptions::default()),
            &account(),
            ("pyrogram-sqlite", "account.session"),
            &pyrogram_view(true),
        );
    }

    #[test]
    fn gramjs_loads_our_gramjs_string() {
        ours_load_in_library(
            "gramjs-string",
            (Format::GramjsString, WriteOptions::default()),
            &account(),
            ("gramjs-string", "session.txt"),
            &gramjs_view(),
        );
    }

    // ------------------------------------------------------------------ the libraries write, we read

    #[test]
    fn we_read_telethons_string_ipv4() {
        library_output_reads_as(
            "telethon-string-ipv4",
            ("telethon-string", "session.txt"),
            Format::TelethonString,
            &connection(Some(ipv4()), None),
            &[],
        );
    }

    #[test]
    fn we_read_telethons_string_ipv6() {
        library_output_reads_as(
            "telethon-string-ipv6",
            ("telethon-string-ipv6", "session.txt"),
            Format::TelethonString,
            &connection(None, Some(ipv6())),
            &[],
        );
    }

    #[test]
    fn we_read_telethons_sqlite() {
        let mut expected = connection(Some(ipv4()), None);
        expected.user = Some(vector_user());
        expected.update_state = Some(vector_update_state());
        expected.peers = vector_peers_as(PeerKind::User, PeerKind::Channel)
            .into_iter()
            .collect();
        library_output_reads_as(
            "telethon-sqlite",
            ("telethon-sqlite", "account.session"),
            Format::TelethonSqlite,
            &expected,
            // Telethon keeps entity names and dates, a sent-files cache, and stamps channel update states
            // with the time it saved them; a Session has no place for any of these.
            &[
                &["name", "entit"],
                &["date", "entit"],
                &["sent"],
                &["channel"],
            ],
        );
    }

    #[test]
    fn we_read_pyrograms_string() {
        let mut expected = connection(Some(ipv4()), None);
        expected.user = Some(vector_user());
        expected.api_id = Some(API_ID);
        library_output_reads_as(
            "pyrogram-string",
            ("pyrogram-string", "session.txt"),
            Format::PyrogramString,
            &expected,
            &[],
        );
    }

    #[test]
    fn we_read_pyrograms_sqlite() {
        let mut expected = connection(Some(ipv4()), None);
        expected.user = Some(vector_user());
        expected.api_id = Some(API_ID);
        expected.peers = vector_peers_as(PeerKind::Bot, PeerKind::Broadcast)
            .into_iter()
            .collect();
        library_output_reads_as(
            "pyrogram-sqlite",
            ("pyrogram-sqlite", "account.session"),
            Format::PyrogramSqlite,
            &expected,
            // Pyrogram stamps the session and every peer row with the time it saved them.
            &[&["sessions.date"], &["last_update_on"]],
        );
    }

    #[test]
    fn we_read_gramjss_string() {
        library_output_reads_as(
            "gramjs-string",
            ("gramjs-string", "session.txt"),
            Format::GramjsString,
            &connection(Some(ipv4()), None),
            &[],
        );
    }

    // ------------------------------------------------------------------ ferogram

    const FEROGRAM: &str = "ferogram-session 0.6.6";

    /// What ferogram must see in a version-2 string of [`account`].
    fn ferogram_string_view() -> Value {
        let mut seen = seen_connection(FEROGRAM, "149.154.167.51");
        seen.insert("version".into(), json!(2));
        seen.insert("user_id".into(), json!(USER_ID));
        Value::Object(seen)
    }

    /// One DC row as the ferogram program prints it.
    fn ferogram_dc(addr: &str, flags: u8) -> Value {
        json!({ "dc_id": DC_ID, "addr": addr, "auth_key": key_hex(), "first_salt": 0, "time_offset": 0,
                "flags": flags })
    }

    /// One peer row as the ferogram program prints it.
    fn ferogram_peer(id: i64, hash: i64, class: &str, channel_kind: Option<u8>) -> Value {
        json!({ "id": id, "access_hash": hash, "is_channel": class == "channel", "is_chat": class == "chat",
                "channel_kind": channel_kind, "is_community": false })
    }

    /// What ferogram must see in an SQLite file of [`account`] written as `format`: DC 2's IPv4 row, the
    /// update state and the peers by id (layer-client files keep neither basic groups nor channel kinds).
    fn ferogram_sqlite_view(format: Format) -> Value {
        let ferogram = format == Format::FerogramSqlite;
        let mut peers = Vec::new();
        if ferogram {
            peers.push(ferogram_peer(4242, 0, "chat", None));
        }
        peers.push(ferogram_peer(
            123_456_789,
            -1_111_111_111_111_111_111,
            "user",
            None,
        ));
        peers.push(ferogram_peer(
            987_654_321,
            2_222_222_222_222_222_222,
            "user",
            None,
        ));
        peers.push(ferogram_peer(
            CHANNEL_ID,
            -3_333_333_333_333_333_333,
            "channel",
            ferogram.then_some(0),
        ));
        json!({
            "library": FEROGRAM,
            "home_dc_id": DC_ID,
            "dcs": [ferogram_dc("149.154.167.51:443", 0)],
            "update_state": { "pts": 100, "qts": 7, "date": 1_700_000_000, "seq": 42 },
            "channel_pts": { CHANNEL_ID.to_string(): 555 },
            "peers": peers,
            "min_peers": [],
            "future_auth_token": "none",
        })
    }

    /// `view` (of [`ferogram_sqlite_view`]) with [`with_extras`]' min peer and token.
    fn with_extras_seen(mut view: Value) -> Value {
        view["min_peers"] = json!([[987_654_321, CHANNEL_ID, 77]]);
        view["future_auth_token"] = json!("the fake token");
        view
    }

    /// The account of ferogram's SQLite file: DC 2 with both addresses, key, salt and clock offset, the update
    /// state, alice, the broadcast channel and the basic group.
    fn ferogram_account() -> Session {
        let mut session = connection(Some(ipv4()), Some(ipv6()));
        session.dcs[0].server_salt = 0x0102_0304_0506_0708;
        session.dcs[0].time_offset = -3;
        session.update_state = Some(vector_update_state());
        let peers = vector_peers_as(PeerKind::User, PeerKind::Broadcast);
        session.peers = peers
            .into_iter()
            .filter(|(id, _)| *id != PeerId::User(987_654_321))
            .map(|(id, mut peer)| {
                peer.username = None;
                peer.phone = None;
                (id, peer)
            })
            .collect();
        session
    }

    #[test]
    fn ferogram_loads_our_ferogram_string() {
        ours_load_in_library(
            "ferogram-string",
            (Format::FerogramString, WriteOptions::default()),
            &account(),
            ("ferogram-string", "session.txt"),
            &ferogram_string_view(),
        );
    }

    #[test]
    fn ferogram_loads_our_ferogram_sqlite() {
        ours_load_in_library(
            "ferogram-sqlite",
            (Format::FerogramSqlite, WriteOptions::default()),
            &account(),
            ("ferogram-sqlite", "account.sqlite"),
            &ferogram_sqlite_view(Format::FerogramSqlite),
        );
    }

    #[test]
    fn ferogram_loads_the_min_peers_and_token_of_our_ferogram_sqlite() {
        ours_load_in_library(
            "ferogram-sqlite-extras",
            (Format::FerogramSqlite, WriteOptions::default()),
            &with_ferogram_extras(account()),
            ("ferogram-sqlite", "account.sqlite"),
            &with_extras_seen(ferogram_sqlite_view(Format::FerogramSqlite)),
        );
    }

    /// layer-client 0.5.0's own SQLite backend does not build; ferogram opens layer-client files (migrating
    /// them to its columns), which checks what layer-client would read from ours (no min peers or token:
    /// layer-client has no place for them, so our writer reports them dropped).
    #[test]
    fn ferogram_loads_our_layer_sqlite() {
        ours_load_in_library(
            "layer-sqlite",
            (Format::LayerSqlite, WriteOptions::default()),
            &with_ferogram_extras(account()),
            ("ferogram-sqlite", "account.sqlite"),
            &ferogram_sqlite_view(Format::LayerSqlite),
        );
    }

    #[test]
    fn we_read_ferograms_string() {
        let mut expected = connection(Some(ipv4()), None);
        expected.user = Some(vector_user());
        library_output_reads_as(
            "ferogram-string",
            ("ferogram-string", "session.txt"),
            Format::FerogramString,
            &expected,
            &[],
        );
    }

    #[test]
    fn we_read_ferograms_string_v1() {
        let mut expected = connection(Some(ipv4()), None);
        expected.user = Some(vector_user());
        expected.dcs[0].server_salt = 0x0102_0304_0506_0708;
        library_output_reads_as(
            "ferogram-string-v1",
            ("ferogram-string-v1", "session.txt"),
            Format::FerogramString,
            &expected,
            &[&["sequence", "layer"]],
        );
    }

    #[test]
    fn we_read_ferograms_sqlite() {
        library_output_reads_as(
            "ferogram-sqlite",
            ("ferogram-sqlite", "account.sqlite"),
            Format::FerogramSqlite,
            &ferogram_account(),
            &[],
        );
    }

    #[test]
    fn we_read_ferograms_sqlite_with_min_peers_a_token_and_a_community_flag() {
        library_output_reads_as(
            "ferogram-sqlite-extras",
            ("ferogram-sqlite-extras", "account.sqlite"),
            Format::FerogramSqlite,
            &with_ferogram_extras(ferogram_account()),
            &[&["community"]],
        );
    }

    #[test]
    fn we_read_ferograms_binary() {
        library_output_reads_as(
            "ferogram-binary",
            ("ferogram-binary", "account.session"),
            Format::Layer,
            &ferogram_account(),
            &[],
        );
    }

    #[test]
    fn we_read_ferograms_binary_with_min_peers_a_token_and_a_community_flag() {
        library_output_reads_as(
            "ferogram-binary-extras",
            ("ferogram-binary-extras", "account.session"),
            Format::Layer,
            &with_ferogram_extras(ferogram_account()),
            &[&["community"]],
        );
        library_output_reads_as(
            "ferogram-binary-string-extras",
            ("ferogram-binary-string-extras", "session.txt"),
            Format::LayerString,
            &with_ferogram_extras(ferogram_account()),
            &[&["community"]],
        );
    }
}
