//! What is special to the sled storage: the key mapping and prefixes, named trees, persistence across a real
//! close and reopen, waiting for sled's file lock, the error mapping, and a `Debug` that hides values.

use std::error::Error as _;
use std::path::Path;
use std::time::{Duration, Instant};

use session_core::{
    Bytes, ErrorKind, Expect, SessionDelete, SessionStorage, Slot, StorageError, VersionedStorage,
};
use session_sled::{open_config, open_db, SledStorage};

fn slot(name: &str) -> Slot {
    Slot::new(name).expect("valid slot")
}

fn temp_db() -> (tempfile::TempDir, sled::Db) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = open_db(dir.path().join("db")).expect("open the database");
    (dir, db)
}

/// The kind of `result`'s error, checking that it comes from this backend and keeps sled's error as source.
fn sled_error_kind<T: std::fmt::Debug>(result: Result<T, StorageError>) -> ErrorKind {
    let err = result.expect_err("an error");
    assert_eq!(err.backend(), "sled", "{err}");
    assert!(
        err.source()
            .and_then(|s| s.downcast_ref::<sled::Error>())
            .is_some(),
        "the sled error is kept as source: {err:?}"
    );
    err.kind()
}

#[tokio::test]
async fn the_key_is_prefix_then_slot_name() {
    let (_dir, db) = temp_db();
    let storage = SledStorage::new(&db, slot("main"));
    assert_eq!(storage.prefix(), b"tgsession:");
    assert_eq!(storage.prefix(), SledStorage::DEFAULT_PREFIX);
    assert_eq!(storage.key(), b"tgsession:main");
    assert_eq!(storage.slot().as_str(), "main");

    storage.store(Bytes::from_static(b"value")).await.unwrap();
    assert_eq!(
        db.get(b"tgsession:main").unwrap().as_deref(),
        Some(&b"value"[..])
    );
    assert_eq!(db.len(), 1, "nothing but the slot's key is written");

    let bare = storage.clone().with_prefix("");
    assert_eq!(bare.key(), b"main");
    assert_eq!(bare.load().await.unwrap(), None);
    let custom = storage.with_prefix(b"app/\x00");
    assert_eq!(custom.prefix(), b"app/\x00");
    assert_eq!(custom.key(), b"app/\x00main");
}

#[tokio::test]
async fn prefixes_isolate_the_same_slot() {
    let (_dir, db) = temp_db();
    let default = SledStorage::new(&db, slot("main"));
    let a = SledStorage::new(&db, slot("main")).with_prefix("app-a/");
    let b = SledStorage::new(&db, slot("main")).with_prefix("app-b/");

    default.store(Bytes::from_static(b"default")).await.unwrap();
    a.store(Bytes::from_static(b"a")).await.unwrap();
    assert_eq!(b.load().await.unwrap(), None, "b sees nothing of a");
    b.store(Bytes::from_static(b"b")).await.unwrap();

    assert_eq!(
        default.load().await.unwrap().as_deref(),
        Some(&b"default"[..])
    );
    assert_eq!(a.load().await.unwrap().as_deref(), Some(&b"a"[..]));
    assert_eq!(b.load().await.unwrap().as_deref(), Some(&b"b"[..]));
    assert_eq!(db.get(b"app-a/main").unwrap().as_deref(), Some(&b"a"[..]));

    a.delete().await.unwrap();
    assert_eq!(a.load().await.unwrap(), None);
    assert_eq!(b.load().await.unwrap().as_deref(), Some(&b"b"[..]));
    assert_eq!(
        default.load().await.unwrap().as_deref(),
        Some(&b"default"[..])
    );

    let (_, version_b) = b.load_versioned().await.unwrap().unwrap();
    let err = a
        .store_if(Bytes::from_static(b"x"), Expect::Version(version_b))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Conflict,
        "a version of b means nothing to a"
    );
}

#[tokio::test]
async fn a_named_tree_keeps_its_own_data() {
    let (_dir, db) = temp_db();
    let tree = db.open_tree("sessions").unwrap();
    let in_tree = SledStorage::in_tree(&db, "sessions", slot("main")).unwrap();
    let in_default = SledStorage::new(&db, slot("main"));
    assert_eq!(in_tree.key(), in_default.key());

    in_tree.store(Bytes::from_static(b"tree")).await.unwrap();
    assert_eq!(in_default.load().await.unwrap(), None);
    assert!(db.get(in_tree.key()).unwrap().is_none());
    assert_eq!(
        tree.get(b"tgsession:main").unwrap().as_deref(),
        Some(&b"tree"[..])
    );
    assert_eq!(in_tree.tree().name(), b"sessions");

    in_default
        .store(Bytes::from_static(b"default"))
        .await
        .unwrap();
    assert_eq!(in_tree.load().await.unwrap().as_deref(), Some(&b"tree"[..]));
}

