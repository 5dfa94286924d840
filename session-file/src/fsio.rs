//! Small file-system primitives shared by the operations: private file creation, directory checks and syncs.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

use session_core::StorageError;

use crate::error::{config_error, io_error};
use crate::paths::SessionPaths;

/// Options that create files readable and writable by the owner only (mode `0600` on Unix).
pub(crate) fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Succeeds if the directory of `paths` exists; otherwise fails with [`ErrorKind::Config`] naming it, so a
/// mistyped directory is reported as such and never looks like "no session stored".
///
/// [`ErrorKind::Config`]: session_core::ErrorKind::Config
pub(crate) fn check_dir(paths: &SessionPaths) -> Result<(), StorageError> {
    match fs::metadata(&paths.dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(config_error(format!(
            "cannot use {}: {} is not a directory",
            paths.target.display(),
            paths.dir.display()
        ))),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Err(config_error(format!(
            "cannot use {}: the directory {} does not exist",
            paths.target.display(),
            paths.dir.display()
        ))
        .with_source(err)),
        Err(err) => Err(io_error(err, "inspect the directory", &paths.dir)),
    }
}

/// The error for a failed `action` on `path`, one of the files of `paths`; a `NotFound` is explained by
/// [`check_dir`] when the directory is missing.
pub(crate) fn file_error(
    err: io::Error,
    action: &str,
    path: &Path,
    paths: &SessionPaths,
) -> StorageError {
    if err.kind() == io::ErrorKind::NotFound {
        if let Err(dir_err) = check_dir(paths) {
            return dir_err;
        }
    }
    io_error(err, action, path)
}

/// Removes `path`; returns whether there was something to remove.
pub(crate) fn remove_if_present(path: &Path, paths: &SessionPaths) -> Result<bool, StorageError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(file_error(err, "remove", path, paths)),
    }
}

/// Makes the directory entries of `paths` durable (a rename or removal survives a power loss once this
/// returns). A no-op where directories cannot be synced (not Unix).
pub(crate) fn sync_dir(paths: &SessionPaths) -> Result<(), StorageError> {
    if cfg!(unix) {
        File::open(&paths.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|err| io_error(err, "sync the directory", &paths.dir))?;
    }
    Ok(())
}
