//! [`FileStore`]: many sessions in one directory, one file per slot.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use session_core::{ErrorKind, Slot, StorageError};

use crate::error::BACKEND;
use crate::paths::{COMPANION_OVERHEAD, NAME_MAX};
use crate::storage::FileStorage;

/// The extension of session files in a [`FileStore`], after the slot name and a dot.
const EXTENSION: &str = ".session";

/// A directory of sessions: slot `name` is kept in `<dir>/<name>.session` by a [`FileStorage`].
///
/// Slot names are validated by [`Slot`], so they never contain a path separator and map to file names
/// without escaping. Each slot also has the hidden companion files `.<name>.session.lock` and (during a write
/// or after a crash) `.<name>.session.tmp` in the same directory. The directory **must** exist; it is never
/// created.
///
/// ```
/// use session_core::{Bytes, SessionStorage, Slot};
/// use session_file::FileStore;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let dir = tempfile::tempdir().unwrap();
/// let store = FileStore::new(dir.path());
/// let alice = store.open(&Slot::new("alice")?)?;
/// alice.store(Bytes::from_static(b"alice's session")).await?;
/// assert_eq!(alice.path(), dir.path().join("alice.session"));
/// assert_eq!(store.open(&Slot::new("bob")?)?.load().await?, None);
/// # Ok::<(), session_core::StorageError>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct FileStore {
    dir: PathBuf,
    lock_timeout: Duration,
}

impl FileStore {
    /// The longest slot name a file store accepts, in bytes: 241, so that the lock file name
    /// `.<slot>.session.lock` fits in the 255 bytes file systems allow. [`Slot`] itself allows 255.
    pub const MAX_SLOT_LEN: usize = NAME_MAX - COMPANION_OVERHEAD - EXTENSION.len();

    /// A store of session files in `dir`. Touches no file; a missing directory is reported by the first
    /// operation of an opened storage as [`ErrorKind::Config`].
    pub fn new(dir: impl Into<PathBuf>) -> FileStore {
        FileStore {
            dir: dir.into(),
            lock_timeout: FileStorage::DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// Sets the lock timeout of every storage opened from now on (see
    /// [`FileStorage::with_lock_timeout`]).
    #[must_use]
    pub fn with_lock_timeout(mut self, timeout: Duration) -> FileStore {
        self.lock_timeout = timeout;
        self
    }

    /// The directory, as given to [`new`](Self::new).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The storage of `slot`, kept in `<dir>/<slot>.session`. Every call with the same slot returns a handle
    /// on the same file.
    ///
    /// Fails with [`ErrorKind::InvalidInput`] if the slot name is longer than
    /// [`MAX_SLOT_LEN`](Self::MAX_SLOT_LEN).
    pub fn open(&self, slot: &Slot) -> Result<FileStorage, StorageError> {
        let name = slot.as_str();
        if name.len() > Self::MAX_SLOT_LEN {
            return Err(StorageError::new(
                ErrorKind::InvalidInput,
                BACKEND,
                format!(
                    "slot name {name:?} is {} bytes long; a file store allows at most {}",
                    name.len(),
                    Self::MAX_SLOT_LEN
                ),
            ));
        }
        Ok(
            FileStorage::new(self.dir.join(format!("{name}{EXTENSION}")))?
                .with_lock_timeout(self.lock_timeout),
        )
    }
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("dir", &self.dir)
            .field("lock_timeout", &self.lock_timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_map_to_session_files_in_the_directory() {
        let store = FileStore::new("/srv/tg");
        let storage = store.open(&Slot::new("bot-1@prod").unwrap()).unwrap();
        assert_eq!(storage.path(), Path::new("/srv/tg/bot-1@prod.session"));
        assert_eq!(
            storage.lock_path(),
            Path::new("/srv/tg/.bot-1@prod.session.lock")
        );
        assert_eq!(
            storage.temp_path(),
            Path::new("/srv/tg/.bot-1@prod.session.tmp")
        );
    }

    #[test]
    fn the_longest_slot_fits_and_a_longer_one_is_invalid_input() {
        let store = FileStore::new("/srv/tg");
        let longest = "s".repeat(FileStore::MAX_SLOT_LEN);
        assert_eq!(FileStore::MAX_SLOT_LEN, 241);
        assert!(store.open(&Slot::new(longest.clone()).unwrap()).is_ok());
        let err = store
            .open(&Slot::new(format!("{longest}s")).unwrap())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
