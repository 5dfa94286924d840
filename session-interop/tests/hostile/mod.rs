//! Hostile SQLite session files, built here with rusqlite: each SQLite format's real file (Kurigram's and
//! layer-client's in their real layout) with one change that makes a careless reader slow, hungry for memory or a writer of
//! temporary files, while still looking like a session file of that format.
// Each test crate that includes this module uses a different part of it.
#![allow(dead_code)]

use rusqlite::{Connection, MAIN_DB};
use session_interop::Format;

/// The kinds of hostile change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bomb {
    /// A column the reader reads is generated from `hex(zeroblob(500000 + id % 2))`, a megabyte of text
    /// computed for every row on every read (and, for grammers, kept and sorted by its `ORDER BY`).
    GeneratedColumn,
    /// A table the reader reads is a view of a million computed rows.
    View,
    /// A table is a virtual table (an R*Tree), whose module runs on every read.
    VirtualTable,
    /// A trigger that would compute a 200 MB text if it ever ran.
    Trigger,
    /// An index on an expression (computed whenever rows are written or checked).
    ExpressionIndex,
    /// A partial index (its condition computed likewise).
    PartialIndex,
    /// `ANALYZE`'s tables, which SQLite reads in full when it loads the schema.
    Statistics,
    /// A hundred extra tables.
    ManyTables,
    /// A table whose B-tree pages share children: 400 × 400 copies of one leaf, so a scan (or a sort of the
    /// scan, or a `count(*)`) meets hundreds of thousands of rows in a file of a few pages.
    SharedPages,
}

impl Bomb {
    /// Every kind.
    pub(crate) const ALL: [Bomb; 9] = [
        Bomb::GeneratedColumn,
        Bomb::View,
        Bomb::VirtualTable,
        Bomb::Trigger,
        Bomb::ExpressionIndex,
        Bomb::PartialIndex,
        Bomb::Statistics,
        Bomb::ManyTables,
        Bomb::SharedPages,
    ];

    /// What the error must name.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Bomb::GeneratedColumn => "generated column",
            Bomb::View => "view",
            Bomb::VirtualTable => "not an ordinary table",
            Bomb::Trigger => "unexpected trigger",
            Bomb::ExpressionIndex => "index on an expression",
            Bomb::PartialIndex => "partial index",
            Bomb::Statistics => "reserves",
            Bomb::ManyTables => "more than 64",
            Bomb::SharedPages => "damaged",
        }
    }
}

/// One SQLite format and how to turn its file into each bomb.
#[derive(Debug)]
pub(crate) struct Target {
    /// A name for messages.
    pub(crate) name: &'static str,
    /// The format its reader reads.
    pub(crate) format: Format,
    /// The unaltered file.
    pub(crate) base: fn() -> Vec<u8>,
    /// A table the reader reads every row of, and one of its columns.
    pub(crate) table: &'static str,
    pub(crate) column: &'static str,
    /// How to replace `table` with one whose read column is generated, with rows.
    generated: Generated,
    /// SQL replacing `table` with a view of a million rows.
    view: &'static str,
    /// SQL replacing or adding an update-state table as an R*Tree virtual table.
    virtual_table: &'static str,
    /// SQL run before `table`'s pages are made to share children.
    before_sharing: &'static str,
}

/// A table with a generated column, made without computing it: the table without the column is filled,
/// then its `CREATE` statement in the schema becomes one with the column (a `VIRTUAL` column is not stored,
/// so the rows fit both).
#[derive(Debug)]
struct Generated {
    /// SQL replacing the table with one without the generated column, and filling it.
    fill: &'static str,
    /// The table's statement with the generated column.
    create: &'static str,
}

/// A recursive select of the integers 1 to `$n`, as a common table expression named `n(i)`.
macro_rules! numbers {
    ($n:literal) => {
        concat!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ",
            $n,
            ") "
        )
    };
}

