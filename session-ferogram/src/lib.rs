//! Keep a [ferogram](https://crates.io/crates/ferogram) 0.6 session in any tgsession storage: a file,
//! sled, Redis, PostgreSQL or S3.
//!
//! layer-client 0.5, ferogram's predecessor, has the same `SessionBackend` trait, but over a
//! `PersistedSession` type that it does not export (it lives in a private module), so no crate outside
//! layer-client can implement that trait: there is no `LayerBackend`. A layer session file still moves to
//! any storage with `tgsession copy` and is then used through ferogram.
//!
//! ```no_run
//! use std::sync::Arc;
//! use session_ferogram::FerogramBackend;
//! use session_file::FileStorage;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let backend = FerogramBackend::open(FileStorage::new("bot.session")?).await?;
//! let builder = ferogram::Client::builder()
//!     .api_id(12345)
//!     .api_hash("0123456789abcdef0123456789abcdef")
//!     .session_backend(Arc::new(backend));
//! // builder.connect().await? ... as usual
//! # Ok(()) }
//! ```
//!
//! # Threads and durability
//!
//! ferogram's `SessionBackend` is synchronous. It calls `load` on its async task while connecting, and
//! `save` and `apply_update_state` on Tokio's blocking pool. [`FerogramBackend::open`] loads the session
//! ahead (it is async), so `load` only copies it from memory and never blocks a runtime thread. Every
//! other call is sent to a thread the backend owns, which writes with its own single-threaded runtime
//! while the caller waits: it never needs the caller's runtime, so it works the same from a plain thread, a
//! blocking-pool thread, a multi-thread runtime's worker (which it blocks for the time of one write) or
//! inside a current-thread runtime. When it returns `Ok`, the change is stored as durably as the storage
//! promises for any write. A storage whose connection is driven by a task of a current-thread runtime
//! (a Redis `ConnectionManager` made there, for example) cannot progress while that runtime's only thread
//! is blocked in a call: the call then fails with the storage's operation timeout. ferogram itself never
//! makes a call that way.
//!
//! Over a storage with a journal, a call stores only what changed (a whole `save` of a session with
//! 100,000 peers of which 10 changed is one record of 10 peers).
//!
//! # How ferogram's session maps to a tgsession session
//!
//! | ferogram (`PersistedSession`) | tgsession ([`Session`](session_core::Session)) |
//! |---|---|
//! | `home_dc_id` (0 = none) | `home_dc` |
//! | one `DcEntry` per address: `dc_id`, `addr`, `auth_key`, `first_salt`, `time_offset`, `flags` | one [`DcEntry`](session_core::DcEntry) each, in order: `ipv4` or `ipv6` from `addr` (`""` = no address), `auth_key`, `server_salt`, `time_offset`, the media-only / TCPO / CDN / static flags |
//! | `updates_state` (all zero without channels = none) | `update_state`, channels by id |
//! | `CachedPeer`: user, `is_chat` basic group, `is_channel` or `is_community` channel; `channel_kind`; `access_hash` (0 = none) | `peers`: `PeerId` of that class; kind user (or bot, when the stored peer is one), chat, broadcast / megagroup / gigagroup, or channel when unknown |
//! | `min_peers`: `CachedMinPeer` (`user_id`, `peer_id`, `msg_id`) | `min_contexts`: by user id, a [`MinContext`](session_core::MinContext) (`chat_id`, `msg_id`) |
//! | `future_auth_token` (empty = none) | `logout_token`, a [`LogoutToken`](session_core::LogoutToken) (zeroized, never printed); one longer than 1024 bytes is refused like an address that is no `ip:port` |
//!
//! When ferogram stores a session, whatever it cannot express is kept from the stored session: the
//! device, user, api id, test mode, takeout id, timestamps and sections of newer versions; peers'
//! usernames, phone numbers and bot kind, and their min flag while the access hash is unchanged; a DC
//! entry's temporary key (while its permanent key is unchanged), `this_port_only` flag and IPv6 flow info
//! and scope id. A stored DC entry with both an IPv4 and an IPv6 address appears to ferogram as two entries
//! (as ferogram keeps them) and is stored back as two.
//!
//! # What is not stored
//!
//! The tgsession model has no place for these, so they are kept **in memory only**, for the life of the
//! backend: `load` returns them as they were given, but after a restart the session comes back without
//! them.
//!
//! - `is_community`: a community comes back as a channel of unknown kind (same id and access hash; it is
//!   addressed as a channel);
//! - what ferogram's own file cannot hold either or that contradicts itself: flag bits ferogram does not
//!   define, an IPv6 flag that disagrees with the address (the address decides), a `channel_kind` on a user
//!   or basic group, `is_channel` together with `is_chat` (a basic group, as in ferogram's file);
//! - the order of peers, channel states and min peers (they come back sorted by id) and repeated listings
//!   (a peer listed twice in the same class, a channel's pts or a min peer's user listed twice, keeps its
//!   first listing: the one ferogram reads);
//! - an address's spelling: `[2001:0b28::a]:443` comes back as `[2001:b28::a]:443`.
//!
//! `save` refuses (`InvalidInput`, nothing stored) a DC address that is not an `ip:port`, such as a host
//! name, which ferogram never writes.
//!
//! # Moving an existing ferogram session
//!
//! `tgsession copy ferogram.session 'redis://127.0.0.1/?slot=bot'` imports a ferogram or layer session file
//! (`session-interop` reads every version); then open the slot with [`FerogramBackend::open`].

mod backend;
mod error;
mod map;
mod ops;
mod worker;

pub use crate::backend::FerogramBackend;
pub use ferogram_session;
