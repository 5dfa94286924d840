//! Incremental persistence: a slot holds a **snapshot** (an encoded [`Session`](crate::Session)) and a **journal** of
//! records after it, each an encoded [`Patch`](crate::Patch), so a small change costs one small durable append instead of
//! rewriting the whole session. `docs/FORMAT.md` ("Journal") specifies the bytes.
//!
//! - Records belong to an [`Epoch`]: a lineage that starts whenever a whole snapshot that names a new epoch
//!   is stored, and that a compaction continues. A storage refuses to append a record of another epoch, so a
//!   record written against an older session is never applied on top of a newer one.
//! - Records are numbered by their position in the epoch: the first record is index 0. A snapshot written
//!   by a compaction says, in its [`JournalPosition`], how many records of its epoch it already includes; a
//!   reader skips those ([`Journal::replay`]).
//! - [`JournalStorage`] is the optional storage extension: append a record, load the snapshot with the
//!   records after it, compact.

mod record;
mod replay;
mod storage;

use std::fmt;

pub use self::record::Record;
pub use self::replay::Replayed;
pub use self::storage::{Journal, JournalStorage};

/// The identity of a journal lineage: 16 random bytes, chosen when a lineage starts.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Epoch([u8; 16]);

impl Epoch {
    /// A new, random epoch.
    pub fn random() -> Epoch {
        let mut bytes = [0; 16];
        bytes[..8].copy_from_slice(&fastrand::u64(..).to_le_bytes());
        bytes[8..].copy_from_slice(&fastrand::u64(..).to_le_bytes());
        Epoch(bytes)
    }

    /// The epoch with these bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Epoch {
        Epoch(bytes)
    }

    /// The epoch's bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Debug for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Epoch({})", hex::encode(self.0))
    }
}

/// Where a snapshot stands in its journal: it includes every record of `epoch` with an index below `next`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JournalPosition {
    /// The lineage.
    pub epoch: Epoch,
    /// The index of the first record the snapshot does not include.
    pub next: u64,
}

impl JournalPosition {
    /// Why `snapshot` cannot be compacted at this position, or `None` if it can: a compaction's snapshot
    /// must be a tgsession snapshot naming exactly this position. Every
    /// [`JournalStorage::compact`] checks this first and refuses with
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput), giving this reason.
    pub fn mismatch(&self, snapshot: &[u8]) -> Option<String> {
        match crate::Session::snapshot_position(snapshot) {
            Ok(Some(named)) if named == *self => None,
            Ok(named) => Some(format!(
                "the snapshot names the position {named:?}, not the position {self:?} it is compacted at"
            )),
            Err(err) => Some(format!("the snapshot does not decode ({err})")),
        }
    }

    /// The start of a new lineage: a random epoch, no record included yet.
    pub fn start() -> JournalPosition {
        JournalPosition {
            epoch: Epoch::random(),
            next: 0,
        }
    }
}
