//! The in-memory reference storage.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::{ErrorKind, StorageError};
use crate::journal::{Epoch, Journal, JournalPosition, JournalStorage};
use crate::lease::{
    checked_ttl, FencedOutcome, FencedWrite, FencingToken, LeaseGrant, LeaseInfo, LeaseRecord,
    LeaseRequest, LeaseStorage, LeaseTerm, RecordKind,
};
use crate::session::Session;
use crate::slot::Slot;
use crate::storage::{SessionDelete, SessionStorage, VersionedStorage};
use crate::version::{Expect, Version};

/// A storage that keeps one slot in memory: the reference implementation of every trait, and a handy
/// stand-in for tests. Clones share the slot; the data lives as long as one clone does.
///
/// Use [`MemoryStore`] for several slots by name.
///
/// ```
/// use bytes::Bytes;
/// use session_core::{Expect, MemoryStorage, SessionStorage, VersionedStorage};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let storage = MemoryStorage::new();
/// let v1 = storage.store_if(Bytes::from_static(b"one"), Expect::Absent).await?;
/// let other_handle = storage.clone();
/// other_handle.store_if(Bytes::from_static(b"two"), Expect::Version(v1.clone())).await?;
/// // `v1` is stale now:
/// let err = storage.store_if(Bytes::from_static(b"three"), Expect::Version(v1)).await.unwrap_err();
/// assert_eq!(err.kind(), session_core::ErrorKind::Conflict);
/// # Ok::<(), session_core::StorageError>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Default)]
pub struct MemoryStorage {
    cell: Arc<Mutex<Cell>>,
}

#[derive(Default)]
struct Cell {
    value: Option<(Bytes, u64)>,
    /// Counts every write, so a version is never handed out twice, even after a delete.
    writes: u64,
    /// The journal position the stored snapshot names (its epoch and first record), if any.
    position: Option<JournalPosition>,
    /// The records after the snapshot: `records[i]` has index `base + i`.
    records: Vec<Bytes>,
    base: u64,
    /// The slot's current or last lease; kept by deletes, so tokens never repeat.
    lease: Option<LeaseRecord>,
}

impl Cell {
    /// Replaces snapshot and journal.
    fn put(&mut self, value: Option<Bytes>) -> u64 {
        self.writes += 1;
        self.position = value
            .as_deref()
            .and_then(|data| Session::snapshot_position(data).ok().flatten());
        self.base = self.position.map_or(0, |position| position.next);
        self.records.clear();
        self.value = value.map(|data| (data, self.writes));
        self.writes
    }

    /// The slot's value as a plain reader sees it: the snapshot, with the records applied if there are any.
    fn current(&self) -> Result<Option<(Bytes, u64)>, StorageError> {
        let Some((snapshot, version)) = &self.value else {
            return Ok(None);
        };
        let value = self.journal(snapshot.clone()).materialize()?;
        Ok(Some((value, *version)))
    }

    fn journal(&self, snapshot: Bytes) -> Journal {
        Journal {
            snapshot,
            base: self.base,
            records: self.records.clone(),
        }
    }

    fn store_if(&mut self, data: Bytes, expect: Expect) -> Result<Version, StorageError> {
        let current = self
            .value
            .as_ref()
            .map(|(_, version)| Version::from_u64(*version));
        if !expect.matches(current.as_ref()) {
            return Err(StorageError::new(
                ErrorKind::Conflict,
                "memory",
                format!("slot changed: expected {expect:?}, found {current:?}"),
            ));
        }
        Ok(Version::from_u64(self.put(Some(data))))
    }

    fn append(&mut self, epoch: Epoch, record: Bytes) -> Result<u64, StorageError> {
        self.check_epoch(epoch)?;
        self.records.push(record);
        // An append is a write: the slot's version changes.
        self.writes += 1;
        let writes = self.writes;
        if let Some((_, version)) = self.value.as_mut() {
            *version = writes;
        }
        Ok(self.base + self.records.len() as u64 - 1)
    }

    fn compact(&mut self, snapshot: Bytes, position: JournalPosition) -> Result<(), StorageError> {
        if let Some(reason) = position.mismatch(&snapshot) {
            return Err(StorageError::new(ErrorKind::InvalidInput, "memory", reason));
        }
        self.check_epoch(position.epoch)?;
        let end = self.base + self.records.len() as u64;
        if position.next < self.base || position.next > end {
            return Err(StorageError::new(
                ErrorKind::Conflict,
                "memory",
                format!(
                    "cannot compact through record {}: the journal holds records {} to {}",
                    position.next, self.base, end
                ),
            ));
        }
        let drop = usize::try_from(position.next - self.base).unwrap_or(usize::MAX);
        self.records.drain(..drop);
        self.base = position.next;
        self.position = Some(position);
        self.writes += 1;
        self.value = Some((snapshot, self.writes));
        Ok(())
    }

    /// Performs one write of any kind: the one dispatch of fenced writes.
    fn write(&mut self, write: FencedWrite) -> Result<FencedOutcome, StorageError> {
        Ok(match write {
            FencedWrite::Store(data) => {
                self.put(Some(data));
                FencedOutcome::Done
            }
            FencedWrite::StoreIf(data, expect) => {
                FencedOutcome::Version(self.store_if(data, expect)?)
            }
            FencedWrite::Delete => {
                self.put(None);
                FencedOutcome::Done
            }
            FencedWrite::Append(epoch, record) => {
                FencedOutcome::Appended(self.append(epoch, record)?)
            }
            FencedWrite::Compact(snapshot, position) => {
                self.compact(snapshot, position)?;
                FencedOutcome::Done
            }
        })
    }

