//! ferogram's portable `StringSession` (ferogram-session 0.6.6 `string_session`): what ferogram's
//! `export_session_string()` returns and `session_string(..)` loads. Read (both versions) and write (version 2).
//!
//! URL-safe base64 without `=` padding of big-endian fields:
//!
//! | version | made by | layout | bytes (IPv4 / IPv6) |
//! |---|---|---|---|
//! | 2 | `encode()`, the current form | `2:u8, dc:u8, ip_type:u8, ip, port:u16, user_id:i64, auth_key:256` | 273 / 285 |
//! | 1 | `encode_v1()` | `1:u8, dc:u8, ip_type:u8, ip, port:u16, user_id:i64, salt:i64, seq_no:u32, layer:u32, auth_key:256` | 293 / 305 |
//!
//! `ip_type` is 4 (then 4 address bytes follow) or 6 (16 bytes).
//!
//! # Reading
//! The text must be canonical unpadded URL-safe base64 of exactly one of those layouts: version byte 1 or 2,
//! `ip_type` 4 or 6, and no byte after the key (ferogram's own decoder ignores trailing bytes; none of its
//! encoders writes any). The DC id must be 1 or more, the port not 0, the address one a client can connect
//! to, and an IPv6 address global unicast (`2000::/3`, where every Telegram DC is): that rule keeps a
//! ferogram string from ever also being a valid layer string (whose bytes 1 to 4 would have to be a small DC
//! id, which needs the address to start with two zero bytes).
//!
//! The result is the home DC with its address and key (an all-zero key is no key) and, from version 1, the
//! salt as its server salt. A non-zero `user_id` is the logged-in user (ferogram writes `get_me()`'s id; it
//! does not say whether the account is a bot, so `bot` is false); 0 means no user. Version 1's `seq_no` and
//! `layer` are reported dropped when not 0: a session keeps neither (a client starts a new message sequence
//! when it connects and sends its own layer).
//!
//! # Writing
//! Version 2, as ferogram's `encode()`: the home DC's id (one byte), its IPv4 address (IPv6 when it has only
//! that, which must then be global unicast), its key and the logged-in user's id (0 without a user; ferogram
//! does not read it back anyway). Everything else is reported dropped: other DCs, the second address, the
//! user's bot flag, username and DC, the server salt (version 2 has no place for it), update state, peers,
//! min contexts, the logout token (named only, never shown) and the rest. (ferogram's min peers and future
//! auth token live in its binary file and SQLite database, [`super::layer`] and [`super::layer_sqlite`]: its
//! `StringSession` has no place for them.) A session without a home DC, key or address is [`InteropError::MissingField`]; a DC id outside 1
//! to 255 or an address no client can connect to is [`InteropError::Unwritable`].

use std::net::IpAddr;

use session_core::{AuthKey, PeerId, Session, User};
use zeroize::Zeroizing;

use super::addr;
use super::common::{self, Keeps};
use super::cursor::Cursor;
use crate::b64::Base64;
use crate::error::InteropError;
use crate::format::Format;
use crate::report::{Dropped, Exported, Imported};

const FORMAT: Format = Format::FerogramString;

/// The version `encode_v1()` writes: with salt, sequence number and layer.
const V1: u8 = 1;
/// The version `encode()` writes.
const V2: u8 = 2;

/// `ip_type` of an IPv4 address.
const IP_V4: u8 = 4;
/// `ip_type` of an IPv6 address.
const IP_V6: u8 = 6;

/// The longest string: version 1 with an IPv6 address.
const V1_IPV6_LEN: usize = 1 + 1 + 1 + 16 + 2 + 8 + 8 + 4 + 4 + AuthKey::LEN;

/// Text that would decode to more than this is refused undecoded (twice the longest string, so that a
/// near miss is still reported by its decoded length).
const MAX_DECODED: usize = 2 * V1_IPV6_LEN;

/// Reads a ferogram `StringSession` of version 1 or 2.
pub(crate) fn read(text: &[u8]) -> Result<Imported, InteropError> {
    let raw = Base64::UrlUnpadded
        .decode(text, MAX_DECODED)
        .map_err(malformed)?;
    let fields = Fields::parse(&raw)?;
    let dc_id = common::dc_id(FORMAT, fields.dc.into())?;
    let server = addr::server(FORMAT, fields.ip, fields.port.into())?;
    if let IpAddr::V6(v6) = server.ip() {
        if !addr::is_global_unicast(v6) {
            return Err(malformed(
                "the IPv6 address is not global unicast (2000::/3), where every Telegram DC is",
            ));
        }
    }
    let mut dc = addr::entry(dc_id, server);
    dc.auth_key = common::auth_key(FORMAT, fields.key)?;
    let mut dropped = Vec::new();
    if let Some(full) = fields.full {
        dc.server_salt = full.salt;
        if full.seq_no != 0 || full.layer != 0 {
            dropped.push(Dropped::new(
                "message sequence number and API layer of the version 1 string",
                "a session keeps neither: a client starts a new sequence when it connects and sends its own layer",
            ));
        }
    }
    let mut session = common::home_session(dc);
    session.user = user(fields.user_id)?;
    Ok(Imported { session, dropped })
}

/// The logged-in user of a `user_id` field: none for 0, else a valid user id.
fn user(id: i64) -> Result<Option<User>, InteropError> {
    if id == 0 {
        return Ok(None);
    }
    if PeerId::User(id).marked().is_none() {
        return Err(malformed(format!("user id {id} is not a Telegram user id")));
    }
    Ok(Some(User {
        id,
        bot: false,
        username: None,
        dc: None,
    }))
}

