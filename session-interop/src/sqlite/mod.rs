//! SQLite databases held in memory: untrusted session files opened for reading with bounded cost, and new
//! databases turned into bytes.
//!
//! # Reading an untrusted file
//! A session file's schema is as untrusted as its rows: a generated column, a view or a virtual table runs
//! code on every read, a huge schema costs memory when SQLite parses it, a B-tree whose pages share children
//! makes a scan return rows without end, and an `ORDER BY` spills a large sort into temporary files.
//! [`Database::open`] therefore
//!
//! 1. walks the schema table itself ([`raw`]) and refuses more than 64 entries or 64 KiB of SQL, views,
//!    virtual tables, SQLite's `sqlite_stat*` tables (which SQLite reads in full with the schema), and a file
//!    without the format's identifying tables: until then nothing is copied or parsed, so another format's
//!    or application's database costs next to nothing;
//! 2. copies the file into SQLite (the one copy; WAL files are read as rollback-journal ones on the way)
//!    on a connection of its own ([`guard`]): limits on value, statement and schema sizes, defensive mode,
//!    views and triggers disabled, read only, temporary storage in memory, a 2 MiB page cache, and a progress
//!    handler that interrupts any statement once a budget of instructions proportional to the input is spent
//!    or a time proportional to it (2 s plus 0.1 s per MiB) has passed;
//! 3. checks every table and index through SQLite ([`catalog`]): no generated or hidden columns, no index on
//!    an expression, no partial index;
//! 4. checks the identifying tables' columns, then runs `PRAGMA quick_check` (with `CHECK` constraints
//!    ignored), which proves that every page belongs to exactly one B-tree, so that a scan reads each row
//!    once and work stays proportional to the file's size.
//!
//! Each reader then checks the format's exact tables and columns ([`Database::check`]) before it reads a row
//! other than the schema version's, and its queries scan tables without sorting (no `ORDER BY`, `GROUP BY` or
//! `DISTINCT`), so SQLite never needs a temporary file or a sorter.
//!
//! # What bounds memory
//! Per read: the one copy of the input SQLite holds, its page cache (2 MiB, plus the few pages open cursors
//! pin), the parsed schema (bounded by step 1), and one row's values (each at most 1 MiB). SQLite's
//! `hard_heap_limit` is deliberately not used: it is process-wide, so it would also cap every other SQLite
//! user in the process (an application's own database, this crate's writers), the SQL `PRAGMA` form can only
//! ever lower it, and concurrent reads would share one budget. Everything here is per connection and ends
//! with it; the writers' connections ([`create`]) are plain in-memory databases.

mod catalog;
mod guard;
mod raw;
mod spec;

use std::io::Read;
use std::ops::Deref;

use rusqlite::{Connection, MAIN_DB};
use zeroize::Zeroizing;

use self::catalog::Catalog;
use self::raw::Kind;
pub(crate) use self::spec::{Column, Presence, Spec, Table};
use crate::error::InteropError;
use crate::format::Format;

/// The first 16 bytes of every SQLite database file.
pub(crate) const HEADER: &[u8] = b"SQLite format 3\0";

/// An untrusted session file opened for reading, its schema checked as the [module documentation](self)
/// says. Dereferences to the connection for queries.
#[derive(Debug)]
pub(crate) struct Database {
    db: Connection,
    catalog: Catalog,
    format: Format,
}

