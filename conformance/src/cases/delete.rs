//! Cases of [`SessionDelete`].

use bytes::Bytes;
use session_core::SessionDelete;

use super::interleave::three_at_once;
use crate::check::Check;
use crate::context::Ctx;
use crate::data::{random_bytes, tagged};
use crate::Harness;

/// `storage.delete()`, failing the case on an error.
async fn delete(check: Check, storage: &impl SessionDelete, doing: &str) {
    check.ok(storage.delete().await, format_args!("delete ({doing})"));
}

/// After `delete`, `load` returns `Ok(None)`.
pub async fn delete_then_load_is_absent<H: Harness>(h: &H)
where
    H::Storage: SessionDelete,
{
    let cx = Ctx::new("delete_then_load_is_absent", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        cx.store(&storage, &random_bytes(100), "a value").await;
        delete(*cx, &storage, "of a stored value").await;
        cx.expect_load(&storage, None, "after delete").await;
    })
    .await;
}

/// Deleting succeeds on a never-written slot and on an already deleted one, twice in a row each time.
pub async fn delete_is_idempotent<H: Harness>(h: &H)
where
    H::Storage: SessionDelete,
{
    let cx = Ctx::new("delete_is_idempotent", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        delete(*cx, &storage, "of a never-written slot").await;
        delete(*cx, &storage, "of a never-written slot, again").await;
        cx.expect_load(&storage, None, "after deleting a never-written slot twice")
            .await;
        cx.store(&storage, &random_bytes(100), "a value").await;
        delete(*cx, &storage, "of a stored value").await;
        delete(*cx, &storage, "of an already deleted value").await;
        cx.expect_load(&storage, None, "after deleting a value twice")
            .await;
    })
    .await;
}

/// Deleting a slot leaves other slots alone, also slots whose names extend its name and a slot that holds
/// the same bytes (which a storage that keeps equal values once, by their hash, must not drop with it).
pub async fn delete_leaves_other_slots<H: Harness>(h: &H)
where
    H::Storage: SessionDelete,
{
    let cx = Ctx::new("delete_leaves_other_slots", h);
    cx.run(async {
        let base = cx.fresh_slot();
        let names = [base.clone(), format!("{base}-b"), cx.fresh_slot()];
        let shared = random_bytes(70_001);
        let mut slots = Vec::with_capacity(names.len());
        for (at, name) in names.iter().enumerate() {
            let storage = cx.open(name).await;
            let value = if at == 1 {
                random_bytes(64)
            } else {
                shared.clone()
            };
            cx.store(&storage, &value, name).await;
            slots.push((name, storage, value));
        }
        for deleted in 0..2 {
            delete(*cx, &slots[deleted].1, slots[deleted].0).await;
            for (i, (name, storage, value)) in slots.iter().enumerate() {
                let want = (i > deleted).then_some(value);
                let doing = format!("slot {name:?} after deleting slot {:?}", slots[deleted].0);
                cx.expect_load(storage, want.map(|v| &v[..]), &doing).await;
            }
        }
    })
    .await;
}

/// A store after a delete works like a first store, also for an empty value.
pub async fn store_after_delete<H: Harness>(h: &H)
where
    H::Storage: SessionDelete,
{
    let cx = Ctx::new("store_after_delete", h);
    cx.run(async {
        let storage = cx.open(&cx.fresh_slot()).await;
        cx.store(&storage, &random_bytes(100), "a value").await;
        delete(*cx, &storage, "of the value").await;
        let value = random_bytes(80);
        cx.store(&storage, &value, "after delete").await;
        cx.expect_load(&storage, Some(&value), "after delete and store")
            .await;
        delete(*cx, &storage, "of the second value").await;
        cx.store(
            &storage,
            &bytes::Bytes::new(),
            "an empty value after delete",
        )
        .await;
        cx.expect_load(
            &storage,
            Some(b""),
            "after delete and storing an empty value",
        )
        .await;
    })
    .await;
}

/// A delete through one handle is seen by another handle that had loaded the value before.
pub async fn delete_seen_by_other_handle<H: Harness>(h: &H)
where
    H::Storage: SessionDelete,
{
    let cx = Ctx::new("delete_seen_by_other_handle", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let (a, b) = (cx.open(&slot).await, cx.open(&slot).await);
        let value = random_bytes(100);
        cx.store(&a, &value, "through handle A").await;
        cx.expect_load(&b, Some(&value), "handle B after a store through handle A")
            .await;
        cx.expect_load(&a, Some(&value), "handle A after its own store")
            .await;
        delete(*cx, &b, "through handle B").await;
        cx.expect_load(
            &a,
            None,
            "handle A, which had loaded the value, after a delete through handle B",
        )
        .await;
        let again = random_bytes(90);
        cx.store(&b, &again, "through handle B after the delete")
            .await;
        cx.expect_load(&a, Some(&again), "handle A after B stored again")
            .await;
        delete(*cx, &a, "through handle A").await;
        cx.expect_load(
            &b,
            None,
            "handle B, which had stored the value, after a delete through handle A",
        )
        .await;
        let c = cx.open(&slot).await;
        cx.expect_load(&c, None, "a handle opened after the delete")
            .await;
    })
    .await;
}

