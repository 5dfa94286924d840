//! GramJS / teleproto `StringSession` (npm `telegram` 2.x): `1` followed by padded standard base64 of
//! `dc:u8, addr_len:i16 BE, addr (ASCII text), port:i16 BE, auth_key:256 bytes`.
//!
//! # Reading
//! The string must be the `1` and canonical padded standard base64 (no `-`, `_`, whitespace or missing `=`).
//! Once decoded: the DC id is 1 or more; the address length is positive and the address is exactly that many
//! bytes of an IPv4 or IPv6 address literal (no brackets, no port) that a client can connect to (not
//! unspecified, multicast, broadcast or in `0.0.0.0/8`); the port is 1..=32767, since GramJS reads it as a
//! signed 16-bit number (a negative value is malformed, not a large port); then exactly 256 bytes of key and
//! nothing after them. An all-zero key is rejected: GramJS never saves a string without a key.
//!
//! A GramJS string whose address has 14 characters (`149.154.167.51`) decodes to 275 bytes, the length of a
//! Telethon IPv6 string. The two never both fit: in this format the byte after the DC id is the high byte of
//! the address length (0), which as the first byte of an IPv6 address is outside `2000::/3`, which the
//! Telethon reader requires; and the alphabets differ whenever the text holds `+`, `/`, `-` or `_`.
//!
//! The result is a session with `home_dc` and one [`DcEntry`] holding the address and the key. Nothing else is
//! in the string, so nothing is dropped.
//!
//! # Writing
//! The home DC's entry is written with its IPv4 address (its IPv6 address when it has only that, or when the
//! IPv4 port is above 32767 and the IPv6 one is not), the port and the key. Everything else is reported
//! dropped: other DCs, the address not written, the user, update state, peers, takeout id (GramJS keeps it in
//! memory only), temporary keys, salts, clock offsets, DC flags, min contexts, the logout token (named only),
//! device info and times.
//!
//! A session without a home DC, a key for it or an address is [`InteropError::MissingField`] (a GramJS string
//! always holds a key). A DC id outside 1..=255, a port above 32767 on the only address that could be written,
//! or an address no client can connect to is [`InteropError::Unwritable`].

use std::net::SocketAddr;

use session_core::{AuthKey, DcEntry, Session};
use zeroize::Zeroizing;

use super::addr;
use super::common::{self, Keeps};
use super::cursor::Cursor;
use super::versioned_string;
use crate::b64::Base64;
use crate::error::InteropError;
use crate::format::Format;
use crate::report::{Dropped, Exported, Imported};

const FORMAT: Format = Format::GramjsString;

/// The largest port GramJS can save: it writes and reads the port as a signed 16-bit number.
const MAX_PORT: u16 = i16::MAX as u16;

/// Reads a GramJS `StringSession` (leading and trailing whitespace already removed by the caller).
pub(crate) fn read(text: &[u8]) -> Result<Imported, InteropError> {
    let raw = versioned_string::decode(
        FORMAT,
        Base64::StdPadded,
        text,
        MAX_LEN,
        "the input is empty",
    )?;
    let fields = Fields::parse(&raw)?;
    let dc_id = common::dc_id(FORMAT, fields.dc.into())?;
    let ip = addr::check_read(FORMAT, addr::ip_text(FORMAT, fields.addr)?)?;
    let port = u16::try_from(fields.port)
        .ok()
        .filter(|&port| port != 0)
        .ok_or_else(|| malformed(format!("port {} (must be 1 to {MAX_PORT})", fields.port)))?;
    let key = common::auth_key(FORMAT, fields.key)?
        .ok_or_else(|| malformed("the auth key is all zeros"))?;
    let mut dc = addr::entry(dc_id, SocketAddr::new(ip, port));
    dc.auth_key = Some(key);
    Ok(Imported {
        session: common::home_session(dc),
        dropped: Vec::new(),
    })
}

/// Writes `session` as a GramJS `StringSession`.
pub(crate) fn write(session: &Session) -> Result<Exported, InteropError> {
    let (dc, mut dropped) = common::home_dc(FORMAT, session)?;
    let key = common::home_key(FORMAT, dc)?;
    let dc_byte = common::dc_byte(FORMAT, dc.id)?;
    let server = addr::check_write(FORMAT, dc.id, pick_addr(dc, &mut dropped)?)?;
    let ip = server.ip().to_string();
    let bytes = encode(dc_byte, &ip, server.port(), key);
    dropped.extend(common::unkept(FORMAT, session, Keeps::default()));
    Ok(Exported { bytes, dropped })
}

