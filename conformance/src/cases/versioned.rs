//! Cases of [`VersionedStorage`]: conditional writes.

use bytes::Bytes;
use session_core::{Expect, SessionDelete, Version, VersionedStorage};

use crate::check::Check;
use crate::context::Ctx;
use crate::data::{lookalikes, random_bytes};
use crate::Harness;

/// `storage.load_versioned()`, failing the case on an error.
pub(super) async fn load_versioned(
    check: Check,
    storage: &impl VersionedStorage,
    doing: &str,
) -> Option<(Bytes, Version)> {
    check.ok(
        storage.load_versioned().await,
        format_args!("load_versioned ({doing})"),
    )
}

/// `storage.store_if(data, expect)`, failing the case on an error.
async fn store_if(
    check: Check,
    storage: &impl VersionedStorage,
    data: &Bytes,
    expect: Expect,
    doing: &str,
) -> Version {
    let result = storage.store_if(data.clone(), expect).await;
    check.ok(result, format_args!("store_if ({doing})"))
}

/// Fails unless `store_if(data, expect)` fails with a conflict.
async fn store_if_conflicts(
    check: Check,
    storage: &impl VersionedStorage,
    data: &Bytes,
    expect: Expect,
    doing: &str,
) {
    let result = storage.store_if(data.clone(), expect).await;
    check.conflict(result, &format!("store_if ({doing})"));
}

/// Fails unless the slot holds `want` with version `version`.
async fn expect_versioned(
    check: Check,
    storage: &impl VersionedStorage,
    want: &Bytes,
    version: &Version,
    doing: &str,
) {
    let Some((got, got_version)) = load_versioned(check, storage, doing).await else {
        check.fail(format_args!(
            "load_versioned ({doing}) returned Ok(None), expected a value of {} bytes",
            want.len()
        ));
    };
    check.same(
        Some(&got),
        Some(want),
        format_args!("load_versioned ({doing})"),
    );
    if got_version != *version {
        check.fail(format_args!(
            "load_versioned ({doing}) returned {got_version:?}, expected {version:?}"
        ));
    }
}

/// Fails if `new` equals `old`: a write of a different value must give a new version.
fn expect_new_version(check: Check, old: &Version, new: &Version, doing: &str) {
    if old == new {
        check.fail(format_args!(
            "{doing} returned {new:?}, the version of the previous, different value"
        ));
    }
}

/// `load_versioned` of a never-written slot returns `Ok(None)`.
pub async fn load_versioned_absent<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("load_versioned_absent", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        if let Some((data, version)) = load_versioned(*cx, &storage, "a never-written slot").await {
            cx.fail(format_args!(
                "load_versioned of a never-written slot returned {} bytes with {version:?}, expected Ok(None)",
                data.len()
            ));
        }
    })
    .await;
}

/// After a plain `store`, `load_versioned` returns the stored bytes, with the same version on every handle.
pub async fn load_versioned_sees_plain_store<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("load_versioned_sees_plain_store", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let (a, b) = (cx.open(&slot).await, cx.open(&slot).await);
        let value = random_bytes(100);
        cx.store(&a, &value, "a plain value").await;
        let Some((got, version)) = load_versioned(*cx, &a, "after a plain store").await else {
            cx.fail("load_versioned after a plain store returned Ok(None)");
        };
        cx.same(
            Some(&got),
            Some(&value),
            "load_versioned after a plain store",
        );
        expect_versioned(*cx, &b, &value, &version, "through a second handle").await;
    })
    .await;
}

/// `store_if(Expect::Absent)` creates the value, and returns the version that `load_versioned` then reports
/// on every handle.
pub async fn store_if_absent_creates<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("store_if_absent_creates", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let (a, b) = (cx.open(&slot).await, cx.open(&slot).await);
        let value = random_bytes(100);
        let version = store_if(*cx, &a, &value, Expect::Absent, "Absent on a new slot").await;
        expect_versioned(*cx, &a, &value, &version, "after store_if(Absent)").await;
        expect_versioned(
            *cx,
            &b,
            &value,
            &version,
            "after store_if(Absent), through a second handle",
        )
        .await;
        cx.expect_load(&b, Some(&value), "after store_if(Absent)")
            .await;
    })
    .await;
}

