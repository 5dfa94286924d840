//! `tgsession copy` between backends named by URL: file and sled here, Redis, PostgreSQL and S3 in `server`
//! (they need the test servers). A copy never replaces an existing session without `--force`, and of two
//! concurrent copies to the same new slot exactly one wins.

mod support;

use std::path::Path;

use session_interop::{read, Format, Session};
use support::{
    arg, assert_one_winner, mode, race, random_name, run, run_with_stdin, vector, vector_bytes,
    vector_session, Run,
};

/// The session a `file:` backend holds.
fn file_session(path: &Path) -> Session {
    read(Format::Tgsession, &std::fs::read(path).unwrap())
        .unwrap()
        .session
}

/// `tgsession copy FROM TO [extra]`.
fn copy(from: &str, to: &str, extra: &[&str]) -> Run {
    let mut args = vec!["copy", from, to];
    args.extend_from_slice(extra);
    run(&args)
}

/// Copies the Telethon vector into `url`, back out into a `file:` in `dir`, and checks it is the same
/// session; then checks that a second copy into `url` is refused without `--force` and done with it.
fn round_trip_through(url: &str, dir: &Path) {
    let source = vector("telethon_v8.session");
    let expected = vector_session("telethon_v8.session", Format::TelethonSqlite);
    let run = copy(arg(&source), url, &[]).ok();
    assert!(run.stderr.contains("copied"), "{}", run.stderr);

    let out = dir.join(format!("{}.tgs", random_name("out")));
    copy(url, &format!("file:{}", arg(&out)), &[]).ok();
    assert_eq!(file_session(&out), expected);

    let inspected = support::run(&["inspect", "--json", url]).ok().json();
    assert_eq!(inspected["format"], "tgsession");
    assert_eq!(inspected["peers"], 4);

    let other = vector("gramjs_2.26.22_string_ipv4.txt");
    copy(arg(&other), url, &[]).fails(3, "--force");
    let kept = dir.join(format!("{}.tgs", random_name("kept")));
    copy(url, &format!("file:{}", arg(&kept)), &[]).ok();
    assert_eq!(
        file_session(&kept),
        expected,
        "a refused copy changed nothing"
    );

    copy(arg(&other), url, &["--force"]).ok();
    let replaced = support::run(&["inspect", "--json", url]).ok().json();
    assert_eq!(replaced["peers"], 0);
    assert_eq!(replaced["user"], serde_json::Value::Null);
}

#[test]
fn file_to_sled_to_file() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.tgs");
    let first_url = format!("file:{}", arg(&first));
    copy(arg(&vector("telethon_v8.session")), &first_url, &[]).ok();
    assert_eq!(mode(&first), 0o600);

    let sled = format!("sled:{}?slot=main", arg(&dir.path().join("db")));
    copy(&first_url, &sled, &[]).ok();
    let same_db = format!("sled:{}?slot=second", arg(&dir.path().join("db")));
    copy(&sled, &same_db, &[]).ok();
    let last = dir.path().join("last.tgs");
    copy(&same_db, &format!("file:{}", arg(&last)), &[]).ok();
    assert_eq!(
        std::fs::read(&last).unwrap(),
        std::fs::read(&first).unwrap()
    );
    assert_eq!(mode(&last), 0o600);
}

#[test]
fn sled_round_trip_and_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sled:{}?slot=bot-1&prefix=test:",
        arg(&dir.path().join("db"))
    );
    round_trip_through(&url, dir.path());
}

#[test]
fn file_round_trip_and_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file:{}", arg(&dir.path().join("session.tgs")));
    round_trip_through(&url, dir.path());
}

