//! Pyrogram string sessions: Pyrogram 2.x and Kurigram (read and write), Pyrogram 1.x (read only).
//!
//! A string is URL-safe base64 without `=` padding of big-endian fields:
//!
//! | version | layout | bytes |
//! |---|---|---|
//! | Pyrogram ≥ 2.0, Kurigram | `dc:u8, api_id:u32, test_mode:bool, auth_key:256, user_id:u64, is_bot:bool` | 271 |
//! | Pyrogram 1.x | `dc:u8, test_mode:bool, auth_key:256, user_id:u32, is_bot:bool` | 263 |
//! | Pyrogram 1.x (64-bit ids) | `dc:u8, test_mode:bool, auth_key:256, user_id:u64, is_bot:bool` | 267 |
//!
//! **Reading** gives one DC entry (the home DC) with the key and, since the string keeps no address, the
//! IPv4 address Pyrogram itself connects to: [Telegram's public address](super::dc_table) of that DC on the
//! production or test servers (by the test-mode flag). A DC id outside that table (production 1 to 5, test 1
//! to 3) is malformed: Pyrogram could not use it either. Also read: the api id (2.x), test mode and the
//! logged-in user (id, bot flag). The user id must be a positive Telegram id (0 is malformed: Pyrogram never
//! exports a session before it knows the user), the flags must be 0 or 1, the key must not be all zeros, and
//! the api id must be a positive 31-bit number. Nothing in a string is dropped.
//!
//! **Writing** produces a Pyrogram 2 string. It needs the api id and the logged-in user
//! ([`InteropError::MissingField`] otherwise: the string has no way to say "unknown") and the home DC's key;
//! the home DC must be in the table. Everything else is reported dropped: other DCs, the home DC's address
//! when it is not the table's (and any IPv6 address), peers, update state, salts, and so on.

use session_core::{AuthKey, Session};
use zeroize::Zeroizing;

use super::common::{self, Keeps};
use super::cursor::Cursor;
use super::pyrogram;
use crate::b64::Base64;
use crate::error::InteropError;
use crate::format::Format;
use crate::report::{Exported, Imported};

/// The decoded length of a Pyrogram 2 / Kurigram string.
const V2_LEN: usize = 271;
/// The decoded length of a Pyrogram 1.x string with a 32-bit user id.
const V1_LEN_U32: usize = 263;
/// The decoded length of a Pyrogram 1.x string with a 64-bit user id.
const V1_LEN_U64: usize = 267;

/// Text that would decode to more than this is refused undecoded (twice the longest string, so that a
/// near miss is still reported by its decoded length).
const MAX_DECODED: usize = 2 * V2_LEN;

/// Reads a Pyrogram 2 / Kurigram string session.
pub(crate) fn read(text: &[u8]) -> Result<Imported, InteropError> {
    let format = Format::PyrogramString;
    let raw = Base64::UrlUnpadded
        .decode(text, MAX_DECODED)
        .map_err(|reason| InteropError::malformed(format, reason))?;
    if raw.len() != V2_LEN {
        let hint = if matches!(raw.len(), V1_LEN_U32 | V1_LEN_U64) {
            " (that is the length of a Pyrogram 1.x string: read it as pyrogram1-string)"
        } else {
            ""
        };
        return Err(InteropError::malformed(
            format,
            format!("{} bytes decoded, not {V2_LEN}{hint}", raw.len()),
        ));
    }
    let mut fields = Cursor::be(format, &raw);
    let dc = fields.u8("the DC id")?;
    let api_id = pyrogram::api_id(format, i64::from(fields.u32("the api id")?))?;
    let test_mode = flag(&mut fields, "the test-mode flag")?;
    let key = key(&mut fields)?;
    let user_id = user_id(&mut fields)?;
    let bot = flag(&mut fields, "the bot flag")?;
    fields.finish()?;
    let mut session = build(format, dc, test_mode, key, user_id, bot)?;
    session.api_id = Some(api_id);
    Ok(Imported {
        session,
        dropped: Vec::new(),
    })
}

/// Reads a Pyrogram 1.x string session (either length).
pub(crate) fn read_v1(text: &[u8]) -> Result<Imported, InteropError> {
    let format = Format::Pyrogram1String;
    let raw = Base64::UrlUnpadded
        .decode(text, MAX_DECODED)
        .map_err(|reason| InteropError::malformed(format, reason))?;
    let wide_id = match raw.len() {
        V1_LEN_U32 => false,
        V1_LEN_U64 => true,
        len => {
            return Err(InteropError::malformed(
                format,
                format!("{len} bytes decoded, not {V1_LEN_U32} or {V1_LEN_U64}"),
            ))
        }
    };
    let mut fields = Cursor::be(format, &raw);
    let dc = fields.u8("the DC id")?;
    let test_mode = flag(&mut fields, "the test-mode flag")?;
    let key = key(&mut fields)?;
    let user_id = if wide_id {
        user_id(&mut fields)?
    } else {
        i64::from(fields.u32("the user id")?)
    };
    let bot = flag(&mut fields, "the bot flag")?;
    fields.finish()?;
    Ok(Imported {
        session: build(format, dc, test_mode, key, user_id, bot)?,
        dropped: Vec::new(),
    })
}

