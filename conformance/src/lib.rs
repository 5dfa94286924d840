//! The shared conformance suite for tgsession storages.
//!
//! Every backend — ours and yours — proves that it keeps the [`SessionStorage`] contract by running this
//! suite. You describe how to open a handle on a slot of your backend (a [`Harness`]); the suite does the
//! rest with fresh, random slot names, so it can run against a shared server.
//!
//! - [`conformance_tests!`] generates one `#[test]` per case, named after the case, so a failure tells you
//!   which rule your storage breaks. Add `delete` and/or `versioned` to also run the cases of
//!   [`SessionDelete`] and [`VersionedStorage`], and `crash` once your harness implements
//!   [`Harness::crash`].
//! - [`run_all`], [`run_delete`], [`run_versioned`], [`run_delete_versioned`] and [`run_crash`] (with
//!   [`run_crash_delete`], [`run_crash_versioned`]) run the same cases one after the other from your own async
//!   code; each case is also a public function in [`cases`].
//!
//! Besides cases that check one rule each, the suite runs **model-based random tests** (`random_operations`
//! and its variants per trait): random sequences of every operation over several handles on several slots,
//! interleaved with reopens and with pairs of operations run at once (in interleavings the seed picks; the
//! model accepts either order), each ending with a reopen, compared step by step with a reference model of
//! the contract, over the whole input domain (values from 0 bytes to several MiB around powers of two and
//! chunk sizes and their multiples, every byte value, values that look like other formats, equal values in
//! several slots; slot names over the whole alphabet and length range, related as real key schemes break
//! them). Each run draws a new random seed per sequence. A failure prints the seed and a shrunk, minimal
//! sequence; [`SEED_VARIABLE`] replays a seed and [`SEQUENCES_VARIABLE`] runs more sequences (default
//! [`DEFAULT_SEQUENCES`], each of [`OPERATIONS_PER_SEQUENCE`] operations). The model is the net for what no
//! case names; the cases that check one rule each do not depend on a seed: every run makes the same checks
//! (with fresh random slot names and value bytes), sweeping races through fixed interleavings.
//!
//! A case that finds a broken rule panics with a message naming the case and what differed (for byte
//! values: the lengths and the first differing offset; never the values). Every case gives up after
//! [`CASE_TIMEOUT`], so a hanging storage fails instead of hanging the test run. The suite needs a Tokio
//! runtime with timers enabled (what `#[tokio::test]` and `#[tokio::main]` build); the generated tests build
//! their own.
//!
//! # Running the suite on your backend
//!
//! Add `session-conformance` as a dev-dependency and write a test file such as `tests/conformance.rs`:
//!
//! ```
//! use session_conformance::{async_trait, conformance_tests, Harness};
//! use session_core::{MemoryStorage, MemoryStore, Slot, StorageError};
//!
//! /// Opens handles on the backend under test (here the in-memory store of `session-core`).
//! #[derive(Default)]
//! struct MyHarness {
//!     store: MemoryStore,
//! }
//!
//! #[async_trait]
//! impl Harness for MyHarness {
//!     type Storage = MemoryStorage;
//!
//!     async fn open(&self, slot: &str) -> Result<MemoryStorage, StorageError> {
//!         Ok(self.store.open(&Slot::new(slot)?))
//!     }
//! }
//!
//! // One test per case; each test evaluates `MyHarness::default()` afresh. Memory cannot survive a
//! // crash, so `crash` is not listed: the crash cases show up as ignored tests.
//! conformance_tests!(MyHarness::default(), delete, versioned);
//! # fn main() {}
//! ```
//!
//! A backend that keeps data across process restarts should also implement [`Harness::reopen`] (drop caches
//! and connections, reopen the database), so the persistence cases test real persistence, and
//! [`Harness::crash`] (a restart without a clean shutdown), so the crash cases run.
//!
//! # What is checked, clause by clause
//!
//! Every *must* and *should* on the traits, and the case(s) that check it (`random_*` are the four model
//! cases, which check every clause they can see at every step):
//!
//! | clause | cases |
//! |---|---|
//! | `SessionStorage`: two handles on one slot see the same data | `visibility_across_handles`, `no_stale_value_after_another_handle_writes`, `handles_agree_after_concurrent_stores`, `round_trip`, `random_*` |
//! | handles on different slots never see each other's data | `slot_isolation` (also slots holding equal bytes), `slot_names_across_the_alphabet` (names differing in case, punctuation at either end, doubled, before a separator, a leading digit, key-column lengths, 64 random names), `stores_on_different_slots_at_once`, `delete_leaves_other_slots`, `random_*` |
//! | `load` is `Ok(None)` iff nothing is stored; absence is never an `Err` | `absent_load`, `delete_then_load_is_absent`, `random_*` |
//! | stored bytes come back exactly; an empty value is not absence | `round_trip`, `empty_value`, `all_byte_values`, `values_that_look_like_other_formats`, `large_value`, `value_lengths_around_boundaries`, `overwrite_long_then_short`, `session_round_trip`, `empty_value_after_delete`, `store_if_keeps_values_whole`, `random_*` |
//! | `store` is atomic: a load sees the old or the new value, never a mix or a prefix | `concurrent_stores`, `readers_never_see_a_mix`, `delete_racing_loads_and_stores`, `random_*` (pairs) |
//! | concurrent stores leave exactly one of the written values | `concurrent_stores`, `readers_never_see_a_mix`, `handles_agree_after_concurrent_stores`, `random_*` (pairs) |
//! | once `store` returns `Ok`, the value is durable as the backend promises | `persistence_across_reopen` (lengths around chunk sizes and their multiples, lookalike values), `delete_survives_reopen`, `random_*` (reopens, and one at the end of every sequence); `crash_keeps_acknowledged_stores`, `crash_keeps_deletes`, `crash_keeps_versions` (with [`Harness::crash`]) |
//! | no panic; every method finishes in bounded time | every case: a storage's panic fails it as such, and [`CASE_TIMEOUT`] turns a hang into a failure (in the model cases, 30 s per operation, with the seed) |
//! | errors carry the most precise kind | `Conflict` for every refused `store_if`; `Conflict` or `InvalidInput` for a version the storage never made (`random_*`) |
//! | `SessionDelete`: `delete` is idempotent | `delete_is_idempotent`, `random_*` |
//! | after `delete`, every handle loads `Ok(None)` | `delete_then_load_is_absent`, `delete_seen_by_other_handle`, `load_versioned_after_delete`, `empty_value_after_delete`, `delete_racing_loads_and_stores`, `random_*` |
//! | `delete` leaves other slots untouched | `delete_leaves_other_slots`, `random_*` |
//! | `VersionedStorage`: `load_versioned` returns the value with the version of exactly that value, `None` when absent | `versions_name_their_values_under_concurrency`, `load_versioned_absent`, `load_versioned_sees_plain_store`, `load_versioned_after_delete`, `store_if_on_an_empty_value`, `random_*` |
//! | `store_if` writes only if the slot matches `expect`, atomically against every write (`store` and `delete` too) | `store_if_absent_creates`, `store_if_absent_on_present_conflicts`, `store_if_on_an_empty_value`, `store_if_current_version_succeeds`, `versioned_counter_race`, `store_if_is_atomic_against_store`, `store_if_is_atomic_against_delete`, `store_if_after_delete`, `random_*` (pairs too) |
//! | on success `store_if` returns the new value's version | `store_if_absent_creates`, `store_if_current_version_succeeds`, `store_if_of_the_same_bytes`, `versions_name_their_values_under_concurrency`, `random_*` |
//! | on mismatch `store_if` fails with `Conflict` and writes nothing | `store_if_absent_on_present_conflicts`, `store_if_stale_version_conflicts`, `store_if_version_on_never_written_slot_conflicts`, `random_*` |
//! | any write gives a version different from every different value's before, also across restarts | `versions_tell_apart_values_one_byte_apart`, `plain_store_makes_version_stale`, `delete_makes_version_stale`, `no_stale_version_after_another_handle_writes`, `versions_survive_reopen`, `versions_never_repeat_across_reopen`, `crash_keeps_versions`, `random_*` |
//! | a version the storage never made is refused and writes nothing | `store_if_version_on_never_written_slot_conflicts`, `random_*` |
//! | `Harness::open` accepts every valid name up to `max_slot_len`, and refuses (never shortens) longer ones | `slot_names_across_the_alphabet`, `random_*` |
//! | `Harness::reopen` / `Harness::crash` restart the backend (cleanly / without a clean shutdown) | relied on by the persistence and crash cases |
//! | `LeaseStorage`: acquire grants only a free, released, or long enough lapsed lease; else `Held` naming it | `lease_of_a_fresh_slot`, `one_holder_among_racing_acquirers`, `renew_keeps_the_lease`, `lapsed_lease_is_taken_after_the_delay`, `release_lets_the_next_holder_in` |
//! | of concurrent acquisitions at most one succeeds | `one_holder_among_racing_acquirers` (8 handles, 3 rounds) |
//! | every grant's token is greater than all before, across restarts, crashes and deletes | `lapsed_lease_is_taken_after_the_delay`, `release_lets_the_next_holder_in`, `tokens_never_repeat_across_reopen`, `tokens_never_repeat_across_crash` |
//! | renew extends a current lease; fails `Fenced` otherwise | `renew_keeps_the_lease`, `stale_holder_cannot_write`, `release_lets_the_next_holder_in`, `fenced_writes_act_as_plain_writes` |
//! | release ends the lease at once; releasing an old lease changes nothing | `release_lets_the_next_holder_in` |
//! | fenced writes happen only under the current lease, atomically; else `Fenced` and nothing written | `stale_holder_cannot_write` (every write kind), `journal_writes_are_fenced`, `break_fences_the_holder`, `fenced_writes_act_as_plain_writes` |
//! | break ends the lease as a release would | `break_fences_the_holder` |
//!
//! What the suite cannot see from outside, and what stands in for it:
//!
//! - **Durability across power loss** (and what "as the backend promises" means): a restart in the same
//!   machine keeps the page cache, so neither `reopen` nor `crash` can lose an unsynced write. Each
//!   adapter proves its own syncing (the file adapter's SIGKILL test and fsync protocol, sled's strace test).
//! - **Bounded time on a dead or frozen backend**: the suite only turns a hang into a failure after
//!   [`CASE_TIMEOUT`]; the server adapters' restart tests stop and freeze real servers.
//! - **No secrets in errors and `Debug`**: the suite never prints values, but cannot know what a storage's
//!   errors contain; each adapter tests its own redaction.
//! - **The precise error kind of a failure** (`Unavailable`, `Timeout`, ...): it needs a failing backend,
//!   which each adapter's own tests provide.
//! - **Atomicity of the fence check with the write under a real race**: the cases race acquisitions, and
//!   check a stale holder after a takeover; a storage that checks the token and then writes in two steps
//!   can pass them. Each adapter's process-level tests race writers against takeovers.
//! - **Whether `reopen` and `crash` really restart** the backend: a harness whose `reopen` does nothing makes
//!   the persistence cases weaker without failing them.
//! - **Time**: a value that expires (a TTL on a key) or a cache that goes stale only after seconds; every
//!   case runs within seconds of its writes.
//! - **Inputs nobody listed**: a storage that mistakes values for a format the suite does not try (its lists of
//!   format heads and text values are long, not complete), or conflates slot names by a rule the related
//!   names and the model's random ones do not happen to meet (a hash of the name cut short, say).
//! - **Races beyond what the cases and the model run at once**: two or three operations at a time, in the
//!   interleavings a few yields produce on one or two threads; a window that opens only under real load or
//!   network delay may stay shut. The model does not crash the backend (only the crash cases do).

