//! Keeping a database directory private: refusing a planted symbolic link or another user's directory,
//! creating what sled would create with private modes, tightening what sled created with the umask's modes,
//! and [`check_private`], which reports what is not private without changing anything.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Stat};
use session_core::{ErrorKind, StorageError};

use crate::error::{io_error, BACKEND};
use crate::fsio::{self, DIR_MODE, FILE_MODE, SHARED_BITS};

/// One thing in a database directory that other users could read, change or redirect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file or directory concerned.
    pub path: PathBuf,
    /// What is wrong with it.
    pub issue: Issue,
}

/// What is wrong with a file or directory found by [`check_private`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Issue {
    /// It is a symbolic link: whoever made it chooses which file sled reads and writes.
    SymbolicLink,
    /// It belongs to another user, who can change it (and, for a directory, plant links in it).
    OwnedByOtherUser {
        /// The owner's user id.
        uid: u32,
        /// The effective user id of this process.
        expected: u32,
    },
    /// Group or other users have some access to it (any of the bits `0o077`).
    AccessibleToOthers {
        /// Its permission bits.
        mode: u32,
    },
    /// A regular file with more than one name: another name may be in a place other users control.
    HardLinked {
        /// Its number of names.
        links: u64,
    },
    /// Neither a regular file nor a directory (a FIFO, socket or device), which sled never creates.
    NotAFileOrDirectory,
}

impl Issue {
    /// Whether [`secure`] may repair it (by tightening the mode) instead of refusing the directory.
    fn fixable(self) -> bool {
        matches!(self, Issue::AccessibleToOthers { .. })
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Issue::SymbolicLink => f.write_str("is a symbolic link"),
            Issue::OwnedByOtherUser { uid, expected } => write!(
                f,
                "is owned by uid {uid}, not by this process's effective uid {expected}"
            ),
            Issue::AccessibleToOthers { mode } => write!(
                f,
                "has mode {mode:04o}: group or other users can access it (expected {FILE_MODE:04o} for files, \
                 {DIR_MODE:04o} for directories)"
            ),
            Issue::HardLinked { links } => write!(f, "has {links} names (hard links)"),
            Issue::NotAFileOrDirectory => {
                f.write_str("is neither a regular file nor a directory")
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.issue)
    }
}

/// Reports every file and directory in the sled database directory `path` (the directory itself, its
/// entries and, recursively, those of its subdirectories such as `blobs`) that is not private to this
/// process's effective user: a symbolic link, something owned by another user, a file or directory that
/// group or other users can access, a file with several names, or anything that is neither a file nor a
/// directory. Symbolic links are reported, never followed. Nothing is changed; an empty list means the
/// directory is private.
///
/// This is what `tgsession verify` checks for a sled database. [`open_db`](crate::open_db) refuses a
/// directory with any of these problems except modes, which it tightens to `0600` / `0700`.
///
/// # Errors
///
/// [`ErrorKind::Config`] if `path` does not exist or is not a directory (a symbolic link there is reported
/// as a problem, not an error), and the kind of the I/O error if a directory cannot be read.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("sessions.sled");
/// drop(session_sled::open_db(&path)?);
/// assert_eq!(session_sled::check_private(&path)?, vec![]);
/// # Ok(()) }
/// ```
pub fn check_private(path: impl AsRef<Path>) -> Result<Vec<Problem>, StorageError> {
    let path = path.as_ref();
    let meta = std::fs::symlink_metadata(path)
        .map_err(|err| io_error(err, "inspect the database directory", path))?;
    if meta.file_type().is_symlink() {
        return Ok(vec![Problem {
            path: path.to_owned(),
            issue: Issue::SymbolicLink,
        }]);
    }
    if !meta.is_dir() {
        return Err(not_a_directory(path));
    }
    let dir = fsio::open_dir(path).map_err(|err| io_error(err, "open", path))?;
    let mut problems = Vec::new();
    let stat = fsio::stat(&dir).map_err(|err| io_error(err, "inspect", path))?;
    problems.extend(issues(&stat).into_iter().map(|issue| Problem {
        path: path.to_owned(),
        issue,
    }));
    walk(&dir, path, &mut |entry| {
        problems.extend(entry.issues.iter().map(|&issue| Problem {
            path: entry.path.clone(),
            issue,
        }));
        Ok(())
    })?;
    Ok(problems)
}

