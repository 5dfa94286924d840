//! A slot's stored state (its snapshot, the journal's state and the records, see
//! [`layout`](crate::layout)) read and changed inside one sled transaction ([`txn`](crate::txn)), so that
//! the three always change together and a reader sees them together.
//!
//! Invariant, kept by every write here: the journal's state exists exactly while the snapshot names a
//! journal position, and the records stored are exactly those from its `base` to its `end`. So a write
//! that replaces the journal knows every record key to remove without scanning (transactions cannot).
//! A snapshot that names a position but has no state (written by a build without journals) is read as a
//! journal without records.

use std::fmt;

use session_core::{Epoch, ErrorKind, Expect, JournalPosition, Session, StorageError, Version};
use sled::transaction::TransactionalTree;
use sled::transaction::{ConflictableTransactionError, ConflictableTransactionResult};
use sled::IVec;

use crate::error::BACKEND;
use crate::layout::{meta_key, record_key};
use crate::meta::{Meta, MetaError};

/// The result of a transaction body: a value, a [`Refusal`] (nothing written), or a sled error.
pub(crate) type TxResult<T> = ConflictableTransactionResult<T, Refusal>;

/// Why a transaction wrote nothing.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The slot holds nothing, so it has no journal.
    Absent,
    /// The snapshot names no journal position.
    NoJournal,
    /// The journal is of another epoch than the one the call names.
    OtherEpoch {
        /// The journal's epoch.
        journal: Epoch,
        /// The call's.
        given: Epoch,
    },
    /// A compaction's position is before the snapshot's or past the last record.
    OutOfRange {
        /// The position compacted at.
        next: u64,
        /// The snapshot's position (the first record held).
        base: u64,
        /// The index after the last record.
        end: u64,
    },
    /// A conditional write found another version than the expected one.
    Changed {
        /// What the call expected.
        expected: Expect,
        /// What the slot held (`None`: nothing).
        found: Option<Version>,
    },
    /// The journal's state cannot be read.
    Unreadable(MetaError),
    /// A record the journal's state names is not stored.
    MissingRecord(u64),
    /// The call's own input is unusable (said why, without its bytes).
    Invalid(String),
    /// The slot's lease refused the call: another holder has it ([`ErrorKind::Held`]), or a write or
    /// renewal was made under a lease that is no longer current ([`ErrorKind::Fenced`]).
    Lease(StorageError),
}

impl Refusal {
    /// The error of the call `action` (a phrase such as `append to slot "main"`) that this refused.
    pub(crate) fn into_error(self, action: &str) -> StorageError {
        let conflict = |why: String| {
            StorageError::new(
                ErrorKind::Conflict,
                BACKEND,
                format!("cannot {action}: {why}; nothing was written"),
            )
        };
        match self {
            Refusal::Absent => conflict("the slot holds no session, so it has no journal".into()),
            Refusal::NoJournal => conflict(
                "the stored session names no journal position (it was stored whole without one), so it \
                 has no journal"
                    .into(),
            ),
            Refusal::OtherEpoch { journal, given } => conflict(format!(
                "the slot's journal is of {journal:?}, not {given:?}: the session was replaced"
            )),
            Refusal::OutOfRange { next, base, end } => conflict(format!(
                "the position's record {next} is not between the current snapshot's position {base} and the \
                 journal's end {end}"
            )),
            Refusal::Changed { expected, found } => conflict(format!(
                "the slot changed: expected {expected:?}, found {found:?}"
            )),
            Refusal::Lease(err) => err,
            Refusal::Invalid(why) => StorageError::new(
                ErrorKind::InvalidInput,
                BACKEND,
                format!("cannot {action}: {why}; nothing was written"),
            ),
            Refusal::Unreadable(MetaError::Newer(format)) => StorageError::new(
                ErrorKind::Unsupported,
                BACKEND,
                format!(
                    "cannot {action}: the slot's journal state has format {format}, written by a newer \
                     version of session-sled"
                ),
            ),
            Refusal::Unreadable(MetaError::Damaged) => StorageError::new(
                ErrorKind::Corrupt,
                BACKEND,
                format!(
                    "cannot {action}: the slot's journal state (under the slot's key followed by the byte \
                     FF) is damaged"
                ),
            ),
            Refusal::MissingRecord(index) => StorageError::new(
                ErrorKind::Corrupt,
                BACKEND,
                format!(
                    "cannot {action}: record {index}, which the slot's journal state says it holds, is missing"
                ),
            ),
        }
    }
}