    /// The slot's lease record, for a holder of `token`, or a [`ErrorKind::Fenced`] error.
    fn lease_of(
        &mut self,
        token: FencingToken,
        action: &str,
    ) -> Result<&mut LeaseRecord, StorageError> {
        match self.lease.as_mut() {
            Some(lease) => {
                lease.check("memory", token, action)?;
                Ok(lease)
            }
            None => Err(StorageError::fenced("memory", token, action)),
        }
    }

    /// Fails with a conflict unless the slot's journal has `epoch`.
    fn check_epoch(&self, epoch: Epoch) -> Result<JournalPosition, StorageError> {
        match self.position {
            Some(position) if position.epoch == epoch => Ok(position),
            found => Err(StorageError::new(
                ErrorKind::Conflict,
                "memory",
                format!(
                    "the slot's journal is not of {epoch:?} (it is {:?}): the session was replaced",
                    found.map(|position| position.epoch)
                ),
            )),
        }
    }
}

impl MemoryStorage {
    /// A new, empty slot.
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }

    fn cell(&self) -> MutexGuard<'_, Cell> {
        // No code panics while holding the lock, so a poisoned lock still holds consistent data.
        self.cell
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stored_len = self.cell().value.as_ref().map(|(data, _)| data.len());
        f.debug_struct("MemoryStorage")
            .field("stored_len", &stored_len)
            .finish()
    }
}

#[async_trait]
impl SessionStorage for MemoryStorage {
    async fn load(&self) -> Result<Option<Bytes>, StorageError> {
        Ok(self.cell().current()?.map(|(data, _)| data))
    }

    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        self.cell().put(Some(data));
        Ok(())
    }
}

#[async_trait]
impl SessionDelete for MemoryStorage {
    async fn delete(&self) -> Result<(), StorageError> {
        self.cell().put(None);
        Ok(())
    }
}

#[async_trait]
impl VersionedStorage for MemoryStorage {
    async fn load_versioned(&self) -> Result<Option<(Bytes, Version)>, StorageError> {
        Ok(self
            .cell()
            .current()?
            .map(|(data, version)| (data, Version::from_u64(version))))
    }

    async fn store_if(&self, data: Bytes, expect: Expect) -> Result<Version, StorageError> {
        self.cell().store_if(data, expect)
    }
}

#[async_trait]
impl JournalStorage for MemoryStorage {
    async fn load_journal(&self) -> Result<Option<Journal>, StorageError> {
        let cell = self.cell();
        Ok(cell
            .value
            .as_ref()
            .map(|(snapshot, _)| cell.journal(snapshot.clone())))
    }

    async fn append(&self, epoch: Epoch, record: Bytes) -> Result<u64, StorageError> {
        self.cell().append(epoch, record)
    }

    async fn compact(
        &self,
        snapshot: Bytes,
        position: JournalPosition,
    ) -> Result<(), StorageError> {
        self.cell().compact(snapshot, position)
    }
}

#[async_trait]
impl LeaseStorage for MemoryStorage {
    async fn acquire_lease(&self, request: &LeaseRequest) -> Result<LeaseGrant, StorageError> {
        let mut cell = self.cell();
        let lease = LeaseRecord::acquire(
            "memory",
            cell.lease.as_ref(),
            request,
            now_ms(),
            RecordKind::Timed,
        )?;
        let token = lease.token;
        cell.lease = Some(lease);
        Ok(LeaseGrant {
            token,
            term: LeaseTerm::Lapses(request.ttl()),
        })
    }

    async fn renew_lease(
        &self,
        token: FencingToken,
        ttl: Duration,
    ) -> Result<LeaseGrant, StorageError> {
        let ttl = checked_ttl(ttl)?;
        let mut cell = self.cell();
        cell.lease_of(token, "renew the lease")?
            .renew("memory", token, ttl, now_ms())?;
        Ok(LeaseGrant {
            token,
            term: LeaseTerm::Lapses(ttl),
        })
    }

    async fn release_lease(&self, token: FencingToken) -> Result<(), StorageError> {
        if let Some(lease) = self.cell().lease.as_mut() {
            lease.release(token);
        }
        Ok(())
    }

    async fn read_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
        Ok(self.cell().lease.as_ref().map(|lease| lease.info(now_ms())))
    }

    async fn break_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
        Ok(self
            .cell()
            .lease
            .as_mut()
            .map(|lease| lease.break_lease(now_ms())))
    }

    async fn write_fenced(
        &self,
        token: FencingToken,
        write: FencedWrite,
    ) -> Result<FencedOutcome, StorageError> {
        let mut cell = self.cell();
        cell.lease_of(token, write.name())?;
        cell.write(write)
    }
}

/// Milliseconds on this process's monotonic clock: the clock of in-memory leases.
fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let elapsed = START.get_or_init(Instant::now).elapsed();
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// Many in-memory slots by name: hands out one [`MemoryStorage`] per slot, the same one for the same name.
/// Clones share the slots.
#[derive(Clone, Default)]
pub struct MemoryStore {
    slots: Arc<Mutex<HashMap<Slot, MemoryStorage>>>,
}

impl MemoryStore {
    /// A store with no slots.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// The storage of `slot`; every call with the same slot returns a handle on the same data.
    pub fn open(&self, slot: &Slot) -> MemoryStorage {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        slots.entry(slot.clone()).or_default().clone()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slots = self.slots.lock().map(|s| s.len()).unwrap_or_default();
        f.debug_struct("MemoryStore")
            .field("slots", &slots)
            .finish()
    }
}