/// The string for the checked fields: `1` + standard base64 of the layout above.
fn encode(dc: u8, ip: &str, port: u16, key: &AuthKey) -> Zeroizing<Vec<u8>> {
    // An IP address literal has at most 45 characters, so its length always fits the i16 length field.
    let addr_len = ip.len() as u16;
    let mut raw = Zeroizing::new(Vec::with_capacity(FIXED_LEN + ip.len()));
    raw.push(dc);
    raw.extend_from_slice(&addr_len.to_be_bytes());
    raw.extend_from_slice(ip.as_bytes());
    raw.extend_from_slice(&port.to_be_bytes());
    raw.extend_from_slice(key.as_bytes());
    versioned_string::encode(Base64::StdPadded, &raw)
}

/// The address to write for `dc`: the one [`common::one_addr`] picks, unless its port is above
/// [`MAX_PORT`], in which case the other family's address when its port fits.
fn pick_addr(dc: &DcEntry, dropped: &mut Vec<Dropped>) -> Result<SocketAddr, InteropError> {
    let fits = |addr: &SocketAddr| addr.port() <= MAX_PORT;
    let port_too_big = |port: u16| {
        InteropError::Unwritable {
        format: FORMAT,
        reason: format!(
            "port {port} of DC {} is above {MAX_PORT}, the largest GramJS can save (it stores ports as signed \
             16-bit numbers)",
            dc.id
        ),
    }
    };
    match dc.ipv4.map(SocketAddr::V4) {
        Some(v4) if !fits(&v4) => {
            let v6 = dc
                .ipv6
                .map(SocketAddr::V6)
                .filter(fits)
                .ok_or_else(|| port_too_big(v4.port()))?;
            dropped.push(Dropped::new(
                format!("IPv4 address of DC {}", dc.id),
                format!(
                    "its port {} is above {MAX_PORT}, the largest GramJS can save",
                    v4.port()
                ),
            ));
            Ok(v6)
        }
        _ => {
            let server = common::home_addr(FORMAT, dc, true, dropped)?;
            if fits(&server) {
                Ok(server)
            } else {
                Err(port_too_big(server.port()))
            }
        }
    }
}

/// Decoded length without the address: DC, address length, port, key.
const FIXED_LEN: usize = 1 + 2 + 2 + AuthKey::LEN;

/// The longest decoded string: the address length is a signed 16-bit number.
const MAX_LEN: usize = FIXED_LEN + 32_767;

/// The decoded string, split into its fields (not yet checked).
struct Fields<'a> {
    dc: u8,
    addr: &'a [u8],
    port: i16,
    key: &'a [u8],
}

impl<'a> Fields<'a> {
    /// Splits `raw`; its length must be exactly what the address length says.
    fn parse(raw: &'a [u8]) -> Result<Fields<'a>, InteropError> {
        let mut cursor = Cursor::be(FORMAT, raw);
        let dc = cursor.u8("the DC id")?;
        let addr_len = cursor.i16("the address length")?;
        let len = usize::try_from(addr_len)
            .ok()
            .filter(|&len| len != 0)
            .ok_or_else(|| malformed(format!("an address length of {addr_len}")))?;
        let expected = FIXED_LEN.saturating_add(len);
        if raw.len() != expected {
            return Err(malformed(format!(
                "{} bytes once decoded, but an address of {len} characters makes {expected}",
                raw.len()
            )));
        }
        let addr = cursor.take(len, "the address")?;
        let port = cursor.i16("the port")?;
        let key = cursor.take(AuthKey::LEN, "the auth key")?;
        cursor.finish()?;
        Ok(Fields {
            dc,
            addr,
            port,
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

    fn raw(addr_len: i16, addr: &[u8], port: i16, key_len: usize) -> Vec<u8> {
        let mut raw = vec![2];
        raw.extend_from_slice(&addr_len.to_be_bytes());
        raw.extend_from_slice(addr);
        raw.extend_from_slice(&port.to_be_bytes());
        raw.extend(std::iter::repeat_n(7u8, key_len));
        raw
    }

    #[test]
    fn the_address_length_must_match_the_total() {
        assert!(Fields::parse(&raw(14, b"149.154.167.51", 443, 256)).is_ok());
        assert!(Fields::parse(&raw(13, b"149.154.167.51", 443, 256)).is_err());
        assert!(Fields::parse(&raw(15, b"149.154.167.51", 443, 256)).is_err());
        assert!(Fields::parse(&raw(14, b"149.154.167.51", 443, 257)).is_err());
        assert!(Fields::parse(&raw(-14, b"149.154.167.51", 443, 256)).is_err());
        assert!(Fields::parse(&raw(0, b"", 443, 256)).is_err());
        for len in 0..FIXED_LEN + 50 {
            let _ = Fields::parse(&vec![0x41; len]);
        }
    }

    #[test]
    fn a_negative_port_is_malformed() {
        let text = format!(
            "1{}",
            Base64::StdPadded
                .encode(&raw(14, b"149.154.167.51", -443, 256))
                .as_str()
        );
        assert!(matches!(
            read(text.as_bytes()),
            Err(InteropError::Malformed { .. })
        ));
    }
}