/// `store_if(Expect::Absent)` on a present value fails with a conflict and leaves value and version.
pub async fn store_if_absent_on_present_conflicts<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("store_if_absent_on_present_conflicts", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        let value = random_bytes(100);
        let version = store_if(
            *cx,
            &storage,
            &value,
            Expect::Absent,
            "Absent on a new slot",
        )
        .await;
        let doing = "Absent on a present value";
        store_if_conflicts(*cx, &storage, &random_bytes(50), Expect::Absent, doing).await;
        expect_versioned(*cx, &storage, &value, &version, "after the conflict").await;
    })
    .await;
}

/// `store_if` with a version that is no longer current fails with a conflict and leaves value and version.
pub async fn store_if_stale_version_conflicts<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("store_if_stale_version_conflicts", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        let first = random_bytes(100);
        let stale = store_if(*cx, &storage, &first, Expect::Absent, "the first value").await;
        let second = random_bytes(100);
        let expect = Expect::Version(stale.clone());
        let current = store_if(*cx, &storage, &second, expect, "the second value").await;
        let expect = Expect::Version(stale);
        let doing = "with the version of the first value after a second was stored";
        store_if_conflicts(*cx, &storage, &random_bytes(50), expect, doing).await;
        expect_versioned(*cx, &storage, &second, &current, "after the conflict").await;
    })
    .await;
}

/// `store_if` with the current version succeeds and returns a new version, which `load_versioned` reports
/// and which the next `store_if` accepts.
pub async fn store_if_current_version_succeeds<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("store_if_current_version_succeeds", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let (a, b) = (cx.open(&slot).await, cx.open(&slot).await);
        let mut version = store_if(
            *cx,
            &a,
            &random_bytes(100),
            Expect::Absent,
            "the first value",
        )
        .await;
        for round in 0..3 {
            let value = random_bytes(100 + round);
            let doing = format!("with the current version, write #{}", round + 2);
            let expect = Expect::Version(version.clone());
            let new = store_if(*cx, &a, &value, expect, &doing).await;
            expect_new_version(*cx, &version, &new, &format!("store_if ({doing})"));
            expect_versioned(*cx, &b, &value, &new, &format!("after store_if {doing}")).await;
            version = new;
        }
    })
    .await;
}

/// A plain `store` of different bytes makes the previous version stale: `store_if` with it conflicts.
pub async fn plain_store_makes_version_stale<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("plain_store_makes_version_stale", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        let old = store_if(
            *cx,
            &storage,
            &random_bytes(100),
            Expect::Absent,
            "the first value",
        )
        .await;
        let plain = random_bytes(100);
        cx.store(&storage, &plain, "a different value, plainly")
            .await;
        let doing = "with the version from before a plain store";
        store_if_conflicts(
            *cx,
            &storage,
            &random_bytes(50),
            Expect::Version(old.clone()),
            doing,
        )
        .await;
        let Some((got, new)) = load_versioned(*cx, &storage, "after the conflict").await else {
            cx.fail("load_versioned after a plain store and a conflict returned Ok(None)");
        };
        cx.same(
            Some(&got),
            Some(&plain),
            "load_versioned after the conflict",
        );
        expect_new_version(*cx, &old, &new, "load_versioned after a plain store");
    })
    .await;
}

/// After a delete, a version from before conflicts, `store_if(Expect::Absent)` succeeds with a version
/// different from the deleted value's, and the old version still conflicts.
pub async fn delete_makes_version_stale<H: Harness>(h: &H)
where
    H::Storage: SessionDelete + VersionedStorage,
{
    let cx = Ctx::new("delete_makes_version_stale", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        let old = store_if(
            *cx,
            &storage,
            &random_bytes(100),
            Expect::Absent,
            "the first value",
        )
        .await;
        cx.ok(storage.delete().await, "delete of the first value");
        let doing = "with the version of a deleted value";
        store_if_conflicts(
            *cx,
            &storage,
            &random_bytes(50),
            Expect::Version(old.clone()),
            doing,
        )
        .await;
        cx.expect_load(&storage, None, "after the conflict on the deleted slot")
            .await;
        let value = random_bytes(100);
        let new = store_if(*cx, &storage, &value, Expect::Absent, "Absent after delete").await;
        expect_new_version(*cx, &old, &new, "store_if(Absent) after delete");
        let doing = "with the version of the deleted value after the slot was written again";
        store_if_conflicts(
            *cx,
            &storage,
            &random_bytes(50),
            Expect::Version(old),
            doing,
        )
        .await;
        expect_versioned(*cx, &storage, &value, &new, "after the conflicts").await;
    })
    .await;
}

