//! What sled's flush leaves unsynced, synced: sled 0.34 writes its log with `sync_file_range` (neither the
//! file's size nor the device's write cache is flushed) and never syncs the files under `blobs/` (values
//! and pages over about 128 KiB) or any directory. [`Files`] keeps the database's files open and, after
//! each flush, syncs the `db` file, every blob file that is new or changed, and `blobs/` when it has new
//! entries; when first opened it syncs what sled created while opening the database.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rustix::fs::FileType;
use session_core::{ErrorKind, StorageError};

use crate::error::{io_error, BACKEND};
use crate::fsio::{self, SHARED_BITS};
use crate::private::secure;

/// What identifies one version of a blob file: if any of it changes, the file is synced again.
type Fingerprint = [i128; 4];

/// The open files of one database.
pub(crate) struct Files {
    path: PathBuf,
    dir: OwnedFd,
    db: OwnedFd,
    blobs: OwnedFd,
    /// The blob files synced so far, with what they looked like before they were synced.
    synced: Mutex<HashMap<OsString, Fingerprint>>,
}

impl Files {
    /// Opens the directory `path` of an open database, makes it private (see [`secure`]) and, if
    /// `durable`, syncs `conf`, `blobs/`, the directory and its parent: sled creates or renames entries in
    /// them while opening the database and syncs none of them.
    pub(crate) fn open(path: &Path, durable: bool) -> Result<Files, StorageError> {
        let dir = secure(path, false)?;
        let db = open_regular(&dir, path, "db")?;
        let blobs = fsio::open_dir_at(&dir, Path::new("blobs"))
            .map_err(|err| io_error(err, "open", &path.join("blobs")))?;
        if durable {
            let conf = open_regular(&dir, path, "conf")?;
            fsio::sync_data(&conf).map_err(|err| io_error(err, "sync", &path.join("conf")))?;
            fsio::sync_all(&blobs).map_err(|err| io_error(err, "sync", &path.join("blobs")))?;
            fsio::sync_all(&dir).map_err(|err| io_error(err, "sync", path))?;
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                let parent_dir =
                    std::fs::File::open(parent).map_err(|err| io_error(err, "open", parent))?;
                fsio::sync_all(&parent_dir).map_err(|err| io_error(err, "sync", parent))?;
            }
        }
        Ok(Files {
            path: path.to_owned(),
            dir,
            db,
            blobs,
            synced: Mutex::new(HashMap::new()),
        })
    }

    /// Fails with [`ErrorKind::StorageFull`] unless at least `reserve` bytes are free on the database's file
    /// system. Nothing has been written when it fails.
    pub(crate) fn ensure_free(&self, reserve: u64, action: &str) -> Result<(), StorageError> {
        let free = fsio::free_bytes(&self.dir)
            .map_err(|err| io_error(err, "measure the free space of", &self.path))?;
        if free >= reserve {
            return Ok(());
        }
        Err(StorageError::new(
            ErrorKind::StorageFull,
            BACKEND,
            format!(
                "cannot {action}: {free} bytes are free on the file system of {}, less than the {reserve} \
                 this write keeps free (sled 0.34 cannot recover from a write that fills the disk); nothing \
                 was written: free some space (or lower the reserve with SledStorage::with_min_free_space)",
                self.path.display()
            ),
        ))
    }

    /// Called after a successful sled flush: tightens the mode of new blob files and, if `durable`, syncs
    /// them, `blobs/` if it has new entries, and the `db` file.
    pub(crate) fn sync_after_flush(&self, durable: bool) -> Result<(), sled::Error> {
        self.sync_blobs(durable)?;
        if durable {
            fsio::sync_data(&self.db).map_err(|err| self.failed(err, "db"))?;
        }
        Ok(())
    }

    /// Syncs every blob file that was not synced yet or changed since, then `blobs/` if it has new names.
    ///
    /// A blob that a concurrent write is still filling may be synced half-written; its fingerprint then
    /// changes, and the flush of that write syncs it again before that write returns.
    fn sync_blobs(&self, durable: bool) -> Result<(), sled::Error> {
        let names = fsio::list(&self.blobs).map_err(|err| self.failed(err, "blobs"))?;
        let mut synced = self.synced.lock().unwrap_or_else(PoisonError::into_inner);
        let mut present = HashMap::with_capacity(names.len());
        let mut new_names = false;
        for name in names {
            let Some(print) = self.sync_blob(&name, synced.get(&name), durable)? else {
                continue;
            };
            new_names |= !synced.contains_key(&name);
            present.insert(name, print);
        }
        *synced = present;
        if new_names && durable {
            fsio::sync_all(&self.blobs).map_err(|err| self.failed(err, "blobs"))?;
        }
        Ok(())
    }

    /// Syncs the blob file `name` unless it still has the fingerprint `known`; returns its fingerprint, or
    /// `None` if it disappeared (sled removes blobs whose pages were rewritten).
    fn sync_blob(
        &self,
        name: &OsString,
        known: Option<&Fingerprint>,
        durable: bool,
    ) -> Result<Option<Fingerprint>, sled::Error> {
        let relative = Path::new("blobs").join(name);
        let gone = |err: &io::Error| err.kind() == io::ErrorKind::NotFound;
        let stat = match fsio::stat_at(&self.blobs, Path::new(name)) {
            Ok(stat) => stat,
            Err(err) if gone(&err) => return Ok(None),
            Err(err) => return Err(self.failed(err, &relative)),
        };
        let print = fingerprint(&stat);
        if known == Some(&print) {
            return Ok(Some(print));
        }
        let fd = match fsio::open_at(&self.blobs, Path::new(name)) {
            Ok(fd) => fd,
            Err(err) if gone(&err) => return Ok(None),
            Err(err) => return Err(self.failed(err, &relative)),
        };
        let stat = fsio::stat(&fd).map_err(|err| self.failed(err, &relative))?;
        let trusted = fsio::file_type(&stat) == FileType::RegularFile
            && stat.st_uid == fsio::euid()
            && stat.st_nlink == 1;
        if !trusted {
            let why = io::Error::new(
                io::ErrorKind::PermissionDenied,
                "not a regular file of this user with a single name",
            );
            return Err(self.failed(why, &relative));
        }
        if fsio::permissions(&stat) & SHARED_BITS != 0 {
            fsio::tighten(&fd, &stat).map_err(|err| self.failed(err, &relative))?;
        }
        if durable {
            fsio::sync_data(&fd).map_err(|err| self.failed(err, &relative))?;
        }
        Ok(Some(fingerprint(&stat)))
    }

    /// The sled error (the poison's cause) for `err` on `relative` inside the database directory.
    fn failed(&self, err: impl Into<io::Error>, relative: impl AsRef<Path>) -> sled::Error {
        let err = err.into();
        let path = self.path.join(relative);
        sled::Error::Io(io::Error::new(
            err.kind(),
            format!("cannot sync {}: {err}", path.display()),
        ))
    }
}

/// Opens the regular file `name` in the database directory `dir` (at `path`) for syncing.
fn open_regular(dir: &OwnedFd, path: &Path, name: &str) -> Result<OwnedFd, StorageError> {
    fsio::open_at(dir, Path::new(name)).map_err(|err| io_error(err, "open", &path.join(name)))
}

/// The inode, size and modification time of a file.
fn fingerprint(stat: &rustix::fs::Stat) -> Fingerprint {
    [
        i128::from(stat.st_ino),
        i128::from(stat.st_size),
        i128::from(stat.st_mtime),
        i128::from(stat.st_mtime_nsec),
    ]
}
