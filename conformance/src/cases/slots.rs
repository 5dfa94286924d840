//! Cases across slots, handles and restarts.

use session_core::SessionStorage;

use crate::context::Ctx;
use crate::data::random_bytes;
use crate::Harness;

/// Slots never see each other's data, also when one name is a prefix of another: each of four related
/// slots loads its own value, an unwritten slot stays absent, and overwriting one slot leaves the others.
pub async fn slot_isolation<H: Harness>(h: &H) {
    let cx = Ctx::new("slot_isolation", h);
    cx.run(async {
        let base = cx.fresh_slot();
        let names = [
            base.clone(),
            format!("{base}-b"),
            format!("{base}b"),
            format!("{base}.x:y@z+w=v_u"),
        ];
        let mut slots = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let storage = cx.open(name).await;
            let value = random_bytes(100 + 37 * i);
            cx.store(&storage, &value, name).await;
            slots.push((name, storage, value));
        }
        for (name, storage, value) in &slots {
            let doing = format!(
                "slot {name:?} after storing into {} related slots",
                names.len()
            );
            cx.expect_load(storage, Some(value), &doing).await;
        }
        let unwritten = format!("{base}-c");
        let storage = cx.open(&unwritten).await;
        let doing = format!("never-written slot {unwritten:?} next to written slots");
        cx.expect_load(&storage, None, &doing).await;

        let replacement = random_bytes(55);
        let (first_name, first, _) = &slots[0];
        cx.store(first, &replacement, "a new value in the first slot")
            .await;
        let doing = format!("slot {first_name:?} after overwriting it");
        cx.expect_load(first, Some(&replacement), &doing).await;
        for (name, storage, value) in &slots[1..] {
            let doing = format!("slot {name:?} after overwriting slot {first_name:?}");
            cx.expect_load(storage, Some(value), &doing).await;
        }
    })
    .await;
}

/// Two handles on one slot see each other's stores, also after each loaded once (no stale cache), and a
/// handle opened later sees the latest value.
pub async fn visibility_across_handles<H: Harness>(h: &H) {
    let cx = Ctx::new("visibility_across_handles", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let a = cx.open(&slot).await;
        let b = cx.open(&slot).await;
        cx.expect_load(&a, None, "handle A before any store").await;
        cx.expect_load(&b, None, "handle B before any store").await;
        let first = random_bytes(300);
        cx.store(&a, &first, "through handle A").await;
        cx.expect_load(&b, Some(&first), "handle B after a store through handle A")
            .await;
        let second = random_bytes(200);
        cx.store(&b, &second, "through handle B").await;
        cx.expect_load(&a, Some(&second), "handle A after a store through handle B")
            .await;
        let c = cx.open(&slot).await;
        cx.expect_load(&c, Some(&second), "a handle opened after both stores")
            .await;
    })
    .await;
}

/// A stored value survives dropping every handle and [`Harness::reopen`], and so does each overwrite, with
/// values that caches and chunking treat specially (500 bytes, empty, exactly 64 KiB, over 1 MiB); an
/// unwritten slot stays absent.
pub async fn persistence_across_reopen<H: Harness>(h: &H) {
    let cx = Ctx::new("persistence_across_reopen", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let unwritten = cx.fresh_slot();
        for (round, len) in [
            ("first", 500),
            ("empty", 0),
            ("64 KiB", 65_536),
            ("1 MiB + 5", (1 << 20) + 5),
        ] {
            let value = random_bytes(len);
            let storage = cx.open(&slot).await;
            cx.store(&storage, &value, &format!("the {round} value"))
                .await;
            drop(storage);
            cx.reopen().await;
            let storage = cx.open(&slot).await;
            let doing = format!("after storing the {round} value and reopening");
            cx.expect_load(&storage, Some(&value), &doing).await;
        }
        let storage = cx.open(&unwritten).await;
        cx.expect_load(&storage, None, "a never-written slot after reopening")
            .await;
    })
    .await;
}

