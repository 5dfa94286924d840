//! What the tests of the `tgsession` binary share: running it, the vectors, and checks on its output.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use session_interop::{read, Format, Session};

/// The key id of the vectors' fake key `00 01 .. ff`.
pub(crate) const KEY_ID: &str = "32d1586ea457dfc8";

/// The vectors' key bytes as hex, which no output may contain.
pub(crate) const KEY_HEX_START: &str = "000102030405060708090a0b0c0d0e0f";

/// The path of a vector made by a real library (`session-interop/tests/vectors/<name>`).
pub(crate) fn vector(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../session-interop/tests/vectors")
        .join(name)
}

/// The bytes of a vector.
pub(crate) fn vector_bytes(name: &str) -> Vec<u8> {
    std::fs::read(vector(name)).unwrap_or_else(|err| panic!("{name}: {err}"))
}

/// The session a vector holds, read by `session_interop` as `format`.
pub(crate) fn vector_session(name: &str, format: Format) -> Session {
    read(format, &vector_bytes(name))
        .unwrap_or_else(|err| panic!("{name}: {err}"))
        .session
}

/// A finished run of the binary.
#[derive(Debug)]
pub(crate) struct Run {
    /// The exit code.
    pub(crate) code: i32,
    /// Standard output.
    pub(crate) stdout: Vec<u8>,
    /// Standard error.
    pub(crate) stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().expect("the binary exited, not killed"),
            stdout: output.stdout,
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Standard output as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    /// Standard output parsed as one JSON value.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err}): {}", self.text()))
    }

    /// Asserts the run succeeded.
    pub(crate) fn ok(self) -> Run {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        self
    }

    /// Asserts the run failed with `code` and reported it as one line `tgsession: <reason>; <fix>` that
    /// contains `needle`; returns that line.
    pub(crate) fn fails(&self, code: i32, needle: &str) -> String {
        assert_eq!(self.code, code, "stderr: {}", self.stderr);
        let last = self.stderr.lines().last().unwrap_or_default().to_owned();
        assert!(last.starts_with("tgsession: "), "{}", self.stderr);
        assert!(last.contains("; "), "no fix in {last:?}");
        assert!(last.contains(needle), "{needle:?} not in {last:?}");
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        last
    }
}

/// A command for the binary with `args`.
pub(crate) fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tgsession"));
    command.args(args);
    command
}

/// Runs the binary with `args` and no input.
pub(crate) fn run(args: &[&str]) -> Run {
    run_command(command(args), b"")
}

/// Runs the binary with `args` and `input` on standard input.
pub(crate) fn run_with_stdin(args: &[&str], input: &[u8]) -> Run {
    run_command(command(args), input)
}

/// Runs `command` with `input` on standard input.
pub(crate) fn run_command(mut command: Command, input: &[u8]) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    // The binary may exit before reading everything (a usage error); a broken pipe is fine then.
    let _ = stdin.write_all(input);
    drop(stdin);
    Run::from(child.wait_with_output().expect("the binary runs"))
}

/// A path as a `&str` for arguments.
pub(crate) fn arg(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// The permission bits of a file.
pub(crate) fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// A random name (`what-<hex>`) for slots, schemas and buckets.
pub(crate) fn random_name(what: &str) -> String {
    format!("{what}-{:016x}", fastrand::u64(..))
}

/// Runs `count` copies of the binary with `args` at once and returns their exit codes.
pub(crate) fn race(count: usize, args: &[&str]) -> Vec<i32> {
    let children: Vec<_> = (0..count)
        .map(|_| {
            command(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("the binary starts")
        })
        .collect();
    children
        .into_iter()
        .map(|mut child| child.wait().expect("waits").code().expect("exited"))
        .collect()
}

/// Asserts that of racing copies exactly one succeeded and every other found the destination taken.
pub(crate) fn assert_one_winner(codes: &[i32]) {
    assert_eq!(
        codes.iter().filter(|&&code| code == 0).count(),
        1,
        "{codes:?}"
    );
    assert!(
        codes.iter().all(|&code| code == 0 || code == 3),
        "{codes:?}"
    );
}

/// Asserts two sessions are the same account: home DC, addresses, key, user, update state, peers.
pub(crate) fn assert_same_session(found: &Session, expected: &Session) {
    assert_eq!(found.home_dc, expected.home_dc);
    assert_eq!(found.home_auth_key(), expected.home_auth_key());
    assert_eq!(found, expected);
}

/// Creates a bucket with a random name on the S3 test server with the raw client (the adapter never creates
/// buckets); fails with instructions when the server's settings are missing.
pub(crate) async fn s3_bucket() -> String {
    let bucket = random_name("tgsession-cli");
    let client = s3_config(&bucket)
        .build_client()
        .expect("a client for the test server");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|err| panic!("cannot create bucket {bucket}: {err:?}"));
    bucket
}

/// An S3 URL for a new random slot in `bucket`, on the test server.
pub(crate) fn s3_url(bucket: &str) -> String {
    format!(
        "s3://{bucket}?slot={}&endpoint={}",
        random_name("slot"),
        session_conformance::services::setting("TGSESSION_S3_ENDPOINT")
    )
}

/// The configuration of `bucket` on the S3 test server.
pub(crate) fn s3_config(bucket: &str) -> session_s3::S3Config {
    use session_conformance::services::setting;
    session_s3::S3Config::new(bucket)
        .endpoint(setting("TGSESSION_S3_ENDPOINT"))
        .credentials(
            setting("AWS_ACCESS_KEY_ID"),
            setting("AWS_SECRET_ACCESS_KEY"),
        )
}
