//! Typed errors that name the path: a missing directory, a directory or a file in the way, no permission,
//! and a corrupt session file (which is left as it was).

use std::fs;
use std::path::Path;

use session_core::{
    Bytes, ErrorKind, Expect, SessionDelete, SessionStorage, SessionStorageExt, Slot, StorageError,
    VersionedStorage,
};
use session_file::{FileStorage, FileStore};

/// Runs every operation of `storage` and returns `(operation, result)` pairs, each result as `Ok(())` or
/// the error.
async fn every_operation(storage: &FileStorage) -> Vec<(&'static str, Result<(), StorageError>)> {
    vec![
        ("load", storage.load().await.map(drop)),
        ("load_versioned", storage.load_versioned().await.map(drop)),
        ("store", storage.store(Bytes::from_static(b"x")).await),
        (
            "store_if",
            storage
                .store_if(Bytes::from_static(b"x"), Expect::Absent)
                .await
                .map(drop),
        ),
        ("delete", storage.delete().await),
    ]
}

/// Asserts that every operation fails with `kind` and a message naming `path`.
async fn assert_every_operation_fails(storage: &FileStorage, kind: ErrorKind, path: &Path) {
    for (operation, result) in every_operation(storage).await {
        let err = result.expect_err(operation);
        assert_eq!(err.kind(), kind, "{operation}: {err}");
        assert_eq!(err.backend(), "file");
        assert!(
            err.message().contains(&path.display().to_string()),
            "{operation}: the message should name {}: {err}",
            path.display()
        );
    }
}

#[tokio::test]
async fn a_missing_directory_is_a_config_error_even_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let storage = FileStore::new(&missing)
        .open(&Slot::new("alice").unwrap())
        .unwrap();
    assert_every_operation_fails(&storage, ErrorKind::Config, &missing).await;
    assert!(!missing.exists(), "the directory must not be created");

    let err = storage.load().await.unwrap_err();
    assert!(err.message().contains("does not exist"), "{err}");
}

#[tokio::test]
async fn a_directory_at_the_session_path_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my.session");
    fs::create_dir(&path).unwrap();
    fs::write(path.join("inside"), b"keep").unwrap();
    let storage = FileStorage::new(&path).unwrap();
    assert_every_operation_fails(&storage, ErrorKind::Config, &path).await;
    assert_eq!(fs::read(path.join("inside")).unwrap(), b"keep");
    assert!(
        !storage.temp_path().exists(),
        "a failed write removes its temporary file"
    );
}

#[tokio::test]
async fn a_regular_file_in_place_of_the_directory_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sessions");
    fs::write(&file, b"not a directory").unwrap();
    let storage = FileStorage::new(file.join("my.session")).unwrap();
    assert_every_operation_fails(&storage, ErrorKind::Config, &file).await;
}

/// Tests run as root, which `chmod` does not stop; sysfs refuses to create files for everyone, root included.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn writing_where_even_root_may_not_create_files_is_permission_denied() {
    let storage = FileStore::new("/sys")
        .open(&Slot::new("tgsession-test").unwrap())
        .unwrap();
    assert_eq!(storage.load().await.unwrap(), None);
    for (operation, result) in every_operation(&storage).await.into_iter().skip(2) {
        let err = result.expect_err(operation);
        assert_eq!(
            err.kind(),
            ErrorKind::PermissionDenied,
            "{operation}: {err}"
        );
        assert!(err.message().contains("/sys/"), "{operation}: {err}");
        assert!(
            std::error::Error::source(&err).is_some(),
            "{operation}: the io::Error is kept"
        );
    }
}

#[tokio::test]
async fn a_corrupt_session_file_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::new(dir.path().join("my.session")).unwrap();
    let garbage: Vec<u8> = (0..=255).rev().collect();
    fs::write(storage.path(), &garbage).unwrap();

    let err = storage.load_session().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert!(err.codec_error().is_some(), "{err:?}");
    assert_eq!(fs::read(storage.path()).unwrap(), garbage);
    assert!(!storage.temp_path().exists());
}

#[test]
fn a_path_without_a_file_name_is_refused_up_front() {
    for path in ["", "/", "sessions/.."] {
        let err = FileStorage::new(path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{path:?}");
    }
}
