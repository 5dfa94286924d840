//! The whole conformance suite on `PostgresStorage` against the test server (`TGSESSION_POSTGRES_URL`).
//!
//! Every test gets a harness of its own on a fresh random schema, migrated on first use and dropped at the
//! end, so runs never collide. `Harness::reopen` closes the pool (every connection) and builds a new one,
//! so the persistence cases read what the server kept.

mod common;

/// Every test here needs the server (`TGSESSION_SKIP_SERVER_TESTS=1 ./scripts/test` leaves them out).
mod server {
    use std::sync::Mutex;

    use session_conformance::{async_trait, conformance_tests, Harness};
    use session_core::{Slot, StorageError};
    use session_postgres::sqlx::PgPool;
    use session_postgres::PostgresStorage;
    use tokio::sync::OnceCell;

    use crate::common::Scratch;

    /// Opens handles on one scratch table, all through one pool built from a `PgPool` (the `new`
    /// constructor), as an application that manages its own pool would.
    struct PgHarness {
        scratch: Scratch,
        pool: Mutex<PgPool>,
        migrated: OnceCell<()>,
    }

    impl PgHarness {
        fn new() -> PgHarness {
            let scratch = Scratch::new("conf");
            let pool = scratch.config().pool().expect("build the pool");
            PgHarness {
                scratch,
                pool: Mutex::new(pool),
                migrated: OnceCell::new(),
            }
        }

        fn pool(&self) -> PgPool {
            self.pool.lock().expect("pool lock").clone()
        }
    }

    #[async_trait]
    impl Harness for PgHarness {
        type Storage = PostgresStorage;

        async fn open(&self, slot: &str) -> Result<PostgresStorage, StorageError> {
            let storage = PostgresStorage::new(self.pool(), Slot::new(slot)?)
                .with_table(self.scratch.table().clone());
            self.migrated.get_or_try_init(|| storage.migrate()).await?;
            Ok(storage)
        }

        async fn reopen(&self) -> Result<(), StorageError> {
            let fresh = self.scratch.config().pool()?;
            let old = std::mem::replace(&mut *self.pool.lock().expect("pool lock"), fresh);
            old.close().await;
            Ok(())
        }
    }

    conformance_tests!(PgHarness::new(), delete, versioned, journal, lease);
}
