//! `tgsession convert` between the formats of the vectors and back, checked by reading the output with
//! `session_interop`; and what it must refuse: overwriting, read-only formats, missing fields.

mod support;

use std::path::Path;

use session_interop::{read, Format, Session};
use support::{arg, mode, run, run_with_stdin, vector, vector_bytes, vector_session, Run, KEY_ID};

/// Every writable format.
const WRITABLE: [Format; 12] = [
    Format::Tgsession,
    Format::TelethonString,
    Format::TelethonSqlite,
    Format::PyrogramString,
    Format::PyrogramSqlite,
    Format::GramjsString,
    Format::GotdJson,
    Format::GrammersSqlite,
    Format::Telethon2Sqlite,
    Format::FerogramString,
    Format::LayerSqlite,
    Format::FerogramSqlite,
];

/// Converts `source` to `dest` in `to`, with Pyrogram's api id.
fn convert(source: &Path, dest: &Path, to: Format) -> Run {
    run(&[
        "convert",
        arg(source),
        arg(dest),
        "--to",
        to.name(),
        "--api-id",
        "12345",
    ])
}

/// Reads a file the binary wrote as `format`.
fn read_file(path: &Path, format: Format) -> Session {
    let bytes = std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    read(format, &bytes)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        .session
}

/// The checks every output must pass: the vectors' DC, address and key.
fn check_account(session: &Session, what: &str) {
    assert_eq!(session.home_dc, Some(2), "{what}");
    let key = session
        .home_auth_key()
        .unwrap_or_else(|| panic!("{what}: no key"));
    assert_eq!(key.id().to_string(), KEY_ID, "{what}");
    let home = session.dcs.iter().find(|dc| dc.id == 2).expect("DC 2");
    assert_eq!(
        home.ipv4.map(|addr| addr.to_string()).as_deref(),
        Some("149.154.167.51:443"),
        "{what}"
    );
}

#[test]
fn every_writable_format_is_written_read_back_and_converted_back() {
    let dir = tempfile::tempdir().unwrap();
    let source = vector("telethon_v8.session");
    for to in WRITABLE {
        let out = dir.path().join(format!("out.{to}"));
        let run = convert(&source, &out, to).ok();
        assert!(run.stderr.contains("converted"), "{}", run.stderr);
        let written = read_file(&out, to);
        check_account(&written, to.name());
        if matches!(
            to,
            Format::Tgsession
                | Format::TelethonSqlite
                | Format::PyrogramSqlite
                | Format::GrammersSqlite
                | Format::Telethon2Sqlite
                | Format::FerogramString
        ) {
            let user = written
                .user
                .as_ref()
                .unwrap_or_else(|| panic!("{to}: no user"));
            assert_eq!(user.id, 123_456_789, "{to}");
        }
        let peers = match to {
            Format::Tgsession
            | Format::TelethonSqlite
            | Format::PyrogramSqlite
            | Format::GrammersSqlite
            | Format::FerogramSqlite => 4,
            // layer-client keeps no basic group.
            Format::LayerSqlite => 3,
            _ => 0,
        };
        assert_eq!(written.peers.len(), peers, "{to}");

        // And back: the output converts to tgsession without losing anything it held.
        let back = dir.path().join(format!("back-from-{to}.tgs"));
        let run = run_back(&out, &back, to);
        assert!(
            !run.stderr.contains("dropped while writing"),
            "{to}: {}",
            run.stderr
        );
        assert_eq!(read_file(&back, Format::Tgsession), written, "{to}");
    }
}

/// Converts `out` (in `format`, named with `--from`) to tgsession at `back`.
fn run_back(out: &Path, back: &Path, format: Format) -> Run {
    run(&[
        "convert",
        "--from",
        format.name(),
        arg(out),
        arg(back),
        "--to",
        "tgsession",
    ])
    .ok()
}

#[test]
fn a_format_converted_to_tgsession_and_back_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format) in [
        ("grammers-session_0.11.0.sqlite", Format::GrammersSqlite),
        ("telethon_string_ipv4.txt", Format::TelethonString),
        ("gramjs_2.26.22_string_ipv4.txt", Format::GramjsString),
        ("pyrogram_2.0.106_string.txt", Format::PyrogramString),
    ] {
        let middle = dir.path().join(format!("{name}.tgs"));
        let again = dir.path().join(format!("{name}.again"));
        convert(&vector(name), &middle, Format::Tgsession).ok();
        run(&["convert", arg(&middle), arg(&again), "--to", format.name()]).ok();
        assert_eq!(
            read_file(&again, format),
            vector_session(name, format),
            "{name}"
        );
    }
}

#[test]
fn what_a_format_cannot_hold_is_reported_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("string.txt");
    let run = convert(&vector("telethon_v8.session"), &out, Format::TelethonString).ok();
    assert!(
        run.stderr.contains("dropped while reading"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("dropped while writing telethon-string: logged-in user"),
        "{}",
        run.stderr
    );
    for line in run.stderr.lines() {
        assert!(line.starts_with("tgsession: "), "{line}");
    }
}

