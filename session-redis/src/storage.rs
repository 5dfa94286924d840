//! The storage handle: a connection manager, a slot, the keys they make, and the handle's settings.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use session_core::{ErrorKind, Slot, StorageError};

use crate::commands::Keys;
use crate::config::{connect_manager, redact_url, Timeouts, DEFAULT_OPERATION_TIMEOUT};
use crate::error::BACKEND;

/// The longest TTL a handle sends to Redis: 2^32 seconds (about 136 years), in milliseconds.
const MAX_TTL_MILLIS: u64 = (1 << 32) * 1000;

/// A session storage that keeps one slot as two Redis strings, reached through a
/// [`ConnectionManager`](redis::aio::ConnectionManager).
///
/// # Keys and layout
///
/// The slot's session lives under the key `prefix ++ slot name` (the bytes of the prefix followed by the
/// UTF-8 bytes of the [`Slot`]). The prefix is [`DEFAULT_PREFIX`](Self::DEFAULT_PREFIX) (`tgsession:`)
/// unless [`with_prefix`](Self::with_prefix) sets another, so slot `main` is the key `tgsession:main`.
///
/// | key                                  | value (a Redis string)                                                |
/// |--------------------------------------|-----------------------------------------------------------------------|
/// | [`key`](Self::key): `tgsession:main`  | the session's bytes, exactly as stored (raw, no encoding)             |
/// | [`version_key`](Self::version_key): `tgsession:main#version` | a 16-byte token, new with every write: the slot's [`Version`](session_core::Version) |
///
/// `GET tgsession:main` reads a session by hand. The version key is the data key followed by
/// [`VERSION_SUFFIX`](Self::VERSION_SUFFIX) (`#version`); slot names cannot contain `#`, so it is never the
/// data key of another slot. Every write sets both keys, `delete` removes both, and both carry the same TTL.
/// The slot is present exactly when its data key exists: a version key without its data key is ignored and
/// replaced by the next write. A slot that was never written or was deleted has neither key.
///
/// Prefixes let several applications share one server and database: handles with different prefixes never
/// see each other's data, provided no prefix plus slot name spells another prefix plus slot name. A prefix
/// never contains `#` ([`with_prefix`](Self::with_prefix) refuses it). Prefixes that end in a byte slot names cannot contain (such as `/`) rule this out; the default
/// ends in `:`, which slot names may contain, so do not combine it with a prefix such as `tgsession` that is
/// a prefix of it.
///
/// Both keys of a slot are read and written in one command, transaction or script, which a Redis Cluster
/// accepts only for keys of one hash slot; this adapter talks to a single server.
///
/// # Operations
///
/// Every call is one round trip:
///
/// | call             | commands                                                                        |
/// |------------------|---------------------------------------------------------------------------------|
/// | `load`           | `GET key`                                                                       |
/// | `load_versioned` | `MULTI`, `GET key`, `GET key#version`, `EXEC`                                   |
/// | `store`          | `MSET key <value> key#version <token>`; with a TTL `MULTI`, `SET key <value> PX <ttl>`, `SET key#version <token> PX <ttl>`, `EXEC` |
/// | `store_if`       | a Lua script (`EVALSHA`) that checks the version key (or that the data key is absent), then sets both keys (`SET`, with `PX <ttl>` when the handle has a TTL) |
/// | `delete`         | `DEL key key#version`                                                           |
///
/// Value and version change together in one command or transaction, so readers never see one without the
/// other, and a conditional write cannot run in between. Redis runs the script atomically, so nothing can
/// write between its check and its write. Every write (plain `store` included) stores a new token, so a
/// version read before any later write is stale. `delete` removes both keys; tokens are never reused (64
/// random bits per process plus a per-process counter), so a version from before a delete stays stale after
/// the slot is written again. If the server has lost the script (after a restart, or `SCRIPT FLUSH`), it is
/// loaded again with `SCRIPT LOAD` transparently.
///
/// `load_versioned` uses a transaction rather than `MGET`, which answers nil for a key of another type: a
/// foreign key then fails with [`Corrupt`](session_core::ErrorKind::Corrupt) instead of looking absent.
/// A plain `store` does not go through Lua, which copies the value into the script's memory and out again
/// (a 1 MiB `store_if` takes several times as long as a bare `SET` on loopback).
///
/// # Expiry
///
/// Keys never expire unless [`with_ttl`](Self::with_ttl) sets a time to live: then every write
/// (`store`, `store_if`) sets it afresh on both keys (`SET ... PX`), so the TTL counts from the last write.
/// A write of a handle without a TTL removes one left by another handle (`MSET`, and `SET` without `PX`,
/// do). The data key is set first, so its version key never expires before it (the server may set their
/// expiry times a millisecond apart).
///
/// A server with a `maxmemory` eviction policy may evict one key of a slot without the other: without its
/// data key the slot is absent; without its version key, `load` still works, versioned calls fail with
/// [`Corrupt`](session_core::ErrorKind::Corrupt) or [`Conflict`](session_core::ErrorKind::Conflict), and
/// the next plain `store` or `delete` repairs the slot.
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
/// A write (`store`, `store_if`, `delete`) that fails with [`Timeout`](session_core::ErrorKind::Timeout), or
/// whose connection dropped after the command was sent, has an **unknown outcome**: the server may have
/// applied it, and a server that was only slow or frozen (a `SIGSTOP`, a long fork for a snapshot) applies
/// it when it resumes, after the call has returned. Such errors say so
/// ([`StorageError::outcome_unknown`](session_core::StorageError::outcome_unknown)). To resolve it, call
/// `load_versioned` and decide from what the slot holds; write with `store_if` over the version you read, so
/// that a late-applied write and yours never silently overwrite each other.
///
/// Cloning a handle is cheap; clones share the connection.
#[derive(Clone)]
pub struct RedisStorage {
    manager: ConnectionManager,
    slot: Slot,
    /// `prefix ++ slot ++ VERSION_SUFFIX`: the version key; the data key is it without the suffix, the
    /// prefix is `keys[..prefix_len]`.
    keys: Arc<[u8]>,
    prefix_len: usize,
    ttl: Option<Duration>,
    operation_timeout: Duration,
    /// The URL the handle connected to, with its password hidden; `None` when built from a manager.
    server: Option<Arc<str>>,
}

