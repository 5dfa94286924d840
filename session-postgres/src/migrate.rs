//! `migrate()`: creating the schema and tables, and bringing tables of an older schema version up to date,
//! once, safely from many processes at a time.
//!
//! # Schema versions
//!
//! | version | what it adds                                                                          |
//! |---------|---------------------------------------------------------------------------------------|
//! | 1       | the sessions table: `slot`, `data`, `version`, `updated_at`                           |
//! | 2       | the journal: `journal_epoch`, `journal_base`, `journal_end` and the journal table     |
//! | 3       | the lease table (`slot`, `token`, `holder`, `expires_at`, `released`)                 |
//!
//! The version of a table is read from its layout (which columns and tables exist), so it cannot drift from
//! what is really there; each step is applied only when what it adds is missing.

use session_core::StorageError;
use sqlx::postgres::PgPool;
use sqlx::{AssertSqlSafe, Postgres, Transaction};

use crate::error::{wrong_layout, JOURNAL_LAYOUT, LAYOUT, LEASE_LAYOUT};
use crate::lease_sql::create_lease_table;
use crate::sql::{add_journal_columns, create_journal_table, create_schema, create_table};
use crate::storage::PostgresStorage;
use crate::table::TableName;

/// The key of the transaction-level advisory lock that serializes every `migrate()` on a database: the
/// bytes `tgsessio` read as a big-endian `i64`.
pub const MIGRATE_LOCK_KEY: i64 = i64::from_be_bytes(*b"tgsessio");

/// The schema version [`PostgresStorage::migrate`] brings a table to, and that this version of the crate
/// needs: 3, the sessions table with its journal and its lease table (see [`PostgresStorage`] for the
/// layout).
pub const SCHEMA_VERSION: u32 = 3;

/// Whether the schema, the table, the journal table and the lease table exist (`$1` schema, `$2` table, `$3`
/// journal table, `$4` lease table).
const EXISTS: &str = "SELECT \
     EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname::text = $1), \
     EXISTS (SELECT 1 FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname::text = $1 AND c.relname::text = $2), \
     EXISTS (SELECT 1 FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname::text = $1 AND c.relname::text = $3), \
     EXISTS (SELECT 1 FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname::text = $1 AND c.relname::text = $4)";

/// A table's columns: name, type, `NOT NULL`, identity (`$1` schema, `$2` table).
const COLUMNS: &str = "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), \
     a.attnotnull, a.attidentity IN ('a', 'd') \
     FROM pg_catalog.pg_attribute a \
     JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname::text = $1 AND c.relname::text = $2 AND a.attnum > 0 AND NOT a.attisdropped \
     ORDER BY a.attnum";

/// One column as [`COLUMNS`] returns it.
type Column = (String, String, bool, bool);

/// A column the storage needs: its name, its type as `format_type` spells it, whether it must be
/// `NOT NULL`, and whether it must be an identity column. Other columns are allowed.
type Needed = (&'static str, &'static str, bool, bool);

/// The columns of the sessions table of schema version 1.
const SESSIONS_V1: [Needed; 4] = [
    ("slot", "text", true, false),
    ("data", "bytea", true, false),
    ("version", "bigint", true, true),
    ("updated_at", "timestamp with time zone", true, false),
];

/// The columns schema version 2 adds to the sessions table. `journal_epoch` is `NULL` for a slot without a
/// journal.
const SESSIONS_V2: [Needed; 3] = [
    ("journal_epoch", "bytea", false, false),
    ("journal_base", "bigint", true, false),
    ("journal_end", "bigint", true, false),
];

/// The columns of the journal table (schema version 2).
const JOURNAL: [Needed; 3] = [
    ("slot", "text", true, false),
    ("idx", "bigint", true, false),
    ("record", "bytea", true, false),
];

/// The columns of the lease table (schema version 3).
const LEASE: [Needed; 5] = [
    ("slot", "text", true, false),
    ("token", "bigint", true, false),
    ("holder", "text", true, false),
    ("expires_at", "timestamp with time zone", true, false),
    ("released", "boolean", true, false),
];

/// A table that exists with another layout than the storage needs.
#[derive(Debug, PartialEq, Eq)]
enum Mismatch {
    /// The sessions table; the description of its columns.
    Sessions(String),
    /// The journal table; the description of its columns.
    Journal(String),
    /// The lease table; the description of its columns.
    Lease(String),
}

