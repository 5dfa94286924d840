//! Small file-system primitives on directory descriptors: opening entries without following symbolic links,
//! listing a directory, tightening modes, syncing, and asking for free space.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, Stat};

/// The mode of every file the adapter makes sled create: read and write for the owner only.
pub(crate) const FILE_MODE: u32 = 0o600;
/// The mode of every directory the adapter makes sled create.
pub(crate) const DIR_MODE: u32 = 0o700;
/// The permission bits that give group or other users any access.
pub(crate) const SHARED_BITS: u32 = 0o077;

/// Flags for opening an entry to inspect it: never follow a final symbolic link, never block on a FIFO.
fn inspect_flags() -> OFlags {
    OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC
}

/// Opens the directory `path` without following a symbolic link at its last component.
pub(crate) fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    Ok(rfs::open(
        path,
        inspect_flags() | OFlags::DIRECTORY,
        Mode::empty(),
    )?)
}

/// Opens the directory `name` inside `dir` without following a symbolic link.
pub(crate) fn open_dir_at(dir: impl AsFd, name: &Path) -> io::Result<OwnedFd> {
    Ok(rfs::openat(
        dir,
        name,
        inspect_flags() | OFlags::DIRECTORY,
        Mode::empty(),
    )?)
}

/// Opens the entry `name` inside `dir` read-only (any type but a symbolic link), without following a
/// symbolic link and without blocking if it is a FIFO.
pub(crate) fn open_at(dir: impl AsFd, name: &Path) -> io::Result<OwnedFd> {
    Ok(rfs::openat(dir, name, inspect_flags(), Mode::empty())?)
}

/// Creates the empty file `name` inside `dir` with mode exactly `0600`, whatever the umask; `Ok(false)` if
/// something already has that name (it is then left alone; the caller inspects it).
pub(crate) fn create_private_file(dir: impl AsFd, name: &Path) -> io::Result<bool> {
    let flags = inspect_flags() | OFlags::CREATE | OFlags::EXCL;
    match rfs::openat(dir, name, flags, Mode::from_raw_mode(FILE_MODE)) {
        Ok(fd) => {
            // The umask may have removed owner bits; set the exact mode.
            rfs::fchmod(&fd, Mode::from_raw_mode(FILE_MODE))?;
            Ok(true)
        }
        Err(rustix::io::Errno::EXIST) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Creates the directory `name` inside `dir` with mode exactly `0700`, whatever the umask; `Ok(false)` if
/// something already has that name.
pub(crate) fn create_private_dir_at(dir: impl AsFd, name: &Path) -> io::Result<bool> {
    let dir = dir.as_fd();
    match rfs::mkdirat(dir, name, Mode::from_raw_mode(DIR_MODE)) {
        Ok(()) => {
            let created = open_dir_at(dir, name)?;
            rfs::fchmod(&created, Mode::from_raw_mode(DIR_MODE))?;
            Ok(true)
        }
        Err(rustix::io::Errno::EXIST) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// The status of the entry `name` inside `dir`, not following a symbolic link.
pub(crate) fn stat_at(dir: impl AsFd, name: &Path) -> io::Result<Stat> {
    Ok(rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?)
}

/// The status of an open file.
pub(crate) fn stat(fd: impl AsFd) -> io::Result<Stat> {
    Ok(rfs::fstat(fd)?)
}

/// The names in the directory `dir`, without `.` and `..`.
pub(crate) fn list(dir: impl AsFd) -> io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    for entry in rfs::Dir::read_from(dir)? {
        let name = entry?.file_name().to_bytes().to_vec();
        if name != b"." && name != b".." {
            names.push(std::os::unix::ffi::OsStringExt::from_vec(name));
        }
    }
    Ok(names)
}

/// The type of a file from its status.
pub(crate) fn file_type(stat: &Stat) -> FileType {
    FileType::from_raw_mode(stat.st_mode)
}

/// The permission bits (including set-id and sticky bits) of a file from its status.
pub(crate) fn permissions(stat: &Stat) -> u32 {
    stat.st_mode & 0o7777
}

/// Removes the group and other bits (and the set-id and sticky bits) from the open file `fd`, keeping the
/// owner's bits.
pub(crate) fn tighten(fd: impl AsFd, stat: &Stat) -> io::Result<()> {
    let owner_only = stat.st_mode & 0o700;
    Ok(rfs::fchmod(fd, Mode::from_raw_mode(owner_only))?)
}

/// Flushes the data of the open file `fd` to the device, with the metadata needed to read it back (its
/// size): `fdatasync`.
pub(crate) fn sync_data(fd: impl AsFd) -> io::Result<()> {
    Ok(rfs::fdatasync(fd)?)
}

/// Flushes the open file or directory `fd` and all its metadata to the device: `fsync`.
pub(crate) fn sync_all(fd: impl AsFd) -> io::Result<()> {
    Ok(rfs::fsync(fd)?)
}

/// The bytes an unprivileged user may still write on the file system holding `fd`.
pub(crate) fn free_bytes(fd: impl AsFd) -> io::Result<u64> {
    let vfs = rfs::fstatvfs(fd)?;
    Ok(vfs.f_bavail.saturating_mul(vfs.f_frsize))
}

/// The effective user id of this process.
pub(crate) fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}
