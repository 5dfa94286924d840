//! Crash safety of `FileStorage`: a child process stores alternating large (~1 MiB) and small values in a
//! loop and is killed with SIGKILL at random moments. After every kill the session file must hold one
//! complete value the child wrote (or the value stored before the child started), never a torn or partial
//! one, and the directory must hold at most one temporary file; after a final write there is none.
//!
//! The binary is both the parent (no arguments, as `cargo test` runs it) and the child (started again from
//! `std::env::current_exe()` with `--crash-child <path> <first seq>`).

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use session_core::{Bytes, Expect, SessionStorage, Version, VersionedStorage};
use session_file::FileStorage;

const CHILD_ARG: &str = "--crash-child";
/// How many times the child is killed.
const KILLS: usize = 60;
/// The longest time the parent lets the child write before killing it.
const MAX_RUN: Duration = Duration::from_millis(40);
const MAGIC: &[u8; 8] = b"CRASHV01";
const HEADER_LEN: usize = 24;
const LARGE_LEN: usize = 1 << 20;
const SMALL_LEN: usize = 100;

/// The value with sequence number `seq`: `MAGIC`, `seq` and the total length (both u64 LE), then a body
/// derived from `seq`. Even numbers are about 1 MiB, odd ones about 100 bytes; lengths vary with `seq` too.
fn value(seq: u64) -> Vec<u8> {
    let len = if seq.is_multiple_of(2) {
        LARGE_LEN + (seq % 4096) as usize
    } else {
        SMALL_LEN + (seq % 64) as usize
    };
    let mut data = Vec::with_capacity(len);
    data.extend_from_slice(MAGIC);
    data.extend_from_slice(&seq.to_le_bytes());
    data.extend_from_slice(&(len as u64).to_le_bytes());
    data.extend((HEADER_LEN..len).map(|i| body_byte(seq, i)));
    data
}

fn body_byte(seq: u64, index: usize) -> u8 {
    let mixed = (seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ index as u64)
        .wrapping_mul(0xff51_afd7_ed55_8ccd);
    (mixed >> 56) as u8
}

/// The sequence number of `data` if it is exactly one complete value, or what is wrong with it.
fn check(data: &[u8]) -> Result<u64, String> {
    if data.len() < HEADER_LEN || &data[..8] != MAGIC {
        return Err(format!("no valid header in {} bytes", data.len()));
    }
    let seq = u64::from_le_bytes(data[8..16].try_into().unwrap());
    let expected = value(seq);
    if data.len() != expected.len() {
        return Err(format!(
            "value {seq} is {} bytes, expected {}",
            data.len(),
            expected.len()
        ));
    }
    match data.iter().zip(&expected).position(|(a, b)| a != b) {
        Some(at) => Err(format!("value {seq} differs at byte {at}")),
        None => Ok(seq),
    }
}

/// The child: stores values `first`, `first + 1`, ... forever, every third one with `store_if`.
fn child(path: &str, first: u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let storage = FileStorage::new(path).unwrap();
        let mut version = storage.load_versioned().await.unwrap().map(|(_, v)| v);
        println!("ready");
        for seq in first.. {
            let data = Bytes::from(value(seq));
            if seq.is_multiple_of(3) {
                let expect = version.map_or(Expect::Absent, Expect::Version);
                version = Some(storage.store_if(data, expect).await.unwrap());
            } else {
                version = Some(Version::of_content(&data));
                storage.store(data).await.unwrap();
            }
        }
    });
}

/// The temporary files and unexpected files in `dir`.
fn stray_files(dir: &Path) -> (usize, Vec<String>) {
    let mut temps = 0;
    let mut unknown = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        match name.as_str() {
            "crash.session" | ".crash.session.lock" => {}
            ".crash.session.tmp" => temps += 1,
            _ if name.ends_with(".tmp") => temps += 1,
            _ => unknown.push(name),
        }
    }
    (temps, unknown)
}

fn parent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.session");
    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let storage = FileStorage::new(&path).unwrap();
    let started = Instant::now();

    let mut stored: Option<u64> = None;
    let (mut large, mut small, mut mid_write) = (0, 0, 0);
    for kill in 1..=KILLS {
        let first = stored.map_or(0, |seq| seq + 1);
        let mut process = Command::new(std::env::current_exe().unwrap())
            .arg(CHILD_ARG)
            .arg(&path)
            .arg(first.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(process.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line, "ready\n",
            "kill {kill}: the child did not start (seed {seed})"
        );
        thread::sleep(Duration::from_micros(rng.u64(..MAX_RUN.as_micros() as u64)));
        process.kill().unwrap();
        let status = process.wait().unwrap();
        assert_eq!(
            status.signal(),
            Some(9),
            "kill {kill}: the child ended on its own: {status} (seed {seed})"
        );

        let loaded = runtime.block_on(storage.load()).unwrap();
        let seq = match loaded {
            Some(data) => check(&data).unwrap_or_else(|problem| {
                panic!("kill {kill}: torn value: {problem} (seed {seed})")
            }),
            None => {
                assert_eq!(
                    stored, None,
                    "kill {kill}: the value vanished (seed {seed})"
                );
                continue;
            }
        };
        assert!(
            Some(seq) == stored || seq >= first,
            "kill {kill}: loaded value {seq}, which is neither the previous value {stored:?} nor one written \
             after it (from {first}) (seed {seed})"
        );
        if seq.is_multiple_of(2) {
            large += 1
        } else {
            small += 1
        }
        let (temps, unknown) = stray_files(dir.path());
        assert!(
            temps <= 1,
            "kill {kill}: {temps} temporary files (seed {seed})"
        );
        assert!(
            unknown.is_empty(),
            "kill {kill}: unexpected files {unknown:?} (seed {seed})"
        );
        mid_write += temps;
        stored = Some(seq);
    }

    // The next writer removes whatever temporary file the last killed one left.
    let last = stored.map_or(0, |seq| seq + 1);
    runtime
        .block_on(storage.store(Bytes::from(value(last))))
        .unwrap();
    assert_eq!(
        stray_files(dir.path()),
        (0, Vec::new()),
        "after the final store"
    );
    assert_eq!(check(&fs::read(&path).unwrap()), Ok(last));

    assert!(
        large > 0 && small > 0,
        "kills found only large ({large}) or only small ({small}) values (seed {seed})"
    );
    assert!(
        mid_write > 0,
        "no kill interrupted a write, so nothing was tested (seed {seed})"
    );
    println!(
        "crash: {KILLS} kills in {:.1?}, {last} values written; after the kills the file held a large value {large} \
         times and a small one {small} times; {mid_write} kills interrupted a write (temporary file left); seed {seed}",
        started.elapsed()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(CHILD_ARG) {
        child(&args[2], args[3].parse().unwrap());
    } else {
        parent();
    }
}
