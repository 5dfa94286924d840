//! The cases of [`JournalStorage`]: records kept in order and tied to their epoch, `store` replacing snapshot
//! and journal together, compaction that drops exactly what it includes, and appends racing each other,
//! compactions and stores.
//!
//! Every record the cases append upserts one peer whose id is the record's *tag*, so the session a journal
//! replays to says which records were applied, and each record says which append wrote it.

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;
use session_core::{
    Epoch, ErrorKind, Expect, Journal, JournalPosition, JournalStorage, Patch, Peer, PeerId,
    PeerKind, Record, Session, VersionedStorage,
};
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use super::versioned::load_versioned;
use crate::check::Check;
use crate::context::{join_all, Ctx};
use crate::fixtures;
use crate::Harness;

/// The patch of the record tagged `tag`: one peer, id and access hash both `tag`.
fn patch_of(tag: u64) -> Patch {
    let id = i64::try_from(tag).unwrap_or(i64::MAX);
    let mut patch = Patch::new();
    patch.upsert_peer(
        PeerId::User(id),
        Peer {
            kind: PeerKind::User,
            access_hash: Some(id),
            username: None,
            phone: None,
            min: false,
        },
    );
    patch
}

/// The record tagged `tag`, of `epoch`.
fn record_of(check: Check, epoch: Epoch, tag: u64) -> Bytes {
    match Record::encode_patch(epoch, &patch_of(tag)) {
        Ok(bytes) => Bytes::from(bytes),
        Err(err) => check.fail(format_args!("encoding a test record failed: {err}")),
    }
}

/// A record of `epoch` whose kind no version knows (0xFFFF), framed and checksummed like any record: what a
/// newer version of the format might append.
fn unknown_record(check: Check, epoch: Epoch) -> Bytes {
    let mut bytes = record_of(check, epoch, 1).to_vec();
    // The kind follows the four magic bytes and the two version bytes; the checksum covers all before it.
    bytes[6] = 0xFF;
    bytes[7] = 0xFF;
    let covered = bytes.len() - 4;
    let checksum = crc32c::crc32c(&bytes[..covered]);
    bytes[covered..].copy_from_slice(&checksum.to_le_bytes());
    Bytes::from(bytes)
}

/// The tag of a record the cases wrote.
fn tag_of_record(check: Check, bytes: &[u8], what: &str) -> u64 {
    match Record::decode(bytes) {
        Ok((_, Record::Patch(patch))) => match patch.peers().next() {
            Some((PeerId::User(id), _)) => *id as u64,
            _ => check.fail(format_args!("{what} is not a record this case appended")),
        },
        Ok(_) => check.fail(format_args!("{what} is not a record this case appended")),
        Err(err) => check.fail(format_args!(
            "{what} does not decode as a record ({err}): the storage returned damaged or foreign bytes"
        )),
    }
}

/// The session every case starts from: a logged-in account without peers.
fn base_session() -> Session {
    let mut session = fixtures::auth_only();
    session.peers.clear();
    session
}

/// `session` encoded as a snapshot at `position`.
fn snapshot_of(check: Check, session: &Session, position: JournalPosition) -> Bytes {
    match session.encode_snapshot(&position) {
        Ok(bytes) => Bytes::from(bytes),
        Err(err) => check.fail(format_args!("encoding a test snapshot failed: {err}")),
    }
}

/// Stores the base session as a snapshot starting a new epoch at an odd record index (so that a storage
/// numbering records from 0 regardless shows); returns its position and bytes.
async fn start<S: JournalStorage>(check: Check, storage: &S) -> (JournalPosition, Bytes) {
    let position = JournalPosition {
        epoch: Epoch::random(),
        next: 7 + fastrand::u64(..1000),
    };
    let snapshot = snapshot_of(check, &base_session(), position);
    check
        .store(storage, &snapshot, "a snapshot starting a journal")
        .await;
    (position, snapshot)
}

/// `storage.load_journal()`, failing the case on an error or an absent slot.
async fn load_journal<S: JournalStorage>(check: Check, storage: &S, doing: &str) -> Journal {
    let loaded = storage.load_journal().await;
    match check.ok(loaded, format_args!("load_journal ({doing})")) {
        Some(journal) => journal,
        None => check.fail(format_args!(
            "load_journal ({doing}) returned Ok(None) for a slot that holds a session"
        )),
    }
}

