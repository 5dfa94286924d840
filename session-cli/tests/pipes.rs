//! A closed standard output or standard error (`tgsession ... 2>&1 | head -c 100`) never makes the binary
//! panic: what cannot be printed on standard error is dropped, and a failed write of the result on standard
//! output is an error (exit 6).

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::{arg, command, vector, vector_bytes};

/// Which of the binary's outputs are pipes whose reading end is already closed.
#[derive(Clone, Copy, Debug)]
enum Closed {
    /// Standard error only; standard output is read.
    Stderr,
    /// Standard output only; standard error is read.
    Stdout,
    /// Both, on one pipe, as with `2>&1 | head`.
    Both,
}

/// A finished run with some outputs closed: the exit code and whatever was read from the others.
#[derive(Debug)]
struct Outcome {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs `command` with `closed` outputs and `input` on standard input. Each closed output is a pipe whose
/// reading end is closed before the binary starts, so every write to it fails.
fn run_closed(mut command: Command, closed: Closed, input: &[u8]) -> Outcome {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let (stdout, stderr): (Stdio, Stdio) = match closed {
        Closed::Stderr => (Stdio::piped(), writer.into()),
        Closed::Stdout => (writer.into(), Stdio::piped()),
        Closed::Both => (
            writer.try_clone().expect("a second writer").into(),
            writer.into(),
        ),
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("the binary starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    // The binary may exit before reading everything; a broken pipe is fine then.
    let _ = stdin.write_all(input);
    drop(stdin);
    let output = child.wait_with_output().expect("the binary runs");
    Outcome {
        code: output.status.code().expect("the binary exited, not killed"),
        stdout: output.stdout,
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

#[test]
fn a_closed_standard_error_does_not_stop_a_conversion() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    let source = vector("telethon_v8.session");
    // Reading the Telethon file drops entity names: notes on standard error before and after the write.
    let args = [
        "convert",
        arg(&source),
        arg(&out),
        "--to",
        "telethon-string",
    ];
    let outcome = run_closed(command(&args), Closed::Stderr, b"");
    assert_eq!(outcome.code, 0, "{outcome:?}");
    assert!(std::fs::read(&out).unwrap().starts_with(b"1"));
}

#[test]
fn a_closed_standard_error_keeps_every_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("open.session");
    std::fs::write(&open, vector_bytes("telethon_v8.session")).unwrap();
    std::fs::set_permissions(&open, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let missing = dir.path().join("missing");
    let cases: [(Vec<&str>, i32); 3] = [
        (vec!["verify", arg(&open)], 4),
        (vec!["inspect", arg(&missing)], 1),
        (vec!["inspect", "--bogus"], 2),
    ];
    for (args, code) in cases {
        let outcome = run_closed(command(&args), Closed::Stderr, b"");
        assert_eq!(outcome.code, code, "{args:?}: {outcome:?}");
    }
    let verified = run_closed(command(&["verify", arg(&open)]), Closed::Stderr, b"");
    let report = String::from_utf8(verified.stdout).unwrap();
    assert!(report.contains("permissions  PROBLEM"), "{report}");
}

#[test]
fn a_closed_standard_output_is_an_error_not_a_panic() {
    let session = vector_bytes("telethon_string_ipv4.txt");
    for args in [
        vec!["convert", "-", "-", "--to", "gramjs-string"],
        vec!["inspect", "-"],
        vec!["verify", "-"],
    ] {
        let outcome = run_closed(command(&args), Closed::Stdout, &session);
        assert_eq!(outcome.code, 6, "{args:?}: {outcome:?}");
        let last = outcome.stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("tgsession: cannot write to standard output"),
            "{}",
            outcome.stderr
        );
        assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
    }
}

#[test]
fn both_outputs_closed_as_with_head_ends_with_exit_6() {
    let source = vector("telethon_v8.session");
    let args = ["convert", arg(&source), "-", "--to", "telethon-string"];
    let outcome = run_closed(command(&args), Closed::Both, b"");
    assert_eq!(outcome.code, 6, "{outcome:?}");
}