/// What is wrong with a file of status `stat`, from this process's point of view.
fn issues(stat: &Stat) -> Vec<Issue> {
    let kind = fsio::file_type(stat);
    if kind == FileType::Symlink {
        return vec![Issue::SymbolicLink];
    }
    let mut found = Vec::new();
    let me = fsio::euid();
    if stat.st_uid != me {
        found.push(Issue::OwnedByOtherUser {
            uid: stat.st_uid,
            expected: me,
        });
    }
    match kind {
        FileType::RegularFile | FileType::Directory => {
            let mode = fsio::permissions(stat);
            if mode & SHARED_BITS != 0 {
                found.push(Issue::AccessibleToOthers { mode });
            }
            if kind == FileType::RegularFile && stat.st_nlink > 1 {
                found.push(Issue::HardLinked {
                    links: widen(stat.st_nlink),
                });
            }
        }
        _ => found.push(Issue::NotAFileOrDirectory),
    }
    found
}

/// `value` as a `u64`: the type of `st_nlink` differs between targets.
fn widen<T: Into<u64>>(value: T) -> u64 {
    value.into()
}

/// One entry met by [`walk`].
struct Entry<'a> {
    /// The directory that holds it.
    parent: &'a OwnedFd,
    /// Its name in `parent`.
    name: PathBuf,
    /// Its full path, for messages.
    path: PathBuf,
    stat: Stat,
    issues: Vec<Issue>,
}

/// Calls `visit` on every entry of the directory `dir` (at `path`) and, recursively, of its subdirectories,
/// never following a symbolic link. Entries that disappear while walking are skipped.
fn walk(
    dir: &OwnedFd,
    path: &Path,
    visit: &mut dyn FnMut(&Entry<'_>) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    let names = fsio::list(dir).map_err(|err| io_error(err, "list", path))?;
    for name in names {
        let name = PathBuf::from(name);
        let entry_path = path.join(&name);
        let stat = match fsio::stat_at(dir, &name) {
            Ok(stat) => stat,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(io_error(err, "inspect", &entry_path)),
        };
        let entry = Entry {
            parent: dir,
            issues: issues(&stat),
            name,
            path: entry_path,
            stat,
        };
        visit(&entry)?;
        if fsio::file_type(&entry.stat) == FileType::Directory {
            let sub = match fsio::open_dir_at(dir, &entry.name) {
                Ok(sub) => sub,
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => return Err(io_error(err, "open", &entry.path)),
            };
            walk(&sub, &entry.path, visit)?;
        }
    }
    Ok(())
}

/// Makes the database directory `path` private before or after sled opens it, and returns it open.
///
/// - A symbolic link at `path`, or a directory owned by another user, is refused with
///   [`ErrorKind::PermissionDenied`]: sled opens its files by path, so whoever controls the link or the
///   directory would choose the files that receive the session.
/// - The directory loses its group and other permission bits first, so from then on no other user can
///   reach anything in it, whatever modes sled gives its files.
/// - Every entry is then checked like [`check_private`] does: a symbolic link, another user's file, a file
///   with several names or a special file is refused; modes are tightened to owner-only.
/// - With `create_missing`, the files sled would create (`db`, `conf`) are created first with mode `0600`
///   and its `blobs` directory with mode `0700`, so sled finds them instead of creating them with the
///   umask's modes.
pub(crate) fn secure(path: &Path, create_missing: bool) -> Result<OwnedFd, StorageError> {
    let dir = fsio::open_dir(path).map_err(|err| {
        if is_symlink(path) {
            symlink_refused(path)
        } else {
            io_error(err, "open the database directory", path)
        }
    })?;
    let stat = fsio::stat(&dir).map_err(|err| io_error(err, "inspect", path))?;
    if stat.st_uid != fsio::euid() {
        return Err(foreign_owner(path, stat.st_uid));
    }
    if fsio::permissions(&stat) & SHARED_BITS != 0 {
        fsio::tighten(&dir, &stat).map_err(|err| io_error(err, "restrict the mode of", path))?;
    }
    walk(&dir, path, &mut |entry| repair(entry))?;
    if create_missing {
        for file in ["db", "conf"] {
            fsio::create_private_file(&dir, Path::new(file))
                .map_err(|err| io_error(err, "create", &path.join(file)))?;
        }
        fsio::create_private_dir_at(&dir, Path::new("blobs"))
            .map_err(|err| io_error(err, "create", &path.join("blobs")))?;
    }
    Ok(dir)
}

/// Refuses `entry` if it has a problem a mode change cannot fix, and tightens its mode otherwise.
fn repair(entry: &Entry<'_>) -> Result<(), StorageError> {
    if let Some(issue) = entry.issues.iter().find(|issue| !issue.fixable()) {
        return Err(match issue {
            Issue::SymbolicLink => symlink_refused(&entry.path),
            Issue::OwnedByOtherUser { uid, .. } => foreign_owner(&entry.path, *uid),
            other => refused(&entry.path, &other.to_string()),
        });
    }
    if entry.issues.is_empty() {
        return Ok(());
    }
    let fd = fsio::open_at(entry.parent, &entry.name)
        .map_err(|err| io_error(err, "open", &entry.path))?;
    let stat = fsio::stat(&fd).map_err(|err| io_error(err, "inspect", &entry.path))?;
    if (stat.st_dev, stat.st_ino) != (entry.stat.st_dev, entry.stat.st_ino) {
        return Err(refused(
            &entry.path,
            "was replaced while it was being checked",
        ));
    }
    fsio::tighten(&fd, &stat).map_err(|err| io_error(err, "restrict the mode of", &entry.path))
}

/// Prepares the database directory `path` for [`open_db`](crate::open_db): refuses a symbolic link there,
/// creates the directory (and missing parents) with mode `0700` if it does not exist, makes it private with
/// [`secure`], and returns its canonical path, which is what sled is then given.
///
/// A `path` that exists but is not a directory is returned unchanged, for sled to report as it always has.
/// An existing directory that is neither empty nor a sled database (it has no `conf`) is refused with
/// [`ErrorKind::Config`] before anything in it is touched: a mistyped path must never have its files'
/// modes changed or sled's files dropped into it.
pub(crate) fn prepare(path: &Path) -> Result<PathBuf, StorageError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(symlink_refused(path)),
        Ok(meta) if !meta.is_dir() => return Ok(path.to_owned()),
        Ok(_) => refuse_foreign_directory(path)?,
        Err(err) if err.kind() == io::ErrorKind::NotFound => create_dir(path)?,
        Err(err) => return Err(io_error(err, "inspect the database directory", path)),
    }
    drop(secure(path, true)?);
    std::fs::canonicalize(path).map_err(|err| io_error(err, "resolve", path))
}

