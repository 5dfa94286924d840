//! What is on the disk when a write returns: a child process opens a database and stores a small value, two
//! large ones (over sled's ~128 KiB blob threshold, so sled writes them to files under `blobs/`) and a small
//! one, then a snapshot that starts a journal, appends two records and compacts, under `strace -f -y`,
//! marking the start and the end of each write with a failed `openat` of a marker path. The parent then
//! checks, for each write, that before it returned:
//!
//! - the `db` file was `fsync`ed or `fdatasync`ed after sled's last `sync_file_range` on it (which flushes
//!   neither the file's size nor the device's cache);
//! - every blob file created during the store was synced after it was created and after sled's flush, and
//!   the `blobs` directory after the last of them (its new entries);
//! - before the first store returned, the entries sled created when opening the database were synced: the
//!   `conf` file, the database directory and its parent.
//!
//! The child opens the database without sled's background flusher, whose periodic `fsync` of `db` could
//! otherwise happen to fall inside a store. Needs `strace`; the test fails, saying so, without it.
//!
//! The binary is both the parent (as `cargo test` runs it) and the child (started again from
//! `std::env::current_exe()` with `--durability-child <dir>`).

#![cfg(unix)]

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use session_core::{
    Bytes, JournalPosition, JournalStorage, Patch, Record, Session, SessionStorage, Slot,
};
use session_sled::{open_config, SledStorage, DEFAULT_LOCK_WAIT};

const CHILD_ARG: &str = "--durability-child";

/// One write of the child.
#[derive(Clone, Copy, Debug)]
enum Write {
    /// A store of a value of this length (no session, so no journal).
    Store(usize),
    /// A store of a snapshot that starts a journal.
    StartJournal,
    /// An append of a record to that journal.
    Append,
    /// A compaction through every record appended.
    Compact,
}

/// The writes the child makes, in order.
const WRITES: [Write; 8] = [
    Write::Store(4 << 10),
    Write::Store(300 << 10),
    Write::Store(400 << 10),
    Write::Store(100),
    Write::StartJournal,
    Write::Append,
    Write::Append,
    Write::Compact,
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(CHILD_ARG) {
        child(Path::new(&args[2]));
    } else {
        parent();
        println!("test every_write_is_synced_before_it_returns ... ok");
    }
}

/// The database directory inside the test's directory.
fn database(dir: &Path) -> PathBuf {
    dir.join("sessions.sled")
}

/// Leaves a mark in the trace: an `openat` of a path that does not exist.
fn marker(dir: &Path, name: &str) {
    let _ = File::open(dir.join(format!(".marker-{name}")));
}

