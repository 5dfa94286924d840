//! The values the cases write.

use bytes::Bytes;

/// `len` random bytes.
pub(crate) fn random_bytes(len: usize) -> Bytes {
    let mut data = vec![0; len];
    fastrand::fill(&mut data);
    Bytes::from(data)
}

/// `len` (at least 8) bytes: `tag` as 8 big-endian bytes, then random bytes. Tags let a case tell which of
/// many written values a load returned.
pub(crate) fn tagged(tag: u64, len: usize) -> Bytes {
    let mut data = vec![0; len.max(8)];
    data[..8].copy_from_slice(&tag.to_be_bytes());
    fastrand::fill(&mut data[8..]);
    Bytes::from(data)
}

/// The tag of a value built by [`tagged`], if it is long enough to have one.
pub(crate) fn tag_of(data: &[u8]) -> Option<u64> {
    let head: [u8; 8] = data.get(..8)?.try_into().ok()?;
    Some(u64::from_be_bytes(head))
}

/// A counter value: 8 big-endian bytes.
pub(crate) fn counter(value: u64) -> Bytes {
    Bytes::copy_from_slice(&value.to_be_bytes())
}

/// The number in a counter value, or `None` if it is not exactly 8 bytes.
pub(crate) fn counter_value(data: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(data.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_counters_round_trip() {
        let value = tagged(42, 100);
        assert_eq!(value.len(), 100);
        assert_eq!(tag_of(&value), Some(42));
        assert_eq!(tag_of(&value[..7]), None);
        assert_eq!(counter_value(&counter(200)), Some(200));
        assert_eq!(counter_value(&[0; 7]), None);
    }

    #[test]
    fn random_values_differ() {
        let (a, b) = (random_bytes(64), random_bytes(64));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
