//! Links and directories planted by another user where the adapter opens a database: a symbolic link at the
//! database path, a database directory owned by someone else, a symbolic link in place of one of sled's
//! files. Each is refused with `PermissionDenied` naming the path, and nothing is created through a link.
//!
//! The attacks are staged as they happen: in a world-writable sticky directory (like `/tmp`), the user
//! `nobody` owns what it planted, while the test (root, as CI runs it) opens the database. They need root to
//! give files away; run without root they fail and say so.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use session_conformance::planted::{give_to_nobody, plant_symlink, shared_sticky_dir, NOBODY};
use session_core::{ErrorKind, Slot, StorageError};
use session_sled::{check_private, open_config, open_db, Issue, SledStorage, DEFAULT_LOCK_WAIT};

/// Asserts that `result` is a `PermissionDenied` error whose message names `path` and contains `words`.
fn assert_refused<T: std::fmt::Debug>(result: Result<T, StorageError>, path: &Path, words: &str) {
    let err = result.expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(
        err.message().contains(&path.display().to_string()),
        "the message should name {}: {err}",
        path.display()
    );
    assert!(
        err.message().contains(words),
        "the message should say {words:?}: {err}"
    );
}

fn entries(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_symbolic_link_at_the_database_path_is_refused_and_never_followed() {
    let shared = shared_sticky_dir();
    let elsewhere = tempfile::tempdir().unwrap();

    // A link to a path that does not exist yet: following it would create the database there.
    let missing_target = elsewhere.path().join("victim.sled");
    let link = shared.path().join("sessions.sled");
    plant_symlink(&link, &missing_target);
    assert_refused(
        open_db(&link),
        &link,
        "is a symbolic link; refusing to follow it",
    );
    assert_refused(
        SledStorage::open(&link, Slot::new("main").unwrap()),
        &link,
        "symbolic link",
    );
    assert_refused(
        open_config(&sled::Config::new().path(&link), DEFAULT_LOCK_WAIT),
        &link,
        "symbolic link",
    );
    assert!(
        !missing_target.exists(),
        "nothing was created at the link's target"
    );

    // A link to an existing directory: following it would fill that directory.
    let existing_target = elsewhere.path().join("existing");
    fs::create_dir(&existing_target).unwrap();
    let link = shared.path().join("other.sled");
    plant_symlink(&link, &existing_target);
    assert_refused(
        open_db(&link),
        &link,
        "is a symbolic link; refusing to follow it",
    );
    assert_eq!(
        entries(&existing_target),
        Vec::<String>::new(),
        "nothing created in the target"
    );
    assert_eq!(
        check_private(&link).unwrap()[0].issue,
        Issue::SymbolicLink,
        "check_private reports it too"
    );
}

#[test]
fn a_database_directory_owned_by_another_user_is_refused() {
    let shared = shared_sticky_dir();
    let path = shared.path().join("sessions.sled");
    fs::create_dir(&path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o700)).unwrap();
    give_to_nobody(&path);

    assert_refused(open_db(&path), &path, &format!("owned by uid {NOBODY}"));
    assert_eq!(
        entries(&path),
        Vec::<String>::new(),
        "sled created nothing in it"
    );
    let problems = check_private(&path).unwrap();
    assert!(
        problems.iter().any(|problem| problem.path == path
            && problem.issue
                == Issue::OwnedByOtherUser {
                    uid: NOBODY,
                    expected: 0
                }),
        "{problems:?}"
    );
}

#[test]
fn a_symbolic_link_planted_among_sleds_files_is_refused() {
    let elsewhere = tempfile::tempdir().unwrap();
    for name in ["db", "conf", "blobs"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sessions.sled");
        drop(open_db(&path).unwrap());
        // As if the directory had been writable by others before: a stranger's link replaces one of
        // sled's files.
        let planted = path.join(name);
        if name == "blobs" {
            fs::remove_dir(&planted).unwrap();
        } else {
            fs::remove_file(&planted).unwrap();
        }
        let target = elsewhere.path().join(name);
        plant_symlink(&planted, &target);

        assert_refused(open_db(&path), &planted, "symbolic link");
        assert!(
            !target.exists(),
            "{name}: nothing was created at the link's target"
        );
    }
}

#[test]
fn another_users_file_among_sleds_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.sled");
    drop(open_db(&path).unwrap());
    let conf = path.join("conf");
    give_to_nobody(&conf);
    assert_refused(open_db(&path), &conf, &format!("owned by uid {NOBODY}"));
}