/// The SQLite formats' files and bombs.
pub(crate) const TARGETS: [Target; 7] = [
    Target {
        name: "Telethon",
        format: Format::TelethonSqlite,
        base: telethon,
        table: "entities",
        column: "username",
        generated: Generated {
            fill: concat!(
                "DROP TABLE entities;
                 CREATE TABLE entities (id integer primary key, hash integer not null, username text,
                     phone integer, date integer);",
                numbers!("10000"),
                "INSERT INTO entities (id, hash) SELECT i, i FROM n;"
            ),
            create: "CREATE TABLE entities (id integer primary key, hash integer not null, username text,
                 phone integer, name text AS (hex(zeroblob(500000 + id % 2))) VIRTUAL, date integer)",
        },
        view: concat!(
            "DROP TABLE entities; CREATE VIEW entities AS ",
            numbers!("1000000"),
            "SELECT i AS id, i AS hash, NULL AS username, NULL AS phone, hex(zeroblob(1000)) AS name,
                 NULL AS date FROM n;"
        ),
        virtual_table: "DROP TABLE update_state;
             CREATE VIRTUAL TABLE update_state USING rtree_i32(id, pts, qts, date, seq);
             INSERT INTO update_state VALUES (0, 1, 2, 3, 4);",
        before_sharing: "",
    },
    Target {
        name: "Pyrogram",
        format: Format::PyrogramSqlite,
        base: pyrogram,
        table: "peers",
        column: "phone_number",
        generated: Generated {
            fill: concat!(
                "DROP TABLE peers;
                 CREATE TABLE peers (id INTEGER PRIMARY KEY, access_hash INTEGER, username TEXT,
                     phone_number TEXT, last_update_on INTEGER NOT NULL DEFAULT 0);",
                numbers!("10000"),
                "INSERT INTO peers (id, access_hash) SELECT i, i FROM n;"
            ),
            create: "CREATE TABLE peers (id INTEGER PRIMARY KEY, access_hash INTEGER,
                 type INTEGER AS (CASE WHEN length(hex(zeroblob(500000 + id % 2))) > 0 THEN 'user' END)
                     VIRTUAL,
                 username TEXT, phone_number TEXT, last_update_on INTEGER NOT NULL DEFAULT 0)",
        },
        view: concat!(
            "DROP TABLE peers; CREATE VIEW peers AS ",
            numbers!("1000000"),
            "SELECT i AS id, i AS access_hash, 'user' AS type, hex(zeroblob(100)) AS username,
                 NULL AS phone_number, 0 AS last_update_on FROM n;"
        ),
        virtual_table: "CREATE VIRTUAL TABLE update_state USING rtree_i32(id, pts, qts, date, seq);
             INSERT INTO update_state VALUES (0, 1, 2, 3, 4);",
        before_sharing: "",
    },
    Target {
        name: "Kurigram",
        format: Format::PyrogramSqlite,
        base: kurigram,
        table: "usernames",
        column: "username",
        generated: Generated {
            fill: concat!(
                "DROP TABLE usernames; CREATE TABLE usernames (id INTEGER);",
                numbers!("10000"),
                "INSERT INTO usernames (id) SELECT i FROM n;"
            ),
            create: "CREATE TABLE usernames (id INTEGER, username TEXT AS
                 (CASE WHEN length(hex(zeroblob(500000 + id % 2))) > 0 THEN 'user' || id END) VIRTUAL)",
        },
        view: concat!(
            "DROP TABLE usernames; CREATE VIEW usernames AS ",
            numbers!("1000000"),
            "SELECT i AS id, hex(zeroblob(100)) AS username FROM n;"
        ),
        virtual_table: "DROP TABLE update_state;
             CREATE VIRTUAL TABLE update_state USING rtree_i32(id, pts, qts, date, seq);
             INSERT INTO update_state VALUES (0, 1, 2, 3, 4);",
        before_sharing: "",
    },
    Target {
        name: "grammers",
        format: Format::GrammersSqlite,
        base: grammers,
        table: "dc_option",
        column: "ipv4",
        // Without the primary key, `dc_id` is no alias of the rowid, so `ORDER BY dc_id` sorts.
        generated: Generated {
            fill: concat!(
                "DROP TABLE dc_option;
                 CREATE TABLE dc_option (dc_id INTEGER NOT NULL, ipv6 TEXT NOT NULL, auth_key BLOB);",
                numbers!("1000"),
                "INSERT INTO dc_option (dc_id, ipv6) SELECT i % 5 + 1, '[::]:443' FROM n;"
            ),
            create: "CREATE TABLE dc_option (dc_id INTEGER NOT NULL,
                 ipv4 TEXT AS (hex(zeroblob(500000 + dc_id % 2))) VIRTUAL, ipv6 TEXT NOT NULL, auth_key BLOB)",
        },
        view: concat!(
            "DROP TABLE dc_option; CREATE VIEW dc_option AS ",
            numbers!("1000000"),
            "SELECT i % 5 + 1 AS dc_id, '149.154.167.51:443' AS ipv4, '[::]:443' AS ipv6,
                 NULL AS auth_key FROM n;"
        ),
        virtual_table: "DROP TABLE update_state;
             CREATE VIRTUAL TABLE update_state USING rtree_i32(pts, qts, date, +seq);
             INSERT INTO update_state VALUES (100, 7, 1700000000, 42);",
        before_sharing: "ALTER TABLE dc_option RENAME TO old_dc_option;
             CREATE TABLE dc_option (dc_id INTEGER NOT NULL, ipv4 TEXT NOT NULL, ipv6 TEXT NOT NULL,
                 auth_key BLOB);
             INSERT INTO dc_option SELECT * FROM old_dc_option;
             DROP TABLE old_dc_option;",
    },
    Target {
        name: "ferogram",
        format: Format::FerogramSqlite,
        base: ferogram,
        table: "peers",
        column: "access_hash",
        generated: Generated {
            fill: concat!(
                "DROP TABLE peers;
                 CREATE TABLE peers (id INTEGER PRIMARY KEY, access_hash INTEGER NOT NULL,
                     is_channel INTEGER NOT NULL DEFAULT 0, channel_kind INTEGER,
                     is_community INTEGER NOT NULL DEFAULT 0);",
                numbers!("10000"),
                "INSERT INTO peers (id, access_hash) SELECT i, i FROM n;"
            ),
            create: "CREATE TABLE peers (id INTEGER PRIMARY KEY, access_hash INTEGER NOT NULL,
                 is_channel INTEGER NOT NULL DEFAULT 0,
                 is_chat INTEGER AS (length(hex(zeroblob(500000 + id % 2))) * 0) VIRTUAL,
                 channel_kind INTEGER, is_community INTEGER NOT NULL DEFAULT 0)",
        },
        view: concat!(
            "DROP TABLE peers; CREATE VIEW peers AS ",
            numbers!("1000000"),
            "SELECT i AS id, i AS access_hash, 0 AS is_channel, 0 AS is_chat, NULL AS channel_kind,
                 0 AS is_community FROM n;"
        ),
        virtual_table: "DROP TABLE update_state;
             CREATE VIRTUAL TABLE update_state USING rtree_i32(id, pts, qts, date, seq);
             INSERT INTO update_state VALUES (1, 1, 2, 3, 4);",
        before_sharing: "",
    },
    Target {
        name: "Telethon 2",
        format: Format::Telethon2Sqlite,
        base: telethon2,
        table: "datacenter",
        column: "ipv4_addr",
        generated: Generated {
            fill: concat!(
                "DROP TABLE datacenter;
                 CREATE TABLE datacenter (id integer primary key, ipv6_addr text, auth blob);",
                numbers!("10000"),
                "INSERT INTO datacenter (id) SELECT i FROM n;"
            ),
            create: "CREATE TABLE datacenter (id integer primary key,
                 ipv4_addr text AS (hex(zeroblob(500000 + id % 2))) VIRTUAL, ipv6_addr text, auth blob)",
        },
        view: concat!(
            "DROP TABLE datacenter; CREATE VIEW datacenter AS ",
            numbers!("1000000"),
            "SELECT i AS id, '149.154.167.51:443' AS ipv4_addr, NULL AS ipv6_addr, NULL AS auth FROM n;"
        ),
        virtual_table: "DROP TABLE state;
             CREATE VIRTUAL TABLE state USING rtree_i32(pts, qts, date, +seq);
             INSERT INTO state VALUES (100, 7, 1700000000, 42);",
        before_sharing: "",
    },
    Target {
        name: "layer-client",
        format: Format::LayerSqlite,
        base: layer_client,
        table: "peers",
        column: "access_hash",
        generated: Generated {
            fill: concat!(
                "DROP TABLE peers;
                 CREATE TABLE peers (id INTEGER PRIMARY KEY, access_hash INTEGER NOT NULL);",
                numbers!("10000"),
                "INSERT INTO peers (id, access_hash) SELECT i, i FROM n;"
            ),
            create: "CREATE TABLE peers (id INTEGER PRIMARY KEY, access_hash INTEGER NOT NULL,
                 is_channel INTEGER AS (length(hex(zeroblob(500000 + id % 2))) * 0) VIRTUAL)",
        },
        view: concat!(
            "DROP TABLE peers; CREATE VIEW peers AS ",
            numbers!("1000000"),
            "SELECT i AS id, i AS access_hash, 0 AS is_channel FROM n;"
        ),
        virtual_table: "DROP TABLE update_state;
             CREATE VIRTUAL TABLE update_state USING rtree_i32(id, pts, qts, date, seq);
             INSERT INTO update_state VALUES (1, 1, 2, 3, 4);",
        before_sharing: "",
    },
];