impl Database {
    /// Opens the database file held in `bytes` as a session of `format`, whose files have the tables of
    /// `spec`: refuses anything that could make reading it expensive (see the [module documentation](self)),
    /// and a file without `spec`'s identifying tables or with other columns in them, before any row is read.
    /// The other tables are checked by [`Database::check`], which a reader may call after it read a version
    /// number from an identifying table.
    ///
    /// Files left in WAL mode are read as rollback-journal files (the bytes hold no WAL; what was only in the
    /// WAL is not there, which is what any reader of the copied main file sees).
    pub(crate) fn open(
        format: Format,
        bytes: &[u8],
        spec: &Spec,
    ) -> Result<Database, InteropError> {
        let malformed = |reason: String| InteropError::malformed(format, reason);
        if !bytes.starts_with(HEADER) {
            return Err(malformed("not an SQLite database".to_owned()));
        }
        let entries = raw::entries(bytes).map_err(malformed)?;
        catalog::screen(&entries).map_err(malformed)?;
        for name in spec.identifying() {
            let found = entries
                .iter()
                .any(|entry| entry.kind == Kind::Table && entry.name.eq_ignore_ascii_case(name));
            if !found {
                return Err(malformed(format!("no `{name}` table")));
            }
        }
        let mut db = guard::connection(bytes.len())
            .map_err(|err| sqlite_error(format, "cannot open an in-memory database", &err))?;
        db.deserialize_read_exact(MAIN_DB, Image::new(bytes), bytes.len(), true)
            .map_err(|err| sqlite_error(format, "cannot load the database", &err))?;
        guard::seal(&db)
            .map_err(|err| sqlite_error(format, "not a readable SQLite database", &err))?;
        let catalog = catalog::read(&db, &entries).map_err(malformed)?;
        for table in spec.tables {
            if table.presence == Presence::Identifying {
                spec::check_table(table, &catalog).map_err(malformed)?;
            }
        }
        check_integrity(format, &db)?;
        Ok(Database {
            db,
            catalog,
            format,
        })
    }

    /// Checks that the file has exactly `spec`'s tables, columns and triggers (see [`Spec`]).
    pub(crate) fn check(&self, spec: &Spec) -> Result<(), InteropError> {
        spec::check(spec, &self.catalog)
            .map_err(|reason| InteropError::malformed(self.format, reason))
    }

    /// Runs `sql`, a query of the reader's own (never text from the file), and hands each row to `each` as it
    /// comes: nothing is collected here. SQLite's errors become [`InteropError::Malformed`], saying they
    /// happened while `doing`.
    pub(crate) fn for_each_row(
        &self,
        sql: &str,
        doing: &str,
        mut each: impl FnMut(&rusqlite::Row<'_>) -> Result<(), InteropError>,
    ) -> Result<(), InteropError> {
        let failed = |err: rusqlite::Error| sqlite_error(self.format, doing, &err);
        let mut statement = self.db.prepare(sql).map_err(failed)?;
        let mut rows = statement.query([]).map_err(failed)?;
        while let Some(row) = rows.next().map_err(failed)? {
            each(row)?;
        }
        Ok(())
    }

    /// [`Database::for_each_row`], collecting what `convert` makes of each row.
    pub(crate) fn rows<T>(
        &self,
        sql: &str,
        doing: &str,
        mut convert: impl FnMut(&rusqlite::Row<'_>) -> Result<T, InteropError>,
    ) -> Result<Vec<T>, InteropError> {
        let mut rows = Vec::new();
        self.for_each_row(sql, doing, |row| {
            rows.push(convert(row)?);
            Ok(())
        })?;
        Ok(rows)
    }

    /// Whether the file has a table named `name` (ignoring ASCII case).
    pub(crate) fn has_table(&self, name: &str) -> bool {
        self.catalog.table(name).is_some()
    }

    /// Whether the file's table `table` has a column named `column` (ignoring ASCII case).
    pub(crate) fn has_column(&self, table: &str, column: &str) -> bool {
        self.catalog
            .table(table)
            .is_some_and(|table| table.column(column).is_some())
    }
}

/// Runs SQLite's integrity check of page structure and column types (not of index contents), stopping at the
/// first problem.
fn check_integrity(format: Format, db: &Connection) -> Result<(), InteropError> {
    let verdict: String = db
        .query_row("PRAGMA quick_check(1)", [], |row| row.get(0))
        .map_err(|err| sqlite_error(format, "cannot check the database", &err))?;
    if verdict == "ok" {
        return Ok(());
    }
    let first: String = verdict
        .chars()
        .take(120)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Err(InteropError::malformed(
        format,
        format!("damaged pages or rows (SQLite's quick_check: {first})"),
    ))
}

impl Deref for Database {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.db
    }
}

/// The file's bytes as SQLite must see them, read straight into SQLite's own buffer (no other copy): bytes 18
/// and 19 of the header are the write and read format versions, and 2 (WAL) becomes 1, since an in-memory
/// image has no WAL.
struct Image<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Image<'a> {
    fn new(bytes: &'a [u8]) -> Image<'a> {
        Image { bytes, at: 0 }
    }
}

impl Read for Image<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = self.bytes.get(self.at..).unwrap_or_default();
        let len = rest.len().min(buf.len());
        buf[..len].copy_from_slice(&rest[..len]);
        for offset in [18_usize, 19] {
            if let Some(byte) = offset
                .checked_sub(self.at)
                .and_then(|index| buf[..len].get_mut(index))
            {
                if *byte == 2 {
                    *byte = 1;
                }
            }
        }
        self.at += len;
        Ok(len)
    }
}

