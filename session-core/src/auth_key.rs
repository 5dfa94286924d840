//! MTProto authorization keys, kept secret.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha1::{Digest, Sha1};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// A 2048-bit MTProto authorization key.
///
/// Whoever has these bytes is logged in as the account, so the type guards them:
/// - the bytes live on the heap in one place and are zeroized when the key is dropped;
/// - `Debug` prints only the [key id](Self::id), never the bytes; there is no `Display`;
/// - equality compares the bytes in constant time.
///
/// With serde it serializes as 512 lowercase hex digits, for explicit exports only.
///
/// ```
/// use session_core::AuthKey;
///
/// let key = AuthKey::new(std::array::from_fn(|i| i as u8));
/// assert_eq!(key.id().to_string(), "32d1586ea457dfc8");
/// assert_eq!(format!("{key:?}"), "AuthKey(id: 32d1586ea457dfc8)");
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AuthKey(Box<[u8; AuthKey::LEN]>);

impl AuthKey {
    /// The length of a key in bytes.
    pub const LEN: usize = 256;

    /// Wraps the key bytes.
    pub fn new(bytes: [u8; AuthKey::LEN]) -> AuthKey {
        let mut key = AuthKey(Box::new([0; AuthKey::LEN]));
        key.0.copy_from_slice(&bytes);
        let mut bytes = bytes;
        bytes.zeroize();
        key
    }

    /// Copies the key from a slice; `None` unless it is exactly 256 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<AuthKey> {
        if bytes.len() != AuthKey::LEN {
            return None;
        }
        let mut key = AuthKey(Box::new([0; AuthKey::LEN]));
        key.0.copy_from_slice(bytes);
        Some(key)
    }

    /// The key bytes. Handle with care: never log them.
    pub fn as_bytes(&self) -> &[u8; AuthKey::LEN] {
        &self.0
    }

    /// The key id: bytes 12..20 of the key's SHA-1, as MTProto defines it.
    pub fn id(&self) -> AuthKeyId {
        let digest = Sha1::digest(&self.0[..]);
        let mut id = [0; 8];
        id.copy_from_slice(&digest[12..20]);
        AuthKeyId(id)
    }
}

impl PartialEq for AuthKey {
    fn eq(&self, other: &AuthKey) -> bool {
        // Constant time: the comparison does not stop at the first differing byte.
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl Eq for AuthKey {}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthKey(id: {})", self.id())
    }
}

impl Serialize for AuthKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = Zeroizing::new(hex::encode(&self.0[..]));
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for AuthKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AuthKey, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        let mut key = AuthKey(Box::new([0; AuthKey::LEN]));
        hex::decode_to_slice(text.as_bytes(), &mut key.0[..]).map_err(|_| {
            serde::de::Error::custom("an auth key must be 512 hexadecimal digits (256 bytes)")
        })?;
        Ok(key)
    }
}

/// The 64-bit id of an [`AuthKey`]: bytes 12..20 of its SHA-1. Safe to show; it identifies the key without
/// revealing it. Displays as 16 lowercase hex digits of those bytes in order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuthKeyId(pub [u8; 8]);

impl AuthKeyId {
    /// The id as MTProto puts it on the wire: the 8 bytes read as a little-endian integer.
    pub fn to_u64_le(self) -> u64 {
        u64::from_le_bytes(self.0)
    }
}

impl fmt::Display for AuthKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for AuthKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthKeyId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AuthKey {
        AuthKey::new(std::array::from_fn(|i| i as u8))
    }

    #[test]
    fn key_id_matches_the_vectors() {
        assert_eq!(sample().id().to_string(), "32d1586ea457dfc8");
    }

    #[test]
    fn debug_never_shows_bytes() {
        let key = AuthKey::new([0xAB; 256]);
        let shown = format!("{key:?} {key:#?}");
        assert!(!shown.to_lowercase().contains("abab"), "{shown}");
        assert!(!shown.contains("171"), "{shown}");
    }

    #[test]
    fn from_slice_checks_length() {
        assert!(AuthKey::from_slice(&[0; 255]).is_none());
        assert!(AuthKey::from_slice(&[0; 257]).is_none());
        assert_eq!(
            AuthKey::from_slice(&sample().as_bytes()[..]),
            Some(sample())
        );
    }

    #[test]
    fn equality_compares_all_bytes() {
        let mut other = *sample().as_bytes();
        other[255] ^= 1;
        assert_ne!(sample(), AuthKey::new(other));
    }
}
