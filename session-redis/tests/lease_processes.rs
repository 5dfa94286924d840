//! The Redis lease across real processes (issue 13), against the test server (`TGSESSION_REDIS_URL`): two
//! processes racing for one slot never hold it at once, and a holder frozen with SIGSTOP past its time to
//! live and resumed cannot write. The scenarios are `session_conformance::lease_processes`; this file says
//! how to open a slot: a handle with a connection of its own, under a random key prefix of the run.

mod common;

use session_conformance::async_trait;
use session_conformance::lease_processes::{self, ProcessBackend};
use session_core::{Slot, StorageError};
use session_redis::RedisStorage;

use common::{unique, url};

/// A random key prefix on the test server.
struct Redis {
    prefix: String,
}

#[async_trait]
impl ProcessBackend for Redis {
    type Storage = RedisStorage;

    async fn fresh() -> Result<Redis, StorageError> {
        Ok(Redis {
            prefix: format!("{}:", unique("lease-processes")),
        })
    }

    fn place(&self) -> String {
        self.prefix.clone()
    }

    fn join(place: &str) -> Result<Redis, StorageError> {
        Ok(Redis {
            prefix: place.to_string(),
        })
    }

    async fn open(&self, slot: &str) -> Result<RedisStorage, StorageError> {
        RedisStorage::connect(&url(), Slot::new(slot)?)
            .await?
            .with_prefix(&self.prefix)
    }
}

fn main() {
    lease_processes::main::<Redis>();
}
