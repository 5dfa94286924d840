//! The schema table read straight from a file's bytes, before SQLite parses any of it.
//!
//! SQLite parses every statement of a file's schema (`CREATE VIEW`, `CREATE TRIGGER`, `CHECK` and `DEFAULT`
//! expressions...) when it first touches the file, and keeps the parse trees: tens of bytes of memory per
//! byte of SQL, and loading `sqlite_stat1`/`sqlite_stat4` runs queries over those tables' rows. This module
//! walks the B-tree of the schema table (rooted at page 1) itself and refuses a schema larger than any
//! session file's before SQLite sees it: at most [`MAX_ENTRIES`] entries of at most [`MAX_SCHEMA_BYTES`]
//! bytes in all. It reads the cells exactly where SQLite reads them (the cell pointer arrays of page 1 and
//! its descendants), so SQLite cannot find an entry this walk did not count.

use std::collections::BTreeSet;

/// The most entries (tables, indexes, views, triggers) a session file's schema may have. The largest real one,
/// a Kurigram file upgraded from Pyrogram, has 12.
pub(super) const MAX_ENTRIES: usize = 64;

/// The most bytes the schema table's records may hold in all (real files: 1 to 3 KiB).
pub(super) const MAX_SCHEMA_BYTES: u64 = 64 * 1024;

/// The most B-tree pages of the schema table walked (a schema of [`MAX_SCHEMA_BYTES`] in 512-byte pages
/// needs fewer).
const MAX_PAGES: usize = 256;

/// Where page 1's B-tree header starts: after the 100-byte file header.
const PAGE_ONE_HEADER: usize = 100;

/// The kinds of schema entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `CREATE TABLE` (or `CREATE VIRTUAL TABLE`).
    Table,
    /// `CREATE INDEX`, or an index SQLite made for a `PRIMARY KEY` or `UNIQUE` constraint.
    Index,
    /// `CREATE VIEW`.
    View,
    /// `CREATE TRIGGER`.
    Trigger,
}

/// One row of the schema table.
#[derive(Debug)]
pub(super) struct Entry {
    /// What the entry is.
    pub(super) kind: Kind,
    /// Its name.
    pub(super) name: String,
    /// The table it belongs to (its own name for a table or view).
    pub(super) table: String,
    /// The statement that created it (`None` for indexes SQLite made itself).
    pub(super) sql: Option<String>,
}

/// The entries of the schema table of the database file in `bytes`, or why it cannot be read or is too
/// large. Never reads outside `bytes`, never panics.
pub(super) fn entries(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let file = File::new(bytes)?;
    let mut walk = Walk {
        file: &file,
        visited: BTreeSet::new(),
        payload: 0,
        entries: Vec::new(),
    };
    walk.tree(1)?;
    Ok(walk.entries)
}

/// The file's pages.
struct File<'a> {
    bytes: &'a [u8],
    page_size: usize,
    /// The bytes of a page that SQLite uses (the page size minus the reserved bytes at its end).
    usable: usize,
}

impl<'a> File<'a> {
    fn new(bytes: &'a [u8]) -> Result<File<'a>, String> {
        let header = bytes
            .get(..PAGE_ONE_HEADER)
            .ok_or("shorter than the 100-byte SQLite header")?;
        let page_size = match u16::from_be_bytes([header[16], header[17]]) {
            1 => 65_536,
            size => usize::from(size),
        };
        if !page_size.is_power_of_two() || !(512..=65_536).contains(&page_size) {
            return Err(format!(
                "a page size of {page_size} bytes, which SQLite never uses"
            ));
        }
        let usable = page_size - usize::from(header[20]);
        if usable < 480 {
            return Err("more reserved bytes per page than SQLite allows".to_owned());
        }
        // 1 is UTF-8; 0 appears only in a database that never held any text.
        let encoding = u32::from_be_bytes([header[56], header[57], header[58], header[59]]);
        if encoding > 1 {
            return Err(
                "UTF-16 text, which none of the libraries whose files this crate reads uses"
                    .to_owned(),
            );
        }
        Ok(File {
            bytes,
            page_size,
            usable,
        })
    }

    /// The usable bytes of page `number` (counted from 1); an error when the file does not hold all of it.
    fn page(&self, number: u32) -> Result<&'a [u8], String> {
        let index = usize::try_from(number)
            .ok()
            .and_then(|number| number.checked_sub(1))
            .ok_or("a reference to page 0")?;
        let start = index
            .checked_mul(self.page_size)
            .ok_or("a page number beyond the file")?;
        start
            .checked_add(self.usable)
            .and_then(|end| self.bytes.get(start..end))
            .ok_or_else(|| format!("a reference to page {number}, beyond the end of the file"))
    }
}

