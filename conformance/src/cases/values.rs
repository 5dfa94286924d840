//! Cases on one slot: what goes in comes out, exactly.

use bytes::Bytes;
use session_core::{Session, SessionStorage, SessionStorageExt};

use crate::context::Ctx;
use crate::data::{lookalikes, random_bytes};
use crate::{fixtures, Harness};

/// The sizes of the values of [`large_value`]: 5 MiB, and one byte over 16 MiB (where a `MEDIUMBLOB` column
/// and several protocol frames end).
const LARGE_LENS: [(usize, &str); 2] = [(5 << 20, "5 MiB"), ((16 << 20) + 1, "16 MiB + 1 byte")];

/// `load` on a slot that was never written returns `Ok(None)`, every time and on every handle.
pub async fn absent_load<H: Harness>(h: &H) {
    let cx = Ctx::new("absent_load", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let first = cx.open(&slot).await;
        cx.expect_load(&first, None, "a never-written slot").await;
        cx.expect_load(&first, None, "a never-written slot, again")
            .await;
        let second = cx.open(&slot).await;
        cx.expect_load(
            &second,
            None,
            "a never-written slot through a second handle",
        )
        .await;
    })
    .await;
}

/// A stored value comes back exactly, on repeated loads and through a new handle.
pub async fn round_trip<H: Harness>(h: &H) {
    let cx = Ctx::new("round_trip", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let storage = cx.open(&slot).await;
        let value = random_bytes(1000 + fastrand::usize(..1000));
        cx.store(&storage, &value, "the value").await;
        cx.expect_load(&storage, Some(&value), "after store").await;
        cx.expect_load(&storage, Some(&value), "after store, again")
            .await;
        let other = cx.open(&slot).await;
        cx.expect_load(&other, Some(&value), "after store, through a new handle")
            .await;
    })
    .await;
}

/// An empty value is stored and loaded as `Some(empty)`, never confused with absence, also when it
/// replaces a non-empty value.
pub async fn empty_value<H: Harness>(h: &H) {
    let cx = Ctx::new("empty_value", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let storage = cx.open(&slot).await;
        cx.store(&storage, &Bytes::new(), "an empty value").await;
        cx.expect_load(&storage, Some(b""), "after storing an empty value")
            .await;
        let other = cx.open(&slot).await;
        cx.expect_load(
            &other,
            Some(b""),
            "after storing an empty value, through a new handle",
        )
        .await;
        cx.store(&storage, &random_bytes(100), "a non-empty value")
            .await;
        cx.store(&storage, &Bytes::new(), "an empty value over it")
            .await;
        cx.expect_load(
            &storage,
            Some(b""),
            "after replacing a value with an empty one",
        )
        .await;
    })
    .await;
}

/// Replacing a long value with a short one leaves no stale tail, and a longer value after that is whole.
pub async fn overwrite_long_then_short<H: Harness>(h: &H) {
    let cx = Ctx::new("overwrite_long_then_short", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let storage = cx.open(&slot).await;
        let steps = [
            ("64 KiB", random_bytes(64 << 10)),
            ("16 bytes over 64 KiB", random_bytes(16)),
            ("32 KiB over 16 bytes", random_bytes(32 << 10)),
            ("1 byte over 32 KiB", random_bytes(1)),
        ];
        for (what, value) in &steps {
            cx.store(&storage, value, what).await;
            cx.expect_load(&storage, Some(value), &format!("after storing {what}"))
                .await;
        }
        let other = cx.open(&slot).await;
        let last = &steps[steps.len() - 1].1;
        cx.expect_load(
            &other,
            Some(last),
            "after the overwrites, through a new handle",
        )
        .await;
    })
    .await;
}

/// Every byte value survives: no text encoding, no trimming of zeros or line ends.
pub async fn all_byte_values<H: Harness>(h: &H) {
    let cx = Ctx::new("all_byte_values", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let storage = cx.open(&slot).await;
        let ascending = 0..=u8::MAX;
        let value: Bytes = ascending
            .clone()
            .chain(ascending.rev())
            .chain(*b"\0\0\r\n\n\r\xff\xfe\xef\xbb\xbf \t\0")
            .collect();
        cx.store(&storage, &value, "all 256 byte values").await;
        cx.expect_load(&storage, Some(&value), "after storing all 256 byte values")
            .await;
        let other = cx.open(&slot).await;
        cx.expect_load(
            &other,
            Some(&value),
            "after storing all 256 byte values, through a new handle",
        )
        .await;
    })
    .await;
}

