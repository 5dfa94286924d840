//! The storage traits for [`SledStorage`]: in-memory reads, and writes that are flushed on a blocking
//! thread before they return.

use async_trait::async_trait;
use bytes::Bytes;
use session_core::{
    run_blocking, ErrorKind, Expect, SessionDelete, SessionStorage, StorageError, Version,
    VersionedStorage,
};

use crate::error::{map_sled_error, BACKEND};
use crate::storage::SledStorage;

/// The outcome of a conditional write: done, or refused because the slot held a value of this version
/// (`None`: absent).
type SwapOutcome = Result<(), Option<Version>>;

impl SledStorage {
    /// Maps a sled error raised by operation `op` on this handle's slot.
    fn fail(&self, err: sled::Error, op: &str) -> StorageError {
        map_sled_error(err, &format!("{op} slot {:?}", self.slot()))
    }

    /// Runs `write` (sled calls ending in a flush) on a blocking thread with the tree and key, and maps
    /// its error.
    async fn write<T, F>(&self, op: &str, write: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&sled::Tree, &[u8]) -> sled::Result<T> + Send + 'static,
    {
        let (tree, key) = self.owned_location();
        let action = format!("{op} slot {:?}", self.slot());
        run_blocking(BACKEND, &action, move || write(&tree, &key))
            .await?
            .map_err(|err| self.fail(err, op))
    }

    /// The current value, as sled keeps it.
    fn get(&self, op: &str) -> Result<Option<sled::IVec>, StorageError> {
        self.tree()
            .get(self.key())
            .map_err(|err| self.fail(err, op))
    }
}

/// The bytes of a sled value, without copying it.
fn to_bytes(value: sled::IVec) -> Bytes {
    Bytes::from_owner(value)
}

/// The version of the value sled holds, `None` when absent.
fn version_of(value: Option<&sled::IVec>) -> Option<Version> {
    value.map(|value| Version::of_content(value))
}

/// Writes `data` under `key` if the key's value matches `expect`, atomically, then flushes.
fn swap_and_flush(
    tree: &sled::Tree,
    key: &[u8],
    data: &[u8],
    expect: &Expect,
) -> sled::Result<SwapOutcome> {
    let current = match expect {
        Expect::Absent => None,
        Expect::Version(expected) => {
            let current = tree.get(key)?;
            let found = version_of(current.as_ref());
            if found.as_ref() != Some(expected) {
                return Ok(Err(found));
            }
            current
        }
    };
    match tree.compare_and_swap(key, current, Some(data))? {
        Ok(()) => {
            tree.flush()?;
            Ok(Ok(()))
        }
        Err(changed) => Ok(Err(version_of(changed.current.as_ref()))),
    }
}

#[async_trait]
impl SessionStorage for SledStorage {
    async fn load(&self) -> Result<Option<Bytes>, StorageError> {
        Ok(self.get("load")?.map(to_bytes))
    }

    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        self.write("store", move |tree, key| {
            tree.insert(key, &data[..])?;
            tree.flush().map(drop)
        })
        .await
    }
}

#[async_trait]
impl SessionDelete for SledStorage {
    async fn delete(&self) -> Result<(), StorageError> {
        self.write("delete", |tree, key| {
            tree.remove(key)?;
            tree.flush().map(drop)
        })
        .await
    }
}

#[async_trait]
impl VersionedStorage for SledStorage {
    async fn load_versioned(&self) -> Result<Option<(Bytes, Version)>, StorageError> {
        Ok(self.get("load_versioned")?.map(|value| {
            let version = Version::of_content(&value);
            (to_bytes(value), version)
        }))
    }

    /// Checks `expect` against the current value and writes `data` with one compare-and-swap on exactly
    /// the value that was checked, so a write that lands in between makes this call fail with
    /// [`ErrorKind::Conflict`] instead of being overwritten.
    async fn store_if(&self, data: Bytes, expect: Expect) -> Result<Version, StorageError> {
        let version = Version::of_content(&data);
        let checked = expect.clone();
        let outcome = self
            .write("store_if", move |tree, key| {
                swap_and_flush(tree, key, &data, &checked)
            })
            .await?;
        match outcome {
            Ok(()) => Ok(version),
            Err(found) => Err(StorageError::new(
                ErrorKind::Conflict,
                BACKEND,
                format!(
                    "slot {:?} changed: expected {expect:?}, found {found:?}",
                    self.slot()
                ),
            )),
        }
    }
}