/// Names that real key schemes mix up: a name and the same name in another case, `_` against another
/// character (a SQL `LIKE` wildcard), every punctuation character against a letter and against nothing (a
/// trailing `.` that a file system drops, a `.session` that looks like an extension), names of the longest
/// length the harness allows that differ only in their last byte, and names that share their first 64, 128
/// or 191 bytes (common key-column limits), each next to the stem they all extend and to the stem without its
/// last byte. Each slot gets its own value; every slot then loads its own value through a new handle. A
/// harness that allows less than 255 bytes must refuse a longer name, or keep it apart from its first
/// `max_slot_len` bytes.
pub async fn slot_names_across_the_alphabet<H: Harness>(h: &H) {
    let cx = Ctx::new("slot_names_across_the_alphabet", h);
    cx.run(async {
        let names = related_names(&cx.fresh_slot(), h.max_slot_len().clamp(16, 255));
        let mut slots = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let storage = cx.open(name).await;
            let value = random_bytes(16 + i);
            cx.store(&storage, &value, &format!("slot {name:?}")).await;
            slots.push((name, value));
        }
        for (name, value) in &slots {
            let storage = cx.open(name).await;
            let doing = format!(
                "slot {name:?}, after storing into {} slots with related names",
                names.len()
            );
            cx.expect_load(&storage, Some(value), &doing).await;
        }
        over_the_limit(&cx, h.max_slot_len()).await;
    })
    .await;
}

/// When the harness allows less than 255 bytes, a name one byte over the limit is refused by `open`, or
/// else kept apart from the same name cut to the limit (never silently shortened).
async fn over_the_limit<H: Harness>(cx: &Ctx<'_, H>, max: usize) {
    if !(16..255).contains(&max) {
        return;
    }
    let mut long = cx.fresh_slot();
    while long.len() <= max {
        long.push('w');
    }
    long.truncate(max + 1);
    let Ok(storage) = cx.harness().open(&long).await else {
        return;
    };
    let cut = cx.open(&long[..max]).await;
    let (long_value, cut_value) = (random_bytes(21), random_bytes(22));
    let stored = storage.store(long_value.clone()).await;
    if stored.is_err() {
        return;
    }
    cx.store(&cut, &cut_value, "the name cut to max_slot_len")
        .await;
    let doing = format!(
        "a name of max_slot_len + 1 = {} bytes, which open accepted",
        max + 1
    );
    cx.expect_load(&storage, Some(&long_value), &doing).await;
}

/// The names of [`slot_names_across_the_alphabet`], all starting with `stem` and at most `max` bytes long.
fn related_names(stem: &str, max: usize) -> Vec<String> {
    let stem = &stem[..stem.len().min(max.saturating_sub(2).max(1))];
    let mut names = vec![
        stem.to_owned(),
        format!("{stem}a"),
        format!("{stem}A"),
        format!("{stem}_"),
        format!("{stem}x"),
        format!("{stem}.."),
        format!("{stem}.session"),
        stem[..stem.len() - 1].to_owned(),
    ];
    for punctuation in ['.', ':', '@', '+', '=', '-'] {
        names.push(format!("{stem}{punctuation}"));
    }
    let fill = |len: usize, last: char| {
        let mut name = stem.to_owned();
        while name.len() + 1 < len {
            name.push(if name.len().is_multiple_of(2) {
                'k'
            } else {
                'Q'
            });
        }
        name.push(last);
        name
    };
    for len in [64, 65, 128, 129, 191, 192, 255] {
        if len <= max && len > stem.len() + 1 {
            names.push(fill(len, 'y'));
            names.push(fill(len, 'z'));
        }
    }
    names.push(fill(max, '0'));
    names.push(fill(max, '1'));
    names.sort();
    names.dedup();
    names
}

/// A handle that loaded (or wrote) a value never serves it again after another handle wrote: a load
/// through handle A, a store through handle B, and A loads B's value; likewise the other way, several times.
pub async fn no_stale_value_after_another_handle_writes<H: Harness>(h: &H) {
    let cx = Ctx::new("no_stale_value_after_another_handle_writes", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let (a, b) = (cx.open(&slot).await, cx.open(&slot).await);
        let mut last = random_bytes(40);
        cx.store(&a, &last, "the first value through handle A")
            .await;
        for round in 0..4 {
            let (reader, writer) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
            cx.expect_load(
                reader,
                Some(&last),
                &format!("round {round}, before the other handle writes"),
            )
            .await;
            let next = random_bytes(40 + round);
            cx.store(
                writer,
                &next,
                &format!("round {round}, through the other handle"),
            )
            .await;
            let doing = format!("round {round}, right after the other handle wrote");
            cx.expect_load(reader, Some(&next), &doing).await;
            last = next;
        }
    })
    .await;
}
