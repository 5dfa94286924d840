//! The suite tests itself: it must fail on storages broken on purpose — each in one way, all on top of an
//! in-memory map — naming the case that catches the fault, and pass on the reference storage and on the
//! same map without a fault.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use session_conformance::{
    async_trait, run_all, run_crash, run_crash_delete, run_crash_versioned, run_delete,
    run_delete_versioned, run_versioned, Harness, MemoryHarness, NotRun,
};
use session_core::{
    ErrorKind, Expect, SessionDelete, SessionStorage, Slot, StorageError, Version, VersionedStorage,
};

/// The one thing a [`FaultyStorage`] does wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// No fault: a correct storage.
    None,
    /// Keeps only the first MiB of longer values.
    TruncatesLargeValues,
    /// Each handle answers loads from what it last loaded or wrote itself.
    CachesPerHandle,
    /// Keys the map by the first 4 characters of the slot name only.
    KeysByPrefix,
    /// Loads `Some(empty)` for an absent slot.
    EmptyForAbsent,
    /// Loses everything on `reopen`.
    ForgetsOnReopen,
    /// Stores the first half of a value, sleeps, then the whole value.
    TearsWrites,
    /// Drops empty values, so they load as absent.
    DropsEmptyValues,
    /// `store_if` accepts any version of a present value.
    AcceptsStaleVersion,
    /// `store_if(Expect::Absent)` overwrites a present value.
    IgnoresExpectAbsent,
    /// A plain `store` keeps the version of the value it replaces.
    PlainStoreKeepsVersion,
    /// `store_if` checks the version, yields, then writes: not atomic.
    RacyStoreIf,
    /// `delete` of an absent slot fails.
    FailsDeletingAbsent,
    /// `delete` only hides the value from the handle that deleted it.
    DeletesOnlyInHandle,
    /// `delete` empties every slot.
    DeletesAllSlots,
    /// `delete` restarts the slot's version counter, so versions repeat.
    RestartsVersionsAfterDelete,
    /// Keys the map by the first 64 bytes of the slot name (a `VARCHAR(64)` key column).
    KeyColumnOf64,
    /// Keys the map by the lower-cased slot name (a case-insensitive collation).
    CaseInsensitiveNames,
    /// Finds slots with SQL `LIKE` semantics: `_` in a name matches any character of a stored name.
    LikeLookup,
    /// Stores values under 1 MiB inline in 4 KiB chunks and, off by one, loses a last chunk of a single byte.
    LosesOneByteLastChunk,
    /// Handles that did not write the last value read a replica that lags one write behind.
    LaggingReplica,
    /// `store_if` writes stay in a transaction that is never committed: a reopen loses them.
    UncommittedStoreIf,
    /// Version numbers come from a counter kept in memory, which a reopen restarts.
    VersionCounterInMemory,
    /// `store_if(Expect::Absent)` tests for an empty value instead of absence.
    EmptyIsAbsentForStoreIf,
    /// `delete` leaves a tombstone that `load_versioned` returns as an empty value.
    TombstoneInLoadVersioned,
    /// `store_if` locks out other `store_if`s only; a plain `store` can land between its check and write.
    StoreIfAtomicOnlyAgainstItself,
    /// A version is the checksum of the value's first 64 bytes.
    VersionOfFirst64Bytes,
    /// Acknowledges a write before it is durable: a crash loses the last write of each slot.
    WriteBehind,
    /// `store_if` writes, then reads the version back in a second step (which may be a later write's).
    ReadsVersionBack,
    /// `store_if` of the bytes already stored skips the write but returns a new version.
    SkipsUnchangedStoreIf,
    /// Keys the map by the name without trailing dots (as some file systems store names).
    StripsTrailingDots,
    /// Panics when it loads an empty value.
    PanicsOnEmptyValue,
    /// Stages every store in one place shared by all slots, then moves what is staged into its own slot.
    StagesWritesInOnePlace,
    /// Caches per handle what it stored, with the version read after the write (maybe a later write's).
    CachesWithVersionReadAfterWrite,
    /// `delete` removes the value 4 KiB at a time, from the front.
    DeletesInPieces,
    /// `store_if` truncates values to 65,535 bytes (a `BLOB` column; plain `store` is right).
    StoreIfTruncatesTo64K,
    /// A value of an exact multiple of 1 MiB loses its last MiB on `reopen`.
    LosesLastMiBOnReopen,
    /// `load` of a value that starts like bzip2 data fails as `Corrupt`.
    SniffsBzip2,
    /// Keys the map by the name without leading dots (as a storage avoiding hidden files might).
    StripsLeadingDots,
    /// Keeps values over 1 KiB once by content: overwriting a slot drops every slot holding its old bytes.
    DropsSharedValues,
}

