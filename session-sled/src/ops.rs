//! The storage traits for [`SledStorage`]: reads of one consistent state of a slot that never return a
//! value whose write failed, and writes that change a slot in one transaction and are made durable on a
//! blocking thread before they return. The journal's own operations are in [`journal`](crate::journal).

use async_trait::async_trait;
use bytes::Bytes;
use session_core::{
    run_blocking, Expect, FencingToken, SessionDelete, SessionStorage, StorageError, Version,
    VersionedStorage,
};

use crate::error::{map_sled_error, BACKEND};
use crate::journal::{materialize, to_bytes};
use crate::lease::check_fence;
use crate::meta::Meta;
use crate::state::{self, position_of, Refusal, Stored};
use crate::storage::SledStorage;
use crate::txn;

impl SledStorage {
    /// `{op} slot "name"`, as errors name the call.
    pub(crate) fn action(&self, op: &str) -> String {
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

    /// Runs `run` (given the tree and the slot's key; typically checks, then one sled transaction, see
    /// [`txn::commit`]) on a blocking thread through [`write`](Self::write): what it committed is made
    /// durable before this returns; a refusal wrote nothing and becomes this call's error.
    pub(crate) async fn transact<T, F>(
        &self,
        op: &str,
        len: usize,
        run: F,
    ) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&sled::Tree, &[u8]) -> sled::Result<Result<T, Refusal>> + Send + 'static,
    {
        let outcome = self
            .write(op, len, move |tree, key| {
                let outcome = run(tree, key)?;
                let committed = outcome.is_ok();
                Ok((outcome, committed))
            })
            .await?;
        outcome.map_err(|refusal| refusal.into_error(&self.action(op)))
    }

    /// What the slot holds (snapshot, journal state and records), read in one transaction, unless the
    /// database is poisoned. The poison is checked before the read (a poisoned sled may block on reads of
    /// pages it has to load from disk) and after it, so that a value whose write failed before this read
    /// finished is never returned.
    pub(crate) fn read(&self, op: &str) -> Result<Option<Stored>, StorageError> {
        let database = self.database();
        database.check(|| self.action(op))?;
        let read = txn::read(self.tree(), |tx| state::read(tx, self.key()))
            .map_err(|err| map_sled_error(err, &self.action(op)))?
            .map_err(|refusal| refusal.into_error(&self.action(op)))?;
        database.check(|| self.action(op))?;
        Ok(read)
    }

    /// What [`load`](SessionStorage::load) returns for `stored`: the snapshot itself, or, when records
    /// follow it, the session they make ([`materialize`]), built on a blocking thread (decoding, applying and
    /// encoding a large session takes milliseconds).
    async fn materialized(&self, op: &str, stored: Stored) -> Result<Bytes, StorageError> {
        if stored.records.is_empty() {
            return Ok(to_bytes(stored.snapshot));
        }
        run_blocking(BACKEND, &self.action(op), move || materialize(stored)).await?
    }

    /// Replaces the slot's snapshot and journal with `data` (`None`: deletes the slot) in one transaction,
    /// if the slot matches `expect` (if given); the journal's state follows `data`'s position. `version` is
    /// the content version of `data` if the caller has it already. With a `fence`, the transaction first
    /// checks that it is the slot's current lease ([`check_fence`]).
    pub(crate) async fn replace(
        &self,
        op: &str,
        data: Option<Bytes>,
        version: Option<Version>,
        expect: Option<Expect>,
        fence: Option<FencingToken>,
    ) -> Result<(), StorageError> {
        let len = data.as_ref().map_or(0, Bytes::len);
        let action = self.action(op);
        self.transact(op, len, move |tree, key| {
            let data = data.as_deref();
            let meta = data.and_then(|data| {
                let position = position_of(data)?;
                let version = version.unwrap_or_else(|| Version::of_content(data));
                Some(Meta::start(position, version))
            });
            txn::commit(tree, |tx| {
                check_fence(tx, key, fence, &action)?;
                state::replace(tx, key, data, meta.as_ref(), expect.as_ref())
            })
        })
        .await
    }
}

#[async_trait]
impl SessionStorage for SledStorage {
    /// The snapshot when no record follows it (the stored bytes, unchanged); with records, the snapshot
    /// with the records applied, encoded again at the position after them.
    async fn load(&self) -> Result<Option<Bytes>, StorageError> {
        match self.read("load")? {
            Some(stored) => self.materialized("load", stored).await.map(Some),
            None => Ok(None),
        }
    }

    /// Replaces the snapshot and drops the journal, in one transaction; a snapshot that names a journal
    /// position starts an empty journal there.
    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        self.replace("store", Some(data), None, None, None).await
    }
}

#[async_trait]
impl SessionDelete for SledStorage {
    /// Removes the snapshot and the journal, in one transaction.
    async fn delete(&self) -> Result<(), StorageError> {
        self.replace("delete", None, None, None, None).await
    }
}

#[async_trait]
impl VersionedStorage for SledStorage {
    /// What [`load`](SessionStorage::load) returns, with the slot's version: the content version of the
    /// stored bytes for a slot without a journal, else the journal's (see the crate docs, *Journal*).
    async fn load_versioned(&self) -> Result<Option<(Bytes, Version)>, StorageError> {
        let Some(stored) = self.read("load_versioned")? else {
            return Ok(None);
        };
        let version = stored.version();
        let value = self.materialized("load_versioned", stored).await?;
        Ok(Some((value, version)))
    }

    /// Checks `expect` against the slot's version and replaces snapshot and journal with `data` in the same
    /// transaction, so a write that lands in between makes this call fail with
    /// [`ErrorKind::Conflict`](session_core::ErrorKind::Conflict) instead of being overwritten. Returns the
    /// content version of `data`.
    async fn store_if(&self, data: Bytes, expect: Expect) -> Result<Version, StorageError> {
        self.store_if_under(data, expect, None).await
    }
}

impl SledStorage {
    /// [`store_if`](VersionedStorage::store_if), under the lease `fence` if given.
    pub(crate) async fn store_if_under(
        &self,
        data: Bytes,
        expect: Expect,
        fence: Option<FencingToken>,
    ) -> Result<Version, StorageError> {
        let version = Version::of_content(&data);
        self.replace(
            "store_if",
            Some(data),
            Some(version.clone()),
            Some(expect),
            fence,
        )
        .await?;
        Ok(version)
    }
}
