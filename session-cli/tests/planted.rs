//! Another user's traps in a shared sticky directory (such as `/tmp`), against a root `tgsession`: a symbolic
//! link planted at the lock file of a `copy --force` or `convert` destination, or at a sled directory, is
//! refused with a message naming it, and nothing is created where it points; `verify` reports a session file
//! owned by someone else, reached through their link, and a sled database other users can read.
//!
//! They need root to give files to `nobody`; run without root they fail and say so.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use session_conformance::planted::{give_to_nobody, plant_symlink, shared_sticky_dir};
use support::{arg, run, vector};

#[test]
fn copy_and_convert_refuse_a_planted_lock_file_link_and_create_nothing() {
    let shared = shared_sticky_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("any-path");
    let target = shared.path().join("v2.tgs");
    plant_symlink(&shared.path().join(".v2.tgs.lock"), &victim);
    let source = vector("telethon_v8.session");
    let url = format!("file:{}", arg(&target));

    for args in [
        vec!["copy", "--force", arg(&source), &url],
        vec!["copy", arg(&source), &url],
        vec![
            "convert",
            "--force",
            arg(&source),
            arg(&target),
            "--to",
            "telethon-string",
        ],
    ] {
        let run = run(&args);
        let line = run.fails(6, "symbolic link");
        assert!(line.contains(".v2.tgs.lock"), "{line}");
        assert!(!victim.exists(), "{args:?} created the link's target");
        assert!(!target.exists(), "{args:?} wrote the session");
    }
}

#[test]
fn copy_refuses_a_planted_sled_directory_link() {
    let shared = shared_sticky_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("db");
    let link = shared.path().join("sessions.sled");
    plant_symlink(&link, &victim);
    let source = vector("telethon_v8.session");
    let url = format!("sled:{}?slot=main", arg(&link));

    let run = run(&["copy", arg(&source), &url]);
    let line = run.fails(6, "symbolic link");
    assert!(line.contains("sessions.sled"), "{line}");
    assert!(!victim.exists(), "the link's target was created");
}

#[test]
fn verify_reports_a_session_owned_by_another_user_behind_their_link() {
    let shared = shared_sticky_dir();
    let theirs = shared.path().join("theirs.session");
    fs::copy(vector("telethon_v8.session"), &theirs).unwrap();
    fs::set_permissions(&theirs, fs::Permissions::from_mode(0o600)).unwrap();
    give_to_nobody(&theirs);
    let link = shared.path().join("mine.session");
    plant_symlink(&link, &theirs);

    let run = run(&["verify", arg(&link)]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    let text = run.text();
    assert!(text.contains("owned by uid 65534"), "{text}");
    assert!(text.contains("symbolic link"), "{text}");
    assert!(!text.contains("owner only"), "{text}");
}

#[test]
fn verify_reports_a_sled_database_other_users_can_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sessions.sled");
    let url = format!("sled:{}?slot=main", arg(&db));
    run(&["copy", arg(&vector("telethon_v8.session")), &url]).ok();
    let private = run(&["verify", &url]).ok();
    assert!(
        private
            .text()
            .contains("every file of the database is private"),
        "{}",
        private.text()
    );

    // What sled alone would have left, or a careless chmod: the key readable by everyone.
    fs::set_permissions(&db, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(db.join("db"), fs::Permissions::from_mode(0o644)).unwrap();
    let run = run(&["verify", &url]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    let text = run.text();
    assert!(text.contains("mode 0755"), "{text}");
    assert!(text.contains("mode 0644"), "{text}");
}
