//! The storage traits for [`PostgresStorage`]: one statement per call, values always bound; whole writes
//! replace the slot's journal with the journal their value starts ([`JournalStart`]).

use async_trait::async_trait;
use bytes::Bytes;
use session_core::{
    Expect, FencingToken, SessionDelete, SessionStorage, StorageError, Version, VersionedStorage,
};

use sqlx::postgres::{PgArguments, Postgres};
use sqlx::query::QueryScalar;

use crate::error::conflict;
use crate::lease::token_column;
use crate::row::JournalStart;
use crate::sql::text;
use crate::storage::PostgresStorage;

/// The version token of a row's `version` column: its 8 big-endian bytes.
fn version_of(version: i64) -> Version {
    Version::from_bytes(version.to_be_bytes())
}

/// The `version` column value a token names, or `None` for a token this storage never made.
fn column_of(version: &Version) -> Option<i64> {
    let bytes: [u8; 8] = version.as_bytes().try_into().ok()?;
    Some(i64::from_be_bytes(bytes))
}

#[async_trait]
impl SessionStorage for PostgresStorage {
    /// The stored bytes exactly, or, when journal records follow the snapshot, the snapshot with them
    /// applied (read with the records in one statement).
    async fn load(&self) -> Result<Option<Bytes>, StorageError> {
        let doing = self.doing("load", true);
        match self.read(doing).await? {
            Some(stored) => Ok(Some(stored.materialized(doing)?.0)),
            None => Ok(None),
        }
    }

    /// One statement: the upsert, and the deletion of the slot's old journal.
    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        self.store_under(data, None).await
    }
}

#[async_trait]
impl SessionDelete for PostgresStorage {
    /// One statement deletes the row and its journal.
    async fn delete(&self) -> Result<(), StorageError> {
        self.delete_under(None).await
    }
}

#[async_trait]
impl VersionedStorage for PostgresStorage {
    /// As `load`, with the row's version, which every write (appends and compactions included) changes.
    async fn load_versioned(&self) -> Result<Option<(Bytes, Version)>, StorageError> {
        let doing = self.doing("load_versioned", true);
        match self.read(doing).await? {
            Some(stored) => {
                let (data, version) = stored.materialized(doing)?;
                Ok(Some((data, version_of(version))))
            }
            None => Ok(None),
        }
    }

    /// One statement decides and writes: `INSERT ... ON CONFLICT DO NOTHING` for [`Expect::Absent`],
    /// `UPDATE ... WHERE version = $3` for [`Expect::Version`]; no row returned is a
    /// [`Conflict`](session_core::ErrorKind::Conflict). The same statement deletes the old journal when
    /// it writes.
    async fn store_if(&self, data: Bytes, expect: Expect) -> Result<Version, StorageError> {
        self.store_if_under(data, expect, None).await
    }
}

impl PostgresStorage {
    /// The upsert, plain or (with `fence`) under a lease.
    pub(crate) async fn store_under(
        &self,
        data: Bytes,
        fence: Option<FencingToken>,
    ) -> Result<(), StorageError> {
        let doing = self.doing("store", true);
        let start = JournalStart::of(&data, doing)?;
        let query = sqlx::query_scalar::<_, i64>(text(&self.writes(fence).upsert))
            .bind(self.slot().as_str())
            .bind(&data[..])
            .bind(start.epoch())
            .bind(start.start);
        let written = self
            .run(doing, fenced(query, fence).fetch_one(self.pool()))
            .await?;
        if written == 0 {
            self.fail_if_lost(doing, fence).await?;
        }
        Ok(())
    }

    /// The delete, plain or (with `fence`) under a lease.
    pub(crate) async fn delete_under(
        &self,
        fence: Option<FencingToken>,
    ) -> Result<(), StorageError> {
        let doing = self.doing("delete", true);
        let query = sqlx::query_scalar::<_, i64>(text(&self.writes(fence).delete))
            .bind(self.slot().as_str());
        let deleted = self
            .run(doing, fenced(query, fence).fetch_one(self.pool()))
            .await?;
        if deleted == 0 {
            // Absent (which is fine), or fenced.
            self.fail_if_lost(doing, fence).await?;
        }
        Ok(())
    }

    /// The conditional write, plain or (with `fence`) under a lease.
    pub(crate) async fn store_if_under(
        &self,
        data: Bytes,
        expect: Expect,
        fence: Option<FencingToken>,
    ) -> Result<Version, StorageError> {
        let doing = self.doing("store_if", true);
        let start = JournalStart::of(&data, doing)?;
        let statements = self.writes(fence);
        let (query, mismatch) = match &expect {
            Expect::Absent => (
                sqlx::query_scalar::<_, i64>(text(&statements.insert_if_absent))
                    .bind(self.slot().as_str())
                    .bind(&data[..])
                    .bind(start.epoch())
                    .bind(start.start),
                "the slot is not absent",
            ),
            Expect::Version(expected) => {
                let Some(expected) = column_of(expected) else {
                    return Err(conflict(
                        doing,
                        "the expected version was not made by a PostgreSQL storage",
                    ));
                };
                (
                    sqlx::query_scalar::<_, i64>(text(&statements.update_if_version))
                        .bind(self.slot().as_str())
                        .bind(&data[..])
                        .bind(expected)
                        .bind(start.epoch())
                        .bind(start.start),
                    "the slot no longer holds the expected version (it was written or deleted since)",
                )
            }
        };
        let query = fenced(query, fence).fetch_optional(self.pool());
        match self.run(doing, query).await? {
            Some(version) => Ok(version_of(version)),
            None => {
                self.fail_if_lost(doing, fence).await?;
                Err(conflict(doing, mismatch))
            }
        }
    }
}

/// `query` with the fencing token bound as its last parameter, when there is one.
pub(crate) fn fenced<'q, T>(
    query: QueryScalar<'q, Postgres, T, PgArguments>,
    fence: Option<FencingToken>,
) -> QueryScalar<'q, Postgres, T, PgArguments> {
    match fence {
        Some(token) => query.bind(token_column(token)),
        None => query,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_round_trip_and_foreign_tokens_are_rejected() {
        for column in [0, 1, -1, i64::MAX, i64::MIN] {
            assert_eq!(column_of(&version_of(column)), Some(column));
        }
        assert_eq!(version_of(1).as_bytes(), &[0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(column_of(&Version::of_content(b"x")), None);
        assert_eq!(column_of(&Version::from_bytes([])), None);
    }
}
