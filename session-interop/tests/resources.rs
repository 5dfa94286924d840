//! What reading costs, measured in child processes (this test binary run again on one input, see
//! [`child_process`]): hostile SQLite files of up to 10 MB take at most 256 MiB and 2 s of CPU time, no read
//! of any of them writes a temporary file, and `read_any` (which runs every reader) on large inputs of every
//! kind peaks at most at twice the input plus 64 MiB.
#![cfg(target_os = "linux")]

mod hostile;

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use hostile::{Bomb, TARGETS};
use rusqlite::Connection;
use session_interop::read_any;

/// The environment variable that makes [`child_process`] read the file it names.
const CHILD_INPUT: &str = "TGSESSION_INTEROP_CHILD_INPUT";

/// The address space a child may use: a regression that runs away fails its test instead of taking the
/// machine's memory.
const CHILD_ADDRESS_SPACE: u64 = 4 << 30;

const MIB: u64 = 1 << 20;

/// Not a test of its own: the body of the child processes the other tests start. Without [`CHILD_INPUT`]
/// it does nothing. With it, it reads every file it names (a file, or each file of a directory) with
/// `read_any` and prints one line per file: the process's peak resident memory so far, the CPU time of the
/// read and its outcome.
#[test]
fn child_process() {
    let Some(input) = std::env::var_os(CHILD_INPUT) else {
        return;
    };
    let limit = rustix::process::Rlimit {
        current: Some(CHILD_ADDRESS_SPACE),
        maximum: Some(CHILD_ADDRESS_SPACE),
    };
    rustix::process::setrlimit(rustix::process::Resource::As, limit).unwrap();
    let input = PathBuf::from(input);
    let mut files = if input.is_dir() {
        fs::read_dir(&input)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect()
    } else {
        vec![input]
    };
    files.sort();
    for file in files {
        let bytes = fs::read(&file).unwrap();
        let (before, written_before) = (cpu_time(), bytes_written());
        let outcome = match read_any(&bytes) {
            Ok((format, _)) => format!("read as {format}"),
            Err(err) => format!("{err:?}").chars().take(60).collect(),
        };
        let (cpu, written) = (cpu_time() - before, bytes_written() - written_before);
        println!(
            "CHILD-REPORT peak_kib={} cpu_ms={} written={written} file={} outcome={}",
            peak_kib(),
            cpu.as_millis(),
            file.file_name().unwrap().to_string_lossy(),
            outcome.replace('\n', " ")
        );
    }
}

