//! Random operation sequences over the whole input domain, deterministic from a seed: slot names over the
//! whole valid alphabet and length range, related to each other the ways real key schemes break (prefixes,
//! long shared prefixes, case, `_` and the other punctuation), and values of every length from empty to
//! several MiB, around powers of two and common chunk sizes, with every byte value.

use std::fmt;

use fastrand::Rng;

use super::subject::Caps;

/// Every byte a slot name may contain ([`session_core::Slot`]).
pub(crate) const ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@+=-";

/// The most handles the sequence opens on one slot.
const HANDLES: usize = 3;

/// Lengths that storages cut values at: powers of two and common page, chunk and buffer sizes. Values are
/// generated at these lengths and a few bytes either side.
const BOUNDARIES: &[usize] = &[
    16, 64, 127, 255, 256, 1000, 1024, 4000, 4096, 8000, 8192, 16_384, 32_768, 65_535, 65_536,
    100_000, 131_072, 262_144, 524_288, 1_000_000, 1_048_576, 2_097_152, 4_194_304,
];

/// How many bytes one sequence may write in all; beyond it, new values are short, so a run stays quick on
/// a remote server.
const BYTES_PER_SEQUENCE: usize = 24 << 20;

/// The largest value generated: several MiB, at an odd length.
const MAX_VALUE: usize = (6 << 20) + 13;

/// A value to write, resolved against the model when the operation runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// `len` random bytes drawn from `seed`.
    Fresh { len: usize, seed: u64 },
    /// A small change of the slot's current value (one byte flipped, a byte added or removed, or the same
    /// bytes again), drawn from `seed`; a short fresh value when the slot is absent.
    Variant { seed: u64 },
    /// The value the slot held `back` writes ago (the empty value if there is none).
    Earlier { back: usize },
}

/// What a `store_if` expects, resolved against the versions the run has seen on the slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExpectSpec {
    /// `Expect::Absent`.
    Absent,
    /// The most recently seen version.
    Latest,
    /// The `n`-th most recently seen version (counting distinct ones, the latest being 0).
    Older(usize),
    /// A version this storage never made, built from `seed`.
    Forged(u64),
}

/// One step of a sequence. Slots and handles are indexes: the run maps them to names and open handles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Load {
        slot: usize,
        handle: usize,
    },
    Store {
        slot: usize,
        handle: usize,
        value: Value,
    },
    Delete {
        slot: usize,
        handle: usize,
    },
    LoadVersioned {
        slot: usize,
        handle: usize,
    },
    StoreIf {
        slot: usize,
        handle: usize,
        value: Value,
        expect: ExpectSpec,
    },
    /// Drop every handle and call [`Harness::reopen`](crate::Harness::reopen).
    Reopen,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Load { slot, handle } => write!(f, "load slot #{slot} via handle {handle}"),
            Op::Store {
                slot,
                handle,
                value,
            } => {
                write!(f, "store {value} into slot #{slot} via handle {handle}")
            }
            Op::Delete { slot, handle } => write!(f, "delete slot #{slot} via handle {handle}"),
            Op::LoadVersioned { slot, handle } => {
                write!(f, "load_versioned slot #{slot} via handle {handle}")
            }
            Op::StoreIf {
                slot,
                handle,
                value,
                expect,
            } => write!(
                f,
                "store_if {value} into slot #{slot} via handle {handle}, expecting {expect:?}"
            ),
            Op::Reopen => f.write_str("drop every handle and reopen the harness"),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Fresh { len, .. } => write!(f, "{len} random bytes"),
            Value::Variant { .. } => f.write_str("a variant of the current value"),
            Value::Earlier { back } => write!(f, "the value of {back} writes ago"),
        }
    }
}