/// A version that names a value of one slot means nothing on a slot that was never written: `store_if`
/// with it conflicts there and leaves the slot absent (a version comes only from the state it names).
pub async fn store_if_version_on_never_written_slot_conflicts<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("store_if_version_on_never_written_slot_conflicts", h);
    cx.run(async {
        let written = cx.open(&cx.fresh_slot()).await;
        let version = store_if(
            *cx,
            &written,
            &random_bytes(30),
            Expect::Absent,
            "a value elsewhere",
        )
        .await;
        let empty = store_if(
            *cx,
            &cx.open(&cx.fresh_slot()).await,
            &Bytes::new(),
            Expect::Absent,
            "an empty value elsewhere",
        )
        .await;
        let never = cx.open(&cx.fresh_slot()).await;
        for (what, version) in [("a value", version), ("an empty value", empty)] {
            let doing =
                format!("on a never-written slot, with the version of {what} of another slot");
            store_if_conflicts(
                *cx,
                &never,
                &random_bytes(20),
                Expect::Version(version),
                &doing,
            )
            .await;
            cx.expect_load(&never, None, &format!("after store_if {doing}"))
                .await;
        }
    })
    .await;
}

/// An empty value is a value: `load_versioned` returns it with a version, `store_if(Absent)` on it
/// conflicts, and `store_if` with its version succeeds; also when the empty value came from a plain
/// `store`.
pub async fn store_if_on_an_empty_value<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("store_if_on_an_empty_value", h);
    cx.run(async {
        let empty = Bytes::new();
        for plain in [false, true] {
            let how = if plain { "a plain store" } else { "store_if(Absent)" };
            let storage = cx.open(&cx.fresh_slot()).await;
            let version = if plain {
                cx.store(&storage, &empty, "an empty value").await;
                match load_versioned(*cx, &storage, "of an empty value").await {
                    Some((data, version)) if data.is_empty() => version,
                    Some((data, _)) => cx.fail(format_args!(
                        "load_versioned of an empty value stored by {how} returned {} bytes",
                        data.len()
                    )),
                    None => cx.fail(format_args!(
                        "load_versioned of an empty value stored by {how} returned Ok(None): an empty value \
                         is not absence"
                    )),
                }
            } else {
                store_if(*cx, &storage, &empty, Expect::Absent, "an empty value on a new slot").await
            };
            expect_versioned(*cx, &storage, &empty, &version, &format!("an empty value stored by {how}")).await;
            let doing = format!("Absent on an empty value stored by {how}");
            store_if_conflicts(*cx, &storage, &random_bytes(10), Expect::Absent, &doing).await;
            cx.expect_load(&storage, Some(b""), &format!("after store_if {doing}")).await;
            let value = random_bytes(10);
            let doing = format!("with the version of an empty value stored by {how}");
            let new = store_if(*cx, &storage, &value, Expect::Version(version.clone()), &doing).await;
            expect_new_version(*cx, &version, &new, &format!("store_if {doing}"));
            expect_versioned(*cx, &storage, &value, &new, &format!("after store_if {doing}")).await;
        }
    })
    .await;
}

