//! The binary never prints 16 characters in a row of a session string, nor the auth key in hex or base64,
//! wherever the string is given: every string session of the vectors (and of every writable text format),
//! in every argument position of every command — as a path, inside a path, inside a `file:`, `sled:`,
//! `redis://`, `postgres://` or `s3://` URL, as an option's value, as an unknown option, on standard input
//! whole, cut or damaged — on standard output and standard error, on success and on every error path.

mod support;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use session_interop::{write, Format, WriteOptions};
use support::{run_command, vector_bytes, vector_session, Run};

/// The vectors' fake auth key, `00 01 .. ff`.
fn key() -> Vec<u8> {
    (0..=255).collect()
}

/// Every string session to try: the vectors' own, the crafted layer string, and the vectors' session
/// written in every text format this crate writes.
fn string_sessions() -> Vec<String> {
    let mut strings: Vec<String> = [
        "telethon_string_ipv4.txt",
        "pyrogram_2.0.106_string.txt",
        "gramjs_2.26.22_string_ipv4.txt",
        "crafted_pyrogram1_or_layer_string.txt",
        "gotd_session_v1_CONSTRUCTED.json",
        "ferogram-session_0.6.6_string.txt",
        "ferogram-session_0.6.6_string_v1.txt",
    ]
    .into_iter()
    .map(|name| {
        String::from_utf8(vector_bytes(name))
            .expect("text vector")
            .trim()
            .to_owned()
    })
    .collect();
    let session = vector_session("pyrogram_2.0.106.session", Format::PyrogramSqlite);
    for format in Format::ALL {
        if format.can_write() && format.is_text() {
            let written = write(format, &session, &WriteOptions::default())
                .unwrap_or_else(|err| panic!("{format}: {err}"));
            strings.push(String::from_utf8(written.bytes.to_vec()).expect("a text format"));
        }
    }
    strings
}

/// The base64 runs of `session` that hold key material: the whole string for a string session, the quoted
/// values for a JSON session (whose field names and addresses are not secret, and which `inspect` shows).
fn secret_runs(session: &str) -> Vec<String> {
    session
        .split(|c: char| !(c.is_ascii_alphanumeric() || "+/=_-".contains(c)))
        .filter(|run| run.len() >= 64)
        .map(str::to_owned)
        .collect()
}

