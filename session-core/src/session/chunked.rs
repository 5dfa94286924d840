//! [`ChunkedStore`]: the backing store of the peer cache, a sorted sequence kept in chunks so that inserting
//! or removing an entry moves at most one chunk, not every entry after it.

use std::cmp::Ordering;
use std::fmt;
use std::iter::{Flatten, FusedIterator, Map};
use std::{slice, vec};

use litemap::store::{
    Store, StoreBulkMut, StoreConstEmpty, StoreFromIterable, StoreFromIterator, StoreIntoIterator,
    StoreIterable, StoreIterableMut, StoreMut,
};

/// The most entries a chunk holds: inserting into a chunk moves at most this many entries (about 22 KB for
/// peers). Every chunk is allocated with room for this many, so it never reallocates.
const CHUNK: usize = 256;

/// How many entries a store built in order (decoded, collected, cloned) puts in each chunk: the room left
/// lets the first insertions into a chunk go without splitting it. 100,000 entries make about 450 chunks.
const FILL: usize = CHUNK - CHUNK / 8;

/// A [`LiteMap`](litemap::LiteMap) backing store that keeps the entries in sorted chunks of at most a few
/// hundred entries instead of one vector.
///
/// With `Vec<(K, V)>`, LiteMap's default store, inserting or removing an entry shifts every entry after it:
/// a batch of new ids that sort near the start of a 100,000-entry map moves the whole map (several
/// megabytes) per batch. Here an insertion or removal moves the entries of one chunk and updates a
/// logarithmic number of counts, so its cost hardly grows with the map; lookups are still binary searches
/// (over the chunks' first keys, then within one chunk) and iteration walks the chunks in order.
///
/// It implements LiteMap's store traits, so a `LiteMap<K, V, ChunkedStore<K, V>>` has every method of a
/// `LiteMap` (`get`, `insert`, `remove`, `iter`, `collect`, ...) except the slice views. How the entries are
/// split into chunks is not observable: two stores with the same entries are equal, whatever their chunks.
///
/// ```
/// use session_core::{ChunkedStore, LiteMap};
///
/// let mut map: LiteMap<i64, &str, ChunkedStore<i64, &str>> = (0..10_000).map(|i| (i * 2, "even")).collect();
/// map.insert(-1, "first");
/// map.insert(7, "odd");
/// assert_eq!(map.first(), Some((&-1, &"first")));
/// assert_eq!(map.get(&7), Some(&"odd"));
/// assert_eq!(map.len(), 10_002);
///
/// // A sorted vector (no repeated keys) becomes a store without sorting again.
/// let sorted = LiteMap::from_sorted_store_unchecked(ChunkedStore::from(vec![(1, "a"), (2, "b")]));
/// assert_eq!(sorted.iter().collect::<Vec<_>>(), [(&1, &"a"), (&2, &"b")]);
/// ```
pub struct ChunkedStore<K, V> {
    /// The entries in order, in chunks that are never empty and hold at most [`CHUNK`] entries.
    chunks: Vec<Vec<(K, V)>>,
    /// The chunks' lengths, to find where each chunk starts within the whole store.
    counts: Counts,
    len: usize,
}

impl<K, V> ChunkedStore<K, V> {
    /// An empty store.
    pub const fn new() -> ChunkedStore<K, V> {
        ChunkedStore {
            chunks: Vec::new(),
            counts: Counts::new(),
            len: 0,
        }
    }

    /// The last entry, with its value mutable (in constant time, unlike an indexed access).
    pub fn last_mut(&mut self) -> Option<(&K, &mut V)> {
        let (key, value) = self.chunks.last_mut()?.last_mut()?;
        Some((key, value))
    }

    /// Appends `entry` after every other entry: the caller must make its key greater than every other. Takes
    /// the entry whole, so that the decoder moves each one once (the entry it built into its chunk) rather than
    /// through another copy that joins the key and the value.
    #[inline]
    pub(crate) fn push(&mut self, entry: (K, V)) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < FILL => {
                last.push(entry);
                self.counts.add(self.chunks.len() - 1, 1);
            }
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(entry);
                self.chunks.push(chunk);
                self.counts.push(1);
            }
        }
        self.len += 1;
    }

    /// The entries, in order, as one vector.
    pub fn into_vec(self) -> Vec<(K, V)> {
        let mut all = Vec::with_capacity(self.len);
        self.chunks.into_iter().for_each(|chunk| all.extend(chunk));
        all
    }

    /// Splits chunk `chunk` into two halves.
    fn split(&mut self, chunk: usize) {
        let half = self.chunks[chunk].len() / 2;
        let mut tail = Vec::with_capacity(CHUNK);
        tail.extend(self.chunks[chunk].drain(half..));
        self.chunks.insert(chunk + 1, tail);
        self.recount();
    }

    /// Rebuilds the counts after chunks were added or removed other than at the end.
    fn recount(&mut self) {
        self.counts = Counts::of(self.chunks.iter().map(Vec::len));
    }

    fn iter(&self) -> impl Iterator<Item = &(K, V)> {
        self.chunks.iter().flatten()
    }
}

