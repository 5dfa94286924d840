//! Merging several DC entries that describe one endpoint into one [`DcEntry`].
//!
//! Formats disagree on what one "DC entry" is: layer writes one record per address (so DC 2 appears once for
//! IPv4 and once for IPv6), grammers keeps one row per DC id, a [`Session`](session_core::Session) may hold
//! several entries per id. Merging keeps, per field, the first value that is set, and counts the later set
//! values that differ from it, so the caller can report them as dropped.

use session_core::DcEntry;

/// Merges `entries` into one entry per group, where `same(kept, next)` says whether `next` belongs to the
/// group of the already-kept entry `kept`. Groups keep the order of their first entry and that entry's id and
/// flags; addresses, keys, salts and clock offsets come from the first entry of the group that has them set
/// (a salt or offset of 0 is "not set").
///
/// Returns the merged entries and how many set values of later entries differed from the kept ones (and so
/// are lost).
pub(super) fn merge(
    entries: impl IntoIterator<Item = DcEntry>,
    same: impl Fn(&DcEntry, &DcEntry) -> bool,
) -> (Vec<DcEntry>, usize) {
    let mut merged: Vec<DcEntry> = Vec::new();
    let mut conflicts = 0;
    for entry in entries {
        match merged.iter_mut().find(|kept| same(kept, &entry)) {
            Some(kept) => conflicts += fold(kept, entry),
            None => merged.push(entry),
        }
    }
    (merged, conflicts)
}

/// Fills `kept`'s unset fields from `next`; returns how many of `next`'s set fields differ from `kept`'s.
fn fold(kept: &mut DcEntry, next: DcEntry) -> usize {
    fill(&mut kept.ipv4, next.ipv4)
        + fill(&mut kept.ipv6, next.ipv6)
        + fill(&mut kept.auth_key, next.auth_key)
        + fill(&mut kept.temp_auth_key, next.temp_auth_key)
        + fill_number(&mut kept.server_salt, next.server_salt)
        + fill_number(&mut kept.time_offset, next.time_offset)
}

/// Sets `slot` to `value` when `slot` is empty; 1 when both are set and differ (the value is lost), else 0.
fn fill<T: PartialEq>(slot: &mut Option<T>, value: Option<T>) -> usize {
    match (slot.as_ref(), value) {
        (None, value) => {
            *slot = value;
            0
        }
        (Some(kept), Some(value)) if *kept != value => 1,
        _ => 0,
    }
}

/// [`fill`] for a number whose "unset" value is 0.
fn fill_number<T: PartialEq + Default>(slot: &mut T, value: T) -> usize {
    let unset = T::default();
    if *slot == unset {
        *slot = value;
        0
    } else {
        usize::from(value != unset && value != *slot)
    }
}

#[cfg(test)]
mod tests {
    use session_core::AuthKey;

    use super::*;

    #[test]
    fn first_set_values_win_and_differences_are_counted() {
        let mut v4 = DcEntry::new(2);
        v4.ipv4 = Some("149.154.167.51:443".parse().unwrap());
        v4.server_salt = 7;
        let mut v6 = DcEntry::new(2);
        v6.ipv6 = Some("[2001:67c:4e8:f002::a]:443".parse().unwrap());
        v6.auth_key = Some(AuthKey::new([1; 256]));
        v6.time_offset = -3;
        let mut other_v4 = DcEntry::new(2);
        other_v4.ipv4 = Some("1.2.3.4:443".parse().unwrap());
        other_v4.server_salt = 7;
        let dc4 = DcEntry::new(4);

        let (merged, conflicts) = merge([v4.clone(), dc4.clone(), v6.clone(), other_v4], |a, b| {
            a.id == b.id
        });
        assert_eq!(conflicts, 1, "only the second IPv4 address differs");
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[1], dc4);
        let dc2 = &merged[0];
        assert_eq!(dc2.ipv4, v4.ipv4);
        assert_eq!(dc2.ipv6, v6.ipv6);
        assert_eq!(dc2.auth_key, v6.auth_key);
        assert_eq!((dc2.server_salt, dc2.time_offset), (7, -3));
    }
}