const MIB: usize = 1 << 20;
/// The chunk size of [`Fault::LosesOneByteLastChunk`].
const CHUNK: usize = 4096;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap()
}

/// One slot of the map: the value with the number of the write that stored it, what a lagging replica or
/// the disk of a write-behind store hold, and whether the value came from an uncommitted `store_if`.
#[derive(Debug, Default)]
struct Cell {
    value: Option<(Bytes, u64)>,
    writes: u64,
    /// The value before the last write, for [`Fault::LaggingReplica`] and [`Fault::WriteBehind`].
    previous: Option<(Bytes, u64)>,
    /// The last value written by a plain `store`, for [`Fault::UncommittedStoreIf`].
    committed: Option<(Bytes, u64)>,
    /// A deleted slot's tombstone, for [`Fault::TombstoneInLoadVersioned`].
    tombstone: bool,
    /// The handle that wrote last, for [`Fault::LaggingReplica`].
    last_writer: u64,
}

impl Cell {
    fn write(&mut self, value: Option<Bytes>) -> u64 {
        self.writes += 1;
        self.previous = self.value.take();
        self.tombstone = false;
        self.value = value.map(|data| (data, self.writes));
        self.writes
    }

    fn version(&self) -> Option<Version> {
        self.value
            .as_ref()
            .map(|(_, write)| Version::from_u64(*write))
    }

    /// The version as a storage with `fault` reports it.
    fn version_with(&self, fault: Fault) -> Option<Version> {
        match (fault, &self.value) {
            (Fault::VersionOfFirst64Bytes, Some((data, _))) => {
                let mut hasher = std::hash::DefaultHasher::new();
                std::hash::Hasher::write(&mut hasher, &data[..data.len().min(64)]);
                Some(Version::from_u64(std::hash::Hasher::finish(&hasher)))
            }
            _ => self.version(),
        }
    }
}

type Cells = Arc<Mutex<HashMap<String, Arc<Mutex<Cell>>>>>;

#[derive(Debug)]
struct FaultyStorage {
    fault: Fault,
    /// This handle's number, for [`Fault::LaggingReplica`].
    id: u64,
    cell: Arc<Mutex<Cell>>,
    all: Cells,
    /// Taken by `store_if` only, for [`Fault::StoreIfAtomicOnlyAgainstItself`].
    store_if_lock: Arc<tokio::sync::Mutex<()>>,
    /// What this handle last loaded or wrote, for [`Fault::CachesPerHandle`].
    cache: Mutex<Option<Option<Bytes>>>,
    /// Whether this handle deleted the slot, for [`Fault::DeletesOnlyInHandle`].
    deleted_here: AtomicBool,
    /// What this handle stored, with the write number read after the store, for
    /// [`Fault::CachesWithVersionReadAfterWrite`].
    stored: Mutex<Option<(u64, Bytes)>>,
    /// The place every store is staged in, for [`Fault::StagesWritesInOnePlace`].
    staged: Arc<Mutex<Option<Bytes>>>,
}

