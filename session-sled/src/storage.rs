//! The storage handle: a sled tree, a slot, and the key they make.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use session_core::{Slot, StorageError};

use crate::database::Database;
use crate::error::map_sled_error;
use crate::open::open_db;

/// A session storage that keeps one slot as one key of a sled [`Tree`](sled::Tree) of an open [`sled::Db`].
///
/// # Key mapping
///
/// The value of a slot lives under the key `prefix ++ slot name` (the bytes of the prefix followed by the
/// UTF-8 bytes of the [`Slot`]), in the tree the handle was built on. The prefix is
/// [`DEFAULT_PREFIX`](Self::DEFAULT_PREFIX) (`tgsession:`) unless [`with_prefix`](Self::with_prefix)
/// changes it, so slot `main` is the key `tgsession:main`. The value is the session's bytes, unchanged.
/// A slot whose session names a journal position also has keys that start with its key followed by the
/// byte `FF`: the journal's state and its records (crate docs, *Journal*).
///
/// Prefixes let several applications share one tree: handles with different prefixes never see each
/// other's data, provided no prefix plus slot name spells another prefix plus slot name. Prefixes that end
/// in a byte slot names cannot contain (such as `/` or `\0`) rule this out; the default ends in `:`, which
/// slot names may contain, so do not combine it with a prefix such as `tgsession` that is a prefix of it.
/// Nor use a prefix that contains `FF`, which could spell another handle's journal keys.
///
/// # Durability and versions
///
/// Every write ([`store`](session_core::SessionStorage::store), [`delete`](session_core::SessionDelete::delete),
/// [`store_if`](session_core::VersionedStorage::store_if), [`append`](session_core::JournalStorage::append),
/// [`compact`](session_core::JournalStorage::compact)) is one sled transaction over the slot's keys and is
/// on disk when it returns `Ok`: sled's flush, then `fdatasync` of the `db` file and of the new blob files
/// and `fsync` of the directories whose entries changed (the crate docs, *Durability*, list exactly what
/// is synced and what is not). A write first checks
/// that the file system keeps [`min_free_space`](Self::min_free_space) plus twice the value's length free,
/// and fails with [`ErrorKind::StorageFull`](session_core::ErrorKind::StorageFull), writing nothing, if not.
/// A write that fails after sled may have changed its memory poisons the database for every handle on it:
/// later calls fail with a message saying that it must be reopened, and no load returns the value whose
/// write failed (crate docs, *When a write fails*).
///
/// Versions are [`Version::of_content`](session_core::Version::of_content) of the stored value, except for a
/// slot with a journal, whose version also changes with every append and compaction (crate docs,
/// *Journal*). A conditional write checks the version and writes in the same sled transaction, so it is
/// atomic with respect to every other write on the slot, through any handle on the same database.
///
/// # Blocking
///
/// sled's calls are synchronous. The handle splits them by cost:
///
/// - **Writes** run on Tokio's blocking thread pool (`spawn_blocking`): the free-space check, the checks
///   and hashes of the input, the transaction, the flush and the syncs that follow it, in one task. They
///   wait for the disk (about 0.25 ms to 8 ms per write on the benchmark machine), and the insert of a
///   value above sled's blob threshold writes a file, which must not stall the executor. Outside a Tokio
///   runtime they run on the calling thread. A write whose future is dropped still completes.
/// - **Reads** call sled on the calling task: a transaction that reads the slot's keys from sled's page
///   cache and never commits took about a microsecond for a 4 KiB and a 1 MiB value in `benches/sled.rs`,
///   where moving it to the blocking pool would cost about 20 µs. A read of a page sled evicted from its
///   cache reads the disk. When records follow the snapshot, applying them (decoding and encoding the
///   session) runs on the blocking pool.
///
/// sled's own `flush_async` is not used: in sled 0.34 concurrent `flush_async` calls can deadlock sled's
/// internal thread pool (sled issues #1241 and #1308, fixed only after 0.34.7), which the conformance
/// suite's race of eight writers reproduces.
///
/// Cloning a handle is cheap (the tree and the shared state are reference-counted); the database stays
/// open while any handle on it lives.
#[derive(Clone)]
pub struct SledStorage {
    tree: sled::Tree,
    /// What every handle on the same database shares: its poison and its open files.
    database: Arc<Database>,
    slot: Slot,
    /// `prefix ++ slot`; the prefix is `key[..prefix_len]`.
    key: Arc<[u8]>,
    prefix_len: usize,
    min_free_space: u64,
}

impl SledStorage {
    /// The key prefix of a handle unless [`with_prefix`](Self::with_prefix) sets another.
    pub const DEFAULT_PREFIX: &'static [u8] = b"tgsession:";

    /// The free space, in bytes, that every write keeps on the database's file system unless
    /// [`with_min_free_space`](Self::with_min_free_space) sets another amount: 8 MiB. A write also needs
    /// twice its value's length on top of it.
    pub const DEFAULT_MIN_FREE_SPACE: u64 = 8 << 20;

    /// A handle on `slot` in the default tree of `db`, with the [default prefix](Self::DEFAULT_PREFIX).
    ///
    /// Every handle built from the same open database (this way, with [`in_tree`](Self::in_tree), by
    /// cloning, or from a clone of `db`) shares one state: when a write fails in a way that leaves sled's
    /// memory ahead of the disk, every handle on the database refuses every call (see the crate docs).
    ///
    /// ```
    /// use session_core::Slot;
    /// use session_sled::SledStorage;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let db = session_sled::open_db(dir.path().join("sessions.sled"))?;
    /// let main = SledStorage::new(&db, Slot::new("main")?);
    /// let other = SledStorage::in_tree(&db, "sessions", Slot::new("main")?)?;
    /// assert_eq!(main.key(), b"tgsession:main");
    /// assert_eq!(other.key(), b"tgsession:main"); // same key, another tree: separate data
    /// # Ok(()) }
    /// ```
    pub fn new(db: &sled::Db, slot: Slot) -> SledStorage {
        SledStorage::build(db, db, slot)
    }

