//! Crash safety of the file journal: a child process appends records in a loop, compacting now and then,
//! and is killed with SIGKILL at random moments. After every kill the slot must load (`load_journal` and
//! `load`), replay without error, hold every record the child acknowledged exactly once and in order, and
//! nothing it did not acknowledge except possibly the one append in flight; every acknowledged compaction
//! must have stuck. The next child continues from whatever the last one left, so its first append also
//! checks that a torn record is cut off and the next index is right.
//!
//! The record with index `i` upserts the user peer `i` (see `common`), so the session a journal replays
//! to says exactly which records it holds; every fifth record also sets a device of about 360 KB, so that
//! its write spans many pages and a kill can tear it.
//!
//! The binary is both the parent (no arguments, as `cargo test` runs it) and the child (started again from
//! `std::env::current_exe()` with `--journal-crash-child <path>`). The child prints `ready <next>` once it
//! has read the slot, `a <index>` after each append returned and `c <next>` after each compaction returned,
//! flushing each line.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use session_core::{
    Bytes, DeviceInfo, Epoch, JournalPosition, JournalStorage, Patch, Record, Session,
    SessionStorage,
};
use session_file::FileStorage;

use common::{base_session, patch_of, peer_tags, snapshot_of, HEADER_LEN};

const CHILD_ARG: &str = "--journal-crash-child";
/// How many times the child is killed.
const KILLS: usize = 60;
/// The longest time the parent lets the child run before killing it.
const MAX_RUN: Duration = Duration::from_millis(60);
/// The length of each of the six device strings of every fifth record (the format allows 65,535).
const LARGE_STRING_LEN: usize = 60_000;

/// The patch of the record with index `index`: the peer `index`, and on every fifth a device of about
/// 360 KB, whose write a kill can interrupt between two pages.
fn patch_at(index: u64) -> Patch {
    let mut patch = patch_of(index);
    if index % 5 == 4 {
        let large = |what: &str| format!("{what} {index:>width$}", width = LARGE_STRING_LEN);
        patch.set_device(Some(DeviceInfo {
            device_model: large("model"),
            system_version: large("system"),
            app_version: large("app"),
            system_lang_code: large("system lang"),
            lang_pack: large("pack"),
            lang_code: large("lang"),
        }));
    }
    patch
}

/// The child: reads the slot, then appends the records from the slot's next index on, forever, compacting
/// after a random number of them.
fn child(path: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let storage = FileStorage::new(path).unwrap();
        let journal = storage.load_journal().await.unwrap().unwrap();
        let replayed = journal.replay().unwrap();
        let mut session = replayed.session;
        let position = replayed.position.unwrap();
        let epoch = position.epoch;
        let mut next = position.next;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "ready {next}").unwrap();
        stdout.flush().unwrap();
        let mut rng = fastrand::Rng::new();
        let mut until_compaction = rng.u64(1..8);
        loop {
            let patch = patch_at(next);
            let record = Record::encode_patch(epoch, &patch).unwrap();
            let index = storage.append(epoch, Bytes::from(record)).await.unwrap();
            assert_eq!(index, next, "the append landed at the wrong index");
            writeln!(stdout, "a {index}").unwrap();
            stdout.flush().unwrap();
            session.apply(&patch);
            next += 1;
            until_compaction -= 1;
            if until_compaction == 0 {
                until_compaction = rng.u64(1..8);
                let position = JournalPosition { epoch, next };
                storage
                    .compact(snapshot_of(&session, position), position)
                    .await
                    .unwrap();
                writeln!(stdout, "c {next}").unwrap();
                stdout.flush().unwrap();
            }
        }
    });
}

/// What a child printed.
#[derive(Default)]
struct Printed {
    /// Where the child started: the next index it read from the slot.
    ready: Option<u64>,
    appended: Vec<u64>,
    compacted: Vec<u64>,
}

