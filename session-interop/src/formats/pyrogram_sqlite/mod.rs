//! Pyrogram and Kurigram SQLite `.session` files: read schema 3 (Pyrogram 2.0) and 7 (Kurigram), write 3.
//!
//! The file's `version(number)` table holds the schema version; any other version than 3 or 7 is
//! [`InteropError::Unsupported`](crate::InteropError::Unsupported), naming it. Both versions have
//! `sessions(dc_id, api_id, test_mode, auth_key, date, user_id, is_bot)` with one row and
//! `peers(id, access_hash, type, username, phone_number, last_update_on)`; Kurigram adds
//! `sessions.server_address` and `port`, a `usernames(id, username)` table (several usernames per peer) and
//! `update_state(id, pts, qts, date, seq)` laid out like Telethon's. The reader goes by the columns and
//! tables a file has, so a schema-3 file without `api_id` (as Pyrogram 1.x wrote) reads too.
//!
//! **Reading.** The one `sessions` row gives the home DC and its key (a NULL or all-zero key: none), the api
//! id and the logged-in user (NULL: unknown; a user id of 0 is how Pyrogram says "not logged in" too), and
//! test mode (NULL: off). The address is Kurigram's `server_address:port` when the file has one, else
//! Telegram's public address of the DC from [the DC table](super::dc_table) (the one Pyrogram connects to),
//! so the DC id must then be one of the table's. Peers map by their marked id and `type` text: `user`, `bot`,
//! `group`, `channel`, `supergroup` → [`PeerKind`](session_core::PeerKind) `User`, `Bot`, `Chat`,
//! `Broadcast`, `Megagroup`; basic groups' access hash (Pyrogram stores 0) becomes none. Kurigram's update
//! state row 0 is the account's state and every other row a channel's pts (by bare id; a marked channel id
//! is accepted too). Dropped, with counts: `sessions.date`, the peers' `last_update_on` times, usernames
//! beyond a peer's first (Kurigram), and usernames of ids the `peers` table does not have.
//!
//! **Writing** produces schema 3 with the exact tables, indexes and trigger Pyrogram 2.0.106 creates, which
//! every Pyrogram 2 and Kurigram opens (Kurigram upgrades it). The home DC must be in the DC table (Pyrogram
//! keeps no address). The api id and the logged-in user are required ([`InteropError::MissingField`](crate::InteropError::MissingField)): Pyrogram
//! sends the stored api id with every connection, and takes a file without a user for one it has not logged
//! in with yet, so it would log in again and the session would be lost. `sessions.date` and
//! every `peers.last_update_on` are the time of writing (Unix seconds), as Pyrogram stamps the rows it saves:
//! Pyrogram treats a peer whose `last_update_on` is more than eight hours old as expired when it looks a
//! username up (`KeyError: 'Username expired'`), so an older stamp, such as 0, would make every cached
//! username unusable. The output is therefore not byte-for-byte deterministic: two writes of one session
//! differ in these two columns only (the time is the writer's one input besides the session). Usernames are
//! written lower-cased, as Pyrogram stores and looks them up. Reported
//! dropped: update state, other DCs, the home DC's address when it is not the table's, min peers, peers
//! without an access hash or without a marked id, unknown or gigagroup channel subtypes (written as
//! `channel` and `supergroup`), username case, salts and the rest [`common::unkept`](super::common::unkept)
//! lists.

mod peers;
mod read;
mod schema;
mod write;

pub(crate) use self::read::read;
pub(crate) use self::write::write;
