//! Concurrent stores: on one slot, with readers beside them, and into two slots at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use session_core::SessionStorage;
use tokio::task::JoinSet;

use super::interleave::two_at_once;
use crate::check::Check;
use crate::context::{join_all, Ctx};
use crate::data::{tag_of, tagged};
use crate::Harness;

const WRITERS: usize = 8;
const ROUNDS: usize = 4;
const VALUE_LEN: usize = 256 << 10;
/// The reader keeps loading until the writers are done and it has loaded at least this often.
const MIN_READS: usize = 32;

/// 8 tasks, each on its own handle, store distinct 256 KiB values (4 each) while a reader task loads
/// repeatedly: every load returns one whole written value (never a mix or a prefix), and the slot ends with
/// the last value of one of the writers.
pub async fn concurrent_stores<H: Harness>(h: &H) {
    let cx = Ctx::new("concurrent_stores", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        // Value `w * ROUNDS + r` is round `r` of writer `w`; the last one is the initial value.
        let values: Arc<[Bytes]> = (0..=WRITERS * ROUNDS)
            .map(|tag| tagged(tag as u64, VALUE_LEN))
            .collect();
        let setup = cx.open(&slot).await;
        cx.store(&setup, &values[WRITERS * ROUNDS], "the initial value")
            .await;

        let writing = Arc::new(AtomicUsize::new(WRITERS));
        let mut tasks = JoinSet::new();
        let reader = cx.open(&slot).await;
        tasks.spawn(read_until_done(
            cx.check(),
            reader,
            Arc::clone(&values),
            Arc::clone(&writing),
        ));
        for writer in 0..WRITERS {
            let storage = cx.open(&slot).await;
            let (check, values, writing) = (cx.check(), Arc::clone(&values), Arc::clone(&writing));
            tasks.spawn(async move {
                for value in &values[writer * ROUNDS..(writer + 1) * ROUNDS] {
                    check.store(&storage, value, "a concurrent store").await;
                    tokio::task::yield_now().await;
                }
                writing.fetch_sub(1, Ordering::SeqCst);
            });
        }
        join_all(cx.check(), &mut tasks).await;

        let last = cx.load(&setup, "after the concurrent stores").await;
        let tag = whole_value(cx.check(), last.as_deref(), &values, "the final load");
        if tag % ROUNDS != ROUNDS - 1 {
            cx.fail(format_args!(
                "the final load returned value #{tag}, which its writer overwrote later; concurrent stores \
                 must leave one of the values written last"
            ));
        }
    })
    .await;
}

/// Loads until no writer is left and at least [`MIN_READS`] loads were made, checking each.
async fn read_until_done<S: SessionStorage>(
    check: Check,
    storage: S,
    values: Arc<[Bytes]>,
    writing: Arc<AtomicUsize>,
) {
    let mut reads = 0;
    loop {
        let done = writing.load(Ordering::SeqCst) == 0;
        let got = check.load(&storage, "during concurrent stores").await;
        whole_value(
            check,
            got.as_deref(),
            &values,
            "a load during concurrent stores",
        );
        reads += 1;
        if done && reads >= MIN_READS {
            return;
        }
        tokio::task::yield_now().await;
    }
}

/// Checks that `got` is exactly one of `values` and returns its index (its tag).
fn whole_value(check: Check, got: Option<&[u8]>, values: &[Bytes], what: &str) -> usize {
    let Some(got) = got else {
        check.fail(format_args!(
            "{what} returned Ok(None), but the slot always held a value"
        ));
    };
    let tag = tag_of(got)
        .and_then(|tag| usize::try_from(tag).ok())
        .filter(|&tag| tag < values.len());
    let Some(tag) = tag else {
        check.fail(format_args!(
            "{what} returned {} bytes that do not start like any written value",
            got.len()
        ));
    };
    check.same(
        Some(got),
        Some(&values[tag]),
        format_args!(
            "{what} returned a value that is not whole (compared with written value #{tag})"
        ),
    );
    tag
}

/// Lengths of the values of [`readers_never_see_a_mix`]: each crosses a common chunk or page size by a few
/// bytes, so a storage that writes in pieces is caught between them.
const MIXED_LENGTHS: [usize; 6] = [9, 4095, 4097, 65_539, 300_007, (1 << 20) + 3];

/// 4 writers, each on its own handle, store values of very different lengths (9 bytes to 1 MiB + 3) while
/// 2 readers on other handles load repeatedly: every load returns one whole written value, never a mix of
/// two, a prefix, or bytes nobody wrote.
pub async fn readers_never_see_a_mix<H: Harness>(h: &H) {
    let cx = Ctx::new("readers_never_see_a_mix", h);
    cx.run(async {
        const MIX_WRITERS: usize = 4;
        let slot = cx.fresh_slot();
        let per_writer = MIXED_LENGTHS.len();
        let values: Arc<[Bytes]> = (0..=MIX_WRITERS * per_writer)
            .map(|tag| {
                tagged(
                    tag as u64,
                    MIXED_LENGTHS[(tag * 7 + tag / per_writer) % per_writer],
                )
            })
            .collect();
        let setup = cx.open(&slot).await;
        cx.store(
            &setup,
            &values[MIX_WRITERS * per_writer],
            "the initial value",
        )
        .await;
        let writing = Arc::new(AtomicUsize::new(MIX_WRITERS));
        let mut tasks = JoinSet::new();
        for _ in 0..2 {
            let reader = cx.open(&slot).await;
            tasks.spawn(read_until_done(
                cx.check(),
                reader,
                Arc::clone(&values),
                Arc::clone(&writing),
            ));
        }
        for writer in 0..MIX_WRITERS {
            let storage = cx.open(&slot).await;
            let (check, values, writing) = (cx.check(), Arc::clone(&values), Arc::clone(&writing));
            tasks.spawn(async move {
                for value in &values[writer * per_writer..(writer + 1) * per_writer] {
                    check.store(&storage, value, "a concurrent store").await;
                    tokio::task::yield_now().await;
                }
                writing.fetch_sub(1, Ordering::SeqCst);
            });
        }
        join_all(cx.check(), &mut tasks).await;
        let last = cx.load(&setup, "after the concurrent stores").await;
        whole_value(cx.check(), last.as_deref(), &values, "the final load");
    })
    .await;
}

