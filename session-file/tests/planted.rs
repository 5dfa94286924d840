//! Files planted by another user at the paths the adapter writes: a symbolic link, a hard link, a FIFO or a
//! stranger's file at the lock file's path is refused with `PermissionDenied` naming the path, and nothing is
//! ever created or written through a link. Loads of something that is not a regular file end in bounded time.
//!
//! The journal (`.<name>.jnl`) is written in place like the lock file, so it is guarded the same way: an
//! append refuses anything at its path that this crate did not create. Loads refuse it too, when the session
//! file names a journal: a load must read the journal an append would write, and must not apply records
//! from a file someone else controls (for a session file that names no journal, nothing is read there).
//!
//! The attacks are staged as the issue describes them: a world-writable sticky directory (like `/tmp`) in
//! which the user `nobody` owns what it planted, while the test (root, as CI runs it) writes the session.
//! They need root to give files away; run without root they fail and say so.

#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use session_conformance::planted::{give_to_nobody, plant_symlink, shared_sticky_dir};
use session_core::{
    Bytes, ErrorKind, Expect, JournalPosition, JournalStorage, SessionDelete, SessionStorage,
    StorageError, VersionedStorage,
};
use session_file::FileStorage;

use common::{base_session, journal_file, pending, record_of, snapshot_of};

/// Every write of the storage: store, store_if (create-if-absent, as `tgsession copy` does) and delete.
async fn every_write(storage: &FileStorage) -> Vec<(&'static str, Result<(), StorageError>)> {
    vec![
        ("store", storage.store(Bytes::from_static(b"key")).await),
        (
            "store_if",
            storage
                .store_if(Bytes::from_static(b"key"), Expect::Absent)
                .await
                .map(drop),
        ),
        ("delete", storage.delete().await),
    ]
}

/// Asserts that every write fails with `PermissionDenied` and a message naming `path`.
async fn assert_every_write_refused(storage: &FileStorage, path: &Path) {
    for (operation, result) in every_write(storage).await {
        let err = result.expect_err(operation);
        assert_eq!(
            err.kind(),
            ErrorKind::PermissionDenied,
            "{operation}: {err}"
        );
        assert!(
            err.message().contains(&path.display().to_string()),
            "{operation}: the message should name {}: {err}",
            path.display()
        );
    }
}

fn session_in(dir: &Path) -> FileStorage {
    FileStorage::new(dir.join("v2.tgs")).unwrap()
}

#[tokio::test]
async fn a_symlinked_lock_file_is_refused_and_its_target_never_created() {
    let shared = shared_sticky_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("any-path");
    let storage = session_in(shared.path());
    plant_symlink(storage.lock_path(), &victim);

    assert_every_write_refused(&storage, storage.lock_path()).await;
    let err = storage.store(Bytes::from_static(b"key")).await.unwrap_err();
    assert!(err.message().contains("symbolic link"), "{err}");
    assert!(!victim.exists(), "the link's target must not be created");
    assert!(!storage.path().exists(), "nothing is written");
    assert!(fs::symlink_metadata(storage.lock_path())
        .unwrap()
        .file_type()
        .is_symlink());
}

#[tokio::test]
async fn a_symlinked_lock_file_to_an_existing_file_leaves_that_file_alone() {
    let shared = shared_sticky_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("precious");
    fs::write(&victim, b"precious").unwrap();
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o644)).unwrap();
    let storage = session_in(shared.path());
    plant_symlink(storage.lock_path(), &victim);

    assert_every_write_refused(&storage, storage.lock_path()).await;
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    let mode = fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "the link's target keeps its mode");
}

#[tokio::test]
async fn a_lock_file_owned_by_another_user_is_refused() {
    let shared = shared_sticky_dir();
    let storage = session_in(shared.path());
    fs::write(storage.lock_path(), b"").unwrap();
    give_to_nobody(storage.lock_path());

    assert_every_write_refused(&storage, storage.lock_path()).await;
    let err = storage.delete().await.unwrap_err();
    assert!(err.message().contains("uid 65534"), "{err}");
}

#[tokio::test]
async fn a_lock_file_owned_by_the_directory_owner_is_accepted() {
    // A service's own directory: its user made the lock file, and root (say, an operator's `tgsession copy`)
    // may use it, since that user controls the directory anyway.
    let dir = shared_sticky_dir();
    let own = dir.path().join("service");
    fs::create_dir(&own).unwrap();
    give_to_nobody(&own);
    let storage = session_in(&own);
    fs::write(storage.lock_path(), b"").unwrap();
    give_to_nobody(storage.lock_path());

    storage.store(Bytes::from_static(b"key")).await.unwrap();
    assert_eq!(storage.load().await.unwrap().as_deref(), Some(&b"key"[..]));
}

