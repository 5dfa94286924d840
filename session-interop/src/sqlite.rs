//! SQLite databases held in memory: opening a session file's bytes and turning a new database into bytes.

use rusqlite::limits::Limit;
use rusqlite::{Connection, OpenFlags, OptionalExtension, MAIN_DB};
use zeroize::Zeroizing;

use crate::error::InteropError;
use crate::format::Format;

/// The first 16 bytes of every SQLite database file.
pub(crate) const HEADER: &[u8] = b"SQLite format 3\0";

/// Opens the database file held in `bytes` in memory, read only, as a session of `format`.
///
/// Files left in WAL mode are read as rollback-journal files (the bytes hold no WAL; what was only in the
/// WAL is not there, which is what any reader of the copied main file sees).
pub(crate) fn open(format: Format, bytes: &[u8]) -> Result<Connection, InteropError> {
    if !bytes.starts_with(HEADER) {
        return Err(InteropError::malformed(format, "not an SQLite database"));
    }
    let mut image = Zeroizing::new(bytes.to_vec());
    // Bytes 18 and 19 are the write and read format versions: 2 means WAL, which an in-memory image cannot use.
    for byte in image.iter_mut().skip(18).take(2) {
        if *byte == 2 {
            *byte = 1;
        }
    }
    let mut db = Connection::open_in_memory_with_flags(OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|err| sqlite_error(format, "cannot open an in-memory database", &err))?;
    harden(format, &db)?;
    db.deserialize_read_exact(MAIN_DB, &image[..], image.len(), true)
        .map_err(|err| sqlite_error(format, "cannot load the database", &err))?;
    // Reading the schema makes SQLite check the header and the schema table now, not at the first query.
    db.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
        .map_err(|err| sqlite_error(format, "not a readable SQLite database", &err))?;
    Ok(db)
}

/// The largest string or blob a session file's query may produce. Every value in the known formats is far
/// smaller (an auth key is 256 bytes); the file's own schema is untrusted and could otherwise make a query
/// build values of up to SQLite's default of 1 GB (a generated column of `zeroblob(900000000)`, say).
const MAX_VALUE_LEN: i32 = 1 << 20;

/// Limits what an untrusted file's schema can make a query do: values of at most [`MAX_VALUE_LEN`] bytes,
/// and no functions with side effects in its views, triggers or generated columns.
fn harden(format: Format, db: &Connection) -> Result<(), InteropError> {
    db.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_LEN)
        .map_err(|err| sqlite_error(format, "cannot limit value sizes", &err))?;
    db.pragma_update(None, "trusted_schema", false)
        .map_err(|err| sqlite_error(format, "cannot distrust the schema", &err))
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

/// Whether the database has a table named `name`.
pub(crate) fn has_table(format: Format, db: &Connection, name: &str) -> Result<bool, InteropError> {
    db.query_row(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
    .map_err(|err| sqlite_error(format, "cannot list the tables", &err))
}

/// An error for a failed SQLite call while handling `format`: `doing` says what failed. SQLite's messages
/// name tables and columns, never row values, so they are safe to show.
pub(crate) fn sqlite_error(format: Format, doing: &str, err: &rusqlite::Error) -> InteropError {
    InteropError::malformed(format, format!("{doing}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_database_opens_again() {
        let mut db = create(Format::TelethonSqlite).unwrap();
        db.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (42);")
            .unwrap();
        let bytes = to_bytes(Format::TelethonSqlite, &mut db).unwrap();
        let again = open(Format::TelethonSqlite, &bytes).unwrap();
        assert!(has_table(Format::TelethonSqlite, &again, "t").unwrap());
        assert!(!has_table(Format::TelethonSqlite, &again, "u").unwrap());
        let x: i64 = again
            .query_row("SELECT x FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(x, 42);
    }

    #[test]
    fn a_schema_cannot_make_a_query_build_huge_values() {
        let mut db = create(Format::TelethonSqlite).unwrap();
        db.execute_batch(
            "CREATE TABLE t (x INTEGER, big BLOB AS (zeroblob(900000000)) VIRTUAL); INSERT INTO t (x) VALUES (1);",
        )
        .unwrap();
        let bytes = to_bytes(Format::TelethonSqlite, &mut db).unwrap();
        let opened = open(Format::TelethonSqlite, &bytes).unwrap();
        let err = opened
            .query_row("SELECT length(big) FROM t", [], |row| row.get::<_, i64>(0))
            .unwrap_err();
        assert!(err.to_string().contains("too big"), "{err}");
        let x: i64 = opened
            .query_row("SELECT x FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(x, 1);
    }

    #[test]
    fn garbage_after_the_header_is_an_error() {
        let mut bytes = HEADER.to_vec();
        bytes.extend_from_slice(&[0xAB; 1000]);
        assert!(matches!(
            open(Format::TelethonSqlite, &bytes),
            Err(InteropError::Malformed { .. })
        ));
        assert!(open(Format::TelethonSqlite, b"hello").is_err());
    }
}
