//! The shared conformance suite, over a `FileStore` (one `<slot>.session` file per slot) and over
//! `FileStorage` handles built from plain paths, each in a fresh temporary directory per test.
//!
//! `Harness::crash` has nothing to drop: the adapter keeps no state in the process, and every write is
//! fsynced and renamed into place before it returns, so what a crashed process leaves is exactly what the
//! next handle reads. (`tests/crash.rs` kills real writer processes with SIGKILL.)

use session_conformance::{async_trait, conformance_tests, Harness};
use session_core::{Slot, StorageError};
use session_file::{FileStorage, FileStore};
use tempfile::TempDir;

/// Opens slots of a `FileStore` on a temporary directory. The store keeps no state besides its directory, so
/// every `open` builds a new one on the same directory and `reopen` has nothing to drop.
struct StoreHarness {
    dir: TempDir,
}

impl StoreHarness {
    fn new() -> StoreHarness {
        StoreHarness {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }
}

#[async_trait]
impl Harness for StoreHarness {
    type Storage = FileStorage;

    async fn open(&self, slot: &str) -> Result<FileStorage, StorageError> {
        FileStore::new(self.dir.path()).open(&Slot::new(slot)?)
    }

    async fn crash(&self) -> Result<(), StorageError> {
        Ok(())
    }

    fn max_slot_len(&self) -> usize {
        FileStore::MAX_SLOT_LEN
    }
}

conformance_tests!(
    StoreHarness::new(),
    delete,
    versioned,
    crash,
    journal,
    lease
);

/// The same suite through `FileStorage::new` on paths a user would pick: the slot name is the whole file
/// name, with no `.session` extension.
mod single_path {
    use super::*;

    struct PathHarness {
        dir: TempDir,
    }

    impl PathHarness {
        fn new() -> PathHarness {
            PathHarness {
                dir: tempfile::tempdir().expect("temporary directory"),
            }
        }
    }

    #[async_trait]
    impl Harness for PathHarness {
        type Storage = FileStorage;

        async fn open(&self, slot: &str) -> Result<FileStorage, StorageError> {
            FileStorage::new(self.dir.path().join(slot))
        }

        async fn crash(&self) -> Result<(), StorageError> {
            Ok(())
        }

        /// The longest file name whose lock file name (`.<name>.lock`) still fits in 255 bytes.
        fn max_slot_len(&self) -> usize {
            249
        }
    }

    conformance_tests!(PathHarness::new(), delete, versioned, crash, journal, lease);
}
