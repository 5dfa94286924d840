//! Random operation sequences over the whole input domain, deterministic from a seed: slot names over the
//! whole valid alphabet and length range, related to each other the ways real key schemes break (prefixes,
//! long shared prefixes, case, `_` and the other punctuation at the start, inside and at the end), values of
//! every length from empty to several MiB, around powers of two and common chunk sizes and their multiples,
//! with every byte value, some looking like other formats; and pairs of operations run at once, in
//! interleavings chosen by the seed.

use std::fmt;

use fastrand::Rng;

use super::subject::Caps;
use crate::data::{LOOKALIKE_HEADS, LOOKALIKE_VALUES, TRIMMED_TAILS};

/// Every byte a slot name may contain ([`session_core::Slot`]).
pub(crate) const ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@+=-";

/// The punctuation a slot name may contain.
pub(crate) const PUNCTUATION: &[u8] = b"._:@+=-";

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
    /// A short value that text- and type-minded storages take for something else (`null`, `007`, `true`,
    /// ...): entry `which` of the suite's list.
    Lookalike { which: usize },
    /// The value slot `from` holds (a short fresh value if it is absent): equal bytes in two slots, which a
    /// storage that keeps equal values once must keep apart.
    Copy { from: usize },
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
    /// Two operations at once (neither a reopen nor a pair), each started after `yields[i]` yields to the
    /// scheduler: as two futures of one task (polled in turn, so a storage that yields between two steps lets
    /// the other operation in exactly there), or on two tasks. The model accepts either order.
    Together {
        ops: Box<[Op; 2]>,
        yields: [u8; 2],
        tasks: bool,
    },
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
            Op::Together { ops, yields, tasks } => write!(
                f,
                "at once ({}, after {} and {} yields): [{}] and [{}]",
                if *tasks {
                    "on two tasks"
                } else {
                    "in one task"
                },
                yields[0],
                yields[1],
                ops[0],
                ops[1]
            ),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Fresh { len, .. } => write!(f, "{len} random bytes"),
            Value::Variant { .. } => f.write_str("a variant of the current value"),
            Value::Earlier { back } => write!(f, "the value of {back} writes ago"),
            Value::Copy { from } => write!(f, "the value slot #{from} holds"),
            Value::Lookalike { which } => {
                let (what, value) = LOOKALIKE_VALUES[which % LOOKALIKE_VALUES.len()];
                write!(f, "{what} ({} bytes)", value.len())
            }
        }
    }
}

/// The slot names of the sequence of `seed`, at most `max_name` bytes long: a family of related names (a
/// base name; one it is a prefix of; two of the longest length that differ in their last byte; two siblings
/// of the base that broken key schemes take for it, see [`sibling`]; one with every punctuation character)
/// and one short name of one to three characters.
///
/// The siblings' kinds and their punctuation character follow the seed, so that the consecutive seeds of one
/// run cover every kind and every punctuation character.
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
    // Room for a sibling two bytes longer.
    let base_len = rng.usize(0..room.saturating_sub(2).clamp(1, 20));
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
    let punctuation = PUNCTUATION[(seed % PUNCTUATION.len() as u64) as usize];
    for kind in [seed % SIBLINGS, (seed + 3) % SIBLINGS] {
        names.push(sibling(kind, &base, punctuation, &mut rng));
    }
    let punctuation_tail = rng.usize(0..=room.saturating_sub(14).min(60));
    let mut punctuated = format!("{stem}.x_y:z@w+v=u-t{}", tail(&mut rng, punctuation_tail));
    punctuated.truncate(max_name);
    names.push(punctuated);
    let mut short_name = String::from(short[rng.usize(..short.len())] as char);
    // One to three characters, in turn over consecutive seeds.
    let short_tail = (seed % 3) as usize;
    short_name.push_str(&tail(&mut rng, short_tail));
    if short_name == "." || short_name == ".." {
        short_name = "x".into();
    }
    names.push(short_name);
    names.sort();
    names.dedup();
    while names.len() < SLOTS {
        let filler = format!("{stem}{}", tail(&mut rng, room.min(8)));
        if !names.contains(&filler) {
            names.push(filler);
        }
    }
    rng.shuffle(&mut names);
    names
}

/// How many slots a sequence uses (the names of [`names`]).
pub(crate) const SLOTS: usize = 8;

/// How many kinds of [`sibling`] there are.
const SIBLINGS: u64 = 8;

