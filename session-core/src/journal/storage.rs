//! [`JournalStorage`]: the optional storage extension for incremental persistence.

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;

use super::{Epoch, JournalPosition};
use crate::error::StorageError;
use crate::storage::SessionStorage;

/// What a journaled slot holds: the snapshot, and the records after it.
#[derive(Clone, PartialEq, Eq)]
pub struct Journal {
    /// The snapshot: an encoded session, with a journal position when a journal was started on it
    /// ([`Session::encode_snapshot`](crate::Session::encode_snapshot)).
    pub snapshot: Bytes,
    /// The index of the first record in `records`.
    pub base: u64,
    /// The records, in order: `records[i]` has index `base + i`.
    pub records: Vec<Bytes>,
}

impl fmt::Debug for Journal {
    /// Sizes only: snapshot and records hold auth keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal")
            .field("snapshot_len", &self.snapshot.len())
            .field("base", &self.base)
            .field("records", &self.records.len())
            .finish()
    }
}

/// A storage that keeps a snapshot and a journal of records after it, so that a small change is one small
/// append. See the [module documentation](crate::journal) for epochs and positions.
///
/// # Contract
///
/// Every implementation **must** keep these rules (the `session-conformance` crate checks them):
///
/// - The slot's **epoch** and journal start are the position of its current snapshot
///   ([`Session::decode_snapshot`](crate::Session::decode_snapshot)); a snapshot without a position has no
///   journal.
/// - [`store`](SessionStorage::store) replaces snapshot and journal together: afterwards the slot holds the
///   stored bytes and no record, and its epoch is whatever the stored snapshot names.
/// - [`load`](SessionStorage::load) returns the snapshot when no record follows it; with records, the
///   snapshot with the records applied, encoded (so that plain readers see every change).
/// - [`append`](Self::append) **must** add the record after every record already in the journal, durably,
///   and return its index; it **must** fail with [`ErrorKind::Conflict`](crate::ErrorKind::Conflict), adding
///   nothing, if the slot's epoch is not `epoch` (the session was replaced, or has no journal). Concurrent
///   appends **must** each get their own index; none may be lost, duplicated or reordered against its
///   acknowledgement.
/// - [`load_journal`](Self::load_journal) **must** return the snapshot and every acknowledged record after
///   the position the snapshot names, in order, and never a record that was not acknowledged whole (a torn
///   last record after a crash is left out).
/// - [`compact`](Self::compact) **must**, atomically: replace the snapshot with `snapshot`, whose position
///   is `position`, and drop exactly the records before `position.next`, keeping every record at or after it
///   (also those appended while the compaction ran). It **must** fail with `Conflict`, changing nothing, if
///   the slot's epoch is not `position.epoch` or `position.next` is past the last record.
#[async_trait]
pub trait JournalStorage: SessionStorage {
    /// The snapshot and the records after it, or `None` if the slot is absent.
    async fn load_journal(&self) -> Result<Option<Journal>, StorageError>;

    /// Appends `record` (an encoded [`Record`](crate::Record) of `epoch`) durably; returns its index.
    async fn append(&self, epoch: Epoch, record: Bytes) -> Result<u64, StorageError>;

    /// Replaces the snapshot with `snapshot` (which includes the records before `position.next`) and drops
    /// those records, atomically.
    async fn compact(&self, snapshot: Bytes, position: JournalPosition)
        -> Result<(), StorageError>;
}
