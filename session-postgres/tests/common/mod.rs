//! What the server tests share: the server's URL and scratch schemas that are dropped afterwards.

// Each test binary uses a part of these helpers.
#![allow(dead_code)]

use std::sync::Mutex;
use std::time::Duration;

use session_core::Slot;
use session_postgres::sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use session_postgres::sqlx::{self, AssertSqlSafe};
use session_postgres::{PostgresConfig, PostgresStorage, TableName};

/// The URL of the test server, or a panic that says how to start it.
pub(crate) fn url() -> String {
    session_conformance::services::setting("TGSESSION_POSTGRES_URL")
}

/// A fresh random name: `<prefix>_<16 hex digits>`.
pub(crate) fn fresh_name(prefix: &str) -> String {
    format!("{prefix}_{:016x}", fastrand::u64(..))
}

/// A random schema on the test server, dropped (with everything in it) when the value is dropped, together
/// with whatever else [`Scratch::clean_up`] registered.
pub(crate) struct Scratch {
    url: String,
    table: TableName,
    cleanup: Mutex<Vec<String>>,
}

impl Scratch {
    /// A scratch schema named `tgs_<tag>_<random>`, not created yet; the table in it is `sessions`.
    pub(crate) fn new(tag: &str) -> Scratch {
        let url = url();
        let schema = fresh_name(&format!("tgs_{tag}"));
        let table = TableName::in_schema(schema.clone()).expect("valid schema name");
        Scratch {
            url,
            cleanup: Mutex::new(vec![format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")]),
            table,
        }
    }

    /// The scratch table.
    pub(crate) fn table(&self) -> &TableName {
        &self.table
    }

    /// The server's connection options.
    pub(crate) fn connect_options(&self) -> PgConnectOptions {
        self.url
            .parse()
            .expect("TGSESSION_POSTGRES_URL is a valid URL")
    }

    /// Settings for the scratch table on the test server.
    pub(crate) fn config(&self) -> PostgresConfig {
        PostgresConfig::from_url(&self.url)
            .expect("TGSESSION_POSTGRES_URL is a valid URL")
            .table(self.table.clone())
    }

    /// A handle on `slot` in the scratch table, with a pool of its own.
    pub(crate) fn storage(&self, slot: &str) -> PostgresStorage {
        self.config().open(slot_of(slot)).expect("open a handle")
    }

    /// A pool of the test server's default settings, for SQL run directly.
    pub(crate) fn admin_pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(self.connect_options())
    }

    /// Runs `sql` after the schema is dropped, when the value is dropped (e.g. `DROP ROLE ...`).
    pub(crate) fn clean_up(&self, sql: String) {
        self.cleanup.lock().expect("cleanup lock").push(sql);
    }
}

/// Runs `sql` on `pool`, panicking on failure.
pub(crate) async fn execute(pool: &PgPool, sql: String) {
    sqlx::query(AssertSqlSafe(sql.clone()))
        .execute(pool)
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"));
}

/// A slot, panicking on an invalid name.
pub(crate) fn slot_of(name: &str) -> Slot {
    Slot::new(name).expect("valid slot name")
}

impl Drop for Scratch {
    /// Drops the schema from a thread of its own (the value may be dropped inside a runtime), giving up
    /// after a few seconds if the server does not answer.
    fn drop(&mut self) {
        let options = self.connect_options();
        let statements =
            std::mem::take(&mut *self.cleanup.lock().unwrap_or_else(|e| e.into_inner()));
        let cleaner = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async move {
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_lazy_with(options);
                for sql in statements {
                    let run = sqlx::query(AssertSqlSafe(sql)).execute(&pool);
                    let _ = tokio::time::timeout(Duration::from_secs(10), run).await;
                }
                pool.close().await;
            });
        });
        let _ = cleaner.join();
    }
}
