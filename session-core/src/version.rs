//! Opaque versions for conditional writes.

use std::fmt;

use sha2::{Digest, Sha256};

/// An opaque token naming one state of a slot, returned by
/// [`VersionedStorage::load_versioned`](crate::VersionedStorage::load_versioned) and
/// [`VersionedStorage::store_if`](crate::VersionedStorage::store_if).
///
/// Callers only compare versions and hand them back to the storage that produced them. Storage implementors
/// build them from whatever their backend uses (a counter, an ETag, a content hash).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Version(Box<[u8]>);

impl Version {
    /// A version from a backend's own token bytes.
    pub fn from_bytes(token: impl AsRef<[u8]>) -> Version {
        Version(token.as_ref().into())
    }

    /// A version from a backend counter.
    pub fn from_u64(counter: u64) -> Version {
        Version::from_bytes(counter.to_be_bytes())
    }

    /// The SHA-256 of `data`: the version of backends that compare contents (file, sled). Two equal values
    /// have equal versions, so such a version names a content, not a write.
    pub fn of_content(data: &[u8]) -> Version {
        Version::from_bytes(Sha256::digest(data))
    }

    /// The token bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({})", hex::encode(&self.0))
    }
}

/// What [`VersionedStorage::store_if`](crate::VersionedStorage::store_if) expects the slot to hold.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expect {
    /// The slot holds nothing (never stored, or deleted).
    Absent,
    /// The slot holds the value that had this version.
    Version(Version),
}

impl Expect {
    /// Whether a slot whose current version is `current` (`None`: absent) is in the expected state.
    pub fn matches(&self, current: Option<&Version>) -> bool {
        match (self, current) {
            (Expect::Absent, None) => true,
            (Expect::Version(expected), Some(current)) => expected == current,
            _ => false,
        }
    }
}