impl FaultyStorage {
    fn remember(&self, value: Option<Bytes>) {
        self.deleted_here.store(false, Ordering::SeqCst);
        if self.fault == Fault::CachesPerHandle {
            *lock(&self.cache) = Some(value);
        }
    }

    fn check(&self, cell: &Cell, expect: &Expect) -> Result<(), StorageError> {
        let matches = match (expect, cell.version_with(self.fault)) {
            (Expect::Absent, None) => true,
            (Expect::Absent, Some(_)) => {
                self.fault == Fault::IgnoresExpectAbsent
                    || (self.fault == Fault::EmptyIsAbsentForStoreIf
                        && cell.value.as_ref().is_some_and(|(data, _)| data.is_empty()))
            }
            (Expect::Version(expected), Some(current)) => {
                *expected == current || self.fault == Fault::AcceptsStaleVersion
            }
            (Expect::Version(_), None) => false,
        };
        if matches {
            Ok(())
        } else {
            Err(StorageError::new(
                ErrorKind::Conflict,
                "faulty",
                "slot changed",
            ))
        }
    }
}

#[async_trait]
impl SessionStorage for FaultyStorage {
    async fn load(&self) -> Result<Option<Bytes>, StorageError> {
        if self.fault == Fault::DeletesOnlyInHandle && self.deleted_here.load(Ordering::SeqCst) {
            return Ok(None);
        }
        if self.fault == Fault::CachesPerHandle {
            if let Some(cached) = lock(&self.cache).clone() {
                return Ok(cached);
            }
        }
        if let Some((write, data)) = lock(&self.stored).clone() {
            if lock(&self.cell).writes == write {
                return Ok(Some(data));
            }
        }
        let value = {
            let cell = lock(&self.cell);
            let lagging = self.fault == Fault::LaggingReplica && cell.last_writer != self.id;
            let shown = if lagging { &cell.previous } else { &cell.value };
            shown.as_ref().map(|(data, _)| data.clone())
        };
        if self.fault == Fault::PanicsOnEmptyValue && value.as_ref().is_some_and(Bytes::is_empty) {
            let nothing: &[u8] = &[];
            let _ = nothing[0];
        }
        let value = match value {
            None if self.fault == Fault::EmptyForAbsent => Some(Bytes::new()),
            Some(data) if self.fault == Fault::SniffsBzip2 && data.starts_with(b"BZh") => {
                return Err(StorageError::new(
                    ErrorKind::Corrupt,
                    "faulty",
                    "bzip2: bad block header",
                ));
            }
            value => value,
        };
        self.remember(value.clone());
        Ok(value)
    }

    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        let data = match self.fault {
            Fault::TruncatesLargeValues if data.len() > MIB => data.slice(..MIB),
            Fault::LosesOneByteLastChunk
                if data.len() > CHUNK && data.len() < MIB && data.len() % CHUNK == 1 =>
            {
                data.slice(..data.len() - 1)
            }
            _ => data,
        };
        if self.fault == Fault::TearsWrites {
            lock(&self.cell).write(Some(data.slice(..data.len() / 2)));
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if self.fault == Fault::StagesWritesInOnePlace {
            *lock(&self.staged) = Some(data);
            tokio::task::yield_now().await;
            if let Some(staged) = lock(&self.staged).take() {
                let mut cell = lock(&self.cell);
                cell.write(Some(staged));
                cell.committed = cell.value.clone();
                cell.last_writer = self.id;
            }
            return Ok(());
        }
        if self.fault == Fault::DropsSharedValues {
            self.drop_sharers(&data);
        }
        let value =
            (self.fault != Fault::DropsEmptyValues || !data.is_empty()).then(|| data.clone());
        {
            let mut cell = lock(&self.cell);
            match (
                self.fault,
                cell.value.as_ref().map(|(_, write)| *write),
                value,
            ) {
                (Fault::PlainStoreKeepsVersion, Some(write), Some(data)) => {
                    cell.value = Some((data, write));
                }
                (_, _, value) => {
                    cell.write(value);
                }
            }
            cell.committed = cell.value.clone();
            cell.last_writer = self.id;
        }
        self.remember(Some(data.clone()));
        if self.fault == Fault::CachesWithVersionReadAfterWrite {
            // `SELECT version` after the write, in a second step.
            tokio::task::yield_now().await;
            let write = lock(&self.cell).writes;
            *lock(&self.stored) = Some((write, data));
        }
        Ok(())
    }
}

