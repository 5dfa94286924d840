//! Many writers incrementing one counter through compare-and-swap.

use session_core::{ErrorKind, Expect, VersionedStorage};
use tokio::task::JoinSet;

use super::versioned::load_versioned;
use crate::check::Check;
use crate::context::{join_all, Ctx};
use crate::data::{counter, counter_value};
use crate::Harness;

const WRITERS: u64 = 8;
const INCREMENTS: u64 = 25;
/// How often one increment may conflict before the case gives up.
const MAX_ATTEMPTS: usize = 10_000;

/// 8 tasks, each on its own handle, increment a counter (8 big-endian bytes) 25 times each through
/// `load_versioned` / `store_if`, retrying on conflicts: the counter ends at exactly 200, so no update was
/// lost.
pub async fn versioned_counter_race<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("versioned_counter_race", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let setup = cx.open(&slot).await;
        let created = setup.store_if(counter(0), Expect::Absent).await;
        cx.ok(created, "store_if(Absent) creating the counter");
        let mut tasks = JoinSet::new();
        for _ in 0..WRITERS {
            let (check, storage) = (cx.check(), cx.open(&slot).await);
            tasks.spawn(async move {
                for _ in 0..INCREMENTS {
                    increment(check, &storage).await;
                }
            });
        }
        join_all(cx.check(), &mut tasks).await;
        let total = read_counter(*cx, &setup, "after the race").await;
        if total != WRITERS * INCREMENTS {
            cx.fail(format_args!(
                "{WRITERS} writers incremented the counter {INCREMENTS} times each, but it ended at {total} \
                 instead of {}: store_if accepted writes based on stale versions",
                WRITERS * INCREMENTS
            ));
        }
    })
    .await;
}

/// Adds one to the counter, retrying on conflicts.
async fn increment(check: Check, storage: &impl VersionedStorage) {
    for _ in 0..MAX_ATTEMPTS {
        let Some((data, version)) = load_versioned(check, storage, "of the counter").await else {
            check.fail("load_versioned of the counter returned Ok(None) after it was created");
        };
        let value = parse(check, &data, "load_versioned of the counter");
        match storage
            .store_if(counter(value + 1), Expect::Version(version))
            .await
        {
            Ok(_) => return,
            Err(err) if err.kind() == ErrorKind::Conflict => tokio::task::yield_now().await,
            Err(err) => check.error(&err, "store_if of an increment"),
        }
    }
    check.fail(format_args!(
        "an increment still conflicted after {MAX_ATTEMPTS} attempts"
    ));
}

async fn read_counter(check: Check, storage: &impl VersionedStorage, doing: &str) -> u64 {
    match check.load(storage, doing).await {
        Some(data) => parse(check, &data, doing),
        None => check.fail(format_args!("the counter is absent ({doing})")),
    }
}

fn parse(check: Check, data: &[u8], what: &str) -> u64 {
    counter_value(data).unwrap_or_else(|| {
        check.fail(format_args!(
            "{what} returned {} bytes, but the counter is always 8 bytes",
            data.len()
        ))
    })
}
