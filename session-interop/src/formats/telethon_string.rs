//! Telethon 1.x `StringSession`: `1` followed by padded URL-safe base64 of
//! `dc:u8, ip:4 or 16 bytes, port:u16 BE, auth_key:256 bytes` (263 bytes with IPv4, 275 with IPv6).
//!
//! # Reading
//! The string must be exactly that: the `1`, canonical padded URL-safe base64 (no `+`, `/`, whitespace or
//! missing `=`), 263 or 275 bytes once decoded. The fields are checked, not just the length: the DC id must be
//! 1 or more, the port not 0, the address one a client can connect to (see `addr::unusable`), and an IPv6
//! address must be global unicast (`2000::/3`, where all of Telegram's DCs are). That last rule is what
//! tells a Telethon IPv6 string from a GramJS string with a 14-character address, which has the same length:
//! GramJS puts the address length there, so its first byte is 0. The cost is that a Telethon string pointing
//! at a non-global IPv6 address (a private test server) is rejected: save such a session as `telethon-sqlite`.
//!
//! The result is a session with `home_dc` and one [`DcEntry`](session_core::DcEntry) holding the address
//! and the key. An all-zero key means "no key" (`auth_key: None`). Nothing else is in the string, so nothing
//! is dropped.
//!
//! The empty string is what Telethon saves for a session without a key. [`read`] rejects it: it holds no DC,
//! address or key, and accepting it would make [`detect`](crate::detect) call every empty input a Telethon
//! session.
//!
//! # Writing
//! The home DC's entry is written with its IPv4 address (its IPv6 address when it has only that) and key.
//! Everything else is reported dropped: other DCs, the IPv6 address when both are set, the user, update
//! state, peers, takeout id, temporary keys, salts, clock offsets, DC flags, min contexts, the logout token
//! (named only), device info and times.
//!
//! Telethon itself saves a session without a key as the empty string; this writer refuses one instead
//! ([`InteropError::MissingField`]): an empty file would look like success and hold nothing. A DC id outside 1..=255 (one byte), a missing address, an
//! address no client can connect to, or an IPv6-only session whose address is not global unicast (which the
//! reader could not tell apart from GramJS) cannot be written.

use std::net::IpAddr;

use session_core::{AuthKey, Session};
use zeroize::Zeroizing;

use super::addr;
use super::common::{self, Keeps};
use super::cursor::Cursor;
use super::versioned_string;
use crate::b64::Base64;
use crate::error::InteropError;
use crate::format::Format;
use crate::report::{Exported, Imported};

const FORMAT: Format = Format::TelethonString;

/// Decoded length with an IPv4 address: DC, 4 address bytes, port, key.
const IPV4_LEN: usize = 1 + 4 + 2 + 256;

/// Decoded length with an IPv6 address: DC, 16 address bytes, port, key.
const IPV6_LEN: usize = 1 + 16 + 2 + 256;

/// Text that would decode to more than this is refused undecoded (twice the longest string, so that a
/// near miss is still reported by its decoded length).
const MAX_DECODED: usize = 2 * IPV6_LEN;

/// Reads a Telethon `StringSession` (leading and trailing whitespace already removed by the caller).
pub(crate) fn read(text: &[u8]) -> Result<Imported, InteropError> {
    let raw = versioned_string::decode(
        FORMAT,
        Base64::UrlPadded,
        text,
        MAX_DECODED,
        "the input is empty (Telethon saves a session without an auth key as the empty string, which holds \
         nothing to import)",
    )?;
    let fields = Fields::parse(&raw)?;
    let dc_id = common::dc_id(FORMAT, fields.dc.into())?;
    let server = addr::server(FORMAT, fields.ip, fields.port.into())?;
    if let IpAddr::V6(v6) = server.ip() {
        if !addr::is_global_unicast(v6) {
            return Err(malformed(
                "the IPv6 address is not global unicast (2000::/3), where every Telegram DC is; a GramJS \
                 string with a 14-character address has this length too (read it as gramjs-string)",
            ));
        }
    }
    let mut dc = addr::entry(dc_id, server);
    dc.auth_key = common::auth_key(FORMAT, fields.key)?;
    Ok(Imported {
        session: common::home_session(dc),
        dropped: Vec::new(),
    })
}

