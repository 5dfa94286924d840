//! Machinery for tests that run real processes: a test binary that starts itself again as children, talks
//! with them line by line, freezes and resumes them, and an append-only log whose order is their order in
//! time.
//!
//! The binary is both the parent and the children: a child is started from `std::env::current_exe()` with
//! environment variables naming its role (the test decides which), prints one line per event on stdout
//! ([`say`]), and waits for its stdin to close where it must wait for the parent ([`wait_for_parent`]).
//! [`Kids`] starts the children and kills and reaps them whatever happens. Children that must record what
//! they did in the order they did it append to a [hold log](log_event) under an exclusive lock.
//! [`lease_processes`](crate::lease_processes) uses it for the server backends' leases.

#![cfg(unix)]

use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{kill_process, waitpid, Pid, Signal, WaitOptions};
use session_core::FencingToken;

/// The longest the parent waits for a child's next line.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// In a child: prints `line` to the parent at once.
///
/// # Panics
///
/// When stdout is closed (the parent is gone).
pub fn say(line: &str) {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}").expect("write to the parent");
    stdout.flush().expect("flush to the parent");
}

/// In a child: waits until the parent closes its stdin ([`Kids::release`]), the barrier that releases
/// children at (nearly) the same moment.
///
/// # Panics
///
/// When stdin cannot be read.
pub fn wait_for_parent() {
    std::io::stdin()
        .read_to_end(&mut Vec::new())
        .expect("read stdin");
}

/// In a child: the next line the parent [told](Kids::tell) it, without its newline; `None` once the parent
/// closed its stdin.
///
/// # Panics
///
/// When stdin cannot be read.
pub fn wait_for_line() -> Option<String> {
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line).expect("read stdin");
    (read > 0).then(|| line.trim_end_matches('\n').to_string())
}

/// One child process, with the write end of its stdin while the parent keeps it open.
#[derive(Debug)]
struct Kid {
    name: String,
    process: Child,
    stdin: Option<ChildStdin>,
    /// Whether its output ended.
    ended: bool,
    /// Whether the parent killed it (and reaped it).
    killed: bool,
}

/// The children of one trial, as the parent sees them.
///
/// A thread per child forwards its stdout lines (then `None` at its end) to one channel, so the parent
/// reads them in the order they came. Dropping it kills and reaps every child still running (stopped ones
/// too), also when an assertion failed. A child's stderr goes to the parent's, so its panic is shown.
#[derive(Debug)]
pub struct Kids {
    kids: Vec<Kid>,
    sender: Sender<(usize, Option<String>)>,
    lines: Receiver<(usize, Option<String>)>,
}

impl Default for Kids {
    fn default() -> Kids {
        Kids::new()
    }
}

impl Kids {
    /// No children yet.
    pub fn new() -> Kids {
        let (sender, lines) = mpsc::channel();
        Kids {
            kids: Vec::new(),
            sender,
            lines,
        }
    }