impl FaultyStorage {
    /// For [`Fault::DropsSharedValues`]: before this slot's value is replaced by `data`, drops every other
    /// slot that holds the same bytes as its old value (the "unreferenced" blob).
    fn drop_sharers(&self, data: &Bytes) {
        let old = lock(&self.cell).value.as_ref().map(|(old, _)| old.clone());
        let Some(old) = old.filter(|old| old.len() > 1024 && old != data) else {
            return;
        };
        for cell in lock(&self.all).values() {
            if Arc::ptr_eq(cell, &self.cell) {
                continue;
            }
            let mut cell = lock(cell);
            if cell.value.as_ref().is_some_and(|(value, _)| *value == old) {
                cell.write(None);
            }
        }
    }
}

#[async_trait]
impl SessionDelete for FaultyStorage {
    async fn delete(&self) -> Result<(), StorageError> {
        match self.fault {
            Fault::DeletesOnlyInHandle => {
                self.deleted_here.store(true, Ordering::SeqCst);
                return Ok(());
            }
            Fault::FailsDeletingAbsent if lock(&self.cell).value.is_none() => {
                return Err(StorageError::new(
                    ErrorKind::Other,
                    "faulty",
                    "nothing to delete",
                ));
            }
            Fault::DeletesAllSlots => {
                for cell in lock(&self.all).values() {
                    lock(cell).write(None);
                }
            }
            Fault::RestartsVersionsAfterDelete => *lock(&self.cell) = Cell::default(),
            Fault::DeletesInPieces => loop {
                {
                    let mut cell = lock(&self.cell);
                    match cell.value.clone() {
                        Some((data, write)) if data.len() > CHUNK => {
                            cell.value = Some((data.slice(CHUNK..), write));
                        }
                        _ => {
                            cell.write(None);
                            cell.committed = None;
                            break;
                        }
                    }
                }
                tokio::task::yield_now().await;
            },
            _ => {
                let mut cell = lock(&self.cell);
                cell.write(None);
                cell.committed = None;
                cell.last_writer = self.id;
                cell.tombstone = self.fault == Fault::TombstoneInLoadVersioned;
            }
        }
        self.remember(None);
        Ok(())
    }
}

#[async_trait]
impl VersionedStorage for FaultyStorage {
    async fn load_versioned(&self) -> Result<Option<(Bytes, Version)>, StorageError> {
        let cell = lock(&self.cell);
        if cell.tombstone {
            return Ok(Some((Bytes::new(), Version::from_u64(cell.writes))));
        }
        Ok(cell
            .value
            .as_ref()
            .map(|(data, _)| data.clone())
            .zip(cell.version_with(self.fault)))
    }