/// Appends the record tagged `tag`; returns its index.
async fn append<S: JournalStorage>(check: Check, storage: &S, epoch: Epoch, tag: u64) -> u64 {
    let appended = storage.append(epoch, record_of(check, epoch, tag)).await;
    check.ok(appended, format_args!("append of record #{tag}"))
}

/// The tags the journal's records after the snapshot's position carry, by index, checking that each record
/// is of the snapshot's epoch.
fn tags_after_snapshot(check: Check, journal: &Journal, what: &str) -> Vec<(u64, u64)> {
    let position = match Session::snapshot_position(&journal.snapshot) {
        Ok(Some(position)) => position,
        Ok(None) if journal.records.is_empty() => return Vec::new(),
        Ok(None) => check.fail(format_args!(
            "load_journal ({what}) returned {} records after a snapshot that names no journal",
            journal.records.len()
        )),
        Err(err) => check.fail(format_args!(
            "load_journal ({what}) returned a snapshot that does not decode: {err}"
        )),
    };
    if journal.base > position.next {
        check.fail(format_args!(
            "load_journal ({what}) starts at record {}, but the snapshot includes only the records before {}: \
             records were lost",
            journal.base, position.next
        ));
    }
    let mut tags = Vec::new();
    for (offset, bytes) in journal.records.iter().enumerate() {
        let index = journal.base + offset as u64;
        let what = format!("record {index} of load_journal ({what})");
        if let Ok((epoch, _)) = Record::decode(bytes) {
            if epoch != position.epoch {
                check.fail(format_args!(
                    "{what} is of {epoch:?}, not of the snapshot's {:?}: records of another session must never \
                     be returned",
                    position.epoch
                ));
            }
        }
        if index >= position.next {
            tags.push((index, tag_of_record(check, bytes, &what)));
        }
    }
    tags
}

/// Replays the journal, failing the case if it does not replay.
fn replay(check: Check, journal: &Journal, what: &str) -> session_core::Replayed {
    match journal.replay() {
        Ok(replayed) => replayed,
        Err(err) => check.fail(format_args!(
            "the journal load_journal returned ({what}) does not replay: {err}"
        )),
    }
}

/// The tags of the peers in `session`.
fn peer_tags(session: &Session) -> BTreeSet<u64> {
    session
        .peers
        .keys()
        .filter_map(|id| match id {
            PeerId::User(id) => Some(*id as u64),
            _ => None,
        })
        .collect()
}

/// Fails unless the session that plain `load` returns is the base session with the peers `tags` at
/// `position`.
async fn expect_materialized<S: JournalStorage>(
    check: Check,
    storage: &S,
    tags: &BTreeSet<u64>,
    position: JournalPosition,
    what: &str,
) {
    let Some(bytes) = check.load(storage, what).await else {
        check.fail(format_args!(
            "load ({what}) returned Ok(None) for a slot with a journal"
        ));
    };
    let (session, named) = match Session::decode_snapshot(&bytes) {
        Ok(decoded) => decoded,
        Err(err) => check.fail(format_args!(
            "load ({what}) returned bytes that do not decode as a session: {err}"
        )),
    };
    let mut want = base_session();
    for tag in tags {
        want.apply(&patch_of(*tag));
    }
    if session != want {
        check.fail(format_args!(
            "load ({what}) returned a session with peers {:?}, but the snapshot with its records holds peers \
             {tags:?}: a plain load must see every appended record",
            peer_tags(&session)
        ));
    }
    if named != Some(position) {
        check.fail(format_args!(
            "load ({what}) returned a snapshot naming {named:?}, but the journal stands at {position:?}"
        ));
    }
}

/// An absent slot has no journal: `load_journal` returns `Ok(None)` and an append fails with a conflict,
/// creating nothing.
pub async fn journal_of_an_absent_slot<H: Harness>(h: &H)
where
    H::Storage: JournalStorage,
{
    let cx = Ctx::new("journal_of_an_absent_slot", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        let loaded = cx.ok(
            storage.load_journal().await,
            "load_journal of an absent slot",
        );
        if let Some(journal) = loaded {
            cx.fail(format_args!(
                "load_journal of an absent slot returned {journal:?}, not Ok(None)"
            ));
        }
        let epoch = Epoch::random();
        let appended = storage.append(epoch, record_of(cx.check(), epoch, 1)).await;
        cx.conflict(appended, "append to an absent slot");
        cx.expect_load(&storage, None, "after an append to an absent slot failed")
            .await;
    })
    .await;
}

