//! The SQL of one table and its journal table, written once when a handle is configured.
//!
//! Only the validated, quoted schema and table names are written into the text; every value is a `$n`
//! parameter.
//!
//! # Locking order
//!
//! Every statement that writes journal rows of a slot first takes the lock of the slot's row in the sessions
//! table (by updating, inserting or deleting it, or `SELECT ... FOR UPDATE`), and only then touches journal
//! rows: the journal `DELETE`s are gated on the sessions row the same statement wrote (`EXISTS (SELECT FROM
//! up)`, a one-time filter evaluated before the journal is scanned), so they run after it. All writers of a
//! slot's journal are therefore serialized by that one row lock, and two writers never wait for each other's
//! locks in opposite orders (no deadlock).
//!
//! Journal rows are always selected by `slot = $1`, the bound slot name rather than a value joined from the
//! sessions row, so that the planner estimates the rows of that very slot and scans the primary key index
//! instead of the whole journal table (which it would for an unknown slot when one slot holds most rows).
//!
//! # Stale journal rows
//!
//! `store`, `store_if` and `delete` are single statements, so their journal `DELETE` reads the journal as
//! of the statement's start. An append that committed while such a statement waited for the row lock leaves
//! its row behind, at an index at or past the old journal end. Such a row is harmless: readers only read the
//! indices `journal_base .. journal_end` of the current row, an append overwrites a row it finds at its
//! index (`ON CONFLICT ... DO UPDATE`), and the next compaction or whole write of the slot deletes it.

use std::sync::Arc;

use sqlx::AssertSqlSafe;

use crate::table::TableName;

/// The statements a handle runs against its table.
#[derive(Debug)]
pub(crate) struct Statements {
    /// `$1` slot → `data, version, journal_epoch, journal_base, journal_end, records` (the records from
    /// `journal_base` to `journal_end`, in order, as a `bytea[]`; `NULL` when there are none), all read in
    /// one statement, so from one snapshot.
    pub(crate) load: Arc<str>,
    /// `$1` slot, `$2` snapshot, `$3` its position's `next`, `$4` the journal end read under the lock: the
    /// new snapshot and journal start, a new version, and the journal rows before `$3` (and stale ones at or
    /// past `$4`) deleted; run inside the compaction's transaction, after [`Writes::lock_journal`].
    pub(crate) compact: Arc<str>,
    /// The writes as they are.
    pub(crate) plain: Writes,
    /// The writes under a lease: each takes the lease's token as its last parameter.
    pub(crate) fenced: Writes,
    /// The lease's own statements.
    pub(crate) lease: crate::lease_sql::LeaseStatements,
}

/// The writes of a slot, plain or fenced. A fenced write is the plain statement with a first CTE `fence`
/// that selects the slot's lease row if it has the token (the statement's last parameter) and was not
/// released, `FOR SHARE`, and every write in it gated on that row (`EXISTS (SELECT FROM fence)`, or
/// inserting `FROM fence`): it writes nothing under a stale token, and a takeover (which updates the lease
/// row) waits for it to commit, or makes it see the new token.
#[derive(Debug)]
pub(crate) struct Writes {
    /// `$1` slot, `$2` data, `$3` journal epoch (or `NULL`), `$4` journal start: insert or replace, with a
    /// new version, and delete the slot's old journal → the number of rows written (0 or 1).
    pub(crate) upsert: Arc<str>,
    /// `$1` slot, `$2` data, `$3` journal epoch, `$4` journal start: insert only if absent → `version` of
    /// the new row, no row if present.
    pub(crate) insert_if_absent: Arc<str>,
    /// `$1` slot, `$2` data, `$3` expected version, `$4` journal epoch, `$5` journal start → `version` of
    /// the new value, no row if it differs; the old journal is deleted with the old value.
    pub(crate) update_if_version: Arc<str>,
    /// `$1` slot: deletes the row and its journal → the number of rows deleted (0 or 1).
    pub(crate) delete: Arc<str>,
    /// `$1` slot, `$2` epoch, `$3` record → the record's index; no row if the slot has no journal of that
    /// epoch (absent, replaced, or stored without one).
    pub(crate) append: Arc<str>,
    /// `$1` slot → `journal_epoch, journal_base, journal_end`, locking the row (`FOR UPDATE`); run inside the
    /// compaction's transaction.
    pub(crate) lock_journal: Arc<str>,
}

/// How a write statement is gated: nothing, or the fence of a lease.
struct Gate {
    /// What opens the statement: `WITH ` and, fenced, the `fence` CTE.
    with: String,
    /// What a `WHERE` clause ends with: fenced, ` AND EXISTS (SELECT FROM fence)`.
    and: &'static str,
}

impl Gate {
    /// The gate of a plain write, or of a fenced one on `lease` (the qualified lease table) whose token is
    /// parameter `$token`.
    fn new(lease: Option<&str>, token: usize) -> Gate {
        match lease {
            None => Gate {
                with: "WITH ".into(),
                and: "",
            },
            Some(lease) => Gate {
                with: format!(
                    "WITH fence AS (SELECT FROM {lease} WHERE slot = $1 AND token = ${token} \
                     AND NOT released FOR SHARE), "
                ),
                and: " AND EXISTS (SELECT FROM fence)",
            },
        }
    }