impl PostgresStorage {
    /// Creates the handle's schema, table, journal table and lease table if they do not exist yet, brings a
    /// table created by an older version of this crate to the current [`SCHEMA_VERSION`], then checks that
    /// the tables have the columns the storage needs.
    ///
    /// The application **must** call this (once, at startup or from a deployment step) before using a new
    /// table, and again after upgrading to a version of this crate with a newer schema version; the storage
    /// never creates or changes anything implicitly, and a call on a missing or outdated table fails with
    /// [`ErrorKind::Config`](session_core::ErrorKind::Config) saying so.
    ///
    /// It is idempotent and safe to run from several processes at once: it works in one transaction that
    /// first takes the advisory lock [`MIGRATE_LOCK_KEY`] (`pg_advisory_xact_lock`), so concurrent runs
    /// wait for each other instead of racing on `CREATE`, and either every step is applied or none. It runs
    /// `CREATE SCHEMA`, `CREATE TABLE` and `ALTER TABLE` only for what is missing, so a role without the
    /// `CREATE` privilege (or ownership of the table) can run it once an administrator has migrated. The
    /// tables it creates are shown on [`PostgresStorage`].
    ///
    /// Bringing a table of schema version 1 to version 2 adds three columns with constant defaults (a change
    /// of the catalog only: no row is rewritten, but `ALTER TABLE` waits for the transactions using the
    /// table and blocks them for that moment) and creates the journal table. Existing rows get no journal:
    /// their sessions load as before, and a journal starts with the next stored snapshot. Processes of a
    /// version of this crate before the journal keep working on a migrated table, but their writes do not
    /// reset the journal: stop them before any process uses [`JournalStorage`](session_core::JournalStorage)
    /// on the table. Bringing a table of schema version 2 to version 3 creates the lease table only; nothing
    /// else changes, and processes of an older version keep working (they do not take leases).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](session_core::ErrorKind::Config) if a table exists with columns of other
    /// types (the message lists what it found; nothing is changed),
    /// [`ErrorKind::PermissionDenied`](session_core::ErrorKind::PermissionDenied) if the role may not
    /// create or alter what is missing, and the errors of any call otherwise. It is bounded by the
    /// operation timeout.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        let doing = self.doing("migrate", false);
        let checked = self.run(doing, migrate(self.pool(), self.table())).await?;
        match checked {
            Ok(()) => Ok(()),
            Err(Mismatch::Sessions(found)) => Err(wrong_layout(doing, "the table", LAYOUT, &found)),
            Err(Mismatch::Journal(found)) => {
                let which = format!("the journal table {}", self.table().qualified_journal());
                Err(wrong_layout(doing, &which, JOURNAL_LAYOUT, &found))
            }
            Err(Mismatch::Lease(found)) => {
                let which = format!("the lease table {}", self.table().qualified_lease());
                Err(wrong_layout(doing, &which, LEASE_LAYOUT, &found))
            }
        }
    }
}