#[test]
fn an_existing_dest_is_never_replaced_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("taken.session");
    std::fs::write(&out, b"precious").unwrap();
    let source = vector("telethon_string_ipv4.txt");
    let refused = convert(&source, &out, Format::TelethonSqlite);
    refused.fails(3, "--force");
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");

    run(&[
        "convert",
        arg(&source),
        arg(&out),
        "--to",
        "telethon-sqlite",
        "--force",
    ])
    .ok();
    check_account(&read_file(&out, Format::TelethonSqlite), "forced");
}

#[test]
fn created_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    for to in [
        Format::TelethonSqlite,
        Format::TelethonString,
        Format::Tgsession,
    ] {
        let out = dir.path().join(format!("private.{to}"));
        convert(&vector("pyrogram_2.0.106.session"), &out, to).ok();
        assert_eq!(mode(&out), 0o600, "{to}");
    }
}

#[test]
fn dest_dash_prints_text_formats_with_a_newline() {
    let run = convert(
        &vector("telethon_string_ipv4.txt"),
        Path::new("-"),
        Format::GramjsString,
    )
    .ok();
    let text = run.text();
    assert!(text.ends_with('\n') && text.starts_with('1'), "{text}");
    let session = read(Format::GramjsString, text.as_bytes()).unwrap().session;
    check_account(&session, "stdout");
}

#[test]
fn stdin_and_string_sources_convert() {
    let string = String::from_utf8(vector_bytes("gramjs_2.26.22_string_ipv4.txt")).unwrap();
    let piped = run_with_stdin(
        &["convert", "-", "-", "--to", "telethon-string"],
        string.as_bytes(),
    )
    .ok();
    check_account(
        &read(Format::TelethonString, &piped.stdout).unwrap().session,
        "stdin",
    );
    let given = run(&[
        "convert",
        "--string",
        string.trim(),
        "-",
        "--to",
        "telethon-string",
    ])
    .ok();
    assert_eq!(given.stdout, piped.stdout);
}

#[test]
fn telethon_schema_8_is_written_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let v7 = dir.path().join("v7.session");
    let v8 = dir.path().join("v8.session");
    let source = vector("pyrogram_2.0.106.session");
    run(&["convert", arg(&source), arg(&v7), "--to", "telethon-sqlite"]).ok();
    run(&[
        "convert",
        arg(&source),
        arg(&v8),
        "--to",
        "telethon-sqlite",
        "--telethon-schema",
        "8",
    ])
    .ok();
    let has_tmp_key = |path: &Path| {
        let bytes = std::fs::read(path).unwrap();
        bytes.windows(12).any(|window| window == b"tmp_auth_key")
    };
    assert!(!has_tmp_key(&v7), "schema 7 has no tmp_auth_key column");
    assert!(has_tmp_key(&v8), "schema 8 has the tmp_auth_key column");
    check_account(&read_file(&v8, Format::TelethonSqlite), "v8");

    run(&[
        "convert",
        arg(&source),
        "-",
        "--to",
        "gotd-json",
        "--telethon-schema",
        "8",
    ])
    .fails(2, "--telethon-schema");
    run(&[
        "convert",
        arg(&source),
        "-",
        "--to",
        "telethon-sqlite",
        "--telethon-schema",
        "9",
    ])
    .fails(2, "9");
}

#[test]
fn pyrogram_needs_an_api_id() {
    let source = vector("telethon_v8.session");
    let line = run(&["convert", arg(&source), "-", "--to", "pyrogram-string"]).fails(1, "api id");
    assert!(line.contains("--api-id"), "{line}");
    let run = run(&[
        "convert",
        arg(&source),
        "-",
        "--to",
        "pyrogram-string",
        "--api-id",
        "777",
    ])
    .ok();
    let session = read(Format::PyrogramString, &run.stdout).unwrap().session;
    assert_eq!(session.api_id, Some(777));
}

#[test]
fn impossible_conversions_are_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let source = vector("telethon_string_ipv4.txt");
    let out = dir.path().join("never");
    run(&["convert", arg(&source), arg(&out), "--to", "layer"]).fails(2, "read but not written");
    run(&[
        "convert",
        arg(&source),
        "redis://h?slot=a",
        "--to",
        "tgsession",
    ])
    .fails(2, "copy");
    run(&["convert", arg(&source), "--to", "tgsession"]).fails(2, "give a source and DEST");
    run(&[
        "convert",
        "--string",
        "1abc",
        arg(&source),
        arg(&out),
        "--to",
        "tgsession",
    ])
    .fails(2, "with --string");
    let missing_dir = dir.path().join("no/such/dir/out");
    run(&[
        "convert",
        arg(&source),
        arg(&missing_dir),
        "--to",
        "tgsession",
    ])
    .fails(6, "no");
    run(&[
        "convert",
        arg(&dir.path().join("missing")),
        arg(&out),
        "--to",
        "tgsession",
    ])
    .fails(1, "no such file");
    assert!(!out.exists());
}