/// A new, empty in-memory database for a writer to fill.
pub(crate) fn create(format: Format) -> Result<Connection, InteropError> {
    Connection::open_in_memory()
        .map_err(|err| sqlite_error(format, "cannot create an in-memory database", &err))
}

/// The database file's bytes (zeroized on drop: they hold auth keys).
pub(crate) fn to_bytes(
    format: Format,
    db: &mut Connection,
) -> Result<Zeroizing<Vec<u8>>, InteropError> {
    let data = db
        .serialize(MAIN_DB)
        .map_err(|err| sqlite_error(format, "cannot serialize the database", &err))?;
    Ok(Zeroizing::new(data.to_vec()))
}

/// Column `index` of `row` as a `T`; a value of another type (or out of `T`'s range) is
/// [`InteropError::Malformed`] for `format`.
pub(crate) fn value<T: rusqlite::types::FromSql>(
    format: Format,
    row: &rusqlite::Row<'_>,
    index: usize,
) -> Result<T, InteropError> {
    row.get(index)
        .map_err(|err| sqlite_error(format, "a value of the wrong type", &err))
}

/// An error for a failed SQLite call while handling `format`: `doing` says what failed. SQLite's messages
/// name tables and columns, never row values, so they are safe to show.
pub(crate) fn sqlite_error(format: Format, doing: &str, err: &rusqlite::Error) -> InteropError {
    if err.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) {
        return InteropError::malformed(
            format,
            format!("{doing}: the file takes more work to read than any session file (stopped)"),
        );
    }
    InteropError::malformed(format, format!("{doing}: {err}"))
}

