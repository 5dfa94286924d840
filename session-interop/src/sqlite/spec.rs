//! The schema a format's session files have, as data each format declares, and the check of a file against it.

use super::catalog::Catalog;
use super::quoted;

/// The tables and triggers of a format's session files.
#[derive(Debug)]
pub(crate) struct Spec {
    /// Every table a file may have.
    pub(crate) tables: &'static [Table],
    /// The triggers a file may have (by name); they never run on a read-only connection.
    pub(crate) triggers: &'static [&'static str],
}

/// One table of a [`Spec`].
#[derive(Debug)]
pub(crate) struct Table {
    /// Its name (compared ignoring ASCII case, as SQLite does).
    pub(crate) name: &'static str,
    /// Whether a file must have it.
    pub(crate) presence: Presence,
    /// Every column it may have.
    pub(crate) columns: &'static [Column],
}

/// Whether a file must have a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Presence {
    /// Every file of the format has it, with the same columns in every version, and a file without it is not
    /// one of the format's at all: its presence is checked before the file is loaded into SQLite (so other
    /// databases cost nothing), its columns right after, before any row is read.
    Identifying,
    /// Every file of the format's versions this crate reads has it.
    Required,
    /// Some files have it.
    Optional,
}

/// One column of a [`Table`].
#[derive(Debug)]
pub(crate) struct Column {
    /// Its name (compared ignoring ASCII case).
    pub(crate) name: &'static str,
    /// Its declared type (compared ignoring ASCII case, as SQLite does).
    pub(crate) decl_type: &'static str,
    /// Whether every file has it.
    pub(crate) required: bool,
}

impl Column {
    /// A column every file has.
    pub(crate) const fn new(name: &'static str, decl_type: &'static str) -> Column {
        Column {
            name,
            decl_type,
            required: true,
        }
    }

    /// A column only some files have.
    pub(crate) const fn optional(name: &'static str, decl_type: &'static str) -> Column {
        Column {
            name,
            decl_type,
            required: false,
        }
    }
}

impl Table {
    /// A table of `presence` with `columns`.
    pub(crate) const fn new(
        name: &'static str,
        presence: Presence,
        columns: &'static [Column],
    ) -> Table {
        Table {
            name,
            presence,
            columns,
        }
    }
}

impl Spec {
    /// The table named `name`, if the spec has one.
    pub(crate) fn table(&self, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|table| table.name.eq_ignore_ascii_case(name))
    }

    /// The names of the tables without which a file is not one of this format's.
    pub(crate) fn identifying(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.tables
            .iter()
            .filter(|table| table.presence == Presence::Identifying)
            .map(|table| table.name)
    }
}

/// Checks that `catalog` has exactly the tables, columns (with their declared types) and triggers of `spec`:
/// every required table and column present, nothing else. Returns what is wrong, naming it.
pub(super) fn check(spec: &Spec, catalog: &Catalog) -> Result<(), String> {
    if let Some(table) = catalog
        .tables
        .iter()
        .find(|table| spec.table(&table.name).is_none())
    {
        return Err(format!("an unexpected table {}", quoted(&table.name)));
    }
    for table in spec.tables {
        check_table(table, catalog)?;
    }
    match catalog.triggers.iter().find(|trigger| {
        !spec
            .triggers
            .iter()
            .any(|name| name.eq_ignore_ascii_case(trigger))
    }) {
        Some(trigger) => Err(format!("an unexpected trigger {}", quoted(trigger))),
        None => Ok(()),
    }
}

/// Checks one table: present if it must be, with exactly the columns `table` lists.
pub(super) fn check_table(table: &Table, catalog: &Catalog) -> Result<(), String> {
    let Some(found) = catalog.table(table.name) else {
        return match table.presence {
            Presence::Optional => Ok(()),
            Presence::Identifying | Presence::Required => Err(format!("no `{}` table", table.name)),
        };
    };
    for column in &found.columns {
        let Some(expected) = table
            .columns
            .iter()
            .find(|expected| expected.name.eq_ignore_ascii_case(&column.name))
        else {
            return Err(format!(
                "an unexpected column {} in the `{}` table",
                quoted(&column.name),
                table.name
            ));
        };
        if !column.decl_type.eq_ignore_ascii_case(expected.decl_type) {
            return Err(format!(
                "column `{}.{}` is declared {}, not {}",
                table.name,
                expected.name,
                quoted(&column.decl_type),
                expected.decl_type
            ));
        }
    }
    match table
        .columns
        .iter()
        .find(|column| column.required && found.column(column.name).is_none())
    {
        Some(missing) => Err(format!(
            "the `{}` table has no `{}` column",
            table.name, missing.name
        )),
        None => Ok(()),
    }
}
