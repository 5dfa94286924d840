//! The exclusive lock every writer of a session file holds.

use std::fs::{File, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

use session_core::{ErrorKind, FencingToken, StorageError};

use crate::error::{io_error, BACKEND};
use crate::fsio::open_companion;
use crate::paths::SessionPaths;

/// The first pause between two attempts to take a busy lock; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_micros(200);
/// The longest pause between two attempts to take a busy lock.
const MAX_PAUSE: Duration = Duration::from_millis(10);

/// An exclusive lock on the lock file of one session (`<dir>/.<name>.lock`), held until dropped.
///
/// The lock is advisory ([`File::lock`], `flock(2)` on Linux): it excludes every other writer of this crate,
/// in this process or any other, and is released by the kernel when the holder exits or is killed.
#[derive(Debug)]
pub(crate) struct WriteLock {
    _file: File,
}

impl WriteLock {
    /// Creates the lock file if needed (mode `0600`, never deleted) and locks it, waiting at most `timeout`
    /// for other writers; fails with [`ErrorKind::Timeout`] after that. A symbolic link, a hard link, a
    /// non-file or a stranger's file at the lock file's path is refused with
    /// [`ErrorKind::PermissionDenied`] and never followed.
    ///
    /// With a `fence`, the write is made under that lease: once locked, the lease record must name it as the
    /// current lease, else the lock is let go and the call fails with [`ErrorKind::Fenced`] — so the check
    /// and the write happen under one lock, and no takeover comes between them.
    pub(crate) fn acquire(
        paths: &SessionPaths,
        timeout: Duration,
        fence: Option<FencingToken>,
    ) -> Result<WriteLock, StorageError> {
        let file = open_companion(&paths.lock, paths, "open the lock file")?;
        let deadline = Instant::now() + timeout;
        let mut pause = FIRST_PAUSE;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    let lock = WriteLock { _file: file };
                    if let Some(token) = fence {
                        crate::lease::check(paths, token, "write")?;
                    }
                    return Ok(lock);
                }
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(err)) => {
                    return Err(io_error(err, "lock", &paths.lock));
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(StorageError::new(
                    ErrorKind::Timeout,
                    BACKEND,
                    format!(
                        "another process (or handle) is writing {} and held its lock file {} for more \
                         than {timeout:?}; nothing was written",
                        paths.target.display(),
                        paths.lock.display()
                    ),
                ));
            }
            thread::sleep(pause.min(left));
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }
}
