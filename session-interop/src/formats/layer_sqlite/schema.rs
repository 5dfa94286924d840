//! The tables of layer-client 0.5.0's and ferogram-session 0.6.6's `SqliteBackend`, exactly as they create
//! them, and the schema a reader checks.

use rusqlite::Connection;

use super::Flavor;
use crate::error::InteropError;
use crate::sqlite::{self, Column, Database, Presence, Spec, Table};

/// The tables both libraries create the same way, with the statements that create them (the text
/// `sqlite_master` holds for a file the libraries made).
const SHARED_DDL: [(&str, &str); 4] = [
    (
        "meta",
        "CREATE TABLE meta (
            key   TEXT    PRIMARY KEY,
            value INTEGER NOT NULL DEFAULT 0
        )",
    ),
    (
        "dcs",
        "CREATE TABLE dcs (
            dc_id       INTEGER NOT NULL,
            flags       INTEGER NOT NULL DEFAULT 0,
            addr        TEXT    NOT NULL,
            auth_key    BLOB,
            first_salt  INTEGER NOT NULL DEFAULT 0,
            time_offset INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (dc_id, flags)
        )",
    ),
    (
        "update_state",
        "CREATE TABLE update_state (
            id   INTEGER PRIMARY KEY CHECK (id = 1),
            pts  INTEGER NOT NULL DEFAULT 0,
            qts  INTEGER NOT NULL DEFAULT 0,
            date INTEGER NOT NULL DEFAULT 0,
            seq  INTEGER NOT NULL DEFAULT 0
        )",
    ),
    (
        "channel_pts",
        "CREATE TABLE channel_pts (
            channel_id INTEGER PRIMARY KEY,
            pts        INTEGER NOT NULL
        )",
    ),
];

/// layer-client 0.5.0's `peers` table.
const LAYER_PEERS_DDL: (&str, &str) = (
    "peers",
    "CREATE TABLE peers (
            id           INTEGER PRIMARY KEY,
            access_hash  INTEGER NOT NULL,
            is_channel   INTEGER NOT NULL DEFAULT 0
        )",
);

/// ferogram 0.6.6's `peers` and `min_peers` tables.
const FEROGRAM_DDL: [(&str, &str); 2] = [
    (
        "peers",
        "CREATE TABLE peers (
            id           INTEGER PRIMARY KEY,
            access_hash  INTEGER NOT NULL,
            is_channel   INTEGER NOT NULL DEFAULT 0,
            is_chat      INTEGER NOT NULL DEFAULT 0,
            channel_kind INTEGER,
            is_community INTEGER NOT NULL DEFAULT 0
        )",
    ),
    (
        "min_peers",
        "CREATE TABLE min_peers (
            user_id INTEGER PRIMARY KEY,
            peer_id INTEGER NOT NULL,
            msg_id  INTEGER NOT NULL
        )",
    ),
];

const META: Table = Table::new(
    "meta",
    Presence::Identifying,
    &[Column::new("key", "TEXT"), Column::new("value", "INTEGER")],
);

const DCS: Table = Table::new(
    "dcs",
    Presence::Identifying,
    &[
        Column::new("dc_id", "INTEGER"),
        Column::new("flags", "INTEGER"),
        Column::new("addr", "TEXT"),
        Column::new("auth_key", "BLOB"),
        Column::new("first_salt", "INTEGER"),
        Column::new("time_offset", "INTEGER"),
    ],
);

const UPDATE_STATE: Table = Table::new(
    "update_state",
    Presence::Required,
    &[
        Column::new("id", "INTEGER"),
        Column::new("pts", "INTEGER"),
        Column::new("qts", "INTEGER"),
        Column::new("date", "INTEGER"),
        Column::new("seq", "INTEGER"),
    ],
);

const CHANNEL_PTS: Table = Table::new(
    "channel_pts",
    Presence::Required,
    &[
        Column::new("channel_id", "INTEGER"),
        Column::new("pts", "INTEGER"),
    ],
);

/// layer-client 0.5.0's files: `peers` has no column but the id, hash and channel flag, and there is no
/// `min_peers` table (a file with either is ferogram's).
const LAYER_SPEC: Spec = Spec {
    tables: &[
        META,
        DCS,
        UPDATE_STATE,
        CHANNEL_PTS,
        Table::new(
            "peers",
            Presence::Required,
            &[
                Column::new("id", "INTEGER"),
                Column::new("access_hash", "INTEGER"),
                Column::new("is_channel", "INTEGER"),
            ],
        ),
    ],
    triggers: &[],
};

/// ferogram's files: `peers.is_chat` (ferogram's first migration of a layer-client file) is required; the
/// columns and table later ferogram versions add by migration are optional, so files of those versions read
/// too. ferogram 0.6.6 has them all.
const FEROGRAM_SPEC: Spec = Spec {
    tables: &[
        META,
        DCS,
        UPDATE_STATE,
        CHANNEL_PTS,
        Table::new(
            "peers",
            Presence::Required,
            &[
                Column::new("id", "INTEGER"),
                Column::new("access_hash", "INTEGER"),
                Column::new("is_channel", "INTEGER"),
                Column::new("is_chat", "INTEGER"),
                Column::optional("channel_kind", "INTEGER"),
                Column::optional("is_community", "INTEGER"),
            ],
        ),
        Table::new(
            "min_peers",
            Presence::Optional,
            &[
                Column::new("user_id", "INTEGER"),
                Column::new("peer_id", "INTEGER"),
                Column::new("msg_id", "INTEGER"),
            ],
        ),
    ],
    triggers: &[],
};

impl Flavor {
    fn spec(self) -> &'static Spec {
        match self {
            Flavor::LayerClient => &LAYER_SPEC,
            Flavor::Ferogram => &FEROGRAM_SPEC,
        }
    }
}

/// Opens `bytes` as a file of `flavor`: the shared identifying tables (else [`InteropError::Malformed`]), then
/// exactly the flavor's tables and columns. Neither library keeps a schema version.
pub(super) fn open(flavor: Flavor, bytes: &[u8]) -> Result<Database, InteropError> {
    let spec = flavor.spec();
    let db = Database::open(flavor.format(), bytes, spec)?;
    db.check(spec)?;
    Ok(db)
}

/// Creates the flavor's tables in the empty database `db`, in the order the library creates them.
pub(super) fn create(flavor: Flavor, db: &Connection) -> Result<(), InteropError> {
    let own: &[(&str, &str)] = match flavor {
        Flavor::LayerClient => std::slice::from_ref(&LAYER_PEERS_DDL),
        Flavor::Ferogram => &FEROGRAM_DDL,
    };
    for (name, ddl) in SHARED_DDL.iter().chain(own) {
        db.execute_batch(ddl).map_err(|err| {
            sqlite::sqlite_error(
                flavor.format(),
                &format!("cannot create the `{name}` table"),
                &err,
            )
        })?;
    }
    Ok(())
}
