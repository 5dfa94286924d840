//! The whole conformance suite on `SledStorage`, once on a database's default tree and once on a named tree.
//!
//! `Harness::reopen` really closes the database (drops the only `sled::Db`, which releases sled's file lock)
//! and opens it again at the same path, so the persistence cases read what sled wrote to disk. Opening
//! succeeds only once the old database has let go of its exclusive lock, which proves it was closed.

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
}

impl SledHarness {
    fn new(tree: Option<&'static str>) -> SledHarness {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = open_db(dir.path().join("sessions.sled")).expect("open the database");
        SledHarness {
            dir,
            tree,
            db: Mutex::new(Some(db)),
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("sessions.sled")
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
        let path = self.path();
        let db = tokio::task::spawn_blocking(move || open_db(path))
            .await
            .expect("the open task ran")?;
        *self.db.lock().expect("harness lock") = Some(db);
        Ok(())
    }
}

/// The suite on the database's default tree.
mod default_tree {
    use super::*;

    conformance_tests!(SledHarness::new(None), delete, versioned);
}

/// The suite on a named tree of the database.
mod named_tree {
    use super::*;

    conformance_tests!(SledHarness::new(Some("sessions")), delete, versioned);
}
