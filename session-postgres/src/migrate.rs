//! `migrate()`: creating the schema and table, once, safely from many processes at a time.

use session_core::StorageError;
use sqlx::postgres::PgPool;
use sqlx::AssertSqlSafe;

use crate::error::wrong_layout;
use crate::sql::{create_schema, create_table};
use crate::storage::PostgresStorage;
use crate::table::TableName;

/// The key of the transaction-level advisory lock that serializes every `migrate()` on a database: the
/// bytes `tgsessio` read as a big-endian `i64`.
pub const MIGRATE_LOCK_KEY: i64 = i64::from_be_bytes(*b"tgsessio");

/// Whether the schema and the table exist (`$1` schema, `$2` table).
const EXISTS: &str = "SELECT \
     EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname::text = $1), \
     EXISTS (SELECT 1 FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname::text = $1 AND c.relname::text = $2)";

/// The table's columns: name, type, `NOT NULL`, identity (`$1` schema, `$2` table).
const COLUMNS: &str = "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), \
     a.attnotnull, a.attidentity IN ('a', 'd') \
     FROM pg_catalog.pg_attribute a \
     JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname::text = $1 AND c.relname::text = $2 AND a.attnum > 0 AND NOT a.attisdropped \
     ORDER BY a.attnum";

/// One column as [`COLUMNS`] returns it.
type Column = (String, String, bool, bool);

/// The columns the storage needs: name, type as `format_type` spells it, and whether it must be an identity
/// column. Every one must be `NOT NULL`; other columns are allowed.
const NEEDED: [(&str, &str, bool); 4] = [
    ("slot", "text", false),
    ("data", "bytea", false),
    ("version", "bigint", true),
    ("updated_at", "timestamp with time zone", false),
];

impl PostgresStorage {
    /// Creates the handle's schema and table if they do not exist yet, then checks that the table has the
    /// columns the storage needs.
    ///
    /// The application **must** call this (once, at startup or from a deployment step) before using a new
    /// table; the storage never creates anything implicitly, and a call on a missing table fails with
    /// [`ErrorKind::Config`](session_core::ErrorKind::Config) saying so.
    ///
    /// It is idempotent and safe to run from several processes at once: it works in one transaction that
    /// first takes the advisory lock [`MIGRATE_LOCK_KEY`] (`pg_advisory_xact_lock`), so concurrent runs
    /// wait for each other instead of racing on `CREATE`. It runs `CREATE SCHEMA` and `CREATE TABLE` only
    /// for what is missing, so a role without the `CREATE` privilege can run it once an administrator has
    /// created both. The table it creates is shown on [`PostgresStorage`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](session_core::ErrorKind::Config) if the table exists with columns of other
    /// types (the message lists what it found),
    /// [`ErrorKind::PermissionDenied`](session_core::ErrorKind::PermissionDenied) if the role may not
    /// create what is missing, and the errors of any call otherwise. It is bounded by the operation
    /// timeout.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        let doing = self.doing("migrate", false);
        let columns = self
            .run(doing, create_missing(self.pool(), self.table()))
            .await?;
        match check_layout(&columns) {
            Ok(()) => Ok(()),
            Err(found) => Err(wrong_layout(doing, &found)),
        }
    }
}

/// Creates what is missing of `table` under the migration lock and returns the table's columns.
async fn create_missing(pool: &PgPool, table: &TableName) -> Result<Vec<Column>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_catalog.pg_advisory_xact_lock($1)")
        .bind(MIGRATE_LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    let (schema_exists, table_exists) = sqlx::query_as::<_, (bool, bool)>(EXISTS)
        .bind(table.schema())
        .bind(table.table())
        .fetch_one(&mut *tx)
        .await?;
    let creates = [
        (!schema_exists).then(|| create_schema(table)),
        (!table_exists).then(|| create_table(table)),
    ];
    for ddl in creates.into_iter().flatten() {
        sqlx::query(AssertSqlSafe(ddl))
            .persistent(false)
            .execute(&mut *tx)
            .await?;
    }
    let columns = sqlx::query_as::<_, Column>(COLUMNS)
        .bind(table.schema())
        .bind(table.table())
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(columns)
}

/// `Ok` if `columns` include every [`NEEDED`] column; otherwise a description of what they are.
fn check_layout(columns: &[Column]) -> Result<(), String> {
    let fits = NEEDED.iter().all(|&(name, ty, identity)| {
        columns.iter().any(|(n, t, not_null, is_identity)| {
            n == name && t == ty && *not_null && (*is_identity || !identity)
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
        ]
    }

    #[test]
    fn the_created_layout_fits_and_extra_columns_are_allowed() {
        assert_eq!(check_layout(&good()), Ok(()));
        let mut extra = good();
        extra.push(("note".into(), "text".into(), false, false));
        assert_eq!(check_layout(&extra), Ok(()));
    }

    #[test]
    fn other_layouts_are_described() {
        let mut no_identity = good();
        no_identity[2].3 = false;
        assert_eq!(
            check_layout(&no_identity).unwrap_err(),
            "(slot text not null, data bytea not null, version bigint not null, updated_at timestamp with \
             time zone not null)"
        );
        let mut nullable = good();
        nullable[1].2 = false;
        assert!(check_layout(&nullable).is_err());
        assert_eq!(check_layout(&[]).unwrap_err(), "()");
        assert!(check_layout(&good()[..3]).is_err());
    }
}
