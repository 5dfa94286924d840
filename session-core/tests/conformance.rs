//! The reference storage passes the whole conformance suite: `MemoryStorage` handles on the slots of one
//! `MemoryStore`, with the delete and versioned cases.

use session_conformance::{async_trait, Harness};
use session_core::{MemoryStorage, MemoryStore, Slot, StorageError};

/// Hands out the `MemoryStorage` of each slot of one store; every test gets a new store.
#[derive(Debug, Default)]
struct MemoryStoreHarness {
    store: MemoryStore,
}

#[async_trait]
impl Harness for MemoryStoreHarness {
    type Storage = MemoryStorage;

    async fn open(&self, slot: &str) -> Result<MemoryStorage, StorageError> {
        Ok(self.store.open(&Slot::new(slot)?))
    }
}

session_conformance::conformance_tests!(
    MemoryStoreHarness::default(),
    delete,
    versioned,
    journal,
    lease
);
