//! The suite tests itself: it must fail on storages broken on purpose — each in one way, all on top of an
//! in-memory map — naming the case that catches the fault, and pass on the reference storage and on the
//! same map without a fault.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use session_conformance::{
    async_trait, run_all, run_delete, run_delete_versioned, run_versioned, Harness, MemoryHarness,
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
}

const MIB: usize = 1 << 20;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap()
}

/// One slot of the map: the value with the number of the write that stored it.
#[derive(Debug, Default)]
struct Cell {
    value: Option<(Bytes, u64)>,
    writes: u64,
}

impl Cell {
    fn write(&mut self, value: Option<Bytes>) -> u64 {
        self.writes += 1;
        self.value = value.map(|data| (data, self.writes));
        self.writes
    }

    fn version(&self) -> Option<Version> {
        self.value
            .as_ref()
            .map(|(_, write)| Version::from_u64(*write))
    }
}

type Cells = Arc<Mutex<HashMap<String, Arc<Mutex<Cell>>>>>;

#[derive(Debug)]
struct FaultyStorage {
    fault: Fault,
    cell: Arc<Mutex<Cell>>,
    all: Cells,
    /// What this handle last loaded or wrote, for [`Fault::CachesPerHandle`].
    cache: Mutex<Option<Option<Bytes>>>,
    /// Whether this handle deleted the slot, for [`Fault::DeletesOnlyInHandle`].
    deleted_here: AtomicBool,
}

impl FaultyStorage {
    fn remember(&self, value: Option<Bytes>) {
        self.deleted_here.store(false, Ordering::SeqCst);
        if self.fault == Fault::CachesPerHandle {
            *lock(&self.cache) = Some(value);
        }
    }

    fn check(&self, cell: &Cell, expect: &Expect) -> Result<(), StorageError> {
        let matches = match (expect, cell.version()) {
            (Expect::Absent, None) => true,
            (Expect::Absent, Some(_)) => self.fault == Fault::IgnoresExpectAbsent,
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
        let value = lock(&self.cell)
            .value
            .as_ref()
            .map(|(data, _)| data.clone());
        let value = match value {
            None if self.fault == Fault::EmptyForAbsent => Some(Bytes::new()),
            value => value,
        };
        self.remember(value.clone());
        Ok(value)
    }

    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        let data = match self.fault {
            Fault::TruncatesLargeValues if data.len() > MIB => data.slice(..MIB),
            _ => data,
        };
        if self.fault == Fault::TearsWrites {
            lock(&self.cell).write(Some(data.slice(..data.len() / 2)));
            tokio::time::sleep(Duration::from_millis(1)).await;
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
        }
        self.remember(Some(data));
        Ok(())
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
            _ => {
                lock(&self.cell).write(None);
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
        Ok(cell
            .value
            .as_ref()
            .map(|(data, _)| data.clone())
            .zip(cell.version()))
    }

    async fn store_if(&self, data: Bytes, expect: Expect) -> Result<Version, StorageError> {
        if self.fault == Fault::RacyStoreIf {
            self.check(&lock(&self.cell), &expect)?;
            // A window wide enough that concurrent writers reliably pass the check together, even on a
            // loaded machine (a bare yield was not always enough).
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let write = {
            let mut cell = lock(&self.cell);
            if self.fault != Fault::RacyStoreIf {
                self.check(&cell, &expect)?;
            }
            cell.write(Some(data.clone()))
        };
        self.remember(Some(data));
        Ok(Version::from_u64(write))
    }
}

/// Opens [`FaultyStorage`]s on one in-memory map.
#[derive(Debug)]
struct FaultyHarness {
    fault: Fault,
    cells: Cells,
}

impl FaultyHarness {
    fn new(fault: Fault) -> FaultyHarness {
        FaultyHarness {
            fault,
            cells: Cells::default(),
        }
    }
}

#[async_trait]
impl Harness for FaultyHarness {
    type Storage = FaultyStorage;

    async fn open(&self, slot: &str) -> Result<FaultyStorage, StorageError> {
        Slot::new(slot)?;
        let key = match self.fault {
            Fault::KeysByPrefix => slot.get(..4).unwrap_or(slot),
            _ => slot,
        };
        let cell = lock(&self.cells).entry(key.to_owned()).or_default().clone();
        Ok(FaultyStorage {
            fault: self.fault,
            cell,
            all: Arc::clone(&self.cells),
            cache: Mutex::new(None),
            deleted_here: AtomicBool::new(false),
        })
    }

    async fn reopen(&self) -> Result<(), StorageError> {
        if self.fault == Fault::ForgetsOnReopen {
            lock(&self.cells).clear();
        }
        Ok(())
    }
}

/// Which `run_*` function to call.
#[derive(Clone, Copy, Debug)]
enum Suite {
    Core,
    Delete,
    Versioned,
    DeleteVersioned,
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
    }
}

/// Runs `suite` on a storage with `fault` and checks that it panics in `case`, with a short message that
/// contains `detail`.
async fn expect_caught(fault: Fault, suite: Suite, case: &str, detail: &str) {
    let run = tokio::spawn(async move { run_suite(suite, &FaultyHarness::new(fault)).await });
    let err = run
        .await
        .expect_err(&format!("{suite:?} passed on a storage with {fault:?}"));
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
    assert!(
        message.len() < 500,
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
    racy_store_if_is_caught: RacyStoreIf in Versioned by "versioned_counter_race",
        "instead of 200";
    failing_delete_of_absent_is_caught: FailsDeletingAbsent in Delete by "delete_is_idempotent",
        "delete (of a never-written slot) returned an error: faulty: other error: nothing to delete";
    handle_local_delete_is_caught: DeletesOnlyInHandle in Delete by "delete_seen_by_other_handle",
        "handle A after a delete through handle B): got a value of 100 bytes";
    delete_of_all_slots_is_caught: DeletesAllSlots in Delete by "delete_leaves_other_slots",
        "expected a value of 64 bytes";
    repeated_versions_after_delete_are_caught: RestartsVersionsAfterDelete in DeleteVersioned by "delete_makes_version_stale",
        "store_if(Absent) after delete returned Version(";
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
}
