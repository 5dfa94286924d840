//! What an untrusted file's schema holds, checked for anything that could run code or cost work on a read:
//! first from the raw schema entries ([`screen`], before SQLite loads the file), then through SQLite
//! ([`read`]: columns and indexes).
//!
//! A read evaluates nothing from a schema that passes: views and virtual tables are refused (a view runs its
//! query, a virtual table its module), and so are generated columns (computed on every read of a row),
//! indexes on expressions and partial indexes (their expressions run when rows are written or checked).
//! Triggers and `CHECK` constraints stay: they run only when rows change, which a read-only connection with
//! triggers disabled never does, and the integrity check runs with `CHECK` constraints ignored. `DEFAULT`
//! expressions are evaluated once per statement, not per row, and only constant ones at that.

use rusqlite::Connection;

use super::quoted;
use super::raw::{self, Entry, Kind};

/// The tables and triggers of a file, as SQLite sees them.
#[derive(Debug)]
pub(super) struct Catalog {
    /// Every table, with its columns in order.
    pub(super) tables: Vec<TableInfo>,
    /// The names of the triggers.
    pub(super) triggers: Vec<String>,
}

/// One table of a [`Catalog`].
#[derive(Debug)]
pub(super) struct TableInfo {
    pub(super) name: String,
    pub(super) columns: Vec<ColumnInfo>,
}

/// One column of a [`TableInfo`].
#[derive(Debug)]
pub(super) struct ColumnInfo {
    pub(super) name: String,
    /// The declared type as SQLite reports it (`INTEGER` for `integer`, say).
    pub(super) decl_type: String,
}

impl Catalog {
    /// The table named `name` (ignoring ASCII case).
    pub(super) fn table(&self, name: &str) -> Option<&TableInfo> {
        self.tables
            .iter()
            .find(|table| table.name.eq_ignore_ascii_case(name))
    }
}

impl TableInfo {
    /// The column named `name` (ignoring ASCII case).
    pub(super) fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns
            .iter()
            .find(|column| column.name.eq_ignore_ascii_case(name))
    }
}

/// Refuses, from the raw schema entries alone, what must never reach SQLite's schema loader or a query: views,
/// tables other than ordinary ones (virtual tables), and the tables SQLite reserves (`sqlite_stat1` and
/// `sqlite_stat4`, which SQLite reads in full when it loads the schema). The indexes SQLite makes for
/// `PRIMARY KEY` and `UNIQUE` constraints (`sqlite_autoindex_*`) are ordinary.
pub(super) fn screen(entries: &[Entry]) -> Result<(), String> {
    for entry in entries {
        let reserved = entry
            .name
            .get(..7)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("sqlite_"));
        let autoindex = entry
            .name
            .get(..17)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("sqlite_autoindex_"));
        if reserved && !(entry.kind == Kind::Index && autoindex) {
            return Err(format!(
                "an entry {} of the names SQLite reserves for itself",
                quoted(&entry.name)
            ));
        }
        match entry.kind {
            Kind::View => return Err(format!("a view {}", quoted(&entry.name))),
            Kind::Table
                if !entry
                    .sql
                    .as_deref()
                    .is_some_and(raw::creates_ordinary_table) =>
            {
                return Err(format!(
                    "{} is not an ordinary table (a virtual table, say)",
                    quoted(&entry.name)
                ))
            }
            Kind::Table | Kind::Index | Kind::Trigger => {}
        }
    }
    Ok(())
}

/// Reads the columns of every table and checks them and every index: no generated or hidden columns, no
/// index on an expression, no partial index. `entries` have passed [`screen`].
pub(super) fn read(db: &Connection, entries: &[Entry]) -> Result<Catalog, String> {
    let mut catalog = Catalog {
        tables: Vec::new(),
        triggers: Vec::new(),
    };
    for entry in entries {
        match entry.kind {
            Kind::Table => catalog.tables.push(table(db, &entry.name)?),
            Kind::Index => index(db, entry)?,
            Kind::Trigger => catalog.triggers.push(entry.name.clone()),
            Kind::View => {}
        }
    }
    Ok(catalog)
}

fn table(db: &Connection, name: &str) -> Result<TableInfo, String> {
    let failed =
        |err: rusqlite::Error| format!("cannot list the columns of {}: {err}", quoted(name));
    let mut statement = db
        .prepare("SELECT name, type, hidden FROM pragma_table_xinfo(?1)")
        .map_err(failed)?;
    let mut rows = statement.query([name]).map_err(failed)?;
    let mut columns = Vec::new();
    while let Some(row) = rows.next().map_err(failed)? {
        let column: String = row.get(0).map_err(failed)?;
        let hidden: i64 = row.get(2).map_err(failed)?;
        if hidden != 0 {
            let what = if matches!(hidden, 2 | 3) {
                "a generated"
            } else {
                "a hidden"
            };
            return Err(format!(
                "{what} column {} in {}",
                quoted(&column),
                quoted(name)
            ));
        }
        columns.push(ColumnInfo {
            name: column,
            decl_type: row.get(1).map_err(failed)?,
        });
    }
    if columns.is_empty() {
        return Err(format!("a table {} without columns", quoted(name)));
    }
    Ok(TableInfo {
        name: name.to_owned(),
        columns,
    })
}

fn index(db: &Connection, entry: &Entry) -> Result<(), String> {
    let failed =
        |err: rusqlite::Error| format!("cannot inspect the index {}: {err}", quoted(&entry.name));
    let partial: i64 = db
        .query_row(
            "SELECT partial FROM pragma_index_list(?1) WHERE name = ?2 COLLATE NOCASE",
            [&entry.table, &entry.name],
            |row| row.get(0),
        )
        .map_err(failed)?;
    if partial != 0 {
        return Err(format!("a partial index {}", quoted(&entry.name)));
    }
    let expressions: i64 = db
        .query_row(
            "SELECT count(*) FROM pragma_index_xinfo(?1) WHERE cid = -2",
            [&entry.name],
            |row| row.get(0),
        )
        .map_err(failed)?;
    if expressions > 0 {
        return Err(format!("an index on an expression {}", quoted(&entry.name)));
    }
    Ok(())
}
