//! Concurrent stores on one slot.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use session_core::SessionStorage;
use tokio::task::JoinSet;

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