impl Printed {
    fn read(lines: impl Iterator<Item = std::io::Result<String>>) -> Printed {
        let mut printed = Printed::default();
        for line in lines {
            let line = line.unwrap();
            let (what, number) = line.split_once(' ').expect("a line of the child");
            let number: u64 = number.parse().expect("a number");
            match what {
                "ready" => printed.ready = Some(number),
                "a" => printed.appended.push(number),
                "c" => printed.compacted.push(number),
                _ => panic!("unexpected line {line:?} from the child"),
            }
        }
        printed
    }
}

/// The torn tail at the end of the journal file, if any: how many bytes follow its last whole record.
fn torn_bytes(journal: &Path) -> usize {
    let Ok(data) = fs::read(journal) else {
        return 0;
    };
    if data.len() < HEADER_LEN {
        return data.len();
    }
    let mut at = HEADER_LEN;
    while let Some(len) = Record::length_at(&data[at..]) {
        at += len;
    }
    data.len() - at
}

/// The temporary files and unexpected files in `dir`.
fn stray_files(dir: &Path) -> (usize, Vec<String>) {
    let mut temps = 0;
    let mut unknown = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        match name.as_str() {
            "j.session" | ".j.session.lock" | ".j.session.jnl" => {}
            ".j.session.tmp" => temps += 1,
            _ => unknown.push(name),
        }
    }
    (temps, unknown)
}

/// Checks the slot after a kill: it loads, replays, and holds exactly the records `0..next` for some
/// `next` in `acknowledged..=acknowledged + 1`, each once, in order, with a snapshot that includes at least
/// the records of the last acknowledged compaction. Returns `next`, and whether the journal starts before
/// the snapshot's position: a compaction was killed between replacing the session file and the journal,
/// and the records before the position are skipped (later children may have appended to that journal).
fn check_slot(
    runtime: &tokio::runtime::Runtime,
    storage: &FileStorage,
    epoch: Epoch,
    acknowledged: u64,
    compacted: u64,
    context: &str,
) -> (u64, bool) {
    let journal = runtime
        .block_on(storage.load_journal())
        .unwrap_or_else(|err| panic!("{context}: load_journal failed: {err}"))
        .unwrap_or_else(|| panic!("{context}: the slot is absent"));
    let replayed = journal
        .replay()
        .unwrap_or_else(|err| panic!("{context}: the journal does not replay: {err}"));
    let snapshot_position = replayed.snapshot_position.expect("a journal snapshot");
    let position = replayed.position.expect("a journal snapshot");
    assert_eq!(position.epoch, epoch, "{context}");
    assert!(
        snapshot_position.next >= compacted,
        "{context}: the snapshot includes the records before {}, but a compaction through {compacted} was \
         acknowledged",
        snapshot_position.next
    );

    // Every record after the snapshot's position: the next index, each once, in order.
    let skip = usize::try_from(snapshot_position.next - journal.base).unwrap();
    for (offset, bytes) in journal.records.iter().enumerate().skip(skip) {
        let index = journal.base + offset as u64;
        let (record_epoch, record) = Record::decode(bytes).unwrap();
        assert_eq!(record_epoch, epoch, "{context}: record {index}");
        let Record::Patch(patch) = record else {
            panic!("{context}: record {index} is not a patch");
        };
        assert_eq!(
            *patch,
            patch_at(index),
            "{context}: the record at index {index} is not the one appended there"
        );
    }

    // The snapshot holds the records before its position, the journal the ones after: together, exactly
    // the records 0..next.
    let next = position.next;
    let want: BTreeSet<u64> = (0..next).collect();
    assert_eq!(
        peer_tags(&replayed.session),
        want,
        "{context}: the replayed session does not hold exactly the records before {next}"
    );
    assert!(
        next >= acknowledged,
        "{context}: the slot holds the records before {next}, but {acknowledged} were acknowledged: \
         acknowledged records were lost"
    );
    assert!(
        next <= acknowledged + 1,
        "{context}: the slot holds the records before {next}, but only {acknowledged} were acknowledged: \
         more than the one append in flight"
    );

    // A plain load sees the same session.
    let loaded = runtime
        .block_on(storage.load())
        .unwrap_or_else(|err| panic!("{context}: load failed: {err}"))
        .expect("the slot is present");
    let (session, named) = Session::decode_snapshot(&loaded).unwrap();
    assert_eq!(named, Some(position), "{context}: the position load names");
    assert_eq!(
        session, replayed.session,
        "{context}: load and load_journal disagree"
    );
    (next, journal.base < snapshot_position.next)
}

