//! The S3 lease across real processes (issue 13), against the S3 test server (`TGSESSION_S3_ENDPOINT`): two
//! processes racing for one slot never hold it at once, and a holder frozen with SIGSTOP past its time to
//! live and resumed cannot write. The scenarios are `session_conformance::lease_processes`; this file says
//! how to open a slot: a client of its own per handle (so each process judges a lapse by its own watching),
//! in a fresh bucket of the run.

mod support;

use session_conformance::async_trait;
use session_conformance::lease_processes::{self, ProcessBackend};
use session_core::{Slot, StorageError};
use session_s3::S3Storage;

use support::{config, fresh_bucket};

/// A bucket of the run on the test server.
struct S3 {
    bucket: String,
}

#[async_trait]
impl ProcessBackend for S3 {
    type Storage = S3Storage;

    async fn fresh() -> Result<S3, StorageError> {
        let (config, _) = fresh_bucket().await;
        Ok(S3 {
            bucket: config.bucket().to_owned(),
        })
    }

    fn place(&self) -> String {
        self.bucket.clone()
    }

    fn join(place: &str) -> Result<S3, StorageError> {
        Ok(S3 {
            bucket: place.to_owned(),
        })
    }

    async fn open(&self, slot: &str) -> Result<S3Storage, StorageError> {
        S3Storage::from_config(&config(&self.bucket), Slot::new(slot)?)
    }
}

fn main() {
    lease_processes::main::<S3>();
}
