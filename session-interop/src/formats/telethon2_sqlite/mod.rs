//! Telethon 2 (the 2.0 rewrite, `telethon._impl.session`): its `SqliteSession`, schema version 10. Read and
//! write.
//!
//! # What the file holds
//! The tables (the exact DDL is in `schema.rs`):
//!
//! | table | columns | maps to |
//! |---|---|---|
//! | `version` | `version` (one row: 10) | the schema check |
//! | `datacenter` | `id` (key), `ipv4_addr`, `ipv6_addr` (`"ip:port"` texts or NULL), `auth` (blob or NULL) | one [`DcEntry`](session_core::DcEntry) per DC id |
//! | `user` | `id`, `dc`, `bot`, `username` (at most one row) | [`Session::user`], [`Session::home_dc`] |
//! | `state` | `pts`, `qts`, `date`, `seq` (at most one row) | [`Session::update_state`] |
//! | `channelstate` | `id` (bare channel id), `pts` | the update state's channels |
//!
//! Telethon 2 keeps no peer cache, no takeout id and no salts. It is told apart from Telethon 1.x files
//! ([`super::telethon_sqlite`], schemas 7 and 8, which have `sessions` and `entities` instead) by its
//! version and tables; Telethon 2 itself migrates a schema-7 file in place to version 10, dropping
//! everything but the DC, key and update state.
//!
//! # Reading
//! The home DC is the user's `dc` (Telethon 2 connects there); without a user row it is DC 2, Telethon 2's
//! default, when the file has a `datacenter` row for it, else none. Addresses are `ip:port`; Telethon 2 writes
//! an IPv6 address without brackets (`2001:db8::a:443`: the port follows the last colon), and bracketed ones
//! are read too. Every address must be of the column's family, have a port that is not 0, and be one a client
//! can connect to; a key must be NULL, empty (no key) or 256 bytes (all zeros: no key). The user id must be a
//! user id, `bot` 0 or 1, `dc` a DC id; counters must fit in 32 bits; channel ids must be channel ids. Nothing
//! is dropped.
//!
//! # Writing
//! The tables exactly as Telethon 2 creates them, version 10. DC entries of one id are merged into one row
//! (conflicting values are reported); addresses are written as Telethon 2 writes them. The user row holds the
//! user's id, bot flag and username and, as its `dc`, the session's home DC (the user's own DC when the session
//! has no home DC; without either the session is [`InteropError::MissingField`]). Reported dropped: peers, the
//! user's DC when it differs from the home DC, a home DC other than 2 when there is no user (Telethon 2 then
//! connects to DC 2), IPv6 flow info and scope ids, and what [`Keeps`](super::common::Keeps) leaves out: api
//! id, test mode, takeout id, temporary keys, salts, clock offsets, DC flags, min contexts, the logout token
//! (named only), device info and times.
//! Refused ([`InteropError::Unwritable`]): DC ids outside 1 to [`MAX_DC_ID`](super::common::MAX_DC_ID),
//! addresses no client can connect to, a user id or channel id that is not valid.

mod read;
mod schema;
mod write;

use session_core::Session;

use crate::error::InteropError;
use crate::format::Format;
use crate::report::{Exported, Imported};

const FORMAT: Format = Format::Telethon2Sqlite;

/// The DC Telethon 2 connects to when the session has no user.
const DEFAULT_DC: i32 = 2;

/// Reads a Telethon 2 `SqliteSession` file.
pub(crate) fn read(bytes: &[u8]) -> Result<Imported, InteropError> {
    read::read(bytes)
}

/// Writes `session` as a Telethon 2 `SqliteSession` file.
pub(crate) fn write(session: &Session) -> Result<Exported, InteropError> {
    write::write(session)
}
