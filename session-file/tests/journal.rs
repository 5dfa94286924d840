//! The journal beside a session file (`.<name>.jnl`): what a torn or damaged journal file means to readers
//! and to the next append, which journal a snapshot owns, and which writes remove it.
//!
//! The damage is made by hand, by writing to the journal file directly: what a crash mid-append leaves (a
//! cut record, garbage, a record with a wrong checksum at the end) and what only bit rot makes (a flipped
//! byte in the header or in an earlier record).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use session_core::{
    Bytes, Epoch, ErrorKind, Journal, JournalPosition, JournalStorage, SessionDelete,
    SessionStorage, StorageError,
};
use session_file::FileStorage;

use common::{
    base_session, crc32c, journal_file, journal_header, peer_tags, pending, record_of,
    session_with, snapshot_of, tag_of, HEADER_LEN,
};

/// A session file in a fresh directory, started as a journal snapshot of the base session at `next`, with
/// the records tagged `tags` appended (indices `next`, `next + 1`, ...).
struct Fixture {
    _dir: tempfile::TempDir,
    storage: FileStorage,
    position: JournalPosition,
    snapshot: Bytes,
}

impl Fixture {
    async fn new(next: u64, tags: &[u64]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let storage = FileStorage::new(dir.path().join("my.session")).unwrap();
        let position = JournalPosition {
            epoch: Epoch::random(),
            next,
        };
        let snapshot = snapshot_of(&base_session(), position);
        storage.store(snapshot.clone()).await.unwrap();
        for (offset, &tag) in tags.iter().enumerate() {
            let index = storage
                .append(position.epoch, record_of(position.epoch, tag))
                .await
                .unwrap();
            assert_eq!(index, next + offset as u64);
        }
        Fixture {
            _dir: dir,
            storage,
            position,
            snapshot,
        }
    }

    fn journal_bytes(&self) -> Vec<u8> {
        fs::read(self.storage.journal_path()).unwrap()
    }

    /// Appends `bytes` to the journal file in place, as a crashed append would have.
    fn append_raw(&self, bytes: &[u8]) {
        use std::io::Write;
        fs::OpenOptions::new()
            .append(true)
            .open(self.storage.journal_path())
            .unwrap()
            .write_all(bytes)
            .unwrap();
    }

    /// The position after `count` records.
    fn at(&self, count: u64) -> JournalPosition {
        JournalPosition {
            epoch: self.position.epoch,
            next: self.position.next + count,
        }
    }

    async fn load_journal(&self) -> Journal {
        self.storage.load_journal().await.unwrap().unwrap()
    }

    /// Checks that `load_journal` returns the unchanged snapshot with exactly the records tagged `tags`
    /// after it, that it replays to them, and that a plain `load` returns the same session.
    async fn expect_records(&self, tags: &[u64], what: &str) {
        let journal = self.load_journal().await;
        assert_eq!(journal.snapshot, self.snapshot, "{what}: the snapshot");
        let want: Vec<(u64, u64)> = tags
            .iter()
            .enumerate()
            .map(|(offset, &tag)| (self.position.next + offset as u64, tag))
            .collect();
        assert_eq!(pending(&journal), want, "{what}: load_journal");
        let replayed = journal.replay().unwrap();
        let end = self.at(tags.len() as u64);
        assert_eq!(replayed.position, Some(end), "{what}: replayed position");
        assert_eq!(
            replayed.session,
            session_with(tags.iter().copied()),
            "{what}"
        );

        let loaded = self.storage.load().await.unwrap().unwrap();
        let (session, position) = session_core::Session::decode_snapshot(&loaded).unwrap();
        assert_eq!(
            peer_tags(&session),
            tags.iter().copied().collect(),
            "{what}: load"
        );
        assert_eq!(position, Some(end), "{what}: the position load names");
        if tags.is_empty() {
            assert_eq!(loaded, self.snapshot, "{what}: load of an empty journal");
        }
    }
}