fn child(dir: &Path) {
    let config = sled::Config::new().path(database(dir)).flush_every_ms(None);
    let db = open_config(&config, DEFAULT_LOCK_WAIT).expect("open the database");
    let storage = SledStorage::new(&db, Slot::new("main").unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let start = JournalPosition::start();
    let mut patch = Patch::new();
    patch.set_home_dc(Some(2));
    let record = Bytes::from(Record::encode_patch(start.epoch, &patch).unwrap());
    for (round, write) in WRITES.into_iter().enumerate() {
        // A compaction writes what the journal replays to, read before the write starts.
        let compacted = matches!(write, Write::Compact).then(|| {
            let journal = runtime.block_on(storage.load_journal()).unwrap().unwrap();
            let replayed = journal.replay().unwrap();
            let position = replayed.position.unwrap();
            let snapshot = replayed.session.encode_snapshot(&position).unwrap();
            (Bytes::from(snapshot), position)
        });
        marker(dir, &format!("begin-{round}"));
        match write {
            Write::Store(len) => {
                let value = Bytes::from(vec![u8::try_from(round).unwrap() + 1; len]);
                runtime.block_on(storage.store(value)).expect("store");
            }
            Write::StartJournal => {
                let snapshot = Session::default().encode_snapshot(&start).unwrap();
                runtime
                    .block_on(storage.store(Bytes::from(snapshot)))
                    .expect("store");
            }
            Write::Append => {
                runtime
                    .block_on(storage.append(start.epoch, record.clone()))
                    .expect("append");
            }
            Write::Compact => {
                let (snapshot, position) = compacted.unwrap();
                runtime
                    .block_on(storage.compact(snapshot, position))
                    .expect("compact");
            }
        }
        marker(dir, &format!("end-{round}"));
    }
}

/// One system call from the trace.
#[derive(Debug, Clone)]
struct Call {
    name: String,
    /// The path strace shows for the first argument when it is a descriptor (`7</dir/db>`).
    fd_path: Option<String>,
    /// The arguments as strace prints them.
    args: String,
    /// The path strace shows for a returned descriptor (`= 8</dir/blobs/42>`).
    returned_path: Option<String>,
    ok: bool,
    /// Line numbers where the call started and where its result was printed.
    start: usize,
    end: usize,
}

/// The text between the first `<` and the following `>` of `text`.
fn angle_path(text: &str) -> Option<String> {
    let from = text.find('<')? + 1;
    let to = text[from..].find('>')? + from;
    Some(text[from..to].to_owned())
}

/// Applies the result part of a line (`...) = 0`, `...)   = 8</path>`) to `call`.
fn finish(call: &mut Call, result: &str, line: usize) {
    // strace pads short calls with spaces before ` = `.
    let value = result.rsplit_once(" = ").map_or("", |(_, value)| value);
    call.ok = !value.starts_with('-') && !value.is_empty();
    call.returned_path = angle_path(value);
    call.end = line;
}

/// Parses the output of `strace -f -y -o`: `PID name(args) = result`, possibly split into
/// `<unfinished ...>` and `<... name resumed>` lines.
fn parse(trace: &str) -> Vec<Call> {
    let mut calls = Vec::new();
    let mut pending: HashMap<String, Call> = HashMap::new();
    for (line, text) in trace.lines().enumerate() {
        let Some((pid, rest)) = text.trim_start().split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        if rest.starts_with("<...") {
            if let Some(mut call) = pending.remove(pid) {
                finish(&mut call, rest, line);
                calls.push(call);
            }
            continue;
        }
        let Some((name, args)) = rest.split_once('(') else {
            continue;
        };
        let mut call = Call {
            name: name.to_owned(),
            fd_path: args
                .split(',')
                .next()
                .filter(|first| first.starts_with(|c: char| c.is_ascii_digit()))
                .and_then(angle_path),
            args: args.to_owned(),
            returned_path: None,
            ok: false,
            start: line,
            end: line,
        };
        if rest.contains("<unfinished ...>") {
            pending.insert(pid.to_owned(), call);
        } else {
            finish(&mut call, rest, line);
            calls.push(call);
        }
    }
    calls.sort_by_key(|call| call.end);
    calls
}

fn is_sync(call: &Call) -> bool {
    call.ok && (call.name == "fsync" || call.name == "fdatasync")
}

/// Whether `calls` hold a successful sync of `path` that started after line `after` and ended before `end`.
fn synced(calls: &[Call], path: &Path, after: usize, end: usize) -> bool {
    let path = path.to_string_lossy();
    calls.iter().any(|call| {
        is_sync(call)
            && call.fd_path.as_deref() == Some(&*path)
            && call.start > after
            && call.end < end
    })
}

/// The line of the marker `name`.
fn marker_line(calls: &[Call], name: &str) -> usize {
    let needle = format!(".marker-{name}\"");
    calls
        .iter()
        .find(|call| call.name == "openat" && call.args.contains(&needle))
        .unwrap_or_else(|| panic!("marker {name} is in the trace"))
        .start
}

fn parent() {
    let version = Command::new("strace").arg("-V").output();
    assert!(
        version.is_ok_and(|out| out.status.success()),
        "this test traces a child with strace, which is not installed: apt-get install strace"
    );
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().canonicalize().unwrap();
    let trace_path = dir.join("trace.txt");
    let status = Command::new("strace")
        .args([
            "-f",
            "-y",
            "-qq",
            "-e",
            "trace=fsync,fdatasync,sync_file_range,openat",
            "-o",
        ])
        .arg(&trace_path)
        .arg("--")
        .arg(std::env::current_exe().unwrap())
        .arg(CHILD_ARG)
        .arg(&dir)
        .status()
        .expect("run strace");
    assert!(status.success(), "the traced child failed: {status}");
    let trace = std::fs::read_to_string(&trace_path).unwrap();
    let calls = parse(&trace);

    let db_dir = database(&dir);
    let db_file = db_dir.join("db");
    let blobs = db_dir.join("blobs");
    let mut blobs_seen = 0;
    for (round, write) in WRITES.iter().enumerate() {
        let begin = marker_line(&calls, &format!("begin-{round}"));
        let end = marker_line(&calls, &format!("end-{round}"));
        let window: Vec<&Call> = calls
            .iter()
            .filter(|call| call.start > begin && call.end < end)
            .collect();
        let db_path = db_file.to_string_lossy();
        let last_log_write = window
            .iter()
            .filter(|call| {
                call.name == "sync_file_range" && call.fd_path.as_deref() == Some(&*db_path)
            })
            .map(|call| call.end)
            .max()
            .unwrap_or_else(|| {
                panic!("{write:?} (write {round}): sled wrote its log with sync_file_range")
            });
        assert!(
            synced(&calls, &db_file, last_log_write, end),
            "{write:?} (write {round}): {} was not synced after sled's last sync_file_range and before it returned",
            db_file.display()
        );

        let blobs_prefix = format!("{}/", blobs.display());
        let created: Vec<&&Call> = window
            .iter()
            .filter(|call| call.name == "openat" && call.ok && call.args.contains("O_CREAT"))
            .filter(|call| {
                call.returned_path
                    .as_deref()
                    .is_some_and(|p| p.starts_with(&blobs_prefix))
            })
            .collect();
        for blob in &created {
            let path = PathBuf::from(blob.returned_path.clone().unwrap());
            assert!(
                synced(&calls, &path, blob.end.max(last_log_write), end),
                "{write:?} (write {round}): the blob file {} was not synced before it returned",
                path.display()
            );
        }
        if let Some(last) = created.iter().map(|call| call.end).max() {
            assert!(
                synced(&calls, &blobs, last, end),
                "{write:?} (write {round}): the directory {} (new entries) was not synced before it returned",
                blobs.display()
            );
        }
        blobs_seen += created.len();

        if round == 0 {
            for path in [db_dir.join("conf"), db_dir.clone(), dir.clone()] {
                assert!(
                    synced(&calls, &path, 0, end),
                    "{} (created or changed when the database was opened) was not synced before the first \
                     store returned",
                    path.display()
                );
            }
        }
    }
    assert!(
        blobs_seen >= 2,
        "the large values went to blob files: {blobs_seen} created"
    );
}
