//! The storage traits for [`PostgresStorage`]: one statement per call, values always bound.

use async_trait::async_trait;
use bytes::Bytes;
use session_core::{
    Expect, SessionDelete, SessionStorage, StorageError, Version, VersionedStorage,
};

use crate::error::conflict;
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
    async fn load(&self) -> Result<Option<Bytes>, StorageError> {
        let query = sqlx::query_scalar::<_, Vec<u8>>(text(&self.statements().load))
            .bind(self.slot().as_str())
            .fetch_optional(self.pool());
        let data = self.run(self.doing("load", true), query).await?;
        Ok(data.map(Bytes::from))
    }

    async fn store(&self, data: Bytes) -> Result<(), StorageError> {
        let query = sqlx::query(text(&self.statements().upsert))
            .bind(self.slot().as_str())
            .bind(&data[..])
            .execute(self.pool());
        self.run(self.doing("store", true), query).await.map(drop)
    }
}

#[async_trait]
impl SessionDelete for PostgresStorage {
    async fn delete(&self) -> Result<(), StorageError> {
        let query = sqlx::query(text(&self.statements().delete))
            .bind(self.slot().as_str())
            .execute(self.pool());
        self.run(self.doing("delete", true), query).await.map(drop)
    }
}

#[async_trait]
impl VersionedStorage for PostgresStorage {
    async fn load_versioned(&self) -> Result<Option<(Bytes, Version)>, StorageError> {
        let query = sqlx::query_as::<_, (Vec<u8>, i64)>(text(&self.statements().load_versioned))
            .bind(self.slot().as_str())
            .fetch_optional(self.pool());
        let row = self.run(self.doing("load_versioned", true), query).await?;
        Ok(row.map(|(data, version)| (Bytes::from(data), version_of(version))))
    }

    /// One statement decides and writes: `INSERT ... ON CONFLICT DO NOTHING` for [`Expect::Absent`],
    /// `UPDATE ... WHERE version = $3` for [`Expect::Version`]; no row returned is a
    /// [`Conflict`](session_core::ErrorKind::Conflict).
    async fn store_if(&self, data: Bytes, expect: Expect) -> Result<Version, StorageError> {
        let doing = self.doing("store_if", true);
        let statements = self.statements();
        let (query, mismatch) = match &expect {
            Expect::Absent => (
                sqlx::query_scalar::<_, i64>(text(&statements.insert_if_absent))
                    .bind(self.slot().as_str())
                    .bind(&data[..]),
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
                        .bind(expected),
                    "the slot no longer holds the expected version (it was written or deleted since)",
                )
            }
        };
        match self.run(doing, query.fetch_optional(self.pool())).await? {
            Some(version) => Ok(version_of(version)),
            None => Err(conflict(doing, mismatch)),
        }
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