#[test]
fn string_and_stdin_sources_are_stored_as_tgsession() {
    let dir = tempfile::tempdir().unwrap();
    let text = String::from_utf8(vector_bytes("pyrogram_2.0.106_string.txt")).unwrap();
    let expected = vector_session("pyrogram_2.0.106_string.txt", Format::PyrogramString);

    let from_string = dir.path().join("string.tgs");
    run(&[
        "copy",
        "--string",
        text.trim(),
        &format!("file:{}", arg(&from_string)),
    ])
    .ok();
    assert_eq!(file_session(&from_string), expected);

    let from_stdin = dir.path().join("stdin.tgs");
    run_with_stdin(
        &["copy", "-", &format!("file:{}", arg(&from_stdin))],
        text.as_bytes(),
    )
    .ok();
    assert_eq!(file_session(&from_stdin), expected);
}

#[test]
fn concurrent_copies_to_one_new_file_have_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let to = format!("file:{}", arg(&dir.path().join("contended.tgs")));
    let source = vector("telethon_v8.session");
    assert_one_winner(&race(6, &["copy", arg(&source), &to]));
}

#[test]
fn garbage_is_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage");
    std::fs::write(&garbage, b"1AAAA this is not a session").unwrap();
    let to = dir.path().join("never.tgs");
    copy(arg(&garbage), &format!("file:{}", arg(&to)), &[]).fails(1, "not a session");
    assert!(!to.exists());

    // A damaged tgsession value in a backend is refused as a source, and nothing is written.
    let damaged = dir.path().join("damaged.tgs");
    let mut bytes = vector_session("telethon_string_ipv4.txt", Format::TelethonString)
        .encode()
        .unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&damaged, bytes).unwrap();
    copy(
        &format!("file:{}", arg(&damaged)),
        &format!("file:{}", arg(&to)),
        &[],
    )
    .fails(1, "tgsession");
    assert!(!to.exists());
}

#[test]
fn bad_destinations_are_usage_errors() {
    let source = vector("telethon_string_ipv4.txt");
    let source = arg(&source);
    copy(source, "plain/path.tgs", &[]).fails(2, "not a backend URL");
    copy(source, "sled:/tmp/x", &[]).fails(2, "slot");
    copy(source, "sled:/tmp/x?slot=a&slto=b", &[]).fails(2, "slto");
    copy(source, "sled:/tmp/x?slot=../a", &[]).fails(2, "slot");
    copy(source, "s3://bucket/path?slot=a", &[]).fails(2, "prefix");
    copy(source, "postgres://h/db?slot=a&schema=Bad-Name", &[]).fails(2, "schema");
    run(&["copy", source]).fails(2, "give a source and TO");
}

#[test]
fn missing_sources_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let to = format!("file:{}", arg(&dir.path().join("x.tgs")));
    let empty = format!("file:{}", arg(&dir.path().join("empty.tgs")));
    copy(&empty, &to, &[]).fails(1, "holds no session");
    let foreign = format!("file:{}", arg(&vector("telethon_v8.session")));
    copy(&foreign, &to, &[]).fails(1, "without `file:`");
    let no_db = format!("sled:{}?slot=a", arg(&dir.path().join("no-db")));
    copy(&no_db, &to, &[]).fails(1, "no sled database");
    assert!(
        !dir.path().join("no-db").exists(),
        "reading created nothing"
    );
}

#[test]
fn unreachable_servers_exit_5_and_never_show_passwords() {
    let source = vector("telethon_string_ipv4.txt");
    for url in [
        "redis://user:hunter2@127.0.0.1:1/?slot=a",
        "postgres://user:hunter2@127.0.0.1:1/db?slot=a",
    ] {
        let run = copy(arg(&source), url, &[]);
        let line = run.fails(5, "try again");
        assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
        assert!(line.contains("***"), "{line}");
    }
}