impl Target {
    /// The file with `bomb` in it.
    pub(crate) fn build(&self, bomb: Bomb) -> Vec<u8> {
        let base = (self.base)();
        let (table, column) = (self.table, self.column);
        match bomb {
            Bomb::GeneratedColumn => {
                let filled = edited(&base, self.generated.fill);
                with_create_statement(&filled, table, self.generated.create)
            }
            Bomb::View => edited(&base, self.view),
            Bomb::VirtualTable => edited(&base, self.virtual_table),
            Bomb::Trigger => edited(
                &base,
                &format!(
                    "CREATE TRIGGER hostile_trigger AFTER INSERT ON {table}
                     BEGIN SELECT length(hex(zeroblob(100000000))); END;"
                ),
            ),
            Bomb::ExpressionIndex => edited(
                &base,
                &format!("CREATE INDEX hostile_index ON {table} (hex(zeroblob(100000)))"),
            ),
            Bomb::PartialIndex => edited(
                &base,
                &format!(
                    "CREATE INDEX hostile_index ON {table} ({column})
                     WHERE length(hex(zeroblob(100000))) > 0"
                ),
            ),
            Bomb::Statistics => edited(&base, "ANALYZE"),
            Bomb::ManyTables => {
                let sql: String = (0..100)
                    .map(|i| format!("CREATE TABLE hostile_{i} (x);"))
                    .collect();
                edited(&base, &sql)
            }
            Bomb::SharedPages => self.shared_pages(1),
        }
    }

