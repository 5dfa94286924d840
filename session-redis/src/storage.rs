//! The storage handle: a connection manager, a slot, the key they make, and the handle's settings.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use session_core::{Slot, StorageError};

use crate::config::{connect_manager, redact_url, Timeouts, DEFAULT_OPERATION_TIMEOUT};

/// The longest TTL a handle sends to Redis: 2^32 seconds (about 136 years), in milliseconds.
const MAX_TTL_MILLIS: u64 = (1 << 32) * 1000;

/// A session storage that keeps one slot as one Redis hash, reached through a
/// [`ConnectionManager`](redis::aio::ConnectionManager).
///
/// # Keys and layout
///
/// The slot's value lives under the key `prefix ++ slot name` (the bytes of the prefix followed by the
/// UTF-8 bytes of the [`Slot`]). The prefix is [`DEFAULT_PREFIX`](Self::DEFAULT_PREFIX) (`tgsession:`)
/// unless [`with_prefix`](Self::with_prefix) sets another, so slot `main` is the key `tgsession:main`.
///
/// The key holds a hash with two fields:
///
/// | field     | value                                                                          |
/// |-----------|--------------------------------------------------------------------------------|
/// | `data`    | the session's bytes, exactly as stored (raw, no encoding)                       |
/// | `version` | a 16-byte token, new with every write: the slot's [`Version`](session_core::Version) |
///
/// `HGET <key> data` reads a session by hand. A slot that was never written or was deleted has no key.
/// One key per slot keeps every operation on one key, so writes are atomic without transactions, and the
/// key works in a Redis Cluster hash slot of its own (this adapter talks to a single server, though).
///
/// Prefixes let several applications share one server and database: handles with different prefixes never
/// see each other's data, provided no prefix plus slot name spells another prefix plus slot name. Prefixes
/// that end in a byte slot names cannot contain (such as `/` or `#`) rule this out; the default ends in `:`,
/// which slot names may contain, so do not combine it with a prefix such as `tgsession` that is a prefix of it.
///
/// # Operations
///
/// Every call is one round trip:
///
/// | call             | commands                                                                        |
/// |------------------|---------------------------------------------------------------------------------|
/// | `load`           | `HGET key data`                                                                 |
/// | `load_versioned` | `HMGET key data version`                                                        |
/// | `store`          | `HSET key data <value> version <token>`, then `PERSIST key` (`PEXPIRE key <ttl>` with a TTL), pipelined |
/// | `store_if`       | a Lua script (`EVALSHA`) that checks the `version` field (or that the key is absent), then writes as `store` does |
/// | `delete`         | `DEL key`                                                                       |
///
/// A store sets value and version with one `HSET`, so readers never see one without the other. Redis runs
/// the script atomically, so nothing can write between its check and its write. Every write (plain `store`
/// included) stores a new token, so a version read before any later write is stale. `delete` removes the
/// key with its token; tokens are never reused (64 random bits per process plus a per-process counter), so
/// a version from before a delete stays stale after the slot is written again. If the server has lost the
/// script (after a restart, or `SCRIPT FLUSH`), it is loaded again with `SCRIPT LOAD` transparently.
///
/// A plain `store` does not go through Lua, which copies the value into the script's memory and out again:
/// on the benchmark machine (loopback) a 1 MiB `store_if` took about 2.3 ms against 0.35 ms for a bare
/// `SET`, a 4 KiB one about 10 % more than a plain `store`. A plain `store` took about 7 % more than `SET`
/// for 4 KiB and about 20 % more for 1 MiB, since `HSET` costs the server about 0.1 ms more per MiB than
/// `SET`; over a real network the transfer dwarfs both.
///
/// # Expiry
///
/// Keys never expire unless [`with_ttl`](Self::with_ttl) sets a time to live: then every write
/// (`store`, `store_if`) sets it afresh (`PEXPIRE`), so the TTL counts from the last write. A handle
/// without a TTL removes one left by another handle (`PERSIST`). The expiry command of a plain `store`
/// follows its `HSET` in the same round trip but not atomically with it: only when two handles with
/// different TTL settings store into the same key at the same moment may the key end up with the TTL
/// setting of the writer whose value was replaced.
///
/// # Durability
///
/// A write returns `Ok` once the server has applied it in memory; whether it survives a server crash
/// depends on the server's persistence settings (`appendonly`, `appendfsync`, `save`).
///
/// # Time limits and reconnection
///
/// Every call is bounded by the [operation timeout](Self::with_operation_timeout) (default
/// [`DEFAULT_OPERATION_TIMEOUT`](crate::DEFAULT_OPERATION_TIMEOUT)), which includes waiting for a
/// reconnection. When the connection is lost, the [`ConnectionManager`] reconnects in the background; a
/// call that failed because the server refused the connection (nothing was sent) is tried once more on
/// the new connection within the same time limit, and so is a `load`, `load_versioned`, `store` or `delete`
/// whose connection dropped (doing them twice is harmless). A `store_if` whose connection dropped is not
/// repeated, since it may have been applied: it fails with
/// [`Unavailable`](session_core::ErrorKind::Unavailable), and the caller should load the slot to see.
///
/// Cloning a handle is cheap; clones share the connection.
#[derive(Clone)]
pub struct RedisStorage {
    manager: ConnectionManager,
    slot: Slot,
    /// `prefix ++ slot`; the prefix is `key[..prefix_len]`.
    key: Arc<[u8]>,
    prefix_len: usize,
    ttl: Option<Duration>,
    operation_timeout: Duration,
    /// The URL the handle connected to, with its password hidden; `None` when built from a manager.
    server: Option<Arc<str>>,
}