impl<K: Clone, V: Clone> Clone for ChunkedStore<K, V> {
    /// A copy with every chunk allocated in full, as in the original.
    fn clone(&self) -> ChunkedStore<K, V> {
        let chunks = self
            .chunks
            .iter()
            .map(|chunk| {
                let mut copy = Vec::with_capacity(CHUNK);
                copy.extend_from_slice(chunk);
                copy
            })
            .collect();
        ChunkedStore {
            chunks,
            counts: self.counts.clone(),
            len: self.len,
        }
    }
}

impl<K, V> Default for ChunkedStore<K, V> {
    fn default() -> ChunkedStore<K, V> {
        ChunkedStore::new()
    }
}

impl<K, V> From<Vec<(K, V)>> for ChunkedStore<K, V> {
    /// The entries of `entries`, in the same order (for a [`LiteMap`](litemap::LiteMap), they must be sorted
    /// by key without repeats, as for [`from_sorted_store_unchecked`](litemap::LiteMap::from_sorted_store_unchecked)).
    fn from(entries: Vec<(K, V)>) -> ChunkedStore<K, V> {
        entries.into_iter().collect()
    }
}

impl<K, V> FromIterator<(K, V)> for ChunkedStore<K, V> {
    /// The entries in the order the iterator yields them, in full chunks.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> ChunkedStore<K, V> {
        let mut store = ChunkedStore::new();
        for (key, value) in entries {
            store.lm_push(key, value);
        }
        store
    }
}

impl<K: PartialEq, V: PartialEq> PartialEq for ChunkedStore<K, V> {
    /// Equal entries in the same order, however they are split into chunks.
    fn eq(&self, other: &ChunkedStore<K, V>) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<K: Eq, V: Eq> Eq for ChunkedStore<K, V> {}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for ChunkedStore<K, V> {
    /// The entries as a list of pairs, as a vector of pairs shows them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<K, V> StoreConstEmpty<K, V> for ChunkedStore<K, V> {
    const EMPTY: ChunkedStore<K, V> = ChunkedStore::new();
}

impl<K, V> Store<K, V> for ChunkedStore<K, V> {
    fn lm_len(&self) -> usize {
        self.len
    }

    fn lm_get(&self, index: usize) -> Option<(&K, &V)> {
        if index >= self.len {
            return None;
        }
        let (chunk, at) = self.counts.find(index);
        let (key, value) = &self.chunks[chunk][at];
        Some((key, value))
    }

    fn lm_last(&self) -> Option<(&K, &V)> {
        let (key, value) = self.chunks.last()?.last()?;
        Some((key, value))
    }

    fn lm_binary_search_by<F>(&self, mut cmp: F) -> Result<usize, usize>
    where
        F: FnMut(&K) -> Ordering,
    {
        // The chunks whose first key is not greater than the one sought; the last of them holds it if any does.
        let candidates = self
            .chunks
            .partition_point(|chunk| cmp(&chunk[0].0) != Ordering::Greater);
        let Some(chunk) = candidates.checked_sub(1) else {
            return Err(0);
        };
        let start = self.counts.start(chunk);
        self.chunks[chunk]
            .binary_search_by(|(key, _)| cmp(key))
            .map(|at| start + at)
            .map_err(|at| start + at)
    }
}

impl<K, V> StoreMut<K, V> for ChunkedStore<K, V> {
    /// An empty store: chunks are allocated as entries arrive.
    fn lm_with_capacity(_capacity: usize) -> ChunkedStore<K, V> {
        ChunkedStore::new()
    }

    /// Nothing to do: a chunked store never reallocates its entries wholesale.
    fn lm_reserve(&mut self, _additional: usize) {}

    fn lm_get_mut(&mut self, index: usize) -> Option<(&K, &mut V)> {
        if index >= self.len {
            return None;
        }
        let (chunk, at) = self.counts.find(index);
        let (key, value) = &mut self.chunks[chunk][at];
        Some((key, value))
    }

