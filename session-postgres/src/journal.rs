//! [`JournalStorage`] for [`PostgresStorage`]: records are rows of the journal table, each appended by one
//! statement; a compaction is one transaction.

use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use session_core::{
    Epoch, FencingToken, Journal, JournalPosition, JournalStorage, Record, StorageError,
};
use sqlx::postgres::PgPool;

use crate::error::{conflict, invalid_input, Doing};
use crate::lease::token_column;
use crate::ops::fenced;
use crate::row::{epoch_of, index_column, index_of};
use crate::sql::{text, Statements};
use crate::storage::PostgresStorage;

/// Where a record holds its epoch (`docs/FORMAT.md`, "Record": after the magic, the version and the kind).
const EPOCH_AT: Range<usize> = 8..24;

#[async_trait]
impl JournalStorage for PostgresStorage {
    /// The row and its records between `journal_base` and `journal_end`, read by one statement.
    async fn load_journal(&self) -> Result<Option<Journal>, StorageError> {
        let doing = self.doing("load_journal", true);
        match self.read(doing).await? {
            Some(stored) => Ok(Some(stored.journal(doing)?)),
            None => Ok(None),
        }
    }

    /// One statement: the slot's row gets the next index (`journal_end + 1`) and a new version, if its
    /// journal is of `epoch`, and the record is inserted at that index. The row lock orders concurrent
    /// appends, so indices are unique and without gaps.
    ///
    /// The record is checked first: it must be one whole, undamaged record of `epoch` (framing and
    /// checksum; the payload is not decoded), else the call fails with
    /// [`InvalidInput`](session_core::ErrorKind::InvalidInput) and nothing is written.
    async fn append(&self, epoch: Epoch, record: Bytes) -> Result<u64, StorageError> {
        self.append_under(epoch, record, None).await
    }

    /// One transaction: lock the row, check its epoch and that `position.next` lies between the current
    /// snapshot's position and the journal's end, then write the snapshot and its position with a new
    /// version and delete the records before `position.next`. Records appended meanwhile wait for the row
    /// lock and land after the kept ones.
    async fn compact(
        &self,
        snapshot: Bytes,
        position: JournalPosition,
    ) -> Result<(), StorageError> {
        self.compact_under(snapshot, position, None).await
    }
}

impl PostgresStorage {
    /// The append, plain or (with `fence`) under a lease.
    pub(crate) async fn append_under(
        &self,
        epoch: Epoch,
        record: Bytes,
        fence: Option<FencingToken>,
    ) -> Result<u64, StorageError> {
        let doing = self.doing("append", true);
        if let Err(invalid) = check_record(&record, epoch, doing) {
            // A stale holder learns first that it is fenced.
            self.fail_if_lost(doing, fence).await?;
            return Err(invalid);
        }
        let query = sqlx::query_scalar::<_, i64>(text(&self.writes(fence).append))
            .bind(self.slot().as_str())
            .bind(&epoch.as_bytes()[..])
            .bind(&record[..]);
        let query = fenced(query, fence).fetch_optional(self.pool());
        match self.run(doing, query).await? {
            Some(index) => index_of(index, doing),
            None => Err(self.fail_if_lost(doing, fence).await.err().unwrap_or_else(|| conflict(
                doing,
                &format!(
                    "the slot has no journal of {epoch:?} (it is absent, was replaced, or was stored without \
                     a journal position); nothing was written"
                ),
            ))),
        }
    }

    /// The compaction, plain or (with `fence`) under a lease: the fence is checked, and the lease row
    /// locked `FOR SHARE`, by the statement that locks the slot's row, so it holds until the commit.
    pub(crate) async fn compact_under(
        &self,
        snapshot: Bytes,
        position: JournalPosition,
        fence: Option<FencingToken>,
    ) -> Result<(), StorageError> {
        let doing = self.doing("compact", true);
        if let Some(reason) = position.mismatch(&snapshot) {
            self.fail_if_lost(doing, fence).await?;
            return Err(invalid_input(doing, reason));
        }
        let next = index_column(position.next, doing)?;
        let call = compact(
            self.pool(),
            self.statements(),
            self.slot().as_str(),
            fence,
            &snapshot,
            position.epoch,
            next,
        );
        match self.run(doing, call).await? {
            Compacted::Done => Ok(()),
            Compacted::Absent => {
                self.fail_if_lost(doing, fence).await?;
                Err(conflict(
                    doing,
                    "the slot is absent, so it has no journal to compact; nothing was written",
                ))
            }
            Compacted::OtherEpoch(found) => {
                let found = found.as_deref().map(epoch_of);
                Err(conflict(
                    doing,
                    &format!(
                        "the slot's journal is of {found:?}, not of {:?}: the session was replaced (or \
                         stored without a journal); nothing was written",
                        position.epoch
                    ),
                ))
            }
            Compacted::OutOfRange { base, end } => Err(conflict(
                doing,
                &format!(
                    "cannot compact through record {next}: the current snapshot includes the records \
                     before {base} and the journal ends at {end}; nothing was written"
                ),
            )),
        }
    }
}

