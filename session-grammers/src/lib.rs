//! Keep a [grammers](https://codeberg.org/Lonami/grammers) 0.11 client's session in any tgsession storage:
//! a file, sled, Redis, PostgreSQL, S3 or your own.
//!
//! [`GrammersSession`] implements [`grammers_session::Session`], so it goes wherever grammers takes a
//! session:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use grammers_client::{Client, SenderPool};
//! use session_file::FileStorage;
//! use session_grammers::GrammersSession;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let session = Arc::new(GrammersSession::open(FileStorage::new("bot.tgs")?).await?);
//! let SenderPool { runner, handle, .. } = SenderPool::new(Arc::clone(&session), 12345);
//! let client = Client::new(handle);
//! tokio::spawn(runner.run());
//! // ... log in and use `client`; before exiting:
//! session.flush().await?;
//! # drop(client);
//! # Ok(())
//! # }
//! ```
//!
//! [`GrammersSession::open`] takes a storage with a journal (`FileStorage`, `SledStorage`, `RedisStorage`,
//! `PostgresStorage`, `MemoryStorage`): a change is persisted as one small record, so caching the 50 peers
//! of an update batch costs one append, not a rewrite of the session.
//! [`GrammersSession::open_snapshots`] takes a storage without a journal (`S3Storage`): a change stores the
//! whole session. (Rust cannot choose between the two by itself, hence two constructors.) Both take the
//! slot's lease, so a second client on the same slot fails with `Held`;
//! [`GrammersSession::open_unleased`] and [`GrammersSession::open_snapshots_unleased`] opt out (for a
//! storage of your own without a lease).
//!
//! # Durability
//!
//! Reads are answered from memory. `set_home_dc_id` and `set_dc_option` (which carries the auth key) are
//! durable when their future completes. `cache_peer(s)` and `set_update_state` are durable when their future
//! completes too, unless [`GrammersSession::with_write_window`] sets a window within which they are
//! coalesced and flushed in the background; then a crash loses at most that window's peers and update state.
//! See [`GrammersSession`] for drop and errors.
//!
//! # Behaviour
//!
//! Every method behaves as grammers' own `SqliteSession`; a test runs random sequences of calls against
//! `SqliteSession`, `MemorySession` and `GrammersSession` over memory, a file and Redis and compares every
//! result. In particular:
//!
//! - an empty session answers grammers' defaults: home DC 2, grammers' statically known address of DCs 1
//!   to 5 (without keys), no peers, an all-zero update state;
//! - `cache_peer` extends what is cached ([`PeerInfo::extend_info`](grammers_session::types::PeerInfo)): what
//!   the new information does not know keeps its cached value;
//! - a user's `bot` and `is_self` read back both known when the user is a bot or the logged-in user and both
//!   unknown otherwise, as `SqliteSession` stores them; `peer(PeerId::self_user())` gives the logged-in user;
//! - `updates_state` lists channels in id order.
//!
//! # Mapping to the tgsession model
//!
//! | grammers | tgsession [`Session`](session_core::Session) |
//! |---|---|
//! | home DC | `home_dc` |
//! | `DcOption` of DC *n* (addresses, auth key) | the main (not media-only, not CDN) [`DcEntry`](session_core::DcEntry) of DC *n*: `ipv4`, `ipv6`, `auth_key`; its salt and temporary key are cleared when the key changes, flags and clock offset are kept |
//! | `PeerInfo::User` (`auth`, `bot`) | a peer `PeerId::User` of kind `User` or `Bot` with its access hash |
//! | `PeerInfo::User { is_self: Some(true) }` | also [`Session::user`](session_core::Session) (`id`, `bot`); `is_self: Some(false)` for that user clears it |
//! | `PeerInfo::Chat` | a peer `PeerId::Chat` of kind `Chat` |
//! | `PeerInfo::Channel` (`auth`, `kind`) | a peer `PeerId::Channel` of kind `Broadcast`, `Megagroup`, `Gigagroup`, or `Channel` (unknown) |
//! | `UpdatesState` (pts, qts, date, seq, channels) | `update_state` (`channels` by id) |
//!
//! What the bridge writes never drops what grammers does not know: usernames and phone numbers of peers, the
//! user's username and DC, device info, api id, other DC entries (media-only, CDN), DC flags and clock
//! offsets, and sections of newer format versions stay as they are.
//!
//! # What the model cannot hold, or grammers cannot see
//!
//! - **Community channels** (`ChannelKind::Community`) are stored as channels of unknown kind, and read back
//!   as `kind: None` — which is also what grammers' own `SqliteSession` reads them back as.
//! - **`bot` / `is_self` as three-valued fields**: a user cached with `bot: Some(false)` (and not the
//!   logged-in user) reads back `bot: None`, like in `SqliteSession` (grammers' `MemorySession` keeps it).
//! - **One logged-in user**: marking a second user `is_self` replaces the first (`SqliteSession` would keep
//!   both rows marked and answer `peer(self_user())` with the one of lowest id).
//! - **Min access hashes** (peers imported from other libraries with a "min" hash) are not offered to
//!   grammers, which could not use them outside their message; they are kept until grammers caches a real
//!   hash for the peer.
//! - **DC entries without an address** (a session imported from a library that keeps IPv4 only) answer
//!   grammers' known address of that DC in production, else the unspecified address.
//! - **Duplicated ids**: `UpdateState::All` listing a channel twice keeps the last pts (`SqliteSession` fails
//!   on it); `cache_peers` with a peer twice applies both in order (`SqliteSession` extends each from the
//!   cache as it was before the batch).
//!
//! # Migrating from grammers' own session file
//!
//! `tgsession copy me.session 'redis://127.0.0.1/?slot=me'` converts a grammers 0.11 SQLite session file
//! into a slot; `GrammersSession::open(RedisStorage::connect(url, Slot::new("me")?).await?)` then opens it.

mod convert;
mod error;
mod grammers;
mod session;

pub use grammers_session;
pub use session_core;

pub use crate::error::GrammersSessionError;
pub use crate::session::GrammersSession;