/// A session stored without a journal position has no journal: `load_journal` returns it with no record,
/// an append of any epoch fails with a conflict, and `load` still returns the stored bytes.
pub async fn journal_needs_a_snapshot_with_a_position<H: Harness>(h: &H)
where
    H::Storage: JournalStorage,
{
    let cx = Ctx::new("journal_needs_a_snapshot_with_a_position", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        let plain = match base_session().encode() {
            Ok(bytes) => Bytes::from(bytes),
            Err(err) => cx.fail(format_args!("encoding a test session failed: {err}")),
        };
        cx.store(&storage, &plain, "a session without a journal position")
            .await;
        let journal = load_journal(cx.check(), &storage, "of a session without a position").await;
        cx.same(
            Some(&journal.snapshot),
            Some(&plain),
            "the snapshot load_journal returned",
        );
        if !journal.records.is_empty() {
            cx.fail(format_args!(
                "load_journal returned {} records for a session stored without a journal",
                journal.records.len()
            ));
        }
        let epoch = Epoch::random();
        let appended = storage.append(epoch, record_of(cx.check(), epoch, 1)).await;
        cx.conflict(
            appended,
            "append to a session stored without a journal position",
        );
        cx.expect_load(&storage, Some(&plain), "after the refused append")
            .await;
    })
    .await;
}

/// A snapshot with a position and no record yet loads as exactly the stored bytes, by `load` and by
/// `load_journal`.
pub async fn empty_journal_loads_the_snapshot<H: Harness>(h: &H)
where
    H::Storage: JournalStorage,
{
    let cx = Ctx::new("empty_journal_loads_the_snapshot", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        let (_, snapshot) = start(cx.check(), &storage).await;
        cx.expect_load(
            &storage,
            Some(&snapshot),
            "a snapshot with an empty journal",
        )
        .await;
        let journal = load_journal(cx.check(), &storage, "an empty journal").await;
        cx.same(
            Some(&journal.snapshot),
            Some(&snapshot),
            "the snapshot load_journal returned",
        );
        let tags = tags_after_snapshot(cx.check(), &journal, "an empty journal");
        if !tags.is_empty() {
            cx.fail(format_args!("an empty journal returned records {tags:?}"));
        }
    })
    .await;
}

/// Records keep their order: 20 appends get the indices from the snapshot's position on, one after the
/// other; `load_journal` returns them in that order after the unchanged snapshot; a plain `load` returns the
/// session with all of them applied, naming the position after the last. An append of another epoch fails
/// with a conflict and adds nothing.
pub async fn records_keep_their_order<H: Harness>(h: &H)
where
    H::Storage: JournalStorage,
{
    let cx = Ctx::new("records_keep_their_order", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        let (position, snapshot) = start(cx.check(), &storage).await;
        for tag in 1..=20 {
            let index = append(cx.check(), &storage, position.epoch, tag).await;
            let want = position.next + tag - 1;
            if index != want {
                cx.fail(format_args!(
                    "append #{tag} after a snapshot at record {} returned index {index}, not {want}",
                    position.next
                ));
            }
        }
        let other = Epoch::random();
        let refused = storage.append(other, record_of(cx.check(), other, 99)).await;
        cx.conflict(refused, "append of a record of another epoch");

        let journal = load_journal(cx.check(), &storage, "after 20 appends").await;
        cx.same(Some(&journal.snapshot), Some(&snapshot), "the snapshot after appends");
        let tags = tags_after_snapshot(cx.check(), &journal, "after 20 appends");
        let want: Vec<(u64, u64)> = (1..=20).map(|tag| (position.next + tag - 1, tag)).collect();
        if tags != want {
            cx.fail(format_args!(
                "load_journal after 20 appends returned the records (index, append #) {tags:?}, expected {want:?}"
            ));
        }
        let end = JournalPosition {
            epoch: position.epoch,
            next: position.next + 20,
        };
        let replayed = replay(cx.check(), &journal, "after 20 appends");
        if replayed.position != Some(end) {
            cx.fail(format_args!(
                "the journal after 20 appends replays to {:?}, expected {end:?}",
                replayed.position
            ));
        }
        let all: BTreeSet<u64> = (1..=20).collect();
        expect_materialized(cx.check(), &storage, &all, end, "after 20 appends").await;
    })
    .await;
}

