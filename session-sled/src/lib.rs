//! A [sled](https://docs.rs/sled/0.34) storage for tgsession: each Telegram session is one key in an
//! embedded sled database.
//!
//! [`SledStorage`] implements [`SessionStorage`](session_core::SessionStorage),
//! [`SessionDelete`](session_core::SessionDelete) and [`VersionedStorage`](session_core::VersionedStorage)
//! and passes the whole `session-conformance` suite, including persistence across closing and reopening the
//! database.
//!
//! - A handle is built from an open [`sled::Db`] plus a [`Slot`](session_core::Slot), in the database's
//!   default tree ([`SledStorage::new`]) or a named one ([`SledStorage::in_tree`]); the slot's value lives
//!   under the key `prefix ++ slot name`, with the prefix `tgsession:` unless [`SledStorage::with_prefix`]
//!   sets another (see [`SledStorage`] for the details of the mapping).
//! - Every write is durable before it returns (see *Durability*), and versions are content hashes checked
//!   with sled's `compare_and_swap`.
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
//! [`store`](session_core::SessionStorage::store), [`delete`](session_core::SessionDelete::delete) or
//! [`store_if`](session_core::VersionedStorage::store_if) returns `Ok`, the adapter has, in this order:
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
//! `blobs/`: in `benches/sled.rs` (ext4 on a virtual disk, noisy) a 4 KiB store took 0.2 to 0.25 ms
//! instead of 0.1 ms, as long as sled's flush plus one `fdatasync`, and a 1 MiB store (a blob) 4 to 8 ms
//! instead of 3.5 ms.
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
mod open;
mod ops;
mod poison;
mod private;
mod storage;

pub use sled;

pub use crate::open::{open_config, open_db, DEFAULT_LOCK_WAIT};
pub use crate::private::{check_private, Issue, Problem};
pub use crate::storage::SledStorage;