/// What a slot holds, as one transaction read it.
pub(crate) struct Stored {
    /// The snapshot: the bytes last stored or compacted to.
    pub(crate) snapshot: IVec,
    /// The journal's state, if the slot has one.
    pub(crate) meta: Option<Meta>,
    /// The records of [`meta`](Self::meta), in order; empty without one.
    pub(crate) records: Vec<IVec>,
}

impl Stored {
    /// The slot's version: the journal's, or the content version of the snapshot when it has none.
    pub(crate) fn version(&self) -> Version {
        match &self.meta {
            Some(meta) => meta.version.clone(),
            None => Version::of_content(&self.snapshot),
        }
    }
}

impl fmt::Debug for Stored {
    /// Sizes only: the snapshot and the records hold auth keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stored")
            .field("snapshot_len", &self.snapshot.len())
            .field("meta", &self.meta)
            .field("records", &self.records.len())
            .finish()
    }
}

/// The journal position the bytes `data` name, if they are a snapshot that names one.
pub(crate) fn position_of(data: &[u8]) -> Option<JournalPosition> {
    Session::snapshot_position(data).ok().flatten()
}

/// A refusal, as a transaction body returns it.
pub(crate) fn refuse<T>(refusal: Refusal) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(refusal))
}

/// The journal's state stored for the slot at `key`, if any, as stored: readable or not.
fn stored_meta(tx: &TransactionalTree, key: &[u8]) -> TxResult<Option<Result<Meta, MetaError>>> {
    Ok(tx.get(meta_key(key))?.map(|bytes| Meta::decode(&bytes)))
}

/// The journal's state stored for the slot at `key`, if any; refuses if it cannot be read.
fn read_meta(tx: &TransactionalTree, key: &[u8]) -> TxResult<Option<Meta>> {
    match stored_meta(tx, key)? {
        None => Ok(None),
        Some(Ok(meta)) => Ok(Some(meta)),
        Some(Err(err)) => refuse(Refusal::Unreadable(err)),
    }
}

/// What the slot at `key` holds: the snapshot, the journal's state and every record; `None` if absent.
pub(crate) fn read(tx: &TransactionalTree, key: &[u8]) -> TxResult<Option<Stored>> {
    let Some(snapshot) = tx.get(key)? else {
        return Ok(None);
    };
    let meta = read_meta(tx, key)?;
    let mut records = Vec::new();
    if let Some(meta) = &meta {
        for index in meta.records() {
            match tx.get(record_key(key, index))? {
                Some(record) => records.push(record),
                None => return refuse(Refusal::MissingRecord(index)),
            }
        }
    }
    Ok(Some(Stored {
        snapshot,
        meta,
        records,
    }))
}

/// The journal of the slot at `key`, which must hold a snapshot naming one: its stored state, or for a
/// snapshot with a position but no state, an empty journal at that position.
fn journal(tx: &TransactionalTree, key: &[u8]) -> TxResult<Meta> {
    let Some(snapshot) = tx.get(key)? else {
        return refuse(Refusal::Absent);
    };
    if let Some(meta) = read_meta(tx, key)? {
        return Ok(meta);
    }
    match position_of(&snapshot) {
        Some(position) => Ok(Meta::start(position, Version::of_content(&snapshot))),
        None => refuse(Refusal::NoJournal),
    }
}