/// A handle that read a version never serves it again after another handle wrote: handle A reads
/// `(value, version)`, handle B stores another value, then A's `load_versioned` returns B's value with a new
/// version and A's `store_if` with the old version conflicts.
pub async fn no_stale_version_after_another_handle_writes<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("no_stale_version_after_another_handle_writes", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let (a, b) = (cx.open(&slot).await, cx.open(&slot).await);
        let first = random_bytes(50);
        let old = store_if(*cx, &a, &first, Expect::Absent, "the first value through A").await;
        expect_versioned(*cx, &a, &first, &old, "through A, before B writes").await;
        let second = random_bytes(60);
        cx.store(&b, &second, "another value through B").await;
        let Some((got, new)) = load_versioned(*cx, &a, "through A after B wrote").await else {
            cx.fail("load_versioned through A after B wrote returned Ok(None)");
        };
        cx.same(
            Some(&got),
            Some(&second),
            "load_versioned through A after B wrote",
        );
        expect_new_version(*cx, &old, &new, "load_versioned through A after B wrote");
        let doing = "through A with the version A read before B wrote";
        store_if_conflicts(*cx, &a, &random_bytes(5), Expect::Version(old), doing).await;
        expect_versioned(*cx, &b, &second, &new, "through B after A's conflict").await;
    })
    .await;
}

/// After a delete, `load_versioned` returns `Ok(None)` on every handle, also for a deleted empty value.
pub async fn load_versioned_after_delete<H: Harness>(h: &H)
where
    H::Storage: SessionDelete + VersionedStorage,
{
    let cx = Ctx::new("load_versioned_after_delete", h);
    cx.run(async {
        for value in [random_bytes(70), Bytes::new()] {
            let slot = cx.fresh_slot();
            let (a, b) = (cx.open(&slot).await, cx.open(&slot).await);
            store_if(*cx, &a, &value, Expect::Absent, "a value").await;
            load_versioned(*cx, &b, "before the delete").await;
            cx.ok(a.delete().await, "delete of the value");
            for (handle, storage) in [("A", &a), ("B", &b)] {
                let doing = format!("through {handle} after deleting {} bytes", value.len());
                if let Some((data, version)) = load_versioned(*cx, storage, &doing).await {
                    cx.fail(format_args!(
                        "load_versioned {doing} returned {} bytes with {version:?}, expected Ok(None)",
                        data.len()
                    ));
                }
            }
        }
    })
    .await;
}

/// A deleted slot is absent to `store_if` too: `store_if(Absent)` succeeds on it (no tombstone counts as a
/// value), and the version of a deleted empty value conflicts.
pub async fn store_if_after_delete<H: Harness>(h: &H)
where
    H::Storage: SessionDelete + VersionedStorage,
{
    let cx = Ctx::new("store_if_after_delete", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        let empty = store_if(
            *cx,
            &storage,
            &Bytes::new(),
            Expect::Absent,
            "an empty value",
        )
        .await;
        cx.ok(storage.delete().await, "delete of the empty value");
        let doing = "with the version of a deleted empty value";
        store_if_conflicts(
            *cx,
            &storage,
            &random_bytes(9),
            Expect::Version(empty.clone()),
            doing,
        )
        .await;
        let value = random_bytes(9);
        let new = store_if(
            *cx,
            &storage,
            &value,
            Expect::Absent,
            "Absent after deleting an empty value",
        )
        .await;
        expect_versioned(
            *cx,
            &storage,
            &value,
            &new,
            "after store_if(Absent) on a deleted slot",
        )
        .await;
        cx.ok(storage.delete().await, "delete of the value");
        cx.ok(storage.delete().await, "a second delete");
        let again = random_bytes(11);
        let last = store_if(
            *cx,
            &storage,
            &again,
            Expect::Absent,
            "Absent after two deletes",
        )
        .await;
        expect_versioned(
            *cx,
            &storage,
            &again,
            &last,
            "after store_if(Absent) after two deletes",
        )
        .await;
    })
    .await;
}

/// `store_if` of the bytes the slot already holds is a write like any other: the version it returns is
/// current, so the next `store_if` with it succeeds, and `load_versioned` reports a version that works too.
pub async fn store_if_of_the_same_bytes<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("store_if_of_the_same_bytes", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        let value = random_bytes(48);
        let first = store_if(*cx, &storage, &value, Expect::Absent, "a value").await;
        let doing = "of the same bytes again, with their version";
        let again = store_if(*cx, &storage, &value, Expect::Version(first), doing).await;
        expect_versioned(
            *cx,
            &storage,
            &value,
            &again,
            "after writing the same bytes again",
        )
        .await;
        let next = random_bytes(49);
        let doing = "with the version returned by writing the same bytes again";
        let last = store_if(*cx, &storage, &next, Expect::Version(again), doing).await;
        expect_versioned(*cx, &storage, &next, &last, "after the next write").await;
    })
    .await;
}