/// Fails with [`InvalidInput`](session_core::ErrorKind::InvalidInput) unless `record` is exactly one whole,
/// undamaged record of `epoch`. The message never shows the record's bytes.
fn check_record(record: &[u8], epoch: Epoch, doing: Doing<'_>) -> Result<(), StorageError> {
    if Record::length_at(record) != Some(record.len()) {
        return Err(invalid_input(
            doing,
            format_args!(
                "the {}-byte record is not exactly one whole, undamaged journal record of a format \
                 version this build writes; nothing was written",
                record.len()
            ),
        ));
    }
    if record.get(EPOCH_AT) != Some(&epoch.as_bytes()[..]) {
        return Err(invalid_input(
            doing,
            format_args!(
                "the record is not of {epoch:?}, the epoch it is appended to; nothing was written"
            ),
        ));
    }
    Ok(())
}

/// How a compaction's transaction ended.
enum Compacted {
    /// The snapshot was replaced and the records before it dropped.
    Done,
    /// The slot has no row.
    Absent,
    /// The row's journal is of another epoch (the stored `journal_epoch`), or has none.
    OtherEpoch(Option<Vec<u8>>),
    /// The position is before the current snapshot's or after the journal's end.
    OutOfRange {
        /// The current snapshot's position: the first record kept.
        base: i64,
        /// The index of the next record.
        end: i64,
    },
}

/// The compaction's transaction; nothing is written unless it returns [`Compacted::Done`]. With `fence`,
/// a stale token makes the slot look absent.
async fn compact(
    pool: &PgPool,
    statements: &Statements,
    slot: &str,
    fence: Option<FencingToken>,
    snapshot: &[u8],
    epoch: Epoch,
    next: i64,
) -> Result<Compacted, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let lock = statements.writes(fence.is_some()).lock_journal.clone();
    let query = sqlx::query_as::<_, (Option<Vec<u8>>, i64, i64)>(text(&lock)).bind(slot);
    let query = match fence {
        Some(token) => query.bind(token_column(token)),
        None => query,
    };
    let row = query.fetch_optional(&mut *tx).await?;
    let checked = match row {
        None => Err(Compacted::Absent),
        Some((current, _, _)) if current.as_deref() != Some(&epoch.as_bytes()[..]) => {
            Err(Compacted::OtherEpoch(current))
        }
        Some((_, base, end)) if next < base || next > end => {
            Err(Compacted::OutOfRange { base, end })
        }
        Some((_, _, end)) => Ok(end),
    };
    let end = match checked {
        Ok(end) => end,
        Err(refused) => {
            // Release the row lock now rather than when the connection is next used.
            tx.rollback().await?;
            return Ok(refused);
        }
    };
    sqlx::query(text(&statements.compact))
        .bind(slot)
        .bind(snapshot)
        .bind(next)
        .bind(end)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Compacted::Done)
}

#[cfg(test)]
mod tests {
    use session_core::{ErrorKind, Patch, Slot};

    use super::*;
    use crate::table::TableName;

    fn checked(record: &[u8], epoch: Epoch) -> Result<(), StorageError> {
        let table = TableName::default();
        let slot = Slot::new("main").unwrap();
        let doing = Doing {
            op: "append",
            slot: Some(&slot),
            table: &table,
        };
        check_record(record, epoch, doing)
    }

    #[test]
    fn the_epoch_is_where_the_format_puts_it() {
        let epoch = Epoch::random();
        let record = Record::encode_patch(epoch, &Patch::new()).unwrap();
        assert_eq!(&record[EPOCH_AT], epoch.as_bytes());
    }

    #[test]
    fn only_whole_records_of_the_epoch_are_appended() {
        let epoch = Epoch::random();
        let mut patch = Patch::new();
        patch.set_home_dc(Some(2));
        let record = Record::encode_patch(epoch, &patch).unwrap();
        assert!(checked(&record, epoch).is_ok());

        let other = checked(&record, Epoch::random()).unwrap_err();
        assert_eq!(other.kind(), ErrorKind::InvalidInput);
        let mut damaged = record.clone();
        damaged[EPOCH_AT.end] ^= 1;
        let cut = &record[..record.len() - 1];
        let mut longer = record.clone();
        longer.push(0);
        for bad in [&damaged[..], cut, &longer[..], b"", b"not a record"] {
            let err = checked(bad, epoch).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.message().contains("nothing was written"), "{err}");
        }
    }
}
