//! The whole conformance suite (leases included) on `S3Storage` against the S3 test server (moto), each test in a bucket of
//! its own, with handles derived from one storage so they share the client and the conditional-write check.
//!
//! `Harness::reopen` builds a new client from the configuration (new connections, a new check), so the
//! persistence cases read what the server kept.

mod support;

mod server {
    use std::sync::Mutex;

    use session_conformance::{async_trait, conformance_tests, Harness};
    use session_core::{Slot, StorageError};
    use session_s3::{S3Config, S3Storage};

    use crate::support::{fresh_bucket, random_name};

    /// Opens handles on one fresh bucket under a random prefix.
    struct S3Harness {
        config: S3Config,
        /// The storage every handle is derived from; replaced by a reopen.
        base: Mutex<S3Storage>,
    }

    impl S3Harness {
        async fn new() -> S3Harness {
            let (config, client) = fresh_bucket().await;
            let prefix = format!("{}/", random_name("run"));
            let config = config.prefix(&prefix);
            let base = S3Storage::new(client, config.bucket(), Slot::new("base").unwrap())
                .with_prefix(&prefix);
            S3Harness {
                config,
                base: Mutex::new(base),
            }
        }
    }

    #[async_trait]
    impl Harness for S3Harness {
        type Storage = S3Storage;

        async fn open(&self, slot: &str) -> Result<S3Storage, StorageError> {
            let slot = Slot::new(slot)?;
            Ok(self.base.lock().unwrap().for_slot(slot))
        }

        async fn reopen(&self) -> Result<(), StorageError> {
            let fresh = S3Storage::from_config(&self.config, Slot::new("base")?)?;
            *self.base.lock().unwrap() = fresh;
            Ok(())
        }
    }

    conformance_tests!(S3Harness::new().await, delete, versioned, lease);
}
