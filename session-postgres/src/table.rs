//! Validated schema and table names, and their quoted SQL spelling.

use std::fmt;

use session_core::{ErrorKind, StorageError};

use crate::error::BACKEND;

/// The schema and table that hold the sessions, validated so they can be written into SQL safely.
///
/// Both names **must** match `^[a-z_][a-z0-9_]{0,62}$`: 1 to 63 bytes (PostgreSQL's identifier limit) of
/// lower-case ASCII letters, digits and `_`, not starting with a digit, and not starting with `pg_` (a
/// prefix PostgreSQL reserves for system schemas). The names are still always written double-quoted in
/// SQL, so no name is ever read as a keyword. Values (slot names, bytes, versions) are never written into
/// SQL at all: they are always bound as parameters.
///
/// The default is [`DEFAULT_SCHEMA`](Self::DEFAULT_SCHEMA)`.`[`DEFAULT_TABLE`](Self::DEFAULT_TABLE),
/// `"tgsession"."sessions"`.
///
/// ```
/// use session_postgres::TableName;
///
/// let table = TableName::new("billing", "tg_sessions")?;
/// assert_eq!(table.qualified(), r#""billing"."tg_sessions""#);
/// assert_eq!(TableName::default().to_string(), r#""tgsession"."sessions""#);
/// assert!(TableName::new("Billing", "x").is_err());
/// assert!(TableName::new("app", "sessions; drop table x").is_err());
/// # Ok::<(), session_core::StorageError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TableName {
    schema: String,
    table: String,
}

impl TableName {
    /// The schema used unless another one is configured.
    pub const DEFAULT_SCHEMA: &'static str = "tgsession";

    /// The table used unless another one is configured.
    pub const DEFAULT_TABLE: &'static str = "sessions";

    /// The longest schema or table name, in bytes (PostgreSQL's `NAMEDATALEN - 1`).
    pub const MAX_LEN: usize = 63;

    /// Validates `schema` and `table`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] with a message naming the offending name and the rule it breaks.
    pub fn new(
        schema: impl Into<String>,
        table: impl Into<String>,
    ) -> Result<TableName, StorageError> {
        let (schema, table) = (schema.into(), table.into());
        check_identifier("schema", &schema)?;
        check_identifier("table", &table)?;
        Ok(TableName { schema, table })
    }

    /// The default table in another schema: `"<schema>"."sessions"`.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn in_schema(schema: impl Into<String>) -> Result<TableName, StorageError> {
        TableName::new(schema, Self::DEFAULT_TABLE)
    }

    /// The schema name, unquoted.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The table name, unquoted.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The schema, quoted for SQL: `"tgsession"`.
    pub fn quoted_schema(&self) -> String {
        quote(&self.schema)
    }

    /// The schema-qualified table, quoted for SQL: `"tgsession"."sessions"`.
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote(&self.schema), quote(&self.table))
    }

    /// The name of the table that holds the journals of the slots in this table, unquoted: the table's
    /// name followed by `_journal` (`sessions_journal`), in the same schema.
    ///
    /// A name too long for that (over 55 bytes) is cut to its first 38 bytes and followed by `_journal_`
    /// and 16 hexadecimal digits of a hash of the whole name, so the result is at most 63 bytes and two
    /// long names that share a prefix still get different journal tables. The rule never changes: the
    /// journal table of a table is the same in every version.
    ///
    /// ```
    /// use session_postgres::TableName;
    ///
    /// assert_eq!(TableName::default().journal_table(), "sessions_journal");
    /// let long = TableName::new("app", "t".repeat(63))?;
    /// assert_eq!(long.journal_table().len(), 63);
    /// assert!(long.journal_table().starts_with(&format!("{}_journal_", "t".repeat(38))));
    /// # Ok::<(), session_core::StorageError>(())
    /// ```
    pub fn journal_table(&self) -> String {
        self.companion("_journal")
    }

    /// The name of the table that holds the [leases](session_core::LeaseStorage) of the slots in this
    /// table, unquoted: the table's name followed by `_lease` (`sessions_lease`), in the same schema. A name
    /// too long for that (over 57 bytes) is cut to its first 40 bytes and followed by `_lease_` and the same
    /// 16 hexadecimal digits as [`journal_table`](Self::journal_table), so the result is at most 63 bytes.
    ///
    /// ```
    /// use session_postgres::TableName;
    ///
    /// assert_eq!(TableName::default().lease_table(), "sessions_lease");
    /// assert_eq!(TableName::new("app", "t".repeat(63))?.lease_table().len(), 63);
    /// # Ok::<(), session_core::StorageError>(())
    /// ```
    pub fn lease_table(&self) -> String {
        self.companion("_lease")
    }

    /// The schema-qualified lease table ([`lease_table`](Self::lease_table)), quoted for SQL:
    /// `"tgsession"."sessions_lease"`.
    pub fn qualified_lease(&self) -> String {
        format!("{}.{}", quote(&self.schema), quote(&self.lease_table()))
    }

    /// The table's name followed by `suffix`, or, when that is too long, as much of the name as fits before
    /// `suffix`, `_` and 16 hexadecimal digits of a hash of the whole name.
    fn companion(&self, suffix: &str) -> String {
        if self.table.len() + suffix.len() <= Self::MAX_LEN {
            return format!("{}{suffix}", self.table);
        }
        // Validated names are ASCII, so any byte is a boundary.
        let prefix = &self.table[..Self::MAX_LEN - suffix.len() - 1 - 16];
        format!("{prefix}{suffix}_{:016x}", fnv1a(self.table.as_bytes()))
    }

    /// The schema-qualified journal table ([`journal_table`](Self::journal_table)), quoted for SQL:
    /// `"tgsession"."sessions_journal"`.
    pub fn qualified_journal(&self) -> String {
        format!("{}.{}", quote(&self.schema), quote(&self.journal_table()))
    }
}

