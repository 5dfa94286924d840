//! The SQL of the lease table: one statement per lease operation, all on the server's clock (`now()`).
//!
//! Only the validated, quoted table name is written into the text; every value is a `$n` parameter, and
//! durations are milliseconds (`bigint`).

use std::sync::Arc;

use crate::table::TableName;

/// A lease row as every reading statement returns it: `token, holder, expires_at` and `now()` in
/// milliseconds since the Unix epoch, and `released`.
const COLUMNS: &str = "token, holder, (extract(epoch FROM expires_at) * 1000)::bigint, released, \
                       (extract(epoch FROM now()) * 1000)::bigint";

/// `$n` milliseconds as an interval.
fn millis(n: usize) -> String {
    format!("make_interval(secs => ${n}::float8 / 1000)")
}

/// The statements on a lease table.
#[derive(Debug)]
pub(crate) struct LeaseStatements {
    /// `$1` slot, `$2` holder, `$3` TTL, `$4` takeover delay → the new token; no row if the lease is held,
    /// or lapsed less than the delay ago. One `INSERT ... ON CONFLICT DO UPDATE ... WHERE`: the row lock
    /// orders racing acquisitions, and each re-checks the condition on the row the one before wrote.
    pub(crate) acquire: Arc<str>,
    /// `$1` slot, `$2` token, `$3` TTL → the token; no row unless `$2` is the lease's and not released.
    pub(crate) renew: Arc<str>,
    /// `$1` slot, `$2` token: releases the lease if `$2` is its token.
    pub(crate) release: Arc<str>,
    /// `$1` slot → the lease row ([`COLUMNS`]).
    pub(crate) read: Arc<str>,
    /// `$1` slot → the lease row as it was; releases it.
    pub(crate) breaks: Arc<str>,
}

impl LeaseStatements {
    /// The statements on `lease`, the qualified lease table.
    pub(crate) fn new(lease: &str) -> LeaseStatements {
        LeaseStatements {
            acquire: format!(
                "INSERT INTO {lease} AS l (slot, token, holder, expires_at, released) \
                 VALUES ($1, 1, $2, now() + {}, false) \
                 ON CONFLICT (slot) DO UPDATE SET token = l.token + 1, holder = EXCLUDED.holder, \
                 expires_at = EXCLUDED.expires_at, released = false \
                 WHERE l.released OR l.expires_at + {} <= now() \
                 RETURNING token",
                millis(3),
                millis(4)
            )
            .into(),
            renew: format!(
                "UPDATE {lease} SET expires_at = now() + {} \
                 WHERE slot = $1 AND token = $2 AND NOT released RETURNING token",
                millis(3)
            )
            .into(),
            release: format!("UPDATE {lease} SET released = true WHERE slot = $1 AND token = $2")
                .into(),
            read: format!("SELECT {COLUMNS} FROM {lease} WHERE slot = $1").into(),
            breaks: format!(
                "WITH old AS (SELECT slot, token, holder, expires_at, released FROM {lease} \
                 WHERE slot = $1 FOR UPDATE), \
                 up AS (UPDATE {lease} l SET released = true FROM old WHERE l.slot = old.slot) \
                 SELECT {COLUMNS} FROM old"
            )
            .into(),
        }
    }
}

/// Schema version 3: the lease table, one row per slot that ever had a lease (kept by `delete`, so tokens
/// never repeat).
pub(crate) fn create_lease_table(table: &TableName) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\
         slot text PRIMARY KEY, \
         token bigint NOT NULL, \
         holder text NOT NULL, \
         expires_at timestamptz NOT NULL, \
         released boolean NOT NULL)",
        table.qualified_lease()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_statements_bind_every_value() {
        let table = TableName::new("app", "tg").unwrap();
        let s = LeaseStatements::new(&table.qualified_lease());
        for sql in [&s.acquire, &s.renew, &s.release, &s.read, &s.breaks] {
            assert!(sql.contains("\"app\".\"tg_lease\""), "{sql}");
            assert!(sql.contains("$1"), "{sql}");
            assert!(!sql.contains('\''), "no literal values: {sql}");
        }
        assert!(create_lease_table(&table)
            .starts_with("CREATE TABLE IF NOT EXISTS \"app\".\"tg_lease\" ("));
    }
}