/// Replaces the file at `path` with `data` by a rename, as the adapter's own writers do: what a store
/// that crashed after replacing the session file leaves.
fn put(path: &Path, data: impl AsRef<[u8]>) {
    let temp = path.with_extension("test-tmp");
    fs::write(&temp, data).unwrap();
    fs::rename(&temp, path).unwrap();
}

/// What a crash can leave after the last whole record: each is ignored by readers and cut off by the next
/// append.
fn torn_tails(epoch: Epoch) -> Vec<(&'static str, Vec<u8>)> {
    let whole = record_of(epoch, 99).to_vec();
    let mut flipped_payload = whole.clone();
    flipped_payload[30] ^= 0x01;
    let mut flipped_checksum = whole.clone();
    *flipped_checksum.last_mut().unwrap() ^= 0x80;
    // A cut record, then bytes of an older journal of another epoch: not records of this one.
    let mut cut_then_foreign = whole[..40].to_vec();
    cut_then_foreign.extend_from_slice(&record_of(Epoch::random(), 98));
    let mut longer_than_the_file = whole.clone();
    // A payload length that points past the end of the file: the header of a record whose body never came.
    longer_than_the_file[24..28].copy_from_slice(&10_000u32.to_le_bytes());
    vec![
        ("one byte of a record", whole[..1].to_vec()),
        ("a record cut inside its header", whole[..27].to_vec()),
        ("a record cut after its header", whole[..28].to_vec()),
        (
            "a record missing its last byte",
            whole[..whole.len() - 1].to_vec(),
        ),
        ("a record with a flipped payload byte", flipped_payload),
        ("a record with a flipped checksum byte", flipped_checksum),
        ("a record header claiming more bytes", longer_than_the_file),
        (
            "a cut record followed by a record of another epoch",
            cut_then_foreign,
        ),
        ("zeros", vec![0; 300]),
        (
            "garbage",
            (0..200u32).map(|i| (i * 37 + 11) as u8).collect(),
        ),
    ]
}

#[tokio::test]
async fn a_torn_tail_is_never_applied_and_the_next_append_cuts_it_off() {
    let shapes = torn_tails(Epoch::random()).len();
    for shape in 0..shapes {
        // The same handle that appended (its remembered journal length is now wrong) and a fresh handle.
        for fresh_handle in [false, true] {
            let fixture = Fixture::new(5, &[1, 2, 3]).await;
            let (what, tail) = torn_tails(fixture.position.epoch).swap_remove(shape);
            let what = format!("{what} (fresh handle: {fresh_handle})");
            let whole = fixture.journal_bytes();
            fixture.append_raw(&tail);

            fixture.expect_records(&[1, 2, 3], &what).await;
            // Reading never repairs: the torn bytes are still there.
            assert_eq!(
                fixture.journal_bytes().len(),
                whole.len() + tail.len(),
                "{what}"
            );

            let storage = if fresh_handle {
                FileStorage::new(fixture.storage.path()).unwrap()
            } else {
                fixture.storage.clone()
            };
            let record = record_of(fixture.position.epoch, 4);
            let index = storage
                .append(fixture.position.epoch, record.clone())
                .await
                .unwrap();
            assert_eq!(index, fixture.position.next + 3, "{what}: the next index");
            let mut want = whole.clone();
            want.extend_from_slice(&record);
            assert_eq!(
                fixture.journal_bytes(),
                want,
                "{what}: the torn tail is cut off and the record written in its place"
            );
            fixture.expect_records(&[1, 2, 3, 4], &what).await;
        }
    }
}

/// The first append to a journal writes its header and the record in one write: torn, it leaves part of the
/// header (no journal yet) or the header and part of the record (an empty journal). Either way readers see
/// the snapshot alone and the next append lands at the snapshot's position.
#[tokio::test]
async fn a_torn_first_append_leaves_no_record() {
    for cut in [1, 20, HEADER_LEN - 1, HEADER_LEN, HEADER_LEN + 10] {
        let fixture = Fixture::new(9, &[]).await;
        assert!(
            !fixture.storage.journal_path().exists(),
            "a store leaves no journal"
        );
        let mut first = journal_header(fixture.position.epoch, 9);
        first.extend_from_slice(&record_of(fixture.position.epoch, 1));
        fs::write(fixture.storage.journal_path(), &first[..cut]).unwrap();

        fixture.expect_records(&[], &format!("cut at {cut}")).await;
        let index = fixture
            .storage
            .append(fixture.position.epoch, record_of(fixture.position.epoch, 2))
            .await
            .unwrap();
        assert_eq!(index, 9, "cut at {cut}");
        assert_eq!(
            fixture.journal_bytes(),
            journal_file(fixture.position.epoch, 9, &[2]),
            "cut at {cut}"
        );
        fixture.expect_records(&[2], &format!("cut at {cut}")).await;
    }
}

