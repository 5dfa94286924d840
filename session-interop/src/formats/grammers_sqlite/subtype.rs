//! `peer_info.subtype`: grammers' bits for what kind of peer a row is.

use session_core::{PeerClass, PeerKind};

const USER_SELF: i64 = 1;
const BOT: i64 = 2;
const MEGAGROUP: i64 = 4;
const BROADCAST: i64 = 8;
const GIGAGROUP: i64 = MEGAGROUP | BROADCAST;

/// The kind of a peer of `class` whose `subtype` column holds `subtype`, and whether it is the logged-in
/// user; `None` when the bits make no sense for the class.
pub(super) fn kind(class: PeerClass, subtype: Option<i64>) -> Option<(PeerKind, bool)> {
    match (class, subtype) {
        (PeerClass::User, None) => Some((PeerKind::User, false)),
        (PeerClass::User, Some(bits)) if bits & !(USER_SELF | BOT) == 0 => {
            let kind = if bits & BOT != 0 {
                PeerKind::Bot
            } else {
                PeerKind::User
            };
            Some((kind, bits & USER_SELF != 0))
        }
        (PeerClass::Chat, None | Some(0)) => Some((PeerKind::Chat, false)),
        (PeerClass::Channel, None | Some(0)) => Some((PeerKind::Channel, false)),
        (PeerClass::Channel, Some(MEGAGROUP)) => Some((PeerKind::Megagroup, false)),
        (PeerClass::Channel, Some(BROADCAST)) => Some((PeerKind::Broadcast, false)),
        (PeerClass::Channel, Some(GIGAGROUP)) => Some((PeerKind::Gigagroup, false)),
        _ => None,
    }
}

/// The `subtype` column for a peer of `kind`; `is_self` marks the logged-in user (users only).
pub(super) fn bits(kind: PeerKind, is_self: bool) -> Option<i64> {
    let user_self = if is_self { USER_SELF } else { 0 };
    match kind {
        PeerKind::User => Some(user_self),
        PeerKind::Bot => Some(BOT | user_self),
        PeerKind::Chat | PeerKind::Channel => None,
        PeerKind::Megagroup => Some(MEGAGROUP),
        PeerKind::Broadcast => Some(BROADCAST),
        PeerKind::Gigagroup => Some(GIGAGROUP),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        for peer_kind in PeerKind::ALL {
            let read_back = kind(peer_kind.class(), bits(peer_kind, false));
            assert_eq!(read_back, Some((peer_kind, false)));
        }
        assert_eq!(
            kind(PeerClass::User, bits(PeerKind::Bot, true)),
            Some((PeerKind::Bot, true))
        );
    }

    #[test]
    fn bits_that_do_not_fit_the_class_are_refused() {
        assert_eq!(kind(PeerClass::User, Some(4)), None);
        assert_eq!(kind(PeerClass::Chat, Some(1)), None);
        assert_eq!(kind(PeerClass::Channel, Some(1)), None);
        assert_eq!(kind(PeerClass::Channel, Some(16)), None);
    }
}