/// The session both versions describe.
fn build(
    format: Format,
    dc: u8,
    test_mode: bool,
    key: AuthKey,
    user_id: i64,
    bot: bool,
) -> Result<Session, InteropError> {
    let mut entry = pyrogram::table_entry(format, test_mode, i64::from(dc))?;
    entry.auth_key = Some(key);
    let mut session = common::home_session(entry);
    session.test_mode = test_mode;
    session.user = Some(pyrogram::user(format, user_id, bot)?);
    Ok(session)
}

/// Writes a Pyrogram 2 string session.
pub(crate) fn write(session: &Session) -> Result<Exported, InteropError> {
    let format = Format::PyrogramString;
    let home = pyrogram::home(format, session)?;
    let key = home.auth_key.ok_or(InteropError::MissingField {
        format,
        field: "auth key for its home DC",
        hint: None,
    })?;
    let api_id = pyrogram::api_id_to_write(format, session)?;
    let (user_id, bot) = pyrogram::user_to_write(format, session)?;
    let mut raw = Zeroizing::new(Vec::with_capacity(V2_LEN));
    raw.push(home.id);
    raw.extend_from_slice(&api_id.to_be_bytes());
    raw.push(u8::from(session.test_mode));
    raw.extend_from_slice(key.as_bytes());
    // Positive (user_to_write checked it), so its magnitude is the id.
    raw.extend_from_slice(&user_id.unsigned_abs().to_be_bytes());
    raw.push(u8::from(bot));
    let mut text = Base64::UrlUnpadded.encode(&raw);
    let keeps = Keeps {
        user: true,
        api_id: true,
        test_mode: true,
        ..Keeps::default()
    };
    let mut dropped = home.dropped;
    dropped.extend(common::unkept(format, session, keeps));
    Ok(Exported {
        bytes: Zeroizing::new(std::mem::take(&mut *text).into_bytes()),
        dropped,
    })
}

/// A `u64` user id, which must fit Telegram's (positive `i64`) ids.
fn user_id(fields: &mut Cursor<'_>) -> Result<i64, InteropError> {
    let id = fields.u64("the user id")?;
    i64::try_from(id)
        .map_err(|_| fields.error(format_args!("user id {id} is not a Telegram user id")))
}

/// A one-byte flag, 0 or 1.
fn flag(fields: &mut Cursor<'_>, what: &str) -> Result<bool, InteropError> {
    let byte = fields.u8(what)?;
    pyrogram::flag(fields.format(), what, i64::from(byte))
}

/// The auth key, which must not be all zeros.
fn key(fields: &mut Cursor<'_>) -> Result<AuthKey, InteropError> {
    let format = fields.format();
    common::auth_key(format, fields.take(AuthKey::LEN, "the auth key")?)?
        .ok_or_else(|| InteropError::malformed(format, "an all-zero auth key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR: &str = include_str!("../../tests/vectors/pyrogram_2.0.106_string.txt");

    #[test]
    fn the_vector_reads_and_writes_back_byte_for_byte() {
        let imported = read(VECTOR.trim().as_bytes()).unwrap();
        assert!(imported.dropped.is_empty());
        let written = write(&imported.session).unwrap();
        assert!(written.dropped.is_empty(), "{:?}", written.dropped);
        assert_eq!(&written.bytes[..], VECTOR.trim().as_bytes());
    }

    #[test]
    fn fields_are_checked_as_they_are_read() {
        let mut id = [0xff; 8];
        assert!(user_id(&mut Cursor::be(Format::PyrogramString, &id)).is_err());
        id[0] = 0x7f;
        assert_eq!(
            user_id(&mut Cursor::be(Format::PyrogramString, &id)).unwrap(),
            i64::MAX
        );
        assert!(flag(&mut Cursor::be(Format::PyrogramString, &[2]), "x").is_err());
        assert!(key(&mut Cursor::be(Format::PyrogramString, &[0; 256])).is_err());
        assert!(key(&mut Cursor::be(Format::PyrogramString, &[1; 255])).is_err());
    }
}