fn parent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.session");
    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let storage = FileStorage::new(&path).unwrap();
    let start = JournalPosition::start();
    runtime
        .block_on(storage.store(snapshot_of(&base_session(), start)))
        .unwrap();
    let started = Instant::now();

    // What the children acknowledged: the records before `acknowledged`, and a compaction through
    // `compacted`.
    let mut acknowledged = 0;
    let mut compacted = 0;
    let (mut in_flight_kept, mut torn, mut mid_replace, mut split, mut compactions) =
        (0, 0, 0, 0, 0);
    for kill in 1..=KILLS {
        let context = format!("kill {kill} (seed {seed})");
        let mut process = Command::new(std::env::current_exe().unwrap())
            .arg(CHILD_ARG)
            .arg(&path)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
        let ready = Printed::read(lines.next().into_iter());
        thread::sleep(Duration::from_micros(rng.u64(..MAX_RUN.as_micros() as u64)));
        process.kill().unwrap();
        let status = process.wait().unwrap();
        assert_eq!(
            status.signal(),
            Some(9),
            "{context}: the child ended on its own: {status}"
        );
        let printed = Printed::read(lines);

        let first = ready
            .ready
            .unwrap_or_else(|| panic!("{context}: the child did not start"));
        assert_eq!(
            first, acknowledged,
            "{context}: where the child started (the slot held the records before it)"
        );
        for (offset, &index) in printed.appended.iter().enumerate() {
            assert_eq!(
                index,
                first + offset as u64,
                "{context}: acknowledged indices"
            );
        }
        acknowledged = first + printed.appended.len() as u64;
        if let Some(&through) = printed.compacted.last() {
            compacted = through;
        }
        compactions += printed.compacted.len();

        torn += usize::from(torn_bytes(storage.journal_path()) > 0);
        let (temps, unknown) = stray_files(dir.path());
        assert!(temps <= 1, "{context}: {temps} temporary files");
        assert!(
            unknown.is_empty(),
            "{context}: unexpected files {unknown:?}"
        );
        mid_replace += temps;

        let (next, between_renames) = check_slot(
            &runtime,
            &storage,
            start.epoch,
            acknowledged,
            compacted,
            &context,
        );
        split += usize::from(between_renames);
        // The append in flight made it: it is the next child's starting point, and acknowledged now.
        in_flight_kept += usize::from(next > acknowledged);
        acknowledged = next;
    }

    // The next writer cuts off whatever torn record the last child left and appends at the right index.
    let record = Record::encode_patch(start.epoch, &patch_at(acknowledged)).unwrap();
    let index = runtime
        .block_on(storage.append(start.epoch, Bytes::from(record)))
        .unwrap();
    assert_eq!(index, acknowledged, "the append after the last kill");
    assert_eq!(torn_bytes(storage.journal_path()), 0);
    check_slot(
        &runtime,
        &storage,
        start.epoch,
        acknowledged + 1,
        compacted,
        "after the last kill",
    );

    assert!(
        acknowledged >= KILLS as u64,
        "only {acknowledged} records were acknowledged in {KILLS} runs: the children hardly ran (seed {seed})"
    );
    assert!(
        compactions > 0,
        "no compaction was acknowledged (seed {seed})"
    );
    println!(
        "journal_crash: {KILLS} kills in {:.1?}, {acknowledged} records and {compactions} compactions \
         acknowledged; the append in flight had landed {in_flight_kept} times; a torn record was left {torn} \
         times, a temporary file {mid_replace} times, a journal starting before the snapshot (a compaction \
         killed between its renames) {split} times; seed {seed}",
        started.elapsed()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(CHILD_ARG) {
        child(&args[2]);
    } else {
        parent();
    }
}