/// Fails unless the existing directory `path` is empty or holds a sled database (its `conf` file).
fn refuse_foreign_directory(path: &Path) -> Result<(), StorageError> {
    let conf = std::fs::symlink_metadata(path.join("conf"));
    if conf.is_ok() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(path)
        .map_err(|err| io_error(err, "list the database directory", path))?;
    if entries.next().is_none() {
        return Ok(());
    }
    Err(StorageError::new(
        ErrorKind::Config,
        BACKEND,
        format!(
            "{} is a directory that holds other files and no sled database (no `conf`); refusing to turn it \
             into one: give a new or empty directory, or the directory of an existing database",
            path.display()
        ),
    ))
}

/// Creates the directory `path` with mode `0700`, and its missing parents with mode `0700` too. A directory
/// that appears in between is fine: [`secure`] inspects whatever is there.
fn create_dir(path: &Path) -> Result<(), StorageError> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
        builder
            .create(parent)
            .map_err(|err| io_error(err, "create the parent directory", parent))?;
    }
    let mut builder = std::fs::DirBuilder::new();
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    match builder.create(path) {
        Ok(()) => {
            let dir = fsio::open_dir(path).map_err(|err| io_error(err, "open", path))?;
            set_exact_dir_mode(&dir, path)
        }
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(io_error(err, "create the database directory", path)),
    }
}

/// Gives the directory we just created exactly mode `0700`, which a restrictive umask may have reduced.
fn set_exact_dir_mode(dir: &impl AsFd, path: &Path) -> Result<(), StorageError> {
    rustix::fs::fchmod(dir, rustix::fs::Mode::from_raw_mode(DIR_MODE))
        .map_err(|err| io_error(err.into(), "set the mode of", path))
}

/// Whether `path` itself is a symbolic link.
fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
}

/// The error for a symbolic link at `path`.
fn symlink_refused(path: &Path) -> StorageError {
    refused(
        path,
        "is a symbolic link; refusing to follow it, since whoever made it would choose the files that \
         receive the session (use the real directory's path)",
    )
}

/// The error for a directory or file at `path` owned by `uid`.
fn foreign_owner(path: &Path, uid: u32) -> StorageError {
    refused(
        path,
        &format!(
            "is owned by uid {uid}, not by this process's effective uid {}; refusing to use it, since its \
             owner can change it or plant links in it (use a directory this user owns)",
            fsio::euid()
        ),
    )
}

/// A [`ErrorKind::PermissionDenied`] error saying that `path` `why`.
fn refused(path: &Path, why: &str) -> StorageError {
    StorageError::new(
        ErrorKind::PermissionDenied,
        BACKEND,
        format!("{} {why}", path.display()),
    )
}

/// The error for a database path that exists but is not a directory.
fn not_a_directory(path: &Path) -> StorageError {
    StorageError::new(
        ErrorKind::Config,
        BACKEND,
        format!(
            "{} is not a directory, so it holds no sled database",
            path.display()
        ),
    )
}
