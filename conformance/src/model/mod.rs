//! Model-based random testing: random sequences of every operation over several handles on several slots,
//! interleaved with reopens, each result compared with a reference model of the documented contract
//! ([`run`]); the inputs cover the whole domain ([`gen`]). A failure names the seed and shows a shrunk,
//! minimal sequence of operations that still fails.
//!
//! - `TGSESSION_CONFORMANCE_SEED=<seed>` replays one sequence (the seed a failure printed; decimal or
//!   `0x` hex).
//! - `TGSESSION_CONFORMANCE_SEQUENCES=<n>` runs `n` sequences per case instead of
//!   [`DEFAULT_SEQUENCES`].

mod gen;
mod run;
mod subject;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use session_core::{SessionDelete, VersionedStorage};

pub(crate) use self::gen::ALPHABET;
use self::gen::{names, ops, Op, SLOTS};
use self::run::{Mismatch, Run};
pub(crate) use self::subject::{Caps, Deletable, Full, Plain, Subject, Versioned};
use crate::context::Ctx;
use crate::Harness;

/// How many sequences each model case runs unless `TGSESSION_CONFORMANCE_SEQUENCES` says otherwise.
pub const DEFAULT_SEQUENCES: usize = 8;

/// How many operations one sequence has.
pub const OPERATIONS_PER_SEQUENCE: usize = 60;

/// The variable that replays one sequence.
pub const SEED_VARIABLE: &str = "TGSESSION_CONFORMANCE_SEED";

/// The variable that sets how many sequences each model case runs.
pub const SEQUENCES_VARIABLE: &str = "TGSESSION_CONFORMANCE_SEQUENCES";

/// How many reruns shrinking a failure may take, and for how long.
const SHRINK_RUNS: usize = 150;
const SHRINK_TIME: Duration = Duration::from_secs(60);

/// What a model case tests: its name, the storage's capabilities, how to wrap a handle, and which
/// characters its short slot names start with (disjoint between the four model cases).
pub(crate) struct Plan<H: Harness> {
    pub(crate) caps: Caps,
    pub(crate) wrap: fn(H::Storage) -> Box<dyn Subject>,
    pub(crate) lane: usize,
}

/// Runs the model case `cx` with `plan`: the configured number of sequences, each from its own seed.
pub(crate) async fn run_model<H: Harness>(cx: &Ctx<'_, H>, plan: Plan<H>) {
    let short: Vec<u8> = ALPHABET
        .iter()
        .enumerate()
        .filter(|(at, _)| at % 4 == plan.lane)
        .map(|(_, &c)| c)
        .collect();
    let max_name = cx.harness().max_slot_len().clamp(16, 255);
    let seeds: Vec<u64> = match seed_from_env() {
        Some(seed) => vec![seed],
        None => {
            let base = fastrand::u64(..);
            (0..sequences_from_env())
                .map(|i| base.wrapping_add(i as u64))
                .collect()
        }
    };
    for seed in seeds {
        let sequence = ops(seed, OPERATIONS_PER_SEQUENCE, plan.caps, SLOTS);
        let short = &short;
        let attempt = |ops: Vec<Op>| async move {
            let names = names(seed, max_name, fastrand::u64(..), short);
            let run = Run::new(cx.harness(), plan.wrap, plan.caps, names.clone());
            run.execute(&ops)
                .await
                .map_err(|mismatch| (names, mismatch))
        };
        let Err((names, mismatch)) = attempt(sequence.clone()).await else {
            continue;
        };
        let failing = match mismatch.step {
            Some(step) => sequence[..=step.min(sequence.len() - 1)].to_vec(),
            None => Vec::new(),
        };
        let (shrunk, shrunk_names, shrunk_mismatch) =
            shrink(failing, names, mismatch, &attempt).await;
        cx.fail(report(seed, &shrunk, &shrunk_names, &shrunk_mismatch));
    }
}

/// Removes operations from `ops` (halves, then quarters, ... then single operations) as long as the rest
/// still fails, within [`SHRINK_RUNS`] and [`SHRINK_TIME`]; returns the smallest failing sequence found.
async fn shrink<F, Fut>(
    mut ops: Vec<Op>,
    mut names: Vec<String>,
    mut mismatch: Mismatch,
    attempt: &F,
) -> (Vec<Op>, Vec<String>, Mismatch)
where
    F: Fn(Vec<Op>) -> Fut,
    Fut: std::future::Future<Output = Result<(), (Vec<String>, Mismatch)>>,
{
    let started = Instant::now();
    let mut runs = 0;
    let mut chunk = ops.len().div_ceil(2);
    while chunk > 0 {
        let mut at = 0;
        while at < ops.len() {
            if runs >= SHRINK_RUNS || started.elapsed() > SHRINK_TIME {
                return (ops, names, mismatch);
            }
            runs += 1;
            let mut candidate = ops.clone();
            candidate.drain(at..(at + chunk).min(ops.len()));
            match attempt(candidate.clone()).await {
                Err((failed_names, failed)) => {
                    let keep = failed
                        .step
                        .map_or(0, |step| (step + 1).min(candidate.len()));
                    candidate.truncate(keep);
                    ops = candidate;
                    names = failed_names;
                    mismatch = failed;
                }
                Ok(()) => at += chunk,
            }
        }
        chunk /= 2;
    }
    (ops, names, mismatch)
}

