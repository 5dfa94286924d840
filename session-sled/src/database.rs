//! What every handle on one open sled database shares: whether a failed write has poisoned it, and the
//! open files that make its writes durable. One [`Database`] exists per open [`sled::Db`], found through
//! a process-wide registry, so handles built separately from the same `Db` see the same state.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, OnceLock, PoisonError, Weak};

use session_core::StorageError;

use crate::durable::Files;
use crate::error::{map_sled_error, BACKEND};
use crate::poison::{Poison, Remedy};

/// The shared state of one open sled database.
pub(crate) struct Database {
    /// Keeps the database open while any handle (or a pin) needs this state, so the registry key below
    /// cannot be reused by another database meanwhile.
    db: sled::Db,
    /// The database directory as sled was given it, made absolute when possible.
    path: PathBuf,
    /// False for a `temporary` database, which sled deletes when it is closed: nothing is synced.
    durable: bool,
    /// Opened on the first write; `None` until then or while opening fails.
    files: Mutex<Option<Arc<Files>>>,
    /// Set once by the first write that failed after it may have changed sled's in-memory state.
    poison: OnceLock<Poison>,
}

/// The open databases: live states by key, and poisoned states kept alive on purpose.
struct Registry {
    live: HashMap<usize, Weak<Database>>,
    /// Poisoned databases that sled itself does not remember as failed. Keeping them here keeps the poison
    /// for as long as the database is open, even when every handle is dropped, and keeps a database that
    /// sled can no longer flush from ever being dropped (sled 0.34 would then hang in its destructor).
    pinned: Vec<Arc<Database>>,
}

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(|| {
    Mutex::new(Registry {
        live: HashMap::new(),
        pinned: Vec::new(),
    })
});

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The identity of an open database: the address of its default tree's shared state, which every clone of
/// the `Db` points to and which lives as long as the database is open.
fn key_of(db: &sled::Db) -> usize {
    let tree: &sled::Tree = db;
    std::ptr::from_ref(&**tree).cast::<()>().addr()
}

impl Database {
    /// The shared state of `db`, created on first use.
    pub(crate) fn of(db: &sled::Db) -> Arc<Database> {
        let key = key_of(db);
        let mut registry = registry();
        if let Some(found) = registry.live.get(&key).and_then(Weak::upgrade) {
            return found;
        }
        registry.live.retain(|_, state| state.strong_count() > 0);
        let created = Arc::new(Database::new(db));
        registry.live.insert(key, Arc::downgrade(&created));
        created
    }

    fn new(db: &sled::Db) -> Database {
        // sled 0.34 exposes its configuration only through the hidden `Db::context` field.
        let path = db.context.get_path();
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        Database {
            db: db.clone(),
            path,
            durable: !db.context.temporary,
            files: Mutex::new(None),
            poison: OnceLock::new(),
        }
    }

    /// Fails if a write poisoned this database, or if sled itself reports a failed background write (sled
    /// keeps that error for as long as the database is open). `action` names the call in the error.
    pub(crate) fn check(&self, action: impl FnOnce() -> String) -> Result<(), StorageError> {
        if let Some(poison) = self.poison.get() {
            return Err(poison.error(&action()));
        }
        if let Err(err) = self.db.context.global_error() {
            let poison = self.poison.get_or_init(|| Poison::new(Remedy::Reopen, err));
            return Err(poison.error(&action()));
        }
        Ok(())
    }

    /// Runs one write: checks the poison, opens the files on first use, checks that `reserve` bytes are
    /// free (0: no check), runs `op` (sled calls that return a value and whether they changed anything),
    /// then, if they did, flushes sled and syncs what sled's flush leaves unsynced (see [`Files`]).
    ///
    /// A failure after `op` may have changed sled's in-memory state poisons the database, so that no load
    /// ever returns a value whose write failed.
    pub(crate) fn write<T>(
        self: &Arc<Self>,
        action: &str,
        reserve: u64,
        op: impl FnOnce() -> sled::Result<(T, bool)>,
    ) -> Result<T, StorageError> {
        self.check(|| action.to_owned())?;
        let files = self.files()?;
        if reserve > 0 {
            files.ensure_free(reserve, action)?;
        }
        let (value, changed) = match op() {
            Ok(done) => done,
            Err(err) => return Err(self.op_failed(err, action)),
        };
        if !changed {
            return Ok(value);
        }
        if let Err(err) = self.db.flush() {
            return Err(self.poisoned(Remedy::Reopen, err, action));
        }
        if let Err(err) = files.sync_after_flush(self.durable) {
            return Err(self.poisoned(Remedy::Reopen, err, action));
        }
        Ok(value)
    }

    /// The open files, opening them (and making the directory private and its entries durable) on first use.
    fn files(&self) -> Result<Arc<Files>, StorageError> {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = files.as_ref() {
            return Ok(Arc::clone(open));
        }
        let open = Arc::new(Files::open(&self.path, self.durable)?);
        *files = Some(Arc::clone(&open));
        Ok(open)
    }

    /// The error of a sled write call that failed. Only I/O errors can leave sled's state changed: the
    /// write reserved space in sled's log before its file write failed. Unless sled recorded the failure
    /// itself, it then never finishes that log buffer, and every later flush (and closing the database)
    /// would wait forever, so the database is poisoned for good.
    fn op_failed(self: &Arc<Self>, err: sled::Error, action: &str) -> StorageError {
        if !matches!(err, sled::Error::Io(_)) {
            return map_sled_error(err, action);
        }
        let remedy = if self.db.context.global_error().is_err() {
            Remedy::Reopen
        } else {
            Remedy::Restart
        };
        self.poisoned(remedy, err, action)
    }

    /// Poisons the database because `err` failed `action`, and returns the error for that call.
    fn poisoned(self: &Arc<Self>, remedy: Remedy, err: sled::Error, action: &str) -> StorageError {
        let sled_remembers = self.db.context.global_error().is_err() && remedy == Remedy::Reopen;
        let mut first = false;
        let poison = self.poison.get_or_init(|| {
            first = true;
            Poison::new(remedy, err.clone())
        });
        if first && !sled_remembers {
            registry().pinned.push(Arc::clone(self));
        }
        poison.first_error(err, action)
    }
}

/// Called before opening the database at `path` (canonical): forgets poisoned databases at that path that
/// a reopen repairs, so they can close, and fails if one there can only be repaired by a new process.
pub(crate) fn release_pins(path: &Path) -> Result<(), StorageError> {
    let mut registry = registry();
    if let Some(stuck) = registry.pinned.iter().find(|state| {
        state.path == path && state.poison.get().map(Poison::remedy) == Some(Remedy::Restart)
    }) {
        let action = format!("open the database {}", path.display());
        return Err(stuck.poison.get().map_or_else(
            || StorageError::new(session_core::ErrorKind::Other, BACKEND, action.clone()),
            |poison| poison.error(&action),
        ));
    }
    let (released, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut registry.pinned)
        .into_iter()
        .partition(|state| state.path == path);
    registry.pinned = kept;
    drop(registry);
    // Dropping the last reference closes the database; sled flushes it first.
    drop(released);
    Ok(())
}
