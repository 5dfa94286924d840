//! Telegram's public DC addresses, for formats that keep a DC id but no address (Pyrogram).
//!
//! A client reaches its DC by an address it learned from `help.getConfig` (a list of `dcOption`s) or, before
//! it has any config, from a list hard-coded in the client. Telegram publishes these bootstrap addresses: the
//! per-application page of my.telegram.org shows the production and test address of DC 2, `help.getConfig`
//! returns the rest, and every MTProto client (the official apps, TDLib, Telethon, Pyrogram, ...) carries the
//! same list. The table below is that list for IPv4 on port 443: production DCs 1 to 5 and test DCs 1 to 3.
//! It is the list Pyrogram connects with, so a session read from a Pyrogram file gets the address Pyrogram
//! itself would have used.

use std::net::{Ipv4Addr, SocketAddrV4};

/// The port of every address in the table.
pub(crate) const PORT: u16 = 443;

/// Production DCs 1 to 5, by id (index 0 is DC 1).
const PRODUCTION: [Ipv4Addr; 5] = [
    Ipv4Addr::new(149, 154, 175, 53),
    Ipv4Addr::new(149, 154, 167, 51),
    Ipv4Addr::new(149, 154, 175, 100),
    Ipv4Addr::new(149, 154, 167, 91),
    Ipv4Addr::new(91, 108, 56, 130),
];

/// Test DCs 1 to 3, by id (index 0 is DC 1).
const TEST: [Ipv4Addr; 3] = [
    Ipv4Addr::new(149, 154, 175, 10),
    Ipv4Addr::new(149, 154, 167, 40),
    Ipv4Addr::new(149, 154, 175, 117),
];

/// The public IPv4 address and port of DC `id` on the production servers, or on the test servers when
/// `test_mode`; `None` for an id the table does not have.
pub(crate) fn ipv4(test_mode: bool, id: i32) -> Option<SocketAddrV4> {
    let table: &[Ipv4Addr] = if test_mode { &TEST } else { &PRODUCTION };
    let index = usize::try_from(id).ok()?.checked_sub(1)?;
    table.get(index).map(|&ip| SocketAddrV4::new(ip, PORT))
}

/// The ids the table has, in words, for messages: `production DCs 1 to 5` or `test DCs 1 to 3`.
pub(crate) fn known_ids(test_mode: bool) -> String {
    if test_mode {
        format!("test DCs 1 to {}", TEST.len())
    } else {
        format!("production DCs 1 to {}", PRODUCTION.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_and_test_tables() {
        assert_eq!(ipv4(false, 2), Some("149.154.167.51:443".parse().unwrap()));
        assert_eq!(ipv4(false, 5), Some("91.108.56.130:443".parse().unwrap()));
        assert_eq!(ipv4(true, 2), Some("149.154.167.40:443".parse().unwrap()));
        assert_eq!(ipv4(false, 0), None);
        assert_eq!(ipv4(false, 6), None);
        assert_eq!(ipv4(true, 4), None);
        assert_eq!(ipv4(false, -1), None);
        assert_eq!(ipv4(false, i32::MIN), None);
        assert_eq!(known_ids(true), "test DCs 1 to 3");
    }
}