pub mod bench;
pub mod cases;
mod check;
mod context;
mod data;
pub mod fixtures;
pub mod lease_processes;
mod macros;
mod memory;
mod model;
pub mod planted;
pub mod processes;
pub mod services;
pub mod tmpfs;

use session_core::{
    JournalStorage, LeaseStorage, SessionDelete, SessionStorage, StorageError, VersionedStorage,
};

pub use crate::context::CASE_TIMEOUT;
pub use crate::memory::MemoryHarness;
pub use crate::model::{
    DEFAULT_SEQUENCES, OPERATIONS_PER_SEQUENCE, SEED_VARIABLE, SEQUENCES_VARIABLE,
};
/// The `async_trait` attribute, re-exported so that implementing [`Harness`] needs no extra dependency.
pub use async_trait::async_trait;

/// Opens storages for the suite.
///
/// A harness value is what one case works with. Every harness value **should** keep its data in a namespace
/// of its own (a temporary directory, a random key prefix, a fresh schema or bucket prefix), so that cases
/// running at the same time never meet; the suite also picks fresh random slot names, except for the short
/// names of the model cases (which read the slots' state first, so leftovers of an earlier run are fine).
#[async_trait]
pub trait Harness: Send + Sync {
    /// The storage under test.
    type Storage: SessionStorage + 'static;

