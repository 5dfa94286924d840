//! What a slot's version key holds: the version token, followed by the journal head (the epoch and the
//! index of the first record in the journal list) when the stored snapshot starts or continues a journal.
//!
//! ```text
//! token   bytes[16]     new with every write (store, store_if, append, compact)
//! epoch   bytes[16]     only with a journal: the journal's epoch
//! base    1-20 digits   only with a journal: the index of the first record in the list, in decimal ASCII
//! ```
//!
//! The base is decimal so that the scripts can read it with Lua's `tonumber`. `store`, `store_if` and
//! `compact` write the whole value (16 bytes, or 33 to 52 with a head), with the head that the snapshot they
//! store names ([`Session::snapshot_position`]); an append does not write it at all.
//!
//! The slot's [`Version`] is the version key's value, followed by `#` and the number of records in the
//! journal list when it holds any ([`version`]): an append changes the version by making the list longer,
//! which costs the append nothing, and every other write stores a new token (a compaction, which shortens
//! the list, too). A version never repeats, since between two tokens the list only grows.

use session_core::{Epoch, JournalPosition, Session, Version};

use crate::token::TOKEN_LEN;

/// Where the base starts in a version value with a journal head: after the token and the epoch.
const BASE_AT: usize = TOKEN_LEN + 16;

/// The journal position that the snapshot `data` names: `None` when it names none or is not a tgsession
/// snapshot at all (bytes this crate stores like any other, without a journal).
pub(crate) fn position_of(data: &[u8]) -> Option<JournalPosition> {
    Session::snapshot_position(data).ok().flatten()
}

/// The version value of a write: `token`, followed by the head of the journal at `position` if there is one.
pub(crate) fn version_value(token: &[u8; TOKEN_LEN], position: Option<JournalPosition>) -> Vec<u8> {
    let mut value = Vec::with_capacity(BASE_AT + 20);
    value.extend_from_slice(token);
    if let Some(position) = position {
        value.extend_from_slice(position.epoch.as_bytes());
        value.extend_from_slice(position.next.to_string().as_bytes());
    }
    value
}

/// The slot's version: the version key's value `value`, followed by `#` and `records` (in decimal) when the
/// journal list holds any. The conditional write script builds the same bytes to compare.
pub(crate) fn version(value: &[u8], records: usize) -> Version {
    if records == 0 {
        return Version::from_bytes(value);
    }
    Version::from_bytes([value, format!("#{records}").as_bytes()].concat())
}

/// The journal head in the version value `version`: the epoch, and the index of the first record in the list
/// as `next`. `None` for a value without a head (16 bytes: a slot without a journal), or with one that this
/// crate did not write.
pub(crate) fn journal_head(version: &[u8]) -> Option<JournalPosition> {
    let epoch = version.get(TOKEN_LEN..BASE_AT)?;
    Some(JournalPosition {
        epoch: Epoch::from_bytes(epoch.try_into().ok()?),
        next: base_of(&version[BASE_AT..])?,
    })
}

/// A journal base written as decimal digits, as the head holds it and the scripts return it.
pub(crate) fn base_of(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_follows_the_token_only_with_a_journal() {
        let token = [7; TOKEN_LEN];
        let plain = version_value(&token, None);
        assert_eq!(plain, token);
        assert_eq!(journal_head(&plain), None);

        let position = JournalPosition {
            epoch: Epoch::from_bytes([9; 16]),
            next: (1 << 40) + 3,
        };
        let value = version_value(&token, Some(position));
        assert_eq!(value[..TOKEN_LEN], token);
        assert_eq!(value[BASE_AT..], *b"1099511627779");
        assert_eq!(journal_head(&value), Some(position));
        assert_eq!(journal_head(&value[..BASE_AT]), None);

        let largest = JournalPosition {
            next: u64::MAX,
            ..position
        };
        let value = version_value(&token, Some(largest));
        assert_eq!(value.len(), BASE_AT + 20);
        assert_eq!(journal_head(&value), Some(largest));
        for bad in [&b""[..], b"+1", b"-1", b"1 ", b"18446744073709551616"] {
            assert_eq!(base_of(bad), None, "{bad:?}");
        }
        assert_eq!(base_of(b"0"), Some(0));
    }

    #[test]
    fn the_version_counts_the_records() {
        assert_eq!(version(b"token", 0).as_bytes(), b"token");
        assert_eq!(version(b"token", 12).as_bytes(), b"token#12");
    }

    #[test]
    fn only_tgsession_snapshots_with_a_position_start_a_journal() {
        assert_eq!(position_of(b"not a session"), None);
        let session = Session::default();
        assert_eq!(position_of(&session.encode().unwrap()), None);
        let position = JournalPosition::start();
        assert_eq!(
            position_of(&session.encode_snapshot(&position).unwrap()),
            Some(position)
        );
    }
}
