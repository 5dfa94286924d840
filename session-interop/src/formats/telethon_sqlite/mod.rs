//! Telethon 1.x SQLite `.session` files, schema versions 7 (Telethon 1.36 to 1.42) and 8 (1.43 and later).
//!
//! # What the file holds
//! - `version(version)`: one row, the schema version.
//! - `sessions(dc_id, server_address, port, auth_key, takeout_id[, tmp_auth_key])`: exactly one row, the
//!   current DC (`tmp_auth_key` is schema 8 only).
//! - `entities(id, hash, username, phone, name, date)`: the peer cache by Bot API "marked" id; basic groups
//!   have hash 0; the row `(0, self_id)` records the logged-in user's id.
//! - `sent_files(md5_digest, file_size, type, id, hash)`: a cache of uploaded files.
//! - `update_state(id, pts, qts, date, seq)`: id 0 is the account's state; any other id is a bare channel id
//!   whose `pts` is that channel's (Telethon writes 0 as its `qts` and `seq` and the time of saving as its
//!   `date`).
//!
//! # Reading
//! The sessions row gives `home_dc` and one [`DcEntry`](session_core::DcEntry) (DC id 1 to
//! `common::MAX_DC_ID`, an IPv4 or IPv6 address a client can connect to, port not 0, a key
//! of 256 bytes, where NULL, an empty blob or all zeros mean "no key") plus `takeout_id`. Entities become
//! peers: positive ids are [`PeerKind::User`](session_core::PeerKind::User) (Telethon does not record which
//! users are bots), `-id` are basic groups ([`PeerKind::Chat`](session_core::PeerKind::Chat), no access hash;
//! a non-zero hash is malformed), `-(10^12 + id)` are [`PeerKind::Channel`](session_core::PeerKind::Channel)
//! (the subtype is unknown); the username is taken as stored (Telethon lower-cases it), the phone number as
//! its digits. The self row gives `Session.user` with `bot: false`: Telethon keeps only the id, so "not a
//! bot" means "not known to be a bot". The update state rows give `Session.update_state`.
//!
//! Dates may be integers or floats: Telethon stores an update state's date as `datetime.timestamp()`, a float
//! (SQLite keeps it as a REAL unless it has no fraction, so the rows of channel states, stamped with the time
//! of saving, usually hold one), and entity dates as integers. Either is read as whole seconds (a float is
//! truncated toward zero) and must be finite and fit in 32 bits; an entity's date may be NULL, an update
//! state's may not (Telethon cannot load it).
//!
//! Reported dropped (one entry per kind, with a count): entity names, entity dates, anything but the id in
//! the self row, rows of `sent_files`, the `qts`/`date`/`seq` of channel rows when not 0, and a schema 8
//! `tmp_auth_key` when one is set. A temporary key is not mapped to
//! [`DcEntry::temp_auth_key`](session_core::DcEntry::temp_auth_key) because the file does not say when it
//! expires, and a temporary key is cheap to create again on the next connection.
//!
//! Other schema versions are [`InteropError::Unsupported`] naming the version (Telethon upgrades older files
//! when it opens them).
//!
//! # Writing
//! Schema 7 by default (every Telethon from 1.36 opens it, 1.43+ upgrade it in place), 8 on request, with
//! the exact tables Telethon creates. The sessions row holds the home DC's IPv4 address (IPv6 when it has
//! only that), port, key (an empty blob when there is none, as Telethon writes) and takeout id; schema 8's
//! `tmp_auth_key` is an empty blob, as Telethon writes when it has no temporary key. Peers become entities
//! (marked id, access hash, lower-cased username, phone as an integer; `name` and `date` NULL), the user
//! becomes the self row, and the update state its rows.
//!
//! Reported dropped: other DCs, the address not written, temporary keys, salts, clock offsets, DC flags,
//! min contexts, the logout token (named only), device info and times (see `common::unkept`); the user's bot flag, DC and username; peers whose kind
//! Telethon cannot record (bot, broadcast, megagroup, gigagroup become user or channel); min peers (Telethon
//! keeps no min hashes), users and channels without an access hash, peers whose id has no marked form, phone
//! numbers that are not an integer's digits, basic groups' access hashes; and channel update states whose id
//! cannot be a row id.
//!
//! A session without a home DC, an entry for it or an address is [`InteropError::MissingField`]; a DC id
//! outside 1 to `common::MAX_DC_ID` or an address no client can connect to is
//! [`InteropError::Unwritable`].

mod date;
mod entities;
mod reader;
mod schema;
mod writer;

use session_core::Session;

use crate::error::InteropError;
use crate::format::Format;
use crate::options::TelethonSchema;
use crate::report::{Exported, Imported};

const FORMAT: Format = Format::TelethonSqlite;

/// Reads a Telethon `.session` file's bytes.
pub(crate) fn read(bytes: &[u8]) -> Result<Imported, InteropError> {
    reader::read(bytes)
}

/// Writes `session` as a Telethon `.session` file of `schema`.
pub(crate) fn write(session: &Session, schema: TelethonSchema) -> Result<Exported, InteropError> {
    writer::write(session, schema.into())
}