/// The slot names of the sequence of `seed`, at most `max_name` bytes long: a family of related names (one a
/// prefix of another, two of the longest length that differ in their last byte, one with the case of its
/// letters swapped, one with `_` in place of another character, one with every punctuation character) and
/// one short name of one to three characters.
///
/// `salt` makes the names unique to this run: it fills a stem of fixed length, so it changes no other
/// choice, and it is not part of the seed, so a replay never meets a failed run's leftovers. `short` lists
/// the characters short names may start with, so that model cases running at once on one harness never share
/// a short name.
pub(crate) fn names(seed: u64, max_name: usize, salt: u64, short: &[u8]) -> Vec<String> {
    let mut rng = Rng::with_seed(seed ^ NAMES);
    let max_name = max_name.clamp(16, 255);
    // `m` and 12 base-36 digits of the salt.
    let stem: String = std::iter::once('m')
        .chain((0..12).scan(salt, |rest, _| {
            let digit = ALPHABET[26 + (*rest % 36) as usize];
            *rest /= 36;
            Some(digit as char)
        }))
        .collect();
    let tail = |rng: &mut Rng, len: usize| -> String {
        (0..len)
            .map(|_| ALPHABET[rng.usize(..ALPHABET.len())] as char)
            .collect()
    };
    let room = max_name - stem.len();
    let mut names = vec![];
    let base_len = rng.usize(0..room.min(20));
    let base = format!("{stem}{}", tail(&mut rng, base_len));
    names.push(base.clone());
    let extension = rng.usize(1..=(max_name - base.len()).clamp(1, 8));
    names.push(format!("{base}{}", tail(&mut rng, extension)));
    let long = format!("{stem}{}", tail(&mut rng, max_name - stem.len() - 1));
    let last = rng.usize(..ALPHABET.len());
    names.push(format!("{long}{}", ALPHABET[last] as char));
    names.push(format!(
        "{long}{}",
        ALPHABET[(last + 1) % ALPHABET.len()] as char
    ));
    let swapped: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    names.push(swapped);
    let mut underscored = base.clone().into_bytes();
    let at = rng.usize(1..underscored.len());
    underscored[at] = if underscored[at] == b'_' { b'.' } else { b'_' };
    names.push(String::from_utf8(underscored).unwrap_or_default());
    let punctuation_tail = rng.usize(0..=room.saturating_sub(14).min(60));
    let mut punctuated = format!("{stem}.x_y:z@w+v=u-t{}", tail(&mut rng, punctuation_tail));
    punctuated.truncate(max_name);
    names.push(punctuated);
    let mut short_name = String::from(short[rng.usize(..short.len())] as char);
    let short_tail = rng.usize(0..3);
    short_name.push_str(&tail(&mut rng, short_tail));
    if short_name == "." || short_name == ".." {
        short_name = "x".into();
    }
    names.push(short_name);
    names.sort();
    names.dedup();
    rng.shuffle(&mut names);
    names
}

/// Mixed into the seed for the names, so that names and operations come from different streams.
const NAMES: u64 = 0x6e61_6d65_735f_7631;

/// The operations of the sequence of `seed`: `len` of them over the capabilities `caps`, on `slots` slots.
pub(crate) fn ops(seed: u64, len: usize, caps: Caps, slots: usize) -> Vec<Op> {
    let mut rng = Rng::with_seed(seed);
    let mut written = 0;
    (0..len)
        .map(|_| op(&mut rng, caps, slots, &mut written))
        .collect()
}

/// One random operation.
fn op(rng: &mut Rng, caps: Caps, slots: usize, written: &mut usize) -> Op {
    let slot = rng.usize(..slots);
    let handle = rng.usize(..HANDLES);
    let mut choices: Vec<(u32, u8)> = vec![(20, 0), (24, 1), (2, 5)];
    if caps.delete {
        choices.push((7, 2));
    }
    if caps.versioned {
        choices.push((16, 3));
        choices.push((26, 4));
    }
    let total: u32 = choices.iter().map(|(weight, _)| weight).sum();
    let mut pick = rng.u32(..total);
    let kind = choices
        .iter()
        .find(|(weight, _)| {
            if pick < *weight {
                true
            } else {
                pick -= weight;
                false
            }
        })
        .map_or(0, |(_, kind)| *kind);
    match kind {
        0 => Op::Load { slot, handle },
        1 => Op::Store {
            slot,
            handle,
            value: value(rng, written),
        },
        2 => Op::Delete { slot, handle },
        3 => Op::LoadVersioned { slot, handle },
        4 => Op::StoreIf {
            slot,
            handle,
            value: value(rng, written),
            expect: match rng.u32(..100) {
                0..=24 => ExpectSpec::Absent,
                25..=74 => ExpectSpec::Latest,
                75..=94 => ExpectSpec::Older(rng.usize(1..4)),
                _ => ExpectSpec::Forged(rng.u64(..)),
            },
        },
        _ => Op::Reopen,
    }
}

/// A value to write; `written` counts the bytes of fresh values so far.
fn value(rng: &mut Rng, written: &mut usize) -> Value {
    match rng.u32(..100) {
        0..=24 => Value::Variant { seed: rng.u64(..) },
        25..=31 => Value::Earlier {
            back: rng.usize(1..4),
        },
        _ => {
            let len = if *written > BYTES_PER_SEQUENCE {
                rng.usize(0..=4096)
            } else {
                length(rng)
            };
            *written += len;
            Value::Fresh {
                len,
                seed: rng.u64(..),
            }
        }
    }
}

/// A value length from the whole domain: often empty or tiny, often near a boundary, sometimes several MiB.
fn length(rng: &mut Rng) -> usize {
    match rng.u32(..100) {
        0..=6 => 0,
        7..=29 => rng.usize(1..=64),
        30..=49 => rng.usize(65..=4096),
        50..=79 => {
            let boundary = BOUNDARIES[rng.usize(..BOUNDARIES.len())];
            (boundary + rng.usize(0..=6)).saturating_sub(3)
        }
        80..=95 => rng.usize(4097..=300_000),
        _ => rng.usize(300_001..=MAX_VALUE),
    }
}

