//! One journal record: an epoch and what it changes.

use super::Epoch;
use crate::codec::{
    read_patch, read_record, write_patch, write_record, CodecError, PatchPayload, KIND_PATCH,
};
use crate::patch::Patch;

/// A decoded journal record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A patch to apply.
    Patch(Box<Patch>),
    /// A record this version cannot apply: a kind it does not know, or a patch with a change it does not
    /// know, written by a newer version. It is never applied and never dropped: a compaction must stop
    /// before it, so that the newer version still finds it.
    Unknown {
        /// The record's kind.
        kind: u16,
    },
}

impl Record {
    /// Encodes `patch` as a record of `epoch`.
    ///
    /// ```
    /// use session_core::{Epoch, Patch, Record};
    ///
    /// let epoch = Epoch::random();
    /// let mut patch = Patch::new();
    /// patch.set_home_dc(Some(2));
    /// let bytes = Record::encode_patch(epoch, &patch)?;
    /// assert_eq!(Record::decode(&bytes)?, (epoch, Record::Patch(Box::new(patch))));
    /// # Ok::<(), session_core::CodecError>(())
    /// ```
    pub fn encode_patch(epoch: Epoch, patch: &Patch) -> Result<Vec<u8>, CodecError> {
        write_record(KIND_PATCH, *epoch.as_bytes(), |w| write_patch(w, patch))
    }

    /// Decodes one whole record (exactly its bytes): its epoch and what it holds. Damaged bytes (a wrong
    /// checksum, a cut record, a malformed patch) are an error; a record of a newer kind or with a newer
    /// change is [`Record::Unknown`].
    pub fn decode(data: &[u8]) -> Result<(Epoch, Record), CodecError> {
        let (raw, len) = read_record(data)?;
        if len != data.len() {
            return Err(CodecError::invalid(
                "record",
                format!("{} unexpected bytes after the checksum", data.len() - len),
            ));
        }
        let epoch = Epoch::from_bytes(raw.epoch);
        let record = match raw.kind {
            KIND_PATCH => match read_patch(raw.payload)? {
                PatchPayload::Known(patch) => Record::Patch(patch),
                PatchPayload::UnknownSection => Record::Unknown { kind: raw.kind },
            },
            kind => Record::Unknown { kind },
        };
        Ok((epoch, record))
    }

    /// The length of the record at the start of `data`, if a whole, undamaged record is there; `None` for
    /// a cut or damaged one (a torn write at the end of an append-only journal).
    pub fn length_at(data: &[u8]) -> Option<usize> {
        read_record(data).ok().map(|(_, len)| len)
    }
}