    /// Starts this binary again as a child named `name` (in messages), with `env` added to the environment;
    /// returns its index.
    ///
    /// # Panics
    ///
    /// When the child cannot be started.
    pub fn spawn(&mut self, name: &str, env: &[(&str, &OsStr)]) -> usize {
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut process = Command::new(exe)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {name}: {err}"));
        let index = self.kids.len();
        let stdout = BufReader::new(process.stdout.take().expect("a piped stdout"));
        let sender = self.sender.clone();
        thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if sender.send((index, Some(line))).is_err() {
                    return;
                }
            }
            let _ = sender.send((index, None));
        });
        let stdin = process.stdin.take();
        self.kids.push(Kid {
            name: name.to_string(),
            process,
            stdin,
            ended: false,
            killed: false,
        });
        index
    }

    /// The name of child `index`.
    pub fn name(&self, index: usize) -> &str {
        &self.kids[index].name
    }

    /// The next message of any child: a line, or `None` when its output ended.
    fn recv(&self, context: &str) -> (usize, Option<String>) {
        self.lines
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|err| panic!("{context}: nothing from the children: {err}"))
    }

    /// Marks child `index`'s output ended; panics if every child's has, as nothing more can come.
    fn ended(&mut self, index: usize, context: &str) {
        self.kids[index].ended = true;
        assert!(
            !self.kids.iter().all(|kid| kid.ended),
            "{context}: every child ended its output (a child's panic is on stderr above)"
        );
    }

    /// The next line of any child, with the child's index.
    ///
    /// # Panics
    ///
    /// When no line comes within [`PATIENCE`], or every child ended its output.
    pub fn next(&mut self, context: &str) -> (usize, String) {
        loop {
            match self.recv(context) {
                (index, Some(line)) => return (index, line),
                (index, None) => self.ended(index, context),
            }
        }
    }

    /// The next line, which must come from child `index`.
    ///
    /// # Panics
    ///
    /// When no line comes within [`PATIENCE`], another child's line comes first, or child `index` ended
    /// its output.
    pub fn next_from(&mut self, index: usize, context: &str) -> String {
        loop {
            match self.recv(context) {
                (from, Some(line)) if from == index => return line,
                (from, Some(line)) => panic!(
                    "{context}: unexpected line {line:?} from {}",
                    self.kids[from].name
                ),
                (from, None) if from == index => panic!(
                    "{context}: {} ended its output unexpectedly (its panic, if any, is on stderr above)",
                    self.kids[index].name
                ),
                (from, None) => self.ended(from, context),
            }
        }
    }

    /// A message that already came, if any: a line, or `None` when a child's output ended.
    pub fn try_next(&self) -> Option<(usize, Option<String>)> {
        self.lines.try_recv().ok()
    }

    /// Writes `line` to child `index`'s stdin (read with [`wait_for_line`]).
    ///
    /// # Panics
    ///
    /// When its stdin was closed or cannot be written.
    pub fn tell(&mut self, index: usize, line: &str) {
        let kid = &mut self.kids[index];
        let stdin = kid.stdin.as_mut().expect("the child's stdin is open");
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|err| panic!("cannot write to {}: {err}", kid.name));
    }

    /// Closes every child's stdin, which releases the children waiting for it ([`wait_for_parent`]) at
    /// (nearly) the same moment.
    pub fn release(&mut self) {
        for kid in &mut self.kids {
            kid.stdin = None;
        }
    }

    fn pid(&self, index: usize) -> Pid {
        Pid::from_child(&self.kids[index].process)
    }

    /// Freezes child `index` with SIGSTOP and waits until all its threads stopped.
    ///
    /// # Panics
    ///
    /// When the signal cannot be sent or the child does not stop (it exited, say).
    pub fn stop(&self, index: usize) {
        let pid = self.pid(index);
        kill_process(pid, Signal::STOP).expect("send SIGSTOP");
        let (_, status) = waitpid(Some(pid), WaitOptions::UNTRACED)
            .expect("wait for the child to stop")
            .expect("the child's status");
        assert!(
            status.stopped(),
            "{} did not stop: {status:?}",
            self.kids[index].name
        );
    }

    /// Resumes child `index`, frozen by [`stop`](Self::stop), with SIGCONT.
    ///
    /// # Panics
    ///
    /// When the signal cannot be sent.
    pub fn resume(&self, index: usize) {
        kill_process(self.pid(index), Signal::CONT).expect("send SIGCONT");
    }

    /// Kills child `index` with SIGKILL and reaps it.
    ///
    /// # Panics
    ///
    /// When it cannot be killed, or did not die of the signal.
    pub fn kill(&mut self, index: usize, context: &str) {
        let kid = &mut self.kids[index];
        kid.process.kill().expect("send SIGKILL");
        kid.killed = true;
        let status = kid.process.wait().expect("reap the child");
        assert_eq!(
            status.signal(),
            Some(Signal::KILL.as_raw()),
            "{context}: {} did not die of SIGKILL: {status}",
            kid.name
        );
    }

    /// Closes every child's stdin, waits for every child the parent did not kill to exit, and checks that
    /// each succeeded.
    ///
    /// # Panics
    ///
    /// When a child failed.
    pub fn wait_all(&mut self, context: &str) {
        for kid in self.kids.iter_mut().filter(|kid| !kid.killed) {
            kid.stdin = None;
            let status = kid.process.wait().expect("reap the child");
            assert!(status.success(), "{context}: {} failed: {status}", kid.name);
        }
    }
}

impl Drop for Kids {
    fn drop(&mut self) {
        for kid in &mut self.kids {
            kid.stdin = None;
            if let Ok(None) = kid.process.try_wait() {
                // SIGKILL ends a stopped process too.
                let _ = kid.process.kill();
                let _ = kid.process.wait();
            }
        }
    }
}

/// In a child: appends `what who token` to the hold log at `log` under an exclusive lock, synced, so the
/// order of the log's lines is the order in time of the appends of every process.
///
/// # Panics
///
/// When the log cannot be written.
pub fn log_event(log: &Path, what: &str, who: &str, token: FencingToken) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap_or_else(|err| panic!("open {}: {err}", log.display()));
    file.lock().expect("lock the log");
    file.write_all(format!("{what} {who} {}\n", token.get()).as_bytes())
        .expect("append to the log");
    file.sync_data().expect("sync the log");
}

/// One line of a hold log.
#[derive(Debug, PartialEq, Eq)]
pub struct Event {
    /// `acquired`, `releasing` or `killing`.
    pub what: String,
    /// The holder.
    pub who: String,
    /// Its fencing token.
    pub token: u64,
}

/// The hold log at `log`, line by line.
///
/// # Panics
///
/// When it cannot be read or a line is not `what who token`.
pub fn read_log(log: &Path) -> Vec<Event> {
    fs::read_to_string(log)
        .unwrap_or_else(|err| panic!("read {}: {err}", log.display()))
        .lines()
        .map(|line| {
            let mut words = line.split(' ');
            let (Some(what), Some(who), Some(token), None) =
                (words.next(), words.next(), words.next(), words.next())
            else {
                panic!("a malformed log line {line:?}");
            };
            Event {
                what: what.to_string(),
                who: who.to_string(),
                token: token.parse().expect("a token"),
            }
        })
        .collect()
}

