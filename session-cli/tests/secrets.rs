//! What the binary must never print: a password given in a URL (as SOURCE, DEST, TO, or an argument clap
//! rejects), and a string session given where a file path belongs.

mod support;

use support::{arg, command, run, run_command, vector, vector_bytes, Run};

/// The password of every URL in these tests.
const PASSWORD: &str = "hunter2";

/// Asserts the password appears neither on standard error nor on standard output.
fn hides_password(run: &Run) {
    assert!(!run.stderr.contains(PASSWORD), "{}", run.stderr);
    assert!(!run.text().contains(PASSWORD), "{}", run.text());
}

/// The string sessions of the vectors (Telethon, Pyrogram, GramJS), without the final newline.
fn string_sessions() -> Vec<String> {
    [
        "telethon_string_ipv4.txt",
        "pyrogram_2.0.106_string.txt",
        "gramjs_2.26.22_string_ipv4.txt",
    ]
    .into_iter()
    .map(|name| {
        String::from_utf8(vector_bytes(name))
            .expect("a string session is text")
            .trim()
            .to_owned()
    })
    .collect()
}

/// Asserts that no 16 characters of `session` in a row (so no part of its base64 auth key) are on standard
/// error or standard output.
fn hides_session(run: &Run, session: &str) {
    let out = run.text();
    for window in session.as_bytes().windows(16) {
        let window = std::str::from_utf8(window).expect("base64 is ASCII");
        assert!(!run.stderr.contains(window), "{window} in {}", run.stderr);
        assert!(!out.contains(window), "{window} in {out}");
    }
}

#[test]
fn a_backend_url_as_dest_is_refused_without_its_password() {
    let source = vector("telethon_v8.session");
    let url = format!("redis://u:{PASSWORD}@h?slot=a");
    let run = run(&["convert", arg(&source), &url, "--to", "tgsession"]);
    let line = run.fails(2, "is a backend URL");
    assert!(line.contains("redis://u:***@h?slot=a"), "{line}");
    hides_password(&run);
}

#[test]
fn locations_that_look_like_urls_with_passwords_are_never_shown() {
    let source = vector("telethon_v8.session");
    let source = arg(&source);
    let mistyped = format!("redis:/u:{PASSWORD}@h?slot=a");
    let in_mistyped = format!("{mistyped}/x");
    let remote = format!("file://u:{PASSWORD}@server/x");
    let url = format!("redis://u:{PASSWORD}@h?slot=a");
    let cases: [(Vec<&str>, i32, &str); 5] = [
        (vec!["copy", source, &mistyped], 2, "not a backend URL"),
        (vec!["inspect", &mistyped], 1, "no such file"),
        (
            vec!["convert", source, &in_mistyped, "--to", "tgsession"],
            6,
            "a redis: URL",
        ),
        (vec!["copy", source, &remote], 2, "always local"),
        (
            vec!["inspect", "x", &url],
            2,
            "unexpected argument 'redis://u:***@h?slot=a'",
        ),
    ];
    for (args, code, needle) in cases {
        let run = run(&args);
        run.fails(code, needle);
        hides_password(&run);
    }
}

#[test]
fn a_string_session_given_as_a_path_is_not_echoed() {
    for session in string_sessions() {
        for args in [
            vec!["inspect", session.as_str()],
            vec!["verify", session.as_str()],
            vec!["convert", session.as_str(), "-", "--to", "telethon-string"],
            vec!["copy", session.as_str(), "file:never-written.tgs"],
        ] {
            let run = run(&args);
            let line = run.fails(1, "is not a file");
            let length = session.chars().count();
            assert!(
                line.contains(&format!("the argument ({length} characters)")),
                "{line}"
            );
            assert!(line.contains("`-` (stdin) or --string"), "{line}");
            hides_session(&run, &session);
        }
    }
}

#[test]
fn a_cut_string_session_given_as_a_path_is_not_echoed_either() {
    let session = &string_sessions()[0];
    let cut = &session[..40];
    let run = run(&["inspect", cut]);
    run.fails(1, "the argument (40 characters) is not a file");
    hides_session(&run, cut);
}

#[test]
fn a_file_whose_name_looks_like_base64_is_still_named() {
    let dir = tempfile::tempdir().unwrap();
    let name = "telegram_session_backup_2024";
    std::fs::write(
        dir.path().join(name),
        vector_bytes("telethon_string_ipv4.txt"),
    )
    .unwrap();
    let mut convert = command(&["convert", name, "out.txt", "--to", "gramjs-string"]);
    convert.current_dir(dir.path());
    let run = run_command(convert, b"").ok();
    assert!(
        run.stderr
            .contains(&format!("converted {name} (telethon-string)")),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_file_is_still_named() {
    let run = run(&["inspect", "no-such-dir/anon.session"]);
    run.fails(1, "no-such-dir/anon.session: no such file");
}

#[test]
fn a_string_session_clap_rejects_is_not_echoed() {
    for session in string_sessions() {
        let rejected = run(&[session.as_str()]);
        rejected.fails(2, "characters>");
        hides_session(&rejected, &session);
        let unknown = run(&["inspect", &format!("--bogus={session}")]);
        unknown.fails(2, "--bogus");
        hides_session(&unknown, &session);
    }
}