#[tokio::test]
async fn a_torn_record_after_a_compaction_is_ignored_and_cut_off_at_the_right_index() {
    let fixture = Fixture::new(3, &[1, 2, 3, 4]).await;
    // Compact through the first two records: the new journal starts at 5 and holds 3 and 4.
    let through = fixture.at(2);
    fixture
        .storage
        .compact(snapshot_of(&session_with([1, 2]), through), through)
        .await
        .unwrap();
    let record = record_of(fixture.position.epoch, 5);
    fixture.append_raw(&record[..record.len() - 3]);

    let journal = fixture.load_journal().await;
    assert_eq!(journal.base, through.next);
    assert_eq!(pending(&journal), [(5, 3), (6, 4)]);
    assert_eq!(
        peer_tags(&journal.replay().unwrap().session),
        [1, 2, 3, 4].into()
    );
    let index = fixture
        .storage
        .append(fixture.position.epoch, record)
        .await
        .unwrap();
    assert_eq!(index, 7);
    let journal = fixture.load_journal().await;
    assert_eq!(pending(&journal), [(5, 3), (6, 4), (7, 5)]);
}

/// A flipped byte in the header (in the magic, the version, the reserved bytes, the epoch, the base or the
/// checksum): the header is not valid, so the journal file is not the journal of the snapshot. Readers treat
/// the journal as absent — `load_journal` returns the snapshot with no record, at the snapshot's position,
/// and `load` the snapshot as stored — and the next append starts the journal again at the snapshot's
/// position, overwriting the file. The records that were in it are gone: a header is only ever written
/// whole (by a rename) or, when an append restarts a journal, before any record, so a crash never damages
/// a header that records follow; only bit rot does, and then they are lost.
#[tokio::test]
async fn a_damaged_header_hides_the_journal_and_the_next_append_restarts_it() {
    for (field, at) in [
        ("magic", 0),
        ("version", 8),
        ("reserved", 11),
        ("epoch", 20),
        ("base", 28),
        ("checksum", 39),
    ] {
        let fixture = Fixture::new(5, &[1, 2, 3]).await;
        let mut data = fixture.journal_bytes();
        data[at] ^= 0x04;
        fs::write(fixture.storage.journal_path(), &data).unwrap();

        let journal = fixture.load_journal().await;
        assert_eq!(journal.snapshot, fixture.snapshot, "{field}");
        assert_eq!(journal.base, fixture.position.next, "{field}");
        assert!(journal.records.is_empty(), "{field}: {journal:?}");
        assert_eq!(
            fixture.storage.load().await.unwrap().unwrap(),
            fixture.snapshot,
            "{field}: load returns the snapshot as stored"
        );

        // A fresh handle: the one that appended remembers the journal's identity and size and does not read
        // it again while they are unchanged, so it would not notice a byte changed in place behind its back.
        let index = FileStorage::new(fixture.storage.path())
            .unwrap()
            .append(fixture.position.epoch, record_of(fixture.position.epoch, 4))
            .await
            .unwrap();
        assert_eq!(
            index, fixture.position.next,
            "{field}: the journal restarts"
        );
        let data = fixture.journal_bytes();
        assert_eq!(
            data.len(),
            HEADER_LEN + record_of(fixture.position.epoch, 4).len(),
            "{field}: the old records were overwritten"
        );
        fixture.expect_records(&[4], field).await;
    }
}