    /// The rows an `INSERT` inserts: `VALUES (values)`, or, fenced, `SELECT values FROM fence`.
    fn rows(&self, values: &str) -> String {
        if self.and.is_empty() {
            format!("VALUES ({values})")
        } else {
            format!("SELECT {values} FROM fence")
        }
    }
}

impl Writes {
    /// The writes on `table`; fenced on `lease` (the qualified lease table) if given.
    fn new(table: &TableName, lease: Option<&str>) -> Writes {
        let t = table.qualified();
        let j = table.qualified_journal();
        let gate = |token| Gate::new(lease, token);
        let insert = |g: &Gate| {
            format!(
                "INSERT INTO {t} (slot, data, updated_at, journal_epoch, journal_base, journal_end) {}",
                g.rows("$1, $2, now(), $3, $4, $4")
            )
        };
        let (g5, g6, g2, g4) = (gate(5), gate(6), gate(2), gate(4));
        Writes {
            upsert: format!(
                "{}up AS ({} \
                 ON CONFLICT (slot) DO UPDATE SET data = EXCLUDED.data, version = EXCLUDED.version, \
                 updated_at = EXCLUDED.updated_at, journal_epoch = EXCLUDED.journal_epoch, \
                 journal_base = EXCLUDED.journal_base, journal_end = EXCLUDED.journal_end \
                 RETURNING slot), \
                 cleared AS (DELETE FROM {j} j WHERE j.slot = $1 AND EXISTS (SELECT FROM up)) \
                 SELECT count(*) FROM up",
                g5.with,
                insert(&g5)
            )
            .into(),
            insert_if_absent: format!(
                "{}up AS ({} ON CONFLICT (slot) DO NOTHING RETURNING slot, version), \
                 cleared AS (DELETE FROM {j} j WHERE j.slot = $1 AND EXISTS (SELECT FROM up)) \
                 SELECT version FROM up",
                g5.with,
                insert(&g5)
            )
            .into(),
            update_if_version: format!(
                "{}up AS (\
                 UPDATE {t} SET data = $2, version = DEFAULT, updated_at = now(), \
                 journal_epoch = $4, journal_base = $5, journal_end = $5 \
                 WHERE slot = $1 AND version = $3{} RETURNING slot, version), \
                 cleared AS (DELETE FROM {j} j WHERE j.slot = $1 AND EXISTS (SELECT FROM up)) \
                 SELECT version FROM up",
                g6.with, g6.and
            )
            .into(),
            delete: format!(
                "{}gone AS (DELETE FROM {t} WHERE slot = $1{} RETURNING slot), \
                 cleared AS (DELETE FROM {j} j WHERE j.slot = $1 AND EXISTS (SELECT FROM gone)) \
                 SELECT count(*) FROM gone",
                g2.with, g2.and
            )
            .into(),
            append: format!(
                "{}bumped AS (\
                 UPDATE {t} SET journal_end = journal_end + 1, version = DEFAULT, updated_at = now() \
                 WHERE slot = $1 AND journal_epoch = $2{} RETURNING journal_end - 1 AS idx) \
                 INSERT INTO {j} (slot, idx, record) SELECT $1, idx, $3 FROM bumped \
                 ON CONFLICT (slot, idx) DO UPDATE SET record = EXCLUDED.record \
                 RETURNING idx",
                g4.with, g4.and
            )
            .into(),
            lock_journal: format!(
                "{}locked AS (SELECT journal_epoch, journal_base, journal_end FROM {t} \
                 WHERE slot = $1{} FOR UPDATE) SELECT * FROM locked",
                g2.with, g2.and
            )
            .into(),
        }
    }
}

impl Statements {
    /// The statements for `table`.
    pub(crate) fn new(table: &TableName) -> Statements {
        let t = table.qualified();
        let j = table.qualified_journal();
        let lease = table.qualified_lease();
        Statements {
            load: format!(
                "SELECT s.data, s.version, s.journal_epoch, s.journal_base, s.journal_end, \
                 CASE WHEN s.journal_end > s.journal_base THEN ARRAY(\
                 SELECT j.record FROM {j} j WHERE j.slot = $1 \
                 AND j.idx >= s.journal_base AND j.idx < s.journal_end ORDER BY j.idx) END \
                 FROM {t} s WHERE s.slot = $1"
            )
            .into(),
            compact: format!(
                "WITH up AS (\
                 UPDATE {t} SET data = $2, journal_base = $3, version = DEFAULT, updated_at = now() \
                 WHERE slot = $1 RETURNING slot) \
                 DELETE FROM {j} j WHERE j.slot = $1 AND EXISTS (SELECT FROM up) AND (j.idx < $3 OR j.idx >= $4)"
            )
            .into(),
            plain: Writes::new(table, None),
            fenced: Writes::new(table, Some(&lease)),
            lease: crate::lease_sql::LeaseStatements::new(&lease),
        }
    }

