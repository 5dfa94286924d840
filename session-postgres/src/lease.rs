//! [`LeaseStorage`] for [`PostgresStorage`]: the lease is a row of the lease table, each operation one
//! statement on the server's clock ([`crate::lease_sql`]); writes under it are the fenced variants of the
//! write statements ([`crate::sql::Writes`]).

use std::time::Duration;

use async_trait::async_trait;
use session_core::lease::{checked_ttl, LeaseRecord, RecordState};
use session_core::{
    FencedOutcome, FencedWrite, FencingToken, HolderId, LeaseGrant, LeaseInfo, LeaseRequest,
    LeaseState, LeaseStorage, LeaseTerm, StorageError,
};

use crate::error::{corrupt, Doing, ACQUIRE, BACKEND, BREAK, RELEASE, RENEW};
use crate::sql::text;
use crate::storage::PostgresStorage;

/// A lease row as the reading statements return it: token, holder, expiry (ms), released, now (ms).
type LeaseRow = (i64, String, i64, bool, i64);

/// How many times an acquisition that found the lease free on its second look tries again.
const ACQUIRE_ATTEMPTS: usize = 3;

/// The longest takeover delay sent to the server (100 years, in milliseconds); longer ones mean the same.
const MAX_DELAY_MS: i64 = 100 * 365 * 24 * 3600 * 1000;

/// The `token` column value of `token`. A token above `i64::MAX` was never handed out by this storage;
/// it becomes `-1`, which matches no row, so its writes are fenced.
pub(crate) fn token_column(token: FencingToken) -> i64 {
    i64::try_from(token.get()).unwrap_or(-1)
}

/// `duration` in milliseconds as a `bigint`, at most `max`.
fn millis(duration: Duration, max: i64) -> i64 {
    i64::try_from(duration.as_millis()).map_or(max, |ms| ms.min(max))
}

/// The lease a row describes, and the server's clock when it was read.
fn decode(row: LeaseRow, doing: Doing<'_>) -> Result<LeaseInfo, StorageError> {
    let (token, holder, expires_at_ms, released, now_ms) = row;
    let damaged = |what: &str| corrupt(doing, format_args!("the lease row's {what} is invalid"));
    let token = u64::try_from(token)
        .ok()
        .and_then(FencingToken::new)
        .ok_or_else(|| damaged("token"))?;
    let holder = HolderId::new(holder).map_err(|_| damaged("holder"))?;
    let state = if released {
        RecordState::Released
    } else {
        RecordState::Until {
            expires_at_ms: u64::try_from(expires_at_ms).unwrap_or(0),
        }
    };
    let now_ms = u64::try_from(now_ms).map_err(|_| damaged("clock"))?;
    let record = LeaseRecord {
        token,
        holder,
        state,
    };
    Ok(record.info(now_ms))
}

impl PostgresStorage {
    /// Reads the slot's lease (as `doing`).
    async fn lease_row(&self, doing: Doing<'_>) -> Result<Option<LeaseInfo>, StorageError> {
        let query = sqlx::query_as::<_, LeaseRow>(text(&self.statements().lease.read))
            .bind(self.slot().as_str())
            .fetch_optional(self.pool());
        match self.run(doing, query).await? {
            Some(row) => decode(row, doing).map(Some),
            None => Ok(None),
        }
    }

    /// After a write of `doing` under `fence` wrote nothing: fails with [`Fenced`] if the token is no
    /// longer the lease's. A token that is not current never becomes current again, so if it is current
    /// now, it was during the write, and the write's own condition made it write nothing.
    ///
    /// [`Fenced`]: session_core::ErrorKind::Fenced
    pub(crate) async fn fail_if_lost(
        &self,
        doing: Doing<'_>,
        fence: Option<FencingToken>,
    ) -> Result<(), StorageError> {
        let Some(token) = fence else {
            return Ok(());
        };
        let current = self.lease_row(doing).await?;
        match current {
            Some(info) if info.token == token && info.state != LeaseState::Released => Ok(()),
            _ => Err(StorageError::fenced(BACKEND, token, &doing.to_string())),
        }
    }
}