/// A name from the file for an error message: in backquotes, escaped, and cut after 40 characters.
fn quoted(name: &str) -> String {
    const SHOWN: usize = 40;
    let mut text: String = name
        .chars()
        .take(SHOWN)
        .flat_map(char::escape_debug)
        .collect();
    if name.chars().nth(SHOWN).is_some() {
        text.push('…');
    }
    format!("`{text}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Spec = Spec {
        tables: &[Table::new(
            "t",
            Presence::Identifying,
            &[Column::new("x", "INTEGER"), Column::optional("big", "BLOB")],
        )],
        triggers: &[],
    };

    fn bytes_of(sql: &str) -> Zeroizing<Vec<u8>> {
        let mut db = create(Format::TelethonSqlite).unwrap();
        db.execute_batch(sql).unwrap();
        to_bytes(Format::TelethonSqlite, &mut db).unwrap()
    }

    #[test]
    fn a_written_database_opens_again() {
        let bytes = bytes_of("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (42);");
        let again = Database::open(Format::TelethonSqlite, &bytes, &SPEC).unwrap();
        again.check(&SPEC).unwrap();
        assert!(again.has_table("T"));
        assert!(!again.has_table("u"));
        assert!(again.has_column("t", "X"));
        assert!(!again.has_column("t", "big"));
        let x: i64 = again
            .query_row("SELECT x FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(x, 42);
    }

    #[test]
    fn values_are_limited_in_size() {
        let bytes = bytes_of(
            "CREATE TABLE t (x INTEGER, big BLOB); INSERT INTO t VALUES (1, zeroblob(2000000));",
        );
        let db = Database::open(Format::TelethonSqlite, &bytes, &SPEC).unwrap();
        let err = db
            .query_row("SELECT big FROM t", [], |row| row.get::<_, Vec<u8>>(0))
            .unwrap_err();
        assert!(err.to_string().contains("too big"), "{err}");
        let x: i64 = db
            .query_row("SELECT x FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(x, 1);
    }

    #[test]
    fn the_wal_flag_is_cleared_on_the_way_in() {
        let mut bytes = bytes_of("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7);").to_vec();
        bytes[18] = 2;
        bytes[19] = 2;
        let mut image = Vec::new();
        Image::new(&bytes).read_to_end(&mut image).unwrap();
        assert_eq!(&image[18..20], [1, 1]);
        assert_eq!(image.len(), bytes.len());
        let db = Database::open(Format::TelethonSqlite, &bytes, &SPEC).unwrap();
        let x: i64 = db
            .query_row("SELECT x FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(x, 7);
    }

    #[test]
    fn tables_must_have_exactly_the_columns_and_types_of_the_spec() {
        let open = |sql: &str| {
            let bytes = bytes_of(sql);
            Database::open(Format::TelethonSqlite, &bytes, &SPEC).map(|_| ())
        };
        // Types and names compare as SQLite compares them: ignoring ASCII case.
        open("CREATE TABLE T (X integer, BIG blob)").unwrap();
        for (sql, reason) in [
            ("CREATE TABLE t (x TEXT)", "declared `TEXT`, not INTEGER"),
            (
                "CREATE TABLE t (x INTEGER, y INTEGER)",
                "unexpected column `y`",
            ),
            ("CREATE TABLE t (big BLOB)", "no `x` column"),
            ("CREATE TABLE u (x INTEGER)", "no `t` table"),
            (
                "CREATE TABLE t (x INTEGER, big BLOB AS (zeroblob(10)))",
                "generated column `big`",
            ),
            (
                "CREATE TABLE t (x INTEGER); CREATE VIEW v AS SELECT x FROM t",
                "view `v`",
            ),
        ] {
            let err = open(sql).unwrap_err().to_string();
            assert!(err.contains(reason), "{sql}: `{reason}` not in `{err}`");
        }
        let bytes = bytes_of("CREATE TABLE t (x INTEGER); CREATE TABLE extra (y);");
        let db = Database::open(Format::TelethonSqlite, &bytes, &SPEC).unwrap();
        let err = db.check(&SPEC).unwrap_err().to_string();
        assert!(err.contains("unexpected table `extra`"), "{err}");
    }

    #[test]
    fn names_in_messages_are_short_and_escaped() {
        assert_eq!(quoted("peers"), "`peers`");
        assert_eq!(quoted("a\nb"), "`a\\nb`");
        let long = quoted(&"x".repeat(100));
        assert_eq!(long.chars().count(), 40 + 3);
    }

    #[test]
    fn garbage_after_the_header_is_an_error() {
        let mut bytes = HEADER.to_vec();
        bytes.extend_from_slice(&[0xAB; 1000]);
        assert!(matches!(
            Database::open(Format::TelethonSqlite, &bytes, &SPEC),
            Err(InteropError::Malformed { .. })
        ));
        assert!(Database::open(Format::TelethonSqlite, b"hello", &SPEC).is_err());
    }
}
