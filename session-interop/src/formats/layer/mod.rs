//! layer / ferogram: the binary session file (versions 1 to 8) and its string form. Read only.
//!
//! The file, little-endian (`[vN+]` marks what only version N and later have):
//!
//! ```text
//! version:u8 (absent in version 1)   home_dc:i32
//! n:u8 × DC     { id:i32  has_key:u8 [key:256]  first_salt:i64  time_offset:i32
//!                 addr_len:u8 addr ("ip:port" or "[v6]:port")  [v3+] flags:u8 }
//! pts:i32 qts:i32 date:i32 seq:i32   n:u16 × { channel_id:i64  pts:i32 }
//! n:u16 × peer  { id:i64  hash:i64  type:u8  [v6+] channel_kind:u8  [v8] is_community:u8 }
//! [v4+] n:u16 × min peer { user:i64  peer:i64  msg:i32 }
//! [v7+] has_token:u8 [len:u16 token]
//! ```
//!
//! Versions 2 and 5 add nothing to the layout of the version before them. The string form is the same bytes
//! in URL-safe base64 without padding.
//!
//! **Which version.** A version-1 file has no version byte: it starts with its home DC as a little-endian
//! `i32`, so its first byte is the low byte of a DC id and may well be 2 to 8. The two readings are told
//! apart by what follows: a versioned file has a valid DC id (1 to [`common::MAX_DC_ID`]) in bytes 1 to 4.
//! In a version-1 file, bytes 1 to 3 are the upper bytes of the home DC (zero for any DC id up to 255) and
//! byte 4 is the DC count, so read as an `i32` they are 0 or at least 2^24: never a DC id. A file whose
//! first byte is 2 to 8 and whose bytes 1 to 4 are a DC id is therefore read as that version, anything
//! else as version 1. (The only files both readings could fit are version-1 files with a home DC of 258 or
//! more and no DCs, which no library writes.) A first byte of 0 or 9 and up followed by a DC id is a
//! version this crate does not know: when such a file is not a valid version-1 file either, the error is
//! [`InteropError::Unsupported`].
//!
//! **Mapping.**
//! - `home_dc` is the [home DC](session_core::Session::home_dc). layer writes one DC record per address, so
//!   one DC appears once for IPv4 and once for IPv6: records with the same id and the same flags (other than
//!   the IPv6 flag) are merged into one [`DcEntry`](session_core::DcEntry), each field taken from the first
//!   record that has it; a record whose flags differ (a media-only or CDN endpoint) stays its own entry. The
//!   key (an all-zero key is no key), `first_salt` as the server salt, `time_offset`, the address and the
//!   media / tcpo / CDN / static flags all map to the entry; the IPv6 flag must agree with the address.
//! - The update state and its channels map to the [update state](session_core::Session::update_state); an
//!   all-zero state with no channels (a session that never received updates) is no update state.
//! - Peers: `type` 0 is a user (layer does not say whether it is a bot: [`PeerKind::User`]), 2 a basic
//!   group (hash must be 0; no access hash), 1 a channel whose `channel_kind` is 0 broadcast, 1 megagroup,
//!   2 gigagroup or 0xFF unknown ([`PeerKind::Channel`], as is every channel before version 6). ferogram
//!   0.6.6 writes 0 for a broadcast channel (checked against its file); 1 and 2 follow the order Telegram's
//!   own channel flags have and are not confirmed by a file. Users and basic groups must have
//!   `channel_kind` 0xFF. Ids are bare ids and must be valid in their class.
//! - Min peers (a user seen only as a "min" user, in message `msg` of chat `peer`) are the
//!   [min contexts](session_core::Session::min_contexts), by user id, `peer` as the chat id: the user id must
//!   be positive and the message id positive (any chat id: ferogram uses 0 for the account's own chat). A user listed twice keeps its first listing
//!   (as session-ferogram does); the later ones are reported.
//! - The token is the [logout token](session_core::Session::logout_token) (ferogram's `future_auth_token`,
//!   a secret: it is never shown, and no report or error quotes it). An empty token is no token; one longer
//!   than [`LogoutToken::MAX_LEN`] (1024) bytes is reported by its length and left out.
//!
//! [`PeerKind::User`]: session_core::PeerKind::User
//! [`PeerKind::Channel`]: session_core::PeerKind::Channel
//!
//! **Dropped on reading** (each reported with a count, never its content): the `is_community` flag of peers
//! that have it set, values of repeated DC records that conflict with the merged ones, repeated min peers of
//! one user and a token too long to keep. layer keeps no logged-in user.
//!
//! **Checks.** Every field is checked: DC ids, `has_key` (0 or 1), key length, addresses (UTF-8, parse, port
//! not 0, an address a client can connect to), flag bits, peer types and kinds, ids, `is_community` (0 or 1),
//! min peers' ids, `has_token` (0 or 1); a peer or a channel listed twice, truncated input and trailing bytes
//! are errors.
//! Counts are checked against the input left before anything is read.