    #[inline]
    fn lm_push(&mut self, key: K, value: V) {
        self.push((key, value));
    }

    fn lm_insert(&mut self, index: usize, key: K, value: V) {
        if index >= self.len {
            return self.lm_push(key, value);
        }
        let (mut chunk, mut at) = self.counts.find(index);
        if self.chunks[chunk].len() == CHUNK {
            self.split(chunk);
            let half = self.chunks[chunk].len();
            if at > half {
                (chunk, at) = (chunk + 1, at - half);
            }
        }
        self.chunks[chunk].insert(at, (key, value));
        self.counts.add(chunk, 1);
        self.len += 1;
    }

    fn lm_remove(&mut self, index: usize) -> (K, V) {
        assert!(
            index < self.len,
            "removal index {index} is out of bounds (length {})",
            self.len
        );
        let (chunk, at) = self.counts.find(index);
        let entry = self.chunks[chunk].remove(at);
        self.counts.add(chunk, -1);
        self.len -= 1;
        if self.chunks[chunk].is_empty() {
            self.chunks.remove(chunk);
            self.recount();
        }
        entry
    }

    fn lm_clear(&mut self) {
        *self = ChunkedStore::new();
    }
}

impl<K: Ord, V> StoreBulkMut<K, V> for ChunkedStore<K, V> {
    /// Keeps the entries `predicate` accepts, in full chunks again.
    fn lm_retain<F>(&mut self, mut predicate: F)
    where
        F: FnMut(&K, &V) -> bool,
    {
        *self = std::mem::take(self)
            .into_iter()
            .filter(|(key, value)| predicate(key, value))
            .collect();
    }

    /// Adds `other`, sorting and keeping the last of repeated keys, as a vector store does.
    fn lm_extend<I>(&mut self, other: I)
    where
        I: IntoIterator<Item = (K, V)>,
    {
        let mut all = std::mem::take(self).into_vec();
        all.lm_extend(other);
        *self = ChunkedStore::from(all);
    }
}

impl<K: Ord, V> StoreFromIterable<K, V> for ChunkedStore<K, V> {
    /// Sorts the entries by key, keeping the last of repeated keys, as a vector store does.
    fn lm_sort_from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> ChunkedStore<K, V> {
        ChunkedStore::from(Vec::lm_sort_from_iter(entries))
    }
}

impl<K, V> StoreFromIterator<K, V> for ChunkedStore<K, V> {}

type KeyValue<'a, K, V> = fn(&'a (K, V)) -> (&'a K, &'a V);
type KeyValueMut<'a, K, V> = fn(&'a mut (K, V)) -> (&'a K, &'a mut V);

impl<'a, K: 'a, V: 'a> StoreIterable<'a, K, V> for ChunkedStore<K, V> {
    type KeyValueIter = Entries<Map<Flatten<slice::Iter<'a, Vec<(K, V)>>>, KeyValue<'a, K, V>>>;

    fn lm_iter(&'a self) -> Self::KeyValueIter {
        let split: KeyValue<'a, K, V> = |(key, value)| (key, value);
        Entries::new(self.chunks.iter().flatten().map(split), self.len)
    }
}

impl<'a, K: 'a, V: 'a> StoreIterableMut<'a, K, V> for ChunkedStore<K, V> {
    type KeyValueIterMut =
        Entries<Map<Flatten<slice::IterMut<'a, Vec<(K, V)>>>, KeyValueMut<'a, K, V>>>;

    fn lm_iter_mut(&'a mut self) -> Self::KeyValueIterMut {
        let split: KeyValueMut<'a, K, V> = |(key, value)| (key, value);
        let len = self.len;
        Entries::new(self.chunks.iter_mut().flatten().map(split), len)
    }
}

impl<K, V> StoreIntoIterator<K, V> for ChunkedStore<K, V> {
    type KeyValueIntoIter = Entries<Flatten<vec::IntoIter<Vec<(K, V)>>>>;

    fn lm_into_iter(self) -> Self::KeyValueIntoIter {
        Entries::new(self.chunks.into_iter().flatten(), self.len)
    }
}

impl<K, V> IntoIterator for ChunkedStore<K, V> {
    type Item = (K, V);
    type IntoIter = Entries<Flatten<vec::IntoIter<Vec<(K, V)>>>>;

