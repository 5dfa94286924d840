//! Small file-system primitives shared by the operations: private file creation that never follows a planted
//! symbolic link, directory checks and syncs.

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

/// Opens the companion file `path` of `paths` for writing, creating it (mode `0600`) if it does not exist,
/// without following a symbolic link at `path` and without blocking on a FIFO planted there; then checks that
/// what was opened is a file this process may trust (see [`check_trusted`]). `action` names the step in
/// errors ("open the lock file").
///
/// A file we did not create is only ever there because someone put it there: in a shared directory such as
/// `/tmp`, another user can plant `.<name>.lock -> /etc/anything`, and following it would create or lock a
/// file of their choosing with our privileges.
pub(crate) fn open_companion(
    path: &Path,
    paths: &SessionPaths,
    action: &str,
) -> Result<File, StorageError> {
    let mut options = private_options();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        let flags = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        // The flags are small positive constants; the cast keeps their bits.
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, flags.bits() as i32);
    }
    let file = options.open(path).map_err(|err| {
        if is_symlink(path) {
            planted(path, "is a symbolic link", Some(Box::new(err)))
        } else {
            file_error(err, action, path, paths)
        }
    })?;
    check_trusted(&file, path, paths, Names::One)?;
    Ok(file)
}

/// Opens the companion file `path` of `paths` for reading, like [`open_companion`] without creating or
/// writing anything: no symbolic link is followed, a FIFO does not block, and what was opened must pass the
/// same checks; `None` if there is no file there. A load thus reads exactly the file an append would write
/// to, and refuses what an append would refuse. A reader takes no lock, so the file may be renamed over or
/// removed between the open and the checks: a file with no name left is accepted (it is what was at the
/// path a moment ago, and the caller notices the replacement by other means).
pub(crate) fn open_companion_for_reading(
    path: &Path,
    paths: &SessionPaths,
) -> Result<Option<File>, StorageError> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        let flags = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        // The flags are small positive constants; the cast keeps their bits.
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, flags.bits() as i32);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) if is_symlink(path) => {
            return Err(planted(path, "is a symbolic link", Some(Box::new(err))))
        }
        Err(err) => return Err(file_error(err, "read", path, paths)),
    };
    check_trusted(&file, path, paths, Names::OneOrNone)?;
    Ok(Some(file))
}

/// Whether `path` is a symbolic link: asked after an open with `O_NOFOLLOW` failed, since kernels report a
/// link there as `ELOOP` or, with `O_CREAT` in a sticky directory, as `EACCES`.
fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
}

/// Checks that `file`, just opened at `path`, is a regular file with one name (see [`Names`]), owned by this
/// process's effective user or by the owner of its directory (who controls that directory anyway). Anything
/// else was put there by someone who may not be trusted: a hard link to another user's file, a device, a file
/// owned by a stranger in a shared directory.
#[cfg(unix)]
fn check_trusted(
    file: &File,
    path: &Path,
    paths: &SessionPaths,
    names: Names,
) -> Result<(), StorageError> {
    use std::os::unix::fs::MetadataExt;

    let meta = file
        .metadata()
        .map_err(|err| io_error(err, "inspect", path))?;
    if !meta.is_file() {
        return Err(planted(path, "is not a regular file", None));
    }
    let allowed = match names {
        Names::One => 1..=1,
        Names::OneOrNone => 0..=1,
    };
    if !allowed.contains(&meta.nlink()) {
        return Err(planted(path, "has more than one name (a hard link)", None));
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        let dir_owner = fs::metadata(&paths.dir)
            .map_err(|err| io_error(err, "inspect the directory", &paths.dir))?
            .uid();
        if meta.uid() != dir_owner {
            return Err(planted(
                path,
                &format!(
                    "is owned by uid {}, which is neither this process's user (uid {me}) nor the directory's \
                     owner (uid {dir_owner})",
                    meta.uid()
                ),
                None,
            ));
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_trusted(
    _file: &File,
    _path: &Path,
    _paths: &SessionPaths,
    _names: Names,
) -> Result<(), StorageError> {
    Ok(())
}

/// How many names (hard links) a file opened by [`check_trusted`]'s caller may have.
#[derive(Clone, Copy, Debug)]
enum Names {
    /// Exactly one: the path it was opened at (a writer holding the write lock).
    One,
    /// One, or none when a writer renamed another file over it or removed it since it was opened (a reader
    /// without the lock).
    OneOrNone,
}

/// The [`ErrorKind::PermissionDenied`](session_core::ErrorKind::PermissionDenied) error for a file at `path`
/// that this crate did not create and will not use: `what` says what is wrong with it.
fn planted(path: &Path, what: &str, source: Option<session_core::BoxError>) -> StorageError {
    let err = StorageError::new(
        session_core::ErrorKind::PermissionDenied,
        crate::error::BACKEND,
        format!(
            "refusing to use {}: it {what}, which this library never creates; another user may have \
             planted it. Remove it if you did not put it there yourself",
            path.display()
        ),
    );
    match source {
        Some(source) => err.with_source(source),
        None => err,
    }
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