    async fn store_if(&self, data: Bytes, expect: Expect) -> Result<Version, StorageError> {
        let data = match self.fault {
            Fault::StoreIfTruncatesTo64K => data.slice(..data.len().min(65_535)),
            _ => data,
        };
        let _serial = match self.fault {
            Fault::StoreIfAtomicOnlyAgainstItself => Some(self.store_if_lock.lock().await),
            _ => None,
        };
        if matches!(
            self.fault,
            Fault::RacyStoreIf | Fault::StoreIfAtomicOnlyAgainstItself
        ) {
            self.check(&lock(&self.cell), &expect)?;
            // A window wide enough that concurrent writers reliably pass the check together, even on a
            // loaded machine (a bare yield was not always enough).
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let version = {
            let mut cell = lock(&self.cell);
            if !matches!(
                self.fault,
                Fault::RacyStoreIf | Fault::StoreIfAtomicOnlyAgainstItself
            ) {
                self.check(&cell, &expect)?;
            }
            let unchanged = cell
                .value
                .as_ref()
                .is_some_and(|(current, _)| *current == data);
            if self.fault == Fault::SkipsUnchangedStoreIf && unchanged {
                return Ok(Version::from_u64(cell.writes + 1_000_000));
            }
            cell.write(Some(data.clone()));
            cell.last_writer = self.id;
            if self.fault != Fault::UncommittedStoreIf {
                cell.committed = cell.value.clone();
            }
            cell.version_with(self.fault)
        };
        self.remember(Some(data));
        if self.fault == Fault::ReadsVersionBack {
            tokio::time::sleep(Duration::from_millis(1)).await;
            return Ok(lock(&self.cell).version().expect("a value was written"));
        }
        Ok(version.expect("a value was just written"))
    }
}

/// Opens [`FaultyStorage`]s on one in-memory map.
#[derive(Debug)]
struct FaultyHarness {
    fault: Fault,
    cells: Cells,
    handles: std::sync::atomic::AtomicU64,
    store_if_lock: Arc<tokio::sync::Mutex<()>>,
    /// The place every store is staged in, for [`Fault::StagesWritesInOnePlace`].
    staged: Arc<Mutex<Option<Bytes>>>,
}

impl FaultyHarness {
    fn new(fault: Fault) -> FaultyHarness {
        FaultyHarness {
            fault,
            cells: Cells::default(),
            handles: std::sync::atomic::AtomicU64::new(1),
            store_if_lock: Arc::default(),
            staged: Arc::default(),
        }
    }

    /// The key of the map a slot name is kept under, as the faulty backend computes it.
    fn key(&self, slot: &str) -> String {
        match self.fault {
            Fault::KeysByPrefix => slot.get(..4).unwrap_or(slot).to_owned(),
            Fault::KeyColumnOf64 => slot.get(..64).unwrap_or(slot).to_owned(),
            Fault::CaseInsensitiveNames => slot.to_ascii_lowercase(),
            Fault::StripsTrailingDots => slot.trim_end_matches('.').to_owned(),
            Fault::StripsLeadingDots => slot.trim_start_matches('.').to_owned(),
            Fault::LikeLookup => {
                let like = |stored: &String| {
                    stored.len() == slot.len()
                        && stored
                            .bytes()
                            .zip(slot.bytes())
                            .all(|(stored, wanted)| wanted == b'_' || stored == wanted)
                };
                let cells = lock(&self.cells);
                let mut found: Vec<&String> = cells.keys().filter(|stored| like(stored)).collect();
                found.sort();
                found
                    .first()
                    .map_or_else(|| slot.to_owned(), |stored| (*stored).clone())
            }
            _ => slot.to_owned(),
        }
    }
}

#[async_trait]
impl Harness for FaultyHarness {
    type Storage = FaultyStorage;

    async fn open(&self, slot: &str) -> Result<FaultyStorage, StorageError> {
        Slot::new(slot)?;
        let key = self.key(slot);
        let cell = lock(&self.cells).entry(key).or_default().clone();
        Ok(FaultyStorage {
            fault: self.fault,
            id: self.handles.fetch_add(1, Ordering::SeqCst),
            cell,
            all: Arc::clone(&self.cells),
            store_if_lock: Arc::clone(&self.store_if_lock),
            cache: Mutex::new(None),
            deleted_here: AtomicBool::new(false),
            stored: Mutex::new(None),
            staged: Arc::clone(&self.staged),
        })
    }

