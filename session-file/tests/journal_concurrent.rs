//! Appends from several processes at once to one session file: three processes append 30 records each,
//! all released at the same moment, while a fourth compacts the journal whenever it grew. Every append must
//! get its own index, none may be lost or duplicated, each process's records must keep their order, and
//! the journal must end up holding exactly the 90 records at the indices their appends returned.
//!
//! The binary is both the parent (no arguments, as `cargo test` runs it) and the children (started again
//! from `std::env::current_exe()` with `--append-child <path> <writer>` or `--compact-child <path> <end>`). A
//! child prints `ready`, waits for a line on its standard input, then works; an appender prints
//! `<index> <tag>` after each append returned, the compactor `<next>` after each compaction returned.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use session_core::{JournalPosition, JournalStorage, SessionStorage};
use session_file::FileStorage;

use common::{base_session, peer_tags, pending, record_of, snapshot_of};

const APPEND_ARG: &str = "--append-child";
const COMPACT_ARG: &str = "--compact-child";
const WRITERS: u64 = 3;
const APPENDS: u64 = 30;

/// The tag of the `n`th record of writer `writer`.
fn tag(writer: u64, n: u64) -> u64 {
    writer * 1000 + n
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// Prints `ready` and waits for the parent's go.
fn ready_and_wait() {
    println!("ready");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    assert_eq!(line, "go\n");
}

/// An appender: appends the records tagged `tag(writer, 1..=APPENDS)` to the journal of the stored
/// snapshot's epoch.
fn append_child(path: &str, writer: u64) {
    let runtime = runtime();
    let storage = FileStorage::new(path).unwrap();
    let journal = runtime.block_on(storage.load_journal()).unwrap().unwrap();
    let epoch = journal.replay().unwrap().position.unwrap().epoch;
    ready_and_wait();
    let mut stdout = std::io::stdout().lock();
    for n in 1..=APPENDS {
        let tag = tag(writer, n);
        let index = runtime
            .block_on(storage.append(epoch, record_of(epoch, tag)))
            .unwrap();
        writeln!(stdout, "{index} {tag}").unwrap();
        stdout.flush().unwrap();
    }
}

/// The compactor: until the journal holds all the appenders' records, reads it, replays it and, when
/// records came since its last compaction, compacts through its end (a few milliseconds apart, so that the
/// compactions spread over the appends). It never compacts the last records, so that the parent finds
/// some in the journal.
fn compact_child(path: &str, end: u64) {
    let runtime = runtime();
    let storage = FileStorage::new(path).unwrap();
    ready_and_wait();
    let mut stdout = std::io::stdout().lock();
    let mut compacted = 0;
    loop {
        let journal = runtime.block_on(storage.load_journal()).unwrap().unwrap();
        let replayed = journal.replay().unwrap();
        let position = replayed.position.unwrap();
        if position.next > compacted && position.next < end {
            runtime
                .block_on(storage.compact(snapshot_of(&replayed.session, position), position))
                .unwrap();
            writeln!(stdout, "{}", position.next).unwrap();
            stdout.flush().unwrap();
            compacted = position.next;
        }
        if position.next == end {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(3));
    }
}

/// Starts a child with `args` and waits until it is ready.
fn spawn(args: &[&str]) -> Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n", "the child {args:?} did not start");
    child
}

/// Waits for `child` to exit successfully; returns the lines it printed after `ready`.
fn finish(child: Child, what: &str) -> Vec<String> {
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{what} failed: {}", output.status);
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn parent() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.session");
    let path_arg = path.to_str().unwrap();
    let runtime = runtime();
    let storage = FileStorage::new(&path).unwrap();
    let position = JournalPosition {
        epoch: session_core::Epoch::random(),
        next: 100,
    };
    runtime
        .block_on(storage.store(snapshot_of(&base_session(), position)))
        .unwrap();

    let writers: Vec<String> = (1..=WRITERS).map(|writer| writer.to_string()).collect();
    let mut children: Vec<(String, Child)> = writers
        .iter()
        .map(|writer| {
            let child = spawn(&[APPEND_ARG, path_arg, writer]);
            (format!("writer {writer}"), child)
        })
        .collect();
    let total = WRITERS * APPENDS;
    let end = (position.next + total).to_string();
    children.push((
        "the compactor".into(),
        spawn(&[COMPACT_ARG, path_arg, &end]),
    ));
    for (_, child) in &mut children {
        child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    }

    let mut tag_at: BTreeMap<u64, u64> = BTreeMap::new();
    let mut compacted = Vec::new();
    for (what, child) in children {
        let lines = finish(child, &what);
        if what == "the compactor" {
            compacted = lines.iter().map(|line| line.parse().unwrap()).collect();
            continue;
        }
        assert_eq!(lines.len() as u64, APPENDS, "{what} acknowledged");
        let mut previous = None;
        for line in lines {
            let (index, tag) = line.split_once(' ').unwrap();
            let (index, tag): (u64, u64) = (index.parse().unwrap(), tag.parse().unwrap());
            assert!(
                previous < Some(index),
                "{what}: index {index} after {previous:?}: its records were reordered"
            );
            previous = Some(index);
            if let Some(other) = tag_at.insert(index, tag) {
                panic!("index {index} was returned to two appends: records {other} and {tag}");
            }
        }
    }
    let want: Vec<u64> = (position.next..position.next + total).collect();
    assert_eq!(
        tag_at.keys().copied().collect::<Vec<_>>(),
        want,
        "the indices the appends returned are not the {total} after the snapshot's position"
    );
    assert!(
        !compacted.is_empty(),
        "the compactor compacted nothing: the appends were over before it ran"
    );

    // Every record is where its append said, and the session holds each exactly once.
    let journal = runtime.block_on(storage.load_journal()).unwrap().unwrap();
    let replayed = journal.replay().unwrap();
    let end = JournalPosition {
        epoch: position.epoch,
        next: position.next + total,
    };
    assert_eq!(replayed.position, Some(end));
    let snapshot_next = replayed.snapshot_position.unwrap().next;
    assert!(snapshot_next >= *compacted.iter().max().unwrap());
    let in_journal: Vec<(u64, u64)> = pending(&journal);
    let want_in_journal: Vec<(u64, u64)> = tag_at
        .range(snapshot_next..)
        .map(|(&index, &tag)| (index, tag))
        .collect();
    assert_eq!(
        in_journal, want_in_journal,
        "the records after the snapshot"
    );
    let all_tags: BTreeSet<u64> = tag_at.values().copied().collect();
    assert_eq!(all_tags.len() as u64, total);
    assert_eq!(peer_tags(&replayed.session), all_tags);
    let (loaded, _) =
        session_core::Session::decode_snapshot(&runtime.block_on(storage.load()).unwrap().unwrap())
            .unwrap();
    assert_eq!(loaded, replayed.session, "load and load_journal disagree");

    println!(
        "journal_concurrent: {WRITERS} processes appended {APPENDS} records each while another compacted \
         {} times (through {compacted:?}); the snapshot ends at {snapshot_next}, the journal at {}; {:.1?}",
        compacted.len(),
        end.next,
        started.elapsed()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some(APPEND_ARG) => append_child(&args[2], args[3].parse().unwrap()),
        Some(COMPACT_ARG) => compact_child(&args[2], args[3].parse().unwrap()),
        _ => parent(),
    }
}
