//! `tgsession inspect` on the vectors made by real libraries, from files, standard input and `--string`, and
//! on inputs that are no session at all.

mod support;

use serde_json::Value;
use support::{arg, run, run_with_stdin, vector, vector_bytes, KEY_HEX_START, KEY_ID};

/// One vector and what `inspect --json` must say about it.
struct Expected {
    file: &'static str,
    format: &'static str,
    ipv6: Option<&'static str>,
    user: Option<i64>,
    update_state: bool,
    peers: u64,
}

const VECTORS: &[Expected] = &[
    Expected {
        file: "telethon_string_ipv4.txt",
        format: "telethon-string",
        ipv6: None,
        user: None,
        update_state: false,
        peers: 0,
    },
    Expected {
        file: "telethon_v8.session",
        format: "telethon-sqlite",
        ipv6: None,
        user: Some(123_456_789),
        update_state: true,
        peers: 4,
    },
    Expected {
        file: "pyrogram_2.0.106_string.txt",
        format: "pyrogram-string",
        ipv6: None,
        user: Some(123_456_789),
        update_state: false,
        peers: 0,
    },
    Expected {
        file: "pyrogram_2.0.106.session",
        format: "pyrogram-sqlite",
        ipv6: None,
        user: Some(123_456_789),
        update_state: false,
        peers: 4,
    },
    Expected {
        file: "gramjs_2.26.22_string_ipv4.txt",
        format: "gramjs-string",
        ipv6: None,
        user: None,
        update_state: false,
        peers: 0,
    },
    Expected {
        file: "grammers-session_0.11.0.sqlite",
        format: "grammers-sqlite",
        ipv6: Some("[2001:67c:4e8:f002::a]:443"),
        user: Some(123_456_789),
        update_state: true,
        peers: 4,
    },
    Expected {
        file: "ferogram-session_0.6.6_v8.bin",
        format: "layer",
        ipv6: Some("[2001:67c:4e8:f002::a]:443"),
        user: None,
        update_state: true,
        peers: 3,
    },
    Expected {
        file: "gotd_session_v1_CONSTRUCTED.json",
        format: "gotd-json",
        ipv6: None,
        user: None,
        update_state: false,
        peers: 0,
    },
];

/// Checks the `--json` object of a vector against what is expected of it.
fn check_json(json: &Value, expected: &Expected) {
    let name = expected.file;
    assert_eq!(json["format"], expected.format, "{name}");
    assert_eq!(json["home_dc"], 2, "{name}");
    let dcs = json["dcs"].as_array().expect("dcs is an array");
    let home = dcs
        .iter()
        .find(|dc| dc["id"] == 2 && dc["auth_key_id"] == KEY_ID)
        .unwrap_or_else(|| panic!("{name}: no DC 2 with the key: {json:#}"));
    assert_eq!(home["ipv4"], "149.154.167.51:443", "{name}");
    match expected.ipv6 {
        Some(ipv6) => assert_eq!(home["ipv6"], ipv6, "{name}"),
        None => assert_eq!(home["ipv6"], Value::Null, "{name}"),
    }
    match expected.user {
        Some(id) => {
            assert_eq!(json["user"]["id"], id, "{name}");
            assert_eq!(json["user"]["is_bot"], false, "{name}");
        }
        None => assert_eq!(json["user"], Value::Null, "{name}"),
    }
    if expected.update_state {
        let state = &json["update_state"];
        assert_eq!(
            [&state["pts"], &state["qts"], &state["date"], &state["seq"]],
            [100, 7, 1_700_000_000, 42],
            "{name}"
        );
    } else {
        assert_eq!(json["update_state"], Value::Null, "{name}");
    }
    assert_eq!(json["peers"], expected.peers, "{name}");
    let by_kind: u64 = json["peer_kinds"]
        .as_object()
        .expect("peer_kinds is an object")
        .values()
        .map(|count| count.as_u64().expect("a count"))
        .sum();
    assert_eq!(by_kind, expected.peers, "{name}");
    assert_eq!(json["test_mode"], false, "{name}");
    assert!(json["dropped"].is_array(), "{name}");
}

#[test]
fn json_describes_every_vector() {
    for expected in VECTORS {
        let run = run(&["inspect", "--json", arg(&vector(expected.file))]).ok();
        check_json(&run.json(), expected);
        assert!(!run.text().contains(KEY_HEX_START), "{}", expected.file);
    }
}