    /// The entries, in order.
    fn into_iter(self) -> Self::IntoIter {
        self.lm_into_iter()
    }
}

/// The lengths of a store's chunks as a Fenwick tree: where a chunk starts, which chunk holds an index, and
/// one chunk's length changing, each in a logarithmic number of steps. Appending a chunk or growing the last
/// one (what decoding does) is as cheap.
#[derive(Clone, Debug)]
struct Counts {
    /// `tree[i]`: the total length of chunks `i + 1 - lowbit(i + 1) ..= i`.
    tree: Vec<usize>,
}

/// The lowest set bit of `n`.
fn lowbit(n: usize) -> usize {
    n & n.wrapping_neg()
}

impl Counts {
    const fn new() -> Counts {
        Counts { tree: Vec::new() }
    }

    /// The counts of chunks of `lens`, built in one pass.
    fn of(lens: impl Iterator<Item = usize>) -> Counts {
        let mut tree: Vec<usize> = lens.collect();
        for i in 1..=tree.len() {
            let parent = i + lowbit(i);
            if parent <= tree.len() {
                tree[parent - 1] += tree[i - 1];
            }
        }
        Counts { tree }
    }

    /// The total length of the first `chunks` chunks: the index where chunk `chunks` starts.
    fn start(&self, chunks: usize) -> usize {
        let (mut i, mut sum) = (chunks, 0);
        while i > 0 {
            sum += self.tree[i - 1];
            i -= lowbit(i);
        }
        sum
    }

    /// Changes the length of chunk `chunk` by `delta`.
    #[inline]
    fn add(&mut self, chunk: usize, delta: isize) {
        let mut i = chunk + 1;
        while i <= self.tree.len() {
            self.tree[i - 1] = self.tree[i - 1].wrapping_add_signed(delta);
            i += lowbit(i);
        }
    }

    /// Appends a chunk of length `len`.
    fn push(&mut self, len: usize) {
        let i = self.tree.len() + 1;
        let covered = self.start(i - 1) - self.start(i - lowbit(i));
        self.tree.push(covered + len);
    }

    /// The chunk holding entry `index` (below the total length; every chunk is non-empty) and the entry's
    /// place in it.
    fn find(&self, index: usize) -> (usize, usize) {
        let (mut chunk, mut rest) = (0, index);
        let mut step = self.tree.len().checked_ilog2().map_or(0, |log| 1 << log);
        while step > 0 {
            if chunk + step <= self.tree.len() && self.tree[chunk + step - 1] <= rest {
                chunk += step;
                rest -= self.tree[chunk - 1];
            }
            step >>= 1;
        }
        (chunk, rest)
    }
}

/// An iterator over the entries of a [`ChunkedStore`], in order, that knows how many are left.
#[derive(Clone, Debug)]
pub struct Entries<I> {
    inner: I,
    left: usize,
}

impl<I> Entries<I> {
    fn new(inner: I, left: usize) -> Entries<I> {
        Entries { inner, left }
    }
}

impl<I: Iterator> Iterator for Entries<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next()?;
        self.left -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<I: DoubleEndedIterator> DoubleEndedIterator for Entries<I> {
    fn next_back(&mut self) -> Option<I::Item> {
        let item = self.inner.next_back()?;
        self.left -= 1;
        Some(item)
    }
}

impl<I: Iterator> ExactSizeIterator for Entries<I> {}