/// A name that a broken key scheme takes for `base` (which starts with a lower-case letter and has room for
/// two more bytes), of kind `kind`, with the punctuation character `p` where the kind needs one: 0, every
/// letter's case swapped (case-insensitive collations); 1, one character replaced by `p` (`LIKE` wildcards,
/// character mappings); 2, `p` appended (trimmed ends); 3, `p` prepended (trimmed starts, hidden files); 4,
/// the first letter upper-cased; 5, a digit prepended (identifier rules); 6, `a` and `p` prepended (a
/// namespace before a separator dropped); 7, `p` appended twice (runs of punctuation collapsed).
fn sibling(kind: u64, base: &str, p: u8, rng: &mut Rng) -> String {
    let p = p as char;
    match kind {
        0 => base
            .chars()
            .map(|c| {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
        1 => {
            let mut bytes = base.as_bytes().to_vec();
            let at = rng.usize(1..bytes.len());
            bytes[at] = if bytes[at] == p as u8 { b'_' } else { p as u8 };
            String::from_utf8(bytes).unwrap_or_default()
        }
        2 => format!("{base}{p}"),
        3 => format!("{p}{base}"),
        4 => format!("{}{}", base[..1].to_ascii_uppercase(), &base[1..]),
        5 => format!("{}{base}", rng.u8(b'0'..=b'9') as char),
        6 => format!("a{p}{base}"),
        _ => format!("{base}{p}{p}"),
    }
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

/// Kinds of operations, by weight: `load`, `store`, `delete`, `load_versioned`, `store_if`, a reopen, two
/// operations at once.
const LOAD: u8 = 0;
const STORE: u8 = 1;
const DELETE: u8 = 2;
const LOAD_VERSIONED: u8 = 3;
const STORE_IF: u8 = 4;
const REOPEN: u8 = 5;
const TOGETHER: u8 = 6;

/// One random operation.
fn op(rng: &mut Rng, caps: Caps, slots: usize, written: &mut usize) -> Op {
    let slot = rng.usize(..slots);
    let handle = rng.usize(..HANDLES);
    match pick(rng, caps, true) {
        REOPEN => Op::Reopen,
        TOGETHER => {
            let first = single(rng, caps, slot, handle, written);
            // Mostly on one slot (where atomicity shows), mostly through two handles (where caches show);
            // else on two slots (where shared temporary files and keys show).
            let (slot, handle) = match rng.u32(..8) {
                0..=3 => (slot, (handle + 1 + rng.usize(..HANDLES - 1)) % HANDLES),
                4 => (slot, handle),
                _ => (rng.usize(..slots), rng.usize(..HANDLES)),
            };
            let second = single(rng, caps, slot, handle, written);
            Op::Together {
                ops: Box::new([first, second]),
                yields: [rng.u8(..3), rng.u8(..3)],
                tasks: rng.bool(),
            }
        }
        _ => {
            // `pick` gave a single operation: draw it again the way `single` does.
            single(rng, caps, slot, handle, written)
        }
    }
}

/// A kind of operation the storage has, by weight; `compound` allows reopens and pairs.
fn pick(rng: &mut Rng, caps: Caps, compound: bool) -> u8 {
    let mut choices: Vec<(u32, u8)> = vec![(20, LOAD), (24, STORE)];
    if caps.delete {
        choices.push((7, DELETE));
    }
    if caps.versioned {
        choices.push((16, LOAD_VERSIONED));
        choices.push((26, STORE_IF));
    }
    if compound {
        choices.push((2, REOPEN));
        choices.push((10, TOGETHER));
    }
    let total: u32 = choices.iter().map(|(weight, _)| weight).sum();
    let mut pick = rng.u32(..total);
    choices
        .iter()
        .find(|(weight, _)| {
            if pick < *weight {
                true
            } else {
                pick -= weight;
                false
            }
        })
        .map_or(LOAD, |(_, kind)| *kind)
}

/// One operation on `slot` through `handle`: neither a reopen nor a pair.
fn single(rng: &mut Rng, caps: Caps, slot: usize, handle: usize, written: &mut usize) -> Op {
    match pick(rng, caps, false) {
        STORE => Op::Store {
            slot,
            handle,
            value: value(rng, written),
        },
        DELETE => Op::Delete { slot, handle },
        LOAD_VERSIONED => Op::LoadVersioned { slot, handle },
        STORE_IF => Op::StoreIf {
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
        _ => Op::Load { slot, handle },
    }
}

/// A value to write; `written` counts the bytes of fresh values so far.
fn value(rng: &mut Rng, written: &mut usize) -> Value {
    match rng.u32(..100) {
        0..=24 => Value::Variant { seed: rng.u64(..) },
        25..=31 => Value::Earlier {
            back: rng.usize(1..4),
        },
        32..=35 => Value::Lookalike {
            which: rng.usize(..LOOKALIKE_VALUES.len()),
        },
        36..=40 => Value::Copy {
            from: rng.usize(..SLOTS),
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

/// A value length from the whole domain: often empty or tiny, often near a boundary (exactly on it, one byte
/// either side, a few bytes off, or exactly two or three times it), sometimes several MiB.
fn length(rng: &mut Rng) -> usize {
    match rng.u32(..100) {
        0..=6 => 0,
        7..=29 => rng.usize(1..=64),
        30..=49 => rng.usize(65..=4096),
        50..=79 => {
            let boundary = BOUNDARIES[rng.usize(..BOUNDARIES.len())];
            let len = match rng.u32(..8) {
                0..=2 => boundary,
                3 => boundary - 1,
                4 => boundary + 1,
                5 => 2 * boundary,
                6 => 3 * boundary,
                _ => (boundary + rng.usize(0..=6)).saturating_sub(3),
            };
            len.min(MAX_VALUE)
        }
        80..=95 => rng.usize(4097..=300_000),
        _ => rng.usize(300_001..=MAX_VALUE),
    }
}

/// The bytes of [`Value::Fresh`]: random, except that one value in eight starts like another format
/// ([`LOOKALIKE_HEADS`]) and one in sixteen ends with bytes that storages trim ([`TRIMMED_TAILS`]).
pub(crate) fn fresh(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::with_seed(seed);
    let mut data = vec![0; len];
    rng.fill(&mut data);
    match rng.u32(..16) {
        0 | 1 => {
            let (_, head) = LOOKALIKE_HEADS[rng.usize(..LOOKALIKE_HEADS.len())];
            let n = head.len().min(len);
            data[..n].copy_from_slice(&head[..n]);
        }
        2 => {
            let (_, end) = TRIMMED_TAILS[rng.usize(..TRIMMED_TAILS.len())];
            let n = end.len().min(len);
            data[len - n..].copy_from_slice(&end[..n]);
        }
        _ => {}
    }
    data
}

/// The bytes of [`Value::Lookalike`].
pub(crate) fn lookalike(which: usize) -> Vec<u8> {
    LOOKALIKE_VALUES[which % LOOKALIKE_VALUES.len()].1.to_vec()
}

/// The bytes of [`Value::Variant`] of `current`: one bit flipped in its second half (where a storage that
/// looks only at a value's start sees no change), one bit flipped anywhere, a byte added or removed at the
/// end, or the same bytes again.
pub(crate) fn variant(current: &[u8], seed: u64) -> Vec<u8> {
    let mut rng = Rng::with_seed(seed);
    let mut data = current.to_vec();
    let len = data.len();
    match rng.u32(..7) {
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
    use crate::model::DEFAULT_SEQUENCES;
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
                assert_eq!(names.len(), SLOTS, "{names:?}");
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
    fn consecutive_seeds_cover_every_sibling_and_punctuation() {
        for first in [0, 5, u64::MAX / 3] {
            let mut kinds = std::collections::HashSet::new();
            let mut marks = std::collections::HashSet::new();
            for seed in first..first + DEFAULT_SEQUENCES as u64 {
                kinds.insert(seed % SIBLINGS);
                kinds.insert((seed + 3) % SIBLINGS);
                marks.insert(PUNCTUATION[(seed % PUNCTUATION.len() as u64) as usize]);
            }
            assert_eq!(kinds.len() as u64, SIBLINGS);
            assert_eq!(marks.len(), PUNCTUATION.len());
        }
        let mut rng = Rng::with_seed(9);
        let base = "mabc0d";
        let siblings: Vec<String> = (0..SIBLINGS)
            .map(|kind| sibling(kind, base, b'.', &mut rng))
            .collect();
        assert_eq!(siblings[0], "MABC0D");
        assert_eq!(siblings[2], "mabc0d.");
        assert_eq!(siblings[3], ".mabc0d");
        assert_eq!(siblings[4], "Mabc0d");
        assert_eq!(siblings[6], "a.mabc0d");
        assert_eq!(siblings[7], "mabc0d..");
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
            assert!(lengths.contains(&(3 * boundary)), "{boundary}");
        }
    }

    #[test]
    fn only_the_storages_operations_are_generated() {
        let core = Caps {
            delete: false,
            versioned: false,
        };
        let plain = |op: &Op| matches!(op, Op::Load { .. } | Op::Store { .. } | Op::Reopen);
        let ops = super::ops(3, 2000, core, 8);
        assert!(ops.iter().all(|op| match op {
            Op::Together { ops, .. } => ops.iter().all(|op| plain(op) && *op != Op::Reopen),
            op => plain(op),
        }));
        let ops = super::ops(3, 2000, ALL, 8);
        let mut singles: Vec<&Op> = ops.iter().collect();
        for op in &ops {
            if let Op::Together { ops, .. } = op {
                singles.extend(ops.iter());
            }
        }
        assert!(ops.iter().any(|op| matches!(op, Op::Together { .. })));
        for kind in 0..6 {
            assert!(singles.iter().any(|op| std::mem::discriminant(*op)
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