/// Opens the database at `path` in the blocking pool, as async code should.
async fn open_storage(path: &Path, name: &str) -> SledStorage {
    let (path, name) = (path.to_owned(), slot(name));
    tokio::task::spawn_blocking(move || SledStorage::open(path, name))
        .await
        .expect("the open task ran")
        .expect("open the storage")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_and_versions_survive_closing_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let storage = open_storage(&path, "main").await;
    let mut expected = storage
        .store_if(Bytes::from_static(b"round 0"), Expect::Absent)
        .await
        .unwrap();
    drop(storage);

    // Each round closes the database (the storage holds the only handle) and opens it again at once.
    for round in 1..=20 {
        let storage = open_storage(&path, "main").await;
        let (value, version) = storage.load_versioned().await.unwrap().expect("persisted");
        assert_eq!(value, format!("round {}", round - 1).as_bytes());
        assert_eq!(version, expected, "round {round}: the version survives too");
        expected = storage
            .store_if(
                Bytes::from(format!("round {round}")),
                Expect::Version(version),
            )
            .await
            .unwrap();
    }

    let storage = open_storage(&path, "main").await;
    storage.delete().await.unwrap();
    drop(storage);
    let storage = open_storage(&path, "main").await;
    assert_eq!(storage.load().await.unwrap(), None, "the delete persisted");
}

#[test]
fn a_held_lock_is_unavailable_and_a_released_one_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let first = open_db(&path).unwrap();

    let started = Instant::now();
    let wait = Duration::from_millis(100);
    let held = open_config(&sled::Config::new().path(&path), wait);
    assert!(
        started.elapsed() >= wait,
        "waited for the lock before giving up"
    );
    let err = held.as_ref().map(drop).unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err.message().contains("locked"), "{err}");
    assert_eq!(sled_error_kind(held), ErrorKind::Unavailable);

    let closer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        drop(first);
    });
    let second = open_db(&path).expect("open_db waits until the first handle is closed");
    closer.join().unwrap();
    drop(second);
}

#[test]
fn a_path_that_is_a_file_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    assert_eq!(sled_error_kind(open_db(&file)), ErrorKind::Config);
    assert_eq!(
        sled_error_kind(open_config(
            &sled::Config::new().path(&file),
            Duration::ZERO
        )),
        ErrorKind::Config
    );
}

#[test]
fn settings_that_contradict_the_database_are_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    drop(open_db(&path).unwrap());
    let config = sled::Config::new().path(&path).segment_size(1 << 16);
    assert_eq!(
        sled_error_kind(open_config(&config, Duration::from_secs(2))),
        ErrorKind::Unsupported
    );
}

#[test]
fn a_damaged_config_file_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    drop(open_db(&path).unwrap());
    std::fs::write(path.join("conf"), b"not a sled configuration at all\n").unwrap();
    assert_eq!(sled_error_kind(open_db(&path)), ErrorKind::Corrupt);
}

#[tokio::test]
async fn a_dropped_tree_is_a_config_error() {
    let (_dir, db) = temp_db();
    let storage = SledStorage::in_tree(&db, "gone", slot("main")).unwrap();
    storage.store(Bytes::from_static(b"x")).await.unwrap();
    assert!(db.drop_tree("gone").unwrap());
    let err = storage.load().await.unwrap_err();
    assert!(err.message().contains("\"main\""), "names the slot: {err}");
    assert_eq!(sled_error_kind(Err::<(), _>(err)), ErrorKind::Config);
    assert_eq!(
        sled_error_kind(storage.store(Bytes::from_static(b"y")).await),
        ErrorKind::Config
    );
}

#[tokio::test]
async fn debug_shows_where_not_what() {
    let (_dir, db) = temp_db();
    let storage = SledStorage::in_tree(&db, "sessions", slot("main"))
        .unwrap()
        .with_prefix("app/");
    storage
        .store(Bytes::from_static(b"SECRET-AUTH-KEY-BYTES"))
        .await
        .unwrap();
    let debug = format!("{storage:?}");
    assert_eq!(
        debug,
        r#"SledStorage { tree: "sessions", slot: "main", prefix: "app/" }"#
    );
    assert!(!debug.contains("SECRET"));
    let conflict = storage
        .store_if(Bytes::from_static(b"other"), Expect::Absent)
        .await
        .unwrap_err();
    assert_eq!(conflict.kind(), ErrorKind::Conflict);
    assert!(!format!("{conflict:?}").contains("SECRET"));
}

#[cfg(unix)]
#[test]
fn a_new_database_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/db");
    drop(open_db(&path).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}
