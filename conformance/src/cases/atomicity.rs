//! `store_if` racing the other writes: its check and its write are one atomic step against plain `store`
//! and `delete` too, not only against other `store_if`s.

use std::sync::Arc;

use bytes::Bytes;
use session_core::{
    ErrorKind, Expect, SessionDelete, SessionStorage, StorageError, Version, VersionedStorage,
};
use tokio::sync::Barrier;

use super::versioned::load_versioned;
use crate::check::Check;
use crate::context::Ctx;
use crate::data::tagged;
use crate::Harness;

/// How many races each case runs. Race `n` starts the `store_if` `n % 3` and the rival `(n / 3) % 3` task
/// yields after their common start, so that the rounds sweep the possible interleavings instead of hoping
/// for them; even races run both writes as futures of one task (polled in turn, so a storage that yields
/// between its check and its write lets the rival in exactly there), odd races on two tasks at once.
const RACES: u64 = 54;

/// Races `store_if` with the slot's current version against a plain `store` on another handle, and
/// `store_if(Absent)` on an absent slot against a plain `store`, 40 times each. Whatever the order, the
/// plain store must win: either it came first and the `store_if` conflicts, or it came after and replaces
/// the `store_if`'s value. A slot left with the `store_if`'s value means the check and the write were split
/// and the plain store landed between them.
pub async fn store_if_is_atomic_against_store<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("store_if_is_atomic_against_store", h);
    cx.run(async {
        for round in 0..RACES {
            race(&cx, round, round % 4 < 2).await;
        }
    })
    .await;
}

/// Races `store_if` with the slot's current version against a `delete` on another handle, 40 times: the
/// slot must end absent, since either the delete came first (the `store_if` conflicts) or after.
pub async fn store_if_is_atomic_against_delete<H: Harness>(h: &H)
where
    H::Storage: SessionDelete + VersionedStorage,
{
    let cx = Ctx::new("store_if_is_atomic_against_delete", h);
    cx.run(async {
        for round in 0..RACES {
            race_delete(&cx, round).await;
        }
    })
    .await;
}

/// One race against a plain store; `from_absent` races `store_if(Absent)` on an absent slot instead.
async fn race<H: Harness>(cx: &Ctx<'_, H>, round: u64, from_absent: bool)
where
    H::Storage: VersionedStorage,
{
    let slot = cx.fresh_slot();
    let (setup, racer, other) = (
        cx.open(&slot).await,
        cx.open(&slot).await,
        cx.open(&slot).await,
    );
    let expect = if from_absent {
        Expect::Absent
    } else {
        cx.store(&setup, &tagged(3 * round, 64), "the value before the race")
            .await;
        current_version(cx.check(), &setup).await
    };
    let conditional = tagged(3 * round + 1, 64);
    let plain = tagged(3 * round + 2, 64);
    let rival = plain.clone();
    let result = run_race(cx.check(), round, racer, conditional, expect, async move {
        other.store(rival).await
    })
    .await;
    let after = cx.load(&setup, "after the race").await;
    cx.same(
        after.as_deref(),
        Some(&plain),
        format_args!(
            "after store_if raced a plain store (round {round}; store_if {}), the slot must hold the plain \
             store's value whatever the order",
            outcome(&result)
        ),
    );
}

/// One race against a delete.
async fn race_delete<H: Harness>(cx: &Ctx<'_, H>, round: u64)
where
    H::Storage: SessionDelete + VersionedStorage,
{
    let slot = cx.fresh_slot();
    let (setup, racer, other) = (
        cx.open(&slot).await,
        cx.open(&slot).await,
        cx.open(&slot).await,
    );
    cx.store(&setup, &tagged(2 * round, 64), "the value before the race")
        .await;
    let expect = current_version(cx.check(), &setup).await;
    let conditional = tagged(2 * round + 1, 64);
    let result = run_race(cx.check(), round, racer, conditional, expect, async move {
        other.delete().await
    })
    .await;
    let after = cx.load(&setup, "after the race").await;
    cx.same(
        after.as_deref(),
        None,
        format_args!(
            "after store_if raced a delete (round {round}; store_if {}), the slot must be absent whatever the \
             order",
            outcome(&result)
        ),
    );
}

/// The version of the slot's current value.
async fn current_version(check: Check, storage: &impl VersionedStorage) -> Expect {
    match load_versioned(check, storage, "before the race").await {
        Some((_, version)) => Expect::Version(version),
        None => check.fail("load_versioned right after a store returned Ok(None)"),
    }
}

/// Starts `store_if(conditional, expect)` on `racer` and the `rival` write at the same moment; returns the
/// `store_if`'s result. Any error but a conflict fails the case, and so does an error of the rival.
async fn run_race<S: VersionedStorage + 'static>(
    check: Check,
    round: u64,
    racer: S,
    conditional: Bytes,
    expect: Expect,
    rival: impl std::future::Future<Output = Result<(), StorageError>>,
) -> Result<Version, StorageError> {
    let rival = async move {
        yields((round / 3) % 3).await;
        rival.await
    };
    let (rival_result, result) = if round.is_multiple_of(2) {
        tokio::join!(rival, async move {
            yields(round % 3).await;
            racer.store_if(conditional, expect).await
        })
    } else {
        let barrier = Arc::new(Barrier::new(2));
        let gate = Arc::clone(&barrier);
        let conditional_write = tokio::spawn(async move {
            gate.wait().await;
            yields(round % 3).await;
            racer.store_if(conditional, expect).await
        });
        barrier.wait().await;
        let rival_result = rival.await;
        match conditional_write.await {
            Ok(result) => (rival_result, result),
            Err(err) => std::panic::resume_unwind(err.into_panic()),
        }
    };
    check.ok(rival_result, "the rival write of the race");
    if let Err(err) = &result {
        if err.kind() != ErrorKind::Conflict {
            check.error(err, "store_if in a race");
        }
    }
    result
}

/// Yields to the scheduler `n` times.
async fn yields(n: u64) {
    for _ in 0..n {
        tokio::task::yield_now().await;
    }
}

/// How a race's `store_if` ended, for messages.
fn outcome(result: &Result<Version, StorageError>) -> &'static str {
    if result.is_ok() {
        "succeeded"
    } else {
        "conflicted"
    }
}