/// A record of a kind no version knows is kept like any other: returned in its place by `load_journal`, and
/// the records after it still apply.
pub async fn unknown_records_are_kept<H: Harness>(h: &H)
where
    H::Storage: JournalStorage,
{
    let cx = Ctx::new("unknown_records_are_kept", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        let (position, _) = start(cx.check(), &storage).await;
        append(cx.check(), &storage, position.epoch, 1).await;
        let unknown = unknown_record(cx.check(), position.epoch);
        let appended = storage.append(position.epoch, unknown.clone()).await;
        cx.ok(appended, "append of a record of an unknown kind");
        append(cx.check(), &storage, position.epoch, 3).await;
        let journal = load_journal(cx.check(), &storage, "with an unknown record").await;
        let skip = usize::try_from(position.next - journal.base).unwrap_or(usize::MAX);
        let records: Vec<&Bytes> = journal.records.iter().skip(skip).collect();
        if records.len() != 3 || *records[1] != unknown {
            cx.fail(format_args!(
                "load_journal returned {} records after the snapshot, expected 3 with the unknown one second, \
                 byte for byte",
                records.len()
            ));
        }
        let replayed = replay(cx.check(), &journal, "with an unknown record");
        if replayed.first_unknown != Some(position.next + 1) || peer_tags(&replayed.session) != [1, 3].into() {
            cx.fail(format_args!(
                "the journal with an unknown record replays to peers {:?} with the first unknown record at \
                 {:?}, expected peers [1, 3] and {}",
                peer_tags(&replayed.session),
                replayed.first_unknown,
                position.next + 1
            ));
        }
    })
    .await;
}

/// `store` replaces snapshot and journal together: after records were appended, storing a snapshot of a new
/// epoch leaves no record, refuses appends of the old epoch and takes those of the new one from its position
/// on; storing a session without a position then ends the journal.
pub async fn store_replaces_the_journal<H: Harness>(h: &H)
where
    H::Storage: JournalStorage,
{
    let cx = Ctx::new("store_replaces_the_journal", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        let (old, _) = start(cx.check(), &storage).await;
        for tag in 1..=3 {
            append(cx.check(), &storage, old.epoch, tag).await;
        }
        let (new, snapshot) = start(cx.check(), &storage).await;
        cx.expect_load(&storage, Some(&snapshot), "after storing a new snapshot over a journal").await;
        let journal = load_journal(cx.check(), &storage, "after storing a new snapshot").await;
        cx.same(Some(&journal.snapshot), Some(&snapshot), "the snapshot after a store");
        let tags = tags_after_snapshot(cx.check(), &journal, "after storing a new snapshot");
        if !tags.is_empty() {
            cx.fail(format_args!(
                "after a store, load_journal still returned the records {tags:?}: store must replace the journal"
            ));
        }
        let stale = storage.append(old.epoch, record_of(cx.check(), old.epoch, 4)).await;
        cx.conflict(stale, "append of the replaced session's epoch");
        let index = append(cx.check(), &storage, new.epoch, 5).await;
        if index != new.next {
            cx.fail(format_args!(
                "the first append after storing a snapshot at record {} returned index {index}",
                new.next
            ));
        }
        let plain = match base_session().encode() {
            Ok(bytes) => Bytes::from(bytes),
            Err(err) => cx.fail(format_args!("encoding a test session failed: {err}")),
        };
        cx.store(&storage, &plain, "a session without a position over a journal").await;
        cx.expect_load(&storage, Some(&plain), "after storing a session without a position").await;
        let ended = storage.append(new.epoch, record_of(cx.check(), new.epoch, 6)).await;
        cx.conflict(ended, "append after a session without a position was stored");
    })
    .await;
}

