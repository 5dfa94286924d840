//! [`LeaseStorage`] for [`SledStorage`]: the slot's lease record (`session_core::lease::LeaseRecord`) under
//! `key ++ FE`, read and changed in one sled transaction per call like every other write, on the system
//! clock; the fence of a write is checked in the write's own transaction.
//!
//! A sled database is open in one process at a time, so a sled lease excludes the handles of that process
//! (several tasks or components sharing one database); it survives restarts and crashes as durably as any
//! write, so tokens never repeat.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use session_core::lease::{checked_ttl, LeaseRecord, RecordKind};
use session_core::{
    FencedOutcome, FencedWrite, FencingToken, LeaseGrant, LeaseInfo, LeaseRequest, LeaseStorage,
    LeaseTerm, StorageError,
};
use sled::transaction::TransactionalTree;

use crate::error::BACKEND;
use crate::layout::lease_key;
use crate::state::{refuse, Refusal, TxResult};
use crate::storage::SledStorage;
use crate::txn;

/// Milliseconds since the Unix epoch on the system clock: the clock of sled leases.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// The lease record of the slot at `key`, if it ever had a lease.
fn read(tx: &TransactionalTree, key: &[u8]) -> TxResult<Option<LeaseRecord>> {
    match tx.get(lease_key(key))? {
        None => Ok(None),
        Some(bytes) => match LeaseRecord::decode(BACKEND, &bytes) {
            Ok(record) => Ok(Some(record)),
            Err(err) => refuse(Refusal::Lease(err)),
        },
    }
}

fn write(tx: &TransactionalTree, key: &[u8], record: &LeaseRecord) -> TxResult<()> {
    tx.insert(lease_key(key), record.encode())?;
    Ok(())
}

/// Refuses with [`ErrorKind::Fenced`](session_core::ErrorKind::Fenced) unless `fence` (if given) is the
/// slot's current lease: the first step of a fenced write's transaction.
pub(crate) fn check_fence(
    tx: &TransactionalTree,
    key: &[u8],
    fence: Option<FencingToken>,
    action: &str,
) -> TxResult<()> {
    let Some(token) = fence else {
        return Ok(());
    };
    let checked = match read(tx, key)? {
        Some(record) => record.check(BACKEND, token, action),
        None => Err(StorageError::fenced(BACKEND, token, action)),
    };
    checked.or_else(|err| refuse(Refusal::Lease(err)))
}

impl SledStorage {
    /// Runs `change` on the slot's lease record in one transaction, durably; `change` returns the value of
    /// the call and the record to write (if any).
    async fn change_lease<T, F>(&self, op: &str, change: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: Fn(Option<LeaseRecord>, u64) -> Result<(T, Option<LeaseRecord>), StorageError>
            + Send
            + 'static,
    {
        self.transact(op, 0, move |tree, key| {
            txn::commit(tree, |tx| {
                let current = read(tx, key)?;
                match change(current, now_ms()) {
                    Ok((value, Some(record))) => {
                        write(tx, key, &record)?;
                        Ok(value)
                    }
                    Ok((value, None)) => Ok(value),
                    Err(err) => refuse(Refusal::Lease(err)),
                }
            })
        })
        .await
    }
}

#[async_trait]
impl LeaseStorage for SledStorage {
    async fn acquire_lease(&self, request: &LeaseRequest) -> Result<LeaseGrant, StorageError> {
        let request = request.clone();
        self.change_lease("acquire the lease of", move |current, now| {
            let record =
                LeaseRecord::acquire(BACKEND, current.as_ref(), &request, now, RecordKind::Timed)?;
            let grant = LeaseGrant {
                token: record.token,
                term: LeaseTerm::Lapses(request.ttl()),
            };
            Ok((grant, Some(record)))
        })
        .await
    }

    async fn renew_lease(
        &self,
        token: FencingToken,
        ttl: Duration,
    ) -> Result<LeaseGrant, StorageError> {
        let ttl = checked_ttl(ttl)?;
        self.change_lease("renew the lease of", move |current, now| {
            let Some(mut record) = current else {
                return Err(StorageError::fenced(BACKEND, token, "renew the lease"));
            };
            record.renew(BACKEND, token, ttl, now)?;
            let grant = LeaseGrant {
                token,
                term: LeaseTerm::Lapses(ttl),
            };
            Ok((grant, Some(record)))
        })
        .await
    }

    async fn release_lease(&self, token: FencingToken) -> Result<(), StorageError> {
        self.change_lease("release the lease of", move |current, _| {
            Ok((
                (),
                current.map(|mut record| {
                    record.release(token);
                    record
                }),
            ))
        })
        .await
    }

    async fn read_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
        let action = self.action("read the lease of");
        let record = txn::read(self.tree(), |tx| read(tx, self.key()))
            .map_err(|err| crate::error::map_sled_error(err, &action))?
            .map_err(|refusal| refusal.into_error(&action))?;
        Ok(record.map(|record| record.info(now_ms())))
    }

    async fn break_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
        self.change_lease("break the lease of", |current, now| {
            Ok(match current {
                Some(mut record) => {
                    let info = record.break_lease(now);
                    (Some(info), Some(record))
                }
                None => (None, None),
            })
        })
        .await
    }

    async fn write_fenced(
        &self,
        token: FencingToken,
        write: FencedWrite,
    ) -> Result<FencedOutcome, StorageError> {
        let fence = Some(token);
        Ok(match write {
            FencedWrite::Store(data) => {
                self.replace("store", Some(data), None, None, fence).await?;
                FencedOutcome::Done
            }
            FencedWrite::StoreIf(data, expect) => {
                FencedOutcome::Version(self.store_if_under(data, expect, fence).await?)
            }
            FencedWrite::Delete => {
                self.replace("delete", None, None, None, fence).await?;
                FencedOutcome::Done
            }
            FencedWrite::Append(epoch, record) => {
                FencedOutcome::Appended(self.append_under(epoch, record, fence).await?)
            }
            FencedWrite::Compact(snapshot, position) => {
                self.compact_under(snapshot, position, fence).await?;
                FencedOutcome::Done
            }
        })
    }
}
