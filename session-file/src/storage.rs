//! [`FileStorage`]: one session in one file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use session_core::{
    run_blocking, Bytes, Epoch, Expect, FencedOutcome, FencedWrite, FencingToken, Journal,
    JournalPosition, JournalStorage, LeaseGrant, LeaseInfo, LeaseRequest, LeaseStorage,
    SessionDelete, SessionStorage, StorageError, Version, VersionedStorage,
};

use crate::error::BACKEND;
use crate::journal;
use crate::lease::{self, HeldLease};
use crate::ops;
use crate::paths::SessionPaths;

/// A session kept in one file, such as `my.session`.
///
/// Building a handle touches no file; the directory **must** exist when the handle is used (it is never
/// created), and the process **must** be allowed to create files in it. Next to the session file live
/// `.<name>.lock` (the writers' lock, created on the first write and never deleted), only while a write
/// is in progress or after a writer was killed, `.<name>.tmp`, and, once records were appended to a
/// journaled session, its journal `.<name>.jnl`; see the [crate documentation](crate) for the write
/// protocol and the journal.
///
/// A clone is another handle on the same file; any number of handles, in any number of processes, may use
/// one file at the same time.
/// Methods run their file-system work on Tokio's blocking thread pool when called inside a Tokio runtime,
/// and inline otherwise.
///
/// ```
/// use session_core::{Bytes, SessionStorage};
/// use session_file::FileStorage;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let dir = tempfile::tempdir().unwrap();
/// let storage = FileStorage::new(dir.path().join("my.session"))?;
/// assert_eq!(storage.load().await?, None);
/// storage.store(Bytes::from_static(b"session bytes")).await?;
/// assert_eq!(storage.load().await?.as_deref(), Some(&b"session bytes"[..]));
/// # Ok::<(), session_core::StorageError>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct FileStorage {
    paths: Arc<SessionPaths>,
    lock_timeout: Duration,
    /// What this handle (and its clones) learned of the journal at its last append.
    cursor: Arc<Mutex<journal::Cursor>>,
    /// The lease this handle (and its clones) holds: its hold file stays locked while it is here.
    held: Arc<Mutex<Option<HeldLease>>>,
}

impl FileStorage {
    /// How long a write waits for another writer of the same file by default: 30 seconds.
    pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

    /// A handle on the session file at `path`, used as given (a relative path is resolved against the
    /// current directory at each operation).
    ///
    /// Fails with [`ErrorKind::Config`](session_core::ErrorKind::Config) if `path` does not end in a file name (`/`, `..`, an empty path) or if
    /// that name is longer than 249 bytes (the lock file name adds 6 bytes and must fit in 255). Checks
    /// nothing on disk: a missing directory or a path that is a directory is reported by the first
    /// operation, also as [`ErrorKind::Config`](session_core::ErrorKind::Config).
    pub fn new(path: impl Into<PathBuf>) -> Result<FileStorage, StorageError> {
        Ok(FileStorage {
            paths: Arc::new(SessionPaths::new(path.into())?),
            lock_timeout: Self::DEFAULT_LOCK_TIMEOUT,
            cursor: Arc::default(),
            held: Arc::default(),
        })
    }

    /// Sets how long a write (`store`, `store_if`, `delete`) waits for other writers of the same file before
    /// failing with [`ErrorKind::Timeout`](session_core::ErrorKind::Timeout). Loads never wait.
    #[must_use]
    pub fn with_lock_timeout(mut self, timeout: Duration) -> FileStorage {
        self.lock_timeout = timeout;
        self
    }

    /// The session file's path, as given to [`new`](Self::new).
    pub fn path(&self) -> &Path {
        &self.paths.target
    }

    /// The lock file every writer locks: `.<name>.lock` in the session file's directory.
    pub fn lock_path(&self) -> &Path {
        &self.paths.lock
    }

    /// The temporary file a writer fills before renaming it over the session file: `.<name>.tmp` in the
    /// session file's directory. It exists only during a write, or after a writer was killed until the
    /// next write or delete.
    pub fn temp_path(&self) -> &Path {
        &self.paths.temp
    }