/// Values that look like something else come back as they were: values starting with the magic bytes of
/// compressed data, archives, images, executables, databases, serialized data and our own formats, a
/// byte-order mark, JSON, XML, PEM, base64 or percent-encoded text (each alone and followed by random bytes);
/// whole values a text- or type-minded storage reads as `NULL`, a number or a boolean (`null`, `007`, `-0`,
/// `true`, ...); and values ending with what storages trim (spaces, tabs, line ends, NUL, `=`, Ctrl-Z). A
/// storage that compresses, decodes, parses or normalizes what it recognizes breaks them.
pub async fn values_that_look_like_other_formats<H: Harness>(h: &H) {
    let cx = Ctx::new("values_that_look_like_other_formats", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let storage = cx.open(&slot).await;
        for (what, value) in lookalikes(&random_bytes(61)) {
            let doing = format!("a value of {} bytes: {what}", value.len());
            cx.store(&storage, &value, &doing).await;
            cx.expect_load(&storage, Some(&value), &format!("after storing {doing}"))
                .await;
            let other = cx.open(&slot).await;
            cx.expect_load(
                &other,
                Some(&value),
                &format!("after storing {doing}, through a new handle"),
            )
            .await;
        }
    })
    .await;
}

/// Values of 5 MiB and of 16 MiB + 1 byte of random bytes come back whole.
pub async fn large_value<H: Harness>(h: &H) {
    let cx = Ctx::new("large_value", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let storage = cx.open(&slot).await;
        for (len, what) in LARGE_LENS {
            let value = random_bytes(len);
            cx.store(&storage, &value, what).await;
            cx.expect_load(&storage, Some(&value), &format!("after storing {what}"))
                .await;
            let other = cx.open(&slot).await;
            let doing = format!("after storing {what}, through a new handle");
            cx.expect_load(&other, Some(&value), &doing).await;
        }
    })
    .await;
}

/// The lengths around which storages that split, pad or buffer values go wrong: powers of two and common
/// page, chunk and column sizes, each at one byte less, exactly, and one byte more.
const BOUNDARIES: [usize; 11] = [
    64, 256, 1024, 4096, 8192, 16_384, 65_536, 131_072, 262_144, 1_000_000, 1_048_576,
];

/// Values of every length around 64, 256, 1024, 4096, 8192, 16384, 65536, 131072, 262144, 1000000 and
/// 1048576 bytes (one byte less, exactly, one byte more), each of random
/// bytes, come back whole through the handle that stored them and through a new one; written one after the
/// other into one slot, and so also each over a value of a neighbouring length.
pub async fn value_lengths_around_boundaries<H: Harness>(h: &H) {
    let cx = Ctx::new("value_lengths_around_boundaries", h);
    cx.run(async {
        let slot = cx.fresh_slot();
        let storage = cx.open(&slot).await;
        for boundary in BOUNDARIES {
            for len in [boundary - 1, boundary + 1, boundary] {
                let value = random_bytes(len);
                let what = format!("{len} bytes");
                cx.store(&storage, &value, &what).await;
                cx.expect_load(&storage, Some(&value), &format!("after storing {what}"))
                    .await;
                let other = cx.open(&slot).await;
                let doing = format!("after storing {what}, through a new handle");
                cx.expect_load(&other, Some(&value), &doing).await;
            }
        }
    })
    .await;
}

/// [`SessionStorageExt::store_session`] / [`load_session`](SessionStorageExt::load_session) return an equal
/// session, stored as exactly its encoding: [`fixtures::full`] and [`fixtures::with_peers`]`(1000)`.
pub async fn session_round_trip<H: Harness>(h: &H) {
    let cx = Ctx::new("session_round_trip", h);
    cx.run(async {
        let samples = [
            ("fixtures::full()", fixtures::full()),
            ("fixtures::with_peers(1000)", fixtures::with_peers(1000)),
        ];
        for (name, session) in &samples {
            let storage = cx.open(&cx.fresh_slot()).await;
            cx.ok(
                storage.store_session(session).await,
                format_args!("store_session of {name}"),
            );
            let loaded = cx.ok(
                storage.load_session().await,
                format_args!("load_session of {name}"),
            );
            match loaded {
                None => cx.fail(format_args!(
                    "load_session after storing {name} returned Ok(None)"
                )),
                Some(loaded) if loaded != *session => cx.fail(format_args!(
                    "load_session after storing {name} returned a different session"
                )),
                Some(_) => {}
            }
            expect_encoding(&cx, &storage, session, name).await;
        }
    })
    .await;
}

/// The slot holds exactly the encoding of `session`.
async fn expect_encoding<H: Harness>(
    cx: &Ctx<'_, H>,
    storage: &impl SessionStorage,
    session: &Session,
    name: &str,
) {
    let encoded = match session.encode() {
        Ok(encoded) => encoded,
        Err(err) => cx.fail(format_args!("encoding {name} failed: {err}")),
    };
    cx.expect_load(
        storage,
        Some(&encoded),
        &format!("the bytes after store_session of {name}"),
    )
    .await;
}
