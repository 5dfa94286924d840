//! Opening a database: making its directory private first, then waiting briefly for a file lock that a
//! just-closed handle still holds.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use session_core::StorageError;

use crate::database::release_pins;
use crate::error::{is_lock_held, map_sled_error};
use crate::private::{prepare, secure};

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
/// The directory is made private before sled touches it, and what sled creates while opening is made
/// private right after (see the crate docs, *Permissions*):
///
/// - a symbolic link at `path` is refused, and so is a directory owned by another user than this process's
///   effective user, or one holding a symbolic link, another user's file, a file with several names or a
///   special file: all [`ErrorKind::PermissionDenied`](session_core::ErrorKind::PermissionDenied), naming
///   the path (and the owner's uid);
/// - a directory that does not exist is created with mode `0700` (missing parents too);
/// - an existing directory loses its group and other permission bits, and so does every file and
///   directory in it; sled's `db` and `conf` files are created with mode `0600` and its `blobs` directory
///   with mode `0700` before sled opens them.
///
/// sled is given the directory's canonical path, so a later change of the working directory does not
/// matter. Parent directories are trusted: one that other users may write to (other than a sticky one
/// such as `/tmp`) lets them replace the database directory itself.
///
/// This call blocks the current thread (sled recovers the database while opening it); from async code,
/// call it through `tokio::task::spawn_blocking` when the database may be large.
///
/// # Errors
///
/// [`ErrorKind::PermissionDenied`](session_core::ErrorKind::PermissionDenied) as above,
/// [`ErrorKind::Unavailable`](session_core::ErrorKind::Unavailable) if another handle keeps the lock for
/// longer than the wait, [`ErrorKind::Config`](session_core::ErrorKind::Config) if `path` is not a usable
/// directory, [`ErrorKind::Other`](session_core::ErrorKind::Other) if a failed write left this database
/// unusable until the process restarts, and the kinds of [`open_config`] otherwise.
pub fn open_db(path: impl AsRef<Path>) -> Result<sled::Db, StorageError> {
    let path = prepare(path.as_ref())?;
    open_prepared(&sled::Config::new().path(&path), &path, DEFAULT_LOCK_WAIT)
}

/// Opens the database described by `config`, retrying for up to `lock_wait` while its file lock is held.
///
/// Blocks the current thread like [`open_db`], and makes the directory private the same way (unless the
/// configuration is `temporary`). Use it to choose sled's settings (cache size, flush interval,
/// compression, mode) or the time to wait. Unlike [`open_db`], it gives sled the path of `config`
/// unchanged: make it absolute if the process may change its working directory.
///
/// # Errors
///
/// Those of [`open_db`], and every sled error mapped to a [`StorageError`]: a lock still held after
/// `lock_wait` is [`Unavailable`](session_core::ErrorKind::Unavailable), a missing or unusable path is
/// [`Config`](session_core::ErrorKind::Config), a denied file is
/// [`PermissionDenied`](session_core::ErrorKind::PermissionDenied), damaged files are
/// [`Corrupt`](session_core::ErrorKind::Corrupt), and settings that contradict the ones the database was
/// created with are [`Unsupported`](session_core::ErrorKind::Unsupported).
pub fn open_config(config: &sled::Config, lock_wait: Duration) -> Result<sled::Db, StorageError> {
    // sled 0.34 exposes a configuration's path and temporary flag only as hidden public items.
    if config.temporary {
        return open_locked(config, lock_wait);
    }
    let path = prepare(&config.get_path())?;
    open_prepared(config, &path, lock_wait)
}

/// The error for a lock still held after `lock_wait`: [`Unavailable`](session_core::ErrorKind::Unavailable),
/// naming the database and its lock file (sled locks its `db` file), and saying who holds it.
fn lock_held(config: &sled::Config, lock_wait: Duration, err: sled::Error) -> StorageError {
    let path = config.get_path();
    StorageError::new(
        session_core::ErrorKind::Unavailable,
        crate::error::BACKEND,
        format!(
            "cannot open the database {}: it is locked: another process (or another open handle in this \
             process) has it open and held its lock file {} for more than {lock_wait:?}",
            path.display(),
            path.join("db").display()
        ),
    )
    .with_source(err)
}

/// Opens the prepared directory `path` with `config`, then makes private what sled created while opening.
fn open_prepared(
    config: &sled::Config,
    path: &Path,
    lock_wait: Duration,
) -> Result<sled::Db, StorageError> {
    release_pins(path)?;
    let db = open_locked(config, lock_wait)?;
    if path.is_dir() {
        // sled writes a snapshot file (with the umask's mode) while recovering.
        drop(secure(path, false)?);
    }
    Ok(db)
}

/// Opens `config`, retrying while its lock is held.
fn open_locked(config: &sled::Config, lock_wait: Duration) -> Result<sled::Db, StorageError> {
    let deadline = Instant::now() + lock_wait;
    loop {
        match config.open() {
            Ok(db) => return Ok(db),
            Err(err) if is_lock_held(&err) && Instant::now() < deadline => {
                thread::sleep(RETRY_PAUSE);
            }
            Err(err) if is_lock_held(&err) => return Err(lock_held(config, lock_wait, err)),
            Err(err) => return Err(map_sled_error(err, "open the database")),
        }
    }
}
