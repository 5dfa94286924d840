//! The storage handle: a sled tree, a slot, and the key they make.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use session_core::{Slot, StorageError};

use crate::open::open_db;

/// A session storage that keeps one slot as one key of a sled [`Tree`](sled::Tree).
///
/// # Key mapping
///
/// The value of a slot lives under the key `prefix ++ slot name` (the bytes of the prefix followed by the
/// UTF-8 bytes of the [`Slot`]), in the tree the handle was built on. The prefix is
/// [`DEFAULT_PREFIX`](Self::DEFAULT_PREFIX) (`tgsession:`) unless [`with_prefix`](Self::with_prefix)
/// changes it, so slot `main` is the key `tgsession:main`. The value is the session's bytes, unchanged.
///
/// Prefixes let several applications share one tree: handles with different prefixes never see each
/// other's data, provided no prefix plus slot name spells another prefix plus slot name. Prefixes that end
/// in a byte slot names cannot contain (such as `/` or `\0`) rule this out; the default ends in `:`, which
/// slot names may contain, so do not combine it with a prefix such as `tgsession` that is a prefix of it.
///
/// # Durability and versions
///
/// Every write ([`store`](session_core::SessionStorage::store), [`delete`](session_core::SessionDelete::delete),
/// [`store_if`](session_core::VersionedStorage::store_if)) flushes the database with
/// [`Tree::flush`](sled::Tree::flush) before it returns `Ok`, so an acknowledged write survives a crash as far as sled guarantees. If
/// the flush fails, the call fails, although later reads in this process may already see the new value.
/// Versions are [`Version::of_content`](session_core::Version::of_content) of the stored value; conditional
/// writes use sled's [`compare_and_swap`](sled::Tree::compare_and_swap) on exactly the value whose version
/// was checked, so they are atomic with respect to every other write on the key, through any handle on the
/// same database.
///
/// # Blocking
///
/// sled's calls are synchronous. The handle splits them by cost:
///
/// - **Writes** run on Tokio's blocking thread pool (`spawn_blocking`): the insert, remove or
///   compare-and-swap and the flush that follows it, in one task. The flush waits for the disk (about
///   0.2 ms to 5 ms per write on the benchmark machine), and the insert of a value above sled's blob
///   threshold writes a file (about 0.1 ms per MiB), which must not stall the executor. Outside a Tokio
///   runtime they run on the calling thread. A write whose future is dropped still completes.
/// - **Reads** call sled on the calling task: `get` serves from sled's page cache and took well under
///   a microsecond for a 4 KiB and a 1 MiB value in `benches/sled.rs`, where moving it to the blocking pool
///   would cost about 20 µs.
///
/// sled's own `flush_async` is not used: in sled 0.34 concurrent `flush_async` calls can deadlock sled's
/// internal thread pool (sled issues #1241 and #1308, fixed only after 0.34.7), which the conformance
/// suite's race of eight writers reproduces.
///
/// Cloning a handle is cheap (the tree is reference-counted); the database stays open while any handle on
/// it lives.
#[derive(Clone)]
pub struct SledStorage {
    tree: sled::Tree,
    slot: Slot,
    /// `prefix ++ slot`; the prefix is `key[..prefix_len]`.
    key: Arc<[u8]>,
    prefix_len: usize,
}

impl SledStorage {
    /// The key prefix of a handle unless [`with_prefix`](Self::with_prefix) sets another.
    pub const DEFAULT_PREFIX: &'static [u8] = b"tgsession:";

    /// A handle on `slot` in `tree`, with the [default prefix](Self::DEFAULT_PREFIX).
    ///
    /// Pass a [`sled::Db`] (it dereferences to its default tree) or any tree opened with
    /// [`Db::open_tree`](sled::Db::open_tree).
    ///
    /// ```
    /// use session_core::Slot;
    /// use session_sled::SledStorage;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let db = sled::Config::new().temporary(true).open()?;
    /// let main = SledStorage::new(&db, Slot::new("main")?);
    /// let sessions = db.open_tree("sessions")?;
    /// let other = SledStorage::new(&sessions, Slot::new("main")?);
    /// assert_eq!(main.key(), b"tgsession:main");
    /// assert_eq!(other.key(), b"tgsession:main"); // same key, another tree: separate data
    /// # Ok(()) }
    /// ```
    pub fn new(tree: &sled::Tree, slot: Slot) -> SledStorage {
        SledStorage {
            tree: tree.clone(),
            key: make_key(Self::DEFAULT_PREFIX, &slot),
            prefix_len: Self::DEFAULT_PREFIX.len(),
            slot,
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

    /// The tree and key, owned, for a closure that runs on another thread.
    pub(crate) fn owned_location(&self) -> (sled::Tree, Arc<[u8]>) {
        (self.tree.clone(), Arc::clone(&self.key))
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