    /// The journal of records after the snapshot ([`JournalStorage`]): `.<name>.jnl` in the session
    /// file's directory. It exists from the first append to a journaled session until the next store or
    /// delete.
    pub fn journal_path(&self) -> &Path {
        &self.paths.journal
    }

    /// The lease file ([`LeaseStorage`]): `.<name>.hold` in the session file's directory, locked by the
    /// lease's holder and holding the lease record; created on the first acquisition and never deleted.
    pub fn hold_path(&self) -> &Path {
        &self.paths.hold
    }

    /// Runs `op` with this handle's paths and lock timeout on the blocking thread pool (or inline outside a
    /// Tokio runtime).
    async fn run<T, F>(&self, op: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&SessionPaths, Duration) -> Result<T, StorageError> + Send + 'static,
    {
        let paths = Arc::clone(&self.paths);
        let timeout = self.lock_timeout;
        let action = format!("access {}", self.paths.target.display());
        run_blocking(BACKEND, &action, move || op(&paths, timeout)).await?
    }
}

impl fmt::Debug for FileStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStorage")
            .field("path", &self.paths.target)
            .field("lock_timeout", &self.lock_timeout)
            .finish()
    }
}

#[async_trait]
impl SessionStorage for FileStorage {
    /// Reads the session file, with the journal's records applied if it names a journal that has some. A
    /// missing file is `Ok(None)` only if its directory exists; a missing directory fails with
    /// [`ErrorKind::Config`](session_core::ErrorKind::Config).
    async fn load(&self) -> Result<Option<Bytes>, StorageError> {
        Ok(self
            .run(|paths, _| ops::load(paths))
            .await?
            .map(Bytes::from))
    }

    /// Writes `data` to the temporary file, fsyncs it, renames it over the session file and fsyncs the
    /// directory, then removes the journal (its records belong to the replaced session), holding the write
    /// lock throughout.
    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        self.run(move |paths, timeout| ops::store(paths, &data, timeout, None))
            .await
    }
}

#[async_trait]
impl SessionDelete for FileStorage {
    /// Removes the session file, its journal and any temporary file a killed writer left, then fsyncs the
    /// directory. The lock file stays.
    async fn delete(&self) -> Result<(), StorageError> {
        self.run(|paths, timeout| ops::delete(paths, timeout, None))
            .await
    }
}

#[async_trait]
impl VersionedStorage for FileStorage {
    /// Reads the session file; the version is the SHA-256 of its content ([`Version::of_content`]).
    async fn load_versioned(&self) -> Result<Option<(Bytes, Version)>, StorageError> {
        Ok(self.run(|paths, _| ops::load(paths)).await?.map(|data| {
            let version = Version::of_content(&data);
            (Bytes::from(data), version)
        }))
    }

    /// Under the write lock, reads the current content, compares its version with `expect`, and writes
    /// `data` like [`store`](SessionStorage::store) if they match.
    async fn store_if(&self, data: Bytes, expect: Expect) -> Result<Version, StorageError> {
        self.run(move |paths, timeout| ops::store_if(paths, &data, &expect, timeout, None))
            .await
    }
}

#[async_trait]
impl JournalStorage for FileStorage {
    /// Reads the session file and the journal beside it; a torn last record is left out.
    async fn load_journal(&self) -> Result<Option<Journal>, StorageError> {
        self.run(|paths, _| journal::load_journal(paths)).await
    }

    /// Under the write lock: checks the epoch the session file names, writes `record` after the journal's
    /// last whole record (cutting off a torn one first) and `fdatasync`s the journal. One write and one
    /// sync; the first append to a new journal also syncs the directory.
    async fn append(&self, epoch: Epoch, record: Bytes) -> Result<u64, StorageError> {
        self.append_under(epoch, record, None).await
    }

    /// Under the write lock: replaces the session file with `snapshot`, then the journal with one holding
    /// only the records from `position.next` on, each atomically and durably.
    async fn compact(
        &self,
        snapshot: Bytes,
        position: JournalPosition,
    ) -> Result<(), StorageError> {
        self.compact_under(snapshot, position, None).await
    }
}