    async fn reopen(&self) -> Result<(), StorageError> {
        let mut cells = lock(&self.cells);
        if self.fault == Fault::ForgetsOnReopen {
            cells.clear();
        }
        for cell in cells.values() {
            let mut cell = lock(cell);
            match self.fault {
                Fault::UncommittedStoreIf => cell.value = cell.committed.clone(),
                Fault::VersionCounterInMemory => cell.writes = 0,
                Fault::LosesLastMiBOnReopen => {
                    if let Some((data, write)) = cell.value.clone() {
                        if !data.is_empty() && data.len() % MIB == 0 {
                            cell.value = Some((data.slice(..data.len() - MIB), write));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A crash keeps what a correct map holds; a write-behind store loses each slot's last write.
    async fn crash(&self) -> Result<(), StorageError> {
        if self.fault == Fault::WriteBehind {
            for cell in lock(&self.cells).values() {
                let mut cell = lock(cell);
                cell.value = cell.previous.clone();
            }
        }
        self.reopen().await
    }
}

/// Which `run_*` function to call.
#[derive(Clone, Copy, Debug)]
enum Suite {
    Core,
    Delete,
    Versioned,
    DeleteVersioned,
    Crash,
    /// Only the model case `random_operations_with_delete`.
    ModelWithDelete,
}

async fn run_suite<H>(suite: Suite, harness: &H)
where
    H: Harness,
    H::Storage: SessionDelete + VersionedStorage,
{
    match suite {
        Suite::Core => run_all(harness).await,
        Suite::Delete => run_delete(harness).await,
        Suite::Versioned => run_versioned(harness).await,
        Suite::DeleteVersioned => run_delete_versioned(harness).await,
        Suite::ModelWithDelete => {
            session_conformance::cases::random_operations_with_delete(harness).await;
        }
        Suite::Crash => {
            let runs = [
                run_crash(harness).await,
                run_crash_delete(harness).await,
                run_crash_versioned(harness).await,
            ];
            for run in runs {
                run.expect("the harness simulates crashes");
            }
        }
    }
}

/// Runs `suite` on a storage with `fault` and checks that it panics in `case`, with a short message that
/// contains `detail`.
///
/// The model cases draw random sequences, so a fault only they can see is caught by some runs, not all
/// (about one in four for `DeletesInPieces`, which only the operations the model runs at once show); for
/// them the suite gets three runs, and the model case alone forty.
async fn expect_caught(fault: Fault, suite: Suite, case: &str, detail: &str) {
    let attempts = match suite {
        Suite::ModelWithDelete => 40,
        _ if case.starts_with("random_operations") => 3,
        _ => 1,
    };
    let mut caught = None;
    for _ in 0..attempts {
        let run = tokio::spawn(async move { run_suite(suite, &FaultyHarness::new(fault)).await });
        if let Err(err) = run.await {
            caught = Some(err);
            break;
        }
    }
    let err = caught.unwrap_or_else(|| panic!("{suite:?} passed on a storage with {fault:?}"));
    assert!(err.is_panic(), "{fault:?}: the run was cancelled: {err}");
    let payload = err.into_panic();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .expect("the suite panics with a message");
    let prefix = format!("conformance case `{case}` failed: ");
    assert!(
        message.starts_with(&prefix),
        "{fault:?}: expected case `{case}` to catch it, got: {message}"
    );
    assert!(
        message.contains(detail),
        "{fault:?}: the message should contain {detail:?}, got: {message}"
    );
    // A model case also lists the slots and the shrunk sequence.
    let limit = if case.starts_with("random_operations") {
        3000
    } else {
        500
    };
    assert!(
        message.len() < limit,
        "{fault:?}: message too long: {message}"
    );
}

/// One test per fault: `name: Fault in Suite by "case", "detail";`.
macro_rules! caught {
    ($($name:ident: $fault:ident in $suite:ident by $case:literal, $detail:literal;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            expect_caught(Fault::$fault, Suite::$suite, $case, $detail).await;
        }
    )*};
}

caught! {
    truncation_is_caught: TruncatesLargeValues in Core by "large_value",
        "got 1048576 bytes, expected 5242880 bytes; first difference at offset 1048576";
    stale_handle_cache_is_caught: CachesPerHandle in Core by "visibility_across_handles",
        "handle B after a store through handle A): got nothing";
    slots_sharing_data_are_caught: KeysByPrefix in Core by "slot_isolation",
        "related slots): got";
    empty_for_absent_is_caught: EmptyForAbsent in Core by "absent_load",
        "got a value of 0 bytes, expected nothing (Ok(None))";
    forgetting_on_reopen_is_caught: ForgetsOnReopen in Core by "persistence_across_reopen",
        "after storing the first value and reopening): got nothing";
    torn_writes_are_caught: TearsWrites in Core by "concurrent_stores",
        "is not whole";
    dropped_empty_values_are_caught: DropsEmptyValues in Core by "empty_value",
        "got nothing (Ok(None)), expected a value of 0 bytes";
    stale_versions_accepted_are_caught: AcceptsStaleVersion in Versioned by "store_if_stale_version_conflicts",
        "must fail with ErrorKind::Conflict, but succeeded";
    ignored_expect_absent_is_caught: IgnoresExpectAbsent in Versioned by "store_if_absent_on_present_conflicts",
        "store_if (Absent on a present value) must fail with ErrorKind::Conflict";
    plain_store_keeping_version_is_caught: PlainStoreKeepsVersion in Versioned by "plain_store_makes_version_stale",
        "with the version from before a plain store) must fail with ErrorKind::Conflict";
    racy_store_if_is_caught: RacyStoreIf in Versioned by "store_if_is_atomic_against_store",
        "the slot must hold the plain store's value";
    failing_delete_of_absent_is_caught: FailsDeletingAbsent in Delete by "delete_is_idempotent",
        "delete (of a never-written slot) returned an error: faulty: other error: nothing to delete";
    handle_local_delete_is_caught: DeletesOnlyInHandle in Delete by "empty_value_after_delete",
        "after deleting the empty value): got a value of 0 bytes";
    delete_of_all_slots_is_caught: DeletesAllSlots in Delete by "delete_leaves_other_slots",
        "expected a value of 64 bytes";
    repeated_versions_after_delete_are_caught: RestartsVersionsAfterDelete in DeleteVersioned by "delete_makes_version_stale",
        "store_if(Absent) after delete returned Version(";
    key_column_limits_are_caught: KeyColumnOf64 in Core by "slot_names_across_the_alphabet",
        "slots with related names): got";
    case_insensitive_names_are_caught: CaseInsensitiveNames in Core by "slot_names_across_the_alphabet",
        "slots with related names): got";
    like_lookups_are_caught: LikeLookup in Core by "slot_names_across_the_alphabet",
        "slots with related names): got";
    lost_one_byte_chunks_are_caught: LosesOneByteLastChunk in Core by "value_lengths_around_boundaries",
        "(after storing 4097 bytes): got 4096 bytes, expected 4097 bytes";
    lagging_replicas_are_caught: LaggingReplica in Core by "round_trip",
        "through a new handle): got nothing";
    uncommitted_store_if_is_caught: UncommittedStoreIf in Versioned by "versions_survive_reopen",
        "the value written by store_if was lost";
    version_counters_in_memory_are_caught: VersionCounterInMemory in Versioned by "versions_survive_reopen",
        "versions must never repeat";
    empty_taken_for_absent_is_caught: EmptyIsAbsentForStoreIf in Versioned by "store_if_on_an_empty_value",
        "Absent on an empty value stored by store_if(Absent)) must fail with ErrorKind::Conflict";
    tombstones_are_caught: TombstoneInLoadVersioned in DeleteVersioned by "load_versioned_after_delete",
        "expected Ok(None)";
    store_if_racing_plain_stores_is_caught: StoreIfAtomicOnlyAgainstItself in Versioned by "store_if_is_atomic_against_store",
        "the slot must hold the plain store's value";
    versions_of_a_prefix_are_caught: VersionOfFirst64Bytes in Versioned by "versions_tell_apart_values_one_byte_apart",
        "with byte 1025 changed returned Version(";
    write_behind_is_caught: WriteBehind in Crash by "crash_keeps_acknowledged_stores",
        "after a crash): got";
    versions_read_back_apart_are_caught: ReadsVersionBack in Versioned by "versions_name_their_values_under_concurrency",
        "a version must name exactly one value";
    skipped_unchanged_writes_are_caught: SkipsUnchangedStoreIf in Versioned by "store_if_of_the_same_bytes",
        "load_versioned (after writing the same bytes again) returned Version(";
    stripped_trailing_dots_are_caught: StripsTrailingDots in Core by "slot_names_across_the_alphabet",
        "slots with related names): got";
    panics_are_reported_as_such: PanicsOnEmptyValue in Core by "empty_value",
        "the storage panicked, which it must never do: index out of bounds";
    staging_shared_by_slots_is_caught: StagesWritesInOnePlace in Core by "stores_on_different_slots_at_once",
        "after a store into another slot at once (round 0)): got nothing";
    handle_caches_behind_concurrent_stores_are_caught: CachesWithVersionReadAfterWrite in Core
        by "handles_agree_after_concurrent_stores", "compared with a new handle): got";
    deletes_in_pieces_are_caught: DeletesInPieces in Delete by "delete_racing_loads_and_stores",
        "returned neither the old value, nor the new one, nor nothing";
    store_if_truncation_is_caught: StoreIfTruncatesTo64K in Versioned by "store_if_keeps_values_whole",
        "(after store_if of 65536 random bytes): got 65535 bytes, expected 65536 bytes";
    losses_behind_a_reopen_are_caught: LosesLastMiBOnReopen in Core by "persistence_across_reopen",
        "a slot holding 1048576 random bytes, after reopening): got 0 bytes, expected 1048576 bytes";
    sniffed_formats_are_caught: SniffsBzip2 in Core by "values_that_look_like_other_formats",
        "bzip2: bad block header";
    stripped_leading_dots_are_caught: StripsLeadingDots in Core by "slot_names_across_the_alphabet",
        "slots with related names): got";
    dropped_shared_values_are_caught: DropsSharedValues in Core by "slot_isolation",
        "which held the same bytes as slot";
    operations_at_once_in_the_model_are_caught: DeletesInPieces in ModelWithDelete
        by "random_operations_with_delete", "at once (";
}

/// A harness that cannot crash its backend gets its crash cases back as not run, never as passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_cases_of_a_harness_without_crash_are_not_run() {
    let harness = MemoryHarness::new();
    let not_run = run_crash(&harness).await.unwrap_err();
    assert_eq!(
        not_run,
        NotRun {
            cases: vec!["crash_keeps_acknowledged_stores"]
        }
    );
    assert_eq!(
        run_crash_versioned(&harness).await.unwrap_err().cases,
        ["crash_keeps_versions"]
    );
    assert_eq!(
        run_crash_delete(&harness).await.unwrap_err().cases,
        ["crash_keeps_deletes"]
    );
}

async fn passes_everything<H>(harness: H)
where
    H: Harness,
    H::Storage: SessionDelete + VersionedStorage,
{
    for suite in [
        Suite::Core,
        Suite::Delete,
        Suite::Versioned,
        Suite::DeleteVersioned,
    ] {
        run_suite(suite, &harness).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_storage_passes_everything() {
    passes_everything(MemoryHarness::new()).await;
}

/// The faults, not the map under them, make the suite fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_without_fault_passes_everything() {
    passes_everything(FaultyHarness::new(Fault::None)).await;
    run_suite(Suite::Crash, &FaultyHarness::new(Fault::None)).await;
}
