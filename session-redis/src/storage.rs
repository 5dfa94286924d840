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

/// A session storage that keeps one slot as two Redis strings and, for a journal, a Redis list, reached
/// through a [`ConnectionManager`](redis::aio::ConnectionManager).
///
/// # Keys and layout
///
/// The slot's session lives under the key `prefix ++ slot name` (the bytes of the prefix followed by the
/// UTF-8 bytes of the [`Slot`]). The prefix is [`DEFAULT_PREFIX`](Self::DEFAULT_PREFIX) (`tgsession:`)
/// unless [`with_prefix`](Self::with_prefix) sets another, so slot `main` is the key `tgsession:main`.
///
/// | key                                  | value                                                                  |
/// |--------------------------------------|-----------------------------------------------------------------------|
/// | [`key`](Self::key): `tgsession:main`  | a string: the session's bytes, exactly as stored (raw, no encoding); with a journal, the snapshot |
/// | [`version_key`](Self::version_key): `tgsession:main#version` | a string: a 16-byte token, new with every write but an append; when the stored bytes are a snapshot with a journal position, followed by the journal's epoch (16 bytes) and base (the index of its first record, in decimal digits) |
/// | [`journal_key`](Self::journal_key): `tgsession:main#journal` | a list: the journal's records, oldest first ([`JournalStorage`](session_core::JournalStorage)); absent when there are none |
/// | [`lease_key`](Self::lease_key): `tgsession:main#lease` | a hash: the slot's current or last [lease](#leases) (`token`, `holder`, `expires_at`, `released`); absent until the first `acquire_lease`, then never deleted |
///
/// `GET tgsession:main` reads a session stored whole by hand (a journaled session is its snapshot; `load`
/// applies the records). The version and journal keys are the data key followed by
/// [`VERSION_SUFFIX`](Self::VERSION_SUFFIX) (`#version`) and [`JOURNAL_SUFFIX`](Self::JOURNAL_SUFFIX)
/// (`#journal`); slot names cannot contain `#`, so neither is ever the data key of another slot. Every write
/// sets or removes all three keys together, and they carry the same TTL. The slot is present exactly when
/// its data key exists: a version key or a list without its data key is ignored and replaced by the next
/// write. A slot that was never written or was deleted has none of the three (only the lease key, once it had a lease).
///
/// The slot's [`Version`](session_core::Version) is the version key's value, followed by `#` and the
/// number of records when the list holds any: an append changes it by making the list longer.
///
/// Prefixes let several applications share one server and database: handles with different prefixes never
/// see each other's data, provided no prefix plus slot name spells another prefix plus slot name. A prefix
/// never contains `#` ([`with_prefix`](Self::with_prefix) refuses it). Prefixes that end in a byte slot names cannot contain (such as `/`) rule this out; the default
/// ends in `:`, which slot names may contain, so do not combine it with a prefix such as `tgsession` that is
/// a prefix of it.
///
/// The keys of a slot are read and written in one command, transaction or script, which a Redis Cluster
/// accepts only for keys of one hash slot; this adapter talks to a single server, and its keys carry no
/// hash tag.
///
/// # Operations
///
/// Every call is one round trip:
///
/// | call             | commands                                                                        |
/// |------------------|---------------------------------------------------------------------------------|
/// | `load`, `load_versioned`, `load_journal` | `MULTI`, `GET key`, `GET key#version`, `LRANGE key#journal 0 -1`, `EXEC` |
/// | `store`          | `MULTI`, `MSET key <value> key#version <version>`, `DEL key#journal`, `EXEC`; with a TTL `SET ... PX <ttl>` for each string key instead of `MSET` |
/// | `store_if`       | a Lua script (`EVALSHA`) that checks the version (or that the data key is absent), then writes like `store` |
/// | `delete`         | `DEL key key#version key#journal`                                               |
/// | `append`         | a Lua script: `GET key#version` to check the epoch, `RPUSH key#journal <record>` |
/// | `compact`        | a Lua script: checks epoch and position (`GET`, `EXISTS`, `LLEN`), then `SET key`, `LTRIM key#journal <n> -1`, `SET key#version` |
///
/// Value, version and journal change together in one transaction or script, so readers never see one
/// without the others, and neither a conditional write nor an append can run in between. Redis runs a
/// script atomically, so nothing can write between its checks and its writes. Every write but an append
/// (plain `store` included) stores a new token, and an append lengthens the list, so a version read before
/// any later write is stale. `delete` removes the three keys (the lease key stays); tokens are never reused (64 random bits per process
/// plus a per-process counter), so a version from before a delete stays stale after the slot is written
/// again. If the server has lost a script (after a restart, or `SCRIPT FLUSH`), it is loaded again with
/// `SCRIPT LOAD` transparently.
///
/// The reads use a transaction rather than `MGET`, which answers nil for a key of another type: a foreign
/// key then fails with [`Corrupt`](session_core::ErrorKind::Corrupt) instead of looking absent. A plain
/// `store` does not go through Lua, which copies the value into the script's memory and out again (a 1 MiB
/// `store_if` takes several times as long as a bare `SET` on loopback); a `compact` does, once per
/// compaction.
///
/// # Journal
///
/// [`JournalStorage`](session_core::JournalStorage) keeps a snapshot and records after it, so that a small
/// change is one small append:
///
/// - `store` and `store_if` find the journal position of the stored bytes with
///   [`Session::snapshot_position`](session_core::Session::snapshot_position) and write it into the version
///   key as the head (epoch and base); bytes that are no snapshot with a position (or no tgsession session
///   at all) get no head, and then the slot has no journal. Either way the list is deleted.
/// - `append` checks the head's epoch and pushes the record, in one script of two commands; its index is
///   `base + list length - 1`. Appends to one slot are serialized by the server, so concurrent appends each
///   get their own index.
/// - `load` and `load_versioned` return the value as stored when the list is empty; otherwise the snapshot
///   with the records applied ([`Journal::replay`](session_core::Journal::replay)), encoded again with the
///   position after them (decoded and encoded on Tokio's blocking pool).
/// - `compact` checks (before sending anything) that the snapshot names the position given, else
///   [`InvalidInput`](session_core::ErrorKind::InvalidInput); then, in one script, that the slot's epoch is
///   the position's and its `next` lies between the base and the end of the list, else
///   [`Conflict`](session_core::ErrorKind::Conflict), changing nothing. It sets the snapshot and the new head
///   and `LTRIM`s exactly `next - base` records, so records appended meanwhile stay.
///
/// # Expiry
///
/// Keys never expire unless [`with_ttl`](Self::with_ttl) sets a time to live: then every write
/// (`store`, `store_if`, `append`, `compact`) sets it afresh on all the slot's keys (`SET ... PX`,
/// `PEXPIRE`), so the TTL counts from the last write. A `store`, `store_if` or `compact` of a handle without
/// a TTL removes one left by another handle (`MSET`, `SET` without `PX`, and `PERSIST` do); its `append`
/// leaves expiry as it is, except that a list it creates gets the data key's remaining TTL. The data key is
/// set first, so the other keys never expire before it.
///
/// A server with a `maxmemory` eviction policy may evict one key of a slot without the others: without its
/// data key the slot is absent; without its version key, `load` still works as long as the list is empty,
/// versioned calls and journal calls fail with [`Corrupt`](session_core::ErrorKind::Corrupt) or
/// [`Conflict`](session_core::ErrorKind::Conflict), and the next plain `store` or `delete` repairs the
/// slot; without its list, the records are lost and the slot reads as its snapshot. An append checks the
/// version key, not the data key (that would cost it a third command), so after the data key alone was
/// evicted or deleted by hand, an append of a handle without a TTL still succeeds into a list that nothing
/// reads and the next `store` or `delete` removes. Do not let Redis evict session keys.
///
/// # Durability
///
/// A write returns `Ok` once the server has applied it in memory; whether it survives a server crash
/// depends on the server's persistence settings. For an acknowledged `append` (and every other write):
///
/// - `appendonly yes` with `appendfsync always`: the server writes the command to its append-only file and
///   fsyncs it before it replies, so the record survives a crash of the server and of the machine.
/// - `appendfsync everysec` (Redis's default once `appendonly` is on): the file is fsynced about once a
///   second, so a crash of the machine (or a power loss) can lose the acknowledged writes of the last one
///   to two seconds. The command is normally written to the file before the reply, so it survives a crash
///   of the server process alone, except while a slow disk makes Redis postpone its writes (up to 2 s).
/// - `appendfsync no`: the kernel decides when to flush (typically within 30 s): a crash of the machine
///   can lose that much.
/// - `appendonly no`: only the `save` snapshots (RDB) are on disk; a restart loses every write since the
///   last one, and with `save ""` as well, everything.
///
/// A script's writes reach the append-only file as one `MULTI`/`EXEC` block, which Redis replays whole or
/// not at all (a block cut off by a crash is dropped when the file is loaded), so a crash never leaves half
/// an append, store or compaction. Replication to replicas is asynchronous: a failover can lose
/// acknowledged writes.
///
/// # Leases
///
/// [`LeaseStorage`](session_core::LeaseStorage) gives one holder at a time the slot (see
/// [`session_core::lease`]). The lease is the hash [`lease_key`](Self::lease_key), and every operation is one
/// Lua script, so it is atomic on the server:
///
/// | call            | script                                                                          |
/// |-----------------|---------------------------------------------------------------------------------|
/// | `acquire_lease` | `TIME`, `HMGET`; refuses ([`Held`](session_core::ErrorKind::Held), naming holder and time left) while the lease is held or lapsed less than the takeover delay ago; else `HSET token holder expires_at released=0` |
/// | `renew_lease`   | `TIME`, `HMGET`; if the token is current and not released, `HSET expires_at`; else [`Fenced`](session_core::ErrorKind::Fenced) |
/// | `release_lease` | `HMGET`; if the token is current, `HSET released 1`                             |
/// | `read_lease`, `break_lease` | `TIME`, `HMGET` (and for a break `HSET released 1`)                 |
/// | `write_fenced`  | the write's own script (a fenced `store` is `store_if`'s with no condition; a fenced `delete` a script of one `DEL`), preceded by `HMGET key#lease token released`: a token that is not the hash's, or a released lease, makes it write nothing and fail with [`Fenced`](session_core::ErrorKind::Fenced) |
///
/// - **Clock.** Expiry and the takeover delay are measured on the server's clock (`TIME` inside the
///   scripts; Redis 5 and later replicate the effects of such scripts), never a client's: holders' clocks
///   may disagree. `expires_at` is in milliseconds since the Unix epoch.
/// - **Tokens.** A new token is the greater of the last token plus 1 and the server's clock in
///   microseconds, so it is greater than every token before, and the hash is never deleted (`delete` and
///   the [TTL](Self::with_ttl) leave it; a few bytes per slot that ever had a lease). If the server loses
///   the hash (a restart without persistence, a failover to a replica that had not received the last
///   write), tokens still grow as long as the server's clock does not go back by more than the time the
///   server was gone; with persistence (`appendonly yes`) the stored token alone guarantees it.
/// - **Fencing.** Every write under a lease checks, in the same script, that its token is the hash's and
///   the lease was not released (a lease that lapsed and was not taken over still accepts its holder's
///   writes, which cannot race anyone's). Plain writes are not fenced.
/// - **Failover caveat.** Replication is asynchronous: after a failover, a promoted replica may have lost the
///   last lease write, so a second holder can acquire while the first still believes it holds the lease
///   (until its next renewal fails), and both may talk to Telegram; fencing still refuses the first
///   holder's writes once the second has the lease. A restart without persistence loses leases the same
///   way. Run Redis with `appendonly yes` (and `appendfsync always` to survive machine crashes), and with
///   replicas, make lease writes wait for one (`WAIT 1 <ms>` by a wrapper, or `min-replicas-to-write`), or
///   use a longer takeover delay; a lease is only as safe as the server's persistence.
/// - **Retries.** `acquire_lease`, `break_lease` and fenced writes are not sent again after a dropped
///   connection (an acquisition applied twice would refuse itself); `renew_lease`, `release_lease` and
///   `read_lease` are.
///
/// # Time limits and reconnection
///
/// Every call is bounded by the [operation timeout](Self::with_operation_timeout) (default
/// [`DEFAULT_OPERATION_TIMEOUT`](crate::DEFAULT_OPERATION_TIMEOUT)), which includes waiting for a
/// reconnection. When the connection is lost, the [`ConnectionManager`] reconnects in the background; a
/// call that failed because the server refused the connection (nothing was sent) is tried once more on
/// the new connection within the same time limit, and so is a `load`, `load_versioned`, `load_journal`,
/// `store` or `delete` whose connection dropped (doing them twice is harmless). A `store_if`, `append` or
/// `compact` whose connection dropped is not repeated, since it may have been applied (an append twice
/// would push its record twice): it fails with [`Unavailable`](session_core::ErrorKind::Unavailable), and
/// the caller should load the slot to see.
///
/// A write (`store`, `store_if`, `delete`, `append`, `compact`) that fails with
/// [`Timeout`](session_core::ErrorKind::Timeout), or whose connection dropped after the command was sent,
/// has an **unknown outcome**: the server may have applied it, and a server that was only slow or frozen (a
/// `SIGSTOP`, a long fork for a snapshot) applies it when it resumes, after the call has returned. Such
/// errors say so ([`StorageError::outcome_unknown`](session_core::StorageError::outcome_unknown)). To
/// resolve it, call `load_versioned` (or `load_journal`, to see whether a record is there) and decide from
/// what the slot holds; write with `store_if` over the version you read, so that a late-applied write and
/// yours never silently overwrite each other.
///
/// Cloning a handle is cheap; clones share the connection.
#[derive(Clone)]
pub struct RedisStorage {
    manager: ConnectionManager,
    slot: Slot,
    /// `prefix ++ slot ++ VERSION_SUFFIX`: the version key; the data key is it without the suffix, the
    /// prefix is `keys[..prefix_len]`.
    keys: Arc<[u8]>,
    /// `prefix ++ slot ++ JOURNAL_SUFFIX`: the journal key.
    journal_key: Arc<[u8]>,
    /// `prefix ++ slot ++ LEASE_SUFFIX`: the lease key.
    lease_key: Arc<[u8]>,
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

