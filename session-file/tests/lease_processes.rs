//! The file lease across real processes (issue 13): never two holders at once, tokens that grow in the
//! order of acquisition, a killed holder's lease free at once, and a frozen holder fenced.
//!
//! - **race**: 50 times, two child processes released by one barrier race `acquire_lease` on a fresh
//!   session file. Each holder appends `acquired` to a shared log, writes under its lease, holds it for
//!   [`HOLD`], appends `releasing` and releases; the loser retries until it gets the lease. The log (appended
//!   under an exclusive lock, so its order is the order in time of the appends) must show the two holds one
//!   after the other, never interleaved, with tokens #1 then #2; the loser, when it ran into the winner's
//!   lease, must have been told who held it; the file must hold the second holder's value.
//! - **race_with_kill**: 20 times, the same race, but the first holder keeps the lease until the parent kills
//!   it with SIGKILL (after the loser ran into it, so it is waiting). The kernel drops the dead holder's
//!   `flock`, so the loser gets the lease at once with a bigger token, and the dead holder's token can no
//!   longer write (the parent tries it: `ErrorKind::Fenced`).
//! - **frozen_holder**: 3 times, a child takes the lease through [`Leased`] (with a time to live of
//!   [`TTL`]) and stores distinct values in a loop. The parent freezes it with SIGSTOP and, as an operator
//!   would, breaks the lease. A file lease never lapses by time while its process lives, so the frozen
//!   holder keeps its lock: the parent's `acquire_lease` fails with `ErrorKind::Held`, also after the
//!   frozen holder's time to live has passed. Resumed with SIGCONT, the child's next store fails with
//!   `ErrorKind::Fenced` (it reports so on stdout) and the file still holds the last value stored before
//!   the break. Once the child is killed, the parent gets the lease with a bigger token.
//!
//! The binary is both the parent (as `cargo test` runs it; name filters, `--skip`, `--exact` and `--list`
//! select scenarios as in any test binary) and the children: started again from `std::env::current_exe()` with [`ROLE_VAR`] set, a
//! child plays that role. Children print one line per event on stdout, flushed, and are killed and reaped
//! by the parent whatever happens ([`session_conformance::processes`], which the server backends' process
//! tests share).

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use session_conformance::processes::{
    check_one_at_a_time, log_event, read_log, say, wait_for_parent, Kids, Selection, Tally,
    PATIENCE,
};
use session_core::{
    Bytes, ErrorKind, FencedWrite, FencingToken, HolderId, LeaseRequest, LeaseState, LeaseStorage,
    Leased, SessionStorage,
};
use session_file::FileStorage;
use tokio::runtime::Runtime;

/// The variable that makes the binary a child, naming its role: [`RACER`], [`RACER_UNTIL_KILLED`] or
/// [`WRITER`].
const ROLE_VAR: &str = "LEASE_PROCESSES_ROLE";
/// The session file a child works on.
const PATH_VAR: &str = "LEASE_PROCESSES_PATH";
/// A racer's holder id.
const NAME_VAR: &str = "LEASE_PROCESSES_NAME";
/// The log racers append their holds to.
const LOG_VAR: &str = "LEASE_PROCESSES_LOG";

/// Takes the lease, holds it for [`HOLD`] and releases it.
const RACER: &str = "racer";
/// Like [`RACER`], but the first holder of the slot (token #1) keeps the lease until it is killed.
const RACER_UNTIL_KILLED: &str = "racer-until-killed";
/// Takes the lease through [`Leased`] and stores values until a store fails.
const WRITER: &str = "writer";

/// How long a racer holds the lease.
const HOLD: Duration = Duration::from_millis(30);
/// How long a racer waits between two attempts to take a held lease.
const RETRY: Duration = Duration::from_millis(2);
/// The frozen writer's time to live (meaningless to a file lease, which lasts while its lock is held).
const TTL: Duration = Duration::from_millis(200);
/// The longest a waiting racer may take to get the lease once its holder was killed. Typically a few
/// milliseconds; generous for a loaded machine.
const TAKEOVER_BOUND: Duration = Duration::from_secs(2);

const RACE_TRIALS: usize = 50;
const KILL_TRIALS: usize = 20;
const FREEZE_ROUNDS: usize = 3;

fn main() {
    match std::env::var(ROLE_VAR) {
        Ok(role) => child(&role),
        Err(_) => parent(),
    }
}