#[tokio::test]
async fn a_hard_linked_lock_file_is_refused() {
    let shared = shared_sticky_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("root-owned");
    fs::write(&victim, b"root's").unwrap();
    let storage = session_in(shared.path());
    fs::hard_link(&victim, storage.lock_path()).unwrap();

    assert_every_write_refused(&storage, storage.lock_path()).await;
    assert_eq!(fs::read(&victim).unwrap(), b"root's");
}

#[tokio::test]
async fn a_fifo_at_the_lock_file_path_is_refused_without_hanging() {
    let shared = shared_sticky_dir();
    let storage = session_in(shared.path());
    make_fifo(storage.lock_path());

    let started = Instant::now();
    assert_every_write_refused(&storage, storage.lock_path()).await;
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn symlinks_at_the_session_and_temporary_paths_are_replaced_never_written_through() {
    let shared = shared_sticky_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    let storage = session_in(shared.path());
    let temp_victim = elsewhere.path().join("temp-victim");
    let target_victim = elsewhere.path().join("target-victim");
    fs::write(&target_victim, b"precious").unwrap();
    plant_symlink(storage.temp_path(), &temp_victim);
    plant_symlink(storage.path(), &target_victim);

    storage.store(Bytes::from_static(b"key")).await.unwrap();

    assert!(!temp_victim.exists(), "never created through the temp link");
    assert_eq!(fs::read(&target_victim).unwrap(), b"precious");
    let meta = fs::symlink_metadata(storage.path()).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the link was replaced by the file"
    );
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(fs::read(storage.path()).unwrap(), b"key");
}

#[tokio::test]
async fn loading_something_that_is_not_a_regular_file_fails_in_bounded_time() {
    let shared = shared_sticky_dir();
    let fifo_storage = session_in(shared.path());
    make_fifo(fifo_storage.path());
    let zero_storage = FileStorage::new(shared.path().join("zero.tgs")).unwrap();
    plant_symlink(zero_storage.path(), Path::new("/dev/zero"));

    for storage in [&fifo_storage, &zero_storage] {
        let started = Instant::now();
        for result in [
            storage.load().await.map(drop),
            storage.load_versioned().await.map(drop),
        ] {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{err}");
            assert!(err.message().contains("not a regular file"), "{err}");
        }
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}

/// Makes a FIFO at `path`, owned by `nobody`.
fn make_fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo (coreutils) runs");
    assert!(status.success());
    give_to_nobody(path);
}

/// A session in `dir` stored as a journal snapshot (which has no journal file until its first append).
async fn journaled_session_in(dir: &Path) -> (FileStorage, JournalPosition) {
    let storage = session_in(dir);
    let position = JournalPosition::start();
    storage
        .store(snapshot_of(&base_session(), position))
        .await
        .unwrap();
    (storage, position)
}

/// Asserts that the journal operations (append, load, load_journal, compact) fail with `PermissionDenied`
/// naming the journal, and that the message says `what` is wrong.
async fn assert_journal_refused(storage: &FileStorage, position: JournalPosition, what: &str) {
    let epoch = position.epoch;
    let results = [
        (
            "append",
            storage.append(epoch, record_of(epoch, 1)).await.map(drop),
        ),
        ("load", storage.load().await.map(drop)),
        ("load_versioned", storage.load_versioned().await.map(drop)),
        ("load_journal", storage.load_journal().await.map(drop)),
        (
            "compact",
            storage
                .compact(snapshot_of(&base_session(), position), position)
                .await,
        ),
    ];
    for (operation, result) in results {
        let err = result.expect_err(operation);
        assert_eq!(
            err.kind(),
            ErrorKind::PermissionDenied,
            "{operation}: {err}"
        );
        assert!(
            err.message()
                .contains(&storage.journal_path().display().to_string()),
            "{operation}: the message should name the journal: {err}"
        );
        assert!(err.message().contains(what), "{operation}: {err}");
    }
}

#[tokio::test]
async fn a_symlinked_journal_is_refused_and_its_target_never_created() {
    let shared = shared_sticky_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("any-path");
    let (storage, position) = journaled_session_in(shared.path()).await;
    plant_symlink(storage.journal_path(), &victim);

    assert_journal_refused(&storage, position, "symbolic link").await;
    assert!(!victim.exists(), "the link's target must not be created");
    assert!(fs::symlink_metadata(storage.journal_path())
        .unwrap()
        .file_type()
        .is_symlink());
}

