//! A [sled](https://docs.rs/sled/0.34) storage for tgsession: each Telegram session is one key in an
//! embedded sled database.
//!
//! [`SledStorage`] implements [`SessionStorage`](session_core::SessionStorage),
//! [`SessionDelete`](session_core::SessionDelete), [`VersionedStorage`](session_core::VersionedStorage) and
//! [`JournalStorage`](session_core::JournalStorage) and [`LeaseStorage`](session_core::LeaseStorage) and passes
//! the whole `session-conformance` suite,
//! including the journal cases and persistence across closing and reopening the database and across a
//! crash.
//!
//! - A handle is built from an open [`sled::Db`] plus a [`Slot`](session_core::Slot), in the database's
//!   default tree ([`SledStorage::new`]) or a named one ([`SledStorage::in_tree`]); the slot's value lives
//!   under the key `prefix ++ slot name`, with the prefix `tgsession:` unless [`SledStorage::with_prefix`]
//!   sets another (see [`SledStorage`] for the details of the mapping). A journal lives beside it, under
//!   keys that start with that key and the byte `FF` (see *Journal*).
//! - Every write is one sled transaction over the slot's keys and is durable before it returns (see
//!   *Durability*); versions are content hashes (chained over the appends and compactions of a journal).
//! - [`open_db`] and [`SledStorage::open`] open a database at a path, keeping its directory private (see
//!   *Permissions*) and waiting briefly for the lock of a handle that is still closing.
//! - [`check_private`] reports what in a database directory other users could read or redirect.
//! - `sled` itself is re-exported, so `session_sled::sled` is always the version this crate was built with.
//!
//! # Durability
//!
//! sled 0.34.7's own flush does not make a write durable: it writes its log with `sync_file_range`, which
//! flushes neither the file's new size nor the device's write cache, and it never syncs the files under
//! `blobs/` (where it puts values and pages over about 128 KiB) nor any directory. So when
//! [`store`](session_core::SessionStorage::store), [`delete`](session_core::SessionDelete::delete),
//! [`store_if`](session_core::VersionedStorage::store_if), [`append`](session_core::JournalStorage::append)
//! or [`compact`](session_core::JournalStorage::compact) returns `Ok`, the adapter has, in this order:
//!
//! 1. flushed sled (`Tree::flush`: the log up to this write is written);
//! 2. `fdatasync`ed every blob file that is new or changed since it last synced it, and `fsync`ed `blobs/`
//!    if it has new names;
//! 3. `fdatasync`ed the `db` file (the log's data and size);
//! 4. on the first write through any handle on an open database, before all this: `fdatasync`ed `conf`
//!    and `fsync`ed `blobs/`, the database directory and its parent, whose entries sled created (or, for
//!    its snapshot, renamed) while opening the database without syncing them.
//!
//! The write, and every write acknowledged before it, then survives a crash or power loss, as far as the
//! file system and the disk honour `fsync`. A write that has not returned may be lost; sled then recovers
//! the value from before it. Not covered: writes made with sled directly (they are synced by the next write
//! through a handle, or by sled's own periodic flush, which never syncs blobs); the removal of obsolete blob
//! and snapshot files (after a crash they may come back and waste space); `temporary` databases, which are
//! never synced. The syncs cost one `fdatasync` per write, plus one per new blob file and one `fsync` of
//! `blobs/`: in `benches/sled.rs` (ext4 on a virtual disk, noisy) a 4 KiB store took 0.25 to 0.45 ms
//! instead of 0.1 ms (sled's flush plus one `fdatasync` took 0.17 to 0.3 ms; the rest is mostly the
//! transaction, see *Journal*), and a 1 MiB store (a blob) 4 to 8 ms instead of 3.5 ms. Every write lists
//! `blobs/`, so writes slow down while it holds many files (sled removes obsolete blobs lazily).
//!
//! # Lease
//!
//! [`LeaseStorage`](session_core::LeaseStorage) keeps the slot's lease record (holder, fencing token, expiry
//! on the system clock in ms, released or not; the checksummed record of `session_core::lease`) under
//! `key ++ FE`. Acquire, renew, release and break are one transaction each, durable like a store; every
//! fenced write checks the token in its own transaction, so a takeover never comes between the check and
//! the write. A delete keeps the record, so tokens never repeat. A sled database is open in one process at a
//! time: its lease excludes the tasks and components of that process that share the database.
//!
//! # Journal
//!
//! [`JournalStorage`](session_core::JournalStorage) keeps a slot's journal in the slot's tree, beside its
//! key (`key` is `prefix ++ slot name`):
//!
//! ```text
//! key                          the snapshot: the bytes last stored or compacted to, unchanged
//! key ++ FF                    the journal's state, while the snapshot names a journal position: format
//!                              u8 = 1, epoch [16], first u64 BE (the first record held, which is also the
//!                              snapshot's position), next u64 BE (the next record's index), the slot's
//!                              version (32 or 33 bytes)
//! key ++ FF ++ index (u64 BE)  the record at index, for every index from first to next
//! ```
//!
//! ```
//! use session_core::{Bytes, JournalPosition, JournalStorage, Patch, Record, Session, SessionStorage, Slot};
//! use session_sled::SledStorage;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let dir = tempfile::tempdir()?;
//! let db = session_sled::open_db(dir.path().join("sessions.sled"))?;
//! let storage = SledStorage::new(&db, Slot::new("main")?);
//! let start = JournalPosition::start();
//! storage.store(Bytes::from(Session::default().encode_snapshot(&start)?)).await?;
//!
//! let mut patch = Patch::new();
//! patch.set_home_dc(Some(2));
//! let record = Bytes::from(Record::encode_patch(start.epoch, &patch)?);
//! assert_eq!(storage.append(start.epoch, record.clone()).await?, 0);
//! assert_eq!(db.get(b"tgsession:main\xff\0\0\0\0\0\0\0\0")?.as_deref(), Some(&record[..]));
//! // A plain load sees the record applied.
//! let loaded = Session::decode(&storage.load().await?.expect("stored above"))?;
//! assert_eq!(loaded.home_dc, Some(2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```
//!
//! A value stored without a journal position has no journal and only its own key, as before journals.
//! Slot names are ASCII, so `FF` never follows a slot's name in another key of the same prefix; a prefix
//! containing `FF` could make keys of different prefixes meet, so do not use one.
//!
//! - Every call that changes a slot ([`store`](session_core::SessionStorage::store),
//!   [`store_if`](session_core::VersionedStorage::store_if),
//!   [`delete`](session_core::SessionDelete::delete), [`append`](session_core::JournalStorage::append),
//!   [`compact`](session_core::JournalStorage::compact)) is one sled transaction over these keys, then
//!   made durable like any write (*Durability*): snapshot, state and records change together, also across
//!   a crash (sled recovers a transaction's writes whole or not at all), and `append` returns the record's
//!   index only once the record is on disk. A store or delete removes every record in its transaction, a
//!   compaction exactly those before its position. The state names the range of records held because
//!   sled's transactions cannot scan: with it a store finds every record key to remove, and nothing is
//!   left to collect later. (Leaving replaced records behind, unreachable through the epoch, and removing
//!   them lazily would not be enough: storing again a snapshot of an earlier epoch, such as a backup,
//!   would make that epoch's old records reachable again.)
//! - `append` and `compact` check their input before they touch the database: the record must be one
//!   whole record of the call's epoch, the snapshot must name the position given
//!   ([`InvalidInput`](session_core::ErrorKind::InvalidInput) otherwise). In the transaction they check the
//!   slot's epoch and, for a compaction, that the position lies between the snapshot's and the journal's
//!   end ([`Conflict`](session_core::ErrorKind::Conflict) otherwise, nothing written).
//! - Reads ([`load`](session_core::SessionStorage::load),
//!   [`load_versioned`](session_core::VersionedStorage::load_versioned),
//!   [`load_journal`](session_core::JournalStorage::load_journal)) read the keys in one transaction that
//!   never commits, so they see one state and write nothing. `load` returns the snapshot unchanged when no
//!   record follows it, else the snapshot with the records applied, encoded again at the position after
//!   the last one (built on a blocking thread).
//! - The version of a slot with a journal state is the state's: right after a store, the content version
//!   of the stored bytes (as for a slot without a journal); after each append or compaction, a tag byte
//!   and a SHA-256 of the previous version and of what the step wrote. So every append and every compaction
//!   changes it (also a compaction that changes nothing a plain load sees), a version taken before one
//!   conflicts after it, and equal versions name the same snapshot and records.
//! - A snapshot that names a position but has no state (written by an earlier version of this crate, or
//!   with sled directly) has an empty journal at its position. Write a slot's keys only through handles:
//!   sled calls that change one of them without the others break what the state says.
//! - sled 0.34's transactions take one lock, shared by every database in the process, from their first
//!   read to their commit, and every other sled call takes it shared; a committed transaction also writes
//!   the log's current buffer and a batch marker. The adapter's transactions are short (a few reads and
//!   writes; the flush and the syncs come after the lock is released), but a read waits for a flush in
//!   progress. Measured on the machine above, interleaved, a transaction writing two keys then sled's flush
//!   and one `fdatasync` took 0.42 ms where a single insert with the same flush and sync took 0.3 ms; an
//!   append of a small record took as long as a 4 KiB store (0.25 to 0.5 ms, both, in `benches/sled.rs`);
//!   a load of a slot without records about 0.8 µs instead of 0.2 µs for sled's `get`.
//!
//! # When a write fails
//!
//! In sled 0.34 a write that fails on I/O (typically a full disk) can leave sled's memory ahead of its disk:
//! the value is in memory, not on disk, and sled refuses every later write until the database is reopened.
//! A write that fails while writing a blob file is worse: sled can then never flush or close the database
//! (both wait forever). So every handle on a database shares one state, found from the `sled::Db` (handles
//! built separately from the same `Db`, in any tree, share it too):
//!
//! - a write that fails after sled may have changed its memory returns its error (kind
//!   [`StorageFull`](session_core::ErrorKind::StorageFull) for a full disk or quota) and *poisons* the
//!   database: from then on every call on every handle fails with [`Other`](session_core::ErrorKind::Other)
//!   and a message saying that the database must be reopened (drop every handle, then open it again), or,
//!   after a failed blob write, that the process must be restarted. So no load ever returns a value whose
//!   write returned an error (a load running while that write fails may see it, as it may see any write
//!   in progress), and later calls return at once instead of waiting for sled;
//! - sled's own record of a failed background write is checked on every call too;
//! - a database poisoned for good is kept open by the adapter, so dropping the last handle does not hang;
//!   [`open_db`] of its path then fails at once. One poisoned by a failed sync stays open until [`open_db`]
//!   or [`open_config`] opens its path again;
//! - before each write the handle checks that the file system keeps at least
//!   [`SledStorage::DEFAULT_MIN_FREE_SPACE`] plus twice the value's length free, and fails with
//!   `StorageFull`, writing nothing, if not (see [`SledStorage::with_min_free_space`]). On a full disk writes
//!   therefore normally fail before sled sees them, and work again as soon as space is freed; the poison
//!   handles the rest (concurrent writers, quotas).
//!
//! One case stays out of reach: a write (or a read of a page sled must load from disk) that is already
//! inside sled when another write's blob file fails waits for that blob's log buffer, which sled 0.34 never
//! completes; that call does not return. The free-space reserve is what makes this unlikely.
//!
//! The shared state comes from sled's hidden (but public) `Db::context` field, the only place sled 0.34
//! exposes a database's path, its `temporary` flag and its stored I/O error; this ties the crate to
//! sled 0.34.7, the last 0.34 release.
//!
//! # Permissions
//!
//! sled creates its files (`db`, `conf`, `blobs/*`, `snap.*`) with the umask's mode, usually `0644`, so in
//! a `0755` directory any local user could read every session's auth key. The adapter never changes the
//! process umask (other threads depend on it); instead it makes the directory private before sled creates
//! anything, which leaves no moment where another user can reach a file:
//!
//! - [`open_db`] creates a missing database directory with mode `0700`. An existing one loses its group and
//!   other bits *first*: from then on no other user can even look inside it, whatever modes sled gives its
//!   files. Tightening rather than refusing keeps existing `0755` databases working; the directory belongs
//!   to sled alone, so nothing else relies on its mode.
//! - It then creates sled's `db` and `conf` with mode `0600` and `blobs/` with `0700` before sled opens
//!   them, and after opening tightens whatever sled created (its snapshot) to `0600`/`0700`. After each
//!   write, new blob files get mode `0600` too. The result: every file is `0600`, every directory `0700`,
//!   whatever the umask.
//! - Handles on a database opened elsewhere do the same on their first write.
//!
//! The database directory must be this user's: a symbolic link at its path, a directory owned by another
//! user, or, inside it, a symbolic link, another user's file, a file with several names or a special file
//! is refused with [`PermissionDenied`](session_core::ErrorKind::PermissionDenied), naming the path (sled
//! opens its files by path, so whoever controls them chooses where the session goes). Parent directories
//! are trusted. The crate supports Unix only.
//!
//! ```
//! use session_core::{Bytes, Expect, SessionStorage, Slot, VersionedStorage};
//! use session_sled::SledStorage;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let dir = tempfile::tempdir()?;
//! let db = session_sled::open_db(dir.path().join("sessions.sled"))?;
//! let storage = SledStorage::new(&db, Slot::new("main")?);
//!
//! assert_eq!(storage.load().await?, None);
//! storage.store(Bytes::from_static(b"session bytes")).await?;
//! assert_eq!(storage.load().await?.as_deref(), Some(&b"session bytes"[..]));
//! assert_eq!(db.get(b"tgsession:main")?.as_deref(), Some(&b"session bytes"[..]));
//!
//! // Conditional writes: only one of two writers holding the same version wins.
//! let (_, version) = storage.load_versioned().await?.expect("stored above");
//! storage.store_if(Bytes::from_static(b"next"), Expect::Version(version.clone())).await?;
//! let lost = storage.store_if(Bytes::from_static(b"other"), Expect::Version(version)).await;
//! assert_eq!(lost.unwrap_err().kind(), session_core::ErrorKind::Conflict);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```

#[cfg(not(unix))]
compile_error!(
    "session-sled supports Unix only: it keeps database directories private with Unix permissions"
);

mod database;
mod durable;
mod error;
mod fsio;
mod journal;
mod layout;
mod lease;
mod meta;
mod open;
mod ops;
mod poison;
mod private;
mod state;
mod storage;
mod txn;

pub use sled;

pub use crate::open::{open_config, open_db, DEFAULT_LOCK_WAIT};
pub use crate::private::{check_private, Issue, Problem};
pub use crate::storage::SledStorage;
