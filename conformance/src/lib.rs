//! The shared conformance suite for tgsession storages.
//!
//! (Being written: the `Harness` trait, `run_all`, `run_delete`, `run_versioned` and `conformance_tests!`.)

pub mod fixtures;

use async_trait::async_trait;
use session_core::{SessionStorage, StorageError};

/// Opens storages for the suite.
#[async_trait]
pub trait Harness: Send + Sync {
    /// The storage under test.
    type Storage: SessionStorage + 'static;

    /// A handle on `slot`; handles on one slot share data, handles on different slots are isolated.
    async fn open(&self, slot: &str) -> Result<Self::Storage, StorageError>;

    /// Simulates a process restart: drops caches and connections, closes and reopens the database. Called
    /// only while the case holds no handle. The default does nothing.
    async fn reopen(&self) -> Result<(), StorageError> {
        Ok(())
    }
}
