//! Opening a database, waiting briefly for a file lock that a just-closed handle still holds.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use session_core::StorageError;

use crate::error::{is_lock_held, map_sled_error};

/// How long [`open_db`] waits for the database's file lock by default.
///
/// sled 0.34 releases the lock of a dropped [`sled::Db`] only when its background I/O threads let go of the
/// database file, which can take a few milliseconds after the last handle is dropped. Reopening a database
/// in the same process therefore retries for up to this long before it reports the lock as held.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(2);

/// The pause between two attempts while the lock is held.
const RETRY_PAUSE: Duration = Duration::from_millis(5);

/// Opens (creating it if needed) the sled database in the directory `path`, with sled's default
/// configuration, waiting up to [`DEFAULT_LOCK_WAIT`] for a lock held by a handle that is being closed.
///
/// A directory that does not exist yet is created with mode `0700` on Unix, so only the owner can read the
/// session data in it (sled creates its files with the default mode, filtered by the umask). An existing
/// directory keeps its permissions.
///
/// This call blocks the current thread (sled recovers the database while opening it); from async code,
/// call it through `tokio::task::spawn_blocking` when the database may be large.
///
/// # Errors
///
/// [`ErrorKind::Unavailable`](session_core::ErrorKind::Unavailable) if another handle keeps the lock for
/// longer than the wait, [`ErrorKind::Config`](session_core::ErrorKind::Config) if `path` is not a usable
/// directory, and the kinds of [`open_config`] otherwise.
pub fn open_db(path: impl AsRef<Path>) -> Result<sled::Db, StorageError> {
    let path = path.as_ref();
    create_private_dir(path)?;
    open_config(&sled::Config::new().path(path), DEFAULT_LOCK_WAIT)
}

/// Opens the database described by `config`, retrying for up to `lock_wait` while its file lock is held.
///
/// Blocks the current thread like [`open_db`]. Use it to choose sled's settings (cache size, flush
/// interval, compression, mode) or the time to wait.
///
/// # Errors
///
/// Every sled error is mapped to a [`StorageError`]: a lock still held after `lock_wait` is
/// [`Unavailable`](session_core::ErrorKind::Unavailable), a missing or unusable path is
/// [`Config`](session_core::ErrorKind::Config), a denied file is
/// [`PermissionDenied`](session_core::ErrorKind::PermissionDenied), damaged files are
/// [`Corrupt`](session_core::ErrorKind::Corrupt), and settings that contradict the ones the database was
/// created with are [`Unsupported`](session_core::ErrorKind::Unsupported).
pub fn open_config(config: &sled::Config, lock_wait: Duration) -> Result<sled::Db, StorageError> {
    let deadline = Instant::now() + lock_wait;
    loop {
        match config.open() {
            Ok(db) => return Ok(db),
            Err(err) if is_lock_held(&err) && Instant::now() < deadline => {
                thread::sleep(RETRY_PAUSE);
            }
            Err(err) => return Err(map_sled_error(err, "open the database")),
        }
    }
}

/// Creates `path` and missing parents if it does not exist, with mode `0700` on Unix.
fn create_private_dir(path: &Path) -> Result<(), StorageError> {
    if path.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(path)
        .map_err(|err| map_sled_error(sled::Error::Io(err), "create the database directory"))
}
