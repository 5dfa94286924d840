//! Versions across restarts: a clean one ([`Harness::reopen`]) and a crash ([`Harness::crash`]).

use bytes::Bytes;
use session_core::{Expect, SessionDelete, Version, VersionedStorage};

use super::versioned::load_versioned;
use crate::context::Ctx;
use crate::data::random_bytes;
use crate::Harness;

/// How a case restarts the backend.
#[derive(Clone, Copy)]
enum Restart {
    Reopen,
    Crash,
}

impl Restart {
    async fn run<H: Harness>(self, cx: &Ctx<'_, H>) {
        match self {
            Restart::Reopen => cx.reopen().await,
            Restart::Crash => cx.crash().await,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Restart::Reopen => "reopen",
            Restart::Crash => "crash",
        }
    }
}

/// Values written by `store_if` and their versions survive a reopen: `load_versioned` returns the same value
/// and version, `store_if` with that version succeeds, and a version taken before the restart conflicts
/// once a different value was written after it.
pub async fn versions_survive_reopen<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("versions_survive_reopen", h);
    cx.run(versions_survive(&cx, Restart::Reopen)).await;
}

/// A write acknowledged before a crash survives it, with its version: like [`versions_survive_reopen`],
/// through [`Harness::crash`].
pub async fn crash_keeps_versions<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("crash_keeps_versions", h);
    cx.run(async {
        versions_survive(&cx, Restart::Crash).await;
        versions_never_repeat(&cx, Restart::Crash).await;
    })
    .await;
}

async fn versions_survive<H: Harness>(cx: &Ctx<'_, H>, restart: Restart)
where
    H::Storage: VersionedStorage,
{
    let how = restart.name();
    let slot = cx.fresh_slot();
    let storage = cx.open(&slot).await;
    let first = random_bytes(80);
    let v1 = cx.ok(
        storage.store_if(first, Expect::Absent).await,
        "store_if(Absent) of the first value",
    );
    let second = random_bytes(81);
    let v2 = cx.ok(
        storage
            .store_if(second.clone(), Expect::Version(v1.clone()))
            .await,
        "store_if of the second value",
    );
    drop(storage);
    restart.run(cx).await;

    let storage = cx.open(&slot).await;
    match load_versioned(cx.check(), &storage, &format!("after a {how}")).await {
        None => cx.fail(format_args!("load_versioned after a {how} returned Ok(None): the value written by store_if was lost")),
        Some((got, version)) => {
            cx.same(Some(&got), Some(&second), format_args!("load_versioned after a {how}"));
            if version != v2 {
                cx.fail(format_args!(
                    "load_versioned after a {how} returned {version:?}, but store_if returned {v2:?} for the same \
                     value before it: versions must survive a {how}"
                ));
            }
        }
    }
    let third = random_bytes(82);
    let v3 = cx.ok(
        storage
            .store_if(third.clone(), Expect::Version(v2.clone()))
            .await,
        format_args!("store_if with the version from before the {how}"),
    );
    for (old, which) in [(&v1, "first"), (&v2, "second")] {
        if v3 == *old {
            cx.fail(format_args!(
                "store_if after a {how} returned {v3:?}, the version of the {which} value written before the \
                 {how}: versions must never repeat"
            ));
        }
    }
    let doing =
        format!("with a version from before the {how}, after a different value was written");
    let stale = storage.store_if(random_bytes(5), Expect::Version(v2)).await;
    cx.conflict(stale, &doing);
    cx.expect_load(
        &storage,
        Some(&third),
        &format!("after the conflict {doing}"),
    )
    .await;
}

/// Versions never repeat across a reopen: three values written before it and three after (by `store` and by
/// `store_if`) all have different versions, and a version from before the reopen conflicts on every value
/// written after it, so a version counter kept in memory shows.
pub async fn versions_never_repeat_across_reopen<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("versions_never_repeat_across_reopen", h);
    cx.run(versions_never_repeat(&cx, Restart::Reopen)).await;
}