/// The lengths of the random values of [`store_if_keeps_values_whole`]: around common page, chunk and
/// packet sizes, and several MiB.
const STORE_IF_LENGTHS: [usize; 12] = [
    1,
    4095,
    4096,
    4097,
    65_535,
    65_536,
    65_537,
    1_048_575,
    1_048_576,
    1_048_577,
    (4 << 20) + 1,
    (5 << 20) + 3,
];

/// Values written by `store_if` come back exactly, like those of a plain `store` (a storage may write them
/// with another statement, column or request): an empty value, random values of lengths around 4 KiB,
/// 64 KiB and 1 MiB and of 4 and 5 MiB, and every lookalike value of
/// [`values_that_look_like_other_formats`](super::values_that_look_like_other_formats), each through
/// `load_versioned` with the version `store_if` returned and through a new handle.
pub async fn store_if_keeps_values_whole<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("store_if_keeps_values_whole", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let storage = cx.open(&slot).await;
        let mut values = vec![("an empty value".to_owned(), Bytes::new())];
        for len in STORE_IF_LENGTHS {
            values.push((format!("{len} random bytes"), random_bytes(len)));
        }
        values.extend(lookalikes(&random_bytes(23)));
        let mut expect = Expect::Absent;
        for (what, value) in values {
            let doing = format!("of {what}");
            let version = store_if(*cx, &storage, &value, expect, &doing).await;
            let after = format!("after store_if {doing}");
            expect_versioned(*cx, &storage, &value, &version, &after).await;
            let other = cx.open(&slot).await;
            cx.expect_load(
                &other,
                Some(&value),
                &format!("{after}, through a new handle"),
            )
            .await;
            expect = Expect::Version(version);
        }
    })
    .await;
}

/// Where [`versions_tell_apart_values_one_byte_apart`] changes one byte of a value of `len` bytes: the first
/// and the last, the middle, a third of the way, and just past 1, 4 and 64 KiB.
fn one_byte_offsets(len: usize) -> Vec<usize> {
    let mut offsets = vec![0, len - 1, len / 2, len / 3, 1025, 4097, 65_537];
    offsets.retain(|&at| at < len);
    offsets.sort_unstable();
    offsets.dedup();
    offsets
}

/// Values that differ in one byte (anywhere: at the start, the end, the middle, past 1, 4 and 64 KiB) have
/// different versions, and so does a value of the same length: each `store_if` of a value one byte apart
/// from the current one returns a new version, the old version then conflicts, and the original value is
/// written back with the new version. A storage that derives versions from part of a value (its first
/// kilobytes, its length, its head and tail) shows here.
pub async fn versions_tell_apart_values_one_byte_apart<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    let cx = Ctx::new("versions_tell_apart_values_one_byte_apart", h);
    cx.run(async {
        for len in [5_003, 200_003] {
            let storage = cx.open(&cx.fresh_slot()).await;
            let original = random_bytes(len);
            let doing = format!("of {len} random bytes");
            let mut version = store_if(*cx, &storage, &original, Expect::Absent, &doing).await;
            let mut changes: Vec<(String, Bytes)> = one_byte_offsets(len)
                .into_iter()
                .map(|at| {
                    let mut changed = original.to_vec();
                    changed[at] ^= 0x10;
                    (format!("byte {at} changed"), Bytes::from(changed))
                })
                .collect();
            changes.push((
                "every byte different, the length the same".to_owned(),
                random_bytes(len),
            ));
            for (what, changed) in changes {
                let doing = format!("of the {len}-byte value with {what}");
                let new = store_if(
                    *cx,
                    &storage,
                    &changed,
                    Expect::Version(version.clone()),
                    &doing,
                )
                .await;
                expect_new_version(*cx, &version, &new, &format!("store_if {doing}"));
                store_if_conflicts(
                    *cx,
                    &storage,
                    &original,
                    Expect::Version(version),
                    &format!("with the version from before the store_if {doing}"),
                )
                .await;
                let back = format!("of the original {len}-byte value again, after one with {what}");
                version = store_if(*cx, &storage, &original, Expect::Version(new), &back).await;
            }
        }
    })
    .await;
}