    /// The file with the pages of the table the reader reads shared as [`shared_pages`] shares them, with
    /// a fan-out of 400 and `depth` levels of interior pages: 400^(`depth` + 1) rows for a scan to meet, or
    /// a sort to order.
    pub(crate) fn shared_pages(&self, depth: usize) -> Vec<u8> {
        let prepared = edited(&(self.base)(), self.before_sharing);
        shared_pages(&prepared, self.table, 400, depth)
    }
}

/// The real Telethon 1.45 file (schema 8).
pub(crate) fn telethon() -> Vec<u8> {
    include_bytes!("../vectors/telethon_v8.session").to_vec()
}

/// The real Pyrogram 2.0.106 file (schema 3).
pub(crate) fn pyrogram() -> Vec<u8> {
    include_bytes!("../vectors/pyrogram_2.0.106.session").to_vec()
}

/// The real grammers-session 0.11 file.
pub(crate) fn grammers() -> Vec<u8> {
    include_bytes!("../vectors/grammers-session_0.11.0.sqlite").to_vec()
}

/// The Telethon 2 file (schema 10) made by Telethon 2's own session code.
pub(crate) fn telethon2() -> Vec<u8> {
    include_bytes!("../vectors/telethon2_v10.session").to_vec()
}

/// The real ferogram-session 0.6.6 file, turned from WAL mode (as ferogram leaves it) into a rollback-journal
/// file so that it can be edited in memory.
pub(crate) fn ferogram() -> Vec<u8> {
    let mut bytes = include_bytes!("../vectors/ferogram-session_0.6.6.sqlite").to_vec();
    bytes[18] = 1;
    bytes[19] = 1;
    bytes
}

