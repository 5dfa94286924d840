//! `tgsession verify`: a good session passes; a readable-by-others file, a session without a key for its
//! home DC, and damaged data fail with the documented exit codes.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use session_core::{DcEntry, Session};
use support::{arg, run, run_with_stdin, vector_bytes, KEY_ID};

/// Writes `bytes` to `path` with permission bits `mode`.
fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) {
    std::fs::write(path, bytes).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_private_complete_session_verifies() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "telethon_v8.session",
        "pyrogram_2.0.106_string.txt",
        "grammers-session_0.11.0.sqlite",
    ] {
        let path = dir.path().join(name);
        write_with_mode(&path, &vector_bytes(name), 0o600);
        let run = run(&["verify", arg(&path)]).ok();
        let text = run.text();
        assert!(text.contains(&format!("auth key {KEY_ID}")), "{text}");
        assert!(text.contains("mode 0600"), "{text}");
        assert!(text.ends_with("verified: no problems found\n"), "{text}");
        assert!(run.stderr.is_empty(), "{}", run.stderr);
    }
}

#[test]
fn a_file_readable_by_others_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [0o644, 0o640, 0o604, 0o660] {
        let path = dir.path().join(format!("open-{mode:o}.session"));
        write_with_mode(&path, &vector_bytes("telethon_v8.session"), mode);
        let run = run(&["verify", arg(&path)]);
        let line = run.fails(4, "chmod 600");
        assert!(line.contains(&format!("mode 0{mode:o}")), "{line}");
        assert!(run.text().contains("PROBLEM"), "{}", run.text());
    }
}

#[test]
fn a_session_without_a_key_for_its_home_dc_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = Session::new();
    session.home_dc = Some(2);
    session.dcs.push(DcEntry::new(2));
    let path = dir.path().join("keyless.tgs");
    write_with_mode(&path, &session.encode().unwrap(), 0o600);
    run(&["verify", arg(&path)]).fails(4, "no auth key for the home DC 2");

    let path = dir.path().join("homeless.tgs");
    write_with_mode(&path, &Session::new().encode().unwrap(), 0o600);
    run(&["verify", arg(&path)]).fails(4, "no home DC");
}

#[test]
fn damaged_data_cannot_be_read_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let good = {
        let text = vector_bytes("telethon_string_ipv4.txt");
        session_interop::read(session_interop::Format::TelethonString, &text)
            .unwrap()
            .session
            .encode()
            .unwrap()
    };
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    let path = dir.path().join("flipped.tgs");
    write_with_mode(&path, &flipped, 0o600);
    run(&["verify", "--from", "tgsession", arg(&path)]).fails(1, "tgsession");
    run(&["verify", arg(&path)]).fails(1, "not a session");

    let path = dir.path().join("cut.tgs");
    write_with_mode(&path, &good[..good.len() - 1], 0o600);
    run(&["verify", arg(&path)]).fails(1, "not a session");
}

#[test]
fn strings_and_standard_input_verify_without_a_permission_check() {
    let text = String::from_utf8(vector_bytes("telethon_string_ipv4.txt")).unwrap();
    let given = run(&["verify", "--string", text.trim()]).ok();
    assert!(given.text().contains("not a file"), "{}", given.text());
    run_with_stdin(&["verify", "-"], text.as_bytes()).ok();
}
