//! The journal columns of a slot's row: what a write of a value sets them to, and what one read of the row
//! (snapshot, version and records, from one statement) gives a plain reader and a journal reader.

use bytes::Bytes;
use session_core::{Epoch, Journal, Session, StorageError};

use crate::error::{corrupt, invalid_input, Doing};
use crate::sql::text;
use crate::storage::PostgresStorage;

/// The journal a write of a value starts: the epoch and first index its snapshot position names, or no
/// journal (`epoch` `None`, `start` 0) for a value that is no tgsession snapshot with a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct JournalStart {
    /// The `journal_epoch` column.
    pub(crate) epoch: Option<[u8; 16]>,
    /// The `journal_base` and `journal_end` columns.
    pub(crate) start: i64,
}

impl JournalStart {
    /// The journal that storing `data` starts, from [`Session::snapshot_position`].
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](session_core::ErrorKind::InvalidInput) if the position's index does not fit a
    /// `bigint`.
    pub(crate) fn of(data: &[u8], doing: Doing<'_>) -> Result<JournalStart, StorageError> {
        match Session::snapshot_position(data) {
            Ok(Some(position)) => Ok(JournalStart {
                epoch: Some(*position.epoch.as_bytes()),
                start: index_column(position.next, doing)?,
            }),
            // Not a tgsession snapshot with a position (or one this build cannot read): no journal.
            Ok(None) | Err(_) => Ok(JournalStart {
                epoch: None,
                start: 0,
            }),
        }
    }

    /// The epoch as a bound parameter.
    pub(crate) fn epoch(&self) -> Option<&[u8]> {
        self.epoch.as_ref().map(|epoch| &epoch[..])
    }
}

/// The `bigint` column value of the record index `index`.
///
/// # Errors
///
/// [`InvalidInput`](session_core::ErrorKind::InvalidInput) above `i64::MAX`, the largest index PostgreSQL
/// stores.
pub(crate) fn index_column(index: u64, doing: Doing<'_>) -> Result<i64, StorageError> {
    i64::try_from(index).map_err(|_| {
        invalid_input(
            doing,
            format_args!(
                "the journal position {index} is beyond the largest index a bigint holds ({})",
                i64::MAX
            ),
        )
    })
}

/// The record index stored as the `bigint` `column`.
///
/// # Errors
///
/// [`Corrupt`](session_core::ErrorKind::Corrupt) for a negative value, which this crate never writes.
pub(crate) fn index_of(column: i64, doing: Doing<'_>) -> Result<u64, StorageError> {
    u64::try_from(column).map_err(|_| {
        corrupt(
            doing,
            format_args!("the row holds the journal index {column}, which is negative"),
        )
    })
}

/// The columns of the `load` statement: data, version, journal epoch, base, end, and the records between
/// base and end (`NULL` when there are none).
type LoadColumns = (
    Vec<u8>,
    i64,
    Option<Vec<u8>>,
    i64,
    i64,
    Option<Vec<Vec<u8>>>,
);

/// A slot's row, read in one statement.
pub(crate) struct Stored {
    /// The snapshot as stored.
    snapshot: Bytes,
    /// The `version` column.
    pub(crate) version: i64,
    /// The `journal_epoch` column.
    epoch: Option<Vec<u8>>,
    /// The `journal_base` column.
    base: i64,
    /// The `journal_end` column.
    end: i64,
    /// The journal rows from `base` to `end`, in order.
    records: Vec<Bytes>,
}

impl PostgresStorage {
    /// The slot's row with its journal, or `None` if the slot is absent: one statement, so snapshot,
    /// version and records are of one moment.
    pub(crate) async fn read(&self, doing: Doing<'_>) -> Result<Option<Stored>, StorageError> {
        let query = sqlx::query_as::<_, LoadColumns>(text(&self.statements().load))
            .bind(self.slot().as_str())
            .fetch_optional(self.pool());
        let row = self.run(doing, query).await?;
        Ok(
            row.map(|(snapshot, version, epoch, base, end, records)| Stored {
                snapshot: Bytes::from(snapshot),
                version,
                epoch,
                base,
                end,
                records: records
                    .unwrap_or_default()
                    .into_iter()
                    .map(Bytes::from)
                    .collect(),
            }),
        )
    }
}

impl Stored {
    /// The snapshot and the records after it, as [`load_journal`](session_core::JournalStorage::load_journal)
    /// returns them.
    ///
    /// Records are returned only when the snapshot continues the row's journal (its position names the
    /// row's epoch and start); a snapshot written without resetting the journal (by a version of this crate
    /// before the journal, or by hand) has replaced it, so its records no longer apply.
    ///
    /// # Errors
    ///
    /// [`Corrupt`](session_core::ErrorKind::Corrupt) if journal rows are missing between base and end or
    /// the snapshot before records does not decode.
    pub(crate) fn journal(self, doing: Doing<'_>) -> Result<Journal, StorageError> {
        let base = index_of(self.base, doing)?;
        let end = index_of(self.end, doing)?;
        if self.records.is_empty() {
            return Ok(Journal {
                snapshot: self.snapshot,
                base,
                records: Vec::new(),
            });
        }
        let expected = end.saturating_sub(base);
        if self.records.len() as u64 != expected {
            return Err(corrupt(
                doing,
                format_args!(
                    "the journal table holds {} of the {expected} records {base} to {end} of the slot: rows \
                     were deleted outside this storage",
                    self.records.len()
                ),
            ));
        }
        let position = Session::snapshot_position(&self.snapshot)?;
        let continues = position.is_some_and(|position| {
            self.epoch.as_deref() == Some(&position.epoch.as_bytes()[..]) && position.next == base
        });
        if !continues {
            return Ok(Journal {
                snapshot: self.snapshot,
                base: position.map_or(0, |position| position.next),
                records: Vec::new(),
            });
        }
        Ok(Journal {
            snapshot: self.snapshot,
            base,
            records: self.records,
        })
    }

