//! The in-memory reference storage.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::{ErrorKind, StorageError};
use crate::journal::{Epoch, Journal, JournalPosition, JournalStorage};
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
        let mut cell = self.cell();
        let current = cell
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
        Ok(Version::from_u64(cell.put(Some(data))))
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
        let mut cell = self.cell();
        cell.check_epoch(epoch)?;
        cell.records.push(record);
        // An append is a write: the slot's version changes.
        cell.writes += 1;
        let writes = cell.writes;
        if let Some((_, version)) = cell.value.as_mut() {
            *version = writes;
        }
        Ok(cell.base + cell.records.len() as u64 - 1)
    }

    async fn compact(
        &self,
        snapshot: Bytes,
        position: JournalPosition,
    ) -> Result<(), StorageError> {
        if let Some(reason) = position.mismatch(&snapshot) {
            return Err(StorageError::new(ErrorKind::InvalidInput, "memory", reason));
        }
        let mut cell = self.cell();
        cell.check_epoch(position.epoch)?;
        let end = cell.base + cell.records.len() as u64;
        if position.next < cell.base || position.next > end {
            return Err(StorageError::new(
                ErrorKind::Conflict,
                "memory",
                format!(
                    "cannot compact through record {}: the journal holds records {} to {}",
                    position.next, cell.base, end
                ),
            ));
        }
        let drop = usize::try_from(position.next - cell.base).unwrap_or(usize::MAX);
        cell.records.drain(..drop);
        cell.base = position.next;
        cell.position = Some(position);
        cell.writes += 1;
        let writes = cell.writes;
        cell.value = Some((snapshot, writes));
        Ok(())
    }
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