/// Writes `session` as a Telethon `StringSession`.
pub(crate) fn write(session: &Session) -> Result<Exported, InteropError> {
    let (dc, mut dropped) = common::home_dc(FORMAT, session)?;
    let key = common::home_key(FORMAT, dc)?;
    let dc_byte = common::dc_byte(FORMAT, dc.id)?;
    let server = common::home_addr(FORMAT, dc, true, &mut dropped)?;
    let mut raw = Zeroizing::new(Vec::with_capacity(IPV6_LEN));
    raw.push(dc_byte);
    match server.ip() {
        IpAddr::V4(v4) => raw.extend_from_slice(&v4.octets()),
        IpAddr::V6(v6) if addr::is_global_unicast(v6) => raw.extend_from_slice(&v6.octets()),
        IpAddr::V6(_) => {
            return Err(InteropError::Unwritable {
                format: FORMAT,
                reason: format!(
                    "the only address of DC {} is an IPv6 address outside 2000::/3; a Telethon string holding \
                     it could not be told apart from a GramJS string (write telethon-sqlite instead)",
                    dc.id
                ),
            })
        }
    }
    raw.extend_from_slice(&server.port().to_be_bytes());
    raw.extend_from_slice(key.as_bytes());
    let bytes = versioned_string::encode(Base64::UrlPadded, &raw);
    dropped.extend(common::unkept(FORMAT, session, Keeps::default()));
    Ok(Exported { bytes, dropped })
}

/// The decoded string, split into its fields (not yet checked).
struct Fields<'a> {
    dc: u8,
    ip: IpAddr,
    port: u16,
    key: &'a [u8],
}

impl<'a> Fields<'a> {
    /// Splits `raw` by its length: 263 bytes hold an IPv4 address, 275 an IPv6 one.
    fn parse(raw: &'a [u8]) -> Result<Fields<'a>, InteropError> {
        let ipv6 = match raw.len() {
            IPV4_LEN => false,
            IPV6_LEN => true,
            other => {
                return Err(malformed(format!(
                    "{other} bytes once decoded (must be {IPV4_LEN} with an IPv4 address or {IPV6_LEN} with \
                     an IPv6 address)"
                )))
            }
        };
        let mut cursor = Cursor::be(FORMAT, raw);
        let dc = cursor.u8("the DC id")?;
        let ip = if ipv6 {
            IpAddr::from(cursor.array::<16>("the IPv6 address")?)
        } else {
            IpAddr::from(cursor.array::<4>("the IPv4 address")?)
        };
        let port = cursor.u16("the port")?;
        let key = cursor.take(AuthKey::LEN, "the auth key")?;
        cursor.finish()?;
        Ok(Fields { dc, ip, port, key })
    }
}

fn malformed(reason: impl Into<String>) -> InteropError {
    InteropError::malformed(FORMAT, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(address: &str, dc_id: i32) -> Session {
        let mut dc = addr::entry(dc_id, address.parse().unwrap());
        dc.auth_key = Some(AuthKey::new(std::array::from_fn(|i| i as u8)));
        common::home_session(dc)
    }

    #[test]
    fn lengths_follow_the_address_family() {
        let v4 = write(&session("149.154.167.51:443", 2)).unwrap();
        assert_eq!(v4.bytes.len(), 353);
        let v6 = write(&session("[2001:67c:4e8:f002::a]:443", 2)).unwrap();
        assert_eq!(v6.bytes.len(), 369);
        for exported in [v4, v6] {
            assert!(exported.dropped.is_empty());
            assert_eq!(read(&exported.bytes).unwrap().session.home_dc, Some(2));
        }
    }

    #[test]
    fn a_dc_id_beyond_one_byte_is_unwritable() {
        for id in [0, 256, 10_002] {
            assert!(matches!(
                write(&session("149.154.167.51:443", id)),
                Err(InteropError::Unwritable { .. })
            ));
        }
    }

    #[test]
    fn a_non_global_ipv6_only_session_is_unwritable() {
        assert!(matches!(
            write(&session("[fd00::1]:443", 2)),
            Err(InteropError::Unwritable { .. })
        ));
    }

    #[test]
    fn fields_are_split_without_panicking_on_any_length() {
        for len in 0..300 {
            let raw = vec![1u8; len];
            let parsed = Fields::parse(&raw);
            assert_eq!(parsed.is_ok(), len == IPV4_LEN || len == IPV6_LEN, "{len}");
        }
    }
}