    /// The value a plain reader sees, with the row's version: the stored bytes exactly when no record
    /// follows the snapshot, else the snapshot with the records applied, encoded with the position after
    /// them.
    ///
    /// # Errors
    ///
    /// As [`journal`](Self::journal), and [`Corrupt`](session_core::ErrorKind::Corrupt) if a record does not
    /// decode.
    pub(crate) fn materialized(self, doing: Doing<'_>) -> Result<(Bytes, i64), StorageError> {
        let version = self.version;
        if self.records.is_empty() {
            return Ok((self.snapshot, version));
        }
        let journal = self.journal(doing)?;
        if journal.records.is_empty() {
            return Ok((journal.snapshot, version));
        }
        Ok((journal.materialize()?, version))
    }
}

/// The epoch stored as the `journal_epoch` bytes `column`, for messages; `None` if it is not 16 bytes.
pub(crate) fn epoch_of(column: &[u8]) -> Option<Epoch> {
    <[u8; 16]>::try_from(column).ok().map(Epoch::from_bytes)
}

#[cfg(test)]
mod tests {
    use session_core::{ErrorKind, JournalPosition, Patch, Record, Slot};

    use super::*;
    use crate::table::TableName;

    fn with_doing<T>(f: impl FnOnce(Doing<'_>) -> T) -> T {
        let table = TableName::default();
        let slot = Slot::new("main").unwrap();
        f(Doing {
            op: "load",
            slot: Some(&slot),
            table: &table,
        })
    }

    fn stored(snapshot: Vec<u8>, epoch: Option<Epoch>, base: i64, records: Vec<Vec<u8>>) -> Stored {
        Stored {
            snapshot: Bytes::from(snapshot),
            version: 9,
            epoch: epoch.map(|epoch| epoch.as_bytes().to_vec()),
            base,
            end: base + records.len() as i64,
            records: records.into_iter().map(Bytes::from).collect(),
        }
    }

    fn record(epoch: Epoch, home_dc: i32) -> Vec<u8> {
        let mut patch = Patch::new();
        patch.set_home_dc(Some(home_dc));
        Record::encode_patch(epoch, &patch).unwrap()
    }

    #[test]
    fn the_journal_start_is_the_snapshot_position() {
        let position = JournalPosition {
            epoch: Epoch::random(),
            next: 7,
        };
        let snapshot = Session::default().encode_snapshot(&position).unwrap();
        let start = with_doing(|doing| JournalStart::of(&snapshot, doing)).unwrap();
        assert_eq!(start.epoch, Some(*position.epoch.as_bytes()));
        assert_eq!(start.start, 7);
        let none = JournalStart {
            epoch: None,
            start: 0,
        };
        let plain = Session::default().encode().unwrap();
        for data in [&plain[..], b"not a session", b""] {
            assert_eq!(
                with_doing(|doing| JournalStart::of(data, doing)).unwrap(),
                none
            );
        }
        let huge = JournalPosition {
            epoch: position.epoch,
            next: u64::MAX,
        };
        let snapshot = Session::default().encode_snapshot(&huge).unwrap();
        let err = with_doing(|doing| JournalStart::of(&snapshot, doing)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn records_are_applied_only_on_the_snapshot_they_continue() {
        let position = JournalPosition {
            epoch: Epoch::random(),
            next: 3,
        };
        let snapshot = Session::default().encode_snapshot(&position).unwrap();
        let records = vec![record(position.epoch, 2), record(position.epoch, 4)];

        let row = stored(snapshot.clone(), Some(position.epoch), 3, records.clone());
        let (bytes, version) = with_doing(|doing| row.materialized(doing)).unwrap();
        assert_eq!(version, 9);
        let (session, at) = Session::decode_snapshot(&bytes).unwrap();
        assert_eq!(session.home_dc, Some(4));
        assert_eq!(at.map(|at| at.next), Some(5));

        // The row's journal is of another epoch, or starts elsewhere: the snapshot replaced it.
        for (epoch, base) in [(Epoch::random(), 3), (position.epoch, 2)] {
            let row = stored(snapshot.clone(), Some(epoch), base, records.clone());
            let journal = with_doing(|doing| row.journal(doing)).unwrap();
            assert_eq!((journal.base, journal.records.len()), (3, 0));
            let row = stored(snapshot.clone(), Some(epoch), base, records.clone());
            let (bytes, _) = with_doing(|doing| row.materialized(doing)).unwrap();
            assert_eq!(bytes, snapshot);
        }
    }

    #[test]
    fn a_row_without_records_is_returned_as_stored() {
        let row = stored(b"any bytes".to_vec(), None, 0, Vec::new());
        let (bytes, _) = with_doing(|doing| row.materialized(doing)).unwrap();
        assert_eq!(&bytes[..], b"any bytes");
    }

    #[test]
    fn missing_rows_and_negative_indices_are_corrupt() {
        let epoch = Epoch::random();
        let snapshot = Session::default()
            .encode_snapshot(&JournalPosition { epoch, next: 0 })
            .unwrap();
        let mut row = stored(snapshot, Some(epoch), 0, vec![record(epoch, 2)]);
        row.end = 2;
        let err = with_doing(|doing| row.journal(doing)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt);
        assert!(err.message().contains("1 of the 2 records"), "{err}");
        let row = stored(b"x".to_vec(), None, -1, Vec::new());
        let err = with_doing(|doing| row.journal(doing)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt);
    }
}