impl<I: FusedIterator> FusedIterator for Entries<I> {}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use litemap::LiteMap;

    use super::*;

    type Chunked = LiteMap<u32, u64, ChunkedStore<u32, u64>>;

    /// The chunks are never empty, never over-full, and the counts add up.
    fn check_invariants<K, V>(store: &ChunkedStore<K, V>) {
        assert_eq!(store.chunks.len(), store.counts.tree.len());
        let mut start = 0;
        for (i, chunk) in store.chunks.iter().enumerate() {
            assert!(!chunk.is_empty() && chunk.len() <= CHUNK);
            assert!(chunk.capacity() >= CHUNK, "a chunk would reallocate");
            assert_eq!(store.counts.start(i), start);
            assert_eq!(store.counts.find(start), (i, 0));
            assert_eq!(
                store.counts.find(start + chunk.len() - 1),
                (i, chunk.len() - 1)
            );
            start += chunk.len();
        }
        assert_eq!(start, store.len);
        assert_eq!(store.counts.start(store.chunks.len()), store.len);
        assert_eq!(
            store.counts.tree,
            Counts::of(store.chunks.iter().map(Vec::len)).tree
        );
    }

    #[test]
    fn litemap_accepts_the_store() {
        litemap::testing::check_store_full::<ChunkedStore<u32, u64>>();
    }

    /// Random inserts, updates, removals and lookups through the store's methods, as LiteMap makes them
    /// (a binary search, then an insertion, update or removal at the index found), give what a `BTreeMap`
    /// gives, with chunks split and dropped along the way.
    #[test]
    fn store_operations_match_a_sorted_map() {
        let mut rng = fastrand::Rng::with_seed(0x636b);
        for keys in [64, 1_000, 20_000] {
            let mut store = ChunkedStore::new();
            let mut model = BTreeMap::new();
            for step in 0..12_000u64 {
                let key = rng.u32(0..keys);
                let found = store.lm_binary_search_by(|k: &u32| k.cmp(&key));
                let expected = model.keys().position(|k| *k == key);
                let below = model.range(..key).count();
                assert_eq!(found, expected.ok_or(below));
                match (rng.u8(0..10), found) {
                    (0..=5, Err(at)) => {
                        store.lm_insert(at, key, step);
                        model.insert(key, step);
                    }
                    (0..=5, Ok(at)) => {
                        *store.lm_get_mut(at).unwrap().1 = step;
                        model.insert(key, step);
                    }
                    (6..=8, Ok(at)) => {
                        assert_eq!(store.lm_remove(at), model.remove_entry(&key).unwrap())
                    }
                    _ => {
                        let index = rng.usize(0..=store.lm_len());
                        assert_eq!(store.lm_get(index), model.iter().nth(index));
                    }
                }
                check_invariants(&store);
                assert_eq!(store.lm_len(), model.len());
                assert_eq!(store.lm_last(), model.last_key_value());
            }
            assert!(store.iter().map(|(k, v)| (k, v)).eq(model.iter()));
        }
    }

    /// Every other way of building, changing and reading a map backed by the store gives what a `BTreeMap`
    /// gives.
    #[test]
    fn bulk_operations_match_a_sorted_map() {
        let mut rng = fastrand::Rng::with_seed(0x626b);
        let entries: Vec<(u32, u64)> = (0..5_000).map(|i| (rng.u32(0..8_000), i)).collect();
        let mut map: Chunked = entries.iter().copied().collect();
        let mut model: BTreeMap<u32, u64> = entries.iter().copied().collect();
        assert!(map.iter().eq(model.iter()));
        assert!(map.iter().rev().eq(model.iter().rev()));
        assert_eq!(map.iter().len(), model.len());
        assert_eq!(map.first(), model.first_key_value());

        map.retain(|key, _| key % 3 != 0);
        model.retain(|key, _| key % 3 != 0);
        assert!(map.iter().eq(model.iter()));

        let extra: Vec<(u32, u64)> = (0..500).map(|i| (rng.u32(0..9_000), i)).collect();
        map.extend(extra.iter().copied());
        model.extend(extra.iter().copied());
        assert!(map.clone().into_iter().eq(model.clone()));

        for (_, value) in map.iter_mut() {
            *value *= 2;
        }
        model.values_mut().for_each(|value| *value *= 2);
        let reversed: Chunked = model.clone().into_iter().rev().collect();
        assert_eq!(reversed, map);
        assert!(map.iter().eq(model.iter()));
    }

    #[test]
    fn equality_and_debug_ignore_the_chunks() {
        let pushed: ChunkedStore<u32, u64> = (0..10_000).map(|i| (i, u64::from(i))).collect();
        let mut inserted = ChunkedStore::new();
        for i in (0..10_000).rev() {
            inserted.lm_insert(0, i, u64::from(i));
        }
        check_invariants(&pushed);
        check_invariants(&pushed.clone());
        let mut last = pushed.clone();
        *last.last_mut().unwrap().1 = 7;
        assert_eq!(last.lm_last(), Some((&9_999, &7)));
        assert_eq!(ChunkedStore::<u32, u64>::new().last_mut(), None);
        check_invariants(&inserted);
        assert_ne!(pushed.chunks.len(), inserted.chunks.len());
        assert_eq!(pushed, inserted);
        let vec: Vec<(u32, u64)> = (0..3).map(|i| (i, 0)).collect();
        assert_eq!(
            format!("{:?}", ChunkedStore::from(vec.clone())),
            format!("{vec:?}")
        );
        assert_eq!(ChunkedStore::from(vec.clone()).into_vec(), vec);
    }
}
