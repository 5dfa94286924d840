//! [`Journal::replay`]: the session a snapshot and its records make.

use bytes::Bytes;

use super::{Journal, JournalPosition, Record};
use crate::codec::CodecError;
use crate::session::Session;

/// The session a [`Journal`] holds, and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replayed {
    /// The snapshot with every applicable record applied.
    pub session: Session,
    /// The epoch of the journal and the index after the last record it holds: what a compaction of this
    /// session writes, and where the next append lands. `None` when the slot has no journal yet (its
    /// snapshot names no epoch): a client starts one by storing a snapshot with a new position.
    pub position: Option<JournalPosition>,
    /// The position the snapshot itself names: the records from its `next` up to `position.next` are the
    /// ones applied on top of it.
    pub snapshot_position: Option<JournalPosition>,
    /// The index of the first record this version could not apply ([`Record::Unknown`]), if any: a
    /// compaction must not go past it, so that the newer version that wrote it still finds it.
    pub first_unknown: Option<u64>,
    /// How many records were applied.
    pub applied: usize,
}

impl Journal {
    /// Decodes the snapshot and applies, in order, the records it does not include yet: those of the
    /// snapshot's epoch from the index its position names on. Records of another epoch are never applied
    /// (a storage does not accept them; a damaged journal might still hold some).
    ///
    /// A damaged snapshot or record is an error: a storage drops a torn last record itself, so damage in
    /// what it returns is corruption, and applying the records after it would skip a change.
    pub fn replay(&self) -> Result<Replayed, CodecError> {
        let (mut session, position) = Session::decode_snapshot(&self.snapshot)?;
        let Some(position) = position else {
            if !self.records.is_empty() {
                return Err(CodecError::invalid(
                    "journal",
                    "records follow a snapshot that names no journal epoch",
                ));
            }
            return Ok(Replayed {
                session,
                position: None,
                snapshot_position: None,
                first_unknown: None,
                applied: 0,
            });
        };
        if self.base > position.next {
            return Err(CodecError::invalid(
                "journal",
                format!(
                    "the journal starts at record {}, after record {} that the snapshot does not include",
                    self.base, position.next
                ),
            ));
        }
        let mut first_unknown = None;
        let mut applied = 0;
        let mut next = position.next;
        for (offset, bytes) in self.records.iter().enumerate() {
            let index = self.base + offset as u64;
            let (epoch, record) = Record::decode(bytes)?;
            if epoch != position.epoch || index < position.next {
                continue;
            }
            match record {
                Record::Patch(patch) => {
                    session.apply(&patch);
                    applied += 1;
                }
                Record::Unknown { .. } => {
                    first_unknown.get_or_insert(index);
                }
            }
            next = index + 1;
        }
        Ok(Replayed {
            session,
            position: Some(JournalPosition {
                epoch: position.epoch,
                next,
            }),
            snapshot_position: Some(position),
            first_unknown,
            applied,
        })
    }

    /// The value a plain `load` of a journaled slot returns: the snapshot, byte for byte, when no record
    /// after its position applies; else the session the records make ([`replay`](Self::replay)), encoded
    /// with the position after the last of them. What every [`JournalStorage`](super::JournalStorage)
    /// returns from `load`, so that plain readers see every change.
    pub fn materialize(&self) -> Result<Bytes, CodecError> {
        if self.records.is_empty() {
            return Ok(self.snapshot.clone());
        }
        let replayed = self.replay()?;
        let bytes = match replayed.position {
            Some(position) if replayed.position != replayed.snapshot_position => {
                replayed.session.encode_snapshot(&position)?
            }
            _ => return Ok(self.snapshot.clone()),
        };
        Ok(Bytes::from(bytes))
    }
}