/// A layer-client 0.5 file: the ferogram vector's account in the tables layer-client's `SqliteBackend`
/// creates (written by this crate's writer, which creates them with layer-client's own statements).
pub(crate) fn layer_client() -> Vec<u8> {
    let ferogram = session_interop::read(Format::FerogramSqlite, &ferogram()).unwrap();
    let written = session_interop::write(
        Format::LayerSqlite,
        &ferogram.session,
        &session_interop::WriteOptions::default(),
    )
    .unwrap();
    written.bytes.to_vec()
}

/// A Kurigram file (schema 7) with the tables, indexes and trigger Kurigram 2.2 creates, and the vectors'
/// account.
pub(crate) fn kurigram() -> Vec<u8> {
    let db = Connection::open_in_memory().unwrap();
    // Python's sqlite3, which Kurigram uses, leaves foreign keys unenforced (this SQLite build enforces them).
    db.execute_batch(
        "PRAGMA foreign_keys = OFF;
         CREATE TABLE sessions (dc_id INTEGER PRIMARY KEY, server_address TEXT, port INTEGER,
             api_id INTEGER, test_mode INTEGER, auth_key BLOB, date INTEGER NOT NULL, user_id INTEGER,
             is_bot INTEGER);
         CREATE TABLE peers (id INTEGER PRIMARY KEY, access_hash INTEGER, type INTEGER NOT NULL,
             phone_number TEXT,
             last_update_on INTEGER NOT NULL DEFAULT (CAST(STRFTIME('%s', 'now') AS INTEGER)));
         CREATE TABLE usernames (id INTEGER, username TEXT, FOREIGN KEY (id) REFERENCES peers(id));
         CREATE TABLE update_state (id INTEGER PRIMARY KEY, pts INTEGER, qts INTEGER, date INTEGER,
             seq INTEGER);
         CREATE TABLE version (number INTEGER PRIMARY KEY);
         CREATE INDEX idx_peers_id ON peers (id);
         CREATE INDEX idx_peers_phone_number ON peers (phone_number);
         CREATE INDEX idx_usernames_id ON usernames (id);
         CREATE INDEX idx_usernames_username ON usernames (username);
         CREATE TRIGGER trg_peers_last_update_on AFTER UPDATE ON peers
         BEGIN
             UPDATE peers SET last_update_on = CAST(STRFTIME('%s', 'now') AS INTEGER) WHERE id = NEW.id;
         END;
         INSERT INTO version VALUES (7);
         INSERT INTO peers VALUES (123456789, -1111111111111111111, 'user', '15550001111', 0);
         INSERT INTO peers VALUES (-1001234567890, -3333333333333333333, 'supergroup', NULL, 0);
         INSERT INTO usernames VALUES (123456789, 'alice_test'), (123456789, 'alice_alt'),
             (-1001234567890, 'mygroup'), (42, 'nobody');
         INSERT INTO update_state VALUES (0, 100, 7, 1700000000, 42), (1234567890, 555, NULL, NULL, NULL);",
    )
    .unwrap();
    let key: Vec<u8> = (0..=255).collect();
    db.execute(
        "INSERT INTO sessions VALUES (2, '149.154.167.51', 443, 12345, 0, ?1, 0, 123456789, 0)",
        [key],
    )
    .unwrap();
    serialize(db)
}