mod dcs;
mod peers;

use std::collections::BTreeMap;

use session_core::{LogoutToken, PeerId, Session, UpdateState};

use super::cursor::Cursor;
use super::{common, layer_records};
use crate::b64::Base64;
use crate::error::InteropError;
use crate::format::Format;
use crate::report::{Dropped, Imported};

/// The newest version this module reads.
const NEWEST: u8 = 8;

/// Reads a layer / ferogram binary session file.
pub(crate) fn read(bytes: &[u8]) -> Result<Imported, InteropError> {
    parse(Format::Layer, bytes)
}

/// The largest file of any version (about 3.5 MB): 255 DC records with a key and a 255-byte address, 65,535
/// channel states, peers and min peers, and a 65,535-byte token. A string form longer than this file's is
/// refused undecoded.
const MAX_FILE_LEN: usize = 1
    + 4
    + 1
    + 255 * (4 + 1 + 256 + 8 + 4 + 1 + 255 + 1)
    + 16
    + 2
    + 65_535 * (8 + 4)
    + 2
    + 65_535 * (8 + 8 + 1 + 1 + 1)
    + 2
    + 65_535 * (8 + 8 + 4)
    + 1
    + 2
    + 65_535;

/// Reads a layer / ferogram string session (the binary file in unpadded URL-safe base64).
pub(crate) fn read_string(text: &[u8]) -> Result<Imported, InteropError> {
    let bytes = Base64::UrlUnpadded
        .decode(text, MAX_FILE_LEN)
        .map_err(|reason| InteropError::malformed(Format::LayerString, reason))?;
    parse(Format::LayerString, &bytes)
}

/// What the records of one version hold.
#[derive(Clone, Copy, Debug)]
struct Layout {
    version: u8,
}

impl Layout {
    /// Version 3 added the DC flags.
    fn dc_flags(self) -> bool {
        self.version >= 3
    }

    /// Version 4 added the min peers.
    fn min_peers(self) -> bool {
        self.version >= 4
    }

    /// Version 6 added the peers' channel kind.
    fn channel_kind(self) -> bool {
        self.version >= 6
    }

    /// Version 7 added the future auth token.
    fn token(self) -> bool {
        self.version >= 7
    }

    /// Version 8 added the peers' community flag.
    fn community(self) -> bool {
        self.version >= 8
    }
}

/// How the file starts (see the module documentation).
#[derive(Debug, PartialEq, Eq)]
enum Header {
    /// A version byte of a known version.
    Versioned(u8),
    /// A version byte of an unknown version, unless the file is a valid version-1 file.
    Unknown(u8),
    /// No version byte.
    V1,
}

fn header(bytes: &[u8]) -> Header {
    let home_follows = bytes
        .get(1..5)
        .and_then(|home| <[u8; 4]>::try_from(home).ok())
        .map(i32::from_le_bytes)
        .is_some_and(|home| (1..=common::MAX_DC_ID).contains(&i64::from(home)));
    match bytes.first() {
        Some(&version) if home_follows && (2..=NEWEST).contains(&version) => {
            Header::Versioned(version)
        }
        Some(&version) if home_follows && version != 1 => Header::Unknown(version),
        _ => Header::V1,
    }
}