/// Compaction replaces the snapshot and drops exactly the records it includes: after 10 appends, a
/// compaction through the 6th keeps the last 4, the next append continues the numbering, and nothing
/// changes on a compaction of another epoch, past the last record, behind the current snapshot, or with a
/// snapshot that names another position.
pub async fn compaction_drops_exactly_what_it_includes<H: Harness>(h: &H)
where
    H::Storage: JournalStorage,
{
    let cx = Ctx::new("compaction_drops_exactly_what_it_includes", h);
    cx.run(async {
        let check = cx.check();
        let storage = cx.open(&cx.fresh_slot()).await;
        let (position, _) = start(check, &storage).await;
        for tag in 1..=10 {
            append(check, &storage, position.epoch, tag).await;
        }
        let mut included = base_session();
        for tag in 1..=6 {
            included.apply(&patch_of(tag));
        }
        let at = JournalPosition { epoch: position.epoch, next: position.next + 6 };
        let compacted = snapshot_of(check, &included, at);
        let done = storage.compact(compacted.clone(), at).await;
        cx.ok(done, "compact through the 6th of 10 records");

        let journal = load_journal(check, &storage, "after a compaction").await;
        cx.same(Some(&journal.snapshot), Some(&compacted), "the snapshot after a compaction");
        let tags = tags_after_snapshot(check, &journal, "after a compaction");
        let want: Vec<(u64, u64)> = (7..=10).map(|tag| (position.next + tag - 1, tag)).collect();
        if tags != want {
            cx.fail(format_args!(
                "after compacting through the 6th of 10 records, load_journal returned the records (index, \
                 append #) {tags:?} after the snapshot, expected {want:?}"
            ));
        }
        let end = JournalPosition { epoch: position.epoch, next: position.next + 10 };
        let all: BTreeSet<u64> = (1..=10).collect();
        expect_materialized(check, &storage, &all, end, "after a compaction").await;
        let index = append(check, &storage, position.epoch, 11).await;
        if index != end.next {
            cx.fail(format_args!("the append after a compaction returned index {index}, expected {}", end.next));
        }

        let before = check.load(&storage, "before refused compactions").await;
        let other = JournalPosition { epoch: Epoch::random(), next: at.next };
        let refused = storage.compact(snapshot_of(check, &included, other), other).await;
        cx.conflict(refused, "compact with a snapshot of another epoch");
        let past = JournalPosition { epoch: position.epoch, next: end.next + 5 };
        let refused = storage.compact(snapshot_of(check, &included, past), past).await;
        cx.conflict(refused, "compact through records that were never appended");
        let behind = JournalPosition { epoch: position.epoch, next: position.next + 2 };
        let refused = storage.compact(snapshot_of(check, &included, behind), behind).await;
        cx.conflict(refused, "compact behind the current snapshot");
        let mismatched = storage.compact(snapshot_of(check, &included, at), end).await;
        if mismatched.is_ok() {
            cx.fail("compact succeeded with a snapshot that names another position than the one given");
        }
        let after = check.load(&storage, "after refused compactions").await;
        cx.same(after.as_deref(), before.as_deref(), "load after refused compactions");
    })
    .await;
}

/// The value of a journaled slot changes with every append: a version taken before an append conflicts
/// after it, and `load_versioned` returns what `load` does.
pub async fn appends_change_the_version<H: Harness>(h: &H)
where
    H::Storage: JournalStorage + VersionedStorage,
{
    let cx = Ctx::new("appends_change_the_version", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        let (position, _) = start(cx.check(), &storage).await;
        let Some((_, before)) = load_versioned(cx.check(), &storage, "before an append").await
        else {
            cx.fail("load_versioned returned Ok(None) after a store");
        };
        append(cx.check(), &storage, position.epoch, 1).await;
        let stale = storage
            .store_if(Bytes::from_static(b"x"), Expect::Version(before))
            .await;
        cx.conflict(stale, "store_if with the version from before an append");
        let plain = cx.load(&storage, "after an append").await;
        let versioned = load_versioned(cx.check(), &storage, "after an append").await;
        cx.same(
            versioned.as_ref().map(|(value, _)| &value[..]),
            plain.as_deref(),
            "load_versioned after an append, against load",
        );
    })
    .await;
}

/// Records and compactions survive a reopen, and the numbering continues after it.
pub async fn journal_survives_reopen<H: Harness>(h: &H)
where
    H::Storage: JournalStorage,
{
    let cx = Ctx::new("journal_survives_reopen", h);
    cx.run(survives(&cx, false)).await;
}

/// Records and compactions acknowledged before a crash ([`Harness::crash`]) survive it.
pub async fn crash_keeps_the_journal<H: Harness>(h: &H)
where
    H::Storage: JournalStorage,
{
    let cx = Ctx::new("crash_keeps_the_journal", h);
    cx.run(survives(&cx, true)).await;
}