/// The link points at a journal of the session's own epoch (as if the planter had learned it) with a
/// record of their choosing: a load must not apply it, and an append must not write to that file.
#[tokio::test]
async fn a_symlinked_journal_to_a_planted_journal_is_never_read_or_written() {
    let shared = shared_sticky_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("forged.jnl");
    let (storage, position) = journaled_session_in(shared.path()).await;
    let forged = journal_file(position.epoch, position.next, &[666]);
    fs::write(&victim, &forged).unwrap();
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o644)).unwrap();
    plant_symlink(storage.journal_path(), &victim);

    assert_journal_refused(&storage, position, "symbolic link").await;
    assert_eq!(fs::read(&victim).unwrap(), forged);
    let mode = fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "the link's target keeps its mode");
}

#[tokio::test]
async fn a_journal_owned_by_another_user_is_refused() {
    let shared = shared_sticky_dir();
    let (storage, position) = journaled_session_in(shared.path()).await;
    fs::write(
        storage.journal_path(),
        journal_file(position.epoch, position.next, &[666]),
    )
    .unwrap();
    give_to_nobody(storage.journal_path());

    assert_journal_refused(&storage, position, "uid 65534").await;
}

#[tokio::test]
async fn a_hard_linked_journal_is_refused() {
    let shared = shared_sticky_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("root-owned");
    let (storage, position) = journaled_session_in(shared.path()).await;
    let content = journal_file(position.epoch, position.next, &[666]);
    fs::write(&victim, &content).unwrap();
    fs::hard_link(&victim, storage.journal_path()).unwrap();

    assert_journal_refused(&storage, position, "hard link").await;
    assert_eq!(fs::read(&victim).unwrap(), content);
}

#[tokio::test]
async fn a_fifo_at_the_journal_path_is_refused_without_hanging() {
    let shared = shared_sticky_dir();
    let (storage, position) = journaled_session_in(shared.path()).await;
    make_fifo(storage.journal_path());

    let started = Instant::now();
    assert_journal_refused(&storage, position, "not a regular file").await;
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A session file that names no journal has none: whatever is planted at the journal's path is never
/// looked at by a load, and an append is refused as a conflict before the path is touched.
#[tokio::test]
async fn a_planted_journal_beside_a_session_without_one_is_never_read() {
    let shared = shared_sticky_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("any-path");
    let storage = session_in(shared.path());
    let plain = Bytes::from(base_session().encode().unwrap());
    storage.store(plain.clone()).await.unwrap();
    plant_symlink(storage.journal_path(), &victim);

    assert_eq!(storage.load().await.unwrap(), Some(plain.clone()));
    let journal = storage.load_journal().await.unwrap().unwrap();
    assert_eq!((journal.snapshot, journal.records.len()), (plain, 0));
    let epoch = session_core::Epoch::random();
    let err = storage
        .append(epoch, record_of(epoch, 1))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(!victim.exists());
}

/// Storing a whole session removes the journal's path (the link itself, never its target), and the next
/// append creates a private journal of its own there; delete removes a link the same way.
#[tokio::test]
async fn store_and_delete_remove_a_planted_journal_link_never_its_target() {
    let shared = shared_sticky_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("precious");
    fs::write(&victim, b"precious").unwrap();
    let (storage, _) = journaled_session_in(shared.path()).await;
    plant_symlink(storage.journal_path(), &victim);

    let position = JournalPosition::start();
    storage
        .store(snapshot_of(&base_session(), position))
        .await
        .unwrap();
    assert!(
        fs::symlink_metadata(storage.journal_path()).is_err(),
        "the link is gone"
    );
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    let index = storage
        .append(position.epoch, record_of(position.epoch, 1))
        .await
        .unwrap();
    assert_eq!(index, 0);
    let meta = fs::symlink_metadata(storage.journal_path()).unwrap();
    assert!(meta.file_type().is_file());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let journal = storage.load_journal().await.unwrap().unwrap();
    assert_eq!(pending(&journal), [(0, 1)]);

    fs::remove_file(storage.journal_path()).unwrap();
    plant_symlink(storage.journal_path(), &victim);
    storage.delete().await.unwrap();
    assert!(fs::symlink_metadata(storage.journal_path()).is_err());
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
}