/// The state of a walk over the schema table's B-tree.
struct Walk<'f, 'a> {
    file: &'f File<'a>,
    visited: BTreeSet<u32>,
    payload: u64,
    entries: Vec<Entry>,
}

impl Walk<'_, '_> {
    /// Walks the subtree rooted at page `number`.
    fn tree(&mut self, number: u32) -> Result<(), String> {
        let mut pending = vec![number];
        while let Some(number) = pending.pop() {
            if !self.visited.insert(number) {
                return Err(format!("page {number} appears twice in the schema table"));
            }
            if self.visited.len() > MAX_PAGES {
                return Err(format!("a schema table of more than {MAX_PAGES} pages"));
            }
            let page = self.file.page(number)?;
            let start = if number == 1 { PAGE_ONE_HEADER } else { 0 };
            let header = page.get(start..).ok_or("a truncated schema page")?;
            let (leaf, header_len) = match header.first() {
                Some(0x0D) => (true, 8),
                Some(0x05) => (false, 12),
                _ => {
                    return Err(format!(
                        "page {number} of the schema table is not a table page"
                    ))
                }
            };
            let cells = usize::from(u16_at(header, 3)?);
            let pointers = start + header_len;
            for index in 0..cells {
                let offset = usize::from(u16_at(page, pointers + 2 * index)?);
                if offset < pointers + 2 * cells {
                    return Err(format!("a cell inside the header of page {number}"));
                }
                let cell = page.get(offset..).ok_or("a cell beyond its page")?;
                if leaf {
                    self.leaf_cell(cell)?;
                } else {
                    pending.push(u32_at(cell, 0)?);
                }
            }
            if !leaf {
                pending.push(u32_at(header, 8)?);
            }
        }
        Ok(())
    }

    /// One row of the schema table: its payload (with overflow pages), decoded.
    fn leaf_cell(&mut self, cell: &[u8]) -> Result<(), String> {
        if self.entries.len() == MAX_ENTRIES {
            return Err(format!(
                "more than {MAX_ENTRIES} tables, indexes, views and triggers (no session file has as many)"
            ));
        }
        let (size, used) = payload_size(cell)?;
        self.payload += size;
        if self.payload > MAX_SCHEMA_BYTES {
            return Err(format!(
                "a schema of more than {MAX_SCHEMA_BYTES} bytes of SQL (no session file has as much)"
            ));
        }
        let rest = cell.get(used..).ok_or("a truncated cell")?;
        let rest = rest.get(varint_len(rest)?..).ok_or("a truncated cell")?;
        let record = self.payload(rest, size)?;
        self.entries.push(decode(&record)?);
        Ok(())
    }

    /// The `size` bytes of payload starting at `local`, following overflow pages as SQLite does.
    fn payload(&self, local: &[u8], size: u64) -> Result<Vec<u8>, String> {
        let size = usize::try_from(size).map_err(|_| "a record too large")?;
        let usable = self.file.usable;
        let max_local = usable - 35;
        let min_local = (usable - 12) * 32 / 255 - 23;
        let local_len = if size <= max_local {
            size
        } else {
            let surplus = min_local + (size - min_local) % (usable - 4);
            if surplus <= max_local {
                surplus
            } else {
                min_local
            }
        };
        let mut record = Vec::with_capacity(size);
        record.extend_from_slice(local.get(..local_len).ok_or("a cell beyond its page")?);
        let mut next = if local_len < size {
            u32_at(local, local_len)?
        } else {
            0
        };
        while record.len() < size {
            if next == 0 {
                return Err("a record whose overflow pages end early".to_owned());
            }
            let page = self.file.page(next)?;
            let take = (size - record.len()).min(usable - 4);
            record.extend_from_slice(page.get(4..4 + take).ok_or("a truncated overflow page")?);
            next = u32_at(page, 0)?;
        }
        Ok(record)
    }
}

