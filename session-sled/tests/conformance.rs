//! The whole conformance suite on `SledStorage`, once on a database's default tree and once on a named tree.
//!
//! `Harness::reopen` really closes the database (drops the only `sled::Db`, which releases sled's file lock)
//! and opens it again at the same path, so the persistence cases read what sled wrote to disk. Opening
//! succeeds only once the old database has let go of its exclusive lock, which proves it was closed.
//!
//! `Harness::crash` is a process kill: it copies the database's files as they are at that moment (what the
//! kernel holds, without anything sled still buffers in memory and without the flush of a clean close) and
//! opens the copy; the old database is never closed while the harness lives.

use std::path::PathBuf;
use std::sync::Mutex;

use session_conformance::{async_trait, conformance_tests, Harness};
use session_core::{Slot, StorageError};
use session_sled::{open_db, SledStorage};

/// Opens handles on one sled database in a temporary directory.
struct SledHarness {
    dir: tempfile::TempDir,
    /// The tree the handles use; `None` for the default tree.
    tree: Option<&'static str>,
    /// The open database; `None` only in the middle of a reopen.
    db: Mutex<Option<sled::Db>>,
    /// The database directory in use: it changes with every crash.
    path: Mutex<PathBuf>,
    /// Databases left behind by crashes, kept open (never closed and flushed) until the harness is dropped.
    crashed: Mutex<Vec<sled::Db>>,
}

impl SledHarness {
    fn new(tree: Option<&'static str>) -> SledHarness {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sessions.sled");
        let db = open_db(&path).expect("open the database");
        SledHarness {
            dir,
            tree,
            db: Mutex::new(Some(db)),
            path: Mutex::new(path),
            crashed: Mutex::new(Vec::new()),
        }
    }

    fn path(&self) -> PathBuf {
        self.path.lock().expect("harness lock").clone()
    }

    /// Opens the database at `path` on a blocking thread and makes it the harness's.
    async fn open_at(&self, path: PathBuf) -> Result<(), StorageError> {
        let db = tokio::task::spawn_blocking(move || open_db(path))
            .await
            .expect("the open task ran")?;
        *self.db.lock().expect("harness lock") = Some(db);
        Ok(())
    }

    fn db(&self) -> sled::Db {
        let db = self.db.lock().expect("harness lock").clone();
        db.expect("the database is open outside a reopen")
    }
}

#[async_trait]
impl Harness for SledHarness {
    type Storage = SledStorage;

    async fn open(&self, slot: &str) -> Result<SledStorage, StorageError> {
        let slot = Slot::new(slot)?;
        let db = self.db();
        Ok(match self.tree {
            None => SledStorage::new(&db, slot),
            Some(name) => SledStorage::in_tree(&db, name, slot)?,
        })
    }

    async fn reopen(&self) -> Result<(), StorageError> {
        // The case holds no handle, so this is the last reference: dropping it closes the database.
        let closing = self.db.lock().expect("harness lock").take();
        drop(closing);
        self.open_at(self.path()).await
    }

    async fn crash(&self) -> Result<(), StorageError> {
        let running = self.db.lock().expect("harness lock").take();
        self.crashed.lock().expect("harness lock").extend(running);
        let from = self.path();
        let crashes = self.crashed.lock().expect("harness lock").len();
        let to = self.dir.path().join(format!("after-crash-{crashes}.sled"));
        copy_dir(&from, &to).expect("copy the database's files");
        *self.path.lock().expect("harness lock") = to.clone();
        self.open_at(to).await
    }
}

/// Copies the directory `from` (files and subdirectories) to the new directory `to`, owner-only.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir(to)?;
    std::fs::set_permissions(to, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The suite on the database's default tree.
mod default_tree {
    use super::*;

    conformance_tests!(
        SledHarness::new(None),
        delete,
        versioned,
        crash,
        journal,
        lease
    );
}

/// The suite on a named tree of the database.
mod named_tree {
    use super::*;

    conformance_tests!(
        SledHarness::new(Some("sessions")),
        delete,
        versioned,
        crash,
        journal,
        lease
    );
}
