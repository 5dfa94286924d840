//! Hostile SQLite files, one kind per test, for every SQLite format (Telethon, Telethon 2, Pyrogram, Kurigram,
//! grammers, ferogram, layer-client): each is refused as malformed, naming what it found, within 2 seconds,
//! by its format's reader and by detection (which runs every reader). The files are small: their cost is in
//! what reading them would compute (generated columns, views, virtual tables), in rows they make up (pages
//! that share children), or in what they would make SQLite load (statistics, schema entries); the same files
//! without the change read.

mod hostile;

use std::time::{Duration, Instant};

use hostile::{Bomb, TARGETS};
use session_interop::{read, read_any, InteropError};

/// The most a read of any input up to 10 MB may take.
const LIMIT: Duration = Duration::from_secs(2);

/// Builds `bomb` for every SQLite format and checks that reading it fails fast, naming what it found.
fn assert_refused_quickly(bomb: Bomb) {
    for target in &TARGETS {
        let bytes = target.build(bomb);
        let start = Instant::now();
        let result = read(target.format, &bytes);
        let elapsed = start.elapsed();
        match &result {
            Err(InteropError::Malformed { format, reason }) => {
                assert_eq!(*format, target.format, "{}: {bomb:?}", target.name);
                assert!(
                    reason.contains(bomb.reason()),
                    "{}: {bomb:?}: `{}` not in `{reason}`",
                    target.name,
                    bomb.reason()
                );
            }
            other => panic!(
                "{}: {bomb:?}: expected Malformed, got {:?}",
                target.name,
                other.as_ref().map(|imported| imported.session.peers.len())
            ),
        }
        assert!(
            elapsed <= LIMIT,
            "{}: {bomb:?} took {elapsed:?}",
            target.name
        );
        let start = Instant::now();
        let detected = read_any(&bytes);
        let elapsed = start.elapsed();
        assert!(
            matches!(detected, Err(InteropError::Unrecognized { .. })),
            "{}: {bomb:?}: detection gave {:?}",
            target.name,
            detected.map(|(format, _)| format)
        );
        assert!(
            elapsed <= LIMIT,
            "{}: {bomb:?}: detection took {elapsed:?}",
            target.name
        );
    }
}

#[test]
fn the_files_the_bombs_are_made_of_read() {
    for target in &TARGETS {
        let bytes = (target.base)();
        let imported =
            read(target.format, &bytes).unwrap_or_else(|err| panic!("{}: {err}", target.name));
        assert!(imported.session.home_dc.is_some(), "{}", target.name);
        assert_eq!(
            read_any(&bytes).unwrap().0,
            target.format,
            "{}",
            target.name
        );
    }
}

#[test]
fn generated_columns_are_refused_before_they_are_computed() {
    assert_refused_quickly(Bomb::GeneratedColumn);
}

#[test]
fn views_in_place_of_tables_are_refused() {
    assert_refused_quickly(Bomb::View);
}

#[test]
fn virtual_tables_are_refused() {
    assert_refused_quickly(Bomb::VirtualTable);
}

#[test]
fn triggers_a_format_does_not_create_are_refused() {
    assert_refused_quickly(Bomb::Trigger);
}

#[test]
fn indexes_on_expressions_are_refused() {
    assert_refused_quickly(Bomb::ExpressionIndex);
}

#[test]
fn partial_indexes_are_refused() {
    assert_refused_quickly(Bomb::PartialIndex);
}

#[test]
fn statistics_tables_are_refused_before_sqlite_loads_them() {
    assert_refused_quickly(Bomb::Statistics);
}

#[test]
fn schemas_of_more_entries_than_any_session_file_are_refused() {
    assert_refused_quickly(Bomb::ManyTables);
}

#[test]
fn pages_shared_between_branches_are_refused_before_any_scan_or_sort() {
    assert_refused_quickly(Bomb::SharedPages);
}
