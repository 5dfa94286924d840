//! [`JournalStorage`] for [`SledStorage`]: records under keys beside the slot's key, appended, compacted
//! and read in one sled transaction each (see [`state`](crate::state)), and the session a plain load
//! returns when records follow the snapshot.
//!
//! The checks that need no stored state (is the record whole, does the snapshot name the position) and the
//! hashing run on the blocking thread too, before the transaction: they cost up to milliseconds for a large
//! snapshot.

use async_trait::async_trait;
use bytes::Bytes;
use session_core::{
    Epoch, FencingToken, Journal, JournalPosition, JournalStorage, Record, StorageError, Version,
};

use crate::lease::check_fence;
use crate::state::{self, position_of, Refusal, Stored};
use crate::storage::SledStorage;
use crate::txn;

/// The bytes of a sled value, without copying it.
pub(crate) fn to_bytes(value: sled::IVec) -> Bytes {
    Bytes::from_owner(value)
}

/// The [`Journal`] a slot's stored state makes: the snapshot, and the records from the journal's base (for
/// a snapshot without a stored journal state, none, from the position it names or 0).
fn journal_of(stored: Stored) -> Journal {
    let base = match &stored.meta {
        Some(meta) => meta.base,
        None => position_of(&stored.snapshot).map_or(0, |position| position.next),
    };
    Journal {
        snapshot: to_bytes(stored.snapshot),
        base,
        records: stored.records.into_iter().map(to_bytes).collect(),
    }
}

/// The value a plain load returns: the snapshot, unchanged, when no record follows it; else the snapshot
/// with the records applied ([`Journal::replay`]), encoded again with the position after the last record.
pub(crate) fn materialize(stored: Stored) -> Result<Bytes, StorageError> {
    if stored.records.is_empty() {
        return Ok(to_bytes(stored.snapshot));
    }
    Ok(journal_of(stored).materialize()?)
}

/// Refuses (as [`InvalidInput`](session_core::ErrorKind::InvalidInput)) unless `record` is one whole
/// record of `epoch`: a record that does not decode would make every later load of the slot fail until
/// the next store.
fn check_record(record: &[u8], epoch: Epoch) -> Result<(), Refusal> {
    match Record::decode(record) {
        Ok((found, _)) if found == epoch => Ok(()),
        Ok((found, _)) => Err(Refusal::Invalid(format!(
            "the record is of {found:?}, not of {epoch:?}"
        ))),
        Err(err) => Err(Refusal::Invalid(format!(
            "the record is not one whole journal record: {err}"
        ))),
    }
}

/// Refuses (as [`InvalidInput`](session_core::ErrorKind::InvalidInput)) unless `snapshot` is a snapshot
/// that names `position`.
fn check_snapshot(snapshot: &[u8], position: JournalPosition) -> Result<(), Refusal> {
    match position.mismatch(snapshot) {
        None => Ok(()),
        Some(reason) => Err(Refusal::Invalid(reason)),
    }
}

#[async_trait]
impl JournalStorage for SledStorage {
    /// The snapshot and every record after it, read in one transaction.
    async fn load_journal(&self) -> Result<Option<Journal>, StorageError> {
        Ok(self.read("load_journal")?.map(journal_of))
    }

    /// Checks that `record` is a whole record of `epoch` (else
    /// [`InvalidInput`](session_core::ErrorKind::InvalidInput)), then, in one transaction, checks the
    /// slot's epoch (else [`Conflict`](session_core::ErrorKind::Conflict)) and writes the record at the
    /// journal's end and the journal's new state; then makes it durable like a store before it returns the
    /// record's index.
    async fn append(&self, epoch: Epoch, record: Bytes) -> Result<u64, StorageError> {
        self.append_under(epoch, record, None).await
    }

    /// Checks that `snapshot` names `position` (else
    /// [`InvalidInput`](session_core::ErrorKind::InvalidInput)), then, in one transaction, checks the
    /// slot's epoch and that `position.next` lies between the current snapshot's position and the
    /// journal's end (else [`Conflict`](session_core::ErrorKind::Conflict), nothing changed), replaces the
    /// snapshot and removes the records before `position.next`; durable before it returns.
    async fn compact(
        &self,
        snapshot: Bytes,
        position: JournalPosition,
    ) -> Result<(), StorageError> {
        self.compact_under(snapshot, position, None).await
    }
}

impl SledStorage {
    /// [`append`](JournalStorage::append), under the lease `fence` if given (checked in the same
    /// transaction).
    pub(crate) async fn append_under(
        &self,
        epoch: Epoch,
        record: Bytes,
        fence: Option<FencingToken>,
    ) -> Result<u64, StorageError> {
        let action = self.action("append to");
        self.transact("append to", record.len(), move |tree, key| {
            if let Err(refusal) = check_record(&record, epoch) {
                return Ok(Err(refusal));
            }
            txn::commit(tree, |tx| {
                check_fence(tx, key, fence, &action)?;
                state::append(tx, key, epoch, &record)
            })
        })
        .await
    }

    /// [`compact`](JournalStorage::compact), under the lease `fence` if given (checked in the same
    /// transaction).
    pub(crate) async fn compact_under(
        &self,
        snapshot: Bytes,
        position: JournalPosition,
        fence: Option<FencingToken>,
    ) -> Result<(), StorageError> {
        let action = self.action("compact");
        self.transact("compact", snapshot.len(), move |tree, key| {
            if let Err(refusal) = check_snapshot(&snapshot, position) {
                return Ok(Err(refusal));
            }
            let version = Version::of_content(&snapshot);
            txn::commit(tree, |tx| {
                check_fence(tx, key, fence, &action)?;
                state::compact(tx, key, &snapshot, position, &version)
            })
        })
        .await
    }
}