/// The payload size at the start of a table leaf cell, and the bytes its varint takes. SQLite reads this
/// varint with 7 bits per byte and keeps 32 bits; longer encodings than 4 bytes (never written, and more
/// than [`MAX_SCHEMA_BYTES`] anyway) are refused so that both readings agree.
fn payload_size(cell: &[u8]) -> Result<(u64, usize), String> {
    let mut value = 0_u64;
    for (index, &byte) in cell.iter().enumerate().take(4) {
        value = (value << 7) | u64::from(byte & 0x7F);
        if byte < 0x80 {
            return Ok((value, index + 1));
        }
    }
    Err("a schema record of implausible size".to_owned())
}

/// The length of the SQLite varint at the start of `bytes` (1 to 9 bytes).
fn varint_len(bytes: &[u8]) -> Result<usize, String> {
    for (index, &byte) in bytes.iter().enumerate().take(9) {
        if byte < 0x80 || index == 8 {
            return Ok(index + 1);
        }
    }
    Err("a truncated varint".to_owned())
}

/// The SQLite varint at the start of `bytes` and its length.
fn varint(bytes: &[u8]) -> Result<(u64, usize), String> {
    let mut value = 0_u64;
    for (index, &byte) in bytes.iter().enumerate().take(9) {
        if index == 8 {
            return Ok(((value << 8) | u64::from(byte), 9));
        }
        value = (value << 7) | u64::from(byte & 0x7F);
        if byte < 0x80 {
            return Ok((value, index + 1));
        }
    }
    Err("a truncated varint".to_owned())
}

fn u16_at(bytes: &[u8], offset: usize) -> Result<u16, String> {
    bytes
        .get(offset..offset + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| "a truncated schema page".to_owned())
}

fn u32_at(bytes: &[u8], offset: usize) -> Result<u32, String> {
    bytes
        .get(offset..offset + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| "a truncated schema page".to_owned())
}

/// A value of a schema record, as far as this module cares.
#[derive(Clone, Copy)]
enum Value<'a> {
    Null,
    Text(&'a [u8]),
    /// A number or a blob.
    Other,
}

/// A schema record: `type, name, tbl_name, rootpage, sql`. The texts must be texts (SQLite would convert a
/// number or blob; such a schema is refused instead).
fn decode(record: &[u8]) -> Result<Entry, String> {
    let malformed = || "a malformed schema record".to_owned();
    let (header_len, mut at) = varint(record)?;
    let header_len = usize::try_from(header_len).map_err(|_| malformed())?;
    let header = record.get(..header_len).ok_or_else(malformed)?;
    let mut body = header_len;
    let mut values: Vec<Value<'_>> = Vec::with_capacity(5);
    while at < header_len && values.len() < 5 {
        let (serial, used) = varint(header.get(at..).ok_or_else(malformed)?)?;
        at += used;
        let len = match serial {
            0 | 8 | 9 => 0,
            1..=4 => usize::try_from(serial).map_err(|_| malformed())?,
            5 => 6,
            6 | 7 => 8,
            10 | 11 => return Err("a schema record with a reserved value type".to_owned()),
            _ => usize::try_from((serial - 12) / 2).map_err(|_| malformed())?,
        };
        let end = body.checked_add(len).ok_or_else(malformed)?;
        let bytes = record.get(body..end).ok_or_else(malformed)?;
        values.push(match serial {
            0 => Value::Null,
            13.. if serial % 2 == 1 => Value::Text(bytes),
            _ => Value::Other,
        });
        body = end;
    }
    let value = |index: usize| values.get(index).copied().unwrap_or(Value::Null);
    let text = |index: usize, what: &str| -> Result<String, String> {
        let Value::Text(bytes) = value(index) else {
            return Err(format!("a schema entry whose {what} is not text"));
        };
        String::from_utf8(bytes.to_vec())
            .map_err(|_| format!("a schema entry whose {what} is not UTF-8"))
    };
    let kind = match text(0, "type")?.to_ascii_lowercase().as_str() {
        "table" => Kind::Table,
        "index" => Kind::Index,
        "view" => Kind::View,
        "trigger" => Kind::Trigger,
        _ => return Err("a schema entry of an unknown type".to_owned()),
    };
    let sql = match value(4) {
        Value::Null => None,
        _ => Some(text(4, "SQL")?),
    };
    Ok(Entry {
        kind,
        name: text(1, "name")?,
        table: text(2, "table name")?,
        sql,
    })
}

