//! What is special to the sled storage's journal: the keys it writes beside the slot's key, that a store,
//! a compaction and a delete leave exactly the keys they should, versions that change with every append and
//! compaction, records refused before they reach sled, snapshots written by a build without journals, a
//! damaged journal state, and a `Debug` that hides values.

use session_core::{
    Bytes, Epoch, ErrorKind, Expect, JournalPosition, JournalStorage, Patch, Record, Session,
    SessionDelete, SessionStorage, Slot, Version, VersionedStorage,
};
use session_sled::{open_db, SledStorage};

fn temp_db() -> (tempfile::TempDir, sled::Db) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = open_db(dir.path().join("db")).expect("open the database");
    (dir, db)
}

fn storage(db: &sled::Db) -> SledStorage {
    SledStorage::new(db, Slot::new("main").expect("valid slot"))
}

/// A snapshot of a session whose home DC is `dc`, at `position`.
fn snapshot(dc: i32, position: JournalPosition) -> Bytes {
    let session = Session {
        home_dc: Some(dc),
        ..Session::default()
    };
    Bytes::from(session.encode_snapshot(&position).expect("encode"))
}

/// The record that sets the home DC to `dc`.
fn record(epoch: Epoch, dc: i32) -> Bytes {
    let mut patch = Patch::new();
    patch.set_home_dc(Some(dc));
    Bytes::from(Record::encode_patch(epoch, &patch).expect("encode"))
}

/// Every key of the tree that starts with `prefix`, in order.
fn keys(db: &sled::Db, prefix: &[u8]) -> Vec<Vec<u8>> {
    db.scan_prefix(prefix)
        .keys()
        .map(|key| key.expect("scan").to_vec())
        .collect()
}

fn record_key(index: u64) -> Vec<u8> {
    [&b"tgsession:main\xff"[..], &index.to_be_bytes()].concat()
}

const KEY: &[u8] = b"tgsession:main";
const META: &[u8] = b"tgsession:main\xff";

fn home_dc(bytes: &[u8]) -> Option<i32> {
    Session::decode(bytes).expect("a session").home_dc
}

#[tokio::test]
async fn records_live_beside_the_slot_key_and_go_with_store_compact_and_delete() {
    let (_dir, db) = temp_db();
    let storage = storage(&db);
    let start = JournalPosition {
        epoch: Epoch::random(),
        next: 5,
    };
    let first = snapshot(1, start);
    storage.store(first.clone()).await.unwrap();
    assert_eq!(keys(&db, KEY), [KEY.to_vec(), META.to_vec()]);
    assert_eq!(
        db.get(KEY).unwrap().as_deref(),
        Some(&first[..]),
        "the snapshot is the stored bytes, unchanged"
    );

    for dc in 2..=5 {
        storage
            .append(start.epoch, record(start.epoch, dc))
            .await
            .unwrap();
    }
    assert_eq!(
        keys(&db, KEY),
        [
            KEY.to_vec(),
            META.to_vec(),
            record_key(5),
            record_key(6),
            record_key(7),
            record_key(8)
        ]
    );
    assert_eq!(
        db.get(record_key(6)).unwrap().as_deref(),
        Some(&record(start.epoch, 3)[..]),
        "a record is stored as given"
    );
    assert_eq!(
        db.get(KEY).unwrap().as_deref(),
        Some(&first[..]),
        "appends leave the snapshot alone"
    );
    let loaded = storage.load().await.unwrap().unwrap();
    assert_eq!(home_dc(&loaded), Some(5));
    assert_eq!(
        Session::snapshot_position(&loaded).unwrap(),
        Some(JournalPosition { next: 9, ..start })
    );

    let at = JournalPosition { next: 7, ..start };
    storage.compact(snapshot(3, at), at).await.unwrap();
    assert_eq!(
        keys(&db, KEY),
        [KEY.to_vec(), META.to_vec(), record_key(7), record_key(8)],
        "a compaction removes exactly the records it includes"
    );
    assert_eq!(home_dc(&storage.load().await.unwrap().unwrap()), Some(5));

    let replaced = JournalPosition::start();
    storage.store(snapshot(9, replaced)).await.unwrap();
    assert_eq!(
        keys(&db, KEY),
        [KEY.to_vec(), META.to_vec()],
        "a store drops every record"
    );
    storage
        .append(replaced.epoch, record(replaced.epoch, 10))
        .await
        .unwrap();
    storage.store(Bytes::from_static(b"plain")).await.unwrap();
    assert_eq!(
        keys(&db, KEY),
        [KEY.to_vec()],
        "a value without a journal position has no journal state"
    );

    let again = JournalPosition::start();
    storage.store(snapshot(1, again)).await.unwrap();
    storage
        .append(again.epoch, record(again.epoch, 2))
        .await
        .unwrap();
    storage.delete().await.unwrap();
    assert!(keys(&db, KEY).is_empty(), "a delete removes every key");
    assert_eq!(db.len(), 0);
}

