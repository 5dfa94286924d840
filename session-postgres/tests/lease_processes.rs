//! The PostgreSQL lease across real processes (issue 13), against the test server
//! (`TGSESSION_POSTGRES_URL`): two processes racing for one slot never hold it at once, and a holder frozen
//! with SIGSTOP past its time to live and resumed cannot write. The scenarios are
//! `session_conformance::lease_processes`; this file says how to open a slot: a handle with a pool of its
//! own on a table in a scratch schema, which the parent creates and drops.

mod common;

use session_conformance::async_trait;
use session_conformance::lease_processes::{self, ProcessBackend};
use session_core::{Slot, StorageError};
use session_postgres::{PostgresConfig, PostgresStorage, TableName};

use common::{url, Scratch};

/// The scratch table, and in the parent the scratch schema, dropped with the value.
struct Postgres {
    table: TableName,
    _scratch: Option<Scratch>,
}

#[async_trait]
impl ProcessBackend for Postgres {
    type Storage = PostgresStorage;

    async fn fresh() -> Result<Postgres, StorageError> {
        let scratch = Scratch::new("lproc");
        let postgres = Postgres {
            table: scratch.table().clone(),
            _scratch: Some(scratch),
        };
        postgres.open("setup").await?.migrate().await?;
        Ok(postgres)
    }

    fn place(&self) -> String {
        self.table.schema().to_string()
    }

    fn join(place: &str) -> Result<Postgres, StorageError> {
        Ok(Postgres {
            table: TableName::in_schema(place)?,
            _scratch: None,
        })
    }

    async fn open(&self, slot: &str) -> Result<PostgresStorage, StorageError> {
        PostgresConfig::from_url(&url())?
            .table(self.table.clone())
            .open(Slot::new(slot)?)
    }
}

fn main() {
    lease_processes::main::<Postgres>();
}