async fn survives<H: Harness>(cx: &Ctx<'_, H>, crash: bool)
where
    H::Storage: JournalStorage,
{
    let how = if crash { "crash" } else { "reopen" };
    let check = cx.check();
    let slot = cx.fresh_slot();
    let storage = cx.open(&slot).await;
    let (position, _) = start(check, &storage).await;
    for tag in 1..=5 {
        append(check, &storage, position.epoch, tag).await;
    }
    drop(storage);
    restart(cx, crash).await;
    let storage = cx.open(&slot).await;
    let journal = load_journal(check, &storage, &format!("after a {how}")).await;
    let tags = tags_after_snapshot(check, &journal, &format!("after a {how}"));
    let want: Vec<(u64, u64)> = (1..=5).map(|tag| (position.next + tag - 1, tag)).collect();
    if tags != want {
        check.fail(format_args!(
            "after a {how}, load_journal returned the records (index, append #) {tags:?}, expected {want:?}"
        ));
    }
    let index = append(check, &storage, position.epoch, 6).await;
    if index != position.next + 5 {
        check.fail(format_args!(
            "the first append after a {how} returned index {index}, expected {}",
            position.next + 5
        ));
    }
    let journal = load_journal(check, &storage, &format!("before compacting after a {how}")).await;
    let replayed = replay(check, &journal, &format!("before compacting after a {how}"));
    let Some(at) = replayed.position else {
        check.fail("a journal with records replays to no position");
    };
    let done = storage
        .compact(snapshot_of(check, &replayed.session, at), at)
        .await;
    check.ok(done, format_args!("compact after a {how}"));
    drop(storage);
    restart(cx, crash).await;
    let storage = cx.open(&slot).await;
    let all: BTreeSet<u64> = (1..=6).collect();
    expect_materialized(
        check,
        &storage,
        &all,
        at,
        &format!("after a compaction and a {how}"),
    )
    .await;
}

const APPENDERS: u64 = 4;
/// How many appends the case racing a store makes at most before it gives up on the store.
const MAX_RACING_APPENDS: u64 = 100_000;
const APPENDS_EACH: u64 = 25;

/// Four tasks, each on its own handle, append 25 records each at the same time: every append gets its own
/// index, the indices are exactly the next 100, and `load_journal` returns at each index the record whose
/// append returned it.
pub async fn concurrent_appends_are_all_kept<H: Harness>(h: &H)
where
    H::Storage: JournalStorage,
{
    let cx = Ctx::new("concurrent_appends_are_all_kept", h);
    cx.run(async {
        let check = cx.check();
        let slot = cx.fresh_slot();
        let setup = cx.open(&slot).await;
        let (position, _) = start(check, &setup).await;
        let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
        let barrier = Arc::new(Barrier::new(APPENDERS as usize));
        let mut tasks = JoinSet::new();
        for writer in 0..APPENDERS {
            let storage = cx.open(&slot).await;
            let (acknowledged, barrier) = (Arc::clone(&acknowledged), Arc::clone(&barrier));
            tasks.spawn(async move {
                barrier.wait().await;
                for n in 0..APPENDS_EACH {
                    let tag = 1 + writer * APPENDS_EACH + n;
                    let index = append(check, &storage, position.epoch, tag).await;
                    acknowledged.lock().unwrap_or_else(|p| p.into_inner()).push((index, tag));
                }
            });
        }
        join_all(check, &mut tasks).await;
        let mut acknowledged = acknowledged.lock().unwrap_or_else(|p| p.into_inner()).clone();
        acknowledged.sort_unstable();
        let indices: Vec<u64> = acknowledged.iter().map(|(index, _)| *index).collect();
        let want: Vec<u64> = (position.next..position.next + APPENDERS * APPENDS_EACH).collect();
        if indices != want {
            cx.fail(format_args!(
                "{} concurrent appends returned the indices {indices:?}, expected each of {}..{} once",
                want.len(),
                position.next,
                position.next + want.len() as u64
            ));
        }
        let journal = load_journal(check, &setup, "after concurrent appends").await;
        let stored = tags_after_snapshot(check, &journal, "after concurrent appends");
        if stored != acknowledged {
            let differ = stored.iter().zip(&acknowledged).position(|(a, b)| a != b);
            cx.fail(format_args!(
                "after concurrent appends, load_journal returned {} records, {} were acknowledged; first \
                 difference at {differ:?}: a record was lost, duplicated, or stored at another index than its \
                 append returned",
                stored.len(),
                acknowledged.len()
            ));
        }
    })
    .await;
}

/// One task appends 60 records while another compacts six times at whatever the journal holds: every
/// compaction succeeds, and at the end the journal replays to all 60 records, none lost and none applied
/// twice.
pub async fn compaction_racing_appends_loses_nothing<H: Harness>(h: &H)
where
    H::Storage: JournalStorage,
{
    let cx = Ctx::new("compaction_racing_appends_loses_nothing", h);
    cx.run(async {
        let check = cx.check();
        let slot = cx.fresh_slot();
        let setup = cx.open(&slot).await;
        let (position, _) = start(check, &setup).await;
        let appender = cx.open(&slot).await;
        let compactor = cx.open(&slot).await;
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            for tag in 1..=60 {
                append(check, &appender, position.epoch, tag).await;
                if tag % 10 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        });
        tasks.spawn(async move {
            for round in 0..6 {
                let what = format!("compaction #{round} racing appends");
                let journal = load_journal(check, &compactor, &what).await;
                let replayed = replay(check, &journal, &what);
                let Some(at) = replayed.position else {
                    check.fail("a journaled snapshot replays to no position");
                };
                let done = compactor.compact(snapshot_of(check, &replayed.session, at), at).await;
                check.ok(done, &what);
                tokio::task::yield_now().await;
            }
        });
        join_all(check, &mut tasks).await;
        let journal = load_journal(check, &setup, "after compactions racing appends").await;
        let replayed = replay(check, &journal, "after compactions racing appends");
        let want: BTreeSet<u64> = (1..=60).collect();
        let end = JournalPosition { epoch: position.epoch, next: position.next + 60 };
        if peer_tags(&replayed.session) != want || replayed.position != Some(end) {
            cx.fail(format_args!(
                "after compactions racing 60 appends the journal replays to peers {:?} at {:?}, expected all \
                 60 at {end:?}: a compaction lost or re-applied a record appended while it ran",
                peer_tags(&replayed.session),
                replayed.position
            ));
        }
        expect_materialized(check, &setup, &want, end, "after compactions racing appends").await;
    })
    .await;
}

