//! The journal's state of a slot ([`Meta`]): its epoch, the indices of the records it holds, and the
//! version of the slot, kept under `key ++ FF` (see [`layout`](crate::layout)).
//!
//! ```text
//! format u8 = 1, epoch bytes[16], base u64 BE, end u64 BE, version (the rest: 32 or 33 bytes)
//! ```
//!
//! `base` is both the index of the first record kept and the position the snapshot names (a store starts
//! the journal there, a compaction moves both together); `end` is the index the next append gets.
//!
//! The version is what [`load_versioned`](session_core::VersionedStorage::load_versioned) returns: right
//! after a store, the content version of the stored snapshot ([`Version::of_content`], 32 bytes, as for
//! a slot without a journal); after each append or compaction, a tag byte and the SHA-256 of the previous
//! version and of what the step wrote (33 bytes). So every append and compaction changes the version, two
//! equal versions name the same snapshot followed by the same records, and a chained version never equals
//! the content version of a value.

use std::ops::Range;

use session_core::{Epoch, JournalPosition, Version};

/// The format byte this build writes and reads.
const FORMAT: u8 = 1;
/// The length of everything before the version.
const FIXED_LEN: usize = 1 + 16 + 8 + 8;
/// The longest version a state holds (a chained one).
const MAX_VERSION_LEN: usize = 33;
/// The first byte of a chained version.
const CHAINED: u8 = b'j';
/// What a chain step hashes after the previous version: which step it is.
const STEP_APPEND: u8 = b'a';
const STEP_COMPACT: u8 = b'c';

/// The journal's state of a slot whose snapshot names a journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    /// The journal's epoch: the one the snapshot names.
    pub(crate) epoch: Epoch,
    /// The index of the first record held, which is also the position the snapshot names.
    pub(crate) base: u64,
    /// The index the next record gets.
    pub(crate) end: u64,
    /// The slot's version.
    pub(crate) version: Version,
}

/// Why a stored state cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MetaError {
    /// Written by a newer build of this crate.
    Newer(u8),
    /// Too short, too long, or with its end before its base.
    Damaged,
}

impl Meta {
    /// The state of a journal that a store of a snapshot naming `position` starts: no record yet, the
    /// version of the stored bytes.
    pub(crate) fn start(position: JournalPosition, version: Version) -> Meta {
        Meta {
            epoch: position.epoch,
            base: position.next,
            end: position.next,
            version,
        }
    }

    /// The indices of the records held.
    pub(crate) fn records(&self) -> Range<u64> {
        self.base..self.end
    }

    /// The state after the record `record` was appended at [`end`](Self::end).
    pub(crate) fn appended(&self, record: &[u8]) -> Meta {
        Meta {
            end: self.end + 1,
            version: chain(&self.version, STEP_APPEND, self.end, record),
            ..self.clone()
        }
    }

    /// The state after a compaction to a snapshot whose content version is `snapshot` and that includes
    /// the records before `next`.
    pub(crate) fn compacted(&self, next: u64, snapshot: &Version) -> Meta {
        Meta {
            base: next,
            version: chain(&self.version, STEP_COMPACT, next, snapshot.as_bytes()),
            ..self.clone()
        }
    }

    /// The stored bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let version = self.version.as_bytes();
        let mut out = Vec::with_capacity(FIXED_LEN + version.len());
        out.push(FORMAT);
        out.extend_from_slice(self.epoch.as_bytes());
        out.extend_from_slice(&self.base.to_be_bytes());
        out.extend_from_slice(&self.end.to_be_bytes());
        out.extend_from_slice(version);
        out
    }

    /// Reads stored bytes.
    pub(crate) fn decode(data: &[u8]) -> Result<Meta, MetaError> {
        match data.first() {
            Some(&FORMAT) => {}
            Some(&newer) if newer > FORMAT => return Err(MetaError::Newer(newer)),
            _ => return Err(MetaError::Damaged),
        }
        let version_len = data.len().saturating_sub(FIXED_LEN);
        if version_len == 0 || version_len > MAX_VERSION_LEN {
            return Err(MetaError::Damaged);
        }
        let mut epoch = [0; 16];
        epoch.copy_from_slice(&data[1..17]);
        let u64_at = |at: usize| {
            let mut bytes = [0; 8];
            bytes.copy_from_slice(&data[at..at + 8]);
            u64::from_be_bytes(bytes)
        };
        let (base, end) = (u64_at(17), u64_at(25));
        if end < base {
            return Err(MetaError::Damaged);
        }
        Ok(Meta {
            epoch: Epoch::from_bytes(epoch),
            base,
            end,
            version: Version::from_bytes(&data[FIXED_LEN..]),
        })
    }
}

/// The version after one step from `previous`: [`CHAINED`], then the SHA-256 of the previous version's
/// length and bytes, the step, its index and its payload.
fn chain(previous: &Version, step: u8, index: u64, payload: &[u8]) -> Version {
    let previous = previous.as_bytes();
    let mut input = Vec::with_capacity(1 + previous.len() + 1 + 8 + payload.len());
    // A version is at most 33 bytes: its length fits a byte.
    input.push(previous.len() as u8);
    input.extend_from_slice(previous);
    input.push(step);
    input.extend_from_slice(&index.to_be_bytes());
    input.extend_from_slice(payload);
    let digest = Version::of_content(&input);
    let mut token = Vec::with_capacity(MAX_VERSION_LEN);
    token.push(CHAINED);
    token.extend_from_slice(digest.as_bytes());
    Version::from_bytes(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Meta {
        Meta::start(
            JournalPosition {
                epoch: Epoch::from_bytes([7; 16]),
                next: 40,
            },
            Version::of_content(b"snapshot"),
        )
    }

    #[test]
    fn round_trips() {
        let fresh = sample();
        assert_eq!(Meta::decode(&fresh.encode()), Ok(fresh.clone()));
        let chained = fresh.appended(b"record").appended(b"other");
        assert_eq!(chained.records(), 40..42);
        assert_eq!(Meta::decode(&chained.encode()), Ok(chained));
    }

    #[test]
    fn every_step_changes_the_version() {
        let fresh = sample();
        let one = fresh.appended(b"record");
        let two = one.appended(b"record");
        let compacted = two.compacted(41, &Version::of_content(b"snapshot"));
        let versions = [&fresh, &one, &two, &compacted].map(|meta| meta.version.clone());
        for (i, a) in versions.iter().enumerate() {
            for b in &versions[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(one.version.as_bytes().len(), 33);
        assert_eq!(compacted.records(), 41..42);
        // The same steps from the same state give the same version; another record another one.
        assert_eq!(fresh.appended(b"record"), one);
        assert_ne!(fresh.appended(b"recorD").version, one.version);
    }

    #[test]
    fn damaged_or_newer_states_are_refused() {
        let bytes = sample().encode();
        assert_eq!(Meta::decode(&[]), Err(MetaError::Damaged));
        assert_eq!(Meta::decode(&bytes[..FIXED_LEN]), Err(MetaError::Damaged));
        let mut newer = bytes.clone();
        newer[0] = 2;
        assert_eq!(Meta::decode(&newer), Err(MetaError::Newer(2)));
        let mut backwards = sample();
        backwards.end = 3;
        assert_eq!(Meta::decode(&backwards.encode()), Err(MetaError::Damaged));
        let mut long = bytes;
        long.extend_from_slice(&[0; 34]);
        assert_eq!(Meta::decode(&long), Err(MetaError::Damaged));
    }
}
