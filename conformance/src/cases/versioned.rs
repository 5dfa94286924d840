//! Cases of [`VersionedStorage`]: conditional writes.

use bytes::Bytes;
use session_core::{Expect, SessionDelete, Version, VersionedStorage};

use crate::check::Check;
use crate::context::Ctx;
use crate::data::random_bytes;
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