/// Lengths of the values written at once by [`stores_on_different_slots_at_once`] and
/// [`handles_agree_after_concurrent_stores`]: one chunk, a page and a byte, and a chunk of 64 KiB and then some.
const AT_ONCE_LENGTHS: [usize; 3] = [9, 4097, 70_001];

/// Two stores at once into two slots (a name and the same name extended by one character), in 18
/// interleavings: each slot then holds its own value, through its handle and through a new one. A storage
/// that stages writes in one place shared by all slots (a temporary file or key of a fixed name) mixes them
/// up here.
pub async fn stores_on_different_slots_at_once<H: Harness>(h: &H) {
    let cx = Ctx::new("stores_on_different_slots_at_once", h);
    cx.run(async {
        for round in 0..18u64 {
            let first = cx.fresh_slot();
            let names = [first.clone(), format!("{first}x")];
            let values = [
                tagged(2 * round, AT_ONCE_LENGTHS[round as usize % 3]),
                tagged(2 * round + 1, AT_ONCE_LENGTHS[(round as usize + 1) % 3]),
            ];
            let (a, b) = (cx.open(&names[0]).await, cx.open(&names[1]).await);
            let check = cx.check();
            let store = |storage: H::Storage, value: Bytes| async move {
                check.store(&storage, &value, "at once with a store into another slot").await;
                storage
            };
            let (a, b) = two_at_once(
                round,
                store(a, values[0].clone()),
                store(b, values[1].clone()),
            )
            .await;
            for (at, storage) in [a, b].iter().enumerate() {
                let name = &names[at];
                let doing = format!(
                    "slot {name:?} through the handle that stored into it, after a store into another slot \
                     at once (round {round})"
                );
                cx.expect_load(storage, Some(&values[at]), &doing).await;
                let doing = format!(
                    "slot {name:?} through a new handle, after a store into another slot at once (round \
                     {round})"
                );
                cx.expect_load(&cx.open(name).await, Some(&values[at]), &doing)
                    .await;
            }
        }
    })
    .await;
}

/// Two stores at once into one slot, in 36 interleavings (through two handles that had loaded the slot, then
/// twice through one shared handle): afterwards every handle — those that stored and a new one — loads the
/// same value, one of the two. A storage that caches per handle and updates the cache apart from the write
/// (or with a version read after it) serves a value that another store replaced.
pub async fn handles_agree_after_concurrent_stores<H: Harness>(h: &H) {
    let cx = Ctx::new("handles_agree_after_concurrent_stores", h);
    cx.run(async {
        for round in 0..36u64 {
            let slot = cx.fresh_slot();
            let (a, b) = (
                Arc::new(cx.open(&slot).await),
                Arc::new(cx.open(&slot).await),
            );
            let b = if round < 18 { b } else { Arc::clone(&a) };
            let first = tagged(3 * round, 64);
            cx.store(&*a, &first, "the value before the race").await;
            cx.expect_load(&*a, Some(&first), "handle A before the race")
                .await;
            cx.expect_load(&*b, Some(&first), "handle B before the race")
                .await;
            let values = [
                tagged(3 * round + 1, AT_ONCE_LENGTHS[round as usize % 3]),
                tagged(3 * round + 2, AT_ONCE_LENGTHS[(round as usize + 1) % 3]),
            ];
            let check = cx.check();
            let store = |storage: Arc<H::Storage>, value: Bytes| async move {
                check.store(&*storage, &value, "at once with another store").await;
            };
            two_at_once(
                round % 18,
                store(Arc::clone(&a), values[0].clone()),
                store(Arc::clone(&b), values[1].clone()),
            )
            .await;
            let how = if round < 18 {
                "two handles"
            } else {
                "one shared handle"
            };
            let fresh = cx.open(&slot).await;
            let now = cx.load(&fresh, "a new handle after the race").await;
            if !values.iter().any(|value| now.as_deref() == Some(&value[..])) {
                cx.same(
                    now.as_deref(),
                    Some(&values[1]),
                    format_args!(
                        "a new handle after two stores at once through {how} (round {round}) loaded neither \
                         stored value (compared with the second)"
                    ),
                );
            }
            for (name, storage) in [("A", &a), ("B", &b)] {
                let doing = format!(
                    "handle {name} after two stores at once through {how} (round {round}), compared with a new \
                     handle"
                );
                cx.expect_load(&**storage, now.as_deref(), &doing).await;
            }
        }
    })
    .await;
}
