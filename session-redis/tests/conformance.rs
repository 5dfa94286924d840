//! The whole conformance suite (leases included) on `RedisStorage` against the real server (`TGSESSION_REDIS_URL`), once with
//! the default settings and once with a time to live and another prefix.
//!
//! Every harness connects on first use with `RedisStorage::connect_with` and opens each slot with
//! `for_slot`; `Harness::reopen` drops that connection and connects again, so the persistence cases read
//! what the server kept, through a new connection.

mod common;

/// Tests that need the Redis server (skipped by name with `TGSESSION_SKIP_SERVER_TESTS=1 ./scripts/test`).
mod server {
    use std::sync::Mutex;
    use std::time::Duration;

    use session_conformance::{async_trait, conformance_tests, Harness};
    use session_core::{Slot, StorageError};
    use session_redis::{RedisStorage, Timeouts};

    use super::common::{unique, url};

    /// Opens handles on the test server, all with one key prefix of its own.
    struct RedisHarness {
        prefix: String,
        ttl: Option<Duration>,
        /// A handle whose connection and settings every opened handle shares; `None` until the first
        /// open and right after a reopen.
        base: Mutex<Option<RedisStorage>>,
    }

    impl RedisHarness {
        fn new(prefix: &str, ttl: Option<Duration>) -> RedisHarness {
            RedisHarness {
                prefix: format!("{}:", unique(prefix)),
                ttl,
                base: Mutex::new(None),
            }
        }

        async fn connect(&self) -> Result<RedisStorage, StorageError> {
            let storage =
                RedisStorage::connect_with(&url(), Slot::new("base")?, Timeouts::default()).await?;
            Ok(storage.with_prefix(&self.prefix)?.with_ttl(self.ttl))
        }
    }

    #[async_trait]
    impl Harness for RedisHarness {
        type Storage = RedisStorage;

        async fn open(&self, slot: &str) -> Result<RedisStorage, StorageError> {
            let slot = Slot::new(slot)?;
            let base = self.base.lock().expect("harness lock").clone();
            let base = match base {
                Some(base) => base,
                None => {
                    let base = self.connect().await?;
                    *self.base.lock().expect("harness lock") = Some(base.clone());
                    base
                }
            };
            Ok(base.for_slot(slot))
        }

        async fn reopen(&self) -> Result<(), StorageError> {
            let fresh = self.connect().await?;
            *self.base.lock().expect("harness lock") = Some(fresh);
            Ok(())
        }
    }

    /// The suite with the default settings: no TTL.
    mod defaults {
        use super::*;

        conformance_tests!(
            RedisHarness::new("tgs-conf", None),
            delete,
            versioned,
            journal,
            lease
        );
    }

    /// The suite with a TTL (set on every write) and a prefix ending in `/`.
    mod ttl {
        use super::*;

        conformance_tests!(
            RedisHarness {
                prefix: format!("{}/", unique("tgs-conf-ttl")),
                ..RedisHarness::new("", Some(Duration::from_secs(600)))
            },
            delete,
            versioned,
            journal,
            lease
        );
    }
}