/// Checks that a hold log shows one holder at a time: every `acquired` comes while nobody holds the lease,
/// with a token greater than all before; the holder's `releasing` (or the parent's `killing` of it) ends
/// its hold. Returns the holders in the order they acquired, with their tokens.
///
/// # Panics
///
/// When two holds overlap, a token does not grow, a hold ends that did not start, or one never ends.
pub fn check_one_at_a_time(events: &[Event], context: &str) -> Vec<(String, u64)> {
    let mut holding: Option<(&str, u64)> = None;
    let mut order: Vec<(String, u64)> = Vec::new();
    for event in events {
        match event.what.as_str() {
            "acquired" => {
                assert_eq!(
                    holding, None,
                    "{context}: {} acquired (token {}) while the lease was held: {events:?}",
                    event.who, event.token
                );
                if let Some((_, last)) = order.last() {
                    assert!(
                        event.token > *last,
                        "{context}: token {} after {last}: {events:?}",
                        event.token
                    );
                }
                holding = Some((&event.who, event.token));
                order.push((event.who.clone(), event.token));
            }
            "releasing" | "killing" => assert_eq!(
                holding.take(),
                Some((event.who.as_str(), event.token)),
                "{context}: {event:?} by no holder: {events:?}"
            ),
            _ => panic!("{context}: unexpected event {event:?}"),
        }
    }
    assert_eq!(holding, None, "{context}: a hold never ended: {events:?}");
    order
}

/// The scenarios a process-test binary (`harness = false`) is asked to run, read from its arguments as
/// libtest reads them: name filters, `--skip`, `--exact`, and `--list`.
#[derive(Debug, Default)]
pub struct Selection {
    filters: Vec<String>,
    skips: Vec<String>,
    exact: bool,
    /// `--list`: print the scenario names instead of running them.
    pub list: bool,
}

impl Selection {
    /// The selection this process's arguments make.
    pub fn from_args() -> Selection {
        /// The libtest options that take a value, which is not a filter.
        const WITH_VALUE: [&str; 6] = [
            "--test-threads",
            "--color",
            "--format",
            "--logfile",
            "--shuffle-seed",
            "-Z",
        ];
        let mut selection = Selection::default();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--skip" => selection.skips.extend(args.next()),
                "--exact" => selection.exact = true,
                "--list" => selection.list = true,
                _ if WITH_VALUE.contains(&arg.as_str()) => {
                    args.next();
                }
                _ => match arg.strip_prefix("--skip=") {
                    Some(skip) => selection.skips.push(skip.to_string()),
                    None if arg.starts_with('-') => {}
                    None => selection.filters.push(arg),
                },
            }
        }
        selection
    }

    /// Whether the scenario `name` is to run.
    pub fn selects(&self, name: &str) -> bool {
        let matches = |pattern: &String| {
            if self.exact {
                name == pattern
            } else {
                name.contains(pattern.as_str())
            }
        };
        (self.filters.is_empty() || self.filters.iter().any(matches))
            && !self.skips.iter().any(matches)
    }
}

/// Runs the scenarios of a process-test binary one after the other and ends with libtest's summary line
/// (which `scripts/test` adds up), exiting with status 101 if one failed.
#[derive(Debug)]
pub struct Tally {
    started: Instant,
    passed: usize,
    failed: usize,
    filtered: usize,
}

impl Tally {
    /// A tally with nothing run yet.
    pub fn new() -> Tally {
        Tally {
            started: Instant::now(),
            passed: 0,
            failed: 0,
            filtered: 0,
        }
    }

    /// Counts a scenario that was not run (filtered out, or skipped for want of a server).
    pub fn filtered_out(&mut self) {
        self.filtered += 1;
    }

    /// Runs the scenario `name`; a panic fails it (its message is on stderr) and the next one still runs.
    pub fn run(&mut self, name: &str, scenario: impl FnOnce()) {
        let started = Instant::now();
        match panic::catch_unwind(AssertUnwindSafe(scenario)) {
            Ok(()) => {
                println!("test {name} ... ok in {:.1?}", started.elapsed());
                self.passed += 1;
            }
            Err(_) => {
                println!("test {name} ... FAILED (the panic is on stderr above)");
                self.failed += 1;
            }
        }
    }

    /// Prints the summary line, and exits with status 101 if a scenario failed.
    pub fn finish(self) {
        let outcome = if self.failed == 0 { "ok" } else { "FAILED" };
        println!(
            "\ntest result: {outcome}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out; \
             finished in {:.2}s\n",
            self.passed,
            self.failed,
            self.filtered,
            self.started.elapsed().as_secs_f64()
        );
        if self.failed > 0 {
            std::process::exit(101);
        }
    }
}

impl Default for Tally {
    fn default() -> Tally {
        Tally::new()
    }
}