    /// A handle on `slot`. It **must** accept every valid slot name ([`session_core::Slot`]) of at most
    /// [`max_slot_len`](Self::max_slot_len) bytes. Handles on one slot **must** share data; handles on
    /// different slots **must** be isolated.
    async fn open(&self, slot: &str) -> Result<Self::Storage, StorageError>;

    /// Simulates a clean process restart: **must** drop every cache and connection of the harness and close
    /// and reopen the database, so that what the cases read next comes from the backend's medium. Called only
    /// while the case holds no handle. The default does nothing, which is right only for a backend whose
    /// medium is this process's memory.
    async fn reopen(&self) -> Result<(), StorageError> {
        Ok(())
    }

    /// Simulates a crash: a restart **without** a clean shutdown — whatever the backend allows: dropping
    /// the database without closing or flushing it, keeping only what reached the files, killing a child
    /// process that held it. Like [`reopen`](Self::reopen) it is called only while the case holds no handle;
    /// afterwards `open` **must** work again. The crash cases ([`run_crash`], `crash` in
    /// [`conformance_tests!`]) then check that every write acknowledged before the crash survived it.
    ///
    /// The default returns [`ErrorKind::Unsupported`](session_core::ErrorKind::Unsupported): a harness that
    /// cannot crash its backend leaves the crash cases out, and they are reported as not run (ignored tests
    /// with [`conformance_tests!`], a [`NotRun`] from [`run_crash`]), never as passed.
    async fn crash(&self) -> Result<(), StorageError> {
        Err(StorageError::new(
            session_core::ErrorKind::Unsupported,
            "harness",
            "this harness cannot simulate a crash",
        ))
    }

