//! Where a slot's journal lives: beside the slot's key, in the same tree, under keys that start with the
//! slot's key followed by a byte no slot name contains.
//!
//! ```text
//! key                        the snapshot: the stored session's bytes, unchanged
//! key ++ FF                  the journal's state (see `meta`), only while the snapshot names a journal
//! key ++ FF ++ index (u64 BE) the record at `index`, for every index from the state's base to its end
//! key ++ FE                  the slot's lease record (see `lease`), once a lease was taken; kept by deletes
//! ```
//!
//! Slot names are ASCII, so `FF` and `FE` never occur in one: the journal keys of one slot are never the key, or a
//! journal key, of another slot under the same prefix. Big-endian indices sort records in their order.

/// The byte between a slot's key and the rest of its journal keys.
pub(crate) const SEPARATOR: u8 = 0xFF;

/// The key of the journal's state of the slot stored under `key`.
pub(crate) fn meta_key(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 1);
    out.extend_from_slice(key);
    out.push(SEPARATOR);
    out
}

/// The byte between a slot's key and its lease record's key.
pub(crate) const LEASE_SEPARATOR: u8 = 0xFE;

/// The key of the lease record of the slot stored under `key`.
pub(crate) fn lease_key(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 1);
    out.extend_from_slice(key);
    out.push(LEASE_SEPARATOR);
    out
}

/// The key of the record at `index` of the slot stored under `key`.
pub(crate) fn record_key(key: &[u8], index: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 9);
    out.extend_from_slice(key);
    out.push(SEPARATOR);
    out.extend_from_slice(&index.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_keys_follow_the_slot_key() {
        assert_eq!(meta_key(b"tgsession:main"), b"tgsession:main\xff");
        assert_eq!(
            record_key(b"tgsession:main", 0x0102),
            b"tgsession:main\xff\0\0\0\0\0\0\x01\x02"
        );
    }

    #[test]
    fn records_sort_by_index_after_the_state() {
        let key = b"k";
        let mut keys = vec![
            record_key(key, 256),
            record_key(key, 1),
            meta_key(key),
            record_key(key, 0),
        ];
        keys.sort();
        assert_eq!(
            keys,
            [
                meta_key(key),
                record_key(key, 0),
                record_key(key, 1),
                record_key(key, 256)
            ]
        );
    }
}