#[async_trait]
impl LeaseStorage for PostgresStorage {
    /// One `INSERT ... ON CONFLICT DO UPDATE ... WHERE` (released, or lapsed at least the takeover delay
    /// ago, on the server's clock) `RETURNING` the new token. When it returns none, a second statement reads
    /// the lease for the [`Held`](session_core::ErrorKind::Held) error (the first one's snapshot may
    /// predate the racer it waited for); if that finds the lease free again (released meanwhile), it tries
    /// again, up to three times.
    async fn acquire_lease(&self, request: &LeaseRequest) -> Result<LeaseGrant, StorageError> {
        let doing = self.doing(ACQUIRE, true);
        let ttl = millis(request.ttl(), i64::MAX);
        let delay = millis(request.takeover_delay(), MAX_DELAY_MS);
        let mut last = None;
        for _ in 0..ACQUIRE_ATTEMPTS {
            let query = sqlx::query_scalar::<_, i64>(text(&self.statements().lease.acquire))
                .bind(self.slot().as_str())
                .bind(request.holder().as_str())
                .bind(ttl)
                .bind(delay)
                .fetch_optional(self.pool());
            if let Some(token) = self.run(doing, query).await? {
                let token = u64::try_from(token)
                    .ok()
                    .and_then(FencingToken::new)
                    .ok_or_else(|| corrupt(doing, "the new token is not positive"))?;
                return Ok(LeaseGrant {
                    token,
                    term: LeaseTerm::Lapses(request.ttl()),
                });
            }
            let Some(info) = self.lease_row(doing).await? else {
                continue;
            };
            let free = match info.state {
                LeaseState::Released => true,
                LeaseState::Lapsed { ago } => ago >= request.takeover_delay(),
                LeaseState::Held { .. } => false,
            };
            if !free {
                return Err(StorageError::held(BACKEND, info));
            }
            last = Some(info);
        }
        match last {
            Some(info) => Err(StorageError::held(BACKEND, info)),
            None => Err(corrupt(doing, "the lease row vanished")),
        }
    }

    /// One `UPDATE ... WHERE token = $2 AND NOT released`; no row is [`Fenced`](session_core::ErrorKind::Fenced).
    async fn renew_lease(
        &self,
        token: FencingToken,
        ttl: Duration,
    ) -> Result<LeaseGrant, StorageError> {
        let doing = self.doing(RENEW, true);
        let ttl = checked_ttl(ttl)?;
        let query = sqlx::query_scalar::<_, i64>(text(&self.statements().lease.renew))
            .bind(self.slot().as_str())
            .bind(token_column(token))
            .bind(millis(ttl, i64::MAX))
            .fetch_optional(self.pool());
        match self.run(doing, query).await? {
            Some(_) => Ok(LeaseGrant {
                token,
                term: LeaseTerm::Lapses(ttl),
            }),
            None => Err(StorageError::fenced(BACKEND, token, &doing.to_string())),
        }
    }

    /// One `UPDATE ... SET released = true WHERE token = $2`.
    async fn release_lease(&self, token: FencingToken) -> Result<(), StorageError> {
        let query = sqlx::query(text(&self.statements().lease.release))
            .bind(self.slot().as_str())
            .bind(token_column(token))
            .execute(self.pool());
        self.run(self.doing(RELEASE, true), query).await.map(drop)
    }

    async fn read_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
        self.lease_row(self.doing("read the lease of", true)).await
    }

    /// One statement locks the row, releases it and returns it as it was.
    async fn break_lease(&self) -> Result<Option<LeaseInfo>, StorageError> {
        let doing = self.doing(BREAK, true);
        let query = sqlx::query_as::<_, LeaseRow>(text(&self.statements().lease.breaks))
            .bind(self.slot().as_str())
            .fetch_optional(self.pool());
        match self.run(doing, query).await? {
            Some(row) => decode(row, doing).map(Some),
            None => Ok(None),
        }
    }

    /// The write's own statement (or transaction, for a compaction) in its fenced form: the lease row is
    /// checked and locked `FOR SHARE` by the same statement that writes.
    async fn write_fenced(
        &self,
        token: FencingToken,
        write: FencedWrite,
    ) -> Result<FencedOutcome, StorageError> {
        let fence = Some(token);
        Ok(match write {
            FencedWrite::Store(data) => {
                self.store_under(data, fence).await?;
                FencedOutcome::Done
            }
            FencedWrite::StoreIf(data, expect) => {
                FencedOutcome::Version(self.store_if_under(data, expect, fence).await?)
            }
            FencedWrite::Delete => {
                self.delete_under(fence).await?;
                FencedOutcome::Done
            }
            FencedWrite::Append(epoch, record) => {
                FencedOutcome::Appended(self.append_under(epoch, record, fence).await?)
            }
            FencedWrite::Compact(snapshot, position) => {
                self.compact_under(snapshot, position, fence).await?;
                FencedOutcome::Done
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use session_core::{ErrorKind, Slot};

    use super::*;
    use crate::table::TableName;

    #[test]
    fn rows_decode_into_leases_and_damage_is_corrupt() {
        let table = TableName::default();
        let slot = Slot::new("main").unwrap();
        let doing = Doing {
            op: "read the lease of",
            slot: Some(&slot),
            table: &table,
        };
        let held = decode((3, "w".into(), 1_500, false, 1_000), doing).unwrap();
        assert_eq!(held.token.get(), 3);
        assert_eq!(
            held.state,
            LeaseState::Held {
                lapses_in: Some(Duration::from_millis(500))
            }
        );
        let released = decode((3, "w".into(), 1_500, true, 1_000), doing).unwrap();
        assert_eq!(released.state, LeaseState::Released);
        for bad in [
            (0, "w".into(), 0, false, 0),
            (1, String::new(), 0, false, 0),
        ] {
            assert_eq!(decode(bad, doing).unwrap_err().kind(), ErrorKind::Corrupt);
        }
        assert_eq!(token_column(FencingToken::new(u64::MAX).unwrap()), -1);
        assert_eq!(token_column(FencingToken::FIRST), 1);
    }
}