/// Writes `session` as a version-2 string (ferogram's `encode()`).
pub(crate) fn write(session: &Session) -> Result<Exported, InteropError> {
    let (dc, mut dropped) = common::home_dc(FORMAT, session)?;
    let key = common::home_key(FORMAT, dc)?;
    let dc_byte = common::dc_byte(FORMAT, dc.id)?;
    let server = common::home_addr(FORMAT, dc, true, &mut dropped)?;
    let mut raw = Zeroizing::new(Vec::with_capacity(V1_IPV6_LEN));
    raw.extend_from_slice(&[V2, dc_byte]);
    match server.ip() {
        IpAddr::V4(v4) => {
            raw.push(IP_V4);
            raw.extend_from_slice(&v4.octets());
        }
        IpAddr::V6(v6) if addr::is_global_unicast(v6) => {
            raw.push(IP_V6);
            raw.extend_from_slice(&v6.octets());
        }
        IpAddr::V6(_) => {
            return Err(InteropError::Unwritable {
                format: FORMAT,
                reason: format!(
                    "the only address of DC {} is an IPv6 address outside 2000::/3, which the reader refuses",
                    dc.id
                ),
            })
        }
    }
    raw.extend_from_slice(&server.port().to_be_bytes());
    let user_id = session.user.as_ref().map_or(0, |user| user.id);
    raw.extend_from_slice(&user_id.to_be_bytes());
    raw.extend_from_slice(key.as_bytes());
    if session.user.as_ref().is_some_and(|user| user.bot) {
        dropped.push(Dropped::new(
            "logged-in user's bot flag",
            "a ferogram string keeps the user's id only",
        ));
    }
    let keeps = Keeps {
        user: true,
        ..Keeps::default()
    };
    dropped.extend(common::unkept(FORMAT, session, keeps));
    let bytes = Zeroizing::new(Base64::UrlUnpadded.encode(&raw).as_bytes().to_vec());
    Ok(Exported { bytes, dropped })
}

/// What only a version-1 string holds.
#[derive(Clone, Copy)]
struct Full {
    salt: i64,
    seq_no: u32,
    layer: u32,
}

/// The decoded string, split into its fields (not yet checked).
struct Fields<'a> {
    dc: u8,
    ip: IpAddr,
    port: u16,
    user_id: i64,
    full: Option<Full>,
    key: &'a [u8],
}

impl<'a> Fields<'a> {
    /// Splits `raw`: the version byte and `ip_type` decide the layout, which must end exactly with the key.
    fn parse(raw: &'a [u8]) -> Result<Fields<'a>, InteropError> {
        let mut cursor = Cursor::be(FORMAT, raw);
        let version = cursor.u8("the version")?;
        if !matches!(version, V1 | V2) {
            return Err(malformed(format!(
                "version byte {version} (ferogram writes {V1} and {V2})"
            )));
        }
        let dc = cursor.u8("the DC id")?;
        let ip = match cursor.u8("the address type")? {
            IP_V4 => IpAddr::from(cursor.array::<4>("the IPv4 address")?),
            IP_V6 => IpAddr::from(cursor.array::<16>("the IPv6 address")?),
            other => {
                return Err(malformed(format!(
                    "address type {other} (must be {IP_V4} or {IP_V6})"
                )))
            }
        };
        let port = cursor.u16("the port")?;
        let user_id = cursor.i64("the user id")?;
        let full = if version == V1 {
            Some(Full {
                salt: cursor.i64("the server salt")?,
                seq_no: cursor.u32("the sequence number")?,
                layer: cursor.u32("the layer")?,
            })
        } else {
            None
        };
        let key = cursor.take(AuthKey::LEN, "the auth key")?;
        cursor.finish()?;
        Ok(Fields {
            dc,
            ip,
            port,
            user_id,
            full,
            key,
        })
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
        // ferogram's own test: a version 2 string with an IPv4 address is 364 characters.
        let v4 = write(&session("149.154.167.51:443", 2)).unwrap();
        assert_eq!(v4.bytes.len(), 364);
        let v6 = write(&session("[2001:67c:4e8:f002::a]:443", 2)).unwrap();
        assert_eq!(v6.bytes.len(), 380);
        for exported in [v4, v6] {
            assert!(exported.dropped.is_empty(), "{:?}", exported.dropped);
            let back = read(&exported.bytes).unwrap();
            assert_eq!(back.session.home_dc, Some(2));
            assert_eq!(back.session.user, None);
        }
    }

    #[test]
    fn unwritable_dc_ids_and_addresses_are_refused() {
        for id in [0, 256] {
            assert!(matches!(
                write(&session("149.154.167.51:443", id)),
                Err(InteropError::Unwritable { .. })
            ));
        }
        assert!(matches!(
            write(&session("[fd00::1]:443", 2)),
            Err(InteropError::Unwritable { .. })
        ));
    }

    #[test]
    fn fields_are_split_without_panicking_on_any_length() {
        for version in [V1, V2, 3] {
            for ip_type in [IP_V4, IP_V6, 5] {
                for len in 0..320 {
                    let mut raw = vec![1u8; len];
                    if let Some(first) = raw.get_mut(0) {
                        *first = version;
                    }
                    if let Some(kind) = raw.get_mut(2) {
                        *kind = ip_type;
                    }
                    let ip_len = if ip_type == IP_V4 { 4 } else { 16 };
                    let extra = if version == V1 { 16 } else { 0 };
                    let fits = version != 3
                        && ip_type != 5
                        && len == 3 + ip_len + 2 + 8 + extra + AuthKey::LEN;
                    assert_eq!(
                        Fields::parse(&raw).is_ok(),
                        fits,
                        "{version} {ip_type} {len}"
                    );
                }
            }
        }
    }
}