/// A plain `store` racing appends: every append either lands in the old journal (and goes with it) or
/// fails with a conflict; afterwards the slot holds exactly the stored snapshot, and no record of the old
/// epoch is applied to it.
pub async fn store_racing_appends_replaces_them<H: Harness>(h: &H)
where
    H::Storage: JournalStorage,
{
    let cx = Ctx::new("store_racing_appends_replaces_them", h);
    cx.run(async {
        let check = cx.check();
        let slot = cx.fresh_slot();
        let setup = cx.open(&slot).await;
        let (old, _) = start(check, &setup).await;
        let appender = cx.open(&slot).await;
        let storer = cx.open(&slot).await;
        let new = JournalPosition { epoch: Epoch::random(), next: 3 };
        let snapshot = snapshot_of(check, &base_session(), new);
        let stored = snapshot.clone();
        let (started, appending) = tokio::sync::oneshot::channel::<()>();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut started = Some(started);
            for tag in 1..=MAX_RACING_APPENDS {
                let result = appender.append(old.epoch, record_of(check, old.epoch, tag)).await;
                match result {
                    Ok(_) => {}
                    Err(err) if err.kind() == ErrorKind::Conflict => return,
                    Err(err) => check.error(&err, format_args!("append #{tag} racing a store")),
                }
                if tag == 5 {
                    if let Some(started) = started.take() {
                        let _ = started.send(());
                    }
                }
                tokio::task::yield_now().await;
            }
            check.fail(format_args!(
                "{MAX_RACING_APPENDS} appends of the old epoch succeeded although a store replaced the session"
            ));
        });
        tasks.spawn(async move {
            // The store starts once appends are under way (or the appender failed).
            let _ = appending.await;
            check.store(&storer, &stored, "a new snapshot racing appends").await;
        });
        join_all(check, &mut tasks).await;
        cx.expect_load(&setup, Some(&snapshot), "after a store racing appends").await;
        let journal = load_journal(check, &setup, "after a store racing appends").await;
        cx.same(Some(&journal.snapshot), Some(&snapshot), "the snapshot after a store racing appends");
        let tags = tags_after_snapshot(check, &journal, "after a store racing appends");
        if !tags.is_empty() {
            cx.fail(format_args!(
                "after a store racing appends, load_journal returned the old session's records {tags:?}"
            ));
        }
    })
    .await;
}

/// A crash or a clean reopen of the harness.
async fn restart<H: Harness>(cx: &Ctx<'_, H>, crash: bool) {
    if crash {
        cx.crash().await;
    } else {
        cx.reopen().await;
    }
}
