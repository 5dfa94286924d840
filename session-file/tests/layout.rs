//! What a `FileStorage` leaves on disk: the session file holds exactly the stored bytes, companion files
//! are where the docs say, everything is private (mode 0600), and stale temporary files are cleaned up.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use session_core::{Bytes, Expect, SessionDelete, SessionStorage, Slot, Version, VersionedStorage};
use session_file::{FileStorage, FileStore};

fn names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| name.to_string()).collect()
}

#[tokio::test]
async fn the_file_holds_exactly_the_stored_bytes_and_is_read_as_is() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::new(dir.path().join("my.session")).unwrap();
    storage
        .store(Bytes::from_static(b"\x00raw\xffbytes"))
        .await
        .unwrap();
    assert_eq!(fs::read(storage.path()).unwrap(), b"\x00raw\xffbytes");

    // A file written by another program is loaded unchanged, with its content hash as version.
    fs::write(storage.path(), b"written elsewhere").unwrap();
    let (data, version) = storage.load_versioned().await.unwrap().unwrap();
    assert_eq!(&data[..], b"written elsewhere");
    assert_eq!(version, Version::of_content(b"written elsewhere"));
}

#[tokio::test]
async fn a_store_leaves_the_session_and_lock_files_and_delete_only_the_lock_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let storage = store.open(&Slot::new("acct:1").unwrap()).unwrap();
    assert_eq!(names(dir.path()), set(&[]), "opening touches nothing");

    storage.store(Bytes::from_static(b"one")).await.unwrap();
    storage
        .store_if(
            Bytes::from_static(b"two"),
            Expect::Version(Version::of_content(b"one")),
        )
        .await
        .unwrap();
    assert_eq!(
        names(dir.path()),
        set(&["acct:1.session", ".acct:1.session.lock"])
    );
    assert_eq!(storage.lock_path(), dir.path().join(".acct:1.session.lock"));

    storage.delete().await.unwrap();
    assert_eq!(names(dir.path()), set(&[".acct:1.session.lock"]));
    assert_eq!(storage.load().await.unwrap(), None);
}

#[tokio::test]
async fn every_created_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::new(dir.path().join("my.session")).unwrap();
    // A session file readable by everyone, from some earlier tool, is replaced by a private one.
    fs::write(storage.path(), b"old").unwrap();
    fs::set_permissions(storage.path(), fs::Permissions::from_mode(0o644)).unwrap();

    storage.store(Bytes::from_static(b"new")).await.unwrap();
    assert_eq!(mode(storage.path()), 0o600);
    assert_eq!(mode(storage.lock_path()), 0o600);
}

#[tokio::test]
async fn a_temporary_file_left_by_a_killed_writer_is_removed_by_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::new(dir.path().join("my.session")).unwrap();
    let leave_stale_temp = || {
        fs::write(storage.temp_path(), b"half a sess").unwrap();
        fs::set_permissions(storage.temp_path(), fs::Permissions::from_mode(0o666)).unwrap();
    };
    let expected = set(&["my.session", ".my.session.lock"]);

    leave_stale_temp();
    storage.store(Bytes::from_static(b"stored")).await.unwrap();
    assert_eq!(names(dir.path()), expected, "after store");
    assert_eq!(
        mode(storage.path()),
        0o600,
        "the stale file's mode did not carry over"
    );

    leave_stale_temp();
    let version = storage
        .store_if(
            Bytes::from_static(b"swapped"),
            Expect::Version(Version::of_content(b"stored")),
        )
        .await
        .unwrap();
    assert_eq!(names(dir.path()), expected, "after store_if");
    assert_eq!(
        storage.load_versioned().await.unwrap(),
        Some((Bytes::from_static(b"swapped"), version))
    );

    leave_stale_temp();
    storage.delete().await.unwrap();
    assert_eq!(
        names(dir.path()),
        set(&[".my.session.lock"]),
        "after delete"
    );
}

#[tokio::test]
async fn a_stale_temporary_file_is_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::new(dir.path().join("my.session")).unwrap();
    fs::write(storage.temp_path(), b"half a sess").unwrap();
    assert_eq!(storage.load().await.unwrap(), None);
    storage.store(Bytes::from_static(b"whole")).await.unwrap();
    fs::write(storage.temp_path(), b"half a sess").unwrap();
    assert_eq!(
        storage.load().await.unwrap().as_deref(),
        Some(&b"whole"[..])
    );
}

#[tokio::test]
async fn debug_shows_the_path_and_never_the_contents() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let storage = store.open(&Slot::new("alice").unwrap()).unwrap();
    storage
        .store(Bytes::from_static(b"SECRET-AUTH-KEY-BYTES"))
        .await
        .unwrap();

    let shown = format!("{storage:?}");
    assert!(shown.contains("alice.session"), "{shown}");
    assert!(!shown.contains("SECRET"), "{shown}");
    let shown = format!("{store:?}");
    assert!(shown.contains(&dir.path().display().to_string()), "{shown}");
    assert!(!shown.contains("SECRET"), "{shown}");
}
