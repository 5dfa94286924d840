//! A PostgreSQL storage for tgsession: each Telegram session is one row of a table, shared by every worker
//! that connects to the database.
//!
//! [`PostgresStorage`] implements [`SessionStorage`](session_core::SessionStorage),
//! [`SessionDelete`](session_core::SessionDelete), [`VersionedStorage`](session_core::VersionedStorage),
//! [`JournalStorage`](session_core::JournalStorage) and [`LeaseStorage`](session_core::LeaseStorage) and
//! passes the whole `session-conformance` suite against a real server.
//!
//! - A handle is built from a [`sqlx::PgPool`] plus a [`Slot`](session_core::Slot)
//!   ([`PostgresStorage::new`]), or from a URL ([`PostgresStorage::from_url`]) or a [`PostgresConfig`]
//!   (URL or [`PgConnectOptions`](sqlx::postgres::PgConnectOptions), table, timeouts, pool size), which
//!   build a lazily connecting pool. Handles on other slots share the pool through
//!   [`PostgresStorage::for_slot`].
//! - Slot `main` is the row `slot = 'main'` of the table `"tgsession"."sessions"`; the schema and table are
//!   configurable ([`TableName`]), validated and always quoted, and values are always bound, never written
//!   into SQL.
//! - A slot's journal (for incremental persistence, [`JournalStorage`](session_core::JournalStorage)) is
//!   rows of a second table, `"tgsession"."sessions_journal"` ([`TableName::journal_table`]); the slot's
//!   row holds the journal's epoch and its first and next index. An append is one statement; `load` returns
//!   the snapshot with the records applied.
//! - A slot's [lease](session_core::lease) (one running client per account) is its row of a third table,
//!   `"tgsession"."sessions_lease"` ([`TableName::lease_table`]), on the server's clock (`now()`); every
//!   lease operation is one statement (fine behind PgBouncer in transaction mode), and every write under a
//!   lease is the write's own statement gated on the lease row (`FOR SHARE`), so a takeover and a stale
//!   write never interleave. See [Leases](PostgresStorage#leases).
//! - [`PostgresStorage::migrate`] creates the schema and the three tables, and brings tables of an older
//!   [`SCHEMA_VERSION`] up to date (version 2 added the journal, version 3 the lease table). Call it explicitly, also after an
//!   upgrade: nothing is created or changed implicitly, and a missing or outdated table is an
//!   [`ErrorKind::Config`](session_core::ErrorKind::Config) error that says to call it. It is idempotent and
//!   safe to run from many processes at once.
//! - Conditional writes go through the `version` column, an identity column whose values never repeat;
//!   appends and compactions change it too. See [`PostgresStorage`] for the tables, the statements and
//!   what is durable when.
//! - Every call is bounded by an operation timeout ([`DEFAULT_OPERATION_TIMEOUT`]) and pools built here by
//!   a connect timeout ([`DEFAULT_CONNECT_TIMEOUT`]); both can be changed. Pools built here also give the
//!   server a `statement_timeout` equal to the operation timeout, so a write the client gave up on is not
//!   applied later. A handle survives a server restart: calls fail with `Unavailable` or `Timeout` while
//!   the server is down and work again after.
//! - `Debug` output and error messages never contain the password.
//! - `sqlx` itself is re-exported, so `session_postgres::sqlx` is always the version this crate was built
//!   with. It is built without TLS; the crate feature `tls` enables sqlx's `tls-rustls` (for `sslmode`
//!   `require`, `verify-ca` or `verify-full`).
//!
//! ```no_run
//! use session_core::{Bytes, ErrorKind, Expect, SessionStorage, Slot, VersionedStorage};
//! use session_postgres::PostgresStorage;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), session_core::StorageError> {
//! let storage = PostgresStorage::from_url("postgres://bot:secret@localhost/app", Slot::new("main")?)?;
//! storage.migrate().await?; // once, before the first use of the table
//!
//! storage.store(Bytes::from_static(b"session bytes")).await?;
//! assert_eq!(storage.load().await?.as_deref(), Some(&b"session bytes"[..]));
//!
//! // Conditional writes: only one of two writers holding the same version wins.
//! let (_, version) = storage.load_versioned().await?.expect("stored above");
//! storage.store_if(Bytes::from_static(b"next"), Expect::Version(version.clone())).await?;
//! let lost = storage.store_if(Bytes::from_static(b"other"), Expect::Version(version)).await;
//! assert_eq!(lost.unwrap_err().kind(), ErrorKind::Conflict);
//!
//! // Another slot on the same pool:
//! let other = storage.for_slot(Slot::new("bot-2")?);
//! assert_eq!(other.load().await?, None);
//! # Ok(())
//! # }
//! ```

mod config;
mod error;
mod journal;
mod lease;
mod lease_sql;
mod migrate;
mod ops;
mod row;
mod sql;
mod storage;
mod table;

pub use sqlx;

pub use crate::config::{
    PostgresConfig, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_OPERATION_TIMEOUT,
};
pub use crate::migrate::{MIGRATE_LOCK_KEY, SCHEMA_VERSION};
pub use crate::storage::PostgresStorage;
pub use crate::table::TableName;