/// `base` with `sql` run on it.
pub(crate) fn edited(base: &[u8], sql: &str) -> Vec<u8> {
    let mut db = Connection::open_in_memory().unwrap();
    db.deserialize_read_exact(MAIN_DB, base, base.len(), false)
        .unwrap();
    db.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    db.execute_batch(sql).unwrap();
    serialize(db)
}

/// `bytes` with the statement that created `table` replaced by `create` in the schema (rows untouched).
pub(crate) fn with_create_statement(bytes: &[u8], table: &str, create: &str) -> Vec<u8> {
    let mut db = Connection::open_in_memory().unwrap();
    db.deserialize_read_exact(MAIN_DB, bytes, bytes.len(), false)
        .unwrap();
    db.execute_batch("PRAGMA writable_schema = ON").unwrap();
    let changed = db
        .execute(
            "UPDATE sqlite_master SET sql = ?1 WHERE type = 'table' AND name = ?2",
            [create, table],
        )
        .unwrap();
    assert_eq!(changed, 1);
    serialize(db)
}

/// The database's file.
pub(crate) fn serialize(mut db: Connection) -> Vec<u8> {
    db.serialize(MAIN_DB).unwrap().to_vec()
}

/// `bytes` with `table`'s B-tree (a single leaf page) turned into a tree whose pages share children: its
/// root and `depth` new interior pages each have `fanout` children that are all the next page, the last
/// of them a copy of the leaf, so a scan of the table meets `fanout^(depth + 1)` copies of its rows. Every
/// page is well formed; only the sharing is wrong.
pub(crate) fn shared_pages(bytes: &[u8], table: &str, fanout: usize, depth: usize) -> Vec<u8> {
    let mut db = Connection::open_in_memory().unwrap();
    db.deserialize_read_exact(MAIN_DB, bytes, bytes.len(), true)
        .unwrap();
    let root: i64 = db
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |row| row.get(0),
        )
        .unwrap();
    let root = usize::try_from(root).unwrap();
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65_536,
        size => usize::from(size),
    };
    assert_eq!(bytes.len() % page_size, 0);
    let mut image = bytes.to_vec();
    let leaf = image[(root - 1) * page_size..root * page_size].to_vec();
    assert_eq!(leaf[0], 0x0D, "the table must fit one leaf page");
    image.extend_from_slice(&leaf);
    let mut child = image.len() / page_size;
    for _ in 0..depth {
        image.extend_from_slice(&interior_page(page_size, child, fanout));
        child = image.len() / page_size;
    }
    image[(root - 1) * page_size..root * page_size]
        .copy_from_slice(&interior_page(page_size, child, fanout));
    let pages = u32::try_from(image.len() / page_size).unwrap();
    image[28..32].copy_from_slice(&pages.to_be_bytes());
    image
}

/// An interior table page whose `fanout` cells and right-most pointer all lead to page `child`.
fn interior_page(page_size: usize, child: usize, fanout: usize) -> Vec<u8> {
    let child = u32::try_from(child).unwrap().to_be_bytes();
    let mut page = vec![0; page_size];
    page[0] = 0x05;
    page[3..5].copy_from_slice(&u16::try_from(fanout).unwrap().to_be_bytes());
    page[8..12].copy_from_slice(&child);
    let mut content = page_size;
    for index in 0..fanout {
        let key = u16::try_from(index + 1).unwrap();
        let mut cell = child.to_vec();
        if key < 0x80 {
            cell.push(u8::try_from(key).unwrap());
        } else {
            cell.push(0x80 | u8::try_from(key >> 7).unwrap());
            cell.push(u8::try_from(key & 0x7F).unwrap());
        }
        content -= cell.len();
        page[content..content + cell.len()].copy_from_slice(&cell);
        let pointer = u16::try_from(content).unwrap().to_be_bytes();
        page[12 + 2 * index..14 + 2 * index].copy_from_slice(&pointer);
    }
    page[5..7].copy_from_slice(&u16::try_from(content).unwrap().to_be_bytes());
    page
}