/// Removes the records with indices in `indices` of the slot at `key`.
fn remove_records(
    tx: &TransactionalTree,
    key: &[u8],
    indices: std::ops::Range<u64>,
) -> TxResult<()> {
    for index in indices {
        tx.remove(record_key(key, index))?;
    }
    Ok(())
}

/// Replaces what the slot at `key` holds with `data` (`None`: removes it), whose journal state is `meta`
/// (`Some` exactly when `data` names a position), dropping every record of the old journal. With
/// `expect`, refuses unless the slot's version matches it.
///
/// A journal state that cannot be read (damaged, or of a newer format) does not stop a plain store or
/// delete, which replace it: only the records it names, unknown here, stay behind, unreachable (a record
/// key is read only between a state's base and end, and every append writes its key before it moves the
/// end past it). A conditional write refuses it, as it cannot tell the slot's version.
pub(crate) fn replace(
    tx: &TransactionalTree,
    key: &[u8],
    data: Option<&[u8]>,
    meta: Option<&Meta>,
    expect: Option<&Expect>,
) -> TxResult<()> {
    let current = tx.get(key)?;
    let stored = stored_meta(tx, key)?;
    let had_meta = stored.is_some();
    let old = match stored {
        Some(Err(err)) if expect.is_some() => return refuse(Refusal::Unreadable(err)),
        Some(Err(_)) | None => None,
        Some(Ok(old)) => Some(old),
    };
    if let Some(expected) = expect {
        let found = current.as_ref().map(|snapshot| match &old {
            Some(old) => old.version.clone(),
            None => Version::of_content(snapshot),
        });
        if !expected.matches(found.as_ref()) {
            return refuse(Refusal::Changed {
                expected: expected.clone(),
                found,
            });
        }
    }
    if let Some(old) = &old {
        remove_records(tx, key, old.records())?;
    }
    match data {
        Some(data) => {
            tx.insert(key, data)?;
        }
        None if current.is_some() => {
            tx.remove(key)?;
        }
        None => {}
    }
    match meta {
        Some(meta) => {
            tx.insert(meta_key(key), meta.encode())?;
        }
        None if had_meta => {
            tx.remove(meta_key(key))?;
        }
        None => {}
    }
    Ok(())
}

/// Appends `record` to the journal of the slot at `key`, which must be of `epoch`; returns its index.
pub(crate) fn append(
    tx: &TransactionalTree,
    key: &[u8],
    epoch: Epoch,
    record: &[u8],
) -> TxResult<u64> {
    let meta = journal(tx, key)?;
    if meta.epoch != epoch {
        return refuse(Refusal::OtherEpoch {
            journal: meta.epoch,
            given: epoch,
        });
    }
    let index = meta.end;
    tx.insert(record_key(key, index), record)?;
    tx.insert(meta_key(key), meta.appended(record).encode())?;
    Ok(index)
}

/// Replaces the snapshot of the slot at `key` with `snapshot` (whose content version is `version`),
/// which names `position`, and drops the records before `position.next`, keeping the later ones.
pub(crate) fn compact(
    tx: &TransactionalTree,
    key: &[u8],
    snapshot: &[u8],
    position: JournalPosition,
    version: &Version,
) -> TxResult<()> {
    let meta = journal(tx, key)?;
    if meta.epoch != position.epoch {
        return refuse(Refusal::OtherEpoch {
            journal: meta.epoch,
            given: position.epoch,
        });
    }
    if position.next < meta.base || position.next > meta.end {
        return refuse(Refusal::OutOfRange {
            next: position.next,
            base: meta.base,
            end: meta.end,
        });
    }
    remove_records(tx, key, meta.base..position.next)?;
    tx.insert(key, snapshot)?;
    tx.insert(
        meta_key(key),
        meta.compacted(position.next, version).encode(),
    )?;
    Ok(())
}