fn parse(format: Format, bytes: &[u8]) -> Result<Imported, InteropError> {
    let mut cursor = Cursor::le(format, bytes);
    match header(bytes) {
        Header::Versioned(version) => {
            cursor.u8("the version")?;
            body(cursor, Layout { version })
        }
        Header::V1 => body(cursor, Layout { version: 1 }),
        Header::Unknown(version) => {
            body(cursor, Layout { version: 1 }).map_err(|_| InteropError::Unsupported {
                format,
                reason: format!("version {version} (this crate reads versions 1 to {NEWEST})"),
            })
        }
    }
}

/// Everything after the version byte.
fn body(mut cursor: Cursor<'_>, layout: Layout) -> Result<Imported, InteropError> {
    let format = cursor.format();
    let mut dropped = Vec::new();
    let home_dc = common::dc_id(format, cursor.i32("the home DC")?.into())?;
    let dcs = dcs::read(&mut cursor, layout, &mut dropped)?;
    let update_state = update_state(&mut cursor)?;
    let peers = peers::read(&mut cursor, layout, &mut dropped)?;
    let min_contexts = if layout.min_peers() {
        peers::min_contexts(&mut cursor, &mut dropped)?
    } else {
        BTreeMap::new()
    };
    let logout_token = if layout.token() {
        token(&mut cursor, &mut dropped)?
    } else {
        None
    };
    cursor.finish()?;
    let session = Session {
        home_dc: Some(home_dc),
        dcs,
        update_state,
        peers,
        min_contexts,
        logout_token,
        ..Session::default()
    };
    Ok(Imported { session, dropped })
}

/// The update state and its channels; `None` when all zero with no channels.
fn update_state(cursor: &mut Cursor<'_>) -> Result<Option<UpdateState>, InteropError> {
    let pts = cursor.i32("the pts")?;
    let qts = cursor.i32("the qts")?;
    let date = cursor.i32("the date")?;
    let seq = cursor.i32("the seq")?;
    let count = cursor.u16("the channel count")?.into();
    let count = cursor.count(count, 12, "channel states")?;
    let mut channels = BTreeMap::new();
    for _ in 0..count {
        let id = cursor.i64("a channel id")?;
        let pts = cursor.i32("a channel pts")?;
        if PeerId::Channel(id).marked().is_none() {
            return Err(cursor.error(format_args!("channel id {id} is not a channel id")));
        }
        if channels.insert(id, pts).is_some() {
            return Err(cursor.error(format_args!("channel {id} has two update states")));
        }
    }
    let state = UpdateState {
        pts,
        qts,
        date,
        seq,
        channels,
    };
    Ok((state != UpdateState::default()).then_some(state))
}

/// The future auth token, as the [logout token](session_core::Session::logout_token): none when absent or
/// empty, reported (by its length) when longer than a session keeps.
fn token(
    cursor: &mut Cursor<'_>,
    dropped: &mut Vec<Dropped>,
) -> Result<Option<LogoutToken>, InteropError> {
    match cursor.u8("the token flag")? {
        0 => Ok(None),
        1 => {
            let len = cursor.u16("the token length")?.into();
            let bytes = cursor.take(len, "the token")?;
            Ok(layer_records::logout_token(bytes, dropped))
        }
        other => Err(cursor.error(format_args!("token flag {other} (must be 0 or 1)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bytes_tell_version_1_from_a_version_byte() {
        // Version 8, home DC 2, then the DC count.
        assert_eq!(header(&[8, 2, 0, 0, 0, 1]), Header::Versioned(8));
        // Version 1, home DC 2 (first byte 2, like a version byte), one DC: bytes 1..5 read 1 << 24.
        assert_eq!(header(&[2, 0, 0, 0, 1, 2]), Header::V1);
        // Version 1, home DC 2, no DCs: bytes 1..5 read 0.
        assert_eq!(header(&[2, 0, 0, 0, 0, 0]), Header::V1);
        assert_eq!(header(&[1, 0, 0, 0, 1]), Header::V1);
        assert_eq!(header(&[9, 2, 0, 0, 0, 1]), Header::Unknown(9));
        assert_eq!(header(&[0, 2, 0, 0, 0, 1]), Header::Unknown(0));
        assert_eq!(header(&[8, 2, 0]), Header::V1);
        assert_eq!(header(&[]), Header::V1);
    }
}