/// The 64-bit FNV-1a hash of `bytes`: a fixed function, so journal table names never change.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

impl Default for TableName {
    fn default() -> Self {
        TableName {
            schema: Self::DEFAULT_SCHEMA.to_owned(),
            table: Self::DEFAULT_TABLE.to_owned(),
        }
    }
}

impl fmt::Display for TableName {
    /// The quoted, schema-qualified name, as in SQL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.qualified())
    }
}

impl fmt::Debug for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `name` in double quotes. Validated names contain no `"`, so nothing needs escaping.
fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

/// Checks `name` (the `what` name: `schema` or `table`) against the rules of [`TableName`].
fn check_identifier(what: &str, name: &str) -> Result<(), StorageError> {
    let problem = identifier_problem(name);
    match problem {
        None => Ok(()),
        Some(problem) => Err(StorageError::new(
            ErrorKind::InvalidInput,
            BACKEND,
            format!("invalid {what} name {name:?}: {problem}"),
        )),
    }
}

/// Why `name` is not a valid identifier, or `None`.
fn identifier_problem(name: &str) -> Option<&'static str> {
    let Some(first) = name.bytes().next() else {
        return Some("it is empty");
    };
    if name.len() > TableName::MAX_LEN {
        return Some("it is longer than 63 bytes");
    }
    if !(first.is_ascii_lowercase() || first == b'_') {
        return Some("it must start with a-z or _");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Some("only a-z, 0-9 and _ are allowed");
    }
    if name.starts_with("pg_") {
        return Some("names starting with pg_ are reserved by PostgreSQL");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_alphabet() {
        for name in ["a", "_", "tgsession", "s_1", "_x9", &"a".repeat(63)] {
            let table = TableName::new(name, name).unwrap();
            assert_eq!(table.schema(), name);
            assert_eq!(table.qualified(), format!("\"{name}\".\"{name}\""));
        }
    }

    #[test]
    fn rejects_everything_else() {
        for name in [
            "",
            "1abc",
            "Abc",
            "a-b",
            "a b",
            "a\"b",
            "a.b",
            "a;drop",
            "é",
            "pg_catalog",
            &"a".repeat(64),
        ] {
            let err = TableName::new(name, "ok").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name:?}");
            assert!(err.message().contains("schema name"), "{err}");
            let err = TableName::new("ok", name).unwrap_err();
            assert!(err.message().contains("table name"), "{err}");
        }
    }

    #[test]
    fn journal_tables_fit_the_identifier_limit_and_differ() {
        let table = TableName::new("app", "tg").unwrap();
        assert_eq!(table.journal_table(), "tg_journal");
        assert_eq!(table.qualified_journal(), "\"app\".\"tg_journal\"");
        assert_eq!(table.qualified_lease(), "\"app\".\"tg_lease\"");
        let long = TableName::new("s", "b".repeat(60)).unwrap();
        assert!(long
            .lease_table()
            .starts_with(&format!("{}_lease_", "b".repeat(40))));
        let edge = "a".repeat(55);
        assert_eq!(
            TableName::new("s", edge.as_str()).unwrap().journal_table(),
            format!("{edge}_journal")
        );
        let (one, two) = (
            format!("{}x", "a".repeat(55)),
            format!("{}y", "a".repeat(55)),
        );
        let one = TableName::new("s", one).unwrap().journal_table();
        let two = TableName::new("s", two).unwrap().journal_table();
        assert_ne!(one, two);
        for name in [&one, &two] {
            assert_eq!(name.len(), TableName::MAX_LEN, "{name}");
            assert!(
                name.starts_with(&format!("{}_journal_", "a".repeat(38))),
                "{name}"
            );
        }
        // Pinned: the hash is part of the on-disk layout.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn default_and_in_schema() {
        assert_eq!(
            TableName::default().qualified(),
            "\"tgsession\".\"sessions\""
        );
        let table = TableName::in_schema("app").unwrap();
        assert_eq!(format!("{table:?}"), "\"app\".\"sessions\"");
        assert_eq!(table.quoted_schema(), "\"app\"");
    }
}
