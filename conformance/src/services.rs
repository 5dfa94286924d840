//! The test servers that `scripts/services` starts, for the server adapters' tests: their connection
//! settings, and stopping and starting them for restart tests.
//!
//! Server tests read their settings with [`setting`], which fails the test with instructions when the variable
//! is missing, so a server test never passes without its server. Put them in a module named `server`, so that
//! `TGSESSION_SKIP_SERVER_TESTS=1 ./scripts/test` (the documented opt-out) can leave them out by name.

use std::process::Command;

/// The value of the environment variable `name` (such as `TGSESSION_REDIS_URL`).
///
/// # Panics
///
/// When it is not set, with a message saying how to start the servers: a server test must fail, never pass,
/// when its server is missing.
pub fn setting(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!(
            "{name} is not set, so this test has no server to talk to. Run the tests with ./scripts/test, which \
             starts Redis, PostgreSQL and an S3 server and sets it, or start them yourself with \
             `eval \"$(scripts/services start)\"`. To run only the tests that need no server, use \
             `TGSESSION_SKIP_SERVER_TESTS=1 ./scripts/test`."
        ),
    }
}

/// Stops the test server `service` (`redis`, `postgres` or `s3`) and waits until it is gone.
///
/// # Panics
///
/// When the services were not started by `scripts/services` or the script fails.
pub fn stop(service: &str) {
    control("stop", service);
}

/// Starts the test server `service` again, on the same port, and waits until it accepts connections.
///
/// # Panics
///
/// When the services were not started by `scripts/services` or the script fails.
pub fn start(service: &str) {
    control("start", service);
}

fn control(action: &str, service: &str) {
    let script = setting("TGSESSION_SERVICES");
    let output = Command::new(&script)
        .args([action, service])
        .output()
        .unwrap_or_else(|err| panic!("cannot run {script} {action} {service}: {err}"));
    assert!(
        output.status.success(),
        "{script} {action} {service} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