    /// The longest slot name the storage accepts, in bytes; the suite uses names up to this length (at
    /// least 16). The default is 255, [`session_core::Slot`]'s own limit; a backend with a shorter limit
    /// (file names, say) **must** refuse longer names with an error rather than shorten them.
    fn max_slot_len(&self) -> usize {
        255
    }
}

/// The crash cases that [`run_crash`] could not run because the harness does not implement
/// [`Harness::crash`]: their names, so that a report can say which cases were not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotRun {
    /// The names of the cases that were not run.
    pub cases: Vec<&'static str>,
}

/// Runs every case of the core contract ([`SessionStorage`]) one after the other; panics at the first
/// failing case with a message naming it.
pub async fn run_all<H: Harness>(h: &H) {
    crate::__cases!(core; run h);
}

/// Runs every case of [`SessionDelete`]; panics at the first failing case.
///
/// A storage that is also [`VersionedStorage`] should run [`run_delete_versioned`] too.
pub async fn run_delete<H: Harness>(h: &H)
where
    H::Storage: SessionDelete,
{
    crate::__cases!(delete; run h);
}

/// Runs every case of [`VersionedStorage`]; panics at the first failing case.
///
/// A storage that also implements [`SessionDelete`] should run [`run_delete_versioned`] too.
pub async fn run_versioned<H: Harness>(h: &H)
where
    H::Storage: VersionedStorage,
{
    crate::__cases!(versioned; run h);
}

/// Runs the cases that need both [`SessionDelete`] and [`VersionedStorage`] (how a delete interacts with
/// versions); panics at the first failing case.
pub async fn run_delete_versioned<H: Harness>(h: &H)
where
    H::Storage: SessionDelete + VersionedStorage,
{
    crate::__cases!(delete_versioned; run h);
}

/// Runs every case of [`JournalStorage`]; panics at the first failing case.
///
/// A storage that also implements [`VersionedStorage`] should run [`run_journal_versioned`] too.
pub async fn run_journal<H: Harness>(h: &H)
where
    H::Storage: JournalStorage,
{
    crate::__cases!(journal; run h);
}