/// Creates what is missing of `table` under the migration lock and checks the layout; commits only if it
/// fits.
async fn migrate(pool: &PgPool, table: &TableName) -> Result<Result<(), Mismatch>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_catalog.pg_advisory_xact_lock($1)")
        .bind(MIGRATE_LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    let fits = apply_missing(&mut tx, table).await?;
    if fits.is_ok() {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(fits)
}

/// Applies the steps `table` lacks, in order, and checks the result; a sessions table of another shape is
/// reported as it is, not altered.
async fn apply_missing(
    tx: &mut Transaction<'_, Postgres>,
    table: &TableName,
) -> Result<Result<(), Mismatch>, sqlx::Error> {
    let (schema_exists, table_exists, journal_exists, lease_exists) =
        sqlx::query_as::<_, (bool, bool, bool, bool)>(EXISTS)
            .bind(table.schema())
            .bind(table.table())
            .bind(table.journal_table())
            .bind(table.lease_table())
            .fetch_one(&mut **tx)
            .await?;
    if !schema_exists {
        ddl(tx, create_schema(table)).await?;
    }
    if !table_exists {
        ddl(tx, create_table(table)).await?;
    }
    let mut sessions = columns(tx, table.schema(), table.table()).await?;
    if let Err(found) = check(&sessions, &SESSIONS_V1) {
        return Ok(Err(Mismatch::Sessions(found)));
    }
    if check(&sessions, &SESSIONS_V2).is_err() {
        ddl(tx, add_journal_columns(table)).await?;
        sessions = columns(tx, table.schema(), table.table()).await?;
    }
    if !journal_exists {
        ddl(tx, create_journal_table(table)).await?;
    }
    if !lease_exists {
        ddl(tx, create_lease_table(table)).await?;
    }
    let journal = columns(tx, table.schema(), &table.journal_table()).await?;
    let lease = columns(tx, table.schema(), &table.lease_table()).await?;
    Ok(check(&sessions, &SESSIONS_V2)
        .map_err(Mismatch::Sessions)
        .and_then(|()| check(&journal, &JOURNAL).map_err(Mismatch::Journal))
        .and_then(|()| check(&lease, &LEASE).map_err(Mismatch::Lease)))
}

/// Runs one DDL statement (not prepared: it is run once).
async fn ddl(tx: &mut Transaction<'_, Postgres>, sql: String) -> Result<(), sqlx::Error> {
    sqlx::query(AssertSqlSafe(sql))
        .persistent(false)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// The columns of the table `name` in `schema`.
async fn columns(
    tx: &mut Transaction<'_, Postgres>,
    schema: &str,
    name: &str,
) -> Result<Vec<Column>, sqlx::Error> {
    sqlx::query_as::<_, Column>(COLUMNS)
        .bind(schema)
        .bind(name)
        .fetch_all(&mut **tx)
        .await
}

/// `Ok` if `columns` include every `needed` column; otherwise a description of what they are.
fn check(columns: &[Column], needed: &[Needed]) -> Result<(), String> {
    let fits = needed.iter().all(|&(name, ty, not_null, identity)| {
        columns.iter().any(|(n, t, is_not_null, is_identity)| {
            n == name && t == ty && (*is_not_null || !not_null) && (*is_identity || !identity)
        })
    });
    if fits {
        return Ok(());
    }
    let found: Vec<String> = columns
        .iter()
        .map(|(name, ty, not_null, identity)| {
            let not_null = if *not_null { " not null" } else { "" };
            let identity = if *identity { " identity" } else { "" };
            format!("{name} {ty}{not_null}{identity}")
        })
        .collect();
    Err(format!("({})", found.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, ty: &str, identity: bool) -> Column {
        (name.into(), ty.into(), true, identity)
    }

    fn good() -> Vec<Column> {
        vec![
            column("slot", "text", false),
            column("data", "bytea", false),
            column("version", "bigint", true),
            column("updated_at", "timestamp with time zone", false),
            ("journal_epoch".into(), "bytea".into(), false, false),
            column("journal_base", "bigint", false),
            column("journal_end", "bigint", false),
        ]
    }

    #[test]
    fn the_created_layout_fits_and_extra_columns_are_allowed() {
        assert_eq!(check(&good(), &SESSIONS_V1), Ok(()));
        assert_eq!(check(&good(), &SESSIONS_V2), Ok(()));
        let mut extra = good();
        extra.push(("note".into(), "text".into(), false, false));
        assert_eq!(check(&extra, &SESSIONS_V2), Ok(()));
        let journal = vec![
            column("slot", "text", false),
            column("idx", "bigint", false),
            column("record", "bytea", false),
        ];
        assert_eq!(check(&journal, &JOURNAL), Ok(()));
        assert!(check(&journal[..2], &JOURNAL).is_err());
    }

    #[test]
    fn a_version_1_table_fits_version_1_only() {
        let v1 = &good()[..4];
        assert_eq!(check(v1, &SESSIONS_V1), Ok(()));
        assert!(check(v1, &SESSIONS_V2).is_err());
    }

    #[test]
    fn other_layouts_are_described() {
        let mut no_identity = good();
        no_identity[2].3 = false;
        assert_eq!(
            check(&no_identity[..4], &SESSIONS_V1).unwrap_err(),
            "(slot text not null, data bytea not null, version bigint not null, updated_at timestamp with \
             time zone not null)"
        );
        let mut nullable = good();
        nullable[1].2 = false;
        assert!(check(&nullable, &SESSIONS_V1).is_err());
        let mut nullable_end = good();
        nullable_end[6].2 = false;
        assert!(check(&nullable_end, &SESSIONS_V2).is_err());
        let mut text_base = good();
        text_base[5].1 = "text".into();
        assert!(check(&text_base, &SESSIONS_V2).is_err());
        assert_eq!(check(&[], &SESSIONS_V1).unwrap_err(), "()");
        assert!(check(&good()[..3], &SESSIONS_V1).is_err());
    }
}