async fn versions_never_repeat<H: Harness>(cx: &Ctx<'_, H>, restart: Restart)
where
    H::Storage: VersionedStorage,
{
    let how = restart.name();
    let slot = cx.fresh_slot();
    let mut before: Vec<Version> = Vec::new();
    let storage = cx.open(&slot).await;
    for round in 0..3 {
        before.push(
            write(
                cx,
                &storage,
                round,
                &format!("value #{round} before the {how}"),
            )
            .await,
        );
    }
    drop(storage);
    restart.run(cx).await;
    let storage = cx.open(&slot).await;
    for round in 3..6 {
        let what = format!("value #{round} after the {how}");
        let version = write(cx, &storage, round, &what).await;
        if let Some(at) = before.iter().position(|old| *old == version) {
            cx.fail(format_args!(
                "{what} got {version:?}, the version value #{at} had before the {how}: versions must never \
                 repeat (is a version counter kept in memory?)"
            ));
        }
        for (at, old) in before.iter().enumerate() {
            let doing = format!("with the version of value #{at} from before the {how}, on {what}");
            cx.conflict(
                storage
                    .store_if(random_bytes(3), Expect::Version(old.clone()))
                    .await,
                &doing,
            );
        }
        before.push(version);
    }
}

/// Writes value #`round` (plain `store` on odd rounds, `store_if` with the current state on even ones) and
/// returns its version.
async fn write<H: Harness>(
    cx: &Ctx<'_, H>,
    storage: &H::Storage,
    round: usize,
    what: &str,
) -> Version
where
    H::Storage: VersionedStorage,
{
    let value = random_bytes(40 + round);
    if round % 2 == 1 {
        cx.store(storage, &value, what).await;
        match load_versioned(cx.check(), storage, what).await {
            Some((_, version)) => version,
            None => cx.fail(format_args!(
                "load_versioned after storing {what} returned Ok(None)"
            )),
        }
    } else {
        let expect = match load_versioned(cx.check(), storage, what).await {
            Some((_, version)) => Expect::Version(version),
            None => Expect::Absent,
        };
        cx.ok(
            storage.store_if(value, expect).await,
            format_args!("store_if of {what}"),
        )
    }
}

/// Every store acknowledged before a crash survives it: values of several sizes in several slots, one
/// overwritten, one overwritten with an empty value; and a slot never written stays absent.
pub async fn crash_keeps_acknowledged_stores<H: Harness>(h: &H) {
    let cx = Ctx::new("crash_keeps_acknowledged_stores", h);
    cx.run(async {
        let mut expected: Vec<(String, Option<Bytes>)> = Vec::new();
        for (at, len) in [17, 4097, 300_001].into_iter().enumerate() {
            let slot = cx.fresh_slot();
            let storage = cx.open(&slot).await;
            cx.store(&storage, &random_bytes(len + 1), "a first value")
                .await;
            let last = if at == 2 {
                Bytes::new()
            } else {
                random_bytes(len)
            };
            cx.store(&storage, &last, "the value to survive the crash")
                .await;
            expected.push((slot, Some(last)));
        }
        expected.push((cx.fresh_slot(), None));
        cx.crash().await;
        for (slot, value) in &expected {
            let storage = cx.open(slot).await;
            cx.expect_load(
                &storage,
                value.as_deref(),
                &format!("slot {slot:?} after a crash"),
            )
            .await;
        }
    })
    .await;
}

/// A delete acknowledged before a crash survives it: the slot stays absent, and a slot stored after the
/// delete keeps the new value.
pub async fn crash_keeps_deletes<H: Harness>(h: &H)
where
    H::Storage: SessionDelete,
{
    let cx = Ctx::new("crash_keeps_deletes", h);
    cx.run(async {
        let (gone, back) = (cx.fresh_slot(), cx.fresh_slot());
        let value = random_bytes(33);
        for slot in [&gone, &back] {
            let storage = cx.open(slot).await;
            cx.store(&storage, &random_bytes(32), "a value").await;
            cx.ok(storage.delete().await, "delete of the value");
        }
        cx.store(&cx.open(&back).await, &value, "a value after the delete")
            .await;
        cx.crash().await;
        cx.expect_load(&cx.open(&gone).await, None, "a deleted slot after a crash")
            .await;
        cx.expect_load(
            &cx.open(&back).await,
            Some(&value),
            "a slot written after its delete, after a crash",
        )
        .await;
    })
    .await;
}