#[tokio::test]
async fn every_append_and_compaction_changes_the_version() {
    let (_dir, db) = temp_db();
    let storage = storage(&db);
    let start = JournalPosition::start();
    let first = snapshot(1, start);
    let stored = storage
        .store_if(first.clone(), Expect::Absent)
        .await
        .unwrap();
    assert_eq!(stored, Version::of_content(&first));
    let (_, loaded) = storage.load_versioned().await.unwrap().unwrap();
    assert_eq!(
        loaded, stored,
        "a snapshot without records has its content version"
    );

    let mut seen = vec![stored];
    storage
        .append(start.epoch, record(start.epoch, 2))
        .await
        .unwrap();
    seen.push(storage.load_versioned().await.unwrap().unwrap().1);
    // A compaction that changes nothing a reader sees still changes the version.
    let journal = storage.load_journal().await.unwrap().unwrap();
    let replayed = journal.replay().unwrap();
    let at = replayed.position.unwrap();
    let before = storage.load().await.unwrap();
    storage
        .compact(
            Bytes::from(replayed.session.encode_snapshot(&at).unwrap()),
            at,
        )
        .await
        .unwrap();
    assert_eq!(storage.load().await.unwrap(), before);
    seen.push(storage.load_versioned().await.unwrap().unwrap().1);
    storage
        .append(start.epoch, record(start.epoch, 3))
        .await
        .unwrap();
    seen.push(storage.load_versioned().await.unwrap().unwrap().1);
    for (i, a) in seen.iter().enumerate() {
        for b in &seen[i + 1..] {
            assert_ne!(a, b, "versions {seen:?}");
        }
    }
    for stale in &seen[..3] {
        let refused = storage
            .store_if(Bytes::from_static(b"x"), Expect::Version(stale.clone()))
            .await;
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::Conflict);
    }
    let (value, current) = storage.load_versioned().await.unwrap().unwrap();
    assert_eq!(home_dc(&value), Some(3));
    storage
        .store_if(Bytes::from_static(b"x"), Expect::Version(current))
        .await
        .unwrap();
    assert_eq!(keys(&db, KEY), [KEY.to_vec()]);
}