/// The failure message: the seed, how to replay it, the slots, the shrunk sequence and what differed.
fn report(seed: u64, ops: &[Op], names: &[String], mismatch: &Mismatch) -> String {
    let mut text = format!(
        "a random sequence of operations broke the contract (seed {seed:#x}; replay the whole sequence with \
         {SEED_VARIABLE}={seed:#x}). Shrunk to {} operation(s) that still fail{}",
        ops.len(),
        if ops.is_empty() { "" } else { ":" }
    );
    for (at, name) in names.iter().enumerate() {
        let _ = write!(
            text,
            "\n  slot #{at}: {} bytes, {}",
            name.len(),
            shorten(name)
        );
    }
    for (at, op) in ops.iter().enumerate() {
        let _ = write!(text, "\n  {}. {op}", at + 1);
    }
    let _ = write!(text, "\n  -> {mismatch}");
    text
}

/// A slot name as a message shows it: whole up to 64 bytes, else its start and end.
fn shorten(name: &str) -> String {
    if name.len() <= 64 {
        format!("{name:?}")
    } else {
        format!("\"{}…{}\"", &name[..40], &name[name.len() - 12..])
    }
}

/// The seed `TGSESSION_CONFORMANCE_SEED` names, if set.
///
/// # Panics
///
/// When it is set but not a number: a typo must not silently run random seeds instead.
fn seed_from_env() -> Option<u64> {
    let text = std::env::var(SEED_VARIABLE).ok()?;
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.unwrap_or_else(|_| {
        panic!("{SEED_VARIABLE}={text:?} is not a seed (a decimal or 0x-hex number)")
    }))
}

/// The number of sequences `TGSESSION_CONFORMANCE_SEQUENCES` asks for, or [`DEFAULT_SEQUENCES`].
///
/// # Panics
///
/// When it is set but not a positive number.
fn sequences_from_env() -> usize {
    match std::env::var(SEQUENCES_VARIABLE) {
        Ok(text) => match text.trim().parse() {
            Ok(n) if n > 0 => n,
            _ => panic!("{SEQUENCES_VARIABLE}={text:?} is not a positive number"),
        },
        Err(_) => DEFAULT_SEQUENCES,
    }
}

/// Random sequences of `load`, `store` and reopens.
pub async fn random_operations<H: Harness>(h: &H) {
    let cx = Ctx::new("random_operations", h);
    let plan = Plan::<H> {
        caps: Caps {
            delete: false,
            versioned: false,
        },
        wrap: |storage| Box::new(Plain(storage)),
        lane: 0,
    };
    cx.run(run_model(&cx, plan)).await;
}

/// Random sequences of `load`, `store`, `delete` and reopens.
pub async fn random_operations_with_delete<H: Harness>(h: &H)
where
    H::Storage: SessionDelete,
{
    let cx = Ctx::new("random_operations_with_delete", h);
    let plan = Plan::<H> {
        caps: Caps {
            delete: true,
            versioned: false,
        },
        wrap: |storage| Box::new(Deletable(storage)),
        lane: 1,
    };
    cx.run(run_model(&cx, plan)).await;
}

/// Random sequences of `load`, `store`, `load_versioned`, `store_if` (every `Expect`) and reopens.
pub async fn random_operations_versioned<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("random_operations_versioned", h);
    let plan = Plan::<H> {
        caps: Caps {
            delete: false,
            versioned: true,
        },
        wrap: |storage| Box::new(Versioned(storage)),
        lane: 2,
    };
    cx.run(run_model(&cx, plan)).await;
}

/// Random sequences of every operation and reopens.
pub async fn random_operations_all<H: Harness>(h: &H)
where
    H::Storage: SessionDelete + VersionedStorage,
{
    let cx = Ctx::new("random_operations_all", h);
    let plan = Plan::<H> {
        caps: Caps {
            delete: true,
            versioned: true,
        },
        wrap: |storage| Box::new(Full(storage)),
        lane: 3,
    };
    cx.run(run_model(&cx, plan)).await;
}