impl RedisStorage {
    /// The key prefix of a handle unless [`with_prefix`](Self::with_prefix) sets another.
    pub const DEFAULT_PREFIX: &'static [u8] = b"tgsession:";

    /// A handle on `slot` through `manager`, with the [default prefix](Self::DEFAULT_PREFIX), no TTL and
    /// the [default operation timeout](crate::DEFAULT_OPERATION_TIMEOUT).
    ///
    /// The manager's own settings decide how it reconnects: with the `redis` crate's defaults it retries
    /// with a back-off of several seconds, during which calls wait until their operation timeout. Build it
    /// with [`manager_config`](crate::manager_config) to have calls fail at once while the server is down.
    pub fn new(manager: ConnectionManager, slot: Slot) -> RedisStorage {
        RedisStorage {
            manager,
            key: make_key(Self::DEFAULT_PREFIX, &slot),
            prefix_len: Self::DEFAULT_PREFIX.len(),
            slot,
            ttl: None,
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            server: None,
        }
    }

    /// Connects to the server at `url` with the default [`Timeouts`] and returns a handle on `slot`.
    ///
    /// See [`connect_with`](Self::connect_with).
    ///
    /// # Errors
    ///
    /// Those of [`connect_manager`](crate::connect_manager).
    pub async fn connect(url: &str, slot: Slot) -> Result<RedisStorage, StorageError> {
        Self::connect_with(url, slot, Timeouts::default()).await
    }

    /// Connects to the server at `url` with [`connect_manager`](crate::connect_manager) and returns a handle on
    /// `slot` whose operation timeout is `timeouts.operation`.
    ///
    /// To keep several slots on one connection, make the other handles with [`for_slot`](Self::for_slot).
    ///
    /// # Errors
    ///
    /// Those of [`connect_manager`](crate::connect_manager).
    pub async fn connect_with(
        url: &str,
        slot: Slot,
        timeouts: Timeouts,
    ) -> Result<RedisStorage, StorageError> {
        let manager = connect_manager(url, timeouts).await?;
        let mut storage =
            RedisStorage::new(manager, slot).with_operation_timeout(timeouts.operation);
        storage.server = Some(redact_url(url).into());
        Ok(storage)
    }

    /// A handle on `slot` with this handle's connection and settings (prefix, TTL, timeout).
    pub fn for_slot(&self, slot: Slot) -> RedisStorage {
        RedisStorage {
            key: make_key(self.prefix(), &slot),
            slot,
            ..self.clone()
        }
    }

    /// The same handle with the key prefix `prefix` instead of the current one; an empty prefix makes the
    /// key the bare slot name.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl AsRef<[u8]>) -> RedisStorage {
        let prefix = prefix.as_ref();
        self.key = make_key(prefix, &self.slot);
        self.prefix_len = prefix.len();
        self
    }

    /// The same handle with a time to live for the key (`None`: the key never expires, the default).
    ///
    /// Every write sets the TTL afresh. It is rounded up to whole milliseconds, is at least 1 ms, and is
    /// capped at 2^32 seconds (about 136 years).
    #[must_use]
    pub fn with_ttl(mut self, ttl: Option<Duration>) -> RedisStorage {
        self.ttl = ttl;
        self
    }

    /// The same handle with `timeout` as the limit of every call (default
    /// [`DEFAULT_OPERATION_TIMEOUT`](crate::DEFAULT_OPERATION_TIMEOUT)).
    #[must_use]
    pub fn with_operation_timeout(mut self, timeout: Duration) -> RedisStorage {
        self.operation_timeout = timeout;
        self
    }

    /// The slot of this handle.
    pub fn slot(&self) -> &Slot {
        &self.slot
    }

    /// The key prefix.
    pub fn prefix(&self) -> &[u8] {
        &self.key[..self.prefix_len]
    }

    /// The Redis key of the slot: the prefix followed by the slot name.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The time to live set on every write, if any.
    pub fn ttl(&self) -> Option<Duration> {
        self.ttl
    }

    /// The limit of every call.
    pub fn operation_timeout(&self) -> Duration {
        self.operation_timeout
    }

    /// The connection manager the handle sends its commands through.
    pub fn manager(&self) -> &ConnectionManager {
        &self.manager
    }

    /// The TTL in milliseconds as the write commands take it: `0` for none.
    pub(crate) fn ttl_millis(&self) -> u64 {
        self.ttl.map_or(0, |ttl| {
            let millis = ttl.as_nanos().div_ceil(1_000_000);
            u64::try_from(millis).map_or(MAX_TTL_MILLIS, |millis| millis.clamp(1, MAX_TTL_MILLIS))
        })
    }

    /// What operation `op` on this handle is, for error messages: `load slot "main" (key "tgsession:main")`.
    pub(crate) fn action(&self, op: &str) -> String {
        format!(
            "{op} slot {:?} (key \"{}\")",
            self.slot,
            self.key.escape_ascii()
        )
    }
}

/// `prefix ++ slot name`.
fn make_key(prefix: &[u8], slot: &Slot) -> Arc<[u8]> {
    [prefix, slot.as_str().as_bytes()].concat().into()
}

impl fmt::Debug for RedisStorage {
    /// Shows where the session lives and the settings; the server's URL only with its password replaced by
    /// `***`, and never the stored value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let server: &str = self.server.as_deref().unwrap_or("<a ConnectionManager>");
        f.debug_struct("RedisStorage")
            .field("server", &server)
            .field("slot", &self.slot)
            .field(
                "prefix",
                &format_args!("\"{}\"", self.prefix().escape_ascii()),
            )
            .field("ttl", &self.ttl)
            .field("operation_timeout", &self.operation_timeout)
            .finish()
    }
}