    /// What follows the data key in the name of the journal key: `#journal`, with a `#` that slot names
    /// cannot contain.
    pub const JOURNAL_SUFFIX: &'static [u8] = b"#journal";

    /// What follows the data key in the name of the lease key: `#lease`, with a `#` that slot names cannot
    /// contain.
    pub const LEASE_SUFFIX: &'static [u8] = b"#lease";

    /// A handle on `slot` through `manager`, with the [default prefix](Self::DEFAULT_PREFIX), no TTL and
    /// the [default operation timeout](crate::DEFAULT_OPERATION_TIMEOUT).
    ///
    /// The manager's own settings decide how it reconnects: with the `redis` crate's defaults it retries
    /// with a back-off of several seconds, during which calls wait until their operation timeout. Build it
    /// with [`manager_config`](crate::manager_config) to have calls fail at once while the server is down.
    pub fn new(manager: ConnectionManager, slot: Slot) -> RedisStorage {
        RedisStorage {
            manager,
            keys: make_key(Self::DEFAULT_PREFIX, &slot, Self::VERSION_SUFFIX),
            journal_key: make_key(Self::DEFAULT_PREFIX, &slot, Self::JOURNAL_SUFFIX),
            lease_key: make_key(Self::DEFAULT_PREFIX, &slot, Self::LEASE_SUFFIX),
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
            keys: make_key(self.prefix(), &slot, Self::VERSION_SUFFIX),
            journal_key: make_key(self.prefix(), &slot, Self::JOURNAL_SUFFIX),
            lease_key: make_key(self.prefix(), &slot, Self::LEASE_SUFFIX),
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
        self.keys = make_key(prefix, &self.slot, Self::VERSION_SUFFIX);
        self.journal_key = make_key(prefix, &self.slot, Self::JOURNAL_SUFFIX);
        self.lease_key = make_key(prefix, &self.slot, Self::LEASE_SUFFIX);
        self.prefix_len = prefix.len();
        Ok(self)
    }

    /// The same handle with a time to live for the slot's keys (`None`: they never expire, the default).
    ///
    /// Every write sets the TTL afresh, on the data key, the version key and the journal key alike. It is
    /// rounded up to whole milliseconds, is at least 1 ms, and is capped at 2^32 seconds (about 136 years).
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
    /// The slot's version token lives beside it under [`version_key`](Self::version_key), and its journal's
    /// records under [`journal_key`](Self::journal_key); all carry the same TTL. See [`RedisStorage`] for the
    /// whole layout.
    pub fn key(&self) -> &[u8] {
        &self.keys[..self.keys.len() - Self::VERSION_SUFFIX.len()]
    }

    /// The version key of the slot: the [data key](Self::key) followed by
    /// [`VERSION_SUFFIX`](Self::VERSION_SUFFIX) (`tgsession:main#version`), with the same TTL. It holds a
    /// 16-byte token, new with every write but an append, followed by the journal's epoch (16 bytes) and base
    /// (the index of its first record, in decimal digits) when the stored snapshot has a journal. The slot's
    /// [`Version`](session_core::Version) is this value, followed by `#` and the number of records when the
    /// [journal](Self::journal_key) holds any.
    pub fn version_key(&self) -> &[u8] {
        &self.keys
    }

    /// The journal key of the slot: the [data key](Self::key) followed by
    /// [`JOURNAL_SUFFIX`](Self::JOURNAL_SUFFIX) (`tgsession:main#journal`), with the same TTL. A Redis list
    /// of the journal's records (raw bytes, oldest first) when the slot has any; absent otherwise.
    pub fn journal_key(&self) -> &[u8] {
        &self.journal_key
    }

    /// The lease key of the slot: the [data key](Self::key) followed by [`LEASE_SUFFIX`](Self::LEASE_SUFFIX)
    /// (`tgsession:main#lease`). A Redis hash holding the slot's current or last
    /// [lease](session_core::LeaseStorage) (`token`, `holder`, `expires_at`, `released`) once one was taken;
    /// it never expires and `delete` keeps it, so fencing tokens never repeat. See [Leases](Self#leases).
    pub fn lease_key(&self) -> &[u8] {
        &self.lease_key
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

    /// The keys of the slot, as the commands take them.
    pub(crate) fn keys(&self) -> Keys<'_> {
        Keys {
            data: self.key(),
            version: self.version_key(),
            journal: self.journal_key(),
            lease: self.lease_key(),
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

/// `prefix ++ slot name ++ suffix`.
fn make_key(prefix: &[u8], slot: &Slot, suffix: &[u8]) -> Arc<[u8]> {
    [prefix, slot.as_str().as_bytes(), suffix].concat().into()
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
