//! What layer / ferogram's binary file ([`super::layer`]) and SQLite database ([`super::layer_sqlite`]) share:
//! the DC flag bits, the peers' channel kinds, the merging of one DC's records (one per address) into entries,
//! the check of a min-peer reference, the min contexts they make, and the future auth token.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use session_core::{DcEntry, DcFlags, LogoutToken, MinContext, PeerKind};

use super::dc_merge;
use crate::report::Dropped;

/// The DC flag bits (layer 0.5 `DcFlags`, ferogram 0.6.6 the same).
const IPV6: u8 = 1;
const MEDIA: u8 = 2;
const TCPO: u8 = 4;
const CDN: u8 = 8;
const STATIC: u8 = 16;

/// The flags of a DC record whose address is IPv6 (`ipv6`) or not: what is wrong when the bits are unknown
/// or the IPv6 bit disagrees with the address.
pub(super) fn dc_flags(bits: u8, ipv6: bool) -> Result<DcFlags, String> {
    if bits & !(IPV6 | MEDIA | TCPO | CDN | STATIC) != 0 {
        return Err(format!("unknown DC flag bits {bits:#04x}"));
    }
    if (bits & IPV6 != 0) != ipv6 {
        return Err("the IPv6 flag does not match the address".to_owned());
    }
    Ok(DcFlags {
        media_only: bits & MEDIA != 0,
        tcpo_only: bits & TCPO != 0,
        cdn: bits & CDN != 0,
        is_static: bits & STATIC != 0,
        this_port_only: false,
    })
}