#[test]
fn text_names_the_format_and_key_id_and_never_the_key() {
    for expected in VECTORS {
        let run = run(&["inspect", arg(&vector(expected.file))]).ok();
        let text = run.text();
        assert!(
            text.starts_with(&format!("format        {}", expected.format)),
            "{text}"
        );
        assert!(text.contains(&format!("auth key {KEY_ID}")), "{text}");
        assert!(text.contains("149.154.167.51:443"), "{text}");
        assert!(
            text.contains(&format!("peers         {}", expected.peers)),
            "{text}"
        );
        assert!(!text.contains(KEY_HEX_START), "{text}");
        // Nor the key as the input spelled it (the base64 of a string session).
        let input = String::from_utf8_lossy(&vector_bytes(expected.file)).into_owned();
        let body = input.trim();
        if body.len() > 100 && body.is_ascii() {
            assert!(!text.contains(&body[20..60]), "{text}");
        }
    }
}

#[test]
fn text_lists_peers_by_kind_and_what_reading_dropped() {
    let text = run(&["inspect", arg(&vector("pyrogram_2.0.106.session"))])
        .ok()
        .text();
    assert!(
        text.contains("peers         4 (1 user, 1 bot, 1 chat, 1 broadcast)"),
        "{text}"
    );
    assert!(text.contains("api id        12345"), "{text}");
    assert!(text.contains("dropped       "), "{text}");
}

#[test]
fn string_sessions_come_from_standard_input_or_the_command_line() {
    for expected in VECTORS.iter().filter(|e| e.file.ends_with(".txt")) {
        let bytes = vector_bytes(expected.file);
        let piped = run_with_stdin(&["inspect", "--json", "-"], &bytes).ok();
        check_json(&piped.json(), expected);

        let text = String::from_utf8(bytes).expect("a string session is text");
        let given = run(&["inspect", "--json", "--string", text.trim()]).ok();
        check_json(&given.json(), expected);
    }
}

#[test]
fn whole_files_come_from_standard_input_too() {
    let expected = &VECTORS[1];
    let run = run_with_stdin(&["inspect", "--json", "-"], &vector_bytes(expected.file)).ok();
    check_json(&run.json(), expected);
}

#[test]
fn from_names_the_format_and_a_wrong_one_is_reported() {
    let path = vector("telethon_string_ipv4.txt");
    let run_ok = run(&["inspect", "--json", "--from", "telethon-string", arg(&path)]).ok();
    assert_eq!(run_ok.json()["format"], "telethon-string");

    let wrong = run(&["inspect", "--from", "gramjs-string", arg(&path)]);
    wrong.fails(1, "--from");
    assert!(wrong.stdout.is_empty());
}

#[test]
fn broken_inputs_fail_with_one_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = vector_bytes("telethon_v8.session");
    let string = vector_bytes("telethon_string_ipv4.txt");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.session",
            sqlite[..sqlite.len() / 3].to_vec(),
            "not a session",
        ),
        (
            "truncated.txt",
            string[..string.len() - 40].to_vec(),
            "not a session",
        ),
        (
            "garbage.bin",
            (0..4096).map(|_| fastrand::u8(..)).collect(),
            "not a session",
        ),
        ("empty", Vec::new(), "empty"),
        ("text.txt", b"hello, world\n".to_vec(), "not a session"),
    ];
    for (name, bytes, needle) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let run = run(&["inspect", arg(&path)]);
        run.fails(1, needle);
        assert!(run.stdout.is_empty(), "{name}");
        let piped = run_with_stdin(&["inspect", "-"], &bytes);
        piped.fails(1, "standard input");
    }
    run(&["inspect", arg(dir.path())]).fails(1, "is a directory");
    run(&["inspect", arg(&dir.path().join("missing"))]).fails(1, "no such file");
}

#[test]
fn a_truncated_file_read_as_its_format_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.txt");
    let string = vector_bytes("telethon_string_ipv4.txt");
    std::fs::write(&path, &string[..string.len() - 40]).unwrap();
    let line =
        run(&["inspect", "--from", "telethon-string", arg(&path)]).fails(1, "telethon-string");
    assert!(line.contains("Telethon StringSession"), "{line}");
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let path = vector("telethon_string_ipv4.txt");
    run(&["inspect"]).fails(2, "no session given");
    run(&["inspect", arg(&path), "--string", "1abc"]).fails(2, "both");
    run(&["inspect", "--from", "telethon", arg(&path)]).fails(2, "unknown format `telethon`");
    run(&["inspect", "--bogus", arg(&path)]).fails(2, "--bogus");
    run(&["inspect", "redis://127.0.0.1:1/"]).fails(2, "slot");
    run(&["frobnicate"]).fails(2, "frobnicate");
}

