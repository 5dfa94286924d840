//! File storage for tgsession: each Telegram session is one file, replaced atomically and durably on every
//! write, plus, for a session kept with a journal, a file of records appended after it.
//!
//! - [`FileStorage`] keeps one session at a path you choose, such as `my.session`.
//! - [`FileStore`] keeps many sessions in one directory: slot `name` (a [`Slot`](session_core::Slot)) is the
//!   file `<dir>/<name>.session`.
//!
//! Both implement [`SessionStorage`](session_core::SessionStorage),
//! [`SessionDelete`](session_core::SessionDelete), [`VersionedStorage`](session_core::VersionedStorage) and
//! [`JournalStorage`](session_core::JournalStorage) (a small change is one small append to a journal beside
//! the session file; see [Journal](#journal)).
//!
//! ```
//! use session_core::{Session, SessionStorageExt, Slot};
//! use session_file::{FileStorage, FileStore};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let dir = tempfile::tempdir().unwrap();
//!
//! // One session at a path of your choice:
//! let storage = FileStorage::new(dir.path().join("my.session"))?;
//! let mut session = Session::new();
//! session.home_dc = Some(2);
//! storage.store_session(&session).await?;
//! assert_eq!(storage.load_session().await?, Some(session));
//!
//! // Many sessions in one directory, one file per slot:
//! let store = FileStore::new(dir.path());
//! let bot = store.open(&Slot::new("bot-1")?)?;
//! assert_eq!(bot.path(), dir.path().join("bot-1.session"));
//! assert_eq!(bot.load_session().await?, None);
//! # Ok::<(), session_core::StorageError>(())
//! # }).unwrap();
//! ```
//!
//! # Files
//!
//! For a session file `<dir>/<name>` (`<name>` is `<slot>.session` in a [`FileStore`]) the directory holds:
//!
//! | file               | what it is                                                                          |
//! |--------------------|-------------------------------------------------------------------------------------|
//! | `<name>`           | the session bytes, exactly as stored (no header); absent until the first write       |
//! | `.<name>.lock`     | empty; locked by every writer; created (mode `0600`) on the first write, never deleted |
//! | `.<name>.tmp`      | the next value while a write is in progress; left behind only if a writer is killed  |
//! | `.<name>.jnl`      | the journal: records appended after the snapshot in `<name>`, if the session keeps one |
//!
//! Files are created with mode `0600` (owner read and write only), whatever the umask. No path is ever opened
//! for writing through a symbolic link this crate did not create: the lock file and the journal are opened
//! with `O_NOFOLLOW` and must be regular files with one name, owned by this process's user or the
//! directory's owner (loads refuse such a journal too, rather than read it), the temporary file is created
//! with `O_EXCL` (which never follows a link), and the session file and a compacted journal are only ever
//! replaced by a rename (which replaces a link rather than writing through it). The directory is never
//! created: a missing directory is an [`ErrorKind::Config`](session_core::ErrorKind::Config) error, also on
//! load, so a mistyped path never looks like "no session stored".
//!
//! # Writes
//!
//! Every write (`store`, `store_if`, `delete`, and the journal's `append` and `compact`) takes an exclusive
//! lock on `.<name>.lock` ([`File::lock`](std::fs::File::lock), `flock(2)` on Linux), which excludes writers
//! in this and every other process and is released by the kernel if the holder dies. Waiting for it is
//! bounded by a timeout ([`FileStorage::DEFAULT_LOCK_TIMEOUT`], changed with
//! [`FileStorage::with_lock_timeout`]). Under the lock, a store:
//!
//! 1. removes `.<name>.tmp` if a killed writer left it, and creates it afresh (mode `0600`);
//! 2. writes the value and fsyncs the file (`fdatasync`);
//! 3. renames it over `<name>`, which atomically replaces the old value;
//! 4. fsyncs the directory, so the rename survives a power loss.
//!
//! Readers take no lock: a rename is atomic, so a load sees the old file or the new one, never a mix. A
//! writer killed at any moment leaves the old or the new value in `<name>` and at most one `.<name>.tmp`,
//! which the next write or delete removes.
//!
//! `store_if` reads the current file under the same lock and compares its version before writing; a
//! [`Version`](session_core::Version) is the SHA-256 of the content
//! ([`Version::of_content`](session_core::Version::of_content)). Plain `store` takes the lock too, so it can
//! never slip between the comparison and the write of a `store_if`.
//!
//! The lock file is never deleted, not even by `delete`: a writer waiting on a removed lock file would hold
//! a lock nobody else sees. It is empty, so one per slot ever written costs only a directory entry.
//!
//! The lock is advisory and relies on the file system's `flock` support: local file systems are fine; on
//! network file systems it is only as good as their lock emulation.
//!
//! # Journal
//!
//! A session stored as a journal snapshot (one that names a journal position,
//! [`Session::encode_snapshot`](session_core::Session::encode_snapshot)) can be changed by appending records
//! ([`JournalStorage::append`](session_core::JournalStorage::append)) instead of rewriting it. The records go
//! to `.<name>.jnl`: a 40-byte header (a magic, the format version, the journal's epoch and the index of its
//! first record, protected by a CRC-32C), then the records one after the other, each framed and checksummed
//! as `docs/FORMAT.md` ("Journal") specifies.
//!
//! - **Append**: under the write lock, the record is written after the last whole record with one write,
//!   then the journal is synced with one `fdatasync`; `append` returns only after both. The first append
//!   after a store creates the journal (header and record in the same write) and also syncs the directory.
//!   A handle remembers where the journal ends, so later appends read nothing; it keeps the session file it
//!   appended against open (one descriptor) until it sees another one.
//! - **Store** of a whole session replaces the session file, then removes the journal; `delete` removes
//!   both. **Compaction** replaces the session file, then the journal (holding only the records the new
//!   snapshot does not include), each by a rename.
//! - **Loads** take no lock. `load` returns the snapshot with the journal's records applied, `load_journal`
//!   the snapshot and the records; both read the session file and the journal as a pair, reading again if
//!   the session file was replaced in between.
//!
//! What a crash (or a kill) can leave, and what readers make of it:
//!
//! - a record cut off or damaged at the end of the journal (a torn append, never acknowledged): readers
//!   leave it out, and the next append cuts it off and writes in its place, at the same index;
//! - a compaction's new session file with the old journal: the snapshot's position says which records it
//!   includes, and those are skipped, so nothing is lost or applied twice;
//! - a store's new session file with the old journal: the records are of another epoch, or end before the
//!   new snapshot's position, so none applies, and the next append starts the journal afresh.
//!
//! Damage a crash cannot cause is not repaired silently: a damaged record followed by whole ones is an
//! [`ErrorKind::Corrupt`](session_core::ErrorKind::Corrupt) error for loads, appends and compactions, and
//! nothing is cut off (storing a whole session replaces the journal). A journal whose header is damaged is
//! not recognised as the snapshot's journal: loads return the snapshot without its records, and the next
//! append starts the journal afresh, so its records are lost.
//!
//! # Errors
//!
//! Every error names the path it concerns and keeps the [`std::io::Error`] as its source:
//!
//! - a missing directory, a path that is a directory, a path through a regular file, a file name that is
//!   too long: [`ErrorKind::Config`](session_core::ErrorKind::Config);
//! - no permission or a read-only file system:
//!   [`ErrorKind::PermissionDenied`](session_core::ErrorKind::PermissionDenied);
//! - a full disk or an exhausted quota: [`ErrorKind::StorageFull`](session_core::ErrorKind::StorageFull),
//!   because a smaller value would not help and retrying fails until space is freed; a file larger than the
//!   file system allows: [`ErrorKind::TooLarge`](session_core::ErrorKind::TooLarge);
//! - a symbolic link, hard link, non-file, or another user's file at the lock file's or the journal's path
//!   (which this crate never creates, so someone planted it):
//!   [`ErrorKind::PermissionDenied`](session_core::ErrorKind::PermissionDenied), naming the path; it is never
//!   followed, written or read (a planted journal beside a session file that names no journal is ignored);
//! - another writer that holds the lock longer than the timeout:
//!   [`ErrorKind::Timeout`](session_core::ErrorKind::Timeout), naming the lock file;
//! - bytes that are not a session, read through
//!   [`SessionStorageExt::load_session`](session_core::SessionStorageExt::load_session):
//!   [`ErrorKind::Corrupt`](session_core::ErrorKind::Corrupt); the file is left as it is; likewise a journal
//!   with a damaged record before whole ones;
//! - an append or compaction of another epoch than the session file names, or to a session file that names
//!   no journal: [`ErrorKind::Conflict`](session_core::ErrorKind::Conflict); nothing is written.
//!
//! # Runtime
//!
//! All file-system work runs on Tokio's blocking thread pool ([`session_core::run_blocking`]) when a method
//! is called inside a Tokio runtime, and inline otherwise, so the handles work with any executor.

mod error;
mod fsio;
mod journal;
mod lease;
mod lock;
mod ops;
mod paths;
mod storage;
mod store;

pub use crate::storage::FileStorage;
pub use crate::store::FileStore;