/// A damaged record followed by whole records is not a torn append (a crash only ever tears the last one):
/// it is corruption. Readers report it as `Corrupt`, naming the journal, rather than silently dropping the
/// acknowledged records after it, and an append refuses to write rather than cutting them off and handing
/// out their indices again. Storing a whole session replaces the damaged journal.
#[tokio::test]
async fn a_damaged_record_before_whole_ones_is_corruption_and_nothing_is_cut_off() {
    // (record, byte in it): the magic, the payload length, a payload byte, the checksum.
    for (damaged, at) in [(0, 0), (1, 25), (1, 30), (2, 45)] {
        let what = format!("byte {at} of record {damaged} flipped");
        let fixture = Fixture::new(5, &[1, 2, 3, 4]).await;
        let record_len = record_of(fixture.position.epoch, 1).len();
        assert!(at < record_len);
        let mut data = fixture.journal_bytes();
        data[HEADER_LEN + damaged * record_len + at] ^= 0x01;
        fs::write(fixture.storage.journal_path(), &data).unwrap();
        // A fresh handle: the one that appended trusts the journal it wrote while its identity and size are
        // unchanged, and would append after the damage without reading it.
        let storage = FileStorage::new(fixture.storage.path()).unwrap();

        let journal_path = storage.journal_path().display().to_string();
        let expect_corrupt = |result: Result<(), StorageError>, operation: &str| {
            let err = result.expect_err(operation);
            assert_eq!(err.kind(), ErrorKind::Corrupt, "{what}: {operation}: {err}");
            assert!(
                err.message().contains(&journal_path),
                "{what}: {operation}: {err}"
            );
        };
        expect_corrupt(storage.load_journal().await.map(drop), "load_journal");
        expect_corrupt(storage.load().await.map(drop), "load");
        let epoch = fixture.position.epoch;
        expect_corrupt(
            storage.append(epoch, record_of(epoch, 5)).await.map(drop),
            "append",
        );
        expect_corrupt(
            storage
                .compact(
                    snapshot_of(&session_with([1]), fixture.at(1)),
                    fixture.at(1),
                )
                .await,
            "compact",
        );
        assert_eq!(
            fixture.journal_bytes(),
            data,
            "{what}: nothing was cut off or written"
        );
        assert_eq!(
            fs::read(storage.path()).unwrap(),
            fixture.snapshot,
            "{what}"
        );

        let fresh = JournalPosition::start();
        storage
            .store(snapshot_of(&session_with([1, 2, 3, 4]), fresh))
            .await
            .unwrap();
        let index = storage
            .append(fresh.epoch, record_of(fresh.epoch, 5))
            .await
            .unwrap();
        assert_eq!(index, 0, "{what}");
    }
}

