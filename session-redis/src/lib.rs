//! A [Redis](https://redis.io) storage for tgsession: each Telegram session is one Redis string, shared by
//! every worker that connects to the server, with an optional journal of small changes in a Redis list.
//!
//! [`RedisStorage`] implements [`SessionStorage`](session_core::SessionStorage),
//! [`SessionDelete`](session_core::SessionDelete), [`VersionedStorage`](session_core::VersionedStorage),
//! [`JournalStorage`](session_core::JournalStorage) and [`LeaseStorage`](session_core::LeaseStorage), and
//! passes the whole `session-conformance` suite against a real server.
//!
//! - A handle is built from a [`redis::aio::ConnectionManager`] plus a [`Slot`](session_core::Slot)
//!   ([`RedisStorage::new`]), or from a URL ([`RedisStorage::connect`]). The slot's session lives under the
//!   key `prefix ++ slot name`, with the prefix `tgsession:` unless [`RedisStorage::with_prefix`] sets another.
//! - That key is a plain Redis string holding the session's raw bytes (`GET tgsession:main` returns exactly
//!   what was stored); a second string key beside it, the key followed by `#version`
//!   ([`RedisStorage::version_key`]), holds a 16-byte version token, followed by the journal's epoch and base
//!   when the stored bytes are a snapshot that starts a journal; a list, the key followed by `#journal`
//!   ([`RedisStorage::journal_key`]), holds the journal's records. Every write sets or removes them
//!   together, `delete` removes all three (not the lease key), and all carry the same TTL. Conditional writes
//!   ([`store_if`](session_core::VersionedStorage::store_if)), appends and compactions each run as one Lua
//!   script, atomically on the server. See [`RedisStorage`] for the layout and the commands.
//! - An [`append`](session_core::JournalStorage::append) is one `EVALSHA` of two commands (`GET` the head to
//!   check the epoch, `RPUSH` the record); `load` returns the snapshot with the records applied.
//! - A slot's [lease](session_core::lease) (one running client per account) is a hash beside it,
//!   `<key>#lease` ([`RedisStorage::lease_key`]), on the server's clock; each lease operation is one Lua
//!   script, and each write under a lease (`write_fenced`) is the write's own script preceded by the
//!   fencing-token check. Tokens never repeat; after a failover to a replica that missed the last lease
//!   write, two holders are possible, and so they are if an `allkeys-*` eviction policy evicts the lease
//!   hash (it has no expiry, so `volatile-*` policies never do): see [Leases](RedisStorage#leases) for the
//!   design and the caveats.
//! - Keys never expire unless [`RedisStorage::with_ttl`] sets a time to live.
//! - A write is durable as the server's persistence settings make it: with `appendonly yes` and
//!   `appendfsync always` an acknowledged append survives a machine crash, with `everysec` it may lose the
//!   last second or two (see [Durability](RedisStorage#durability)).
//! - Every call is bounded by an operation timeout ([`DEFAULT_OPERATION_TIMEOUT`]) and connecting by a
//!   connect timeout ([`DEFAULT_CONNECT_TIMEOUT`]); the connection manager reconnects after a server
//!   restart, and the same handle keeps working.
//! - `Debug` and error messages show the URL with its password replaced by `***`, and never a session's or
//!   a record's bytes.
//! - `redis` itself is re-exported, so `session_redis::redis` is always the version this crate was built
//!   with.
//!
//! ```no_run
//! use session_core::{
//!     Bytes, Expect, JournalPosition, JournalStorage, Patch, Record, Session, SessionStorage, Slot,
//!     VersionedStorage,
//! };
//! use session_redis::RedisStorage;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let storage = RedisStorage::connect("redis://127.0.0.1:6379/", Slot::new("main")?).await?;
//! assert_eq!(storage.key(), b"tgsession:main");
//! assert_eq!(storage.version_key(), b"tgsession:main#version");
//! assert_eq!(storage.journal_key(), b"tgsession:main#journal");
//!
//! storage.store(Bytes::from_static(b"session bytes")).await?;
//! assert_eq!(storage.load().await?.as_deref(), Some(&b"session bytes"[..]));
//!
//! // Conditional writes: only one of two writers holding the same version wins.
//! let (_, version) = storage.load_versioned().await?.expect("stored above");
//! storage.store_if(Bytes::from_static(b"next"), Expect::Version(version.clone())).await?;
//! let lost = storage.store_if(Bytes::from_static(b"other"), Expect::Version(version)).await;
//! assert_eq!(lost.unwrap_err().kind(), session_core::ErrorKind::Conflict);
//!
//! // More slots on the same connection:
//! let bot = storage.for_slot(Slot::new("bot-1")?);
//! assert_eq!(bot.load().await?, None);
//!
//! // A journal: store a snapshot that starts one, then append small changes.
//! let position = JournalPosition::start();
//! storage.store(Session::default().encode_snapshot(&position)?.into()).await?;
//! let mut patch = Patch::new();
//! patch.set_home_dc(Some(2));
//! let index = storage.append(position.epoch, Record::encode_patch(position.epoch, &patch)?.into()).await?;
//! assert_eq!(index, position.next);
//! let loaded = Session::decode(&storage.load().await?.expect("stored above"))?;
//! assert_eq!(loaded.home_dc, Some(2));
//! # Ok(())
//! # }
//! ```
//!
//! # Errors
//!
//! Redis errors are mapped to a [`StorageError`](session_core::StorageError) whose source is the
//! [`redis::RedisError`]:
//!
//! | cause                                                            | kind               |
//! |------------------------------------------------------------------|--------------------|
//! | connection refused, lost, or the host unreachable; `LOADING`, `READONLY`, `OOM` | `Unavailable` |
//! | no answer within the connect or operation timeout                | `Timeout`          |
//! | wrong credentials, `NOAUTH`, `WRONGPASS`, `NOPERM` (ACL)         | `PermissionDenied` |
//! | a URL that does not parse, a database number out of range, a cluster node | `Config`  |
//! | a key holds another Redis type (`WRONGTYPE`), or a data key has no version key | `Corrupt` |
//! | a snapshot and its records that do not replay                   | `Corrupt` (`Unsupported` for a newer format) |
//! | `store_if` found another state than expected; `append` or `compact` found another epoch, no journal, or an absent slot; `compact` past the last record or behind the snapshot | `Conflict` |
//! | `compact` with a snapshot that does not name the position given  | `InvalidInput`     |
//! | `acquire_lease` of a slot another holder's lease holds (or lapsed less than the takeover delay ago) | `Held` |
//! | `renew_lease` or `write_fenced` under a token that is no longer the slot's lease                    | `Fenced` |

mod commands;
mod config;
mod error;
mod head;
mod journal;
mod lease;
mod lease_scripts;
mod ops;
mod reply;
mod scripts;
mod storage;
mod token;

pub use redis;

pub use crate::config::{
    connect_manager, manager_config, Timeouts, DEFAULT_CONNECT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT,
};
pub use crate::storage::RedisStorage;
