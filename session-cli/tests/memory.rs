//! What a huge or endless input costs the binary, measured as the peak resident memory of the process
//! (`ru_maxrss` from `wait4`): the 256 MiB input cap is enforced while reading, so `inspect /dev/zero`, and
//! the same endless input on standard input, fail once past the cap having held little more than it (not
//! twice it, as a vector grown by doubling would); and a large gotd JSON session with one large unknown
//! field (which a reader that buffers unknown fields would hold many times over) peaks at most at twice its
//! size plus 64 MiB.
//!
//! Each run is measured in a child process of its own ([`measuring_child`]).

#![cfg(target_os = "linux")]

mod support;

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};

use support::{arg, vector_bytes};

const MIB: u64 = 1 << 20;

/// The input cap of the binary.
const CAP: u64 = 256 * MIB;

/// The environment variable that makes [`measuring_child`] run the binary: the arguments, one per line.
const CHILD_ARGS: &str = "TGSESSION_MEMORY_CHILD_ARGS";

/// The environment variable naming the file [`measuring_child`] gives the binary on standard input.
const CHILD_STDIN: &str = "TGSESSION_MEMORY_CHILD_STDIN";

/// A finished run: exit code, standard error and peak resident memory in bytes.
struct Measured {
    code: i32,
    stderr: String,
    peak: u64,
}

/// Not a test of its own: the body of the child processes [`measure`] starts (this test binary run again).
/// Without [`CHILD_ARGS`] it does nothing. With it, it runs the binary with those arguments (standard input
/// from the file [`CHILD_STDIN`] names, or none), waits for it and prints its exit code and the peak
/// resident memory of its children, which are that one run: `getrusage(RUSAGE_CHILDREN)` covers every
/// child a process has waited for, so the measuring is done in a process that has no other child.
#[test]
fn measuring_child() {
    let Some(args) = std::env::var_os(CHILD_ARGS) else {
        return;
    };
    let args = args.into_string().unwrap();
    let args: Vec<&str> = args.lines().collect();
    let stdin = std::env::var_os(CHILD_STDIN)
        .map_or_else(Stdio::null, |path| Stdio::from(File::open(path).unwrap()));
    let status = support::command(&args)
        .stdin(stdin)
        .stdout(Stdio::null())
        .status()
        .expect("the binary runs");
    let usage =
        nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).unwrap();
    println!(
        "MEMORY-CHILD code={} peak_kib={}",
        status.code().expect("the binary exited, not killed"),
        usage.max_rss()
    );
}

/// Runs the binary with `args` (and standard input from `stdin`, if given) in a [`measuring_child`], and
/// returns its exit code, standard error and peak resident memory.
fn measure(args: &[&str], stdin: Option<&Path>) -> Measured {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "measuring_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ARGS, args.join("\n"));
    if let Some(path) = stdin {
        command.env(CHILD_STDIN, path);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "the measuring child failed: {stdout} {stderr}"
    );
    let report = stdout
        .split_once("MEMORY-CHILD ")
        .map(|(_, report)| report.lines().next().unwrap_or_default())
        .unwrap_or_else(|| panic!("no report from the measuring child: {stdout} {stderr}"));
    let field = |name: &str| -> u64 {
        let start = report.find(&format!("{name}=")).unwrap() + name.len() + 1;
        let value = report[start..].split_whitespace().next().unwrap();
        value.parse().unwrap()
    };
    Measured {
        code: i32::try_from(field("code")).unwrap(),
        stderr,
        peak: field("peak_kib") * 1024,
    }
}

/// Asserts that `run` refused an input larger than the cap, within the cap plus 64 MiB of memory.
fn assert_refused_within_the_cap(run: &Measured, what: &str) {
    assert_eq!(run.code, 1, "{what}: {}", run.stderr);
    assert!(
        run.stderr.contains("larger than 256 MiB"),
        "{what}: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    eprintln!("{what}: peak {} MiB", run.peak / MIB);
    assert!(
        run.peak <= CAP + 64 * MIB,
        "{what}: a peak of {} MiB for a cap of {} MiB",
        run.peak / MIB,
        CAP / MIB
    );
}

#[test]
fn an_endless_file_fails_at_the_cap_without_holding_twice_it() {
    let run = measure(&["inspect", "/dev/zero"], None);
    assert_refused_within_the_cap(&run, "inspect /dev/zero");
}

#[test]
fn an_endless_standard_input_fails_at_the_cap_without_holding_twice_it() {
    let run = measure(&["inspect", "-"], Some(Path::new("/dev/zero")));
    assert_refused_within_the_cap(&run, "inspect - < /dev/zero");
}

/// The vectors' gotd session with one more field in `Config`: an array of zeros of `size` bytes.
fn gotd_with_a_large_unknown_field(size: usize) -> Vec<u8> {
    let vector = String::from_utf8(vector_bytes("gotd_session_v1_CONSTRUCTED.json")).unwrap();
    let (head, tail) = vector.split_once("\"Config\":{").unwrap();
    let mut json = Vec::with_capacity(size + vector.len() + 32);
    json.extend_from_slice(head.as_bytes());
    json.extend_from_slice(b"\"Config\":{\"Unknown\":[0");
    while json.len() < size {
        json.extend_from_slice(b",0");
    }
    json.extend_from_slice(b"],");
    json.extend_from_slice(tail.as_bytes());
    json
}

#[test]
fn a_large_gotd_session_with_a_large_unknown_field_peaks_at_twice_its_size_plus_64_mib() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.json");
    let json = gotd_with_a_large_unknown_field(100 << 20);
    std::fs::write(&path, &json).unwrap();
    let input = u64::try_from(json.len()).unwrap();
    drop(json);

    let cases: [(&str, Vec<&str>, Option<&Path>); 3] = [
        ("file", vec!["inspect", arg(&path)], None),
        (
            "file as gotd-json",
            vec!["inspect", "--from", "gotd-json", arg(&path)],
            None,
        ),
        ("stdin", vec!["inspect", "-"], Some(&path)),
    ];
    for (case, args, stdin) in cases {
        let run = measure(&args, stdin);
        assert_eq!(run.code, 0, "{case}: {}", run.stderr);
        eprintln!("{case}: peak {} MiB", run.peak / MIB);
        assert!(
            run.peak <= 2 * input + 64 * MIB,
            "{case}: a peak of {} MiB for {} MiB of input",
            run.peak / MIB,
            input / MIB
        );
    }
}