/// Runs the cases that need both [`JournalStorage`] and [`VersionedStorage`] (appends change the version);
/// panics at the first failing case.
pub async fn run_journal_versioned<H: Harness>(h: &H)
where
    H::Storage: JournalStorage + VersionedStorage,
{
    crate::__cases!(journal_versioned; run h);
}

/// Runs every case of [`LeaseStorage`]; panics at the first failing case.
///
/// A storage that also implements [`JournalStorage`] should run [`run_lease_journal`] too.
pub async fn run_lease<H: Harness>(h: &H)
where
    H::Storage: LeaseStorage,
{
    crate::__cases!(lease; run h);
}

/// Runs the cases that need both [`LeaseStorage`] and [`JournalStorage`] (appends and compactions are
/// fenced); panics at the first failing case.
pub async fn run_lease_journal<H: Harness>(h: &H)
where
    H::Storage: LeaseStorage + JournalStorage,
{
    crate::__cases!(lease_journal; run h);
}

/// Runs the crash cases of [`SessionStorage`], unless the harness cannot crash its backend: then nothing
/// runs and the cases are returned as [`NotRun`]. (Finding out calls [`Harness::crash`] once.)
///
/// ```
/// # async fn demo() {
/// let harness = session_conformance::MemoryHarness::new();
/// // Memory cannot survive a crash, so MemoryHarness does not implement it:
/// let not_run = session_conformance::run_crash(&harness).await.unwrap_err();
/// assert!(not_run.cases.contains(&"crash_keeps_acknowledged_stores"));
/// # }
/// ```
pub async fn run_crash<H: Harness>(h: &H) -> Result<(), NotRun> {
    unless_crash_unsupported(h, &crate::__cases!(crash; names), async {
        crate::__cases!(crash; run h);
    })
    .await
}

/// Runs the crash cases of [`SessionDelete`] like [`run_crash`].
pub async fn run_crash_delete<H: Harness>(h: &H) -> Result<(), NotRun>
where
    H::Storage: SessionDelete,
{
    unless_crash_unsupported(h, &crate::__cases!(crash_delete; names), async {
        crate::__cases!(crash_delete; run h);
    })
    .await
}

/// Runs the crash cases of [`VersionedStorage`] like [`run_crash`].
pub async fn run_crash_versioned<H: Harness>(h: &H) -> Result<(), NotRun>
where
    H::Storage: VersionedStorage,
{
    unless_crash_unsupported(h, &crate::__cases!(crash_versioned; names), async {
        crate::__cases!(crash_versioned; run h);
    })
    .await
}

/// Runs the crash cases of [`JournalStorage`] like [`run_crash`].
pub async fn run_crash_journal<H: Harness>(h: &H) -> Result<(), NotRun>
where
    H::Storage: JournalStorage,
{
    unless_crash_unsupported(h, &crate::__cases!(crash_journal; names), async {
        crate::__cases!(crash_journal; run h);
    })
    .await
}

/// Runs the crash cases of [`LeaseStorage`] like [`run_crash`].
pub async fn run_crash_lease<H: Harness>(h: &H) -> Result<(), NotRun>
where
    H::Storage: LeaseStorage,
{
    unless_crash_unsupported(h, &crate::__cases!(crash_lease; names), async {
        crate::__cases!(crash_lease; run h);
    })
    .await
}

/// Runs `cases` (named `names`) unless [`Harness::crash`] says it is unsupported.
async fn unless_crash_unsupported<H: Harness>(
    h: &H,
    names: &[&'static str],
    cases: impl std::future::Future<Output = ()>,
) -> Result<(), NotRun> {
    match h.crash().await {
        Err(err) if err.kind() == session_core::ErrorKind::Unsupported => Err(NotRun {
            cases: names.to_vec(),
        }),
        _ => {
            cases.await;
            Ok(())
        }
    }
}

/// What [`conformance_tests!`] expands to. Not a public API.
#[doc(hidden)]
pub mod __private {
    use std::future::Future;

    pub use tokio;

    /// Runs one generated test on a fresh multi-thread runtime with two workers and every driver enabled,
    /// exactly what `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]` builds.
    pub fn block_on<F: Future<Output = ()>>(test: F) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|err| {
                panic!("the conformance suite could not start a Tokio runtime: {err}")
            });
        runtime.block_on(test);
    }
}