    /// The writes of a plain call, or of one under a lease.
    pub(crate) fn writes(&self, fenced: bool) -> &Writes {
        if fenced {
            &self.fenced
        } else {
            &self.plain
        }
    }
}

/// The DDL that [`migrate`](crate::PostgresStorage::migrate) runs for `table`: the schema, then the table
/// (schema version 1), then the journal columns and table (schema version 2), each only when missing.
///
/// `version` is an identity column: every insert and every `SET version = DEFAULT` takes the next value of
/// the table's own sequence, so a slot never gets a version it had before, not even after a delete.
pub(crate) fn create_schema(table: &TableName) -> String {
    format!("CREATE SCHEMA IF NOT EXISTS {}", table.quoted_schema())
}

/// Schema version 1: the sessions table. See [`create_schema`].
pub(crate) fn create_table(table: &TableName) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\
         slot text PRIMARY KEY, \
         data bytea NOT NULL, \
         version bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL, \
         updated_at timestamptz NOT NULL DEFAULT now())",
        table.qualified()
    )
}

/// Schema version 2, first part: the journal columns of the sessions table. Constant defaults make this a
/// change of the catalog only (no table rewrite); existing rows get no journal.
pub(crate) fn add_journal_columns(table: &TableName) -> String {
    format!(
        "ALTER TABLE {} \
         ADD COLUMN IF NOT EXISTS journal_epoch bytea, \
         ADD COLUMN IF NOT EXISTS journal_base bigint NOT NULL DEFAULT 0, \
         ADD COLUMN IF NOT EXISTS journal_end bigint NOT NULL DEFAULT 0",
        table.qualified()
    )
}

/// Schema version 2, second part: the journal table.
pub(crate) fn create_journal_table(table: &TableName) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\
         slot text NOT NULL, \
         idx bigint NOT NULL, \
         record bytea NOT NULL, \
         PRIMARY KEY (slot, idx))",
        table.qualified_journal()
    )
}

/// `sql` as sqlx's query text. The text is built only from fixed SQL and validated, quoted identifiers.
pub(crate) fn text(sql: &Arc<str>) -> AssertSqlSafe<Arc<str>> {
    AssertSqlSafe(Arc::clone(sql))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_quote_the_tables_and_bind_every_value() {
        let table = TableName::new("app", "tg").unwrap();
        let s = Statements::new(&table);
        for fenced in [false, true] {
            let w = s.writes(fenced);
            let all = [
                &s.load,
                &w.upsert,
                &w.insert_if_absent,
                &w.update_if_version,
                &w.delete,
                &w.append,
                &w.lock_journal,
                &s.compact,
            ];
            for sql in all {
                assert!(sql.contains("\"app\".\"tg\""), "{sql}");
                assert!(sql.contains("slot = $1") || sql.contains("$1, $2"), "{sql}");
                assert!(!sql.contains('\''), "no literal values: {sql}");
            }
            for sql in all
                .into_iter()
                .filter(|sql| !Arc::ptr_eq(sql, &w.lock_journal))
            {
                assert!(sql.contains("\"app\".\"tg_journal\""), "{sql}");
            }
        }
        assert!(create_table(&table).starts_with("CREATE TABLE IF NOT EXISTS \"app\".\"tg\" ("));
        assert!(create_journal_table(&table)
            .starts_with("CREATE TABLE IF NOT EXISTS \"app\".\"tg_journal\" ("));
        assert!(add_journal_columns(&table).starts_with("ALTER TABLE \"app\".\"tg\" ADD COLUMN"));
        assert_eq!(create_schema(&table), "CREATE SCHEMA IF NOT EXISTS \"app\"");
    }

    #[test]
    fn fenced_writes_are_the_plain_ones_gated_on_the_lease_row() {
        let s = Statements::new(&TableName::new("app", "tg").unwrap());
        let pairs = [
            (&s.plain.upsert, &s.fenced.upsert, "$5"),
            (&s.plain.insert_if_absent, &s.fenced.insert_if_absent, "$5"),
            (
                &s.plain.update_if_version,
                &s.fenced.update_if_version,
                "$6",
            ),
            (&s.plain.delete, &s.fenced.delete, "$2"),
            (&s.plain.append, &s.fenced.append, "$4"),
            (&s.plain.lock_journal, &s.fenced.lock_journal, "$2"),
        ];
        for (plain, fenced, token) in pairs {
            assert!(!plain.contains("fence"), "{plain}");
            assert!(
                fenced.starts_with(&format!(
                    "WITH fence AS (SELECT FROM \"app\".\"tg_lease\" WHERE slot = $1 AND token = {token} \
                     AND NOT released FOR SHARE), "
                )),
                "{fenced}"
            );
            assert!(fenced.contains("FROM fence"), "{fenced}");
        }
    }
}
