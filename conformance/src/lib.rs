//! The shared conformance suite for tgsession storages.
//!
//! Every backend — ours and yours — proves that it keeps the [`SessionStorage`] contract by running this
//! suite. You describe how to open a handle on a slot of your backend (a [`Harness`]); the suite does the
//! rest with fresh, random slot names, so it can run against a shared server.
//!
//! - [`conformance_tests!`] generates one `#[test]` per case, named after the case, so a failure tells you
//!   which rule your storage breaks. Add `delete` and/or `versioned` to also run the cases of
//!   [`SessionDelete`] and [`VersionedStorage`].
//! - [`run_all`], [`run_delete`], [`run_versioned`] and [`run_delete_versioned`] run the same cases one after
//!   the other from your own async code; each case is also a public function in [`cases`].
//!
//! A case that finds a broken rule panics with a message naming the case and what differed (for byte
//! values: the lengths and the first differing offset). Every case gives up after [`CASE_TIMEOUT`], so a
//! hanging storage fails instead of hanging the test run. The suite needs a Tokio runtime with timers enabled
//! (what `#[tokio::test]` and `#[tokio::main]` build); the generated tests build their own.
//!
//! # Running the suite on your backend
//!
//! Add `session-conformance` as a dev-dependency and write a test file such as `tests/conformance.rs`:
//!
//! ```
//! use session_conformance::{async_trait, conformance_tests, Harness};
//! use session_core::{MemoryStorage, MemoryStore, Slot, StorageError};
//!
//! /// Opens handles on the backend under test (here the in-memory store of `session-core`).
//! #[derive(Default)]
//! struct MyHarness {
//!     store: MemoryStore,
//! }
//!
//! #[async_trait]
//! impl Harness for MyHarness {
//!     type Storage = MemoryStorage;
//!
//!     async fn open(&self, slot: &str) -> Result<MemoryStorage, StorageError> {
//!         Ok(self.store.open(&Slot::new(slot)?))
//!     }
//! }
//!
//! // One test per case; each test evaluates `MyHarness::default()` afresh.
//! conformance_tests!(MyHarness::default(), delete, versioned);
//! # fn main() {}
//! ```
//!
//! A backend that keeps data across process restarts should also implement [`Harness::reopen`] (drop caches
//! and connections, reopen the database), so the `persistence_across_reopen` case tests real persistence.

pub mod bench;
pub mod cases;
mod check;
mod context;
mod data;
pub mod fixtures;
mod macros;
mod memory;
pub mod planted;
pub mod services;

use session_core::{SessionDelete, SessionStorage, StorageError, VersionedStorage};

pub use crate::context::CASE_TIMEOUT;
pub use crate::memory::MemoryHarness;
/// The `async_trait` attribute, re-exported so that implementing [`Harness`] needs no extra dependency.
pub use async_trait::async_trait;

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

/// Runs every case of the core contract ([`SessionStorage`]) one after the other; panics at the first
/// failing case with a message naming it.
pub async fn run_all<H: Harness>(h: &H) {
    crate::__cases!(core; run h);
}

/// Runs every case of [`SessionDelete`]; panics at the first failing case.
///
/// A storage that is also [`VersionedStorage`] should run [`run_delete_versioned`] too.
pub async fn run_delete<H: Harness>(h: &H)
where
    H::Storage: SessionDelete,
{
    crate::__cases!(delete; run h);
}

/// Runs every case of [`VersionedStorage`]; panics at the first failing case.
///
/// A storage that also implements [`SessionDelete`] should run [`run_delete_versioned`] too.
pub async fn run_versioned<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    crate::__cases!(versioned; run h);
}

/// Runs the cases that need both [`SessionDelete`] and [`VersionedStorage`] (how a delete interacts with
/// versions); panics at the first failing case.
pub async fn run_delete_versioned<H: Harness>(h: &H)
where
    H::Storage: SessionDelete + VersionedStorage,
{
    crate::__cases!(delete_versioned; run h);
}

/// What [`conformance_tests!`] expands to. Not a public API.
#[doc(hidden)]
pub mod __private {
    use std::future::Future;

    pub use tokio;

    /// Runs one generated test on a fresh multi-thread runtime with two workers and every driver enabled,
    /// exactly what `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]` builds.
    pub fn block_on<F: Future<Output = ()>>(test: F) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|err| {
                panic!("the conformance suite could not start a Tokio runtime: {err}")
            });
        runtime.block_on(test);
    }
}
