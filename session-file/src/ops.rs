//! The blocking operations behind the async methods: read, replace atomically, compare-and-swap, delete (the
//! journal's own operations are in [`journal`]).

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;
use std::time::Duration;

use session_core::{ErrorKind, Expect, FencingToken, StorageError, Version};
use zeroize::Zeroize;

use crate::error::{config_error, io_error, BACKEND};
use crate::fsio::{file_error, private_options, remove_if_present, sync_dir};
use crate::journal;
use crate::lock::WriteLock;
use crate::paths::SessionPaths;

/// The stored value: the session file, with the journal's records applied when it has any (see
/// [`journal::load`]); `None` if the session file does not exist in an existing directory. Takes no lock:
/// writers replace files by renames, so a read sees whole versions.
pub(crate) fn load(paths: &SessionPaths) -> Result<Option<Vec<u8>>, StorageError> {
    journal::load(paths)
}

/// The regular file at `path`, opened for reading, and its metadata; `None` if there is no file there.
/// Anything but a regular file (a FIFO, a device such as `/dev/zero`) is a [`ErrorKind::Config`] error in
/// bounded time and memory.
pub(crate) fn open_regular(path: &Path) -> Result<Option<(fs::File, fs::Metadata)>, StorageError> {
    let file = match open_for_reading(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_error(err, "read", path)),
    };
    let meta = file.metadata().map_err(|err| io_error(err, "read", path))?;
    if !meta.is_file() {
        return Err(config_error(format!(
            "cannot read {}: it is not a regular file",
            path.display()
        )));
    }
    Ok(Some((file, meta)))
}

/// The bytes of `file` (opened at `path`, with metadata `meta`, not read from yet), read up to the size
/// `meta` gives.
pub(crate) fn read_all(
    file: &fs::File,
    meta: &fs::Metadata,
    path: &Path,
) -> Result<Vec<u8>, StorageError> {
    let size = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    let mut data = Vec::new();
    data.try_reserve_exact(size).map_err(|_| {
        StorageError::new(
            ErrorKind::TooLarge,
            BACKEND,
            format!("{} is too large to load into memory", path.display()),
        )
    })?;
    // A file that grew after the open (someone else writing it in place) is read up to its size then.
    file.take(meta.len())
        .read_to_end(&mut data)
        .map_err(|err| io_error(err, "read", path))?;
    Ok(data)
}

/// Opens `path` for reading without blocking on a FIFO (so that the type check in [`open_regular`] can refuse
/// it).
fn open_for_reading(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        // A small positive constant; the cast keeps its bits.
        rustix::fs::OFlags::NONBLOCK.bits() as i32,
    );
    options.open(path)
}

/// Replaces the stored bytes with `data` under the write lock (and under the lease `fence`, if given).
pub(crate) fn store(
    paths: &SessionPaths,
    data: &[u8],
    timeout: Duration,
    fence: Option<FencingToken>,
) -> Result<(), StorageError> {
    let _lock = WriteLock::acquire(paths, timeout, fence)?;
    replace(paths, data)?;
    journal::reset(paths)
}

/// Replaces the stored bytes with `data` if the current content matches `expect`, all under the write lock;
/// returns the version of `data`.
pub(crate) fn store_if(
    paths: &SessionPaths,
    data: &[u8],
    expect: &Expect,
    timeout: Duration,
    fence: Option<FencingToken>,
) -> Result<Version, StorageError> {
    let _lock = WriteLock::acquire(paths, timeout, fence)?;
    let current = load(paths)?.map(|mut bytes| {
        let version = Version::of_content(&bytes);
        bytes.zeroize();
        version
    });
    if !expect.matches(current.as_ref()) {
        return Err(StorageError::new(
            ErrorKind::Conflict,
            BACKEND,
            format!(
                "{} changed: expected {expect:?}, found {current:?}",
                paths.target.display()
            ),
        ));
    }
    replace(paths, data)?;
    journal::reset(paths)?;
    Ok(Version::of_content(data))
}

/// Removes the session file (and a temporary file a killed writer left) under the write lock. Succeeds if
/// there was nothing to remove; the lock file and the lease file stay.
pub(crate) fn delete(
    paths: &SessionPaths,
    timeout: Duration,
    fence: Option<FencingToken>,
) -> Result<(), StorageError> {
    let _lock = WriteLock::acquire(paths, timeout, fence)?;
    let removed_temp = remove_if_present(&paths.temp, paths)?;
    let removed_target = remove_if_present(&paths.target, paths)?;
    let removed_journal = remove_if_present(&paths.journal, paths)?;
    if removed_temp || removed_target || removed_journal {
        sync_dir(paths)?;
    }
    Ok(())
}

/// Writes `data` to the temporary file, syncs it, renames it over the session file and syncs the directory.
/// The caller holds the write lock. On failure the temporary file is removed if possible (the next writer
/// would replace it anyway) and the session file is untouched.
pub(crate) fn replace(paths: &SessionPaths, data: &[u8]) -> Result<(), StorageError> {
    replace_file(paths, &paths.target, data)
}

/// Replaces `target` (the session file or the journal) with `data` like [`replace`].
pub(crate) fn replace_file(
    paths: &SessionPaths,
    target: &Path,
    data: &[u8],
) -> Result<(), StorageError> {
    let written = write_temp(paths, data).and_then(|()| {
        fs::rename(&paths.temp, target).map_err(|err| file_error(err, "replace", target, paths))
    });
    if written.is_err() {
        // Best effort: the error being reported is the one that matters.
        let _ = fs::remove_file(&paths.temp);
    }
    written?;
    sync_dir(paths)
}

/// Creates a fresh temporary file (removing one a killed writer left, so a stale file's owner or mode never
/// carries over), writes `data` to it and syncs it.
fn write_temp(paths: &SessionPaths, data: &[u8]) -> Result<(), StorageError> {
    remove_if_present(&paths.temp, paths)?;
    let mut file = private_options()
        .write(true)
        .create_new(true)
        .open(&paths.temp)
        .map_err(|err| file_error(err, "create the temporary file", &paths.temp, paths))?;
    file.write_all(data)
        .and_then(|()| file.sync_data())
        .map_err(|err| io_error(err, "write the temporary file", &paths.temp))
}