/// Whether `sql` is an ordinary `CREATE TABLE` statement: its first two words, after whitespace and comments
/// as SQLite's tokenizer skips them, are `CREATE` and `TABLE` (not `VIRTUAL`, `TEMP`...). Anything this
/// simple reading does not follow is not an ordinary table.
pub(super) fn creates_ordinary_table(sql: &str) -> bool {
    let mut words = Words(sql.as_bytes());
    matches!(
        (words.next(), words.next()),
        (Some(create), Some(table))
            if create.eq_ignore_ascii_case(b"CREATE") && table.eq_ignore_ascii_case(b"TABLE")
    )
}

/// The leading words of an SQL statement, up to the first character that is neither part of a word,
/// whitespace nor a comment.
struct Words<'a>(&'a [u8]);

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            match self.0 {
                [b' ' | b'\t' | b'\n' | b'\x0c' | b'\r', rest @ ..] => self.0 = rest,
                [b'-', b'-', rest @ ..] => {
                    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                    self.0 = &rest[end..];
                }
                [b'/', b'*', rest @ ..] => {
                    let end = rest.windows(2).position(|w| w == b"*/")?;
                    self.0 = &rest[end + 2..];
                }
                _ => break,
            }
        }
        let len = self
            .0
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .unwrap_or(self.0.len());
        if len == 0 {
            return None;
        }
        let (word, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_create_table_statements_are_ordinary_tables() {
        for sql in [
            "CREATE TABLE t (x)",
            "create table t(x)",
            "CREATE\n\t TABLE t (x)",
            "CREATE /* a */ -- b\n TABLE t (x)",
        ] {
            assert!(creates_ordinary_table(sql), "{sql}");
        }
        for sql in [
            "CREATE VIRTUAL TABLE t USING fts5(x)",
            "CREATE /* */ VIRTUAL TABLE t USING rtree(a, b, c)",
            "CREATE TEMP TABLE t (x)",
            "CREATE\x0bTABLE t (x)",
            "CREATE \"TABLE\" t (x)",
            "CREATE /* unterminated TABLE",
            "",
        ] {
            assert!(!creates_ordinary_table(sql), "{sql}");
        }
    }

    #[test]
    fn varints_read_as_sqlite_reads_them() {
        assert_eq!(varint(&[0x05]).unwrap(), (5, 1));
        assert_eq!(varint(&[0x81, 0x00]).unwrap(), (128, 2));
        assert_eq!(varint(&[0xFF; 9]).unwrap(), (u64::MAX, 9));
        assert!(varint(&[0x80]).is_err());
        assert_eq!(payload_size(&[0x83, 0x60]).unwrap(), (480, 2));
        assert!(payload_size(&[0x80, 0x80, 0x80, 0x80, 0x01]).is_err());
        assert_eq!(varint_len(&[0x80; 12]).unwrap(), 9);
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        let mut bytes = b"SQLite format 3\0".to_vec();
        bytes.resize(4096, 0);
        assert!(entries(&bytes).is_err(), "page size 0");
        bytes[16] = 0x10; // 4096
        assert!(entries(&bytes).is_err(), "page 1 is not a table page");
        bytes[100] = 0x0D;
        assert!(entries(&bytes).unwrap().is_empty());
        bytes[103] = 0xFF; // 0xFF00 cells: their pointers run past the page
        assert!(entries(&bytes).is_err());
        bytes[103] = 0;
        bytes[100] = 0x05; // interior, right child page 0
        assert!(entries(&bytes).is_err());
        bytes[111] = 1; // right child: page 1 itself
        assert!(entries(&bytes).is_err());
    }
}
