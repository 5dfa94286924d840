//! Many writers replacing one value through compare-and-swap: a counter that loses no increment, and
//! versions that always name their values.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use session_core::{ErrorKind, Expect, Version, VersionedStorage};
use tokio::task::JoinSet;

use super::versioned::load_versioned;
use crate::check::Check;
use crate::context::{join_all, Ctx};
use crate::data::{counter, counter_value, tag_of, tagged};
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

/// A version as somebody was given it: with the tag of its value, and by which call.
type Sighting = (Version, u64, &'static str);

/// Writers in this race and readers beside it.
const NAMING_WRITERS: u64 = 4;
const NAMING_WRITES: u64 = 12;
const NAMING_READERS: usize = 2;
/// Tasks that replace the value with plain stores meanwhile, and how often each does.
const NAMING_PLAIN_WRITERS: u64 = 2;
const NAMING_PLAIN_WRITES: u64 = 20;

/// While 4 writers replace a value through `load_versioned` / `store_if`, 2 more replace it with plain
/// stores (each value a distinct tag) and 2 readers call `load_versioned` over and over, every version
/// anybody is given names one value: the version `store_if` returned for a value is the one readers see
/// with it, and no version ever comes with two different values. A storage that reads (or writes) value and
/// version in two steps shows here.
pub async fn versions_name_their_values_under_concurrency<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("versions_name_their_values_under_concurrency", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let setup = cx.open(&slot).await;
        let first = cx.ok(
            setup.store_if(tagged(0, 24), Expect::Absent).await,
            "store_if(Absent) of the first value",
        );
        let seen: Arc<Mutex<Vec<Sighting>>> = Arc::new(Mutex::new(vec![(first, 0, "store_if")]));
        let writing = Arc::new(AtomicUsize::new(
            (NAMING_WRITERS + NAMING_PLAIN_WRITERS) as usize,
        ));
        let mut tasks = JoinSet::new();
        for writer in 0..NAMING_WRITERS {
            let (check, storage) = (cx.check(), cx.open(&slot).await);
            let (seen, writing) = (Arc::clone(&seen), Arc::clone(&writing));
            tasks.spawn(async move {
                for write in 0..NAMING_WRITES {
                    let tag = 1 + writer * NAMING_WRITES + write;
                    let (data, version) = match load_versioned(check, &storage, "by a writer").await {
                        Some(found) => found,
                        None => check.fail("load_versioned returned Ok(None) while the slot held a value"),
                    };
                    record(check, &seen, version.clone(), &data, "load_versioned");
                    match storage.store_if(tagged(tag, 24), Expect::Version(version)).await {
                        Ok(new) => lock(&seen).push((new, tag, "store_if")),
                        Err(err) if err.kind() == ErrorKind::Conflict => {}
                        Err(err) => check.error(&err, "store_if of a tagged value"),
                    }
                }
                writing.fetch_sub(1, Ordering::SeqCst);
            });
        }
        for plain in 0..NAMING_PLAIN_WRITERS {
            let (check, storage) = (cx.check(), cx.open(&slot).await);
            let writing = Arc::clone(&writing);
            tasks.spawn(async move {
                for write in 0..NAMING_PLAIN_WRITES {
                    let tag = 1_000_000 + plain * NAMING_PLAIN_WRITES + write;
                    check.store(&storage, &tagged(tag, 24), "a plain store beside the race").await;
                    tokio::task::yield_now().await;
                }
                writing.fetch_sub(1, Ordering::SeqCst);
            });
        }
        for _ in 0..NAMING_READERS {
            let (check, storage) = (cx.check(), cx.open(&slot).await);
            let (seen, writing) = (Arc::clone(&seen), Arc::clone(&writing));
            tasks.spawn(async move {
                while writing.load(Ordering::SeqCst) > 0 {
                    if let Some((data, version)) = load_versioned(check, &storage, "by a reader").await {
                        record(check, &seen, version, &data, "load_versioned");
                    }
                    tokio::task::yield_now().await;
                }
            });
        }
        join_all(cx.check(), &mut tasks).await;
        let seen = lock(&seen);
        let mut named: HashMap<&Version, (u64, &str)> = HashMap::new();
        for (version, tag, by) in seen.iter() {
            match named.get(version) {
                Some((other, first_by)) if other != tag => cx.fail(format_args!(
                    "{version:?} came with value #{other} (from {first_by}) and with value #{tag} (from {by}): a \
                     version must name exactly one value (is the version read or written apart from the value?)"
                )),
                Some(_) => {}
                None => {
                    named.insert(version, (*tag, by));
                }
            }
        }
    })
    .await;
}

/// Records the tag of `data` with `version`, failing on bytes that are no written value.
fn record(
    check: Check,
    seen: &Mutex<Vec<Sighting>>,
    version: Version,
    data: &[u8],
    by: &'static str,
) {
    let Some(tag) = tag_of(data).filter(|_| data.len() == 24) else {
        check.fail(format_args!(
            "{by} returned {} bytes that are no written value",
            data.len()
        ));
    };
    lock(seen).push((version, tag, by));
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
