//! The connection an untrusted file is read through: its own limits, settings and work budget, none of which
//! touches SQLite's process-wide state (see the [module documentation](super) for why).

use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::limits::Limit;
use rusqlite::{Connection, OpenFlags};

use super::raw::{MAX_ENTRIES, MAX_SCHEMA_BYTES};

/// The largest string or blob a query may produce or read. Every value in the known formats is far smaller
/// (an auth key is 256 bytes, a name a few hundred); the file could otherwise hold values of up to 1 GB.
const MAX_VALUE_LEN: i32 = 1 << 20;

/// The page cache, in KiB (`PRAGMA cache_size` takes a negative number for KiB).
const CACHE_KIB: i64 = 2048;

/// How many virtual-machine instructions run between two checks of the budget.
const OPS_PER_CHECK: i32 = 1000;

/// The budget of every read, in virtual-machine instructions: a fixed part, for the schema checks and small
/// files...
const BASE_OPS: u64 = 10_000_000;

/// ...and a part per byte of input. The integrity check and a reader's queries together run about one
/// instruction per byte of the densest real files (and two for a table of one-column rows), so the budget
/// allows eight times that; it runs out in about a second where a statement did not stay proportional to
/// the file, which the checks of [`super::catalog`] and the integrity check are there to ensure.
const OPS_PER_BYTE: u64 = 16;

/// The wall-clock time a read may take, besides its instruction budget, which alone does not bound time: one
/// instruction may be expensive (a function over a megabyte of text, as a generated column computes for
/// every row), and the schema checks of [`super::catalog`] that keep such work out are the only other
/// defence. A fixed part...
const BASE_TIME: Duration = Duration::from_secs(2);

/// ...and a part per MiB of input, some forty times what the densest real files take to read (about 2.5 ms
/// per MiB), so that only a statement that stopped being proportional to the file ever meets it.
const TIME_PER_MIB: Duration = Duration::from_millis(100);

/// Per-connection limits (SQLite's defaults are far larger). The schema limits repeat the raw checks of
/// [`super::raw`], in SQLite's own terms.
fn limits() -> [(Limit, i32); 13] {
    let schema_bytes = i32::try_from(MAX_SCHEMA_BYTES).unwrap_or(i32::MAX);
    let schema_entries = i32::try_from(MAX_ENTRIES).unwrap_or(i32::MAX);
    [
        (Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_LEN),
        (Limit::SQLITE_LIMIT_SQL_LENGTH, schema_bytes),
        (Limit::SQLITE_LIMIT_SCHEMA, schema_entries),
        (Limit::SQLITE_LIMIT_COLUMN, 100),
        (Limit::SQLITE_LIMIT_EXPR_DEPTH, 100),
        (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 8),
        (Limit::SQLITE_LIMIT_VDBE_OP, 1_000_000),
        (Limit::SQLITE_LIMIT_FUNCTION_ARG, 8),
        (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 100),
        (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 8),
        (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 1),
        (Limit::SQLITE_LIMIT_TRIGGER_STEPS, 100),
        (Limit::SQLITE_LIMIT_WORKER_THREADS, 0),
    ]
}

/// A new connection for a file of `input_len` bytes: limited, defensive, with views and triggers disabled,
/// temporary storage in memory, and a progress handler that interrupts every statement once the budget for
/// `input_len` bytes is spent, or once the time for them has passed. Call [`seal`] once the file is loaded.
pub(super) fn connection(input_len: usize) -> rusqlite::Result<Connection> {
    let mut db = Connection::open_in_memory_with_flags(OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    for (limit, value) in limits() {
        db.set_limit(limit, value)?;
    }
    for (config, on) in [
        (DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true),
        (DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY, false),
    ] {
        db.set_db_config(config, on)?;
    }
    for (pragma, value) in [
        ("temp_store", "MEMORY"),
        ("cell_size_check", "ON"),
        ("ignore_check_constraints", "ON"),
        ("automatic_index", "OFF"),
    ] {
        db.pragma_update(None, pragma, value)?;
    }
    let budget = u64::try_from(input_len)
        .unwrap_or(u64::MAX)
        .saturating_mul(OPS_PER_BYTE)
        .saturating_add(BASE_OPS);
    let mut checks_left = budget / u64::from(OPS_PER_CHECK.unsigned_abs());
    let mib = u32::try_from(input_len >> 20).unwrap_or(u32::MAX);
    let deadline = Instant::now() + BASE_TIME + TIME_PER_MIB.saturating_mul(mib);
    db.progress_handler(
        OPS_PER_CHECK,
        Some(move || match checks_left.checked_sub(1) {
            Some(left) if Instant::now() < deadline => {
                checks_left = left;
                false
            }
            _ => true,
        }),
    )?;
    Ok(db)
}

/// Settings that only take effect once the file is the main database (they make SQLite load its schema,
/// which [`super::raw`] has bounded): no further attached databases, no writes, a small page cache and no
/// memory mapping.
pub(super) fn seal(db: &Connection) -> rusqlite::Result<()> {
    db.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)?;
    db.pragma_update(None, "query_only", "ON")?;
    db.pragma_update(None, "mmap_size", 0)?;
    db.pragma_update(None, "cache_size", -CACHE_KIB)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_interrupts_a_statement_that_runs_too_long() {
        let db = connection(0).unwrap();
        let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n";
        let err = db
            .query_row(endless, [], |row| row.get::<_, i64>(0))
            .unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::OperationInterrupted)
        );
        // Spent is spent: a later statement of more than a few instructions is interrupted too.
        let err = db
            .query_row(endless, [], |row| row.get::<_, i64>(0))
            .unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::OperationInterrupted)
        );
    }

    #[test]
    fn the_time_limit_interrupts_a_statement_of_few_but_expensive_instructions() {
        let db = connection(0).unwrap();
        // About ten instructions a row, far below the instruction budget, but a megabyte of text computed
        // for each of them: minutes of work.
        let expensive =
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
                         SELECT sum(length(hex(zeroblob(500000 + i % 2)))) FROM n";
        let started = Instant::now();
        let err = db
            .query_row(expensive, [], |row| row.get::<_, i64>(0))
            .unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::OperationInterrupted)
        );
        let elapsed = started.elapsed();
        assert!(elapsed < BASE_TIME * 3, "{elapsed:?}");
    }

    #[test]
    fn values_and_schemas_are_limited_per_connection() {
        let db = connection(0).unwrap();
        let err = db
            .query_row("SELECT length(zeroblob(2000000))", [], |row| {
                row.get::<_, i64>(0)
            })
            .unwrap_err();
        assert!(err.to_string().contains("too big"), "{err}");
        // A plain connection of the same process keeps SQLite's defaults.
        let plain = Connection::open_in_memory().unwrap();
        let len: i64 = plain
            .query_row("SELECT length(zeroblob(2000000))", [], |row| row.get(0))
            .unwrap();
        assert_eq!(len, 2_000_000);
    }
}