/// A delete survives [`Harness::reopen`]: the slot stays absent.
pub async fn delete_survives_reopen<H: Harness>(h: &H)
where
    H::Storage: SessionDelete,
{
    let cx = Ctx::new("delete_survives_reopen", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let storage = cx.open(&slot).await;
        cx.store(&storage, &random_bytes(100), "a value").await;
        delete(*cx, &storage, "of the value").await;
        drop(storage);
        cx.reopen().await;
        let storage = cx.open(&slot).await;
        cx.expect_load(&storage, None, "after delete and reopen")
            .await;
    })
    .await;
}

/// An empty value stored after a delete is an empty value, not absence, through every handle; a delete
/// after it makes the slot absent again.
pub async fn empty_value_after_delete<H: Harness>(h: &H)
where
    H::Storage: SessionDelete,
{
    let cx = Ctx::new("empty_value_after_delete", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let (a, b) = (cx.open(&slot).await, cx.open(&slot).await);
        cx.store(&a, &random_bytes(100), "a value").await;
        delete(*cx, &a, "of the value").await;
        cx.store(&a, &bytes::Bytes::new(), "an empty value after the delete")
            .await;
        cx.expect_load(
            &a,
            Some(b""),
            "after storing an empty value over a deleted one",
        )
        .await;
        cx.expect_load(&b, Some(b""), "the same, through another handle")
            .await;
        delete(*cx, &b, "of the empty value").await;
        cx.expect_load(&a, None, "after deleting the empty value")
            .await;
    })
    .await;
}

/// Lengths of the values of [`delete_racing_loads_and_stores`]: several 64 KiB chunks, a few more, and one.
const RACE_LENGTHS: [usize; 3] = [200_003, 70_001, 9];

/// A `delete` at once with a `load` and a `store` through two other handles of the slot, in 27
/// interleavings: the load returns the old value whole, the new value whole, or nothing; afterwards the slot
/// holds the new value or nothing, the same through every handle. A storage that deletes a value piece by
/// piece (chunk rows one statement at a time, say) shows a part of it here, or leaves a part of the new one.
pub async fn delete_racing_loads_and_stores<H: Harness>(h: &H)
where
    H::Storage: SessionDelete,
{
    let cx = Ctx::new("delete_racing_loads_and_stores", h);
    cx.run(async {
        for round in 0..27u64 {
            let slot = cx.fresh_slot();
            let (deleter, reader, writer) = (
                cx.open(&slot).await,
                cx.open(&slot).await,
                cx.open(&slot).await,
            );
            let old = tagged(2 * round, RACE_LENGTHS[round as usize % 3]);
            let new = tagged(2 * round + 1, RACE_LENGTHS[(round as usize + 1) % 3]);
            cx.store(&writer, &old, "the value before the race").await;
            let check = cx.check();
            let written = new.clone();
            let (deleter, (reader, loaded), writer) = three_at_once(
                round,
                async move {
                    delete(check, &deleter, "at once with a load and a store").await;
                    deleter
                },
                async move {
                    let loaded = check.load(&reader, "at once with a delete and a store").await;
                    (reader, loaded)
                },
                async move {
                    check
                        .store(&writer, &written, "at once with a delete and a load")
                        .await;
                    writer
                },
            )
            .await;
            let whole = |got: &Option<Bytes>, allowed: &[&Bytes]| {
                got.as_ref()
                    .is_none_or(|got| allowed.contains(&got))
            };
            if !whole(&loaded, &[&old, &new]) {
                cx.same(
                    loaded.as_deref(),
                    Some(&old),
                    format_args!(
                        "a load at once with a delete and a store (round {round}) returned neither the old \
                         value, nor the new one, nor nothing (compared with the old value)"
                    ),
                );
            }
            let now = cx.load(&cx.open(&slot).await, "a new handle after the race").await;
            if !whole(&now, &[&new]) {
                cx.same(
                    now.as_deref(),
                    Some(&new),
                    format_args!(
                        "after a delete, a load and a store at once (round {round}), a new handle must load \
                         the new value or nothing"
                    ),
                );
            }
            for (name, storage) in [
                ("that deleted", &deleter),
                ("that loaded", &reader),
                ("that stored", &writer),
            ] {
                let doing = format!(
                    "the handle {name}, after a delete, a load and a store at once (round {round}), compared \
                     with a new handle"
                );
                cx.expect_load(storage, now.as_deref(), &doing).await;
            }
        }
    })
    .await;
}