    /// A handle on `slot` in the tree named `tree` of `db` (opened, or created if it does not exist, with
    /// [`Db::open_tree`](sled::Db::open_tree)), with the [default prefix](Self::DEFAULT_PREFIX).
    ///
    /// # Errors
    ///
    /// Those of sled when it cannot open or create the tree, mapped like every sled error.
    pub fn in_tree(
        db: &sled::Db,
        tree: impl AsRef<[u8]>,
        slot: Slot,
    ) -> Result<SledStorage, StorageError> {
        let tree = db
            .open_tree(tree)
            .map_err(|err| map_sled_error(err, &format!("open the tree of slot {slot:?}")))?;
        Ok(SledStorage::build(db, &tree, slot))
    }

    fn build(db: &sled::Db, tree: &sled::Tree, slot: Slot) -> SledStorage {
        SledStorage {
            tree: tree.clone(),
            database: Database::of(db),
            key: make_key(Self::DEFAULT_PREFIX, &slot),
            prefix_len: Self::DEFAULT_PREFIX.len(),
            slot,
            min_free_space: Self::DEFAULT_MIN_FREE_SPACE,
        }
    }

    /// Opens (creating it if needed) the database in the directory `path` with
    /// [`open_db`](crate::open_db) and returns a handle on `slot` in its default tree.
    ///
    /// This blocks the current thread while sled opens the database. To keep several slots in one
    /// database, open it once with [`open_db`](crate::open_db) and build each handle with
    /// [`new`](Self::new): a database can be open only once at a time.
    ///
    /// # Errors
    ///
    /// Those of [`open_db`](crate::open_db).
    pub fn open(path: impl AsRef<Path>, slot: Slot) -> Result<SledStorage, StorageError> {
        let db = open_db(path)?;
        Ok(SledStorage::new(&db, slot))
    }

    /// The same handle with the key prefix `prefix` instead of the current one; an empty prefix makes the
    /// key the bare slot name.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl AsRef<[u8]>) -> SledStorage {
        let prefix = prefix.as_ref();
        self.key = make_key(prefix, &self.slot);
        self.prefix_len = prefix.len();
        self
    }

    /// The same handle, keeping `bytes` free on the database's file system instead of
    /// [`DEFAULT_MIN_FREE_SPACE`](Self::DEFAULT_MIN_FREE_SPACE); `0` turns the check off.
    ///
    /// Before each write the handle asks the file system for its free space and fails with
    /// [`ErrorKind::StorageFull`](session_core::ErrorKind::StorageFull), writing nothing, unless at least
    /// `bytes` plus twice the value's length are free. This keeps a nearly full disk from reaching sled: in
    /// sled 0.34 a write that runs out of space poisons the database until it is reopened, and one that runs
    /// out while writing a blob file leaves sled unable to flush or close the database at all (only a new
    /// process can open it again). The check cannot see other writers that fill the disk at the same time,
    /// nor quotas, so it makes these failures rare, not impossible.
    #[must_use]
    pub fn with_min_free_space(mut self, bytes: u64) -> SledStorage {
        self.min_free_space = bytes;
        self
    }

    /// The free space every write keeps; see [`with_min_free_space`](Self::with_min_free_space).
    pub fn min_free_space(&self) -> u64 {
        self.min_free_space
    }

    /// The bytes a write of a `len`-byte value needs free before it starts; `0` when the check is off.
    pub(crate) fn reserve_for(&self, len: usize) -> u64 {
        if self.min_free_space == 0 {
            return 0;
        }
        let len = u64::try_from(len).unwrap_or(u64::MAX);
        self.min_free_space.saturating_add(len.saturating_mul(2))
    }

    /// The slot of this handle.
    pub fn slot(&self) -> &Slot {
        &self.slot
    }

    /// The key prefix.
    pub fn prefix(&self) -> &[u8] {
        &self.key[..self.prefix_len]
    }

    /// The key the slot's value is stored under: the prefix followed by the slot name.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The tree, key and shared state, owned, for a closure that runs on another thread.
    pub(crate) fn owned_location(&self) -> (sled::Tree, Arc<[u8]>, Arc<Database>) {
        (
            self.tree.clone(),
            Arc::clone(&self.key),
            Arc::clone(&self.database),
        )
    }

    /// The shared state of the database.
    pub(crate) fn database(&self) -> &Database {
        &self.database
    }

    /// The tree the value is stored in.
    pub fn tree(&self) -> &sled::Tree {
        &self.tree
    }
}

/// `prefix ++ slot name`.
fn make_key(prefix: &[u8], slot: &Slot) -> Arc<[u8]> {
    [prefix, slot.as_str().as_bytes()].concat().into()
}

impl fmt::Debug for SledStorage {
    /// Shows the tree name, slot and prefix; never the stored value (sled's own `Debug` of a tree would
    /// print its contents).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SledStorage")
            .field(
                "tree",
                &format_args!("\"{}\"", self.tree.name().escape_ascii()),
            )
            .field("slot", &self.slot)
            .field(
                "prefix",
                &format_args!("\"{}\"", self.prefix().escape_ascii()),
            )
            .finish()
    }
}
