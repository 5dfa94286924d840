//! The SQLite session databases of layer-client 0.5.0 and ferogram-session 0.6.6 (`SqliteBackend`;
//! ferogram's `LibSqlBackend` makes the same tables). Read and write, one [`Format`] each: `layer-sqlite` and
//! `ferogram-sqlite`.
//!
//! # What the file holds
//! Neither library keeps a schema version; ferogram adds columns to an older file with `ALTER TABLE` when it
//! opens it (the exact DDL is in `schema.rs`):
//!
//! | table | columns | maps to |
//! |---|---|---|
//! | `meta` | `key`, `value`: `home_dc_id` (an integer); ferogram also `future_auth_token` (a blob) | [`Session::home_dc`], [`Session::logout_token`] |
//! | `dcs` | `dc_id`, `flags`, `addr` (`"ip:port"` or `"[ipv6]:port"`), `auth_key`, `first_salt`, `time_offset`; key (`dc_id`, `flags`) | [`DcEntry`](session_core::DcEntry)s |
//! | `update_state` | `id` (1), `pts`, `qts`, `date`, `seq` | [`Session::update_state`] |
//! | `channel_pts` | `channel_id`, `pts` | the update state's channels |
//! | `peers` | `id` (bare, the key), `access_hash`, `is_channel`; ferogram also `is_chat`, `channel_kind`, `is_community` | [`Session::peers`] |
//! | `min_peers` (ferogram) | `user_id`, `peer_id`, `msg_id` | [`Session::min_contexts`] |
//!
//! A file is layer-client's when `peers` has exactly its three columns and there is no `min_peers` table,
//! ferogram's when `peers` has `is_chat` (ferogram's first migration; `channel_kind`, `is_community` and
//! `min_peers` came later and may be missing from a file of an older ferogram). So no file is both.
//!
//! # Reading
//! - `meta` must have a row (the libraries treat a file without one as holding no session): `home_dc_id` a
//!   DC id; `future_auth_token` a blob, the [logout token](Session::logout_token) (a secret: never shown, and
//!   no report or error quotes it; an empty blob is no token, one longer than
//!   [`LogoutToken::MAX_LEN`](session_core::LogoutToken::MAX_LEN) bytes is reported by its length and left
//!   out). Keys neither library writes are reported dropped (counted).
//! - Each `dcs` row is one address of one DC, as in the binary file ([`super::layer`]): rows of one DC id
//!   and the same flags but the IPv6 bit are merged into one entry, the first set value of each field
//!   winning (conflicting later values are reported). The key must be NULL or 256 bytes (all zeros is no
//!   key); the salt is the entry's server salt, the offset its clock offset (32 bits), the flag bits as in the
//!   binary file, the IPv6 bit agreeing with the address.
//! - `update_state` has at most one row, with id 1; an all-zero state without channels (what the libraries
//!   save before any update) is no update state. Counters must fit in 32 bits; channel ids must be channel ids.
//! - Peers: `is_chat` 1 is a basic group (hash 0: no access hash), else `is_channel` 1 a channel whose
//!   `channel_kind` is NULL (unknown: [`PeerKind::Channel`](session_core::PeerKind::Channel)), 0 broadcast,
//!   1 megagroup or 2 gigagroup, else a user ([`PeerKind::User`](session_core::PeerKind::User): neither
//!   library records bots). Flags are 0 or 1, never both; users and groups have no channel kind. Set
//!   community flags are reported dropped (counted).
//! - `min_peers` rows (a user seen only as a min user, in message `msg_id` of chat `peer_id`) are the
//!   [min contexts](Session::min_contexts) by user id: the user id must be positive and the message id a
//!   positive 32-bit number (any chat id: ferogram uses 0 for the account's own chat). A user listed twice keeps its first row (as session-ferogram
//!   does); the later ones are reported.
//!
//! # Writing
//! The tables exactly as the library creates them (rollback journal rather than WAL: the library switches
//! the file to WAL when it opens it). The home DC goes to `meta` (a session without one is
//! [`InteropError::MissingField`]: the libraries would find no session); each DC entry becomes one row per
//! address (the IPv4 and IPv6 rows both hold the entry's key, salt and offset, so that the library finds the
//! key whichever address it connects to); the update state and its channels; and the peers with an access
//! hash (basic groups need none). In ferogram files, also the min contexts (`min_peers`) and the logout
//! token (`meta` key `future_auth_token`, as a blob).
//!
//! Reported dropped: the logged-in user, an entry's `this_port_only` flag, temporary keys, entries without
//! an address, conflicting values of repeated entries of one endpoint, IPv6 flow info and scope ids; bots'
//! bot flag; peers with a min access hash, users and channels without an access hash, usernames and phone
//! numbers, a second peer with the same bare id (the table's key); min contexts whose ids the reader would
//! refuse (a user or message id not positive); in layer-client files, also basic groups,
//! channel kinds, min contexts and the logout token (it has no place for any of them: the logout token is
//! reported by name only); the api id, test-mode flag, takeout id, device info and times.
//!
//! Refused ([`InteropError::Unwritable`]): a DC id outside 1 to [`MAX_DC_ID`](super::common::MAX_DC_ID), an
//! address no client can connect to or with port 0, a peer whose kind does not match its id or whose id is
//! not valid, a channel state of an id that is not a channel's.

mod read;
mod schema;
mod write;

use session_core::Session;

use crate::error::InteropError;
use crate::format::Format;
use crate::report::{Exported, Imported};

/// Which library's database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// layer-client 0.5.0 (`layer-sqlite`).
    LayerClient,
    /// ferogram-session 0.6.6 (`ferogram-sqlite`).
    Ferogram,
}

impl Flavor {
    /// The format of the flavor's files.
    fn format(self) -> Format {
        match self {
            Flavor::LayerClient => Format::LayerSqlite,
            Flavor::Ferogram => Format::FerogramSqlite,
        }
    }

    /// The library, for messages.
    fn library(self) -> &'static str {
        match self {
            Flavor::LayerClient => "layer-client",
            Flavor::Ferogram => "ferogram",
        }
    }
}

/// Reads a `flavor` SQLite session file.
pub(crate) fn read(flavor: Flavor, bytes: &[u8]) -> Result<Imported, InteropError> {
    read::read(flavor, bytes)
}

/// Writes `session` as a `flavor` SQLite session file.
pub(crate) fn write(flavor: Flavor, session: &Session) -> Result<Exported, InteropError> {
    write::write(flavor, session)
}