/// The CPU time (user and system) this process has used.
fn cpu_time() -> Duration {
    let stat = fs::read_to_string("/proc/self/stat").unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the file (utime, stime), in clock ticks of 1/100 s on Linux.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

/// The bytes this process has passed to `write` and its kin, to any file, pipe or terminal (`wchar`).
fn bytes_written() -> u64 {
    let io = fs::read_to_string("/proc/self/io").unwrap();
    let line = io.lines().find(|line| line.starts_with("wchar:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// This process's peak resident memory (`VmHWM`), in KiB.
fn peak_kib() -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// One line of a child's report.
#[derive(Debug)]
struct Read {
    file: String,
    peak: u64,
    cpu: Duration,
    /// Bytes written (by `write` and its kin, to anything) during the read.
    written: u64,
    outcome: String,
}

/// Runs [`child_process`] on `input` with the environment `env` added; every file's report.
fn in_child(input: &Path, env: &[(&str, OsString)]) -> Vec<Read> {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_INPUT, input)
        .envs(env.iter().map(|(name, value)| (name, value)))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the child reading {} failed ({}): {stdout} {}",
        input.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let reads: Vec<Read> = stdout
        .lines()
        // The test harness may print its own `test child_process ... ` before the first report on its line.
        .filter_map(|line| line.split_once("CHILD-REPORT ").map(|(_, report)| report))
        .map(|line| {
            let field = |name: &str| {
                let start = line.find(&format!("{name}=")).unwrap() + name.len() + 1;
                let end = line[start..]
                    .find(' ')
                    .map_or(line.len(), |end| start + end);
                line[start..end].to_owned()
            };
            Read {
                file: field("file"),
                peak: field("peak_kib").parse::<u64>().unwrap() * 1024,
                cpu: Duration::from_millis(field("cpu_ms").parse().unwrap()),
                written: field("written").parse().unwrap(),
                outcome: line[line.find("outcome=").unwrap() + 8..].to_owned(),
            }
        })
        .collect();
    assert!(!reads.is_empty(), "no report from the child: {stdout}");
    reads
}

/// A directory for inputs, with `files` written into it.
fn inputs(files: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

// ------------------------------------------------------------------ hostile SQLite files up to 10 MB

/// A Telethon file whose schema also holds ten views of a megabyte of SQL each: `1 IN (1, 1, ...)`, which
/// SQLite would keep as a parse tree of about fifty times the text's size.
fn schema_bomb() -> Vec<u8> {
    let base = hostile::telethon();
    let mut db = Connection::open_in_memory().unwrap();
    db.deserialize_read_exact(rusqlite::MAIN_DB, &base[..], base.len(), false)
        .unwrap();
    db.execute_batch("PRAGMA writable_schema = ON").unwrap();
    for index in 0..10 {
        let name = format!("hostile_{index}");
        let sql = format!(
            "CREATE VIEW {name} AS SELECT 1 IN ({}1)",
            "1,".repeat(480_000)
        );
        db.execute(
            "INSERT INTO sqlite_master VALUES ('view', ?1, ?1, 0, ?2)",
            [&name, &sql],
        )
        .unwrap();
    }
    hostile::serialize(db)
}

/// A Pyrogram file of about 10 MB of peers, which reads.
fn many_peers() -> Vec<u8> {
    hostile::edited(
        &hostile::pyrogram(),
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 170000)
         INSERT INTO peers (id, access_hash, type, username, phone_number, last_update_on)
             SELECT 1000 + i, i, 'user', NULL, NULL, 0 FROM n;",
    )
}

/// A Telethon file of about 10 MB whose `entities.name` is a virtual generated column of a megabyte of text
/// per row (the 368 KB file took 15–24 s, its 3.6 MB one over 60 s, before the schema was checked).
fn large_generated_column() -> Vec<u8> {
    let filled = hostile::edited(
        &hostile::telethon(),
        "DROP TABLE entities;
         CREATE TABLE entities (id integer primary key, hash integer not null, username text,
             phone integer, date integer);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
         INSERT INTO entities (id, hash, username, date) SELECT i, i, 'user' || i, 1700000000 FROM n;",
    );
    hostile::with_create_statement(
        &filled,
        "entities",
        "CREATE TABLE entities (id integer primary key, hash integer not null, username text,
             phone integer, name text AS (hex(zeroblob(500000 + id % 2))) VIRTUAL, date integer)",
    )
}

#[test]
fn hostile_sqlite_files_of_up_to_10_mb_take_at_most_256_mib_and_2_s_of_cpu() {
    let target = |name: &str| TARGETS.iter().find(|target| target.name == name).unwrap();
    let files = [
        ("schema_bomb", schema_bomb()),
        // 400 × 400 × 400 copies of the peers: a scan that never ends, and a heap that grows with it.
        (
            "shared_pages",
            hostile::shared_pages(&hostile::pyrogram(), "peers", 400, 2),
        ),
        (
            "sorted_generated_column",
            target("grammers").build(Bomb::GeneratedColumn),
        ),
        (
            "generated_column",
            target("Pyrogram").build(Bomb::GeneratedColumn),
        ),
        ("generated_column_10mb", large_generated_column()),
        ("many_peers", many_peers()),
    ];
    let dir = inputs(&files);
    let mut failures = Vec::new();
    for (name, bytes) in &files {
        assert!(bytes.len() <= 10_000_000, "{name}: {} bytes", bytes.len());
        let read = in_child(&dir.path().join(name), &[]).remove(0);
        eprintln!("{name}: {} bytes: {read:?}", bytes.len());
        let expected = if *name == "many_peers" {
            "read as pyrogram-sqlite"
        } else {
            "Unrecognized"
        };
        if read.peak > 256 * MIB {
            failures.push(format!("{name}: a peak of {} MiB", read.peak / MIB));
        }
        if read.cpu > Duration::from_secs(2) {
            failures.push(format!("{name}: {:?} of CPU time", read.cpu));
        }
        if !read.outcome.starts_with(expected) {
            failures.push(format!("{name}: {}", read.outcome));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Every bomb of every SQLite format (and, as a sort bomb, each format's table of 400 × 400 × 400 rows made of
/// shared pages), read one after the other by one child: none writes a temporary file, each is refused within
/// 2 s of CPU time, and the child never holds more than 256 MiB; the unaltered files read.
#[test]
fn no_read_writes_a_temporary_file() {
    let mut files = Vec::new();
    for target in &TARGETS {
        // Reports are split at spaces.
        let name = target.name.replace(' ', "_");
        for bomb in Bomb::ALL {
            files.push((format!("{name}_{bomb:?}"), target.build(bomb)));
        }
        files.push((format!("{name}_SortBomb"), target.shared_pages(2)));
        files.push((format!("{name}_as_is"), (target.base)()));
    }
    let files: Vec<(&str, Vec<u8>)> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.clone()))
        .collect();
    let dir = inputs(&files);
    // SQLite puts its temporary files in the directory these name, as files without a name (`O_TMPFILE`)
    // where the system allows, so neither the directory's listing nor its modification time shows them: the
    // child counts every byte it writes anywhere while it reads.
    let temp = tempfile::tempdir().unwrap();
    let env = [
        ("SQLITE_TMPDIR", temp.path().as_os_str().to_owned()),
        ("TMPDIR", temp.path().as_os_str().to_owned()),
    ];
    let reads = in_child(dir.path(), &env);
    assert_eq!(reads.len(), files.len(), "{reads:?}");
    let writers: Vec<String> = reads
        .iter()
        .filter(|read| read.written > 0)
        .map(|read| format!("{}: {} bytes", read.file, read.written))
        .collect();
    assert!(writers.is_empty(), "reads that wrote: {writers:#?}");
    assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 0);
    let mut failures = Vec::new();
    for read in &reads {
        let expected = if read.file.ends_with("_as_is") {
            "read as"
        } else {
            "Unrecognized"
        };
        if !read.outcome.starts_with(expected) {
            failures.push(format!("{}: {}", read.file, read.outcome));
        }
        if read.cpu > Duration::from_secs(2) {
            failures.push(format!("{}: {:?} of CPU time", read.file, read.cpu));
        }
        if read.peak > 256 * MIB {
            failures.push(format!("{}: a peak of {} MiB", read.file, read.peak / MIB));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ------------------------------------------------------------------ large inputs of every kind

/// The size of each large input.
const LARGE: usize = 80 << 20;

/// A valid gotd session whose `Config` has one more field: an array of `LARGE` bytes of zeros.
fn large_json() -> Vec<u8> {
    let vector = include_str!("vectors/gotd_session_v1_CONSTRUCTED.json");
    let (head, tail) = vector.split_once("\"Config\":{").unwrap();
    let mut json = Vec::with_capacity(LARGE + vector.len() + 32);
    json.extend_from_slice(head.as_bytes());
    json.extend_from_slice(b"\"Config\":{\"Unknown\":[0");
    while json.len() < LARGE {
        json.extend_from_slice(b",0");
    }
    json.extend_from_slice(b"],");
    json.extend_from_slice(tail.as_bytes());
    json
}

/// Text that every base64 reader's alphabet allows, framed as Telethon and GramJS strings are.
fn large_base64() -> Vec<u8> {
    let mut text = vec![b'A'; LARGE];
    text[0] = b'1';
    text
}

/// A Telethon file of `LARGE` bytes with a large cache of sent files and many entities with long names
/// (which a session drops), as an account that has been busy for years has; it reads.
fn large_sqlite() -> Vec<u8> {
    let bytes = hostile::edited(
        &hostile::telethon(),
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 70000)
         INSERT INTO entities (id, hash, username, phone, name, date)
             SELECT 1000 + i, i, 'user' || i, NULL, printf('%.600c', 'x'), 1700000000 FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600000)
         INSERT INTO sent_files SELECT randomblob(16), i, 0, i, i FROM n;",
    );
    assert!(bytes.len() >= LARGE, "{} bytes", bytes.len());
    bytes
}

/// `LARGE` bytes of noise.
fn random_bytes() -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    (0..LARGE)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

#[test]
fn read_any_peaks_at_most_at_twice_its_input_plus_64_mib() {
    let files = [
        ("json", large_json()),
        ("base64", large_base64()),
        ("sqlite", large_sqlite()),
        ("random", random_bytes()),
    ];
    let dir = inputs(&files);
    let mut failures = Vec::new();
    for (name, bytes) in &files {
        let read = in_child(&dir.path().join(name), &[]).remove(0);
        eprintln!("{name}: {} bytes: {read:?}", bytes.len());
        let input = u64::try_from(bytes.len()).unwrap();
        if read.peak > 2 * input + 64 * MIB {
            failures.push(format!(
                "{name}: a peak of {} MiB for {} MiB of input",
                read.peak / MIB,
                input / MIB
            ));
        }
        let expected = match *name {
            "json" => "read as gotd-json",
            "sqlite" => "read as telethon-sqlite",
            _ => "Unrecognized",
        };
        if !read.outcome.starts_with(expected) {
            failures.push(format!("{name}: {}", read.outcome));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