/// A crash in `store` between its two renames leaves the new snapshot with the journal of the old one. When
/// both are of the same epoch and the snapshot includes more records than that journal holds, none of its
/// records applies, and the next append must land at the snapshot's position (a lower index would be
/// skipped by every reader: an acknowledged record lost).
#[tokio::test]
async fn a_journal_that_ends_before_the_snapshot_is_restarted_at_the_snapshot() {
    let fixture = Fixture::new(0, &[1, 2, 3]).await;
    let ahead = fixture.at(10);
    let snapshot = snapshot_of(&session_with([1, 2, 3, 7]), ahead);
    // What the rename of the session file did before the crash (the journal still ends at record 3).
    put(fixture.storage.path(), &snapshot);

    let journal = fixture.load_journal().await;
    assert_eq!(journal.snapshot, snapshot);
    let replayed = journal.replay().unwrap();
    assert_eq!(replayed.position, Some(ahead));
    assert_eq!(peer_tags(&replayed.session), [1, 2, 3, 7].into());

    for handle in [
        fixture.storage.clone(),
        FileStorage::new(fixture.storage.path()).unwrap(),
    ] {
        let appended = handle
            .append(ahead.epoch, record_of(ahead.epoch, 8))
            .await
            .unwrap();
        let journal = handle.load_journal().await.unwrap().unwrap();
        let replayed = journal.replay().unwrap();
        assert_eq!(peer_tags(&replayed.session), [1, 2, 3, 7, 8].into());
        assert_eq!(appended, ahead.next);
        assert_eq!(
            replayed.position,
            Some(JournalPosition {
                next: ahead.next + 1,
                ..ahead
            })
        );
        // Back to the crash state, for the next handle and the compaction below.
        put(
            fixture.storage.journal_path(),
            journal_file(fixture.position.epoch, fixture.position.next, &[1, 2, 3]),
        );
    }

    // A compaction of what the client read is accepted too.
    fixture
        .storage
        .compact(snapshot_of(&session_with([1, 2, 3, 7]), ahead), ahead)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_header_names_the_epoch_and_base_and_records_follow_it_byte_for_byte() {
    let fixture = Fixture::new(42, &[1, 2]).await;
    assert_eq!(
        fixture.journal_bytes(),
        journal_file(fixture.position.epoch, 42, &[1, 2])
    );
}

/// A handle remembers the snapshot it appended against, so that the next append needs no read. Another
/// handle storing new sessions (each a new file, the same size, so the file system may hand out the first
/// one's inode number again) must never make it append a record of the old epoch: that must fail with a
/// conflict, and the records of the current epoch must stay.
#[tokio::test]
async fn a_handle_never_appends_to_a_session_replaced_behind_its_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my.session");
    let stale = FileStorage::new(&path).unwrap();
    let other = FileStorage::new(&path).unwrap();
    let session = base_session();

    for round in 0..20 {
        let old = JournalPosition::start();
        stale.store(snapshot_of(&session, old)).await.unwrap();
        stale
            .append(old.epoch, record_of(old.epoch, 1))
            .await
            .unwrap();
        let mut current = old;
        for _ in 0..=(round % 3) {
            current = JournalPosition::start();
            other.store(snapshot_of(&session, current)).await.unwrap();
        }
        other
            .append(current.epoch, record_of(current.epoch, 2))
            .await
            .unwrap();

        let refused = stale.append(old.epoch, record_of(old.epoch, 3)).await;
        let err = refused.expect_err("an append of the replaced session's epoch");
        assert_eq!(err.kind(), ErrorKind::Conflict, "round {round}: {err}");
        let journal = other.load_journal().await.unwrap().unwrap();
        assert_eq!(pending(&journal), [(0, 2)], "round {round}");
    }
}