impl FileStorage {
    /// [`append`](JournalStorage::append), under the lease `fence` if given.
    async fn append_under(
        &self,
        epoch: Epoch,
        record: Bytes,
        fence: Option<FencingToken>,
    ) -> Result<u64, StorageError> {
        let cursor = Arc::clone(&self.cursor);
        self.run(move |paths, timeout| {
            let mut cursor = cursor.lock().unwrap_or_else(PoisonError::into_inner);
            journal::append(paths, &mut cursor, epoch, &record, timeout, fence)
        })
        .await
    }

    /// [`compact`](JournalStorage::compact), under the lease `fence` if given.
    async fn compact_under(
        &self,
        snapshot: Bytes,
        position: JournalPosition,
        fence: Option<FencingToken>,
    ) -> Result<(), StorageError> {
        let cursor = Arc::clone(&self.cursor);
        self.run(move |paths, timeout| {
            let mut cursor = cursor.lock().unwrap_or_else(PoisonError::into_inner);
            journal::compact(paths, &mut cursor, &snapshot, position, timeout, fence)
        })
        .await
    }

    /// Runs `op` with the handle's held lease.
    async fn with_held<T, F>(&self, op: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&SessionPaths, &mut Option<HeldLease>, Duration) -> Result<T, StorageError>
            + Send
            + 'static,
    {
        let held = Arc::clone(&self.held);
        self.run(move |paths, timeout| {
            let mut held = held.lock().unwrap_or_else(PoisonError::into_inner);
            op(paths, &mut held, timeout)
        })
        .await
    }
}

/// A lease on a session file is an advisory lock (`flock(2)`) on `.<name>.hold`, held by the handle that
/// acquired it (and its clones) until it releases the lease or is dropped, and released by the kernel when
/// its process exits or is killed. It excludes every other handle, in this process or another, **on the
/// same machine only** (a network file system's locks are not to be relied on). The lease never lapses by
/// time: a frozen holder keeps it, so there is no takeover delay either — when the lock is free, its holder
/// is gone. The fencing token is kept durably in the same file (two checksummed slots written in turn, so a
/// torn write never loses it) and checked under the write lock of every fenced write.
#[async_trait]
impl LeaseStorage for FileStorage {
    async fn acquire_lease(&self, request: &LeaseRequest) -> Result<LeaseGrant, StorageError> {
        let request = request.clone();
        self.with_held(move |paths, held, timeout| lease::acquire(paths, held, &request, timeout))
            .await
    }

    async fn renew_lease(
        &self,
        token: FencingToken,
        _ttl: Duration,
    ) -> Result<LeaseGrant, StorageError> {
        self.run(move |paths, timeout| lease::renew(paths, token, timeout))
            .await
    }

    async fn release_lease(&self, token: FencingToken) -> Result<(), StorageError> {
        self.with_held(move |paths, held, timeout| lease::release(paths, held, token, timeout))
            .await
    }

    async fn read_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
        self.run(lease::read_info).await
    }

    async fn break_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
        self.run(lease::break_lease).await
    }

    async fn write_fenced(
        &self,
        token: FencingToken,
        write: FencedWrite,
    ) -> Result<FencedOutcome, StorageError> {
        let fence = Some(token);
        Ok(match write {
            FencedWrite::Store(data) => {
                self.run(move |paths, timeout| ops::store(paths, &data, timeout, fence))
                    .await?;
                FencedOutcome::Done
            }
            FencedWrite::StoreIf(data, expect) => FencedOutcome::Version(
                self.run(move |paths, timeout| {
                    ops::store_if(paths, &data, &expect, timeout, fence)
                })
                .await?,
            ),
            FencedWrite::Delete => {
                self.run(move |paths, timeout| ops::delete(paths, timeout, fence))
                    .await?;
                FencedOutcome::Done
            }
            FencedWrite::Append(epoch, record) => {
                FencedOutcome::Appended(self.append_under(epoch, record, fence).await?)
            }
            FencedWrite::Compact(snapshot, position) => {
                self.compact_under(snapshot, position, fence).await?;
                FencedOutcome::Done
            }
        })
    }
}
