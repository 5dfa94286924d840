//! Writing a Pyrogram 2.0 file (schema 3).

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::params;
use session_core::Session;

use super::peers;
use crate::error::InteropError;
use crate::format::Format;
use crate::formats::common::{self, Keeps};
use crate::formats::pyrogram;
use crate::report::Exported;
use crate::sqlite;

const FORMAT: Format = Format::PyrogramSqlite;

/// The schema version written.
const VERSION: i64 = 3;

/// The tables, indexes and trigger of schema 3, statement for statement as Pyrogram 2.0.106 creates them
/// (SQLite keeps each statement's text, so the file's schema reads exactly as Pyrogram's own).
const SCHEMA: &str = "CREATE TABLE sessions
(
    dc_id     INTEGER PRIMARY KEY,
    api_id    INTEGER,
    test_mode INTEGER,
    auth_key  BLOB,
    date      INTEGER NOT NULL,
    user_id   INTEGER,
    is_bot    INTEGER
);

CREATE TABLE peers
(
    id             INTEGER PRIMARY KEY,
    access_hash    INTEGER,
    type           INTEGER NOT NULL,
    username       TEXT,
    phone_number   TEXT,
    last_update_on INTEGER NOT NULL DEFAULT (CAST(STRFTIME('%s', 'now') AS INTEGER))
);

CREATE TABLE version
(
    number INTEGER PRIMARY KEY
);

CREATE INDEX idx_peers_id ON peers (id);
CREATE INDEX idx_peers_username ON peers (username);
CREATE INDEX idx_peers_phone_number ON peers (phone_number);

CREATE TRIGGER trg_peers_last_update_on
    AFTER UPDATE
    ON peers
BEGIN
    UPDATE peers
    SET last_update_on = CAST(STRFTIME('%s', 'now') AS INTEGER)
    WHERE id = NEW.id;
END;
";

/// The error for a failed SQLite call while writing (SQLite's messages name tables, never values).
pub(super) fn write_error(doing: &str, err: &rusqlite::Error) -> InteropError {
    InteropError::Unwritable {
        format: FORMAT,
        reason: format!("{doing}: {err}"),
    }
}

/// Writes `session` as a Pyrogram 2.0 session file, stamped with the current time (see the module
/// documentation).
pub(crate) fn write(session: &Session) -> Result<Exported, InteropError> {
    write_at(session, unix_now())
}

/// The current Unix time in whole seconds, as Pyrogram stamps its rows (`int(time.time())`); 0 when the clock
/// is before 1970.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

/// Writes `session` with `sessions.date` and every `peers.last_update_on` set to `now` (Unix seconds): the
/// output depends on these two alone.
fn write_at(session: &Session, now: i64) -> Result<Exported, InteropError> {
    let home = pyrogram::home(FORMAT, session)?;
    let api_id = pyrogram::api_id_to_write(FORMAT, session)?;
    let user = pyrogram::user_to_write(FORMAT, session)?;
    let mut dropped = home.dropped;
    let mut db = sqlite::create(FORMAT)?;
    let tx = db
        .transaction()
        .map_err(|err| write_error("cannot start a transaction", &err))?;
    tx.execute_batch(SCHEMA)
        .map_err(|err| write_error("cannot create the tables", &err))?;
    tx.execute("INSERT INTO version VALUES (?1)", [VERSION])
        .map_err(|err| write_error("cannot insert the version", &err))?;
    tx.execute(
        "INSERT INTO sessions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            home.id,
            api_id,
            i64::from(session.test_mode),
            home.auth_key.map(|key| &key.as_bytes()[..]),
            now,
            user.0,
            i64::from(user.1),
        ],
    )
    .map_err(|err| write_error("cannot insert the session", &err))?;
    dropped.extend(peers::write(&tx, &session.peers, now)?);
    tx.commit()
        .map_err(|err| write_error("cannot commit", &err))?;
    let keeps = Keeps {
        user: true,
        peers: true,
        api_id: true,
        test_mode: true,
        ..Keeps::default()
    };
    dropped.extend(common::unkept(FORMAT, session, keeps));
    Ok(Exported {
        bytes: sqlite::to_bytes(FORMAT, &mut db)?,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use session_core::{AuthKey, DcEntry, Peer, PeerId, PeerKind, User};

    use super::*;

    fn session() -> Session {
        let mut dc = DcEntry::new(2);
        dc.auth_key = Some(AuthKey::new([7; 256]));
        let mut session = common::home_session(dc);
        session.api_id = Some(12345);
        session.user = Some(User {
            id: 1,
            bot: false,
            username: None,
            dc: None,
        });
        let peer = Peer {
            kind: PeerKind::User,
            access_hash: Some(5),
            ..Peer::default()
        };
        session.peers = [(PeerId::User(1), peer.clone()), (PeerId::User(2), peer)]
            .into_iter()
            .collect();
        session
    }

    /// The earliest and latest of `sessions.date` and the peers' `last_update_on` in a written file.
    fn time_range(bytes: &[u8]) -> (i64, i64) {
        crate::sqlite::Database::open(FORMAT, bytes, &super::super::schema::SPEC)
            .unwrap()
            .query_row(
                "SELECT min(t), max(t) FROM \
                 (SELECT date AS t FROM sessions UNION ALL SELECT last_update_on FROM peers)",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap()
    }

    #[test]
    fn the_output_depends_on_the_session_and_the_time_alone() {
        let first = write_at(&session(), 1_795_471_096).unwrap();
        let second = write_at(&session(), 1_795_471_096).unwrap();
        assert_eq!(first.bytes, second.bytes);
        assert_eq!(time_range(&first.bytes), (1_795_471_096, 1_795_471_096));
        let later = write_at(&session(), 1_795_471_097).unwrap();
        assert_ne!(later.bytes, first.bytes);
        assert_eq!(time_range(&later.bytes), (1_795_471_097, 1_795_471_097));
    }

    #[test]
    fn write_stamps_the_current_time() {
        let before = unix_now();
        let (earliest, latest) = time_range(&write(&session()).unwrap().bytes);
        let after = unix_now();
        assert!(before > 1_700_000_000, "the clock reads {before}");
        assert!(
            before <= earliest && latest <= after,
            "{earliest}..{latest} not in {before}..{after}"
        );
    }
}