#[tokio::test]
async fn versions_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let start = JournalPosition::start();
    let version = {
        let db = open_db(&path).unwrap();
        let storage = storage(&db);
        storage.store(snapshot(1, start)).await.unwrap();
        storage
            .append(start.epoch, record(start.epoch, 2))
            .await
            .unwrap();
        storage.load_versioned().await.unwrap().unwrap().1
    };
    let db = tokio::task::spawn_blocking(move || open_db(path))
        .await
        .unwrap()
        .unwrap();
    let storage = storage(&db);
    assert_eq!(storage.load_versioned().await.unwrap().unwrap().1, version);
    assert_eq!(
        storage
            .append(start.epoch, record(start.epoch, 3))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn records_that_are_not_whole_records_of_the_epoch_are_refused() {
    let (_dir, db) = temp_db();
    let storage = storage(&db);
    let start = JournalPosition::start();
    storage.store(snapshot(1, start)).await.unwrap();
    let good = record(start.epoch, 2);
    let cut = good.slice(..good.len() - 1);
    let other = record(Epoch::random(), 2);
    for (bad, what) in [
        (cut, "a cut record"),
        (Bytes::from_static(b"junk"), "junk"),
        (other, "a record of another epoch"),
    ] {
        let err = storage.append(start.epoch, bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{what}: {err}");
    }
    assert_eq!(
        keys(&db, KEY),
        [KEY.to_vec(), META.to_vec()],
        "nothing was written"
    );
    assert_eq!(storage.append(start.epoch, good).await.unwrap(), 0);
}

#[tokio::test]
async fn a_snapshot_without_a_journal_state_has_an_empty_journal() {
    let (_dir, db) = temp_db();
    let storage = storage(&db);
    let start = JournalPosition {
        epoch: Epoch::random(),
        next: 3,
    };
    // What a build without journals leaves: the snapshot alone.
    let first = snapshot(1, start);
    db.insert(KEY, &first[..]).unwrap();
    let journal = storage.load_journal().await.unwrap().unwrap();
    assert_eq!((journal.base, journal.records.len()), (3, 0));
    assert_eq!(storage.load().await.unwrap(), Some(first.clone()));
    let (_, version) = storage.load_versioned().await.unwrap().unwrap();
    assert_eq!(version, Version::of_content(&first));

    let other = Epoch::random();
    let refused = storage.append(other, record(other, 2)).await;
    assert_eq!(refused.unwrap_err().kind(), ErrorKind::Conflict);
    assert_eq!(
        storage
            .append(start.epoch, record(start.epoch, 2))
            .await
            .unwrap(),
        3
    );
    assert_eq!(home_dc(&storage.load().await.unwrap().unwrap()), Some(2));
    let refused = storage
        .store_if(Bytes::from_static(b"x"), Expect::Version(version))
        .await;
    assert_eq!(refused.unwrap_err().kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn a_damaged_journal_state_fails_reads_and_gives_way_to_a_store() {
    let (_dir, db) = temp_db();
    let storage = storage(&db);
    let start = JournalPosition::start();
    storage.store(snapshot(1, start)).await.unwrap();
    db.insert(META, &b"\x01short"[..]).unwrap();
    for err in [
        storage.load().await.unwrap_err(),
        storage.load_journal().await.unwrap_err(),
        storage
            .append(start.epoch, record(start.epoch, 2))
            .await
            .unwrap_err(),
        storage
            .store_if(Bytes::from_static(b"x"), Expect::Absent)
            .await
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    }
    db.insert(META, &b"\x09newer"[..]).unwrap();
    let err = storage.load().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");

    storage.store(Bytes::from_static(b"plain")).await.unwrap();
    assert_eq!(keys(&db, KEY), [KEY.to_vec()]);
    assert_eq!(
        storage.load().await.unwrap().as_deref(),
        Some(&b"plain"[..])
    );
}

#[tokio::test]
async fn errors_and_debug_never_show_records_or_snapshots() {
    let (_dir, db) = temp_db();
    let storage = storage(&db);
    let start = JournalPosition::start();
    let first = snapshot(1, start);
    storage.store(first.clone()).await.unwrap();
    storage
        .append(start.epoch, record(start.epoch, 2))
        .await
        .unwrap();
    let other = Epoch::random();
    let errors = [
        storage.append(other, record(other, 3)).await.unwrap_err(),
        storage
            .append(start.epoch, Bytes::from_static(b"secret record"))
            .await
            .unwrap_err(),
        storage
            .compact(first.clone(), JournalPosition { next: 1, ..start })
            .await
            .unwrap_err(),
        storage
            .compact(
                snapshot(1, JournalPosition { next: 9, ..start }),
                JournalPosition { next: 9, ..start },
            )
            .await
            .unwrap_err(),
    ];
    let journal = storage.load_journal().await.unwrap().unwrap();
    let shown = format!("{errors:?} {journal:?} {storage:?}");
    for error in &errors {
        assert!(!error.to_string().contains("secret"), "{error}");
    }
    assert!(!shown.contains("secret"), "{shown}");
    let hex: String = first[..8].iter().map(|b| format!("{b:02x}")).collect();
    assert!(!shown.contains(&hex), "{shown}");
    assert_eq!(errors[0].kind(), ErrorKind::Conflict);
    assert_eq!(errors[1].kind(), ErrorKind::InvalidInput);
    assert_eq!(errors[2].kind(), ErrorKind::InvalidInput);
    assert_eq!(errors[3].kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn a_missing_record_is_corruption() {
    let (_dir, db) = temp_db();
    let storage = storage(&db);
    let start = JournalPosition::start();
    storage.store(snapshot(1, start)).await.unwrap();
    for dc in 2..=3 {
        storage
            .append(start.epoch, record(start.epoch, dc))
            .await
            .unwrap();
    }
    db.remove(record_key(0)).unwrap();
    let err = storage.load().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert!(err.to_string().contains("record 0"), "{err}");
    // A store replaces the journal whatever it held.
    storage.store(snapshot(4, start)).await.unwrap();
    assert_eq!(keys(&db, KEY), [KEY.to_vec(), META.to_vec()]);
    assert_eq!(home_dc(&storage.load().await.unwrap().unwrap()), Some(4));
}
