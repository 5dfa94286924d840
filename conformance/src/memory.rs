//! The reference harness over `session_core::MemoryStore`.

use async_trait::async_trait;
use session_core::{MemoryStorage, MemoryStore, Slot, StorageError};

use crate::Harness;

/// The reference harness: handles on the slots of one [`MemoryStore`]. The whole suite passes on it, which
/// makes it the positive control of the suite's own tests.
///
/// Memory is this backend's only medium, so [`reopen`](Harness::reopen) keeps the data (the default).
#[derive(Clone, Debug, Default)]
pub struct MemoryHarness {
    store: MemoryStore,
}

impl MemoryHarness {
    /// A harness over a new, empty store.
    pub fn new() -> MemoryHarness {
        MemoryHarness::default()
    }

    /// The store the handles come from.
    pub fn store(&self) -> &MemoryStore {
        &self.store
    }
}

#[async_trait]
impl Harness for MemoryHarness {
    type Storage = MemoryStorage;

    async fn open(&self, slot: &str) -> Result<MemoryStorage, StorageError> {
        Ok(self.store.open(&Slot::new(slot)?))
    }
}