#[test]
fn a_sled_database_another_process_has_open_is_reported_as_held_naming_its_lock_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let url = format!("sled:{}?slot=main", arg(&path));
    let source = vector("telethon_v8.session");
    copy(arg(&source), &url, &[]).ok();
    // An open database holds sled's lock on its `db` file, as a running client's would.
    let db = session_sled::open_db(&path).unwrap();
    let lock_file = path.canonicalize().unwrap().join("db");
    for args in [
        vec!["copy", "--force", arg(&source), &url],
        vec!["inspect", &url],
        vec!["verify", &url],
    ] {
        let run = run(&args);
        let line = run.fails(5, "another process");
        assert!(line.contains(arg(&lock_file)), "{args:?}: {line}");
        assert!(!line.contains("server"), "{args:?}: {line}");
    }
    drop(db);
}

/// Copies through the test servers; they need `scripts/services` (see `session_conformance::services`).
mod server {
    use session_conformance::services::setting;
    use support::{s3_bucket as bucket, s3_url};

    use super::*;

    /// A Redis URL for a new random slot.
    fn redis_url() -> String {
        let base = setting("TGSESSION_REDIS_URL");
        format!(
            "{base}?slot={}&prefix=tgsession-cli-test:",
            random_name("slot")
        )
    }

    /// A PostgreSQL URL for a new random slot in a random schema.
    fn postgres_url(schema: &str) -> String {
        let base = setting("TGSESSION_POSTGRES_URL");
        let separator = if base.contains('?') { '&' } else { '?' };
        format!(
            "{base}{separator}slot={}&schema={schema}",
            random_name("slot")
        )
    }

    /// A random schema name (lower-case letters, digits and `_`).
    fn schema() -> String {
        format!("tgscli_{:016x}", fastrand::u64(..))
    }

    #[test]
    fn redis_round_trip_and_refusal() {
        let dir = tempfile::tempdir().unwrap();
        round_trip_through(&redis_url(), dir.path());
    }

    #[test]
    fn postgres_round_trip_and_refusal() {
        let dir = tempfile::tempdir().unwrap();
        round_trip_through(&postgres_url(&schema()), dir.path());
    }

    #[tokio::test]
    async fn s3_round_trip_and_refusal() {
        let dir = tempfile::tempdir().unwrap();
        round_trip_through(&s3_url(&bucket().await), dir.path());
    }

    #[tokio::test]
    async fn s3_credentials_can_come_from_the_url() {
        let bucket = bucket().await;
        let url = s3_url(&bucket).replacen(
            "s3://",
            &format!(
                "s3://{}:{}@",
                setting("AWS_ACCESS_KEY_ID"),
                setting("AWS_SECRET_ACCESS_KEY")
            ),
            1,
        );
        let source = vector("telethon_string_ipv4.txt");
        let mut command = support::command(&["copy", arg(&source), &url]);
        command
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        support::run_command(command, b"").ok();
        let mut without = support::command(&["inspect", &s3_url(&bucket)]);
        without
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        support::run_command(without, b"").fails(6, "credentials");
    }

    #[test]
    fn backend_to_backend_copies_keep_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let (redis, postgres) = (redis_url(), postgres_url(&schema()));
        let first = dir.path().join("first.tgs");
        copy(
            arg(&vector("grammers-session_0.11.0.sqlite")),
            &format!("file:{}", arg(&first)),
            &[],
        )
        .ok();
        copy(&format!("file:{}", arg(&first)), &redis, &[]).ok();
        copy(&redis, &postgres, &[]).ok();
        let last = dir.path().join("last.tgs");
        copy(&postgres, &format!("file:{}", arg(&last)), &[]).ok();
        assert_eq!(
            std::fs::read(&last).unwrap(),
            std::fs::read(&first).unwrap()
        );
    }

    #[tokio::test]
    async fn concurrent_copies_to_one_new_slot_have_one_winner() {
        let source = vector("telethon_v8.session");
        let bucket = bucket().await;
        let schema = schema();
        // Create the table first, so the race is about the slot, not about the first migrate.
        copy(arg(&source), &postgres_url(&schema), &[]).ok();
        for url in [redis_url(), postgres_url(&schema), s3_url(&bucket)] {
            assert_one_winner(&race(6, &["copy", arg(&source), &url]));
        }
    }
}