impl RedisStorage {
    /// The key prefix of a handle unless [`with_prefix`](Self::with_prefix) sets another.
    pub const DEFAULT_PREFIX: &'static [u8] = b"tgsession:";

    /// What follows the data key in the name of the version key: `#version`, with a `#` that slot names
    /// cannot contain.
    pub const VERSION_SUFFIX: &'static [u8] = b"#version";

    /// A handle on `slot` through `manager`, with the [default prefix](Self::DEFAULT_PREFIX), no TTL and
    /// the [default operation timeout](crate::DEFAULT_OPERATION_TIMEOUT).
    ///
    /// The manager's own settings decide how it reconnects: with the `redis` crate's defaults it retries
    /// with a back-off of several seconds, during which calls wait until their operation timeout. Build it
    /// with [`manager_config`](crate::manager_config) to have calls fail at once while the server is down.
    pub fn new(manager: ConnectionManager, slot: Slot) -> RedisStorage {
        RedisStorage {
            manager,
            keys: make_keys(Self::DEFAULT_PREFIX, &slot),
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
            keys: make_keys(self.prefix(), &slot),
            slot,
            ..self.clone()
        }
    }

    /// The same handle with the key prefix `prefix` instead of the current one; an empty prefix makes the
    /// key the bare slot name.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](session_core::ErrorKind::InvalidInput) if `prefix` contains `#`: a version
    /// key is the data key followed by `#version`, so with a `#` in the prefix one slot's data key could be
    /// another slot's version key (prefix `a#` and slot `version` would overwrite the version of slot `a`'s
    /// neighbour), and one slot's session bytes would land where another keeps its version.
    ///
    /// ```
    /// # fn check(storage: session_redis::RedisStorage) {
    /// assert!(storage.clone().with_prefix("app/").is_ok());
    /// assert!(storage.with_prefix("app#").is_err());
    /// # }
    /// ```
    pub fn with_prefix(mut self, prefix: impl AsRef<[u8]>) -> Result<RedisStorage, StorageError> {
        let prefix = prefix.as_ref();
        if prefix.contains(&b'#') {
            return Err(StorageError::new(
                ErrorKind::InvalidInput,
                BACKEND,
                format!(
                    "the key prefix \"{}\" contains `#`, which is reserved for the version keys \
                     (`<prefix><slot>#version`); choose a prefix without it",
                    prefix.escape_ascii()
                ),
            ));
        }
        self.keys = make_keys(prefix, &self.slot);
        self.prefix_len = prefix.len();
        Ok(self)
    }

    /// The same handle with a time to live for the slot's keys (`None`: they never expire, the default).
    ///
    /// Every write sets the TTL afresh, on the data key and the version key alike. It is rounded up to whole milliseconds, is at least 1 ms, and is
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
        &self.keys[..self.prefix_len]
    }

    /// The data key of the slot: the prefix followed by the slot name (`tgsession:main`). It holds the
    /// session's raw bytes as a Redis string, so `GET` on it returns exactly what was stored.
    ///
    /// The slot's version token lives beside it under [`version_key`](Self::version_key); both keys
    /// carry the same TTL. See [`RedisStorage`] for the whole layout.
    pub fn key(&self) -> &[u8] {
        &self.keys[..self.keys.len() - Self::VERSION_SUFFIX.len()]
    }

    /// The version key of the slot: the [data key](Self::key) followed by
    /// [`VERSION_SUFFIX`](Self::VERSION_SUFFIX) (`tgsession:main#version`). It holds the 16-byte version
    /// token of the value under the data key, with the same TTL.
    pub fn version_key(&self) -> &[u8] {
        &self.keys
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

    /// The data key and the version key, as the commands take them.
    pub(crate) fn keys(&self) -> Keys<'_> {
        Keys {
            data: self.key(),
            version: self.version_key(),
        }
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
            self.key().escape_ascii()
        )
    }
}

/// `prefix ++ slot name ++ VERSION_SUFFIX`.
fn make_keys(prefix: &[u8], slot: &Slot) -> Arc<[u8]> {
    [
        prefix,
        slot.as_str().as_bytes(),
        RedisStorage::VERSION_SUFFIX,
    ]
    .concat()
    .into()
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
