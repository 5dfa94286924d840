//! The tables a Pyrogram (schema 3) or Kurigram (schema 7) file may have, as the reader checks them.
//!
//! Kurigram creates `peers` without `username` (its `usernames` table holds them) but keeps the column in
//! files it upgraded from Pyrogram, and adds `sessions.server_address` and `port` with `ALTER TABLE` (after
//! the other columns, which is why the reader goes by name); Pyrogram 1.x files have no `sessions.api_id`.
//! Both create indexes on `peers` (and Kurigram on `usernames`) and the trigger that stamps
//! `peers.last_update_on`, which never runs on a read.

use crate::sqlite::{Column, Presence, Spec, Table};

/// Every table and column a file of schema 3 or 7 may have. The identifying ones are the same in both (and in
/// Pyrogram 1.x's files), so they are checked when the file is opened, the others once the version is known.
pub(super) const SPEC: Spec = Spec {
    tables: &[
        Table::new(
            "version",
            Presence::Identifying,
            &[Column::new("number", "INTEGER")],
        ),
        Table::new(
            "sessions",
            Presence::Identifying,
            &[
                Column::new("dc_id", "INTEGER"),
                Column::optional("server_address", "TEXT"),
                Column::optional("port", "INTEGER"),
                Column::optional("api_id", "INTEGER"),
                Column::new("test_mode", "INTEGER"),
                Column::new("auth_key", "BLOB"),
                Column::optional("date", "INTEGER"),
                Column::new("user_id", "INTEGER"),
                Column::new("is_bot", "INTEGER"),
            ],
        ),
        Table::new(
            "peers",
            Presence::Identifying,
            &[
                Column::new("id", "INTEGER"),
                Column::new("access_hash", "INTEGER"),
                Column::new("type", "INTEGER"),
                Column::optional("username", "TEXT"),
                Column::optional("phone_number", "TEXT"),
                Column::optional("last_update_on", "INTEGER"),
            ],
        ),
        Table::new(
            "usernames",
            Presence::Optional,
            &[
                Column::new("id", "INTEGER"),
                Column::new("username", "TEXT"),
            ],
        ),
        Table::new(
            "update_state",
            Presence::Optional,
            &[
                Column::new("id", "INTEGER"),
                Column::new("pts", "INTEGER"),
                Column::new("qts", "INTEGER"),
                Column::new("date", "INTEGER"),
                Column::new("seq", "INTEGER"),
            ],
        ),
    ],
    triggers: &["trg_peers_last_update_on"],
};