fn parent() {
    let scenarios: [(&str, fn()); 3] = [
        ("race", race),
        ("race_with_kill", race_with_kill),
        ("frozen_holder", frozen_holder),
    ];
    let selection = Selection::from_args();
    if selection.list {
        for (name, _) in scenarios {
            println!("{name}: test");
        }
        return;
    }
    let mut tally = Tally::new();
    for (name, scenario) in scenarios {
        if selection.selects(name) {
            tally.run(name, scenario);
        } else {
            tally.filtered_out();
        }
    }
    tally.finish();
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

fn value(label: &str) -> Bytes {
    Bytes::from(label.to_string())
}

// ---------------------------------------------------------------------------------------------------------
// The children.

fn child(role: &str) {
    let path = PathBuf::from(std::env::var_os(PATH_VAR).expect("the session path"));
    match role {
        RACER | RACER_UNTIL_KILLED => {
            let name = std::env::var(NAME_VAR).expect("the holder id");
            let log = PathBuf::from(std::env::var_os(LOG_VAR).expect("the log path"));
            racer(&path, &name, &log, role == RACER_UNTIL_KILLED);
        }
        WRITER => writer(&path),
        _ => panic!("unknown role {role:?}"),
    }
}

/// Prints `ready`, waits for the barrier (its stdin closing), then takes the lease, trying again every
/// [`RETRY`] while it is held (printing `held <holder> <token>` the first time). Once it has it: logs
/// `acquired`, stores its value under the lease, prints `acquired <token> <attempts>`; holds it for
/// [`HOLD`] (or, until killed, forever if it is the slot's first holder), stores again, logs `releasing`,
/// releases and prints `done`.
fn racer(path: &Path, name: &str, log: &Path, until_killed: bool) {
    let runtime = runtime();
    let storage = FileStorage::new(path).unwrap();
    let request = LeaseRequest::new(HolderId::new(name).unwrap());
    say("ready");
    wait_for_parent();

    let give_up = Instant::now() + PATIENCE;
    let mut attempts = 0;
    let grant = loop {
        attempts += 1;
        match runtime.block_on(storage.acquire_lease(&request)) {
            Ok(grant) => break grant,
            Err(err) if err.kind() == ErrorKind::Held => {
                if attempts == 1 {
                    let info = err.lease_held().expect("a held error names the lease");
                    say(&format!("held {} {}", info.holder, info.token.get()));
                }
                assert!(Instant::now() < give_up, "{name}: still held: {err}");
                thread::sleep(RETRY);
            }
            Err(err) => panic!("{name}: acquire_lease failed: {err}"),
        }
    };
    let token = grant.token;
    log_event(log, "acquired", name, token);
    let store = || {
        let write = FencedWrite::Store(value(&format!("{name} {}", token.get())));
        runtime
            .block_on(storage.write_fenced(token, write))
            .unwrap_or_else(|err| panic!("{name}: a write under its own lease failed: {err}"));
    };
    store();
    say(&format!("acquired {} {attempts}", token.get()));
    if until_killed && token == FencingToken::FIRST {
        thread::sleep(PATIENCE);
        panic!("{name}: was not killed");
    }
    thread::sleep(HOLD);
    store();
    log_event(log, "releasing", name, token);
    runtime.block_on(storage.release_lease(token)).unwrap();
    say("done");
}

/// The value the writer stores `i`th.
fn nth_value(i: u64) -> Bytes {
    value(&format!("value {i}"))
}

/// Takes the lease through [`Leased`] and prints `acquired <token>`; stores [`nth_value`] 1, 2, ... printing
/// `wrote <i>` after each, until one fails: then prints `refused <i> <kind> <whether the guard is still
/// valid>` and, still holding the handle (and so the lock), waits for its stdin to close.
fn writer(path: &Path) {
    let runtime = runtime();
    let request = LeaseRequest::new(HolderId::new("frozen-writer").unwrap())
        .with_ttl(TTL)
        .unwrap();
    let storage = FileStorage::new(path).unwrap();
    let leased = runtime
        .block_on(Leased::acquire(storage, &request))
        .unwrap();
    say(&format!("acquired {}", leased.guard().token().get()));
    for i in 1.. {
        match runtime.block_on(leased.store(nth_value(i))) {
            Ok(()) => say(&format!("wrote {i}")),
            Err(err) => {
                say(&format!(
                    "refused {i} {:?} {}",
                    err.kind(),
                    leased.guard().is_valid()
                ));
                break;
            }
        }
        thread::sleep(Duration::from_millis(1));
    }
    wait_for_parent();
}

// ---------------------------------------------------------------------------------------------------------
// The parent's side.

/// What a racer printed.
#[derive(Debug, Default)]
struct Racer {
    /// The holder and token of the lease it first ran into.
    held_by: Option<(String, u64)>,
    /// Its token and how many attempts it took.
    acquired: Option<(u64, u32)>,
    done: bool,
}

impl Racer {
    fn take(&mut self, line: &str, context: &str) {
        let words: Vec<&str> = line.split(' ').collect();
        match words.as_slice() {
            ["held", holder, token] if self.held_by.is_none() && self.acquired.is_none() => {
                self.held_by = Some((holder.to_string(), token.parse().unwrap()));
            }
            ["acquired", token, attempts] if self.acquired.is_none() => {
                self.acquired = Some((token.parse().unwrap(), attempts.parse().unwrap()));
            }
            ["done"] if self.acquired.is_some() && !self.done => self.done = true,
            _ => panic!("{context}: unexpected line {line:?} after {self:?}"),
        }
    }
}

const NAMES: [&str; 2] = ["racer-a", "racer-b"];

/// Starts the two racers of a trial in `dir` and releases them together once both are ready.
fn start_racers(dir: &Path, role: &str, context: &str) -> Kids {
    let path = dir.join("race.session");
    let log = dir.join("holders.log");
    let mut kids = Kids::new();
    for name in NAMES {
        kids.spawn(
            name,
            &[
                (ROLE_VAR, OsStr::new(role)),
                (PATH_VAR, path.as_os_str()),
                (NAME_VAR, OsStr::new(name)),
                (LOG_VAR, log.as_os_str()),
            ],
        );
    }
    let mut ready = [false; NAMES.len()];
    while !ready.iter().all(|ready| *ready) {
        let (index, line) = kids.next(context);
        assert!(
            line == "ready" && !ready[index],
            "{context}: unexpected line {line:?}"
        );
        ready[index] = true;
    }
    kids.release();
    kids
}

fn race() {
    let root = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let mut contended = 0;
    for trial in 1..=RACE_TRIALS {
        let context = format!("race trial {trial}");
        let dir = root.path().join(format!("trial-{trial}"));
        fs::create_dir(&dir).unwrap();
        let mut kids = start_racers(&dir, RACER, &context);
        let mut racers: [Racer; 2] = Default::default();
        while !racers.iter().all(|racer| racer.done) {
            let (index, line) = kids.next(&context);
            racers[index].take(&line, &context);
        }
        kids.wait_all(&context);

        let order = check_one_at_a_time(&read_log(&dir.join("holders.log")), &context);
        assert_eq!(order.len(), 2, "{context}: {order:?}");
        let tokens: Vec<u64> = order.iter().map(|(_, token)| *token).collect();
        assert_eq!(
            tokens,
            [1, 2],
            "{context}: tokens in the order of acquisition"
        );
        let (first, second) = (&order[0].0, &order[1].0);
        assert_ne!(first, second, "{context}");
        let index_of = |name: &str| NAMES.iter().position(|n| *n == name).unwrap();
        let (winner, loser) = (&racers[index_of(first)], &racers[index_of(second)]);
        assert_eq!(winner.acquired, Some((1, 1)), "{context}: the winner");
        assert_eq!(winner.held_by, None, "{context}: the winner");
        assert_eq!(loser.acquired.map(|(token, _)| token), Some(2));
        if let Some(held_by) = &loser.held_by {
            assert_eq!(
                held_by,
                &(first.clone(), 1),
                "{context}: the lease the loser was refused for"
            );
            contended += 1;
        }

        let storage = FileStorage::new(dir.join("race.session")).unwrap();
        let stored = runtime.block_on(storage.load()).unwrap();
        assert_eq!(stored, Some(value(&format!("{second} 2"))), "{context}");
        let info = runtime.block_on(storage.read_lease()).unwrap().unwrap();
        assert_eq!(
            (info.holder.as_str(), info.token.get(), info.state),
            (second.as_str(), 2, LeaseState::Released),
            "{context}"
        );
    }
    // Both racers start at once and the winner holds the lease for 30 ms, so the loser's first attempt
    // nearly always runs into it; a loser held up by the scheduler past the winner's release is allowed, but
    // if most trials were not contended the test did not test the race.
    assert!(
        contended * 2 >= RACE_TRIALS,
        "only {contended} of {RACE_TRIALS} trials had the loser run into the winner's lease"
    );
    println!("race: {RACE_TRIALS} trials, the loser ran into the winner's lease in {contended}");
}

fn race_with_kill() {
    let root = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let mut slowest = Duration::ZERO;
    for trial in 1..=KILL_TRIALS {
        let context = format!("race_with_kill trial {trial}");
        let dir = root.path().join(format!("trial-{trial}"));
        fs::create_dir(&dir).unwrap();
        let log = dir.join("holders.log");
        let mut kids = start_racers(&dir, RACER_UNTIL_KILLED, &context);
        let mut racers: [Racer; 2] = Default::default();

        // Wait until one racer holds the lease and the other ran into it.
        let (winner, loser) = loop {
            let (index, line) = kids.next(&context);
            racers[index].take(&line, &context);
            let other = 1 - index;
            if racers[index].acquired.is_some() && racers[other].held_by.is_some() {
                break (index, other);
            }
            if racers[other].acquired.is_some() && racers[index].held_by.is_some() {
                break (other, index);
            }
        };
        assert_eq!(racers[winner].acquired, Some((1, 1)), "{context}");
        assert_eq!(
            racers[loser].held_by,
            Some((NAMES[winner].to_string(), 1)),
            "{context}"
        );
        // The loser keeps trying while the winner lives: give it a few more attempts.
        thread::sleep(HOLD);
        if let Some((_, Some(line))) = kids.try_next() {
            panic!("{context}: a line while the winner lives: {line:?}");
        }

        let stale = FencingToken::FIRST;
        log_event(&log, "killing", NAMES[winner], stale);
        let killed = Instant::now();
        kids.kill(winner, &context);
        let line = kids.next_from(loser, &context);
        let waited = killed.elapsed();
        racers[loser].take(&line, &context);
        let (token, _) = racers[loser].acquired.expect("the loser's acquisition");
        assert_eq!(token, 2, "{context}: the token after the killed holder's");
        assert!(
            waited < TAKEOVER_BOUND,
            "{context}: the loser took {waited:?} to get the lease of a killed holder"
        );
        slowest = slowest.max(waited);

        // The killed holder's token writes nothing.
        let storage = FileStorage::new(dir.join("race.session")).unwrap();
        let err = runtime
            .block_on(storage.write_fenced(stale, FencedWrite::Store(value("stale"))))
            .expect_err("the killed holder's token wrote");
        assert_eq!(err.kind(), ErrorKind::Fenced, "{context}: {err}");

        let line = kids.next_from(loser, &context);
        racers[loser].take(&line, &context);
        assert!(racers[loser].done, "{context}");
        kids.wait_all(&context);

        let order = check_one_at_a_time(&read_log(&log), &context);
        let want = [
            (NAMES[winner].to_string(), 1),
            (NAMES[loser].to_string(), 2),
        ];
        assert_eq!(order, want, "{context}");
        let stored = runtime.block_on(storage.load()).unwrap();
        assert_eq!(stored, Some(value(&format!("{} 2", NAMES[loser]))));
        let err = runtime
            .block_on(storage.write_fenced(stale, FencedWrite::Store(value("stale"))))
            .expect_err("the killed holder's token wrote");
        assert_eq!(err.kind(), ErrorKind::Fenced, "{context}: {err}");
    }
    println!(
        "race_with_kill: {KILL_TRIALS} trials, the loser reported the lease of a killed holder (its first \
         fenced store included) within {slowest:.1?}"
    );
}

fn frozen_holder() {
    let root = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let mut mid_write_total = 0;
    for round in 1..=FREEZE_ROUNDS {
        let context = format!("frozen_holder round {round}");
        let path = root.path().join(format!("frozen-{round}.session"));
        let mut kids = Kids::new();
        let writer = kids.spawn(
            "the writer",
            &[(ROLE_VAR, OsStr::new(WRITER)), (PATH_VAR, path.as_os_str())],
        );
        let line = kids.next_from(writer, &context);
        let token: u64 = line
            .strip_prefix("acquired ")
            .and_then(|token| token.parse().ok())
            .unwrap_or_else(|| panic!("{context}: unexpected line {line:?}"));
        let token = FencingToken::new(token).unwrap();
        let wrote = |line: &str| -> Option<u64> { line.strip_prefix("wrote ")?.parse().ok() };
        let mut last_wrote = 0;
        while last_wrote < 5 {
            let line = kids.next_from(writer, &context);
            let i = wrote(&line).unwrap_or_else(|| panic!("{context}: unexpected {line:?}"));
            assert_eq!(i, last_wrote + 1, "{context}");
            last_wrote = i;
        }

        // Freeze it and break its lease. Frozen in the middle of a store, it holds the session's write lock,
        // which the break needs: let it run a little and freeze it again.
        let operator = FileStorage::new(&path)
            .unwrap()
            .with_lock_timeout(Duration::from_millis(100));
        let mut mid_write = 0;
        let broken = loop {
            kids.stop(writer);
            match runtime.block_on(operator.break_lease()) {
                Ok(broken) => break broken.expect("the writer's lease"),
                Err(err) if err.kind() == ErrorKind::Timeout => {
                    mid_write += 1;
                    assert!(mid_write < 50, "{context}: always frozen mid-write: {err}");
                    kids.resume(writer);
                    thread::sleep(Duration::from_micros(fastrand::u64(0..3000)));
                }
                Err(err) => panic!("{context}: break_lease failed: {err}"),
            }
        };
        mid_write_total += mid_write;
        assert_eq!(
            (broken.holder.as_str(), broken.token),
            ("frozen-writer", token),
            "{context}: the lease broken"
        );
        let at_break = runtime.block_on(operator.load()).unwrap().expect("a value");
        let k: u64 = std::str::from_utf8(&at_break)
            .unwrap()
            .strip_prefix("value ")
            .and_then(|k| k.parse().ok())
            .expect("a value the writer stored");
        assert!(
            k >= last_wrote,
            "{context}: stored {k}, acknowledged {last_wrote}"
        );

        // Frozen, it keeps its lock, past its time to live too: nobody else gets the lease.
        let parent_request = LeaseRequest::new(HolderId::new("parent").unwrap());
        let refused = |when: &str| {
            let err = runtime
                .block_on(operator.acquire_lease(&parent_request))
                .expect_err("the lease of a live holder was granted");
            assert_eq!(err.kind(), ErrorKind::Held, "{context} ({when}): {err}");
            let info = err.lease_held().expect("the lease in the way");
            assert_eq!(info.token, token, "{context} ({when})");
        };
        refused("just after the break");
        thread::sleep(TTL + TTL / 2);
        refused("frozen past its time to live");
        let info = runtime.block_on(operator.read_lease()).unwrap().unwrap();
        assert_eq!((info.token, info.state), (token, LeaseState::Released));

        // Resumed, its next store is fenced and the file keeps the value stored before the break.
        kids.resume(writer);
        let (refused_at, kind, valid) = loop {
            let line = kids.next_from(writer, &context);
            if let Some(i) = wrote(&line) {
                assert_eq!(i, last_wrote + 1, "{context}");
                last_wrote = i;
                continue;
            }
            let words: Vec<&str> = line.split(' ').collect();
            match words.as_slice() {
                ["refused", i, kind, valid] => {
                    break (
                        i.parse::<u64>().unwrap(),
                        kind.to_string(),
                        *valid == "true",
                    )
                }
                _ => panic!("{context}: unexpected line {line:?}"),
            }
        };
        assert_eq!(kind, "Fenced", "{context}: the resumed writer's store");
        assert!(
            !valid,
            "{context}: the guard is still valid after a fenced store"
        );
        assert_eq!(
            last_wrote, k,
            "{context}: the writer's last acknowledged store is not the stored value"
        );
        assert_eq!(refused_at, k + 1, "{context}");
        let stored = runtime.block_on(operator.load()).unwrap();
        assert_eq!(stored, Some(nth_value(k)), "{context}: after the resume");
        refused("resumed and fenced, but alive");

        // Once it is gone, the lease is free, with a bigger token; the old token writes nothing.
        kids.kill(writer, &context);
        let grant = runtime
            .block_on(operator.acquire_lease(&parent_request))
            .unwrap();
        assert!(grant.token > token, "{context}: {grant:?} after {token}");
        let err = runtime
            .block_on(operator.write_fenced(token, FencedWrite::Store(value("stale"))))
            .expect_err("the frozen holder's token wrote after it was killed");
        assert_eq!(err.kind(), ErrorKind::Fenced, "{context}: {err}");
        runtime
            .block_on(operator.write_fenced(grant.token, FencedWrite::Store(value("parent"))))
            .unwrap();
        assert_eq!(
            runtime.block_on(operator.load()).unwrap(),
            Some(value("parent"))
        );
        runtime
            .block_on(operator.release_lease(grant.token))
            .unwrap();
    }
    println!(
        "frozen_holder: {FREEZE_ROUNDS} rounds; frozen mid-write (holding the write lock) {mid_write_total} \
         times before a freeze let the break through"
    );
}
