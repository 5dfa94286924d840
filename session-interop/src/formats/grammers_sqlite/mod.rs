//! grammers-session 0.11: the `SqliteSession` database (`PRAGMA user_version = 1`). Read and write.
//!
//! The tables (the exact DDL is in `schema.rs`):
//!
//! | table | columns | maps to |
//! |---|---|---|
//! | `dc_home` | `dc_id` (at most one row) | [`Session::home_dc`] |
//! | `dc_option` | `dc_id` (key), `ipv4` `"ip:port"`, `ipv6` `"[ip]:port"`, `auth_key` | a [`DcEntry`] |
//! | `peer_info` | `peer_id` (marked id), `hash`, `subtype` bits | [`Session::peers`], [`Session::user`] |
//! | `update_state` | `pts`, `qts`, `date`, `seq` (at most one row) | [`Session::update_state`] |
//! | `channel_state` | `peer_id` (bare channel id), `pts` | the update state's channels |
//!
//! [`DcEntry`]: session_core::DcEntry
//!
//! **Peers.** `peer_id` is the Bot API marked id (user `id`, basic group `-id`, channel
//! `-(1000000000000 + id)`), as grammers 0.11's own file shows. `subtype` holds bits: 1 the logged-in user,
//! 2 a bot, 4 a megagroup, 8 a broadcast channel, 12 (both) a gigagroup; NULL for a basic group (whose `hash`
//! is 0: no access hash). A user row with bit 1 is the logged-in user: it gives [`User`](session_core::User)
//! (its id, and bit 2 as the bot flag) and, when it has an access hash, a peer too (a self row without a
//! hash holds nothing a peer would add). grammers addresses the logged-in user in memory as peer id 2^40 (no
//! user id is that large); a `peer_info` row with that id carries no real id, so a reader reports it as
//! dropped and a writer refuses a peer with that id. A channel with a NULL or 0 subtype is a channel of
//! unknown kind ([`PeerKind::Channel`](session_core::PeerKind::Channel)); a user with a NULL subtype is a
//! plain user. The writer writes 0 for a plain user, NULL for basic groups and channels of unknown kind.
//!
//! **Addresses.** Both address columns are NOT NULL, while a session may know only one address of a DC: the
//! writer fills the missing one with the unspecified address (`0.0.0.0` or `[::]`) on the same port (443 when
//! the DC has no address at all), and the reader reads an unspecified address as no address, so such a
//! session reads back exactly. Any other address must be one a client can connect to (not in `0.0.0.0/8`,
//! broadcast or multicast), as in every other format. grammers itself connects over IPv4 unless told to use
//! IPv6.
//!
//! **Dropped on reading:** only a `peer_info` row with the placeholder id 2^40.
//!
//! **Dropped on writing** (each reported): usernames, phone numbers, min flags and basic groups' access
//! hashes of peers (with counts); the logged-in user's username and DC; the logged-in user's peer entry
//! when it has no access hash (its row reads back as the user only) or when its kind disagrees with the
//! user's bot flag (the flag is written); DC entries' salts, clock offsets, flags and temporary keys; values
//! of a second entry of one DC id that do not merge into its one row (the first set address of each family
//! and the first key win); IPv6 flow info and scope ids; min contexts and the logout token (named only); the
//! api id, test-mode flag, takeout id, device info and timestamps. DCs are written (and read back) ordered by id, one row per id.
//!
//! **Refused on writing** ([`InteropError::Unwritable`]): a DC id outside 1 to
//! [`MAX_DC_ID`](super::common::MAX_DC_ID), a port 0 or an address no client can connect to (the unspecified
//! address among them: the reader would take it for "no address"), a peer or user id that has no marked form
//! (or is 2^40), a peer whose kind does not match its id, a non-positive channel id in the update state.

mod read;
mod schema;
mod subtype;
mod write;

use session_core::Session;

use crate::error::InteropError;
use crate::format::Format;
use crate::report::{Exported, Imported};

const FORMAT: Format = Format::GrammersSqlite;

/// The id grammers gives the logged-in user in memory: 2^40, just past the largest user id.
const SELF_PLACEHOLDER: i64 = 1 << 40;

/// Reads a grammers 0.11 `SqliteSession` file.
pub(crate) fn read(bytes: &[u8]) -> Result<Imported, InteropError> {
    read::read(bytes)
}

/// Writes `session` as a grammers 0.11 `SqliteSession` file.
pub(crate) fn write(session: &Session) -> Result<Exported, InteropError> {
    write::write(session)
}