#[tokio::test]
async fn the_journal_is_private_whoever_creates_it() {
    let fixture = Fixture::new(0, &[]).await;
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    // Created by the first append.
    fixture
        .storage
        .append(fixture.position.epoch, record_of(fixture.position.epoch, 1))
        .await
        .unwrap();
    assert_eq!(mode(fixture.storage.journal_path()), 0o600);

    // Written again by a compaction (a new file renamed into place).
    fixture
        .storage
        .compact(
            snapshot_of(&session_with([1]), fixture.at(1)),
            fixture.at(1),
        )
        .await
        .unwrap();
    assert_eq!(mode(fixture.storage.journal_path()), 0o600);

    // A journal some other tool made readable by everyone keeps its mode, but a new one never inherits it.
    fs::set_permissions(
        fixture.storage.journal_path(),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    fixture
        .storage
        .compact(
            snapshot_of(&session_with([1]), fixture.at(1)),
            fixture.at(1),
        )
        .await
        .unwrap();
    assert_eq!(mode(fixture.storage.journal_path()), 0o600);
    let journal = fixture.load_journal().await;
    assert_eq!((journal.base, journal.records.len()), (1, 0));
}

#[tokio::test]
async fn store_without_a_position_and_delete_remove_the_journal() {
    let fixture = Fixture::new(0, &[1, 2]).await;
    let storage = &fixture.storage;
    let names = || {
        let mut names: Vec<String> = fs::read_dir(storage.path().parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names(),
        [".my.session.jnl", ".my.session.lock", "my.session"]
    );

    // A session stored whole, without a position, has no journal: the file goes, and nothing of it comes back.
    let plain = Bytes::from(session_with([9]).encode().unwrap());
    storage.store(plain.clone()).await.unwrap();
    assert_eq!(names(), [".my.session.lock", "my.session"]);
    assert_eq!(storage.load().await.unwrap(), Some(plain.clone()));
    let journal = storage.load_journal().await.unwrap().unwrap();
    assert_eq!((journal.snapshot, journal.records.len()), (plain, 0));
    let err = storage
        .append(fixture.position.epoch, record_of(fixture.position.epoch, 3))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert_eq!(
        names(),
        [".my.session.lock", "my.session"],
        "a refused append creates nothing"
    );

    // A new journal snapshot: no journal until its first append.
    let position = JournalPosition::start();
    storage
        .store(snapshot_of(&base_session(), position))
        .await
        .unwrap();
    assert_eq!(names(), [".my.session.lock", "my.session"]);
    storage
        .append(position.epoch, record_of(position.epoch, 1))
        .await
        .unwrap();
    assert_eq!(
        names(),
        [".my.session.jnl", ".my.session.lock", "my.session"]
    );

    // Storing another journal snapshot (even of the same epoch) removes the records.
    let again = snapshot_of(
        &session_with([1]),
        JournalPosition {
            next: 1,
            ..position
        },
    );
    storage.store(again.clone()).await.unwrap();
    assert_eq!(names(), [".my.session.lock", "my.session"]);
    assert_eq!(storage.load().await.unwrap(), Some(again));
    storage
        .append(position.epoch, record_of(position.epoch, 2))
        .await
        .unwrap();

    // Delete: session and journal go, the lock file stays.
    storage.delete().await.unwrap();
    assert_eq!(names(), [".my.session.lock"]);
    assert_eq!(storage.load().await.unwrap(), None);
    assert!(storage.load_journal().await.unwrap().is_none());
    let err = storage
        .append(position.epoch, record_of(position.epoch, 2))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert_eq!(names(), [".my.session.lock"]);

    // A journal a crashed delete left behind (the session file already gone) is removed by the next delete,
    // and a new journal snapshot stored over it starts its own journal.
    storage
        .store(snapshot_of(&base_session(), position))
        .await
        .unwrap();
    storage
        .append(position.epoch, record_of(position.epoch, 1))
        .await
        .unwrap();
    fs::remove_file(storage.path()).unwrap();
    storage.delete().await.unwrap();
    assert_eq!(names(), [".my.session.lock"]);
}

#[tokio::test]
async fn a_journal_left_by_a_replaced_session_is_never_applied() {
    let fixture = Fixture::new(0, &[1, 2]).await;
    let old_journal = fixture.journal_bytes();
    // A crash in `store` after the session file was replaced: the old journal is still there.
    let plain = session_with([7]).encode().unwrap();
    put(fixture.storage.path(), &plain);
    assert_eq!(
        fixture.storage.load().await.unwrap().as_deref(),
        Some(&plain[..])
    );
    let journal = fixture.load_journal().await;
    assert!(journal.records.is_empty());

    let other = JournalPosition::start();
    let snapshot = snapshot_of(&session_with([7]), other);
    put(fixture.storage.path(), &snapshot);
    assert_eq!(fixture.journal_bytes(), old_journal);
    assert_eq!(
        fixture.storage.load().await.unwrap(),
        Some(snapshot.clone())
    );
    let journal = fixture.load_journal().await;
    assert_eq!((journal.base, journal.records.len()), (0, 0));
    // The next append of the new epoch starts its journal over the old one.
    let index = fixture
        .storage
        .append(other.epoch, record_of(other.epoch, 8))
        .await
        .unwrap();
    assert_eq!(index, 0);
    let journal = fixture.load_journal().await;
    assert_eq!(journal.records.len(), 1);
    assert_eq!(tag_of(&journal.records[0]), 8);
    assert_eq!(peer_tags(&journal.replay().unwrap().session), [7, 8].into());
}

/// Loads take no lock, while a compaction replaces the session file and then the journal. A load that read
/// the old session file and then the new journal (which starts after the old file's position) must not
/// return the old session without the records in between: every record acknowledged before a load starts
/// is in what it returns. The session is large, so that reading it takes long enough for compactions to
/// slip in between the two reads.
#[test]
fn a_load_racing_compactions_sees_every_acknowledged_record() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.session");
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    };
    let mut session = session_conformance::fixtures::with_peers(20_000);
    let start = JournalPosition::start();
    let storage = FileStorage::new(&path).unwrap();
    runtime()
        .block_on(storage.store(snapshot_of(&session, start)))
        .unwrap();

    let acked = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, done, storage) = (acked.clone(), done.clone(), storage.clone());
        std::thread::spawn(move || {
            let runtime = runtime();
            let deadline = Instant::now() + Duration::from_secs(2);
            let mut tag = 0;
            while Instant::now() < deadline {
                tag += 1;
                let index = runtime
                    .block_on(storage.append(start.epoch, record_of(start.epoch, tag)))
                    .unwrap();
                acked.store(tag, Ordering::SeqCst);
                session.apply(&common::patch_of(tag));
                let through = JournalPosition {
                    epoch: start.epoch,
                    next: index + 1,
                };
                runtime
                    .block_on(storage.compact(snapshot_of(&session, through), through))
                    .unwrap();
            }
            done.store(true, Ordering::SeqCst);
            tag
        })
    };

    let reader = FileStorage::new(&path).unwrap();
    let runtime = runtime();
    let mut loads = 0;
    while !done.load(Ordering::SeqCst) {
        let before = acked.load(Ordering::SeqCst);
        // Plain loads and journal loads, in turn.
        let (session, read) = if loads % 2 == 0 {
            let journal = runtime.block_on(reader.load_journal()).unwrap().unwrap();
            let replayed = journal.replay().unwrap();
            let read = format!(
                "the snapshot read names {:?}, the journal read starts at {}",
                replayed.snapshot_position, journal.base
            );
            (replayed.session, read)
        } else {
            let loaded = runtime.block_on(reader.load()).unwrap().unwrap();
            let (session, position) = session_core::Session::decode_snapshot(&loaded).unwrap();
            (session, format!("a plain load, at {position:?}"))
        };
        let missing: Vec<u64> = (1..=before)
            .filter(|&tag| {
                !session
                    .peers
                    .contains_key(&session_core::PeerId::User(tag as i64))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "load {loads}: records {missing:?} were acknowledged before the load started but are missing \
             ({read})"
        );
        loads += 1;
    }
    let appended = writer.join().unwrap();
    println!("{loads} loads raced {appended} appends and compactions");
}

