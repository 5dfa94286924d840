//! Cases across slots, handles and restarts.

use bytes::Bytes;
use session_core::SessionStorage;

use crate::context::Ctx;
use crate::data::{lookalikes, random_bytes};
use crate::model::ALPHABET;
use crate::Harness;

/// Slots never see each other's data, also when one name is a prefix of another: each of four related
/// slots loads its own value, an unwritten slot stays absent, and overwriting one slot leaves the others;
/// also when two slots hold the same bytes (which a storage that keeps equal values once, by their hash,
/// must not drop when one slot is overwritten).
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

        let twins = [cx.fresh_slot(), cx.fresh_slot()];
        let same = random_bytes(70_001);
        for name in &twins {
            cx.store(&cx.open(name).await, &same, "the same bytes into two slots")
                .await;
        }
        cx.store(
            &cx.open(&twins[0]).await,
            &replacement,
            "a new value over one of them",
        )
        .await;
        let doing = format!(
            "slot {:?}, which held the same bytes as slot {:?} until that was overwritten",
            twins[1], twins[0]
        );
        cx.expect_load(&cx.open(&twins[1]).await, Some(&same), &doing)
            .await;
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
/// unwritten slot stays absent. Then values of every length around common chunk and page sizes (one byte
/// less, exactly, one byte more, and two and three times the sizes of 4 KiB, 64 KiB and 1 MiB) and every
/// lookalike value of [`values_that_look_like_other_formats`](super::values_that_look_like_other_formats),
/// each in a slot of its own, all survive one more reopen: a storage whose cache hides what its medium lost
/// or changed shows here.
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
        drop(storage);

        let mut values: Vec<(String, Bytes)> = Vec::new();
        for boundary in REOPEN_BOUNDARIES {
            for len in [boundary - 1, boundary, boundary + 1] {
                values.push((format!("{len} random bytes"), random_bytes(len)));
            }
        }
        for size in [4096, 65_536, 1 << 20] {
            for len in [2 * size, 3 * size] {
                values.push((format!("{len} random bytes"), random_bytes(len)));
            }
        }
        values.extend(lookalikes(&random_bytes(29)));
        let mut slots = Vec::with_capacity(values.len());
        for (what, value) in values {
            let name = cx.fresh_slot();
            let storage = cx.open(&name).await;
            cx.store(&storage, &value, &what).await;
            slots.push((name, what, value));
        }
        cx.reopen().await;
        for (name, what, value) in &slots {
            let storage = cx.open(name).await;
            let doing = format!("a slot holding {what}, after reopening");
            cx.expect_load(&storage, Some(value), &doing).await;
        }
    })
    .await;
}

/// The sizes around which [`persistence_across_reopen`] writes values: powers of two and common page, chunk
/// and column sizes.
const REOPEN_BOUNDARIES: [usize; 11] = [
    64, 256, 1024, 4096, 8192, 16_384, 65_536, 131_072, 262_144, 1_000_000, 1_048_576,
];

/// Names that real key schemes mix up: a name and the same name in another case (all of it, its first
/// letter, its last), `_` against another character (a SQL `LIKE` wildcard), each punctuation character
/// against a letter and against nothing at the end and at the start (trimmed ends, hidden files, options),
/// doubled and single (collapsed runs), and after two different first segments (a namespace dropped before a
/// separator), a `.session` that looks like an extension, names that start with a digit, names of the longest
/// length the harness allows that differ only in their last byte, and names that share their first 64, 128
/// or 191 bytes (common key-column limits), each next to the stem they all extend and to the stem without its
/// last byte. Each slot gets its own value; every slot then loads its own value through a new handle. A
/// harness that allows less than 255 bytes must refuse a longer name, or keep it apart from its first
/// `max_slot_len` bytes.
pub async fn slot_names_across_the_alphabet<H: Harness>(h: &H) {
    let cx = Ctx::new("slot_names_across_the_alphabet", h);
    cx.run(async {
        let max = h.max_slot_len().clamp(16, 255);
        let names = related_names(&names_stem(max), max);
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

/// A fresh stem for [`related_names`]: `conf-names-` and 12 random hex digits, or (for a harness whose
/// names must be shorter than 26 bytes) `n` and the 12 digits, so that every related name fits.
fn names_stem(max: usize) -> String {
    let random = format!("{:012x}", fastrand::u64(..) & 0xffff_ffff_ffff);
    if max >= 26 {
        format!("conf-names-{random}")
    } else {
        format!("n{random}")
    }
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

/// The names of [`slot_names_across_the_alphabet`], all made from `stem` (which starts with a lower-case
/// letter and is at most `max - 3` bytes long) and at most `max` bytes long.
fn related_names(stem: &str, max: usize) -> Vec<String> {
    let mut first_upper = stem.to_owned();
    first_upper[..1].make_ascii_uppercase();
    let mut names = vec![
        stem.to_owned(),
        format!("{stem}a"),
        format!("{stem}A"),
        format!("{stem}_"),
        format!("{stem}x"),
        format!("{stem}.session"),
        stem[..stem.len() - 1].to_owned(),
        stem.to_ascii_uppercase(),
        first_upper,
        format!("0{stem}"),
        format!("9{stem}"),
    ];
    for p in ['.', '_', ':', '@', '+', '=', '-'] {
        names.push(format!("{stem}{p}"));
        names.push(format!("{stem}{p}{p}"));
        names.push(format!("{p}{stem}"));
        names.push(format!("{p}{p}{stem}"));
        names.push(format!("{stem}{p}x"));
        names.push(format!("{stem}{p}{p}x"));
        names.push(format!("a{p}{stem}"));
        names.push(format!("b{p}{stem}"));
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
    // Many more names of random lengths over the whole alphabet, for storages that hash or bucket names.
    for at in 0..64 {
        let mut name = format!("{stem}{at:02}");
        let len = fastrand::usize(name.len()..=max);
        while name.len() < len {
            name.push(char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]));
        }
        names.push(name);
    }
    names.retain(|name| name.len() <= max);
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