/// The flag bits of a record of `flags` for an IPv6 (`ipv6`) or IPv4 address. `this_port_only` has no bit:
/// the caller reports it.
pub(super) fn dc_flag_bits(flags: DcFlags, ipv6: bool) -> u8 {
    [
        (ipv6, IPV6),
        (flags.media_only, MEDIA),
        (flags.tcpo_only, TCPO),
        (flags.cdn, CDN),
        (flags.is_static, STATIC),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .fold(0, |bits, (_, bit)| bits | bit)
}

/// Merges DC records into entries: records of one DC id and the same flags (other than the IPv6 bit, which
/// the address carries) are one endpoint. Values of later records that conflict with kept ones are reported.
pub(super) fn merge_dcs(records: Vec<DcEntry>, dropped: &mut Vec<Dropped>) -> Vec<DcEntry> {
    let (dcs, conflicts) = dc_merge::merge(records, |a, b| a.id == b.id && a.flags == b.flags);
    if conflicts > 0 {
        dropped.push(Dropped::new(
            format!("{conflicts} values of repeated DC records"),
            "they differ from the values of an earlier record of the same DC",
        ));
    }
    dcs
}

/// The kind of a channel from its `channel_kind` (`None`: not recorded, as before ferogram's version 6):
/// 0 broadcast, 1 megagroup, 2 gigagroup (ferogram's `ChannelKind`); `Some(None)` for an unknown value.
pub(super) fn channel_kind(kind: Option<u8>) -> Option<PeerKind> {
    match kind {
        None => Some(PeerKind::Channel),
        Some(0) => Some(PeerKind::Broadcast),
        Some(1) => Some(PeerKind::Megagroup),
        Some(2) => Some(PeerKind::Gigagroup),
        Some(_) => None,
    }
}

/// The `channel_kind` of a peer of `kind`: `None` for users, basic groups and channels of unknown kind.
pub(super) fn channel_kind_byte(kind: PeerKind) -> Option<u8> {
    match kind {
        PeerKind::Broadcast => Some(0),
        PeerKind::Megagroup => Some(1),
        PeerKind::Gigagroup => Some(2),
        PeerKind::User | PeerKind::Bot | PeerKind::Chat | PeerKind::Channel => None,
    }
}

/// Whether a min-peer reference (a user seen in message `message` of some chat) is plausible: a positive
/// user id and message id. Any chat id: ferogram records a user seen through `inputPeerSelf` (the account's
/// own chat) with chat id 0.
pub(super) fn min_peer_ok(user: i64, message: i32) -> bool {
    user > 0 && message > 0
}

/// The min contexts of checked min-peer references `(user, chat, message)`, by user id: a user listed more
/// than once keeps its first listing (as session-ferogram does); the later listings are reported.
pub(super) fn min_contexts(
    references: impl IntoIterator<Item = (i64, i64, i32)>,
    dropped: &mut Vec<Dropped>,
) -> BTreeMap<i64, MinContext> {
    let mut contexts = BTreeMap::new();
    let mut repeated = 0_usize;
    for (user, chat_id, msg_id) in references {
        match contexts.entry(user) {
            Entry::Vacant(entry) => {
                entry.insert(MinContext { chat_id, msg_id });
            }
            Entry::Occupied(_) => repeated += 1,
        }
    }
    if repeated > 0 {
        dropped.push(Dropped::new(
            format!("{repeated} repeated min-peer references"),
            "a user seen only as a min user keeps the first message context listed for it",
        ));
    }
    contexts
}

/// The logout token of a future auth token's bytes: none when empty; a token longer than a session keeps is
/// reported (by its length only) and left out.
pub(super) fn logout_token(bytes: &[u8], dropped: &mut Vec<Dropped>) -> Option<LogoutToken> {
    if bytes.is_empty() {
        return None;
    }
    let token = LogoutToken::new(bytes.to_vec());
    if token.is_none() {
        dropped.push(Dropped::new(
            format!("future auth token of {} bytes", bytes.len()),
            format!(
                "a session keeps a logout token of at most {} bytes",
                LogoutToken::MAX_LEN
            ),
        ));
    }
    token
}

/// The report of `count` peers whose community flag was set.
pub(super) fn communities_dropped(count: usize, dropped: &mut Vec<Dropped>) {
    if count > 0 {
        dropped.push(Dropped::new(
            format!("community flag of {count} peers"),
            "a session has no place for it",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_kinds_round_trip() {
        for bits in 0..32u8 {
            let ipv6 = bits & IPV6 != 0;
            let flags = dc_flags(bits, ipv6).unwrap();
            assert_eq!(dc_flag_bits(flags, ipv6), bits);
            assert!(dc_flags(bits, !ipv6).is_err());
        }
        assert!(dc_flags(32, false).is_err());
        for kind in PeerKind::ALL {
            if kind.class() == session_core::PeerClass::Channel {
                assert_eq!(channel_kind(channel_kind_byte(kind)), Some(kind));
            }
        }
        assert_eq!(channel_kind(Some(3)), None);
    }

    #[test]
    fn the_first_listing_of_a_min_user_is_kept_and_the_others_reported() {
        let mut dropped = Vec::new();
        let contexts = min_contexts([(7, -5, 1), (3, 9, 2), (7, 8, 3)], &mut dropped);
        assert_eq!(
            contexts.into_iter().collect::<Vec<_>>(),
            [
                (
                    3,
                    MinContext {
                        chat_id: 9,
                        msg_id: 2
                    }
                ),
                (
                    7,
                    MinContext {
                        chat_id: -5,
                        msg_id: 1
                    }
                ),
            ]
        );
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].what, "1 repeated min-peer references");
    }

    #[test]
    fn tokens_empty_are_none_and_too_long_are_reported_by_length() {
        let mut dropped = Vec::new();
        assert_eq!(logout_token(&[], &mut dropped), None);
        assert!(dropped.is_empty());
        let token = logout_token(&[0x5a; 16], &mut dropped).unwrap();
        assert_eq!(token.as_bytes(), &[0x5a; 16]);
        assert!(dropped.is_empty());
        let long = vec![0x5a; LogoutToken::MAX_LEN + 1];
        assert_eq!(logout_token(&long, &mut dropped), None);
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].what, "future auth token of 1025 bytes");
        assert!(!dropped[0].to_string().to_lowercase().contains("5a"));
    }
}
