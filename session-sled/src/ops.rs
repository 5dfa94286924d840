//! The storage traits for [`SledStorage`]: in-memory reads that never return a value whose write failed,
//! and writes that are made durable on a blocking thread before they return.

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
    /// `{op} slot "name"`, as errors name the call.
    fn action(&self, op: &str) -> String {
        format!("{op} slot {:?}", self.slot())
    }

    /// Runs `write` (sled calls that return a value and whether they changed anything) on a blocking thread
    /// with the tree and key, through [`Database::write`](crate::database::Database), which checks the free
    /// space first and makes a change durable before it returns. `len` is the length of the value written.
    async fn write<T, F>(&self, op: &str, len: usize, write: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&sled::Tree, &[u8]) -> sled::Result<(T, bool)> + Send + 'static,
    {
        let (tree, key, database) = self.owned_location();
        let action = self.action(op);
        let reserve = self.reserve_for(len);
        let blocking_action = action.clone();
        run_blocking(BACKEND, &action, move || {
            database.write(&blocking_action, reserve, || write(&tree, &key))
        })
        .await?
    }

    /// The current value, as sled keeps it, unless the database is poisoned. The poison is checked before
    /// the read (a poisoned sled may block on reads of pages it has to load from disk) and after it, so
    /// that a value whose write failed before this read finished is never returned.
    fn get(&self, op: &str) -> Result<Option<sled::IVec>, StorageError> {
        let database = self.database();
        database.check(|| self.action(op))?;
        let value = self
            .tree()
            .get(self.key())
            .map_err(|err| map_sled_error(err, &self.action(op)))?;
        database.check(|| self.action(op))?;
        Ok(value)
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

/// Writes `data` under `key` if the key's value matches `expect`, atomically; the flag says whether it
/// wrote.
fn swap(
    tree: &sled::Tree,
    key: &[u8],
    data: &[u8],
    expect: &Expect,
) -> sled::Result<(SwapOutcome, bool)> {
    let current = match expect {
        Expect::Absent => None,
        Expect::Version(expected) => {
            let current = tree.get(key)?;
            let found = version_of(current.as_ref());
            if found.as_ref() != Some(expected) {
                return Ok((Err(found), false));
            }
            current
        }
    };
    Ok(match tree.compare_and_swap(key, current, Some(data))? {
        Ok(()) => (Ok(()), true),
        Err(changed) => (Err(version_of(changed.current.as_ref())), false),
    })
}

#[async_trait]
impl SessionStorage for SledStorage {
    async fn load(&self) -> Result<Option<Bytes>, StorageError> {
        Ok(self.get("load")?.map(to_bytes))
    }

    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        self.write("store", data.len(), move |tree, key| {
            tree.insert(key, &data[..])?;
            Ok(((), true))
        })
        .await
    }
}

#[async_trait]
impl SessionDelete for SledStorage {
    async fn delete(&self) -> Result<(), StorageError> {
        self.write("delete", 0, |tree, key| {
            tree.remove(key)?;
            Ok(((), true))
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
            .write("store_if", data.len(), move |tree, key| {
                swap(tree, key, &data, &checked)
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