/// A record or a header of a newer version (what a newer tgsession would write) is neither skipped as torn
/// nor cut off: loads and appends fail with `Unsupported` and the journal keeps its bytes.
#[tokio::test]
async fn a_journal_of_a_newer_version_is_unsupported_and_kept() {
    for part in ["record", "header"] {
        let fixture = Fixture::new(5, &[1, 2]).await;
        if part == "record" {
            let mut newer = record_of(fixture.position.epoch, 3).to_vec();
            newer[4] = 0xFE; // the record version, after the four magic bytes
            let covered = newer.len() - 4;
            let checksum = crc32c(&newer[..covered]);
            newer[covered..].copy_from_slice(&checksum.to_le_bytes());
            fixture.append_raw(&newer);
        } else {
            let mut bytes = fixture.journal_bytes();
            bytes[8] = 0xFE; // the journal file version, after the eight magic bytes
            let checksum = crc32c(&bytes[..36]);
            bytes[36..40].copy_from_slice(&checksum.to_le_bytes());
            put(fixture.storage.journal_path(), &bytes);
        }
        let before = fixture.journal_bytes();
        let err = fixture.storage.load().await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Unsupported,
            "load, newer {part}: {err}"
        );
        assert!(err.to_string().contains("newer version"), "{err}");
        let epoch = fixture.position.epoch;
        let err = fixture
            .storage
            .append(epoch, record_of(epoch, 4))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Unsupported,
            "append, newer {part}: {err}"
        );
        assert_eq!(
            fixture.journal_bytes(),
            before,
            "newer {part}: nothing cut off"
        );
    }
}