/// Starts of values that storages may take for something else (compressed, text with a byte-order mark, a
/// database file): one fresh value in eight starts with one of them.
const MAGIC: &[&[u8]] = &[
    b"\x1f\x8b\x08",
    b"\x28\xb5\x2f\xfd",
    b"\x78\x9c",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"SQLite format 3\0",
    b"\r\n",
];

/// The bytes of [`Value::Fresh`].
pub(crate) fn fresh(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::with_seed(seed);
    let mut data = vec![0; len];
    rng.fill(&mut data);
    if rng.u32(..8) == 0 {
        let magic = MAGIC[rng.usize(..MAGIC.len())];
        let n = magic.len().min(len);
        data[..n].copy_from_slice(&magic[..n]);
    }
    data
}

/// The bytes of [`Value::Variant`] of `current`: one bit flipped in its second half (where a storage that
/// looks only at a value's start sees no change), one bit flipped anywhere, a byte added or removed at the
/// end, or the same bytes again.
pub(crate) fn variant(current: &[u8], seed: u64) -> Vec<u8> {
    let mut rng = Rng::with_seed(seed);
    let mut data = current.to_vec();
    let len = data.len();
    match rng.u32(..6) {
        0 | 1 if len > 0 => {
            let at = rng.usize(len / 2..len);
            data[at] ^= 1 << rng.u32(..8);
        }
        2 if len > 0 => {
            let at = rng.usize(..len);
            data[at] ^= 1 << rng.u32(..8);
        }
        3 => data.push(rng.u8(..)),
        4 if len > 0 => {
            data.pop();
        }
        _ => {}
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::Slot;

    const ALL: Caps = Caps {
        delete: true,
        versioned: true,
    };

    #[test]
    fn the_same_seed_gives_the_same_sequence_whatever_the_salt() {
        assert_eq!(ops(7, 50, ALL, 8), ops(7, 50, ALL, 8));
        let (a, b) = (names(7, 255, 99, ALPHABET), names(7, 255, 12345, ALPHABET));
        let shape = |names: &[String]| {
            let mut lengths: Vec<usize> = names.iter().map(String::len).collect();
            lengths.sort();
            lengths
        };
        assert_eq!(shape(&a), shape(&b));
        assert_ne!(a, b);
    }

    #[test]
    fn names_are_valid_slots_within_the_limit_and_related() {
        for seed in 0..200 {
            for max in [16, 200, 241, 255] {
                let names = names(seed, max, seed * 31 + 5, b"abc");
                assert!(names.len() >= 6, "{names:?}");
                for name in &names {
                    assert!(name.len() <= max, "{name}");
                    Slot::new(name.clone()).unwrap_or_else(|err| panic!("{name}: {err}"));
                }
                assert!(names.iter().any(|name| name.len() == max), "{names:?}");
                assert!(names.iter().any(|name| name.len() <= 3), "{names:?}");
            }
        }
    }

    #[test]
    fn lengths_cover_the_domain() {
        let mut rng = Rng::with_seed(1);
        let lengths: Vec<usize> = (0..20_000).map(|_| length(&mut rng)).collect();
        assert!(lengths.contains(&0));
        assert!(lengths.iter().any(|&len| len > 4 << 20));
        for boundary in [4096, 65_536, 1_048_576] {
            assert!(lengths.contains(&(boundary - 1)), "{boundary}");
            assert!(lengths.contains(&(boundary + 1)), "{boundary}");
        }
    }

    #[test]
    fn only_the_storages_operations_are_generated() {
        let core = Caps {
            delete: false,
            versioned: false,
        };
        let ops = super::ops(3, 2000, core, 8);
        assert!(ops
            .iter()
            .all(|op| matches!(op, Op::Load { .. } | Op::Store { .. } | Op::Reopen)));
        let ops = super::ops(3, 2000, ALL, 8);
        for kind in 0..6 {
            assert!(ops.iter().any(|op| std::mem::discriminant(op)
                == std::mem::discriminant(
                    &[
                        Op::Load { slot: 0, handle: 0 },
                        Op::Store {
                            slot: 0,
                            handle: 0,
                            value: Value::Earlier { back: 1 }
                        },
                        Op::Delete { slot: 0, handle: 0 },
                        Op::LoadVersioned { slot: 0, handle: 0 },
                        Op::StoreIf {
                            slot: 0,
                            handle: 0,
                            value: Value::Earlier { back: 1 },
                            expect: ExpectSpec::Absent
                        },
                        Op::Reopen,
                    ][kind]
                )));
        }
    }
}