#[test]
fn help_documents_exit_codes_sources_and_urls() {
    let help = run(&["--help"]).ok().text();
    for needle in [
        "Exit codes:",
        "  3  the destination already exists",
        "  5  a backend could not be reached",
        "--string SESSION",
        "sled:DIR?slot=NAME",
        "postgres://",
        "s3://",
    ] {
        assert!(help.contains(needle), "{needle:?} not in help");
    }
    for command in ["inspect", "convert", "copy", "verify"] {
        let help = run(&[command, "--help"]).ok().text();
        assert!(help.contains("Exit codes:"), "{command}");
        // An empty slot is an input error (tests/copy.rs: `holds no session`, exit 1).
        assert!(help.contains("nothing stored in the slot"), "{command}");
    }
    let copy = run(&["copy", "--help"]).ok().text();
    assert!(
        copy.contains("Redis credentials come from the URL only, never from\nthe environment"),
        "{copy}"
    );
    let formats = run(&["formats"]).ok().text();
    assert!(
        formats.contains("telethon-sqlite    read, write"),
        "{formats}"
    );
    assert!(formats.contains("layer              read "), "{formats}");
}

#[test]
fn what_a_session_lacks_is_null_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_core::Session::new();
    session.home_dc = Some(4);
    let mut dc = session_core::DcEntry::new(4);
    dc.ipv6 = Some("[2001:67c:4e8:f004::a]:443".parse().unwrap());
    session.dcs.push(dc);
    let path = dir.path().join("bare.tgs");
    std::fs::write(&path, session.encode().unwrap()).unwrap();
    let json = run(&["inspect", "--json", arg(&path)]).ok().json();
    assert_eq!(json["format"], "tgsession");
    assert_eq!(json["home_dc"], 4);
    let dc = &json["dcs"][0];
    assert_eq!(dc["ipv4"], Value::Null);
    assert_eq!(dc["ipv6"], "[2001:67c:4e8:f004::a]:443");
    assert_eq!(dc["auth_key_id"], Value::Null);
    assert_eq!(json["user"], Value::Null);
    assert_eq!(json["update_state"], Value::Null);
    assert_eq!(json["peers"], 0);
}

#[test]
fn input_valid_in_two_formats_names_both_and_reads_with_from() {
    let both = vector("crafted_pyrogram1_or_layer_string.txt");
    let ambiguous = run(&["inspect", arg(&both)]);
    assert_eq!(ambiguous.code, 1, "{}", ambiguous.stderr);
    assert!(ambiguous.stdout.is_empty());
    for name in ["pyrogram1-string", "layer-string", "--from"] {
        assert!(ambiguous.stderr.contains(name), "{}", ambiguous.stderr);
    }
    assert_eq!(ambiguous.stderr.lines().count(), 1, "{}", ambiguous.stderr);

    let chosen = run(&["inspect", "--json", "--from", "layer-string", arg(&both)]);
    assert_eq!(chosen.code, 0, "{}", chosen.stderr);
    let json: Value = serde_json::from_slice(&chosen.stdout).unwrap();
    assert_eq!(json["format"], "layer-string");
}

#[test]
fn a_sled_source_that_is_no_database_is_refused_and_left_alone() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
    let url = format!("sled:{}?slot=main", dir.path().display());
    let run = support::run(&["inspect", &url]);
    run.fails(1, "there is no sled database");
    let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o755, "reading never changes a directory");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, ["notes.txt"], "reading never creates anything");
}

/// A session with min contexts and a logout token: `inspect` counts the contexts and says that a token is
/// there, never what it is (the token skips the login code, like a key).
#[test]
fn a_logout_token_is_shown_as_present_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("login.tgs");
    let session = session_conformance::fixtures::login_state();
    std::fs::write(&path, session.encode().unwrap()).unwrap();
    let token = session.logout_token.as_ref().unwrap().as_bytes();
    let secrets = [
        String::from_utf8_lossy(token).into_owned(),
        token.iter().map(|byte| format!("{byte:02x}")).collect(),
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, token),
    ];
    let text = run(&["inspect", arg(&path)]).ok();
    let shown = text.text();
    assert!(shown.contains("logout token  present"), "{shown}");
    assert!(shown.contains("min contexts  2"), "{shown}");
    let json = run(&["inspect", "--json", arg(&path)]).ok();
    let value = json.json();
    assert_eq!(value["logout_token"], true);
    assert_eq!(value["min_contexts"], 2);
    for output in [&shown, &text.stderr, &json.text(), &json.stderr] {
        for secret in &secrets {
            assert!(
                !output.contains(&secret[..16]),
                "the token leaked: {output}"
            );
        }
    }
}