/// Everything that must never be printed for `session`: the 16-character windows of its secret runs, and
/// those of the key in hex (both cases) and base64 (standard and URL-safe, with and without padding).
fn forbidden(session: &str) -> Vec<String> {
    let key = key();
    let hex: String = key.iter().map(|byte| format!("{byte:02x}")).collect();
    let runs = secret_runs(session);
    assert!(!runs.is_empty(), "a session holds a key");
    let mut forms = runs;
    forms.extend([
        hex.clone(),
        hex.to_uppercase(),
        STANDARD.encode(&key),
        URL_SAFE.encode(&key),
        STANDARD_NO_PAD.encode(&key),
        URL_SAFE_NO_PAD.encode(&key),
    ]);
    let mut windows: Vec<String> = forms
        .iter()
        .flat_map(|form| {
            form.as_bytes()
                .windows(16)
                .map(|window| String::from_utf8_lossy(window).into_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    windows.sort();
    windows.dedup();
    windows
}

/// Asserts that no forbidden window is on standard output or standard error of `run`.
fn assert_nothing_leaked(run: &Run, forbidden: &[String], what: &str) {
    let stdout = String::from_utf8_lossy(&run.stdout);
    for window in forbidden {
        assert!(
            !run.stderr.contains(window.as_str()),
            "{what}: {window:?} printed on stderr: {}",
            run.stderr
        );
        assert!(
            !stdout.contains(window.as_str()),
            "{what}: {window:?} printed on stdout: {stdout}"
        );
    }
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
}

/// The argument lists with `S` in every position: `{S}` stands for the string, `{DIR}` for a scratch
/// directory, `{IN}` for a readable session file. Backends point at port 1 of loopback, where nothing
/// listens, so every server URL fails fast.
const TEMPLATES: &[&[&str]] = &[
    &["{S}"],
    &["--{S}"],
    &["inspect", "{S}"],
    &["inspect", "--json", "{S}"],
    &["inspect", "./{S}"],
    &["inspect", "{DIR}/{S}"],
    &["inspect", "file:{S}"],
    &["inspect", "file:./{S}"],
    &["inspect", "file://{S}/x"],
    &["inspect", "sled:{DIR}?slot={S}"],
    &["inspect", "sled:{S}?slot=a"],
    &["inspect", "redis://127.0.0.1:1/0?slot={S}"],
    &["inspect", "redis://127.0.0.1:1/0?slot=a&prefix={S}"],
    &["inspect", "redis://{S}@127.0.0.1:1/0?slot=a"],
    &["inspect", "redis://u:{S}@127.0.0.1:1/0?slot=a"],
    &["inspect", "postgres://u:{S}@127.0.0.1:1/db?slot=a"],
    &["inspect", "postgres://127.0.0.1:1/db?slot=a&table={S}"],
    &["inspect", "s3://{S}?slot=a&endpoint=http://127.0.0.1:1"],
    &["inspect", "s3://b?slot=a&endpoint={S}"],
    &["inspect", "--from", "{S}", "{IN}"],
    &["inspect", "--string", "{S}"],
    &["inspect", "--json", "--string", "{S}"],
    &["inspect", "--string={S}"],
    &["inspect", "{IN}", "{S}"],
    &["verify", "{S}"],
    &["verify", "./{S}"],
    &["verify", "file:{S}"],
    &["verify", "--string", "{S}"],
    &["verify", "sled:{DIR}/db?slot={S}"],
    &["convert", "{S}", "{DIR}/out", "--to", "telethon-string"],
    &["convert", "./{S}", "-", "--to", "telethon-string"],
    &["convert", "file:{S}", "-", "--to", "telethon-string"],
    &["convert", "{IN}", "{S}", "--to", "telethon-string"],
    &["convert", "{IN}", "./{S}", "--to", "telethon-string"],
    &["convert", "{IN}", "{DIR}/{S}", "--to", "telethon-string"],
    &[
        "convert",
        "{IN}",
        "{DIR}/missing/{S}",
        "--to",
        "telethon-string",
    ],
    &["convert", "{IN}", "file:{S}", "--to", "telethon-string"],
    &["convert", "{IN}", "-", "--to", "{S}"],
    &[
        "convert",
        "{IN}",
        "-",
        "--to",
        "pyrogram-string",
        "--api-id",
        "{S}",
    ],
    &[
        "convert",
        "{IN}",
        "-",
        "--to",
        "telethon-sqlite",
        "--telethon-schema",
        "{S}",
    ],
    &[
        "convert",
        "--string",
        "{S}",
        "{DIR}/converted",
        "--to",
        "gramjs-string",
        "--force",
    ],
    &[
        "convert",
        "--string",
        "{S}",
        "{DIR}/out.session",
        "--to",
        "pyrogram-sqlite",
    ],
    &["copy", "{S}", "file:{DIR}/copy.tgs"],
    &["copy", "./{S}", "file:{DIR}/copy.tgs"],
    &["copy", "{IN}", "{S}"],
    &["copy", "{IN}", "file:{S}"],
    &["copy", "{IN}", "file:./{S}"],
    &["copy", "{IN}", "file:{DIR}/{S}"],
    &["copy", "{IN}", "file:{DIR}/missing/{S}"],
    &["copy", "{IN}", "sled:{DIR}/db?slot={S}"],
    &["copy", "{IN}", "sled:{DIR}/{S}?slot=a"],
    &["copy", "{IN}", "redis://127.0.0.1:1/0?slot={S}"],
    &["copy", "{IN}", "postgres://{S}@127.0.0.1:1/db?slot=a"],
    &["copy", "{IN}", "s3://b?slot=a&endpoint=http://{S}"],
    &[
        "copy",
        "--string",
        "{S}",
        "file:{DIR}/from-string.tgs",
        "--force",
    ],
    &["copy", "--string", "{S}", "{S}"],
    &["formats", "{S}"],
    &["verify", "--from", "{S}", "{IN}"],
    &[
        "convert",
        "--from",
        "{S}",
        "{IN}",
        "-",
        "--to",
        "telethon-string",
    ],
    &["copy", "--from", "{S}", "{IN}", "file:{DIR}/from.tgs"],
    &["copy", "--string={S}", "file:{DIR}/equals.tgs", "--force"],
    &["lease", "{S}"],
    &["lease", "status", "{S}"],
    &["lease", "status", "--json", "{S}"],
    &["lease", "status", "./{S}"],
    &["lease", "status", "file:{S}"],
    &["lease", "status", "file:{DIR}/{S}"],
    &["lease", "status", "sled:{DIR}/db?slot={S}"],
    &["lease", "status", "redis://127.0.0.1:1/0?slot={S}"],
    &["lease", "status", "postgres://u:{S}@127.0.0.1:1/db?slot=a"],
    &["lease", "break", "{S}"],
    &["lease", "break", "--force", "{S}"],
    &["lease", "break", "--force", "file:./{S}"],
    &["lease", "break", "--force", "sled:{DIR}/{S}?slot=a"],
    &[
        "lease",
        "break",
        "--force",
        "redis://{S}@127.0.0.1:1/0?slot=a",
    ],
];

#[test]
fn no_part_of_a_string_session_is_printed_in_any_argument_position() {
    let dir = tempfile::tempdir().unwrap();
    let input = support::vector("telethon_v8.session");
    let input = support::arg(&input);
    let directory = support::arg(dir.path());
    let mut runs = 0;
    for session in string_sessions() {
        let forbidden = forbidden(&session);
        for template in TEMPLATES {
            let args: Vec<String> = template
                .iter()
                .map(|part| {
                    part.replace("{S}", &session)
                        .replace("{DIR}", directory)
                        .replace("{IN}", input)
                })
                .collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut command = support::command(&args);
            command.current_dir(dir.path());
            let run = run_command(command, b"");
            assert_nothing_leaked(&run, &forbidden, &template.join(" "));
            runs += 1;
        }
    }
    assert!(runs >= 300, "{runs} runs");
}

#[test]
fn no_part_of_a_string_session_on_standard_input_is_printed_even_when_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for session in string_sessions() {
        let forbidden = forbidden(&session);
        let bytes = session.as_bytes();
        let mut inputs = vec![
            bytes.to_vec(),
            bytes[..bytes.len() / 2].to_vec(),
            bytes[..bytes.len() - 3].to_vec(),
            [bytes, b"garbage!"].concat(),
            bytes.chunks(76).collect::<Vec<_>>().join(&b"\n"[..]),
        ];
        let mut flipped = bytes.to_vec();
        flipped[bytes.len() / 3] ^= 0x01;
        inputs.push(flipped);
        for input in inputs {
            for args in [
                vec!["inspect", "-"],
                vec!["inspect", "--json", "-"],
                vec!["verify", "-"],
                vec![
                    "convert",
                    "-",
                    support::arg(&out),
                    "--to",
                    "gotd-json",
                    "--force",
                ],
                vec!["copy", "-", "file:copied.tgs", "--force"],
            ] {
                let mut command = support::command(&args);
                command.current_dir(dir.path());
                let run = run_command(command, &input);
                assert_nothing_leaked(&run, &forbidden, &args.join(" "));
            }
        }
    }
}
