//! [`JournalStorage`] for [`RedisStorage`]: the records in a Redis list beside the snapshot, the journal head
//! in the version key, and what a plain read makes of them (the snapshot with the records applied).

use async_trait::async_trait;
use session_core::{
    run_blocking, Bytes, CodecError, Epoch, ErrorKind, FencingToken, Journal, JournalPosition,
    JournalStorage, StorageError,
};

use crate::commands;
use crate::error::BACKEND;
use crate::head::{journal_head, position_of, version_value};
use crate::reply::{self, Refusal, Stored};
use crate::storage::RedisStorage;
use crate::token::next_token;

impl RedisStorage {
    /// The value a plain read returns for what the slot holds: the data key's bytes as stored when no
    /// record follows them, else the snapshot with the records applied, encoded again with the position
    /// after them (decoded, applied and encoded on the blocking pool, since a large session takes
    /// milliseconds).
    pub(crate) async fn current(&self, op: &str, stored: Stored) -> Result<Bytes, StorageError> {
        if stored.records.is_empty() {
            return Ok(stored.data);
        }
        let journal = self.journal_of(op, stored)?;
        let action = self.action(op);
        let replayed = run_blocking(BACKEND, &action, move || journal.materialize()).await?;
        replayed.map_err(|err| replay_failed(&action, err))
    }

    /// The [`Journal`] of what the slot holds: its base is the one the version key's head names. A slot
    /// without a head (stored without a journal position) has no record; its base is the position its
    /// snapshot names, if any, as in every storage.
    fn journal_of(&self, op: &str, stored: Stored) -> Result<Journal, StorageError> {
        let head = stored.version.as_deref().and_then(journal_head);
        let base = match head {
            Some(head) => head.next,
            None if stored.records.is_empty() => position_of(&stored.data).map_or(0, |at| at.next),
            None => {
                return Err(StorageError::new(
                    ErrorKind::Corrupt,
                    BACKEND,
                    format!(
                        "cannot {}: the journal key holds {} records, but the version key names no \
                         journal (was the version key evicted, or written by another application?)",
                        self.action(op),
                        stored.records.len()
                    ),
                ))
            }
        };
        Ok(Journal {
            snapshot: stored.data,
            base,
            records: stored.records,
        })
    }

    /// The conflict of an `op` that the script refused for `why`; `at` is the epoch (and, for a
    /// compaction, the position) the caller asked for.
    fn refused(&self, op: &str, why: Refusal, at: JournalPosition) -> StorageError {
        let action = self.action(op);
        let message = match why {
            Refusal::Absent => format!("cannot {action}: the slot is absent; nothing was written"),
            Refusal::NoJournal => format!(
                "cannot {action}: the slot's session was stored without a journal position, so it has \
                 no journal; nothing was written"
            ),
            Refusal::OtherEpoch => format!(
                "cannot {action}: the slot's journal is not of {:?}: the session was replaced; nothing \
                 was written",
                at.epoch
            ),
            Refusal::OutOfRange { base, len } => format!(
                "cannot {action} through record {}: the snapshot includes the records before {base} and \
                 the journal ends at {}; nothing was written",
                at.next,
                base.saturating_add(len)
            ),
        };
        StorageError::new(ErrorKind::Conflict, BACKEND, message)
    }
}

/// The error of a journal that does not replay: [`Corrupt`](ErrorKind::Corrupt), or
/// [`Unsupported`](ErrorKind::Unsupported) for a snapshot or record of a newer format; the codec's error is
/// the source.
fn replay_failed(action: &str, err: CodecError) -> StorageError {
    let kind = match err {
        CodecError::UnsupportedVersion { .. } => ErrorKind::Unsupported,
        _ => ErrorKind::Corrupt,
    };
    StorageError::new(
        kind,
        BACKEND,
        format!("cannot {action}: the snapshot and its journal records do not replay: {err}"),
    )
    .with_source(err)
}

#[async_trait]
impl JournalStorage for RedisStorage {
    /// Reads snapshot, version key and records in one transaction (`MULTI`, `GET`, `GET`, `LRANGE`, `EXEC`).
    async fn load_journal(&self) -> Result<Option<Journal>, StorageError> {
        const OP: &str = "load_journal";
        match self.read(OP).await? {
            Some(stored) => self.journal_of(OP, stored).map(Some),
            None => Ok(None),
        }
    }

    /// One `EVALSHA` of the append script: checks the epoch and `RPUSH`es the record, atomically; the
    /// longer list is the slot's new version. A call that timed out or lost its connection is not repeated
    /// (the record might be pushed twice); its error says that its outcome is unknown.
    async fn append(&self, epoch: Epoch, record: Bytes) -> Result<u64, StorageError> {
        self.append_under(epoch, record, None).await
    }

    /// Checks that `snapshot` names `position` (else [`ErrorKind::InvalidInput`], nothing sent), then one
    /// `EVALSHA` of the compaction script: checks the epoch and that `position.next` lies within the
    /// journal, sets the snapshot and the version value, and `LTRIM`s exactly the records before
    /// `position.next`, atomically.
    async fn compact(
        &self,
        snapshot: Bytes,
        position: JournalPosition,
    ) -> Result<(), StorageError> {
        self.compact_under(snapshot, position, None).await
    }
}

impl RedisStorage {
    /// The append, plain or (with `fence`) under a lease.
    pub(crate) async fn append_under(
        &self,
        epoch: Epoch,
        record: Bytes,
        fence: Option<FencingToken>,
    ) -> Result<u64, StorageError> {
        const OP: &str = "append";
        let request = commands::append(
            self.keys(),
            epoch.as_bytes(),
            &record,
            self.ttl_millis(),
            fence,
        );
        let reply = self.send_script(OP, &request, fence).await?;
        match reply::appended(reply).map_err(|err| self.fail(OP, err))? {
            Ok(index) => Ok(index),
            Err(why) => Err(self.refused(OP, why, JournalPosition { epoch, next: 0 })),
        }
    }

    /// The compaction, plain or (with `fence`) under a lease.
    pub(crate) async fn compact_under(
        &self,
        snapshot: Bytes,
        position: JournalPosition,
        fence: Option<FencingToken>,
    ) -> Result<(), StorageError> {
        const OP: &str = "compact";
        if let Some(reason) = position.mismatch(&snapshot) {
            return Err(StorageError::new(
                ErrorKind::InvalidInput,
                BACKEND,
                format!("cannot {}: {reason}", self.action(OP)),
            ));
        }
        let version = version_value(&next_token(), Some(position));
        let request = commands::compact(
            self.keys(),
            &snapshot,
            &version,
            position,
            self.ttl_millis(),
            fence,
        );
        let reply = self.send_script(OP, &request, fence).await?;
        match reply::compacted(reply).map_err(|err| self.fail(OP, err))? {
            Ok(()) => Ok(()),
            Err(why) => Err(self.refused(OP, why, position)),
        }
    }
}
